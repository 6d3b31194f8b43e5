//! What a fact is, where it belongs, and who may see it.

use std::fmt;

use time::OffsetDateTime;

use crate::error::FactError;

/// Longest fact content accepted, in bytes.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;
/// Longest project name, session id, subject key, source or tag, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Most tags on one fact.
pub const MAX_TAGS: usize = 32;

/// The three kinds of scope a fact can live in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    /// Seen by every task.
    Global,
    /// Seen by the tasks of one project.
    Project,
    /// Seen by the tasks of one session of one project.
    Session,
}

impl ScopeKind {
    /// All kinds, in storage order.
    pub const ALL: [ScopeKind; 3] = [ScopeKind::Global, ScopeKind::Project, ScopeKind::Session];

    /// `global`, `project` or `session`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::Global => "global",
            ScopeKind::Project => "project",
            ScopeKind::Session => "session",
        }
    }

    pub(crate) fn code(self) -> i64 {
        match self {
            ScopeKind::Global => 0,
            ScopeKind::Project => 1,
            ScopeKind::Session => 2,
        }
    }

    pub(crate) fn from_code(code: i64) -> Option<ScopeKind> {
        match code {
            0 => Some(ScopeKind::Global),
            1 => Some(ScopeKind::Project),
            2 => Some(ScopeKind::Session),
            _ => None,
        }
    }
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a fact lives. A session belongs to a project: the same session id
/// under two projects is two different scopes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every task sees it.
    Global,
    /// Tasks of this project see it.
    Project(String),
    /// Tasks of this session of this project see it.
    Session {
        /// The project the session belongs to.
        project: String,
        /// The session id.
        session: String,
    },
}

impl Scope {
    /// The kind of this scope.
    pub fn kind(&self) -> ScopeKind {
        match self {
            Scope::Global => ScopeKind::Global,
            Scope::Project(_) => ScopeKind::Project,
            Scope::Session { .. } => ScopeKind::Session,
        }
    }

    /// The stored `(project, session)` columns; empty strings where unused.
    pub(crate) fn columns(&self) -> (&str, &str) {
        match self {
            Scope::Global => ("", ""),
            Scope::Project(project) => (project, ""),
            Scope::Session { project, session } => (project, session),
        }
    }

    /// Checks the names a scope is made of.
    pub fn validate(&self) -> Result<(), FactError> {
        match self {
            Scope::Global => Ok(()),
            Scope::Project(project) => check_name("project", project),
            Scope::Session { project, session } => {
                check_name("project", project)?;
                check_name("session", session)
            }
        }
    }
}

/// Who is asking: the task's project and, optionally, its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContext {
    /// The project the task works on.
    pub project: String,
    /// The session the task runs in, if any.
    pub session: Option<String>,
}

impl TaskContext {
    /// A task of `project`, outside any session.
    pub fn project(project: impl Into<String>) -> TaskContext {
        TaskContext {
            project: project.into(),
            session: None,
        }
    }

    /// A task of `session` under `project`.
    pub fn session(project: impl Into<String>, session: impl Into<String>) -> TaskContext {
        TaskContext {
            project: project.into(),
            session: Some(session.into()),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), FactError> {
        check_name("project", &self.project)?;
        if let Some(session) = &self.session {
            check_name("session", session)?;
        }
        Ok(())
    }
}

/// A fact to remember.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFact {
    /// Where it lives.
    pub scope: Scope,
    /// What is known, in words a task can use.
    pub content: String,
    /// A key naming what the fact is about (`build.command`): a newer fact
    /// with the same scope and subject supersedes the older one.
    pub subject: Option<String>,
    /// How sure the source is, 0 to 1.
    pub confidence: f64,
    /// From when the fact holds; `None` means since always.
    pub valid_from: Option<OffsetDateTime>,
    /// From when it no longer holds; `None` means until further notice.
    pub invalid_at: Option<OffsetDateTime>,
    /// Who said so (`cli`, `agent:planner`, …).
    pub source: String,
    /// Free labels, searched together with the content.
    pub tags: Vec<String>,
}

impl NewFact {
    /// A fact with confidence 1, no subject, always valid, source `cli`.
    pub fn new(scope: Scope, content: impl Into<String>) -> NewFact {
        NewFact {
            scope,
            content: content.into(),
            subject: None,
            confidence: 1.0,
            valid_from: None,
            invalid_at: None,
            source: "cli".to_owned(),
            tags: Vec::new(),
        }
    }

    /// Refuses a fact that could not be stored faithfully.
    pub fn validate(&self) -> Result<(), FactError> {
        self.scope.validate()?;
        if self.content.trim().is_empty() {
            return Err(FactError::EmptyContent);
        }
        if self.content.len() > MAX_CONTENT_BYTES {
            return Err(FactError::ContentTooLong {
                bytes: self.content.len(),
                max: MAX_CONTENT_BYTES,
            });
        }
        if self.content.contains('\0') {
            return Err(FactError::Nul { field: "content" });
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(FactError::Confidence {
                value: self.confidence,
            });
        }
        if let (Some(from), Some(until)) = (self.valid_from, self.invalid_at) {
            if until <= from {
                return Err(FactError::EmptyValidity {
                    valid_from: rfc3339(from),
                    invalid_at: rfc3339(until),
                });
            }
        }
        if let Some(subject) = &self.subject {
            check_name("subject", subject)?;
        }
        check_name("source", &self.source)?;
        if self.tags.len() > MAX_TAGS {
            return Err(FactError::TooManyTags {
                count: self.tags.len(),
                max: MAX_TAGS,
            });
        }
        for tag in &self.tags {
            check_name("tag", tag)?;
            if tag.chars().any(char::is_whitespace) {
                return Err(FactError::BadName {
                    field: "tag",
                    value: tag.clone(),
                    reason: "a tag is one word: no whitespace",
                });
            }
        }
        Ok(())
    }
}

fn check_name(field: &'static str, value: &str) -> Result<(), FactError> {
    let reason = if value.trim().is_empty() {
        "must not be empty"
    } else if value.len() > MAX_NAME_BYTES {
        "is longer than 256 bytes"
    } else if value.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(());
    };
    Err(FactError::BadName {
        field,
        value: value.chars().take(64).collect(),
        reason,
    })
}

/// Milliseconds since the Unix epoch, the stored form of every time.
pub(crate) fn millis(at: OffsetDateTime) -> i64 {
    let nanos = at.unix_timestamp_nanos() / 1_000_000;
    i64::try_from(nanos).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

/// The inverse of [`millis`], saturating at the representable range.
pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(if ms < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        time::macros::datetime!(9999-12-31 23:59:59 UTC)
    })
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}
