//! CVSS v3.0 / v3.1 base score
//! (<https://www.first.org/cvss/v3.1/specification-document>, section 7 and
//! Appendix A).

use super::CvssError;

/// Mandatory base metrics with their allowed values, in vector order.
const BASE: [(&str, &[&str]); 8] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];

/// Optional temporal and environmental metrics: validated, not scored.
const OPTIONAL: [(&str, &[&str]); 14] = [
    ("E", &["X", "U", "P", "F", "H"]),
    ("RL", &["X", "O", "T", "W", "U"]),
    ("RC", &["X", "U", "R", "C"]),
    ("CR", &["X", "L", "M", "H"]),
    ("IR", &["X", "L", "M", "H"]),
    ("AR", &["X", "L", "M", "H"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "N", "L", "H"]),
    ("MI", &["X", "N", "L", "H"]),
    ("MA", &["X", "N", "L", "H"]),
];

/// Roundup as defined in CVSS v3.1 Appendix A: the smallest number with one
/// decimal place that is ≥ the input, computed on integers to avoid
/// floating-point artefacts.
pub(super) fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// Base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector.
///
/// Every metric is validated (mandatory base metrics, optional temporal and
/// environmental ones, no duplicates); errors name the bad metric.
///
/// ```
/// use agent_immune::severity::cvss3_base_score;
/// assert_eq!(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap(), 9.8);
/// ```
pub fn cvss3_base_score(vector: &str) -> Result<f64, CvssError> {
    let trimmed = vector.trim();
    let rest = trimmed
        .strip_prefix("CVSS:3.1/")
        .or(trimmed.strip_prefix("CVSS:3.0/"))
        .ok_or(CvssError::Prefix {
            expected: "CVSS:3.0/ or CVSS:3.1/",
        })?;
    let mut values: [Option<&str>; 8] = [None; 8];
    let mut seen_optional: Vec<&str> = Vec::new();
    for field in rest.split('/') {
        let (metric, value) = field.split_once(':').ok_or_else(|| CvssError::Field {
            field: field.to_string(),
        })?;
        if let Some(i) = BASE.iter().position(|(m, _)| *m == metric) {
            if values[i].is_some() {
                return Err(CvssError::Duplicate {
                    metric: metric.to_string(),
                });
            }
            if !BASE[i].1.contains(&value) {
                return Err(CvssError::Value {
                    metric: metric.to_string(),
                    value: value.to_string(),
                });
            }
            values[i] = Some(value);
        } else if let Some((m, allowed)) = OPTIONAL.iter().find(|(m, _)| *m == metric) {
            if seen_optional.contains(m) {
                return Err(CvssError::Duplicate {
                    metric: metric.to_string(),
                });
            }
            if !allowed.contains(&value) {
                return Err(CvssError::Value {
                    metric: metric.to_string(),
                    value: value.to_string(),
                });
            }
            seen_optional.push(m);
        } else {
            return Err(CvssError::UnknownMetric {
                metric: metric.to_string(),
            });
        }
    }
    let mut get = |i: usize| {
        values[i].take().ok_or(CvssError::Missing {
            metric: BASE[i].0.to_string(),
        })
    };
    let (av, ac, pr, ui, s, c, i, a) = (
        get(0)?,
        get(1)?,
        get(2)?,
        get(3)?,
        get(4)?,
        get(5)?,
        get(6)?,
        get(7)?,
    );
    let changed = s == "C";
    let av = match av {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let ac = if ac == "L" { 0.77 } else { 0.44 };
    let pr = match (pr, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let ui = if ui == "N" { 0.85 } else { 0.62 };
    let cia = |v: &str| match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    };
    let iss: f64 = 1.0 - (1.0 - cia(c)) * (1.0 - cia(i)) * (1.0 - cia(a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    Ok(if changed {
        roundup(f64::min(1.08 * (impact + exploitability), 10.0))
    } else {
        roundup(f64::min(impact + exploitability, 10.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundup_appendix_a() {
        assert_eq!(roundup(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup(4.0), 4.0);
        assert_eq!(roundup(4.02), 4.1);
    }
}
