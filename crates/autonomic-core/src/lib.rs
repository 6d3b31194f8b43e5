//! placeholder: the helper fills this in
pub mod decision;
pub use decision::Decision;
