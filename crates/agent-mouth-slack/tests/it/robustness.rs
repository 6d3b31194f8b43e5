//! Untrusted input never panics, and what passes is well-formed: signature
//! headers, Socket Mode payloads, answer fields.

use agent_mouth_slack::{
    answer_from_event, answer_from_interaction, escape, sign_request, verify_request,
    ApprovalRequest, SigningSecret,
};
use proptest::prelude::*;

use crate::answer::{block_actions, thread_reply};

proptest! {
    #[test]
    fn verify_accepts_only_the_right_signature(
        ts in "[0-9]{0,14}|.{0,20}",
        sig in "v0=[0-9a-f]{64}|.{0,80}",
        body in proptest::collection::vec(any::<u8>(), 0..256),
        now in any::<i64>(),
    ) {
        let secret = SigningSecret::new("s3cr3t").unwrap();
        let ok = verify_request(&secret, &ts, &sig, &body, now).is_ok();
        if ok {
            prop_assert_eq!(sig.to_ascii_lowercase(), sign_request(&secret, &ts, &body));
        }
        // The right signature always passes at its own time.
        if let Ok(t) = ts.parse::<i64>() {
            if !ts.is_empty() && ts.len() <= 12 && ts.bytes().all(|b| b.is_ascii_digit()) {
                let good = sign_request(&secret, &ts, &body);
                prop_assert!(verify_request(&secret, &ts, &good, &body, t).is_ok());
            }
        }
    }

    #[test]
    fn answers_from_hostile_fields_are_well_formed_or_none(
        user in ".{0,40}",
        value in ".{0,260}",
        channel in ".{0,90}",
        ts in ".{0,40}",
        text in ".{0,20}",
    ) {
        let mut p = block_actions("autonomic_approve", &value);
        p["user"]["id"] = serde_json::json!(user);
        p["container"]["channel_id"] = serde_json::json!(channel);
        p["container"]["message_ts"] = serde_json::json!(ts);
        if let Some(a) = answer_from_interaction(&p) {
            prop_assert!(a.user_id.chars().all(|c| c.is_ascii_alphanumeric()));
            prop_assert!(a.channel.chars().all(|c| c.is_ascii_alphanumeric()));
            prop_assert!(!a.run_id.chars().any(|c| c.is_control() || c.is_whitespace()));
            prop_assert_eq!(a.run_id, value);
        }
        let mut e = thread_reply(&text);
        e["event"]["user"] = serde_json::json!(user);
        if let Some(a) = answer_from_event(&e, |_, _| Some("wf-1".to_owned())) {
            prop_assert!(["yes", "no"].contains(&text.trim().to_lowercase().as_str()));
            prop_assert!(a.user_id.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn rendered_blocks_carry_no_slack_controls(action in ".{0,400}", workflow in ".{0,80}") {
        let req = ApprovalRequest {
            workflow,
            run_id: "wf-1".into(),
            node: Some(action.clone()),
            action: action.clone(),
            risk: "high".into(),
            sandbox: "none".into(),
            dependencies: vec![action.clone()],
            reasons: vec![action],
            expires_in_minutes: 1,
        };
        let all = req.blocks().to_string();
        // Only the escapes' own `&` may appear; `<` and `>` never do.
        prop_assert!(!all.contains('<') && !all.contains('>'));
        prop_assert_eq!(escape(&req.text()).contains('<'), false);
        prop_assert_eq!(req.text().lines().count(), 9);
    }
}
