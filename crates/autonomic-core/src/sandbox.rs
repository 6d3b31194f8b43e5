//! Sandbox strength levels shared by the config, agent-immune and agent-muscle.

use serde::{Deserialize, Serialize};

/// How strongly an action is isolated when it runs.
///
/// Ordered by strength (`None < Seccomp < Firecracker`), so combining several
/// requirements is `max()`: the strongest one wins.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SandboxLevel {
    /// No isolation: the action runs as the agent's own process.
    None,
    /// A seccomp-BPF syscall filter around the process.
    #[default]
    Seccomp,
    /// A Firecracker microVM.
    Firecracker,
}

impl SandboxLevel {
    /// Every level, weakest first.
    pub const ALL: [SandboxLevel; 3] = [
        SandboxLevel::None,
        SandboxLevel::Seccomp,
        SandboxLevel::Firecracker,
    ];

    /// The lowercase name used in config files and output.
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxLevel::None => "none",
            SandboxLevel::Seccomp => "seccomp",
            SandboxLevel::Firecracker => "firecracker",
        }
    }
}

impl std::fmt::Display for SandboxLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`SandboxLevel`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sandbox level `{0}` (expected none, seccomp or firecracker)")]
pub struct UnknownSandboxLevel(pub String);

impl std::str::FromStr for SandboxLevel {
    type Err = UnknownSandboxLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SandboxLevel::ALL
            .into_iter()
            .find(|level| level.as_str() == s)
            .ok_or_else(|| UnknownSandboxLevel(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongest_wins_and_names_round_trip() {
        assert_eq!(
            SandboxLevel::ALL.iter().max(),
            Some(&SandboxLevel::Firecracker)
        );
        for level in SandboxLevel::ALL {
            assert_eq!(level.as_str().parse::<SandboxLevel>(), Ok(level));
            let json = serde_json::to_string(&level).unwrap();
            assert_eq!(json, format!("\"{level}\""));
        }
        assert!("docker".parse::<SandboxLevel>().is_err());
    }
}
