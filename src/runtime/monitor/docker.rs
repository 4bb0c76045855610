//! The [`Engine`] the monitor runs on: the Docker Engine API through `bollard`, which Docker
//! and Podman both serve. Where they differ (event order, restarting a paused container, a
//! restart policy without backoff) it says so. Built with the `runtime` feature only.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::errors::Error as ApiError;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::{
    EventsOptions, InspectContainerOptions, ListContainersOptions, RestartContainerOptions,
    StartContainerOptions, StopContainerOptions,
};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::time::Instant;

use super::engine::{
    Connect, Container, ContainerEvent, Engine, EngineError, Flavor, HELPER_OUTPUT_LIMIT,
    HelperReport, ProbeKind, ProbeOutcome, RunState, container_from_labels, helper_report,
    keep_bounded,
};
use crate::mcp::Era;
use crate::model::contract::{HELPER_PATH, LABEL_COMMAND, LABEL_STACK};

/// Bounds every plain API call (list, inspect, ping): an engine that hangs counts as down.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Seconds a restart waits for the container to stop before killing it. The idle keeper
/// (`sleep infinity` under `init`) stops at once; a hung process must not hold recovery up.
const STOP_TIMEOUT_SECS: i32 = 2;
/// How often [`DockerApi::halt`] looks whether the restart policy started a stopped container
/// again.
const HALT_POLL: Duration = Duration::from_millis(100);
/// How many times [`DockerApi::halt`] stops a container that its restart policy keeps starting.
const HALT_ATTEMPTS: u32 = 10;

impl From<ApiError> for EngineError {
    fn from(error: ApiError) -> Self {
        let unreachable = unreachable(&error);
        EngineError::new(error.to_string(), unreachable)
    }
}

/// Whether an API error means the engine itself is unreachable (as opposed to the engine
/// answering with an error about a container).
fn unreachable(error: &ApiError) -> bool {
    !matches!(
        error,
        ApiError::DockerResponseServerError { .. } | ApiError::JsonDataError { .. }
    )
}

/// The engine `DOCKER_HOST` names, or the default socket: see [`DockerApi::connect`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct DockerHost;

impl Connect for DockerHost {
    type Engine = DockerApi;

    fn connect(&self) -> impl Future<Output = Result<DockerApi, EngineError>> + Send {
        DockerApi::connect()
    }
}

/// A connected engine, through the Docker Engine API (which Podman serves too).
#[derive(Clone)]
pub(crate) struct DockerApi {
    docker: Docker,
    flavor: Flavor,
    description: String,
}

async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or(Err(ApiError::RequestTimeoutError))
}

/// Podman reports a container between its `die` and its cleanup or restart as `stopped`, a
/// state the Docker API does not have, and bollard's typed answer refuses it. The state lasts
/// a moment: ask again, a few times.
async fn tolerant<T, F, Fut>(mut call: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut attempts = 0;
    loop {
        match bounded(call()).await {
            Err(ApiError::JsonDataError { .. }) if attempts < 10 => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

impl DockerApi {
    /// Connects through `DOCKER_HOST`, or the default socket, and agrees on an API version
    /// (Podman 4 serves 1.41; bollard would ask for a newer one).
    pub(crate) async fn connect() -> Result<DockerApi, EngineError> {
        let docker = Docker::connect_with_defaults()?.with_timeout(CALL_TIMEOUT);
        let docker = tokio::time::timeout(CALL_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| EngineError::new("the engine did not answer in time", true))??;
        let version = bounded(docker.version()).await?;
        let podman = version
            .components
            .iter()
            .flatten()
            .any(|c| c.name.to_ascii_lowercase().contains("podman"));
        let description = format!(
            "{} {} (API {})",
            if podman { "Podman" } else { "Docker Engine" },
            version.version.as_deref().unwrap_or("?"),
            version.api_version.as_deref().unwrap_or("?"),
        );
        Ok(DockerApi {
            docker,
            flavor: if podman {
                Flavor::Podman
            } else {
                Flavor::Docker
            },
            description,
        })
    }

    /// The helper's exec, for [`Engine::probe`]: its report, or why there is none.
    async fn helper_probe(
        &self,
        container: &Container,
        timeout: Duration,
        era: Option<Era>,
    ) -> Result<HelperReport, ProbeError> {
        if container.command.is_empty() {
            return Err(ProbeError::Failed(format!(
                "the `{LABEL_COMMAND}` label holds no command"
            )));
        }
        let mut cmd = vec![
            HELPER_PATH.to_string(),
            "health".to_string(),
            "--json".to_string(),
        ];
        match container.probe {
            ProbeKind::Exists => cmd.push("--exists".to_string()),
            ProbeKind::Handshake => {
                cmd.push(format!("--timeout={}ms", timeout.as_millis().max(1)));
                if let Some(era) = era {
                    cmd.push(format!("--era={}", era.as_str()));
                }
            }
        }
        cmd.push("--".to_string());
        cmd.extend(container.command.iter().cloned());
        let options = CreateExecOptions {
            attach_stdin: Some(false),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            cmd: Some(cmd),
            ..Default::default()
        };
        let exec = self
            .docker
            .create_exec(&container.id, options)
            .await
            .map_err(ProbeError::from_api)?;
        let started = self
            .docker
            .start_exec(
                &exec.id,
                Some(StartExecOptions {
                    detach: false,
                    tty: false,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(ProbeError::from_api)?;
        // The helper prints one short JSON line; anything past a few KiB is not it.
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        if let StartExecResults::Attached { mut output, .. } = started {
            while let Some(item) = output.next().await {
                match item {
                    Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => {
                        if !keep_bounded(&mut stdout, &message) {
                            return Err(ProbeError::Failed(format!(
                                "the health check wrote more than {} KiB: not mcpgen's helper report",
                                HELPER_OUTPUT_LIMIT >> 10
                            )));
                        }
                    }
                    Ok(LogOutput::StdErr { message }) => {
                        // The tail of stderr is kept; more is dropped, never buffered.
                        keep_bounded(&mut stderr, &message);
                    }
                    Ok(LogOutput::StdIn { .. }) => {}
                    Err(error) => return Err(ProbeError::Failed(error.to_string())),
                }
            }
        }
        let inspect = self
            .docker
            .inspect_exec(&exec.id)
            .await
            .map_err(ProbeError::from_api)?;
        helper_report(inspect.exit_code, &stdout, &stderr).map_err(ProbeError::Failed)
    }
}

impl Engine for DockerApi {
    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn description(&self) -> &str {
        &self.description
    }

    async fn ping(&self) -> Result<(), EngineError> {
        bounded(self.docker.ping()).await?;
        Ok(())
    }

    async fn containers(&self, stack: &str) -> Result<Vec<Container>, EngineError> {
        let options = ListContainersOptions {
            all: true,
            filters: Some(HashMap::from([(
                "label".to_string(),
                vec![format!("{LABEL_STACK}={stack}")],
            )])),
            ..Default::default()
        };
        let summaries = tolerant(|| self.docker.list_containers(Some(options.clone()))).await?;
        Ok(summaries
            .into_iter()
            .filter_map(|summary| {
                let labels = summary.labels.unwrap_or_default();
                let state = match summary.state {
                    Some(ContainerSummaryStateEnum::RUNNING) => RunState::Running,
                    Some(ContainerSummaryStateEnum::PAUSED) => RunState::Paused,
                    Some(ContainerSummaryStateEnum::RESTARTING) => RunState::Restarting,
                    _ => RunState::Stopped,
                };
                let name = summary.names.and_then(|n| n.into_iter().next());
                container_from_labels(summary.id?, name, &labels, stack, state)
            })
            .collect())
    }

    async fn container(&self, id: &str, stack: &str) -> Result<Option<Container>, EngineError> {
        let inspect = match tolerant(|| {
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>)
        })
        .await
        {
            Ok(inspect) => inspect,
            Err(ApiError::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let labels = inspect
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        let state = inspect.state.as_ref();
        let flag = |f: Option<bool>| f.unwrap_or(false);
        let state = if state.is_some_and(|s| flag(s.paused)) {
            RunState::Paused
        } else if state.is_some_and(|s| flag(s.restarting)) {
            RunState::Restarting
        } else if state.is_some_and(|s| flag(s.running)) {
            RunState::Running
        } else {
            RunState::Stopped
        };
        Ok(container_from_labels(
            inspect.id.unwrap_or_else(|| id.to_string()),
            inspect.name,
            &labels,
            stack,
            state,
        ))
    }

    async fn restart_policy(&self, id: &str) -> Result<String, EngineError> {
        let inspect = tolerant(|| {
            self.docker
                .inspect_container(id, None::<InspectContainerOptions>)
        })
        .await?;
        Ok(inspect
            .host_config
            .and_then(|h| h.restart_policy)
            .and_then(|p| p.name)
            .map(|n| n.to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "no".to_string()))
    }

    fn events(
        &self,
        stack: &str,
        since_secs: Option<i64>,
    ) -> BoxStream<'static, Result<ContainerEvent, EngineError>> {
        let options = EventsOptions {
            since: since_secs.map(|s| s.to_string()),
            until: None,
            filters: Some(HashMap::from([
                ("type".to_string(), vec!["container".to_string()]),
                ("label".to_string(), vec![format!("{LABEL_STACK}={stack}")]),
            ])),
        };
        self.docker
            .events(Some(options))
            .filter_map(|item| async move {
                match item {
                    Err(error) => Some(Err(EngineError::from(error))),
                    Ok(message) => {
                        let actor = message.actor?;
                        Some(Ok(ContainerEvent {
                            id: actor.id?,
                            action: message.action?,
                            attributes: actor.attributes.unwrap_or_default(),
                            time_nano: message
                                .time_nano
                                .or_else(|| message.time.map(|t| t.saturating_mul(1_000_000_000)))
                                .unwrap_or(0),
                        }))
                    }
                }
            })
            .boxed()
    }

    /// An exec of mcpgen's helper, which runs the one MCP handshake ([`crate::mcp`]) in the
    /// container; without an `era`, the helper discovers it on a throw-away process.
    async fn probe(
        &self,
        container: &Container,
        timeout: Duration,
        era: Option<Era>,
    ) -> ProbeOutcome {
        let started = Instant::now();
        if container.state == RunState::Paused {
            // A frozen container cannot answer (the engines refuse an exec into it): a failure
            // at once, as long as the engine still says it is paused.
            match self.container(&container.id, &container.stack).await {
                Ok(Some(now)) if now.state == RunState::Paused => {
                    return ProbeOutcome::Failed {
                        latency: started.elapsed(),
                        reason: "paused: a frozen server cannot answer".to_string(),
                    };
                }
                Ok(Some(now)) if !now.state.is_up() => return ProbeOutcome::NotRunning,
                Ok(None) => return ProbeOutcome::Gone,
                Err(error) if error.unreachable => return ProbeOutcome::EngineDown(error.message),
                // Unpaused meanwhile: probe it as usual.
                _ => {}
            }
        }
        // The exec is given a little more than the helper's own deadline, so the helper's
        // answer (with its reason) arrives before the monitor gives up on it.
        let attempt = self.helper_probe(container, timeout, era);
        match tokio::time::timeout(timeout + Duration::from_secs(2), attempt).await {
            Ok(Ok(report)) => ProbeOutcome::Ok {
                latency: started.elapsed(),
                detail: report.detail,
                era: report.era,
            },
            Ok(Err(ProbeError::Failed(reason))) => {
                let latency = started.elapsed();
                // An exec into a container that just stopped fails too; that is the `die`
                // event's business, not a failed probe. A paused one is still up: it counts.
                if let Ok(Some(now)) = self.container(&container.id, &container.stack).await
                    && !now.state.is_up()
                {
                    return ProbeOutcome::NotRunning;
                }
                ProbeOutcome::Failed { latency, reason }
            }
            Ok(Err(ProbeError::Engine(reason))) => ProbeOutcome::EngineDown(reason),
            Ok(Err(ProbeError::Gone)) => ProbeOutcome::Gone,
            Err(_) => ProbeOutcome::Failed {
                latency: started.elapsed(),
                reason: format!(
                    "no answer within {}",
                    crate::model::units::format_duration(timeout)
                ),
            },
        }
    }

    /// Podman refuses to restart a paused container, so a frozen one is unpaused first.
    async fn restart(&self, id: &str, stack: &str) -> Result<(), EngineError> {
        let Some(container) = self.container(id, stack).await? else {
            return Err(EngineError::new(
                format!("container {id} is gone or not a server of stack `{stack}`"),
                false,
            ));
        };
        if container.state == RunState::Paused {
            bounded(self.docker.unpause_container(id)).await?;
        }
        // Stopping waits up to the stop timeout: bound the call by that as well.
        let limit = CALL_TIMEOUT + Duration::from_secs(STOP_TIMEOUT_SECS.unsigned_abs().into());
        let call = async {
            if container.state == RunState::Stopped {
                self.docker
                    .start_container(id, None::<StartContainerOptions>)
                    .await
            } else {
                self.docker
                    .restart_container(
                        id,
                        Some(RestartContainerOptions {
                            t: Some(STOP_TIMEOUT_SECS),
                            signal: None,
                        }),
                    )
                    .await
            }
        };
        tokio::time::timeout(limit, call)
            .await
            .map_err(|_| EngineError::new("the restart did not finish in time", false))??;
        Ok(())
    }

    /// A stop through the API turns the container's restart policy off until someone starts it
    /// again (Docker's `unless-stopped` and `always`; Podman's too: its stop marks the container
    /// stopped by the user). But Podman answers a stop of a container between two turns of a
    /// crash loop (exited, its restart not begun yet) with "not modified", marks nothing, and
    /// restarts it right after, without backoff. So when the restart policy restarts it
    /// (`restarts`), the container is watched for `settle` after each stop, and stopped again
    /// whenever it runs again.
    async fn halt(
        &self,
        id: &str,
        stack: &str,
        restarts: bool,
        settle: Duration,
    ) -> Result<u32, EngineError> {
        let gone = || {
            EngineError::new(
                format!("container {id} is gone or not a server of stack `{stack}`"),
                false,
            )
        };
        let limit = CALL_TIMEOUT + Duration::from_secs(STOP_TIMEOUT_SECS.unsigned_abs().into());
        for attempt in 1..=HALT_ATTEMPTS {
            let Some(container) = self.container(id, stack).await? else {
                return Err(gone());
            };
            if container.state == RunState::Paused {
                // Podman refuses to stop a paused container.
                bounded(self.docker.unpause_container(id)).await?;
            }
            if container.state != RunState::Stopped {
                let stop = self.docker.stop_container(
                    id,
                    Some(StopContainerOptions {
                        t: Some(STOP_TIMEOUT_SECS),
                        signal: None,
                    }),
                );
                tokio::time::timeout(limit, stop)
                    .await
                    .map_err(|_| EngineError::new("the stop did not finish in time", false))??;
            }
            if !restarts {
                return Ok(attempt);
            }
            let until = Instant::now() + settle;
            let started_again = loop {
                match self.container(id, stack).await? {
                    None => return Err(gone()),
                    Some(now) if now.state != RunState::Stopped => break true,
                    Some(_) => {}
                }
                if Instant::now() >= until {
                    break false;
                }
                tokio::time::sleep(HALT_POLL).await;
            };
            if !started_again {
                return Ok(attempt);
            }
        }
        Err(EngineError::new(
            format!(
                "its restart policy started it again after each of {HALT_ATTEMPTS} stops \
                 through the API"
            ),
            false,
        ))
    }
}

enum ProbeError {
    Failed(String),
    Engine(String),
    Gone,
}

impl ProbeError {
    fn from_api(error: ApiError) -> Self {
        match error {
            ApiError::DockerResponseServerError {
                status_code: 404, ..
            } => ProbeError::Gone,
            ApiError::DockerResponseServerError { message, .. } => ProbeError::Failed(message),
            other if unreachable(&other) => ProbeError::Engine(other.to_string()),
            other => ProbeError::Failed(other.to_string()),
        }
    }
}
