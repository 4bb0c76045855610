//! A merged compose service as a [`ServiceView`]: every field the rules read, each with the span
//! of the text that set it and, where interpolation made it, a note saying so.
//!
//! Repeats in lists are removed the way Compose's "unicity" pass does after a merge: the later
//! entry replaces the earlier one in the earlier one's place (capabilities and tmpfs by value,
//! volumes and devices by target, ports by spec, environment by name). Values Compose would
//! refuse (a list where a string belongs, `read_only: maybe`) are errors, not guesses.

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use super::allow::service_allows;
use super::error::ComposeError;
use super::scalar::{NotAString, resolve_plain};
use super::shared_network::Identity;
use super::syntax::{self, is_host_path, short_port, short_volume};
use super::tree::{Map, Node, Style, Tag, Value};
use crate::lint::host_path::{self, Landing};
use crate::lint::view::{
    EnvView, HealthView, LimitsView, Located, LoggingView, MountKind, MountView, NetworkPeer,
    NetworkView, PortView, ServiceView, TmpfsView,
};
use crate::model::ByteSize;
use crate::source::Span;

/// The namespace settings that can join a host namespace, in the order the view lists them.
const NAMESPACES: [&str; 5] = ["pid", "ipc", "uts", "userns_mode", "cgroup"];

/// What a service is read against besides itself: the project's top-level definitions, and
/// where its host paths land.
pub(crate) struct Project<'a> {
    pub(crate) networks: Option<&'a Map>,
    pub(crate) volumes: Option<&'a Map>,
    /// Per file read, the absolute directory its relative paths are relative to: the project
    /// directory for the `-f` files, its own directory for an included or extended file (as
    /// compose-go rebases them). Indexed by [`crate::source::FileId::index`].
    pub(crate) bases: Vec<Option<PathBuf>>,
    /// The home directory of whoever runs Compose: what `~` means.
    pub(crate) home: Option<String>,
}

impl Project<'_> {
    /// Where a bind source written at `span` lands on the host.
    fn land(&self, source: &str, span: &Span) -> Landing {
        let base = self.bases.get(span.file.index()).and_then(Option::as_deref);
        host_path::land(source, base, self.home.as_deref())
    }

    /// The bind a named volume stands for: the `local` driver with `o: bind` (or `rbind`)
    /// mounts its `device` from the host. Its device and whether `o` makes it read-only.
    fn bound_volume(&self, name: &str) -> Option<(&Node, bool)> {
        let volume = self.volumes?.get(name)?.as_map()?;
        let driver = volume
            .get("driver")
            .and_then(Node::as_str)
            .unwrap_or("local");
        if !driver.is_empty() && driver != "local" {
            return None;
        }
        let options = volume.get("driver_opts")?.as_map()?;
        let o = options.get("o").and_then(Node::as_str).unwrap_or_default();
        let mut flags = o.split(',').map(str::trim);
        let bind = flags.clone().any(|flag| matches!(flag, "bind" | "rbind"));
        let device = options.get("device").filter(|device| {
            device
                .as_str()
                .is_some_and(|device| !device.trim().is_empty())
        })?;
        bind.then_some((device, flags.any(|flag| flag == "ro")))
    }
}

/// What other services' `network_mode` may name this one by, and its own `network_mode`, read
/// as [`service`] reads them. A value [`service`] would refuse is left out: the refusal is
/// reported when the service is viewed.
pub(crate) fn identity<'a>(name: &'a str, node: &Node) -> Identity<'a> {
    let mut identity = Identity {
        name,
        ..Identity::default()
    };
    // One pass over the service's keys, not a lookup per key: on a large project this runs
    // over every service before any is viewed, and each key read here is a cache miss.
    for entry in node.as_map().map_or(&[][..], |map| &map.entries) {
        let slot = match entry.key.as_str() {
            "container_name" => &mut identity.container_name,
            "network_mode" => &mut identity.network_mode,
            _ => continue,
        };
        *slot = string(&entry.value, &entry.key)
            .ok()
            .flatten()
            .map(|located| located.value);
    }
    identity
}

/// Builds the view of one merged service; `network_peer` is where its `network_mode` leads,
/// followed across the project ([`super::shared_network`]).
pub(crate) fn service(
    name: &str,
    key_span: &Span,
    node: &Node,
    project: &Project<'_>,
    network_peer: Option<NetworkPeer>,
) -> Result<ServiceView, ComposeError> {
    let Some(map) = node.as_map() else {
        return Err(ComposeError::invalid(
            &node.span,
            format!("service `{name}` must be a mapping, not {}", node.kind()),
        ));
    };
    let get = |key: &str| map.get(key);
    let string = |key: &str| get(key).map_or(Ok(None), |node| string(node, key));
    let boolean = |key: &str| get(key).map_or(Ok(None), |node| boolean(node, key));
    let strings = |key: &str| get(key).map_or(Ok(Vec::new()), |node| strings(node, key));

    let mut namespaces = Vec::new();
    for key in NAMESPACES {
        if let Some(value) = string(key)? {
            namespaces.push((key.to_string(), value));
        }
    }
    let mounts = get("volumes").map_or(Ok(Vec::new()), |node| mounts(node, project))?;
    let tmpfs = get("tmpfs").map_or(Ok(Vec::new()), tmpfs)?;
    let network_mode = string("network_mode")?;
    Ok(ServiceView {
        name: name.to_string(),
        span: Some(*key_span),
        image: string("image")?,
        has_build: get("build").is_some_and(|node| !node.is_null() && !node.is_reset()),
        user: string("user")?,
        read_only: boolean("read_only")?,
        cap_drop: unique(strings("cap_drop")?, |cap| cap.value.clone()),
        cap_add: unique(strings("cap_add")?, |cap| cap.value.clone()),
        security_opt: strings("security_opt")?,
        privileged: boolean("privileged")?,
        namespaces,
        mounts,
        use_api_socket: boolean("use_api_socket")?,
        ports: get("ports").map_or(Ok(Vec::new()), ports)?,
        env: get("environment").map_or(Ok(Vec::new()), environment)?,
        healthcheck: get("healthcheck").map_or(Ok(None), healthcheck)?,
        restart: string("restart")?,
        tmpfs,
        devices: get("devices").map_or(Ok(Vec::new()), devices)?,
        init: boolean("init")?,
        networks: service_networks(get("networks"), network_mode.is_some(), project.networks)?,
        network_mode,
        network_peer,
        container_name: string("container_name")?.map(|name| name.value),
        logging: get("logging").map_or(Ok(None), logging)?,
        limits: limits(map)?,
        allows: service_allows(map)?,
        // Compose has no such switch: egress is allowed per service with an MCP023 allow.
        egress_allowed: false,
    })
}

fn located<T>(value: T, node: &Node) -> Located<T> {
    Located {
        value,
        span: Some(node.span),
        note: node.as_scalar().and_then(|scalar| scalar.note.clone()),
    }
}

fn wrong_type(node: &Node, key: &str, expected: &str) -> ComposeError {
    ComposeError::invalid(
        &node.span,
        format!("`{key}` must be {expected}, not {}", node.kind()),
    )
}

/// True when the value is absent: never set, set to null, or removed with `!reset`.
fn absent(node: &Node) -> bool {
    node.is_null() || node.is_reset()
}

/// A key Compose's schema wants a string for. A plain scalar YAML reads as something else
/// (`user: 0`, `restart: 1`, `user: ~`) is refused, as Compose refuses it: a root `user: 0`
/// judged as root would pass a file Compose will not run. Only `pid` may be null.
fn string(node: &Node, key: &str) -> Result<Option<Located<String>>, ComposeError> {
    if node.is_reset() || node.is_null() && key == "pid" {
        return Ok(None);
    }
    let Some(scalar) = node.as_scalar() else {
        return Err(wrong_type(node, key, "a string"));
    };
    if scalar.style == Style::Plain
        && node.tag == Tag::None
        && let Some(kind) = resolve_plain(&scalar.text)
    {
        return Err(not_a_string(node, key, &scalar.text, kind));
    }
    Ok(Some(located(scalar.text.clone(), node)))
}

fn not_a_string(node: &Node, key: &str, text: &str, kind: NotAString) -> ComposeError {
    let (message, help) = if kind == NotAString::Null {
        (
            format!("`{key}` is null: Compose refuses it, as it wants a string"),
            format!("give `{key}` a value, or remove it"),
        )
    } else {
        (
            format!(
                "`{key}` must be a string: YAML reads `{text}` as {}, and Compose refuses it",
                kind.noun()
            ),
            format!("quote it: `{key}: \"{text}\"`"),
        )
    };
    ComposeError::Invalid {
        span: node.span,
        message,
        help: Some(help),
    }
}

fn boolean(node: &Node, key: &str) -> Result<Option<Located<bool>>, ComposeError> {
    if node.is_reset() {
        // The default is `false` for every boolean the rules read; the finding then points at
        // the `!reset` that removed the hardening.
        return Ok(Some(Located {
            value: false,
            span: Some(node.span),
            note: Some(
                format!(
                    "`{key}: !reset` removed the setting, so Compose uses its default, `false`"
                )
                .into(),
            ),
        }));
    }
    if node.is_null() {
        return Ok(None);
    }
    let Some(scalar) = node.as_scalar() else {
        return Err(wrong_type(node, key, "`true` or `false`"));
    };
    match syntax::boolean(&scalar.text) {
        Some(value) => Ok(Some(located(value, node))),
        // An unset variable (`${RO}`): judged as not true, and the note says why.
        None if scalar.text.is_empty() && scalar.note.is_some() => Ok(Some(located(false, node))),
        None => Err(ComposeError::invalid(
            &node.span,
            format!("`{key}` must be `true` or `false`, not `{}`", scalar.text),
        )),
    }
}

fn strings(node: &Node, key: &str) -> Result<Vec<Located<String>>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(wrong_type(node, key, "a list of strings"));
    };
    items
        .iter()
        .map(|item| match item.as_scalar() {
            Some(scalar) => Ok(located(scalar.text.clone(), item)),
            None => Err(wrong_type(item, key, "a string")),
        })
        .collect()
}

/// Keeps one item per key: a later repeat replaces the earlier one, in the earlier one's place.
fn unique<T, K: Hash + Eq>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T> {
    if items.len() <= 8 {
        // Short lists (most of them): comparing pairs is cheaper than hashing.
        let mut out: Vec<T> = Vec::with_capacity(items.len());
        for item in items {
            let item_key = key(&item);
            match out.iter().position(|kept| key(kept) == item_key) {
                Some(index) => out[index] = item,
                None => out.push(item),
            }
        }
        return out;
    }
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    let mut seen: HashMap<K, usize> = HashMap::with_capacity(items.len());
    for item in items {
        match seen.get(&key(&item)) {
            Some(&index) => out[index] = item,
            None => {
                seen.insert(key(&item), out.len());
                out.push(item);
            }
        }
    }
    out
}

fn scalar_text<'n>(node: &'n Node, key: &str) -> Result<Option<&'n str>, ComposeError> {
    if absent(node) {
        return Ok(None);
    }
    node.as_str()
        .map(Some)
        .ok_or_else(|| wrong_type(node, key, "a scalar"))
}

/// A mount's view with where a bind lands; a named volume that is a bind in disguise becomes
/// the bind of its device.
fn mount_view(mut mount: MountView, project: &Project<'_>) -> MountView {
    match mount.kind {
        MountKind::Bind => {
            if let (Some(source), Some(span)) = (&mount.source, &mount.span) {
                mount.landing = Some(project.land(source, span));
            }
        }
        MountKind::Volume => {
            let bound = mount
                .source
                .as_deref()
                .and_then(|name| project.bound_volume(name));
            if let Some((device, read_only)) = bound {
                let text = device.as_str().unwrap_or_default().trim().to_string();
                // The local driver hands the device to mount(2) as it is: nothing resolves
                // a relative one against the project, and `~` means nothing to it.
                mount.landing = Some(host_path::land(&text, Some(Path::new("/")), None));
                mount.volume = mount.source.replace(text);
                mount.kind = MountKind::Bind;
                mount.read_only |= read_only;
            }
        }
        MountKind::Tmpfs | MountKind::Other => {}
    }
    mount
}

/// `volumes`, short and long syntax. Long-syntax tmpfs mounts are also returned as tmpfs.
fn mounts(node: &Node, project: &Project<'_>) -> Result<Vec<MountView>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(wrong_type(node, "volumes", "a list"));
    };
    let mut mounts = Vec::with_capacity(items.len());
    for item in items {
        if let Some(spec) = item.as_str() {
            let volume = short_volume(spec).map_err(|why| {
                ComposeError::invalid(&item.span, format!("invalid volume `{spec}`: {why}"))
            })?;
            let kind = match volume.source {
                Some(source) if is_host_path(source) => MountKind::Bind,
                _ => MountKind::Volume,
            };
            mounts.push(mount_view(
                MountView {
                    kind,
                    source: volume.source.map(str::to_string),
                    target: volume.target.to_string(),
                    read_only: volume.read_only,
                    tmpfs_options: Vec::new(),
                    span: Some(item.span),
                    landing: None,
                    volume: None,
                },
                project,
            ));
            continue;
        }
        let Some(map) = item.as_map() else {
            return Err(wrong_type(item, "volumes", "a string or a mapping"));
        };
        let field = |key: &str| map.get(key).map_or(Ok(None), |n| scalar_text(n, key));
        let Some(kind) = field("type")? else {
            return Err(ComposeError::invalid(
                &item.span,
                "a long-syntax volume needs `type` (bind, volume or tmpfs)",
            ));
        };
        let Some(target) = field("target")? else {
            return Err(ComposeError::invalid(
                &item.span,
                "a long-syntax volume needs `target`",
            ));
        };
        let read_only = map
            .get("read_only")
            .map_or(Ok(None), |n| boolean(n, "read_only"))?
            .is_some_and(|ro| ro.value);
        let kind = match kind {
            "bind" => MountKind::Bind,
            "volume" => MountKind::Volume,
            "tmpfs" => MountKind::Tmpfs,
            _ => MountKind::Other,
        };
        // Long-syntax tmpfs options stay on the mount: MCP020 judges them there, with a fix
        // hint that fits the syntax (it cannot say noexec).
        let mut tmpfs_options = Vec::new();
        if kind == MountKind::Tmpfs {
            let options = &mut tmpfs_options;
            if let Some(settings) = map.get("tmpfs").and_then(Node::as_map) {
                for key in ["size", "mode"] {
                    if let Some(value) = settings
                        .get(key)
                        .map_or(Ok(None), |n| scalar_text(n, key))?
                    {
                        options.push(format!("{key}={}", value.to_ascii_lowercase()));
                    }
                }
            }
            if read_only {
                options.push("ro".to_string());
            }
        }
        mounts.push(mount_view(
            MountView {
                kind,
                source: field("source")?.map(str::to_string),
                target: target.to_string(),
                read_only,
                tmpfs_options,
                span: Some(item.span),
                landing: None,
                volume: None,
            },
            project,
        ));
    }
    Ok(unique(mounts, |m| m.target.clone()))
}

/// `tmpfs`: a string or a list of `path[:options]`.
fn tmpfs(node: &Node) -> Result<Vec<TmpfsView>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let items = match &node.value {
        Value::Scalar(_) => std::slice::from_ref(node),
        Value::Seq(items) => items.as_slice(),
        Value::Map(_) => return Err(wrong_type(node, "tmpfs", "a string or a list")),
    };
    let mut views = Vec::with_capacity(items.len());
    for item in items {
        let Some(spec) = item.as_str() else {
            return Err(wrong_type(item, "tmpfs", "a string"));
        };
        let (target, options) = spec.split_once(':').unwrap_or((spec, ""));
        views.push((
            spec.split('=').next().unwrap_or_default().to_string(),
            TmpfsView {
                target: target.to_string(),
                options: options
                    .split(',')
                    .map(|option| option.trim().to_ascii_lowercase())
                    .filter(|option| !option.is_empty())
                    .collect(),
                span: Some(item.span),
            },
        ));
    }
    // Compose's unicity key for tmpfs is the text before the first `=`.
    Ok(unique(views, |(key, _)| key.clone())
        .into_iter()
        .map(|(_, view)| view)
        .collect())
}

fn ports(node: &Node) -> Result<Vec<PortView>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(wrong_type(node, "ports", "a list"));
    };
    let mut views = Vec::with_capacity(items.len());
    for item in items {
        if let Some(spec) = item.as_str() {
            let port = short_port(spec);
            views.push((
                spec.to_string(),
                PortView {
                    host_ip: port.host_ip,
                    published: port.published,
                    span: Some(item.span),
                },
            ));
            continue;
        }
        let Some(map) = item.as_map() else {
            return Err(wrong_type(item, "ports", "a string or a mapping"));
        };
        let field = |key: &str| -> Result<Option<String>, ComposeError> {
            Ok(map
                .get(key)
                .map_or(Ok(None), |n| scalar_text(n, key))?
                .filter(|text| !text.is_empty())
                .map(str::to_string))
        };
        let host_ip = field("host_ip")?;
        let published = field("published")?;
        let key = format!(
            "{}:{}:{}/{}",
            host_ip.as_deref().unwrap_or("0.0.0.0"),
            published.as_deref().unwrap_or_default(),
            field("target")?.unwrap_or_default(),
            field("protocol")?.unwrap_or_else(|| "tcp".to_string()),
        );
        views.push((
            key,
            PortView {
                host_ip,
                published,
                span: Some(item.span),
            },
        ));
    }
    Ok(unique(views, |(key, _)| key.clone())
        .into_iter()
        .map(|(_, view)| view)
        .collect())
}

/// `environment`: a mapping, or a list of `KEY=value` and bare `KEY`.
fn environment(node: &Node) -> Result<Vec<EnvView>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let mut views = Vec::new();
    match &node.value {
        Value::Map(map) => {
            for entry in &map.entries {
                let value = &entry.value;
                if absent(value) {
                    views.push(EnvView {
                        key: entry.key.clone(),
                        value: None,
                        span: Some(entry.key_span),
                    });
                    continue;
                }
                let Some(text) = value.as_str() else {
                    return Err(wrong_type(
                        value,
                        &entry.key,
                        "a string, a number or a boolean",
                    ));
                };
                views.push(EnvView {
                    key: entry.key.clone(),
                    value: Some(text.to_string()),
                    span: Some(value.span),
                });
            }
        }
        Value::Seq(items) => {
            for item in items {
                let Some(text) = item.as_str() else {
                    return Err(wrong_type(item, "environment", "a `KEY=value` string"));
                };
                let (key, value) = match text.split_once('=') {
                    Some((key, value)) => (key, Some(value.to_string())),
                    None => (text, None),
                };
                views.push(EnvView {
                    key: key.to_string(),
                    value,
                    span: Some(item.span),
                });
            }
        }
        Value::Scalar(_) => return Err(wrong_type(node, "environment", "a mapping or a list")),
    }
    Ok(unique(views, |env| env.key.clone()))
}

/// `healthcheck`: disabled by `disable: true`, `test: ["NONE"]` or `test: NONE`.
fn healthcheck(node: &Node) -> Result<Option<HealthView>, ComposeError> {
    if absent(node) {
        return Ok(None);
    }
    let Some(map) = node.as_map() else {
        return Err(wrong_type(node, "healthcheck", "a mapping"));
    };
    if let Some(disable) = map.get("disable")
        && boolean(disable, "disable")?.is_some_and(|d| d.value)
    {
        return Ok(Some(HealthView {
            disabled: true,
            span: Some(disable.span),
        }));
    }
    if let Some(test) = map.get("test").filter(|test| !absent(test)) {
        let first = match &test.value {
            Value::Seq(items) => items.first().and_then(Node::as_str),
            Value::Scalar(scalar) => Some(scalar.text.as_str()),
            Value::Map(_) => return Err(wrong_type(test, "test", "a string or a list")),
        };
        if first == Some("NONE") {
            return Ok(Some(HealthView {
                disabled: true,
                span: Some(test.span),
            }));
        }
    }
    Ok(Some(HealthView {
        disabled: false,
        span: Some(node.span),
    }))
}

/// `devices`: `host[:container[:permissions]]` or `{ source, target, permissions }`.
fn devices(node: &Node) -> Result<Vec<Located<String>>, ComposeError> {
    if absent(node) {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(wrong_type(node, "devices", "a list"));
    };
    let mut views = Vec::with_capacity(items.len());
    for item in items {
        let (text, target) = match &item.value {
            Value::Scalar(scalar) => {
                let mut parts = scalar.text.split(':');
                let host = parts.next().unwrap_or_default();
                let target = parts.next().unwrap_or(host).to_string();
                (scalar.text.clone(), target)
            }
            Value::Map(map) => {
                let field = |key: &str| map.get(key).map_or(Ok(None), |n| scalar_text(n, key));
                let source = field("source")?.unwrap_or_default();
                let target = field("target")?.unwrap_or(source);
                let mut text = format!("{source}:{target}");
                if let Some(permissions) = field("permissions")? {
                    text = format!("{text}:{permissions}");
                }
                (text, target.to_string())
            }
            Value::Seq(_) => return Err(wrong_type(item, "devices", "a string or a mapping")),
        };
        views.push((target, located(text, item)));
    }
    Ok(unique(views, |(target, _)| target.clone())
        .into_iter()
        .map(|(_, view)| view)
        .collect())
}

/// The networks a service is on. No `networks` and no `network_mode` is the implicit
/// `default` network, which is not internal unless the top level says so.
fn service_networks(
    node: Option<&Node>,
    has_network_mode: bool,
    top: Option<&Map>,
) -> Result<Vec<NetworkView>, ComposeError> {
    let internal = |name: &str| -> Result<bool, ComposeError> {
        let Some(network) = top.and_then(|top| top.get(name)).and_then(Node::as_map) else {
            return Ok(false);
        };
        Ok(network
            .get("internal")
            .map_or(Ok(None), |node| boolean(node, "internal"))?
            .is_some_and(|internal| internal.value))
    };
    let node = match node {
        Some(node) if !absent(node) => node,
        _ if has_network_mode => return Ok(Vec::new()),
        _ => {
            return Ok(vec![NetworkView {
                name: "default".to_string(),
                internal: internal("default")?,
                span: None,
            }]);
        }
    };
    let mut views = Vec::new();
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                let Some(name) = item.as_str() else {
                    return Err(wrong_type(item, "networks", "a network name"));
                };
                views.push(NetworkView {
                    name: name.to_string(),
                    internal: internal(name)?,
                    span: Some(item.span),
                });
            }
        }
        Value::Map(map) => {
            for entry in map.entries.iter().filter(|entry| !entry.value.is_reset()) {
                views.push(NetworkView {
                    name: entry.key.clone(),
                    internal: internal(&entry.key)?,
                    span: Some(entry.key_span),
                });
            }
        }
        Value::Scalar(_) => return Err(wrong_type(node, "networks", "a list or a mapping")),
    }
    Ok(views)
}

/// `logging`: capped when `options.max-size` is set, or with the `local` driver, which
/// rotates at 20 MB by default.
fn logging(node: &Node) -> Result<Option<LoggingView>, ComposeError> {
    if absent(node) {
        return Ok(None);
    }
    let Some(map) = node.as_map() else {
        return Err(wrong_type(node, "logging", "a mapping"));
    };
    let driver = map
        .get("driver")
        .map_or(Ok(None), |n| scalar_text(n, "driver"))?
        .map(str::to_string);
    let max_size = map
        .get("options")
        .and_then(Node::as_map)
        .and_then(|options| options.get("max-size"))
        .and_then(Node::as_str)
        .is_some_and(|size| !size.trim().is_empty());
    Ok(Some(LoggingView {
        size_capped: max_size || driver.as_deref() == Some("local"),
        driver,
        span: Some(node.span),
    }))
}

/// Limits from `deploy.resources.limits`, else the legacy `mem_limit`, `cpus`, `pids_limit`:
/// Compose applies a non-zero deploy limit over the legacy one.
fn limits(service: &Map) -> Result<LimitsView, ComposeError> {
    let deploy = service
        .get("deploy")
        .and_then(Node::as_map)
        .and_then(|deploy| deploy.get("resources"))
        .and_then(Node::as_map)
        .and_then(|resources| resources.get("limits"))
        .and_then(Node::as_map);
    let deploy_value = |key: &str| deploy.and_then(|limits| limits.get(key));
    let memory = |node: &Node, key: &str| -> Result<Option<Located<u64>>, ComposeError> {
        let Some(text) = scalar_text(node, key)? else {
            return Ok(None);
        };
        let size = ByteSize::parse_ram(text).map_err(|why| {
            ComposeError::invalid(&node.span, format!("invalid `{key}` `{text}`: {why}"))
        })?;
        Ok(Some(located(size.0, node)))
    };
    let cpus = |node: &Node, key: &str| -> Result<Option<Located<f64>>, ComposeError> {
        let Some(text) = scalar_text(node, key)? else {
            return Ok(None);
        };
        let cpus: f64 = text.trim().parse().map_err(|_| {
            ComposeError::invalid(
                &node.span,
                format!("`{key}` must be a number, not `{text}`"),
            )
        })?;
        Ok(Some(located(cpus, node)))
    };
    let pids = |node: &Node, key: &str| -> Result<Option<Located<i64>>, ComposeError> {
        let Some(text) = scalar_text(node, key)? else {
            return Ok(None);
        };
        let pids: i64 = text.trim().parse().map_err(|_| {
            ComposeError::invalid(
                &node.span,
                format!("`{key}` must be an integer, not `{text}`"),
            )
        })?;
        Ok(Some(located(pids, node)))
    };
    let memory_limits = (
        deploy_value("memory").map_or(Ok(None), |n| memory(n, "memory"))?,
        service
            .get("mem_limit")
            .map_or(Ok(None), |n| memory(n, "mem_limit"))?,
    );
    let cpu_limits = (
        deploy_value("cpus").map_or(Ok(None), |n| cpus(n, "cpus"))?,
        service.get("cpus").map_or(Ok(None), |n| cpus(n, "cpus"))?,
    );
    let pid_limits = (
        deploy_value("pids").map_or(Ok(None), |n| pids(n, "pids"))?,
        service
            .get("pids_limit")
            .map_or(Ok(None), |n| pids(n, "pids_limit"))?,
    );
    if deploy.is_some() {
        agree(&memory_limits, "mem_limit", "memory", |m| m.value, 0)?;
        agree(&cpu_limits, "cpus", "cpus", |c| c.value, 0.0)?;
        agree(&pid_limits, "pids_limit", "pids", |p| p.value, 0)?;
    }
    Ok(LimitsView {
        memory: pick(memory_limits.0, memory_limits.1, |m| m.value == 0),
        cpus: pick(cpu_limits.0, cpu_limits.1, |c| c.value == 0.0),
        pids: pick(pid_limits.0, pid_limits.1, |p| p.value == 0),
    })
}

/// compose-go refuses a project where a service has `deploy.resources.limits` and a legacy
/// limit that says something else; a limit missing from `deploy` counts as 0 there.
fn agree<T: PartialEq + Copy>(
    (deploy, legacy): &(Option<Located<T>>, Option<Located<T>>),
    legacy_key: &str,
    deploy_key: &str,
    value: impl Fn(&Located<T>) -> T,
    zero: T,
) -> Result<(), ComposeError> {
    let Some(legacy) = legacy.as_ref().filter(|legacy| value(legacy) != zero) else {
        return Ok(());
    };
    if deploy.as_ref().map_or(zero, &value) == value(legacy) {
        return Ok(());
    }
    let Some(span) = &legacy.span else {
        return Ok(());
    };
    Err(ComposeError::invalid(
        span,
        format!(
            "`{legacy_key}` and `deploy.resources.limits.{deploy_key}` say different things (a limit missing from `deploy` is 0): Compose refuses the project; keep one of them"
        ),
    ))
}

/// The deploy limit unless it is zero (unset to Compose) and a legacy one is there.
fn pick<T>(deploy: Option<T>, legacy: Option<T>, zero: impl Fn(&T) -> bool) -> Option<T> {
    match (deploy, legacy) {
        (Some(deploy), Some(legacy)) if zero(&deploy) => Some(legacy),
        (Some(deploy), _) => Some(deploy),
        (None, legacy) => legacy,
    }
}
