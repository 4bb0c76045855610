//! The MCP protocol as mcpgen speaks it: one handshake for both protocol eras
//! ([`handshake`]), and a driver over child processes' stdio ([`stdio`]). No async runtime:
//! the in-container helper, `mcpgen probe` and (through the helper) `mcpgen monitor` share it.

pub(crate) mod handshake;
pub(crate) mod stdio;

pub(crate) use handshake::{Era, Failure, Handshake};
