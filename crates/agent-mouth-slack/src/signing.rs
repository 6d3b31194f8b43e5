//! Verifying requests Slack sends to a request URL (interactivity, Events
//! API, slash commands): `X-Slack-Signature` is
//! `v0=hex(HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}"))` over the
//! raw body, and `X-Slack-Request-Timestamp` must be within five minutes of
//! now, either way, so a captured request cannot be replayed later.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::SigningSecret;

/// How far a request's timestamp may be from now, either way (Slack's
/// documented window).
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `X-Slack-Request-Timestamp` is not a decimal number of seconds.
    #[error("X-Slack-Request-Timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is more than five minutes from now.
    #[error("request timestamp is {skew_secs} s from now (more than {MAX_CLOCK_SKEW_SECS} s)")]
    Stale {
        /// Seconds between the timestamp and now (positive: in the past).
        skew_secs: i64,
    },
    /// `X-Slack-Signature` is not `v0=` and 64 hex digits.
    #[error("X-Slack-Signature is not `v0=` followed by 64 hex digits")]
    BadSignatureFormat,
    /// The signature does not match the body and timestamp.
    #[error("X-Slack-Signature does not match the request")]
    Mismatch,
}

/// Checks a request Slack sent: `timestamp` and `signature` are the values
/// of `X-Slack-Request-Timestamp` and `X-Slack-Signature`, `body` the raw
/// bytes as received, `now_unix` the current time in seconds.
///
/// # Errors
///
/// [`VerifyError`]: a malformed header, a timestamp more than five minutes
/// from now, or a signature that does not match. The signature is compared
/// in constant time.
///
/// # Examples
///
/// ```
/// use agent_mouth_slack::{sign_request, verify_request, SigningSecret};
///
/// let secret = SigningSecret::new("s3cr3t").unwrap();
/// let sig = sign_request(&secret, "1700000000", b"payload=%7B%7D");
/// assert!(verify_request(&secret, "1700000000", &sig, b"payload=%7B%7D", 1_700_000_100).is_ok());
/// assert!(verify_request(&secret, "1700000000", &sig, b"payload=%7B%7D", 1_700_000_400).is_err());
/// ```
pub fn verify_request(
    secret: &SigningSecret,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let ts = parse_timestamp(timestamp)?;
    let skew_secs = now_unix.saturating_sub(ts);
    if skew_secs.unsigned_abs() > MAX_CLOCK_SKEW_SECS.unsigned_abs() {
        return Err(VerifyError::Stale { skew_secs });
    }
    let given = signature
        .strip_prefix("v0=")
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(VerifyError::BadSignatureFormat)?;
    let expected = mac(secret, timestamp, body);
    if bool::from(expected.as_slice().ct_eq(given.as_slice())) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// The `X-Slack-Signature` value Slack would send for this timestamp and
/// body (`v0=` and 64 lower-case hex digits); for tests and fakes.
pub fn sign_request(secret: &SigningSecret, timestamp: &str, body: &[u8]) -> String {
    format!("v0={}", hex::encode(mac(secret, timestamp, body)))
}

fn parse_timestamp(timestamp: &str) -> Result<i64, VerifyError> {
    if timestamp.is_empty()
        || timestamp.len() > 12
        || !timestamp.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(VerifyError::BadTimestamp);
    }
    timestamp.parse().map_err(|_| VerifyError::BadTimestamp)
}

fn mac(secret: &SigningSecret, timestamp: &str, body: &[u8]) -> [u8; 32] {
    hmac_sha256(secret.expose(), &[b"v0:", timestamp.as_bytes(), b":", body])
}

/// HMAC-SHA256 (RFC 2104) of the concatenation of `parts` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    for part in parts {
        inner.update(part);
    }
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex(key: &[u8], data: &[u8]) -> String {
        hex::encode(hmac_sha256(key, &[data]))
    }

    /// RFC 4231 section 4: test cases 1, 2, 3, 4, 6 and 7 (case 5 is truncated output).
    #[test]
    fn rfc4231_vectors() {
        assert_eq!(
            hmac_hex(&[0x0b; 20], b"Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_hex(&[0xaa; 20], &[0xdd; 50]),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
        );
        let key4: Vec<u8> = (0x01..=0x19).collect();
        assert_eq!(
            hmac_hex(&key4, &[0xcd; 50]),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
        );
        assert_eq!(
            hmac_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
        assert_eq!(
            hmac_hex(
                &[0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
        );
    }

    #[test]
    fn parts_are_concatenated() {
        assert_eq!(
            hmac_sha256(b"Jefe", &[b"what do ya ", b"want for nothing?"]),
            hmac_sha256(b"Jefe", &[b"what do ya want for nothing?"])
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1531420618"), Ok(1_531_420_618));
        for bad in ["", "-1", "+5", "1e9", " 1", "1234567890123"] {
            assert_eq!(
                parse_timestamp(bad),
                Err(VerifyError::BadTimestamp),
                "{bad}"
            );
        }
    }
}
