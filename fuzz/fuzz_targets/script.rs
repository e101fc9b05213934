//! Input linker scripts (`libc.so`-style): the sniffing test and the parser.
#![no_main]

use ld_core::script::{looks_like_script, parse_script};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_script(data);
    let _ = parse_script(data, "fuzz.ld");
});
