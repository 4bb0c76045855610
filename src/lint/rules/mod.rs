//! One file per rule; this table is the catalog, in code order.

pub mod mcp001_non_root_user;
pub mod mcp002_read_only_rootfs;
pub mod mcp003_cap_drop_all;
pub mod mcp004_resource_limits;
pub mod mcp005_no_new_privileges;
pub mod mcp025_unused_allow;

use super::Rule;

pub const UNUSED_ALLOW: &str = "MCP025";

pub static RULES: &[&Rule] = &[
    &mcp001_non_root_user::RULE,
    &mcp002_read_only_rootfs::RULE,
    &mcp003_cap_drop_all::RULE,
    &mcp004_resource_limits::RULE,
    &mcp005_no_new_privileges::RULE,
    &mcp025_unused_allow::RULE,
];
