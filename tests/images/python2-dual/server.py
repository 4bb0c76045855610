"""python2-dual: protocol fixture localhost/mcpgen-fixture-python2-dual:1
(scripts/build-test-images).

A stdio MCP server on the Python SDK `mcp` 2.x (MCPServer, formerly FastMCP).
It is dual-era: it answers `server/discover` (with `_meta`) like a protocol
2026-07-28 server and a legacy `initialize` like a 2025-era one.
Tool: echo {text}.

Run: python3 /app/server.py
"""

from mcp.server.mcpserver import MCPServer

mcp = MCPServer("mcpgen-fixture-python2-dual", version="1.0.0")


@mcp.tool()
def echo(text: str) -> str:
    """Echo the text argument"""
    return text


if __name__ == "__main__":
    mcp.run()
