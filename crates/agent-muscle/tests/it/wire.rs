//! Specs and results through serde: a spec of each level and real results
//! of runs come back equal (JSON, as the MCP server and the workflow engine
//! carry them), and the formats read as documented in `exec::wire`.

use std::path::PathBuf;
use std::time::Duration;

use agent_muscle::exec::egress::HostRule;
use agent_muscle::exec::traps::{TrapAction, TrapKind};
use agent_muscle::exec::{
    run, EnvPolicy, ExecResult, ExecSpec, Exit, Isolation, Limits, Network, SeccompOptions,
    Violation,
};
use agent_muscle::vm::{Accel, Backend};
use autonomic_core::SandboxLevel;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::seccomp::{isolation, test_policy};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) -> String {
    let json = serde_json::to_string_pretty(value).expect("serializes");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}:\n{json}"));
    assert_eq!(&back, value, "{json}");
    json
}

fn rules() -> Vec<HostRule> {
    ["crates.io:443", "*.pypi.org", "[::1]:8080", "*"]
        .iter()
        .map(|r| HostRule::parse(r).expect("a rule"))
        .collect()
}

#[test]
fn a_spec_of_each_level_round_trips() {
    let mut none = ExecSpec::new(["sh", "-c", "cat"], "/work/project");
    none.stdin = Some(vec![0xff, 0xfe, b'\n']);
    none.env = EnvPolicy::Set {
        pass: vec!["CARGO_HOME".into()],
        set: vec![("RUST_LOG".into(), "debug".into())],
    };
    none.network = Network::Host;
    none.limits = Limits {
        wall: Duration::from_millis(2500),
        cpu: Some(Duration::from_secs(10)),
        memory_bytes: Some(256 << 20),
        pids: Some(64),
        output_bytes: 4096,
        disk_bytes: Some(1 << 30),
        tmp_bytes: 64 << 20,
    };
    let json = round_trip(&none);
    assert!(json.contains(r#""level": "none""#), "{json}");
    assert!(json.contains(r#""wall": "2.5s""#), "{json}");
    assert!(
        json.contains(r#""stdin": {"#) && json.contains(r#""base64": "//4K""#),
        "{json}"
    );

    let mut seccomp = ExecSpec::new(["cargo", "build"], "/work/project");
    seccomp.network = Network::Proxied(rules());
    seccomp.isolation = Isolation::Seccomp {
        policy: test_policy(),
        options: SeccompOptions {
            masked_paths: vec![PathBuf::from("/srv/secrets")],
            watch_paths: false,
            exposed: vec![(PathBuf::from("/opt/image"), "image".into())],
            dev_nodes: vec!["kvm".into()],
            ro_binds: vec![PathBuf::from("/opt/toolchain")],
            rw_binds: vec![PathBuf::from("/work/cache")],
            traps: TrapAction::Report,
        },
    };
    seccomp.env = EnvPolicy::Allow(vec!["TERM".into()]);
    let json = round_trip(&seccomp);
    assert!(json.contains(r#""*.pypi.org""#), "{json}");
    assert!(json.contains(r#""[::1]:8080""#), "{json}");
    assert_eq!(seccomp.level(), SandboxLevel::Seccomp);

    let mut vm = super::vm::config();
    vm.backend = Some(Backend::Qemu);
    vm.accel = Some(Accel::Tcg {
        why: "no /dev/kvm".into(),
    });
    vm.hand_out = vec![PathBuf::from("target/out")];
    vm.vcpus = 2;
    let mut micro = ExecSpec::new(["make"], "/work/project");
    micro.network = Network::Proxied(vec![]);
    micro.isolation = Isolation::micro_vm(vm);
    let json = round_trip(&micro);
    assert!(json.contains(r#""level": "firecracker""#), "{json}");

    // The defaults a hand-written spec may leave out, and what it may not.
    let short: ExecSpec = serde_json::from_str(
        r#"{"argv": ["true"], "workspace": "/w", "isolation": {"level": "none"},
            "limits": {"wall": "250ms"}}"#,
    )
    .unwrap();
    let mut expected = ExecSpec::new(["true"], "/w");
    expected.limits.wall = Duration::from_millis(250);
    assert_eq!(short, expected);
    for bad in [
        r#"{"argv": ["true"], "workspace": "/w"}"#,
        r#"{"argv": ["true"], "workspace": "/w", "isolation": {"level": "none"}, "sandbox": "none"}"#,
        r#"{"argv": ["true"], "workspace": "/w", "isolation": {"level": "none"}, "limits": {"wall": 60}}"#,
        r#"{"argv": ["true"], "workspace": "/w", "isolation": {"level": "none"}, "network": {"proxied": ["a b"]}}"#,
        r#"{"argv": ["true"], "workspace": "/w", "isolation": {"level": "firecracker"}}"#,
    ] {
        assert!(serde_json::from_str::<ExecSpec>(bad).is_err(), "{bad}");
    }
}

#[test]
fn real_results_round_trip() {
    // Level none: binary stdout, text stderr, an exit code.
    let ws = tempfile::tempdir().unwrap();
    let spec = ExecSpec::new(
        ["sh", "-c", r"printf '\377ok'; echo err >&2; exit 3"],
        ws.path(),
    );
    let r = run(&spec).unwrap();
    assert_eq!(r.status, Exit::Code(3));
    let json = round_trip(&r);
    assert!(json.contains(r#""stderr": "err\n""#), "{json}");
    assert!(json.contains(r#""code": 3"#), "{json}");

    // Level seccomp: a trap left in the workspace, then the wall clock.
    let ws = tempfile::tempdir().unwrap();
    let mut spec = ExecSpec::new(["sh", "-c", "mkfifo trap && sleep 30"], ws.path());
    spec.isolation = isolation(SandboxLevel::Seccomp);
    spec.limits.wall = Duration::from_secs(2);
    let r = run(&spec).unwrap();
    assert!(
        matches!(r.violation, Some(Violation::WallTimeout { .. })),
        "{:?}",
        r.violation
    );
    assert!(
        r.traps.iter().any(|t| t.kind == TrapKind::Fifo),
        "{:?}",
        r.traps
    );
    let json = round_trip(&r);
    assert!(json.contains(r#""kind": "wall_timeout""#), "{json}");
    assert!(json.contains(r#""limit": "2s""#), "{json}");

    // Level seccomp: a denied syscall.
    let r = super::seccomp::jailed(&["sh", "-c", "exec unshare -U true"], ws.path());
    assert!(
        matches!(r.violation, Some(Violation::Syscall { .. })),
        "{:?}",
        r.violation
    );
    round_trip(&r);
}

#[test]
fn a_micro_vm_result_round_trips() {
    let ws = tempfile::tempdir().unwrap();
    let mut spec = ExecSpec::new(["sh", "-c", "echo hi"], ws.path());
    spec.isolation = Isolation::micro_vm(super::vm::config());
    spec.limits.wall = Duration::from_secs(120);
    let r: ExecResult = run(&spec).unwrap();
    assert_eq!(r.status, Exit::Code(0));
    let info = r.vm.as_ref().expect("vm info");
    assert!(info.guest_start.is_some());
    let json = round_trip(&r);
    assert!(json.contains(r#""backend": "qemu""#), "{json}");
}
