//! The engine and tools the suite needs, set up once per test binary. Anything missing makes
//! every test FAIL with a message saying how to get it: the suite never skips silently.
//!
//! The engine is chosen by `MCPGEN_TEST_ENGINE=podman|docker` (default podman): its socket
//! (`/tmp/podman.sock`, `/tmp/dockerd.sock`) unless `DOCKER_HOST` names one, and
//! `scripts/engine-up <engine>` brings it up. Which engine answered is read from the engine
//! itself (Podman's server reports a "Podman Engine" component), and must be the one asked for.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use super::cmd;

/// Every e2e stack is named `e2e-<test>-<pid>`; the pid lets a later run clean up after a run
/// that was killed before its guards could.
pub const STACK_PREFIX: &str = "e2e-";

/// A container engine the suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Podman serving the Docker API: health checks run only on demand.
    Podman,
    /// Docker Engine (dockerd): health checks run on their own timer.
    Docker,
}

impl Kind {
    /// The value of `MCPGEN_TEST_ENGINE` and the argument of `scripts/engine-up`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Podman => "podman",
            Kind::Docker => "docker",
        }
    }

    /// How people call it.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Podman => "Podman",
            Kind::Docker => "Docker Engine",
        }
    }

    /// Where `scripts/engine-up <name>` makes it answer.
    pub fn default_host(self) -> &'static str {
        match self {
            Kind::Podman => "unix:///tmp/podman.sock",
            Kind::Docker => "unix:///tmp/dockerd.sock",
        }
    }

    /// The engine asked for by `MCPGEN_TEST_ENGINE`, if any.
    fn requested() -> Result<Option<Kind>, String> {
        match std::env::var("MCPGEN_TEST_ENGINE").as_deref() {
            Err(_) | Ok("") => Ok(None),
            Ok("podman") => Ok(Some(Kind::Podman)),
            Ok("docker") => Ok(Some(Kind::Docker)),
            Ok(other) => Err(format!(
                "MCPGEN_TEST_ENGINE=`{other}`: the e2e suite runs on `podman` or `docker`"
            )),
        }
    }
}

#[derive(Debug)]
pub struct Engine {
    /// `unix:///…`: `DOCKER_HOST`, or the socket of the engine `MCPGEN_TEST_ENGINE` names.
    pub docker_host: String,
    /// Which engine answers there.
    pub kind: Kind,
    /// Its version, as it reports it (`4.3.1`, `20.10.24+dfsg1`).
    pub version: String,
    /// The Python that has the `mcp` SDK (the interpreter itself, not a pyenv shim).
    pub python: PathBuf,
    /// The Docker Compose CLI plugin, linked into each client's HOME as a user would have it.
    pub compose_plugin: PathBuf,
    /// `node_modules` with the MCP servers, for the local (unsandboxed) fallback.
    pub node_modules: PathBuf,
    /// `kind == Kind::Podman`: Podman runs health checks only on demand.
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

/// Which engine this run's tests are on, for a test whose expectations differ by engine.
#[allow(dead_code)] // the harness's API: not every build of the suite has such a test
pub fn engine_kind() -> Kind {
    engine().kind
}

/// The engine a `docker version` at `docker_host` reports, with its version; `Err` when
/// nothing answers there.
fn detect(docker_host: &str) -> Result<(Kind, String), cmd::Output> {
    let version = cmd::run(
        Command::new("docker")
            .args([
                "version",
                "--format",
                "{{.Server.Version}}\n{{range .Server.Components}}{{.Name}};{{end}}",
            ])
            .env("DOCKER_HOST", docker_host),
        None,
        Duration::from_secs(30),
    );
    if !version.success() {
        return Err(version);
    }
    let mut lines = version.stdout.lines();
    let number = lines.next().unwrap_or_default().trim().to_string();
    let components = lines.next().unwrap_or_default();
    let kind = if components.contains("Podman") {
        Kind::Podman
    } else {
        Kind::Docker
    };
    Ok((kind, number))
}

fn setup() -> Result<Engine, String> {
    let requested = Kind::requested()?;
    let wanted = requested.unwrap_or(Kind::Podman);
    let docker_host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| wanted.default_host().to_string());
    let asked = format!(
        "MCPGEN_TEST_ENGINE={}{}, DOCKER_HOST={docker_host}",
        requested.map_or("", Kind::name),
        if requested.is_none() {
            " (unset: podman)"
        } else {
            ""
        }
    );
    // The engine whose socket this is, if it is one of engine-up's.
    let owner = [Kind::Podman, Kind::Docker]
        .into_iter()
        .find(|k| k.default_host() == docker_host);
    let how = format!(
        "Start it with `scripts/engine-up {name}` (it prints the DOCKER_HOST to use), or run the \
         suite on the other engine: MCPGEN_TEST_ENGINE=podman|docker with DOCKER_HOST unset.",
        name = owner.unwrap_or(wanted).name()
    );
    // engine-up knows the default sockets; another DOCKER_HOST is an engine someone runs.
    if docker_host == wanted.default_host() {
        let up = cmd::run(
            Command::new(repo().join("scripts/engine-up"))
                .arg(wanted.name())
                .env_remove("MCPGEN_ENGINE_SOCK"),
            None,
            Duration::from_secs(900),
        );
        if !up.success() {
            return Err(format!(
                "the e2e suite needs {} ({asked}), and `scripts/engine-up {}` could not set it up.\n\
                 Its words:\n{}\n\
                 Get it by hand as it says (scripts/README.md has the details), then run the suite again.",
                wanted.title(),
                wanted.name(),
                up.stderr.trim_end()
            ));
        }
    }
    let (kind, version) = detect(&docker_host).map_err(|out| {
        format!(
            "{} does not answer at {docker_host} ({asked}): `docker version` said\n{}\n{how}",
            wanted.title(),
            out.stderr.trim_end()
        )
    })?;
    if requested.is_some_and(|r| r != kind) {
        return Err(format!(
            "{asked}: the engine at {docker_host} is {} {version}, not {}. Unset DOCKER_HOST \
             (the suite then uses {}) or point it at {}.",
            kind.title(),
            wanted.title(),
            wanted.default_host(),
            wanted.title()
        ));
    }
    // The test images, and mcpgen's own (every stack's servers get their helper from it); each
    // script prints the names of the images it built, one a line.
    let mut built = Vec::new();
    for (script, what) in [
        ("build-test-images", "the test images"),
        ("build-monitor-image", "mcpgen's image"),
    ] {
        let out = cmd::run(
            Command::new(repo().join("scripts").join(script)).env("DOCKER_HOST", &docker_host),
            None,
            Duration::from_secs(900),
        );
        if !out.success() {
            return Err(format!(
                "scripts/{script} could not build {what}:\n{}",
                out.stderr.trim_end()
            ));
        }
        built.extend(
            out.stdout
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(String::from),
        );
    }
    if kind == Kind::Docker {
        let built: Vec<&str> = built.iter().map(String::as_str).collect();
        docker_has_podman_images(&docker_host, &built)?;
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
    let engine = Engine {
        podman: kind == Kind::Podman,
        kind,
        version,
        docker_host,
        python: PathBuf::from(python.stdout.trim()),
        compose_plugin,
        node_modules,
    };
    eprintln!("e2e: on {}", engine.describe());
    sweep_dead_runs(&engine);
    Ok(engine)
}

/// Docker Engine has its own image storage: each image must be there, and be the one the build
/// scripts last built into Podman's (the same id, as `podman save | docker load` keeps it), not
/// an older or another checkout's copy.
fn docker_has_podman_images(docker_host: &str, images: &[&str]) -> Result<(), String> {
    let id = |program: &str, image: &str| {
        let out = cmd::run(
            Command::new(program)
                .args(["image", "inspect", "--format", "{{.Id}}", image])
                .env("DOCKER_HOST", docker_host),
            None,
            Duration::from_secs(30),
        );
        out.success()
            .then(|| out.stdout.trim().trim_start_matches("sha256:").to_string())
    };
    for image in images {
        let copy = || format!("`podman save {image} | docker -H {docker_host} load`");
        match (id("docker", image), id("podman", image)) {
            (None, _) => {
                return Err(format!(
                    "{image} is not on Docker Engine at {docker_host}: the build scripts build \
                     into Podman's storage and copy into Docker Engine's when it answers; copy it \
                     with {}",
                    copy()
                ));
            }
            (Some(docker), Some(podman)) if docker != podman => {
                return Err(format!(
                    "{image} on Docker Engine at {docker_host} ({}) is not the one in Podman's \
                     storage ({}) that the build scripts just built: copy it again with {}",
                    &docker[..docker.len().min(12)],
                    &podman[..podman.len().min(12)],
                    copy()
                ));
            }
            _ => {}
        }
    }
    Ok(())
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
    /// `Docker Engine 20.10.24+dfsg1 at unix:///tmp/dockerd.sock`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {} at {}",
            self.kind.title(),
            self.version,
            self.docker_host
        )
    }

    /// One verdict of `container`'s health check, and how long the check itself ran. Podman
    /// runs a check only when asked (`podman healthcheck run`); Docker Engine runs them on its
    /// own timer and has no command to run one now, so there this waits for the next entry of
    /// `State.Health.Log` (up to an interval) and takes the check's duration from its
    /// `Start`/`End`, not from the wait.
    #[allow(dead_code)] // the harness's API, for tests/e2e/health.rs
    pub fn health_check(&self, container: &str, timeout: Duration) -> HealthCheck {
        if self.kind == Kind::Podman {
            let out = cmd::run(
                Command::new("podman").args(["healthcheck", "run", container]),
                None,
                timeout,
            );
            return HealthCheck {
                passed: out.success(),
                took: out.elapsed,
                hung: out.timed_out,
            };
        }
        let log = || -> Vec<serde_json::Value> {
            let out = self.docker(
                &[
                    "inspect",
                    "--format",
                    "{{json .State.Health.Log}}",
                    container,
                ],
                Duration::from_secs(30),
            );
            serde_json::from_str::<Vec<serde_json::Value>>(out.stdout.trim()).unwrap_or_default()
        };
        // Docker keeps the last 5 entries: a new one is one whose start is new.
        let seen: Vec<String> = log()
            .iter()
            .filter_map(|entry| entry["Start"].as_str().map(String::from))
            .collect();
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(entry) = log().into_iter().find(|entry| {
                entry["Start"]
                    .as_str()
                    .is_some_and(|start| !seen.iter().any(|s| s == start))
            }) {
                let at = |key: &str| entry[key].as_str().and_then(rfc3339_nanos);
                let took = match (at("Start"), at("End")) {
                    (Some(start), Some(end)) if end >= start => {
                        Duration::from_nanos(u64::try_from(end - start).unwrap_or(u64::MAX))
                    }
                    _ => Duration::ZERO,
                };
                return HealthCheck {
                    passed: entry["ExitCode"] == 0,
                    took,
                    hung: false,
                };
            }
            if std::time::Instant::now() >= deadline {
                return HealthCheck {
                    passed: false,
                    took: timeout,
                    hung: true,
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

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

/// A health check's verdict (see [`Engine::health_check`]).
#[derive(Debug, Clone, Copy)]
#[allow(dead_code)] // the harness's API, for tests/e2e/health.rs
pub struct HealthCheck {
    pub passed: bool,
    /// How long the check ran, as the engine measured it.
    pub took: Duration,
    /// No verdict within the bound: the check hung (Podman) or none came (Docker Engine).
    pub hung: bool,
}

/// Nanoseconds since the epoch of an RFC 3339 UTC time as the engines write it
/// (`2026-11-30T02:55:56.771093558Z`); `None` for another shape.
pub fn rfc3339_nanos(text: &str) -> Option<i128> {
    let (date, time) = text.strip_suffix('Z')?.split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, "0"));
    let mut hms = hms.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (hms.next()??, hms.next()??, hms.next()??);
    let digits: String = fraction.chars().take(9).collect();
    let nanos = format!("{digits:0<9}").parse::<i128>().ok()?;
    // Days from the civil date (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3_600 + mm * 60 + ss;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
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
