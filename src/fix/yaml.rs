//! Fixes in compose YAML as text edits at the spans the front end recorded: the user's comments,
//! quoting and layout stay as they were, which no YAML serializer would keep.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::lint::{Fix, ServiceView};
use crate::source::{FileId, Sources, Span};

/// One replacement in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    range: Range<usize>,
    text: String,
}

/// The text of a fix's value where a YAML scalar goes, quoted where YAML needs it.
fn yaml_item(item: &str) -> String {
    if item.contains(':') {
        format!("\"{item}\"")
    } else {
        item.to_string()
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Where a new key of a service goes, and its indentation: after the service key's line, at
/// the indentation of the service's first key. `None` for a flow mapping (`app: {image: x}`).
fn new_key_at(text: &str, service_key: &Span) -> Option<(usize, String)> {
    let key_line_start = line_start(text, service_key.start());
    let key_indent = indentation(&text[key_line_start..]);
    let after_key_line = text[service_key.end()..].find('\n')? + service_key.end() + 1;
    let rest_of_key_line = &text[service_key.end()..after_key_line];
    if rest_of_key_line.contains('{') {
        return None;
    }
    let body_indent = text[after_key_line..]
        .lines()
        .find(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(indentation)
        .filter(|indent| *indent > key_indent)
        .unwrap_or(key_indent + 2);
    Some((after_key_line, " ".repeat(body_indent)))
}

fn span_in<'a>(sources: &'a Sources, span: &Span) -> &'a str {
    &sources.get(span.file).text
}

fn edits_for(sources: &Sources, service: &ServiceView, fix: Fix) -> Option<(FileId, Edit)> {
    let key = service.span.as_ref()?;
    let insert_key = |line: String| -> Option<(FileId, Edit)> {
        let text = span_in(sources, key);
        let (at, indent) = new_key_at(text, key)?;
        Some((
            key.file,
            Edit {
                range: at..at,
                text: format!("{indent}{line}\n"),
            },
        ))
    };
    match fix {
        Fix::SetBool { key: name, value } => {
            let current = match name {
                "read_only" => service.read_only.as_ref(),
                "init" => service.init.as_ref(),
                _ => None,
            };
            match current.and_then(|c| c.span) {
                // Only a plain scalar is replaced; a `${VAR:-false}` is the user's to decide.
                Some(span)
                    if matches!(
                        span_in(sources, &span).get(span.range()),
                        Some("false" | "False" | "FALSE" | "no" | "\"false\"" | "'false'")
                    ) =>
                {
                    Some((
                        span.file,
                        Edit {
                            range: span.range(),
                            text: value.to_string(),
                        },
                    ))
                }
                Some(_) => None,
                None => insert_key(format!("{name}: {value}")),
            }
        }
        Fix::EnsureItem { key: name, item } => {
            let items = match name {
                "cap_drop" => &service.cap_drop,
                "security_opt" => &service.security_opt,
                _ => return None,
            };
            let Some(first) = items.first().and_then(|f| f.span) else {
                return insert_key(format!("{name}: [{}]", yaml_item(item)));
            };
            let text = span_in(sources, &first);
            let before = text[line_start(text, first.start())..first.start()].trim_end();
            let edit = if before.ends_with('-') {
                // Block sequence: a new `- item` line above the first, at its indentation.
                let start = line_start(text, first.start());
                let prefix = &text[start..first.start()];
                Edit {
                    range: start..start,
                    text: format!("{prefix}{}\n", yaml_item(item)),
                }
            } else {
                Edit {
                    range: first.start()..first.start(),
                    text: format!("{}, ", yaml_item(item)),
                }
            };
            Some((first.file, edit))
        }
    }
}

/// The fixed text of each file that changes, by file.
pub(crate) fn apply(
    sources: &Sources,
    services: &[ServiceView],
    fixes: &[(&str, Fix)],
) -> BTreeMap<FileId, String> {
    let mut by_file: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    for (name, fix) in fixes {
        let Some(service) = services.iter().find(|s| s.name == *name) else {
            continue;
        };
        if let Some((file, edit)) = edits_for(sources, service, *fix) {
            let edits = by_file.entry(file).or_default();
            // Services sharing an anchor share its fix: make it once.
            if !edits.contains(&edit) {
                edits.push(edit);
            }
        }
    }
    by_file
        .into_iter()
        .map(|(file, mut edits)| {
            let mut text = sources.get(file).text.clone();
            // From the end, so earlier offsets stay valid; inserts at one place keep their order.
            let mut edits: Vec<(usize, Edit)> = edits.drain(..).enumerate().collect();
            edits.sort_by_key(|(index, e)| std::cmp::Reverse((e.range.start, *index)));
            for (_, edit) in edits {
                text.replace_range(edit.range, &edit.text);
            }
            (file, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    fn fixed(files: &[(&str, &str)]) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, text)| {
                let path = dir.path().join(name);
                std::fs::write(&path, text).unwrap();
                path
            })
            .collect();
        let mut sources = Sources::default();
        let project = crate::frontend::compose::load(&mut sources, &paths, &|_| None).unwrap();
        let findings = crate::lint::run(&project.services, &Default::default());
        let fixes = crate::fix::wanted(&findings);
        let changed = apply(&sources, &project.services, &fixes);
        paths
            .iter()
            .map(|path| {
                changed
                    .iter()
                    .find(|(file, _)| sources.get(**file).path == *path)
                    .map_or_else(
                        || std::fs::read_to_string(path).unwrap(),
                        |(_, t)| t.clone(),
                    )
            })
            .collect()
    }

    #[test]
    fn block_style_gets_keys_and_items_at_its_indentation() {
        let text = "services:\n  app:   # the app\n    image: a:1\n    read_only: false  # oops\n    cap_drop:\n      - NET_RAW\n";
        let out = &fixed(&[("compose.yml", text)])[0];
        assert_eq!(
            out,
            "services:\n  app:   # the app\n    security_opt: [\"no-new-privileges:true\"]\n    init: true\n    image: a:1\n    read_only: true  # oops\n    cap_drop:\n      - ALL\n      - NET_RAW\n"
        );
    }

    #[test]
    fn flow_lists_get_the_item_in_front() {
        let text = "services:\n  app:\n    image: a:1\n    read_only: true\n    init: true\n    cap_drop: [chown]\n    security_opt: [label:type:x]\n";
        let out = &fixed(&[("compose.yml", text)])[0];
        assert!(out.contains("cap_drop: [ALL, chown]"), "{out}");
        assert!(
            out.contains("security_opt: [\"no-new-privileges:true\", label:type:x]"),
            "{out}"
        );
    }

    #[test]
    fn a_shared_anchor_is_fixed_once_where_it_is_defined() {
        let text = "x-base: &base\n  read_only: false\n  init: true\n  cap_drop: [ALL]\n  security_opt: [\"no-new-privileges:true\"]\nservices:\n  a:\n    <<: *base\n    image: a:1\n  b:\n    <<: *base\n    image: b:1\n";
        let out = &fixed(&[("compose.yml", text)])[0];
        assert_eq!(out.matches("read_only: true").count(), 1, "{out}");
        assert!(!out.contains("false"));
    }

    #[test]
    fn a_reset_in_an_override_is_fixed_in_the_override() {
        let base = "services:\n  app:\n    image: a:1\n    read_only: true\n    init: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n";
        let over = "services:\n  app:\n    read_only: false\n";
        let out = fixed(&[("compose.yml", base), ("override.yml", over)]);
        assert_eq!(out[0], base);
        assert_eq!(out[1], "services:\n  app:\n    read_only: true\n");
        let _ = Path::new("unused");
    }
}
