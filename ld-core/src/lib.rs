//! ld_core: the cld link core.
pub mod error;
pub mod options;
pub mod args;
pub mod script;
