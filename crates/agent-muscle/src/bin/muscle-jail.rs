//! `muscle-jail`: the sandbox helper agent-muscle runs for every task at the
//! `seccomp` level. Not meant to be run by hand; see `agent_muscle::jail`.
//!
//! `muscle-jail relay-stdio SOCKET` is its second job: QEMU's user
//! networking runs it for each connection a microVM makes to the egress
//! proxy's address, and it carries the bytes between its stdin/stdout and
//! the proxy's UNIX socket (see `agent_muscle::exec::egress`).

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "relay-stdio") {
        let Some(socket) = args.get(2) else {
            eprintln!("usage: muscle-jail relay-stdio SOCKET");
            std::process::exit(2);
        };
        std::process::exit(agent_muscle::exec::egress::relay_stdio(
            std::path::Path::new(socket),
        ));
    }
    agent_muscle::jail::main()
}
