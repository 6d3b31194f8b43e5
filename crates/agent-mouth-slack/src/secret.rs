//! Secrets in types that redact themselves: a token or signing secret prints
//! as its kind and `[redacted]`, never its value, and only this crate's HTTP
//! and signing code can read the value.

use std::fmt;

/// Why a string was refused as a token or secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The token does not start with `xoxb-` or `xapp-`.
    #[error("not a Slack bot (`xoxb-`) or app-level (`xapp-`) token")]
    UnknownPrefix,
    /// The token was the wrong kind for its use (a bot token where an
    /// app-level token is needed, or the reverse).
    #[error("expected a Slack {expected} token, got a {got} token")]
    WrongKind {
        /// The kind needed.
        expected: TokenKind,
        /// The kind given.
        got: TokenKind,
    },
    /// Nothing after the prefix, or characters no token contains
    /// (whitespace, control characters).
    #[error("the {0} is empty or contains whitespace or control characters")]
    Malformed(&'static str),
}

/// The two kinds of Slack token this crate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `xoxb-`: calls the Web API as the bot user.
    Bot,
    /// `xapp-`: opens Socket Mode connections (`apps.connections.open`).
    App,
}

impl TokenKind {
    /// The token's prefix, including the dash.
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Bot => "xoxb-",
            TokenKind::App => "xapp-",
        }
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::Bot => "bot (xoxb-)",
            TokenKind::App => "app-level (xapp-)",
        })
    }
}

/// A Slack bot (`xoxb-`) or app-level (`xapp-`) token. Prints as
/// `xoxb-…[redacted]`.
///
/// # Examples
///
/// ```
/// use agent_mouth_slack::{SlackToken, TokenKind};
///
/// let t = SlackToken::new("xoxb-1234-5678-abcdef").unwrap();
/// assert_eq!(t.kind(), TokenKind::Bot);
/// assert_eq!(format!("{t}"), "xoxb-…[redacted]");
/// assert_eq!(format!("{t:?}"), "SlackToken(xoxb-…[redacted])");
/// assert!(SlackToken::new("ghp_abc").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SlackToken {
    kind: TokenKind,
    value: String,
}

impl SlackToken {
    /// A token from its value, which must start with `xoxb-` or `xapp-`.
    ///
    /// # Errors
    ///
    /// [`SecretError`] when the prefix is neither, nothing follows it, or the
    /// value contains whitespace or control characters.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        let kind = [TokenKind::Bot, TokenKind::App]
            .into_iter()
            .find(|k| value.starts_with(k.prefix()))
            .ok_or(SecretError::UnknownPrefix)?;
        if value.len() == kind.prefix().len() || !printable(value) {
            return Err(SecretError::Malformed("token"));
        }
        Ok(Self {
            kind,
            value: value.to_owned(),
        })
    }

    /// A token that must be of the given kind.
    ///
    /// # Errors
    ///
    /// As [`SlackToken::new`], and [`SecretError::WrongKind`].
    pub fn of_kind(value: &str, expected: TokenKind) -> Result<Self, SecretError> {
        let token = Self::new(value)?;
        if token.kind != expected {
            return Err(SecretError::WrongKind {
                expected,
                got: token.kind,
            });
        }
        Ok(token)
    }

    /// Bot or app-level.
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// The value, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…[redacted]", self.kind.prefix())
    }
}

impl fmt::Debug for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SlackToken({self})")
    }
}

/// An app's signing secret, for verifying requests Slack sends to a request
/// URL. Prints as `[redacted]`.
///
/// # Examples
///
/// ```
/// use agent_mouth_slack::SigningSecret;
///
/// let s = SigningSecret::new("8f742231b10e8888abcd99yyyzzz85a5").unwrap();
/// assert_eq!(format!("{s} {s:?}"), "[redacted] SigningSecret([redacted])");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// A signing secret from its value (Slack shows it under the app's
    /// Basic Information).
    ///
    /// # Errors
    ///
    /// [`SecretError::Malformed`] when empty or containing whitespace or
    /// control characters.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        if value.is_empty() || !printable(value) {
            return Err(SecretError::Malformed("signing secret"));
        }
        Ok(Self(value.to_owned()))
    }

    /// The value, for the signature check only.
    pub(crate) fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

fn printable(s: &str) -> bool {
    !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_recognised_by_prefix_and_never_printed() {
        let bot = SlackToken::new("xoxb-111-222-SECRETVALUE").unwrap();
        let app = SlackToken::new("xapp-1-A111-222-SECRETVALUE").unwrap();
        assert_eq!(bot.kind(), TokenKind::Bot);
        assert_eq!(app.kind(), TokenKind::App);
        for shown in [
            format!("{bot}"),
            format!("{bot:?}"),
            format!("{app}"),
            format!("{app:?}"),
            format!("{:?}", Some(&bot)),
        ] {
            assert!(!shown.contains("SECRETVALUE"), "{shown}");
            assert!(shown.contains("…[redacted]"), "{shown}");
        }
        assert_eq!(bot.to_string(), "xoxb-…[redacted]");
        assert_eq!(app.to_string(), "xapp-…[redacted]");
        assert_eq!(bot.expose(), "xoxb-111-222-SECRETVALUE");
    }

    #[test]
    fn bad_tokens_are_refused() {
        assert_eq!(SlackToken::new("xoxp-123"), Err(SecretError::UnknownPrefix));
        assert_eq!(SlackToken::new(""), Err(SecretError::UnknownPrefix));
        assert_eq!(
            SlackToken::new("xoxb-"),
            Err(SecretError::Malformed("token"))
        );
        assert_eq!(
            SlackToken::new("xoxb-123\n"),
            Err(SecretError::Malformed("token"))
        );
        assert_eq!(
            SlackToken::of_kind("xoxb-123", TokenKind::App),
            Err(SecretError::WrongKind {
                expected: TokenKind::App,
                got: TokenKind::Bot
            })
        );
        assert!(SlackToken::of_kind("xapp-123", TokenKind::App).is_ok());
    }

    #[test]
    fn signing_secret_is_redacted() {
        let s = SigningSecret::new("abcdef0123").unwrap();
        assert_eq!(s.to_string(), "[redacted]");
        assert!(!format!("{s:?}").contains("abcdef"));
        assert_eq!(s.expose(), b"abcdef0123");
        assert!(SigningSecret::new("").is_err());
        assert!(SigningSecret::new("a b").is_err());
    }
}
