//! The outbound channels, composed: Slack approval requests and answers,
//! GitHub calls and e-mail, each built from `[mouth]` configuration and
//! the environment variables it names, each sending only what agent-mouth's
//! outbound validation produced.
//!
//! What it owns: turning configuration into transports ([`setup`]: tokens
//! read from the variables `[mouth] *_env` name, never from a file, and
//! held in the transports' redacting types), the outbound policy every
//! channel validates against ([`policy`]: allow-listed hosts, mass
//! mentions, the credential files agent-muscle masks as known secrets),
//! and the Slack approval service ([`slack`]): an outbox that posts every
//! open request the journal holds and updates each post once its request
//! ended, and the answers Slack delivers (Socket Mode or the request URL)
//! taken through [`crate::workflow::control::answer_delivered`] exactly
//! once and audited.
//!
//! What it must not do: decide an approval (the engine does, from the
//! journal's decision log), send anything unvalidated (the transports take
//! only agent-mouth's validated types), or print a token.

pub mod check;
pub mod policy;
pub mod probe;
pub mod setup;
pub mod slack;
