//! The validator: its entry points, input limits, and the final
//! combination of findings (built-in and user rules) into a verdict.
//! Parsing lives in `syntax`, the analysis state in `context`.

use autonomic_core::Decision;

use crate::catalog;
use crate::context::{analyze_source, Ctx, RawFinding, SpanMap};
use crate::syntax::Parsers;
use crate::user_rules::UserRules;
use crate::verdict::{Finding, Lang, Span, Verdict};

/// Largest source accepted (bytes). Larger input is denied, not parsed.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;

/// A reusable validator: parsers are created once; rules are fixed at
/// construction.
pub struct Validator {
    parsers: Parsers,
    user: UserRules,
    unknown: crate::programs::UnknownPrograms,
}

impl Default for Validator {
    fn default() -> Self {
        Validator::new(UserRules::default())
    }
}

impl Validator {
    /// A validator with the built-in rules plus `user` rules.
    pub fn new(user: UserRules) -> Validator {
        Validator {
            parsers: Parsers::new(),
            user,
            unknown: crate::programs::UnknownPrograms::default(),
        }
    }

    /// The same validator with another policy for programs nothing knows
    /// (`[mouth] unknown_programs`).
    pub fn with_unknown_programs(mut self, policy: crate::programs::UnknownPrograms) -> Validator {
        self.unknown = policy;
        self
    }

    /// Validates raw bytes: invalid UTF-8 is denied with its offset.
    pub fn validate_bytes(&mut self, lang: Lang, source: &[u8]) -> Verdict {
        match std::str::from_utf8(source) {
            Ok(s) => self.validate(lang, s),
            Err(e) => {
                let lossy = String::from_utf8_lossy(source);
                let at = e.valid_up_to();
                let at = lossy.len().min(at);
                let finding = Finding {
                    rule_id: catalog::INPUT_INVALID_UTF8.id.to_string(),
                    decision: Decision::Deny,
                    message: format!("input is not valid UTF-8 (first bad byte at offset {at})"),
                    span: Span::new(&lossy, at, at + 1),
                    snippet: String::new(),
                };
                Verdict {
                    decision: Decision::Deny,
                    findings: vec![finding],
                }
            }
        }
    }

    /// Validates `source` as `lang`.
    pub fn validate(&mut self, lang: Lang, source: &str) -> Verdict {
        let (raw, seen) = self.analyze(lang, source);
        finish(source, raw, &self.user, lang, &seen)
    }

    /// [`Validator::validate`] and [`Validator::commands`] from one
    /// analysis (one parse): what a caller that judges a command and then
    /// reads its programs (agent-spine's install checks) needs.
    pub fn validate_with_commands(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> (Verdict, Result<Vec<crate::Command>, crate::CommandsError>) {
        let (raw, seen) = self.analyze(lang, source);
        let commands = crate::commands::from_analysis(lang, source, &raw, seen.clone());
        let verdict = finish(source, raw, &self.user, lang, &seen);
        (verdict, commands)
    }

    /// The programs `source` runs (see [`crate::commands`]).
    pub fn commands(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> Result<Vec<crate::Command>, crate::CommandsError> {
        let (raw, seen) = self.analyze(lang, source);
        crate::commands::from_analysis(lang, source, &raw, seen)
    }

    /// The built-in analysis of `source`: raw findings and every program
    /// invocation seen (before user rules).
    fn analyze(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> (Vec<RawFinding>, Vec<crate::user_rules::SeenInvocation>) {
        let mut ctx = Ctx {
            parsers: &mut self.parsers,
            findings: Vec::new(),
            nesting: 0,
            invocations: Vec::new(),
            unknown: self.unknown,
        };
        let identity = SpanMap::Shifted(Vec::new());
        if source.len() > MAX_SOURCE_BYTES {
            ctx.report(
                &identity,
                catalog::INPUT_TOO_LARGE,
                0..0,
                format!(
                    "input is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                    source.len()
                ),
            );
        } else if source.contains('\0') {
            let at = source.find('\0').unwrap_or(0);
            ctx.report(
                &identity,
                catalog::INPUT_NUL_BYTE,
                at..at + 1,
                "input contains a NUL byte, which a shell silently drops",
            );
        } else {
            if let Some((at, ch)) = source.char_indices().find(|(_, c)| is_invisible(*c)) {
                ctx.report(
                    &identity,
                    catalog::INPUT_INVISIBLE,
                    at..at + ch.len_utf8(),
                    format!("contains the invisible or direction-changing character U+{:04X}, so what a reviewer sees differs from what runs", ch as u32),
                );
            }
            analyze_source(&mut ctx, lang, source, &identity);
        }
        (ctx.findings, ctx.invocations)
    }
}

pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn finish(
    source: &str,
    raw: Vec<RawFinding>,
    user: &UserRules,
    lang: Lang,
    seen: &[crate::user_rules::SeenInvocation],
) -> Verdict {
    let mut findings: Vec<Finding> = raw
        .into_iter()
        .map(|f| {
            let span = Span::new(source, f.range.start, f.range.end);
            Finding {
                rule_id: f.rule.id.to_string(),
                decision: f.rule.decision,
                message: f.message,
                snippet: snippet(source, &span),
                span,
            }
        })
        .collect();
    user.apply(lang, source, &mut findings, seen);
    findings.sort_by(|a, b| {
        (a.span.start, a.span.end, &a.rule_id).cmp(&(b.span.start, b.span.end, &b.rule_id))
    });
    let decision = findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    Verdict { decision, findings }
}

fn snippet(source: &str, span: &Span) -> String {
    let text = &source[span.start..span.end];
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

thread_local! {
    static DEFAULT: std::cell::RefCell<Validator> = std::cell::RefCell::new(Validator::default());
}

/// Validates `source` as `lang` with the built-in rules, reusing this
/// thread's parsers.
pub fn validate(lang: Lang, source: &str) -> Verdict {
    DEFAULT.with(|v| v.borrow_mut().validate(lang, source))
}

/// The programs `source` runs, with this thread's parsers (see
/// [`crate::commands`]).
pub(crate) fn commands(
    lang: Lang,
    source: &str,
) -> Result<Vec<crate::Command>, crate::CommandsError> {
    DEFAULT.with(|v| v.borrow_mut().commands(lang, source))
}
