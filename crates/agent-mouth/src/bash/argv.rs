//! Seeing through wrappers: `sudo env FOO=1 nice -n5 timeout 3 curl …` is a
//! `curl`. Produces every program invocation a simple command makes.

use super::extract::Cmd;
use super::word::Word;

/// One program invocation inside a simple command.
#[derive(Debug)]
pub(crate) struct Invocation<'a> {
    /// argv; `argv[0]` is the program.
    pub argv: Vec<&'a Word>,
    /// Wrappers this invocation runs under, outermost first.
    pub via: Vec<&'static str>,
    /// `NAME=value` given through `env`/`sudo`.
    pub env: Vec<(&'a str, &'a Word)>,
}

impl Invocation<'_> {
    pub(crate) fn prog(&self) -> &str {
        self.argv.first().map_or("", |w| basename(&w.text))
    }
    pub(crate) fn args(&self) -> &[&Word] {
        self.argv.get(1..).unwrap_or(&[])
    }
    pub(crate) fn has_flag(&self, short: char, long: &[&str]) -> bool {
        has_flag(self.args(), short, long)
    }
    /// The value after an option (`-o FILE`, `-oFILE`, `--out=FILE`).
    pub(crate) fn opt_value(&self, short: &[&str], long: &[&str]) -> Option<&Word> {
        let a = self.args();
        for (i, w) in a.iter().enumerate() {
            let t = w.text.as_str();
            if short.contains(&t) || long.contains(&t) {
                return a.get(i + 1).copied();
            }
            for l in long {
                if t.len() > l.len() && t.starts_with(l) && t.as_bytes()[l.len()] == b'=' {
                    return Some(w);
                }
            }
        }
        None
    }
    /// Arguments that are not options.
    pub(crate) fn operands(&self) -> impl Iterator<Item = &Word> {
        self.args()
            .iter()
            .copied()
            .filter(|w| !w.text.starts_with('-') || w.text == "-")
    }
}

pub(crate) fn basename(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

/// `-x` (possibly clustered: `-rf`) or one of the long forms.
pub(crate) fn has_flag(args: &[&Word], short: char, long: &[&str]) -> bool {
    args.iter().any(|w| {
        let t = w.text.as_str();
        if t == "--" {
            return false;
        }
        if let Some(l) = t.strip_prefix("--") {
            let name = l.split('=').next().unwrap_or(l);
            return long.iter().any(|x| x.trim_start_matches('-') == name);
        }
        t.strip_prefix('-').is_some_and(|s| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) && s.contains(short)
        })
    })
}

struct Spec {
    name: &'static str,
    /// Options that take a separate value.
    with_value: &'static [&'static str],
    /// Positional operands between the options and the command.
    positional: usize,
    /// Accepts `NAME=value` before the command.
    assigns: bool,
}

/// Whether `name` is a wrapper this module sees through.
pub(crate) fn is_wrapper(name: &str) -> bool {
    WRAPPERS.iter().any(|w| w.name == name)
}

const WRAPPERS: &[Spec] = &[
    Spec {
        name: "env",
        with_value: &["-u", "--unset", "-C", "--chdir"],
        positional: 0,
        assigns: true,
    },
    Spec {
        name: "sudo",
        with_value: &[
            "-u",
            "-g",
            "-C",
            "-D",
            "-h",
            "-p",
            "-r",
            "-t",
            "-T",
            "-U",
            "--user",
            "--group",
            "--chdir",
            "--prompt",
            "--host",
            "--role",
            "--type",
            "--close-from",
            "--command-timeout",
            "--other-user",
        ],
        positional: 0,
        assigns: true,
    },
    Spec {
        name: "doas",
        with_value: &["-u", "-C"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "pkexec",
        with_value: &["--user"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "runuser",
        with_value: &["-u", "-g", "-G", "--user", "--group"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "command",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "builtin",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "exec",
        with_value: &["-a"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "nohup",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "time",
        with_value: &["-f", "-o", "--format", "--output"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "nice",
        with_value: &["-n", "--adjustment"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "ionice",
        with_value: &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "timeout",
        with_value: &["-s", "-k", "--signal", "--kill-after"],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "stdbuf",
        with_value: &["-i", "-o", "-e"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "setsid",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "unbuffer",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "chronic",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "proxychains",
        with_value: &["-f"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "proxychains4",
        with_value: &["-f"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "torsocks",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "chrt",
        with_value: &[],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "chroot",
        with_value: &["--userspec", "--groups"],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "flock",
        with_value: &["-w", "-E", "--timeout", "--conflict-exit-code"],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "strace",
        with_value: &[
            "-o", "-e", "-p", "-s", "-u", "-E", "-a", "-b", "-I", "-O", "-S", "-P", "-X",
        ],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "ltrace",
        with_value: &["-o", "-e", "-p", "-s", "-u", "-a", "-n"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "xargs",
        with_value: &[
            "-I",
            "-n",
            "-P",
            "-L",
            "-d",
            "-E",
            "-s",
            "-a",
            "--max-args",
            "--max-procs",
            "--delimiter",
            "--arg-file",
            "--replace",
            "--max-lines",
        ],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "busybox",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "toybox",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "taskset",
        with_value: &[],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "setarch",
        with_value: &[],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "linux32",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "linux64",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "cpulimit",
        with_value: &["-l", "-p", "-e", "--limit", "--pid", "--exe"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "firejail",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "catchsegv",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "valgrind",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "sg",
        with_value: &[],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "unshare",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "nsenter",
        with_value: &["-t", "--target"],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "capsh",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "dbus-launch",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "run-parts",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "start-stop-daemon",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "systemd-run",
        with_value: &[
            "--unit",
            "-u",
            "-p",
            "--property",
            "--on-calendar",
            "--description",
            "-M",
            "-H",
        ],
        positional: 0,
        assigns: false,
    },
    Spec {
        name: "faketime",
        with_value: &["-f"],
        positional: 1,
        assigns: false,
    },
    Spec {
        name: "rlwrap",
        with_value: &[],
        positional: 0,
        assigns: false,
    },
];

/// Every invocation a simple command makes: the command itself, and each
/// program it runs through a wrapper, `find -exec` or `xargs`.
pub(crate) fn invocations(cmd: &Cmd) -> Vec<Invocation<'_>> {
    let mut out = Vec::new();
    if cmd.words.is_empty() {
        return out;
    }
    let mut argv: Vec<&Word> = cmd.words.iter().collect();
    let mut via: Vec<&'static str> = Vec::new();
    let mut env: Vec<(&str, &Word)> = Vec::new();
    for _ in 0..16 {
        let prog = basename(&argv[0].text);
        // find -exec CMD … ; (several may appear)
        if prog == "find" {
            find_execs(&argv, &via, &mut out);
        }
        let next = WRAPPERS
            .iter()
            .find(|s| s.name == prog)
            .and_then(|spec| unwrap_one(spec, &argv, &mut env));
        let spec_name = WRAPPERS.iter().find(|s| s.name == prog).map(|s| s.name);
        out.push(Invocation {
            argv: argv.clone(),
            via: via.clone(),
            env: env.clone(),
        });
        match (next, spec_name) {
            (Some(rest), Some(name)) if !rest.is_empty() => {
                via.push(name);
                argv = rest;
            }
            _ => break,
        }
    }
    out
}

fn unwrap_one<'a>(
    spec: &Spec,
    argv: &[&'a Word],
    env: &mut Vec<(&'a str, &'a Word)>,
) -> Option<Vec<&'a Word>> {
    let mut i = 1;
    let mut positional = spec.positional;
    while i < argv.len() {
        let t = argv[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if spec.name == "command" && (t == "-v" || t == "-V") {
            return None; // a lookup, not an execution
        }
        if t.starts_with('-') && t.len() > 1 {
            if spec.with_value.contains(&t) {
                i += 2;
            } else {
                // `-n10`, `--user=x`, `-oL`, `-10` take their value inline
                i += 1;
            }
            if spec.name == "taskset" && (t == "-c" || t == "--cpu-list") {
                // the cpu list is the positional operand
            }
            continue;
        }
        if spec.assigns {
            if let Some((name, _)) = t.split_once('=') {
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    env.push((name, argv[i]));
                    i += 1;
                    continue;
                }
            }
        }
        if positional > 0 {
            positional -= 1;
            i += 1;
            continue;
        }
        break;
    }
    if i >= argv.len() {
        return None;
    }
    Some(argv[i..].to_vec())
}

fn find_execs<'a>(argv: &[&'a Word], via: &[&'static str], out: &mut Vec<Invocation<'a>>) {
    let mut i = 0;
    while i < argv.len() {
        let t = argv[i].text.as_str();
        if matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
            let start = i + 1;
            let mut end = start;
            while end < argv.len() && !matches!(argv[end].text.as_str(), ";" | "+") {
                end += 1;
            }
            if start < end {
                let mut v = via.to_vec();
                v.push("find");
                out.push(Invocation {
                    argv: argv[start..end].to_vec(),
                    via: v,
                    env: Vec::new(),
                });
            }
            i = end;
        }
        i += 1;
    }
}
