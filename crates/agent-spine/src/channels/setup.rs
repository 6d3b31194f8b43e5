//! Transports from configuration: each token or password is read from the
//! environment variable its `[mouth] *_env` key names (never from a file)
//! straight into the transport's redacting type, and every failure names
//! the key and the variable, never the value.

use std::path::Path;

use agent_mouth::outbound::OutboundPolicy;
use agent_mouth_email::{Mailer, SmtpConfig, SmtpPassword, TlsMode};
use agent_mouth_github::{GitHubClient, GitHubToken};
use agent_mouth_slack::{SigningSecret, SlackToken, TokenKind, WebClient};
use autonomic_core::config::Config;

use super::policy;

/// Why a channel could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The variable a key names is not set (or empty, or not UTF-8).
    #[error("`[mouth] {key}` names the environment variable ${var}, which is not set")]
    MissingVariable {
        /// The config key.
        key: &'static str,
        /// The variable.
        var: String,
    },
    /// The variable holds something that is not the secret expected.
    #[error("${var} (named by `[mouth] {key}`) does not hold {what}: {reason}")]
    BadSecret {
        /// The config key.
        key: &'static str,
        /// The variable.
        var: String,
        /// What it should hold.
        what: &'static str,
        /// Why not (never the value).
        reason: String,
    },
    /// A setting the channel needs is not set.
    #[error("`[mouth] {key}` is not set: {why}")]
    NotConfigured {
        /// The key.
        key: &'static str,
        /// What it is for.
        why: &'static str,
    },
    /// The Slack client refused its settings.
    #[error("the Slack client: {0}")]
    Slack(#[source] agent_mouth_slack::WebError),
    /// The GitHub client refused its settings.
    #[error("the GitHub client: {0}")]
    GitHub(#[source] agent_mouth_github::GitHubError),
    /// The mailer refused its settings.
    #[error("the SMTP relay settings: {0}")]
    Email(#[source] agent_mouth_email::ConfigError),
}

impl autonomic_core::Hint for SetupError {
    fn hint(&self) -> Option<String> {
        match self {
            SetupError::MissingVariable { var, .. } => Some(format!(
                "export {var}=… in the environment `autonomic serve` runs in (the value never goes in a file)"
            )),
            SetupError::NotConfigured { key, .. } => {
                Some(format!("set `{key}` under [mouth] in config.toml (`autonomic config show` lists it)"))
            }
            _ => None,
        }
    }
}

/// How Slack delivers answers.
#[derive(Debug)]
pub enum SlackAnswers {
    /// Socket Mode, with the app-level token.
    Socket(SlackToken),
    /// A request URL served on `listen`, verified with the signing secret.
    RequestUrl {
        /// `IP:port`.
        listen: String,
        /// The signing secret.
        secret: SigningSecret,
    },
}

/// What the Slack approval service runs with.
#[derive(Debug)]
pub struct SlackSetup {
    /// The Web API client (bot token).
    pub web: WebClient,
    /// Where requests are posted (`[mouth] slack_approval_channel`).
    pub channel: String,
    /// Who may answer (`[mouth] slack_approvers`).
    pub approvers: Vec<String>,
    /// How answers arrive.
    pub answers: SlackAnswers,
    /// What every message is validated against.
    pub policy: OutboundPolicy,
}

fn variable(key: &'static str, var: &str) -> Result<String, SetupError> {
    autonomic_core::env::configured(var).ok_or_else(|| SetupError::MissingVariable {
        key,
        var: var.to_owned(),
    })
}

fn bad(key: &'static str, var: &str, what: &'static str, reason: impl ToString) -> SetupError {
    SetupError::BadSecret {
        key,
        var: var.to_owned(),
        what,
        reason: reason.to_string(),
    }
}

/// The Slack setup of `config`.
///
/// # Errors
///
/// A variable not set or not holding the right kind of token, a base URL
/// the client refuses.
pub fn slack(config: &Config, user_home: Option<&Path>) -> Result<SlackSetup, SetupError> {
    let m = &config.mouth;
    let (key, var) = ("slack_bot_token_env", m.slack_bot_token_env.as_str());
    let bot = SlackToken::of_kind(&variable(key, var)?, TokenKind::Bot)
        .map_err(|e| bad(key, var, "a Slack bot token (xoxb-…)", e))?;
    let web = WebClient::builder(bot)
        .and_then(|b| b.base_url(&m.slack_api_url).build())
        .map_err(SetupError::Slack)?;
    let answers = if m.slack_answers == "http" {
        let (key, var) = (
            "slack_signing_secret_env",
            m.slack_signing_secret_env.as_str(),
        );
        let secret = SigningSecret::new(&variable(key, var)?)
            .map_err(|e| bad(key, var, "a Slack signing secret", e))?;
        SlackAnswers::RequestUrl {
            listen: m.slack_listen.clone(),
            secret,
        }
    } else {
        let (key, var) = ("slack_app_token_env", m.slack_app_token_env.as_str());
        let app = SlackToken::of_kind(&variable(key, var)?, TokenKind::App)
            .map_err(|e| bad(key, var, "a Slack app-level token (xapp-…)", e))?;
        SlackAnswers::Socket(app)
    };
    Ok(SlackSetup {
        web,
        channel: m.slack_approval_channel.clone(),
        approvers: m.slack_approvers.clone(),
        answers,
        policy: policy::outbound(config, user_home),
    })
}

/// The GitHub client of `config`.
///
/// # Errors
///
/// The token variable not set or not a GitHub token; a base URL the client
/// refuses.
pub fn github(config: &Config) -> Result<GitHubClient, SetupError> {
    let m = &config.mouth;
    let (key, var) = ("github_token_env", m.github_token_env.as_str());
    let token = GitHubToken::new(&variable(key, var)?)
        .map_err(|e| bad(key, var, "a GitHub token (ghp_…, github_pat_…, ghs_…)", e))?;
    GitHubClient::builder(token)
        .base_url(&m.github_api_url)
        .build()
        .map_err(SetupError::GitHub)
}

/// The mailer of `config`.
///
/// # Errors
///
/// No relay or sender configured; the password variable not set when a
/// user name is; settings the mailer refuses (plaintext to a remote relay).
pub fn mailer(config: &Config) -> Result<Mailer, SetupError> {
    let m = &config.mouth;
    let host = m.smtp_host.clone().ok_or(SetupError::NotConfigured {
        key: "smtp_host",
        why: "the e-mail channel needs a relay",
    })?;
    let from = m.email_from.clone().ok_or(SetupError::NotConfigured {
        key: "email_from",
        why: "the e-mail channel needs a sender address",
    })?;
    let port = u16::try_from(m.smtp_port).unwrap_or(587);
    let mut smtp = SmtpConfig::new(host, port, from);
    smtp.tls = match m.smtp_tls.as_str() {
        "starttls-if-offered" => TlsMode::StartTlsIfOffered,
        "tls" => TlsMode::ImplicitTls,
        "none" => TlsMode::Plaintext,
        _ => TlsMode::StartTlsRequired,
    };
    if let Some(user) = &m.smtp_username {
        let (key, var) = ("smtp_password_env", m.smtp_password_env.as_str());
        let password = SmtpPassword::new(&variable(key, var)?)
            .map_err(|e| bad(key, var, "an SMTP password", e))?;
        smtp.username = Some(user.clone());
        smtp.password = Some(password);
    }
    Mailer::new(smtp).map_err(SetupError::Email)
}

/// The Slack Web API client alone (the bot token from `[mouth]
/// slack_bot_token_env`), for notify nodes: no answers, so no app token or
/// signing secret.
///
/// # Errors
///
/// As [`slack`], for the bot token and base URL.
pub fn slack_web(config: &Config) -> Result<WebClient, SetupError> {
    let m = &config.mouth;
    let (key, var) = ("slack_bot_token_env", m.slack_bot_token_env.as_str());
    let bot = SlackToken::of_kind(&variable(key, var)?, TokenKind::Bot)
        .map_err(|e| bad(key, var, "a Slack bot token (xoxb-…)", e))?;
    WebClient::builder(bot)
        .and_then(|b| b.base_url(&m.slack_api_url).build())
        .map_err(SetupError::Slack)
}
