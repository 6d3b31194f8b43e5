//! Data flow in Python: where values come from (network responses, decoded
//! bytes, the environment and secret files) and where they go (spawns,
//! imports, files that run later, network sends), through assignments,
//! `with … as`, `for` targets, attribute chains, calls and string building.
//!
//! Flow-insensitive and per module: a name is tainted when any assignment
//! to it is. That over-approximates (a name reassigned to a literal stays
//! tainted), which errs toward a review, never toward an allow.

use std::collections::HashMap;

use tree_sitter::Node;

use super::{py_str, Py};
use crate::catalog as c;
use crate::names::credential_path;
use crate::syntax::kind;
use crate::taint::{runs_later, secret_name, CodeFiles, Taint};

/// Python's own code files.
const PYTHON: CodeFiles = CodeFiles {
    extensions: &["py", "pyc", "pth"],
    runs: "Python code that an import runs",
};

/// Calls whose result is a network response.
const FETCH: &[&str] = &[
    "urllib.request.urlopen",
    "urllib.urlopen",
    "urllib2.urlopen",
    "requests.get",
    "requests.post",
    "requests.request",
    "requests.Session",
    "httpx.get",
    "httpx.post",
    "httpx.Client",
    "httpx.AsyncClient",
    "aiohttp.ClientSession",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "socket.socket",
    "socket.create_connection",
    "paramiko.SSHClient",
    "ftplib.FTP",
];

/// Methods that read a response or a socket.
const READS: &[&str] = &["recv", "recvfrom", "recv_into", "makefile", "getresponse"];

/// Calls that decode or decompress.
const DECODE: &[&str] = &[
    "base64.b64decode",
    "base64.b32decode",
    "base64.b16decode",
    "base64.a85decode",
    "base64.b85decode",
    "base64.decodebytes",
    "base64.urlsafe_b64decode",
    "binascii.unhexlify",
    "binascii.a2b_base64",
    "bytes.fromhex",
    "codecs.decode",
    "zlib.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "gzip.decompress",
    "marshal.loads",
];

/// Calls that run a program or code.
const SPAWN: &[&str] = &[
    "os.system",
    "os.popen",
    "os.execv",
    "os.execve",
    "os.execvp",
    "os.execl",
    "os.execlp",
    "os.spawnv",
    "os.spawnl",
    "os.posix_spawn",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.Popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "pty.spawn",
    "asyncio.create_subprocess_shell",
    "asyncio.create_subprocess_exec",
    "importlib.import_module",
    "__import__",
    "runpy.run_path",
    "runpy.run_module",
];

/// Calls that load native code from a path.
const NATIVE: &[&str] = &[
    "ctypes.CDLL",
    "ctypes.cdll.LoadLibrary",
    "ctypes.PyDLL",
    "ctypes.WinDLL",
    "ctypes.util.find_library",
    "cffi.FFI.dlopen",
];

/// Calls that send their arguments over the network.
const SEND: &[&str] = &[
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.get",
    "requests.request",
    "httpx.post",
    "httpx.put",
    "httpx.get",
    "urllib.request.urlopen",
    "urllib.request.Request",
    "socket.gethostbyname",
    "socket.getaddrinfo",
    "dns.resolver.resolve",
    "dns.resolver.query",
    "smtplib.SMTP.sendmail",
];

/// Socket and client methods that send.
const SEND_METHODS: &[&str] = &["send", "sendall", "sendto", "sendmail", "send_message"];

/// The data-flow pass over one module's nodes.
pub(super) fn check(py: &mut Py<'_, '_, '_>, nodes: &[Node<'_>]) {
    let taints = names(py, nodes);
    let mut written: Vec<(String, Taint)> = Vec::new();
    for n in nodes.iter().filter(|n| kind(*n) == "call") {
        let Some(f) = n.child_by_field_name("function") else {
            continue;
        };
        let name = py.qualify(f);
        let method = method_name(py, f).map(str::to_owned);
        let args = Py::args(*n);
        let arg_taint = args
            .iter()
            .fold(Taint::default(), |t, a| t | expr(py, &taints, *a));
        // A credential in `headers=` / `auth=` authenticates the request:
        // that is its use, not its leak.
        let sent_taint = args
            .iter()
            .filter(|a| !is_auth_kwarg(py, **a))
            .fold(Taint::default(), |t, a| t | expr(py, &taints, *a));
        if let Some((path, t)) = write_of(py, &taints, *n, f, &args) {
            if t.hostile() {
                if let Some(what) = runs_later(&path, &PYTHON) {
                    py.hit(
                        c::PY_DOWNLOAD_EXEC,
                        n.byte_range(),
                        format!("data from {} is written to `{path}`, {what}", t.origin()),
                    );
                }
            }
            written.push((path, t));
        }
        if let Some(path) = retrieved_to(py, &name, &args) {
            written.push((
                path,
                Taint {
                    network: true,
                    ..Taint::default()
                },
            ));
        }
        if SPAWN.contains(&name.as_str()) && arg_taint.hostile() {
            let rule = if arg_taint.network {
                c::PY_DOWNLOAD_EXEC
            } else {
                c::PY_DECODE_EXEC
            };
            py.hit(
                rule,
                n.byte_range(),
                format!("`{name}` runs or imports data from {}", arg_taint.origin()),
            );
        }
        if SPAWN.contains(&name.as_str()) || NATIVE.contains(&name.as_str()) || name == "exec" {
            if let Some((path, t)) = uses_written(py, &args, &written) {
                py.hit(
                    c::PY_DOWNLOAD_EXEC,
                    n.byte_range(),
                    format!(
                        "`{name}` runs `{path}`, a file this code wrote from {}",
                        t.origin()
                    ),
                );
            }
        }
        let sends = SEND.contains(&name.as_str())
            || method.as_deref().is_some_and(|m| SEND_METHODS.contains(&m));
        if sends && sent_taint.secret {
            py.hit(
                c::PY_EXFILTRATION,
                n.byte_range(),
                "sends a value read from the environment or a secret file over the network",
            );
        }
    }
    imports_written(py, nodes, &written);
}

/// `headers=…`, `auth=…`, `cert=…`: where a client puts credentials to
/// authenticate.
fn is_auth_kwarg(py: &Py<'_, '_, '_>, a: Node<'_>) -> bool {
    kind(a) == "keyword_argument"
        && a.child_by_field_name("name")
            .is_some_and(|k| matches!(py.text(k), "headers" | "auth" | "cert"))
}

/// `import x` / `from x import y` of a module this code wrote from hostile
/// data.
fn imports_written(py: &mut Py<'_, '_, '_>, nodes: &[Node<'_>], written: &[(String, Taint)]) {
    for n in nodes
        .iter()
        .filter(|n| matches!(kind(*n), "import_statement" | "import_from_statement"))
    {
        let text = py.text(*n).to_string();
        let modules: Vec<&str> = text
            .split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '.'))
            .filter(|w| !w.is_empty() && !matches!(*w, "import" | "from" | "as"))
            .collect();
        let hit = written.iter().find(|(path, t)| {
            let file = path.rsplit('/').next().unwrap_or(path);
            t.hostile()
                && file
                    .strip_suffix(".py")
                    .is_some_and(|m| modules.iter().any(|x| x.split('.').next() == Some(m)))
        });
        if let Some((path, t)) = hit {
            let msg = format!(
                "imports `{path}`, a module this code wrote from {}",
                t.origin()
            );
            py.hit(c::PY_DOWNLOAD_EXEC, n.byte_range(), msg);
        }
    }
}

/// The taint of every name, to a fixed point (a chain of at most eight
/// assignments is followed).
fn names(py: &Py<'_, '_, '_>, nodes: &[Node<'_>]) -> HashMap<String, Taint> {
    let mut taints: HashMap<String, Taint> = HashMap::new();
    for _ in 0..8 {
        let mut changed = false;
        for n in nodes {
            let (targets, value) = match kind(*n) {
                "assignment" | "augmented_assignment" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                // `with urlopen(u) as resp`
                "as_pattern" => (n.child_by_field_name("alias"), n.named_child(0)),
                // `for chunk in resp`
                "for_statement" | "for_in_clause" => (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ),
                _ => continue,
            };
            let (Some(targets), Some(value)) = (targets, value) else {
                continue;
            };
            let t = expr(py, &taints, value);
            if !t.any() {
                continue;
            }
            for name in bound_names(py, targets) {
                let entry = taints.entry(name).or_default();
                let merged = *entry | t;
                if merged != *entry {
                    *entry = merged;
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

/// Names bound by an assignment target (`x`, `a, b`, `(a, [b])`).
fn bound_names(py: &Py<'_, '_, '_>, target: Node<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![target];
    while let Some(t) = stack.pop() {
        match kind(t) {
            "identifier" => out.push(py.text(t).to_string()),
            "as_pattern_target"
            | "pattern_list"
            | "tuple_pattern"
            | "list_pattern"
            | "tuple"
            | "list"
            | "parenthesized_expression" => {
                let mut c = t.walk();
                stack.extend(t.named_children(&mut c));
            }
            _ => {}
        }
    }
    out
}

/// The taint of an expression: its source calls and tainted names, anywhere
/// inside it (attribute chains, calls on it, string building, containers).
fn expr(py: &Py<'_, '_, '_>, taints: &HashMap<String, Taint>, e: Node<'_>) -> Taint {
    let mut t = Taint::default();
    let mut stack = vec![e];
    while let Some(n) = stack.pop() {
        match kind(n) {
            "identifier" => {
                if let Some(x) = taints.get(py.text(n)) {
                    t |= *x;
                }
            }
            "call" => t |= call_source(py, n),
            "attribute" => {
                // The whole environment (`os.environ`, `.copy()`, `.items()`).
                let q = py.qualify(n);
                let parent_subscript = n.parent().is_some_and(|p| {
                    kind(p) == "subscript" && p.child_by_field_name("value") == Some(n)
                });
                if q == "os.environ" && !parent_subscript {
                    t.secret = true;
                }
            }
            "subscript" => {
                // `os.environ["AWS_SECRET_ACCESS_KEY"]`
                let value = n.child_by_field_name("value").map(|v| py.qualify(v));
                if value.as_deref() == Some("os.environ") {
                    let key = n
                        .child_by_field_name("subscript")
                        .and_then(|k| py_str(k, py.src));
                    t.secret |= key.is_none_or(|k| secret_name(&k));
                }
            }
            // A nested function or class body is not this value.
            "lambda" | "function_definition" | "class_definition" => continue,
            _ => {}
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    t
}

/// What a call itself produces.
fn call_source(py: &Py<'_, '_, '_>, n: Node<'_>) -> Taint {
    let Some(f) = n.child_by_field_name("function") else {
        return Taint::default();
    };
    let name = py.qualify(f);
    let mut t = Taint::default();
    let base = name.trim_end_matches("()");
    if FETCH
        .iter()
        .any(|s| base == *s || base.starts_with(&format!("{s}()")))
        || method_name(py, f).is_some_and(|m| READS.contains(&m))
    {
        t.network = true;
    }
    if DECODE.contains(&base) || base.ends_with(".b64decode") || base.ends_with(".decompress") {
        t.decoded = true;
    }
    if matches!(base, "os.getenv" | "os.environ.get" | "os.getenvb") {
        let var = Py::args(n).first().and_then(|a| py_str(*a, py.src));
        t.secret = var.is_none_or(|v| secret_name(&v));
    }
    if base == "open" || base.ends_with(".read_text") || base.ends_with(".read_bytes") {
        let path = Py::args(n)
            .first()
            .and_then(|a| py_str(*a, py.src))
            .or_else(|| path_receiver(py, f));
        if path.is_some_and(|p| credential_path(&p).is_some()) {
            t.secret = true;
        }
    }
    t
}

/// `Path("~/.aws/credentials").read_text()`: the literal path of the
/// receiver.
fn path_receiver(py: &Py<'_, '_, '_>, f: Node<'_>) -> Option<String> {
    let obj = f.child_by_field_name("object")?;
    if kind(obj) != "call" {
        return None;
    }
    Py::args(obj).first().and_then(|a| py_str(*a, py.src))
}

/// The method name of `x.m(…)`.
fn method_name<'s>(py: &'s Py<'_, '_, '_>, f: Node<'_>) -> Option<&'s str> {
    (kind(f) == "attribute")
        .then(|| f.child_by_field_name("attribute"))
        .flatten()
        .map(|a| py.text(a))
}

/// `open(P, "w…").write(X)`, `f.write(X)` for `f = open(P, "w…")` or
/// `with open(P, "w…") as f`, `Path(P).write_bytes(X)`: the literal path
/// written and the taint of what is written.
fn write_of(
    py: &Py<'_, '_, '_>,
    taints: &HashMap<String, Taint>,
    _call: Node<'_>,
    f: Node<'_>,
    args: &[Node<'_>],
) -> Option<(String, Taint)> {
    let method = method_name(py, f)?;
    if !matches!(
        method,
        "write" | "write_text" | "write_bytes" | "writelines"
    ) {
        return None;
    }
    let obj = f.child_by_field_name("object")?;
    let path = match kind(obj) {
        "call" => Py::args(obj).first().and_then(|a| py_str(*a, py.src)),
        "identifier" => opened_as(py, obj),
        _ => None,
    }?;
    let t = args
        .iter()
        .fold(Taint::default(), |t, a| t | expr(py, taints, *a));
    Some((path, t))
}

/// The literal path a name was opened from (`f = open(P)`, `with open(P)
/// as f`), searched in the whole module.
fn opened_as(py: &Py<'_, '_, '_>, name: Node<'_>) -> Option<String> {
    let want = py.text(name);
    let mut root = name;
    while let Some(p) = root.parent() {
        root = p;
    }
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        let pair = match kind(n) {
            "assignment" => (
                n.child_by_field_name("left"),
                n.child_by_field_name("right"),
            ),
            "as_pattern" => (n.child_by_field_name("alias"), n.named_child(0)),
            _ => (None, None),
        };
        if let (Some(l), Some(r)) = pair {
            let bound = py.text(l).trim() == want;
            if bound && kind(r) == "call" {
                let opener = r
                    .child_by_field_name("function")
                    .map(|f| py.qualify(f))
                    .unwrap_or_default();
                if matches!(opener.as_str(), "open" | "io.open" | "codecs.open") {
                    return Py::args(r).first().and_then(|a| py_str(*a, py.src));
                }
            }
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    None
}

/// `urllib.request.urlretrieve(url, P)`: P is written from the network.
fn retrieved_to(py: &Py<'_, '_, '_>, name: &str, args: &[Node<'_>]) -> Option<String> {
    if !name.ends_with("urlretrieve") {
        return None;
    }
    args.get(1).and_then(|a| py_str(*a, py.src))
}

/// A sink argument naming a file this code wrote from hostile data: the
/// path itself, or its module name for an import.
fn uses_written(
    py: &Py<'_, '_, '_>,
    args: &[Node<'_>],
    written: &[(String, Taint)],
) -> Option<(String, Taint)> {
    let texts: Vec<String> = args
        .iter()
        .flat_map(|a| {
            let mut out = Vec::new();
            let mut stack = vec![*a];
            while let Some(n) = stack.pop() {
                if let Some(s) = py_str(n, py.src) {
                    out.push(s);
                }
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
            }
            out
        })
        .collect();
    written.iter().find_map(|(path, t)| {
        if !t.hostile() {
            return None;
        }
        let file = path.rsplit('/').next().unwrap_or(path);
        let module = file.strip_suffix(".py");
        texts
            .iter()
            .any(|s| {
                s == path
                    || s.ends_with(&format!("/{file}"))
                    || s == file
                    || module.is_some_and(|m| s == m)
                    || s.split_whitespace()
                        .any(|w| w == path || w.ends_with(&format!("/{file}")))
            })
            .then(|| (path.clone(), *t))
    })
}
