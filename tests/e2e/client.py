"""A real MCP client that is not mcpgen: the official Python SDK (PyPI `mcp`), for the e2e tests.

Reads a plan as JSON on stdin:

    {"command": "/bin/sh", "args": [...], "env": {...},   # a client config entry, verbatim
     "timeout": 30,                                        # seconds, per session
     "concurrent": false,                                  # run the sessions at once?
     "sessions": [[{"op": "list_tools"},
                   {"op": "call", "tool": "read_text_file", "arguments": {...}},
                   {"op": "sleep", "seconds": 2}], ...]}

and prints one JSON object on stdout: {"sessions": [{"ok", "error", "protocol_version",
"handshake_ms", "elapsed_ms", "stderr", "results": [...]}, ...]}. A failed session is data,
never an exception: the tests assert on what a client sees, errors and timings included.

With --interactive, one session is held open while a test breaks things under it: the plan
(without "sessions") is the first line on stdin, then one op per line, each answered by one
line on stdout as it completes: {"ok", "error", "result", "ms", "notifications"}. The
session's start is reported as {"event": "connected" | "failed", ...}, and the end of stdin
closes it with {"event": "closed", "stderr"}. Ops: list_tools (never from the SDK's cache),
call, and notifications (the methods of the notifications seen so far).
"""

import json
import sys
import tempfile
import time

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client


def content_text(result):
    return "\n".join(getattr(c, "text", "") for c in result.content)


async def run_session(plan, steps):
    params = StdioServerParameters(
        command=plan["command"], args=plan.get("args", []), env=plan.get("env"), cwd="/"
    )
    started = time.monotonic()
    out = {"ok": False, "error": None, "protocol_version": None, "handshake_ms": None, "results": []}
    # The server's stderr (the shim's log lines) goes to a real file: clients keep it as a log.
    with tempfile.TemporaryFile(mode="w+") as errlog:
        try:
            with anyio.fail_after(plan.get("timeout", 30)):
                async with Client(stdio_client(params, errlog=errlog), mode="auto") as client:
                    out["handshake_ms"] = round((time.monotonic() - started) * 1000)
                    out["protocol_version"] = client.protocol_version
                    for step in steps:
                        if step["op"] == "list_tools":
                            tools = await client.list_tools()
                            out["results"].append({"tools": sorted(t.name for t in tools.tools)})
                        elif step["op"] == "call":
                            result = await client.call_tool(step["tool"], step.get("arguments", {}))
                            out["results"].append(
                                {"is_error": bool(result.is_error), "text": content_text(result)}
                            )
                        elif step["op"] == "sleep":
                            # Keeps the session open while a test does something to the server.
                            await anyio.sleep(step["seconds"])
                        else:
                            raise ValueError(f"unknown op {step['op']!r}")
            out["ok"] = True
        except BaseException as error:  # noqa: BLE001 - what the client sees is the result
            if isinstance(error, KeyboardInterrupt):
                raise
            out["error"] = describe(error)
        out["elapsed_ms"] = round((time.monotonic() - started) * 1000)
        errlog.seek(0)
        out["stderr"] = errlog.read()
    return out


def describe(error):
    """One line a person can read, from nested exception groups too."""
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(e) for e in error.exceptions)
    return f"{type(error).__name__}: {error}"


async def interactive():
    stdin = anyio.wrap_file(sys.stdin)
    plan = json.loads(await stdin.readline())
    params = StdioServerParameters(
        command=plan["command"], args=plan.get("args", []), env=plan.get("env"), cwd="/"
    )
    seen = []

    async def on_message(message):
        root = getattr(message, "root", message)
        method = getattr(root, "method", None)
        if method:
            seen.append(method)

    def emit(value):
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as errlog:
        try:
            async with Client(
                stdio_client(params, errlog=errlog), mode="auto", message_handler=on_message
            ) as client:
                emit({"event": "connected", "protocol_version": client.protocol_version,
                      "handshake_ms": round((time.monotonic() - started) * 1000)})
                while line := await stdin.readline():
                    step = json.loads(line)
                    began = time.monotonic()
                    out = {"ok": False, "error": None, "result": None}
                    try:
                        with anyio.fail_after(step.get("timeout", 30)):
                            if step["op"] == "list_tools":
                                tools = await client.list_tools(cache_mode="bypass")
                                out["result"] = sorted(t.name for t in tools.tools)
                            elif step["op"] == "call":
                                result = await client.call_tool(step["tool"], step.get("arguments", {}))
                                out["result"] = {"is_error": bool(result.is_error),
                                                 "text": content_text(result)}
                            elif step["op"] == "notifications":
                                out["result"] = list(seen)
                            else:
                                raise ValueError(f"unknown op {step['op']!r}")
                        out["ok"] = True
                    except Exception as error:  # noqa: BLE001 - what the client sees is the result
                        out["error"] = describe(error)
                    out["ms"] = round((time.monotonic() - began) * 1000)
                    emit(out)
        except BaseException as error:  # noqa: BLE001
            if isinstance(error, KeyboardInterrupt):
                raise
            emit({"event": "failed", "error": describe(error)})
        errlog.seek(0)
        emit({"event": "closed", "stderr": errlog.read()})


async def main():
    if "--interactive" in sys.argv[1:]:
        await interactive()
        return
    plan = json.load(sys.stdin)
    sessions = plan["sessions"]
    results = [None] * len(sessions)

    async def one(index, steps):
        results[index] = await run_session(plan, steps)

    if plan.get("concurrent"):
        async with anyio.create_task_group() as group:
            for index, steps in enumerate(sessions):
                group.start_soon(one, index, steps)
    else:
        for index, steps in enumerate(sessions):
            await one(index, steps)
    json.dump({"sessions": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    anyio.run(main)
