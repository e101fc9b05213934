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
    write_all(&dir, &files);
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
    let args = ["a.c", "-Wl,--defsym=foo=16", "-Wl,--defsym=bar=0x2000"];
    assert_eq!(pie_output_as_lld(&dir, &shim, &args), "0x10 0x2000\n");
    let (r, shown) = pie_link(
        &dir,
        Some(&shim),
        &[
            "a.c",
            "-Wl,--defsym=foo=missing_target",
            "-Wl,--defsym=bar=1",
        ],
    );
    assert!(
        !r.success() && r.stderr.contains("undefined symbol: missing_target"),
        "a --defsym of a missing symbol must fail naming it{}",
        context(&r, &shown)
    );
}

/// A symbol an object defines as absolute (`.set`), and a `--defsym` alias
/// of it, stay absolute in a PIE: a pointer to them in data gets no
/// relative relocation (the load base is not added) and neither does a
/// load through the GOT, as with lld.
#[test]
fn absolute_symbols_of_objects_stay_absolute_in_a_pie() {
    require_tool("gcc", "gcc");
    require_tool("ld.lld", "lld");
    let dir = fresh_work_dir("gnu_compat", "abs-object");
    let shim = make_shim(&dir);
    write_all(
        &dir,
        &[
            (
                "b.c",
                "__asm__(\".globl abs_obj\\n.set abs_obj, 0x3000\\n\");\n",
            ),
            (
                "a.c",
                "#include <stdio.h>\nextern char abs_obj, abs_alias;\n\
                 char *p = &abs_obj, *q = &abs_alias;\n\
                 int main(void) { printf(\"%p %p %p %p\\n\", (void *)p, (void *)q, \
                 (void *)&abs_obj, (void *)&abs_alias); return 0; }\n",
            ),
        ],
    );
    let args = ["a.c", "b.c", "-Wl,--defsym=abs_alias=abs_obj"];
    assert_eq!(
        pie_output_as_lld(&dir, &shim, &args),
        "0x3000 0x3000 0x3000 0x3000\n"
    );
}

/// Links `args` in `dir` into the PIE `exe` (`-fPIC -pie`) through gcc:
/// with cld (its `shim`), or with lld.
fn pie_link(dir: &std::path::Path, shim: Option<&str>, args: &[&str]) -> (RunResult, String) {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir);
    match shim {
        Some(shim) => cmd.args(["-B", shim]),
        None => cmd.arg("-fuse-ld=lld"),
    };
    cmd.args(["-fPIC", "-pie", "-o", "exe"]).args(args);
    run_shown(&mut cmd, TIMEOUT)
}

/// What the PIE `args` make prints when linked by lld and by cld (which
/// must print the same): cld's output.
fn pie_output_as_lld(dir: &std::path::Path, shim: &str, args: &[&str]) -> String {
    let mut outs = Vec::new();
    for shim in [None, Some(shim)] {
        let (r, shown) = pie_link(dir, shim, args);
        assert!(r.success(), "link failed{}", context(&r, &shown));
        outs.push(must_succeed_within(&mut Command::new(dir.join("exe")), TIMEOUT, "exe").stdout);
    }
    assert_eq!(outs[1], outs[0]);
    outs.pop().unwrap()
}

/// Writes `files` (name, text) into `dir`.
fn write_all(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Writes `files` into `dir` and compiles each `.c` there to `.o`.
fn compile_all(dir: &std::path::Path, files: &[(&str, &str)]) {
    write_all(dir, files);
    for (name, _) in files {
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
        !r.success() && r.stderr.contains("duplicate symbol: t1.o: t3.o: pick"),
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

/// Diagnostics GNU ld prints about the output's safety: an input with an
/// executable `.note.GNU-stack` makes the stack executable with a warning
/// (`--no-warn-execstack` silences it, `-z noexecstack` overrides it);
/// `--warn-textrel` (the default) names each relocation in a read-only
/// section and the DT_TEXTREL; `-z cet-report=warning|error` names each input without IBT
/// and SHSTK (warning: the link succeeds; error: it fails); and `-z
/// dynamic-undefined-weak` leaves a PIE's undefined weak function to the
/// dynamic linker (in `.dynsym`). Each is checked with GNU ld and cld.
#[test]
fn execstack_textrel_cet_and_undefined_weak_diagnostics_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "execstack-textrel");
    let shim = make_shim(&dir);
    let files = [
        ("xstack.s", ".section .note.GNU-stack,\"x\",@progbits\n"),
        (
            "textrel.s",
            ".globl fn\nfn:\n  movabs main, %rax\n  movabs main, %rax\n  ret\n.section .note.GNU-stack,\"\",@progbits\n",
        ),
        (
            "main.c",
            "void fn(void);\nint main(void) { fn(); return 0; }\n",
        ),
        ("plain.c", "int main(void) { return 0; }\n"),
        (
            "weak.c",
            "__attribute__((weak)) void wfn(void);\nint main(void) { if (wfn) wfn(); return 0; }\n",
        ),
    ];
    write_all(&dir, &files);
    must_succeed_within(
        Command::new("gcc").current_dir(&dir).args([
            "-c",
            "-fPIC",
            "xstack.s",
            "textrel.s",
            "main.c",
            "plain.c",
            "weak.c",
        ]),
        TIMEOUT,
        "compiling",
    );
    let segments = |f: &str| {
        readelf(&["-lW"], &dir.join(f))
            .unwrap()
            .stdout
            .lines()
            .find(|l| l.contains("GNU_STACK"))
            .unwrap_or_default()
            .to_string()
    };
    for cld in [false, true] {
        let link = |args: &[&str]| {
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            run_shown(cmd.args(args), TIMEOUT)
        };
        let (r, shown) = link(&["xstack.o", "plain.o", "-o", "xs1"]);
        assert!(r.success(), "cld={cld}{}", context(&r, &shown));
        assert!(
            r.stderr
                .contains("xstack.o: requires executable stack (because the .note.GNU-stack section is executable)"),
            "cld={cld}: no execstack warning{}",
            context(&r, &shown)
        );
        assert!(
            segments("xs1").contains(" RWE "),
            "cld={cld}: {}",
            segments("xs1")
        );
        let (r, shown) = link(&[
            "xstack.o",
            "plain.o",
            "-o",
            "xs2",
            "-Wl,--no-warn-execstack",
        ]);
        assert!(
            r.success() && !r.stderr.contains("executable stack"),
            "cld={cld}{}",
            context(&r, &shown)
        );
        let (r, shown) = link(&["xstack.o", "plain.o", "-o", "xs3", "-Wl,-z,noexecstack"]);
        assert!(
            r.success() && !r.stderr.contains("executable stack"),
            "cld={cld}{}",
            context(&r, &shown)
        );
        assert!(
            segments("xs3").contains(" RW "),
            "cld={cld}: {}",
            segments("xs3")
        );

        let (r, shown) = link(&[
            "-pie",
            "textrel.o",
            "main.o",
            "-o",
            "tr",
            "-Wl,--warn-textrel",
        ]);
        assert!(r.success(), "cld={cld}{}", context(&r, &shown));
        assert!(
            r.stderr.contains("main' in read-only section `.text'")
                && r.stderr.contains("DT_TEXTREL"),
            "cld={cld}: no text relocation warnings{}",
            context(&r, &shown)
        );
        // Once per symbol, not per place.
        assert_eq!(
            r.stderr.matches("main' in read-only section").count(),
            1,
            "cld={cld}{}",
            context(&r, &shown)
        );
        // GNU ld 2.40 has no --no-warn-textrel (lld and mold don't warn by default).
        if cld {
            let (r, shown) = link(&[
                "-pie",
                "textrel.o",
                "main.o",
                "-o",
                "tr2",
                "-Wl,--no-warn-textrel",
            ]);
            assert!(
                r.success() && !r.stderr.contains("DT_TEXTREL"),
                "cld={cld}: warned with --no-warn-textrel{}",
                context(&r, &shown)
            );
        }

        let (r, shown) = link(&["plain.o", "-o", "cet1", "-Wl,-z,cet-report=warning"]);
        assert!(
            r.success()
                && r.stderr.contains("plain.o:")
                && r.stderr.contains("missing")
                && r.stderr.contains("IBT"),
            "cld={cld}{}",
            context(&r, &shown)
        );
        let (r, shown) = link(&["plain.o", "-o", "cet2", "-Wl,-z,cet-report=error"]);
        assert!(
            !r.success() && r.stderr.contains("plain.o:") && r.stderr.contains("SHSTK"),
            "cld={cld}{}",
            context(&r, &shown)
        );
        assert!(!dir.join("cet2").exists(), "cld={cld}: output left");

        for (flag, exported) in [
            ("-Wl,-z,dynamic-undefined-weak", true),
            ("-Wl,-z,nodynamic-undefined-weak", false),
        ] {
            let (r, shown) = link(&["-pie", "weak.o", "-o", "weak", flag]);
            assert!(r.success(), "cld={cld}{}", context(&r, &shown));
            let dynsym = readelf(&["--dyn-syms", "-W"], &dir.join("weak"))
                .unwrap()
                .stdout;
            assert_eq!(
                dynsym.lines().any(|l| l.ends_with(" wfn")),
                exported,
                "cld={cld} {flag}:\n{dynsym}"
            );
            must_succeed_within(&mut Command::new(dir.join("weak")), TIMEOUT, "weak");
        }
    }
}

/// `-o -` writes the program to standard output (as mold and lld do; GNU
/// ld 2.40 makes a file named `-`); a version script naming a symbol the
/// link does not define is a warning, and an error under
/// `--no-undefined-version` (GNU ld fails too); a symbol defined twice is
/// an error naming both files and the symbol; a shared library defining a
/// global symbol with version index 0 (VER_NDX_LOCAL, which the dynamic
/// linker never binds to) is refused, naming the library and the symbol.
#[test]
fn stdout_output_version_script_names_and_broken_versym() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "stdout-versions");
    let shim = make_shim(&dir);
    compile_all(
        &dir,
        &[
            (
                "hello.c",
                "#include <stdio.h>\nint main(void) { puts(\"Hello world\"); return 0; }\n",
            ),
            (
                "lib.c",
                "int foo(void) { return 3; }\nint bar(void) { return 5; }\n",
            ),
            (
                "use.c",
                "int foo(void);\nint main(void) { return foo() == 3 ? 0 : 1; }\n",
            ),
        ],
    );
    std::fs::write(dir.join("a.ver"), "ver_x { global: nowhere; };\n").unwrap();
    let link = |cld: bool, args: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        run_shown(cmd.args(args), TIMEOUT)
    };

    // Standard output.
    // The Command holds the file open for writing until dropped, and an
    // executable cannot be run while open for writing.
    let status = {
        let out = std::fs::File::create(dir.join("from-stdout")).unwrap();
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir)
            .args(["-B", &shim, "hello.o", "-o", "-", "-Wl,--build-id=sha1"])
            .stdout(out);
        cmd.status().unwrap()
    };
    assert!(status.success(), "gcc -o - failed");
    assert!(!dir.join("-").exists(), "cld wrote a file named -");
    std::fs::set_permissions(
        dir.join("from-stdout"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let r = must_succeed_within(
        &mut Command::new(dir.join("from-stdout")),
        TIMEOUT,
        "program",
    );
    assert_eq!(r.stdout, "Hello world\n");
    let (r, shown) = link(true, &["hello.o", "-o", "from-file", "-Wl,--build-id=sha1"]);
    assert!(r.success(), "{}", context(&r, &shown));
    assert_eq!(
        std::fs::read(dir.join("from-stdout")).unwrap(),
        std::fs::read(dir.join("from-file")).unwrap(),
        "-o - wrote other bytes than a link to a file"
    );

    // A version script naming an undefined symbol.
    let (r, shown) = link(true, &["hello.o", "-o", "v1", "-Wl,--version-script=a.ver"]);
    assert!(
        r.success()
            && r.stderr.contains(
                "a.ver: cannot assign version `ver_x` to symbol `nowhere`: symbol not found"
            ),
        "{}",
        context(&r, &shown)
    );
    for cld in [false, true] {
        let args = [
            "hello.o",
            "-o",
            "v2",
            "-Wl,--version-script=a.ver,--no-undefined-version",
        ];
        let (r, shown) = link(cld, &args);
        assert!(!r.success(), "cld={cld}: no error{}", context(&r, &shown));
    }

    // Defined twice.
    let (r, shown) = link(true, &["hello.o", "hello.o", "-o", "dup"]);
    assert!(
        !r.success()
            && r.stderr
                .contains("duplicate symbol: hello.o: hello.o: main"),
        "{}",
        context(&r, &shown)
    );

    // Version index 0 for a defined symbol.
    std::fs::write(dir.join("l.ver"), "VER1 { global: bar; };\n").unwrap();
    let (r, shown) = link(
        false,
        &[
            "-shared",
            "-fPIC",
            "lib.c",
            "-o",
            "liblib.so",
            "-Wl,--version-script=l.ver",
        ],
    );
    assert!(r.success(), "{}", context(&r, &shown));
    let (r, shown) = link(
        true,
        &["use.o", "liblib.so", "-o", "use-ok", "-Wl,-rpath,."],
    );
    assert!(r.success(), "before the patch{}", context(&r, &shown));
    let so = dir.join("liblib.so");
    let dynsym = readelf(&["--dyn-syms", "-W"], &so).unwrap().stdout;
    let idx: usize = dynsym
        .lines()
        .find(|l| l.split_whitespace().nth(7) == Some("foo"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.trim_end_matches(':').parse().ok())
        .expect("foo in .dynsym");
    let sections = readelf(&["-SW"], &so).unwrap().stdout;
    let off = sections
        .lines()
        .find(|l| l.contains(" .gnu.version "))
        .and_then(|l| l.split(']').nth(1))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|o| u64::from_str_radix(o, 16).ok())
        .expect(".gnu.version offset");
    let mut bytes = std::fs::read(&so).unwrap();
    let at = off as usize + idx * 2;
    assert_eq!(&bytes[at..at + 2], &[1, 0], "foo's version index is not 1");
    bytes[at..at + 2].copy_from_slice(&[0, 0]);
    std::fs::write(&so, bytes).unwrap();
    let (r, shown) = link(true, &["use.o", "liblib.so", "-o", "use-bad"]);
    assert!(
        !r.success()
            && r.stderr
                .contains("liblib.so: invalid version index 0 for defined symbol foo"),
        "{}",
        context(&r, &shown)
    );
}

/// `--no-relax`: a `-fPIC` load of a variable defined in the program stays
/// a GOT load (GNU ld: `mov` from the GOT, not `lea`), and TLS descriptors
/// (`-mtls-dialect=gnu2`) stay dynamic `R_X86_64_TLSDESC` relocations the
/// dynamic linker resolves (as mold; GNU ld relaxes them anyway); without
/// it both are relaxed. The program prints the same with either linker.
#[test]
fn no_relax_keeps_got_loads_and_tls_descriptors() {
    require_tool("gcc", "gcc");
    require_tool("objdump", "binutils");
    let dir = fresh_work_dir("gnu_compat", "no-relax");
    let shim = make_shim(&dir);
    let files = [
        ("tdl.c", "__thread int ext = 5;\n"),
        (
            "td.c",
            "#include <stdio.h>\n__thread int loc = 7;\nextern __thread int ext;\nint g = 3;\n\
             __attribute__((noinline)) int get(void) { return g; }\n\
             int main(void) { printf(\"%d %d %d\\n\", loc, ext, get()); return 0; }\n",
        ),
    ];
    write_all(&dir, &files);
    let gcc = |args: &[&str]| {
        must_succeed_within(
            Command::new("gcc").current_dir(&dir).args(args),
            TIMEOUT,
            &args.join(" "),
        )
    };
    gcc(&[
        "-fPIC",
        "-mtls-dialect=gnu2",
        "-shared",
        "tdl.c",
        "-o",
        "libtdl.so",
    ]);
    gcc(&["-c", "-O1", "-fPIC", "-mtls-dialect=gnu2", "td.c"]);
    // The instructions of get(), without addresses.
    let get_insns = |exe: &str| {
        let d = must_succeed_within(
            Command::new("objdump")
                .current_dir(&dir)
                .args(["-d", "--no-show-raw-insn", exe]),
            TIMEOUT,
            "objdump",
        )
        .stdout;
        d.split("<get>:\n")
            .nth(1)
            .unwrap_or_default()
            .lines()
            .take_while(|l| !l.is_empty())
            .map(|l| {
                l.split('\t')
                    .nth(1)
                    .unwrap_or_default()
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect::<Vec<_>>()
    };
    let tlsdesc = |exe: &str| {
        must_succeed_within(
            Command::new("objdump").current_dir(&dir).args(["-R", exe]),
            TIMEOUT,
            "objdump -R",
        )
        .stdout
        .matches("R_X86_64_TLSDESC")
        .count()
    };
    for no_relax in [false, true] {
        let mut insns = Vec::new();
        for cld in [false, true] {
            let exe = format!("td-{cld}-{no_relax}");
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            cmd.args(["td.o", "-L.", "-ltdl", "-Wl,-rpath,.", "-o", &exe]);
            if no_relax {
                cmd.arg("-Wl,--no-relax");
            }
            let (r, shown) = run_shown(&mut cmd, TIMEOUT);
            assert!(r.success(), "{}", context(&r, &shown));
            let out = must_succeed_within(
                Command::new(dir.join(&exe)).current_dir(&dir),
                TIMEOUT,
                &exe,
            );
            assert_eq!(out.stdout, "7 5 3\n", "{exe}");
            insns.push(get_insns(&exe));
            if cld {
                assert_eq!(tlsdesc(&exe) > 0, no_relax, "{exe}: TLSDESC relocations");
            }
        }
        assert_eq!(insns[1], insns[0], "get() differs (--no-relax: {no_relax})");
    }
    // A static executable has nobody to resolve descriptors: relaxed
    // anyway; a static PIE relocates itself with code that needs relaxed
    // loads (GNU ld's --no-relax output crashes): relaxed anyway too.
    for (mode, exe) in [("-static", "td-static"), ("-static-pie", "td-spie")] {
        gcc(&[
            "-B",
            &shim,
            mode,
            "-fPIC",
            "-mtls-dialect=gnu2",
            "td.c",
            "tdl.c",
            "-Wl,--no-relax",
            "-o",
            exe,
        ]);
        let out = must_succeed_within(&mut Command::new(dir.join(exe)), TIMEOUT, exe);
        assert_eq!(out.stdout, "7 5 3\n", "{exe}");
    }
}

/// A definition a version script's `local:` matches is a local symbol in
/// `.symtab` (binding LOCAL, visibility DEFAULT, among the locals before
/// `sh_info`), in a shared library and in an executable, as GNU ld writes
/// it; the exported one stays GLOBAL.
#[test]
fn version_script_local_symbols_are_local_in_symtab() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "symtab-local");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("v.c"),
        "int foo(void) { return 1; }\nint hid(void) { return 2; }\nint main(void) { return foo() + hid() - 3; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("v.map"), "{ global: foo; local: *; };\n").unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-fPIC", "v.c"]),
        TIMEOUT,
        "compiling",
    );
    // (binding, visibility) of NAME in .symtab, and whether it lies below sh_info.
    let entry = |file: &str, name: &str| {
        let path = dir.join(file);
        let syms = readelf(&["-sW", "--syms"], &path).unwrap().stdout;
        let sections = readelf(&["-SW"], &path).unwrap().stdout;
        let info: usize = sections
            .lines()
            .find(|l| l.contains(" .symtab "))
            .and_then(|l| l.split(']').nth(1))
            // Name, type, address, offset, size, entsize, (no flags) link, info.
            .and_then(|l| l.split_whitespace().nth(7))
            .and_then(|n| n.parse().ok())
            .expect(".symtab sh_info");
        let table = syms
            .split("Symbol table '.symtab'")
            .nth(1)
            .unwrap_or_default();
        table
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .find(|w| w.len() == 8 && w[7] == name)
            .map(|w| {
                let idx: usize = w[0].trim_end_matches(':').parse().unwrap();
                (w[4].to_string(), w[5].to_string(), idx < info)
            })
    };
    for shared in [true, false] {
        let mut got = Vec::new();
        for cld in [false, true] {
            let out = format!("out-{shared}-{cld}");
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            if shared {
                cmd.arg("-shared");
            }
            cmd.args(["v.o", "-Wl,--version-script=v.map", "-o", &out]);
            let (r, shown) = run_shown(&mut cmd, TIMEOUT);
            assert!(r.success(), "{}", context(&r, &shown));
            got.push((entry(&out, "hid"), entry(&out, "foo")));
        }
        assert_eq!(
            got[1], got[0],
            "shared={shared}: (hid, foo) differ from GNU ld's"
        );
        assert_eq!(
            got[1].0,
            Some(("LOCAL".to_string(), "DEFAULT".to_string(), true)),
            "shared={shared}"
        );
    }
}

/// An archive member is loaded for a symbol a shared library on the
/// command line references (not weakly), and the definition is exported
/// for the library, as GNU ld does; a weak reference loads nothing.
#[test]
fn archive_members_satisfy_shared_library_references() {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    let dir = fresh_work_dir("gnu_compat", "dso-undef");
    let shim = make_shim(&dir);
    let files = [
        (
            "lib.c",
            "extern int foo;\nextern int wk __attribute__((weak));\nint bar = 5;\n\
             int baz(void) { return foo + (&wk ? wk : 0); }\n",
        ),
        ("foo.c", "int foo = 3;\n"),
        ("wk.c", "int wk = 4;\n"),
        (
            "main.c",
            "int baz(void);\nint main(void) { return baz() == 3 ? 0 : 1; }\n",
        ),
    ];
    write_all(&dir, &files);
    let run =
        |cmd: &mut Command, what: &str| must_succeed_within(cmd.current_dir(&dir), TIMEOUT, what);
    run(
        Command::new("gcc").args(["-fPIC", "-shared", "lib.c", "-o", "libb.so"]),
        "libb.so",
    );
    run(
        Command::new("gcc").args(["-c", "foo.c", "wk.c", "main.c"]),
        "compiling",
    );
    run(
        Command::new("ar").args(["rcs", "libd.a", "foo.o", "wk.o"]),
        "ar",
    );
    let mut seen = Vec::new();
    for cld in [false, true] {
        let exe = format!("exe-{cld}");
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        cmd.args(["main.o", "libb.so", "libd.a", "-Wl,-rpath,.", "-o", &exe]);
        let (r, shown) = run_shown(&mut cmd, TIMEOUT);
        assert!(r.success(), "{}", context(&r, &shown));
        run(&mut Command::new(dir.join(&exe)), &exe);
        let dynsym = readelf(&["--dyn-syms", "-W"], &dir.join(&exe))
            .unwrap()
            .stdout;
        let names: Vec<bool> = ["foo", "wk"]
            .iter()
            .map(|n| {
                dynsym
                    .lines()
                    .any(|l| l.ends_with(&format!(" {n}")) && !l.contains(" UND "))
            })
            .collect();
        seen.push(names);
    }
    assert_eq!(seen[0], vec![true, false], "GNU ld's link");
    assert_eq!(seen[1], seen[0], "cld's exports differ from GNU ld's");
}

/// `--no-allow-shlib-undefined`: a linked shared library's non-weak
/// reference that nothing in the link defines fails the link, naming the
/// library and the symbol (GNU ld fails too); a library on the command
/// line defining it, or `--allow-shlib-undefined`, makes the link succeed.
#[test]
fn no_allow_shlib_undefined_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "shlib-undefined");
    let shim = make_shim(&dir);
    let files = [
        ("foo.c", "void baz(void);\nvoid foo(void) { baz(); }\n"),
        ("baz.c", "void baz(void) {}\n"),
        (
            "main.c",
            "void foo(void);\nint main(void) { foo(); return 0; }\n",
        ),
    ];
    write_all(&dir, &files);
    let run =
        |cmd: &mut Command, what: &str| must_succeed_within(cmd.current_dir(&dir), TIMEOUT, what);
    run(
        Command::new("gcc").args(["-fPIC", "-shared", "foo.c", "-o", "libfoo.so"]),
        "libfoo",
    );
    run(
        Command::new("gcc").args(["-fPIC", "-shared", "baz.c", "-o", "libbaz.so"]),
        "libbaz",
    );
    run(Command::new("gcc").args(["-c", "main.c"]), "main.o");
    for cld in [false, true] {
        let link = |extra: &[&str]| {
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            cmd.args(["main.o", "-L.", "-lfoo", "-o", "exe"])
                .args(extra);
            run_shown(&mut cmd, TIMEOUT)
        };
        let (r, shown) = link(&["-Wl,--no-allow-shlib-undefined"]);
        assert!(
            !r.success() && r.stderr.contains("libfoo.so") && r.stderr.contains("baz"),
            "cld={cld}: not refused{}",
            context(&r, &shown)
        );
        for extra in [
            &["-Wl,--no-allow-shlib-undefined", "-lbaz"][..],
            &["-Wl,--allow-shlib-undefined"][..],
        ] {
            let (r, shown) = link(extra);
            assert!(r.success(), "cld={cld}{}", context(&r, &shown));
        }
    }
}

/// `--as-needed` with `--gc-sections`: a library only dead code uses is
/// not DT_NEEDED (as lld and mold 2.x decide; GNU ld 2.40 and mold 1.10 keep it), and none
/// of its symbols is imported; one that live code uses stays needed.
#[test]
fn as_needed_libraries_used_only_by_dead_code_are_dropped() {
    require_tool("gcc", "gcc");
    require_tool("ld.lld", "lld");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "as-needed-gc");
    let shim = make_shim(&dir);
    let files = [
        ("foo.c", "int foo(void) { return 42; }\n"),
        ("bar.c", "int bar(void) { return 1; }\n"),
        (
            "prog.c",
            "int foo(void);\nint bar(void);\nint dead(void) { return foo(); }\n\
             int main(void) { return bar() - 1; }\n",
        ),
    ];
    write_all(&dir, &files);
    let run =
        |cmd: &mut Command, what: &str| must_succeed_within(cmd.current_dir(&dir), TIMEOUT, what);
    for lib in ["foo", "bar"] {
        run(
            Command::new("gcc").args([
                "-fPIC",
                "-shared",
                &format!("{lib}.c"),
                &format!("-Wl,-soname,lib{lib}.so"),
                "-o",
                &format!("lib{lib}.so"),
            ]),
            lib,
        );
    }
    run(
        Command::new("gcc").args(["-c", "-ffunction-sections", "prog.c"]),
        "prog.o",
    );
    for gc in [true, false] {
        let mut seen = Vec::new();
        for cld in [false, true] {
            let exe = format!("exe-{gc}-{cld}");
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            } else {
                cmd.arg("-fuse-ld=lld");
            }
            let gc_flag = if gc {
                "-Wl,--gc-sections"
            } else {
                "-Wl,--no-gc-sections"
            };
            cmd.args([
                "prog.o",
                "-Wl,--as-needed",
                gc_flag,
                "-L.",
                "-lfoo",
                "-lbar",
            ])
            .args(["-Wl,-rpath,.", "-o", &exe]);
            let (r, shown) = run_shown(&mut cmd, TIMEOUT);
            assert!(r.success(), "{}", context(&r, &shown));
            run(&mut Command::new(dir.join(&exe)), &exe);
            let d = readelf(&["-dW"], &dir.join(&exe)).unwrap().stdout;
            let dynsym = readelf(&["--dyn-syms", "-W"], &dir.join(&exe))
                .unwrap()
                .stdout;
            seen.push((
                d.contains("[libfoo.so]"),
                d.contains("[libbar.so]"),
                dynsym.lines().any(|l| l.ends_with(" foo")),
            ));
        }
        assert_eq!(seen[0], (!gc, true, !gc), "lld's link, gc={gc}");
        assert_eq!(seen[1], seen[0], "gc={gc}: cld differs from lld");
    }
}

/// Undefined symbols are shown demangled as GNU ld shows them: C++ names,
/// Rust v0 names (`_R`) and Rust legacy names (`_ZN...17h<hash>E`, without
/// the hash); in a link with an input rustc made (its `.comment` says so),
/// every `_ZN` name is taken as Rust's (as mold does). `--no-demangle`
/// shows the raw names.
#[test]
fn undefined_symbols_are_demangled_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("gnu_compat", "demangle");
    let shim = make_shim(&dir);
    let calls = "void _RNvCs1234_7mycrate3foo(void);\nvoid _ZN7mycrate3bar17h0123456789abcdefE(void);\n\
                 void _ZN2ns7versionEv(void);\n\
                 int main(void) { _RNvCs1234_7mycrate3foo(); _ZN7mycrate3bar17h0123456789abcdefE(); \
                 _ZN2ns7versionEv(); return 0; }\n";
    std::fs::write(dir.join("c.c"), calls).unwrap();
    std::fs::write(
        dir.join("r.c"),
        format!("{calls}__attribute__((section(\".comment\"))) char str[] = \"rustc version 1.0\\n\";\n"),
    )
    .unwrap();
    for f in ["c.c", "r.c"] {
        // r.c's .comment gets other flags than the assembler likes: a warning.
        must_succeed_within(
            Command::new("gcc").current_dir(&dir).args(["-c", f]),
            TIMEOUT,
            f,
        );
    }
    let names = |cld: bool, obj: &str, extra: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        let (r, shown) = run_shown(cmd.args([obj, "-o", "exe"]).args(extra), TIMEOUT);
        assert!(!r.success(), "linked{}", context(&r, &shown));
        let mut v: Vec<String> = r
            .stderr
            .lines()
            .filter_map(|l| {
                l.split_once("undefined reference to `")
                    .map(|(_, n)| n.trim_end_matches('\'').to_string())
                    .or_else(|| {
                        l.split_once("undefined symbol: ")
                            .map(|(_, n)| n.to_string())
                    })
            })
            .collect();
        v.sort();
        v
    };
    let gnu = names(false, "c.o", &[]);
    assert_eq!(gnu, ["mycrate::bar", "mycrate::foo", "ns::version()"]);
    assert_eq!(names(true, "c.o", &[]), gnu);
    assert_eq!(
        names(true, "r.o", &[]),
        ["mycrate::bar", "mycrate::foo", "ns::versionv"]
    );
    assert_eq!(
        names(true, "c.o", &["-Wl,--no-demangle"]),
        names(false, "c.o", &["-Wl,--no-demangle"])
    );
}

/// `-z rewrite-endbr` (mold's option): the `endbr64` of a global function
/// only ever called directly becomes a 4-byte `nop`; functions whose
/// address is taken (a callback, a function pointer, an alias's address,
/// `main` from `_start`), static ones (the assembler may resolve their
/// addresses with no relocation) and exported ones keep it. The program
/// runs the same; without the option nothing changes.
#[test]
fn rewrite_endbr_keeps_landing_pads_of_address_taken_functions() {
    require_tool("gcc", "gcc");
    require_tool("objdump", "binutils");
    let dir = fresh_work_dir("gnu_compat", "rewrite-endbr");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("eb.c"),
        "#include <stdio.h>\n#include <stdlib.h>\n\
         static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }\n\
         __attribute__((noinline)) int direct(int x) { return x + 1; }\n\
         __attribute__((noinline)) int taken(int x) { return x + 3; }\n\
         __attribute__((noinline)) int aliased(int x) { return x + 5; }\n\
         extern int alias(int) __attribute__((alias(\"aliased\")));\n\
         __attribute__((noinline)) int exported(int x) { return x + 7; }\n\
         int (*volatile fp)(int) = taken;\nint (*volatile fp2)(int) = alias;\n\
         int main(void) {\n  int v[] = {3, 1, 2};\n  qsort(v, 3, sizeof v[0], cmp);\n\
           printf(\"%d %d %d %d %d %d %d\\n\", v[0], v[1], v[2], direct(4), fp(5), fp2(6), exported(1));\n\
           return 0;\n}\n",
    )
    .unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-O1", "-fcf-protection", "eb.c"]),
        TIMEOUT,
        "compiling",
    );
    // Whether each function starts with endbr64.
    let pads = |exe: &str| {
        let d = must_succeed_within(
            Command::new("objdump").current_dir(&dir).args(["-d", exe]),
            TIMEOUT,
            "objdump",
        )
        .stdout;
        // objdump labels the aliased function with either of its names.
        [
            &["cmp"][..],
            &["direct"],
            &["taken"],
            &["aliased", "alias"],
            &["exported"],
            &["main"],
        ]
        .iter()
        .map(|names| {
            names.iter().any(|f| {
                d.split(&format!("<{f}>:\n"))
                    .nth(1)
                    .and_then(|rest| rest.lines().next())
                    .is_some_and(|l| l.contains("endbr64"))
            })
        })
        .collect::<Vec<_>>()
    };
    for (exe, flag) in [
        ("plain", "-Wl,-z,norelro"),
        ("rewritten", "-Wl,-z,rewrite-endbr"),
    ] {
        let (r, shown) = run_shown(
            Command::new("gcc").current_dir(&dir).args([
                "-B",
                &shim,
                "eb.o",
                "-o",
                exe,
                flag,
                "-Wl,--export-dynamic-symbol=exported",
            ]),
            TIMEOUT,
        );
        assert!(r.success(), "{}", context(&r, &shown));
        let out = must_succeed_within(&mut Command::new(dir.join(exe)), TIMEOUT, exe);
        assert_eq!(out.stdout, "1 2 3 5 8 11 8\n", "{exe}");
    }
    assert_eq!(pads("plain"), [true; 6]);
    assert_eq!(pads("rewritten"), [true, false, true, true, true, true]);
}

/// A static (local) IFUNC called and its address taken, in every output
/// mode and from a shared library: it resolves through a PLT entry and an
/// IRELATIVE relocation as GNU ld makes it, the program prints what GNU
/// ld's prints, and `.symtab` shows it as the local IFUNC it is.
#[test]
fn local_ifuncs_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "local-ifunc");
    let shim = make_shim(&dir);
    let files = [
        (
            "li.c",
            "#include <stdio.h>\ntypedef void Fn(void);\nstatic void real_a(void) { puts(\"real a\"); }\n\
             static Fn *resolve_a(void) { return real_a; }\n\
             __attribute__((ifunc(\"resolve_a\"))) static void a(void);\nFn *get_b(void);\n\
             int main(void) { Fn *p = a; a(); p(); get_b()(); printf(\"%d\\n\", p == a); return 0; }\n",
        ),
        (
            "lb.c",
            "#include <stdio.h>\ntypedef void Fn(void);\nstatic void real_b(void) { puts(\"real b\"); }\n\
             static Fn *resolve_b(void) { return real_b; }\n\
             __attribute__((ifunc(\"resolve_b\"))) static void b(void);\n\
             Fn *get_b(void) { b(); return b; }\n",
        ),
    ];
    write_all(&dir, &files);
    let modes: [&[&str]; 5] = [
        &["-pie", "-fPIE", "li.c", "lb.c"],
        &["-no-pie", "-fno-PIE", "li.c", "lb.c"],
        &["-static", "li.c", "lb.c"],
        &["-static-pie", "-fPIE", "li.c", "lb.c"],
        &["li.c", "./liblb.so"],
    ];
    for cld in [false, true] {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        let lib = format!("lib-{cld}.so");
        let (r, shown) = run_shown(cmd.args(["-shared", "-fPIC", "lb.c", "-o", &lib]), TIMEOUT);
        assert!(r.success(), "{}", context(&r, &shown));
    }
    for mode in modes {
        let mut outs = Vec::new();
        for cld in [false, true] {
            // The shared library comes from the same linker.
            std::fs::copy(dir.join(format!("lib-{cld}.so")), dir.join("liblb.so")).unwrap();
            let exe = format!("exe-{cld}");
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            let (r, shown) = run_shown(cmd.args(mode).args(["-o", &exe]), TIMEOUT);
            assert!(r.success(), "{mode:?}{}", context(&r, &shown));
            let out = must_succeed_within(
                Command::new(dir.join(&exe)).current_dir(&dir),
                TIMEOUT,
                &exe,
            );
            let symtab = readelf(&["-sW"], &dir.join(&exe)).unwrap().stdout;
            let a = symtab.lines().find(|l| l.ends_with(" a")).map(|l| {
                l.split_whitespace()
                    .skip(3)
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            assert!(
                !symtab.contains("local IFUNC"),
                "{mode:?}: an internal name leaked"
            );
            outs.push((out.stdout, a));
        }
        assert_eq!(
            outs[0].0, "real a\nreal a\nreal b\nreal b\n1\n",
            "GNU ld, {mode:?}"
        );
        assert_eq!(outs[1], outs[0], "{mode:?}");
    }
}

/// An executable's IFUNC that a shared library refers to is exported as a
/// plain function at its PLT entry (GNU ld's choice for non-PIE), so the
/// library and the program see one address and the dynamic linker never
/// runs the program's resolver early; cld does the same in a PIE (where
/// GNU ld 2.40's output fails to start).
#[test]
fn exported_ifunc_in_executable_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "ifunc-exported");
    let shim = make_shim(&dir);
    let files = [
        ("a.c", "typedef void Func(void);\nvoid foo(void);\nFunc *get_foo(void) { return foo; }\n"),
        (
            "c.c",
            "#include <stdio.h>\ntypedef void Func(void);\n\
             __attribute__((ifunc(\"resolve_foo\"))) void foo(void);\n\
             void real_foo(void) { printf(\"foo \"); }\nFunc *resolve_foo(void) { return real_foo; }\n\
             Func *get_foo(void);\n\
             int main(void) { printf(\"%d\\n\", foo == get_foo()); foo(); printf(\"\\n\"); return 0; }\n",
        ),
    ];
    write_all(&dir, &files);
    let run =
        |cmd: &mut Command, what: &str| must_succeed_within(cmd.current_dir(&dir), TIMEOUT, what);
    run(
        Command::new("gcc").args(["-fPIC", "-shared", "a.c", "-o", "libb.so"]),
        "libb.so",
    );
    for (pie, flags) in [(false, ["-no-pie", "-fno-PIE"]), (true, ["-pie", "-fPIE"])] {
        let mut seen = Vec::new();
        for cld in [false, true] {
            if pie && !cld {
                continue;
            }
            let exe = format!("exe-{pie}-{cld}");
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&dir);
            if cld {
                cmd.args(["-B", &shim]);
            }
            cmd.args(flags).args(["c.c", "./libb.so", "-o", &exe]);
            let (r, shown) = run_shown(&mut cmd, TIMEOUT);
            assert!(r.success(), "{}", context(&r, &shown));
            let out = run(&mut Command::new(dir.join(&exe)), &exe).stdout;
            assert_eq!(out, "1\nfoo \n", "{exe}");
            let dynsym = readelf(&["--dyn-syms", "-W"], &dir.join(&exe))
                .unwrap()
                .stdout;
            let foo = dynsym
                .lines()
                .find(|l| l.ends_with(" foo"))
                .map(|l| l.split_whitespace().nth(3).unwrap_or_default().to_string());
            seen.push(foo);
        }
        assert_eq!(seen[0].as_deref(), Some("FUNC"), "pie={pie}");
        if !pie {
            assert_eq!(seen[1], seen[0]);
        }
    }
}

/// `--emit-relocs` (also spelled `-emit-relocs`, not `-e mit-relocs`):
/// the output keeps a `.rela<section>` for each allocated section with
/// input relocations, with as many entries as GNU ld writes (none from
/// sections `--gc-sections` removed; but none for `.eh_frame`, which cld
/// rebuilds); each PC-relative one in `.text`
/// computes (S + A - P) the bytes the output holds there, relaxed GOT
/// loads are PC32 as in GNU ld, and the program still runs.
#[test]
fn emit_relocs_as_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("gnu_compat", "emit-relocs");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("er.c"),
        "#include <stdio.h>\nstatic const char msg[] = \"hello\";\nint g;\n\
         static int twice(int x) { return 2 * x; }\nint dead(void) { return twice(g); }\n\
         int (*fp)(int) = twice;\n\
         int main(void) { g++; puts(msg); return fp(g) - 2; }\n",
    )
    .unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-fPIC", "-ffunction-sections", "er.c"]),
        TIMEOUT,
        "compiling",
    );
    // (name, entries) of each relocation section but .rela.dyn/.rela.plt.
    let rela_sections = |exe: &str| {
        let r = readelf(&["-rW"], &dir.join(exe)).unwrap().stdout;
        let mut v: Vec<(String, usize)> = r
            .lines()
            .filter_map(|l| {
                let rest = l.strip_prefix("Relocation section '")?;
                let (name, tail) = rest.split_once('\'')?;
                let n = tail
                    .split("contains ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse()
                    .ok()?;
                // cld rebuilds .eh_frame and keeps none of its relocations.
                (![".rela.dyn", ".rela.plt", ".rela.eh_frame"].contains(&name))
                    .then(|| (name.to_string(), n))
            })
            .collect();
        v.sort();
        v
    };
    let mut seen = Vec::new();
    for cld in [false, true] {
        let exe = format!("er-{cld}");
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if cld {
            cmd.args(["-B", &shim]);
        }
        cmd.args(["er.o", "-Wl,-emit-relocs,--gc-sections", "-o", &exe]);
        let (r, shown) = run_shown(&mut cmd, TIMEOUT);
        assert!(r.success(), "{}", context(&r, &shown));
        let out = must_succeed_within(&mut Command::new(dir.join(&exe)), TIMEOUT, &exe);
        assert_eq!(out.stdout, "hello\n");
        seen.push(rela_sections(&exe));
    }
    assert!(
        seen[0].iter().any(|(n, _)| n == ".rela.text"),
        "{:?}",
        seen[0]
    );
    assert_eq!(seen[1], seen[0], "relocation sections differ from GNU ld's");

    // Self-consistency of cld's PC-relative relocations in .text.
    let exe = dir.join("er-true");
    let data = std::fs::read(&exe).unwrap();
    let sections = readelf(&["-SW"], &exe).unwrap().stdout;
    let text = sections
        .lines()
        .find(|l| l.contains(" .text "))
        .and_then(|l| l.split(']').nth(1))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let hex = |s: &str| u64::from_str_radix(s, 16).unwrap();
            (hex(w[2]), hex(w[3]), hex(w[4]))
        })
        .expect(".text");
    let relocs = readelf(&["-rW"], &exe).unwrap().stdout;
    let table = relocs.split("'.rela.text'").nth(1).expect(".rela.text");
    let mut checked = 0;
    for l in table.lines().skip(2).take_while(|l| !l.trim().is_empty()) {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() < 5 || w[2] != "R_X86_64_PC32" {
            continue;
        }
        let p = u64::from_str_radix(w[0], 16).unwrap();
        // With a symbol: value, name, sign, addend; without: the addend.
        let (s, a) = if w.len() >= 7 {
            let a = i64::from_str_radix(w[6], 16).unwrap();
            (
                u64::from_str_radix(w[3], 16).unwrap(),
                if w[5] == "-" { -a } else { a },
            )
        } else {
            (0, i64::from_str_radix(w[3], 16).unwrap())
        };
        let (addr, off, size) = text;
        if p < addr || p + 4 > addr + size {
            continue;
        }
        let at = (off + p - addr) as usize;
        let held = i32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let want = (s as i64).wrapping_add(a).wrapping_sub(p as i64) as i32;
        assert_eq!(held, want, "{l}");
        checked += 1;
    }
    assert!(
        checked >= 3,
        "only {checked} PC32 relocations checked:\n{table}"
    );
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
