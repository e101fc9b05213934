//! What build tools probe before they trust a linker: an autotools project
//! with libtool, configured with cld behind gcc, must find that the linker
//! is GNU-compatible and supports shared libraries (libtool greps `ld -v`
//! for `GNU` and `ld --help` for `: supported targets:.* elf`), then build
//! its shared library with cld and run a program linked against it.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(300);

const CONFIGURE_AC: &str = "AC_INIT([ltdemo], [1.0])
AM_INIT_AUTOMAKE([foreign])
LT_INIT
AC_PROG_CC
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
";

const MAKEFILE_AM: &str = "lib_LTLIBRARIES = libdemo.la
libdemo_la_SOURCES = demo.c
bin_PROGRAMS = prog
prog_SOURCES = prog.c
prog_LDADD = libdemo.la
";

#[test]
fn libtool_builds_shared_libraries_with_cld() {
    for (tool, package) in [
        ("autoreconf", "autoconf"),
        ("aclocal", "automake"),
        ("libtoolize", "libtool"),
        ("make", "make"),
        ("readelf", "binutils"),
    ] {
        require_tool(tool, package);
    }
    let dir = fresh_work_dir("gnu_compat", "libtool");
    let shim = make_shim(&dir);
    let files = [
        ("configure.ac", CONFIGURE_AC),
        ("Makefile.am", MAKEFILE_AM),
        ("demo.c", "int demo(int x) { return x + 1; }\n"),
        (
            "prog.c",
            "#include <stdio.h>\nint demo(int);\nint main(void) { printf(\"%d\\n\", demo(41)); return 0; }\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let run =
        |cmd: &mut Command, what: &str| must_succeed_within(cmd.current_dir(&dir), TIMEOUT, what);
    run(Command::new("autoreconf").arg("-fi"), "autoreconf -fi");
    let conf = run(
        Command::new("./configure").arg(format!("CC=gcc -B{shim}")),
        "configure",
    );
    for line in [
        "supports shared libraries... yes",
        "whether to build shared libraries... yes",
    ] {
        assert!(
            conf.stdout.contains(line),
            "configure did not print `{line}`:\n{}",
            truncate(&conf.stdout, 80)
        );
    }
    run(&mut Command::new("make"), "make");
    let lib = dir.join(".libs").join("libdemo.so.0.0.0");
    let comment = run(
        Command::new("readelf").args(["-p", ".comment"]).arg(&lib),
        "readelf -p .comment",
    );
    assert!(
        comment.stdout.contains("cld "),
        "libdemo.so was not linked by cld:\n{}",
        comment.stdout
    );
    let out = run(&mut Command::new("./prog"), "running prog");
    assert_eq!(out.stdout, "42\n");
}

/// `--defsym`: a number reached through the GOT (`-fPIC`) stays absolute in
/// a PIE, as lld and mold leave it (GNU ld 2.40 relaxes the GOT load into a
/// PC-relative `lea`, which adds the load base); a missing target is an
/// undefined symbol named as such.
#[test]
fn defsym_absolute_through_got_and_missing_target() {
    require_tool("gcc", "gcc");
    require_tool("ld.lld", "lld");
    let dir = fresh_work_dir("gnu_compat", "defsym");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.c"),
        "#include <stdio.h>\nextern char foo, bar;\nint main(void) { printf(\"%p %p\\n\", (void *)&foo, (void *)&bar); return 0; }\n",
    )
    .unwrap();
    let link = |cld: bool, extra: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        } else {
            cmd.arg("-fuse-ld=lld");
        }
        cmd.args(["-fPIC", "-pie", "a.c", "-o", "exe"]).args(extra);
        run_shown(&mut cmd, TIMEOUT)
    };
    let flags = ["-Wl,--defsym=foo=16", "-Wl,--defsym=bar=0x2000"];
    let mut outs = Vec::new();
    for cld in [false, true] {
        let (r, shown) = link(cld, &flags);
        assert!(r.success(), "link failed{}", context(&r, &shown));
        outs.push(must_succeed_within(&mut Command::new(dir.join("exe")), TIMEOUT, "exe").stdout);
    }
    assert_eq!(outs[1], outs[0]);
    assert_eq!(outs[1], "0x10 0x2000\n");
    let (r, shown) = link(
        true,
        &["-Wl,--defsym=foo=missing_target", "-Wl,--defsym=bar=1"],
    );
    assert!(
        !r.success() && r.stderr.contains("undefined symbol: missing_target"),
        "a --defsym of a missing symbol must fail naming it{}",
        context(&r, &shown)
    );
}

/// Writes `files` into `dir` and compiles each `.c` there to `.o`.
fn compile_all(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        must_succeed_within(
            Command::new("gcc").current_dir(dir).args(["-c", name]),
            TIMEOUT,
            &format!("compiling {name}"),
        );
    }
}

const T1: &str = "void foo(void);\nvoid bar(void) { foo(); }\nint pick(void) { return 1; }\n";
const T2: &str = "#include <stdio.h>\nvoid foo(void) {}\nvoid bar(void);\nint pick(void);\n\
                  int main(void) { bar(); printf(\"%d\\n\", pick()); return 0; }\n";
const T3: &str = "int pick(void) { return 2; }\n";
const T4: &str = "int only_in_archive(void) { return 3; }\n";

/// `-y`/`--trace-symbol` names the same definitions and references as GNU
/// ld (which prints them on stderr as `ld: FILE: ...`; cld on stdout as
/// `trace-symbol: FILE: ...`, as mold does); `-t` lists the objects linked.
#[test]
fn trace_and_trace_symbol_report_what_gnu_ld_reports() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "trace");
    let shim = make_shim(&dir);
    compile_all(&dir, &[("t1.c", T1), ("t2.c", T2)]);
    let flags = [
        "t1.o",
        "t2.o",
        "-Wl,-y,foo",
        "-Wl,--trace-symbol=pick",
        "-Wl,-t",
        "-o",
        "exe",
    ];
    let gnu = must_succeed_within(
        Command::new("gcc").current_dir(&dir).args(flags),
        TIMEOUT,
        "GNU ld",
    );
    let ours = must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-B", &shim])
            .args(flags),
        TIMEOUT,
        "cld",
    );
    let lines = |text: &str, prefix: &str| -> Vec<String> {
        let mut v: Vec<String> = text
            .lines()
            .filter_map(|l| l.split_once(prefix).map(|x| x.1.to_string()))
            .filter(|l| l.contains(" of ") || l.contains(" to "))
            .collect();
        v.sort();
        v
    };
    let theirs = lines(&gnu.stderr, "ld: ");
    let mine = lines(&ours.stdout, "trace-symbol: ");
    assert_eq!(mine.len(), 4, "{}", ours.stdout);
    assert_eq!(mine, theirs);
    for obj in ["t1.o", "t2.o"] {
        assert!(
            ours.stdout.lines().any(|l| l == obj) && gnu.stdout.lines().any(|l| l == obj),
            "-t does not list {obj}:\n{}",
            ours.stdout
        );
    }
}

/// `--require-defined` pulls the archive member that defines the symbol
/// (and fails naming a symbol nothing defines); `-z muldefs` and
/// `--allow-multiple-definition` keep the first definition, as GNU ld does.
#[test]
fn require_defined_and_multiple_definitions() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    require_tool("nm", "binutils");
    let dir = fresh_work_dir("gnu_compat", "require");
    let shim = make_shim(&dir);
    compile_all(
        &dir,
        &[("t1.c", T1), ("t2.c", T2), ("t3.c", T3), ("t4.c", T4)],
    );
    must_succeed_within(
        Command::new("ar")
            .current_dir(&dir)
            .args(["rcs", "lib4.a", "t4.o"]),
        TIMEOUT,
        "ar",
    );
    let link = |args: &[&str]| {
        run_shown(
            Command::new("gcc")
                .current_dir(&dir)
                .args(["-B", &shim])
                .args(args),
            TIMEOUT,
        )
    };
    let nm_has = |exe: &str, sym: &str| {
        must_succeed_within(Command::new("nm").current_dir(&dir).arg(exe), TIMEOUT, "nm")
            .stdout
            .lines()
            .any(|l| l.ends_with(&format!(" {sym}")))
    };
    let (r, shown) = link(&["t1.o", "t2.o", "lib4.a", "-o", "plain"]);
    assert!(r.success(), "{}", context(&r, &shown));
    assert!(!nm_has("plain", "only_in_archive"));
    let (r, shown) = link(&[
        "t1.o",
        "t2.o",
        "lib4.a",
        "-Wl,--require-defined=only_in_archive",
        "-o",
        "req",
    ]);
    assert!(r.success(), "{}", context(&r, &shown));
    assert!(
        nm_has("req", "only_in_archive"),
        "--require-defined did not pull the member"
    );
    let (r, shown) = link(&[
        "t1.o",
        "t2.o",
        "-Wl,--require-defined,nowhere_at_all",
        "-o",
        "bad",
    ]);
    assert!(
        !r.success() && r.stderr.contains("undefined symbol: nowhere_at_all"),
        "{}",
        context(&r, &shown)
    );
    // t1.o and t3.o both define pick(): an error, unless told otherwise.
    let (r, _) = link(&["t1.o", "t2.o", "t3.o", "-o", "dup"]);
    assert!(
        !r.success() && r.stderr.contains("duplicate symbol: pick"),
        "{}",
        r.stderr
    );
    for flag in ["-Wl,-z,muldefs", "-Wl,--allow-multiple-definition"] {
        let (r, shown) = link(&["t1.o", "t2.o", "t3.o", flag, "-o", "muldefs"]);
        assert!(r.success(), "{}", context(&r, &shown));
        let out = must_succeed_within(&mut Command::new(dir.join("muldefs")), TIMEOUT, "muldefs");
        let gnu = must_succeed_within(
            Command::new("gcc")
                .current_dir(&dir)
                .args(["t1.o", "t2.o", "t3.o", flag, "-o", "gnu"]),
            TIMEOUT,
            "GNU ld",
        );
        assert!(gnu.success());
        let theirs = must_succeed_within(&mut Command::new(dir.join("gnu")), TIMEOUT, "gnu");
        assert_eq!(
            out.stdout, theirs.stdout,
            "{flag}: the first definition should win"
        );
        assert_eq!(out.stdout, "1\n");
    }
}

/// Links `lib` (as `-shared -fPIC` with `lib_flags`) and `main` (with
/// `main_flags`) in `dir`, by cld or GNU ld, and returns the program's
/// output.
fn dso_pair(
    dir: &std::path::Path,
    shim: Option<&str>,
    lib: &str,
    lib_flags: &[&str],
    main: &str,
    main_flags: &[&str],
) -> String {
    std::fs::write(dir.join("lib.c"), lib).unwrap();
    std::fs::write(dir.join("main.c"), main).unwrap();
    let b: Vec<&str> = shim.map(|s| vec!["-B", s]).unwrap_or_default();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(dir)
            .args(&b)
            .args(["-shared", "-fPIC", "lib.c", "-o", "libl.so"])
            .args(lib_flags),
        TIMEOUT,
        "linking libl.so",
    );
    must_succeed_within(
        Command::new("gcc")
            .current_dir(dir)
            .args(&b)
            .args(main_flags)
            .args(["main.c", "-L.", "-ll", "-Wl,-rpath,$ORIGIN", "-o", "prog"]),
        TIMEOUT,
        "linking prog",
    );
    must_succeed_within(&mut Command::new(dir.join("prog")), TIMEOUT, "running prog").stdout
}

/// A non-PIE program's canonical PLT entry is the function's address for
/// every module (it must be in the program's hash table for the library's
/// GOT to bind to it); -Bsymbolic-non-weak[-functions] and -Bno-symbolic
/// bind a library's references as the reference linkers do (GNU ld 2.40,
/// or lld 14 where GNU ld lacks the option; -Bsymbolic-non-weak, which
/// neither has, against its definition: non-weak definitions bind locally).
#[test]
fn address_equality_and_symbolic_binding_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("ld.lld", "lld");
    let lib =
        "int foo = 4;\n__attribute__((weak)) int wfoo = 4;\nint get_foo(void) { return foo; }\n\
               int get_wfoo(void) { return wfoo; }\nint helper(void) { return 1; }\n\
               __attribute__((weak)) int whelper(void) { return 1; }\n\
               int call_helper(void) { return helper() + 10 * whelper(); }\n\
               void *bar(void) { return (void *)bar; }\n";
    let main = "#include <stdio.h>\nextern int foo, wfoo;\nint get_foo(void), get_wfoo(void), call_helper(void);\n\
                void *bar(void);\nint helper(void) { return 2; }\nint whelper(void) { return 2; }\n\
                int main(void) { foo = 3; wfoo = 3;\n\
                printf(\"%d %d %d %d\\n\", get_foo(), get_wfoo(), call_helper(), (void *)bar == bar()); return 0; }\n";
    // (name, library flags, reference: GNU ld, lld, or the expected output)
    let cases: [(&str, &[&str], &str); 5] = [
        ("plain", &[], "ld"),
        (
            "bsymbolic-no",
            &["-Wl,-Bsymbolic", "-Wl,-Bno-symbolic"],
            "ld",
        ),
        ("functions", &["-Wl,-Bsymbolic-functions"], "ld"),
        (
            "non-weak-functions",
            &["-Wl,-Bsymbolic-non-weak-functions"],
            "lld",
        ),
        ("non-weak", &["-Wl,-Bsymbolic-non-weak"], "4 3 21 0\n"),
    ];
    for (name, flags, reference) in cases {
        let run = |linker: &str| {
            let dir = fresh_work_dir("gnu_compat", &format!("symbolic-{name}-{linker}"));
            let shim = make_shim(&dir);
            let (lib_flags, main_flags): (Vec<&str>, Vec<&str>) = match linker {
                "cld" => (flags.to_vec(), vec!["-no-pie", "-fno-pie"]),
                "lld" => (
                    [flags, &["-fuse-ld=lld"]].concat(),
                    vec!["-no-pie", "-fno-pie", "-fuse-ld=lld"],
                ),
                _ => (flags.to_vec(), vec!["-no-pie", "-fno-pie"]),
            };
            let shim = (linker == "cld").then_some(shim.as_str());
            dso_pair(&dir, shim, lib, &lib_flags, main, &main_flags)
        };
        let ours = run("cld");
        let theirs = match reference {
            "ld" | "lld" => run(reference),
            expected => expected.to_string(),
        };
        assert_eq!(
            ours, theirs,
            "{name}: cld's pair prints differently from {reference}'s"
        );
        // Binding functions locally gives up address equality, as with GNU ld.
        if matches!(name, "plain" | "bsymbolic-no") {
            assert!(
                ours.ends_with(" 1\n"),
                "{name}: bar's address differs between the program and the library: {ours}"
            );
        }
    }
}

/// Defined names in `.dynsym` (`readelf --dyn-syms`), sorted.
fn dyn_defined(file: &std::path::Path) -> Vec<String> {
    let r = must_succeed_within(
        Command::new("readelf").args(["--dyn-syms", "-W"]).arg(file),
        TIMEOUT,
        "readelf",
    );
    let mut v: Vec<String> = r
        .stdout
        .lines()
        .filter(|l| l.contains(": ") && !l.contains(" UND "))
        .filter_map(|l| {
            l.split_whitespace()
                .nth(7)
                .map(|n| n.split('@').next().unwrap().to_string())
        })
        .collect();
    v.sort();
    v
}

/// `--dynamic-list-data`, `--export-dynamic-symbol-list` and `-init`/`-fini`
/// give the dynamic symbols and DT_INIT/DT_FINI GNU ld gives.
#[test]
fn dynamic_lists_and_init_fini_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "dynlists");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.c"),
        "#include <stdio.h>\nint data_sym = 5;\nint other_data;\nvoid func_sym(void) {}\nvoid listed_fn(void) {}\n\
         void my_init(void) { puts(\"my_init\"); }\nvoid my_fini(void) { puts(\"my_fini\"); }\n\
         int main(void) { return 0; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("list"), "{ listed_fn; data_*; };\n").unwrap();
    let link = |cld: bool, out: &str, flags: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        must_succeed_within(cmd.args(["a.c", "-o", out]).args(flags), TIMEOUT, out);
        dir.join(out)
    };
    for flags in [
        &["-Wl,--dynamic-list-data"][..],
        &["-Wl,--export-dynamic-symbol-list=list"][..],
    ] {
        let ours = dyn_defined(&link(true, "ours", flags));
        let theirs = dyn_defined(&link(false, "theirs", flags));
        assert_eq!(ours, theirs, "{flags:?}");
        assert!(ours.iter().any(|n| n == "data_sym"), "{flags:?}: {ours:?}");
    }
    // -init/-fini in a shared library: they run when it loads and unloads.
    std::fs::write(dir.join("user.c"), "int main(void) { return 0; }\n").unwrap();
    for cld in [false, true] {
        let lib_flags = ["-shared", "-fPIC", "-Wl,-init=my_init", "-Wl,-fini,my_fini"];
        link(cld, "liba.so", &lib_flags);
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        must_succeed_within(
            cmd.args([
                "user.c",
                "-Wl,--no-as-needed",
                "-L.",
                "-la",
                "-Wl,-rpath,$ORIGIN",
                "-o",
                "user",
            ]),
            TIMEOUT,
            "user",
        );
        let out = must_succeed_within(&mut Command::new(dir.join("user")), TIMEOUT, "user");
        assert_eq!(out.stdout, "my_init\nmy_fini\n", "cld: {cld}");
    }
}

/// Messages and search options real builds rely on, each checked against
/// what GNU ld does with the same input: a shared library under `-static`
/// is an error; a hidden reference cannot bind to a shared library; C++
/// names are demangled in undefined-symbol errors (unless
/// `--no-demangle`); `--unresolved-symbols=ignore-all` and
/// `--warn-unresolved-symbols` let the link finish; `--dependency-file`
/// writes a Make rule; `--sysroot` applies to `-L=DIR`, `-L$SYSROOTDIR` and
/// to absolute names in a linker script inside the sysroot.
#[test]
fn diagnostics_and_search_options() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    let dir = fresh_work_dir("gnu_compat", "diagnostics");
    let shim = make_shim(&dir);
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w(
        "fn.c",
        "int fn(int a) { return a + 1; }\nvoid foo(void) {}\n",
    );
    w(
        "use.c",
        "int fn(int);\nint main(void) { return fn(1) == 2 ? 0 : 1; }\n",
    );
    w("hidden.c", "__attribute__((visibility(\"hidden\"))) void foo(void);\nint main(void) { foo(); return 0; }\n");
    w(
        "cxx.c",
        "void _ZN2ns7versionEv(void);\nint main(void) { _ZN2ns7versionEv(); return 0; }\n",
    );
    let gcc = |args: &[&str], cld: bool| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        run_shown(cmd.args(args), TIMEOUT)
    };
    let ok = |args: &[&str], cld: bool| {
        let (r, shown) = gcc(args, cld);
        assert!(r.success(), "{}", context(&r, &shown));
        r
    };
    ok(&["-shared", "-fPIC", "fn.c", "-o", "libfn.so"], false);
    ok(&["-c", "use.c", "hidden.c", "cxx.c"], false);
    ok(&["-c", "-fPIC", "fn.c"], false);
    for cld in [false, true] {
        // The library named under -static: both refuse.
        let (r, _) = gcc(&["-static", "use.o", "libfn.so", "-o", "s"], cld);
        assert!(
            !r.success(),
            "cld={cld}: a shared library in a -static link was accepted"
        );
        // A hidden reference to a symbol only a shared library defines.
        let (r, _) = gcc(&["hidden.o", "libfn.so", "-o", "h"], cld);
        assert!(
            !r.success(),
            "cld={cld}: a hidden reference bound to a shared library"
        );
    }
    let (r, _) = gcc(&["-static", "use.o", "libfn.so", "-o", "s"], true);
    assert!(
        r.stderr
            .contains("attempted static link of a dynamic object libfn.so"),
        "{}",
        r.stderr
    );
    let (r, _) = gcc(&["hidden.o", "libfn.so", "-o", "h"], true);
    assert!(r.stderr.contains("undefined symbol: foo"), "{}", r.stderr);
    let (r, _) = gcc(&["cxx.o", "-o", "c"], true);
    assert!(
        r.stderr.contains("undefined symbol: ns::version()"),
        "{}",
        r.stderr
    );
    let (r, _) = gcc(&["cxx.o", "-Wl,--no-demangle", "-o", "c"], true);
    assert!(
        r.stderr.contains("undefined symbol: _ZN2ns7versionEv"),
        "{}",
        r.stderr
    );
    // Undefined symbols tolerated on request, as GNU ld tolerates them.
    for flag in [
        "-Wl,--unresolved-symbols=ignore-all",
        "-Wl,--warn-unresolved-symbols",
    ] {
        for cld in [false, true] {
            let (r, shown) = gcc(&["cxx.o", flag, "-o", "c"], cld);
            assert!(r.success(), "cld={cld} {flag}{}", context(&r, &shown));
        }
    }
    let r = ok(&["cxx.o", "-Wl,--warn-unresolved-symbols", "-o", "c"], true);
    assert!(
        r.stderr
            .contains("warning: undefined symbol: ns::version()"),
        "{}",
        r.stderr
    );
    // --dependency-file.
    ok(
        &[
            "use.o",
            "fn.o",
            "-Wl,--dependency-file=deps.d",
            "-o",
            "prog",
        ],
        true,
    );
    let deps = std::fs::read_to_string(dir.join("deps.d")).unwrap();
    let first = deps.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("prog:") && first.contains(" use.o") && first.contains(" fn.o"),
        "{deps}"
    );
    assert!(
        deps.lines().any(|l| l == "use.o:") && deps.lines().any(|l| l == "fn.o:"),
        "{deps}"
    );
    // --sysroot.
    std::fs::create_dir_all(dir.join("root/lib/sub")).unwrap();
    ok(&["-c", "-fPIC", "fn.c", "-o", "root/lib/sub/fn.o"], false);
    must_succeed_within(
        Command::new("ar").current_dir(&dir).args([
            "rcs",
            "root/lib/sub/libsr.a",
            "root/lib/sub/fn.o",
        ]),
        TIMEOUT,
        "ar",
    );
    w("root/lib/libscr.a", "GROUP ( /lib/sub/libsr.a )\n");
    for lflag in ["-Wl,-L=/lib/sub", "-Wl,-L$SYSROOT/lib/sub"] {
        for cld in [false, true] {
            ok(
                &["use.o", "-Wl,--sysroot=root", lflag, "-lsr", "-o", "sr"],
                cld,
            );
        }
    }
    for cld in [false, true] {
        ok(
            &[
                "use.o",
                "-Wl,--sysroot=root",
                "root/lib/libscr.a",
                "-o",
                "sr2",
            ],
            cld,
        );
        let (r, _) = gcc(&["use.o", "-Wl,-L=/lib/sub", "-lsr", "-o", "sr3"], cld);
        assert!(
            !r.success(),
            "cld={cld}: -L=/lib/sub found a library without --sysroot"
        );
    }
}

/// `--section-start`: output sections at fixed addresses (in either
/// order), each in its own load segment, the segments in address order;
/// the program runs and prints the addresses, as GNU ld's does.
#[test]
fn section_start_places_sections_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "section-start");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.c"),
        "#include <stdio.h>\n__attribute__((section(\".fn1\"))) void fn1(void) { printf(\" fn1\"); }\n\
         __attribute__((section(\".fn2\"))) void fn2(void) { printf(\" fn2\"); }\n\
         __attribute__((section(\".vals\"))) int vals[2] = {7, 8};\n\
         int main(void) { printf(\"main\"); fn1(); fn2(); printf(\" %p %p %d\\n\", (void *)fn1, (void *)fn2, vals[1]); return 0; }\n",
    )
    .unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-fno-pic", "a.c"]),
        TIMEOUT,
        "compiling a.c",
    );
    for starts in [
        "-Wl,--section-start=.fn1=0x10000000,--section-start=.fn2=0x20000000,--section-start=.vals=0x30000000",
        "-Wl,--section-start=.fn1=0x20000000,--section-start=.fn2=0x10000000",
    ] {
        let mut outs = Vec::new();
        for cld in [false, true] {
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            must_succeed_within(cmd.args(["-no-pie", "a.o", starts, "-o", "exe"]), TIMEOUT, starts);
            let run = must_succeed_within(&mut Command::new(dir.join("exe")), TIMEOUT, "exe");
            let segs = must_succeed_within(Command::new("readelf").args(["-lW"]).arg(dir.join("exe")), TIMEOUT, "readelf");
            let loads: Vec<u64> = segs
                .stdout
                .lines()
                .filter(|l| l.trim_start().starts_with("LOAD"))
                .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(2)?.trim_start_matches("0x"), 16).ok())
                .collect();
            assert!(loads.windows(2).all(|w| w[0] < w[1]), "cld={cld}: LOAD segments out of order: {loads:x?}");
            outs.push(run.stdout);
        }
        assert_eq!(outs[1], outs[0], "{starts}");
        assert!(outs[1].starts_with("main fn1 fn2 0x"), "{}", outs[1]);
    }
}

/// `--warn-common` warns about a common symbol defined twice, and
/// `--fatal-warnings` makes that (and any warning) fail the link with no
/// output, as with GNU ld.
#[test]
fn warn_common_and_fatal_warnings_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "fatal-warnings");
    let shim = make_shim(&dir);
    std::fs::write(dir.join("c1.c"), "int foo;\n").unwrap();
    std::fs::write(dir.join("c2.c"), "int foo;\nint main(void) { return 0; }\n").unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-fcommon", "-c", "c1.c", "c2.c"]),
        TIMEOUT,
        "compiling",
    );
    for cld in [false, true] {
        let link = |extra: &[&str], out: &str| {
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            run_shown(
                cmd.args(["c1.o", "c2.o", "-Wl,--warn-common", "-o", out])
                    .args(extra),
                TIMEOUT,
            )
            .0
        };
        let r = link(&[], "warned");
        assert!(
            r.success() && r.stderr.contains("multiple common of `foo'"),
            "cld={cld}: {}",
            r.stderr
        );
        let r = link(&["-Wl,--fatal-warnings"], "fatal");
        assert!(
            !r.success(),
            "cld={cld}: --fatal-warnings did not fail the link"
        );
        assert!(
            !dir.join("fatal").exists(),
            "cld={cld}: a failed link left its output"
        );
    }
}

/// `--undefined-glob PATTERN` (lld's and mold's option) loads the archive
/// members that define a matching symbol, and only those.
#[test]
fn undefined_glob_loads_matching_archive_members() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    require_tool("nm", "binutils");
    let dir = fresh_work_dir("gnu_compat", "undefined-glob");
    let shim = make_shim(&dir);
    compile_all(
        &dir,
        &[
            ("a.c", "int foo = 1;\n"),
            ("b.c", "int foobar = 1;\n"),
            ("c.c", "int baz = 1;\n"),
            ("m.c", "int main(void) { return 0; }\n"),
        ],
    );
    must_succeed_within(
        Command::new("ar")
            .current_dir(&dir)
            .args(["rcs", "libd.a", "a.o", "b.o", "c.o"]),
        TIMEOUT,
        "ar",
    );
    let syms = |flags: &[&str]| -> Vec<String> {
        must_succeed_within(
            Command::new("gcc")
                .current_dir(&dir)
                .args(["-B", &shim, "m.o", "libd.a", "-o", "exe"])
                .args(flags),
            TIMEOUT,
            "link",
        );
        let nm = must_succeed_within(
            Command::new("nm").current_dir(&dir).arg("exe"),
            TIMEOUT,
            "nm",
        );
        ["foo", "foobar", "baz"]
            .iter()
            .filter(|n| nm.stdout.lines().any(|l| l.ends_with(&format!(" {n}"))))
            .map(|n| n.to_string())
            .collect()
    };
    assert!(syms(&[]).is_empty());
    assert_eq!(syms(&["-Wl,--undefined-glob=foo*"]), ["foo", "foobar"]);
}

/// A non-PIC program reading a library's data needs a copy relocation:
/// made normally (the program runs), refused with `-z nocopyreloc`, and
/// refused for a protected symbol, each with "recompile with -fPIC".
#[test]
fn copy_relocations_refused_when_they_cannot_work() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "copyreloc");
    let shim = make_shim(&dir);
    let w = |n: &str, t: &str| std::fs::write(dir.join(n), t).unwrap();
    w(
        "lib.c",
        "int foo = 3;\n__attribute__((visibility(\"protected\"))) int pfoo = 4;\n",
    );
    w("use.c", "#include <stdio.h>\nextern int foo;\nint main(void) { printf(\"%d\\n\", foo); return 0; }\n");
    w(
        "usep.c",
        "extern int pfoo;\nint main(void) { return pfoo; }\n",
    );
    let gcc = |args: &[&str]| {
        run_shown(
            Command::new("gcc")
                .current_dir(&dir)
                .args(["-B", &shim])
                .args(args),
            TIMEOUT,
        )
        .0
    };
    assert!(gcc(&["-shared", "-fPIC", "lib.c", "-o", "liblib.so"]).success());
    let base = ["-no-pie", "-fno-pie", "-L.", "-llib", "-Wl,-rpath,$ORIGIN"];
    let r = gcc(&[&["use.c", "-o", "use"][..], &base].concat());
    assert!(r.success(), "{}", r.stderr);
    let out = must_succeed_within(&mut Command::new(dir.join("use")), TIMEOUT, "use");
    assert_eq!(out.stdout, "3\n");
    let r = gcc(&[&["use.c", "-Wl,-z,nocopyreloc", "-o", "use2"][..], &base].concat());
    assert!(
        !r.success() && r.stderr.contains("recompile with -fPIC"),
        "{}",
        r.stderr
    );
    let r = gcc(&[&["usep.c", "-o", "usep"][..], &base].concat());
    assert!(
        !r.success()
            && r.stderr
                .contains("copy relocation for protected symbol pfoo"),
        "{}",
        r.stderr
    );
}

/// Version scripts: an `extern "C++"` glob also matches a name that is not
/// C++-mangled, as lld and mold match it; `\?` is a literal `?`, so
/// `foo\?` names `foo?` exactly and beats `**` (which matches everything,
/// the weakest claim); the dynamic symbols carry those versions.
#[test]
fn version_script_cxx_and_escaped_patterns() {
    require_tool("gcc", "gcc");
    require_tool("ld.lld", "lld");
    let dir = fresh_work_dir("gnu_compat", "version-scripts");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.ver"),
        "{ local: *; global: extern \"C++\" { *foo*; }; };\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.ver"),
        "VER0 { **; };\nVER1 { foo\\?; };\nVER2 { *foo\\bar*; };\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a.c"),
        "void foobar(void) {}\nvoid other(void) {}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.s"),
        ".globl all_stars, \"foo?\", xfoobarx\nall_stars:\n\"foo?\":\nxfoobarx:\n",
    )
    .unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-fPIC", "a.c", "b.s"]),
        TIMEOUT,
        "compile",
    );
    let dynsyms = |extra: &[&str], input: &str, script: &str| -> Vec<String> {
        must_succeed_within(
            Command::new("gcc").current_dir(&dir).args(extra).args([
                "-shared",
                input,
                &format!("-Wl,--version-script={script}"),
                "-o",
                "out.so",
            ]),
            TIMEOUT,
            "link",
        );
        let r = must_succeed_within(
            Command::new("readelf")
                .current_dir(&dir)
                .args(["--dyn-syms", "-W", "out.so"]),
            TIMEOUT,
            "readelf",
        );
        let mut v: Vec<String> = r
            .stdout
            .lines()
            .filter(|l| !l.contains(" UND ") && l.contains(": "))
            .filter_map(|l| l.split_whitespace().nth(7).map(str::to_string))
            .filter(|n| n != "Name" && !n.starts_with("VER") && !n.starts_with("out.so"))
            .collect();
        v.sort();
        v
    };
    let cld = ["-B", shim.as_str()];
    assert_eq!(dynsyms(&cld, "a.o", "a.ver"), ["foobar"]);
    assert_eq!(
        dynsyms(&cld, "a.o", "a.ver"),
        dynsyms(&["-fuse-ld=lld"], "a.o", "a.ver")
    );
    assert_eq!(
        dynsyms(&cld, "b.o", "b.ver"),
        ["all_stars@@VER0", "foo?@@VER1", "xfoobarx@@VER2"]
    );
}

/// `-z nodynamic-undefined-weak` resolves a shared object's undefined weak
/// symbol to 0 (the program's definition is not used); by default it stays
/// dynamic. `--unique=GLOB` keeps matching input sections as output
/// sections of their own. Both as GNU ld does.
#[test]
fn undefined_weak_in_shared_objects_and_unique_sections_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "weak-unique");
    let shim = make_shim(&dir);
    let w = |n: &str, t: &str| std::fs::write(dir.join(n), t).unwrap();
    w(
        "a.c",
        "__attribute__((weak)) int foo(void);\nint bar(void) { return foo ? foo() : 0; }\n",
    );
    w("e.c", "#include <stdio.h>\nint foo(void) { return 1; }\nint bar(void);\nint main(void) { printf(\"%d\\n\", bar()); return 0; }\n");
    w(
        "u.s",
        ".section .data.foo.1,\"aw\",@progbits\n.ascii \"a\"\n.section .data.foo.2,\"aw\",@progbits\n.ascii \"c\"\n\
         .section .data.bar.1,\"aw\",@progbits\n.ascii \"d\"\n.text\n.globl _start\n_start:\n  mov $60, %eax\n  xor %edi, %edi\n  syscall\n",
    );
    let gcc = |cld: bool, args: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        must_succeed_within(cmd.args(args), TIMEOUT, &format!("{args:?}"))
    };
    for cld in [false, true] {
        let mut outs = Vec::new();
        for flag in [
            "-Wl,-z,dynamic-undefined-weak",
            "-Wl,-z,nodynamic-undefined-weak",
        ] {
            gcc(cld, &["-shared", "-fPIC", "a.c", flag, "-o", "liba.so"]);
            gcc(
                cld,
                &["e.c", "-L.", "-la", "-Wl,-rpath,$ORIGIN", "-o", "exe"],
            );
            outs.push(
                must_succeed_within(&mut Command::new(dir.join("exe")), TIMEOUT, "exe").stdout,
            );
        }
        assert_eq!(outs, ["1\n", "0\n"], "cld={cld}");
        gcc(
            cld,
            &[
                "-nostdlib",
                "-static",
                "u.s",
                "-Wl,--unique=*foo*",
                "-o",
                "uniq",
            ],
        );
        let sections = must_succeed_within(
            Command::new("readelf")
                .current_dir(&dir)
                .args(["-SW", "uniq"]),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        for name in [" .data.foo.1 ", " .data.foo.2 ", " .data "] {
            assert!(
                sections.contains(name),
                "cld={cld}: no {name} section:\n{sections}"
            );
        }
        assert!(
            !sections.contains(" .data.bar.1 "),
            "cld={cld}: .data.bar.1 should join .data"
        );
    }
}

/// Small GNU ld behaviours: a protected symbol stays PROTECTED in
/// `.dynsym` (common or not); `.tcommon` is thread-local `.tbss`; a
/// versioned name (`foo@V1`) in an executable without a version script is
/// accepted.
#[test]
fn protected_dynsym_tcommon_and_versioned_names_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "protected-tcommon");
    let shim = make_shim(&dir);
    let w = |n: &str, t: &str| std::fs::write(dir.join(n), t).unwrap();
    w(
        "p1.c",
        "__attribute__((visibility(\"protected\"))) int pfoo;\nint get(void) { return pfoo; }\n",
    );
    w("t.s", ".globl x, y\n.section .tbss,\"awT\",@nobits\nx:\n.zero 1024\n.section .tcommon,\"awT\",@nobits\ny:\n.zero 1024\n");
    w(
        "tm.c",
        "#include <stdio.h>\nextern _Thread_local char x[1024], y[1024];\n\
         int main(void) { x[0] = 3; x[1023] = 5; y[1023] = 7;\n\
         printf(\"%d %d %d %d %d\\n\", x[0], x[1], x[1023], y[0], y[1023]); return 0; }\n",
    );
    w(
        "v.s",
        ".text\n.globl \"versig@V1\"\n\"versig@V1\":\n  ret\n",
    );
    w("vm.c", "int main(void) { return 0; }\n");
    for cld in [false, true] {
        let gcc = |args: &[&str]| {
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            must_succeed_within(cmd.args(args), TIMEOUT, &format!("cld={cld} {args:?}"))
        };
        for common in ["-fcommon", "-fno-common"] {
            gcc(&[
                "-shared",
                "-fPIC",
                common,
                "p1.c",
                "-Wl,--strip-all",
                "-o",
                "libp.so",
            ]);
            let dynsyms = must_succeed_within(
                Command::new("readelf")
                    .current_dir(&dir)
                    .args(["--dyn-syms", "-W", "libp.so"]),
                TIMEOUT,
                "readelf",
            )
            .stdout;
            assert!(
                dynsyms
                    .lines()
                    .any(|l| l.contains("PROTECTED") && l.ends_with(" pfoo")),
                "cld={cld} {common}: pfoo is not PROTECTED in .dynsym:\n{dynsyms}"
            );
        }
        gcc(&["t.s", "tm.c", "-o", "tls"]);
        let out = must_succeed_within(&mut Command::new(dir.join("tls")), TIMEOUT, "tls");
        assert_eq!(out.stdout, "3 0 5 0 7\n", "cld={cld}");
        gcc(&["v.s", "vm.c", "-o", "ver"]);
    }
}

/// `.symver _foo, foo@@` (an empty default version) exports `foo` at the
/// base version even under a version script's `local: *`, as GNU ld does.
#[test]
fn empty_default_symver_is_exported_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "empty-symver");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.c"),
        "void _foo(void) {}\n__asm__(\".symver _foo, foo@@\");\n",
    )
    .unwrap();
    std::fs::write(dir.join("b.ver"), "{ local: *; };\n").unwrap();
    for cld in [false, true] {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        must_succeed_within(
            cmd.args([
                "-shared",
                "-fPIC",
                "a.c",
                "-Wl,--version-script=b.ver",
                "-o",
                "c.so",
            ]),
            TIMEOUT,
            "link",
        );
        let d = must_succeed_within(
            Command::new("readelf")
                .current_dir(&dir)
                .args(["--dyn-syms", "-W", "c.so"]),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        assert!(
            d.lines()
                .any(|l| l.contains(" FUNC ") && l.contains(" GLOBAL ") && l.ends_with(" foo")),
            "cld={cld}: foo is not exported:\n{d}"
        );
    }
}

/// `-Ttext-segment` on a PIE: GNU ld writes `ET_EXEC` (keeping `DF_1_PIE`)
/// loaded at that address, and the program runs; cld the same.
#[test]
fn ttext_segment_pie_is_exec_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "ttext-segment-pie");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.c"),
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    )
    .unwrap();
    let mut seen = Vec::new();
    for cld in [false, true] {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        } else {
            cmd.arg("-fuse-ld=bfd");
        }
        must_succeed_within(
            cmd.args(["-pie", "a.c", "-Wl,-Ttext-segment=0xa000000", "-o", "exe"]),
            TIMEOUT,
            "link",
        );
        let exe = dir.join("exe");
        let run = must_succeed_within(&mut Command::new(&exe), TIMEOUT, "exe");
        assert_eq!(run.stdout, "hi\n");
        let h = must_succeed_within(
            Command::new("readelf").args(["-hdlW"]).arg(&exe),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        let ty = h.lines().find(|l| l.contains("Type:")).unwrap().to_string();
        let pie = h
            .lines()
            .any(|l| l.contains("FLAGS_1") && l.contains("PIE"));
        let first_load = h
            .lines()
            .find(|l| l.trim_start().starts_with("LOAD"))
            .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
            .unwrap();
        seen.push((ty, pie, first_load));
    }
    assert_eq!(seen[1], seen[0], "(GNU ld, cld)");
    assert!(seen[0].0.contains("EXEC"), "{:?}", seen[0]);
}
