//! The host a link really goes to, the way a browser resolves it:
//! percent-decoded, fullwidth forms and ideographic full stops folded to
//! ASCII, lowercased, the trailing dot dropped, and every label that is
//! still not ASCII written in Punycode (`xn--…`, RFC 3492). Also the
//! allow-list match (`host` exactly, or `*.suffix` for any subdomain of
//! `suffix`). Owns no URL splitting; that is [`super::links`].
//!
//! Leaves out: the rest of UTS #46 (NFKC beyond fullwidth forms, deviation
//! characters) — a host it does not fold stays unlisted, the safe way.

/// The normalised form of a raw host taken from a URL's authority.
pub(crate) fn normalise(raw: &str) -> String {
    let decoded = percent_decode(raw);
    let folded: String = decoded
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    let trimmed = folded.strip_suffix('.').unwrap_or(&folded);
    trimmed
        .split('.')
        .map(|label| {
            if label.is_ascii() {
                label.to_owned()
            } else {
                punycode(label).map_or_else(|| label.to_owned(), |p| format!("xn--{p}"))
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// True when `host` (normalised) is in `allowed`: an exact entry or a
/// `*.suffix` entry it is a subdomain of (the bare suffix is not).
pub(crate) fn is_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|entry| {
        let entry = entry.trim();
        match entry.strip_prefix("*.") {
            Some(suffix) => {
                let suffix = normalise(suffix);
                host.len() > suffix.len() + 1
                    && host.ends_with(&suffix)
                    && host.as_bytes()[host.len() - suffix.len() - 1] == b'.'
            }
            None => normalise(entry) == host,
        }
    })
}

/// `%XX` decoded; the raw text when the result is not UTF-8.
fn percent_decode(raw: &str) -> String {
    if !raw.contains('%') {
        return raw.to_owned();
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' {
            if let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

/// RFC 3492 Punycode of one label (without the `xn--`); `None` on overflow.
fn punycode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const INITIAL_BIAS: u32 = 72;
    const INITIAL_N: u32 = 128;

    let points: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = out.len() as u32;
    let total = points.len() as u32;
    if basic > 0 {
        out.push('-');
    }
    let (mut n, mut delta, mut bias, mut handled) = (INITIAL_N, 0u32, INITIAL_BIAS, basic);
    while handled < total {
        let m = points.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &points {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        TMIN
                    } else if k >= bias + TMAX {
                        TMAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - TMIN) * TMAX) / 2 {
        delta /= BASE - TMIN;
        k += BASE;
    }
    k + ((BASE - TMIN + 1) * delta) / (delta + SKEW)
}

fn digit(d: u32) -> char {
    let d = d as u8;
    char::from(if d < 26 { b'a' + d } else { b'0' + d - 26 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punycode_matches_reference_encodings() {
        // Values from Python's `str.encode("punycode")`.
        assert_eq!(punycode("münchen").unwrap(), "mnchen-3ya");
        assert_eq!(punycode("bücher").unwrap(), "bcher-kva");
        assert_eq!(punycode("例え").unwrap(), "r8jz45g");
        assert_eq!(punycode("ü").unwrap(), "tda");
    }

    #[test]
    fn lookalike_hosts_are_not_the_real_one() {
        // Cyrillic і (U+0456) in place of i.
        assert_eq!(normalise("gіthub.com"), "xn--gthub-n2e.com");
        assert!(!is_allowed(
            &normalise("gіthub.com"),
            &["github.com".into()]
        ));
    }

    #[test]
    fn folding_that_browsers_do() {
        assert_eq!(normalise("GitHub.COM."), "github.com");
        assert_eq!(normalise("github%2Ecom"), "github.com");
        assert_eq!(normalise("ｇｉｔｈｕｂ。com"), "github.com");
        assert_eq!(normalise("%ff"), "%ff");
    }

    #[test]
    fn allow_list_exact_and_wildcard() {
        let allowed = vec!["github.com".to_owned(), "*.slack.com".to_owned()];
        assert!(is_allowed("github.com", &allowed));
        assert!(is_allowed("hooks.slack.com", &allowed));
        assert!(!is_allowed("slack.com", &allowed));
        assert!(!is_allowed("evilslack.com", &allowed));
        assert!(!is_allowed("github.com.evil.example", &allowed));
        assert!(!is_allowed("api.github.com", &allowed));
    }
}
