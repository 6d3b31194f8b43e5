//! Fuzzes what a sandboxed task's bytes reach first in the egress proxy —
//! the request head parser — and the grant's host rules: any input gives a
//! request or an error, never a panic; a parsed rule prints back to itself;
//! a decision on any host never panics and never allows a special address
//! under the `*` wildcard.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use agent_muscle::exec::egress::policy::{decide, special_range, HostRule, Verdict};
use agent_muscle::exec::egress::proxy::parse_head;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = parse_head(data) {
        assert!(!req.host.is_empty() && req.port != 0);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rule) = HostRule::parse(text) {
        assert_eq!(HostRule::parse(&rule.to_string()).as_ref(), Ok(&rule));
    }
    // The first four bytes as an address the host "resolved".
    let ip = IpAddr::V4(Ipv4Addr::new(
        data.first().copied().unwrap_or(0),
        data.get(1).copied().unwrap_or(0),
        data.get(2).copied().unwrap_or(0),
        data.get(3).copied().unwrap_or(0),
    ));
    if let Verdict::Allow { addrs, .. } = decide(&[HostRule::any()], text, 443, &[ip]) {
        assert!(addrs.iter().all(|a| special_range(a.ip()).is_none()));
    }
});
