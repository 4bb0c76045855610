//! Where a bind mount's source lands on the host, worked out the way Compose does before it
//! hands the path to the engine (compose-go `paths`): `~` is the home of whoever runs Compose
//! joined with the rest (`~alice` is `$HOME/alice`, not alice's home), a relative path is joined
//! to the directory it is relative to, and the result is cleaned (`//`, `.`, `..`). Rules judge
//! this path, so `~/../..` is judged as `/` and `..` as the folder above the project.

use std::path::Path;

/// A bind source resolved as far as what is known allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// Absolute and clean (`/`, `/home/alice`) when the base directory and home are known.
    /// Otherwise clean but still relative: `~`-relative (`~`, `~/..`) or relative to the base
    /// directory (`data`, `../..`), a `..` that climbs out of it kept in front.
    pub path: String,
    /// The source names the base directory itself or a folder inside it, never climbing out:
    /// the project's own files, wherever the project happens to be kept.
    pub in_project: bool,
    /// The source is `~`-relative and names a folder inside the home directory (`~/projects`):
    /// the user's own files, even where the home is `/root`.
    pub in_home: bool,
    /// The path is the home directory of whoever runs Compose, or a directory above it.
    pub holds_home: bool,
}

/// Lexical clean: `//` and `.` dropped, `..` removes the component before it. A `..` with
/// nothing before it stays in front of a relative path and vanishes at `/`, as in Go's
/// `filepath.Clean`.
fn clean(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut components: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => match components.last() {
                Some(&last) if last != ".." => {
                    components.pop();
                }
                _ if absolute => {}
                _ => components.push(".."),
            },
            component => components.push(component),
        }
    }
    let joined = components.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// A Windows path (`C:\x`, `\\.\pipe\x`): left as written, the rules read it as it is.
fn is_windows(source: &str) -> bool {
    let mut chars = source.chars();
    source.starts_with('\\')
        || matches!((chars.next(), chars.next()), (Some(letter), Some(':')) if letter.is_ascii_alphabetic())
}

/// Resolves `source` against `base` (the directory relative paths are relative to: the
/// project's, or an included or extended file's) and `home`, either of which may be unknown.
pub fn land(source: &str, base: Option<&Path>, home: Option<&str>) -> Landing {
    let source = source.trim();
    if is_windows(source) {
        return Landing {
            path: source.to_string(),
            in_project: false,
            in_home: false,
            holds_home: false,
        };
    }
    if let Some(rest) = source.strip_prefix('~') {
        // compose-go: `filepath.Join(home, path[1:])`.
        if let Some(home) = home.filter(|home| home.starts_with('/')) {
            let landing = absolute(clean(&format!("{home}/{rest}")), Some(home));
            let home = clean(home);
            let in_home = landing
                .path
                .strip_prefix(home.as_str())
                .is_some_and(|rest| rest.starts_with('/') && home != "/");
            return Landing { in_home, ..landing };
        }
        let (path, holds_home) = match clean(&format!("./{rest}")).as_str() {
            "." => ("~".to_string(), true),
            cleaned => (
                format!("~/{cleaned}"),
                cleaned.split('/').all(|component| component == ".."),
            ),
        };
        return Landing {
            in_home: !holds_home && !path.starts_with("~/.."),
            path,
            in_project: false,
            holds_home,
        };
    }
    if source.starts_with('/') {
        return absolute(clean(source), home);
    }
    let relative = clean(source);
    let in_project = relative != ".." && !relative.starts_with("../");
    match base {
        Some(base) if base.is_absolute() => Landing {
            in_project,
            ..absolute(
                clean(&format!("{}/{relative}", base.to_string_lossy())),
                home,
            )
        },
        _ => Landing {
            path: relative,
            in_project,
            in_home: false,
            holds_home: false,
        },
    }
}

/// An absolute, clean path, and whether it holds `home`.
fn absolute(path: String, home: Option<&str>) -> Landing {
    let holds_home = home
        .filter(|home| home.starts_with('/'))
        .map(clean)
        .is_some_and(|home| {
            path == "/"
                || home == path
                || home
                    .strip_prefix(path.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        });
    Landing {
        path,
        in_project: false,
        in_home: false,
        holds_home,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str) -> (String, bool) {
        let landing = land(
            source,
            Some(Path::new("/home/alice/src/app")),
            Some("/home/alice"),
        );
        (landing.path, landing.in_project)
    }

    #[test]
    fn paths_land_where_compose_puts_them() {
        let cases = [
            ("~/../..", "/", false),
            ("~/..", "/home", false),
            ("~", "/home/alice", false),
            ("~/", "/home/alice", false),
            ("~alice", "/home/alice/alice", false),
            ("~/projects", "/home/alice/projects", false),
            ("..", "/home/alice/src", false),
            ("../..", "/home/alice", false),
            ("../../../..", "/", false),
            ("../../../../../../..", "/", false),
            (".", "/home/alice/src/app", true),
            ("./data", "/home/alice/src/app/data", true),
            ("data/..", "/home/alice/src/app", true),
            ("./x/../../..", "/home/alice", false),
            ("/var/run/../run", "/var/run", false),
            ("//etc/./ssh/", "/etc/ssh", false),
            ("/..", "/", false),
            (" /srv/data ", "/srv/data", false),
        ];
        for (source, path, in_project) in cases {
            assert_eq!(at(source), (path.to_string(), in_project), "{source}");
        }
    }

    #[test]
    fn the_home_and_what_holds_it() {
        let holds = |source: &str| {
            land(
                source,
                Some(Path::new("/home/alice/src/app")),
                Some("/home/alice/"),
            )
            .holds_home
        };
        for source in [
            "~",
            "~/..",
            "../..",
            "../../..",
            "/home",
            "/",
            "/home/alice/",
        ] {
            assert!(holds(source), "{source}");
        }
        for source in ["~/x", "..", "/home/bob", "/home/alicex", "./data"] {
            assert!(!holds(source), "{source}");
        }
    }

    #[test]
    fn folders_in_the_home_are_the_users_own() {
        let in_home = |source: &str, home: Option<&str>| land(source, None, home).in_home;
        assert!(in_home("~/projects", Some("/root")));
        assert!(in_home("~/projects", None));
        assert!(in_home("~alice", Some("/home/alice")));
        for source in ["~", "~/", "~/..", "~/../x", "/root/projects"] {
            assert!(!in_home(source, Some("/root")), "{source}");
            assert!(!in_home(source, None), "{source}");
        }
    }

    #[test]
    fn unknown_home_and_base_stay_relative() {
        let lexical = |source: &str| land(source, None, None).path;
        assert_eq!(lexical("~"), "~");
        assert_eq!(lexical("~/"), "~");
        assert_eq!(lexical("~/../.."), "~/../..");
        assert_eq!(lexical("~/x/.."), "~");
        assert_eq!(lexical("../../x"), "../../x");
        assert_eq!(lexical("./a/../b"), "b");
        assert!(land("~/../..", None, None).holds_home);
        assert!(land("~/", None, None).holds_home);
        assert!(!land("~/../x", None, None).holds_home);
        assert!(!land("~/x", None, None).holds_home);
        assert!(!land("..", None, None).in_project);
        assert!(land("./data", None, None).in_project);
    }

    #[test]
    fn windows_paths_are_left_alone() {
        for source in [r"C:\Users\me", r"\\.\pipe\docker_engine", "c:/x/.."] {
            assert_eq!(land(source, None, Some("/root")).path, source);
        }
    }
}
