//! Builders for the rules' unit tests: a service that passes every rule, distinct spans to check
//! where a finding points, and a runner that shows what one rule reported.

use std::path::Path;

use crate::diag::Severity;
use crate::lint::view::{
    HealthView, LimitsView, Located, LoggingView, MountKind, MountView, NetworkView, TmpfsView,
};
use crate::lint::{Report, Rule, ServiceView};
use crate::source::{Sources, Span};

/// The service key's span in every test service.
pub(crate) const SERVICE_AT: usize = 0;

/// A one-byte span at `start`; each test value gets its own offset so a test can tell which value
/// a finding points at.
pub(crate) fn span(start: usize) -> Option<Span> {
    let file = Sources::default().add(Path::new("compose.yml"), String::new());
    Some(Span::new(file, start..start + 1))
}

pub(crate) fn located<T>(value: T, at: usize) -> Located<T> {
    Located::new(value, span(at))
}

pub(crate) fn strings(values: &[&str], first_at: usize) -> Vec<Located<String>> {
    values
        .iter()
        .zip(first_at..)
        .map(|(value, at)| located((*value).to_string(), at))
        .collect()
}

pub(crate) fn bind(source: &str, read_only: bool, at: usize) -> MountView {
    MountView {
        kind: MountKind::Bind,
        source: Some(source.to_string()),
        target: "/data".to_string(),
        read_only,
        tmpfs_options: Vec::new(),
        span: span(at),
        landing: None,
        volume: None,
    }
}

/// What mcpgen renders for a server: passes every rule.
pub(crate) fn hardened() -> ServiceView {
    ServiceView {
        name: "fetch".to_string(),
        span: span(SERVICE_AT),
        image: Some(located(
            format!("mcp/fetch:1.2.3@sha256:{}", "a".repeat(64)),
            1,
        )),
        user: Some(located("1000:1000".to_string(), 2)),
        read_only: Some(located(true, 3)),
        cap_drop: strings(&["ALL"], 4),
        security_opt: strings(&["no-new-privileges:true"], 5),
        healthcheck: Some(HealthView {
            disabled: false,
            span: span(6),
        }),
        restart: Some(located("unless-stopped".to_string(), 7)),
        tmpfs: vec![TmpfsView {
            target: "/tmp".to_string(),
            options: ["rw", "noexec", "nosuid", "nodev", "size=16m"]
                .map(str::to_string)
                .to_vec(),
            span: span(8),
        }],
        init: Some(located(true, 9)),
        networks: vec![NetworkView {
            name: "internal".to_string(),
            internal: true,
            span: span(10),
        }],
        logging: Some(LoggingView {
            driver: Some("json-file".to_string()),
            size_capped: true,
            span: span(11),
        }),
        limits: LimitsView {
            cpus: Some(located(0.5, 12)),
            memory: Some(located(256 << 20, 13)),
            pids: Some(located(128, 14)),
        },
        ..ServiceView::default()
    }
}

/// One finding as the runner would see it, with the rule's default severity applied.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) message: std::borrow::Cow<'static, str>,
    pub(crate) span: Option<Span>,
    pub(crate) help: std::borrow::Cow<'static, str>,
    pub(crate) note: Option<String>,
    pub(crate) severity: Severity,
}

pub(crate) fn check(rule: &Rule, service: &ServiceView) -> Vec<Found> {
    let mut report = Report::default();
    (rule.check)(service, &mut report);
    report
        .items
        .into_iter()
        .map(|item| Found {
            message: item.message,
            span: item.span,
            help: item.help,
            note: item.note,
            severity: item.severity.unwrap_or(rule.severity),
        })
        .collect()
}

/// The single finding `rule` reports on `service`; fails the test on none or several.
pub(crate) fn only(rule: &Rule, service: &ServiceView) -> Found {
    let mut found = check(rule, service);
    assert_eq!(
        found.len(),
        1,
        "{}: expected one finding: {found:#?}",
        rule.code
    );
    found.remove(0)
}

pub(crate) fn assert_silent(rule: &Rule, service: &ServiceView) {
    let found = check(rule, service);
    assert!(found.is_empty(), "{}: unexpected {found:#?}", rule.code);
}
