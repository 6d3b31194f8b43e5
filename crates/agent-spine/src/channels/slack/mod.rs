//! The Slack approval service (being built).
