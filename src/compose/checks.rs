//! Structural checks on the merged project, beside the lint rules (dclint has them): they are
//! about the file, not about a service's hardening, so they are notes, not findings. The
//! obsolete top-level `version` is noted where each file is read ([`super::loader`]).

use std::collections::HashMap;

use super::tree::Entry;
use crate::diag::{Diagnostic, Severity};
use crate::source::Span;

/// Duplicate `container_name`s (Compose cannot create the second container) and services with
/// both `build` and `image` (legal: the built image is tagged `image`, never pulled). Fed one
/// service at a time.
#[derive(Default)]
pub(crate) struct Checks {
    /// Container names seen so far, and where.
    names: HashMap<String, Span>,
    pub(crate) notes: Vec<Diagnostic>,
}

impl Checks {
    pub(crate) fn service(&mut self, service: &Entry) {
        let Some(map) = service.value.as_map() else {
            return;
        };
        let set = |key: &str| map.get(key).filter(|n| !n.is_null() && !n.is_reset());
        if let Some(node) = set("container_name") {
            if let Some(name) = node.as_str().filter(|name| !name.is_empty()) {
                match self.names.get(name) {
                    Some(first) => self.notes.push(
                        Diagnostic::new(
                            Severity::Warning,
                            format!(
                                "container name `{name}` is used by two services: Compose cannot create the second container"
                            ),
                        )
                        .with_code("compose/duplicate-container-name")
                        .with_primary(node.span.clone(), "used again here")
                        .with_secondary(first.clone(), "first used here")
                        .with_help("give each service its own `container_name`, or drop it and let Compose name them"),
                    ),
                    None => {
                        self.names.insert(name.to_string(), node.span.clone());
                    }
                }
            }
        }
        if let (Some(_), Some(image)) = (set("build"), set("image")) {
            self.notes.push(
                Diagnostic::new(
                    Severity::Info,
                    format!(
                        "service `{}` has both `build` and `image`: Compose builds the image and tags it with `image`",
                        service.key
                    ),
                )
                .with_code("compose/build-and-image")
                .with_primary(image.span.clone(), "the tag of the built image")
                .with_note("the image is built here, not pulled: a pinned tag or digest in `image` does not pin its content"),
            );
        }
    }
}
