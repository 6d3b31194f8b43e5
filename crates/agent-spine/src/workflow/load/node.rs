//! One `[[node]]` table → a [`Node`]: which keys each kind takes, their
//! types, ranges and defaults, and the checks that need only the node
//! itself.
//!
//! What it must not do: look at other nodes (references, cycles and
//! approvals are `graph.rs` and `refs.rs`).

use std::collections::BTreeMap;

use autonomic_core::severity::Severity;
use autonomic_core::{Decision, SandboxLevel};

use super::raw::{did_you_mean, Fields};
use super::WorkflowError;
use crate::workflow::model::{
    GateFail, GateWhen, IssueRef, Network, Node, NodeKind, NotifyChannel, OnReview, PromptOutput,
    Risk, ScanTarget, DEFAULT_CONTEXT_BUDGET, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_STEPS,
    DEFAULT_MAX_TOKENS,
};

/// Keys every kind takes.
const COMMON: &[&str] = &["id", "kind", "needs", "on_failure", "remember"];
/// Keys of the kinds that run something (exec, agent).
const RUNS: &[&str] = &[
    "sandbox",
    "timeout",
    "memory",
    "network",
    "modifies_external_state",
    "waive_approval",
];

/// Ids that would read as a gate's `on_fail` keywords.
const RESERVED_IDS: [&str; 2] = ["hold", "fail"];

/// The sandbox names and levels.
pub(super) const SANDBOXES: [(&str, SandboxLevel); 3] = [
    ("none", SandboxLevel::None),
    ("seccomp", SandboxLevel::Seccomp),
    ("firecracker", SandboxLevel::Firecracker),
];

/// Keys a kind takes besides [`COMMON`].
fn kind_keys(kind: &str) -> Vec<&'static str> {
    let own: &[&str] = match kind {
        "scan" => &["target", "patch", "recursive", "on_findings"],
        "gate" => &["when", "source", "at_least", "equals", "allow", "on_fail"],
        "prompt" => &["prompt", "system", "output", "context_budget", "max_tokens"],
        "exec" => &["command", "on_review", "on_reject", "max_attempts"],
        "apply" => &["patch"],
        "agent" => &["goal", "max_steps", "on_review"],
        "approval" => &["action", "risk"],
        "notify" => &[
            "message",
            "channel",
            "slack_channel",
            "to",
            "subject",
            "target",
        ],
        "github" => &["method", "path", "body"],
        _ => &[],
    };
    let runs = if matches!(kind, "exec" | "agent") {
        RUNS
    } else {
        &[]
    };
    own.iter().chain(runs).copied().collect()
}

/// "does not apply to …" for a key another kind takes.
fn misplaced(kind: &str, key: &str) -> Option<String> {
    let owners: Vec<&str> = crate::workflow::model::NodeKind::NAMES
        .into_iter()
        .filter(|other| *other != kind && kind_keys(other).contains(&key))
        .collect();
    (!owners.is_empty()).then(|| {
        format!(
            "does not apply to a {kind} node (it is a key of {} nodes)",
            owners.join(", ")
        )
    })
}

/// Whether `id` is `[a-z][a-z0-9_-]{0,63}`.
pub(super) fn is_node_id(id: &str) -> bool {
    id.len() <= 64
        && id.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A parsed node and the line of each of its keys.
pub(super) struct Located {
    /// The node.
    pub node: Node,
    /// Key → 1-based line.
    pub lines: BTreeMap<String, usize>,
}

impl Located {
    /// Line of `key`, else of the `[[node]]` header.
    pub fn line_of(&self, key: &str) -> usize {
        self.lines.get(key).copied().unwrap_or(self.node.line)
    }
}

/// Reads one `[[node]]`.
pub(super) fn node(mut fields: Fields<'_, '_>) -> Result<Located, WorkflowError> {
    let id = fields.required_string("id", "every node has an id")?;
    fields.set_node(&id);
    if !is_node_id(&id) {
        return Err(fields.error(
            "id",
            "must be 1 to 64 lowercase letters, digits, `_` or `-`, starting with a letter",
        ));
    }
    if RESERVED_IDS.contains(&id.as_str()) {
        return Err(fields.error(
            "id",
            "`hold` and `fail` are reserved (gate on_fail keywords)",
        ));
    }
    let kind_name = fields.required_string(
        "kind",
        "scan, gate, prompt, exec, apply, agent, approval, notify or github",
    )?;
    if !NodeKind::NAMES.contains(&kind_name.as_str()) {
        let mut error = fields.error(
            "kind",
            format!(
                "unknown kind \"{kind_name}\" (expected {})",
                NodeKind::NAMES.join(", ")
            ),
        );
        error.hint = did_you_mean(&kind_name, NodeKind::NAMES);
        return Err(error);
    }
    let allowed: Vec<&str> = COMMON
        .iter()
        .copied()
        .chain(kind_keys(&kind_name))
        .collect();
    fields.check_keys(&allowed, &|key| misplaced(&kind_name, key))?;

    let kind = kind(&fields, &kind_name)?;
    let needs = needs(&fields)?;
    let kind_is_outbound = kind.is_outbound();
    let node = Node {
        id,
        line: fields.header_line(),
        needs,
        kind,
        sandbox: fields.choice("sandbox", &SANDBOXES)?,
        timeout: fields.duration("timeout")?,
        memory_mib: fields.memory("memory")?,
        network: network(&fields)?,
        // An outbound node always does (a crash while it sends asks a human).
        modifies_external_state: kind_is_outbound
            || fields.boolean("modifies_external_state")?.unwrap_or(false),
        waive_approval: fields.string("waive_approval")?,
        on_failure: fields.string("on_failure")?,
        on_reject: fields.string("on_reject")?,
        on_findings: fields.string("on_findings")?,
        max_attempts: attempts(&fields)?,
        remember: fields.string("remember")?,
    };
    check_waiver(&fields, &node)?;
    let lines = fields
        .keys()
        .map(|(key, line)| (key.to_owned(), line))
        .collect();
    Ok(Located { node, lines })
}

/// `needs`: distinct ids.
fn needs(fields: &Fields<'_, '_>) -> Result<Vec<String>, WorkflowError> {
    let needs = fields.strings("needs")?.unwrap_or_default();
    for (i, need) in needs.iter().enumerate() {
        if needs[..i].contains(need) {
            return Err(fields.error("needs", format!("lists `{need}` twice")));
        }
    }
    Ok(needs)
}

/// `max_attempts`: 1..=10, only with `on_reject`.
fn attempts(fields: &Fields<'_, '_>) -> Result<u32, WorkflowError> {
    let attempts = fields.integer("max_attempts", 1..=10)?;
    if attempts.is_some() && fields.string("on_reject")?.is_none() {
        return Err(fields.error(
            "max_attempts",
            "applies only with `on_reject` (attempts at regenerating a refused command)",
        ));
    }
    Ok(attempts.map_or(DEFAULT_MAX_ATTEMPTS, |n| n as u32))
}

/// `waive_approval` only with `modifies_external_state = true`, and with a reason.
fn check_waiver(fields: &Fields<'_, '_>, node: &Node) -> Result<(), WorkflowError> {
    match &node.waive_approval {
        Some(_) if !node.modifies_external_state => Err(fields.error(
            "waive_approval",
            "applies only with `modifies_external_state = true`",
        )),
        Some(reason) if reason.trim().is_empty() => Err(fields.error(
            "waive_approval",
            "the reason must not be empty (it is audited)",
        )),
        _ => Ok(()),
    }
}

/// `network`: false, true, or `host` / `host:port` entries.
fn network(fields: &Fields<'_, '_>) -> Result<Network, WorkflowError> {
    Ok(match fields.bool_or_strings("network")? {
        None | Some(Ok(false)) => Network::Off,
        Some(Ok(true)) => Network::Any,
        Some(Err(hosts)) if hosts.is_empty() => Network::Off,
        Some(Err(hosts)) => {
            if let Some(bad) = hosts.iter().find(|host| !is_host_grant(host)) {
                return Err(
                    fields.error("network", format!("\"{bad}\" is not a host or host:port"))
                );
            }
            Network::Hosts(hosts)
        }
    })
}

/// `host` or `host:port`: a name of letters, digits, `.`, `-`, `_` or a
/// leading `*.`, and a port in 1..=65535.
fn is_host_grant(grant: &str) -> bool {
    let (host, port) = match grant.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (grant, None),
    };
    let name = host.strip_prefix("*.").unwrap_or(host);
    let host_ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|p| p > 0));
    host_ok && port_ok
}

/// The kind-specific keys.
fn kind(fields: &Fields<'_, '_>, name: &str) -> Result<NodeKind, WorkflowError> {
    let review = [
        ("approval", OnReview::Approval),
        ("refuse", OnReview::Refuse),
    ];
    Ok(match name {
        "scan" => scan(fields)?,
        "gate" => gate(fields)?,
        "prompt" => prompt(fields)?,
        "exec" => NodeKind::Exec {
            command: fields.required_string("command", "the command line an exec node runs")?,
            on_review: fields
                .choice("on_review", &review)?
                .unwrap_or(OnReview::Approval),
        },
        "apply" => NodeKind::Apply {
            patch: fields.required_string("patch", "the patch an apply node applies")?,
        },
        "agent" => NodeKind::Agent {
            goal: fields.required_string("goal", "what the agent loop works towards")?,
            max_steps: fields
                .integer("max_steps", 1..=100)?
                .map_or(DEFAULT_MAX_STEPS, |n| n as u32),
            on_review: fields
                .choice("on_review", &review)?
                .unwrap_or(OnReview::Refuse),
        },
        "approval" => NodeKind::Approval {
            action: fields.required_string("action", "what is being approved")?,
            risk: fields
                .choice("risk", &Risk::ALL.map(|risk| (risk.as_str(), risk)))?
                .unwrap_or(Risk::High),
        },
        "github" => github(fields)?,
        _ => NodeKind::Notify {
            message: fields.required_string("message", "what a notify node says")?,
            channel: notify_channel(fields)?,
        },
    })
}

/// A notify node's `channel` and the keys that go with it.
fn notify_channel(fields: &Fields<'_, '_>) -> Result<NotifyChannel, WorkflowError> {
    let name = fields
        .choice(
            "channel",
            &[
                ("local", "local"),
                ("slack", "slack"),
                ("email", "email"),
                ("github", "github"),
            ],
        )?
        .unwrap_or("local");
    for (key, owner) in [
        ("slack_channel", "slack"),
        ("to", "email"),
        ("subject", "email"),
        ("target", "github"),
    ] {
        if owner != name && fields.has(key) {
            return Err(fields.error(key, format!("applies only with channel = \"{owner}\"")));
        }
    }
    Ok(match name {
        "slack" => NotifyChannel::Slack {
            channel: fields.string("slack_channel")?,
        },
        "email" => NotifyChannel::Email {
            to: recipients(fields)?,
            subject: fields.string("subject")?,
        },
        "github" => {
            let target = fields.string("target")?.ok_or_else(|| {
                fields.header_error(
                    "missing required key `target` (channel = \"github\" comments on \"owner/repo#NUMBER\")",
                )
            })?;
            NotifyChannel::GitHub(
                target
                    .parse::<IssueRef>()
                    .map_err(|e| fields.error("target", e))?,
            )
        }
        _ => NotifyChannel::Local,
    })
}

/// An e-mail notify's `to`: 1 to 50 distinct plain addresses (whether
/// `[mouth] email_recipients` lists each is checked when it is sent).
fn recipients(fields: &Fields<'_, '_>) -> Result<Vec<String>, WorkflowError> {
    let to = fields.strings("to")?.ok_or_else(|| {
        fields.header_error(
            "missing required key `to` (channel = \"email\" sends to these addresses, each within [mouth] email_recipients)",
        )
    })?;
    if to.is_empty() || to.len() > agent_mouth::outbound::MAX_RECIPIENTS {
        return Err(fields.error(
            "to",
            format!(
                "must list 1 to {} addresses",
                agent_mouth::outbound::MAX_RECIPIENTS
            ),
        ));
    }
    for (i, addr) in to.iter().enumerate() {
        let plain = addr
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'))
            && !addr.contains(|c: char| c.is_whitespace() || "<>,;\"".contains(c));
        if !plain {
            return Err(fields.error(
                "to",
                format!("\"{addr}\" is not one plain address `local@domain`"),
            ));
        }
        if to[..i].iter().any(|a| a.eq_ignore_ascii_case(addr)) {
            return Err(fields.error("to", format!("lists \"{addr}\" twice")));
        }
    }
    Ok(to)
}

/// A github node: `method`, `path` (required) and `body`.
fn github(fields: &Fields<'_, '_>) -> Result<NodeKind, WorkflowError> {
    let method = fields.required_string("method", "GET, POST, PUT, PATCH or DELETE")?;
    // A literal method is checked now; a template when it is rendered.
    if !method.contains("${{") {
        let known = ["GET", "POST", "PUT", "PATCH", "DELETE"];
        if !known
            .iter()
            .any(|m| *m == method || m.to_lowercase() == method)
        {
            let mut error = fields.error(
                "method",
                format!("unknown method \"{method}\" (expected GET, POST, PUT, PATCH or DELETE)"),
            );
            error.hint = did_you_mean(&method.to_uppercase(), known);
            return Err(error);
        }
    }
    let path = fields.required_string(
        "path",
        "the path under the API root, e.g. /repos/octo/app/issues/7/comments",
    )?;
    if !path.contains("${{") && !path.starts_with('/') && !path.starts_with("https://") {
        return Err(fields.error(
            "path",
            format!(
                "\"{path}\" must start with `/` (under the API root, e.g. /repos/octo/app/pulls)"
            ),
        ));
    }
    Ok(NodeKind::GitHub {
        method,
        path,
        body: fields.string("body")?,
    })
}

fn scan(fields: &Fields<'_, '_>) -> Result<NodeKind, WorkflowError> {
    let target = fields
        .choice("target", &[("repo", false), ("patch", true)])?
        .unwrap_or(false);
    let patch = fields.string("patch")?;
    let target = match (target, patch) {
        (true, Some(patch)) => ScanTarget::Patch(patch),
        (true, None) => {
            return Err(fields
                .header_error("missing required key `patch` (target = \"patch\" scans a patch)"))
        }
        (false, Some(_)) => {
            return Err(fields.error("patch", "applies only with target = \"patch\""))
        }
        (false, None) => ScanTarget::Repo,
    };
    Ok(NodeKind::Scan {
        target,
        recursive: fields.boolean("recursive")?.unwrap_or(true),
    })
}

fn prompt(fields: &Fields<'_, '_>) -> Result<NodeKind, WorkflowError> {
    let outputs = [
        ("command", PromptOutput::Command),
        ("patch", PromptOutput::Patch),
        ("text", PromptOutput::Text),
    ];
    Ok(NodeKind::Prompt {
        prompt: fields.required_string("prompt", "what the model is asked")?,
        system: fields.string("system")?,
        output: fields
            .choice("output", &outputs)?
            .unwrap_or(PromptOutput::Command),
        context_budget: fields
            .integer("context_budget", 0..=8000)?
            .map_or(DEFAULT_CONTEXT_BUDGET, |n| n as usize),
        max_tokens: fields
            .integer("max_tokens", 1..=8192)?
            .map_or(DEFAULT_MAX_TOKENS, |n| n as u32),
    })
}

fn gate(fields: &Fields<'_, '_>) -> Result<NodeKind, WorkflowError> {
    let when_name = fields
        .choice(
            "when",
            &[
                ("findings", "findings"),
                ("exit_code", "exit_code"),
                ("verdict", "verdict"),
            ],
        )?
        .ok_or_else(|| {
            fields.header_error("missing required key `when` (findings, exit_code or verdict)")
        })?;
    for (key, owner) in [
        ("at_least", "findings"),
        ("equals", "exit_code"),
        ("allow", "verdict"),
    ] {
        if owner != when_name && fields.has(key) {
            return Err(fields.error(key, format!("applies only with when = \"{owner}\"")));
        }
    }
    let when = match when_name {
        "findings" => GateWhen::Findings {
            at_least: fields.choice("at_least", &SEVERITIES)?,
        },
        "exit_code" => GateWhen::ExitCode {
            equals: fields
                .integer("equals", i64::from(i32::MIN)..=i64::from(i32::MAX))?
                .map_or(0, |n| n as i32),
        },
        _ => GateWhen::Verdict {
            allow: verdicts(fields)?,
        },
    };
    let source = match (fields.string("source")?, fields.strings("needs")?) {
        (Some(source), _) => source,
        (None, Some(needs)) if needs.len() == 1 => needs[0].clone(),
        (None, needs) => {
            return Err(fields.header_error(format!(
            "missing required key `source` (needs has {} entries; source defaults to the only one)",
            needs.map_or(0, |needs| needs.len())
        )))
        }
    };
    Ok(NodeKind::Gate {
        on_fail: gate_fail(fields, when_name)?,
        when,
        source,
    })
}

/// The severities `at_least` takes.
const SEVERITIES: [(&str, Severity); 4] = [
    ("critical", Severity::Critical),
    ("high", Severity::High),
    ("medium", Severity::Medium),
    ("low", Severity::Low),
];

fn verdicts(fields: &Fields<'_, '_>) -> Result<Vec<Decision>, WorkflowError> {
    let Some(names) = fields.strings("allow")? else {
        return Ok(vec![Decision::Allow]);
    };
    if names.is_empty() {
        return Err(fields.error("allow", "must name at least one verdict"));
    }
    names
        .iter()
        .map(|name| {
            name.parse::<Decision>().map_err(|_| {
                fields.error(
                    "allow",
                    format!("unknown verdict \"{name}\" (expected allow, review or deny)"),
                )
            })
        })
        .collect()
}

fn gate_fail(fields: &Fields<'_, '_>, when: &str) -> Result<GateFail, WorkflowError> {
    Ok(match fields.string("on_fail")?.as_deref() {
        None if when == "findings" => GateFail::Hold,
        None | Some("fail") => GateFail::Fail,
        Some("hold") if when == "findings" => GateFail::Hold,
        Some("hold") => {
            return Err(fields.error(
                "on_fail",
                "\"hold\" applies only with when = \"findings\" (a hold ends with a clean rescan)",
            ))
        }
        Some(target) => GateFail::Route(target.to_owned()),
    })
}
