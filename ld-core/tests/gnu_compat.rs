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
