//! Relocation records out of offset order. Compilers write each section's
//! relocations sorted by offset, and cld reads them in place when they are;
//! the ELF specification does not require it, so an object whose records
//! come in another order must link exactly as the sorted one does (cld
//! sorts a copy). `.eh_frame` is where the order matters most: its
//! relocations are handed out to the CIEs and FDEs in order.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

const SRC: &str = r#"
#include <stdio.h>
#include <string.h>
static const char *names[] = {"one", "two", "three", "four"};
int table[8] = {1, 2, 3, 4, 5, 6, 7, 8};
__attribute__((noinline)) int weigh(const char *s) { return (int)strlen(s) * table[strlen(s) % 8]; }
__attribute__((noinline)) int total(int n) {
    int t = 0;
    for (int i = 0; i < n; i++) t += weigh(names[i % 4]);
    return t;
}
int main(int argc, char **argv) {
    (void)argv;
    printf("%s %d %d\n", names[argc % 4], weigh(names[2]), total(argc + 5));
    return 0;
}
"#;

fn u(b: &[u8], off: usize, w: usize) -> u64 {
    let mut v = 0u64;
    for i in 0..w {
        v |= (b[off + i] as u64) << (8 * i);
    }
    v
}

/// Reverses the 24-byte records of SHT_RELA section `name` of the ELF64
/// relocatable object `obj`; returns how many it has.
fn reverse_rela(obj: &mut [u8], name: &str) -> usize {
    let (shoff, shnum, shstrndx) = (
        u(obj, 0x28, 8) as usize,
        u(obj, 0x3c, 2) as usize,
        u(obj, 0x3e, 2) as usize,
    );
    let sh = |i: usize| shoff + i * 64;
    let strs = u(obj, sh(shstrndx) + 0x18, 8) as usize;
    let found = (0..shnum).find(|&i| {
        let n = strs + u(obj, sh(i), 4) as usize;
        let end = n + obj[n..].iter().position(|&c| c == 0).unwrap();
        &obj[n..end] == name.as_bytes()
    });
    let i = found.unwrap_or_else(|| panic!("TEST BUG: no {name} in the object"));
    let (off, size) = (
        u(obj, sh(i) + 0x18, 8) as usize,
        u(obj, sh(i) + 0x20, 8) as usize,
    );
    let records: Vec<Vec<u8>> = obj[off..off + size]
        .chunks(24)
        .map(<[u8]>::to_vec)
        .collect();
    for (k, r) in records.iter().rev().enumerate() {
        obj[off + k * 24..off + k * 24 + 24].copy_from_slice(r);
    }
    records.len()
}

/// Links `obj` into `exe` (with cld when `shim` is given, else GNU ld)
/// and runs it: the output file and what it printed.
fn link_and_run(dir: &Path, shim: Option<&str>, obj: &str, exe: &str) -> (Vec<u8>, String) {
    let mut gcc = Command::new("gcc");
    if let Some(shim) = shim {
        gcc.arg(format!("-B{shim}"));
    }
    must_succeed_within(
        gcc.args([obj, "-o", exe]).current_dir(dir),
        TIMEOUT,
        &format!("linking {obj} into {exe}"),
    );
    let out = must_succeed_within(
        Command::new(dir.join(exe)).arg("x"),
        TIMEOUT,
        &format!("running {exe}"),
    );
    (std::fs::read(dir.join(exe)).unwrap(), out.stdout)
}

#[test]
fn relocations_out_of_order_link_as_sorted_ones() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("reloc_order", "reversed");
    let shim = make_shim(&dir);
    std::fs::write(dir.join("p.c"), SRC).unwrap();
    // Two objects of one source, so that the outputs can be compared byte
    // for byte (the object's name is not in the output).
    for o in ["sorted.o", "reversed.o"] {
        must_succeed_within(
            Command::new("gcc")
                .args(["-c", "-O1", "-g", "-fPIE", "p.c", "-o", o])
                .current_dir(&dir),
            TIMEOUT,
            "compiling p.c",
        );
    }
    let mut obj = std::fs::read(dir.join("reversed.o")).unwrap();
    let text = reverse_rela(&mut obj, ".rela.text");
    let eh = reverse_rela(&mut obj, ".rela.eh_frame");
    assert!(text >= 4 && eh >= 3, "TEST BUG: {text} and {eh} records");
    std::fs::write(dir.join("reversed.o"), &obj).unwrap();
    let (_, expected) = link_and_run(&dir, None, "sorted.o", "by-gnu-ld");
    let (sorted, printed) = link_and_run(&dir, Some(&shim), "sorted.o", "sorted");
    assert_eq!(printed, expected, "sorted: not what GNU ld's link printed");
    let (reversed, printed) = link_and_run(&dir, Some(&shim), "reversed.o", "reversed");
    assert_eq!(
        printed, expected,
        "reversed: not what GNU ld's link printed"
    );
    assert!(
        sorted == reversed,
        "the program linked from reversed relocation records differs from the one linked from sorted ones (in {})",
        dir.display()
    );
}
