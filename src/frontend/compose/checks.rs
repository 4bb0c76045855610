//! Structural checks on the merged project, beside the lint rules (dclint has them): they are
//! about the file, not about a service's hardening (MCP102, MCP103). The obsolete top-level
//! `version` is reported where each file is read ([`super::loader`]).

use std::collections::HashMap;

use super::tree::{Entry, Node};
use crate::lint::Finding;
use crate::lint::rules::mcp102_duplicate_container_name::RULE as DUPLICATE_CONTAINER_NAME;
use crate::lint::rules::mcp103_build_and_image::RULE as BUILD_AND_IMAGE;
use crate::source::Span;

/// A service that set a container name: where, and in which profiles it runs.
struct Named {
    service: String,
    span: Span,
    profiles: Vec<String>,
}

/// Whether two services can run at once: one with no profiles always runs; otherwise a profile
/// they share brings both up. Disjoint profiles are variants of one container.
fn run_together(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|profile| b.contains(profile))
}

/// Duplicate `container_name`s (Compose refuses the project) and services with
/// both `build` and `image` (legal: the built image is tagged `image`, never pulled). Fed one
/// service at a time.
#[derive(Default)]
pub(crate) struct Checks {
    /// Container names seen so far, with every service that set each.
    names: HashMap<String, Vec<Named>>,
    pub(crate) notes: Vec<Finding>,
}

impl Checks {
    pub(crate) fn service(&mut self, service: &Entry) {
        let Some(map) = service.value.as_map() else {
            return;
        };
        let set = |key: &str| map.get(key).filter(|n| !n.is_null() && !n.is_reset());
        if let Some(node) = set("container_name")
            && let Some(name) = node.as_str().filter(|name| !name.is_empty())
        {
            let profiles: Vec<String> = set("profiles")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .filter_map(|profile| profile.as_str().map(str::to_string))
                .collect();
            let earlier = self.names.entry(name.to_string()).or_default();
            let clash = earlier
                .iter()
                .find(|named| run_together(&named.profiles, &profiles));
            if let Some(first) = clash {
                self.notes.push(
                        Finding::raised(
                            &DUPLICATE_CONTAINER_NAME,
                            &service.key,
                            format!(
                                "container name `{name}` is also used by service `{}`: Compose refuses a project where two services that run together share one",
                                first.service
                            ),
                            node.span,
                            "give each service its own `container_name`, or drop it and let Compose name them",
                        )
                        .with_related(first.span, "first used here"),
                    );
            }
            earlier.push(Named {
                service: service.key.clone(),
                span: node.span,
                profiles,
            });
        }
        if let (Some(_), Some(image)) = (set("build"), set("image")) {
            self.notes.push(
                Finding::raised(
                    &BUILD_AND_IMAGE,
                    &service.key,
                    "has both `build` and `image`: Compose builds the image and tags it with `image`",
                    image.span,
                    "keep `image` only to name the local build, or drop `build` and pull the pinned image",
                )
                .with_note("the image is built here, not pulled: a pinned tag or digest in `image` does not pin its content"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_run_together_unless_their_profiles_are_disjoint() {
        let p = |names: &[&str]| names.iter().map(|n| (*n).to_string()).collect::<Vec<_>>();
        assert!(run_together(&p(&[]), &p(&[])));
        assert!(run_together(&p(&[]), &p(&["dev"])));
        assert!(run_together(&p(&["dev", "debug"]), &p(&["debug"])));
        assert!(!run_together(&p(&["dev"]), &p(&["prod"])));
    }
}
