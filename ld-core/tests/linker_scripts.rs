//! GNU ld linker scripts beyond `INPUT`/`GROUP`: programs compiled by gcc
//! and linked with a script through cld and through GNU ld (`ld.bfd`), run,
//! and compared where GNU ld's semantics are precise: symbol values
//! (`nm`), what the programs print, the entry point, dynamic symbols.
//! GNU ld's `-T` replaces its default script (with no `SECTIONS`, the
//! output is laid out from scratch), while a script given as an input adds
//! to it; cld keeps its default layout in both cases, so GNU ld is always
//! given the script as an input, and cld in each way.
//! Scripts are given with `-T`, `--script=` and as inputs; a background
//! (concurrent) link of a script must equal the serial link byte for byte.
//! Errors must name the script and the line.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(300);

fn setup(name: &str, files: &[(&str, &str)]) -> (PathBuf, String) {
    require_tool("gcc", "gcc");
    require_tool("nm", "binutils");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("linker_scripts", name);
    let shim = make_shim(&dir);
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
        if name.ends_with(".c") {
            must_succeed_within(
                Command::new("gcc")
                    .current_dir(&dir)
                    .args(["-c", "-fPIC", name]),
                TIMEOUT,
                &format!("compiling {name}"),
            );
        }
    }
    (dir, shim)
}

/// Links with gcc through cld (`cld`) or GNU ld (a `-T` script given as
/// an input, see the module comment); panics on failure.
fn link(dir: &Path, shim: &str, cld: bool, args: &[&str]) {
    if cld {
        return link_as_is(dir, shim, cld, args);
    }
    // `-T FILE`, `-Wl,-T,FILE`, `-Wl,--script=FILE` -> FILE.
    let mut as_input = Vec::new();
    let mut it = args.iter();
    while let Some(&a) = it.next() {
        if a == "-T" {
            as_input.push(*it.next().unwrap());
        } else if let Some(f) = a
            .strip_prefix("-Wl,-T,")
            .or_else(|| a.strip_prefix("-Wl,--script="))
        {
            as_input.push(f);
        } else {
            as_input.push(a);
        }
    }
    link_as_is(dir, shim, cld, &as_input)
}

/// Links with gcc through cld (`cld`) or GNU ld, the arguments as given
/// to both (a `-T` script replaces GNU ld's default one); panics on failure.
fn link_as_is(dir: &Path, shim: &str, cld: bool, args: &[&str]) {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir);
    if cld {
        cmd.args(["-B", shim]);
    } else {
        cmd.arg("-fuse-ld=bfd");
    }
    let (r, shown) = run_shown(cmd.args(args), TIMEOUT);
    assert!(
        r.success(),
        "link failed (cld={cld}){}",
        context(&r, &shown)
    );
}

/// The link's stderr; it must fail.
fn link_fails(dir: &Path, shim: &str, args: &[&str]) -> String {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir).args(["-B", shim]).args(args);
    let (r, shown) = run_shown(&mut cmd, TIMEOUT);
    assert!(!r.success(), "link should fail{}", context(&r, &shown));
    assert!(
        r.status.code() != Some(101),
        "cld panicked{}",
        context(&r, &shown)
    );
    r.stderr
}

/// `nm` of `file`: name -> (value, type letter in lower case: GNU ld makes
/// hidden symbols local, cld keeps them global and hidden).
fn nm(file: &Path) -> HashMap<String, (u64, char)> {
    let out = must_succeed_within(Command::new("nm").arg(file), TIMEOUT, "nm");
    out.stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let v = u64::from_str_radix(w.next()?, 16).ok()?;
            let t = w.next()?.chars().next()?.to_ascii_lowercase();
            Some((w.next()?.to_string(), (v, t)))
        })
        .collect()
}

/// `readelf -SW`: section name -> (address, size).
fn sections(file: &Path) -> HashMap<String, (u64, u64)> {
    let out = must_succeed_within(
        Command::new("readelf").arg("-SW").arg(file),
        TIMEOUT,
        "readelf",
    );
    out.stdout
        .lines()
        .filter_map(|l| {
            let l = l.split_once(']')?.1;
            let w: Vec<&str> = l.split_whitespace().collect();
            let addr = u64::from_str_radix(w.get(2)?, 16).ok()?;
            let size = u64::from_str_radix(w.get(4)?, 16).ok()?;
            Some((w[0].to_string(), (addr, size)))
        })
        .collect()
}

fn run(exe: &Path) -> String {
    must_succeed_within(&mut Command::new(exe), TIMEOUT, "running the program").stdout
}

const PROG: &str = "#include <stdio.h>\n\
    extern char foo[], bar[], baz[], big[], sel[];\nint get(void);\n\
    int main(void) { printf(\"%p %p %p %p %p %d\\n\", (void *)foo, (void *)bar, (void *)baz,\n\
    (void *)big, (void *)sel, get()); return 0; }\n";
const LIB: &str = "int val = 7;\nint get(void) { return 42; }\n";

/// Absolute and symbol-relative assignments, PROVIDE (used and unused),
/// HIDDEN, compound assignment, the operators and K/M suffixes, ASSERT:
/// the same values as GNU ld, through `-T`, `--script=` and as an input.
#[test]
fn symbol_assignments_as_gnu_ld() {
    let script = "/* assignments */\nfoo = 0x1000;\nbar = foo + 4K;\n\
        PROVIDE(baz = get + 16);\nPROVIDE(unused = 5);\nHIDDEN(hid = 1 << 4);\n\
        big = 2M - (3 * 4) / 2 % 5 | 0x30 & ~0xf0 | 1 << 3 >> 1;\nbig += 0x100;\n\
        sel = DEFINED(get) && !DEFINED(nothing) ? (foo > 10 ? MAX(1, 7) : 2) : MIN(3, 4);\n\
        ASSERT(foo == 4096, \"foo is wrong\")\n";
    let (dir, shim) = setup("assign", &[("a.c", PROG), ("b.c", LIB), ("s.ld", script)]);
    for how in [&["-Wl,-T,s.ld"][..], &["-Wl,--script=s.ld"], &["s.ld"]] {
        let mut seen = Vec::new();
        for cld in [false, true] {
            let mut args = vec!["-no-pie", "a.o", "b.o", "-o", "exe"];
            args.extend_from_slice(how);
            link(&dir, &shim, cld, &args);
            let syms = nm(&dir.join("exe"));
            let pick: Vec<_> = ["foo", "bar", "baz", "hid", "big", "sel"]
                .iter()
                .map(|n| (n.to_string(), syms.get(*n).copied()))
                .collect();
            assert!(
                !syms.contains_key("unused"),
                "cld={cld}: unused PROVIDE defined"
            );
            // baz is get + 16 whoever placed get.
            assert_eq!(syms["baz"].0, syms["get"].0 + 16, "cld={cld}");
            seen.push((pick, run(&dir.join("exe"))));
        }
        let (gnu, ours) = (&seen[0], &seen[1]);
        for ((name, g), (_, c)) in gnu.0.iter().zip(&ours.0) {
            if name == "baz" {
                continue; // placement-dependent: checked above
            }
            assert_eq!(c, g, "{how:?}: symbol {name}");
        }
        // Every printed value but baz's (the third) is the same.
        let fields = |s: &str| -> Vec<String> {
            s.split_whitespace()
                .enumerate()
                .filter(|(i, _)| *i != 2)
                .map(|(_, w)| w.to_string())
                .collect()
        };
        assert_eq!(
            fields(&ours.1),
            fields(&gnu.1),
            "{how:?}: {} vs {}",
            ours.1,
            gnu.1
        );
        assert!(ours.1.starts_with("0x1000 0x2000 "), "{}", ours.1);
    }
}

/// ADDR, SIZEOF, ALIGNOF, ALIGN(a, n), SIZEOF_HEADERS and
/// CONSTANT(MAXPAGESIZE) describe each linker's own output.
#[test]
fn section_functions_describe_the_output() {
    let script = "text_start = ADDR(.text);\ndata_size = SIZEOF(.data);\n\
        data_align = ALIGNOF(.data);\ntext_end_up = ALIGN(ADDR(.text) + SIZEOF(.text), 0x100);\n\
        page = CONSTANT(MAXPAGESIZE);\nhdrs = SIZEOF_HEADERS;\n";
    let (dir, shim) = setup(
        "section-functions",
        &[
            (
                "a.c",
                "int data[5] = {1};\nint main(void) { return data[0] - 1; }\n",
            ),
            ("s.ld", script),
        ],
    );
    let mut letters = Vec::new();
    for cld in [false, true] {
        link(
            &dir,
            &shim,
            cld,
            &["-no-pie", "a.o", "-T", "s.ld", "-o", "exe"],
        );
        let exe = dir.join("exe");
        let syms = nm(&exe);
        let secs = sections(&exe);
        assert_eq!(syms["text_start"].0, secs[".text"].0, "cld={cld}");
        assert_eq!(syms["data_size"].0, secs[".data"].1, "cld={cld}");
        let (t, ts) = secs[".text"];
        assert_eq!(syms["text_end_up"].0, (t + ts + 0xff) & !0xff, "cld={cld}");
        assert_eq!(syms["page"].0, 0x1000, "cld={cld}");
        assert_eq!(
            syms["data_align"].0,
            32.min(syms["data_align"].0.max(4)),
            "cld={cld}"
        );
        let hdrs = syms["hdrs"].0;
        assert!(
            hdrs >= 64 + 56 * 4 && (hdrs - 64).is_multiple_of(56),
            "cld={cld}: {hdrs}"
        );
        letters.push(["text_start", "data_size", "text_end_up", "page", "hdrs"].map(|n| syms[n].1));
    }
    // ADDR() keeps its section (`t`), sizes and constants are absolute.
    assert_eq!(letters[1], letters[0], "symbol types (cld, GNU ld)");
    assert_eq!(letters[0][0], 't');
}

/// `bar = foo;` in an input script of a shared library makes `bar` the
/// very function (`FUNC` in `.dynsym`), which a program calls; as GNU ld.
#[test]
fn alias_in_a_shared_library_as_gnu_ld() {
    let (dir, shim) = setup(
        "alias",
        &[
            ("a.c", "int foo(void) { return 42; }\n"),
            ("s.ld", "bar = foo;\n"),
            (
                "m.c",
                "#include <stdio.h>\nint bar(void);\nint main(void) { printf(\"%d\\n\", bar()); return 0; }\n",
            ),
        ],
    );
    for cld in [false, true] {
        link(
            &dir,
            &shim,
            cld,
            &["-shared", "-o", "libb.so", "s.ld", "a.o"],
        );
        let dynsym = must_succeed_within(
            Command::new("readelf")
                .args(["--dyn-syms", "-W"])
                .arg(dir.join("libb.so")),
            TIMEOUT,
            "readelf",
        );
        let line = dynsym
            .stdout
            .lines()
            .find(|l| l.ends_with(" bar"))
            .unwrap_or_else(|| panic!("cld={cld}: no bar in .dynsym:\n{}", dynsym.stdout));
        assert!(line.contains("FUNC"), "cld={cld}: {line}");
        link(
            &dir,
            &shim,
            false,
            &["-o", "exe", "m.o", "-L.", "-lb", "-Wl,-rpath,$ORIGIN"],
        );
        assert_eq!(run(&dir.join("exe")), "42\n", "cld={cld}");
    }
}

/// `ENTRY` sets the entry point unless `-e` does; `EXTERN` pulls an
/// archive member as `-u` would.
#[test]
fn entry_and_extern_as_gnu_ld() {
    let (dir, shim) = setup(
        "entry",
        &[
            (
                "a.c",
                "#include <unistd.h>\nint main(void) { return 0; }\n\
                 void my_start(void) { write(1, \"my_start\\n\", 9); _exit(0); }\n\
                 void other_start(void) { write(1, \"other\\n\", 6); _exit(0); }\n",
            ),
            ("m.c", "int member_sym = 5;\n"),
            ("s.ld", "ENTRY(my_start)\nEXTERN(member_sym)\n"),
        ],
    );
    must_succeed_within(
        Command::new("ar")
            .current_dir(&dir)
            .args(["rcs", "libm1.a", "m.o"]),
        TIMEOUT,
        "ar",
    );
    for cld in [false, true] {
        link(
            &dir,
            &shim,
            cld,
            &["-no-pie", "a.o", "-T", "s.ld", "libm1.a", "-o", "exe"],
        );
        let exe = dir.join("exe");
        let syms = nm(&exe);
        assert!(
            syms.contains_key("member_sym"),
            "cld={cld}: EXTERN did not pull the member"
        );
        let hdr = must_succeed_within(
            Command::new("readelf").arg("-hW").arg(&exe),
            TIMEOUT,
            "readelf",
        );
        let entry = hdr
            .stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix("Entry point address:"))
            .map(|v| u64::from_str_radix(v.trim().trim_start_matches("0x"), 16).unwrap())
            .unwrap();
        assert_eq!(entry, syms["my_start"].0, "cld={cld}");
        assert_eq!(run(&exe), "my_start\n", "cld={cld}");
        // -e beats the script's ENTRY.
        link(
            &dir,
            &shim,
            cld,
            &[
                "-no-pie",
                "a.o",
                "-T",
                "s.ld",
                "libm1.a",
                "-Wl,-e,other_start",
                "-o",
                "exe",
            ],
        );
        assert_eq!(run(&exe), "other\n", "cld={cld}");
    }
}

/// `INCLUDE` reads another script in place (beside the first, or in a
/// `-L` directory).
#[test]
fn include_reads_the_named_script() {
    let (dir, shim) = setup(
        "include",
        &[
            (
                "a.c",
                "extern char inc[];\nint main(void) { return inc == (char *)0x1234 ? 0 : 1; }\n",
            ),
            ("s.ld", "INCLUDE inner.ld\n"),
            ("inner.ld", "inc = 0x1234;\n"),
        ],
    );
    link(
        &dir,
        &shim,
        true,
        &["-no-pie", "a.o", "-T", "s.ld", "-o", "exe"],
    );
    run(&dir.join("exe"));
}

/// Bad scripts fail with `FILE:LINE: what`, never a panic.
#[test]
fn script_errors_name_file_and_line() {
    let (dir, shim) = setup("errors", &[("a.c", "int main(void) { return 0; }\n")]);
    let cases = [
        (
            "x = 1;\nASSERT(x == 2, \"x must be 2\")\n",
            "bad.ld:2: x must be 2",
        ),
        (
            "\ny = missing_sym + 1;\n",
            "bad.ld:2: undefined symbol 'missing_sym' referenced in expression",
        ),
        (
            "z = ADDR(.nosuch);\n",
            "bad.ld:1: undefined section '.nosuch' referenced in expression",
        ),
        (
            "z = 1 / (2 - 2);\n",
            "bad.ld:1: division by zero in expression",
        ),
        (
            "MEMORY { rom : ORIGIN = 0, LENGTH = 1K }\n",
            "bad.ld:1: MEMORY in linker scripts is not supported yet",
        ),
        (
            "x = 1 +;\n",
            "bad.ld:1: expected an expression but found ';'",
        ),
        ("x = 1\ny = 2;\n", "bad.ld:2: expected ';' but found 'y'"),
        ("x = .;\n", "bad.ld:1: '.' may only be used inside SECTIONS"),
        ("INCLUDE nonexistent.ld\n", "bad.ld:1: INCLUDE:"),
    ];
    for (text, want) in cases {
        std::fs::write(dir.join("bad.ld"), text).unwrap();
        let err = link_fails(&dir, &shim, &["a.o", "-Wl,-T,bad.ld", "-o", "exe"]);
        assert!(
            err.contains(want),
            "script {text:?}: expected {want:?} in:\n{err}"
        );
    }
}

/// A background link given a script (with `-T`) waits into the same bytes
/// as the serial link.
#[test]
fn concurrent_link_with_a_script_matches_serial() {
    let (dir, shim) = setup(
        "concurrent",
        &[
            ("a.c", PROG),
            ("b.c", LIB),
            (
                "s.ld",
                "foo = 0x1000;\nbar = foo + 4K;\nbaz = get;\nbig = 1;\nsel = 2;\n",
            ),
        ],
    );
    link(
        &dir,
        &shim,
        true,
        &["-no-pie", "a.o", "b.o", "-Wl,-T,s.ld", "-o", "serial"],
    );
    let start = must_succeed_within(
        Command::new("gcc").current_dir(&dir).args([
            "-B",
            &shim,
            "-no-pie",
            "a.o",
            "-Wl,-T,s.ld",
            "-Wl,--concurrent-inotify,--start-concurrent,b.o,--end-concurrent",
            "-o",
            "concurrent",
        ]),
        TIMEOUT,
        "starting the background link",
    );
    let token = start.stdout.trim().to_string();
    assert!(!token.is_empty(), "no token: {}", start.stderr);
    must_succeed_within(
        Command::new(cld_binary())
            .current_dir(&dir)
            .arg(format!("--concurrent-wait={token}")),
        TIMEOUT,
        "cld --concurrent-wait",
    );
    let a = std::fs::read(dir.join("serial")).unwrap();
    let b = std::fs::read(dir.join("concurrent")).unwrap();
    assert!(a == b, "the background link differs from the serial one");
    assert!(run(&dir.join("concurrent")).starts_with("0x1000 0x2000 "));
}

const SECTIONS_PROG: &str = "#include <stdio.h>\n\
    __attribute__((section(\".fn1\"))) void fn1(void) { printf(\"fn1\\n\"); }\n\
    __attribute__((section(\".fn2\"))) void fn2(void) { printf(\"fn2\\n\"); }\n\
    __attribute__((section(\".mydata.b\"))) int b1 = 2;\n\
    __attribute__((section(\".mydata.a\"))) int a1 = 1;\n\
    __attribute__((section(\".junk\"))) int junk = 9;\n\
    __attribute__((section(\".both1\"))) int c1 = 3;\n\
    __attribute__((section(\".both2\"))) int c2 = 4;\n\
    extern char fns_start[], fns_end[], mydata_start[], mydata_end[];\n\
    int main(void) { fn1(); fn2(); printf(\"%d %d %ld %d\\n\", a1, b1,\n\
    (long)(mydata_end - mydata_start), fns_start < fns_end); return 0; }\n";

/// `SECTIONS`: input sections renamed into output sections, `KEEP`,
/// `SORT`, `/DISCARD/`, `ALIGN(n)`, an output section at an address,
/// symbols at the start and end of output sections and after them, a first
/// `. = 0x400000 + SIZEOF_HEADERS;`. GNU ld's `-T` output of a partial
/// script does not run (its default layout is gone), so the two are
/// compared on what the script decides: which sections exist, their
/// addresses where the script fixes them, alignments, symbol values
/// relative to their sections, the order SORT and the rules give; cld's
/// program must run.
#[test]
fn sections_place_and_name_as_gnu_ld() {
    let script = "SECTIONS {\n  . = 0x400000 + SIZEOF_HEADERS;\n\
        .text : { *(.text .text.*) }\n  . = ALIGN(0x1000);\n\
        .fns : { fns_start = .; KEEP(*(.fn2)) *(.fn1) fns_end = .; }\n  after_fns = .;\n\
        .mydata : ALIGN(64) { mydata_start = .; *(SORT(.mydata.*)) mydata_end = .; }\n\
        .fixed 0x900000 : { *(.fixed) }\n\
        .both : { *(.both1) both_mid = .; *(.both2) both_end = .; . = ALIGN(0x100); both_up = .; }\n\
        /DISCARD/ : { *(.junk) }\n}\n";
    let fixed = "__attribute__((section(\".fixed\"), used)) static const int f = 5;\n";
    let (dir, shim) = setup(
        "sections",
        &[("a.c", SECTIONS_PROG), ("f.c", fixed), ("s.ld", script)],
    );
    let mut seen = Vec::new();
    for cld in [false, true] {
        // GNU ld gets the script with -T (as an input it would add to its
        // default script, which has its own .text).
        link_as_is(
            &dir,
            &shim,
            cld,
            &["-no-pie", "a.o", "f.o", "-Wl,-T,s.ld", "-o", "exe"],
        );
        let exe = dir.join("exe");
        let syms = nm(&exe);
        let secs = sections(&exe);
        let out = must_succeed_within(
            Command::new("readelf").arg("-SW").arg(&exe),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        let align_of = |name: &str| -> u64 {
            let l = out
                .lines()
                .find(|l| l.contains(&format!(" {name} ")))
                .unwrap();
            l.split_whitespace().last().unwrap().parse().unwrap()
        };
        assert!(
            !secs.contains_key(".junk"),
            "cld={cld}: /DISCARD/ kept .junk"
        );
        let (fns, fns_size) = secs[".fns"];
        let (md, md_size) = secs[".mydata"];
        assert_eq!(fns % 0x1000, 0, "cld={cld}: . = ALIGN(0x1000) before .fns");
        assert_eq!(syms["fns_start"].0, fns, "cld={cld}");
        assert_eq!(syms["fns_end"].0, fns + fns_size, "cld={cld}");
        assert_eq!(syms["after_fns"].0, fns + fns_size, "cld={cld}");
        assert_eq!(syms["mydata_start"].0, md, "cld={cld}");
        assert_eq!(syms["mydata_end"].0, md + md_size, "cld={cld}");
        assert_eq!(md % 64, 0, "cld={cld}");
        assert_eq!(align_of(".mydata"), 64, "cld={cld}");
        // SORT: .mydata.a before .mydata.b.
        assert_eq!(syms["a1"].0, md, "cld={cld}");
        assert_eq!(syms["b1"].0, md + 4, "cld={cld}");
        // KEEP(*(.fn2)) comes first.
        assert_eq!(syms["fn2"].0, fns, "cld={cld}");
        assert!(syms["fn1"].0 > fns, "cld={cld}");
        assert_eq!(secs[".fixed"].0, 0x900000, "cld={cld}");
        // Between input section descriptions, `.` is where the inputs so
        // far end.
        let (both, both_size) = secs[".both"];
        assert_eq!(syms["c1"].0, both, "cld={cld}");
        assert_eq!(syms["both_mid"].0, both + 4, "cld={cld}");
        assert_eq!(syms["c2"].0, both + 4, "cld={cld}");
        assert_eq!(syms["both_end"].0, both + 8, "cld={cld}");
        assert_eq!(syms["both_up"].0, (both + 8 + 0xff) & !0xff, "cld={cld}");
        let _ = both_size;
        // The headers start the image at 0x400000.
        let first = secs
            .values()
            .map(|s| s.0)
            .filter(|&a| a != 0)
            .min()
            .unwrap();
        assert!(
            (0x400000..0x401000).contains(&first),
            "cld={cld}: {first:#x}"
        );
        let types: Vec<char> = ["fns_start", "mydata_end", "after_fns"]
            .iter()
            .map(|n| syms[*n].1)
            .collect();
        seen.push(types);
        if cld {
            assert_eq!(run(&exe), "fn1\nfn2\n1 2 8 1\n");
        }
    }
    assert_eq!(seen[1], seen[0], "symbol types (GNU ld, cld)");
}

/// What SECTIONS cld does not do yet is refused with FILE:LINE.
#[test]
fn unsupported_sections_features_are_refused() {
    let (dir, shim) = setup(
        "sections-unsupported",
        &[("a.c", "int main(void) { return 0; }\n")],
    );
    let cases = [
        (
            "SECTIONS {\n .nothing : { LONG(1) }\n}\n",
            "bad.ld:2: BYTE/SHORT/LONG/QUAD in an output section without input sections (.nothing) is not supported yet",
        ),
        (
            "SECTIONS {\n .data : AT(0x1000) { *(.data) }\n}\n",
            "bad.ld:2: AT (a load address) in SECTIONS",
        ),
        (
            "SECTIONS {\n .data : { *(.data) } >ram\n}\n",
            "bad.ld:2: a memory region (>REGION) in SECTIONS",
        ),
        (
            "SECTIONS {\n .data : { *(.data) . = ALIGN(8); *(.data.*) }\n}\n",
            "bad.ld:2: '. = ALIGN(n)' between input section descriptions",
        ),
        (
            "SECTIONS {\n .text : { *(.text) }\n . = . + 0x1000;\n}\n",
            "bad.ld:3: '. =' with anything but a constant, ALIGN(n) or a segment adjustment in SECTIONS",
        ),
        (
            "PHDRS { text PT_LOAD; }\n",
            "bad.ld:1: PHDRS in linker scripts is not supported yet",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.join("bad.ld"), text).unwrap();
        let err = link_fails(&dir, &shim, &["a.o", "-Wl,-T,bad.ld", "-o", "exe"]);
        assert!(
            err.contains(want),
            "script {text:?}: expected {want:?} in:\n{err}"
        );
    }
}

/// GNU ld's own default script (`ld.bfd --verbose`) given with `-T`: cld
/// links with it (its segment adjustments, `ONLY_IF_RO`/`ONLY_IF_RW`,
/// `SEGMENT_START`, `PROVIDE`s of `.`) and the program prints what GNU ld's
/// link with the same script prints; both put the image at 0x400000.
#[test]
fn gnu_lds_default_script_links() {
    require_tool("ld.bfd", "binutils");
    let verbose = must_succeed_within(
        Command::new("ld.bfd").arg("--verbose"),
        TIMEOUT,
        "ld.bfd --verbose",
    )
    .stdout;
    let script: String = verbose
        .split("==================================================")
        .nth(1)
        .expect("no script in ld --verbose")
        .to_string();
    let (dir, shim) = setup(
        "default-script",
        &[
            ("a.c", PROG),
            ("b.c", LIB),
            (
                "s.ld",
                "foo = 0x1000;\nbar = foo + 4K;\nbaz = get;\nbig = 1;\nsel = 2;\n",
            ),
            ("default.ld", &script),
        ],
    );
    let mut outs = Vec::new();
    for cld in [false, true] {
        link_as_is(
            &dir,
            &shim,
            cld,
            &[
                "-no-pie",
                "a.o",
                "b.o",
                "s.ld",
                "-Wl,-T,default.ld",
                "-o",
                "exe",
            ],
        );
        let exe = dir.join("exe");
        let secs = sections(&exe);
        assert_eq!(secs[".interp"].0 & !0xfff, 0x400000, "cld={cld}");
        // `_end = .;` after `. = ALIGN(8)` still belongs to a section.
        assert_eq!(nm(&exe)["_end"].1, 'b', "cld={cld}");
        let out = run(&exe);
        // baz (get's address) differs.
        outs.push(
            out.split_whitespace()
                .enumerate()
                .filter(|(i, _)| *i != 2)
                .map(|(_, w)| w.to_string())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(outs[1], outs[0]);
}

const DATA_PROG: &str = "#include <stdio.h>\n\
    __attribute__((section(\".tab.a\"), used)) static const long ta = 0x11;\n\
    __attribute__((section(\".tab.b\"), used)) static const long tb = 0x22;\n\
    extern const unsigned char tab_start[], tab_mid[], tab_end[], after_byte[];\n\
    int main(void) {\n\
      printf(\"%ld %ld\\n\", (long)(tab_mid - tab_start), (long)(tab_end - tab_start));\n\
      for (const unsigned char *q = tab_start; q < tab_end; q++) printf(\"%02x\", *q);\n\
      printf(\"\\n%ld\\n\", (long)(after_byte - tab_start));\n\
      return 0;\n\
    }\n";

/// Data statements (`BYTE`, `SHORT`, `LONG`, `QUAD`) among input sections,
/// with symbols and `.` around and inside them. `INSERT AFTER .rodata`
/// makes GNU ld keep its default layout, so its program runs too: both
/// print the same table, bytes and offsets.
#[test]
fn data_statements_as_gnu_ld() {
    let script = "SECTIONS {\n  .tab : {\n    tab_start = .;\n    QUAD(0xdeadbeefcafef00d)\n\
        *(.tab.a)\n    BYTE(0x7f) after_byte = .; SHORT(0x1234)\n    tab_mid = .;\n\
        LONG(tab_mid - tab_start)\n    *(.tab.b)\n    QUAD(. - tab_start)\n    tab_end = .;\n  }\n}\n\
        INSERT AFTER .rodata;\n";
    let (dir, shim) = setup("data", &[("a.c", DATA_PROG), ("s.ld", script)]);
    let mut outs = Vec::new();
    for cld in [false, true] {
        link_as_is(
            &dir,
            &shim,
            cld,
            &["-no-pie", "a.o", "-Wl,-T,s.ld", "-o", "exe"],
        );
        outs.push(run(&dir.join("exe")));
    }
    assert_eq!(outs[1], outs[0]);
    assert_eq!(
        outs[1],
        "19 40\n0df0fecaefbeadde11000000000000007f341213000000002200000000000000\
         2000000000000000\n17\n"
    );
}

/// `(NOLOAD)` makes the output section `SHT_NOBITS` (its initialized input
/// is not loaded: the program sees zeros), as GNU ld does; a read-only
/// input there is refused.
#[test]
fn noload_sections_as_gnu_ld() {
    let prog = "#include <stdio.h>\n__attribute__((section(\".mynoinit\"))) int keep_me[1024] = {1, 2, 3};\n\
                int main(void) { keep_me[5] = 7; printf(\"%d %d\\n\", keep_me[0], keep_me[5]); return 0; }\n";
    let (dir, shim) = setup(
        "noload",
        &[
            ("a.c", prog),
            (
                "s.ld",
                "SECTIONS { .mynoinit (NOLOAD) : { *(.mynoinit) } } INSERT AFTER .bss;\n",
            ),
            ("ro.ld", "SECTIONS {\n .ro (NOLOAD) : { *(.rodata*) }\n}\n"),
        ],
    );
    let mut outs = Vec::new();
    for cld in [false, true] {
        link_as_is(&dir, &shim, cld, &["a.o", "-Wl,-T,s.ld", "-o", "exe"]);
        let exe = dir.join("exe");
        let out = must_succeed_within(
            Command::new("readelf").arg("-SW").arg(&exe),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        let line = out
            .lines()
            .find(|l| l.contains(".mynoinit"))
            .unwrap()
            .to_string();
        assert!(line.contains("NOBITS"), "cld={cld}: {line}");
        outs.push(run(&exe));
    }
    assert_eq!(outs[1], outs[0]);
    assert_eq!(outs[1], "0 7\n");
    let err = link_fails(&dir, &shim, &["a.o", "-Wl,-T,ro.ld", "-o", "exe"]);
    assert!(
        err.contains("ro.ld:2: (NOLOAD) output section .ro would hold the read-only section"),
        "{err}"
    );
}

/// Output sections of one kind come in the script's order; `KEEP` keeps an
/// unreferenced section under `--gc-sections`, which drops one without it:
/// as GNU ld (with `INSERT AFTER .data`).
#[test]
fn script_order_and_keep_under_gc_sections_as_gnu_ld() {
    let prog = "#include <stdio.h>\n__attribute__((section(\".zz\"))) int z = 1;\n\
                __attribute__((section(\".yy\"))) int y = 2;\n\
                __attribute__((section(\".keepme\"), used)) static int k = 3;\n\
                __attribute__((section(\".dropme\"), used)) static int d = 4;\n\
                int main(void) { printf(\"%d %d\\n\", z, y); return 0; }\n";
    let script = "SECTIONS { .yy : { *(.yy) } .zz : { *(.zz) } .keepme : { KEEP(*(.keepme)) }\n\
                  .dropme : { *(.dropme) } } INSERT AFTER .data;\n";
    let (dir, shim) = setup("order-keep", &[("a.c", prog), ("s.ld", script)]);
    let mut seen = Vec::new();
    for cld in [false, true] {
        link_as_is(
            &dir,
            &shim,
            cld,
            &["a.o", "-Wl,-T,s.ld", "-Wl,--gc-sections", "-o", "exe"],
        );
        let exe = dir.join("exe");
        assert_eq!(run(&exe), "1 2\n", "cld={cld}");
        let secs = sections(&exe);
        assert!(secs[".yy"].0 < secs[".zz"].0, "cld={cld}: script order");
        seen.push((secs.contains_key(".keepme"), secs.contains_key(".dropme")));
    }
    assert_eq!(
        seen[1], seen[0],
        "(kept .keepme, kept .dropme): GNU ld, cld"
    );
    assert_eq!(seen[1], (true, false));
}

/// `--start-stop` (mold's option): `__start_NAME`/`__stop_NAME` bound every
/// output section, `NAME` without its leading dot.
#[test]
fn start_stop_bounds_every_output_section() {
    let (dir, shim) = setup(
        "start-stop",
        &[("a.c", "int d = 1;\nint main(void) { return d - 1; }\n")],
    );
    must_succeed_within(
        Command::new("gcc").current_dir(&dir).args([
            "-B",
            &shim,
            "a.o",
            "-Wl,--start-stop",
            "-o",
            "exe",
        ]),
        TIMEOUT,
        "link",
    );
    let exe = dir.join("exe");
    run(&exe);
    let syms = nm(&exe);
    let secs = sections(&exe);
    for name in ["text", "data", "rodata"] {
        let (addr, size) = secs[&format!(".{name}")];
        assert_eq!(syms[&format!("__start_{name}")].0, addr, "{name}");
        assert_eq!(syms[&format!("__stop_{name}")].0, addr + size, "{name}");
    }
}

/// `--zero-to-bss` (mold's option): a writable section of zeros takes no
/// file space; read-only ones and the program's behaviour are unchanged.
#[test]
fn zero_to_bss_makes_writable_zeros_nobits() {
    let prog = "#include <stdio.h>\n__attribute__((section(\".zero\"))) char zero[256];\n\
                __attribute__((section(\".const\"))) const char konst[256];\n\
                int main(void) { zero[3] = 1; printf(\"%d %d\\n\", zero[3] + zero[4], konst[5]); return 0; }\n";
    let (dir, shim) = setup("zero-to-bss", &[("a.c", prog)]);
    for (flag, zero_type) in [("(no option)", "PROGBITS"), ("-Wl,--zero-to-bss", "NOBITS")] {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir)
            .args(["-B", &shim, "a.o", "-o", "exe"]);
        if flag.ends_with("--zero-to-bss") {
            cmd.arg(flag);
        }
        must_succeed_within(&mut cmd, TIMEOUT, flag);
        let exe = dir.join("exe");
        assert_eq!(run(&exe), "1 0\n");
        let out = must_succeed_within(
            Command::new("readelf").arg("-SW").arg(&exe),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        let ty = |name: &str| {
            let l = out.lines().find(|l| l.contains(name)).unwrap();
            l.split_once(']')
                .unwrap()
                .1
                .split_whitespace()
                .nth(1)
                .unwrap()
                .to_string()
        };
        assert_eq!(ty(" .zero "), zero_type, "{flag}");
        assert_eq!(ty(" .const "), "PROGBITS", "{flag}");
    }
}

/// `-r` has no layout for a script's assignments or SECTIONS: refused,
/// naming the script; INPUT alone is fine.
#[test]
fn relocatable_link_refuses_assignments() {
    let (dir, _shim) = setup(
        "relocatable",
        &[
            ("a.c", "int f(void) { return 1; }\n"),
            ("s.ld", "x = 1;\n"),
            ("i.ld", "INPUT(a.o)\n"),
        ],
    );
    let r = must_fail(
        Command::new(cld_binary())
            .current_dir(&dir)
            .args(["-r", "-o", "r.o", "s.ld", "a.o"]),
    );
    assert!(
        r.contains(
            "s.ld: linker script commands other than INPUT and GROUP are not supported with -r"
        ),
        "{r}"
    );
    must_succeed_within(
        Command::new(cld_binary())
            .current_dir(&dir)
            .args(["-r", "-o", "r.o", "i.ld"]),
        TIMEOUT,
        "cld -r i.ld",
    );
}

fn must_fail(cmd: &mut Command) -> String {
    let (r, shown) = run_shown(cmd, TIMEOUT);
    assert!(!r.success(), "should fail{}", context(&r, &shown));
    assert!(
        r.status.code() != Some(101),
        "panicked{}",
        context(&r, &shown)
    );
    r.stderr
}

/// `VERSION { ... }` in a linker script is a version script: the same
/// exported names and versions as GNU ld; a mistake in it names the script.
#[test]
fn version_command_as_gnu_ld() {
    let (dir, shim) = setup(
        "version",
        &[
            (
                "a.c",
                "int foo(void) { return 1; }\nint bar(void) { return 2; }\n",
            ),
            (
                "v.ld",
                "/* exports */\nVERSION {\n  V1 { global: foo; local: *; };\n}\n",
            ),
            ("bad.ld", "VERSION {\n  V1 { global: foo; local: * }\n}\n"),
        ],
    );
    let mut seen = Vec::new();
    for cld in [false, true] {
        link(
            &dir,
            &shim,
            cld,
            &["-shared", "-o", "libv.so", "a.o", "v.ld"],
        );
        let d = must_succeed_within(
            Command::new("readelf")
                .args(["--dyn-syms", "-W"])
                .arg(dir.join("libv.so")),
            TIMEOUT,
            "readelf",
        )
        .stdout;
        let mut names: Vec<String> = d
            .lines()
            .filter(|l| l.contains(" GLOBAL ") && l.contains("FUNC"))
            .filter_map(|l| l.split_whitespace().last().map(str::to_string))
            .collect();
        names.sort();
        seen.push(names);
    }
    assert_eq!(seen[1], seen[0], "(GNU ld, cld)");
    assert_eq!(seen[1], vec!["foo@@V1".to_string()]);
    let err = link_fails(&dir, &shim, &["-shared", "-o", "libv.so", "a.o", "bad.ld"]);
    assert!(err.contains("bad.ld:2: expected ';'"), "{err}");
}
