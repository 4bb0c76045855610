//! MCP021 no-host-devices.

use crate::diag::Severity;
use crate::lint::{Report, Rule, ServiceView};

pub static RULE: Rule = Rule {
    code: "MCP021",
    name: "no-host-devices",
    severity: Severity::Error,
    core: false,
    summary: "host devices must not be passed into the container",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"## What it does
Reports every `devices` entry (`/dev/kvm`, `/dev/sda:/dev/xvda:rwm`, CDI names such as
`nvidia.com/gpu=all`).

## Why it matters
A device node is a direct line to a host driver, outside most of the container's isolation:
a disk device gives raw access to the host's filesystems, `/dev/mem` or `/dev/kmsg` to the
kernel, `/dev/kvm` and GPU drivers a large, privileged attack surface. MCP servers work with
files, APIs and processes; none needs host hardware.

## Bad
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
    devices: ["/dev/sda:/dev/xvda:rwm"]
```

## Good
```yaml
services:
  shell:
    image: mcp/desktop-commander:0.2.38
```

## Fix
Remove the entry. If a server truly needs one device, pass only that device, without `m`
(mknod) permission, and allow MCP021 with the reason.

## References
- CIS Docker Benchmark 5.18: ensure that host devices are not directly exposed to containers
- Docker docs: `docker run --device`
"#;

fn check(service: &ServiceView, report: &mut Report) {
    for device in &service.devices {
        report.push(
            format!(
                "passes the host device `{}` into the container",
                device.value.trim()
            ),
            service.at(Some(device)),
            "remove the `devices` entry; a device the server truly needs takes an allow for MCP021 with the reason",
        );
        report.note(device.note.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::rules::test_support::{assert_silent, check, hardened, span, strings};

    #[test]
    fn every_device_fires_at_its_entry() {
        let mut service = hardened();
        service.devices = strings(&["/dev/kvm", "/dev/sda:/dev/xvda:rwm"], 40);
        let found = check(&RULE, &service);
        assert_eq!(found.len(), 2);
        assert_eq!(found[1].span, span(41));
        assert_eq!(
            found[1].message,
            "passes the host device `/dev/sda:/dev/xvda:rwm` into the container"
        );
        assert!(found.iter().all(|f| f.severity == Severity::Error));
        assert!(found[0].help.contains("remove the `devices` entry"));
    }

    #[test]
    fn no_devices_is_silent() {
        assert_silent(&RULE, &hardened());
    }
}
