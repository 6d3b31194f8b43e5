//! Data flow in TypeScript/JavaScript: where values come from (`fetch`
//! responses, sockets, decoded buffers, `process.env`, secret files) and
//! where they go (child processes, dynamic imports, files that run later,
//! network and DNS sends), through `const`/`let` declarations, assignments,
//! destructuring, `await`, member chains, calls and template strings.
//!
//! Flow-insensitive and per module, like Python's (`crate::python`): a name
//! is tainted when any value bound to it is.

use std::collections::HashMap;

use tree_sitter::Node;

use super::{js_str, Ts};
use crate::catalog as c;
use crate::names::credential_path;
use crate::syntax::kind;
use crate::taint::{runs_later, secret_name, CodeFiles, Taint};

/// JavaScript and TypeScript code files.
const SCRIPT: CodeFiles = CodeFiles {
    extensions: &["js", "mjs", "cjs", "ts", "mts", "cts", "tsx", "jsx"],
    runs: "code that an import or `node` runs",
};

/// Calls whose result is (or resolves to) a network response, or is a
/// connection whose `write`/`send` sends.
const FETCH: &[&str] = &[
    "fetch",
    "http.request",
    "https.request",
    "net.Socket",
    "tls.connect",
    "dgram.createSocket",
    "WebSocket",
    "XMLHttpRequest",
    "EventSource",
    "axios.get",
    "axios.post",
    "axios",
    "got",
    "got.get",
    "http.get",
    "https.get",
    "Deno.connect",
    "Bun.connect",
    "net.connect",
    "net.createConnection",
];

/// Calls that run programs or load code.
const RUNS: &[&str] = &[
    "child_process.exec",
    "child_process.execSync",
    "child_process.execFile",
    "child_process.execFileSync",
    "child_process.spawn",
    "child_process.spawnSync",
    "child_process.fork",
    "Bun.spawn",
    "Bun.spawnSync",
    "Deno.Command",
    "Deno.run",
    "require",
    "import",
    "process.dlopen",
    "vm.runInNewContext",
    "vm.runInThisContext",
];

/// Calls that send their arguments over the network (or in a DNS name).
const SENDS: &[&str] = &[
    "fetch",
    "http.get",
    "https.get",
    "got",
    "got.get",
    "net.connect",
    "tls.connect",
    "axios.post",
    "axios.put",
    "axios.get",
    "axios",
    "got.post",
    "http.request",
    "https.request",
    "navigator.sendBeacon",
];

/// The data-flow pass over one module's nodes.
pub(super) fn check(ts: &mut Ts<'_, '_, '_>, nodes: &[Node<'_>]) {
    let taints = names(ts, nodes);
    let mut written: Vec<(String, Taint)> = Vec::new();
    for n in nodes.iter().filter(|n| kind(*n) == "call_expression") {
        let Some(f) = n.child_by_field_name("function") else {
            continue;
        };
        let name = callee(ts, f);
        let args = Ts::args(*n);
        let arg_taint = args
            .iter()
            .fold(Taint::default(), |t, a| t | expr(ts, &taints, *a));
        if let Some(write) = super::fs_write(&name) {
            let (dest, body) = if write.starts_with("copy") || write.starts_with("cp") {
                (args.get(1), args.first())
            } else {
                (args.first(), args.get(1))
            };
            if let (Some(path), Some(body)) = (dest.and_then(|d| js_str(*d, ts.src)), body) {
                let t = expr(ts, &taints, *body);
                if t.hostile() {
                    if let Some(what) = runs_later(&path, &SCRIPT) {
                        ts.hit(
                            c::TS_FETCH_EVAL,
                            n.byte_range(),
                            format!("data from {} is written to `{path}`, {what}", t.origin()),
                        );
                    }
                }
                written.push((path, t));
            }
        }
        let runs = RUNS.contains(&name.as_str());
        if runs && arg_taint.hostile() {
            let rule = if arg_taint.network {
                c::TS_FETCH_EVAL
            } else {
                c::TS_DECODE_EXEC
            };
            ts.hit(
                rule,
                n.byte_range(),
                format!("`{name}` runs or loads data from {}", arg_taint.origin()),
            );
        }
        if runs {
            if let Some((path, t)) = uses_written(ts, &args, &written) {
                ts.hit(
                    c::TS_FETCH_EVAL,
                    n.byte_range(),
                    format!(
                        "`{name}` runs `{path}`, a file this code wrote from {}",
                        t.origin()
                    ),
                );
            }
        }
        let sends = SENDS.contains(&name.as_str())
            || super::is_dns_lookup(&name)
            || method(ts, f).is_some_and(|m| matches!(m, "write" | "send" | "end" | "emit"))
                && receiver_taint(ts, &taints, f).network;
        let sent = args
            .iter()
            .fold(Taint::default(), |t, a| t | sent_part(ts, &taints, *a));
        if sends && sent.secret {
            ts.hit(
                c::TS_EXFILTRATION,
                n.byte_range(),
                "sends a value read from the environment or a secret file over the network",
            );
        }
    }
}

/// `import("./x.mjs")` has a callee node of kind `import`; other callees
/// are qualified names.
fn callee(ts: &Ts<'_, '_, '_>, f: Node<'_>) -> String {
    if kind(f) == "import" {
        return "import".into();
    }
    let q = ts.qualify(f);
    q.trim_end_matches("()")
        .trim_start_matches("node:")
        .to_string()
}

/// The method name of `x.m(…)`.
fn method<'s>(ts: &'s Ts<'_, '_, '_>, f: Node<'_>) -> Option<&'s str> {
    (kind(f) == "member_expression")
        .then(|| f.child_by_field_name("property"))
        .flatten()
        .map(|p| &ts.src[p.byte_range()])
}

/// The taint of the object a method is called on (`sock.write(…)`).
fn receiver_taint(ts: &Ts<'_, '_, '_>, taints: &HashMap<String, Taint>, f: Node<'_>) -> Taint {
    f.child_by_field_name("object")
        .map_or(Taint::default(), |o| expr(ts, taints, o))
}

/// The taint of what an argument sends: an options object's `headers`
/// carry credentials to authenticate, which is their use, not a leak.
fn sent_part(ts: &Ts<'_, '_, '_>, taints: &HashMap<String, Taint>, a: Node<'_>) -> Taint {
    if kind(a) != "object" {
        return expr(ts, taints, a);
    }
    let mut t = Taint::default();
    let mut c = a.walk();
    for p in a.named_children(&mut c) {
        let key = p
            .child_by_field_name("key")
            .map(|k| ts.src[k.byte_range()].trim_matches(['"', '\'']).to_string());
        if matches!(key.as_deref(), Some("headers" | "auth" | "agent")) {
            continue;
        }
        t |= expr(ts, taints, p);
    }
    t
}

/// The taint of every name, to a fixed point.
fn names(ts: &Ts<'_, '_, '_>, nodes: &[Node<'_>]) -> HashMap<String, Taint> {
    let mut taints: HashMap<String, Taint> = HashMap::new();
    for _ in 0..8 {
        let mut changed = false;
        for n in nodes {
            let (target, value) = match kind(*n) {
                "variable_declarator" => (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("value"),
                ),
                "assignment_expression" | "augmented_assignment_expression" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                // `for (const chunk of res.body)`
                "for_in_statement" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                _ => continue,
            };
            let (Some(target), Some(value)) = (target, value) else {
                continue;
            };
            let t = expr(ts, &taints, value);
            if !t.any() {
                continue;
            }
            for name in bound(ts, target) {
                let e = taints.entry(name).or_default();
                let merged = *e | t;
                if merged != *e {
                    *e = merged;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    taints
}

/// Names bound by a declaration or assignment target, destructuring included.
fn bound(ts: &Ts<'_, '_, '_>, target: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(t) = stack.pop() {
        match kind(t) {
            "identifier" | "shorthand_property_identifier_pattern" => {
                out.push(ts.src[t.byte_range()].to_string());
            }
            "object_pattern"
            | "array_pattern"
            | "pair_pattern"
            | "assignment_pattern"
            | "rest_pattern"
            | "lexical_declaration"
            | "variable_declaration" => {
                let mut c = t.walk();
                stack.extend(t.named_children(&mut c));
            }
            _ => {}
        }
    }
    out
}

/// The taint of an expression: source calls and tainted names anywhere in
/// it (member chains, calls on it, templates, containers).
fn expr(ts: &Ts<'_, '_, '_>, taints: &HashMap<String, Taint>, e: Node<'_>) -> Taint {
    let mut t = Taint::default();
    let mut stack = vec![e];
    while let Some(n) = stack.pop() {
        match kind(n) {
            "identifier" => {
                if let Some(x) = taints.get(&ts.src[n.byte_range()]) {
                    t |= *x;
                }
            }
            "call_expression" | "new_expression" => t |= call_source(ts, n),
            "member_expression" | "subscript_expression" => {
                let q = ts.qualify(n);
                if let Some(var) = q.strip_prefix("process.env.") {
                    t.secret |= var == "[?]" || secret_name(var);
                } else if q == "process.env" {
                    // The whole environment, unless a member of it is read
                    // (that member is judged by its name).
                    let member_read = n.parent().is_some_and(|p| {
                        matches!(kind(p), "member_expression" | "subscript_expression")
                            && p.child_by_field_name("object") == Some(n)
                    });
                    t.secret |= !member_read;
                }
            }
            // A function body is not this value (a callback is judged where
            // it runs).
            "arrow_function" | "function_expression" | "function_declaration" => continue,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    t
}

/// What a call itself produces.
fn call_source(ts: &Ts<'_, '_, '_>, n: Node<'_>) -> Taint {
    let Some(f) = n
        .child_by_field_name("function")
        .or_else(|| n.child_by_field_name("constructor"))
    else {
        return Taint::default();
    };
    let name = callee(ts, f);
    let args = Ts::args(n);
    let mut t = Taint::default();
    if FETCH.contains(&name.as_str()) {
        t.network = true;
    }
    let second = args.get(1).and_then(|a| js_str(*a, ts.src));
    if name == "atob"
        || name == "Buffer.from"
            && second.is_some_and(|e| matches!(e.as_str(), "base64" | "base64url" | "hex"))
        || name.ends_with("inflateSync")
        || name.ends_with("gunzipSync")
        || name.ends_with("brotliDecompressSync")
    {
        t.decoded = true;
    }
    if name.ends_with("readFileSync") || name.ends_with("readFile") || name == "Deno.readTextFile" {
        let path = args.first().and_then(|a| js_str(*a, ts.src));
        t.secret |= path.is_some_and(|p| credential_path(&p).is_some());
    }
    t
}

/// A run or load whose argument names a file this code wrote from hostile
/// data.
fn uses_written(
    ts: &Ts<'_, '_, '_>,
    args: &[Node<'_>],
    written: &[(String, Taint)],
) -> Option<(String, Taint)> {
    let mut texts = Vec::new();
    let mut stack: Vec<Node<'_>> = args.to_vec();
    while let Some(n) = stack.pop() {
        if let Some(s) = js_str(n, ts.src) {
            texts.push(s);
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    written.iter().find_map(|(path, t)| {
        let file = path.rsplit('/').next().unwrap_or(path);
        let hit = texts.iter().any(|s| {
            let s = s.trim_start_matches("./");
            s == path.trim_start_matches("./") || s.rsplit('/').next() == Some(file)
        });
        (t.hostile() && hit).then(|| (path.clone(), *t))
    })
}
