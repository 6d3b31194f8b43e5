//! agent-mouth-slack's integration tests: one binary, shared helpers.

mod answer;
mod blocks;
mod fake_slack;
mod fake_socket;
mod request_url;
mod robustness;
mod signing;
mod socket;
mod web;

/// The public types cross threads (tokio's habit: a compile-time check).
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<agent_mouth_slack::WebClient>();
    check::<agent_mouth_slack::SlackToken>();
    check::<agent_mouth_slack::SigningSecret>();
    check::<agent_mouth_slack::Rendered>();
    check::<agent_mouth_slack::Outgoing>();
    check::<agent_mouth_slack::Envelope>();
    check::<agent_mouth_slack::Answer>();
    check::<agent_mouth_slack::WebError>();
    check::<agent_mouth_slack::SocketError>();
}
