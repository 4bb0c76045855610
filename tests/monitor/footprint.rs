//! The monitor's own footprint with ten healthy servers: resident memory, and CPU while idle
//! (nothing to heal, only the probes every interval), from /proc.

use std::time::{Duration, Instant};

use crate::support::{Monitor, SHARED_SOCKET, Server, Stack, measure, serial};

const NAMES: [&str; 10] = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9"];

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(100.0)
}

fn footprint(interval: &str, idle: Duration) {
    let servers: Vec<Server> = NAMES.iter().map(|n| Server::fake(n)).collect();
    let stack = Stack::new(
        &format!("ten{}", interval.trim_end_matches('s')),
        "",
        &servers,
    )
    .up(&NAMES);
    let monitor = Monitor::start(&stack.name, SHARED_SOCKET, &["--interval", interval]);
    for name in NAMES {
        monitor.wait_healthy(name, Duration::from_secs(30));
    }
    let pid = monitor.pid();
    let (t0, c0) = (Instant::now(), cpu_ticks(pid));
    let mut peak = 0;
    while t0.elapsed() < idle {
        peak = peak.max(rss_kib(pid));
        std::thread::sleep(Duration::from_millis(500));
    }
    let cpu = (cpu_ticks(pid) - c0) as f64 / ticks_per_second();
    let share = 100.0 * cpu / t0.elapsed().as_secs_f64();
    measure(
        &format!(
            "footprint, 10 servers, interval {interval}, {}",
            std::env::var("MCPGEN_TEST_BIN").unwrap_or_else(|_| "debug build".to_string())
        ),
        &format!(
            "RSS {} KiB now, {peak} KiB peak; CPU {cpu:.2} s over {} s idle = {share:.2} % of a core",
            rss_kib(pid),
            idle.as_secs()
        ),
    );
    let failures = monitor
        .lines()
        .iter()
        .filter(|s| s.event() == "probe_failed" || s.event() == "restart")
        .count();
    assert_eq!(failures, 0, "idle means healthy:\n{}", monitor.context());
    assert!(
        peak < 64 * 1024,
        "RSS {peak} KiB: more than the service's 64m limit"
    );
    assert!(share < 10.0, "{share:.2} % of a core while idle");
}

#[test]
fn footprint_with_ten_servers() {
    let _serial = serial();
    footprint("10s", Duration::from_secs(30));
}

#[test]
fn footprint_with_ten_servers_interval_2s() {
    let _serial = serial();
    footprint("2s", Duration::from_secs(30));
}
