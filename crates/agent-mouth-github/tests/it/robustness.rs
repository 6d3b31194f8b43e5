//! Properties: token parsing never echoes or panics, and what the client
//! prints never holds the token.

use agent_mouth_github::{GitHubClient, GitHubToken};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn token_parsing_never_panics_or_echoes(value in any::<String>()) {
        match GitHubToken::new(&value) {
            Ok(t) => {
                let shown = format!("{t} {t:?}");
                prop_assert!(shown.ends_with("…[redacted])"));
                let rest = &value[t.kind().prefix().len()..];
                prop_assert!(!shown.contains(rest));
            }
            Err(e) => {
                let shown = format!("{e} {e:?}");
                if value.len() > 12 {
                    prop_assert!(!shown.contains(&value));
                }
            }
        }
    }

    #[test]
    fn a_client_never_prints_its_token(tail in "[A-Za-z0-9]{36,60}") {
        let token = GitHubToken::new(&format!("ghp_{tail}")).unwrap();
        let client = GitHubClient::builder(token.clone()).build().unwrap();
        let shown = format!("{token} {token:?} {client:?}");
        prop_assert!(!shown.contains(&tail), "{}", shown);
    }
}
