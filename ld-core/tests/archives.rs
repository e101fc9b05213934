//! Which archive members a link takes, and in which order: GNU ld's rounds
//! over the archive's symbol index. A member is taken when the round
//! reaches an entry whose name is wanted at that moment, so a member that
//! another member makes wanted is taken in the same round if its entry
//! comes later in the index, else in the next round; a weak reference
//! alone takes nothing until a strong one comes; a common symbol takes a
//! member with an initialized definition. The order shows in the output
//! (each member's code follows the previous one's), so cld's output must
//! list the functions in GNU ld's order, and the program must run alike.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn must(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

/// The archive's members in index order: (file name, source).
const MEMBERS: &[(&str, &str)] = &[
    ("m1.c", "int early1(void) { return 1; }\n"),
    ("m2.c", "int early2(void) { return 2; }\n"),
    (
        "m3.c",
        "int late2(void);\nint mid(void) { return 30 + late2(); }\n",
    ),
    (
        "m4.c",
        "int early1(void); int mid(void); int late_more(void);\n\
         int x_late(void) { return 400 + early1() + mid() + late_more(); }\n",
    ),
    (
        "m5.c",
        "int early2(void);\nint late_more(void) { return 5000 + early2(); }\n",
    ),
    (
        "m6.c",
        "void w(void);\nint late2(void) { w(); return 60000; }\n",
    ),
    // Wanted only once m6 refers to it strongly (main's reference is weak).
    ("m7.c", "int w_calls;\nvoid w(void) { w_calls++; }\n"),
    // An initialized definition of main's common `cvar`.
    ("m8.c", "int cvar = 8000000;\n"),
    // Wanted by nothing.
    ("m9.c", "int unused9(void) { return 9; }\n"),
];

const MAIN: &str = r#"
#include <stdio.h>
int x_late(void);
void w(void) __attribute__((weak));
int cvar;
int main(void) {
    int r = x_late();
    printf("%d %d %d\n", r, w ? 1 : 0, cvar);
    return 0;
}
"#;

/// The functions and data of the members, in address order in `exe`.
fn member_order(exe: &Path) -> Vec<String> {
    let names = [
        "early1",
        "early2",
        "mid",
        "x_late",
        "late_more",
        "late2",
        "w",
        "cvar",
        "unused9",
    ];
    defined_in_order(exe, |n| names.contains(&n))
}

/// The symbols `nm -n` lists as defined in `exe` that `keep` accepts, in
/// address order.
fn defined_in_order(exe: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let r = must(
        Command::new("nm").args(["-n", "--defined-only"]).arg(exe),
        "nm -n",
    );
    r.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| keep(n))
        .map(str::to_string)
        .collect()
}

/// `dir/name` written from `src` and compiled with `gcc -c <flags>`; the
/// object.
fn compile_c(dir: &Path, name: &str, src: &str, flags: &[&str]) -> PathBuf {
    let c = dir.join(name);
    std::fs::write(&c, src).unwrap();
    let o = c.with_extension("o");
    must(
        Command::new("gcc")
            .args(["-c"])
            .args(flags)
            .arg(&c)
            .arg("-o")
            .arg(&o),
        "gcc -c",
    );
    o
}

/// `main` linked with `lib` into `dir/out` by `gcc <linker>`; the program.
fn link_main(dir: &Path, main: &Path, lib: &Path, out: &str, linker: &[&str]) -> PathBuf {
    let exe = dir.join(out);
    must(
        Command::new("gcc")
            .args(linker)
            .arg(main)
            .arg(lib)
            .arg("-o")
            .arg(&exe),
        "gcc link",
    );
    exe
}

#[test]
fn members_are_taken_in_gnu_ld_order() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    require_tool("nm", "binutils");
    let dir = fresh_work_dir("archives", "order");
    let shim = make_shim(&dir);
    let flags = ["-O1", "-fcommon", "-ffunction-sections"];
    let lib = dir.join("libm.a");
    build_archive(&dir, &lib, MEMBERS, &flags);
    let main = compile_c(&dir, "main.c", MAIN, &flags);
    let ours = link_main(&dir, &main, &lib, "with-cld", &["-B", &shim]);
    let theirs = link_main(&dir, &main, &lib, "with-bfd", &["-fuse-ld=bfd"]);
    let run = |exe: &Path| must(&mut Command::new(exe), "run").stdout;
    assert_eq!(run(&ours), run(&theirs), "the programs print differently");
    assert_eq!(run(&ours).trim(), "65433 1 8000000");
    let (o, t) = (member_order(&ours), member_order(&theirs));
    assert!(!o.contains(&"unused9".to_string()), "m9 was taken: {o:?}");
    assert_eq!(o, t, "members taken in another order than GNU ld's");
}

/// An archive of `n` members (more than the serial link parses ahead on a
/// thread of its own): every fourth one is wanted by nothing; each other
/// member i defines f_i, which calls the f of the wanted member before it
/// (so each is wanted only once the next one is taken: a round each).
fn chain_members(n: usize) -> Vec<(String, String)> {
    let wanted = |i: usize| i % 4 != 3;
    (0..n)
        .map(|i| {
            let name = format!("c{i:02}.c");
            let src = match (0..i).rev().find(|&j| wanted(j)) {
                _ if !wanted(i) => format!("int unused_{i}(void) {{ return {i}; }}\n"),
                None => format!("int f_{i}(void) {{ return {i}; }}\n"),
                Some(j) => {
                    format!("int f_{j}(void);\nint f_{i}(void) {{ return {i} + f_{j}(); }}\n")
                }
            };
            (name, src)
        })
        .collect()
}

/// Builds `lib` from `members` (file name, source) compiled in `dir` with
/// `flags`; returns the objects.
fn build_archive<S: AsRef<str>>(
    dir: &Path,
    lib: &Path,
    members: &[(S, S)],
    flags: &[&str],
) -> Vec<PathBuf> {
    let objs: Vec<PathBuf> = members
        .iter()
        .map(|(n, s)| compile_c(dir, n.as_ref(), s.as_ref(), flags))
        .collect();
    let _ = std::fs::remove_file(lib);
    must(Command::new("ar").arg("rcs").arg(lib).args(&objs), "ar rcs");
    objs
}

#[test]
fn members_parsed_ahead_are_taken_in_gnu_ld_order() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    require_tool("nm", "binutils");
    let dir = fresh_work_dir("archives", "parsed-ahead");
    let shim = make_shim(&dir);
    let n = 64;
    let members = chain_members(n);
    let lib = dir.join("libchain.a");
    build_archive(&dir, &lib, &members, &["-O1"]);
    // The last wanted member pulls the chain down to f_0, round by round.
    let top = (0..n).rev().find(|i| i % 4 != 3).unwrap();
    let main = dir.join("main.c");
    std::fs::write(
        &main,
        format!(
            "#include <stdio.h>\nint f_{top}(void);\nint main(void) {{ printf(\"%d\\n\", f_{top}()); return 0; }}\n"
        ),
    )
    .unwrap();
    let ours = link_main(&dir, &main, &lib, "with-cld", &["-B", &shim]);
    let theirs = link_main(&dir, &main, &lib, "with-bfd", &["-fuse-ld=bfd"]);
    let run = |exe: &Path| must(&mut Command::new(exe), "run").stdout;
    assert_eq!(run(&ours), run(&theirs), "the programs print differently");
    let order =
        |exe: &Path| defined_in_order(exe, |s| s.starts_with("f_") || s.starts_with("unused_"));
    let (o, t) = (order(&ours), order(&theirs));
    assert!(o.len() > n / 2, "too few members taken: {o:?}");
    assert!(
        !o.iter().any(|s| s.starts_with("unused_")),
        "a member wanted by nothing was taken: {o:?}"
    );
    assert_eq!(o, t, "members taken in another order than GNU ld's");
}

#[test]
fn a_broken_member_parsed_ahead_fails_the_link_by_name() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    let dir = fresh_work_dir("archives", "broken-ahead");
    let shim = make_shim(&dir);
    let members = chain_members(40);
    let lib = dir.join("libchain.a");
    let objs = build_archive(&dir, &lib, &members, &["-O1"]);
    // c05.o (f_5, wanted through main's f_9) loses its section headers:
    // its ELF header and the archive index stay as they were.
    let bytes = std::fs::read(&objs[5]).unwrap();
    let mut broken = bytes.clone();
    let shoff = u64::from_le_bytes(bytes[40..48].try_into().unwrap()) as usize;
    broken.truncate(shoff.min(broken.len()));
    broken.resize(bytes.len(), 0);
    broken[40..48].copy_from_slice(&(bytes.len() as u64 * 4).to_le_bytes());
    let mut archive = std::fs::read(&lib).unwrap();
    let at = archive
        .windows(bytes.len())
        .position(|w| w == bytes.as_slice())
        .expect("TEST BUG: c05.o not found in the archive");
    archive[at..at + bytes.len()].copy_from_slice(&broken);
    std::fs::write(&lib, &archive).unwrap();
    let main = dir.join("main.c");
    std::fs::write(
        &main,
        "int f_9(void);\nint main(void) { return f_9() == 0; }\n",
    )
    .unwrap();
    let r = run_with_timeout(
        Command::new("gcc")
            .args(["-B", &shim])
            .arg(&main)
            .arg(&lib)
            .arg("-o")
            .arg(dir.join("out")),
        TIMEOUT,
    )
    .unwrap();
    assert!(!r.success(), "the link succeeded with a broken member");
    assert!(
        r.stderr.contains("libchain.a(c05.o)"),
        "the error does not name the member:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked"),
        "cld panicked:\n{}",
        r.stderr
    );
    assert!(!dir.join("out").exists(), "an output was left behind");
}
