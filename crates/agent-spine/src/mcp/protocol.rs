//! JSON-RPC framing and the MCP lifecycle of both eras.

use serde_json::{json, Map, Value};

use super::{tools, Server};

/// Revisions reached through the `initialize` handshake, oldest first.
pub const HANDSHAKE_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Stateless revisions (per-request `_meta`, `server/discover`).
pub const MODERN_VERSIONS: [&str; 1] = ["2026-07-28"];

const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";

pub(super) const PARSE_ERROR: i64 = -32700;
pub(super) const INVALID_REQUEST: i64 = -32600;
pub(super) const METHOD_NOT_FOUND: i64 = -32601;
pub(super) const INVALID_PARAMS: i64 = -32602;
const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

const INSTRUCTIONS: &str =
    "Autonomic runs shell commands safely: use run_command instead of a shell. \
Every command is validated (agent-mouth), its package installs are checked against an offline \
vulnerability database (agent-immune), and it runs in a sandbox (agent-muscle); a refusal says \
which rule fired and why. validate checks a command without running it.";

fn server_info() -> Value {
    json!({"name": "autonomic", "title": "Autonomic", "version": env!("CARGO_PKG_VERSION")})
}

fn capabilities() -> Value {
    json!({"tools": {"listChanged": false}})
}

/// One error response line.
pub(super) fn error_line(id: Value, code: i64, message: &str, data: Option<Value>) -> String {
    let mut error = json!({"code": code, "message": message});
    if let Some(d) = data {
        error["data"] = d;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": error}).to_string()
}

fn result_line(id: Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

/// The era of one request: the revision its `_meta` names, if any.
fn modern_version(params: &Value) -> Option<&str> {
    params["_meta"][PROTOCOL_VERSION_KEY].as_str()
}

pub(super) fn handle(server: &mut Server, message: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    if text.trim().is_empty() {
        return None;
    }
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Some(error_line(
                Value::Null,
                PARSE_ERROR,
                &format!("not JSON: {e}"),
                None,
            ))
        }
    };
    let Value::Object(msg) = value else {
        return Some(error_line(
            Value::Null,
            INVALID_REQUEST,
            "a message must be one JSON object (batches are not supported)",
            None,
        ));
    };
    let id = msg.get("id").cloned();
    let Some(method) = msg.get("method").and_then(Value::as_str) else {
        // A response to a request we never send, or junk without an id.
        return id
            .filter(|_| !msg.contains_key("result") && !msg.contains_key("error"))
            .map(|id| error_line(id, INVALID_REQUEST, "a request needs a `method`", None));
    };
    let Some(id) = id else {
        // Notifications (initialized, cancelled, …) need no answer.
        return None;
    };
    if msg.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(error_line(
            id,
            INVALID_REQUEST,
            "`jsonrpc` must be \"2.0\"",
            None,
        ));
    }
    let params = msg
        .get("params")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let modern = modern_version(&params).map(str::to_owned);
    if let Some(v) = &modern {
        if !MODERN_VERSIONS.contains(&v.as_str()) {
            return Some(error_line(
                id,
                UNSUPPORTED_PROTOCOL_VERSION,
                &format!("unsupported protocol version `{v}`"),
                Some(json!({"supported": MODERN_VERSIONS, "requested": v})),
            ));
        }
        if let Some(name) = params["_meta"][CLIENT_INFO_KEY]["name"].as_str() {
            server.set_client(name);
        }
    }
    server.current = Some(id.clone());
    let result = match method {
        "initialize" => initialize(server, &params),
        "server/discover" => Ok(discover()),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(tools_list(modern.is_some())),
        "tools/call" => tools::call(server, &params),
        other => Err((
            METHOD_NOT_FOUND,
            format!("method `{other}` is not supported"),
        )),
    };
    Some(match result {
        Ok(mut r) => {
            if modern.is_some() {
                if let Value::Object(o) = &mut r {
                    o.entry("resultType").or_insert_with(|| json!("complete"));
                }
            }
            result_line(id, r)
        }
        Err((code, message)) => error_line(id, code, &message, None),
    })
}

fn initialize(server: &mut Server, params: &Value) -> Result<Value, (i64, String)> {
    let Some(requested) = params["protocolVersion"].as_str() else {
        return Err((
            INVALID_PARAMS,
            "`initialize` needs `protocolVersion`".to_owned(),
        ));
    };
    if let Some(name) = params["clientInfo"]["name"].as_str() {
        server.set_client(name);
    }
    // Answer the client's revision when we speak it, else our newest
    // handshake revision (the client then decides whether to continue).
    let version = if HANDSHAKE_VERSIONS.contains(&requested) {
        requested
    } else {
        HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.len() - 1]
    };
    Ok(json!({
        "protocolVersion": version,
        "capabilities": capabilities(),
        "serverInfo": server_info(),
        "instructions": INSTRUCTIONS,
    }))
}

fn discover() -> Value {
    json!({
        "supportedVersions": MODERN_VERSIONS,
        "capabilities": capabilities(),
        "instructions": INSTRUCTIONS,
        "ttlMs": 0,
        "cacheScope": "private",
        "_meta": {SERVER_INFO_KEY: server_info()},
    })
}

fn tools_list(modern: bool) -> Value {
    let mut r = json!({"tools": tools::definitions()});
    if modern {
        r["ttlMs"] = json!(0);
        r["cacheScope"] = json!("private");
    }
    r
}
