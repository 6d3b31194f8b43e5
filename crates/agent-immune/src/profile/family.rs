//! Socket address families as profiles name them. Names only: the `AF_*`
//! numbers are the sandbox's (agent-muscle's family table), joined to
//! these names in agent-spine.

use std::fmt;

use serde::Serialize;

/// A socket address family a profile may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SocketFamily {
    /// `AF_UNIX`: local sockets (NSS, pipes between processes).
    Unix,
    /// `AF_INET`: IPv4.
    Inet,
    /// `AF_INET6`: IPv6.
    Inet6,
    /// `AF_NETLINK`: kernel interfaces (routes, network interfaces).
    Netlink,
    /// `AF_PACKET`: raw link-layer packets.
    Packet,
}

impl SocketFamily {
    /// Every family a profile may name.
    pub const ALL: [SocketFamily; 5] = [
        SocketFamily::Unix,
        SocketFamily::Inet,
        SocketFamily::Inet6,
        SocketFamily::Netlink,
        SocketFamily::Packet,
    ];

    /// Families a task's `socket()` may create (`inet` and `inet6` only
    /// with a network grant).
    pub const CREATABLE: &[SocketFamily] =
        &[SocketFamily::Unix, SocketFamily::Inet, SocketFamily::Inet6];

    /// Families a profile may refuse with `EAFNOSUPPORT` instead of a kill.
    pub const REFUSABLE: &[SocketFamily] = &[
        SocketFamily::Netlink,
        SocketFamily::Packet,
        SocketFamily::Inet,
        SocketFamily::Inet6,
    ];

    /// The name profiles use: `unix`, `inet`, `inet6`, `netlink`, `packet`.
    pub fn name(self) -> &'static str {
        match self {
            SocketFamily::Unix => "unix",
            SocketFamily::Inet => "inet",
            SocketFamily::Inet6 => "inet6",
            SocketFamily::Netlink => "netlink",
            SocketFamily::Packet => "packet",
        }
    }

    /// Parses a name, also in the `<sys/socket.h>` spelling (`AF_INET6`,
    /// `af_inet6`).
    pub fn parse(name: &str) -> Option<SocketFamily> {
        let lower = name.to_ascii_lowercase();
        let bare = lower.strip_prefix("af_").unwrap_or(&lower);
        SocketFamily::ALL.into_iter().find(|f| f.name() == bare)
    }

    /// `inet` or `inet6`: honoured only with a network grant.
    pub fn is_network(self) -> bool {
        matches!(self, SocketFamily::Inet | SocketFamily::Inet6)
    }

    /// The names of `families`, comma-separated.
    pub fn list(families: &[SocketFamily]) -> String {
        families
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for SocketFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_in_both_spellings() {
        for f in SocketFamily::ALL {
            assert_eq!(SocketFamily::parse(f.name()), Some(f));
            let af = format!("AF_{}", f.name().to_ascii_uppercase());
            assert_eq!(SocketFamily::parse(&af), Some(f), "{af}");
        }
        assert_eq!(SocketFamily::parse("af_inet6"), Some(SocketFamily::Inet6));
        for bad in ["", "AF_", "bluetooth", "2", "inet4", "unix "] {
            assert_eq!(SocketFamily::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn serialized_as_the_name() {
        let json = serde_json::to_string(&SocketFamily::ALL).unwrap();
        assert_eq!(json, r#"["unix","inet","inet6","netlink","packet"]"#);
    }
}
