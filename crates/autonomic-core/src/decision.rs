//! The ordered security decision shared by every layer.

use serde::{Deserialize, Serialize};

/// What a security check decided about an action.
///
/// Ordered `Allow < Review < Deny`, so combining several decisions is `max()`:
/// the strictest one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The action may proceed.
    Allow,
    /// The action may proceed only after a human approves it.
    Review,
    /// The action must never proceed.
    Deny,
}

impl Decision {
    /// The lowercase name used in output, config and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Review => "review",
            Decision::Deny => "deny",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Decision::Allow),
            "review" => Ok(Decision::Review),
            "deny" => Ok(Decision::Deny),
            other => Err(format!(
                "unknown decision `{other}` (expected allow, review or deny)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictest_wins() {
        let all = [Decision::Allow, Decision::Deny, Decision::Review];
        assert_eq!(all.iter().copied().max(), Some(Decision::Deny));
        assert!(Decision::Allow < Decision::Review);
        assert_eq!("review".parse::<Decision>(), Ok(Decision::Review));
        assert!("maybe".parse::<Decision>().is_err());
    }
}
