//! Everything the CLI prints for people goes through here: levels, colour, diagnostics.

use std::io::Write as _;

use crate::diag::{Diagnostic, HumanRenderer};
use crate::source::Sources;

pub struct Ui {
    quiet: bool,
    verbose: bool,
    sources: Sources,
}

impl Ui {
    pub fn new(quiet: bool, verbose: bool) -> Self {
        Self {
            quiet,
            verbose,
            sources: Sources::default(),
        }
    }

    pub fn sources(&self) -> &Sources {
        &self.sources
    }

    pub fn sources_mut(&mut self) -> &mut Sources {
        &mut self.sources
    }

    /// A progress or summary line on stderr, unless `--quiet`.
    pub fn status(&self, message: impl AsRef<str>) {
        if !self.quiet {
            let _ = writeln!(anstream::stderr(), "{}", message.as_ref());
        }
    }

    /// Something the user should act on, even with `--quiet`.
    pub fn warning(&self, message: impl AsRef<str>) {
        let style = anstyle::Style::new()
            .bold()
            .fg_color(Some(anstyle::AnsiColor::Yellow.into()));
        let _ = writeln!(
            anstream::stderr(),
            "{style}warning{style:#}: {}",
            message.as_ref()
        );
    }

    /// Detail shown only with `--verbose`.
    pub fn detail(&self, message: impl AsRef<str>) {
        if self.verbose {
            let _ = writeln!(anstream::stderr(), "{}", message.as_ref());
        }
    }

    /// Diagnostics on stderr: errors always, warnings and notes unless `--quiet`.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        let renderer = HumanRenderer::new(&self.sources, true);
        let mut stderr = anstream::stderr();
        for diagnostic in diagnostics {
            if self.quiet && diagnostic.severity != crate::diag::Severity::Error {
                continue;
            }
            let _ = writeln!(stderr, "{}\n", renderer.render(diagnostic));
        }
    }
}
