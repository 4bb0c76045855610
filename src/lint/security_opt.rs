//! `security_opt` as the engine reads it (moby's `parseSecurityOpt`): entries in order, each
//! `key=value` or, older, `key:value` (split at `=` when there is one); the bare
//! `no-new-privileges` means true. `no-new-privileges`, `seccomp` and `apparmor` are single
//! settings, so a later entry overrides an earlier one; `label` entries add up.

use super::view::Located;

/// One entry, split.
#[derive(Debug)]
pub struct SecurityOpt<'a> {
    /// Lower-cased: mcpgen reads `Seccomp:unconfined` as meant rather than as a typo.
    pub key: String,
    pub value: &'a str,
    pub entry: &'a Located<String>,
}

pub fn split(entry: &Located<String>) -> SecurityOpt<'_> {
    let text = entry.value.trim();
    let (key, value) = if text.eq_ignore_ascii_case("no-new-privileges") {
        (text, "true")
    } else if let Some(split) = text.split_once('=') {
        split
    } else {
        text.split_once(':').unwrap_or((text, ""))
    };
    SecurityOpt {
        key: key.trim().to_ascii_lowercase(),
        value: value.trim(),
        entry,
    }
}

/// The entry that decides a single setting: the last one with that key.
pub fn last<'a>(options: &'a [Located<String>], key: &str) -> Option<SecurityOpt<'a>> {
    options
        .iter()
        .rev()
        .map(split)
        .find(|option| option.key == key)
}

/// Whether a later entry sets the same single setting, so this one has no effect.
pub fn overridden(options: &[Located<String>], index: usize) -> bool {
    let key = split(&options[index]).key;
    matches!(key.as_str(), "no-new-privileges" | "seccomp" | "apparmor")
        && options[index + 1..]
            .iter()
            .any(|later| split(later).key == key)
}

/// Go's `strconv.ParseBool`, which the engine reads `no-new-privileges` with.
pub fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(items: &[&str]) -> Vec<Located<String>> {
        items
            .iter()
            .map(|item| Located {
                value: (*item).to_string(),
                span: None,
                note: None,
            })
            .collect()
    }

    #[test]
    fn entries_split_as_the_engine_splits_them() {
        let list = options(&[
            "no-new-privileges",
            "seccomp=/etc/p:1.json",
            "apparmor:unconfined",
            "label=type:spc_t",
        ]);
        let split: Vec<(String, &str)> = list.iter().map(split).map(|o| (o.key, o.value)).collect();
        assert_eq!(
            split,
            [
                ("no-new-privileges".to_string(), "true"),
                ("seccomp".to_string(), "/etc/p:1.json"),
                ("apparmor".to_string(), "unconfined"),
                ("label".to_string(), "type:spc_t"),
            ]
        );
    }

    #[test]
    fn the_last_entry_of_a_single_setting_wins() {
        let list = options(&[
            "no-new-privileges:true",
            "seccomp:unconfined",
            "no-new-privileges=false",
            "label:disable",
            "seccomp:./profile.json",
            "label:type:spc_t",
        ]);
        assert_eq!(
            last(&list, "no-new-privileges").map(|o| o.value),
            Some("false")
        );
        assert_eq!(
            last(&list, "seccomp").map(|o| o.value),
            Some("./profile.json")
        );
        assert!(last(&list, "apparmor").is_none());
        let overridden: Vec<bool> = (0..list.len()).map(|i| overridden(&list, i)).collect();
        assert_eq!(overridden, [true, true, false, false, false, false]);
    }

    #[test]
    fn booleans_as_go_reads_them() {
        assert_eq!(go_bool("True"), Some(true));
        assert_eq!(go_bool("0"), Some(false));
        assert_eq!(go_bool("yes"), None);
        assert_eq!(go_bool("tRUE"), None);
    }
}
