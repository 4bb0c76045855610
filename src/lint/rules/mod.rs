//! One file per rule; this table is the catalog, in code order.

pub mod mcp001_non_root_user;
pub mod mcp002_read_only_rootfs;
pub mod mcp003_cap_drop_all;
pub mod mcp004_resource_limits;
pub mod mcp005_no_new_privileges;
pub mod mcp006_no_privileged;
pub mod mcp007_cap_add;
pub mod mcp008_no_unconfined_profile;
pub mod mcp009_no_host_network;
pub mod mcp010_no_host_namespaces;
pub mod mcp011_no_runtime_socket;
pub mod mcp012_no_sensitive_host_path;
pub mod mcp013_bind_mount_read_only;
pub mod mcp014_no_published_ports;
pub mod mcp015_image_pinned;
pub mod mcp016_image_digest;
pub mod mcp017_no_plaintext_secret;
pub mod mcp018_healthcheck;
pub mod mcp019_restart_policy;
pub mod mcp020_tmpfs_hardened;
pub mod mcp021_no_host_devices;
pub mod mcp022_init_process;
pub mod mcp023_internal_network;
pub mod mcp024_log_limits;
pub mod mcp025_unused_allow;
pub mod mcp101_obsolete_version;
pub mod mcp102_duplicate_container_name;
pub mod mcp103_build_and_image;
pub mod mcp104_required_variable;
pub mod mcp105_allow_unattached;
#[cfg(test)]
pub(crate) mod test_support;

use super::{Report, Rule, ServiceView};

pub const UNUSED_ALLOW: &str = "MCP025";

pub static RULES: &[&Rule] = &[
    &mcp001_non_root_user::RULE,
    &mcp002_read_only_rootfs::RULE,
    &mcp003_cap_drop_all::RULE,
    &mcp004_resource_limits::RULE,
    &mcp005_no_new_privileges::RULE,
    &mcp006_no_privileged::RULE,
    &mcp007_cap_add::RULE,
    &mcp008_no_unconfined_profile::RULE,
    &mcp009_no_host_network::RULE,
    &mcp010_no_host_namespaces::RULE,
    &mcp011_no_runtime_socket::RULE,
    &mcp012_no_sensitive_host_path::RULE,
    &mcp013_bind_mount_read_only::RULE,
    &mcp014_no_published_ports::RULE,
    &mcp015_image_pinned::RULE,
    &mcp016_image_digest::RULE,
    &mcp017_no_plaintext_secret::RULE,
    &mcp018_healthcheck::RULE,
    &mcp019_restart_policy::RULE,
    &mcp020_tmpfs_hardened::RULE,
    &mcp021_no_host_devices::RULE,
    &mcp022_init_process::RULE,
    &mcp023_internal_network::RULE,
    &mcp024_log_limits::RULE,
    &mcp025_unused_allow::RULE,
    &mcp101_obsolete_version::RULE,
    &mcp102_duplicate_container_name::RULE,
    &mcp103_build_and_image::RULE,
    &mcp104_required_variable::RULE,
    &mcp105_allow_unattached::RULE,
];

/// The check of a rule about the compose project rather than one service (MCP101 on): the
/// compose reader raises its findings where it sees the problem, as a [`super::Finding`].
fn raised_by_the_reader(_service: &ServiceView, _report: &mut Report) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_in_code_order() {
        let codes: Vec<&str> = RULES.iter().map(|rule| rule.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn every_rule_lives_in_the_file_named_after_it() {
        // MCP013 bind-mount-read-only is `mcp013_bind_mount_read_only.rs`: a search for the code
        // or the name finds the one file that holds the rule, its docs and its tests.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lint/rules");
        for rule in RULES {
            let file = dir.join(format!(
                "{}_{}.rs",
                rule.code.to_ascii_lowercase(),
                rule.name.replace('-', "_")
            ));
            let text = std::fs::read_to_string(&file)
                .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
            assert!(
                text.contains(&format!("code: \"{}\"", rule.code)),
                "{} does not define {}",
                file.display(),
                rule.code
            );
        }
    }

    #[test]
    fn the_hardened_service_passes_every_rule() {
        let service = test_support::hardened();
        for rule in RULES {
            test_support::assert_silent(rule, &service);
        }
    }
}
