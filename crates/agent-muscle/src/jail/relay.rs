//! The sandbox end of a network grant: a process PID 1 starts before the
//! task, listening on `127.0.0.1:PROXY_PORT` in the task's network namespace
//! (which has no other interface than loopback) and forwarding each
//! connection to the executor's proxy socket, bound read-only into the view.
//! The proxy decides; the relay only carries bytes. It runs outside the
//! task's Landlock domain, so the task (whose signals Landlock scopes to its
//! own domain) cannot kill it, and it dies with PID 1 like everything else.
//! Raw syscalls over stack buffers only, like the rest of the jail.

use std::ffi::CStr;

use super::sys;

/// Serves forever: accept, fork a carrier per connection.
pub(super) fn serve(listener: libc::c_int, socket: &CStr) -> ! {
    // The relay carries bytes and needs none of PID 1's capabilities in the
    // user namespace: a bug here must not be able to remount the view.
    if sys::drop_all_caps().is_err() || sys::auto_reap_children().is_err() {
        sys::exit_now(1);
    }
    loop {
        let Ok(conn) = sys::accept(listener) else {
            continue;
        };
        match sys::fork() {
            Ok(0) => {
                sys::close(listener);
                carry(conn, socket)
            }
            _ => sys::close(conn),
        }
    }
}

/// Copies both ways between the task's connection and the proxy until both
/// directions have ended.
fn carry(conn: libc::c_int, socket: &CStr) -> ! {
    let Ok(proxy) = sys::connect_unix(socket) else {
        sys::exit_now(1);
    };
    let mut buf = [0u8; 16 * 1024];
    // [task → proxy open, proxy → task open]
    let mut open = [true, true];
    while open[0] || open[1] {
        let mut fds = [
            libc::pollfd {
                fd: if open[0] { conn } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if open[1] { proxy } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if sys::poll(&mut fds, -1).is_err() {
            break;
        }
        for (i, (from, to)) in [(conn, proxy), (proxy, conn)].into_iter().enumerate() {
            if !open[i] || fds[i].revents == 0 {
                continue;
            }
            match sys::read(from, &mut buf) {
                Ok(0) | Err(_) => {
                    open[i] = false;
                    sys::shutdown_write(to);
                }
                Ok(n) => {
                    if sys::write_all(to, &buf[..n]).is_err() {
                        open = [false, false];
                    }
                }
            }
        }
    }
    sys::exit_now(0)
}
