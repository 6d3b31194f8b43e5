//! The request URL over real HTTP: Slack's signed POSTs (an interaction's
//! form `payload`, a slash command's fields, an Events API JSON body with
//! its `url_verification` handshake) reach the handler as envelopes; an
//! unsigned, forged or stale one is refused 401 and reaches nothing; a
//! handler error answers 500 so Slack retries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use agent_mouth_slack::{
    sign_request, url_verification_body, AnswerAction, Envelope, EnvelopeKind, RequestUrlServer,
    SigningSecret,
};

const SECRET: &str = "0123456789abcdef0123456789abcdef";

struct Running {
    url: String,
    seen: Arc<Mutex<Vec<Envelope>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves on a free port; the handler fails for envelopes whose id
/// contains `fail`.
fn start() -> Running {
    let secret = SigningSecret::new(SECRET).expect("secret");
    let server = RequestUrlServer::bind("127.0.0.1:0", secret).expect("bind");
    let url = format!("http://{}/slack", server.local_addr().expect("an address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            server
                .run(&stop, |e: &Envelope| {
                    if e.envelope_id.contains("fail") {
                        return Err("the journal is busy");
                    }
                    seen.lock().expect("lock").push(e.clone());
                    Ok(())
                })
                .expect("serve");
        })
    };
    Running {
        url,
        seen,
        stop,
        thread: Some(thread),
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// POSTs `body` signed at `ts` (with `secret`), returning status and body.
fn post(url: &str, body: &[u8], content_type: &str, ts: i64, secret: &str) -> (u16, String) {
    let secret = SigningSecret::new(secret).expect("secret");
    let ts = ts.to_string();
    let sig = sign_request(&secret, &ts, body);
    send(url, body, content_type, Some((&ts, &sig)))
}

fn send(url: &str, body: &[u8], content_type: &str, signed: Option<(&str, &str)>) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.post(url).header("Content-Type", content_type);
    if let Some((ts, sig)) = signed {
        req = req
            .header("X-Slack-Request-Timestamp", ts)
            .header("X-Slack-Signature", sig);
    }
    let mut resp = req.send(body).expect("an HTTP answer");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().unwrap_or_default())
}

const FORM: &str = "application/x-www-form-urlencoded";

fn click_form(trigger: &str) -> String {
    let payload = serde_json::json!({
        "type": "block_actions",
        "trigger_id": trigger,
        "user": {"id": "U0APPROVER"},
        "container": {"message_ts": "1710498600.000100", "channel_id": "C0APPROVALS"},
        "actions": [{"action_id": "autonomic_approve", "value": "wf-20240315-abc123"}],
    });
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
}

#[test]
fn a_signed_click_is_handed_on_as_an_answer() {
    let r = start();
    let body = click_form("111.222.abc");
    assert_eq!(post(&r.url, body.as_bytes(), FORM, now(), SECRET).0, 200);
    let seen = r.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].kind, EnvelopeKind::Interactive);
    assert_eq!(seen[0].envelope_id, "interaction:111.222.abc");
    let a = seen[0].answer(|_, _| None).expect("an answer");
    assert_eq!(
        (a.user_id.as_str(), a.action, a.run_id.as_str()),
        ("U0APPROVER", AnswerAction::Approve, "wf-20240315-abc123")
    );
}

#[test]
fn unsigned_forged_and_stale_requests_reach_nothing() {
    let r = start();
    let body = click_form("333.444.def");
    assert_eq!(send(&r.url, body.as_bytes(), FORM, None).0, 401);
    // Signed with another secret.
    assert_eq!(
        post(
            &r.url,
            body.as_bytes(),
            FORM,
            now(),
            "ffffffffffffffffffffffffffffffff"
        )
        .0,
        401
    );
    // Signed correctly, six minutes ago: a replay.
    assert_eq!(
        post(&r.url, body.as_bytes(), FORM, now() - 360, SECRET).0,
        401
    );
    // A signature over another body.
    let secret = SigningSecret::new(SECRET).expect("secret");
    let ts = now().to_string();
    let sig = sign_request(&secret, &ts, b"payload=%7B%7D");
    assert_eq!(
        send(&r.url, body.as_bytes(), FORM, Some((&ts, &sig))).0,
        401
    );
    assert!(r.seen.lock().expect("lock").is_empty());
}

#[test]
fn url_verification_echoes_the_challenge_and_events_carry_their_id() {
    let r = start();
    let (status, text) = post(
        &r.url,
        &url_verification_body("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
        "application/json",
        now(),
        SECRET,
    );
    assert_eq!(
        (status, text.as_str()),
        (200, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    );
    let event = serde_json::json!({
        "type": "event_callback", "event_id": "Ev0PV52K25",
        "event": {"type": "message", "user": "U0APPROVER", "text": "yes", "channel": "C0APPROVALS",
                  "ts": "1710498700.000200", "thread_ts": "1710498600.000100"},
    });
    let body = event.to_string();
    assert_eq!(
        post(&r.url, body.as_bytes(), "application/json", now(), SECRET).0,
        200
    );
    let seen = r.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1, "the challenge is not an envelope");
    assert_eq!(seen[0].envelope_id, "event:Ev0PV52K25");
    let a = seen[0]
        .answer(|c, ts| (c == "C0APPROVALS" && ts == "1710498600.000100").then(|| "wf-1".into()))
        .expect("a thread answer");
    assert_eq!(a.action, AnswerAction::Approve);
}

#[test]
fn slash_commands_cancel_and_handler_errors_answer_500() {
    let r = start();
    let body = "command=%2Fautonomic&text=cancel+wf-20240315-abc123&user_id=U0APPROVER&channel_id=C0APPROVALS&trigger_id=555.666.fff";
    assert_eq!(post(&r.url, body.as_bytes(), FORM, now(), SECRET).0, 200);
    let seen = r.seen.lock().expect("lock").clone();
    let a = seen[0].answer(|_, _| None).expect("a command answer");
    assert_eq!(
        (a.action, a.run_id.as_str(), a.message_ts),
        (AnswerAction::Cancel, "wf-20240315-abc123", None)
    );
    // The handler refuses: 500, so Slack tries again.
    let failing = click_form("fail.1.2");
    assert_eq!(post(&r.url, failing.as_bytes(), FORM, now(), SECRET).0, 500);
    // Not a POST.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    assert_eq!(
        agent.get(&r.url).call().expect("answer").status().as_u16(),
        405
    );
}
