//! TOML text → JSON value with a span for every key and value, checked against the schema that
//! the raw types generate, then deserialized. Every syntax, key and type error is collected.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::ConfigError;
use super::raw::RawConfig;

/// Where a key and its value sit in the source, by JSON pointer (`/servers/memory/image`).
#[derive(Debug, Default)]
pub struct SpanIndex {
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    key: Option<Range<usize>>,
    value: Range<usize>,
}

impl SpanIndex {
    /// The value's span (for a table, the whole table).
    pub fn value(&self, pointer: &str) -> Option<Range<usize>> {
        self.entries.get(pointer).map(|e| e.value.clone())
    }

    /// The key's span where there is one, else the value's: what a "missing here" points at.
    pub fn key(&self, pointer: &str) -> Option<Range<usize>> {
        self.entries
            .get(pointer)
            .map(|e| e.key.clone().unwrap_or_else(|| e.value.clone()))
    }

    fn insert(&mut self, pointer: String, key: Option<Range<usize>>, value: Range<usize>) {
        self.entries.insert(pointer, Entry { key, value });
    }
}

pub struct Parsed {
    pub raw: RawConfig,
    pub spans: SpanIndex,
}

/// Escapes a key for use as one JSON pointer segment (RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

pub fn parse(text: &str) -> Result<Parsed, Vec<ConfigError>> {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    if !syntax_errors.is_empty() {
        return Err(syntax_errors
            .iter()
            .map(|error| ConfigError::Syntax {
                span: error.span().unwrap_or(0..0),
                message: error.message().to_string(),
            })
            .collect());
    }
    let mut spans = SpanIndex::default();
    let mut errors = Vec::new();
    let root_span = document.span();
    let json = table_to_json(document.get_ref(), "", &mut spans, &mut errors);
    spans.insert(String::new(), None, root_span);
    if !errors.is_empty() {
        return Err(errors);
    }
    let json = Value::Object(json);
    let schema_errors = check_schema(&json, &spans);
    if !schema_errors.is_empty() {
        return Err(schema_errors);
    }
    match serde_json::from_value::<RawConfig>(json) {
        Ok(raw) => Ok(Parsed { raw, spans }),
        // The schema is generated from the same types, so this is a mismatch between the two.
        Err(error) => Err(vec![ConfigError::Syntax {
            span: 0..0,
            message: format!("internal error: schema accepted what the model rejects: {error}"),
        }]),
    }
}

fn table_to_json(
    table: &DeTable<'_>,
    pointer: &str,
    spans: &mut SpanIndex,
    errors: &mut Vec<ConfigError>,
) -> Map<String, Value> {
    let mut object = Map::new();
    for (key, value) in table {
        let child = format!("{pointer}/{}", pointer_segment(key.get_ref()));
        spans.insert(child.clone(), Some(key.span()), value.span());
        let json = value_to_json(value, &child, spans, errors);
        object.insert(key.get_ref().to_string(), json);
    }
    object
}

fn value_to_json(
    value: &Spanned<DeValue<'_>>,
    pointer: &str,
    spans: &mut SpanIndex,
    errors: &mut Vec<ConfigError>,
) -> Value {
    match value.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => Value::from(n),
            Err(_) => {
                errors.push(ConfigError::Syntax {
                    span: value.span(),
                    message: "integer out of range".to_string(),
                });
                Value::Null
            }
        },
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Value::from(n),
            _ => {
                errors.push(ConfigError::Syntax {
                    span: value.span(),
                    message: "expected a finite number".to_string(),
                });
                Value::Null
            }
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        // Dates have no place in mcp.toml; the schema reports the type error.
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    let child = format!("{pointer}/{index}");
                    spans.insert(child.clone(), None, item.span());
                    value_to_json(item, &child, spans, errors)
                })
                .collect(),
        ),
        DeValue::Table(table) => Value::Object(table_to_json(table, pointer, spans, errors)),
    }
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(super::json_schema)
}

fn check_schema(json: &Value, spans: &SpanIndex) -> Vec<ConfigError> {
    let validator = match jsonschema::validator_for(schema()) {
        Ok(validator) => validator,
        Err(error) => {
            return vec![ConfigError::Syntax {
                span: 0..0,
                message: format!("internal error: invalid mcp.toml schema: {error}"),
            }];
        }
    };
    let mut errors: Vec<ConfigError> = validator
        .iter_errors(json)
        .flat_map(|error| schema_error(&error, json, spans))
        .collect();
    errors.sort_by_key(|e| e.span().start);
    errors.dedup_by(|a, b| a.span() == b.span() && a.to_string() == b.to_string());
    errors
}

fn schema_error(
    error: &jsonschema::ValidationError<'_>,
    json: &Value,
    spans: &SpanIndex,
) -> Vec<ConfigError> {
    use jsonschema::error::ValidationErrorKind as Kind;
    let pointer = error.instance_path().to_string();
    let value_span = spans.value(&pointer).unwrap_or(0..0);
    let key_span = spans.key(&pointer).unwrap_or(0..0);
    let instance = json.pointer(&pointer);
    match error.kind() {
        Kind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|key| {
                let child = format!("{pointer}/{}", pointer_segment(key));
                ConfigError::UnknownKey {
                    span: spans.key(&child).unwrap_or_else(|| key_span.clone()),
                    key: key.clone(),
                    table: table_name(&pointer),
                    suggestion: suggest(key, &known_keys(&pointer)),
                }
            })
            .collect(),
        Kind::Required { property } => vec![ConfigError::MissingKey {
            span: key_span,
            key: property.as_str().unwrap_or_default().to_string(),
            table: table_name(&pointer),
        }],
        Kind::Type { kind } => vec![ConfigError::WrongType {
            span: value_span,
            expected: describe_type(kind),
            found: instance.map_or("nothing", json_type_name).to_string(),
        }],
        Kind::Enum { options } => vec![ConfigError::NotOneOf {
            span: value_span,
            found: instance.map(ToString::to_string).unwrap_or_default(),
            options: options
                .as_array()
                .map(|values| {
                    values
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        }],
        _ => vec![ConfigError::Invalid {
            span: value_span,
            message: error.to_string(),
        }],
    }
}

fn describe_type(kind: &jsonschema::error::TypeKind) -> String {
    use jsonschema::error::TypeKind;
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a table".to_string(),
        "array" => "an array".to_string(),
        "integer" => "an integer".to_string(),
        other => format!("a {other}"),
    };
    match kind {
        TypeKind::Single(t) => name(t),
        TypeKind::Multiple(types) => types
            .iter()
            .map(|t| name(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

/// The TOML name of the table at a pointer: `/servers/memory/limits` → `servers.memory.limits`.
fn table_name(pointer: &str) -> String {
    if pointer.is_empty() {
        "the top level".to_string()
    } else {
        format!("[{}]", pointer.trim_start_matches('/').replace('/', "."))
    }
}

/// The keys the schema allows at a pointer, found by walking the schema alongside the path.
fn known_keys(pointer: &str) -> Vec<String> {
    let root = schema();
    let mut node = root;
    for segment in pointer.split('/').skip(1) {
        node = resolve(root, node);
        node = if let Some(child) = node.get("properties").and_then(|p| p.get(segment)) {
            child
        } else if let Some(items) = node.get("items") {
            items
        } else if let Some(additional) = node.get("additionalProperties").filter(|a| a.is_object())
        {
            additional
        } else {
            return Vec::new();
        };
    }
    let node = resolve(root, node);
    node.get("properties")
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// Follows `$ref` and single-entry `anyOf` (schemars' shape for `Option<Struct>`).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
            match root.pointer(reference.trim_start_matches('#')) {
                Some(target) => node = target,
                None => return node,
            }
        } else if let Some(first) = node
            .get("anyOf")
            .and_then(Value::as_array)
            .and_then(|options| options.iter().find(|o| o.get("$ref").is_some()))
        {
            node = first;
        } else {
            return node;
        }
    }
    node
}

/// The closest known key, if it is close enough to be a likely typo.
pub fn suggest(unknown: &str, known: &[String]) -> Option<String> {
    known
        .iter()
        .map(|candidate| (strsim::jaro_winkler(unknown, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "[stack]\nname = \"mcp\"\n";
        let parsed = parse(text)
            .map_err(|e| format!("{e:?}"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            &text[parsed.spans.value("/stack/name").unwrap_or(0..0)],
            "\"mcp\""
        );
        assert_eq!(
            &text[parsed.spans.key("/stack/name").unwrap_or(0..0)],
            "name"
        );
    }

    #[test]
    fn known_keys_follow_refs() {
        let keys = known_keys("/servers/x/limits");
        assert!(keys.contains(&"memory".to_string()), "{keys:?}");
        assert!(known_keys("/servers/x").contains(&"image".to_string()));
    }

    #[test]
    fn suggests_close_keys_only() {
        let known = vec!["read_only".to_string(), "image".to_string()];
        assert_eq!(suggest("readonly", &known).as_deref(), Some("read_only"));
        assert_eq!(suggest("zzz", &known), None);
    }
}
