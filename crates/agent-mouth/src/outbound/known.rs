//! Known secrets: the contents of files agent-muscle masks, read by the
//! caller and handed over in the policy. Each trimmed line of at least
//! [`MIN_KNOWN_LEN`] characters is matched wherever it appears, whole;
//! shorter lines (`true`, `}`) would match ordinary prose. Owns the
//! [`KnownSecret`] type, whose `Debug` never shows the value.

use super::rules;
use super::scan::Hit;

/// Shortest line of a known secret that is looked for.
pub const MIN_KNOWN_LEN: usize = 12;

/// A secret value the caller knows, e.g. the content of a masked file.
#[derive(Clone, PartialEq, Eq)]
pub struct KnownSecret {
    label: String,
    value: String,
}

impl KnownSecret {
    /// `label` names the secret in findings (e.g. the masked file's
    /// name); `value` is the content, never shown.
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> KnownSecret {
        KnownSecret {
            label: label.into(),
            value: value.into(),
        }
    }

    /// The name findings use.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The parts that are matched: each trimmed line of at least
    /// [`MIN_KNOWN_LEN`] characters.
    fn needles(&self) -> impl Iterator<Item = &str> {
        self.value
            .lines()
            .map(str::trim)
            .filter(|l| l.chars().count() >= MIN_KNOWN_LEN)
    }
}

impl std::fmt::Debug for KnownSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownSecret")
            .field("label", &self.label)
            .field("value", &"[redacted]")
            .finish()
    }
}

pub(crate) fn scan(text: &str, secrets: &[KnownSecret], out: &mut Vec<Hit>) {
    for secret in secrets {
        for needle in secret.needles() {
            for (at, _) in text.match_indices(needle) {
                out.push(Hit::secret(
                    rules::KNOWN_SECRET,
                    at..at + needle.len(),
                    0,
                    format!("from `{}`", secret.label),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_long_line_is_matched_and_short_ones_are_not() {
        let s = KnownSecret::new(".env", "DB_URL=postgres://u:pw@db/x\n  true  \nshort=1\n");
        let mut out = Vec::new();
        scan("see DB_URL=postgres://u:pw@db/x and true", &[s], &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].range, 4..31);
        assert_eq!(out[0].detail, "from `.env`");
    }

    #[test]
    fn a_near_miss_is_not_matched() {
        let s = KnownSecret::new("k", "abcdefghijkl");
        let mut out = Vec::new();
        scan("abcdefghijk! abcdefghijKl", &[s], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn debug_hides_the_value() {
        let s = KnownSecret::new("id_rsa", "very-secret-value-123");
        let shown = format!("{s:?}");
        assert!(shown.contains("id_rsa"));
        assert!(!shown.contains("very-secret"));
    }
}
