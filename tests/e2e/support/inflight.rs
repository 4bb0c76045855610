//! A request certainly in flight at the moment of a fault, and what its client must see.

use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::Stack;
use super::client::{Answer, Held};

/// The host pids of `container`'s processes whose command line contains `needle`: the
/// processes of the container's cgroup (sessions are `docker exec`s: not children of its init).
pub fn processes(stack: &Stack, container: &str, needle: &str) -> Vec<u32> {
    let pid = stack.inspect(container)["State"]["Pid"]
        .as_u64()
        .unwrap_or(0);
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    assert!(!cgroup.is_empty(), "no cgroup for {container}'s init {pid}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let Ok(entry) = entry else { continue };
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let same =
            std::fs::read_to_string(format!("/proc/{pid}/cgroup")).is_ok_and(|c| c == cgroup);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if same && String::from_utf8_lossy(&cmdline).contains(needle) {
            found.push(pid);
        }
    }
    found
}

pub fn signal(pids: &[u32], signal: &str) {
    for pid in pids {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

/// Makes a request certainly in flight at the moment of the fault: the session's server
/// process is stopped (SIGSTOP) so it cannot answer, then the request is sent.
pub fn request_in_flight(
    stack: &Stack,
    container: &str,
    needle: &str,
    held: &mut Held,
    op: &Value,
) {
    let servers = processes(stack, container, needle);
    assert!(
        !servers.is_empty(),
        "no server process {needle} in {container}"
    );
    signal(&servers, "STOP");
    held.send(op);
    thread::sleep(Duration::from_millis(500));
}

/// The error the request in flight got: one the client may retry, naming the restart.
pub fn assert_retryable(in_flight: &Answer, waited: Duration) {
    assert!(
        !in_flight.ok,
        "the request in flight was answered? {in_flight:?}"
    );
    let error = in_flight.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("restarted") && error.contains("send it again"),
        "{error}"
    );
    assert!(waited < Duration::from_secs(30), "{waited:?}");
}
