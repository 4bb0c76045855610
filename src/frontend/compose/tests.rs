//! The front end on the fixture files of `tests/fixtures/compose/`: views, spans (as line and
//! column), notes, errors; and the linter over the compose file mcpgen itself generates.

use std::path::{Path, PathBuf};

use super::*;
use crate::lint::view::{Located, MountKind};
use crate::source::{LineCol, Span};

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/compose")
        .join(path)
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_with(
    files: &[&str],
    env: &dyn Fn(&str) -> Option<String>,
) -> (Sources, Result<ComposeProject, ComposeError>) {
    let mut sources = Sources::default();
    let files: Vec<PathBuf> = files.iter().map(|file| fixture(file)).collect();
    let result = load(&mut sources, &files, env);
    (sources, result)
}

fn load_ok(files: &[&str]) -> (Sources, ComposeProject) {
    let (sources, result) = load_with(files, &no_env);
    match result {
        Ok(project) => (sources, project),
        Err(error) => panic!("{error}"),
    }
}

fn service<'p>(project: &'p ComposeProject, name: &str) -> &'p ServiceView {
    project
        .services
        .iter()
        .find(|service| service.name == name)
        .unwrap_or_else(|| panic!("no service `{name}`"))
}

/// `file:line:column` of a span, the file as its name under the fixture's directory.
fn at(sources: &Sources, span: Option<&Span>) -> String {
    let span = span.expect("a span");
    let LineCol { line, column } = sources.line_col(span);
    let path = &sources.get(span.file).path;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!("{name}:{line}:{column}")
}

fn values(list: &[Located<String>]) -> Vec<&str> {
    list.iter().map(|item| item.value.as_str()).collect()
}

fn rules(findings: &[crate::lint::Finding], service: &str) -> Vec<&'static str> {
    crate::lint::active(findings)
        .filter(|finding| *finding.service == *service)
        .map(|finding| finding.rule.code)
        .collect()
}

#[test]
fn anchors_and_merge_keys() {
    let (sources, project) = load_ok(&["anchors/compose.yml"]);
    let names: Vec<_> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["hardened", "weakened", "caps-alias", "caps-again"]);

    let hardened = service(&project, "hardened");
    assert_eq!(hardened.user.as_ref().unwrap().value, "1000:1000");
    assert!(hardened.read_only.as_ref().unwrap().value);
    assert_eq!(values(&hardened.cap_drop), ["ALL"]);
    assert_eq!(hardened.limits.pids.as_ref().unwrap().value, 128);
    assert_eq!(hardened.limits.memory.as_ref().unwrap().value, 256 << 20);
    // A merged value points into the anchor's definition.
    assert_eq!(
        at(&sources, hardened.read_only.as_ref().unwrap().span.as_ref()),
        "compose.yml:4:14"
    );
    assert_eq!(at(&sources, hardened.span.as_ref()), "compose.yml:18:3");

    let weakened = service(&project, "weakened");
    assert_eq!(
        weakened.user.as_ref().unwrap().value,
        "1000",
        "own keys win"
    );
    assert!(
        !weakened.read_only.as_ref().unwrap().value,
        "earlier map wins"
    );
    assert_eq!(
        at(&sources, weakened.read_only.as_ref().unwrap().span.as_ref()),
        "compose.yml:14:14"
    );
    assert_eq!(
        values(&weakened.cap_drop),
        ["ALL"],
        "later map fills the rest"
    );

    assert_eq!(
        values(&service(&project, "caps-again").cap_drop),
        ["NET_RAW"]
    );
    assert_eq!(
        at(
            &sources,
            service(&project, "caps-again").cap_drop[0].span.as_ref()
        ),
        "compose.yml:28:22"
    );
}

#[test]
fn extends_across_files_and_in_the_same_file() {
    let (sources, project) = load_ok(&["extends/compose.yml"]);
    let remote = service(&project, "remote");
    assert_eq!(remote.image.as_ref().unwrap().value, "mcp/remote:1.0.0");
    assert_eq!(remote.user.as_ref().unwrap().value, "1000:1000");
    assert_eq!(
        at(&sources, remote.user.as_ref().unwrap().span.as_ref()),
        "base.yml:8:11"
    );
    // Sequences accumulate: the base's ALL, then the service's own NET_RAW.
    assert_eq!(values(&remote.cap_drop), ["ALL", "NET_RAW"]);
    assert!(
        !remote.read_only.as_ref().unwrap().value,
        "the service wins"
    );
    assert_eq!(
        at(&sources, remote.read_only.as_ref().unwrap().span.as_ref()),
        "compose.yml:9:16"
    );
    assert_eq!(values(&remote.security_opt), ["no-new-privileges:true"]);
    assert_eq!(remote.mounts.len(), 1);
    assert_eq!(remote.mounts[0].kind, MountKind::Bind);
    assert_eq!(at(&sources, remote.span.as_ref()), "compose.yml:3:3");

    let local = service(&project, "local");
    assert_eq!(local.image.as_ref().unwrap().value, "mcp/local:1.0.0");
    assert_eq!(
        local.user.as_ref().unwrap().value,
        "2000",
        "middle overrides bottom"
    );
    assert!(
        local.init.as_ref().unwrap().value,
        "bottom reaches through the chain"
    );
    assert_eq!(
        service(&project, "middle").image.as_ref().unwrap().value,
        "mcp/bottom:1.0.0"
    );
}

#[test]
fn reset_in_an_override_file_removes_the_hardening() {
    let (sources, project) = load_ok(&["reset/compose.yml", "reset/override.yml"]);
    let app = service(&project, "app");
    let read_only = app.read_only.as_ref().unwrap();
    assert!(!read_only.value);
    assert_eq!(at(&sources, read_only.span.as_ref()), "override.yml:4:16");
    assert!(read_only.note.as_ref().unwrap().contains("!reset"));
    assert!(app.ports.is_empty());

    let findings = crate::lint::run(&project.services, &Default::default());
    let finding = crate::lint::active(&findings)
        .find(|f| f.rule.code == "MCP002")
        .unwrap();
    assert_eq!(at(&sources, finding.span.as_ref()), "override.yml:4:16");
    // Without the override the service is read-only.
    let (_, base) = load_ok(&["reset/compose.yml"]);
    assert!(service(&base, "app").read_only.as_ref().unwrap().value);
}

#[test]
fn override_replaces_instead_of_appending() {
    let (sources, project) = load_ok(&["override/compose.yml", "override/override.yml"]);
    let app = service(&project, "app");
    assert_eq!(values(&app.cap_drop), ["NET_RAW"]);
    assert_eq!(
        at(&sources, app.cap_drop[0].span.as_ref()),
        "override.yml:3:26"
    );
    // Without `!override`, a sequence appends.
    assert_eq!(
        values(&app.security_opt),
        ["no-new-privileges:true", "seccomp:unconfined"]
    );
    let findings = crate::lint::run(&project.services, &Default::default());
    assert!(rules(&findings, "app").contains(&"MCP003"));
}

#[test]
fn include_imports_services_and_networks() {
    let (sources, project) = load_ok(&["include/compose.yml"]);
    let names: Vec<_> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["main", "included"]);
    let main = service(&project, "main");
    assert_eq!(main.image.as_ref().unwrap().value, "mcp/main:1.0.0");
    assert_eq!(main.user.as_ref().unwrap().value, "1000:1000");
    assert_eq!(
        at(&sources, main.user.as_ref().unwrap().span.as_ref()),
        "other.yml:4:11"
    );
    assert_eq!(main.networks.len(), 1);
    assert!(
        main.networks[0].internal,
        "the included file's network is internal"
    );
    let included = service(&project, "included");
    assert_eq!(included.networks[0].name, "default");
    assert!(!included.networks[0].internal);
}

#[test]
fn interpolation_with_defaults_and_without() {
    let (sources, project) = load_ok(&["interpolation/compose.yml"]);
    let app = service(&project, "app");
    assert_eq!(app.image.as_ref().unwrap().value, "docker.io/mcp/app:1.0.0");
    let read_only = app.read_only.as_ref().unwrap();
    assert!(read_only.value);
    assert_eq!(
        read_only.note.as_deref(),
        Some(
            "`read_only` comes from `${RO:-true}`: `RO` is not set, so the default `true` was used; the verdict depends on the environment"
        )
    );
    let user = app.user.as_ref().unwrap();
    assert_eq!(user.value, "");
    assert!(user.note.as_ref().unwrap().contains("empty string"));
    assert!(!app.privileged.as_ref().unwrap().value);
    let price = app.env.iter().find(|e| e.key == "PRICE").unwrap();
    assert_eq!(price.value.as_deref(), Some("$5"));
    assert_eq!(
        app.mounts[0].source.as_deref(),
        Some("/var/run/docker.sock")
    );
    assert_eq!(app.mounts[0].kind, MountKind::Bind);
    // `${TOKEN:?…}` unset: Compose would refuse to start; a warning, not a failure.
    let required: Vec<_> = project
        .notes
        .iter()
        .filter(|note| note.rule.code == "MCP104")
        .collect();
    assert_eq!(required.len(), 1);
    assert_eq!(at(&sources, required[0].span.as_ref()), "compose.yml:9:14");

    let env = |name: &str| match name {
        "RO" => Some("false".to_string()),
        "APP_UID" => Some("0".to_string()),
        "PRIV" => Some(String::new()),
        "TOKEN" => Some("canary-secret".to_string()),
        _ => None,
    };
    let (_, result) = load_with(&["interpolation/compose.yml"], &env);
    let project = result.unwrap();
    let app = service(&project, "app");
    assert!(!app.read_only.as_ref().unwrap().value);
    assert_eq!(app.user.as_ref().unwrap().value, "0");
    // `${PRIV-false}` with PRIV set but empty: the empty value, judged as not true.
    assert!(!app.privileged.as_ref().unwrap().value);
    assert!(project.notes.is_empty());
    let findings = crate::lint::run(&project.services, &Default::default());
    let root = crate::lint::active(&findings)
        .find(|f| f.rule.code == "MCP001")
        .unwrap();
    let note = root.note().unwrap();
    assert!(
        note.contains("`APP_UID` is set in this environment"),
        "{note}"
    );
    assert!(!note.contains("canary-secret"));
}

#[test]
fn capabilities_in_any_case_and_with_cap_prefix() {
    let (_, project) = load_ok(&["caps/compose.yml"]);
    assert_eq!(values(&service(&project, "lower").cap_drop), ["all"]);
    assert_eq!(
        values(&service(&project, "lower").cap_add),
        ["net_bind_service"]
    );
    assert_eq!(
        values(&service(&project, "prefixed").cap_add),
        ["CAP_SYS_ADMIN"],
        "deduplicated"
    );
    let findings = crate::lint::run(&project.services, &Default::default());
    assert!(!rules(&findings, "lower").contains(&"MCP003"));
    assert!(!rules(&findings, "prefixed").contains(&"MCP003"));
    assert!(rules(&findings, "partial").contains(&"MCP003"));
}

#[test]
/// (`user: 0` unquoted is an integer, which Compose refuses: `errors/not-a-string`.)
fn users_as_written() {
    let (sources, project) = load_ok(&["users/compose.yml"]);
    let user = |name: &str| {
        service(&project, name)
            .user
            .as_ref()
            .map(|u| u.value.clone())
    };
    assert_eq!(user("quoted-zero").as_deref(), Some("0"));
    assert_eq!(user("quoted-root").as_deref(), Some("0:0"));
    assert_eq!(user("root-name").as_deref(), Some("root:1000"));
    assert_eq!(user("fine").as_deref(), Some("1000:1000"));
    assert_eq!(user("missing"), None);
    let findings = crate::lint::run(&project.services, &Default::default());
    for root in ["quoted-zero", "quoted-root", "root-name", "missing"] {
        assert!(rules(&findings, root).contains(&"MCP001"), "{root}");
    }
    assert!(!rules(&findings, "fine").contains(&"MCP001"));
    let finding = crate::lint::active(&findings)
        .find(|f| f.rule.code == "MCP001" && &*f.service == "quoted-root")
        .unwrap();
    assert_eq!(at(&sources, finding.span.as_ref()), "compose.yml:7:11");
    let missing = crate::lint::active(&findings)
        .find(|f| f.rule.code == "MCP001" && &*f.service == "missing")
        .unwrap();
    assert_eq!(
        at(&sources, missing.span.as_ref()),
        "compose.yml:14:3",
        "the service's key"
    );
}

#[test]
fn long_and_short_syntax_volumes_ports_tmpfs_devices() {
    let (sources, project) = load_ok(&["long-syntax/compose.yml"]);
    let app = service(&project, "app");
    let mounts: Vec<_> = app
        .mounts
        .iter()
        .map(|m| (m.kind, m.source.as_deref(), m.target.as_str(), m.read_only))
        .collect();
    assert_eq!(
        mounts,
        [
            (
                MountKind::Bind,
                Some("/var/run/docker.sock"),
                "/var/run/docker.sock",
                true
            ),
            (MountKind::Volume, Some("state"), "/state", false),
            (MountKind::Tmpfs, None, "/scratch", false),
            (MountKind::Bind, Some("./conf"), "/conf", true),
            (MountKind::Bind, Some(r"C:\data"), "/windows", false),
            (MountKind::Volume, Some("cache"), "/cache", false),
            (MountKind::Volume, None, "/anonymous", false),
        ]
    );
    assert_eq!(at(&sources, app.mounts[0].span.as_ref()), "compose.yml:5:9");

    let ports: Vec<_> = app
        .ports
        .iter()
        .map(|p| (p.host_ip.as_deref(), p.published.as_deref()))
        .collect();
    assert_eq!(
        ports,
        [
            (Some("127.0.0.1"), Some("8080")),
            (None, Some("8443")),
            (Some("::1"), Some("9000")),
            (None, Some("53")),
            (None, Some("7000-7010")),
            (None, None),
        ]
    );
    assert_eq!(at(&sources, app.ports[2].span.as_ref()), "compose.yml:27:9");

    let tmpfs: Vec<_> = app
        .tmpfs
        .iter()
        .map(|t| (t.target.as_str(), t.options.join(",")))
        .collect();
    assert_eq!(
        tmpfs,
        [
            ("/tmp", "rw,noexec,nosuid,size=16m".to_string()),
            ("/run", String::new()),
        ]
    );
    // A long-syntax tmpfs keeps its options on the mount, where MCP020 reads them.
    let scratch = app.mounts.iter().find(|m| m.target == "/scratch").unwrap();
    assert_eq!(scratch.kind, MountKind::Tmpfs);
    assert_eq!(scratch.tmpfs_options, ["size=16m", "mode=1777"]);
    assert_eq!(
        values(&app.devices),
        ["/dev/fuse:/dev/fuse:rwm", "/dev/kvm:/dev/kvm:rw"]
    );
}

#[test]
fn multi_document_files_are_layers() {
    let (sources, project) = load_ok(&["multi-document/compose.yml"]);
    let names: Vec<_> = project.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["app", "other"]);
    let app = service(&project, "app");
    assert!(!app.read_only.as_ref().unwrap().value);
    assert_eq!(
        at(&sources, app.read_only.as_ref().unwrap().span.as_ref()),
        "compose.yml:10:16"
    );
    assert_eq!(values(&app.cap_drop), ["ALL", "NET_RAW"]);
}

#[test]
fn inline_allow_comments_suppress() {
    let (sources, project) = load_ok(&["inline-allow/compose.yml"]);
    let app = service(&project, "app");
    let allowed: Vec<_> = app.allows.iter().map(|a| a.rule.as_str()).collect();
    assert_eq!(allowed, ["MCP001", "MCP002", "MCP013", "MCP012"]);
    assert_eq!(at(&sources, app.allows[0].span.as_ref()), "compose.yml:2:3");
    assert_eq!(
        app.allows[1].reason,
        "writes its cache to the root filesystem"
    );
    assert!(service(&project, "other").allows.is_empty());
    let findings = crate::lint::run(&project.services, &Default::default());
    let app_rules = rules(&findings, "app");
    assert!(!app_rules.contains(&"MCP001") && !app_rules.contains(&"MCP002"));
    let mut suppressed: Vec<_> = findings
        .iter()
        .filter(|f| f.is_suppressed())
        .map(|f| f.rule.code)
        .collect();
    suppressed.sort_unstable();
    assert_eq!(suppressed, ["MCP001", "MCP002", "MCP013"]);
    // `./conf` is no sensitive path: that allow suppresses nothing and says so.
    assert!(
        crate::lint::active(&findings)
            .any(|f| f.rule.code == "MCP025" && f.message.contains("MCP012"))
    );
}

#[test]
fn x_mcpgen_allow_suppresses() {
    let (sources, project) = load_ok(&["x-mcpgen/compose.yml"]);
    let monitor = service(&project, "monitor");
    assert_eq!(monitor.allows.len(), 2);
    assert_eq!(
        at(&sources, monitor.allows[0].span.as_ref()),
        "compose.yml:7:11"
    );
    let findings = crate::lint::run(&project.services, &Default::default());
    let root = findings.iter().find(|f| f.rule.code == "MCP001").unwrap();
    assert_eq!(root.suppression().unwrap().0, "must read the engine socket");
    // The second allow (by name) is a duplicate: the first one took the finding.
    assert!(rules(&findings, "monitor").contains(&"MCP025"));
}

#[test]
fn non_ascii_text_before_the_offending_key() {
    let (sources, project) = load_ok(&["non-ascii/compose.yml"]);
    let cafe = service(&project, "café");
    let read_only = cafe.read_only.as_ref().unwrap();
    assert_eq!(at(&sources, read_only.span.as_ref()), "compose.yml:5:16");
    let span = read_only.span.as_ref().unwrap();
    assert_eq!(&sources.get(span.file).text[span.range()], "false");
    assert_eq!(cafe.image.as_ref().unwrap().value, "mcp/café:1.0.0");
}

#[test]
fn limits_deploy_and_legacy() {
    let (_, project) = load_ok(&["limits/compose.yml"]);
    let limits = |name: &str| {
        let l = &service(&project, name).limits;
        (
            l.cpus.as_ref().map(|c| c.value),
            l.memory.as_ref().map(|m| m.value),
            l.pids.as_ref().map(|p| p.value),
        )
    };
    assert_eq!(limits("deploy"), (Some(0.5), Some(3 << 29), Some(64)));
    assert_eq!(limits("legacy"), (Some(0.25), Some(512 << 20), Some(100)));
    assert_eq!(limits("unlimited"), (Some(0.0), Some(1 << 30), Some(-1)));
    assert_eq!(limits("both"), (Some(1.5), Some(256 << 20), None));
    let findings = crate::lint::run(&project.services, &Default::default());
    assert!(!rules(&findings, "deploy").contains(&"MCP004"));
    assert!(rules(&findings, "unlimited").contains(&"MCP004"));

    // A deploy block without `pids` says 0 there: `pids_limit: 100` contradicts it.
    let (sources, error) = error_of(&["limits/conflict.yml"]);
    let diagnostic = &error.to_diagnostics()[0];
    assert!(
        diagnostic
            .message
            .contains("`pids_limit` and `deploy.resources.limits.pids`")
    );
    assert_eq!(at(&sources, diagnostic.primary_span()), "conflict.yml:9:17");
}

#[test]
fn networks_health_logging_namespaces_and_structure_notes() {
    let (sources, project) = load_ok(&["misc/compose.yml"]);
    let defaults = service(&project, "defaults");
    assert_eq!(defaults.networks.len(), 1);
    assert_eq!(defaults.networks[0].name, "default");
    assert!(defaults.healthcheck.is_none() && defaults.logging.is_none());

    let healthy = service(&project, "healthy");
    assert!(!healthy.healthcheck.as_ref().unwrap().disabled);
    let networks: Vec<_> = healthy
        .networks
        .iter()
        .map(|n| (n.name.as_str(), n.internal))
        .collect();
    assert_eq!(networks, [("internal", true), ("public", false)]);
    assert!(healthy.logging.as_ref().unwrap().size_capped);
    assert_eq!(healthy.restart.as_ref().unwrap().value, "unless-stopped");
    let env: Vec<_> = healthy
        .env
        .iter()
        .map(|e| (e.key.as_str(), e.value.as_deref()))
        .collect();
    assert_eq!(env, [("LOG_LEVEL", Some("info")), ("PASSTHROUGH", None)]);

    let disabled = service(&project, "disabled");
    let health = disabled.healthcheck.as_ref().unwrap();
    assert!(health.disabled);
    assert_eq!(at(&sources, health.span.as_ref()), "compose.yml:29:16");
    assert!(
        disabled.logging.as_ref().unwrap().size_capped,
        "the local driver rotates"
    );
    assert!(disabled.networks.is_empty());
    assert_eq!(disabled.network_mode.as_ref().unwrap().value, "none");
    let namespaces: Vec<_> = disabled
        .namespaces
        .iter()
        .map(|(k, v)| (k.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        namespaces,
        [
            ("pid", "host"),
            ("ipc", "host"),
            ("uts", "host"),
            ("userns_mode", "host"),
            ("cgroup", "host")
        ]
    );
    assert!(disabled.privileged.as_ref().unwrap().value);
    assert!(disabled.use_api_socket.as_ref().unwrap().value);

    let none = service(&project, "none-test");
    assert!(none.healthcheck.as_ref().unwrap().disabled);
    assert!(none.has_build);
    assert!(!none.logging.as_ref().unwrap().size_capped);

    let codes: Vec<_> = project
        .notes
        .iter()
        .map(|n| (n.rule.code, &*n.service))
        .collect();
    // `variant-dev` and `variant-prod` share a name in profiles never up together.
    assert_eq!(
        codes,
        [
            ("MCP101", ""),
            ("MCP102", "disabled"),
            ("MCP103", "none-test")
        ]
    );
    assert_eq!(
        at(&sources, project.notes[0].span.as_ref()),
        "compose.yml:1:1"
    );
    assert_eq!(
        at(&sources, project.notes[1].span.as_ref()),
        "compose.yml:27:21"
    );
    assert_eq!(
        at(&sources, Some(&project.notes[1].related()[0].0)),
        "compose.yml:8:21"
    );
}

fn error_of(files: &[&str]) -> (Sources, ComposeError) {
    let (sources, result) = load_with(files, &no_env);
    match result {
        Ok(_) => panic!("{files:?} loaded"),
        Err(error) => (sources, error),
    }
}

#[test]
fn a_null_pid_is_no_namespace_and_a_null_ipc_is_refused() {
    let (_, project) = load_ok(&["misc/pid-null.yml"]);
    assert!(service(&project, "app").namespaces.is_empty());

    let (sources, error) = error_of(&["errors/null-namespace/compose.yml"]);
    assert!(
        error
            .to_string()
            .contains("`ipc` is null: Compose refuses it"),
        "{error}"
    );
    assert_eq!(at(&sources, error.span()), "compose.yml:5:10");
}

#[test]
fn what_cannot_be_covered_is_an_error() {
    let (sources, error) = error_of(&["errors/extends-missing/compose.yml"]);
    assert!(
        matches!(error, ComposeError::UnresolvedExtends { .. }),
        "{error}"
    );
    assert_eq!(at(&sources, error.span()), "compose.yml:5:16");

    let (_, error) = error_of(&["errors/include-cycle/compose.yml"]);
    assert!(
        matches!(error, ComposeError::IncludeCycle { .. }),
        "{error}"
    );

    let (sources, error) = error_of(&["errors/no-reason/compose.yml"]);
    assert!(
        matches!(error, ComposeError::AllowWithoutReason { .. }),
        "{error}"
    );
    assert_eq!(at(&sources, error.span()), "compose.yml:4:23");

    let (_, error) = error_of(&["errors/extends-cycle/compose.yml"]);
    let ComposeError::ExtendsCycle { chain, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(chain.matches('→').count(), 3, "{chain}");

    let (sources, error) = error_of(&["errors/include-conflict/compose.yml"]);
    assert!(
        matches!(error, ComposeError::IncludeConflict { .. }),
        "{error}"
    );
    assert_eq!(at(&sources, error.span()), "compose.yml:4:3");

    let (_, error) = error_of(&["errors/bad-bool/compose.yml"]);
    assert!(
        error
            .to_string()
            .contains("`read_only` must be `true` or `false`"),
        "{error}"
    );

    let (_, error) = error_of(&["does-not-exist.yml"]);
    assert!(matches!(error, ComposeError::Io { .. }));
    assert_eq!(error.to_diagnostics().len(), 1);
}

/// mcpgen's own output lints exactly as the mcp.toml it came from: the same findings on the
/// same servers (the bundled images carry no digest yet: MCP016), nothing more.
#[test]
fn the_generated_compose_file_lints_as_its_mcp_toml() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Sources::default();
    let project = load(
        &mut sources,
        &[root.join("generated/docker-compose.mcp-only.yml")],
        &no_env,
    )
    .unwrap();
    assert_eq!(project.services.len(), 6);
    assert!(project.notes.is_empty(), "{:?}", project.notes);
    let verdict = |findings: &[crate::lint::Finding]| -> Vec<String> {
        let mut found: Vec<String> = crate::lint::active(findings)
            .map(|f| format!("{} {}", f.rule.code, f.service))
            .collect();
        found.sort();
        found
    };
    let config = crate::config::load(
        &mut sources,
        &root.join("mcp.toml"),
        &crate::lint::catalog(),
    )
    .unwrap();
    let from_toml = verdict(&crate::lint::run(
        crate::frontend::toml::services(&config),
        &config.stack.lint,
    ));
    let from_compose = verdict(&crate::lint::run(&project.services, &Default::default()));
    assert_eq!(from_compose, from_toml);
    assert!(
        from_compose.iter().all(|f| f.starts_with("MCP016")),
        "{from_compose:#?}"
    );
    let monitor = service(&project, "mcpgen-monitor");
    assert_eq!(
        monitor.mounts[0].source.as_deref(),
        Some("/var/run/docker.sock")
    );
    assert!(monitor.networks.is_empty());
}

/// The loader's cost is linear in the file: a generated project of many services loads, and
/// each service is found (the timing itself is measured outside the test suite).
#[test]
fn a_large_project_loads() {
    let text = large_project(1000);
    let mut sources = Sources::default();
    let file = sources.add(Path::new("large.yml"), text);
    let mut loader = Loader::new(&mut sources, &no_env);
    let read = loader.parse(file).unwrap();
    let mut project = None;
    loader
        .layers(read, Path::new("large.yml"), &mut project)
        .unwrap();
    let project = merged(loader, project, &[PathBuf::from("large.yml")])
        .and_then(MergedProject::collect)
        .unwrap();
    assert_eq!(project.services.len(), 1000);
    let findings = crate::lint::run(&project.services, &Default::default());
    let codes: std::collections::BTreeSet<&str> = crate::lint::active(&findings)
        .map(|f| f.rule.code)
        .collect();
    // The generator leaves out no-new-privileges, digests, logging caps and networks on purpose.
    assert_eq!(
        codes.into_iter().collect::<Vec<_>>(),
        ["MCP005", "MCP016", "MCP023", "MCP024"]
    );
}

/// A compose file of `count` services sharing hardening through an anchor, ~340 bytes each.
pub(crate) fn large_project(count: usize) -> String {
    let mut text = String::from(
        "x-hardening: &hardening\n  user: \"1000:1000\"\n  read_only: true\n  cap_drop: [ALL]\n  init: true\n\nservices:\n",
    );
    for i in 0..count {
        text.push_str(&format!(
            "  server-{i}:\n    <<: *hardening\n    image: ghcr.io/example/mcp-server-{i}:1.2.{i}\n    container_name: mcp-server-{i}\n    restart: unless-stopped\n    environment:\n      LOG_LEVEL: info\n      DATA_DIR: /data\n    volumes:\n      - server-{i}-data:/data\n    tmpfs: [\"/tmp:rw,noexec,nosuid,nodev,size=16m\"]\n    deploy:\n      resources:\n        limits: {{ cpus: \"0.5\", memory: 256M, pids: 128 }}\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n",
        ));
    }
    text
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn try_load(text: &str) {
        let mut sources = Sources::default();
        let file = sources.add(Path::new("/nonexistent/fuzz.yml"), text.to_string());
        let mut loader = Loader::new(&mut sources, &|name: &str| {
            (name == "SET").then(|| "1".to_string())
        });
        let Ok(read) = loader.parse(file) else { return };
        let mut project = None;
        if loader
            .layers(read, Path::new("/nonexistent/fuzz.yml"), &mut project)
            .is_ok()
        {
            let _ = merged(loader, project, &[PathBuf::from("/nonexistent/fuzz.yml")])
                .and_then(MergedProject::collect)
                .map(|p| crate::lint::run(&p.services, &Default::default()));
        }
    }

    /// YAML-ish fragments that reach the interesting parts of the loader.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("services:\n".to_string()),
            Just("  a:\n".to_string()),
            Just("    <<: *x\n".to_string()),
            Just("x: &x {user: '0'}\n".to_string()),
            Just("    extends: b\n".to_string()),
            Just("    read_only: !reset\n".to_string()),
            Just("    cap_drop: !override [ALL]\n".to_string()),
            Just("    volumes: ['${SET:-/x}:/y:ro', {type: tmpfs}]\n".to_string()),
            Just("    ports: [80, '[::1]::80']\n".to_string()),
            Just("    # mcpgen: allow MCP001 -- why\n".to_string()),
            Just("---\n".to_string()),
            Just("include: [x.yml]\n".to_string()),
            "[ -~é😀\n\t:{}\\[\\],&*!#|>'\"$-]{0,40}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            try_load(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn yaml_ish_text(parts in proptest::collection::vec(fragment(), 0..24)) {
            try_load(&parts.concat());
        }
    }
}

/// Bind sources land where Compose puts them: relative to the project directory, to an
/// included or extended file's own directory, `~` at the home; a named volume that the local
/// driver binds is a bind of its device.
#[test]
fn host_paths_are_resolved_where_compose_resolves_them() {
    let home = |name: &str| (name == "HOME").then(|| "/home/alice".to_string());
    let (_, result) = load_with(&["host-paths/project/compose.yml"], &home);
    let project = result.unwrap_or_else(|error| panic!("{error}"));
    let root = fixture("host-paths");
    let root = root.to_string_lossy();
    let landings = |name: &str| -> Vec<(String, bool)> {
        service(&project, name)
            .mounts
            .iter()
            .map(|mount| {
                let path = mount.lands().path;
                let path = path
                    .strip_prefix(root.as_ref())
                    .map_or(path.clone(), |rest| format!("<fixture>{rest}"));
                (path, mount.kind == MountKind::Bind)
            })
            .collect()
    };
    let s = |path: &str| (path.to_string(), true);
    assert_eq!(
        landings("own"),
        [
            s("<fixture>/project/data"),
            s("<fixture>"),
            s("/home"),
            s("/etc"),
            s("/etc/ssh"),
            // A plain named volume has no host path.
            ("plain".to_string(), false),
        ]
    );
    assert_eq!(
        landings("included"),
        [s("<fixture>/lib/conf"), s("<fixture>")]
    );
    assert_eq!(
        landings("extended"),
        [s("<fixture>/lib/deep/data"), s("<fixture>")]
    );
    let own = service(&project, "own");
    assert!(own.mounts[0].lands().in_project);
    assert!(!own.mounts[1].lands().in_project);
    assert_eq!(own.mounts[4].volume.as_deref(), Some("etc-bind"));
    assert_eq!(own.mounts[4].source.as_deref(), Some("/etc/../etc/ssh"));

    let findings = crate::lint::run(&project.services, &Default::default());
    let mut found: Vec<String> = crate::lint::active(&findings)
        .filter(|f| f.rule.code == "MCP012")
        .map(|f| f.message.replace(root.as_ref(), "<fixture>"))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "bind-mounts `~/../../etc` (`/etc` once resolved) from the host, which exposes the host's configuration, users and password hashes",
            "bind-mounts `~/..` (`/home` once resolved) from the host, which exposes a whole home directory: SSH keys, cloud credentials, shell history",
            "bind-mounts the volume `etc-bind` (a bind of `/etc/../etc/ssh`, `/etc/ssh` once resolved) from the host, which exposes the host's configuration, users and password hashes",
        ]
    );
}

/// `lint` takes each view as it is built; `--fix` and `--format view` collect them. Both are
/// the same views, network peers followed across the project included.
#[test]
fn services_viewed_one_at_a_time_are_the_services_collected() {
    let files = [fixture("../lint/MCP009/bad-joined.yml")];
    let mut sources = Sources::default();
    let collected = load(&mut sources, &files, &no_env).unwrap();
    let mut sources = Sources::default();
    let mut streamed = Vec::new();
    let notes = read(&mut sources, &files, &no_env)
        .unwrap()
        .views(|view| streamed.push(view))
        .unwrap();
    assert_eq!(format!("{streamed:?}"), format!("{:?}", collected.services));
    assert_eq!(notes.len(), collected.notes.len());
    let app = streamed.iter().find(|view| view.name == "app").unwrap();
    assert_eq!(
        app.network_peer,
        Some(crate::lint::view::NetworkPeer::Host {
            via: "vpn".to_string()
        })
    );
}
