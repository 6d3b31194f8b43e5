//! Text signals inside program text we do not parse (perl, ruby, php, lua,
//! awk, vim commands …) and inside arguments that carry code.

/// What a piece of foreign program text does that matters.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Signals {
    /// Runs a shell or an external command.
    pub spawn: bool,
    /// Opens a network socket.
    pub socket: bool,
    /// Duplicates a socket onto stdio / forks repeatedly.
    pub shell_plumbing: bool,
    /// Evaluates decoded data.
    pub decode: bool,
}

const SPAWN: &[&str] = &[
    "system(",
    "system (",
    "system\"",
    "system'",
    "system \"",
    "system '",
    "exec(",
    "exec \"",
    "exec '",
    "exec(\"",
    "popen",
    "spawn",
    "shell_exec",
    "passthru",
    "proc_open",
    "pcntl_exec",
    "os.execute",
    "io.popen",
    "subprocess",
    "os.system",
    "`/bin",
    "`sh",
    "`bash",
    "%x{",
    "%x(",
    "open3",
    "kernel.exec",
    "process.run",
    "runtime.getruntime",
    "processbuilder",
    "child_process",
    "execsync",
    "execfile",
    "/bin/sh",
    "/bin/bash",
    "/bin/zsh",
    "/bin/dash",
    "/usr/bin/sh",
    "/usr/bin/bash",
    "\"sh\"",
    "'sh'",
    "\"bash\"",
    "'bash'",
    "sh -i",
    "bash -i",
    "pty.spawn",
    "os.exec",
    "execv",
    "|sh",
    "| sh",
    "|bash",
    "| bash",
    "system$_",
    "qx{",
    "qx(",
    "qx/",
    "!sh",
    "!bash",
    ":!",
    "!/bin",
    "shell=true",
    ":shell",
    "call system",
    "run-shell-command",
    "(system ",
    "sys.command",
    "os.spawn",
    "unix.system",
    "\"/bin/",
    "'/bin/",
];

const SOCKET: &[&str] = &[
    "socket",
    "fsockopen",
    "/inet/tcp",
    "/inet/udp",
    "/dev/tcp/",
    "/dev/udp/",
    "tcpsocket",
    "net.connect",
    "net.socket",
    "createconnection",
    "io::socket",
    "peeraddr",
    "connect(",
    "stream_socket_client",
    "tcp-connect",
    "tcp4:",
    "tcp:",
    "udp:",
    "udp4:",
    "tcp-listen",
    "create_connection",
    "urlopen",
    "urllib",
    "requests.get",
    "lwp::",
    "http::tiny",
    "net::http",
    "open-uri",
    "file_get_contents(\"http",
    "file_get_contents('http",
    "wget ",
    "curl ",
];

const PLUMBING: &[&str] = &[
    "dup2",
    "fdopen",
    "fork",
    "stdin->fdopen",
    "reopen",
    "$~->fdopen",
    "setsid",
];

const DECODE: &[&str] = &[
    "base64",
    "b64decode",
    "decode64",
    "unpack(\"m",
    "unpack('m",
    "frombase64",
    "atob(",
    "fromhex",
    "unhexlify",
    "decode('hex",
    "zlib.decompress",
    "gzinflate",
    "str_rot13",
    "eval(",
    "eval (",
    "marshal.loads",
    "pickle.loads",
];

/// Scans program text in a language we do not parse.
pub(crate) fn scan(code: &str) -> Signals {
    let lower = code.to_ascii_lowercase();
    let has = |set: &[&str]| set.iter().any(|s| lower.contains(s));
    Signals {
        spawn: has(SPAWN),
        socket: has(SOCKET),
        shell_plumbing: has(PLUMBING),
        decode: has(DECODE),
    }
}

/// A shell path or name inside an argument (`'/bin/sh;false'`,
/// `--exec '/bin/sh #'`, `!/bin/sh`), returning the shell found.
pub(crate) fn embedded_shell(arg: &str) -> Option<&'static str> {
    const PATHS: &[&str] = &[
        "/bin/sh",
        "/bin/bash",
        "/bin/dash",
        "/bin/zsh",
        "/bin/ksh",
        "/bin/csh",
        "/bin/tcsh",
        "/bin/ash",
        "/bin/fish",
        "/usr/bin/sh",
        "/usr/bin/bash",
        "/usr/bin/zsh",
        "/bin/busybox",
    ];
    // Every path names a `bin/` directory: one search rules most text out.
    if !arg.contains("bin/") {
        return None;
    }
    for p in PATHS {
        let mut from = 0;
        while let Some(i) = arg[from..].find(p) {
            let at = from + i;
            let end = at + p.len();
            let after_ok = arg[end..].chars().next().is_none_or(|c| {
                !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' || c == '/')
            });
            let before_ok = at == 0
                || arg[..at].chars().next_back().is_some_and(|c| {
                    !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '/')
                });
            if after_ok && before_ok {
                return Some(p);
            }
            from = end;
        }
    }
    None
}

/// Decodes text that is entirely hex or base64 into UTF-8, if it is that.
pub(crate) fn decode_hex_or_base64(t: &str) -> Option<String> {
    let bytes = if t.len() % 2 == 0 && t.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else if t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_'))
    {
        base64_decode(t)?
    } else {
        return None;
    };
    let s = String::from_utf8(bytes).ok()?;
    s.chars()
        .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r')
        .then_some(s)
}

fn base64_decode(t: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let data: Vec<u8> = t.bytes().filter(|&b| b != b'=').collect();
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= val(b)? << (18 - 6 * i);
        }
        let n = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        for i in 0..n {
            out.push((acc >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_shells() {
        assert!(embedded_shell("/bin/sh;false").is_some());
        assert!(embedded_shell("!/bin/sh").is_some());
        assert!(embedded_shell("/bin/shred").is_none());
        assert!(embedded_shell("/usr/local/bin/sh-tool").is_none());
    }

    #[test]
    fn decodes_payloads() {
        assert_eq!(
            decode_hex_or_base64("2f6574632f706173737764").as_deref(),
            Some("/etc/passwd")
        );
        assert_eq!(
            decode_hex_or_base64("cm0gLXJmIH4=").as_deref(),
            Some("rm -rf ~")
        );
        assert_eq!(decode_hex_or_base64("not base64!"), None);
    }

    #[test]
    fn signals() {
        assert!(scan("system(\"/bin/sh\")").spawn);
        assert!(scan("$c=new IO::Socket::INET(PeerAddr,\"10.0.0.1:4242\")").socket);
        let s = scan("print 1+1");
        assert!(!(s.spawn || s.socket || s.decode));
    }
}
