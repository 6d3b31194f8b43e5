//! The Web API client against the fake Slack: wire format, typed errors,
//! rate limits and retries.

use std::time::Duration;

use agent_mouth_slack::{Decision, Outgoing, SlackToken, WebClient, WebError};
use serde_json::json;

use crate::blocks::seed_request;
use crate::fake_slack::{FakeSlack, APP_TOKEN, BOT_TOKEN};

fn client(fake: &FakeSlack) -> WebClient {
    WebClient::builder(SlackToken::new(BOT_TOKEN).expect("a bot token"))
        .expect("a bot token")
        .base_url(&fake.base_url)
        .backoff(Duration::from_millis(20))
        .max_retry_after(Duration::from_secs(5))
        .build()
        .expect("a loopback base URL")
}

fn allowed(text: &str) -> Outgoing {
    let m = agent_mouth_slack::validate_for_slack(text, &Default::default())
        .unwrap_or_else(|v| panic!("{text:?} denied: {v:?}"));
    assert_eq!(
        m.decision(),
        Decision::Allow,
        "{text:?}: {:?}",
        m.findings()
    );
    m
}

#[test]
fn auth_test_sends_bearer_json_and_parses_the_answer() {
    let fake = FakeSlack::start();
    let info = client(&fake).auth_test().unwrap();
    assert_eq!(info.user_id, "U0BOT");
    assert_eq!(info.team_id, "T0FAKE");
    assert_eq!(info.bot_id.as_deref(), Some("B0FAKE"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "auth.test");
    assert_eq!(
        reqs[0].header("Authorization"),
        Some(format!("Bearer {BOT_TOKEN}").as_str())
    );
    assert_eq!(
        reqs[0].header("Content-Type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(reqs[0].body, json!({}));
}

#[test]
fn post_then_update_an_approval_request() {
    let fake = FakeSlack::start();
    let c = client(&fake);
    let req = seed_request();
    let rendered = req.render();
    let posted = c
        .chat_post_message(
            "C0APPROVALS",
            &allowed(rendered.text()),
            Some(&rendered),
            None,
        )
        .unwrap();
    assert_eq!(posted.channel, "C0APPROVALS");
    assert_eq!(posted.ts, "1710498600.000001");

    let done = req.decided(&agent_mouth_slack::Decided {
        outcome: agent_mouth_slack::Outcome::Approved,
        by: "U0ALICE".into(),
        at_unix: 1_710_498_660,
    });
    let updated = c
        .chat_update(
            &posted.channel,
            &posted.ts,
            &allowed(done.text()),
            Some(&done),
        )
        .unwrap();
    assert_eq!(updated.ts, posted.ts);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "chat.postMessage");
    assert_eq!(
        reqs[0].body,
        json!({
            "channel": "C0APPROVALS",
            "text": req.text(),
            "blocks": req.blocks(),
            "unfurl_links": false,
            "unfurl_media": false
        })
    );
    assert_eq!(reqs[1].method, "chat.update");
    assert_eq!(reqs[1].body["ts"], "1710498600.000001");
    assert_eq!(reqs[1].body["blocks"], *done.blocks());
    assert!(!reqs[1].body.to_string().contains("autonomic_approve"));
}

#[test]
fn thread_reply_and_escaped_text() {
    let fake = FakeSlack::start();
    let c = client(&fake);
    // A mass mention never gets this far: validation denies it.
    assert!(
        agent_mouth_slack::validate_for_slack("noted <!channel>", &Default::default()).is_err()
    );
    // What does pass is still escaped on the wire, so `<…>` stays text.
    c.chat_post_message(
        "C0APPROVALS",
        &allowed("noted: a <b> & c"),
        None,
        Some("1710498600.000001"),
    )
    .unwrap();
    let body = &fake.requests()[0].body;
    assert_eq!(body["thread_ts"], "1710498600.000001");
    assert_eq!(body["text"], "noted: a &lt;b&gt; &amp; c");
    assert!(body.get("blocks").is_none());
}

#[test]
fn update_without_blocks_clears_the_buttons() {
    let fake = FakeSlack::start();
    client(&fake)
        .chat_update("C1", "1.2", &allowed("done"), None)
        .unwrap();
    assert_eq!(fake.requests()[0].body["blocks"], json!([]));
}

#[test]
fn nothing_unvalidated_is_sent() {
    let fake = FakeSlack::start();
    let c = client(&fake);
    // A denied text never becomes a message at all: there is nothing to
    // hand the client (the type cannot be built outside agent-mouth).
    let leak = format!("token xoxb-{}-{}", "1234567890", "abcdefghijklmnopqrstuvwx");
    let verdict = agent_mouth_slack::validate_for_slack(&leak, &Default::default()).unwrap_err();
    assert_eq!(verdict.decision, Decision::Deny);
    // A review (an unlisted link) is refused by the client.
    let review =
        agent_mouth_slack::validate_for_slack("see https://unlisted.example/", &Default::default())
            .unwrap();
    assert!(matches!(
        c.chat_post_message("C1", &review, None, None),
        Err(WebError::NotAllowed(Decision::Review))
    ));
    let rendered = seed_request().render();
    assert!(matches!(
        c.chat_post_message("C1", &allowed("other text"), Some(&rendered), None),
        Err(WebError::BlocksMismatch)
    ));
    assert!(fake.requests().is_empty());
}

#[test]
fn rate_limit_is_waited_out_then_succeeds() {
    let fake = FakeSlack::start();
    fake.rate_limit_once(1);
    let info = client(&fake).auth_test().unwrap();
    assert_eq!(info.user_id, "U0BOT");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    let waited = reqs[1].at.duration_since(reqs[0].at);
    assert!(waited >= Duration::from_millis(990), "{waited:?}");
}

#[test]
fn retry_after_is_capped() {
    let fake = FakeSlack::start();
    fake.rate_limit_once(3600);
    let c = WebClient::builder(SlackToken::new(BOT_TOKEN).unwrap())
        .unwrap()
        .base_url(&fake.base_url)
        .max_retry_after(Duration::from_millis(50))
        .build()
        .unwrap();
    c.auth_test().unwrap();
    let reqs = fake.requests();
    assert!(reqs[1].at.duration_since(reqs[0].at) < Duration::from_secs(5));
}

#[test]
fn rate_limit_gives_up_after_the_attempts() {
    let fake = FakeSlack::start();
    fake.rate_limit_once(0);
    let c = WebClient::builder(SlackToken::new(BOT_TOKEN).unwrap())
        .unwrap()
        .base_url(&fake.base_url)
        .max_attempts(1)
        .build()
        .unwrap();
    match c.auth_test() {
        Err(WebError::RateLimited { method, attempts }) => {
            assert_eq!((method, attempts), ("auth.test", 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let fake = FakeSlack::start();
    fake.fail_with_503(2);
    client(&fake).auth_test().unwrap();
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[2].at.duration_since(reqs[1].at) >= reqs[1].at.duration_since(reqs[0].at));
}

#[test]
fn server_errors_beyond_the_attempts_are_an_error() {
    let fake = FakeSlack::start();
    fake.fail_with_503(10);
    match client(&fake).auth_test() {
        Err(WebError::Status { method, status }) => {
            assert_eq!((method, status), ("auth.test", 503))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn invalid_auth_is_an_error_naming_it() {
    let fake = FakeSlack::start();
    fake.reject_all_tokens();
    let err = client(&fake).auth_test().unwrap_err();
    assert_eq!(err.to_string(), "Slack's auth.test failed: invalid_auth");
    assert!(
        matches!(err, WebError::Slack { method: "auth.test", ref error } if error == "invalid_auth")
    );
    assert_eq!(fake.requests().len(), 1, "not retried");
}

#[test]
fn unknown_channel_is_slacks_error() {
    let fake = FakeSlack::start();
    let err = client(&fake)
        .chat_post_message("nowhere", &allowed("hi"), None, None)
        .unwrap_err();
    assert!(
        matches!(err, WebError::Slack { method: "chat.postMessage", ref error } if error == "channel_not_found")
    );
}

#[test]
fn connection_refused_is_retried_then_a_transport_error() {
    // A port nothing listens on: bind, note the port, drop.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = WebClient::builder(SlackToken::new(BOT_TOKEN).unwrap())
        .unwrap()
        .base_url(&format!("http://127.0.0.1:{port}/api/"))
        .backoff(Duration::from_millis(10))
        .max_attempts(3)
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.auth_test().unwrap_err();
    assert!(
        matches!(
            err,
            WebError::Transport {
                method: "auth.test",
                ..
            }
        ),
        "{err:?}"
    );
    // Two backoffs: 10 ms + 20 ms.
    assert!(started.elapsed() >= Duration::from_millis(30));
}

#[test]
fn connections_open_uses_the_app_token() {
    let fake = FakeSlack::start();
    fake.set_socket_url("ws://127.0.0.1:1234/link/?ticket=abc");
    let c = client(&fake);
    let app = SlackToken::new(APP_TOKEN).unwrap();
    assert_eq!(
        c.apps_connections_open(&app).unwrap(),
        "ws://127.0.0.1:1234/link/?ticket=abc"
    );
    let reqs = fake.requests();
    assert_eq!(reqs[0].method, "apps.connections.open");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {APP_TOKEN}").as_str())
    );
    // A bot token is refused before anything is sent.
    let bot = SlackToken::new(BOT_TOKEN).unwrap();
    assert!(matches!(
        c.apps_connections_open(&bot),
        Err(WebError::Token(_))
    ));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_non_websocket_url_is_refused() {
    let fake = FakeSlack::start();
    fake.set_socket_url("http://evil.example/");
    let err = client(&fake)
        .apps_connections_open(&SlackToken::new(APP_TOKEN).unwrap())
        .unwrap_err();
    assert!(matches!(
        err,
        WebError::Malformed {
            method: "apps.connections.open",
            ..
        }
    ));
}

#[test]
fn tokens_never_appear_in_errors_or_debug() {
    let fake = FakeSlack::start();
    fake.reject_all_tokens();
    let c = client(&fake);
    let err = c.auth_test().unwrap_err();
    assert!(!format!("{err} {err:?} {c:?}").contains("fakebotsecret"));
}
