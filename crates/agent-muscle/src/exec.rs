//! Placeholder: the executor (being written).
