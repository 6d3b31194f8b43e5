//! Secrets with an inner structure to check: PEM private-key blocks
//! (`-----BEGIN … PRIVATE KEY-----` to its `END` line, or to the end of the
//! text when cut off) and JWTs (three base64url segments whose first
//! decodes to a JSON object with `alg`). Prefix-shaped tokens are in
//! [`super::tokens`].

use super::rules;
use super::scan::{is_token, run, starts_clear, Hit};

/// Longest PEM label looked at (`ENCRYPTED PRIVATE KEY` is 21).
const MAX_LABEL: usize = 64;
/// Longest JWT header decoded.
const MAX_JWT_HEADER: usize = 4096;

pub(crate) fn scan(text: &str, out: &mut Vec<Hit>) {
    pem(text, out);
    jwt(text, out);
}

fn pem(text: &str, out: &mut Vec<Hit>) {
    const BEGIN: &str = "-----BEGIN ";
    let mut covered_to = 0;
    for (at, _) in text.match_indices(BEGIN) {
        if at < covered_to {
            continue;
        }
        let rest = &text[at + BEGIN.len()..];
        let window = &rest[..floor(rest, rest.len().min(MAX_LABEL + 5))];
        let Some(close) = window.find("-----") else {
            continue;
        };
        let label = &window[..close];
        if label.contains('\n') || !is_private_label(label) {
            continue;
        }
        let header_end = at + BEGIN.len() + close + 5;
        let footer = format!("-----END {label}-----");
        let end = text[header_end..]
            .find(&footer)
            .map_or(text.len(), |i| header_end + i + footer.len());
        covered_to = end;
        out.push(Hit::secret(
            rules::PRIVATE_KEY,
            at..end,
            header_end - at,
            format!("`-----BEGIN {label}-----`"),
        ));
    }
}

fn is_private_label(label: &str) -> bool {
    label.ends_with("PRIVATE KEY") || label == "PGP PRIVATE KEY BLOCK"
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn jwt(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let b64url = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    for (at, _) in text.match_indices("eyJ") {
        if !starts_clear(bytes, at, is_token) {
            continue;
        }
        let n1 = run(bytes, at, MAX_JWT_HEADER, b64url);
        if bytes.get(at + n1) != Some(&b'.') {
            continue;
        }
        let p2 = at + n1 + 1;
        let n2 = run(bytes, p2, usize::MAX, b64url);
        if n2 == 0 || bytes.get(p2 + n2) != Some(&b'.') {
            continue;
        }
        let p3 = p2 + n2 + 1;
        let n3 = run(bytes, p3, usize::MAX, b64url);
        if !header_has_alg(&bytes[at..at + n1]) {
            continue;
        }
        out.push(Hit::secret(rules::JWT, at..p3 + n3, 3, "`eyJ…`".to_owned()));
    }
}

fn header_has_alg(segment: &[u8]) -> bool {
    let Some(json) = base64url_decode(segment) else {
        return false;
    };
    match serde_json::from_slice::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(map)) => map.get("alg").is_some_and(|v| v.is_string()),
        _ => false,
    }
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use it. `None` on any byte
/// outside the alphabet or an impossible length.
fn base64url_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn value(b: u8) -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    for chunk in input.chunks(4) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= value(b)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(text: &str) -> Vec<Hit> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out
    }

    #[test]
    fn base64url_round_trips_known_values() {
        assert_eq!(
            base64url_decode(b"eyJhbGciOiJIUzI1NiJ9").unwrap(),
            br#"{"alg":"HS256"}"#
        );
        assert_eq!(base64url_decode(b"YQ").unwrap(), b"a");
        assert_eq!(base64url_decode(b"YWI").unwrap(), b"ab");
        assert!(base64url_decode(b"Y").is_none());
        assert!(base64url_decode(b"Y+==").is_none());
    }

    #[test]
    fn pem_private_keys_of_every_kind() {
        for label in [
            "PRIVATE KEY",
            "RSA PRIVATE KEY",
            "EC PRIVATE KEY",
            "OPENSSH PRIVATE KEY",
            "ENCRYPTED PRIVATE KEY",
            "PGP PRIVATE KEY BLOCK",
        ] {
            let block = format!("-----BEGIN {label}-----\nMIIEvQIBADANBg\n-----END {label}-----");
            let text = format!("here:\n{block}\nbye");
            let h = hits(&text);
            assert_eq!(h.len(), 1, "{label}");
            assert_eq!(h[0].rule.id, "out.secret.private_key");
            assert_eq!(&text[h[0].range.clone()], block);
            assert!(!h[0].detail.contains("MIIE"));
        }
    }

    #[test]
    fn a_cut_off_key_is_hidden_to_the_end() {
        let text = "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBg";
        let h = hits(text);
        assert_eq!(h[0].range, 0..text.len());
        assert_eq!(h[0].hide, Some(31..text.len()));
    }

    #[test]
    fn public_keys_and_certificates_are_not_secrets() {
        assert!(hits("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").is_empty());
        assert!(hits("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----").is_empty());
        assert!(hits("-----BEGIN PRIVATE\nKEY-----").is_empty());
    }

    #[test]
    fn jwts_need_a_header_with_alg() {
        // jwt.io's example token.
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let text = format!("Authorization header was {jwt}.");
        let h = hits(&text);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].rule.id, "out.secret.jwt");
        assert_eq!(&text[h[0].range.clone()], jwt);
        // {"typ":"JWT"}: a JSON object without alg.
        assert!(hits("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln").is_empty());
        // Two segments only.
        assert!(hits("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0").is_empty());
        // Header is not base64url JSON.
        assert!(hits("eyJzzzz.abc.def").is_empty());
    }
}
