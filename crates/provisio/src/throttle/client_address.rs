//! The client's address behind trusted reverse proxies, and the address a client is counted by.
//!
//! A forwarding header is a list each proxy appends the address it received the request from
//! to, so only its right end can be believed: whatever stands left of the first hop written by
//! a proxy that is not trusted may have been made up by the client. The walk therefore starts
//! at the peer and goes right to left, and the client is the first address that is not a
//! trusted proxy. An entry that is not an address (`unknown`, an obfuscated name, garbage) ends
//! the walk at the trusted proxy that wrote it, so it can never make the client pick its own
//! address. When every hop is trusted, the leftmost one is the client.
//!
//! `X-Forwarded-For` is split here (comma-separated addresses, some proxies add a port); the
//! `Forwarded` header (RFC 7239) is read with the `rfc7239` crate. Only the header the settings
//! name is read: a proxy that writes one passes the other on untouched, so reading both would
//! let a client write its own.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::ops::ControlFlow;

use axum::http::{header, HeaderMap};
use ipnet::IpNet;

use super::device_settings::ForwardedHeader;

/// The bits of an IPv6 address that name its /64 network.
const IPV6_NETWORK: u128 = !((1u128 << 64) - 1);

/// The address a client is counted by: an IPv4 address (also when mapped into IPv6) as it is,
/// an IPv6 address as its /64 network, the smallest block one subscriber is usually given.
pub fn counted_as(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & IPV6_NETWORK)),
        v4 => v4,
    }
}

/// Where the client of a request is found.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClientAddress {
    /// The trusted proxies.
    pub(crate) trusted: Vec<IpNet>,
    /// The header they write.
    pub(crate) header: ForwardedHeader,
}

impl ClientAddress {
    /// The client: the peer, or behind trusted proxies the hop the last of them added.
    pub(crate) fn of(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let mut walk = Walk {
            client: peer.ip().to_canonical(),
            trusted: &self.trusted,
        };
        if !walk.is_trusted(walk.client) {
            return walk.client;
        }
        let name = match self.header {
            ForwardedHeader::XForwardedFor => "x-forwarded-for",
            ForwardedHeader::Forwarded => header::FORWARDED.as_str(),
        };
        // Several header lines are one list, in order.
        for value in headers.get_all(name).iter().rev() {
            let Ok(text) = value.to_str() else {
                return walk.client;
            };
            let flow = match self.header {
                ForwardedHeader::XForwardedFor => text
                    .rsplit(',')
                    .try_for_each(|hop| walk.step(x_forwarded_for(hop))),
                ForwardedHeader::Forwarded => rfc7239::parse(text)
                    .rev()
                    .try_for_each(|element| walk.step(forwarded_for(element))),
            };
            if let ControlFlow::Break(client) = flow {
                return client;
            }
        }
        walk.client
    }
}

/// The walk from the right: the last hop reached, and who is trusted.
struct Walk<'a> {
    client: IpAddr,
    trusted: &'a [IpNet],
}

impl Walk<'_> {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// Takes the next hop to the left: stops at one that is not trusted, or at one that is not
    /// an address (then the client is the trusted proxy that wrote it).
    fn step(&mut self, hop: Option<IpAddr>) -> ControlFlow<IpAddr> {
        let Some(ip) = hop else {
            return ControlFlow::Break(self.client);
        };
        self.client = ip.to_canonical();
        if self.is_trusted(self.client) {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(self.client)
        }
    }
}

/// One entry of `X-Forwarded-For`: an address, maybe in brackets, maybe with a port.
fn x_forwarded_for(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse::<Ipv6Addr>().ok())
                .map(IpAddr::V6)
        })
}

/// The `for=` address of one element of `Forwarded`.
fn forwarded_for(element: Result<rfc7239::Forwarded<'_>, rfc7239::RfcError>) -> Option<IpAddr> {
    element.ok()?.forwarded_for?.ip().copied()
}
