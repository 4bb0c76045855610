//! Just enough of a JSON-RPC message to route it: the keeper forwards the bytes it was given and
//! only reads the envelope (`id`, `method`, whether it is a result or an error). The payload is
//! skipped, not built: a 4 MB file read costs one validating scan, not a tree.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// What one line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    Request {
        id: IdKey,
        method: std::borrow::Cow<'a, str>,
    },
    Notification {
        method: std::borrow::Cow<'a, str>,
    },
    Response {
        id: IdKey,
        ok: bool,
    },
    /// Not a JSON-RPC object (a batch, or not JSON at all): forwarded untouched.
    Other,
}

/// A request id as it was written (`5`, `"abc"`): the key under which its answer is expected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdKey(pub String);

impl IdKey {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The keeper's own requests have string ids no client or server picks.
    pub fn keeper(sequence: u64) -> IdKey {
        IdKey(format!("\"mcpgen-keeper-{sequence}\""))
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    method: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
    #[serde(default, borrow)]
    error: Option<&'a RawValue>,
}

pub fn classify(line: &[u8]) -> Kind<'_> {
    let Ok(envelope) = serde_json::from_slice::<Envelope<'_>>(line) else {
        return Kind::Other;
    };
    let id = envelope
        .id
        .map(|raw| IdKey(raw.get().to_string()))
        .filter(|id| id.0 != "null");
    match (id, envelope.method) {
        (Some(id), Some(method)) => Kind::Request { id, method },
        (None, Some(method)) => Kind::Notification { method },
        (Some(id), None) if envelope.result.is_some() || envelope.error.is_some() => {
            Kind::Response {
                id,
                ok: envelope.result.is_some(),
            }
        }
        _ => Kind::Other,
    }
}

/// The message as a tree, for the few the keeper remembers or rewrites.
pub fn parse(line: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(line) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

pub fn to_line(message: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(message).unwrap_or_default()
}

/// `line` with its `id` replaced (a replayed request, a server request's id in the client's
/// space, and back).
pub fn with_id(line: &[u8], id: &IdKey) -> Option<Vec<u8>> {
    let mut message = parse(line)?;
    message.insert("id".to_string(), id.value());
    Some(to_line(&message))
}

/// The `result` of a response, as a tree.
pub fn result(line: &[u8]) -> Option<Value> {
    parse(line)?.remove("result")
}

/// `params._meta` of a request: in the 2026-07-28 era it carries the protocol version and the
/// client's capabilities on every request.
pub fn meta(line: &[u8]) -> Option<Value> {
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(default, borrow)]
        params: Option<&'a RawValue>,
    }
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "_meta")]
        meta: Option<Value>,
    }
    let params = serde_json::from_slice::<Params<'_>>(line).ok()?.params?;
    serde_json::from_str::<Meta>(params.get()).ok()?.meta
}

/// `params.<key>` of a request, as a string (`uri` of a subscription).
pub fn param_str(line: &[u8], key: &str) -> Option<String> {
    parse(line)?
        .get("params")?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

pub fn has_param(line: &[u8], key: &str) -> bool {
    parse(line)
        .and_then(|m| m.get("params").map(|p| p.get(key).is_some()))
        .unwrap_or(false)
}

pub fn error_response(id: &IdKey, code: i64, message: &str, data: Value) -> Vec<u8> {
    let response = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.value(),
        "error": {"code": code, "message": message, "data": data},
    });
    serde_json::to_vec(&response).unwrap_or_default()
}

pub fn notification(method: &str, params: Option<Value>) -> Vec<u8> {
    let mut message = Map::new();
    message.insert("jsonrpc".to_string(), Value::from("2.0"));
    message.insert("method".to_string(), Value::from(method));
    if let Some(params) = params {
        message.insert("params".to_string(), params);
    }
    to_line(&message)
}

pub fn request(id: &IdKey, method: &str, params: Value) -> Vec<u8> {
    let message = serde_json::json!({
        "jsonrpc": "2.0", "id": id.value(), "method": method, "params": params,
    });
    serde_json::to_vec(&message).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_each_kind_of_message() {
        let request = classify(br#"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#);
        assert_eq!(
            request,
            Kind::Request {
                id: IdKey("5".into()),
                method: "tools/list".into()
            }
        );
        let note = classify(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        assert_eq!(
            note,
            Kind::Notification {
                method: "notifications/initialized".into()
            }
        );
        let ok = classify(br#"{"jsonrpc":"2.0","id":"a\"b","result":{"x":[1,2]}}"#);
        assert_eq!(
            ok,
            Kind::Response {
                id: IdKey(r#""a\"b""#.into()),
                ok: true
            }
        );
        let error = classify(br#"{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}"#);
        assert_eq!(
            error,
            Kind::Response {
                id: IdKey("1".into()),
                ok: false
            }
        );
        assert_eq!(classify(b"[1,2]"), Kind::Other);
        assert_eq!(classify(b"not json"), Kind::Other);
        assert_eq!(
            classify(br#"{"jsonrpc":"2.0","id":null,"x":1}"#),
            Kind::Other
        );
    }

    #[test]
    fn rewrites_only_the_id() {
        let line = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"a":1}}"#;
        let new = with_id(line, &IdKey::keeper(3)).unwrap();
        assert_eq!(
            String::from_utf8(new).unwrap(),
            r#"{"jsonrpc":"2.0","id":"mcpgen-keeper-3","method":"initialize","params":{"a":1}}"#
        );
    }

    #[test]
    fn reads_the_modern_meta_and_params() {
        let line = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        let meta = meta(line).unwrap();
        assert_eq!(
            meta["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        assert_eq!(meta_of_nothing(), None);
        let sub = br#"{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"file:///a"}}"#;
        assert_eq!(param_str(sub, "uri").as_deref(), Some("file:///a"));
        assert!(has_param(sub, "uri"));
        assert!(!has_param(sub, "cursor"));
    }

    fn meta_of_nothing() -> Option<Value> {
        meta(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
    }
}
