//! Servers `init --from` knows how to run in a container: matched on the package or image a
//! client's command names, filled in as the bundled `mcp.toml` runs them.

/// How a known server's host state maps into its container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Nothing to carry over.
    None,
    /// The directories on its command line become read-only mounts under `/projects`.
    Directories,
    /// Its state lives in a named volume (name, mount point).
    Volume(&'static str, &'static str),
}

#[derive(Debug)]
pub(crate) struct Known {
    /// npm / PyPI packages and image names that identify the server, without versions.
    pub names: &'static [&'static str],
    pub image: &'static str,
    pub command: &'static [&'static str],
    pub env: &'static [(&'static str, &'static str)],
    pub egress: bool,
    pub state: State,
    /// Runs arbitrary commands: never allowed to fall back to an unsandboxed run.
    pub never_local: bool,
    pub description: &'static str,
}

/// The reference servers' images carry the monorepo's release date as their version, as in the
/// bundled `mcp.toml`.
pub(crate) static KNOWN: &[Known] = &[
    Known {
        names: &["@modelcontextprotocol/server-filesystem", "mcp/filesystem"],
        image: "mcp/filesystem:2026.8.31",
        command: &["node", "/app/dist/index.js"],
        env: &[],
        egress: false,
        state: State::Directories,
        never_local: false,
        description: "Files in the directories it was given, read-only.",
    },
    Known {
        names: &["@modelcontextprotocol/server-memory", "mcp/memory"],
        image: "mcp/memory:2026.8.31",
        command: &["node", "/app/dist/index.js"],
        env: &[("MEMORY_FILE_PATH", "/data/memory.jsonl")],
        egress: false,
        state: State::Volume("memory-data", "/data"),
        never_local: false,
        description: "A knowledge graph kept in a named volume.",
    },
    Known {
        names: &[
            "@modelcontextprotocol/server-github",
            "github-mcp-server",
            "ghcr.io/github/github-mcp-server",
            "mcp/github",
        ],
        image: "ghcr.io/github/github-mcp-server:v0.30.1",
        command: &["/server/github-mcp-server", "stdio"],
        env: &[],
        egress: true,
        state: State::None,
        never_local: false,
        description: "The GitHub API.",
    },
    Known {
        names: &["mcp-server-fetch", "mcp/fetch"],
        image: "mcp/fetch:2026.8.31",
        command: &["mcp-server-fetch"],
        env: &[],
        egress: true,
        state: State::None,
        never_local: false,
        description: "Fetches web pages.",
    },
    Known {
        names: &["@modelcontextprotocol/server-everything", "mcp/everything"],
        image: "mcp/everything:2026.8.31",
        command: &["node", "/app/dist/index.js"],
        env: &[],
        egress: false,
        state: State::None,
        never_local: false,
        description: "The MCP reference test server.",
    },
    Known {
        names: &[
            "@modelcontextprotocol/server-sequential-thinking",
            "mcp/sequentialthinking",
        ],
        image: "mcp/sequentialthinking:2026.8.31",
        command: &["node", "/app/dist/index.js"],
        env: &[],
        egress: false,
        state: State::None,
        never_local: false,
        description: "Structured step-by-step thinking.",
    },
    Known {
        names: &["mcp-server-time", "mcp/time"],
        image: "mcp/time:2026.8.31",
        command: &["mcp-server-time"],
        env: &[],
        egress: false,
        state: State::None,
        never_local: false,
        description: "Time and time-zone conversion.",
    },
    Known {
        names: &["@wonderwhy-er/desktop-commander", "mcp/desktop-commander"],
        image: "mcp/desktop-commander:0.2.38",
        command: &["node", "/app/dist/index.js"],
        env: &[],
        egress: false,
        state: State::Volume("shell-work", "/work"),
        never_local: true,
        description: "Runs commands inside its own sandbox: no network, no host files.",
    },
];

/// The known server a command line runs, matched on whole words: `pkg`, `pkg@1.2.3`,
/// `pkg==1.2`, `image:tag` or `image@sha256:…`.
pub(crate) fn find(argv: &[String]) -> Option<(&'static Known, usize)> {
    for (index, word) in argv.iter().enumerate() {
        for known in KNOWN {
            for name in known.names {
                if let Some(rest) = word.strip_prefix(name) {
                    let versioned = rest.is_empty()
                        || rest.starts_with('@')
                        || rest.starts_with("==")
                        || rest.starts_with(':');
                    if versioned {
                        return Some((known, index));
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn packages_and_images_match_with_versions_and_only_whole_words() {
        let hit = |w: &[&str]| find(&argv(w)).map(|(k, i)| (k.image, i));
        assert_eq!(
            hit(&["npx", "-y", "@modelcontextprotocol/server-filesystem", "/a"]),
            Some(("mcp/filesystem:2026.8.31", 2))
        );
        assert_eq!(
            hit(&["npx", "@modelcontextprotocol/server-memory@0.6.2"]).map(|h| h.0),
            Some("mcp/memory:2026.8.31")
        );
        assert_eq!(
            hit(&["uvx", "mcp-server-fetch==2025.4.7"]).map(|h| h.0),
            Some("mcp/fetch:2026.8.31")
        );
        assert_eq!(
            hit(&[
                "docker",
                "run",
                "-i",
                "ghcr.io/github/github-mcp-server:v0.20"
            ])
            .map(|h| h.0),
            Some("ghcr.io/github/github-mcp-server:v0.30.1")
        );
        assert_eq!(hit(&["uvx", "mcp-server-fetcher"]), None);
        assert_eq!(hit(&["npx", "my-server-memory"]), None);
    }
}
