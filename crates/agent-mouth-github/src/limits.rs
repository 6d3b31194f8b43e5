//! What GitHub's response headers say about waiting and paging, as pure
//! functions: the rate-limit headers of a 403 or 429 (secondary limits
//! send `retry-after`; the primary limit sends `x-ratelimit-remaining: 0`
//! and `x-ratelimit-reset` in epoch seconds) and the `Link` header's
//! `rel="next"` URL.

use std::time::Duration;

/// What a 403 or 429 asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// A secondary limit: wait this long (`retry-after`, or a minute when a
    /// 429 names no wait, as GitHub's docs advise).
    RetryAfter(Duration),
    /// The primary limit is spent until this epoch second.
    ResetAt(u64),
    /// Not a rate limit (a 403 for permissions).
    None,
}

/// Reads the rate-limit headers of a 403 or 429; `header` looks one up by
/// lower-case name.
pub(crate) fn limit<'a>(status: u16, header: impl Fn(&str) -> Option<&'a str>) -> Limit {
    if let Some(secs) = header("retry-after").and_then(|h| h.trim().parse::<u64>().ok()) {
        return Limit::RetryAfter(Duration::from_secs(secs));
    }
    if header("x-ratelimit-remaining").map(str::trim) == Some("0") {
        if let Some(reset) = header("x-ratelimit-reset").and_then(|h| h.trim().parse().ok()) {
            return Limit::ResetAt(reset);
        }
    }
    if status == 429 {
        return Limit::RetryAfter(Duration::from_secs(60));
    }
    Limit::None
}

/// The `rel="next"` target of a `Link` header, if any: the URL between
/// `<` and `>` of the link whose parameters include `rel` with `next`
/// among its space-separated values.
pub(crate) fn next_link(header: &str) -> Option<&str> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let url = &after[..close];
        let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
        let params = &after[close + 1..params_end];
        let is_next = params.split(';').any(|p| {
            let Some((name, value)) = p.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_end_matches(',')
                    .trim_end()
                    .trim_matches('"')
                    .split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(url);
        }
        rest = &after[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_header_parses_without_panic(h in any::<String>(), status in 400u16..500) {
            if let Some(url) = next_link(&h) {
                prop_assert!(h.contains(url));
            }
            let _ = limit(status, |_| Some(h.as_str()));
        }
    }

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    #[test]
    fn rate_limit_headers() {
        assert_eq!(
            limit(403, headers(&[("retry-after", "30")])),
            Limit::RetryAfter(Duration::from_secs(30))
        );
        assert_eq!(
            limit(
                403,
                headers(&[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1700000000")
                ])
            ),
            Limit::ResetAt(1_700_000_000)
        );
        assert_eq!(
            limit(429, headers(&[])),
            Limit::RetryAfter(Duration::from_secs(60))
        );
        assert_eq!(
            limit(403, headers(&[("x-ratelimit-remaining", "12")])),
            Limit::None
        );
        assert_eq!(limit(403, headers(&[])), Limit::None);
    }

    #[test]
    fn link_headers() {
        let h = r#"<https://api.github.com/repositories/1/issues?labels=a,b&page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(h),
            Some("https://api.github.com/repositories/1/issues?labels=a,b&page=2")
        );
        let h = r#"<https://x/?page=1>; rel="prev first", <https://x/?page=3>; rel="next""#;
        assert_eq!(next_link(h), Some("https://x/?page=3"));
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
        assert_eq!(next_link("<unclosed; rel=next"), None);
        assert_eq!(next_link(""), None);
    }
}
