//! The result types of a validation: spans, findings and the verdict.

use autonomic_core::Decision;
use serde::{Deserialize, Serialize};

/// The source language of a command handed to the validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// A POSIX/bash shell command line or script.
    Bash,
    /// Python source.
    Python,
    /// TypeScript (and therefore JavaScript) source.
    Typescript,
}

impl Lang {
    /// The lowercase name used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Bash => "bash",
            Lang::Python => "python",
            Lang::Typescript => "typescript",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "bash" | "sh" | "shell" => Ok(Lang::Bash),
            "python" | "py" => Ok(Lang::Python),
            "typescript" | "ts" | "javascript" | "js" => Ok(Lang::Typescript),
            other => Err(format!(
                "unknown language `{other}` (expected bash, python or typescript)"
            )),
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding sits in the validated source.
///
/// `start`/`end` are byte offsets into the source exactly as it was given;
/// `line`/`col` are 1-based, `col` counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column (in characters) of `start`.
    pub col: usize,
}

impl Span {
    /// Builds a span over `source[start..end]`, computing line and column.
    pub fn new(source: &str, start: usize, end: usize) -> Span {
        let start = floor_char_boundary(source, start.min(source.len()));
        let end = floor_char_boundary(source, end.clamp(start, source.len()));
        let before = &source[..start];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = source[line_start..start].chars().count() + 1;
        Span {
            start,
            end,
            line,
            col,
        }
    }
}

pub(crate) fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One rule that matched, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule identifier, e.g. `bash.download_exec`.
    pub rule_id: String,
    /// What this finding alone decides.
    pub decision: Decision,
    /// Why, in words a person understands.
    pub message: String,
    /// Where in the source.
    pub span: Span,
    /// The source text under the span (shortened when long).
    pub snippet: String,
}

/// The validator's answer for one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The strictest decision over all findings (`allow` when there are none).
    pub decision: Decision,
    /// Every finding, in source order.
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// True when the command may run without a human.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    /// How much is at stake, for a human deciding (the seed's "Risk level"
    /// in an approval request), from what the findings say it does.
    pub fn risk(&self) -> Risk {
        self.findings
            .iter()
            .map(|f| Risk::of(&f.rule_id, f.decision))
            .max()
            .unwrap_or(Risk::Low)
    }
}

/// How much is at stake if a command runs: `low` (nothing found),
/// `medium` (a review for something ordinary, e.g. a force push),
/// `high` (denied, or a review of a write to a trusted file, credentials,
/// data leaving, privilege, persistence), `critical` (denied for running
/// downloaded or decoded code, a reverse shell, destruction, credential
/// theft, persistence, privilege or an agent's own safety being disabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Nothing found.
    Low,
    /// An ordinary operation a human should confirm.
    Medium,
    /// Denied, or a review of something sensitive.
    High,
    /// Denied for an effect that compromises the machine or its data.
    Critical,
}

impl Risk {
    /// Every level, lowest first.
    pub const ALL: [Risk; 4] = [Risk::Low, Risk::Medium, Risk::High, Risk::Critical];

    /// The risk one finding of `rule_id` with `decision` carries.
    pub fn of(rule_id: &str, decision: Decision) -> Risk {
        const CRITICAL: &[&str] = &[
            "reverse-shell",
            "download-exec",
            "pipe-to-shell",
            "decode-exec",
            "destructive",
            "credentials",
            "persistence",
            "privilege",
            "agent",
            "offensive",
        ];
        const SENSITIVE: &[&str] = &[
            "credentials",
            "exfiltration",
            "persistence",
            "privilege",
            "trusted-file",
            "destructive",
            "supply-chain",
            "hijack",
            "shell-escape",
        ];
        let family = crate::catalog::find(rule_id).map_or("user", |r| r.family);
        match decision {
            Decision::Allow => Risk::Low,
            Decision::Deny if CRITICAL.contains(&family) => Risk::Critical,
            Decision::Deny => Risk::High,
            Decision::Review if SENSITIVE.contains(&family) => Risk::High,
            Decision::Review => Risk::Medium,
        }
    }

    /// `low`, `medium`, `high`, `critical`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Risk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Verdict {
    /// Text output for `source` (the text this verdict is about): the decision, then each finding with the command line and
    /// a caret under the span.
    pub fn render(&self, source: &str) -> String {
        let verdict = self;
        let mut out = String::new();
        let n = verdict.findings.len();
        out.push_str(&format!(
            "{}: {} finding{}\n",
            verdict.decision,
            n,
            if n == 1 { "" } else { "s" }
        ));
        let lines: Vec<&str> = source.split('\n').collect();
        for f in &verdict.findings {
            out.push_str(&format!("\n{}[{}]: {}\n", f.decision, f.rule_id, f.message));
            let line_no = f.span.line;
            let Some(line) = lines.get(line_no - 1) else {
                continue;
            };
            let gutter = line_no.to_string().len();
            out.push_str(&format!(
                "{:gutter$} --> line {}, column {}\n",
                "", line_no, f.span.col
            ));
            out.push_str(&format!("{:gutter$} |\n", ""));
            let shown: String = line
                .chars()
                .take(200)
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            out.push_str(&format!("{line_no} | {shown}\n"));
            let col = f.span.col - 1;
            let span_chars = source[f.span.start..f.span.end]
                .chars()
                .take_while(|&c| c != '\n')
                .count()
                .max(1);
            let width = span_chars.min(200usize.saturating_sub(col)).max(1);
            out.push_str(&format!(
                "{:gutter$} | {}{}\n",
                "",
                " ".repeat(col.min(200)),
                "^".repeat(width)
            ));
        }
        out
    }
}
