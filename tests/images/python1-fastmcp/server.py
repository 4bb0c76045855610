"""python1-fastmcp: protocol fixture localhost/mcpgen-fixture-python1-fastmcp:1
(scripts/build-test-images).

A stdio MCP server on the Python SDK `mcp` 1.x (FastMCP): legacy era only.
An early `server/discover` is answered with -32602 (and a long validation
warning on stderr). Tool: echo {text}.

Run: python3 /app/server.py
"""

from mcp.server.fastmcp import FastMCP

mcp = FastMCP("mcpgen-fixture-python1-fastmcp")


@mcp.tool()
def echo(text: str) -> str:
    """Echo the text argument"""
    return text


if __name__ == "__main__":
    mcp.run()
