//! The SMTP password in a type that redacts itself: it prints as
//! `[redacted]` in `Display` and `Debug` (so in logs, errors and the audit
//! chain), and only this crate's AUTH step reads the value.

use std::fmt;

/// Why a string was refused as a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Empty, or containing a line break or other control character (which
    /// no SMTP AUTH exchange can carry).
    #[error("the SMTP password is empty or contains control characters")]
    Malformed,
}

/// An SMTP AUTH password (or app password, or relay token). Read by the
/// caller from the environment variable its configuration names; this
/// crate never reads the environment. Prints as `[redacted]`.
///
/// # Examples
///
/// ```
/// use agent_mouth_email::SmtpPassword;
///
/// let p = SmtpPassword::new("correct horse battery staple").unwrap();
/// assert_eq!(format!("{p} {p:?}"), "[redacted] SmtpPassword([redacted])");
/// assert!(SmtpPassword::new("").is_err());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    /// A password from its value. Spaces are allowed (app passwords have
    /// them); control characters are not.
    ///
    /// # Errors
    ///
    /// [`SecretError::Malformed`] when empty or containing a control
    /// character.
    pub fn new(value: &str) -> Result<Self, SecretError> {
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(SecretError::Malformed);
        }
        Ok(Self(value.to_owned()))
    }

    /// The value, for SMTP AUTH only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmtpPassword([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let p = SmtpPassword::new("hunter2-SECRET").unwrap();
        for shown in [
            format!("{p}"),
            format!("{p:?}"),
            format!("{p:#?}"),
            format!("{:?}", Some(&p)),
        ] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        assert_eq!(p.expose(), "hunter2-SECRET");
    }

    #[test]
    fn malformed_is_refused() {
        assert_eq!(SmtpPassword::new(""), Err(SecretError::Malformed));
        assert_eq!(SmtpPassword::new("a\r\nb"), Err(SecretError::Malformed));
        assert_eq!(SmtpPassword::new("a\0"), Err(SecretError::Malformed));
        assert!(SmtpPassword::new("abcd efgh ijkl mnop").is_ok());
    }
}
