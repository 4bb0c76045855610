//! Compose's short syntaxes, read the way compose-go reads them: volumes (`format.ParseVolume`),
//! ports (`nat.ParsePortSpec`), booleans (`toBoolean`), and memory sizes (go-units
//! `RAMInBytes`, in [`crate::model::ByteSize::parse_ram`]).

/// `[source:]target[:options]`, split the way compose-go does: a colon right after a single
/// letter belongs to a Windows drive (`C:\data:/data:ro`).
#[derive(Debug, PartialEq)]
pub(crate) struct ShortVolume<'a> {
    pub(crate) source: Option<&'a str>,
    pub(crate) target: &'a str,
    pub(crate) read_only: bool,
}

pub(crate) fn short_volume(spec: &str) -> Result<ShortVolume<'_>, String> {
    if spec.is_empty() {
        return Err("an empty volume".to_string());
    }
    // Compose takes a one- or two-character spec as a bare target.
    if spec.chars().count() <= 2 {
        return Ok(ShortVolume {
            source: None,
            target: spec,
            read_only: false,
        });
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, c) in spec.char_indices() {
        if c != ':' {
            continue;
        }
        let part = &spec[start..at];
        let drive = part.chars().count() == 1 && part.chars().all(char::is_alphabetic);
        if !drive {
            parts.push(part);
            start = at + 1;
        }
    }
    parts.push(&spec[start..]);
    if parts.iter().any(|part| part.is_empty()) {
        return Err("an empty section between colons".to_string());
    }
    match parts.as_slice() {
        [target] => Ok(ShortVolume {
            source: None,
            target,
            read_only: false,
        }),
        [source, target] => Ok(ShortVolume {
            source: Some(source),
            target,
            read_only: false,
        }),
        [source, target, options] => Ok(ShortVolume {
            source: Some(source),
            target,
            // The last of `ro`/`rw` wins, as in compose-go.
            read_only: options
                .split(',')
                .rev()
                .find(|option| matches!(*option, "ro" | "rw"))
                == Some("ro"),
        }),
        _ => Err("too many colons".to_string()),
    }
}

/// compose-go's `isFilePath`: a bind mount's source is a path, a named volume's a name.
pub(crate) fn is_host_path(source: &str) -> bool {
    let mut chars = source.chars();
    match (chars.next(), chars.next()) {
        (Some('.' | '/' | '~'), _) => true,
        (Some('\\'), Some('\\')) => true,
        (Some(letter), Some(':')) => letter.is_alphabetic(),
        _ => false,
    }
}

/// A published port in short syntax: `[[host_ip:]published:]target[/protocol]`.
#[derive(Debug, PartialEq)]
pub(crate) struct ShortPort {
    pub(crate) host_ip: Option<String>,
    pub(crate) published: Option<String>,
}

pub(crate) fn short_port(spec: &str) -> ShortPort {
    // From the right: the target, then the published port, and all the rest is the host IP
    // (an IPv6 address has colons of its own).
    let mut parts = spec.rsplitn(3, ':');
    let _target = parts.next();
    let published = parts.next().unwrap_or_default();
    let host_ip = parts.next().unwrap_or_default();
    let host_ip = host_ip
        .strip_prefix('[')
        .and_then(|ip| ip.strip_suffix(']'))
        .unwrap_or(host_ip);
    ShortPort {
        host_ip: (!host_ip.is_empty()).then(|| host_ip.to_string()),
        published: (!published.is_empty()).then(|| published.to_string()),
    }
}

/// Compose's boolean: YAML's `true`/`false`, and for strings (interpolated ones included)
/// `y`, `yes`, `true`, `on` and `n`, `no`, `false`, `off` in any case.
pub(crate) fn boolean(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "on" => Some(true),
        "n" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(spec: &str) -> (Option<&str>, &str, bool) {
        let v = short_volume(spec).unwrap();
        (v.source, v.target, v.read_only)
    }

    #[test]
    fn volumes() {
        assert_eq!(volume("/data"), (None, "/data", false));
        assert_eq!(volume("data:/data"), (Some("data"), "/data", false));
        assert_eq!(volume("./conf:/conf:ro"), (Some("./conf"), "/conf", true));
        assert_eq!(volume("/a:/b:ro,z"), (Some("/a"), "/b", true));
        assert_eq!(volume("/a:/b:ro,rw"), (Some("/a"), "/b", false));
        assert_eq!(volume("/a:/b:z"), (Some("/a"), "/b", false));
        assert_eq!(
            volume(r"C:\data:/data:ro"),
            (Some(r"C:\data"), "/data", true)
        );
        assert_eq!(volume("c:/x:/y"), (Some("c:/x"), "/y", false));
        assert_eq!(volume("/x"), (None, "/x", false));
        assert!(short_volume("/a::/b").is_err());
        // A one-letter part before a colon is a drive, as in compose-go.
        assert_eq!(volume("a::b"), (Some("a:"), "b", false));
        assert!(short_volume("/a:/b:ro:x").is_err());
        assert!(short_volume("").is_err());
    }

    #[test]
    fn host_paths() {
        for path in [
            "/var/run/docker.sock",
            "./x",
            "../x",
            "~/x",
            r"C:\x",
            r"\\pipe\x",
        ] {
            assert!(is_host_path(path), "{path}");
        }
        for name in ["data", "my-volume", "c"] {
            assert!(!is_host_path(name), "{name}");
        }
    }

    fn port(spec: &str) -> (Option<String>, Option<String>) {
        let p = short_port(spec);
        (p.host_ip, p.published)
    }

    #[test]
    fn ports() {
        let s = |v: &str| Some(v.to_string());
        assert_eq!(port("80"), (None, None));
        assert_eq!(port("8080:80"), (None, s("8080")));
        assert_eq!(port("127.0.0.1:8080:80/udp"), (s("127.0.0.1"), s("8080")));
        assert_eq!(port("[::1]:8080:80"), (s("::1"), s("8080")));
        assert_eq!(port("::1:8080:80"), (s("::1"), s("8080")));
        assert_eq!(
            port("0.0.0.0:9000-9010:9000-9010"),
            (s("0.0.0.0"), s("9000-9010"))
        );
        assert_eq!(port("127.0.0.1::80"), (s("127.0.0.1"), None));
    }

    #[test]
    fn booleans() {
        assert_eq!(boolean("true"), Some(true));
        assert_eq!(boolean("YES"), Some(true));
        assert_eq!(boolean("off"), Some(false));
        assert_eq!(boolean("False"), Some(false));
        assert_eq!(boolean("1"), None);
        assert_eq!(boolean(""), None);
    }
}
