//! `network_mode: service:x` and `container:x` join another container's network namespace:
//! whether that is the host's is decided by x's own `network_mode`, so each such service is
//! followed through the project to the service that has a network of its own.

use std::collections::HashMap;

use crate::lint::rules::mcp009_no_host_network::is_host_network;
use crate::lint::view::NetworkPeer;

/// What another service's `network_mode` can name a service by, and where its own network
/// comes from: all the project-wide reading a service's network needs, read before any
/// service is viewed, so each view can be checked as soon as it is built.
#[derive(Debug, Default)]
pub(crate) struct Identity<'a> {
    pub(crate) name: &'a str,
    pub(crate) container_name: Option<String>,
    pub(crate) network_mode: Option<String>,
}

/// The service or container a network mode joins, if it joins one.
fn joined(mode: &str) -> Option<Joined<'_>> {
    let mode = mode.trim();
    let (kind, name) = mode.split_once(':')?;
    match kind.to_ascii_lowercase().as_str() {
        "service" => Some(Joined::Service(name)),
        "container" => Some(Joined::Container(name)),
        _ => None,
    }
}

enum Joined<'a> {
    Service(&'a str),
    /// A container name: another service's `container_name`, or a container outside the project.
    Container(&'a str),
}

/// Per service, in order, where its `network_mode` leads when it joins another's network.
pub(crate) fn resolve(services: &[Identity<'_>]) -> Vec<Option<NetworkPeer>> {
    if services
        .iter()
        .all(|service| service.network_mode.as_deref().and_then(joined).is_none())
    {
        // Most projects: no service joins another's network, and nothing need be indexed.
        return vec![None; services.len()];
    }
    // The first service of each name, and of each container name, as a chain meets them.
    let mut by_name: HashMap<&str, usize> = HashMap::with_capacity(services.len());
    let mut by_container_name: HashMap<&str, usize> = HashMap::new();
    for (index, service) in services.iter().enumerate() {
        by_name.entry(service.name).or_insert(index);
        if let Some(name) = &service.container_name {
            by_container_name.entry(name).or_insert(index);
        }
    }
    let index = Index {
        services,
        by_name,
        by_container_name,
    };
    (0..services.len()).map(|start| index.peer(start)).collect()
}

struct Index<'a> {
    services: &'a [Identity<'a>],
    by_name: HashMap<&'a str, usize>,
    by_container_name: HashMap<&'a str, usize>,
}

impl Index<'_> {
    fn peer(&self, start: usize) -> Option<NetworkPeer> {
        let mut seen = vec![start];
        let mut current = start;
        loop {
            let mode = self.services[current].network_mode.as_deref();
            let Some(joined) = mode.and_then(joined) else {
                if current == start {
                    return None;
                }
                let via = self.services[current].name.to_string();
                return Some(if mode.is_some_and(is_host_network) {
                    NetworkPeer::Host { via }
                } else {
                    NetworkPeer::Own { via }
                });
            };
            let (named, found) = match joined {
                Joined::Service(name) => (name, self.by_name.get(name)),
                Joined::Container(name) => (name, self.by_container_name.get(name)),
            };
            match found.copied() {
                Some(next) if !seen.contains(&next) => {
                    seen.push(next);
                    current = next;
                }
                _ => {
                    return Some(NetworkPeer::Unknown {
                        named: named.to_string(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service<'a>(
        name: &'a str,
        mode: Option<&str>,
        container_name: Option<&str>,
    ) -> Identity<'a> {
        Identity {
            name,
            network_mode: mode.map(str::to_string),
            container_name: container_name.map(str::to_string),
        }
    }

    #[test]
    fn chains_are_followed_to_a_network_of_its_own() {
        let services = vec![
            service("vpn", Some("host"), Some("the-vpn")),
            service("app", Some("service:vpn"), None),
            service("sidecar", Some("container:the-vpn"), None),
            service("second-hop", Some("service:app"), None),
            service("bridged", Some("service:plain"), None),
            service("plain", None, None),
            service("outside", Some("container:somewhere-else"), None),
            service("missing", Some("service:nope"), None),
            service("loop-a", Some("service:loop-b"), None),
            service("loop-b", Some("service:loop-a"), None),
            service("by-service-name", Some("container:vpn"), None),
        ];
        let peers = resolve(&services);
        let peer = |name: &str| {
            services
                .iter()
                .position(|service| service.name == name)
                .and_then(|index| peers[index].clone())
        };
        let host = Some(NetworkPeer::Host {
            via: "vpn".to_string(),
        });
        assert_eq!(peer("app"), host);
        assert_eq!(peer("sidecar"), host);
        assert_eq!(peer("second-hop"), host);
        assert_eq!(
            peer("bridged"),
            Some(NetworkPeer::Own {
                via: "plain".to_string()
            })
        );
        for (name, named) in [
            ("outside", "somewhere-else"),
            ("missing", "nope"),
            ("loop-a", "loop-a"),
            ("by-service-name", "vpn"),
        ] {
            assert_eq!(
                peer(name),
                Some(NetworkPeer::Unknown {
                    named: named.to_string()
                }),
                "{name}"
            );
        }
        assert_eq!(peer("vpn"), None);
        assert_eq!(peer("plain"), None);
    }

    #[test]
    fn a_shared_container_name_leads_to_the_first_service_that_has_it() {
        let services = [
            service("first", Some("host"), Some("shared")),
            service("second", None, Some("shared")),
            service("joiner", Some("container:shared"), None),
        ];
        let peers = resolve(&services);
        assert_eq!(
            peers[2],
            Some(NetworkPeer::Host {
                via: "first".to_string()
            })
        );
    }

    #[test]
    fn a_project_where_no_service_joins_another_has_no_peers() {
        let services = [
            service("a", Some("host"), Some("x")),
            service("b", Some("bridge"), None),
            service("c", None, None),
        ];
        assert_eq!(resolve(&services), vec![None, None, None]);
        assert!(resolve(&[]).is_empty());
    }
}
