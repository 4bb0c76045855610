//! The engine and tools the suite needs, set up once per test binary. Anything missing makes
//! every test FAIL with a message saying how to get it: the suite never skips silently.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::cmd;

/// Every e2e stack is named `e2e-<test>-<pid>`; the pid lets a later run clean up after a run
/// that was killed before its guards could.
pub const STACK_PREFIX: &str = "e2e-";

#[derive(Debug)]
pub struct Engine {
    /// `unix:///…`, from `scripts/engine-up`.
    pub docker_host: String,
    /// The Python that has the `mcp` SDK (the interpreter itself, not a pyenv shim).
    pub python: PathBuf,
    /// The Docker Compose CLI plugin, linked into each client's HOME as a user would have it.
    pub compose_plugin: PathBuf,
    /// `node_modules` with the MCP servers, for the local (unsandboxed) fallback.
    pub node_modules: PathBuf,
    /// `podman` when the engine is Podman: it runs health checks only on demand.
    pub podman: bool,
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The engine, set up on first use. Panics (fails the test) with the reason when there is none.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    match ENGINE.get_or_init(setup) {
        Ok(engine) => engine,
        Err(message) => panic!("{message}"),
    }
}

fn setup() -> Result<Engine, String> {
    let up = cmd::run(
        &mut Command::new(repo().join("scripts/engine-up")),
        None,
        Duration::from_secs(900),
    );
    if !up.success() {
        return Err(format!(
            "the e2e suite needs a container engine, and scripts/engine-up could not set one up.\n\
             Its words:\n{}\n\
             Get one by hand as it says (scripts/README.md has the details), then run the suite again.",
            up.stderr.trim_end()
        ));
    }
    let docker_host = up
        .stdout
        .lines()
        .find_map(|line| line.strip_prefix("DOCKER_HOST="))
        .map(str::to_string)
        .ok_or_else(|| format!("scripts/engine-up printed no DOCKER_HOST= line:\n{up}"))?;
    let images = cmd::run(
        Command::new(repo().join("scripts/build-test-images")).env("DOCKER_HOST", &docker_host),
        None,
        Duration::from_secs(900),
    );
    if !images.success() {
        return Err(format!(
            "scripts/build-test-images could not build the test images:\n{}",
            images.stderr.trim_end()
        ));
    }
    let python = cmd::run(
        Command::new("python3").args(["-c", "import sys, mcp; print(sys.executable)"]),
        None,
        Duration::from_secs(60),
    );
    if !python.success() {
        return Err(format!(
            "the e2e suite talks to the servers with the official Python MCP SDK: \
             `pip install mcp` (python3 said: {})",
            python.stderr.trim()
        ));
    }
    let compose = cmd::run(
        Command::new("docker")
            .args([
                "info",
                "--format",
                "{{range .ClientInfo.Plugins}}{{if eq .Name \"compose\"}}{{.Path}}{{end}}{{end}}",
            ])
            .env("DOCKER_HOST", &docker_host),
        None,
        Duration::from_secs(30),
    );
    let compose_plugin = PathBuf::from(compose.stdout.trim());
    if !compose.success() || !compose_plugin.is_file() {
        return Err(format!(
            "no Docker Compose v2 CLI plugin (scripts/engine-up links it): {compose}"
        ));
    }
    let node_modules = image_cache().join("npm/node_modules");
    if !node_modules
        .join("@modelcontextprotocol/server-memory/dist/index.js")
        .is_file()
    {
        return Err(format!(
            "no MCP servers in {} for the local-fallback tests: run scripts/build-test-images",
            node_modules.display()
        ));
    }
    let version = cmd::run(
        Command::new("docker")
            .args(["version", "--format", "{{.Server.Components}}"])
            .env("DOCKER_HOST", &docker_host),
        None,
        Duration::from_secs(30),
    );
    let engine = Engine {
        podman: version.stdout.contains("Podman"),
        docker_host,
        python: PathBuf::from(python.stdout.trim()),
        compose_plugin,
        node_modules,
    };
    sweep_dead_runs(&engine);
    Ok(engine)
}

/// Where scripts/build-test-images keeps its npm tree.
fn image_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("MCPGEN_IMAGE_CACHE") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("mcpgen-test-images")
}

impl Engine {
    pub fn docker(&self, args: &[&str], timeout: Duration) -> cmd::Output {
        cmd::run(
            Command::new("docker")
                .args(args)
                .env("DOCKER_HOST", &self.docker_host),
            None,
            timeout,
        )
    }

    /// Removes everything of a stack: containers, networks and volumes, by mcpgen's label
    /// and by compose's, whatever state they are in.
    pub fn remove_stack(&self, name: &str) {
        let t = Duration::from_secs(60);
        for label in [
            format!("dev.mcpgen.stack={name}"),
            format!("com.docker.compose.project={name}"),
        ] {
            let filter = format!("label={label}");
            for (list, remove) in [
                (
                    vec!["ps", "-aq", "--filter", &filter],
                    vec!["rm", "-f", "-v"],
                ),
                (
                    vec!["network", "ls", "-q", "--filter", &filter],
                    vec!["network", "rm"],
                ),
                (
                    vec!["volume", "ls", "-q", "--filter", &filter],
                    vec!["volume", "rm", "-f"],
                ),
            ] {
                let ids = self.docker(&list, t).stdout;
                let ids: Vec<&str> = ids.split_whitespace().collect();
                if !ids.is_empty() {
                    let mut args = remove.clone();
                    args.extend(ids);
                    self.docker(&args, t);
                }
            }
        }
    }

    /// Stack names of this suite that still have anything on the engine.
    pub fn leftover_stacks(&self) -> Vec<String> {
        let t = Duration::from_secs(60);
        let format = "{{.Label \"dev.mcpgen.stack\"}}";
        let mut names: Vec<String> = [
            self.docker(&["ps", "-a", "--format", format], t).stdout,
            self.docker(&["network", "ls", "--format", format], t)
                .stdout,
            self.docker(&["volume", "ls", "--format", format], t).stdout,
        ]
        .iter()
        .flat_map(|out| out.lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|name| name.starts_with(STACK_PREFIX))
        .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A run killed outright (SIGKILL, a CI timeout) never ran its guards: its stacks go now.
fn sweep_dead_runs(engine: &Engine) {
    for name in engine.leftover_stacks() {
        let pid = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            engine.remove_stack(&name);
        }
    }
}
