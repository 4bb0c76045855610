//! rmcp2-server: a minimal stdio MCP server built on rmcp 2.x (legacy era,
//! `initialize` first). Tool: `echo {text}` returns the text.
//!
//! rmcp 2.x's server handshake insists on `initialize` as the very first
//! request; anything else (an early `server/discover` probe, `tools/list`)
//! makes `serve_server` fail and this process exits non-zero.

use rmcp::{
    handler::server::wrapper::Parameters,
    model::{Implementation, ServerCapabilities, ServerInfo},
    schemars, tool, tool_handler, tool_router, ServerHandler, ServiceExt,
};

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoRequest {
    /// The text to echo back.
    text: String,
}

#[derive(Debug, Clone, Default)]
struct Fixture;

#[tool_router]
impl Fixture {
    #[tool(description = "Echo the text argument")]
    fn echo(&self, Parameters(EchoRequest { text }): Parameters<EchoRequest>) -> String {
        text
    }
}

#[tool_handler]
impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerInfo {
        ServerInfo::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "rmcp2-strict",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions("mcpgen rmcp2-strict fixture")
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    eprintln!("rmcp2-server: ready (stdio, rmcp 2.x)");
    let service = match Fixture.serve(rmcp::transport::stdio()).await {
        Ok(service) => service,
        Err(e) => {
            eprintln!("rmcp2-server: handshake failed: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = service.waiting().await {
        eprintln!("rmcp2-server: {e}");
        std::process::exit(1);
    }
}
