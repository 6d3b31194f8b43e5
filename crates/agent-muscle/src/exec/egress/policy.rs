//! Which destinations a network grant allows: pure functions over the
//! grant, the name the task asked for, and the addresses the proxy resolved.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::{Deserialize, Serialize};

/// One allowed destination: a host pattern and an optional port.
/// Serialized as the text [`HostRule::parse`] reads (`"*.example.com:443"`),
/// so a deserialized rule is a checked one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostRule {
    /// `*` (any public host), `*.example.com` (the domain and every name
    /// below it), an exact name, or an IP literal.
    pub host: String,
    /// The only port allowed, or every port.
    pub port: Option<u16>,
}

/// Why a `--allow-host` value is not a rule.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a host rule: {why}")]
pub struct RuleError {
    value: String,
    why: &'static str,
}

impl HostRule {
    /// Any public host on any port (a bare `--allow-net`).
    pub fn any() -> HostRule {
        HostRule {
            host: "*".into(),
            port: None,
        }
    }

    /// Parses `HOST`, `HOST:PORT`, `*.DOMAIN[:PORT]`, `[V6]:PORT` or `*`.
    ///
    /// # Errors
    ///
    /// [`RuleError`] for an empty host, a bad port or characters a host name
    /// cannot have.
    pub fn parse(value: &str) -> Result<HostRule, RuleError> {
        let err = |why| RuleError {
            value: value.to_owned(),
            why,
        };
        let (host, port) = if let Some(rest) = value.strip_prefix('[') {
            let (v6, after) = rest.split_once(']').ok_or_else(|| err("unclosed `[`"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(err("junk after `]`")),
            };
            v6.parse::<Ipv6Addr>()
                .map_err(|_| err("not an IPv6 address inside `[]`"))?;
            (v6.to_owned(), port)
        } else if value.parse::<Ipv6Addr>().is_ok() {
            (value.to_owned(), None)
        } else {
            match value.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p)),
                None => (value.to_owned(), None),
            }
        };
        let port = match port {
            Some(p) => Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| err("the port is not a number from 1 to 65535"))?,
            ),
            None => None,
        };
        let host = host.to_ascii_lowercase();
        if host.contains(':') && host.parse::<Ipv6Addr>().is_err() {
            return Err(err(
                "a colon only belongs in an IPv6 address (with a port: [::1]:443)",
            ));
        }
        let name = host.strip_prefix("*.").unwrap_or(&host);
        let plain = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
        if host != "*" && (name.is_empty() || !plain || name.starts_with('.')) {
            return Err(err("expected a host name, *.domain, an IP address or *"));
        }
        Ok(HostRule { host, port })
    }

    /// Whether this rule names `host` on `port`; `Some(explicit)` when it
    /// does, where `explicit` is false only for the `*` wildcard.
    fn matches(&self, host: &str, port: u16) -> Option<bool> {
        if self.port.is_some_and(|p| p != port) {
            return None;
        }
        if self.host == "*" {
            return Some(false);
        }
        if let Some(domain) = self.host.strip_prefix("*.") {
            let below = host
                .strip_suffix(domain)
                .is_some_and(|prefix| prefix.is_empty() || prefix.ends_with('.'));
            return below.then_some(true);
        }
        let same = match (self.host.parse::<IpAddr>(), host.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => self.host == host,
        };
        same.then_some(true)
    }
}

impl TryFrom<String> for HostRule {
    type Error = RuleError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        HostRule::parse(&value)
    }
}

impl From<HostRule> for String {
    fn from(rule: HostRule) -> String {
        rule.to_string()
    }
}

impl fmt::Display for HostRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.host.contains(':'), self.port) {
            (true, Some(p)) => write!(f, "[{}]:{p}", self.host),
            (false, Some(p)) => write!(f, "{}:{p}", self.host),
            (_, None) => f.write_str(&self.host),
        }
    }
}

/// Why an address is not public, if it is not.
pub fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return special_v4(v4);
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("loopback (the host's own services)")
            } else if v6.is_unspecified() {
                Some("the unspecified address")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("a private (unique local) network")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64 embeds an IPv4 address: judge that one.
                let [a, b] = seg[6].to_be_bytes();
                let [c, d] = seg[7].to_be_bytes();
                special_v4(Ipv4Addr::new(a, b, c, d))
            } else {
                None
            }
        }
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback (the host's own services)")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata services live at 169.254.169.254)")
    } else if ip.is_private() {
        Some("a private network")
    } else if a == 100 && (64..128).contains(&b) {
        Some("shared address space (carrier-grade NAT)")
    } else if ip.is_unspecified() || a == 0 {
        Some("the unspecified address")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else {
        None
    }
}

/// The proxy's answer for one destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Connect to these addresses (in order), under this rule.
    Allow {
        /// The resolved addresses the grant allows.
        addrs: Vec<SocketAddr>,
        /// The rule that allowed it.
        rule: HostRule,
    },
    /// Refused, with the reason in words.
    Deny(String),
}

/// Decides whether the task may reach `host:port`, given the addresses the
/// proxy resolved for it. A rule that names the host (by name, domain or
/// IP) allows whatever it resolves to; the `*` wildcard allows public
/// addresses only — never the host's loopback, link-local (cloud metadata),
/// private or reserved ranges, which must be named to be reached (a public
/// name that resolves to 127.0.0.1 is refused).
pub fn decide(rules: &[HostRule], host: &str, port: u16, resolved: &[IpAddr]) -> Verdict {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut wildcard = None;
    for rule in rules {
        match rule.matches(&host, port) {
            Some(true) => {
                let addrs: Vec<SocketAddr> = resolved
                    .iter()
                    .map(|ip| SocketAddr::new(*ip, port))
                    .collect();
                if addrs.is_empty() {
                    return Verdict::Deny(format!("`{host}` did not resolve"));
                }
                return Verdict::Allow {
                    addrs,
                    rule: rule.clone(),
                };
            }
            Some(false) => wildcard = wildcard.or(Some(rule)),
            None => {}
        }
    }
    let Some(rule) = wildcard else {
        let granted: Vec<String> = rules.iter().map(ToString::to_string).collect();
        return Verdict::Deny(format!(
            "`{host}:{port}` is not in the network grant ({})",
            granted.join(", ")
        ));
    };
    let mut why = None;
    let addrs: Vec<SocketAddr> = resolved
        .iter()
        .filter(|ip| match special_range(**ip) {
            Some(range) => {
                why.get_or_insert((**ip, range));
                false
            }
            None => true,
        })
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    if addrs.is_empty() {
        return Verdict::Deny(match why {
            Some((ip, range)) => format!(
                "`{host}` is {ip}, {range}: a grant of any host never reaches it; name it with --allow-host {host}:{port} if the task must"
            ),
            None => format!("`{host}` did not resolve"),
        });
    }
    Verdict::Allow {
        addrs,
        rule: rule.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn rules_parse_and_print() {
        for (text, host, port) in [
            ("example.com", "example.com", None),
            ("Example.COM:443", "example.com", Some(443)),
            ("*.crates.io", "*.crates.io", None),
            ("127.0.0.1:8080", "127.0.0.1", Some(8080)),
            ("[::1]:80", "::1", Some(80)),
            ("::1", "::1", None),
            ("*", "*", None),
        ] {
            let r = HostRule::parse(text).unwrap();
            assert_eq!((r.host.as_str(), r.port), (host, port), "{text}");
            assert_eq!(HostRule::parse(&r.to_string()).unwrap(), r);
        }
        for bad in [
            "",
            ":80",
            "a.com:0",
            "a.com:99999",
            "a b",
            "x/y",
            "[::1",
            "*.",
            "a.com:http",
        ] {
            assert!(HostRule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcard_allows_public_addresses_only() {
        let any = [HostRule::any()];
        assert!(matches!(
            decide(&any, "example.com", 443, &[ip("93.184.215.14")]),
            Verdict::Allow { .. }
        ));
        for special in [
            "127.0.0.1",
            "127.8.9.1",
            "169.254.169.254",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let v = decide(&any, "rebind.example", 80, &[ip(special)]);
            assert!(
                matches!(&v, Verdict::Deny(why) if why.contains("--allow-host")),
                "{special}: {v:?}"
            );
        }
        // A name with a public and a private address: only the public one.
        let v = decide(&any, "mixed.example", 80, &[ip("10.0.0.1"), ip("1.1.1.1")]);
        assert!(
            matches!(&v, Verdict::Allow { addrs, .. } if addrs.len() == 1 && addrs[0].ip() == ip("1.1.1.1")),
            "{v:?}"
        );
    }

    #[test]
    fn named_hosts_domains_and_ports() {
        let rules = [
            HostRule::parse("*.crates.io:443").unwrap(),
            HostRule::parse("127.0.0.1:8080").unwrap(),
            HostRule::parse("localhost:9000").unwrap(),
        ];
        let public = [ip("1.2.3.4")];
        assert!(matches!(
            decide(&rules, "static.crates.io", 443, &public),
            Verdict::Allow { .. }
        ));
        assert!(matches!(
            decide(&rules, "crates.io", 443, &public),
            Verdict::Allow { .. }
        ));
        assert!(matches!(
            decide(&rules, "evilcrates.io", 443, &public),
            Verdict::Deny(_)
        ));
        assert!(matches!(
            decide(&rules, "static.crates.io", 80, &public),
            Verdict::Deny(_)
        ));
        // Loopback reached because it is named, and only on the named port.
        assert!(matches!(
            decide(&rules, "127.0.0.1", 8080, &[ip("127.0.0.1")]),
            Verdict::Allow { .. }
        ));
        assert!(matches!(
            decide(&rules, "127.0.0.1", 22, &[ip("127.0.0.1")]),
            Verdict::Deny(_)
        ));
        assert!(matches!(
            decide(&rules, "localhost.", 9000, &[ip("127.0.0.1")]),
            Verdict::Allow { .. }
        ));
        // Not in the grant at all.
        let v = decide(&rules, "example.com", 443, &public);
        assert!(
            matches!(&v, Verdict::Deny(why) if why.contains("not in the network grant")),
            "{v:?}"
        );
    }
}
