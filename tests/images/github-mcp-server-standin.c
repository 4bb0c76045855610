/*
 * github-mcp-server-standin: an offline stand-in for the real
 * ghcr.io/github/github-mcp-server binary (Go, cannot be built here), baked
 * into a distroless-shaped local image under the real name by
 * scripts/build-test-images. Only the parts mcpgen depends on are mimicked:
 *
 *   github-mcp-server stdio      serve MCP on stdin/stdout (legacy era)
 *   github-mcp-server --help     usage on stdout, exit 0 (also: help, -h)
 *   github-mcp-server --version  "Version: ..." on stdout, exit 0
 *   anything else / no argument  usage on stderr, exit 1
 *
 * `stdio` requires GITHUB_PERSONAL_ACCESS_TOKEN (non-empty), like the real one:
 * without it, "Error: GITHUB_PERSONAL_ACCESS_TOKEN not set" on stderr, exit 1.
 *
 * Protocol (newline-delimited JSON-RPC 2.0; only the top level of each message
 * is parsed, "id" is echoed verbatim):
 *   initialize      -> protocolVersion = the client's if it is one of
 *                      2024-11-05 / 2025-03-26 / 2025-06-18, else 2025-06-18;
 *                      capabilities {"tools":{}},
 *                      serverInfo {"name":"github-mcp-server","version":...}
 *   tools/list      -> one tool, "get_me"
 *   tools/call      -> "get_me": text saying the token was received, with its
 *                      length and the first 12 hex digits of its sha256 (never
 *                      the token itself)
 *   ping            -> {}
 *   anything else   -> -32601 Method not found (server/discover included: a
 *                      legacy-only server)
 *   notifications   -> no answer
 *
 * Build: gcc -static -O2 -Wall -Wextra -o github-mcp-server github-mcp-server-standin.c
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STANDIN_VERSION "v0.30.1-mcpgen-standin"
#define TOKEN_ENV "GITHUB_PERSONAL_ACCESS_TOKEN"

/* ------------------------------------------------------------ sha256 */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, hh;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i];
        uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

/* sha256 of data[0..n) as 64 lowercase hex digits + NUL in out[65]. */
static void sha256_hex(const unsigned char *data, size_t n, char out[65])
{
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    unsigned char tail[128];
    size_t full = n / 64 * 64, rest = n - full, tlen;
    uint64_t bits = (uint64_t)n * 8;
    int i;
    for (size_t off = 0; off < full; off += 64)
        sha256_block(h, data + off);
    memset(tail, 0, sizeof tail);
    memcpy(tail, data + full, rest);
    tail[rest] = 0x80;
    tlen = rest + 1 + 8 <= 64 ? 64 : 128;
    for (i = 0; i < 8; i++)
        tail[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha256_block(h, tail);
    if (tlen == 128)
        sha256_block(h, tail + 64);
    for (i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ------------------------------------------------------------ JSON (top level only) */

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
    const char *start = s; /* number, true, false, null */
    while (s < end && !strchr(",}] \t\r\n", *s))
        s++;
    return s > start ? s : NULL;
}

/* Member `key` of the object at s..end: 1 found (*out set), 0 absent, -1 not an object. */
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

/* ------------------------------------------------------------ MCP */

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

static const char *negotiate(const char *line, const char *end)
{
    static const char *const known[] = {"2025-06-18", "2025-03-26", "2024-11-05"};
    span params, version;
    if (find_member(line, end, "params", &params) == 1 &&
        find_member(params.p, params.p + params.n, "protocolVersion", &version) == 1) {
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            if (span_is_string(version, known[i]))
                return known[i];
    }
    return known[0];
}

static void handle_tools_call(span id, const char *line, const char *end, const char *token)
{
    span params, name;
    char hex[65], body[512];
    if (find_member(line, end, "params", &params) != 1 ||
        find_member(params.p, params.p + params.n, "name", &name) != 1) {
        reply_error(id, -32602, "Invalid params");
        return;
    }
    if (!span_is_string(name, "get_me")) {
        reply_error(id, -32602, "Unknown tool");
        return;
    }
    sha256_hex((const unsigned char *)token, strlen(token), hex);
    snprintf(body, sizeof body,
             "\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"github-mcp-server stand-in: "
             TOKEN_ENV " received (%zu characters, sha256 %.12s...); no GitHub API is reachable offline\"}],"
             "\"isError\":false}",
             strlen(token), hex);
    reply(id, body);
}

static void handle_line(const char *line, size_t len, const char *token)
{
    const char *end = line + len;
    span id, method;
    char body[512];
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
        return; /* notification: never answered */
    if (!method.n || method.p[0] != '"') {
        span r;
        if (find_member(s, end, "result", &r) == 1 || find_member(s, end, "error", &r) == 1)
            return; /* a response to us: we never send requests */
        reply_error(id, -32600, "Invalid Request");
        return;
    }
    if (span_is_string(method, "initialize")) {
        snprintf(body, sizeof body,
                 "\"result\":{\"protocolVersion\":\"%s\",\"capabilities\":{\"tools\":{}},"
                 "\"serverInfo\":{\"name\":\"github-mcp-server\",\"version\":\"%s\"}}",
                 negotiate(s, end), STANDIN_VERSION);
        reply(id, body);
    } else if (span_is_string(method, "tools/list")) {
        reply(id, "\"result\":{\"tools\":[{\"name\":\"get_me\",\"description\":\"Get details of the "
                  "authenticated GitHub user (stand-in: reports that the token was received)\","
                  "\"inputSchema\":{\"type\":\"object\",\"properties\":{}},"
                  "\"annotations\":{\"title\":\"Get my user profile\",\"readOnlyHint\":true}}]}");
    } else if (span_is_string(method, "tools/call")) {
        handle_tools_call(id, s, end, token);
    } else if (span_is_string(method, "ping")) {
        reply(id, "\"result\":{}");
    } else {
        reply_error(id, -32601, "Method not found");
    }
}

static void usage(FILE *to)
{
    fprintf(to, "A GitHub MCP server that handles various tools and resources.\n\n"
                "Usage:\n  server [command]\n\n"
                "Available Commands:\n  stdio       Start stdio server\n\n"
                "(mcpgen offline stand-in for ghcr.io/github/github-mcp-server, " STANDIN_VERSION ")\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v")) {
        printf("Version: %s\n", STANDIN_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "stdio") != 0) {
        fprintf(stderr, "Error: unknown command \"%s\" for \"server\"\n", argv[1]);
        usage(stderr);
        return 1;
    }
    const char *token = getenv(TOKEN_ENV);
    if (!token || !*token) {
        fprintf(stderr, "Error: " TOKEN_ENV " not set\n");
        return 1;
    }
    fprintf(stderr, "GitHub MCP Server running on stdio (mcpgen stand-in)\n");

    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) != -1)
        handle_line(line, (size_t)n, token);
    free(line);
    return 0;
}
