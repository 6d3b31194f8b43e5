//! The built-in rule catalog: every rule's id, family, decision and reason,
//! with examples that must and must not trigger it (checked by the tests).

use autonomic_core::Decision;

/// Metadata for one built-in rule. The matching logic lives in the
/// language modules; this is the reviewed, documented part.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable id, `<lang|family>.<name>`.
    pub id: &'static str,
    /// Rule family (for grouping in docs and output).
    pub family: &'static str,
    /// What a match decides.
    pub decision: Decision,
    /// Locked rules implement the seed's blocklist (or parse failure): a
    /// user `allow` rule can never re-allow what they reject.
    pub locked: bool,
    /// Why the rule exists.
    pub reason: &'static str,
    /// Language of the examples.
    pub lang: crate::Lang,
    /// Sources that must produce a finding with this id.
    pub must_match: &'static [&'static str],
    /// Sources that must not produce a finding with this id.
    pub must_not_match: &'static [&'static str],
}

macro_rules! rules {
    ($( $konst:ident = { $id:literal, $family:literal, $dec:ident, locked: $locked:literal, $lang:ident,
        $reason:literal, match: [$($m:literal),* $(,)?], no_match: [$($n:literal),* $(,)?] } )*) => {
        $(
            #[doc = $reason]
            pub const $konst: &RuleMeta = &RuleMeta {
                id: $id,
                family: $family,
                decision: Decision::$dec,
                locked: $locked,
                reason: $reason,
                lang: crate::Lang::$lang,
                must_match: &[$($m),*],
                must_not_match: &[$($n),*],
            };
        )*
        /// Every built-in rule.
        pub const ALL: &[&RuleMeta] = &[$($konst),*];
    };
}

include!("catalog_rules.rs");

/// Looks a built-in rule up by id.
pub fn find(id: &str) -> Option<&'static RuleMeta> {
    ALL.iter().copied().find(|r| r.id == id)
}
