//! In-process cost of each stage for stacks of growing size. Whole-process timings (and the
//! comparison with other tools) are in `benches/whole-process`.

// Benchmark fixtures are generated here, not user input: a failure should stop the run loudly.
#![allow(clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

use mcpgen::source::Sources;

fn main() {
    divan::main();
}

/// A stack of `servers` servers shaped like the bundled one: mounts, volumes, secrets, egress.
fn stack_text(servers: usize) -> String {
    let mut text = String::from(
        "[stack]\nname = \"bench\"\n[defaults]\nuser = \"1000:1000\"\n\
         limits = { cpus = 0.5, memory = \"256M\", pids = 128 }\n\
         [profiles.hardened]\nfallback = \"none\"\n[profiles.dev]\nfallback = \"local\"\n\
         [clients]\ntargets = [\"claude-desktop\", \"cursor\", \"vscode\", \"codex\"]\n",
    );
    for i in 0..servers {
        let _ = write!(
            text,
            "[servers.s{i}]\nimage = \"mcp/s{i}:1.0.0@sha256:{:064}\"\ncommand = [\"node\", \"/app/{i}.js\", \"/projects\"]\n\
             local = [\"npx\", \"-y\", \"s{i}@1.0.0\"]\nmounts = [{{ source = \"~/p{i}\", target = \"/projects\" }}]\n\
             volumes = [{{ name = \"v{i}\", target = \"/data\" }}]\nsecrets = {{ TOKEN = {{ env = \"T{i}\" }} }}\negress = {}\n",
            i,
            i % 2 == 0
        );
    }
    text
}

fn load(text: &str) -> mcpgen::config::Config {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mcp.toml");
    std::fs::write(&path, text).expect("write");
    let mut sources = Sources::default();
    mcpgen::config::load(&mut sources, Path::new(&path), &mcpgen::lint::catalog())
        .expect("valid stack")
}

#[divan::bench(args = [10, 100, 1000])]
fn parse_and_validate(bencher: divan::Bencher, servers: usize) {
    let text = stack_text(servers);
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("mcp.toml");
    std::fs::write(&path, &text).expect("write");
    bencher.bench(|| {
        let mut sources = Sources::default();
        mcpgen::config::load(&mut sources, &path, &mcpgen::lint::catalog()).expect("valid stack")
    });
}

#[divan::bench(args = [10, 100, 1000])]
fn lint(bencher: divan::Bencher, servers: usize) {
    let config = load(&stack_text(servers));
    bencher.bench(|| {
        mcpgen::lint::run(
            mcpgen::frontend::toml::services(&config),
            &config.stack.lint,
        )
    });
}

#[divan::bench(args = [10, 100, 1000])]
fn render(bencher: divan::Bencher, servers: usize) {
    let config = load(&stack_text(servers));
    bencher.bench(|| mcpgen::render::render(&config.stack).expect("renders"));
}
