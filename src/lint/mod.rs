//! The lint pass: rules over [`ServiceView`]s, suppression by `allow` entries with reasons.

pub mod host_path;
pub mod output;
pub mod rules;
pub mod security_opt;
pub mod settings;
pub mod view;

use std::borrow::{Borrow, Cow};
use std::sync::Arc;

use crate::diag::{Diagnostic, Severity};
pub use crate::model::LintSettings as Settings;
use crate::source::Span;
pub use rules::RULES;
pub use view::ServiceView;

/// A lint rule. Its documentation is the single text behind `mcpgen explain`, the docs page and
/// the tests that check every rule is documented.
#[derive(Debug)]
pub struct Rule {
    /// Stable ID, never reused: `MCP001`.
    pub code: &'static str,
    /// Kebab-case name, usable wherever the code is.
    pub name: &'static str,
    pub severity: Severity,
    /// Core rules are errors that can only be allowed per service, with a reason.
    pub core: bool,
    /// One line: what the rule wants.
    pub summary: &'static str,
    /// Markdown with the headings in [`DOC_HEADINGS`].
    pub docs: &'static str,
    pub check: fn(&ServiceView, &mut Report),
}

pub const DOC_HEADINGS: &[&str] = &[
    "## What it does",
    "## Why it matters",
    "## Bad",
    "## Good",
    "## Fix",
    "## References",
];

/// Finds a rule by code (any case) or name.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.id().is(key))
}

/// Every rule as `mcp.toml` names it: what the config stage checks rule references against.
pub fn catalog() -> Vec<crate::model::RuleId> {
    RULES.iter().map(|rule| rule.id()).collect()
}

impl Rule {
    pub fn id(&self) -> crate::model::RuleId {
        crate::model::RuleId {
            code: self.code,
            name: self.name,
            core: self.core,
        }
    }
}

/// A mechanical fix, said in terms of the service, not of a file format: `mcpgen lint --fix`
/// turns it into an edit of `mcp.toml` or of the compose YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// Set a boolean key (`read_only`, `init`) to a value.
    SetBool { key: &'static str, value: bool },
    /// Make a list key (`cap_drop`, `security_opt`) contain an item.
    EnsureItem {
        key: &'static str,
        item: &'static str,
    },
}

/// What a rule's check reports; the runner adds the rule, service and suppression.
#[derive(Debug, Default)]
pub struct Report {
    items: Vec<Reported>,
}

#[derive(Debug)]
struct Reported {
    message: Cow<'static, str>,
    span: Option<Span>,
    help: Cow<'static, str>,
    note: Option<String>,
    severity: Option<Severity>,
    fix: Option<Fix>,
}

impl Report {
    pub fn push(
        &mut self,
        message: impl Into<Cow<'static, str>>,
        span: Option<Span>,
        help: impl Into<Cow<'static, str>>,
    ) {
        self.items.push(Reported {
            message: message.into(),
            span,
            help: help.into(),
            note: None,
            severity: None,
            fix: None,
        });
    }

    /// Attaches a mechanical fix to the last finding.
    pub fn fix(&mut self, fix: Fix) {
        if let Some(last) = self.items.last_mut() {
            last.fix = Some(fix);
        }
    }

    /// Adds a note to the last finding (e.g. that it depends on an environment variable).
    pub fn note(&mut self, note: Option<impl Into<String>>) {
        if let (Some(last), Some(note)) = (self.items.last_mut(), note) {
            last.note = Some(note.into());
        }
    }

    /// Overrides the rule's default severity for the last finding (MCP007's graded levels).
    pub fn severity(&mut self, severity: Severity) {
        if let Some(last) = self.items.last_mut() {
            last.severity = Some(severity);
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static Rule,
    /// The service or server; empty for a finding about a file or the project as a whole.
    /// Shared by the service's findings: a large project has a dozen per service.
    pub service: Arc<str>,
    pub severity: Severity,
    /// Borrowed where the rule's text is fixed (most are): a large project has a hundred
    /// thousand findings, and a copy of the same sentence in each came to megabytes.
    pub message: Cow<'static, str>,
    pub span: Option<Span>,
    pub help: Cow<'static, str>,
    /// What few findings carry, boxed: a large project has a hundred thousand findings, and
    /// held inline these would be over a third of each.
    detail: Option<Box<Detail>>,
}

/// The parts of a [`Finding`] most findings do not have.
#[derive(Debug, Clone, Default)]
struct Detail {
    note: Option<String>,
    /// The allow entry's reason and span, when an allow suppressed this finding.
    suppressed: Option<(String, Option<Span>)>,
    fix: Option<Fix>,
    /// Other places the finding is about (where a duplicated name was first used).
    related: Vec<(Span, String)>,
}

impl Finding {
    /// A finding the compose reader raises about the project (MCP101 on), where it sees it.
    pub fn raised(
        rule: &'static Rule,
        service: &str,
        message: impl Into<Cow<'static, str>>,
        span: Span,
        help: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            rule,
            service: service.into(),
            severity: rule.severity,
            message: message.into(),
            span: Some(span),
            help: help.into(),
            detail: None,
        }
    }

    fn detail_mut(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Box::default)
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.detail_mut().note = Some(note.into());
        self
    }

    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.detail_mut().related.push((span, message.into()));
        self
    }

    /// Marks the finding suppressed by an allow entry: its reason, and where it is written.
    pub fn with_suppression(mut self, reason: impl Into<String>, at: Option<Span>) -> Self {
        self.detail_mut().suppressed = Some((reason.into(), at));
        self
    }

    fn with_fix(mut self, fix: Option<Fix>) -> Self {
        if fix.is_some() {
            self.detail_mut().fix = fix;
        }
        self
    }

    /// Why the finding's value is what it is (an environment variable it depends on).
    pub fn note(&self) -> Option<&str> {
        self.detail.as_ref()?.note.as_deref()
    }

    /// The allow entry's reason and span, when an allow suppressed this finding.
    pub fn suppression(&self) -> Option<(&str, Option<Span>)> {
        let (reason, at) = self.detail.as_ref()?.suppressed.as_ref()?;
        Some((reason, *at))
    }

    pub fn is_suppressed(&self) -> bool {
        self.suppression().is_some()
    }

    pub fn fix(&self) -> Option<Fix> {
        self.detail.as_ref()?.fix
    }

    /// Other places the finding is about (where a duplicated name was first used).
    pub fn related(&self) -> &[(Span, String)] {
        self.detail.as_ref().map_or(&[], |detail| &detail.related)
    }

    /// The message, naming the service when there is one.
    pub fn headline(&self) -> String {
        if self.service.is_empty() {
            self.message.to_string()
        } else {
            // Concatenated, not `format!`: a report of thousands of findings makes one each.
            ["service `", &self.service, "`: ", &self.message].concat()
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(self.severity, self.headline())
            .with_code([self.rule.code, "/", self.rule.name].concat())
            .with_help(self.help.clone());
        if let Some(span) = &self.span {
            diagnostic = diagnostic.with_primary(*span, self.rule.summary);
        }
        for (span, message) in self.related() {
            diagnostic = diagnostic.with_secondary(*span, message.as_str());
        }
        if let Some(note) = self.note() {
            diagnostic = diagnostic.with_note(note);
        }
        diagnostic
    }
}

/// Runs the rules `settings` enable over every service; allow entries suppress, unused ones are
/// reported. The one entry point of the rules: `build`, `check` and `lint` all come through here,
/// directly or through a [`Linter`].
///
/// `services` may be borrowed (`&views`) or given (`views`): given, each view is dropped once
/// its rules have run, and the findings that follow are written in the memory it held.
pub fn run<View: Borrow<ServiceView>>(
    services: impl IntoIterator<Item = View, IntoIter: ExactSizeIterator>,
    settings: &Settings,
) -> Vec<Finding> {
    let services = services.into_iter();
    let mut linter = Linter::new(settings, services.len());
    for service in services {
        linter.check(service.borrow());
    }
    linter.finish()
}

/// The rules run over services one at a time, as a front end views them: a large project's
/// views need never be held at once. [`run`] over a whole list.
pub struct Linter<'a> {
    settings: &'a Settings,
    unused_allow_on: bool,
    findings: Vec<Finding>,
    /// Whether the findings so far are in reading order: each service's are sorted as they
    /// come, and a project's services usually follow one another in the file. Known here, a
    /// large project's findings need not be read again, cold, to find out.
    in_order: bool,
    /// Services checked so far, and how many the project has: how much room the findings of
    /// the rest are likely to need.
    done: usize,
    total: usize,
}

impl<'a> Linter<'a> {
    /// A linter for a project of `total` services (an estimate is enough: it sizes the room
    /// kept for findings).
    pub fn new(settings: &'a Settings, total: usize) -> Self {
        Linter {
            settings,
            unused_allow_on: settings::enabled(settings, &rules::mcp025_unused_allow::RULE),
            findings: Vec::new(),
            in_order: true,
            done: 0,
            total,
        }
    }

    /// Runs the rules over one service.
    pub fn check(&mut self, service: &ServiceView) {
        reserve_for_the_rest(&mut self.findings, self.done, self.total.max(self.done + 1));
        self.done += 1;
        let first = self.findings.len();
        let name: Arc<str> = service.name.as_str().into();
        // An allow for a rule that is off is neither used nor unused: nothing was checked.
        let mut used: Vec<bool> = service
            .allows
            .iter()
            .map(|allow| {
                find_rule(&allow.rule).is_some_and(|rule| !settings::enabled(self.settings, rule))
            })
            .collect();
        for rule in RULES
            .iter()
            .copied()
            .filter(|r| r.code != rules::UNUSED_ALLOW && settings::enabled(self.settings, r))
        {
            let mut report = Report::default();
            (rule.check)(service, &mut report);
            for item in report.items {
                let allow = service
                    .allows
                    .iter()
                    .position(|a| find_rule(&a.rule).is_some_and(|r| r.code == rule.code));
                if let Some(index) = allow {
                    used[index] = true;
                }
                let mut finding = Finding {
                    rule,
                    service: Arc::clone(&name),
                    severity: item.severity.unwrap_or(rule.severity),
                    message: item.message,
                    span: item.span,
                    help: item.help,
                    detail: None,
                }
                .with_fix(item.fix);
                if let Some(note) = item.note {
                    finding = finding.with_note(note);
                }
                if let Some(index) = allow {
                    let entry = &service.allows[index];
                    finding = finding.with_suppression(entry.reason.clone(), entry.span);
                }
                self.findings.push(finding);
            }
        }
        for (allow, used) in service.allows.iter().zip(used) {
            if !used && self.unused_allow_on {
                self.findings.push(Finding {
                    rule: &rules::mcp025_unused_allow::RULE,
                    service: Arc::clone(&name),
                    severity: rules::mcp025_unused_allow::RULE.severity,
                    message: format!("the allow for `{}` suppresses nothing", allow.rule).into(),
                    span: allow.span.or(service.span),
                    help: "remove the allow entry: the service already satisfies the rule".into(),
                    detail: None,
                });
            }
        }
        // A service's findings are in rule order; sorted here, a few at a time, a project's
        // are usually in reading order already.
        self.findings[first..].sort_by_key(reading_order);
        if let Some(last_before) = first.checked_sub(1)
            && let Some(first_now) = self.findings.get(first)
            && reading_order(first_now) < reading_order(&self.findings[last_before])
        {
            self.in_order = false;
        }
    }

    /// The findings of every service checked, in reading order.
    pub fn finish(mut self) -> Vec<Finding> {
        if !self.in_order {
            sort(&mut self.findings);
        }
        self.findings
    }
}

/// Before the next service is checked, room for the findings the rest are likely to have, at
/// the rate seen so far. Doubling instead would copy a large project's findings (a few hundred
/// bytes each) into fresh memory a dozen times over. A first guess covers only the first few
/// services: once they have shown the rate, the vector grows once, to what the rest need, and
/// what it copies then is small. The spare room of an estimate too high is never touched.
fn reserve_for_the_rest(findings: &mut Vec<Finding>, done: usize, total: usize) {
    /// Findings a service is expected to have before any has been checked.
    const FIRST_GUESS: usize = 8;
    /// Services the first guess makes room for.
    const SAMPLE: usize = 64;
    if findings.len() + RULES.len() <= findings.capacity() {
        return;
    }
    let (per_service, services) = if done == 0 {
        (FIRST_GUESS, total.min(SAMPLE))
    } else {
        let per_service = findings.len().div_ceil(done).max(1);
        // An eighth more, for a rest that is a little worse than the start.
        (per_service + per_service / 8, total - done)
    };
    findings.reserve((per_service * services).max(RULES.len()) + per_service);
}

/// Where a finding is in the files read: file, then offset; findings without a position last.
fn reading_order(finding: &Finding) -> (usize, usize) {
    finding
        .span
        .as_ref()
        .map_or((usize::MAX, usize::MAX), |s| (s.file.index(), s.start()))
}

/// Reading order: file, then position; findings without a position keep their place last.
/// The keys are sorted, then each finding moved once: a finding is a few hundred bytes, and
/// sorting thousands of them in place moves each many times.
pub fn sort(findings: &mut [Finding]) {
    if findings.is_sorted_by_key(reading_order) {
        return;
    }
    let mut keys: Vec<((usize, usize), usize)> = findings
        .iter()
        .enumerate()
        .map(|(index, finding)| (reading_order(finding), index))
        .collect();
    // The index breaks ties: the sort stays stable.
    keys.sort_unstable();
    // `from[i]`: where the finding that belongs at `i` is now. Each cycle of the permutation
    // is walked once, swapping along it: no second vector of findings.
    let mut from: Vec<usize> = keys.into_iter().map(|(_, index)| index).collect();
    for start in 0..from.len() {
        let mut at = start;
        loop {
            let source = from[at];
            from[at] = at;
            if source == start || source == at {
                break;
            }
            findings.swap(at, source);
            at = source;
        }
    }
}

/// Adds the findings a front end raised itself (the compose reader's notes on the project)
/// to those of the rules, under the same settings, in reading order.
pub fn add_raised(findings: &mut Vec<Finding>, mut raised: Vec<Finding>, settings: &Settings) {
    settings::retain(settings, &mut raised);
    if raised.is_empty() {
        return;
    }
    findings.append(&mut raised);
    sort(findings);
}

/// Findings that still count: not suppressed.
pub fn active(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(|f| !f.is_suppressed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_finding_holds_its_rare_parts_out_of_line() {
        // A large project has a hundred thousand findings: their size is its memory.
        assert!(std::mem::size_of::<Finding>() <= 104);
        let finding = Finding::raised(
            &rules::mcp001_non_root_user::RULE,
            "app",
            "m",
            Span::new(
                crate::source::Sources::default().add(std::path::Path::new("c.yml"), String::new()),
                0..0,
            ),
            "h",
        );
        assert!(finding.detail.is_none());
        assert_eq!(
            (finding.note(), finding.fix(), finding.related().len()),
            (None, None, 0)
        );
        let finding = finding
            .with_note("n")
            .with_suppression("r", None)
            .with_fix(Some(Fix::SetBool {
                key: "init",
                value: true,
            }));
        assert_eq!(finding.note(), Some("n"));
        assert_eq!(finding.suppression(), Some(("r", None)));
        assert!(finding.is_suppressed());
        assert_eq!(
            finding.fix(),
            Some(Fix::SetBool {
                key: "init",
                value: true
            })
        );
    }

    #[test]
    fn codes_and_names_are_unique_and_documented() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for rule in RULES {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                rule.name
            );
            let mut last = 0;
            for heading in DOC_HEADINGS {
                let at = rule
                    .docs
                    .find(heading)
                    .unwrap_or_else(|| panic!("{} lacks `{heading}`", rule.code));
                assert!(at >= last, "{}: `{heading}` out of order", rule.code);
                last = at;
            }
        }
    }

    #[test]
    fn rule_catalog_is_pinned() {
        let table: Vec<String> = RULES
            .iter()
            .map(|r| {
                format!(
                    "{} {} {} core={}",
                    r.code,
                    r.name,
                    r.severity.as_str(),
                    r.core
                )
            })
            .collect();
        insta::assert_snapshot!(table.join("\n"));
    }

    /// The sort by cycles gives what a stable sort gives, ties and unplaced findings included.
    #[test]
    fn findings_sort_into_reading_order_stably() {
        let file =
            crate::source::Sources::default().add(std::path::Path::new("c.yml"), String::new());
        let finding = |n: usize| {
            Finding::raised(
                &rules::mcp101_obsolete_version::RULE,
                "",
                n.to_string(),
                Span::new(file, 0..0),
                "",
            )
        };
        let mut state = 7_u64;
        for length in [0, 1, 2, 5, 64, 300] {
            let mut findings: Vec<Finding> = (0..length)
                .map(|n| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    let mut f = finding(n);
                    let at = usize::try_from(state >> 58).unwrap_or_default();
                    f.span = (at != 0).then(|| Span::new(file, at..at));
                    f
                })
                .collect();
            let mut expected = findings.clone();
            expected.sort_by_key(reading_order);
            sort(&mut findings);
            let messages =
                |list: &[Finding]| list.iter().map(|f| f.message.clone()).collect::<Vec<_>>();
            assert_eq!(messages(&findings), messages(&expected), "{length}");
        }
    }

    /// A service written later in the file may be checked first (an `extends` base, a second
    /// file's service merged in): the linter then sorts; in file order it need not.
    #[test]
    fn a_linter_gives_reading_order_whatever_order_services_come_in() {
        use rules::test_support::span;
        let service = |name: &str, at: usize| ServiceView {
            name: name.to_string(),
            span: span(at),
            ..ServiceView::default()
        };
        let settings = Settings::default();
        let starts = |findings: &[Finding]| -> Vec<usize> {
            findings
                .iter()
                .map(|f| f.span.map_or(usize::MAX, |s| s.start()))
                .collect()
        };
        let lint_in = |order: [usize; 2]| {
            let views = order.map(|at| service(&format!("at-{at}"), at));
            let mut linter = Linter::new(&settings, views.len());
            for view in &views {
                linter.check(view);
            }
            linter.finish()
        };
        let in_file_order = lint_in([10, 500]);
        let reversed = lint_in([500, 10]);
        assert!(in_file_order.len() > 2);
        assert!(reversed.is_sorted_by_key(reading_order));
        assert_eq!(starts(&reversed), starts(&in_file_order));
        let services = |findings: &[Finding]| -> Vec<String> {
            findings.iter().map(|f| f.service.to_string()).collect()
        };
        assert_eq!(services(&reversed), services(&in_file_order));
        assert_eq!(reversed.first().map(|f| &*f.service), Some("at-10"));
    }

    #[test]
    fn rules_are_found_by_code_or_name() {
        assert_eq!(find_rule("mcp001").map(|r| r.code), Some("MCP001"));
        assert_eq!(
            find_rule("read-only-rootfs").map(|r| r.code),
            Some("MCP002")
        );
        assert!(find_rule("nope").is_none());
    }
}
