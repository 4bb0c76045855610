//! Sizes and durations as users write them (`256M`, `15s`) and as Compose reads them.

use std::fmt;
use std::time::Duration;

/// A size in bytes, written with a binary unit like Docker's (`K`, `M`, `G`; `Ki`, `MB` accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let digits_end = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        if digits_end == 0 {
            return Err("expected a number followed by a unit, like 256M".to_string());
        }
        let number: u64 = text[..digits_end]
            .parse()
            .map_err(|_| "number too large".to_string())?;
        let written = text[digits_end..].trim();
        let unit = written.to_ascii_lowercase();
        let unit = unit
            .strip_suffix("ib")
            .or_else(|| unit.strip_suffix('b'))
            .or_else(|| unit.strip_suffix('i'))
            .unwrap_or(&unit);
        let shift = match unit {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            "t" => 40,
            _ => return Err(format!("unknown unit `{written}`: use K, M, G or T")),
        };
        number
            .checked_mul(1 << shift)
            .map(ByteSize)
            .ok_or_else(|| "size too large".to_string())
    }
}

impl ByteSize {
    /// A size as Docker and Compose read `mem_limit` and `memory` (go-units `RAMInBytes`): a
    /// number, decimals allowed, an optional space, then an optional unit `b`, `k`, `m`, `g`,
    /// `t` or `p` (binary, any case) with an optional `i` and `b` after it: `256M`, `1.5g`,
    /// `512mib`, `1024`. A fraction of a byte is dropped, as Go's conversion does.
    pub fn parse_ram(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let number_end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(number_end);
        if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
            return Err("expected a size like 256M or 1.5g".to_string());
        }
        let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
        let unit = unit.strip_suffix('b').unwrap_or(&unit);
        let unit = unit.strip_suffix('i').unwrap_or(unit);
        let shift = match unit {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            "t" => 40,
            "p" => 50,
            other => return Err(format!("unknown unit `{other}`: use b, k, m, g, t or p")),
        };
        if let Ok(whole) = number.parse::<u64>() {
            return whole
                .checked_mul(1 << shift)
                .map(ByteSize)
                .ok_or_else(|| "size too large".to_string());
        }
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        let bytes = value * (1u64 << shift) as f64;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err("size too large".to_string());
        }
        // Truncation toward zero, as Go's `int64(size)`.
        Ok(ByteSize(bytes as u64))
    }
}

/// The shortest exact form, as Compose and the kernel's tmpfs accept it: `256m`, `1g`, `1536k`.
impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shift, unit) in [(40, "t"), (30, "g"), (20, "m"), (10, "k")] {
            if self.0 >= (1 << shift) && self.0.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", self.0 >> shift);
            }
        }
        write!(f, "{}", self.0)
    }
}

/// Go-style durations (`500ms`, `15s`, `1m30s`, `2h`), the form Compose takes.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("expected a duration like 15s".to_string());
    }
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(|| "missing unit: use ms, s, m or h".to_string())?;
        if digits_end == 0 {
            return Err("expected a duration like 15s".to_string());
        }
        let number: u64 = rest[..digits_end]
            .parse()
            .map_err(|_| "number too large".to_string())?;
        rest = &rest[digits_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let part = match rest[..unit_end].trim() {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.saturating_mul(60)),
            "h" => Duration::from_secs(number.saturating_mul(3600)),
            other => return Err(format!("unknown unit `{other}`: use ms, s, m or h")),
        };
        total = total.saturating_add(part);
        rest = &rest[unit_end..];
    }
    Ok(total)
}

/// The canonical Go-style text of a duration: `1m30s`, `500ms`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    let (hours, rest) = (millis / 3_600_000, millis % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    for (value, unit) in [(hours, "h"), (minutes, "m"), (seconds, "s"), (millis, "ms")] {
        if value > 0 {
            out.push_str(&format!("{value}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(ByteSize::parse("256M"), Ok(ByteSize(256 << 20)));
        assert_eq!(ByteSize::parse("256MiB"), Ok(ByteSize(256 << 20)));
        assert_eq!(ByteSize::parse("1g"), Ok(ByteSize(1 << 30)));
        assert_eq!(ByteSize::parse("4096"), Ok(ByteSize(4096)));
        assert!(ByteSize::parse("lots").is_err());
        assert!(ByteSize::parse("12Q").is_err());
        assert!(ByteSize::parse("99999999999999999999G").is_err());
    }

    #[test]
    fn ram_sizes_parse_like_go_units() {
        assert_eq!(ByteSize::parse_ram("256M"), Ok(ByteSize(256 << 20)));
        assert_eq!(ByteSize::parse_ram("256mb"), Ok(ByteSize(256 << 20)));
        assert_eq!(ByteSize::parse_ram("512MiB"), Ok(ByteSize(512 << 20)));
        assert_eq!(ByteSize::parse_ram("1g"), Ok(ByteSize(1 << 30)));
        assert_eq!(ByteSize::parse_ram("1.5g"), Ok(ByteSize(3 << 29)));
        assert_eq!(ByteSize::parse_ram("64 k"), Ok(ByteSize(64 << 10)));
        assert_eq!(ByteSize::parse_ram("1p"), Ok(ByteSize(1 << 50)));
        assert_eq!(ByteSize::parse_ram("1000"), Ok(ByteSize(1000)));
        assert_eq!(ByteSize::parse_ram("1000b"), Ok(ByteSize(1000)));
        assert_eq!(ByteSize::parse_ram("0"), Ok(ByteSize(0)));
        assert_eq!(ByteSize::parse_ram("0.5k"), Ok(ByteSize(512)));
        for bad in [
            "",
            "m",
            ".5g",
            "5.g",
            "1.2.3m",
            "12q",
            "-1m",
            "1  m",
            "99999999999999999999g",
        ] {
            assert!(ByteSize::parse_ram(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_print_shortest_exact_form() {
        assert_eq!(ByteSize(256 << 20).to_string(), "256m");
        assert_eq!(ByteSize(1536 << 10).to_string(), "1536k");
        assert_eq!(ByteSize(100).to_string(), "100");
    }

    #[test]
    fn durations_round_trip() {
        for text in ["15s", "1m30s", "500ms", "2h", "10m"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        assert!(parse_duration("15").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("3 days").is_err());
    }
}
