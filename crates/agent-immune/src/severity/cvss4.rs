//! CVSS v4.0 score (<https://www.first.org/cvss/v4.0/specification-document>).
//!
//! The algorithm of FIRST's reference calculator (`cvss_score.js` /
//! `cvss_lookup.js` in `FIRSTdotorg/cvss-v4-calculator`, mirrored by the
//! `cvss` Python package's `cvss4.py`): the effective metrics select a
//! macrovector (EQ1..EQ6) whose score comes from the 270-entry expert table;
//! the score is then lowered by the mean normalised severity distance from the
//! highest-severity vector of that macrovector, interpolated towards each
//! next-lower macrovector. Threat and environmental metrics, when present,
//! take part exactly as in the reference (`E:X` ⇒ `A`, `CR/IR/AR:X` ⇒ `H`,
//! `M*` metrics override base ones).

use super::cvss4_table::LOOKUP;
use super::CvssError;

/// Every metric the vector may carry, with its allowed values.
const METRICS: [(&str, &[&str]); 32] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

/// The first 11 entries of [`METRICS`] are mandatory.
const MANDATORY: usize = 11;

/// Highest-severity vectors of each EQ level (reference `maxComposed`).
const EQ1_MAX: [&[&str]; 3] = [
    &["AV:N/PR:N/UI:N"],
    &["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"],
    &["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"],
];
const EQ2_MAX: [&[&str]; 2] = [&["AC:L/AT:N"], &["AC:H/AT:N", "AC:L/AT:P"]];
/// Indexed `[eq3][eq6]`; `[2][0]` cannot occur.
const EQ3_EQ6_MAX: [[&[&str]; 2]; 3] = [
    [
        &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"],
        &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M",
        ],
    ],
    [
        &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H",
        ],
        &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M",
        ],
    ],
    [&[], &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
];
const EQ4_MAX: [&str; 3] = ["SC:H/SI:S/SA:S", "SC:H/SI:H/SA:H", "SC:L/SI:L/SA:L"];

/// Depth of each EQ level in 0.1 steps (reference `maxSeverity`).
const EQ1_DEPTH: [f64; 3] = [1.0, 4.0, 5.0];
const EQ2_DEPTH: [f64; 2] = [1.0, 2.0];
const EQ3_EQ6_DEPTH: [[f64; 2]; 3] = [[7.0, 6.0], [8.0, 8.0], [0.0, 10.0]];
const EQ4_DEPTH: [f64; 3] = [6.0, 5.0, 4.0];

/// Metrics whose severity distance is measured, in one fixed order.
const DISTANCE_METRICS: [&str; 14] = [
    "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
];

/// Severity level of a value (lower = more severe), as in the reference.
fn level(metric: &str, value: &str) -> f64 {
    match (metric, value) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") | ("CR" | "IR" | "AR", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") | ("CR" | "IR" | "AR", "M") => 0.1,
        ("VC" | "VI" | "VA", "N") | ("CR" | "IR" | "AR", "L") => 0.2,
        ("SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        _ => 0.0,
    }
}

/// The validated metrics of one vector.
struct Metrics<'a> {
    values: [Option<&'a str>; 32],
}

impl<'a> Metrics<'a> {
    fn parse(vector: &'a str) -> Result<Self, CvssError> {
        let rest = vector
            .trim()
            .strip_prefix("CVSS:4.0/")
            .ok_or(CvssError::Prefix {
                expected: "CVSS:4.0/",
            })?;
        let mut values = [None; 32];
        for field in rest.split('/') {
            let (metric, value) = field.split_once(':').ok_or_else(|| CvssError::Field {
                field: field.to_string(),
            })?;
            let i = METRICS
                .iter()
                .position(|(m, _)| *m == metric)
                .ok_or_else(|| CvssError::UnknownMetric {
                    metric: metric.to_string(),
                })?;
            if values[i].is_some() {
                return Err(CvssError::Duplicate {
                    metric: metric.to_string(),
                });
            }
            if !METRICS[i].1.contains(&value) {
                return Err(CvssError::Value {
                    metric: metric.to_string(),
                    value: value.to_string(),
                });
            }
            values[i] = Some(value);
        }
        if let Some(i) = values[..MANDATORY].iter().position(Option::is_none) {
            return Err(CvssError::Missing {
                metric: METRICS[i].0.to_string(),
            });
        }
        Ok(Metrics { values })
    }

    fn raw(&self, metric: &str) -> Option<&'a str> {
        METRICS
            .iter()
            .position(|(m, _)| *m == metric)
            .and_then(|i| self.values[i])
    }

    /// The effective value (reference `m()`).
    fn m(&self, metric: &str) -> &'a str {
        let selected = self.raw(metric).unwrap_or("X");
        match (metric, selected) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        match self.raw(&format!("M{metric}")) {
            Some(modified) if modified != "X" => modified,
            _ => selected,
        }
    }

    fn macrovector(&self) -> [usize; 6] {
        let m = |k| self.m(k);
        let (av, pr, ui) = (m("AV"), m("PR"), m("UI"));
        let eq1 = if av == "N" && pr == "N" && ui == "N" {
            0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            1
        } else {
            2
        };
        let eq2 = usize::from(!(m("AC") == "L" && m("AT") == "N"));
        let (vc, vi, va) = (m("VC"), m("VI"), m("VA"));
        let eq3 = if vc == "H" && vi == "H" {
            0
        } else if vc == "H" || vi == "H" || va == "H" {
            1
        } else {
            2
        };
        let eq4 = if m("SI") == "S" || m("SA") == "S" {
            0
        } else if m("SC") == "H" || m("SI") == "H" || m("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match m("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = usize::from(
            !((m("CR") == "H" && vc == "H")
                || (m("IR") == "H" && vi == "H")
                || (m("AR") == "H" && va == "H")),
        );
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

fn lookup(mv: [usize; 6]) -> Option<f64> {
    if mv.iter().any(|&d| d > 9) {
        return None;
    }
    let key: String = mv.iter().map(|d| char::from(b'0' + *d as u8)).collect();
    LOOKUP
        .binary_search_by(|(k, _)| (*k).cmp(key.as_str()))
        .ok()
        .map(|i| LOOKUP[i].1)
}

fn bumped(mv: [usize; 6], eqs: &[usize]) -> [usize; 6] {
    let mut out = mv;
    for &e in eqs {
        out[e] += 1;
    }
    out
}

/// Value of `metric` in a max-vector fragment such as `AV:N/PR:N/UI:N`.
fn fragment_value<'a>(parts: &[&'a str], metric: &str) -> &'a str {
    parts
        .iter()
        .flat_map(|p| p.split('/'))
        .find_map(|f| f.strip_prefix(metric)?.strip_prefix(':'))
        .unwrap_or("X")
}

/// Final rounding of the reference: half up to one decimal, with a 1e-6
/// nudge against floating-point error (e.g. 8.6 - 7.15).
fn final_rounding(x: f64) -> f64 {
    ((x + 1e-6) * 10.0).round() / 10.0
}

/// Score of a `CVSS:4.0/…` vector (CVSS-B, or CVSS-BT/BE/BTE when threat or
/// environmental metrics are present), as FIRST's calculator computes it.
///
/// ```
/// use agent_immune::severity::cvss4_base_score;
/// let v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
/// assert_eq!(cvss4_base_score(v).unwrap(), 9.3);
/// ```
pub fn cvss4_base_score(vector: &str) -> Result<f64, CvssError> {
    let metrics = Metrics::parse(vector)?;
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| metrics.m(k) == "N")
    {
        return Ok(0.0);
    }
    let mv = metrics.macrovector();
    let [eq1, eq2, eq3, eq4, _eq5, eq6] = mv;
    let value = lookup(mv).ok_or(CvssError::Macrovector)?;

    let next_eq1 = lookup(bumped(mv, &[0]));
    let next_eq2 = lookup(bumped(mv, &[1]));
    let next_eq3eq6 = match (eq3, eq6) {
        (0, 0) => {
            // As the reference's `max(left, right)` with NaN for a missing
            // neighbour: a missing left wins, a missing right is ignored.
            match (lookup(bumped(mv, &[5])), lookup(bumped(mv, &[2]))) {
                (Some(l), Some(r)) => Some(l.max(r)),
                (l, _) => l,
            }
        }
        (1, 0) => lookup(bumped(mv, &[5])),
        (0 | 1, 1) => lookup(bumped(mv, &[2])),
        _ => lookup(bumped(mv, &[2, 5])),
    };
    let next_eq4 = lookup(bumped(mv, &[3]));
    let next_eq5 = lookup(bumped(mv, &[4]));

    // Find the first max vector that every effective metric is at or below.
    let eq3eq6_max: &[&str] = EQ3_EQ6_MAX[eq3][eq6];
    let mut distances = [0.0_f64; 14];
    'search: for a in EQ1_MAX[eq1] {
        for b in EQ2_MAX[eq2] {
            for c in eq3eq6_max {
                let parts = [*a, *b, *c, EQ4_MAX[eq4]];
                for (d, metric) in distances.iter_mut().zip(DISTANCE_METRICS) {
                    *d = level(metric, metrics.m(metric))
                        - level(metric, fragment_value(&parts, metric));
                }
                if distances.iter().all(|d| *d >= 0.0) {
                    break 'search;
                }
            }
        }
    }
    let d = |k: &str| {
        DISTANCE_METRICS
            .iter()
            .position(|m| *m == k)
            .map_or(0.0, |i| distances[i])
    };
    let current_eq1 = d("AV") + d("PR") + d("UI");
    let current_eq2 = d("AC") + d("AT");
    let current_eq3eq6 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
    let current_eq4 = d("SC") + d("SI") + d("SA");

    let step = 0.1;
    let parts = [
        (next_eq1, current_eq1, EQ1_DEPTH[eq1] * step),
        (next_eq2, current_eq2, EQ2_DEPTH[eq2] * step),
        (next_eq3eq6, current_eq3eq6, EQ3_EQ6_DEPTH[eq3][eq6] * step),
        (next_eq4, current_eq4, EQ4_DEPTH[eq4] * step),
        // EQ5 has no intra-level distance: it counts but adds nothing.
        (next_eq5, 0.0, 1.0),
    ];
    let mut n_lower = 0_u32;
    let mut total = 0.0;
    for (next, current, depth) in parts {
        if let Some(next) = next {
            let available = value - next;
            if available >= 0.0 {
                n_lower += 1;
                total += available * (current / depth);
            }
        }
    }
    let mean = if n_lower == 0 {
        0.0
    } else {
        total / f64::from(n_lower)
    };
    Ok(final_rounding((value - mean).clamp(0.0, 10.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert_eq!(LOOKUP.len(), 270);
        assert!(LOOKUP.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
