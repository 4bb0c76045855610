//! What a plain (unquoted, untagged) YAML scalar is to Compose. Compose reads its files with
//! go-yaml v3, which resolves `0`, `1.5`, `true`, `null` and `2024-01-02` to numbers, booleans,
//! null and timestamps before its schema sees them; where the schema wants a string (`user`,
//! `image`, `restart`, …) it refuses them, so mcpgen must too. The resolution follows go-yaml
//! v3's `resolve.go`: the first character picks what is tried, numbers as Go's `strconv`
//! parses them (underscores dropped first).

/// What go-yaml v3 resolves a plain scalar to, when that is not a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotAString {
    Null,
    Boolean,
    Integer,
    Float,
    Timestamp,
}

impl NotAString {
    /// As a message names it: "YAML reads `0` as an integer".
    pub(crate) fn noun(self) -> &'static str {
        match self {
            NotAString::Null => "null",
            NotAString::Boolean => "a boolean",
            NotAString::Integer => "an integer",
            NotAString::Float => "a number",
            NotAString::Timestamp => "a date",
        }
    }
}

/// The type go-yaml v3 gives the plain scalar `text`, unless it is a string.
pub(crate) fn resolve_plain(text: &str) -> Option<NotAString> {
    let words: &[(&[&str], NotAString)] = &[
        (
            &["true", "True", "TRUE", "false", "False", "FALSE"],
            NotAString::Boolean,
        ),
        (&["", "~", "null", "Null", "NULL"], NotAString::Null),
        (
            &[
                ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
                "-.Inf", "-.INF",
            ],
            NotAString::Float,
        ),
    ];
    let first = text.bytes().next();
    // go-yaml's hint table: only these first characters lead anywhere but a string.
    let hint = match first {
        None => b'M',
        Some(b'+' | b'-' | b'0'..=b'9') => b'D',
        Some(b'.') => b'.',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(_) => return None,
    };
    if let Some((_, kind)) = words.iter().find(|(list, _)| list.contains(&text)) {
        return Some(*kind);
    }
    match hint {
        b'.' => go_float(text).then_some(NotAString::Float),
        b'D' => {
            if is_timestamp(text) {
                return Some(NotAString::Timestamp);
            }
            let plain = text.replace('_', "");
            if go_int(&plain) {
                Some(NotAString::Integer)
            } else if is_yaml_float(&plain) && go_float(&plain) {
                Some(NotAString::Float)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint(s, 0, 64)` accepts `s`: an optional sign
/// (not for the unsigned), then `0x`, `0o`, `0b` or a leading `0` (octal) or decimal digits,
/// within 64 bits.
fn go_int(text: &str) -> bool {
    let (sign, body) = match text.as_bytes().first() {
        Some(b'+') => (Some(false), &text[1..]),
        Some(b'-') => (Some(true), &text[1..]),
        _ => (None, text),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        _ => (10, body),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return false;
    }
    let Ok(magnitude) = u64::from_str_radix(digits, radix) else {
        return false;
    };
    match sign {
        None => true,
        Some(false) => magnitude <= i64::MAX.unsigned_abs(),
        Some(true) => magnitude <= i64::MIN.unsigned_abs(),
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(text: &str) -> bool {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let mut rest = text.strip_prefix(['+', '-']).unwrap_or(text);
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = digits(after_dot);
        if n == 0 {
            return false;
        }
        rest = &after_dot[n..];
    } else {
        let n = digits(rest);
        if n == 0 {
            return false;
        }
        rest = &rest[n..];
        if let Some(after_dot) = rest.strip_prefix('.') {
            rest = &after_dot[digits(after_dot)..];
        }
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        return n > 0 && n == exponent.len();
    }
    rest.is_empty()
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds: it refuses what overflows to infinity.
fn go_float(text: &str) -> bool {
    text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// go-yaml's timestamps: `2006-1-2`, alone or followed by a time (`T`, `t` or a space).
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return false;
    }
    let mut parts = text[5..].splitn(2, ['T', 't', ' ']);
    let date = parts.next().unwrap_or_default();
    let mut fields = date.split('-');
    let month = fields.next().and_then(|m| small_number(m, 1..=12));
    let day = fields.next().and_then(|d| small_number(d, 1..=31));
    if month.is_none() || day.is_none() || fields.next().is_some() {
        return false;
    }
    match parts.next() {
        None => true,
        Some(time) => is_time_of_day(time),
    }
}

/// `15:4:5`, optionally with a fraction and a zone (`Z` or `+07:00`).
fn is_time_of_day(text: &str) -> bool {
    let zone_at = text.find(['Z', '+', '-']).unwrap_or(text.len());
    let (clock, zone) = text.split_at(zone_at);
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || zone.len() == 6 && zone.as_bytes()[3] == b':' && {
            let hours = &zone[1..3];
            let minutes = &zone[4..];
            small_number(hours, 0..=23).is_some() && small_number(minutes, 0..=59).is_some()
        };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let mut fields = clock.split(':');
    let hour = fields.next().and_then(|h| small_number(h, 0..=23));
    let minute = fields.next().and_then(|m| small_number(m, 0..=59));
    let second = fields.next().and_then(|s| small_number(s, 0..=59));
    zone_ok
        && hour.is_some()
        && minute.is_some()
        && second.is_some()
        && fields.next().is_none()
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// One or two digits within `range`.
fn small_number(text: &str, range: std::ops::RangeInclusive<u32>) -> Option<u32> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| range.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each checked against `docker compose config` (v2.40) with `user: <text>`: it refused
    /// every one of these with "services.a.user must be a string".
    #[test]
    fn what_compose_refuses_as_a_user() {
        for (text, kind) in [
            ("0", NotAString::Integer),
            ("1000", NotAString::Integer),
            ("+1", NotAString::Integer),
            ("-0", NotAString::Integer),
            ("012", NotAString::Integer),
            ("0x10", NotAString::Integer),
            ("0o7", NotAString::Integer),
            ("0b1", NotAString::Integer),
            ("1_000", NotAString::Integer),
            ("08", NotAString::Float),
            ("99999999999999999999", NotAString::Float),
            ("1.5", NotAString::Float),
            (".5", NotAString::Float),
            ("1e3", NotAString::Float),
            (".inf", NotAString::Float),
            ("true", NotAString::Boolean),
            ("True", NotAString::Boolean),
            ("FALSE", NotAString::Boolean),
            ("~", NotAString::Null),
            ("null", NotAString::Null),
            ("", NotAString::Null),
            ("2024-01-02", NotAString::Timestamp),
            ("2024-1-2 10:11:12", NotAString::Timestamp),
            ("2024-01-02T10:11:12.5Z", NotAString::Timestamp),
        ] {
            assert_eq!(resolve_plain(text), Some(kind), "{text:?}");
        }
    }

    /// Strings to go-yaml v3, which Compose accepts as a `user`.
    #[test]
    fn what_stays_a_string() {
        for text in [
            "yes",
            "no",
            "on",
            "nobody",
            "1000:1000",
            "0:0",
            ":1000",
            "1000:",
            "0x",
            "0xg",
            "1e999",
            "1.2.3",
            "+",
            "-",
            ".",
            "._5",
            "1e",
            "2024-13-02",
            "2024-01-02x",
            "1_000:1_000",
            "TRUE1",
            "nULL",
        ] {
            assert_eq!(resolve_plain(text), None, "{text:?}");
        }
    }
}
