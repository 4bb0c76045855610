/*
 * fake-mcp-server: a tiny MCP stdio server for mcpgen's tests.
 *
 * Reads newline-delimited JSON-RPC 2.0 on stdin, answers on stdout (one line
 * per answer), logs to stderr. Only the top level of each message is parsed:
 * "method" (a string) and "id" (echoed verbatim: number, string or null).
 *
 *   initialize      -> protocolVersion "2025-06-18", capabilities {"tools":{}},
 *                      serverInfo {"name":"fake","version":"1"}
 *   tools/list      -> one tool, "echo"
 *   tools/call      -> name "echo": content [{type:text, text:<arguments.text>}];
 *                      name "hog": allocates and touches memory until the kernel
 *                      kills the process (one session out of memory), never answers
 *   ping            -> {}
 *   server/discover -> error -32601 (method not found), like any other method
 *   notifications (no "id") -> no answer
 *
 * FAKE_MCP_MODE: unset/"normal" as above; "hang" reads stdin forever and never
 * answers (and stays alive after EOF); "crash" exits 1 at once; "oom" allocates
 * and touches memory until it is killed; "flood" writes one endless line to
 * stdout, as a broken or hostile server might.
 *
 * Build: gcc -static -O2 -Wall -Wextra -o fake-mcp-server fake-mcp-server.c
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void mode_oom(void);

typedef struct {
    const char *p; /* start of the value text */
    size_t n;      /* its length; 0 = absent */
} span;

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    return s;
}

/* Skip one JSON value starting at s; return the char after it, or NULL. */
static const char *skip_value(const char *s, const char *end)
{
    s = skip_ws(s, end);
    if (s >= end)
        return NULL;
    if (*s == '"') {
        for (s++; s < end; s++) {
            if (*s == '\\') {
                if (++s >= end)
                    return NULL;
            } else if (*s == '"') {
                return s + 1;
            }
        }
        return NULL;
    }
    if (*s == '{' || *s == '[') {
        int depth = 0;
        for (; s < end; s++) {
            if (*s == '"') {
                s = skip_value(s, end);
                if (!s)
                    return NULL;
                s--; /* loop increments */
            } else if (*s == '{' || *s == '[') {
                depth++;
            } else if (*s == '}' || *s == ']') {
                if (--depth == 0)
                    return s + 1;
            }
        }
        return NULL;
    }
    /* number, true, false, null */
    const char *start = s;
    while (s < end && !strchr(",}] \t\r\n", *s))
        s++;
    return s > start ? s : NULL;
}

/*
 * Find member `key` of the JSON object at s..end. Returns 1 and sets *out when
 * found, 0 when absent, -1 when s is not a well-formed object.
 */
static int find_member(const char *s, const char *end, const char *key, span *out)
{
    size_t klen = strlen(key);
    out->p = NULL;
    out->n = 0;
    s = skip_ws(s, end);
    if (s >= end || *s != '{')
        return -1;
    s = skip_ws(s + 1, end);
    if (s < end && *s == '}')
        return 0;
    for (;;) {
        s = skip_ws(s, end);
        if (s >= end || *s != '"')
            return -1;
        const char *k = s + 1;
        const char *kend = skip_value(s, end);
        if (!kend)
            return -1;
        int match = (size_t)(kend - 1 - k) == klen && memcmp(k, key, klen) == 0;
        s = skip_ws(kend, end);
        if (s >= end || *s != ':')
            return -1;
        s = skip_ws(s + 1, end);
        const char *vend = skip_value(s, end);
        if (!vend)
            return -1;
        if (match && !out->p) {
            out->p = s;
            out->n = (size_t)(vend - s);
        }
        s = skip_ws(vend, end);
        if (s < end && *s == ',') {
            s++;
            continue;
        }
        if (s < end && *s == '}')
            return out->p ? 1 : 0;
        return -1;
    }
}

static int span_is_string(span v, const char *lit)
{
    size_t n = strlen(lit);
    return v.n == n + 2 && v.p[0] == '"' && memcmp(v.p + 1, lit, n) == 0;
}

static void reply(span id, const char *body)
{
    if (id.n)
        printf("{\"jsonrpc\":\"2.0\",\"id\":%.*s,%s}\n", (int)id.n, id.p, body);
    else
        printf("{\"jsonrpc\":\"2.0\",\"id\":null,%s}\n", body);
    fflush(stdout);
}

static void reply_error(span id, int code, const char *msg)
{
    char body[256];
    snprintf(body, sizeof body, "\"error\":{\"code\":%d,\"message\":\"%s\"}", code, msg);
    reply(id, body);
}

static void handle_tools_call(span id, const char *line, const char *end)
{
    span params, name, args, text;
    if (find_member(line, end, "params", &params) != 1 ||
        find_member(params.p, params.p + params.n, "name", &name) != 1) {
        reply_error(id, -32602, "Invalid params");
        return;
    }
    if (span_is_string(name, "hog"))
        mode_oom();
    if (!span_is_string(name, "echo")) {
        reply_error(id, -32602, "Unknown tool");
        return;
    }
    if (find_member(params.p, params.p + params.n, "arguments", &args) != 1 ||
        find_member(args.p, args.p + args.n, "text", &text) != 1 || text.p[0] != '"') {
        reply_error(id, -32602, "Invalid params: arguments.text (string) is required");
        return;
    }
    /* text is still a JSON string literal (escapes intact): copy it verbatim. */
    printf("{\"jsonrpc\":\"2.0\",\"id\":%.*s,\"result\":{\"content\":[{\"type\":\"text\",\"text\":%.*s}],"
           "\"isError\":false}}\n",
           (int)id.n, id.p, (int)text.n, text.p);
    fflush(stdout);
}

static void handle_line(const char *line, size_t len)
{
    const char *end = line + len;
    span id, method;
    const char *s = skip_ws(line, end);
    if (s == end)
        return; /* blank line */
    int has_id = find_member(s, end, "id", &id);
    if (has_id < 0 || skip_ws(skip_value(s, end), end) != end) {
        span none = {NULL, 0};
        reply_error(none, *s == '[' ? -32600 : -32700,
                    *s == '[' ? "Invalid Request: batches are not supported" : "Parse error");
        return;
    }
    find_member(s, end, "method", &method);
    if (has_id == 0)
        return; /* notification (or a response): never answered */
    if (!method.n || method.p[0] != '"') {
        span r;
        if (find_member(s, end, "result", &r) == 1 || find_member(s, end, "error", &r) == 1)
            return; /* a response to us: we never send requests, ignore it */
        reply_error(id, -32600, "Invalid Request");
        return;
    }
    if (span_is_string(method, "initialize")) {
        reply(id, "\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{\"tools\":{}},"
                  "\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}");
    } else if (span_is_string(method, "tools/list")) {
        reply(id, "\"result\":{\"tools\":[{\"name\":\"echo\",\"description\":\"Echo the text argument\","
                  "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}},"
                  "\"required\":[\"text\"]}}]}");
    } else if (span_is_string(method, "tools/call")) {
        handle_tools_call(id, s, end);
    } else if (span_is_string(method, "ping")) {
        reply(id, "\"result\":{}");
    } else {
        reply_error(id, -32601, "Method not found");
    }
}

static void mode_hang(void)
{
    char buf[4096];
    fprintf(stderr, "fake-mcp-server: mode=hang, never answering\n");
    while (read(0, buf, sizeof buf) > 0)
        ;
    for (;;)
        pause();
}

static void mode_flood(void)
{
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    fprintf(stderr, "fake-mcp-server: mode=flood, writing an endless line\n");
    for (;;) {
        if (write(1, chunk, sizeof chunk) < 0)
            exit(1);
    }
}

static void mode_oom(void)
{
    const size_t chunk = 4u << 20;
    size_t total = 0;
    fprintf(stderr, "fake-mcp-server: mode=oom, allocating until killed\n");
    for (;;) {
        char *p = malloc(chunk);
        if (!p) {
            usleep(10000);
            continue;
        }
        memset(p, 0xA5, chunk); /* touch every page */
        total += chunk;
        if (total % (64u << 20) == 0)
            fprintf(stderr, "fake-mcp-server: %zu MiB allocated\n", total >> 20);
    }
}

int main(void)
{
    const char *mode = getenv("FAKE_MCP_MODE");
    if (!mode || !*mode)
        mode = "normal";
    if (strcmp(mode, "crash") == 0) {
        fprintf(stderr, "fake-mcp-server: mode=crash, exiting 1\n");
        return 1;
    }
    if (strcmp(mode, "hang") == 0)
        mode_hang();
    if (strcmp(mode, "flood") == 0)
        mode_flood();
    if (strcmp(mode, "oom") == 0)
        mode_oom();
    if (strcmp(mode, "normal") != 0)
        fprintf(stderr, "fake-mcp-server: unknown FAKE_MCP_MODE=%s, acting normal\n", mode);
    fprintf(stderr, "fake-mcp-server: ready (stdio, newline-delimited JSON-RPC)\n");

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) != -1)
        handle_line(line, (size_t)n);
    free(line);
    return 0;
}
