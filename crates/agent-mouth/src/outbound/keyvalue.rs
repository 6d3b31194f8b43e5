//! Secrets found by the name they are given: `key=value`, `key: value`,
//! JSON `"key": "value"` and `Authorization: Bearer value`, where the key
//! names a credential (`password`, `secret`, `token`, `api_key`, …). A
//! 40-character value of an AWS secret-access-key name denies; any other
//! value of at least 16 characters and 3.5 bits of entropy per character
//! is a review. Values recognised by their own format are in
//! [`super::tokens`] and [`super::structured`].

use super::rules;
use super::scan::{entropy, Hit};

/// Fragments of a key name that say its value is a credential.
const KEY_WORDS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "credential",
    "auth_key",
];
/// Whole key names that do too.
const KEY_NAMES: [&str; 3] = ["authorization", "pwd", "pass"];
/// Schemes after `Authorization:` that precede the credential itself.
const AUTH_SCHEMES: [&str; 4] = ["bearer", "basic", "token", "bot"];
const MIN_LEN: usize = 16;
const MIN_ENTROPY: f64 = 3.5;
const MAX_VALUE: usize = 1024;

pub(crate) fn scan(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let key_byte = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    let mut i = 0;
    while i < bytes.len() {
        if !key_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && key_byte(bytes[i]) {
            i += 1;
        }
        let key = text[start..i].to_ascii_lowercase().replace('-', "_");
        if is_credential_key(&key) {
            if let Some(hit) = value_after(text, i, &key) {
                out.push(hit);
            }
        }
    }
}

fn is_credential_key(key: &str) -> bool {
    KEY_NAMES.contains(&key) || KEY_WORDS.iter().any(|w| key.contains(w))
}

/// The credential value after a key ending at `at`, if it is one.
fn value_after(text: &str, at: usize, key: &str) -> Option<Hit> {
    let bytes = text.as_bytes();
    let mut p = at;
    // A closing quote of a JSON or quoted key.
    if matches!(bytes.get(p), Some(b'"' | b'\'')) {
        p += 1;
    }
    p = skip_blanks(bytes, p);
    // `=`, `:`, `:=`, `=>`.
    match bytes.get(p) {
        Some(b'=') => p += 1 + usize::from(bytes.get(p + 1) == Some(&b'>')),
        Some(b':') => p += 1 + usize::from(bytes.get(p + 1) == Some(&b'=')),
        _ => return None,
    }
    p = skip_blanks(bytes, p);
    if key == "authorization" {
        let word = bytes[p..]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        let scheme = text[p..p + word].to_ascii_lowercase();
        if AUTH_SCHEMES.contains(&scheme.as_str()) && bytes.get(p + word) == Some(&b' ') {
            p = skip_blanks(bytes, p + word);
        }
    }
    let (start, end) = match bytes.get(p) {
        Some(&q @ (b'"' | b'\'')) => {
            let len = bytes[p + 1..]
                .iter()
                .take(MAX_VALUE)
                .take_while(|&&b| b != q && b != b'\n')
                .count();
            (p + 1, p + 1 + len)
        }
        _ => {
            let len = bytes[p..]
                .iter()
                .take(MAX_VALUE)
                .take_while(|&&b| !b.is_ascii_whitespace() && !b"\"',;&<>|`".contains(&b))
                .count();
            let mut end = p + len;
            while end > p && matches!(bytes[end - 1], b'.' | b')' | b']' | b'}') {
                end -= 1;
            }
            (p, end)
        }
    };
    let value = text.get(start..end)?;
    if is_aws_secret_name(key) && is_aws_secret(value) {
        return Some(Hit::secret(
            rules::AWS_SECRET_KEY,
            start..end,
            0,
            format!("the value of `{key}`"),
        ));
    }
    if value.chars().count() < MIN_LEN || is_reference(value) || entropy(value) < MIN_ENTROPY {
        return None;
    }
    Some(Hit::secret(
        rules::GENERIC_SECRET,
        start..end,
        0,
        format!("the value of `{key}`"),
    ))
}

fn skip_blanks(bytes: &[u8], mut p: usize) -> usize {
    while matches!(bytes.get(p), Some(b' ' | b'\t')) {
        p += 1;
    }
    p
}

fn is_aws_secret_name(key: &str) -> bool {
    key.contains("secret")
        && (key.contains("aws") || key.contains("access_key") || key.contains("accesskey"))
}

/// 40 characters of base64 (`A-Za-z0-9/+`), as AWS secret keys are.
fn is_aws_secret(value: &str) -> bool {
    value.len() == 40
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
}

/// `$NAME`, `${NAME}` or `%NAME%`: a reference to a secret, not one.
fn is_reference(value: &str) -> bool {
    let inner = value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| value.strip_prefix('$'))
        .or_else(|| value.strip_prefix('%').and_then(|v| v.strip_suffix('%')));
    inner
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "q8Zx3LmP0vR7tYw2Kc9B";

    fn found(text: &str) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out.iter()
            .map(|h| (h.rule.id, text[h.range.clone()].to_owned()))
            .collect()
    }

    #[test]
    fn every_assignment_form() {
        for text in [
            format!("password={VALUE}"),
            format!("DB_PASSWORD: {VALUE}"),
            format!(r#"{{"api_key": "{VALUE}"}}"#),
            format!("export GITHUB_TOKEN='{VALUE}'"),
            format!("client-secret := {VALUE};"),
            format!("Authorization: Bearer {VALUE}"),
            format!("-H 'authorization: token {VALUE}'"),
            format!("https://x.example/cb?access_token={VALUE}&next=1"),
            format!("apikey => \"{VALUE}\""),
        ] {
            assert_eq!(
                found(&text),
                [("out.secret.generic", VALUE.to_owned())],
                "{text}"
            );
        }
    }

    #[test]
    fn near_misses() {
        // Low entropy, too short, a reference, no separator, not a key.
        assert!(found("password=aaaaaaaaaaaaaaaaaaaaaaaa").is_empty());
        assert!(found("password=Zx3LmP0v").is_empty());
        assert!(found("token: ${GITHUB_TOKEN}").is_empty());
        assert!(found("password=$DATABASE_PASSWORD_FROM_ENV").is_empty());
        assert!(found(&format!("the token {VALUE}")).is_empty());
        assert!(found(&format!("username={VALUE}")).is_empty());
        assert!(found("max_tokens: 4096").is_empty());
        assert!(found("Authorization: Bearer").is_empty());
    }

    #[test]
    fn aws_secret_keys_deny() {
        let key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            found(&format!("aws_secret_access_key = {key}")),
            [("out.secret.aws_secret_key", key.to_owned())]
        );
        assert_eq!(
            found(&format!(r#""SecretAccessKey": "{key}""#))[0].0,
            "out.secret.aws_secret_key"
        );
        // The same value under a name that is not AWS's: generic.
        assert_eq!(
            found(&format!("client_secret={key}"))[0].0,
            "out.secret.generic"
        );
        // 39 characters: generic, not AWS.
        assert_eq!(
            found(&format!("aws_secret_access_key={}", &key[..39]))[0].0,
            "out.secret.generic"
        );
    }

    #[test]
    fn details_name_the_key_not_the_value() {
        let mut out = Vec::new();
        scan(&format!("token={VALUE}"), &mut out);
        assert_eq!(out[0].detail, "the value of `token`");
        assert_eq!(out[0].hide, Some(6..6 + VALUE.len()));
    }
}
