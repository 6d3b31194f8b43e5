//! The outbound policy every channel validates against, from `[mouth]`:
//! the hosts links may point to, whether mass mentions may be sent, and
//! the credentials agent-muscle hides from tasks, as known secrets (a
//! message that quotes one is denied, whatever its format).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use agent_mouth::outbound::{EmailPolicy, KnownSecret, OutboundPolicy};
use autonomic_core::config::Config;

/// Credential files under the user's home read for known secrets: the
/// masked paths whose whole purpose is a secret (keys, tokens, passwords),
/// not the masked directories' other files.
const CREDENTIAL_FILES: &[&str] = &[
    ".aws/credentials",
    ".git-credentials",
    ".config/git/credentials",
    ".config/gh/hosts.yml",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".docker/config.json",
    ".kube/config",
];

/// Private keys among `~/.ssh`'s files (`id_*` without `.pub`).
const SSH_DIR: &str = ".ssh";

/// The largest credential file read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The shortest value kept as a known secret.
const MIN_VALUE_CHARS: usize = 16;

/// The outbound policy of `config`, with the known secrets of the files
/// under `user_home` (none when it is `None`).
pub fn outbound(config: &Config, user_home: Option<&Path>) -> OutboundPolicy {
    OutboundPolicy {
        allowed_hosts: config.mouth.outbound_allowed_hosts.clone(),
        allow_mass_mentions: config.mouth.outbound_mass_mentions,
        known_secrets: user_home.map(known_secrets).unwrap_or_default(),
    }
}

/// The e-mail policy: the outbound one, and `[mouth] email_recipients`.
pub fn email(config: &Config, user_home: Option<&Path>) -> EmailPolicy {
    EmailPolicy {
        outbound: outbound(config, user_home),
        allowed_recipients: config.mouth.email_recipients.clone(),
    }
}

/// Secret values in the credential files under `home`: in key files, the
/// key's lines; elsewhere, the value after the last `=` or `:` of each
/// line (quotes and commas trimmed) when it is one word of at least 16
/// characters. Unreadable, missing, oversized or symlinked files are
/// skipped: this only adds protection.
pub fn known_secrets(home: &Path) -> Vec<KnownSecret> {
    let mut out = Vec::new();
    for rel in CREDENTIAL_FILES {
        let path = home.join(rel);
        if let Some(text) = read_small(&path) {
            let values = values_of(&text);
            if !values.is_empty() {
                out.push(KnownSecret::new(rel.to_string(), values.join("\n")));
            }
        }
    }
    for key in ssh_private_keys(&home.join(SSH_DIR)) {
        if let Some(text) = read_small(&key) {
            let body: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.starts_with("-----") && l.len() >= MIN_VALUE_CHARS)
                .collect();
            if !body.is_empty() {
                let label = format!(
                    "{SSH_DIR}/{}",
                    key.file_name().unwrap_or_default().to_string_lossy()
                );
                out.push(KnownSecret::new(label, body.join("\n")));
            }
        }
    }
    out
}

fn ssh_private_keys(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return Vec::new();
    };
    let mut keys: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("id_") && !n.ends_with(".pub"))
        })
        .take(32)
        .collect();
    keys.sort();
    keys
}

/// A regular file (not a symlink) of at most 64 KiB, as UTF-8 text.
fn read_small(path: &Path) -> Option<String> {
    let meta = fs_err::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut text = String::new();
    fs_err::File::open(path)
        .ok()?
        .take(MAX_FILE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

fn values_of(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let value = line.rsplit(['=', ':']).next()?;
            let value = value
                .trim()
                .trim_matches(|c| matches!(c, '"' | '\'' | ',' | '}' | '{'));
            // A URL with a password (`https://user:token@host`) splits at
            // its last colon; take the part before `@`.
            let value = value.split('@').next().unwrap_or(value);
            (value.chars().count() >= MIN_VALUE_CHARS && !value.contains(char::is_whitespace))
                .then(|| value.to_owned())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_long_words_after_separators() {
        let aws = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n";
        assert_eq!(
            values_of(aws),
            [
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ]
        );
        let gh = "github.com:\n    oauth_token: gho_16C7e42F292c6912E7710c838347Ae178B4a\n    user: alice\n    git_protocol: https\n";
        assert_eq!(values_of(gh), ["gho_16C7e42F292c6912E7710c838347Ae178B4a"]);
        let creds = "https://alice:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com\n";
        assert_eq!(
            values_of(creds),
            ["ghp_abcdefghijklmnopqrstuvwxyz0123456789"]
        );
    }

    #[test]
    fn credential_files_and_private_keys_become_known_secrets() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        fs_err::create_dir_all(h.join(".aws")).unwrap();
        fs_err::write(
            h.join(".aws/credentials"),
            "[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        )
        .unwrap();
        fs_err::create_dir_all(h.join(".ssh")).unwrap();
        fs_err::write(
            h.join(".ssh/id_ed25519"),
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n-----END OPENSSH PRIVATE KEY-----\n",
        )
        .unwrap();
        fs_err::write(
            h.join(".ssh/id_ed25519.pub"),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPublicPublicPublic a@b\n",
        )
        .unwrap();
        let known = known_secrets(h);
        let labels: Vec<&str> = known.iter().map(KnownSecret::label).collect();
        assert_eq!(labels, [".aws/credentials", ".ssh/id_ed25519"]);
        let policy = OutboundPolicy {
            known_secrets: known,
            ..OutboundPolicy::default()
        };
        let verdict = |text: &str| {
            agent_mouth::outbound::validate_outbound(
                &agent_mouth::outbound::OutboundMessage {
                    channel: agent_mouth::outbound::OutChannel::Slack,
                    text: text.into(),
                },
                &policy,
            )
            .verdict
            .decision
        };
        assert_eq!(
            verdict("the key is b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB ok"),
            autonomic_core::Decision::Deny
        );
        assert_eq!(verdict("deploy finished"), autonomic_core::Decision::Allow);
    }

    #[test]
    fn symlinked_and_oversized_files_are_skipped() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let outside = tempfile::NamedTempFile::new().unwrap();
        fs_err::write(outside.path(), "token = ABCDEFGHIJKLMNOPQRSTUVWXYZ012345\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), h.join(".netrc")).unwrap();
        fs_err::write(h.join(".npmrc"), "x".repeat(70 * 1024)).unwrap();
        assert!(known_secrets(h).is_empty());
    }
}
