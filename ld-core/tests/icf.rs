//! Identical code folding (`--icf=all|safe`): programs compiled with
//! `-ffunction-sections` are linked by cld with ICF and, for reference, by
//! GNU ld (no ICF) or gold (`--icf=all`). The programs must behave the same;
//! `nm` must show identical functions (also mutually recursive ones) at one
//! address and different ones apart; `safe` must keep functions whose
//! address is taken or exported apart; functions that differ only in their
//! exception tables must stay apart; a kept copy must get the largest
//! alignment of its class; and the output must not depend on the number of
//! threads.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

fn run(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

/// `a.c` of the C program: pairs that fold, and near-twins that must not.
const FUNCS_C: &str = r#"
int twice_a(int x) { return 2 * x + 1; }
int twice_b(int x) { return 2 * x + 1; }
int thrice(int x) { return 3 * x + 1; }
/* Mutually recursive pairs: ping_a/ping_b fold only if pong_a/pong_b
   do, and the other way round. */
int pong_a(int);
int ping_a(int n) { return n <= 0 ? 0 : 1 + pong_a(n - 1); }
int pong_a(int n) { return n <= 0 ? 0 : 2 + ping_a(n - 1); }
int pong_b(int);
int ping_b(int n) { return n <= 0 ? 0 : 1 + pong_b(n - 1); }
int pong_b(int n) { return n <= 0 ? 0 : 2 + ping_b(n - 1); }
/* Same bytes, but they call functions that differ. */
int via_twice(int x) { return twice_a(x) + 5; }
int via_thrice(int x) { return thrice(x) + 5; }
/* Same bytes, but they read different constants. */
static const int one = 1, two = 2;
int read_one(void) { return *(volatile const int *)&one; }
int read_two(void) { return *(volatile const int *)&two; }
/* File-local twins: folded too, and both names stay in .symtab. */
static int square_a(int x) { return x * x + 7; }
static int square_b(int x) { return x * x + 7; }
int squares(int x) { return square_a(x) + square_b(x + 1); }
"#;

/// `main.c`: calls everything; compares addresses only through volatile
/// pointers, so the compiler cannot decide the answer.
const MAIN_C: &str = r#"
#include <stdio.h>
int twice_a(int), twice_b(int), thrice(int), ping_a(int), ping_b(int);
int via_twice(int), via_thrice(int), read_one(void), read_two(void);
int main(void) {
    int (*volatile pa)(int) = twice_a, (*volatile pb)(int) = twice_b;
    int (*volatile pt)(int) = thrice;
    printf("%d %d %d\n", twice_a(3), twice_b(4), thrice(5));
    printf("%d %d\n", ping_a(7), ping_b(8));
    printf("%d %d %d %d\n", via_twice(1), via_thrice(1), read_one(), read_two());
    printf("same %d %d\n", pa == pb, pa == pt);
    return 0;
}
"#;

/// `main.c` for `safe`: only calls, no address taken but twice_*'s.
const MAIN_CALLS_C: &str = r#"
#include <stdio.h>
int twice_a(int), twice_b(int), thrice(int), ping_a(int), ping_b(int);
int via_twice(int), via_thrice(int), read_one(void), read_two(void);
int main(void) {
    int (*volatile pa)(int) = twice_a, (*volatile pb)(int) = twice_b;
    printf("%d %d %d\n", twice_a(3), twice_b(4), thrice(5));
    printf("%d %d\n", ping_a(7), ping_b(8));
    printf("%d %d %d %d\n", via_twice(1), via_thrice(1), read_one(), read_two());
    printf("same %d\n", pa == pb);
    return 0;
}
"#;

struct Work {
    dir: PathBuf,
    shim: String,
}

impl Work {
    fn new(name: &str) -> Work {
        require_tool("gcc", "gcc");
        require_tool("nm", "binutils");
        let dir = fresh_work_dir("icf", name);
        let shim = make_shim(&dir);
        Work { dir, shim }
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).unwrap();
    }

    /// Compiles `src` to `src.o` with `flags`.
    fn compile(&self, compiler: &str, src: &str, flags: &[&str]) -> String {
        let obj = format!("{src}.o");
        run(
            Command::new(compiler)
                .current_dir(&self.dir)
                .args(["-c", src, "-o", &obj])
                .args(flags),
            &format!("compiling {src}"),
        );
        obj
    }

    /// Links `args` with cld (`-B shim`) or, with `with = Some(flag)`,
    /// another linker (`-fuse-ld=gold`, or nothing for GNU ld).
    fn link(&self, driver: &str, out: &str, args: &[&str], with: Option<&str>) -> RunResult {
        let mut cmd = Command::new(driver);
        cmd.current_dir(&self.dir);
        match with {
            None => {
                cmd.args(["-B", &self.shim]);
            }
            Some("") => {}
            Some(flag) => {
                cmd.arg(flag);
            }
        }
        cmd.args(args).args(["-o", out]);
        run(&mut cmd, &format!("linking {out}"))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn exec(&self, name: &str) -> String {
        let r = run(&mut Command::new(self.path(name)), name);
        r.stdout
    }
}

/// Defined symbols and their values, from `nm` (`-D` for the dynamic table).
fn symbols(file: &Path, dynamic: bool) -> HashMap<String, u64> {
    let mut cmd = Command::new("nm");
    if dynamic {
        cmd.arg("-D");
    }
    let r = run(cmd.arg(file), "nm");
    r.stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (v, _, name) = (w.next()?, w.next()?, w.next()?);
            Some((name.to_string(), u64::from_str_radix(v, 16).ok()?))
        })
        .collect()
}

fn addr(syms: &HashMap<String, u64>, name: &str) -> u64 {
    *syms
        .get(name)
        .unwrap_or_else(|| panic!("no symbol {name} in nm output: {syms:?}"))
}

fn assert_folded(syms: &HashMap<String, u64>, a: &str, b: &str) {
    assert_eq!(
        addr(syms, a),
        addr(syms, b),
        "{a} and {b} are identical and should share an address"
    );
}

fn assert_apart(syms: &HashMap<String, u64>, a: &str, b: &str) {
    assert_ne!(
        addr(syms, a),
        addr(syms, b),
        "{a} and {b} must not be folded"
    );
}

#[test]
fn all_folds_identical_and_mutually_recursive_functions_as_gold() {
    require_tool("ld.gold", "binutils");
    let w = Work::new("all");
    w.write("a.c", FUNCS_C);
    w.write("main.c", MAIN_C);
    let a = w.compile(
        "gcc",
        "a.c",
        &["-O0", "-ffunction-sections", "-fdata-sections"],
    );
    let m = w.compile("gcc", "main.c", &["-O0", "-ffunction-sections"]);
    let r = w.link(
        "gcc",
        "exe",
        &[&a, &m, "-Wl,--icf=all,--print-icf-sections"],
        None,
    );
    for line in [
        "selected section a.c.o:(.text.twice_a)",
        "  removing identical section a.c.o:(.text.twice_b)",
        "selected section a.c.o:(.text.ping_a)",
        "  removing identical section a.c.o:(.text.ping_b)",
    ] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "--print-icf-sections did not print `{line}`:\n{}",
            r.stdout
        );
    }
    let syms = symbols(&w.path("exe"), false);
    assert_folded(&syms, "twice_a", "twice_b");
    assert_folded(&syms, "ping_a", "ping_b");
    assert_folded(&syms, "pong_a", "pong_b");
    assert_folded(&syms, "square_a", "square_b");
    assert_apart(&syms, "twice_a", "thrice");
    assert_apart(&syms, "via_twice", "via_thrice");
    assert_apart(&syms, "read_one", "read_two");
    assert_apart(&syms, "ping_a", "pong_a");
    let ours = w.exec("exe");
    assert!(
        ours.ends_with("same 1 0\n"),
        "folded twice_a/twice_b compare unequal:\n{ours}"
    );
    // gold (which does not fold the mutually recursive pairs) prints the same.
    w.link(
        "gcc",
        "exe.gold",
        &[&a, &m, "-Wl,--icf=all"],
        Some("-fuse-ld=gold"),
    );
    assert_eq!(ours, w.exec("exe.gold"));
    let size = |f: &Path| std::fs::metadata(f).unwrap().len();
    w.link("gcc", "exe.none", &[&a, &m], None);
    assert!(
        size(&w.path("exe")) <= size(&w.path("exe.none")),
        "folding made the program bigger"
    );
    let plain = w.exec("exe.none");
    assert_eq!(
        ours.replace("same 1 0", "same 0 0"),
        plain,
        "the program behaves differently with --icf=all"
    );
}

#[test]
fn safe_keeps_address_taken_functions_apart() {
    let w = Work::new("safe");
    w.write("a.c", FUNCS_C);
    w.write("main.c", MAIN_CALLS_C);
    let a = w.compile("gcc", "a.c", &["-O0", "-ffunction-sections"]);
    let m = w.compile("gcc", "main.c", &["-O0", "-ffunction-sections"]);
    for flag in ["-Wl,--icf=safe", "-Wl,-icf=safe"] {
        w.link("gcc", "exe", &[&a, &m, flag], None);
        let syms = symbols(&w.path("exe"), false);
        // main takes twice_a's and twice_b's addresses: they stay apart.
        assert_apart(&syms, "twice_a", "twice_b");
        // Only called: folded.
        assert_folded(&syms, "ping_a", "ping_b");
        assert_folded(&syms, "pong_a", "pong_b");
        assert_apart(&syms, "via_twice", "via_thrice");
        assert!(w.exec("exe").ends_with("same 0\n"));
    }
    w.link("gcc", "exe.ref", &[&a, &m], Some(""));
    assert_eq!(w.exec("exe"), w.exec("exe.ref"));

    // In a shared library, exported functions may be compared by anyone:
    // safe keeps them apart, all folds them.
    let pic = w.compile("gcc", "a.c", &["-O0", "-fPIC", "-ffunction-sections"]);
    w.link("gcc", "safe.so", &["-shared", &pic, "-Wl,--icf=safe"], None);
    let d = symbols(&w.path("safe.so"), true);
    assert_apart(&d, "ping_a", "ping_b");
    w.link("gcc", "all.so", &["-shared", &pic, "-Wl,--icf=all"], None);
    let d = symbols(&w.path("all.so"), true);
    assert_folded(&d, "twice_a", "twice_b");
    // ping_a calls pong_a and ping_b pong_b through their PLT entries:
    // another module may interpose either, so the calls differ.
    assert_apart(&d, "ping_a", "ping_b");
}

/// The same link with one thread and with the default number: the same
/// bytes. The kept copy is the first in command-line order.
#[test]
fn output_independent_of_threads_and_keeps_first_input() {
    let w = Work::new("threads");
    w.write("a.c", FUNCS_C);
    w.write(
        "b.c",
        &FUNCS_C.replace("one = 1, two = 2", "one = 1, two = 3"),
    );
    w.write("main.c", MAIN_CALLS_C);
    let a = w.compile("gcc", "a.c", &["-O0", "-ffunction-sections"]);
    let b = w.compile(
        "gcc",
        "b.c",
        &["-O0", "-ffunction-sections", "-fvisibility=hidden"],
    );
    // b.c's copies of the functions are made local, so that both files'
    // can be linked; they fold with a.c's.
    run(
        Command::new("objcopy")
            .current_dir(&w.dir)
            .args(["--localize-hidden", &b, "b.local.o"]),
        "objcopy --localize-hidden",
    );
    let m = w.compile("gcc", "main.c", &["-O0", "-ffunction-sections"]);
    let icf = "-Wl,--icf=all,--print-icf-sections";
    let one = w.link(
        "gcc",
        "exe1",
        &[&m, "b.local.o", &a, icf, "-Wl,--threads=1"],
        None,
    );
    let many = w.link("gcc", "exe2", &[&m, "b.local.o", &a, icf], None);
    assert_eq!(
        std::fs::read(w.path("exe1")).unwrap(),
        std::fs::read(w.path("exe2")).unwrap(),
        "--icf=all output depends on the number of threads"
    );
    assert_eq!(one.stdout, many.stdout);
    assert!(
        one.stdout
            .contains("selected section b.local.o:(.text.twice_a)\n  removing identical section b.local.o:(.text.twice_b)\n  removing identical section a.c.o:(.text.twice_a)"),
        "the first input's section is not the one kept:\n{}",
        one.stdout
    );
    w.link("gcc", "exe.ref", &[&m, "b.local.o", &a], Some(""));
    assert_eq!(
        w.exec("exe1"),
        w.exec("exe.ref").replace("same 0", "same 1")
    );
}

/// C++: functions whose code is the same but whose exception tables catch
/// different types must stay apart; with the same tables they fold, and
/// exceptions still find their handlers.
#[test]
fn exception_tables_are_part_of_identity() {
    require_tool("g++", "g++");
    let w = Work::new("eh");
    w.write(
        "eh.cc",
        r#"
#include <cstdio>
struct A {}; struct B {};
typedef void (*fn)();
__attribute__((noinline)) int catch_a(fn f) { try { f(); } catch (const A &) { return 1; } return 0; }
__attribute__((noinline)) int catch_b(fn f) { try { f(); } catch (const B &) { return 1; } return 0; }
__attribute__((noinline)) int catch_a2(fn f) { try { f(); } catch (const A &) { return 1; } return 0; }
void throw_a() { throw A(); }
void throw_b() { throw B(); }
int main() {
    std::printf("%d %d %d\n", catch_a(throw_a), catch_b(throw_b), catch_a2(throw_a));
    try { catch_a(throw_b); } catch (const B &) { std::puts("B escaped catch_a"); }
    try { catch_b(throw_a); } catch (const A &) { std::puts("A escaped catch_b"); }
    try { catch_a2(throw_b); } catch (const B &) { std::puts("B escaped catch_a2"); }
    return 0;
}
"#,
    );
    let o = w.compile(
        "g++",
        "eh.cc",
        &["-O1", "-ffunction-sections", "-fdata-sections"],
    );
    for mode in ["all", "safe"] {
        let flag = format!("-Wl,--icf={mode}");
        w.link("g++", "exe", &[&o, &flag], None);
        let syms = symbols(&w.path("exe"), false);
        assert_folded(&syms, "_Z7catch_aPFvvE", "_Z8catch_a2PFvvE");
        assert_apart(&syms, "_Z7catch_aPFvvE", "_Z7catch_bPFvvE");
        w.link("g++", "exe.ref", &[&o], Some(""));
        let ours = w.exec("exe");
        assert_eq!(
            ours,
            w.exec("exe.ref"),
            "--icf={mode} changed the program's behaviour"
        );
        assert!(ours.contains("B escaped catch_a2"), "{ours}");
    }
}

/// A kept section takes the largest alignment of the sections folded into
/// it (C++ member function pointers use the low bit).
#[test]
fn kept_copy_takes_largest_alignment() {
    let w = Work::new("align");
    w.write(
        "fns.s",
        "  .section .text.pre, \"ax\", @progbits\n  .globl pre\n  .p2align 0\npre:\n  nop\n  ret\n\
         \n  .section .text.small, \"ax\", @progbits\n  .globl small\n  .p2align 0\nsmall:\n  ret\n\
         \n  .section .text.big, \"ax\", @progbits\n  .globl big\n  .p2align 6\nbig:\n  ret\n",
    );
    w.write(
        "main.c",
        "void pre(void), small(void), big(void);\nint main(void) { pre(); small(); big(); return 0; }\n",
    );
    let f = w.compile("gcc", "fns.s", &[]);
    let m = w.compile("gcc", "main.c", &["-O1"]);
    w.link("gcc", "exe", &[&f, &m, "-Wl,--icf=all"], None);
    let syms = symbols(&w.path("exe"), false);
    assert_folded(&syms, "small", "big");
    assert_eq!(
        addr(&syms, "small") % 64,
        0,
        "the kept copy lost big's alignment"
    );
    assert_apart(&syms, "pre", "small");
    w.exec("exe");
}

/// clang's `.llvm_addrsig` says which symbols an object takes the address
/// of: `safe` keeps those apart and folds the rest, also the last function
/// of a file, whose FDE is padded; without the section, relocations decide
/// the same.
#[test]
fn safe_reads_llvm_addrsig() {
    require_tool("clang", "clang");
    require_tool("objcopy", "binutils");
    let w = Work::new("addrsig");
    w.write(
        "a.c",
        "int foo1(int x) { return x + 5; }\nint foo2(int x) { return x + 5; }\n\
         int foo3(int x) { return x + 5; }\nint foo4(int x) { return x + 5; }\n",
    );
    w.write(
        "b.c",
        "#include <stdio.h>\nint foo1(int), foo2(int), foo3(int), foo4(int);\n\
         int main(void) {\n  int (*volatile p)(int) = foo1, (*volatile q)(int) = foo2;\n\
         printf(\"%d %d %d\\n\", p == q, foo3(1), foo4(2));\n  return 0;\n}\n",
    );
    let a = w.compile("clang", "a.c", &["-O1", "-ffunction-sections", "-faddrsig"]);
    let b = w.compile("clang", "b.c", &["-O1", "-ffunction-sections", "-faddrsig"]);
    let sections = run(
        Command::new("readelf").arg("-SW").arg(w.path(&b)),
        "readelf",
    );
    assert!(
        sections.stdout.contains(".llvm_addrsig"),
        "TEST BUG: clang wrote no .llvm_addrsig"
    );
    for strip in [false, true] {
        let (a, b) = if strip {
            for o in [&a, &b] {
                run(
                    Command::new("objcopy").current_dir(&w.dir).args([
                        "--remove-section=.llvm_addrsig",
                        o,
                        &format!("{o}.plain"),
                    ]),
                    "objcopy",
                );
            }
            (format!("{a}.plain"), format!("{b}.plain"))
        } else {
            (a.clone(), b.clone())
        };
        w.link("gcc", "exe", &[&a, &b, "-Wl,--icf=safe"], None);
        let syms = symbols(&w.path("exe"), false);
        assert_apart(&syms, "foo1", "foo2");
        assert_folded(&syms, "foo3", "foo4");
        assert_eq!(w.exec("exe"), "0 6 7\n", "without .llvm_addrsig: {strip}");
    }
}

/// What ld.lld's `--icf=all` folds among these functions, cld folds too,
/// and the programs behave the same.
#[test]
fn all_folds_at_least_what_lld_folds() {
    require_tool("ld.lld", "lld");
    let w = Work::new("lld");
    w.write("a.c", FUNCS_C);
    w.write("main.c", MAIN_C);
    let flags = ["-O0", "-ffunction-sections", "-fdata-sections"];
    let a = w.compile("gcc", "a.c", &flags);
    let m = w.compile("gcc", "main.c", &flags);
    w.link("gcc", "exe", &[&a, &m, "-Wl,--icf=all"], None);
    w.link(
        "gcc",
        "exe.lld",
        &[&a, &m, "-Wl,--icf=all"],
        Some("-fuse-ld=lld"),
    );
    assert_eq!(
        w.exec("exe"),
        w.exec("exe.lld"),
        "the programs print differently"
    );
    let ours = symbols(&w.path("exe"), false);
    let lld = symbols(&w.path("exe.lld"), false);
    let names = [
        "twice_a",
        "twice_b",
        "thrice",
        "ping_a",
        "ping_b",
        "pong_a",
        "pong_b",
        "via_twice",
        "via_thrice",
        "read_one",
        "read_two",
    ];
    let mut lld_folds = 0;
    for (i, x) in names.iter().enumerate() {
        for y in &names[i + 1..] {
            if addr(&lld, x) == addr(&lld, y) {
                lld_folds += 1;
                assert_eq!(
                    addr(&ours, x),
                    addr(&ours, y),
                    "ld.lld folds {x} and {y}, cld does not"
                );
            }
        }
    }
    assert!(
        lld_folds >= 1,
        "ld.lld folded nothing: the test checks nothing"
    );
}

/// A background (concurrent) link with `--icf=all` and
/// `--separate-debug-file` writes the same program and debug file as the
/// serial link of the same command line.
#[test]
fn background_link_folds_as_the_serial_link() {
    let w = Work::new("background");
    w.write("a.c", FUNCS_C);
    w.write("main.c", MAIN_C);
    let flags = ["-O0", "-g", "-ffunction-sections", "-fdata-sections"];
    let a = w.compile("gcc", "a.c", &flags);
    let m = w.compile("gcc", "main.c", &flags);
    let features = "-Wl,--icf=all,--separate-debug-file";
    // The same output name (the debug link names the debug file).
    w.link("gcc", "prog", &[&a, &m, features], None);
    let read = |n: &str| std::fs::read(w.path(n)).unwrap();
    let (serial, serial_dbg) = (read("prog"), read("prog.dbg"));
    std::fs::remove_file(w.path("prog")).unwrap();
    std::fs::remove_file(w.path("prog.dbg")).unwrap();
    let mut start = Command::new("gcc");
    start
        .current_dir(&w.dir)
        .args(["-B", &w.shim, features])
        .arg("-Wl,--concurrent-inotify,--start-concurrent")
        .args([&a, &m])
        .args(["-Wl,--end-concurrent", "-o", "prog"]);
    let (r, shown) = run_shown(&mut start, Duration::from_secs(60));
    let token = check_token(&r, &shown);
    let (r, shown) = run_shown(
        Command::new(linker_under_test()).arg(format!("--concurrent-wait={token}")),
        Duration::from_secs(60),
    );
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    assert!(
        read("prog") == serial,
        "the background link's program differs from the serial link's"
    );
    assert!(
        read("prog.dbg") == serial_dbg,
        "the background link's debug file differs from the serial link's"
    );
    let syms = symbols(&w.path("prog"), false);
    assert_folded(&syms, "twice_a", "twice_b");
}
