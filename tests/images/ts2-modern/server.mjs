// ts2-modern: protocol fixture localhost/mcpgen-fixture-ts2-modern:1
// (scripts/build-test-images). A stdio MCP server on the TS SDK 2.x
// (@modelcontextprotocol/server) that speaks ONLY the modern era (protocol
// 2026-07-28): `legacy: 'reject'` answers `initialize` with -32022
// (unsupported protocol version, error.data.supported lists the modern
// revisions) and serves `server/discover` and `_meta`-carrying requests.
// Tool: echo {text}.
// Run: node /app/server.mjs
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';

serveStdio(
  () => {
    const server = new McpServer(
      { name: 'mcpgen-fixture-ts2-modern', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.registerTool(
      'echo',
      { description: 'Echo the text argument', inputSchema: z.object({ text: z.string() }) },
      async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    return server;
  },
  { legacy: 'reject' },
);
