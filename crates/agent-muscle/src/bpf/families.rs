//! Socket address families by name: the one table from the names profiles
//! use (`unix`, `inet`, `netlink`, …) to the `AF_*` numbers `socket()`
//! takes and the filter checks, and back.

/// `(name, AF_* number)`: every family the sandbox knows by name, named as
/// `<sys/socket.h>` names it without the `AF_` prefix, in lower case.
pub const SOCKET_FAMILIES: &[(&str, i32)] = &[
    ("unix", libc::AF_UNIX),
    ("inet", libc::AF_INET),
    ("ax25", libc::AF_AX25),
    ("ipx", libc::AF_IPX),
    ("appletalk", libc::AF_APPLETALK),
    ("x25", libc::AF_X25),
    ("inet6", libc::AF_INET6),
    ("netlink", libc::AF_NETLINK),
    ("packet", libc::AF_PACKET),
    ("bluetooth", libc::AF_BLUETOOTH),
    ("alg", libc::AF_ALG),
    ("vsock", libc::AF_VSOCK),
    ("xdp", libc::AF_XDP),
];

/// The `AF_*` number of a family by its [`SOCKET_FAMILIES`] name (`inet6`).
#[must_use]
pub fn socket_family_number(name: &str) -> Option<i32> {
    SOCKET_FAMILIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, domain)| domain)
}

/// The [`SOCKET_FAMILIES`] name of an `AF_*` number.
#[must_use]
pub fn socket_family_name(domain: i32) -> Option<&'static str> {
    SOCKET_FAMILIES
        .iter()
        .find(|&&(_, d)| d == domain)
        .map(|&(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_are_unique_and_map_both_ways() {
        for &(name, domain) in SOCKET_FAMILIES {
            assert_eq!(socket_family_number(name), Some(domain), "{name}");
            assert_eq!(socket_family_name(domain), Some(name), "{domain}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{name}"
            );
        }
        assert_eq!(socket_family_number("AF_UNIX"), None);
        assert_eq!(socket_family_name(-1), None);
    }
}
