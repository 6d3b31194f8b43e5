//! `muscle-guest`: the guest agent, PID 1 inside agent-muscle's microVMs.
//! Built statically (`scripts/build-guest.sh`) and placed in the image's
//! initramfs as `/init` by `autonomic muscle image build`; not meant to run
//! on the host. See `agent_muscle::vm::guest`.

fn main() {
    agent_muscle::vm::guest::main()
}
