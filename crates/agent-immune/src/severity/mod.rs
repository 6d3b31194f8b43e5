//! Severity scoring: CVSS v3.x and v4.0 base scores, GHSA-style labels, and
//! the preference between them.
//!
//! [`score`] prefers a valid CVSS v4 vector, then a valid CVSS v3.x vector,
//! then the advisory's label (`LOW`/`MODERATE`/`HIGH`/`CRITICAL`), else
//! `Unknown`. CVSS v2 vectors are ignored. Bands: CRITICAL ≥ 9.0, HIGH ≥ 7.0,
//! MEDIUM ≥ 4.0, else LOW ([`Severity::from_score`]).

mod cvss3;
mod cvss4;
mod cvss4_table;

pub use cvss3::cvss3_base_score;
pub use cvss4::cvss4_base_score;

use autonomic_core::Severity;
use serde::{Deserialize, Serialize};

use crate::osv::record::OsvSeverity;

/// Why a CVSS vector was rejected; every variant names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    /// The vector does not start with the version prefix.
    #[error("CVSS vector does not start with {expected}")]
    Prefix {
        /// The prefix(es) accepted.
        expected: &'static str,
    },
    /// A field is not `METRIC:VALUE`.
    #[error("malformed CVSS field `{field}` (expected METRIC:VALUE)")]
    Field {
        /// The field as written.
        field: String,
    },
    /// A metric this CVSS version does not define.
    #[error("unknown CVSS metric `{metric}`")]
    UnknownMetric {
        /// The metric.
        metric: String,
    },
    /// A value the metric does not allow.
    #[error("invalid value `{value}` for CVSS metric `{metric}`")]
    Value {
        /// The metric.
        metric: String,
        /// The rejected value.
        value: String,
    },
    /// A metric given twice.
    #[error("CVSS metric `{metric}` given twice")]
    Duplicate {
        /// The metric.
        metric: String,
    },
    /// A mandatory base metric is absent.
    #[error("mandatory CVSS metric `{metric}` is missing")]
    Missing {
        /// The metric.
        metric: String,
    },
    /// The CVSS v4 macrovector is not in the lookup table (cannot happen
    /// for a validated vector; kept so scoring never panics).
    #[error("CVSS v4 macrovector not in the lookup table")]
    Macrovector,
}

/// Where a [`Scored`] severity came from; serialized as `cvss_v4`,
/// `cvss_v3`, `label` or `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// A CVSS v4.0 vector.
    CvssV4,
    /// A CVSS v3.0 or v3.1 vector.
    CvssV3,
    /// The advisory's severity label.
    Label,
    /// Nothing usable.
    None,
}

/// A severity with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The band.
    pub severity: Severity,
    /// The CVSS score, when one was computed.
    pub score: Option<f64>,
    /// The vector that was scored.
    pub vector: Option<String>,
    /// Where the severity came from.
    pub source: ScoreSource,
}

/// Scores a record (or affected entry) from its `severity` entries and an
/// optional label (GHSA's `database_specific.severity`).
///
/// Invalid vectors are skipped, never fatal: the next source is tried.
///
/// ```
/// use agent_immune::osv::record::OsvSeverity;
/// use agent_immune::severity::{score, ScoreSource};
/// use autonomic_core::Severity;
/// let s = score(
///     &[OsvSeverity {
///         kind: "CVSS_V3".into(),
///         score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
///     }],
///     Some("MODERATE"),
/// );
/// assert_eq!((s.severity, s.score, s.source), (Severity::Critical, Some(9.8), ScoreSource::CvssV3));
/// ```
pub fn score(severities: &[OsvSeverity], label: Option<&str>) -> Scored {
    let first_valid = |kind: &str, f: fn(&str) -> Result<f64, CvssError>| {
        severities
            .iter()
            .filter(|s| s.kind.eq_ignore_ascii_case(kind))
            .find_map(|s| f(&s.score).ok().map(|n| (n, s.score.trim().to_string())))
    };
    let scored = |(n, vector): (f64, String), source| Scored {
        severity: Severity::from_score(n),
        score: Some(n),
        vector: Some(vector),
        source,
    };
    if let Some(hit) = first_valid("CVSS_V4", cvss4_base_score) {
        return scored(hit, ScoreSource::CvssV4);
    }
    if let Some(hit) = first_valid("CVSS_V3", cvss3_base_score) {
        return scored(hit, ScoreSource::CvssV3);
    }
    match label.map(|l| l.trim().parse::<Severity>()) {
        Some(Ok(severity)) if severity != Severity::Unknown => Scored {
            severity,
            score: None,
            vector: None,
            source: ScoreSource::Label,
        },
        _ => Scored {
            severity: Severity::Unknown,
            score: None,
            vector: None,
            source: ScoreSource::None,
        },
    }
}
