//! The large code model (`-mcmodel=large`) across a shared library: the
//! executable's calls into the library go through `R_X86_64_PLTOFF64` and
//! PLT entries, its general-dynamic TLS access to the library's variable is
//! relaxed to initial-exec (the large model's 22-byte sequence), and the
//! library itself keeps its dynamic TLS and PLTOFF64 calls. Each link is
//! done by cld and by GNU ld; both programs must print the same, and
//! `readelf -aW` must be quiet on cld's outputs. (tests/c/large_model
//! covers one executable in every mode.)

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

const LIB: &str = r#"
_Thread_local int lib_tls = 3;
static _Thread_local int lib_local = 5;
int lib_get_local(void) { return lib_local++; }
int lib_add(int a, int b) { return a + b + lib_tls; }
"#;

const MAIN: &str = r#"
#include <stdio.h>
extern _Thread_local int lib_tls;
static _Thread_local int mine = 11;
int lib_get_local(void);
int lib_add(int a, int b);
int main(void) {
    lib_tls += 10;
    int l1 = lib_get_local();
    int l2 = lib_get_local();
    printf("tls=%d mine=%d local=%d,%d add=%d\n", lib_tls, mine, l1, l2, lib_add(1, 2));
    return 0;
}
"#;

fn gcc(dir: &Path, args: &[&str], what: &str) {
    must_succeed_within(
        Command::new("gcc").current_dir(dir).args(args),
        TIMEOUT,
        what,
    );
}

/// Builds `libl.so` and `exe` in `dir` (with cld behind `shim`, or GNU
/// ld), with `extra` link flags for the executable; returns its output.
fn build_and_run(dir: &Path, shim: Option<&str>, extra: &[&str]) -> String {
    let b: Vec<&str> = shim.map(|s| vec!["-B", s]).unwrap_or_default();
    let mut lib = b.clone();
    lib.extend(["-shared", "-o", "libl.so", "lib.o"]);
    gcc(dir, &lib, "linking libl.so");
    let mut exe = b;
    exe.extend(["-o", "exe", "main.o", "-L.", "-ll", "-Wl,-rpath,$ORIGIN"]);
    exe.extend(extra);
    gcc(dir, &exe, "linking exe");
    if shim.is_some() {
        for f in ["libl.so", "exe"] {
            let r = readelf_report(&dir.join(f));
            assert!(
                r.problems.is_empty(),
                "readelf -aW on cld's {f}: {:?}",
                r.problems
            );
        }
    }
    must_succeed_within(&mut Command::new(dir.join("exe")), TIMEOUT, "running exe").stdout
}

#[test]
fn large_model_executable_with_shared_library() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    for (name, extra) in [
        ("pie", &["-pie"][..]),
        ("nopie", &["-no-pie"][..]),
        ("now", &["-Wl,-z,now"][..]),
    ] {
        let mut outs = Vec::new();
        for cld in [false, true] {
            let dir = fresh_work_dir("large_model", &format!("{name}-{cld}"));
            let shim = make_shim(&dir);
            std::fs::write(dir.join("lib.c"), LIB).unwrap();
            std::fs::write(dir.join("main.c"), MAIN).unwrap();
            let pic = if name == "nopie" { "-fno-pie" } else { "-fPIC" };
            gcc(
                &dir,
                &["-c", "-O2", "-mcmodel=large", "-fPIC", "lib.c"],
                "compiling lib.c",
            );
            gcc(
                &dir,
                &["-c", "-O2", "-mcmodel=large", pic, "main.c"],
                "compiling main.c",
            );
            outs.push(build_and_run(&dir, cld.then_some(shim.as_str()), extra));
        }
        assert_eq!(
            outs[1], outs[0],
            "{name}: the cld-linked program prints differently from GNU ld's"
        );
        assert_eq!(outs[0], "tls=13 mine=11 local=5,6 add=16\n", "{name}");
    }
}
