//! The outbound rule catalogue: every rule id, what it alone decides and
//! why. Owns the table only; the matching lives in the module named for
//! what it looks at ([`super::tokens`], [`super::structured`],
//! [`super::keyvalue`], [`super::known`], [`super::mentions`],
//! [`super::links`]).

use autonomic_core::Decision;

/// One outbound rule: a stable id, the decision a match carries, and the
/// reason shown to the person reading the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundRule {
    /// Stable identifier, e.g. `out.secret.github_token`.
    pub id: &'static str,
    /// What one match decides on its own.
    pub decision: Decision,
    /// Why, in words; never contains the matched text.
    pub reason: &'static str,
}

const fn rule(id: &'static str, decision: Decision, reason: &'static str) -> OutboundRule {
    OutboundRule {
        id,
        decision,
        reason,
    }
}

use Decision::{Deny, Review};

pub(crate) const TOO_LARGE: OutboundRule = rule(
    "out.too_large",
    Deny,
    "the message is larger than any channel accepts; it was not scanned",
);
pub(crate) const GITHUB_TOKEN: OutboundRule = rule(
    "out.secret.github_token",
    Deny,
    "a GitHub token (prefix, 30 characters and a valid CRC32 checksum)",
);
pub(crate) const GITHUB_PAT: OutboundRule = rule(
    "out.secret.github_pat",
    Deny,
    "a GitHub fine-grained personal access token",
);
pub(crate) const NPM_TOKEN: OutboundRule = rule(
    "out.secret.npm_token",
    Deny,
    "an npm access token (valid CRC32 checksum)",
);
pub(crate) const SLACK_TOKEN: OutboundRule = rule("out.secret.slack_token", Deny, "a Slack token");
pub(crate) const SLACK_WEBHOOK: OutboundRule = rule(
    "out.secret.slack_webhook",
    Deny,
    "a Slack incoming-webhook URL (anyone holding it can post)",
);
pub(crate) const AWS_ACCESS_KEY_ID: OutboundRule =
    rule("out.secret.aws_access_key_id", Deny, "an AWS access key id");
pub(crate) const AWS_SECRET_KEY: OutboundRule = rule(
    "out.secret.aws_secret_key",
    Deny,
    "an AWS secret access key",
);
pub(crate) const PRIVATE_KEY: OutboundRule =
    rule("out.secret.private_key", Deny, "a PEM private key block");
pub(crate) const JWT: OutboundRule = rule(
    "out.secret.jwt",
    Deny,
    "a JSON Web Token (a bearer credential)",
);
pub(crate) const GOOGLE_API_KEY: OutboundRule =
    rule("out.secret.google_api_key", Deny, "a Google API key");
pub(crate) const STRIPE_KEY: OutboundRule = rule(
    "out.secret.stripe_key",
    Deny,
    "a Stripe live secret or restricted key",
);
pub(crate) const OPENAI_KEY: OutboundRule = rule(
    "out.secret.openai_key",
    Deny,
    "an OpenAI-style `sk-` API key",
);
pub(crate) const PYPI_TOKEN: OutboundRule = rule("out.secret.pypi_token", Deny, "a PyPI API token");
pub(crate) const URL_PASSWORD: OutboundRule = rule(
    "out.secret.url_password",
    Deny,
    "a password in a URL's userinfo",
);
pub(crate) const KNOWN_SECRET: OutboundRule = rule(
    "out.secret.known",
    Deny,
    "the content of a file agent-muscle masks",
);
pub(crate) const GENERIC_SECRET: OutboundRule = rule(
    "out.secret.generic",
    Review,
    "a high-entropy value where a credential is expected",
);
pub(crate) const MENTION_CHANNEL: OutboundRule = rule(
    "out.mention.channel",
    Deny,
    "an @channel mass mention (mass mentions are off in the policy)",
);
pub(crate) const MENTION_HERE: OutboundRule = rule(
    "out.mention.here",
    Deny,
    "an @here mass mention (mass mentions are off in the policy)",
);
pub(crate) const MENTION_EVERYONE: OutboundRule = rule(
    "out.mention.everyone",
    Deny,
    "an @everyone mass mention (mass mentions are off in the policy)",
);
pub(crate) const MENTION_SUBTEAM: OutboundRule = rule(
    "out.mention.subteam",
    Deny,
    "a Slack user-group mention (mass mentions are off in the policy)",
);
pub(crate) const MENTION_TEAM: OutboundRule = rule(
    "out.mention.team",
    Deny,
    "a GitHub team mention `@org/team` outside code, which notifies every member \
     (mass mentions are off in the policy; put package names such as `@types/node` in backticks)",
);
pub(crate) const LINK_UNLISTED_HOST: OutboundRule = rule(
    "out.link.unlisted_host",
    Review,
    "a link to a host not in the policy's allowed hosts",
);
pub(crate) const LINK_USERINFO: OutboundRule = rule(
    "out.link.userinfo",
    Review,
    "a link with userinfo before its host, which hides where it goes",
);
pub(crate) const LINK_DANGEROUS_SCHEME: OutboundRule = rule(
    "out.link.dangerous_scheme",
    Deny,
    "a `javascript:`, `vbscript:`, `data:` or `file:` link",
);

pub(crate) const EMAIL_NO_RECIPIENTS: OutboundRule = rule(
    "out.email.no_recipients",
    Deny,
    "an e-mail with no recipient",
);
pub(crate) const EMAIL_TOO_MANY_RECIPIENTS: OutboundRule = rule(
    "out.email.too_many_recipients",
    Deny,
    "an e-mail to more recipients than any notification needs",
);
pub(crate) const EMAIL_MALFORMED_ADDRESS: OutboundRule = rule(
    "out.email.malformed_address",
    Deny,
    "a recipient that is not one plain `local@domain` address",
);
pub(crate) const EMAIL_RECIPIENT: OutboundRule = rule(
    "out.email.recipient",
    Deny,
    "a recipient the policy's allowed recipients do not list",
);
pub(crate) const EMAIL_HEADER_INJECTION: OutboundRule = rule(
    "out.email.header_injection",
    Deny,
    "a line break or other control character in a header (header injection)",
);
pub(crate) const EMAIL_HEADER_TOO_LONG: OutboundRule = rule(
    "out.email.header_too_long",
    Deny,
    "a header longer than a mail line may be (998 octets, RFC 5322)",
);

/// Every outbound rule, secrets first, e-mail's own rules last.
pub const RULES: &[OutboundRule] = &[
    TOO_LARGE,
    GITHUB_TOKEN,
    GITHUB_PAT,
    NPM_TOKEN,
    SLACK_TOKEN,
    SLACK_WEBHOOK,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_KEY,
    PRIVATE_KEY,
    JWT,
    GOOGLE_API_KEY,
    STRIPE_KEY,
    OPENAI_KEY,
    PYPI_TOKEN,
    URL_PASSWORD,
    KNOWN_SECRET,
    GENERIC_SECRET,
    MENTION_CHANNEL,
    MENTION_HERE,
    MENTION_EVERYONE,
    MENTION_SUBTEAM,
    MENTION_TEAM,
    LINK_UNLISTED_HOST,
    LINK_USERINFO,
    LINK_DANGEROUS_SCHEME,
    EMAIL_NO_RECIPIENTS,
    EMAIL_TOO_MANY_RECIPIENTS,
    EMAIL_MALFORMED_ADDRESS,
    EMAIL_RECIPIENT,
    EMAIL_HEADER_INJECTION,
    EMAIL_HEADER_TOO_LONG,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_namespaced() {
        for (i, a) in RULES.iter().enumerate() {
            assert!(a.id.starts_with("out."), "{}", a.id);
            for b in &RULES[i + 1..] {
                assert_ne!(a.id, b.id);
            }
        }
    }

    #[test]
    fn every_secret_rule_but_the_generic_one_denies() {
        for r in RULES.iter().filter(|r| r.id.starts_with("out.secret.")) {
            let want = if r.id == "out.secret.generic" {
                Review
            } else {
                Deny
            };
            assert_eq!(r.decision, want, "{}", r.id);
        }
    }
}
