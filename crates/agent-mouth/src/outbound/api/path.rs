//! The method and the path as an LLM wrote them, checked and normalised
//! before any endpoint is looked up: one ASCII path under the API root,
//! no `.`/`..` or empty segments, no percent-encoding, no query string
//! beyond plain paging and filtering on reads. Anything that could make
//! GitHub (or a proxy) resolve the path differently from this check is
//! denied rather than repaired.

use super::rules::{self, ApiRule};
use super::HttpMethod;

/// Longest path (with its query) accepted, in bytes.
pub(crate) const MAX_PATH_BYTES: usize = 2048;

/// The API's own origin; an absolute URL to it is read as its path.
const API_ORIGIN: &str = "https://api.github.com";

/// Query parameters a read may carry (GitHub's paging and list filters).
const QUERY_KEYS: &[&str] = &[
    "page",
    "per_page",
    "state",
    "sort",
    "direction",
    "since",
    "until",
    "labels",
    "base",
    "head",
    "creator",
    "assignee",
    "mentioned",
    "milestone",
    "sha",
    "path",
    "author",
    "filter",
];

/// A path that passed: its segments and the canonical text sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedPath {
    /// The segments after the leading `/`.
    pub segments: Vec<String>,
    /// `/seg/seg…` plus `?query` when there was one.
    pub text: String,
}

/// Why a method or path was refused: the rule and what was wrong.
pub(crate) type Refusal = (ApiRule, String);

pub(crate) fn method(raw: &str) -> Result<HttpMethod, Refusal> {
    match raw {
        "GET" | "get" => Ok(HttpMethod::Get),
        "POST" | "post" => Ok(HttpMethod::Post),
        "PUT" | "put" => Ok(HttpMethod::Put),
        "PATCH" | "patch" => Ok(HttpMethod::Patch),
        "DELETE" | "delete" => Ok(HttpMethod::Delete),
        _ => Err((
            rules::METHOD,
            "the method is not one this client sends".into(),
        )),
    }
}

pub(crate) fn check(method: HttpMethod, raw: &str) -> Result<CheckedPath, Refusal> {
    if raw.len() > MAX_PATH_BYTES {
        return Err((rules::PATH_TOO_LONG, format!("{} bytes", raw.len())));
    }
    let raw = strip_origin(raw)?;
    if let Some(c) = raw
        .chars()
        .find(|&c| !c.is_ascii_graphic() || matches!(c, '\\' | '#'))
    {
        let what = if c.is_ascii_graphic() {
            format!("`{c}`")
        } else {
            format!("U+{:04X}", u32::from(c))
        };
        return Err((rules::PATH_CHARACTER, what));
    }
    if raw.contains('%') {
        return Err((rules::PATH_ENCODED, "a `%` escape".into()));
    }
    let Some(rest) = raw.strip_prefix('/') else {
        return Err((rules::PATH_RELATIVE, "no leading `/`".into()));
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
    for (i, s) in segments.iter().enumerate() {
        match s.as_str() {
            "" => return Err((rules::PATH_EMPTY_SEGMENT, format!("segment {}", i + 1))),
            "." | ".." => return Err((rules::PATH_TRAVERSAL, format!("segment {}", i + 1))),
            _ => {}
        }
    }
    if let Some(q) = query {
        check_query(method, q)?;
    }
    Ok(CheckedPath {
        segments,
        text: format!("/{rest}"),
    })
}

/// `https://api.github.com/x` → `/x`; any other absolute or
/// protocol-relative URL is refused.
fn strip_origin(raw: &str) -> Result<&str, Refusal> {
    if raw.starts_with("//") {
        return Err((rules::PATH_OTHER_HOST, "a protocol-relative URL".into()));
    }
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    if !(lower.starts_with("https:") || lower.starts_with("http:")) {
        return Ok(raw);
    }
    match raw.get(..API_ORIGIN.len()) {
        Some(origin) if origin.eq_ignore_ascii_case(API_ORIGIN) => {
            let rest = &raw[API_ORIGIN.len()..];
            if rest.starts_with('/') {
                return Ok(rest);
            }
            Err((rules::PATH_OTHER_HOST, "not the API's host".into()))
        }
        _ => Err((rules::PATH_OTHER_HOST, "not https://api.github.com".into())),
    }
}

fn check_query(method: HttpMethod, query: &str) -> Result<(), Refusal> {
    let refuse = |why: String| Err((rules::PATH_QUERY, why));
    if method != HttpMethod::Get {
        return refuse("a query string on a write".into());
    }
    let mut seen: Vec<&str> = Vec::new();
    for pair in query.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            return refuse("a parameter without `=`".into());
        };
        let Some(&known) = QUERY_KEYS.iter().find(|k| **k == key) else {
            return refuse("a parameter that is not a paging or filter parameter".into());
        };
        if seen.contains(&known) {
            return refuse(format!("`{known}` given twice"));
        }
        seen.push(known);
        let plain = value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.,:/+-".contains(&b));
        // `..` or `//` in a value (a file path, say) is refused like in the path.
        let tricky = value.split('/').any(|s| s == "..") || value.contains("//");
        if value.is_empty() || !plain || tricky {
            return refuse(format!("the value of `{known}`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(method: HttpMethod, raw: &str) -> &'static str {
        match check(method, raw) {
            Ok(_) => "ok",
            Err((rule, _)) => rule.id,
        }
    }

    #[test]
    fn normal_paths_pass() {
        let p = check(HttpMethod::Post, "/repos/o/r/issues/1/comments").unwrap();
        assert_eq!(p.segments, ["repos", "o", "r", "issues", "1", "comments"]);
        let p = check(
            HttpMethod::Get,
            "https://API.github.com/repos/o/r?per_page=100",
        )
        .unwrap();
        assert_eq!(p.text, "/repos/o/r?per_page=100");
        assert_eq!(p.segments, ["repos", "o", "r"]);
    }

    #[test]
    fn tricks_are_refused() {
        use HttpMethod::{Get, Post};
        for (m, raw, want) in [
            (
                Post,
                "/repos/o/r/issues/1/../../../hooks",
                "gh.path.traversal",
            ),
            (Post, "/repos/o/r/./hooks", "gh.path.traversal"),
            (Post, "/repos/o/r/issues/1/comments%2F..", "gh.path.encoded"),
            (Post, "/repos/o/r/%2e%2e/hooks", "gh.path.encoded"),
            (Get, "/repos//o/r", "gh.path.empty_segment"),
            (Get, "/repos/o/r/", "gh.path.empty_segment"),
            (Get, "/", "gh.path.empty_segment"),
            (Get, "repos/o/r", "gh.path.relative"),
            (Get, "https://evil.example/repos/o/r", "gh.path.other_host"),
            (
                Get,
                "https://api.github.com.evil.example/x",
                "gh.path.other_host",
            ),
            (
                Get,
                "https://api.github.com@evil.example/x",
                "gh.path.other_host",
            ),
            (Get, "http://api.github.com/x", "gh.path.other_host"),
            (Get, "//evil.example/x", "gh.path.other_host"),
            (Get, "/repos/o/r\\..", "gh.path.character"),
            (Get, "/repos/ο/r", "gh.path.character"),
            (Get, "/repos/o/r issues", "gh.path.character"),
            (Get, "/repos/o/r#x", "gh.path.character"),
            (Get, "/repos/o/r?access_token=x", "gh.path.query"),
            (Get, "/repos/o/r?page=1&page=2", "gh.path.query"),
            (Get, "/repos/o/r?path=../x", "gh.path.query"),
            (Get, "/repos/o/r/commits?path=a//b", "gh.path.query"),
            (Get, "/repos/o/r?page", "gh.path.query"),
            (Post, "/repos/o/r/pulls?state=open", "gh.path.query"),
        ] {
            assert_eq!(id(m, raw), want, "{raw}");
        }
        assert_eq!(id(Get, &"/a".repeat(MAX_PATH_BYTES)), "gh.path.too_long");
    }

    #[test]
    fn methods() {
        assert_eq!(method("GET"), Ok(HttpMethod::Get));
        assert_eq!(method("patch"), Ok(HttpMethod::Patch));
        for bad in ["TRACE", "HEAD", "Get", "GET ", ""] {
            assert!(method(bad).is_err(), "{bad}");
        }
    }
}
