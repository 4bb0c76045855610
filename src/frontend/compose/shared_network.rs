//! `network_mode: service:x` and `container:x` join another container's network namespace:
//! whether that is the host's is decided by x's own `network_mode`, so each such service is
//! followed through the project to the service that has a network of its own.

use crate::lint::rules::mcp009_no_host_network::is_host_network;
use crate::lint::view::{NetworkPeer, ServiceView};

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

/// Sets `network_peer` on every service whose `network_mode` joins another's network.
pub(crate) fn resolve(views: &mut [ServiceView]) {
    let peers: Vec<Option<NetworkPeer>> = (0..views.len()).map(|i| peer(views, i)).collect();
    for (view, peer) in views.iter_mut().zip(peers) {
        view.network_peer = peer;
    }
}

fn peer(views: &[ServiceView], start: usize) -> Option<NetworkPeer> {
    let mut seen = vec![start];
    let mut current = start;
    loop {
        let mode = views[current]
            .network_mode
            .as_ref()
            .map(|mode| mode.value.as_str());
        let Some(joined) = mode.and_then(joined) else {
            if current == start {
                return None;
            }
            let via = views[current].name.clone();
            return Some(if mode.is_some_and(is_host_network) {
                NetworkPeer::Host { via }
            } else {
                NetworkPeer::Own { via }
            });
        };
        let (named, found) = match joined {
            Joined::Service(name) => (name, views.iter().position(|view| view.name == name)),
            Joined::Container(name) => (
                name,
                views
                    .iter()
                    .position(|view| view.container_name.as_deref() == Some(name)),
            ),
        };
        match found {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::view::Located;

    fn service(name: &str, mode: Option<&str>, container_name: Option<&str>) -> ServiceView {
        ServiceView {
            name: name.to_string(),
            network_mode: mode.map(|mode| Located {
                value: mode.to_string(),
                span: None,
                note: None,
            }),
            container_name: container_name.map(str::to_string),
            ..ServiceView::default()
        }
    }

    #[test]
    fn chains_are_followed_to_a_network_of_its_own() {
        let mut views = vec![
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
        resolve(&mut views);
        let peer = |name: &str| {
            views
                .iter()
                .find(|view| view.name == name)
                .and_then(|view| view.network_peer.clone())
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
}
