//! Where each value of a resolved server was written: the server's own key, the `[defaults]`
//! key it inherited, or nowhere. The TOML document's paths stay inside this module; the stages
//! after config get [`ServerSpans`], spans as values beside the model.

use super::parse::{self, SpanIndex};
use crate::model::Server;
use crate::source::{FileId, Span};

/// Answers "which text set this value?" for lint findings on a resolved server: the server's
/// own key, else the `[defaults]` key it inherited, else the server's table (where it is missing).
#[derive(Debug)]
pub struct Origins {
    pub(super) file: FileId,
    pub(super) spans: SpanIndex,
}

/// Where a setting of a server came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Server(Span),
    Defaults(Span),
    /// Not set anywhere: the span is the server's table header.
    Missing(Span),
}

impl Origin {
    pub fn span(&self) -> &Span {
        match self {
            Origin::Server(span) | Origin::Defaults(span) | Origin::Missing(span) => span,
        }
    }
}

impl Origins {
    /// `path` is relative to the server table, e.g. `limits/memory`.
    pub fn setting(&self, server: &str, path: &str) -> Origin {
        let server_at = format!("/servers/{}", parse::pointer_segment(server));
        if let Some(range) = self.spans.value(&format!("{server_at}/{path}")) {
            return Origin::Server(Span::new(self.file, range));
        }
        if let Some(range) = self.spans.value(&format!("/defaults/{path}")) {
            return Origin::Defaults(Span::new(self.file, range));
        }
        Origin::Missing(self.server(server))
    }

    /// The server's own value at `path`, if it sets one.
    pub fn own(&self, server: &str, path: &str) -> Option<Span> {
        let pointer = format!("/servers/{}/{path}", parse::pointer_segment(server));
        self.spans
            .value(&pointer)
            .map(|range| Span::new(self.file, range))
    }

    /// The server table's key (`[servers.memory]` → `memory`).
    pub fn server(&self, server: &str) -> Span {
        let pointer = format!("/servers/{}", parse::pointer_segment(server));
        Span::new(self.file, self.spans.key(&pointer).unwrap_or(0..0))
    }
}

/// Where each setting of one server was written, for the findings about it. A setting's span is
/// the server's own key, else the `[defaults]` key it inherited, else the server's table.
#[derive(Debug, Clone)]
pub struct ServerSpans {
    /// The server table's key (`[servers.memory]` → `memory`).
    pub table: Span,
    pub image: Span,
    pub user: Span,
    pub read_only: Span,
    /// The `cap_drop` list; each item's own span where it was written, else the list's.
    pub cap_drop: Vec<Span>,
    pub no_new_privileges: Span,
    pub init: Span,
    pub restart: Span,
    pub health: Span,
    pub tmpfs: Span,
    pub logging: Span,
    pub cpus: Span,
    pub memory: Span,
    pub pids: Span,
    /// Only where the server itself says `egress = true`.
    pub egress: Option<Span>,
    /// One per mount, volume, environment variable and allow, in the model's order.
    pub mounts: Vec<Option<Span>>,
    pub volumes: Vec<Option<Span>>,
    pub env: Vec<Option<Span>>,
    pub allow: Vec<Option<Span>>,
}

impl Origins {
    pub fn server_spans(&self, server: &Server) -> ServerSpans {
        let name = server.name.as_str();
        let at = |path: &str| *self.setting(name, path).span();
        let list_at = |list: &str, count: usize| {
            (0..count)
                .map(|i| self.own(name, &format!("{list}/{i}")))
                .collect()
        };
        ServerSpans {
            table: self.server(name),
            image: at("image"),
            user: at("user"),
            read_only: at("read_only"),
            cap_drop: (0..server.cap_drop.len())
                .map(|i| match self.setting(name, &format!("cap_drop/{i}")) {
                    Origin::Missing(_) => at("cap_drop"),
                    origin => *origin.span(),
                })
                .collect(),
            no_new_privileges: at("no_new_privileges"),
            init: at("init"),
            restart: at("restart"),
            health: at("health"),
            tmpfs: at("tmpfs"),
            logging: at("logging"),
            cpus: at("limits/cpus"),
            memory: at("limits/memory"),
            pids: at("limits/pids"),
            egress: self.own(name, "egress"),
            mounts: list_at("mounts", server.mounts.len()),
            volumes: list_at("volumes", server.volumes.len()),
            env: server
                .env
                .iter()
                .map(|(key, _)| self.own(name, &format!("env/{}", parse::pointer_segment(key))))
                .collect(),
            allow: server
                .allow
                .iter()
                .map(|allow| self.own(name, &format!("allow/{}", allow.index)))
                .collect(),
        }
    }
}
