//! Rendering: pure functions from the model to the bytes of each artifact. Nothing here touches
//! the disk; the writer does, after everything rendered.

pub mod clients;
pub mod compose;
pub mod header;
pub mod shim;

use crate::model::Stack;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot shell-quote `{0}`: it contains a NUL byte")]
    Nul(String),
    #[error("shim template: {0}")]
    Template(String),
    #[error("cannot serialize {artifact}: {message}")]
    Serialize {
        artifact: &'static str,
        message: String,
    },
    #[error("no renderer for client `{0}`")]
    UnknownClient(String),
}

/// One file of the output, its path relative to the output directory (always `/`-separated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub contents: String,
    pub executable: bool,
}

/// Every artifact of the stack, in a stable order.
pub fn render(stack: &Stack) -> Result<Vec<Artifact>, RenderError> {
    let mut artifacts = vec![Artifact {
        path: crate::model::contract::COMPOSE_FILE_NAME.to_string(),
        contents: compose::render(stack)?,
        executable: false,
    }];
    for (path, contents) in shim::render(stack)? {
        artifacts.push(Artifact {
            path,
            contents,
            executable: true,
        });
    }
    for client in &stack.clients {
        for profile in &stack.profiles {
            artifacts.push(Artifact {
                path: clients::artifact_path(stack, client, profile),
                contents: clients::render_client(stack, client, profile)?,
                executable: false,
            });
        }
    }
    Ok(artifacts)
}
