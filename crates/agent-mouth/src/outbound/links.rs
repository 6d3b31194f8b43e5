//! Links: every `http(s):` URL (however many `/` or `\` follow the colon,
//! as browsers accept), every bare `www.` host (Slack and GitHub link
//! those), and so Slack's `<url|text>` and `<url>` forms too. The host is
//! taken after the last `@` of the authority (`https://github.com@evil.example/`
//! goes to evil.example) and normalised by [`super::host`]. A host not in
//! the allow-list is a review, userinfo is a review, a password in the
//! userinfo denies (and is hidden), and `javascript:`, `vbscript:`,
//! `data:` and `file:` links deny.
//!
//! Leaves out: HTML entity decoding in e-mail bodies, and bare domains
//! without `www.` or a scheme (`evil.example`), which Slack links too.

use super::host;
use super::rules;
use super::scan::{find_all_ci, is_alnum, starts_clear, Hit};

/// Longest authority looked at.
const MAX_AUTHORITY: usize = 2048;

pub(crate) fn scan(text: &str, allowed: &[String], out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    for scheme in ["http:", "https:"] {
        for at in find_all_ci(text, scheme) {
            if !starts_clear(bytes, at, is_alnum) {
                continue;
            }
            let mut p = at + scheme.len();
            while matches!(bytes.get(p), Some(b'/' | b'\\')) {
                p += 1;
            }
            authority(text, at, p, allowed, out);
        }
    }
    for at in find_all_ci(text, "www.") {
        let clear = |b: u8| b.is_ascii_alphanumeric() || b"./@-:\\".contains(&b);
        if starts_clear(bytes, at, clear) {
            authority(text, at, at, allowed, out);
        }
    }
    dangerous_schemes(text, out);
}

/// Checks the authority starting at `from` of the link starting at `start`.
fn authority(text: &str, start: usize, from: usize, allowed: &[String], out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let len = bytes[from..]
        .iter()
        .take(MAX_AUTHORITY)
        .take_while(|&&b| !b.is_ascii_whitespace() && !b"/\\?#<>|\"`{}^".contains(&b))
        .count();
    let end = from + len;
    let Some(auth) = text.get(from..end) else {
        return;
    };
    let (host_port, host_at) = match auth.rfind('@') {
        Some(i) => (&auth[i + 1..], from + i + 1),
        None => (auth, from),
    };
    let raw_host = if host_port.starts_with('[') {
        host_port.find(']').map_or(host_port, |i| &host_port[..=i])
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    // Prose and markup around a link: `(https://x)`, `[https://x]`, `https://x.`
    let bracketed = raw_host.starts_with('[');
    let raw_host =
        raw_host.trim_end_matches(|c: char| ".,;:!?)}'*_~".contains(c) || (c == ']' && !bracketed));
    let host = host::normalise(raw_host);
    if host.is_empty() {
        return;
    }
    if host_at > from {
        let userinfo = &auth[..host_at - from - 1];
        if let Some(colon) = userinfo.find(':') {
            if colon + 1 < userinfo.len() {
                out.push(Hit {
                    rule: rules::URL_PASSWORD,
                    range: start..end,
                    hide: Some(from + colon + 1..host_at - 1),
                    detail: format!("in a link to `{host}`"),
                });
            }
        }
        out.push(Hit {
            rule: rules::LINK_USERINFO,
            range: start..end,
            hide: None,
            detail: format!("the link really goes to `{host}`"),
        });
    }
    if !host::is_allowed(&host, allowed) {
        out.push(Hit {
            rule: rules::LINK_UNLISTED_HOST,
            range: start..end,
            hide: None,
            detail: format!("`{host}`"),
        });
    }
}

/// `javascript:`/`vbscript:` followed by code, `data:` followed by a media
/// type, `file:` followed by `//`; or any of the four where a link target
/// starts (`<`, `](`, `href=`, `src=`), whatever follows.
fn dangerous_schemes(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let scheme_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-');
    for scheme in ["javascript:", "vbscript:", "data:", "file:"] {
        for at in find_all_ci(text, scheme) {
            if !starts_clear(bytes, at, scheme_byte) {
                continue;
            }
            let rest = &bytes[at + scheme.len()..];
            let shaped = match scheme {
                "data:" => is_media_type(rest),
                "file:" => rest.starts_with(b"//"),
                _ => rest.first().is_some_and(|b| !b.is_ascii_whitespace()),
            };
            if shaped || in_link_position(bytes, at) {
                let end = at
                    + bytes[at..]
                        .iter()
                        .take_while(|&&b| !b.is_ascii_whitespace() && !b"<>|\"'".contains(&b))
                        .count();
                out.push(Hit {
                    rule: rules::LINK_DANGEROUS_SCHEME,
                    range: at..end,
                    hide: None,
                    detail: format!("`{scheme}`"),
                });
            }
        }
    }
}

/// `type/subtype` then `;` or `,`, as in `data:text/html;base64,`.
fn is_media_type(rest: &[u8]) -> bool {
    let kind = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if kind == 0 || rest.get(kind) != Some(&b'/') {
        return false;
    }
    let sub = rest[kind + 1..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
        .count();
    sub > 0 && matches!(rest.get(kind + 1 + sub), Some(b';' | b','))
}

fn in_link_position(bytes: &[u8], at: usize) -> bool {
    let mut p = at;
    while p > 0 && matches!(bytes[p - 1], b' ' | b'\t') {
        p -= 1;
    }
    let before = &bytes[..p];
    if before.ends_with(b"<") || before.ends_with(b"](") {
        return true;
    }
    let before = before
        .strip_suffix(b"\"")
        .or_else(|| before.strip_suffix(b"'"))
        .unwrap_or(before);
    let Some(before) = before.strip_suffix(b"=") else {
        return false;
    };
    let tail = &before[before.len().saturating_sub(6)..];
    let tail = String::from_utf8_lossy(tail)
        .trim_end()
        .to_ascii_lowercase();
    ["href", "src", "action", "formaction"]
        .iter()
        .any(|attr| tail.ends_with(attr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&'static str, String)> {
        let allowed = vec!["github.com".to_owned(), "*.autonomic.dev".to_owned()];
        let mut out = Vec::new();
        scan(text, &allowed, &mut out);
        out.iter().map(|h| (h.rule.id, h.detail.clone())).collect()
    }

    fn ids(text: &str) -> Vec<&'static str> {
        found(text).into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn allowed_hosts_pass() {
        assert!(ids("see https://github.com/org/repo/pull/1").is_empty());
        assert!(ids("<https://docs.autonomic.dev/x|docs>").is_empty());
        assert!(ids("(https://github.com)").is_empty());
        assert!(ids("HTTPS://GitHub.com:443/x").is_empty());
    }

    #[test]
    fn unlisted_hosts_are_reviewed() {
        assert_eq!(
            found("https://evil.example/x"),
            [("out.link.unlisted_host", "`evil.example`".into())]
        );
        assert_eq!(
            ids("<http://evil.example|github.com>"),
            ["out.link.unlisted_host"]
        );
        assert_eq!(
            ids("go to www.evil.example now"),
            ["out.link.unlisted_host"]
        );
        assert_eq!(ids("https://autonomic.dev"), ["out.link.unlisted_host"]);
        assert_eq!(
            ids("https://github.com.evil.example/"),
            ["out.link.unlisted_host"]
        );
        // Backslashes and missing slashes, as browsers read them.
        assert_eq!(ids(r"https:\\evil.example"), ["out.link.unlisted_host"]);
        assert_eq!(
            ids(r"https://evil.example\@github.com"),
            ["out.link.unlisted_host"]
        );
    }

    #[test]
    fn userinfo_tricks_resolve_to_the_real_host() {
        assert_eq!(
            found("https://github.com@evil.example/"),
            [
                (
                    "out.link.userinfo",
                    "the link really goes to `evil.example`".into()
                ),
                ("out.link.unlisted_host", "`evil.example`".into()),
            ]
        );
        assert_eq!(
            ids("https://github.com%2F@evil.example/"),
            ["out.link.userinfo", "out.link.unlisted_host"]
        );
    }

    #[test]
    fn passwords_in_urls_deny_and_are_hidden() {
        let text = "https://bob:hunter2hunter2@github.com/x";
        let mut out = Vec::new();
        scan(text, &["github.com".to_owned()], &mut out);
        assert_eq!(out[0].rule.id, "out.secret.url_password");
        let hide = out[0].hide.clone().unwrap();
        assert_eq!(&text[hide], "hunter2hunter2");
        assert!(!out[0].detail.contains("hunter2"));
        // A user name alone is not a password.
        assert_eq!(ids("https://bob@github.com/"), ["out.link.userinfo"]);
    }

    #[test]
    fn idn_hosts_resolve_to_punycode() {
        assert_eq!(
            found("https://gіthub.com/login"),
            [("out.link.unlisted_host", "`xn--gthub-n2e.com`".into())]
        );
        assert!(ids("https://ｇｉｔｈｕｂ.com/").is_empty());
    }

    #[test]
    fn dangerous_schemes_deny() {
        for text in [
            "<javascript:alert(1)|click>",
            "[x](javascript:alert(1))",
            "javascript:void(fetch('//x'))",
            "<a href=\"JavaScript:alert(1)\">",
            "data:text/html;base64,PHNjcmlwdD4=",
            "<data:anything|x>",
            "open file:///etc/passwd",
            "vbscript:msgbox(1)",
        ] {
            assert_eq!(ids(text), ["out.link.dangerous_scheme"], "{text}");
        }
    }

    #[test]
    fn scheme_words_in_prose_are_not_links() {
        assert!(ids("the data: 5 rows").is_empty());
        assert!(ids("metadata:text/html;").is_empty());
        assert!(ids("JavaScript: the good parts").is_empty());
        assert!(ids("file: src/main.rs").is_empty());
        assert!(ids("(data: none)").is_empty());
        assert!(ids("xhttps://evil.example").is_empty());
        assert!(ids("mailto:me@evil.example").is_empty());
    }
}
