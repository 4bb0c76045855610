//! `mcpgen doctor`: one line per check, a fix under each failure.

use std::io::Write as _;

use super::{Cli, Ui};
use crate::doctor::{self, Status};
use crate::error::{EXIT_FINDINGS, Error};
use crate::install::paths::Env;

#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The Docker-compatible CLI to ask about the engine, Compose and the server containers
    #[arg(
        long,
        value_name = "PROGRAM",
        default_value = "docker",
        env = "MCPGEN_DOCKER"
    )]
    docker: String,
}

pub(super) const EXAMPLES: &str = "\
Examples:
  mcpgen doctor                    every check; exit 1 if any failed
  mcpgen doctor --docker podman    ask Podman's CLI instead of docker

Checks: the engine answers, Compose v2 is there, generated/ is fresh, the bundle in install_dir is
identical to generated/ with executable shims, each client in [clients].targets that is
installed here launches exactly the current shims, and in each running server container the
program of the server's `command` exists (and the script an interpreter is told to run). A
command that is not in the image is shown beside the image's own ENTRYPOINT, CMD and WORKDIR.";

pub(super) fn run(cli: &Cli, args: &Args, ui: &mut Ui) -> Result<i32, Error> {
    let config = cli.load(ui)?;
    let compiled = crate::compile::compile(&config)?;
    let env = Env::from_process().map_err(Error::Environment)?;
    let checks = doctor::checks(&config, &compiled, &env, &args.docker);
    let mut stdout = anstream::stdout();
    let ok = anstyle::AnsiColor::Green.on_default();
    let fail = anstyle::AnsiColor::Red.on_default().bold();
    let skip = anstyle::AnsiColor::Yellow.on_default();
    for check in &checks {
        let (style, word) = match check.status {
            Status::Ok => (ok, "ok  "),
            Status::Fail => (fail, "FAIL"),
            Status::Skip => (skip, "skip"),
        };
        let _ = writeln!(
            stdout,
            "{style}{word}{style:#}  {}: {}",
            check.name, check.message
        );
        if let Some(detail) = &check.detail {
            let _ = writeln!(stdout, "      {detail}");
        }
        if let Some(fix) = &check.fix {
            let _ = writeln!(stdout, "      fix: {fix}");
        }
    }
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed == 0 {
        ui.status("doctor: all is well");
        Ok(0)
    } else {
        ui.status(format!("doctor: {failed} check(s) failed"));
        Ok(EXIT_FINDINGS)
    }
}
