//! `mcpgen completions <shell>` and `mcpgen man`: generated from the clap definitions, so they
//! never drift from the real flags.

use std::path::PathBuf;

use clap::CommandFactory as _;

use super::{Cli, Ui};
use crate::error::Error;

#[derive(Debug, clap::Args)]
pub(super) struct CompletionsArgs {
    /// The shell to write completions for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub(super) const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  mcpgen completions bash > ~/.local/share/bash-completion/completions/mcpgen
  mcpgen completions zsh > \"${fpath[1]}/_mcpgen\"
  mcpgen completions fish > ~/.config/fish/completions/mcpgen.fish";

#[derive(Debug, clap::Args)]
pub(super) struct ManArgs {
    /// Write mcpgen.1 and a page per command (mcpgen-build.1, …) into DIR instead of printing
    /// mcpgen.1
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

pub(super) const MAN_EXAMPLES: &str = "\
Examples:
  mcpgen man | man -l -
  mcpgen man --out-dir /usr/local/share/man/man1";

pub(super) fn completions(args: &CompletionsArgs) -> Result<i32, Error> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "mcpgen", &mut std::io::stdout());
    Ok(0)
}

pub(super) fn man(args: &ManArgs, ui: &Ui) -> Result<i32, Error> {
    let command = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(Error::io("create directory", dir))?;
            clap_mangen::generate_to(command, dir).map_err(Error::io("write man pages in", dir))?;
            ui.status(format!("wrote man pages to {}", dir.display()));
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(Error::io("render the man page", "mcpgen.1"))?;
            use std::io::Write as _;
            std::io::stdout()
                .write_all(&page)
                .map_err(Error::io("write", "stdout"))?;
        }
    }
    Ok(0)
}
