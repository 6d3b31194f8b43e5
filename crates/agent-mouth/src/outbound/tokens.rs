//! Secrets recognised by a documented prefix and shape: GitHub (`ghp_`,
//! `gho_`, `ghu_`, `ghs_`, `ghr_` with their CRC32 checksum, and
//! `github_pat_`), npm (`npm_`, same checksum), Slack tokens and incoming
//! webhooks, AWS access key ids, Google API keys, Stripe live keys,
//! OpenAI-style `sk-` keys and PyPI tokens. Multi-part formats (PEM, JWT)
//! are in [`super::structured`]; values found by their key name in
//! [`super::keyvalue`].

use super::checksum;
use super::rules::{self, OutboundRule};
use super::scan::{ends_clear, entropy, find_all_ci, is_alnum, is_token, run, starts_clear, Hit};

/// Classic GitHub token prefixes (all `prefix + 30 + 6` with checksum).
const GITHUB_PREFIXES: [&str; 5] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
/// Slack token prefixes (`xoxe.xoxp-…` rotation tokens are found by `xoxp-`).
const SLACK_PREFIXES: [&str; 7] = [
    "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
];
/// PyPI token prefixes: `pypi-` then the base64 of the macaroon's location
/// (`pypi.org`, `test.pypi.org`).
const PYPI_PREFIXES: [&str; 2] = ["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"];

/// Every token-shaped secret in `text`.
pub(crate) fn scan(text: &str, out: &mut Vec<Hit>) {
    for prefix in GITHUB_PREFIXES {
        checksummed(text, prefix, rules::GITHUB_TOKEN, out);
    }
    checksummed(text, "npm_", rules::NPM_TOKEN, out);
    github_pat(text, out);
    slack_tokens(text, out);
    slack_webhooks(text, out);
    aws_key_ids(text, out);
    simple(text, "AIza", 35, 35, is_token, rules::GOOGLE_API_KEY, out);
    for prefix in ["sk_live_", "rk_live_"] {
        simple(text, prefix, 24, 256, is_alnum, rules::STRIPE_KEY, out);
    }
    openai_keys(text, out);
    for prefix in PYPI_PREFIXES {
        simple(text, prefix, 50, 4096, is_token, rules::PYPI_TOKEN, out);
    }
}

fn shown(prefix: &str) -> String {
    format!("`{prefix}…`")
}

/// `prefix` + 30 base62 + 6 base62 checksum. A token whose checksum fails
/// is not this rule's, but a high-entropy one is still a generic finding.
/// No word boundary is asked for: a valid checksum is evidence enough, and
/// gluing letters onto a token must not hide it.
fn checksummed(text: &str, prefix: &str, rule: OutboundRule, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices(prefix) {
        let body = at + prefix.len();
        if run(bytes, body, 36, is_alnum) < 36 {
            continue;
        }
        let range = at..body + 36;
        if checksum::verifies(&bytes[body..body + 30], &bytes[body + 30..body + 36]) {
            out.push(Hit::secret(rule, range, prefix.len(), shown(prefix)));
        } else if entropy(&text[body..body + 36]) >= 3.5 {
            out.push(Hit::secret(
                rules::GENERIC_SECRET,
                range,
                prefix.len(),
                format!("{} with a checksum that does not verify", shown(prefix)),
            ));
        }
    }
}

/// `github_pat_` + 22 alphanumerics + `_` + 59 alphanumerics.
fn github_pat(text: &str, out: &mut Vec<Hit>) {
    const PREFIX: &str = "github_pat_";
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices(PREFIX) {
        let a = at + PREFIX.len();
        if run(bytes, a, 22, is_alnum) == 22
            && bytes.get(a + 22) == Some(&b'_')
            && run(bytes, a + 23, 59, is_alnum) == 59
        {
            out.push(Hit::secret(
                rules::GITHUB_PAT,
                at..a + 82,
                PREFIX.len(),
                shown(PREFIX),
            ));
        }
    }
}

/// A Slack token: prefix, then at least 20 of `[A-Za-z0-9-]` with a digit
/// and a further `-` (every documented form is dash-separated numbers and
/// a random part), so `xoxb-your-token-here` is not one.
fn slack_tokens(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let body_byte = |b: u8| is_alnum(b) || b == b'-';
    for prefix in SLACK_PREFIXES {
        for (at, _) in text.match_indices(prefix) {
            if !starts_clear(bytes, at, is_alnum) {
                continue;
            }
            let body = at + prefix.len();
            let n = run(bytes, body, 512, body_byte);
            let part = &bytes[body..body + n];
            if n >= 20 && part.contains(&b'-') && part.iter().any(u8::is_ascii_digit) {
                out.push(Hit::secret(
                    rules::SLACK_TOKEN,
                    at..body + n,
                    prefix.len(),
                    shown(prefix),
                ));
            }
        }
    }
}

/// `https://hooks.slack.com/services/T…/B…/…`.
fn slack_webhooks(text: &str, out: &mut Vec<Hit>) {
    const HOST: &str = "hooks.slack.com/services/";
    let bytes = text.as_bytes();
    let upper = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    for at in find_all_ci(text, HOST) {
        let mut p = at + HOST.len();
        let mut ok = true;
        for (lead, min) in [(b'T', 6), (b'B', 6)] {
            let n = run(bytes, p, 64, upper);
            if bytes.get(p) != Some(&lead) || n < min || bytes.get(p + n) != Some(&b'/') {
                ok = false;
                break;
            }
            p += n + 1;
        }
        let n = run(bytes, p, 256, is_alnum);
        if !ok || n < 16 {
            continue;
        }
        let start = ["https://", "http://"]
            .iter()
            .find(|s| at >= s.len() && bytes[at - s.len()..at].eq_ignore_ascii_case(s.as_bytes()))
            .map_or(at, |s| at - s.len());
        let keep = at + HOST.len() - start;
        out.push(Hit::secret(
            rules::SLACK_WEBHOOK,
            start..p + n,
            keep,
            "`https://hooks.slack.com/services/…`".to_owned(),
        ));
    }
}

/// `AKIA`/`ASIA` + 16 base32 (`A-Z2-7`), bounded on both sides.
fn aws_key_ids(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let base32 = |b: u8| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b);
    for prefix in ["AKIA", "ASIA"] {
        for (at, _) in text.match_indices(prefix) {
            let body = at + 4;
            if starts_clear(bytes, at, is_alnum)
                && run(bytes, body, 16, base32) == 16
                && ends_clear(bytes, body + 16, is_alnum)
            {
                out.push(Hit::secret(
                    rules::AWS_ACCESS_KEY_ID,
                    at..body + 16,
                    4,
                    shown(prefix),
                ));
            }
        }
    }
}

/// `prefix` + `min..=max` bytes of `class`, not preceded by a token byte.
fn simple(
    text: &str,
    prefix: &str,
    min: usize,
    max: usize,
    class: fn(u8) -> bool,
    rule: OutboundRule,
    out: &mut Vec<Hit>,
) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices(prefix) {
        if !starts_clear(bytes, at, is_token) {
            continue;
        }
        let body = at + prefix.len();
        let n = run(bytes, body, max, class);
        if n >= min {
            let keep = prefix.len().min(5);
            out.push(Hit::secret(
                rule,
                at..body + n,
                keep,
                shown(&prefix[..keep]),
            ));
        }
    }
}

/// `sk-` (incl. `sk-proj-`, `sk-svcacct-`, `sk-admin-`) + at least 40 of
/// `[A-Za-z0-9_-]` with a digit, an upper- and a lowercase letter, so a
/// long kebab-case name starting `sk-` is not one.
fn openai_keys(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("sk-") {
        if !starts_clear(bytes, at, is_token) {
            continue;
        }
        let body = at + 3;
        let n = run(bytes, body, 512, is_token);
        let part = &bytes[body..body + n];
        if n >= 40
            && part.iter().any(u8::is_ascii_digit)
            && part.iter().any(u8::is_ascii_uppercase)
            && part.iter().any(u8::is_ascii_lowercase)
        {
            out.push(Hit::secret(
                rules::OPENAI_KEY,
                at..body + n,
                3,
                shown("sk-"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out.iter().map(|h| h.rule.id).collect()
    }

    /// A classic GitHub/npm token with a valid checksum over `body`.
    fn token(prefix: &str, body: &str) -> String {
        let check = checksum::base62_6(checksum::crc32(body.as_bytes()));
        format!("{prefix}{body}{}", String::from_utf8_lossy(&check))
    }

    const BODY: &str = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";

    #[test]
    fn github_tokens_need_a_valid_checksum() {
        for prefix in GITHUB_PREFIXES {
            let t = token(prefix, BODY);
            assert_eq!(ids(&format!("x {t} y")), ["out.secret.github_token"], "{t}");
            // Glued to letters on both sides: still found.
            assert_eq!(ids(&format!("abc{t}xyz")), ["out.secret.github_token"]);
        }
        // One body character changed: the checksum fails; what is left is
        // the generic high-entropy finding, never the GitHub rule.
        let bad = token("ghp_", BODY).replacen('z', "y", 1);
        assert_eq!(ids(&bad), ["out.secret.generic"]);
        // Too short.
        assert!(ids(&token("ghp_", BODY)[..39]).is_empty());
        // Low entropy and a wrong checksum: nothing.
        assert!(ids("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").is_empty());
    }

    #[test]
    fn npm_tokens_use_the_same_checksum() {
        let t = token("npm_", BODY);
        assert_eq!(ids(&t), ["out.secret.npm_token"]);
        assert_eq!(ids(&t.replace("npm_", "npn_")), Vec::<&str>::new());
    }

    #[test]
    fn fine_grained_pats() {
        let t = format!("github_pat_{}_{}", "A1".repeat(11), "b2c".repeat(19) + "dd");
        assert_eq!(ids(&t), ["out.secret.github_pat"]);
        let short = format!("github_pat_{}_{}", "A1".repeat(11), "b2c".repeat(19));
        assert!(ids(&short).is_empty());
    }

    #[test]
    fn slack_tokens_and_near_misses() {
        assert_eq!(
            ids("xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"),
            ["out.secret.slack_token"]
        );
        assert_eq!(
            ids("token xapp-1-A0123456789-1234567890123-0123abcd"),
            ["out.secret.slack_token"]
        );
        assert!(ids("xoxb-your-token-here").is_empty());
        assert!(ids("xoxb-not-a-real-token-at-all").is_empty());
        assert!(ids("abcxoxb-17653672481-19874698323-pdFZKVeT").is_empty());
    }

    #[test]
    fn slack_webhooks_and_near_misses() {
        let url = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX";
        let mut out = Vec::new();
        scan(&format!("post to {url} now"), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].rule.id, "out.secret.slack_webhook");
        assert_eq!(out[0].range, 8..8 + url.len());
        assert!(ids("https://hooks.slack.com/services/T000/B000/XXXX").is_empty());
        assert!(ids("https://hooks.slack.com/services/").is_empty());
    }

    #[test]
    fn aws_key_ids_are_base32_and_bounded() {
        assert_eq!(
            ids("AKIAIOSFODNN7EXAMPLE"),
            ["out.secret.aws_access_key_id"]
        );
        assert_eq!(
            ids("id=ASIAY34FZKBOKMUTVV7A,"),
            ["out.secret.aws_access_key_id"]
        );
        // `0`, `1`, `8` and `9` are not base32.
        assert!(ids("AKIAIOSFODNN0EXAMPLE").is_empty());
        assert!(ids("XAKIAIOSFODNN7EXAMPLE").is_empty());
        assert!(ids("AKIAIOSFODNN7EXAMPLEX").is_empty());
    }

    #[test]
    fn google_stripe_openai_pypi() {
        assert_eq!(
            ids("key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe"),
            ["out.secret.google_api_key"]
        );
        assert!(ids("AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGew").is_empty());
        assert_eq!(
            ids("sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            ["out.secret.stripe_key"]
        );
        assert_eq!(
            ids("rk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            ["out.secret.stripe_key"]
        );
        assert!(ids("sk_test_4eC39HqLyjWDarjtT1zdp7dc").is_empty());
        assert_eq!(
            ids("sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f"),
            ["out.secret.openai_key"]
        );
        assert_eq!(
            ids("sk-Ab3dEf6hIj9kLm2nT3BlbkFJOp5qRs8tUv1wXy4zAb7c"),
            ["out.secret.openai_key"]
        );
        assert!(ids("sk-this-is-a-very-long-kebab-case-identifier-name").is_empty());
        assert!(ids("task-Ab3dEf6hIj9kLm2nT3BlbkFJOp5qRs8tUv1wXy4zAb7c").is_empty());
        let pypi = format!("pypi-AgEIcHlwaS5vcmc{}", "CJGQ2NmM5ZTMtYjQ".repeat(4));
        assert_eq!(ids(&pypi), ["out.secret.pypi_token"]);
        assert!(ids("pypi-AgEIcHlwaS5vcmcshort").is_empty());
    }

    #[test]
    fn details_never_hold_the_secret() {
        let t = token("ghp_", BODY);
        let mut out = Vec::new();
        scan(&t, &mut out);
        assert!(!out[0].detail.contains(BODY));
        assert_eq!(out[0].hide, Some(4..40));
    }
}
