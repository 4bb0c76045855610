//! MCP024 log-limits.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP024",
    name: "log-limits",
    severity: Severity::Info,
    core: false,
    summary: "logs should be kept, and capped in size",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports a service without `logging`, with `driver: none`, or whose logs are kept in files on the
host (the `json-file` driver, or no driver named, which means the engine's default, `json-file`)
without a positive `max-size`. The `local` driver rotates by default, and drivers that ship logs
elsewhere (`journald`, `syslog`, `fluentd`, …) keep no growing file, so they need no cap here.

## Why it matters
The `json-file` driver keeps everything a container writes, forever: a chatty or looping MCP
server fills the disk the whole machine runs on. `driver: none` goes the other way and throws
the logs away, leaving nothing to look at after a tool did something it should not have.

## Bad
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
```

## Good
```yaml
services:
  fetch:
    image: mcp/fetch:1.0.0
    logging:
      driver: json-file
      options: { max-size: 10m, max-file: "3" }
```

## Fix
mcpgen renders `logging` with `max-size` and `max-file` for every server (set them with
`logging = { max_size = "10M", max_file = 3 }`). In a compose file, add the block above, or set
`log-opts` in the engine's `daemon.json` and allow MCP024 with that reason.

## References
- Docker docs: configure logging drivers; JSON File logging driver (`max-size`, `max-file`); local file logging driver
"#;

/// Drivers that keep logs in files on the host, which grow unless capped.
fn keeps_growing_files(driver: Option<&str>) -> bool {
    driver.is_none_or(|driver| driver == "json-file")
}

fn check(service: &ServiceView, report: &mut Report) {
    let Some(logging) = &service.logging else {
        report.push(
            "no `logging`: the engine's default json-file log grows without limit",
            service.span,
            "add `logging: { driver: json-file, options: { max-size: 10m, max-file: \"3\" } }`",
        );
        return;
    };
    let driver = logging
        .driver
        .as_deref()
        .map(|driver| driver.trim().to_ascii_lowercase())
        .filter(|driver| !driver.is_empty());
    let span = service.at_span(logging.span.as_ref());
    if driver.as_deref() == Some("none") {
        report.push(
            "`logging.driver` is `none`: the server's output is thrown away",
            span,
            "use `driver: json-file` with `max-size` and `max-file` options",
        );
    } else if keeps_growing_files(driver.as_deref()) && !logging.size_capped {
        report.push(
            "the log has no size cap: it grows until the disk is full",
            span,
            "add `options: { max-size: 10m, max-file: \"3\" }` to `logging`",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{SERVICE_AT, assert_silent, hardened, only, span};
    use crate::lint::view::LoggingView;

    fn logging(driver: Option<&str>, size_capped: bool) -> ServiceView {
        let mut service = hardened();
        service.logging = Some(LoggingView {
            driver: driver.map(str::to_string),
            size_capped,
            span: span(40),
        });
        service
    }

    #[test]
    fn absent_logging_is_info_at_the_service() {
        let mut service = hardened();
        service.logging = None;
        let found = only(&RULE, &service);
        assert_eq!(found.severity, Severity::Info);
        assert_eq!(found.span, span(SERVICE_AT));
        assert!(found.help.contains("max-size"));
    }

    #[test]
    fn uncapped_files_and_none_fire_at_logging() {
        for driver in [None, Some("json-file"), Some(" JSON-FILE ")] {
            let found = only(&RULE, &logging(driver, false));
            assert_eq!(found.span, span(40));
            assert!(found.message.contains("no size cap"), "{driver:?}");
        }
        let found = only(&RULE, &logging(Some("none"), true));
        assert!(found.message.contains("`none`"));
    }

    #[test]
    fn capped_rotating_or_shipped_logs_are_silent() {
        assert_silent(&RULE, &hardened());
        assert_silent(&RULE, &logging(None, true));
        for driver in ["local", "journald", "syslog", "fluentd"] {
            assert_silent(&RULE, &logging(Some(driver), false));
        }
    }
}
