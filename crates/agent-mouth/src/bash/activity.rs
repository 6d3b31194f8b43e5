//! Activity rules: data leaving the machine (uploads, listeners, remote
//! copies, DNS), collection (screenshots, clipboard, archives of home),
//! anti-forensics, local package installs, offensive tooling, programs that
//! open interactive shells, and native library loading.

use super::argv::Invocation;
use super::extract::Cmd;
use super::obfuscation::{obfuscated_args, repl};
use super::writes::{manifest_writes, write_outside};
use super::Rules;
use crate::catalog as c;

pub(crate) fn check(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let prog = inv.prog();
    let args = inv.args();
    let has = |s: &str| args.iter().any(|w| w.text == s);
    let starts = |s: &str| args.iter().any(|w| w.text.starts_with(s));
    let range =
        inv.argv.first().map_or(0, |w| w.range.start)..inv.argv.last().map_or(0, |w| w.range.end);
    obfuscated_args(r, cmd, inv);
    repl(r, cmd, inv);
    write_outside(r, cmd, inv);
    if matches!(prog, "curl" | "wget" | "wget2" | "http" | "xh")
        && args.windows(2).any(|w| {
            matches!(w[0].text.as_str(), "-A" | "--user-agent" | "-U")
                && [
                    "mozilla",
                    "opera",
                    "wget",
                    "curl/",
                    "msie",
                    "httpbrowser",
                    "googlebot",
                    "chrome/",
                    "safari",
                ]
                .iter()
                .any(|k| w[1].text.to_ascii_lowercase().contains(k))
        })
    {
        r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "impersonates another client's User-Agent",
        );
    }
    for w in args {
        if w.literal()
            && w.text.contains("$(")
            && (w.text.contains('`') || w.text.contains("||") || w.text.contains(';'))
        {
            r.hit(
                c::BASH_OBFUSCATED,
                w.range.clone(),
                "quoted text carries shell-injection syntax (`$(…)`, backticks, `||`)",
            );
        }
    }
    manifest_writes(r, cmd, inv);
    if matches!(
        prog,
        "rm" | "rmdir"
            | "dd"
            | "shred"
            | "mkfs"
            | "fdisk"
            | "parted"
            | "wipefs"
            | "npm"
            | "gcloud"
            | "az"
            | "terraform"
            | "kubectl"
            | "apt"
            | "apt-get"
            | "dnf"
            | "yum"
            | "pip"
            | "docker"
            | "git"
            | "cp"
            | "mv"
    ) && matches!(cmd.stdin, super::extract::Stdin::Pipe(_))
    {
        let confirms = r.upstream(cmd).iter().any(|u| {
            let w: Vec<&str> = u.words.iter().map(|w| w.text.as_str()).collect();
            matches!(
                w.as_slice(),
                ["yes"]
                    | ["yes", _]
                    | ["echo", "y" | "Y" | "yes" | "YES" | "Yes"]
                    | ["printf", "y" | "y\\n" | "yes\\n"]
            )
        });
        if confirms
            && (inv.has_flag('r', &["recursive"]) || inv.has_flag('f', &["force"]) || prog != "rm")
        {
            r.hit(
                c::BASH_DESTRUCTIVE_UNBOUNDED,
                range.clone(),
                format!("answers `{prog}`'s confirmation prompts automatically"),
            );
        }
    }
    for w in args {
        if w.has_subst
            && r.substituted(cmd).iter().any(|s| {
                s.words.iter().skip(1).any(|x| {
                    matches!(
                        x.text.as_str(),
                        "/etc/passwd" | "/etc/group" | "/etc/hosts" | "/proc/self/environ"
                    )
                })
            })
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                w.range.clone(),
                "substitutes a system file's contents into the arguments",
            );
            break;
        }
    }
    match prog {
        "curl" | "curlie" => {
            let upload = args.iter().any(|w| {
                let t = w.text.as_str();
                matches!(
                    t,
                    "-d" | "-F" | "-T" | "--form" | "--upload-file" | "--json"
                ) || t.starts_with("--data")
                    || t.starts_with("--form")
                    || (t.starts_with("-d") && t.len() > 2 && !t.starts_with("--"))
                    || (t.starts_with("-F") && t.len() > 2)
            });
            if upload {
                r.hit(
                    c::BASH_UPLOAD,
                    range.clone(),
                    "sends local data to a remote server",
                );
            }
        }
        "wget" | "wget2"
            if starts("--post-file")
                || starts("--post-data")
                || starts("--body-file")
                || starts("--body-data")
                || starts("--method=PUT")
                || starts("--method=POST") =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends local data to a remote server",
            );
        }
        "ab" if has("-p") || has("-u") => r.hit(
            c::BASH_UPLOAD,
            range.clone(),
            "sends a local file to a remote server",
        ),
        "http" | "https" | "xh" | "xhs"
            if args
                .iter()
                .any(|w| w.text.contains("@") || w.text.contains(":=@")) =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file to a remote server",
            );
        }
        "ssh"
            if inv.operands().count() >= 2
                && cmd
                    .redirects
                    .iter()
                    .any(|rd| rd.op.starts_with('>') && rd.fd.is_none()) =>
        {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                "pulls the output of a remote command into a local file",
            );
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet"
            if !matches!(cmd.stdin, super::extract::Stdin::Inherited)
                || cmd.redirects.iter().any(|rd| rd.op == "<") =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                format!("`{prog}` sends local data to a network peer"),
            );
        }
        "openssl" if has("s_client") && cmd.redirects.iter().any(|rd| rd.op == "<") => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file over a TLS connection",
            );
        }
        "socat"
            if args.iter().any(|w| {
                w.text.to_ascii_lowercase().starts_with("file:") || w.text.starts_with('/')
            }) && args
                .iter()
                .any(|w| w.text.to_ascii_lowercase().contains("tcp")) =>
        {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "sends a local file to a network peer",
            );
        }
        "scp" | "rsync" | "sftp" | "tftp" | "ftp" | "lftp" | "smbclient" | "rcp" | "rclone"
        | "ncftpput" | "curlftpfs" | "sshfs" | "rsh" | "rlogin" => {
            if prog == "rsync" && args.iter().any(|w| w.text.starts_with("--delete")) {
                r.hit(
                    c::BASH_DESTRUCTIVE_UNBOUNDED,
                    range.clone(),
                    "rsync --delete removes destination files missing from the source",
                );
            }
            let remote = prog == "smbclient"
                || matches!(prog, "tftp" | "ftp" | "lftp" | "rlogin" | "rsh" | "sftp")
                || inv.operands().any(|w| is_remote_spec(&w.text));
            if remote {
                r.hit(
                    c::BASH_REMOTE_COPY,
                    range.clone(),
                    format!("`{prog}` copies files to or from another host"),
                );
            }
        }
        "tar" if inv.operands().any(|w| is_remote_spec(&w.text)) || starts("--rsh-command") => {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                "tar writes an archive to another host",
            );
        }
        "dig" | "nslookup" | "host" | "drill" | "delv" if args.iter().any(|w| w.has_subst) => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                "puts run-time data into a DNS query (a DNS exfiltration channel)",
            );
        }
        "whois" | "cancel" | "lp" | "lpr" if has("-h") || starts("-h") => {
            r.hit(
                c::BASH_UPLOAD,
                range.clone(),
                format!("`{prog}` sends data to a chosen host"),
            );
        }
        "import" | "xwd" | "scrot" | "gnome-screenshot" | "spectacle" | "grim" | "maim"
        | "screencapture" | "xdotool" | "xinput" | "logkeys" | "xclip" | "xsel" | "pbpaste"
        | "wl-paste" | "ffmpeg"
            if prog != "ffmpeg" && !(prog == "import" && !has("-window"))
                || (prog == "ffmpeg"
                    && args.iter().any(|w| {
                        matches!(
                            w.text.as_str(),
                            "x11grab" | "avfoundation" | "gdigrab" | "pulse" | "alsa" | "v4l2"
                        )
                    })) =>
        {
            if !(prog == "xclip" || prog == "xsel")
                || has("-o")
                || starts("--output")
                || has("-out")
            {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    format!("`{prog}` captures the screen, input or clipboard"),
                );
            }
        }
        "tar" | "zip" | "7z" | "7za" | "rar" | "gzip" | "bzip2" => {
            if (starts("--password")
                || has("-P")
                || (prog.starts_with("7z")
                    && args
                        .iter()
                        .any(|w| w.text.starts_with("-p") && w.text.len() > 2)))
                && prog != "tar"
            {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    "encrypts data with a passphrase given on the command line",
                );
            }
            let home_or_logs = inv.operands().any(|w| {
                let t = w.text.as_str();
                matches!(
                    t,
                    "~" | "~/"
                        | "$HOME"
                        | "${HOME}"
                        | "/home"
                        | "/Users"
                        | "/root"
                        | "/etc"
                        | "/var/log"
                        | "/"
                ) || t.starts_with("/var/log/")
                    || t.starts_with("$HOME/$")
                    || t == "/Users/*"
                    || t == "/home/*"
            });
            if home_or_logs {
                r.hit(
                    c::BASH_COLLECTION,
                    range.clone(),
                    "archives home directories, logs or system configuration",
                );
            }
        }
        "touch"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "-t" | "-d" | "-r" | "--date" | "--reference"
                ) || w.text.starts_with("--date=")
                    || w.text.starts_with("--reference=")
                    || (w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && (w.text.ends_with('t')
                            || w.text.ends_with('d')
                            || w.text.ends_with('r'))
                        && w.text.len() > 2)
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "sets file timestamps to chosen values (timestomping)",
            );
        }
        "date" | "timedatectl" | "hwclock"
            if inv.operands().any(|w| {
                w.text.chars().all(|c| c.is_ascii_digit() || c == '.') && w.text.len() >= 8
            }) || has("-s")
                || starts("--set")
                || has("set-time") =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "changes the system clock",
            );
        }
        "update-ca-certificates" | "update-ca-trust" | "trust" | "certutil"
            if prog != "trust" || has("anchor") =>
        {
            r.hit(
                c::BASH_SECURITY_CONTROL,
                range.clone(),
                "changes the set of trusted certificate authorities",
            );
        }
        "ln" if args.iter().any(|w| {
            w.text.contains(".bash_history")
                || w.text.contains(".zsh_history")
                || w.text.ends_with("_history")
        }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "redirects shell history (usually to /dev/null)",
            );
        }
        "mkdir" | "touch"
            if inv.operands().any(|w| {
                let t = w.text.as_str();
                (t.starts_with("/tmp/.")
                    || t.starts_with("/var/tmp/.")
                    || t.starts_with("/dev/shm/."))
                    && t.len() > 6
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "creates a hidden file or directory in a world-writable location",
            );
        }
        "dpkg" | "rpm" | "dnf" | "yum" | "zypper" | "apt" | "apt-get" | "opkg" | "apk"
        | "pacman" | "installer" | "snap" | "flatpak" => {
            let local_pkg = inv.operands().any(|w| {
                let t = w.text.as_str();
                t.ends_with(".deb")
                    || t.ends_with(".rpm")
                    || t.ends_with(".apk")
                    || t.ends_with(".pkg")
                    || t.contains(".pkg.tar")
                    || t.ends_with(".snap")
                    || t.ends_with(".flatpak")
            });
            let dangerous_flag = has("--dangerous")
                || has("--devmode")
                || has("--nodeps")
                || has("--force-all")
                || starts("--force-");
            if local_pkg
                || dangerous_flag
                || (prog == "rpm" && (has("--eval") || has("--pipe") || has("-E")))
            {
                r.hit(
                    c::BASH_LOCAL_PACKAGE,
                    range.clone(),
                    "installs a local package file, whose install scripts run as root",
                );
            }
        }
        "msfconsole"
        | "psexec.py"
        | "wmiexec.py"
        | "smbexec.py"
        | "atexec.py"
        | "dcomexec.py"
        | "secretsdump.py"
        | "getuserspns.py"
        | "GetUserSPNs.py"
        | "GetNPUsers.py"
        | "mimikatz"
        | "crackmapexec"
        | "cme"
        | "nxc"
        | "netexec"
        | "evil-winrm"
        | "hydra"
        | "medusa"
        | "john"
        | "hashcat"
        | "responder"
        | "Responder.py"
        | "sqlmap"
        | "bloodhound-python"
        | "impacket-psexec"
        | "impacket-secretsdump"
        | "linpeas.sh"
        | "LinEnum.sh"
        | "pspy"
        | "pspy64"
        | "chisel"
        | "sliver-client"
        | "empire"
        | "beef-xss"
        | "stratus"
        | "sshpass"
        | "patator"
        | "ncrack"
        | "kerbrute"
        | "rubeus"
        | "lazagne"
        | "pypykatz" => {
            r.hit(
                c::BASH_OFFENSIVE_TOOL,
                range.clone(),
                format!("`{prog}` is an attack or credential-cracking tool"),
            );
        }
        "screen" | "tmux" | "byobu" | "newgrp" | "sg" | "chroot" | "unshare" | "nsenter"
        | "machinectl" | "busybox" | "ansible-test" | "expect" | "ranger" | "mc" | "vifm"
        | "nnn" | "script" | "openvt" | "capsh" => {
            let operands = inv.operands().count();
            let interactive = match prog {
                "screen" => {
                    !args.iter().any(|w| {
                        matches!(
                            w.text.as_str(),
                            "-ls"
                                | "-list"
                                | "-r"
                                | "-x"
                                | "-S"
                                | "-X"
                                | "-d"
                                | "-wipe"
                                | "-v"
                                | "--version"
                        )
                    }) || operands == 0 && !has("-ls")
                }
                "tmux" => !args.iter().any(|w| {
                    w.text.starts_with("ls")
                        || w.text.starts_with("list-")
                        || w.text.starts_with("kill-")
                        || matches!(
                            w.text.as_str(),
                            "has-session"
                                | "send-keys"
                                | "-V"
                                | "display-message"
                                | "capture-pane"
                                | "show-options"
                                | "set-option"
                                | "source-file"
                        )
                }),
                "byobu" | "ranger" | "mc" | "vifm" | "nnn" => true,
                "newgrp" => true,
                "sg" | "chroot" => operands <= 1,
                "unshare" | "nsenter" => operands == 0,
                "machinectl" => inv
                    .operands()
                    .next()
                    .is_some_and(|w| w.text == "shell" || w.text == "login"),
                "busybox" => inv
                    .operands()
                    .next()
                    .is_some_and(|w| matches!(w.text.as_str(), "sh" | "ash" | "hush")),
                "ansible-test" => inv.operands().next().is_some_and(|w| w.text == "shell"),
                "expect" => operands == 0 && !has("-c") && !has("-f"),
                "openvt" => true,
                "capsh" => args.last().is_some_and(|w| w.text == "--"),
                "script" => {
                    !args.iter().any(|w| {
                        w.text.starts_with("-c")
                            || w.text == "--command"
                            || (w.text.len() > 2
                                && w.text.starts_with('-')
                                && !w.text.starts_with("--")
                                && w.text.ends_with('c'))
                    }) && !has("-h")
                        && !has("--help")
                        && !has("-V")
                }
                _ => false,
            };
            if interactive {
                r.hit(
                    c::BASH_INTERACTIVE_SHELL,
                    range.clone(),
                    format!("`{prog}` opens an interactive shell or terminal"),
                );
            }
        }
        "openssl"
            if has("enc")
                && !has("-d")
                && args
                    .iter()
                    .any(|w| w.text.starts_with("-pass") || w.text == "-k" || w.text == "-K") =>
        {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                "encrypts data with a passphrase (staging or ransomware pattern)",
            );
        }
        "gpg" | "ccencrypt" | "ccrypt"
            if starts("--passphrase")
                || has("--password")
                || has("-P")
                || (prog.starts_with("7z")
                    && args
                        .iter()
                        .any(|w| w.text.starts_with("-p") && w.text.len() > 2))
                || prog.starts_with("cc") =>
        {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                "encrypts data with a passphrase given on the command line",
            );
        }
        "auditctl" if has("-a") || has("-w") => r.hit(
            c::BASH_SECURITY_CONTROL,
            range.clone(),
            "changes the kernel audit rules",
        ),
        "cryptsetup" => r.hit(
            c::BASH_DISK_ADMIN,
            range.clone(),
            "manages disk encryption keys or headers",
        ),
        "systemd-run" => r.hit(
            c::BASH_PERSISTENCE,
            range.clone(),
            "starts a transient system service outside this process tree",
        ),
        "tr" => {
            let sets: Vec<&str> = inv.operands().map(|w| w.text.as_str()).collect();
            if let [a, b] = sets.as_slice() {
                let range_of = |s: &str| -> Option<(char, char)> {
                    let v: Vec<char> = s.chars().collect();
                    (v.len() == 3 && v[1] == '-').then(|| (v[0], v[2]))
                };
                if let (Some((a0, a1)), Some((b0, b1))) = (range_of(a), range_of(b)) {
                    let case_map = a0.is_ascii_alphabetic()
                        && b0.is_ascii_alphabetic()
                        && a0.eq_ignore_ascii_case(&b0);
                    if a0 != b0 && !case_map && (a1 as i64 - a0 as i64) == (b1 as i64 - b0 as i64) {
                        r.hit(
                            c::BASH_OBFUSCATED,
                            range.clone(),
                            "tr shifts characters (a substitution cipher that hides text)",
                        );
                    }
                }
            }
        }
        "pip" | "pip3" | "uv" | "pipx" | "npm" | "pnpm" | "yarn" | "gem" | "cargo" | "go"
            if args.iter().any(|w| {
                let t = w.text.as_str();
                t.starts_with("--index-url")
                    || t.starts_with("--extra-index-url")
                    || t.starts_with("--trusted-host")
                    || t == "-i"
                    || t.starts_with("--registry")
                    || t.starts_with("--source") && prog == "gem"
                    || t.starts_with("git+http://")
                    || t.starts_with("http://")
                    || (t.starts_with("git+") && prog.starts_with("pip"))
                    || is_package_url(t, prog)
                    || (prog == "cargo" && (t == "--git" || t.starts_with("--git=")))
            }) && args
                .iter()
                .any(|w| matches!(w.text.as_str(), "install" | "add" | "i" | "get")) =>
        {
            r.hit(c::BASH_UNTRUSTED_SOURCE, range.clone(), "installs packages from a non-default index, plain HTTP, a URL, an archive or a VCS repository (agent-immune cannot vouch for it)");
        }
        // `pip config set global.index-url …`, `uv`/`poetry` sources: later
        // installs come from elsewhere.
        "pip" | "pip3" | "poetry" | "pdm"
            if args.iter().any(|w| {
                let t = w.text.to_ascii_lowercase();
                t.ends_with("index-url") || t.ends_with(".index") || t == "source"
            }) && args
                .iter()
                .any(|w| matches!(w.text.as_str(), "config" | "set" | "source")) =>
        {
            r.hit(
                c::BASH_UNTRUSTED_SOURCE,
                range.clone(),
                "points later package installs at another index",
            );
        }
        "rm" | "shred" | "unlink" | "truncate"
            if args.iter().any(|w| {
                w.text.starts_with("/var/log")
                    || w.text.contains("_history")
                    || w.text.starts_with("/var/run/utmp")
                    || w.text.ends_with("wtmp")
                    || w.text.ends_with("btmp")
                    || w.text.ends_with("lastlog")
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "deletes logs or shell history",
            );
        }
        "journalctl"
            if args.iter().any(|w| {
                w.text.starts_with("--vacuum") || w.text == "--rotate" || w.text == "--flush"
            }) =>
        {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                range.clone(),
                "discards system journal entries",
            );
        }
        "update-rc.d" | "chkconfig" | "rc-update"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "disable" | "off" | "remove" | "del" | "delete"
                )
            }) =>
        {
            r.hit(
                c::BASH_SERVICE_STOP,
                range.clone(),
                "disables a service at boot",
            );
        }
        "xmrig" | "minerd" | "cpuminer" | "ethminer" | "nbminer" | "t-rex" | "lolminer"
        | "xmr-stak" | "ccminer" | "cgminer" | "bfgminer" => {
            r.hit(
                c::BASH_CRYPTOMINER,
                range.clone(),
                format!("`{prog}` mines cryptocurrency"),
            );
        }
        "unshadow" | "mimipenguin" | "gcore" | "procdump" | "linpeas" | "laZagne" => {
            r.hit(
                c::BASH_CREDENTIAL_CRITICAL,
                range.clone(),
                format!("`{prog}` dumps credentials or process memory"),
            );
        }
        "gdb"
            if has("-p")
                || has("--pid")
                || args.iter().any(|w| {
                    w.text.contains("dump memory") || w.text.contains("generate-core-file")
                }) =>
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                range.clone(),
                "attaches to a running process to read its memory",
            );
        }
        "tcpdump" | "tshark" | "dumpcap" | "ngrep" | "ettercap" | "arpspoof" | "bettercap"
        | "dsniff" | "mitmproxy" | "mitmdump" | "sslstrip" => {
            r.hit(
                c::BASH_COLLECTION,
                range.clone(),
                format!("`{prog}` captures or intercepts network traffic"),
            );
        }
        "anydesk" | "teamviewer" | "rustdesk" | "x11vnc" | "vncserver" | "tigervncserver"
        | "tightvncserver" | "remmina" | "gotty" | "ttyd" | "tmate" | "sshx" | "upterm" => {
            r.hit(
                c::BASH_TUNNEL,
                range.clone(),
                format!("`{prog}` gives remote access to this machine"),
            );
        }
        "upx" => r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "packs an executable to hide its contents",
        ),
        "exec" if has("-a") => r.hit(
            c::BASH_DEFENSE_EVASION,
            range.clone(),
            "runs a program under a fake process name",
        ),
        "ping" if has("-p") => r.hit(
            c::BASH_UPLOAD,
            range.clone(),
            "carries data in ICMP packet padding",
        ),
        "aws" | "gsutil" | "azcopy" | "s3cmd" | "gcloud"
            if args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "cp" | "sync" | "mv" | "copy" | "rsync" | "put" | "copyto" | "moveto"
                )
            }) && args.iter().any(|w| {
                w.text.starts_with("s3://")
                    || w.text.starts_with("gs://")
                    || w.text.contains(".blob.core.windows.net")
                    || (prog == "rclone"
                        && w.text.contains(':')
                        && !w.text.starts_with('-')
                        && !w.text.starts_with('/'))
            }) =>
        {
            r.hit(
                c::BASH_REMOTE_COPY,
                range.clone(),
                format!("`{prog}` copies files to or from cloud storage"),
            );
        }
        "grep" | "egrep" | "rg" | "ag" | "ack" | "git"
            if args.iter().any(|w| {
                let t = w.text.to_ascii_lowercase();
                t.contains("private key")
                    || t.contains("password")
                    || t.contains("passwd")
                    || t.contains("secret")
                    || t.contains("api_key")
                    || t.contains("apikey")
                    || t.contains("akia")
                    || t.contains("token")
            }) && args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "/" | "~" | "/home" | "/root" | "/etc" | "$HOME" | "~/" | "/var" | "/opt"
                ) || w.text.starts_with("/home/")
            }) =>
        {
            r.hit(
                c::BASH_CREDENTIAL_ACCESS,
                range.clone(),
                "searches the filesystem for passwords, tokens or private keys",
            );
        }
        "enable" if has("-f") => r.hit(
            c::BASH_LIBRARY_LOAD,
            range.clone(),
            "`enable -f` loads a shared library into the shell",
        ),
        _ => {}
    }
    // native libraries handed to programs that load them
    if !matches!(
        prog,
        "gcc"
            | "cc"
            | "clang"
            | "g++"
            | "c++"
            | "ld"
            | "ld.lld"
            | "ld.gold"
            | "ldd"
            | "nm"
            | "objdump"
            | "readelf"
            | "strip"
            | "file"
            | "ls"
            | "cp"
            | "mv"
            | "rm"
            | "ln"
            | "install"
            | "chmod"
            | "chown"
            | "ldconfig"
            | "patchelf"
            | "strings"
            | "md5sum"
            | "sha256sum"
            | "tar"
            | "zip"
            | "unzip"
            | "find"
            | "cargo"
            | "rustc"
            | "make"
            | "cmake"
            | "ar"
            | "echo"
            | "printf"
            | "git"
            | "docker"
            | "podman"
            | "stat"
            | "du"
            | "wc"
            | "cat"
            | "lipo"
            | "otool"
            | "codesign"
            | "mkdir"
            | "touch"
    ) {
        let lib = args.iter().find(|w| {
            let t = w.text.trim_matches(|c| c == '"' || c == '\'');
            let t = t.rsplit('=').next().unwrap_or(t);
            (t.ends_with(".so")
                || t.contains(".so.")
                || t.ends_with(".dylib")
                || t.ends_with(".dll") && prog.starts_with("rundll"))
                && !t.contains("://")
        });
        let plugin_opt = args.iter().any(|w| {
            matches!(
                w.text.as_str(),
                "-engine" | "--default-auth" | "--plugin-dir" | "--load-extension" | "-dlopen"
            ) || w.text.starts_with("--default-auth=")
                || w.text.starts_with("--plugin-dir=")
        });
        if let Some(w) = lib {
            r.hit(
                c::BASH_LIBRARY_LOAD,
                w.range.clone(),
                format!("`{prog}` is given a native library to load (`{}`)", w.text),
            );
        } else if plugin_opt {
            r.hit(
                c::BASH_LIBRARY_LOAD,
                range.clone(),
                format!("`{prog}` is told to load a plugin from a chosen path"),
            );
        }
    }
    // servers that expose files or a port to the network
    let listener = match prog {
        "php" => has("-S"),
        "ruby" => has("-run") || starts("-run"),
        "busybox" => inv.operands().next().is_some_and(|w| w.text == "httpd"),
        "httpd" | "lighttpd" | "darkhttpd" | "webfsd" | "miniserve" | "updog" | "http-server"
        | "serve" => true,
        "kubectl" => has("proxy") && starts("--address"),
        "tailscale" | "ngrok" => has("serve") || has("funnel"),
        "nc" | "ncat" | "netcat" | "socat" => {
            has("-l")
                || has("-lp")
                || has("-lvp")
                || has("-lnvp")
                || has("-nlvp")
                || args
                    .iter()
                    .any(|w| w.text.to_ascii_lowercase().contains("listen"))
        }
        _ => {
            super::super::names::is_python(prog)
                && (args.windows(2).any(|w| {
                    w[0].text == "-m"
                        && (w[1].text == "http.server"
                            || w[1].text == "SimpleHTTPServer"
                            || w[1].text == "pyftpdlib"
                            || w[1].text == "smtpd")
                }))
        }
    };
    if listener {
        r.hit(
            c::BASH_LISTENER,
            range,
            format!("`{prog}` starts a server that exposes this machine to the network"),
        );
    }
}

/// `user@host:path`, `host:path`, `//host/share`, `rsync://…`.
fn is_remote_spec(t: &str) -> bool {
    if t.starts_with("rsync://")
        || t.starts_with("sftp://")
        || t.starts_with("scp://")
        || t.starts_with("ftp://")
        || t.starts_with("s3://")
        || t.starts_with("gs://")
        || t.starts_with("\\\\")
        || t.starts_with("//")
    {
        return true;
    }
    match t.split_once(':') {
        None if t.contains('@') && !t.starts_with('-') && !t.contains('/') => true,
        Some((host, _)) => {
            !host.is_empty()
                && !host.contains('/')
                && !host.starts_with('-')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@.-_[]".contains(c))
                && !host.chars().all(|c| c.is_ascii_alphabetic())
                || host.contains('@')
                || host.contains('.')
        }
        None => false,
    }
}

/// A package given as a URL, an archive or a VCS reference instead of a
/// registry name: `pip install https://…/x.tar.gz`, `npm i github:u/r`,
/// `yarn add git+ssh://…`, `npm i ./x.tgz`.
fn is_package_url(t: &str, prog: &str) -> bool {
    let url = t.starts_with("https://") || t.starts_with("git://") || t.starts_with("ssh://");
    let vcs = ["github:", "gitlab:", "bitbucket:", "gist:", "git+", "git@"]
        .iter()
        .any(|p| t.starts_with(p));
    let archive = [".tgz", ".tar.gz", ".tar.bz2", ".zip", ".whl"]
        .iter()
        .any(|x| t.ends_with(x));
    match prog {
        "npm" | "pnpm" | "yarn" | "bun" => url || vcs || archive,
        "pip" | "pip3" | "uv" | "pipx" => url || vcs || (archive && t.contains('/')),
        "gem" => url,
        _ => false,
    }
}
