//! The Slack approval service: approval requests posted to
//! `[mouth] slack_approval_channel` in the seed's format with Approve /
//! Reject buttons, updated to show who decided and when once they end, and
//! answers taken from Socket Mode or a request URL.
//!
//! Two threads, each with its own journal connection:
//!
//! - the **outbox** ([`outbox`]) posts every open request the journal has
//!   not posted on Slack and updates every post whose request ended; it
//!   runs when poked (the engine journaled a request, an answer was taken)
//!   and every poll interval, so requests made elsewhere (`approvals
//!   resend` from the CLI) and answers taken while the daemon was down are
//!   caught up;
//! - the **answers** thread ([`answers`]) receives envelopes and takes each
//!   answer exactly once before acknowledging it.
//!
//! The engine sees Slack only as an [`ApprovalChannel`] whose `send` pokes
//! the outbox: the request is already journaled, and posting it is the
//! outbox's job, never the engine task's (a slow Slack never stalls a run).

mod answers;
mod outbox;
mod render;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use agent_mouth_slack::{RequestUrlServer, SocketMode, SocketModeConfig, WebClient};
use autonomic_core::audit::AuditLog;
use autonomic_core::config::Config;

use super::setup::{SlackAnswers, SlackSetup};
use crate::workflow::approval::ApprovalChannel;
use crate::workflow::journal::{Journal, Request};

/// The channel's name in the journal and in events.
pub const CHANNEL: &str = "slack";

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// `auth.test` refused the bot token (or Slack could not be reached).
    #[error("Slack refused the bot token or could not be reached (auth.test): {0}")]
    Auth(#[source] agent_mouth_slack::WebError),
    /// The journal could not be opened.
    #[error(transparent)]
    Journal(#[from] crate::workflow::journal::JournalError),
    /// The audit log could not be opened.
    #[error(transparent)]
    Audit(#[from] autonomic_core::audit::AuditError),
    /// The request-URL listener could not be bound.
    #[error(transparent)]
    RequestUrl(#[from] agent_mouth_slack::RequestUrlError),
    /// Socket Mode could not be set up.
    #[error(transparent)]
    Socket(#[from] agent_mouth_slack::SocketError),
}

/// Where the service keeps and logs things.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The workflow journal.
    pub journal_path: PathBuf,
    /// The audit log.
    pub audit_path: PathBuf,
    /// The configuration (for `resend`, which rescans holds).
    pub config: Config,
    /// How often the outbox looks at the journal unpoked.
    pub poll: Duration,
    /// Socket Mode's reconnection settings.
    pub socket: SocketModeConfig,
}

impl ServiceOptions {
    /// The defaults: the outbox looks at the journal every 2 s, Socket
    /// Mode reconnects with its default backoff.
    pub fn new(journal_path: PathBuf, audit_path: PathBuf, config: Config) -> ServiceOptions {
        ServiceOptions {
            journal_path,
            audit_path,
            config,
            poll: Duration::from_secs(2),
            socket: SocketModeConfig::default(),
        }
    }
}

/// The running service; [`SlackService::stop`] ends it.
pub struct SlackService {
    stop: Arc<AtomicBool>,
    poke: mpsc::Sender<()>,
    threads: Vec<JoinHandle<()>>,
    /// The bot user `auth.test` named.
    pub bot_user: String,
    /// Where the request URL listens, when answers come that way.
    pub request_url: Option<std::net::SocketAddr>,
}

impl std::fmt::Debug for SlackService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackService")
            .field("bot_user", &self.bot_user)
            .field("request_url", &self.request_url)
            .finish_non_exhaustive()
    }
}

/// The engine's side of Slack: `send` pokes the outbox.
struct SlackChannel {
    poke: mpsc::Sender<()>,
}

impl ApprovalChannel for SlackChannel {
    fn name(&self) -> &'static str {
        CHANNEL
    }

    fn send(&self, request: &Request) -> Result<(), String> {
        tracing::debug!(request = %request.id, "slack: request journaled; the outbox posts it");
        self.poke
            .send(())
            .map_err(|_| "the Slack service has stopped".to_owned())
    }
}

impl SlackService {
    /// Checks the bot token (`auth.test`), then starts the outbox and the
    /// answers threads.
    ///
    /// # Errors
    ///
    /// [`ServiceError`]: a refused token, a journal or audit log that
    /// cannot be opened, a request-URL address that cannot be bound.
    pub fn start(setup: SlackSetup, opts: ServiceOptions) -> Result<SlackService, ServiceError> {
        let web = Arc::new(setup.web);
        let bot_user = bot_user(&web)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (poke, poked) = mpsc::channel();
        let outbox = outbox::Outbox {
            web: Arc::clone(&web),
            journal: Journal::open(&opts.journal_path)?,
            audit: Some(AuditLog::open(&opts.audit_path)?),
            channel: setup.channel.clone(),
            policy: setup.policy.clone(),
            later: HashMap::new(),
            refused: HashSet::new(),
        };
        let answers = answers::Answers {
            web: Arc::clone(&web),
            journal: Journal::open(&opts.journal_path)?,
            audit: Some(AuditLog::open(&opts.audit_path)?),
            approvers: setup.approvers.clone(),
            bot_user: bot_user.clone(),
            config: opts.config.clone(),
            policy: setup.policy,
            poke: {
                let poke = poke.clone();
                Box::new(move || {
                    let _ = poke.send(());
                })
            },
        };
        let mut threads = vec![spawn_outbox(outbox, poked, Arc::clone(&stop), opts.poll)];
        let mut request_url = None;
        match setup.answers {
            SlackAnswers::Socket(app_token) => {
                // Checked here, so a wrong token fails the start.
                SocketMode::new(&web, app_token.clone(), opts.socket.clone())?;
                threads.push(spawn_socket(
                    web,
                    app_token,
                    opts.socket,
                    answers,
                    Arc::clone(&stop),
                ));
            }
            SlackAnswers::RequestUrl { listen, secret } => {
                let server = RequestUrlServer::bind(&listen, secret)?;
                request_url = server.local_addr();
                threads.push(spawn_request_url(server, answers, Arc::clone(&stop)));
            }
        }
        Ok(SlackService {
            stop,
            poke,
            threads,
            bot_user,
            request_url,
        })
    }

    /// The channel to hand the engine ([`crate::workflow::engine::EngineOptions::channels`]).
    pub fn channel(&self) -> Arc<dyn ApprovalChannel> {
        Arc::new(SlackChannel {
            poke: self.poke.clone(),
        })
    }

    /// Stops both threads and waits for them (an envelope being handled is
    /// finished first).
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.poke.send(());
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// The bot's user id from `auth.test`. A refused token stops the start;
/// Slack out of reach does not (the outbox and Socket Mode retry, and
/// requests stay answerable with `autonomic approve` meanwhile): the id is
/// then unknown, and bots' messages are still never answers (Slack marks
/// them with a `bot_id`).
fn bot_user(web: &WebClient) -> Result<String, ServiceError> {
    use agent_mouth_slack::WebError;
    match web.auth_test() {
        Ok(auth) => {
            tracing::info!(team = %auth.team, bot = %auth.user_id, "slack: connected");
            Ok(auth.user_id)
        }
        Err(
            e @ (WebError::Transport { .. }
            | WebError::RateLimited { .. }
            | WebError::Status { .. }),
        ) => {
            tracing::warn!("slack: {e}; starting anyway, posts and answers resume once it answers");
            Ok(String::new())
        }
        Err(e) => Err(ServiceError::Auth(e)),
    }
}

fn spawn_outbox(
    mut outbox: outbox::Outbox,
    poked: mpsc::Receiver<()>,
    stop: Arc<AtomicBool>,
    poll: Duration,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            outbox.step();
            match poked.recv_timeout(poll) {
                Ok(()) => while poked.try_recv().is_ok() {},
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    })
}

fn spawn_socket(
    web: Arc<WebClient>,
    app_token: agent_mouth_slack::SlackToken,
    config: SocketModeConfig,
    mut answers: answers::Answers,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut socket = match SocketMode::new(&web, app_token, config) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("slack: Socket Mode: {e}");
                return;
            }
        };
        if let Err(e) = socket.run(&stop, |envelope| answers.handle(envelope)) {
            tracing::error!("slack: Socket Mode ended: {e}; answers are not taken until `autonomic serve` restarts");
        }
    })
}

fn spawn_request_url(
    server: RequestUrlServer,
    mut answers: answers::Answers,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        if let Err(e) = server.run(&stop, |envelope| answers.handle(envelope)) {
            tracing::error!("slack: the request URL ended: {e}");
        }
    })
}
