//! Every container of the generated stack is hardened: checked from the inside (what a process
//! in it can do) and by `docker inspect` (what the engine was told).

use std::time::Duration;

use serde_json::Value;

use crate::figure;
use crate::support::stack::{FAKE, FILESYSTEM, MEMORY};
use crate::support::{Stack, list_tools, sleep};

/// The capabilities a container gets by default; Podman lists them one by one in `CapDrop`
/// where Docker says `ALL`.
const DEFAULT_CAPS: [&str; 14] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// One shell script run inside each container, as the server's user: each line `name=value`.
const INSIDE: &str = r#"
echo "uid=$(id -u)"
if touch /mcpgen-probe 2>/dev/null; then echo "root_write=ok"; else echo "root_write=refused"; fi
echo "cap_eff=$(grep '^CapEff:' /proc/self/status | tr -d '[:space:]' | cut -d: -f2)"
echo "cap_bnd=$(grep '^CapBnd:' /proc/self/status | tr -d '[:space:]' | cut -d: -f2)"
echo "no_new_privs=$(grep '^NoNewPrivs:' /proc/self/status | tr -d '[:space:]' | cut -d: -f2)"
echo "tmp_mount=$(grep ' /tmp ' /proc/mounts | cut -d' ' -f4)"
cp /bin/busybox /tmp/mcpgen-exec 2>/dev/null
if /tmp/mcpgen-exec true 2>/dev/null; then echo "tmp_exec=ok"; else echo "tmp_exec=refused"; fi
echo "pid1=$(tr '\0' ' ' </proc/1/cmdline)"
mem=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
echo "memory=$mem"
pids=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)
echo "pids=$pids"
cpu=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)")
echo "cpu=$cpu"
if ip route 2>/dev/null | grep -q '^default'; then echo "default_route=yes"; else echo "default_route=no"; fi
"#;

fn facts(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_container_is_hardened_inside_and_by_inspect() {
    let stack = Stack::build("hardening", &[FILESYSTEM, MEMORY, FAKE]);
    let took = stack.up(&["filesystem", "memory", "fake"]);
    figure!(
        "compose up -d of 3 hardened services: {:.1}s",
        took.as_secs_f64()
    );

    for server in ["filesystem", "memory", "fake"] {
        let container = stack.container(server);
        // The fake server takes 20 sessions at once, so its limits are larger (stack.rs).
        let (memory, pids): (u64, u64) = if server == "fake" {
            (768 << 20, 256)
        } else {
            (256 << 20, 128)
        };
        let inside = facts(&stack.docker_ok(&["exec", &container, "sh", "-c", INSIDE]));
        let at = |key: &str| inside.get(key).map(String::as_str).unwrap_or("<missing>");
        assert_ne!(at("uid"), "0", "{container} runs as root: {inside:?}");
        assert_eq!(at("root_write"), "refused", "{container}: / is writable");
        assert_eq!(at("cap_eff"), "0000000000000000", "{container}: {inside:?}");
        assert_eq!(at("cap_bnd"), "0000000000000000", "{container}: {inside:?}");
        assert_eq!(at("no_new_privs"), "1", "{container}: {inside:?}");
        assert!(
            at("tmp_mount").contains("noexec"),
            "{container}: {inside:?}"
        );
        assert_eq!(at("tmp_exec"), "refused", "{container}: /tmp allows exec");
        assert!(
            at("pid1").contains("init") || at("pid1").contains("tini"),
            "{container}: PID 1 is not an init: {}",
            at("pid1")
        );
        assert_eq!(at("memory"), memory.to_string(), "{container}: {inside:?}");
        assert_eq!(at("pids"), pids.to_string(), "{container}: {inside:?}");
        // cgroup v2 `cpu.max` or v1 quota and period: half a CPU.
        assert_eq!(at("cpu"), "50000 100000", "{container}: {inside:?}");
        if stack.engine.podman {
            assert_eq!(at("default_route"), "no", "{container} can reach out");
        } else {
            // Docker 20.10 gives a container on an internal network a default route all the
            // same, and drops what leaves the network in its own iptables chains: the network
            // itself must be internal.
            let networks = stack.inspect(&container)["NetworkSettings"]["Networks"].clone();
            let names: Vec<String> = networks
                .as_object()
                .map(|n| n.keys().cloned().collect())
                .unwrap_or_default();
            assert!(!names.is_empty(), "{container}: no network");
            for network in names {
                let internal =
                    stack.docker_ok(&["network", "inspect", "--format", "{{.Internal}}", &network]);
                assert_eq!(
                    internal.trim(),
                    "true",
                    "{container} is on non-internal {network}"
                );
            }
        }

        let inspect = stack.inspect(&container);
        let host = &inspect["HostConfig"];
        assert_eq!(inspect["Config"]["User"], "1000:1000", "{container}");
        assert_eq!(host["ReadonlyRootfs"], true, "{container}");
        assert_eq!(host["Privileged"], false, "{container}");
        let dropped = strings(&host["CapDrop"]);
        assert!(
            dropped.iter().any(|c| c == "ALL")
                || DEFAULT_CAPS
                    .iter()
                    .all(|cap| dropped.iter().any(|d| d.trim_start_matches("CAP_") == *cap)),
            "{container}: CapDrop {dropped:?}"
        );
        assert!(strings(&host["CapAdd"]).is_empty(), "{container}: CapAdd");
        assert!(
            strings(&host["SecurityOpt"])
                .iter()
                .any(|o| o.starts_with("no-new-privileges")),
            "{container}: SecurityOpt {}",
            host["SecurityOpt"]
        );
        assert_eq!(host["Memory"], memory, "{container}");
        assert_eq!(host["NanoCpus"], 500_000_000, "{container}");
        assert_eq!(host["PidsLimit"], pids, "{container}");
        assert_eq!(host["Init"], true, "{container}");
        assert_eq!(
            host["RestartPolicy"]["Name"], "unless-stopped",
            "{container}"
        );
        let tmp = host["Tmpfs"]["/tmp"].as_str().unwrap_or_default();
        for option in ["noexec", "nosuid", "nodev", "size="] {
            assert!(tmp.contains(option), "{container}: /tmp tmpfs `{tmp}`");
        }
        let bindings = host["PortBindings"].as_object().map_or(0, |o| o.len());
        let ports = inspect["NetworkSettings"]["Ports"]
            .as_object()
            .map_or(0, |o| o.values().filter(|v| !v.is_null()).count());
        assert_eq!((bindings, ports), (0, 0), "{container} publishes a port");
        assert_eq!(host["PublishAllPorts"], false, "{container}");
        let networks: Vec<String> = inspect["NetworkSettings"]["Networks"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(
            networks,
            vec![format!("{}_internal", stack.name)],
            "{container}"
        );
    }
    let internal = stack.docker_ok(&[
        "network",
        "inspect",
        "--format",
        "{{.Internal}}",
        &format!("{}_internal", stack.name),
    ]);
    assert_eq!(
        internal.trim(),
        "true",
        "the stack's network is not internal"
    );

    // A session's server process (started by the shim with `docker exec`) is just as bare.
    let container = stack.container("fake");
    std::thread::scope(|scope| {
        let client = scope.spawn(|| {
            stack
                .client("fake", "hardened")
                .session(vec![list_tools(), sleep(3.0)])
                .run()
        });
        let (status, _) = stack.wait_until(
            "the session's fake-mcp-server process",
            Duration::from_secs(20),
            || {
                let out = stack.docker(&["exec", &container, "sh", "-c", SESSION_STATUS]);
                let text = out.stdout.trim().to_string();
                (out.success() && text.contains("Uid=")).then_some(text)
            },
        );
        let status = facts(&status);
        assert!(
            status.get("Uid").is_some_and(|uid| !uid.starts_with('0')),
            "session server runs as root: {status:?}"
        );
        assert_eq!(
            status.get("CapEff").map(String::as_str),
            Some("0000000000000000")
        );
        assert_eq!(status.get("NoNewPrivs").map(String::as_str), Some("1"));
        let sessions = client.join().expect("client thread");
        assert!(sessions[0].ok, "{sessions:?}");
    });
}

/// The status of the session's server process, `Key=value` a line.
const SESSION_STATUS: &str = r#"
for p in /proc/[0-9]*; do
  if [ "$(cat "$p/comm" 2>/dev/null)" = fake-mcp-server ]; then
    grep -E '^(Uid|CapEff|NoNewPrivs):' "$p/status" | sed 's/:[[:space:]]*/=/'
    exit 0
  fi
done
"#;
