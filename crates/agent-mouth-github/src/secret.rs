//! The GitHub token in a type that redacts itself: it prints as its prefix
//! and `…[redacted]`, never its value, and only this crate's HTTP code
//! reads the value (for the `Authorization` header).

use std::fmt;

/// Why a string was refused as a GitHub token. Never holds the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not one of GitHub's token prefixes.
    #[error("not a GitHub token (expected a ghp_, gho_, ghu_, ghs_, ghr_ or github_pat_ prefix)")]
    UnknownPrefix,
    /// The prefix is right but what follows is not a token's shape (too
    /// short, too long, or characters other than letters, digits and `_`).
    #[error("a GitHub {0} token of the wrong shape")]
    Malformed(TokenKind),
}

/// The kinds of GitHub token, by prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `ghp_`: a classic personal access token.
    Personal,
    /// `github_pat_`: a fine-grained personal access token.
    FineGrained,
    /// `gho_`: an OAuth app token.
    OAuth,
    /// `ghu_`: a GitHub App user-to-server token.
    UserToServer,
    /// `ghs_`: a GitHub App installation (server-to-server) token.
    Installation,
    /// `ghr_`: a GitHub App refresh token.
    Refresh,
}

impl TokenKind {
    const ALL: [TokenKind; 6] = [
        TokenKind::FineGrained,
        TokenKind::Personal,
        TokenKind::OAuth,
        TokenKind::UserToServer,
        TokenKind::Installation,
        TokenKind::Refresh,
    ];

    /// The token's prefix (`ghp_`).
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Personal => "ghp_",
            TokenKind::FineGrained => "github_pat_",
            TokenKind::OAuth => "gho_",
            TokenKind::UserToServer => "ghu_",
            TokenKind::Installation => "ghs_",
            TokenKind::Refresh => "ghr_",
        }
    }

    /// Shortest value after the prefix: 36 for the classic shapes (30
    /// characters and a 6-character checksum), 82 for fine-grained ones.
    fn min_len(self) -> usize {
        match self {
            TokenKind::FineGrained => 82,
            _ => 36,
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// Longest token accepted (GitHub documents tokens of up to 255 characters).
const MAX_TOKEN_LEN: usize = 255;

/// A GitHub token. Prints as `ghp_…[redacted]`.
///
/// # Examples
///
/// ```
/// use agent_mouth_github::{GitHubToken, TokenKind};
///
/// let t = GitHubToken::new("ghs_ExampleExampleExampleExampleExample1").unwrap();
/// assert_eq!(t.kind(), TokenKind::Installation);
/// assert_eq!(format!("{t}"), "ghs_…[redacted]");
/// assert_eq!(format!("{t:?}"), "GitHubToken(ghs_…[redacted])");
/// assert!(GitHubToken::new("xoxb-1-2-3").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct GitHubToken {
    kind: TokenKind,
    value: String,
}

impl GitHubToken {
    /// A token from its value.
    ///
    /// # Errors
    ///
    /// [`TokenError`] when the prefix is not GitHub's or the rest is not a
    /// token's shape; the error never repeats the value.
    pub fn new(value: &str) -> Result<Self, TokenError> {
        let kind = TokenKind::ALL
            .into_iter()
            .find(|k| value.starts_with(k.prefix()))
            .ok_or(TokenError::UnknownPrefix)?;
        let rest = &value[kind.prefix().len()..];
        let shaped = rest.len() >= kind.min_len()
            && value.len() <= MAX_TOKEN_LEN
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !shaped {
            return Err(TokenError::Malformed(kind));
        }
        Ok(Self {
            kind,
            value: value.to_owned(),
        })
    }

    /// The token's kind.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The value, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for GitHubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…[redacted]", self.kind.prefix())
    }
}

impl fmt::Debug for GitHubToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitHubToken({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &str = "SECRETzQWBuTSOoRi4A9spHcVY5ncnsDkxk";

    #[test]
    fn every_kind_is_recognised_and_never_printed() {
        let fine = format!(
            "github_pat_11ABCDEFG0{}_{}",
            "a".repeat(12),
            "SECRET".repeat(10)
        );
        for (value, kind) in [
            (format!("ghp_{CLASSIC}J"), TokenKind::Personal),
            (format!("gho_{CLASSIC}J"), TokenKind::OAuth),
            (format!("ghu_{CLASSIC}J"), TokenKind::UserToServer),
            (format!("ghs_{CLASSIC}J"), TokenKind::Installation),
            (format!("ghr_{CLASSIC}J"), TokenKind::Refresh),
            (fine, TokenKind::FineGrained),
        ] {
            let t = GitHubToken::new(&value).unwrap();
            assert_eq!(t.kind(), kind);
            assert_eq!(t.expose(), value);
            for shown in [format!("{t}"), format!("{t:?}"), format!("{:?}", Some(&t))] {
                assert!(!shown.contains("SECRET"), "{shown}");
                assert!(shown.contains(&format!("{}…[redacted]", kind.prefix())));
            }
        }
    }

    #[test]
    fn bad_tokens_are_refused_without_echo() {
        assert_eq!(GitHubToken::new(""), Err(TokenError::UnknownPrefix));
        assert_eq!(
            GitHubToken::new("xoxb-SECRET"),
            Err(TokenError::UnknownPrefix)
        );
        assert_eq!(
            GitHubToken::new("ghp_SECRET"),
            Err(TokenError::Malformed(TokenKind::Personal))
        );
        let spaced = format!("ghp_{CLASSIC} x");
        assert_eq!(
            GitHubToken::new(&spaced),
            Err(TokenError::Malformed(TokenKind::Personal))
        );
        let long = format!("ghp_{}", "a".repeat(300));
        assert!(GitHubToken::new(&long).is_err());
        let e = GitHubToken::new("ghp_SECRET").unwrap_err().to_string();
        assert!(!e.contains("SECRET"), "{e}");
    }
}
