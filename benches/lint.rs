//! In-process cost of each stage of `mcpgen lint` on a compose file, the file
//! `benches/gen-compose.py` writes for `benches/lint-vs-peers` (half the services hardened,
//! half with the usual gaps): read and resolve, the rules, and each report format.

// Benchmark fixtures are generated here, not user input: a failure should stop the run loudly.
#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use mcpgen::lint::output::buffer::ReportBuffer;
use mcpgen::lint::{Finding, ServiceView};
use mcpgen::source::Sources;

// The allocator the binary runs with: the stages' costs are mostly allocation and memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// The text `benches/gen-compose.py` writes for `services` services.
fn compose_text(services: usize) -> String {
    let mut text = String::from("services:\n");
    for i in 0..services {
        let _ = if i % 2 == 0 {
            write!(
                text,
                "  svc{i}:\n    image: registry.example.com/team/app{i}:1.{}.0\n    user: \"1000:1000\"\n    \
                 read_only: true\n    cap_drop: [ALL]\n    security_opt: [\"no-new-privileges:true\"]\n    \
                 deploy: {{resources: {{limits: {{cpus: '0.5', memory: 256M, pids: 128}}}}}}\n    \
                 tmpfs: [\"/tmp:rw,noexec,nosuid,nodev,size=16m\"]\n    restart: unless-stopped\n",
                i % 50
            )
        } else {
            write!(
                text,
                "  svc{i}:\n    image: registry.example.com/team/app{i}:latest\n    privileged: true\n    \
                 ports: ['8080:80']\n    volumes: ['/var/run/docker.sock:/var/run/docker.sock', './data{i}:/data']\n    \
                 environment:\n      API_TOKEN: hunter2-not-a-real-token\n      LOG_LEVEL: debug{i}\n    \
                 cap_add: [SYS_ADMIN]\n"
            )
        };
    }
    text
}

/// A compose file of `services` services, written in a directory that lives as long as it.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn fixture(services: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("compose.yml");
    std::fs::write(&path, compose_text(services)).expect("write");
    Fixture { _dir: dir, path }
}

fn load(sources: &mut Sources, path: &Path) -> Vec<ServiceView> {
    mcpgen::frontend::compose::load(sources, &[path.to_path_buf()], &|_| None)
        .expect("valid compose file")
        .services
}

fn linted(services: usize) -> (Sources, Vec<Finding>) {
    let fixture = fixture(services);
    let mut sources = Sources::default();
    let views = load(&mut sources, &fixture.path);
    let findings = mcpgen::lint::run(&views, &mcpgen::lint::Settings::default());
    (sources, findings)
}

#[divan::bench(args = [1000, 10000])]
fn read_and_resolve(bencher: divan::Bencher, services: usize) {
    let fixture = fixture(services);
    bencher.bench(|| load(&mut Sources::default(), &fixture.path));
}

#[divan::bench(args = [1000, 10000])]
fn rules(bencher: divan::Bencher, services: usize) {
    let fixture = fixture(services);
    let views = load(&mut Sources::default(), &fixture.path);
    let settings = mcpgen::lint::Settings::default();
    bencher.bench(|| mcpgen::lint::run(&views, &settings));
}

/// Through the buffer `mcpgen lint` writes through, to nowhere: the cost of the report's
/// many small writes counts, the system's does not.
fn report_to_nowhere(
    bencher: divan::Bencher,
    services: usize,
    write: fn(&Sources, &[Finding], &mut ReportBuffer<std::io::Sink>) -> std::io::Result<()>,
) {
    let (sources, findings) = linted(services);
    bencher.bench(|| {
        let mut out = ReportBuffer::new(std::io::sink());
        write(&sources, &findings, &mut out).expect("written");
    });
}

#[divan::bench(args = [1000, 10000])]
fn report_json(bencher: divan::Bencher, services: usize) {
    report_to_nowhere(bencher, services, |sources, findings, out| {
        mcpgen::lint::output::json::write(sources, findings, out)
    });
}

#[divan::bench(args = [1000, 10000])]
fn report_sarif(bencher: divan::Bencher, services: usize) {
    report_to_nowhere(bencher, services, |sources, findings, out| {
        mcpgen::lint::output::sarif::write(sources, findings, out)
    });
}

#[divan::bench(args = [1000, 10000])]
fn report_github(bencher: divan::Bencher, services: usize) {
    report_to_nowhere(bencher, services, |sources, findings, out| {
        mcpgen::lint::output::github::write(sources, findings, out)
    });
}
