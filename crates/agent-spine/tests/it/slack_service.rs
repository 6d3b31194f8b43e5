//! The Slack approval service against a fake Slack (agent-mouth-slack's
//! `fake`: the Web API as Slack documents it) with answers on a signed
//! request URL: requests are posted from the journal and closed when they
//! end; a request whose text would leak a secret is never posted and the
//! refusal is audited; signed answers are taken once, forged ones never;
//! thread replies cancel and ask for a fresh request; an answer to an
//! expired request is refused with the offer of a fresh one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use agent_mouth::outbound::OutboundPolicy;
use agent_mouth_slack::fake::{self, FakeSlack, BOT_TOKEN};
use agent_mouth_slack::{SigningSecret, SlackToken, WebClient};
use agent_spine::channels::setup::{SlackAnswers, SlackSetup};
use agent_spine::channels::slack::{ServiceOptions, SlackService};
use agent_spine::workflow::approval::RequestFields;
use agent_spine::workflow::control;
use agent_spine::workflow::journal::{
    DecisionOutcome, Journal, NewNode, NewRequest, NewRun, Request, RequestKind, Verdict,
};
use agent_spine::workflow::state::RunId;
use serde_json::Value;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const APPROVER: &str = "U0APPROVER";
const FORM: &str = "application/x-www-form-urlencoded";

struct Harness {
    fake: FakeSlack,
    dir: tempfile::TempDir,
    service: Option<SlackService>,
    url: String,
}

impl Harness {
    fn start() -> Harness {
        let fake = FakeSlack::start();
        let dir = tempfile::tempdir().unwrap();
        let web = WebClient::builder(SlackToken::new(BOT_TOKEN).unwrap())
            .unwrap()
            .base_url(&fake.api_url)
            .build()
            .unwrap();
        let setup = SlackSetup {
            web,
            channel: "#ops-approvals".into(),
            approvers: vec![APPROVER.into()],
            answers: SlackAnswers::RequestUrl {
                listen: "127.0.0.1:0".into(),
                secret: SigningSecret::new(SECRET).unwrap(),
            },
            policy: OutboundPolicy {
                allowed_hosts: vec!["github.com".into()],
                ..OutboundPolicy::default()
            },
        };
        let mut opts = ServiceOptions::new(
            dir.path().join("journal.sqlite3"),
            dir.path().join("audit.jsonl"),
            autonomic_core::config::Config::default(),
        );
        opts.poll = Duration::from_millis(50);
        // The journal exists before the service opens it.
        Journal::open(&opts.journal_path).unwrap();
        let service = SlackService::start(setup, opts).unwrap();
        let url = format!("http://{}/slack/events", service.request_url.unwrap());
        Harness {
            fake,
            dir,
            service: Some(service),
            url,
        }
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.dir.path().join("journal.sqlite3")).unwrap()
    }

    fn audit(&self) -> Vec<Value> {
        fs_err::read_to_string(self.dir.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn calls(&self, method: &str) -> Vec<Value> {
        self.fake
            .calls()
            .into_iter()
            .filter(|c| c.method == method)
            .map(|c| c.body)
            .collect()
    }

    fn post(&self, body: &[u8], content_type: &str) -> u16 {
        fake::post_signed(
            &self.url,
            &SigningSecret::new(SECRET).unwrap(),
            body,
            content_type,
        )
    }

    fn click(&self, user: &str, run: &RunId, ts: &str) -> u16 {
        let payload = fake::click(user, "autonomic_approve", run.as_str(), ts);
        self.post(fake::interaction_form(&payload).as_bytes(), FORM)
    }

    fn reply(&self, event_id: &str, user: &str, text: &str, ts: &str) -> u16 {
        let event = fake::thread_reply(event_id, user, text, ts);
        self.post(event.to_string().as_bytes(), "application/json")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(s) = self.service.take() {
            s.stop();
        }
    }
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn new_run(j: &mut Journal, suffix: &str) -> RunId {
    let run = RunId::parse(&format!("wf-20260101-{suffix}")).unwrap();
    j.create_run(&NewRun {
        id: run.clone(),
        workflow: "deploy-frontend".into(),
        file: PathBuf::from("/work/flows/deploy.toml"),
        file_text: "[workflow]\nname = \"deploy-frontend\"\n".into(),
        file_sha256: "ab".repeat(32),
        repo: PathBuf::from("/work/repo"),
        project: "frontend".into(),
        vars: BTreeMap::new(),
        nodes: vec![NewNode {
            id: "push".into(),
            modifies_external_state: false,
        }],
    })
    .unwrap();
    run
}

fn open_request(j: &mut Journal, run: &RunId, action: &str, minutes: i64) -> Request {
    let fields = RequestFields {
        workflow: "deploy-frontend".into(),
        run: run.to_string(),
        node: Some("push".into()),
        action: action.into(),
        risk: "high".into(),
        sandbox: "firecracker".into(),
        dependencies: vec!["agent-muscle".into()],
        reasons: vec![],
        expires_in_minutes: 30,
        command_sha256: None,
    };
    j.open_request(&NewRequest {
        run: run.clone(),
        node: Some("push".into()),
        kind: RequestKind::Node,
        text: fields.text(),
        fields: serde_json::to_value(&fields).unwrap(),
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
    })
    .unwrap()
    .0
}

/// The `ts` the request's message got.
fn posted_ts(h: &Harness, req: &Request) -> String {
    wait_for("the request's post", || {
        h.journal().post_of(&req.id, "slack").unwrap().map(|p| p.ts)
    })
}

#[test]
fn requests_are_posted_from_the_journal_and_updated_when_they_end() {
    let h = Harness::start();
    let mut j = h.journal();
    let run = new_run(&mut j, "aaaaaa");
    let req = open_request(&mut j, &run, "git push origin main", 30);
    let ts = posted_ts(&h, &req);
    let post = &h.calls("chat.postMessage")[0];
    assert!(
        post["text"]
            .as_str()
            .unwrap()
            .contains("  Proposed action: git push origin main"),
        "{post}"
    );
    // An expired request is not posted.
    let other = new_run(&mut j, "bbbbbb");
    let expired = open_request(&mut j, &other, "make deploy", -1);
    // An answer from the CLI, settled by the engine, closes the post.
    let (seq, _) =
        control::answer(&mut j, &run, Verdict::Approve, None, "alice", "cli", None).unwrap();
    j.settle_decision(seq, &DecisionOutcome::Accepted).unwrap();
    let update = wait_for("the update", || h.calls("chat.update").into_iter().next());
    assert_eq!(update["ts"], ts.as_str());
    assert!(
        update["text"]
            .as_str()
            .unwrap()
            .starts_with("✅ Approved by alice at "),
        "{update}"
    );
    assert!(h.journal().posts_to_close("slack").unwrap().is_empty());
    assert!(h.journal().post_of(&expired.id, "slack").unwrap().is_none());
    assert_eq!(h.calls("chat.postMessage").len(), 1);
}

#[test]
fn a_request_that_would_leak_a_secret_is_never_posted_and_the_refusal_is_audited() {
    let h = Harness::start();
    let mut j = h.journal();
    let run = new_run(&mut j, "cccccc");
    // An AWS secret access key named as such: outbound validation denies.
    let leaky = open_request(
        &mut j,
        &run,
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY deploy",
        30,
    );
    let refused = wait_for("the audited refusal", || {
        h.audit()
            .into_iter()
            .find(|r| r["kind"] == "mouth.outbound" && r["detail"]["request"] == leaky.id.as_str())
    });
    assert_eq!(refused["decision"], "deny");
    assert_eq!(refused["detail"]["sent"], false);
    let rules = refused["detail"]["rule_ids"].to_string();
    assert!(rules.contains("out.secret"), "{rules}");
    assert!(!refused.to_string().contains("wJalrXUtnFEMI"), "{refused}");
    // A clean request after it is posted; the leaky one never is.
    let other = new_run(&mut j, "dddddd");
    let clean = open_request(&mut j, &other, "git push origin main", 30);
    posted_ts(&h, &clean);
    assert!(h.journal().post_of(&leaky.id, "slack").unwrap().is_none());
    assert!(h
        .fake
        .calls()
        .iter()
        .all(|c| !c.body.to_string().contains("wJalrXUtnFEMI")));
}

#[test]
fn signed_answers_are_taken_once_and_forged_ones_never() {
    let h = Harness::start();
    let mut j = h.journal();
    let run = new_run(&mut j, "eeeeee");
    let req = open_request(&mut j, &run, "git push origin main", 30);
    let ts = posted_ts(&h, &req);
    // Forged: signed with another secret.
    let payload = fake::click(APPROVER, "autonomic_approve", run.as_str(), &ts);
    let body = fake::interaction_form(&payload);
    let forged = fake::post_signed(
        &h.url,
        &SigningSecret::new("ffffffffffffffffffffffffffffffff").unwrap(),
        body.as_bytes(),
        FORM,
    );
    assert_eq!(forged, 401);
    assert!(h.journal().decisions(&run).unwrap().is_empty());
    // The approver's click, delivered twice (Slack retries it).
    assert_eq!(h.click(APPROVER, &run, &ts), 200);
    assert_eq!(h.click(APPROVER, &run, &ts), 200);
    let decisions = h.journal().decisions(&run).unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(
        (
            decisions[0].verdict,
            decisions[0].by.as_str(),
            decisions[0].request.as_deref()
        ),
        (Verdict::Approve, APPROVER, Some(req.id.as_str()))
    );
    let outcomes: Vec<String> = h
        .audit()
        .into_iter()
        .filter(|r| r["kind"] == "mouth.answer")
        .map(|r| r["detail"]["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["taken", "redelivery"]);
}

#[test]
fn thread_replies_cancel_and_expired_requests_offer_a_fresh_one() {
    let h = Harness::start();
    let mut j = h.journal();
    // A cancel in the thread, from an approver: a cancel of the run.
    let run = new_run(&mut j, "ffffff");
    let req = open_request(&mut j, &run, "git push origin main", 30);
    let ts = posted_ts(&h, &req);
    assert_eq!(h.reply("Ev1", APPROVER, "cancel", &ts), 200);
    let d = h.journal().decisions(&run).unwrap();
    assert_eq!(
        (d.len(), d[0].verdict, d[0].request.as_deref()),
        (1, Verdict::Cancel, None)
    );

    // A request that expired while its message was up.
    let late = new_run(&mut j, "gggggg");
    let req = open_request(&mut j, &late, "git push origin main", 30);
    let ts = posted_ts(&h, &req);
    rusqlite::Connection::open(h.dir.path().join("journal.sqlite3"))
        .unwrap()
        .execute(
            "UPDATE requests SET expires_at = 0 WHERE id = ?1",
            [&req.id],
        )
        .unwrap();
    assert_eq!(h.reply("Ev2", APPROVER, "yes", &ts), 200);
    assert!(h.journal().decisions(&late).unwrap().is_empty());
    let told = wait_for("the refusal in the thread", || {
        h.calls("chat.postMessage").into_iter().find(|b| {
            b["thread_ts"] == ts.as_str() && b["text"].as_str().unwrap_or("").contains("expired")
        })
    });
    assert!(
        told["text"].as_str().unwrap().contains("`resend`"),
        "{told}"
    );
    // The approver asks for a fresh one: a new request, posted.
    assert_eq!(h.reply("Ev3", APPROVER, "resend", &ts), 200);
    let fresh = h.journal().open_requests(Some(&late)).unwrap();
    assert_eq!(fresh.len(), 1);
    assert_ne!(fresh[0].id, req.id);
    posted_ts(&h, &fresh[0]);
    // Someone else cannot.
    assert_eq!(h.reply("Ev4", "U0SOMEONE", "resend", &ts), 200);
    assert_eq!(h.journal().open_requests(Some(&late)).unwrap().len(), 1);
}
