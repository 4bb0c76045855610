//! `--format view` (hidden): the service views the rules judge, as JSON. The agreement tests
//! hold each field against Compose's own resolved reading (`docker compose config --format
//! json`), so a difference in how a file is read shows up even where no verdict changes.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::lint::ServiceView;
use crate::lint::view::{Located, MountKind};

fn value<T: Clone + Into<Value>>(located: Option<&Located<T>>) -> Value {
    located.map_or(Value::Null, |located| located.value.clone().into())
}

fn strings(list: &[Located<String>]) -> Vec<&str> {
    list.iter().map(|item| item.value.as_str()).collect()
}

fn service(view: &ServiceView) -> Value {
    let mounts: Vec<Value> = view
        .mounts
        .iter()
        .map(|mount| {
            let kind = match mount.kind {
                MountKind::Bind => "bind",
                MountKind::Volume => "volume",
                MountKind::Tmpfs => "tmpfs",
                MountKind::Other => "other",
            };
            // A bind's source is where it lands on the host; a volume's is its name.
            let source = match mount.kind {
                MountKind::Bind => Some(mount.lands().path),
                _ => mount.source.clone(),
            };
            json!({
                "type": kind,
                "source": source,
                "volume": mount.volume,
                "target": mount.target,
                "read_only": mount.read_only,
            })
        })
        .collect();
    let namespaces: serde_json::Map<String, Value> = view
        .namespaces
        .iter()
        .map(|(key, located)| (key.clone(), located.value.clone().into()))
        .collect();
    json!({
        "name": view.name,
        "image": value(view.image.as_ref()),
        "user": value(view.user.as_ref()),
        "read_only": value(view.read_only.as_ref()),
        "privileged": value(view.privileged.as_ref()),
        "init": value(view.init.as_ref()),
        "cap_drop": strings(&view.cap_drop),
        "cap_add": strings(&view.cap_add),
        "security_opt": strings(&view.security_opt),
        "network_mode": value(view.network_mode.as_ref()),
        "container_name": view.container_name,
        "namespaces": namespaces,
        "limits": {
            "cpus": value(view.limits.cpus.as_ref()),
            "memory": value(view.limits.memory.as_ref()),
            "pids": value(view.limits.pids.as_ref()),
        },
        "mounts": mounts,
        "tmpfs": view.tmpfs.iter().map(|tmpfs| tmpfs.target.as_str()).collect::<Vec<_>>(),
        "ports": view.ports.iter().map(|port| json!({
            "host_ip": port.host_ip,
            "published": port.published,
        })).collect::<Vec<_>>(),
        "devices": strings(&view.devices),
    })
}

pub fn write<W: Write>(services: &[ServiceView], mut out: W) -> io::Result<()> {
    let services: Vec<Value> = services.iter().map(service).collect();
    super::write_pretty(&mut out, &services)?;
    out.write_all(b"\n")
}
