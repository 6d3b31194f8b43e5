//! Fuzzes the policy for GitHub REST calls an LLM writes (issue 18):
//! `validate_api_call` on an arbitrary method, path and body. The input
//! (non-UTF-8 inputs are skipped) is split at its first two newlines:
//! method, path, then the body (`None` when there is no second newline).
//!
//! Never a panic; the decision is deny exactly when nothing is validated;
//! a validated call's path is one a server or proxy cannot resolve
//! elsewhere: absolute, no `.`/`..` path segment and no `..` in a query
//! value's `/`-separated parts, no `%2f`/`%2e` (any case) or
//! other `%`, no `//`, no backslash, only printable ASCII.
#![no_main]

use agent_mouth::outbound::{validate_api_call, ApiCall, OutboundPolicy};
use agent_mouth::Decision;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\n');
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let body = parts.next();
    let call = ApiCall {
        method: method.to_owned(),
        path: path.to_owned(),
        body: body.map(str::to_owned),
    };
    let policy = OutboundPolicy {
        allowed_hosts: vec!["github.com".into()],
        ..OutboundPolicy::default()
    };
    let out = validate_api_call(&call, &policy);
    let v = &out.verdict;
    assert_eq!(
        v.decision == Decision::Deny,
        out.validated.is_none(),
        "{:?}",
        v.findings
    );
    let strictest = v.findings.iter().map(|f| f.decision).max();
    assert_eq!(Some(v.decision), strictest.or(Some(Decision::Deny)));
    let Some(ok) = &out.validated else {
        return;
    };
    assert_ne!(ok.decision(), Decision::Deny);
    let p = ok.path();
    assert!(p.starts_with('/') && !p.starts_with("//"), "{p:?}");
    assert!(!p.contains("//"), "`//` in a validated path: {p:?}");
    let lower = p.to_ascii_lowercase();
    assert!(
        !lower.contains("%2f") && !lower.contains("%2e") && !p.contains('%'),
        "percent-encoding in a validated path: {p:?}"
    );
    assert!(
        p.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'#'),
        "{p:?}"
    );
    let (path, query) = p[1..].split_once('?').unwrap_or((&p[1..], ""));
    for s in path.split('/') {
        assert!(
            s != ".." && s != ".",
            "dot segment in a validated path: {p:?}"
        );
    }
    // A query value may be a file path (`path=src/main.rs`): never `..` in it.
    let values = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(_, v)| v);
    for s in values.flat_map(|v| v.split('/')) {
        assert!(s != "..", "`..` in a validated query: {p:?}");
    }
    if let Some(b) = ok.body() {
        assert!(
            serde_json::from_str::<serde_json::Value>(b).is_ok(),
            "{b:?}"
        );
    }
});
