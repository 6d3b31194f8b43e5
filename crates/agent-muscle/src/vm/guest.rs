//! The guest agent: PID 1 inside the microVM (`muscle-guest`, built
//! statically and put into the image's initramfs as `/init`).
//!
//! It owns the guest side of one run: mount `/dev`, `/proc`, `/sys`; load the
//! drivers the image lists (virtio-mmio, virtio-blk, ext4, overlay — Debian's
//! kernel has them as modules); find the disks by their virtio serial; read
//! the [`GuestTask`]; mount the read-only root disk under an overlay whose
//! upper layer is a size-limited tmpfs (so every write is gone when the VM
//! ends); mount the workspace disk; run the task in a chroot into that
//! overlay with its stdout and stderr framed onto the console; then `sync`
//! and reboot, which with QEMU's `-no-reboot` (or Firecracker's reboot exit)
//! ends the VM.
//!
//! It must not talk to the host except through the console frames of
//! [`super::proto`], and it never returns: every path ends in a reboot (a
//! PID 1 that exits panics the kernel, which the host also notices).

use fs_err as fs;
use std::ffi::CString;
use std::io::{Read as _, Write as _};
use std::os::fd::{AsRawFd as _, FromRawFd as _};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::proto::{
    Frame, GuestTask, GUEST_WORKSPACE, ROOTFS_SERIAL, TASK_SERIAL, WORKSPACE_SERIAL,
};

/// The agent's entry point.
pub fn main() -> ! {
    let booted = Instant::now();
    let mut console = match setup_console() {
        Ok(c) => c,
        Err(_) => reboot(),
    };
    let code = match run(&mut console, booted) {
        Ok(()) => 0,
        Err(msg) => {
            let _ = console.write_all(Frame::Error(msg).encode().as_bytes());
            1
        }
    };
    let _ = console.flush();
    let _ = code;
    // SAFETY: sync takes no arguments.
    unsafe { libc::sync() };
    reboot()
}

fn reboot() -> ! {
    // SAFETY: reboot(RB_AUTOBOOT) takes an integer; as PID 1 with
    // CAP_SYS_BOOT it restarts the machine, which ends the VM (QEMU runs
    // with -no-reboot).
    unsafe { libc::reboot(libc::RB_AUTOBOOT) };
    // Unreachable unless reboot failed; exiting PID 1 panics the kernel,
    // which ends the VM too (panic=-1).
    std::process::exit(1)
}

fn cstr(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| format!("NUL in {}", path.display()))
}

fn mount(
    source: &str,
    target: &str,
    fstype: &str,
    flags: libc::c_ulong,
    data: &str,
) -> Result<(), String> {
    let _ = fs::create_dir_all(target);
    let c = |s: &str| CString::new(s).map_err(|_| "NUL in a mount argument".to_owned());
    let (src, tgt, fst, dat) = (c(source)?, c(target)?, c(fstype)?, c(data)?);
    // SAFETY: all four are NUL-terminated strings borrowed for the call.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            tgt.as_ptr(),
            fst.as_ptr(),
            flags,
            dat.as_ptr().cast(),
        )
    };
    if rc != 0 {
        return Err(format!(
            "mount {source} ({fstype}) on {target}: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

fn setup_console() -> Result<fs::File, String> {
    mount("devtmpfs", "/dev", "devtmpfs", libc::MS_NOSUID, "mode=0755")?;
    fs::OpenOptions::new()
        .write(true)
        .open("/dev/console")
        .map_err(|e| format!("open /dev/console: {e}"))
}

fn run(console: &mut fs::File, booted: Instant) -> Result<(), String> {
    mount(
        "proc",
        "/proc",
        "proc",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    )?;
    mount(
        "sysfs",
        "/sys",
        "sysfs",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    )?;
    load_modules()?;
    let task_dev = find_disk(TASK_SERIAL, Duration::from_secs(10))?
        .ok_or("no task disk (virtio serial `task`)")?;
    let task = read_task(&task_dev)?;
    let root_dev = find_disk(ROOTFS_SERIAL, Duration::from_secs(2))?
        .ok_or("no root disk (virtio serial `rootfs`)")?;

    let ro = libc::MS_RDONLY | libc::MS_NODEV;
    mount(&root_dev.to_string_lossy(), "/lower", "ext4", ro, "")?;
    let scratch = format!("size={}m,mode=0755", task.scratch_mib.max(1));
    mount("tmpfs", "/upper", "tmpfs", libc::MS_NODEV, &scratch)?;
    for d in ["/upper/data", "/upper/work"] {
        fs::create_dir_all(d).map_err(|e| format!("create {d}: {e}"))?;
    }
    mount(
        "overlay",
        "/newroot",
        "overlay",
        libc::MS_NODEV,
        "lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work",
    )?;
    mount(
        "proc",
        "/newroot/proc",
        "proc",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "",
    )?;
    mount(
        "devtmpfs",
        "/newroot/dev",
        "devtmpfs",
        libc::MS_NOSUID,
        "mode=0755",
    )?;
    mount(
        "sysfs",
        "/newroot/sys",
        "sysfs",
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_RDONLY,
        "",
    )?;
    mount(
        "tmpfs",
        "/newroot/tmp",
        "tmpfs",
        libc::MS_NOSUID | libc::MS_NODEV,
        &format!("{scratch},mode=1777"),
    )?;
    let workdir = if task.workspace {
        let dev = find_disk(WORKSPACE_SERIAL, Duration::from_secs(2))?
            .ok_or("the workspace disk (virtio serial `workspace`) is missing")?;
        let target = format!("/newroot{GUEST_WORKSPACE}");
        mount(&dev.to_string_lossy(), &target, "ext4", libc::MS_NODEV, "")?;
        GUEST_WORKSPACE
    } else {
        "/"
    };
    configure_network(task.network)?;
    let _ = booted;
    let _ = console.write_all(Frame::Ready(uptime_ms()).encode().as_bytes());
    let status = run_task(console, &task, workdir)?;
    let _ = console.write_all(Frame::End(uptime_ms()).encode().as_bytes());
    // Whatever the task left behind goes now, then the workspace is synced.
    // SAFETY: kill(-1) from PID 1 signals every other process.
    unsafe { libc::kill(-1, libc::SIGKILL) };
    // SAFETY: sync takes no arguments.
    unsafe { libc::sync() };
    let frame = if libc::WIFSIGNALED(status) {
        Frame::Signal(libc::WTERMSIG(status))
    } else {
        Frame::Exit(libc::WEXITSTATUS(status))
    };
    let _ = console.write_all(frame.encode().as_bytes());
    Ok(())
}

/// Brings `lo` up, and with a network grant configures `eth0` for QEMU's
/// user networking (address 10.0.2.15/24, gateway 10.0.2.2, resolver
/// 10.0.2.3), with the root's static busybox.
fn configure_network(granted: bool) -> Result<(), String> {
    let ip = |args: &[&str]| -> Result<(), String> {
        #[expect(
            clippy::disallowed_methods,
            reason = "the guest agent configures the guest's own network"
        )]
        let status = std::process::Command::new("/newroot/bin/busybox")
            .arg("ip")
            .args(args)
            .status()
            .map_err(|e| format!("run busybox ip: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("busybox ip {}: {status}", args.join(" ")))
        }
    };
    ip(&["link", "set", "lo", "up"])?;
    if !granted {
        return Ok(());
    }
    let until = Instant::now() + Duration::from_secs(5);
    while !Path::new("/sys/class/net/eth0").exists() {
        if Instant::now() >= until {
            return Err("network granted but no eth0 appeared".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    ip(&["link", "set", "eth0", "up"])?;
    ip(&["addr", "add", "10.0.2.15/24", "dev", "eth0"])?;
    ip(&["route", "add", "default", "via", "10.0.2.2"])?;
    fs::write("/newroot/etc/resolv.conf", "nameserver 10.0.2.3\n")
        .map_err(|e| format!("write resolv.conf: {e}"))
}

/// The guest's uptime in ms (`/proc/uptime`), 0 if unreadable.
fn uptime_ms() -> u64 {
    fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| {
            t.split_whitespace()
                .next()
                .and_then(|s| s.parse::<f64>().ok())
        })
        .map_or(0, |s| (s * 1000.0) as u64)
}

/// Loads `/lib/modules/load-order` (one `.ko` file name per line, in
/// dependency order) with `finit_module`; already-loaded modules are fine.
fn load_modules() -> Result<(), String> {
    let Ok(order) = fs::read_to_string("/lib/modules/load-order") else {
        return Ok(()); // a kernel with the drivers built in
    };
    for name in order.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = Path::new("/lib/modules").join(name);
        let file = fs::File::open(&path).map_err(|e| format!("open {}: {e}", path.display()))?;
        // SAFETY: the fd is open for the call; the parameter string is an
        // empty NUL-terminated literal.
        let rc =
            unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), c"".as_ptr(), 0) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EEXIST) {
                return Err(format!("load module {name}: {err}"));
            }
        }
    }
    Ok(())
}

/// The `/dev/vdX` whose virtio serial is `serial`, waiting up to `wait` for
/// the device to appear.
fn find_disk(serial: &str, wait: Duration) -> Result<Option<PathBuf>, String> {
    let until = Instant::now() + wait;
    loop {
        if let Ok(entries) = fs::read_dir("/sys/block") {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let found = fs::read_to_string(entry.path().join("serial"))
                    .is_ok_and(|s| s.trim() == serial);
                if found {
                    let dev = Path::new("/dev").join(&name);
                    if dev.exists() {
                        return Ok(Some(dev));
                    }
                }
            }
        }
        if Instant::now() >= until {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn read_task(dev: &Path) -> Result<GuestTask, String> {
    let mut file = fs::File::open(dev).map_err(|e| format!("open {}: {e}", dev.display()))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|e| format!("read the task length: {e}"))?;
    let len = u64::from_le_bytes(len);
    if len > 64 << 20 {
        return Err(format!("task description of {len} bytes is too large"));
    }
    let mut json = vec![0u8; usize::try_from(len).unwrap_or(0)];
    file.read_exact(&mut json)
        .map_err(|e| format!("read the task description: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("the task description is not valid: {e}"))
}

/// A pipe: (read end, write end).
fn pipe() -> Result<(std::fs::File, std::fs::File), String> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a live two-element array the kernel fills in.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: pipe2 returned two new descriptors nothing else owns.
    Ok(unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    })
}

/// Runs the task in a chroot into the overlay; frames its output; returns
/// its wait status.
fn run_task(console: &mut fs::File, task: &GuestTask, workdir: &str) -> Result<i32, String> {
    if task.argv.is_empty() {
        return Err("the task has no command".into());
    }
    let path_var = task
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map_or("/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", |(_, v)| {
            v.as_str()
        });
    let program = if task.argv[0].contains('/') {
        PathBuf::from(&task.argv[0])
    } else {
        path_var
            .split(':')
            .map(|d| Path::new(d).join(&task.argv[0]))
            .find(|p| {
                Path::new("/newroot")
                    .join(p.strip_prefix("/").unwrap_or(p))
                    .is_file()
            })
            .ok_or_else(|| format!("`{}` not found on PATH in the guest", task.argv[0]))?
    };
    let program = cstr(&program)?;
    let argv: Vec<CString> = task
        .argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| "NUL in an argument".to_owned()))
        .collect::<Result<_, _>>()?;
    let envp: Vec<CString> = task
        .env
        .iter()
        .map(|(k, v)| {
            CString::new(format!("{k}={v}")).map_err(|_| "NUL in the environment".to_owned())
        })
        .collect::<Result<_, _>>()?;
    let mut argv_p: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_p.push(std::ptr::null());
    let mut envp_p: Vec<*const libc::c_char> = envp.iter().map(|a| a.as_ptr()).collect();
    envp_p.push(std::ptr::null());
    let workdir = CString::new(workdir).map_err(|_| "NUL in the workdir".to_owned())?;
    let devnull = fs::File::open("/dev/null").map_err(|e| format!("open /dev/null: {e}"))?;
    let (mut out_r, out_w) = pipe()?;
    let (mut err_r, err_w) = pipe()?;

    // SAFETY: the agent is single-threaded, so the child may run ordinary
    // code; it only makes syscalls before execve.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: plain syscalls on descriptors and NUL-terminated strings
        // that live until execve; on failure the child exits at once.
        unsafe {
            libc::dup2(devnull.as_raw_fd(), 0);
            libc::dup2(out_w.as_raw_fd(), 1);
            libc::dup2(err_w.as_raw_fd(), 2);
            if libc::chroot(c"/newroot".as_ptr()) != 0 || libc::chdir(workdir.as_ptr()) != 0 {
                libc::_exit(126);
            }
            libc::setsid();
            libc::execve(program.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr());
            libc::_exit(127);
        }
    }
    drop(out_w);
    drop(err_w);
    let _ = console.write_all(Frame::Start(uptime_ms()).encode().as_bytes());
    pump(console, &mut out_r, &mut err_r);
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live local.
        let rc = unsafe { libc::waitpid(-1, &mut status, 0) };
        if rc == pid {
            return Ok(status);
        }
        if rc < 0 {
            return Err(format!("wait: {}", std::io::Error::last_os_error()));
        }
    }
}

/// Copies both pipes to the console as frames until both are closed.
fn pump(console: &mut fs::File, out: &mut std::fs::File, err: &mut std::fs::File) {
    let mut open = [true, true];
    let mut buf = vec![0u8; 3 * 1024];
    while open.iter().any(|o| *o) {
        let mut fds = [
            libc::pollfd {
                fd: if open[0] { out.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if open[1] { err.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: `fds` is a live array of two pollfds.
        if unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) } < 0 {
            continue;
        }
        for (i, file) in [&mut *out, &mut *err].into_iter().enumerate() {
            if fds[i].revents == 0 {
                continue;
            }
            match file.read(&mut buf) {
                Ok(0) | Err(_) => open[i] = false,
                Ok(n) => {
                    let data = buf[..n].to_vec();
                    let frame = if i == 0 {
                        Frame::Out(data)
                    } else {
                        Frame::Err(data)
                    };
                    let _ = console.write_all(frame.encode().as_bytes());
                }
            }
        }
    }
}
