//! `cargo concurrent-link build|run|test [cargo args]`: cargo with cld as the
//! linker of every artifact, each link's background linker started while
//! rustc still compiles. See README.md in this directory.
//!
//! One program, three roles:
//! - the subcommand (`cli.rs`): runs cargo with this program as its linker
//!   and rustc wrapper;
//! - the rustc wrapper (`rustc.rs`), run by cargo as `THIS rustc ARGS`:
//!   starts background linkers when rustc starts;
//! - the linker (`link.rs`), run by rustc as `THIS CC-ARGS`: links with
//!   cld, by waiting on the background linker when it can.

mod ccargs;
mod cli;
mod config;
mod link;
mod rustc;
mod state;
mod util;
mod watch;

use std::ffi::OsString;

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let first = args.get(1).map(|a| a.to_string_lossy().into_owned());
    let subcommand = match first.as_deref() {
        None => true,
        Some(f) => matches!(
            f,
            "concurrent-link"
                | "build"
                | "run"
                | "test"
                | "help"
                | "-h"
                | "--help"
                | "-V"
                | "--version"
        ),
    };
    if !subcommand && std::env::var_os(util::ENV_ACTIVE).is_some() {
        let f = first.unwrap_or_default();
        let rest = args[1..].to_vec();
        // rustc runs its linker with C driver options first (`-m64`,
        // `-Wl,...`) or a response file; cargo runs the wrapper with the
        // path of rustc first.
        let linker = f.starts_with('-')
            || f.starts_with('@')
            || [".o", ".rlib", ".a", ".so"].iter().any(|x| f.ends_with(x));
        if linker {
            link::main(rest)
        } else {
            rustc::main(rest)
        }
    }
    cli::main(args)
}
