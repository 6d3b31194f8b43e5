//! OSV range matching (<https://ossf.github.io/osv-schema/#evaluation>).
//!
//! Pure functions: given one package's `affected` entries and a version,
//! say whether the version is affected. The caller has already selected
//! the entries for the package (by ecosystem and normalised name).
//!
//! A version is affected when it is listed in `versions` (compared after
//! parsing, or by exact string) or falls in any SEMVER/ECOSYSTEM range:
//! events are sorted by version and walked, `introduced` opens an interval
//! (`"0"` = from the start), `fixed` closes it exclusively and
//! `last_affected` inclusively; when a range has `limit` events the version
//! must also be below one of them (`"*"` = no limit). GIT ranges are skipped
//! and counted. A range with an unparsable event, or a package version that
//! does not parse, yields [`MatchResult::Unknown`] rather than a silent
//! "not affected".
//!
//! ```
//! use agent_immune::matching::{match_affected, MatchResult};
//! use agent_immune::osv::record::{Affected, Event, Range, RangeType};
//! use agent_immune::Ecosystem;
//!
//! let affected = Affected {
//!     package: None,
//!     severity: vec![],
//!     ranges: vec![Range {
//!         kind: RangeType::Semver,
//!         repo: None,
//!         events: vec![
//!             Event { introduced: Some("0".into()), ..Event::default() },
//!             Event { fixed: Some("1.2.3".into()), ..Event::default() },
//!         ],
//!     }],
//!     versions: vec![],
//!     ecosystem_specific: None,
//!     database_specific: None,
//! };
//! assert!(matches!(
//!     match_affected(Ecosystem::CratesIo, &[affected.clone()], "1.2.2"),
//!     MatchResult::Affected { .. }
//! ));
//! assert_eq!(
//!     match_affected(Ecosystem::CratesIo, &[affected], "1.2.3"),
//!     MatchResult::NotAffected
//! );
//! ```

use crate::osv::record::{Affected, Event, Range, RangeType};
use crate::types::Ecosystem;
use crate::version::{parse_version, Version};

/// Whether a version is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchResult {
    /// The version is affected.
    Affected {
        /// The interval that matched, as text (`>=0, <1.2.3`); `None` when
        /// the match came from the `versions` list.
        range: Option<String>,
        /// Fixed versions above the package's version, for the report.
        fixed: Vec<String>,
    },
    /// No range or listed version matches.
    NotAffected,
    /// Could not decide (unparsable version or event, nothing evaluable).
    Unknown {
        /// Why, for the report.
        reason: String,
    },
}

/// Counters gathered while matching, for diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchStats {
    /// GIT ranges that could not be evaluated.
    pub git_ranges_skipped: usize,
    /// Versions (event, listed or the package's own) that did not parse.
    pub unparsable_versions: usize,
}

/// [`match_affected_with_stats`] without the counters.
pub fn match_affected(eco: Ecosystem, affected: &[Affected], version: &str) -> MatchResult {
    match_affected_with_stats(eco, affected, version).0
}

/// Decides whether `version` of an `eco` package is affected by any of
/// `affected` (the entries of one record for this package).
pub fn match_affected_with_stats(
    eco: Ecosystem,
    affected: &[Affected],
    version: &str,
) -> (MatchResult, MatchStats) {
    let mut stats = MatchStats::default();
    let parsed = parse_version(eco, version);

    // Exact string equality in `versions` counts even for unparsable versions.
    let listed_exact = affected
        .iter()
        .any(|a| a.versions.iter().any(|v| v.trim() == version.trim()));

    let v = match parsed {
        Ok(v) => v,
        Err(e) => {
            stats.unparsable_versions += 1;
            for a in affected {
                stats.git_ranges_skipped +=
                    a.ranges.iter().filter(|r| r.kind == RangeType::Git).count();
            }
            let result = if listed_exact {
                MatchResult::Affected {
                    range: None,
                    fixed: Vec::new(),
                }
            } else {
                MatchResult::Unknown {
                    reason: e.to_string(),
                }
            };
            return (result, stats);
        }
    };

    let mut matched_range: Option<Option<String>> = listed_exact.then_some(None);
    let mut unknown: Option<String> = None;
    let mut evaluable = false;
    let mut fixed: Vec<(Version, String)> = Vec::new();

    for a in affected {
        if !a.versions.is_empty() {
            evaluable = true;
        }
        if matched_range.is_none() {
            for listed in &a.versions {
                match parse_version(eco, listed) {
                    Ok(l) if l == v => {
                        matched_range = Some(None);
                        break;
                    }
                    Ok(_) => {}
                    Err(_) => stats.unparsable_versions += 1,
                }
            }
        }
        for range in &a.ranges {
            match range.kind {
                RangeType::Git => {
                    stats.git_ranges_skipped += 1;
                    continue;
                }
                RangeType::Other => {
                    unknown.get_or_insert_with(|| "range of an unknown type".to_string());
                    continue;
                }
                RangeType::Semver | RangeType::Ecosystem => {}
            }
            evaluable = true;
            match evaluate_range(eco, range, &v) {
                Ok(eval) => {
                    for f in eval.fixed {
                        if f.0 > v && !fixed.iter().any(|(g, _)| *g == f.0) {
                            fixed.push(f);
                        }
                    }
                    if let Some(text) = eval.matched {
                        matched_range.get_or_insert(Some(text));
                    }
                }
                Err(reason) => {
                    stats.unparsable_versions += 1;
                    unknown.get_or_insert(reason);
                }
            }
        }
    }

    let result = match (matched_range, unknown) {
        (Some(range), _) => {
            fixed.sort_by(|a, b| a.0.cmp(&b.0));
            MatchResult::Affected {
                range,
                fixed: fixed.into_iter().map(|(_, s)| s).collect(),
            }
        }
        (None, Some(reason)) => MatchResult::Unknown { reason },
        (None, None) if !evaluable => MatchResult::Unknown {
            reason: if stats.git_ranges_skipped > 0 {
                "only GIT ranges, which cannot be evaluated offline".to_string()
            } else {
                "no ranges or versions listed".to_string()
            },
        },
        (None, None) => MatchResult::NotAffected,
    };
    (result, stats)
}

/// What one range says about a version.
struct RangeEval {
    /// The matching interval as text, when the version is inside.
    matched: Option<String>,
    /// Every `fixed` event, parsed.
    fixed: Vec<(Version, String)>,
}

/// One parsed event; `None` bound = the `"0"` start.
enum Point {
    Introduced(Option<Version>, String),
    Fixed(Version, String),
    LastAffected(Version, String),
}

impl Point {
    fn key(&self) -> Option<&Version> {
        match self {
            Point::Introduced(v, _) => v.as_ref(),
            Point::Fixed(v, _) | Point::LastAffected(v, _) => Some(v),
        }
    }
}

fn evaluate_range(eco: Ecosystem, range: &Range, v: &Version) -> Result<RangeEval, String> {
    let parse = |s: &str, what: &str| {
        parse_version(eco, s).map_err(|e| format!("unparsable `{what}` event in range: {e}"))
    };
    let mut points = Vec::with_capacity(range.events.len());
    let mut limits: Vec<Option<Version>> = Vec::new();
    for Event {
        introduced,
        fixed,
        last_affected,
        limit,
    } in &range.events
    {
        if let Some(s) = introduced {
            let bound = if s.trim() == "0" {
                None
            } else {
                Some(parse(s, "introduced")?)
            };
            points.push(Point::Introduced(bound, s.clone()));
        }
        if let Some(s) = fixed {
            points.push(Point::Fixed(parse(s, "fixed")?, s.clone()));
        }
        if let Some(s) = last_affected {
            points.push(Point::LastAffected(parse(s, "last_affected")?, s.clone()));
        }
        if let Some(s) = limit {
            limits.push(if s.trim() == "*" {
                None
            } else {
                Some(parse(s, "limit")?)
            });
        }
    }
    // Stable sort: `None` (the "0" start) sorts first; equal versions keep
    // the record's order.
    points.sort_by(|a, b| a.key().cmp(&b.key()));

    let fixed_versions = points
        .iter()
        .filter_map(|p| match p {
            Point::Fixed(f, s) => Some((f.clone(), s.clone())),
            _ => None,
        })
        .collect();

    let below_limit = limits.is_empty()
        || limits
            .iter()
            .any(|l| l.as_ref().is_none_or(|limit| v < limit));

    let mut open: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        match p {
            Point::Introduced(bound, _) => {
                if bound.as_ref().is_none_or(|b| v >= b) {
                    open = Some(i);
                }
            }
            Point::Fixed(f, _) => {
                if v >= f {
                    open = None;
                }
            }
            Point::LastAffected(l, _) => {
                if v > l {
                    open = None;
                }
            }
        }
    }
    let matched = match open {
        Some(start) if below_limit => Some(describe(&points, start)),
        _ => None,
    };
    Ok(RangeEval {
        matched,
        fixed: fixed_versions,
    })
}

/// `>=start` plus the next closing event after it, if any.
fn describe(points: &[Point], start: usize) -> String {
    let mut text = match &points[start] {
        Point::Introduced(_, s) => format!(">={}", s.trim()),
        _ => String::new(),
    };
    for p in &points[start + 1..] {
        match p {
            Point::Fixed(_, s) => {
                text.push_str(&format!(", <{}", s.trim()));
                break;
            }
            Point::LastAffected(_, s) => {
                text.push_str(&format!(", <={}", s.trim()));
                break;
            }
            Point::Introduced(..) => {}
        }
    }
    text
}
