//! The Firecracker back-end: a one-shot `firecracker --no-api --config-file`
//! run from a generated configuration, used when a `firecracker` binary is
//! found and the host has real KVM (Firecracker has no software emulation).
//!
//! The configuration is Firecracker's `FullVmConfiguration` (its published
//! API specification, `src/firecracker/swagger/firecracker.yaml`):
//! `boot-source` (the ELF vmlinux, the initramfs, the kernel command line
//! with `reboot=k` so the guest's reboot ends Firecracker), `drives` (root
//! read-only, task read-only, workspace read-write; the drive ids are what
//! the guest sees as virtio serials) and `machine-config`; never
//! `network-interfaces`. [`validate`] checks a configuration against the
//! parts of that specification it uses before Firecracker ever sees it.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::VmConfig;

/// `BootSource`.
#[derive(Debug, Serialize)]
struct BootSource {
    kernel_image_path: String,
    boot_args: String,
    initrd_path: String,
}

/// `Drive` (virtio-block).
#[derive(Debug, Serialize)]
struct Drive {
    drive_id: String,
    path_on_host: String,
    is_root_device: bool,
    is_read_only: bool,
}

/// `MachineConfiguration`.
#[derive(Debug, Serialize)]
struct MachineConfig {
    vcpu_count: u32,
    mem_size_mib: u64,
    smt: bool,
}

/// `FullVmConfiguration`, the parts used.
#[derive(Debug, Serialize)]
struct FullConfig {
    #[serde(rename = "boot-source")]
    boot_source: BootSource,
    drives: Vec<Drive>,
    #[serde(rename = "machine-config")]
    machine_config: MachineConfig,
}

/// The configuration for one run: `cfg`'s kernel, initramfs and root disk,
/// the task and workspace disks, and `cmdline`.
pub fn config(cfg: &VmConfig, task: &Path, workspace: &Path, cmdline: &str) -> Value {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let drive = |id: &str, path: &Path, ro: bool| Drive {
        drive_id: id.to_owned(),
        path_on_host: s(path),
        is_root_device: false,
        is_read_only: ro,
    };
    let full = FullConfig {
        boot_source: BootSource {
            kernel_image_path: s(&cfg.kernel),
            boot_args: format!("{cmdline} reboot=k pci=off"),
            initrd_path: s(&cfg.initrd),
        },
        drives: vec![
            drive(super::proto::ROOTFS_SERIAL, &cfg.rootfs, true),
            drive(super::proto::TASK_SERIAL, task, true),
            drive(super::proto::WORKSPACE_SERIAL, workspace, false),
        ],
        machine_config: MachineConfig {
            vcpu_count: cfg.vcpus,
            mem_size_mib: cfg.memory_mib,
            smt: false,
        },
    };
    serde_json::to_value(full).unwrap_or(Value::Null)
}

/// Checks `config` against the parts of Firecracker's `FullVmConfiguration`
/// this back-end uses: known top-level keys only and no network device;
/// `boot-source.kernel_image_path` (string, required), `boot_args` and
/// `initrd_path` strings; every drive with a unique string `drive_id`,
/// boolean `is_root_device` and `is_read_only`, string `path_on_host`, and at
/// most one root device; `machine-config` with integer `mem_size_mib` ≥ 1 and
/// `vcpu_count` from 1 to 32, 1 or even.
///
/// # Errors
///
/// The first violation, naming the field.
pub fn validate(config: &Value) -> Result<(), String> {
    const TOP: &[&str] = &[
        "balloon",
        "drives",
        "boot-source",
        "cpu-config",
        "logger",
        "machine-config",
        "metrics",
        "memory-hotplug",
        "mmds-config",
        "network-interfaces",
        "pmem",
        "vsock",
        "entropy",
    ];
    let obj = config
        .as_object()
        .ok_or("the configuration is not an object")?;
    for key in obj.keys() {
        if !TOP.contains(&key.as_str()) {
            return Err(format!("unknown top-level key `{key}`"));
        }
    }
    if obj
        .get("network-interfaces")
        .is_some_and(|v| v.as_array().is_none_or(|a| !a.is_empty()))
    {
        return Err("`network-interfaces` present: the sandbox gives the VM no network".into());
    }
    let string = |v: Option<&Value>, what: &str, required: bool| -> Result<(), String> {
        match v {
            Some(Value::String(_)) => Ok(()),
            None if !required => Ok(()),
            _ => Err(format!("`{what}` must be a string")),
        }
    };
    let boot = obj
        .get("boot-source")
        .and_then(Value::as_object)
        .ok_or("`boot-source` is required")?;
    string(
        boot.get("kernel_image_path"),
        "boot-source.kernel_image_path",
        true,
    )?;
    string(boot.get("boot_args"), "boot-source.boot_args", false)?;
    string(boot.get("initrd_path"), "boot-source.initrd_path", false)?;
    let mut ids = Vec::new();
    let mut roots = 0;
    for (i, d) in obj
        .get("drives")
        .map_or(Some(&Vec::new()), Value::as_array)
        .ok_or("`drives` must be an array")?
        .iter()
        .enumerate()
    {
        let d = d
            .as_object()
            .ok_or(format!("drives[{i}] is not an object"))?;
        let id = d
            .get("drive_id")
            .and_then(Value::as_str)
            .ok_or(format!("drives[{i}].drive_id must be a string"))?;
        if ids.contains(&id) {
            return Err(format!("drives[{i}].drive_id `{id}` is used twice"));
        }
        ids.push(id);
        for flag in ["is_root_device", "is_read_only"] {
            if !d.get(flag).is_some_and(Value::is_boolean) {
                return Err(format!("drives[{i}].{flag} must be a boolean"));
            }
        }
        if d.get("is_root_device") == Some(&Value::Bool(true)) {
            roots += 1;
        }
        string(
            d.get("path_on_host"),
            &format!("drives[{i}].path_on_host"),
            true,
        )?;
    }
    if roots > 1 {
        return Err("more than one drive has is_root_device".into());
    }
    let machine = obj
        .get("machine-config")
        .and_then(Value::as_object)
        .ok_or("`machine-config` is required")?;
    let mem = machine
        .get("mem_size_mib")
        .and_then(Value::as_u64)
        .ok_or("machine-config.mem_size_mib must be an integer")?;
    if mem == 0 {
        return Err("machine-config.mem_size_mib must be at least 1".into());
    }
    let vcpus = machine
        .get("vcpu_count")
        .and_then(Value::as_u64)
        .ok_or("machine-config.vcpu_count must be an integer")?;
    if !(1..=32).contains(&vcpus) || (vcpus > 1 && vcpus % 2 == 1) {
        return Err(format!(
            "machine-config.vcpu_count {vcpus}: Firecracker takes 1 or an even number up to 32"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn cfg() -> VmConfig {
        VmConfig::new(Path::new("/img/vmlinux.bin"), Path::new("/img/rootfs.ext4"))
    }

    #[test]
    fn generated_configs_are_valid_and_have_no_network() {
        let c = config(
            &cfg(),
            &PathBuf::from("/run/t"),
            &PathBuf::from("/run/w"),
            "console=ttyS0",
        );
        validate(&c).expect("valid");
        assert!(c.get("network-interfaces").is_none());
        assert_eq!(c["drives"][0]["is_read_only"], true);
        assert_eq!(c["drives"][2]["is_read_only"], false);
        assert_eq!(c["boot-source"]["initrd_path"], "/img/initramfs.cpio");
        assert!(c["boot-source"]["boot_args"]
            .as_str()
            .is_some_and(|a| a.contains("reboot=k")));
    }

    #[test]
    fn violations_are_named() {
        let base = config(&cfg(), Path::new("/t"), Path::new("/w"), "");
        let with = |f: &dyn Fn(&mut Value)| {
            let mut c = base.clone();
            f(&mut c);
            validate(&c).unwrap_err()
        };
        assert!(with(&|c| c["machine-config"]["vcpu_count"] = 3.into()).contains("vcpu_count 3"));
        assert!(with(&|c| c["machine-config"]["vcpu_count"] = 0.into()).contains("vcpu_count 0"));
        assert!(with(&|c| {
            c["boot-source"]
                .as_object_mut()
                .map(|o| o.remove("kernel_image_path"));
        })
        .contains("kernel_image_path"));
        assert!(with(&|c| c["network-interfaces"] =
            serde_json::json!([{"iface_id": "eth0", "host_dev_name": "tap0"}]))
        .contains("network"));
        assert!(with(&|c| c["drives"][1]["drive_id"] = "rootfs".into()).contains("used twice"));
        assert!(with(&|c| c["drives"][0]["is_read_only"] = "yes".into()).contains("boolean"));
        assert!(with(&|c| c["bogus"] = 1.into()).contains("unknown top-level key"));
        let mut two = cfg();
        two.vcpus = 2;
        validate(&config(&two, Path::new("/t"), Path::new("/w"), "")).expect("2 vCPUs");
    }
}
