//! Lint's two front ends, equal: each reads what the user wrote and produces the one
//! [`ServiceView`](crate::lint::ServiceView) per service that the rules read, with spans into
//! that text. [`toml`] reads `mcp.toml` (as the generated compose file will run it);
//! [`compose`] reads a compose project as Compose itself reads it.

pub mod compose;
pub mod toml;
