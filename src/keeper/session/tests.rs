use std::time::{Duration, Instant};

use super::*;

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;
const INIT_OK: &str = r#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}},"serverInfo":{"name":"s","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
const LIST_OK: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a"}]}}"#;
const CALL: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a"}}"#;

fn line(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn text(action: &Action) -> String {
    match action {
        Action::ToClient(l) | Action::ToServer(l) => String::from_utf8_lossy(l).into_owned(),
        other => format!("{other:?}"),
    }
}

fn to_client(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToClient(l) => serde_json::from_slice(l).ok(),
            _ => None,
        })
        .collect()
}

fn to_server(actions: &[Action]) -> Vec<Value> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToServer(l) => serde_json::from_slice(l).ok(),
            _ => None,
        })
        .collect()
}

struct Harness {
    session: Session,
    now: Instant,
}

impl Harness {
    fn new() -> Self {
        let mut settings = Settings::new("memory");
        settings.recover_timeout = Duration::from_secs(10);
        let (session, first) = Session::new(settings);
        assert_eq!(first, vec![Action::Spawn(0)]);
        Harness {
            session,
            now: Instant::now(),
        }
    }

    fn client(&mut self, text: &str) -> Vec<Action> {
        self.session.client_line(line(text), self.now)
    }

    fn server(&mut self, text: &str) -> Vec<Action> {
        let generation = self.session.generation();
        self.session.server_line(generation, line(text), self.now)
    }

    fn gone(&mut self, status: Option<i32>) -> Vec<Action> {
        let generation = self.session.generation();
        self.session.server_gone(generation, status, self.now)
    }

    fn later(&mut self, by: Duration) -> Vec<Action> {
        self.now += by;
        self.session.tick(self.now)
    }

    /// A legacy session with the tool list seen.
    fn legacy() -> Self {
        let mut h = Harness::new();
        assert_eq!(h.client(INIT), vec![Action::ToServer(line(INIT))]);
        assert_eq!(h.server(INIT_OK), vec![Action::ToClient(line(INIT_OK))]);
        h.client(INITIALIZED);
        h.client(LIST);
        h.server(LIST_OK);
        h
    }

    /// Answers the keeper's replayed request on the new process.
    fn answer(&mut self, request: &Value, result: Value) -> Vec<Action> {
        let response = json!({"jsonrpc":"2.0","id":request["id"],"result":result});
        self.server(&response.to_string())
    }
}

#[test]
fn forwards_bytes_as_they_came_and_exits_like_the_server_before_the_handshake() {
    let mut h = Harness::new();
    let odd = r#"{ "jsonrpc" : "2.0", "id" : 9, "method" : "initialize" }"#;
    assert_eq!(h.client(odd), vec![Action::ToServer(line(odd))]);
    assert_eq!(
        h.client("not json"),
        vec![Action::ToServer(line("not json"))]
    );
    // Died before answering the handshake: nothing to keep, the client sees the exit.
    assert_eq!(h.gone(Some(3)), vec![Action::Exit(3)]);
}

#[test]
fn a_death_answers_requests_in_flight_and_replays_the_handshake() {
    let mut h = Harness::legacy();
    h.client(CALL);
    let died = h.gone(Some(137));
    let answers = to_client(&died);
    assert_eq!(answers.len(), 1, "{died:?}");
    assert_eq!(answers[0]["id"], 2);
    assert_eq!(answers[0]["error"]["code"], ERROR_CODE);
    assert_eq!(answers[0]["error"]["data"]["retry"], true);
    assert!(
        answers[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("send it again")
    );
    assert!(died.contains(&Action::Spawn(1)), "{died:?}");
    let sent = to_server(&died);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["method"], "initialize");
    assert_eq!(sent[0]["id"], "mcpgen-keeper-1");
    assert_eq!(sent[0]["params"]["clientInfo"]["name"], "t");

    // The client goes on while the server comes back: held, not lost.
    assert!(
        h.client(r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#)
            .is_empty()
    );

    let replayed = h.answer(
        &sent[0],
        json!({"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true,"listChanged":true}}}),
    );
    // The replayed answer is the keeper's: the client never sees it.
    assert!(to_client(&replayed).is_empty(), "{replayed:?}");
    let sent = to_server(&replayed);
    assert_eq!(sent[0]["method"], "notifications/initialized");
    assert_eq!(sent[1]["method"], "tools/list");
    let back = h.answer(&sent[1], json!({"tools":[{"name":"a"}]}));
    // Same tools: no list_changed; the held request goes out.
    assert!(to_client(&back).is_empty(), "{back:?}");
    let sent = to_server(&back);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["id"], 3);
    assert!(back.iter().any(|a| text(a).contains("session restored")));
    assert_eq!(
        h.server(r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[]}}"#)
            .len(),
        1
    );
}

#[test]
fn a_changed_list_is_announced() {
    let mut h = Harness::legacy();
    let died = h.gone(None);
    let init = &to_server(&died)[0];
    let replayed = h.answer(
        init,
        json!({"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}}}),
    );
    let list = &to_server(&replayed)[1];
    let back = h.answer(list, json!({"tools":[{"name":"a"},{"name":"b"}]}));
    let notes = to_client(&back);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["method"], "notifications/tools/list_changed");
    assert!(notes[0].get("id").is_none());
}

#[test]
fn another_protocol_version_or_fewer_capabilities_end_the_session() {
    for result in [
        json!({"protocolVersion":"2025-06-18","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}}}),
        json!({"protocolVersion":"2025-11-25","capabilities":{"tools":{}}}),
    ] {
        let mut h = Harness::legacy();
        let died = h.gone(Some(1));
        h.client(CALL);
        let init = &to_server(&died)[0];
        let end = h.answer(init, result);
        assert_eq!(end.last(), Some(&Action::Exit(1)), "{end:?}");
        assert!(end.contains(&Action::Kill));
        // The held request is answered, not dropped.
        let answers = to_client(&end);
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0]["id"], 2);
        assert_eq!(answers[0]["error"]["data"]["retry"], false);
        assert!(end.iter().any(|a| text(a).contains("different terms")));
    }
}

#[test]
fn a_refused_attempt_is_retried_until_the_bound() {
    let mut h = Harness::legacy();
    let died = h.gone(Some(137));
    let init = &to_server(&died)[0];
    // The shim's own answer when the container cannot be reached.
    let refused = h.server(
        &json!({"jsonrpc":"2.0","id":init["id"],"error":{"code":-32000,"message":"mcpgen: MCP server memory is unavailable"}}).to_string(),
    );
    assert_eq!(refused, vec![Action::Kill]);
    assert!(h.later(Duration::from_millis(100)).is_empty());
    let again = h.later(Duration::from_millis(200));
    assert!(again.contains(&Action::Spawn(2)), "{again:?}");
    // Each further attempt exits at once; the pauses grow to a second, and the bound ends it.
    let mut spawned = 2;
    let mut ended = None;
    for _ in 0..200 {
        let mut actions = h.gone(Some(1));
        actions.extend(h.later(Duration::from_millis(250)));
        if actions.contains(&Action::Spawn(spawned + 1)) {
            spawned += 1;
        }
        if let Some(Action::Exit(code)) = actions.last() {
            ended = Some((*code, actions));
            break;
        }
    }
    let (code, actions) = ended.expect("the session ends within the bound");
    assert_eq!(code, 1);
    assert!(
        actions
            .iter()
            .any(|a| text(a).contains("could not be brought back within 10s")),
        "{actions:?}"
    );
    assert!((10..=20).contains(&spawned), "{spawned} attempts in 10 s");
}

#[test]
fn a_server_that_keeps_dying_is_not_revived_past_the_cap() {
    let mut h = Harness::legacy();
    for round in 1..=Settings::DEFAULT_MAX_REVIVALS {
        let died = h.gone(Some(137));
        assert!(died.contains(&Action::Spawn(round as u64)), "{died:?}");
        let init = &to_server(&died)[0];
        let replayed = h.answer(
            init,
            json!({"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}}}),
        );
        let list = &to_server(&replayed)[1];
        h.answer(list, json!({"tools":[{"name":"a"}]}));
        h.now += Duration::from_secs(5);
    }
    let last = h.gone(Some(137));
    assert_eq!(last.last(), Some(&Action::Exit(1)));
    assert!(
        last.iter().any(|a| text(a).contains("revived 5 times")),
        "{last:?}"
    );
}

#[test]
fn server_requests_are_cancelled_and_new_ones_never_reuse_their_ids() {
    let mut h = Harness::legacy();
    let ask = r#"{"jsonrpc":"2.0","id":0,"method":"sampling/createMessage","params":{}}"#;
    assert_eq!(h.server(ask), vec![Action::ToClient(line(ask))]);
    let died = h.gone(Some(137));
    let notes = to_client(&died);
    assert_eq!(notes[0]["method"], "notifications/cancelled");
    assert_eq!(notes[0]["params"]["requestId"], 0);
    // The client's late answer to the cancelled request goes nowhere.
    assert!(
        h.client(r#"{"jsonrpc":"2.0","id":0,"result":{}}"#)
            .is_empty()
    );
    let init = &to_server(&died)[0];
    // The new process asks again with id 0: the client sees another id, and its answer goes
    // back under 0.
    let asked = h.server(ask);
    let forwarded = to_client(&asked);
    assert_ne!(forwarded[0]["id"], 0);
    let answer = json!({"jsonrpc":"2.0","id":forwarded[0]["id"],"result":{"ok":true}});
    let routed = to_server(&h.client(&answer.to_string()));
    assert_eq!(routed[0]["id"], 0);
    assert_eq!(routed[0]["result"]["ok"], true);
    let _ = init;
}

#[test]
fn subscriptions_and_the_log_level_are_replayed() {
    let mut h = Harness::legacy();
    h.client(
        r#"{"jsonrpc":"2.0","id":5,"method":"resources/subscribe","params":{"uri":"memo://a"}}"#,
    );
    h.server(r#"{"jsonrpc":"2.0","id":5,"result":{}}"#);
    h.client(
        r#"{"jsonrpc":"2.0","id":6,"method":"resources/subscribe","params":{"uri":"memo://b"}}"#,
    );
    h.server(r#"{"jsonrpc":"2.0","id":6,"result":{}}"#);
    h.client(
        r#"{"jsonrpc":"2.0","id":7,"method":"resources/unsubscribe","params":{"uri":"memo://a"}}"#,
    );
    h.server(r#"{"jsonrpc":"2.0","id":7,"result":{}}"#);
    h.client(r#"{"jsonrpc":"2.0","id":8,"method":"logging/setLevel","params":{"level":"debug"}}"#);
    h.server(r#"{"jsonrpc":"2.0","id":8,"result":{}}"#);
    let died = h.gone(Some(137));
    let mut sent = to_server(&died);
    let mut methods = Vec::new();
    for _ in 0..10 {
        let Some(request) = sent.iter().find(|m| m.get("id").is_some()).cloned() else {
            break;
        };
        methods.extend(
            sent.iter()
                .map(|m| m["method"].as_str().unwrap_or("").to_string()),
        );
        let result = if request["method"] == "initialize" {
            json!({"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"resources":{"subscribe":true}}})
        } else if request["method"] == "tools/list" {
            json!({"tools":[{"name":"a"}]})
        } else {
            json!({})
        };
        sent = to_server(&h.answer(&request, result));
    }
    assert_eq!(
        methods,
        [
            "initialize",
            "notifications/initialized",
            "logging/setLevel",
            "resources/subscribe",
            "tools/list"
        ]
    );
}

#[test]
fn a_modern_session_is_checked_by_discovery() {
    let meta = json!({"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}});
    for (answer, survives) in [
        (
            json!({"result":{"supportedVersions":["2026-07-28"],"capabilities":{"tools":{}}}}),
            true,
        ),
        (
            json!({"result":{"supportedVersions":["2027-01-01"],"capabilities":{"tools":{}}}}),
            false,
        ),
        (
            json!({"error":{"code":-32021,"message":"unsupported","data":{"supported":["2027-01-01"]}}}),
            false,
        ),
    ] {
        let mut h = Harness::new();
        let list = json!({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":meta}});
        h.client(&list.to_string());
        h.server(LIST_OK);
        let died = h.gone(Some(137));
        let sent = to_server(&died);
        assert_eq!(sent[0]["method"], "server/discover");
        assert_eq!(sent[0]["params"]["_meta"], meta);
        let mut response = answer.clone();
        response["jsonrpc"] = json!("2.0");
        response["id"] = sent[0]["id"].clone();
        let next = h.server(&response.to_string());
        if survives {
            let sent = to_server(&next);
            assert_eq!(sent[0]["method"], "tools/list");
            assert_eq!(sent[0]["params"]["_meta"], meta);
        } else {
            assert_eq!(next.last(), Some(&Action::Exit(1)), "{answer}: {next:?}");
        }
    }
}

#[test]
fn the_client_closing_lets_the_server_finish() {
    let mut h = Harness::legacy();
    h.client(CALL);
    assert_eq!(
        h.session.client_closed(h.now),
        vec![Action::CloseServerInput]
    );
    // Its last answer still reaches the client.
    let last = r#"{"jsonrpc":"2.0","id":2,"result":{}}"#;
    assert_eq!(h.server(last), vec![Action::ToClient(line(last))]);
    assert_eq!(h.gone(Some(0)), vec![Action::Exit(0)]);
}

#[test]
fn a_server_that_ignores_the_close_is_ended() {
    let mut h = Harness::legacy();
    h.session.client_closed(h.now);
    let ended = h.later(Duration::from_secs(11));
    assert!(ended.contains(&Action::Kill));
    assert_eq!(ended.last(), Some(&Action::Exit(1)));
}

#[test]
fn settings_come_from_the_environment_and_typos_keep_the_defaults() {
    let (settings, warnings) = Settings::from_env("x", |key| match key {
        "MCPGEN_RECOVER_TIMEOUT" => Some("2.5".into()),
        "MCPGEN_MAX_REVIVALS" => Some("0".into()),
        _ => None,
    });
    assert_eq!(settings.recover_timeout, Duration::from_millis(2500));
    assert_eq!(settings.max_revivals, 0);
    assert!(warnings.is_empty());
    let (settings, warnings) = Settings::from_env("x", |key| match key {
        "MCPGEN_RECOVER_TIMEOUT" => Some("soon".into()),
        "MCPGEN_MAX_REVIVALS" => Some("-1".into()),
        _ => None,
    });
    assert_eq!(settings.recover_timeout, Settings::DEFAULT_RECOVER_TIMEOUT);
    assert_eq!(settings.max_revivals, Settings::DEFAULT_MAX_REVIVALS);
    assert_eq!(warnings.len(), 2);
}
