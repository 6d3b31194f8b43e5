//! Mass mentions: Slack's `<!channel>`, `<!here>`, `<!everyone>` (with or
//! without a `|label`), user-group mentions `<!subteam^ID>`, and the plain
//! `@channel`, `@here`, `@everyone`, word-bounded so an address such as
//! `user@here.com` is not one; on GitHub also team mentions `@org/team`
//! outside code spans and fenced blocks (GitHub does not mention inside
//! code). Whether they are allowed is the policy's (`allow_mass_mentions`);
//! this module only finds them.

use super::rules::{self, OutboundRule};
use super::scan::{find_all_ci, Hit};

/// Longest `<!…>` looked at.
const MAX_SPECIAL: usize = 256;

pub(crate) fn scan(text: &str, out: &mut Vec<Hit>) {
    slack_specials(text, out);
    plain(text, out);
}

fn rule_for(name: &str) -> Option<OutboundRule> {
    match name.to_ascii_lowercase().as_str() {
        "channel" => Some(rules::MENTION_CHANNEL),
        "here" => Some(rules::MENTION_HERE),
        "everyone" => Some(rules::MENTION_EVERYONE),
        _ => None,
    }
}

fn mention(rule: OutboundRule, range: std::ops::Range<usize>, what: &str) -> Hit {
    Hit {
        rule,
        range,
        hide: None,
        detail: format!("`{what}`"),
    }
}

fn slack_specials(text: &str, out: &mut Vec<Hit>) {
    for (at, _) in text.match_indices("<!") {
        let rest = &text[at + 2..];
        let Some(close) = rest.bytes().take(MAX_SPECIAL).position(|b| b == b'>') else {
            continue;
        };
        let inner = &rest[..close];
        let name = inner.split('|').next().unwrap_or_default();
        let range = at..at + 2 + close + 1;
        if let Some(rule) = rule_for(name) {
            out.push(mention(
                rule,
                range,
                &format!("<!{}>", name.to_ascii_lowercase()),
            ));
        } else if name.len() > 8 && name.as_bytes()[..8].eq_ignore_ascii_case(b"subteam^") {
            out.push(mention(rules::MENTION_SUBTEAM, range, "<!subteam^…>"));
        }
    }
}

fn plain(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    for word in ["channel", "here", "everyone"] {
        for at in find_all_ci(text, &format!("@{word}")) {
            let end = at + 1 + word.len();
            let before_ok = at == 0 || !is_address_byte(bytes[at - 1]);
            let after_ok = match bytes.get(end) {
                None => true,
                Some(&b) if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => false,
                Some(b'.' | b'@') => !bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric),
                Some(_) => true,
            };
            if before_ok && after_ok {
                if let Some(rule) = rule_for(word) {
                    out.push(mention(rule, at..end, &format!("@{word}")));
                }
            }
        }
    }
}

/// GitHub team mentions: `@org/team` where `org` is a login (ASCII
/// letters, digits and single inner hyphens, at most 39) and `team` a slug
/// (letters, digits, `-`, `_`, `.`), not inside a code span or block.
pub(crate) fn scan_github_teams(text: &str, out: &mut Vec<Hit>) {
    let bytes = text.as_bytes();
    let code = code_ranges(bytes);
    for (at, _) in text.match_indices('@') {
        if at > 0 && is_address_byte(bytes[at - 1]) {
            continue;
        }
        if code.iter().any(|r| r.contains(&at)) {
            continue;
        }
        let org = bytes[at + 1..]
            .iter()
            .take(40)
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let org_name = &bytes[at + 1..at + 1 + org];
        let login_ok = (1..=39).contains(&org)
            && !org_name.starts_with(b"-")
            && !org_name.ends_with(b"-")
            && !org_name.windows(2).any(|w| w == b"--");
        if !login_ok || bytes.get(at + 1 + org) != Some(&b'/') {
            continue;
        }
        let from = at + 2 + org;
        let team = bytes[from..]
            .iter()
            .take(256)
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            .count();
        let team = team
            - bytes[from..from + team]
                .iter()
                .rev()
                .take_while(|b| **b == b'.')
                .count();
        if team > 0 {
            out.push(mention(rules::MENTION_TEAM, at..from + team, "@org/team"));
        }
    }
}

/// Byte ranges inside Markdown code: a run of N backticks up to the next
/// run of exactly N (inline spans and ``` fences alike).
fn code_ranges(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let run_at = |i: usize| bytes[i..].iter().take_while(|&&b| b == b'`').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run_at(i);
        let mut j = i + n;
        let mut closed = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let m = run_at(j);
                if m == n {
                    closed = Some(j);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                out.push(i..end + n);
                i = end + n;
            }
            None => i += n,
        }
    }
    out
}

/// Bytes that, before an `@`, make it part of an address or a word.
fn is_address_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+' | b'@' | b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<&'static str> {
        let mut out = Vec::new();
        scan(text, &mut out);
        out.iter().map(|h| h.rule.id).collect()
    }

    #[test]
    fn slack_special_mentions() {
        assert_eq!(ids("hey <!channel> look"), ["out.mention.channel"]);
        assert_eq!(ids("<!here|here>"), ["out.mention.here"]);
        assert_eq!(ids("<!HERE>"), ["out.mention.here"]);
        assert_eq!(ids("<!everyone>"), ["out.mention.everyone"]);
        assert_eq!(ids("<!subteam^S0123ABC>"), ["out.mention.subteam"]);
        assert_eq!(ids("<!subteam^S0123ABC|@oncall>"), ["out.mention.subteam"]);
        // A date, not a mention; an unclosed one; an empty group id.
        assert!(ids("<!date^1392734382^{date}|Feb 18>").is_empty());
        assert!(ids("<!channel").is_empty());
        assert!(ids("<!subteam^>").is_empty());
        // Regression: a multi-byte char across byte 8 of the name panicked.
        assert!(ids("<!www.。eyJ>").is_empty());
    }

    #[test]
    fn plain_mentions_are_word_bounded() {
        assert_eq!(ids("@channel deploy done"), ["out.mention.channel"]);
        assert_eq!(ids("ping @here."), ["out.mention.here"]);
        assert_eq!(ids("(@Everyone)"), ["out.mention.everyone"]);
        assert!(ids("mail user@here.com").is_empty());
        assert!(ids("see @here.com").is_empty());
        assert!(ids("@channels and @hereafter").is_empty());
        assert!(ids("npm i @everyone-lib/x").is_empty());
    }

    fn teams(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        scan_github_teams(text, &mut out);
        out.iter()
            .map(|h| text[h.range.clone()].to_owned())
            .collect()
    }

    #[test]
    fn github_team_mentions_outside_code() {
        assert_eq!(teams("cc @acme/security please"), ["@acme/security"]);
        assert_eq!(teams("(@my-org/core-team.)"), ["@my-org/core-team"]);
        assert_eq!(teams("@a/b_c.d"), ["@a/b_c.d"]);
        // Not team mentions: code, addresses, users, bad logins, paths.
        assert!(teams("`npm i @types/node`").is_empty());
        assert!(teams("```\nimport x from '@acme/lib'\n```").is_empty());
        assert!(teams("mail bob@acme/x").is_empty());
        assert!(teams("thanks @octocat").is_empty());
        assert!(teams("@-bad/team @bad-/team @b--d/team").is_empty());
        assert!(teams("src/@acme/x").is_empty());
        assert!(teams("@acme/").is_empty());
        // An unclosed backtick does not hide what follows.
        assert_eq!(teams("a ` b @acme/ops"), ["@acme/ops"]);
    }
}
