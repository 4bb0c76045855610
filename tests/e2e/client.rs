//! A real MCP client that is not mcpgen (the Python SDK) talks to the real filesystem and
//! memory servers through the generated shims, run exactly as the client config says.

use serde_json::json;

use crate::figure;
use crate::support::stack::{FILESYSTEM, MEMORY};
use crate::support::{Stack, call, list_tools};

#[test]
fn filesystem_reads_the_mount_and_refuses_writes_through_the_shim() {
    let stack = Stack::build("fs", &[FILESYSTEM]);
    stack.up(&["filesystem"]);
    let sessions = stack
        .client("filesystem", "hardened")
        .session(vec![
            list_tools(),
            call("read_text_file", json!({"path": "/projects/hello.txt"})),
            call(
                "write_file",
                json!({"path": "/projects/written.txt", "content": "no"}),
            ),
        ])
        .run();
    let session = &sessions[0];
    assert!(session.ok, "{session:?}");
    figure!(
        "filesystem through the shim: handshake {} ms, session {} ms, protocol {:?}",
        session.handshake_ms.unwrap_or(0),
        session.elapsed_ms,
        session.protocol_version
    );
    let tools = session.tools(0);
    for tool in ["read_text_file", "write_file", "list_directory"] {
        assert!(tools.iter().any(|t| t == tool), "no {tool} in {tools:?}");
    }
    let read = &session.results[1];
    assert_eq!(read["is_error"], false, "{read}");
    assert_eq!(read["text"], "hello from the host\n");
    let write = &session.results[2];
    assert_eq!(
        write["is_error"], true,
        "a write to the read-only mount: {write}"
    );
    let refusal = write["text"].as_str().unwrap_or_default();
    assert!(
        refusal.contains("EROFS") || refusal.contains("read-only"),
        "{refusal}"
    );
    assert!(!stack.root().join("projects/written.txt").exists());
}

#[test]
fn memory_keeps_its_graph_in_the_named_volume_across_sessions() {
    let stack = Stack::build("memory", &[MEMORY]);
    stack.up(&["memory"]);
    let entity = json!({"entities": [{
        "name": "mcpgen-e2e",
        "entityType": "test",
        "observations": ["written in the first session"],
    }]});
    let read_back = || vec![call("open_nodes", json!({"names": ["mcpgen-e2e"]}))];
    let sessions = stack
        .client("memory", "hardened")
        .session(vec![list_tools(), call("create_entities", entity)])
        .session(read_back())
        .run();
    assert!(sessions.iter().all(|s| s.ok), "{sessions:?}");
    assert!(sessions[0].tools(0).iter().any(|t| t == "create_entities"));
    let text = sessions[1].results[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("written in the first session"),
        "the second session did not see the entity: {text}"
    );

    // The graph is in the volume, not the container: remove the container, and the shim
    // recreates it (`compose up` of a missing service) and the entity is still there.
    stack.docker_ok(&["rm", "-f", &stack.container("memory")]);
    let sessions = stack
        .client("memory", "hardened")
        .session(read_back())
        .run();
    let session = &sessions[0];
    assert!(session.ok, "{session:?}\n{}", stack.engine_view());
    assert!(
        session.stderr.contains("starting container"),
        "the shim did not start the missing container: {}",
        session.stderr
    );
    let text = session.results[0]["text"].as_str().unwrap_or_default();
    assert!(text.contains("written in the first session"), "{text}");
    figure!(
        "memory after `docker rm -f`: the shim recreated the container and answered in {} ms; the entity survived in the volume",
        session.handshake_ms.unwrap_or(0)
    );
}
