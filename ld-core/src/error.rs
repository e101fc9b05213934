//! One error type for the whole link: a message that already names the file,
//! section, offset or symbol involved. Errors are collected, never panicked.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub msg: String,
}

impl Error {
    pub fn new(msg: impl Into<String>) -> Self {
        Error { msg: msg.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Warnings printed since the link began (`--fatal-warnings` fails the link
/// on any).
static WARNINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Prints `cld: warning: MSG` and counts it.
pub fn warn(msg: impl fmt::Display) {
    WARNINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    eprintln!("cld: warning: {msg}");
}

/// How many warnings `warn` printed since `reset_warnings`.
pub fn warnings() -> usize {
    WARNINGS.load(std::sync::atomic::Ordering::Relaxed)
}

pub fn reset_warnings() {
    WARNINGS.store(0, std::sync::atomic::Ordering::Relaxed);
}

/// `bail!("{}: bad thing", file)` returns an `Error` from the current function.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::Error::new(format!($($arg)*))) };
}

/// `err!(...)` builds an `Error` without returning.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::error::Error::new(format!($($arg)*)) };
}
