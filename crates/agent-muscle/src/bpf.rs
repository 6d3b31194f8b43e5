//! Placeholder: the seccomp-bpf filter compiler (being written).
