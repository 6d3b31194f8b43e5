//! `muscle-jail`: the sandbox helper agent-muscle runs for every task at the
//! `seccomp` level. Not meant to be run by hand; see `agent_muscle::jail`.

fn main() {
    agent_muscle::jail::main()
}
