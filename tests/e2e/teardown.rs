//! A stack leaves nothing on the engine when its test ends, even when the test fails.

use std::time::Duration;

use crate::support::Stack;
use crate::support::stack::{FAKE, MEMORY};

#[test]
fn a_failing_test_leaves_no_container_network_or_volume() {
    let mut name = String::new();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let stack = Stack::build("teardown", &[FAKE, MEMORY]);
        name = stack.name.clone();
        stack.up(&["fake", "memory"]);
        // Something the compose file does not know about, with the stack's label.
        stack.docker_ok(&[
            "run",
            "-d",
            "--label",
            &format!("dev.mcpgen.stack={}", stack.name),
            "localhost/mcpgen-test-static:1",
            "sleep",
            "60",
        ]);
        panic!("the test fails with the stack up");
    }));
    assert!(outcome.is_err());
    let engine = crate::support::engine::engine();
    let filter = format!("label=dev.mcpgen.stack={name}");
    let t = Duration::from_secs(30);
    for list in [
        vec!["ps", "-aq", "--filter", &filter],
        vec!["network", "ls", "-q", "--filter", &filter],
        vec!["volume", "ls", "-q", "--filter", &filter],
    ] {
        let out = engine.docker(&list, t);
        assert!(out.success(), "{out}");
        assert_eq!(
            out.stdout.trim(),
            "",
            "left behind by {name}: docker {list:?}"
        );
    }
}
