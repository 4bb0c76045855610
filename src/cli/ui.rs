//! Everything the CLI prints for people goes through here: levels, colour, diagnostics.

use std::io::Write;

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

    /// Diagnostics on stderr: errors always, warnings and notes unless `--quiet`. Written
    /// through one buffer: thousands of findings written piece by piece cost a system call
    /// per fragment. Styled only where colour will be shown, so nothing strips escapes again.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        let choice = anstream::AutoStream::choice(&std::io::stderr());
        let styled = choice != anstream::ColorChoice::Never;
        let _ = if styled {
            self.write_diagnostics(diagnostics, true, anstream::stderr())
        } else {
            self.write_diagnostics(diagnostics, false, std::io::stderr().lock())
        };
    }

    fn write_diagnostics(
        &self,
        diagnostics: &[Diagnostic],
        styled: bool,
        stream: impl Write,
    ) -> std::io::Result<()> {
        let renderer = HumanRenderer::new(&self.sources, styled);
        let mut out = std::io::BufWriter::with_capacity(1 << 16, stream);
        for diagnostic in diagnostics {
            if self.quiet && diagnostic.severity != crate::diag::Severity::Error {
                continue;
            }
            out.write_all(renderer.render(diagnostic).as_bytes())?;
            out.write_all(b"\n\n")?;
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the writes that reach the stream: each is a system call on stderr.
    struct Counting {
        writes: usize,
        bytes: usize,
    }

    impl Write for Counting {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            self.bytes += buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Thousands of findings reach stderr in a few large writes, not one per fragment.
    #[test]
    fn diagnostics_are_written_through_one_buffer() {
        let mut ui = Ui::new(false, false);
        let text = "services:\n  app:\n    image: x:1\n".to_string();
        let file = ui
            .sources_mut()
            .add(std::path::Path::new("compose.yml"), text);
        let diagnostic = Diagnostic::new(crate::diag::Severity::Error, "service `app`: no user")
            .with_code("MCP001/non-root-user")
            .with_primary(crate::source::Span::new(file, 12..15), "the label")
            .with_help("add `user`");
        let diagnostics = vec![diagnostic; 5000];
        for styled in [false, true] {
            let mut counting = Counting {
                writes: 0,
                bytes: 0,
            };
            ui.write_diagnostics(&diagnostics, styled, &mut counting)
                .expect("written");
            assert!(counting.bytes > 5000 * 100);
            assert!(
                counting.writes <= counting.bytes / (1 << 16) + 1,
                "{} writes for {} bytes",
                counting.writes,
                counting.bytes
            );
        }
    }
}
