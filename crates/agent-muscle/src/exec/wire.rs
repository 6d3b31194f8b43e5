//! How the executor's types look serialized (serde), for the fields whose
//! default form would be lossy or unreadable:
//!
//! - **Durations** are strings of decimal seconds with an `s`: `"60s"`,
//!   `"1.5s"`, `"0.000812345s"` — exact to the nanosecond, so a measured
//!   wall time round-trips. Reading also takes `ms`, `us` and `ns`
//!   (`"250ms"`), whole or decimal, as long as the value is a whole number
//!   of nanoseconds.
//! - **Bytes** (stdin, captured output) are a string when they are UTF-8
//!   (the usual case: readable in a log or an MCP reply) and
//!   `{"base64": "…"}` (standard alphabet, padded) when they are not.
//!   Both forms read back to the same bytes.
//!
//! Paths are serde's: strings, and serializing a path that is not UTF-8
//! fails — except in [`super::traps::Trap`], whose names a task picks and
//! which are written lossily (see there).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::vm::proto::{base64_decode, base64_encode};

/// `"1.5s"` for 1.5 seconds: whole seconds, then the fraction with its
/// trailing zeros removed.
pub(crate) fn format_duration(d: Duration) -> String {
    let nanos = d.subsec_nanos();
    if nanos == 0 {
        return format!("{}s", d.as_secs());
    }
    let frac = format!("{nanos:09}");
    format!("{}.{}s", d.as_secs(), frac.trim_end_matches('0'))
}

/// Reads what [`format_duration`] writes, and the same with `ms`, `us` or
/// `ns`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| {
        format!("`{text}` is not a duration ({why}; e.g. \"60s\", \"1.5s\", \"250ms\")")
    };
    let (number, unit_ns): (&str, u128) = if let Some(n) = text.strip_suffix("ns") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix("us") {
        (n, 1_000)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1_000_000)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1_000_000_000)
    } else {
        return Err(bad("no unit"));
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (number.contains('.') && !digits(frac)) || frac.len() > 9 {
        return Err(bad("expected digits, with at most 9 after the point"));
    }
    let whole: u128 = whole.parse().map_err(|_| bad("too large"))?;
    let scale = 10u128.pow(frac.len() as u32);
    let frac: u128 = if frac.is_empty() {
        0
    } else {
        frac.parse().map_err(|_| bad("bad fraction"))?
    };
    let frac_ns = frac * unit_ns;
    if frac_ns % scale != 0 {
        return Err(bad("finer than a nanosecond"));
    }
    let total = whole
        .checked_mul(unit_ns)
        .and_then(|n| n.checked_add(frac_ns / scale))
        .ok_or_else(|| bad("too large"))?;
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| bad("too large"))?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"60s\" or \"250ms\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }
}

/// `#[serde(with = "wire::duration")]`.
pub(crate) mod duration {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        d.deserialize_str(DurationVisitor)
    }
}

/// `#[serde(with = "wire::opt_duration")]`: `null` or a duration.
pub(crate) mod opt_duration {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Wrapped(#[serde(with = "super::duration")] Duration);

    pub(crate) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(Wrapped).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

/// Bytes as text or `{"base64": …}`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BytesRepr<'a> {
    Text(std::borrow::Cow<'a, str>),
    Base64 { base64: String },
}

impl<'a> BytesRepr<'a> {
    fn of(bytes: &'a [u8]) -> Self {
        match std::str::from_utf8(bytes) {
            Ok(text) => BytesRepr::Text(text.into()),
            Err(_) => BytesRepr::Base64 {
                base64: base64_encode(bytes),
            },
        }
    }

    fn into_bytes<E: de::Error>(self) -> Result<Vec<u8>, E> {
        match self {
            BytesRepr::Text(text) => Ok(text.into_owned().into_bytes()),
            BytesRepr::Base64 { base64 } => base64_decode(&base64)
                .ok_or_else(|| E::custom("`base64` is not valid standard base64 with padding")),
        }
    }
}

/// `#[serde(with = "wire::bytes")]`.
pub(crate) mod bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        BytesRepr::of(b).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        BytesRepr::deserialize(d)?.into_bytes()
    }
}

/// `#[serde(with = "wire::opt_bytes")]`: `null` or bytes.
pub(crate) mod opt_bytes {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        b.as_deref().map(BytesRepr::of).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        Option::<BytesRepr<'_>>::deserialize(d)?
            .map(BytesRepr::into_bytes)
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_decimal_seconds_and_exact() {
        let cases = [
            (Duration::from_secs(60), "60s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(250), "0.25s"),
            (Duration::new(3, 812_345_001), "3.812345001s"),
            (Duration::ZERO, "0s"),
        ];
        for (d, text) in cases {
            assert_eq!(format_duration(d), text);
            assert_eq!(parse_duration(text), Ok(d), "{text}");
        }
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5ms"), Ok(Duration::from_micros(1500)));
        assert_eq!(parse_duration("7us"), Ok(Duration::from_micros(7)));
        assert_eq!(parse_duration("12ns"), Ok(Duration::from_nanos(12)));
        for bad in [
            "",
            "60",
            "s",
            "1.s",
            ".5s",
            "1.0000000001s",
            "0.5ns",
            "-1s",
            "1 s",
            "1e3s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(with = "bytes")]
        b: Vec<u8>,
        #[serde(with = "opt_bytes")]
        o: Option<Vec<u8>>,
        #[serde(with = "opt_duration")]
        d: Option<Duration>,
    }

    #[test]
    fn bytes_are_text_or_base64_and_round_trip() {
        let h = Holder {
            b: b"hi\n".to_vec(),
            o: Some(vec![0xff, 0x00, b'a']),
            d: Some(Duration::from_millis(5)),
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"{"b":"hi\n","o":{"base64":"/wBh"},"d":"0.005s"}"#);
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), h);
        let none = Holder {
            b: Vec::new(),
            o: None,
            d: None,
        };
        let json = serde_json::to_string(&none).unwrap();
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), none);
        assert!(
            serde_json::from_str::<Holder>(r#"{"b":{"base64":"!!"},"o":null,"d":null}"#).is_err()
        );
    }
}
