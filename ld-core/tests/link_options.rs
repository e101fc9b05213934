//! Link options change the output the way GNU ld's do: each case links
//! `tests/c/hello` through `gcc -B <shim>` with one option, runs the program
//! (same output and status as the plain link), requires `readelf -aW` to be
//! quiet, and checks the option's effect in `readelf` output.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn run(cmd: &mut Command, what: &str) -> RunResult {
    let shown = show_command(cmd);
    let r = run_with_timeout(cmd, TIMEOUT)
        .unwrap_or_else(|e| panic!("{what}: cannot run {shown}: {e}"));
    assert!(
        r.success(),
        "{what} failed ({}):\n  {shown}\nstdout:\n{}\nstderr:\n{}",
        r.describe_status(),
        r.stdout,
        r.stderr
    );
    r
}

fn readelf(out: &Path, flags: &[&str]) -> String {
    let r = run(Command::new("readelf").args(flags).arg(out), "readelf");
    assert!(
        r.stderr.is_empty(),
        "readelf {flags:?} warned on {}:\n{}",
        out.display(),
        r.stderr
    );
    r.stdout
}

/// Links hello with `flags`, runs it, and returns `readelf -aW` of the output.
fn link_hello(name: &str, flags: &[&str]) -> String {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("link_options", name);
    let shim = make_shim(&dir);
    let src = c_tests_dir().join("hello").join("main.c");
    let expected =
        std::fs::read_to_string(c_tests_dir().join("hello").join("expected.out")).unwrap();
    let out = dir.join("out");
    run(
        Command::new("gcc")
            .arg("-B")
            .arg(&shim)
            .args(flags)
            .arg(&src)
            .arg("-o")
            .arg(&out),
        &format!("linking hello with {flags:?}"),
    );
    let r = run(
        &mut Command::new(&out),
        &format!("running hello linked with {flags:?}"),
    );
    assert_eq!(
        r.stdout, expected,
        "hello linked with {flags:?} printed the wrong output"
    );
    let all = readelf(&out, &["-aW"]);
    assert!(
        !all.contains("Warning"),
        "readelf -aW reports a warning for {flags:?}:\n{all}"
    );
    all
}

#[test]
fn z_now_sets_bind_now() {
    let lazy = link_hello("lazy", &[]);
    assert!(
        !lazy.contains("BIND_NOW"),
        "a default link must bind lazily"
    );
    let now = link_hello("now", &["-Wl,-z,now"]);
    assert!(
        now.contains("(FLAGS)") && now.contains("BIND_NOW"),
        "-z now must set DF_BIND_NOW:\n{now}"
    );
    assert!(
        now.contains("(FLAGS_1)") && now.contains("NOW"),
        "-z now must set DF_1_NOW"
    );
}

#[test]
fn hash_styles() {
    let both = link_hello("hash_both", &["-Wl,--hash-style=both"]);
    assert!(
        both.contains(" .hash ") && both.contains(" .gnu.hash "),
        "--hash-style=both needs both tables"
    );
    let sysv = link_hello("hash_sysv", &["-Wl,--hash-style=sysv"]);
    assert!(
        sysv.contains(" .hash ") && !sysv.contains(" .gnu.hash "),
        "--hash-style=sysv: only .hash"
    );
    let gnu = link_hello("hash_gnu", &["-Wl,--hash-style=gnu"]);
    assert!(
        !gnu.contains(" .hash ") && gnu.contains(" .gnu.hash "),
        "--hash-style=gnu: only .gnu.hash"
    );
}

#[test]
fn strip_all_and_strip_debug() {
    let full = link_hello("debug", &["-g"]);
    assert!(
        full.contains(" .symtab ") && full.contains(" .debug_info "),
        "-g output keeps .symtab and .debug_info"
    );
    let s = link_hello("strip_all", &["-g", "-s"]);
    assert!(
        !s.contains(" .symtab ") && !s.contains(" .debug_info "),
        "-s drops .symtab and debug info"
    );
    let sd = link_hello("strip_debug", &["-g", "-Wl,-S"]);
    assert!(
        sd.contains(" .symtab ") && !sd.contains(" .debug_info "),
        "-S drops debug info only"
    );
}

#[test]
fn export_dynamic_exports_main() {
    let plain = link_hello("no_export", &[]);
    let dynsym = |a: &str| {
        a.split("Symbol table '.dynsym'")
            .nth(1)
            .unwrap_or("")
            .split("Symbol table")
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert!(
        !dynsym(&plain).contains(" main"),
        "main must not be exported by default"
    );
    let e = link_hello("export", &["-Wl,--export-dynamic"]);
    assert!(
        dynsym(&e).contains(" main"),
        "--export-dynamic must put main in .dynsym"
    );
}

#[test]
fn rpath_and_runpath() {
    // Debian's GNU ld defaults to new dtags: -rpath gives DT_RUNPATH.
    let r = link_hello("runpath", &["-Wl,-rpath,/opt/cld-a:/opt/cld-b"]);
    assert!(
        r.contains("(RUNPATH)") && r.contains("/opt/cld-a:/opt/cld-b"),
        "-rpath must set DT_RUNPATH by default"
    );
    let rp = link_hello(
        "rpath",
        &["-Wl,-rpath,/opt/cld-a", "-Wl,--disable-new-dtags"],
    );
    assert!(
        rp.contains("(RPATH)") && !rp.contains("(RUNPATH)"),
        "--disable-new-dtags must set DT_RPATH"
    );
}

#[test]
fn relro_and_stack() {
    let d = link_hello("relro", &[]);
    assert!(d.contains("GNU_RELRO"), "relro is the default");
    let stack = d
        .lines()
        .find(|l| l.contains("GNU_STACK"))
        .unwrap()
        .to_string();
    assert!(
        stack.contains("RW ") && !stack.contains("RWE"),
        "stack must not be executable: {stack}"
    );
    let n = link_hello("norelro", &["-Wl,-z,norelro"]);
    assert!(
        !n.contains("GNU_RELRO"),
        "-z norelro must drop PT_GNU_RELRO"
    );
    let x = link_hello("execstack", &["-Wl,-z,execstack"]);
    let stack = x
        .lines()
        .find(|l| l.contains("GNU_STACK"))
        .unwrap()
        .to_string();
    assert!(
        stack.contains("RWE"),
        "-z execstack must make the stack executable: {stack}"
    );
}

#[test]
fn build_id() {
    let b = link_hello("build_id", &["-Wl,--build-id"]);
    assert!(
        b.contains("NT_GNU_BUILD_ID") && b.contains("Build ID:"),
        "--build-id must write a build-id note"
    );
    let b2 = link_hello("build_id_hex", &["-Wl,--build-id=0xc1d0c1d0"]);
    assert!(
        b2.contains("Build ID: c1d0c1d0"),
        "--build-id=0xHEX must write those bytes"
    );
}

#[test]
fn entry_option() {
    // `-e my_entry` starts the program at my_entry, which exits with 7.
    let dir = fresh_work_dir("link_options", "entry");
    let shim = make_shim(&dir);
    let src = dir.join("entry.c");
    std::fs::write(
        &src,
        "#include <unistd.h>\nvoid my_entry(void) { _exit(7); }\nint main(void) { return 0; }\n",
    )
    .unwrap();
    let out = dir.join("out");
    run(
        Command::new("gcc")
            .arg("-B")
            .arg(&shim)
            .arg("-Wl,-e,my_entry")
            .arg(&src)
            .arg("-o")
            .arg(&out),
        "linking with -e my_entry",
    );
    let r = run_with_timeout(&mut Command::new(&out), TIMEOUT).unwrap();
    assert_eq!(
        r.code(),
        Some(7),
        "-e my_entry: the program must start at my_entry ({})",
        r.describe_status()
    );
    let all = readelf(&out, &["-hsW"]);
    let entry = all
        .lines()
        .find(|l| l.contains("Entry point address"))
        .unwrap();
    let entry = u64::from_str_radix(
        entry
            .split_whitespace()
            .last()
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let sym = all.lines().find(|l| l.ends_with(" my_entry")).unwrap();
    let sym = u64::from_str_radix(sym.split_whitespace().nth(1).unwrap(), 16).unwrap();
    assert_eq!(entry, sym, "the entry point must be my_entry's address");
}

#[test]
fn gnu_linker_outputs_are_reproducible() {
    // The same command line twice gives the same bytes (no time stamps,
    // nothing from the environment): the base of the concurrent protocol's
    // byte-identical guarantee.
    let dir = fresh_work_dir("link_options", "repro");
    let shim = make_shim(&dir);
    let src = c_tests_dir().join("hello").join("main.c");
    let obj = dir.join("main.o");
    run(
        Command::new("gcc").arg("-c").arg(&src).arg("-o").arg(&obj),
        "compiling hello",
    );
    let mut outs = Vec::new();
    for i in 0..2 {
        let out = dir.join(format!("out{i}"));
        run(
            Command::new("gcc")
                .arg("-B")
                .arg(&shim)
                .arg("-Wl,--build-id")
                .arg(&obj)
                .arg("-o")
                .arg(&out),
            "linking hello",
        );
        outs.push(std::fs::read(&out).unwrap());
    }
    assert!(
        outs[0] == outs[1],
        "two links of the same command line differ"
    );
}

/// `.note.gnu.property` is combined from the inputs as GNU ld does: the
/// same "Properties:" lines and a PT_GNU_PROPERTY segment when there is a
/// note. With the C runtime's objects (crti.o has no note) only "ISA
/// needed" survives; a freestanding program built entirely with
/// `-fcf-protection=full` keeps IBT and SHSTK.
#[test]
fn gnu_property_notes_match_gnu_ld() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("link_options", "gnu_property");
    let shim = make_shim(&dir);
    let hello = c_tests_dir().join("hello").join("main.c");
    let bare = dir.join("bare.c");
    std::fs::write(
        &bare,
        "void _start(void) {\n\
         \x20   __asm__ volatile(\"mov $60, %eax\\n xor %edi, %edi\\n syscall\");\n\
         }\n",
    )
    .unwrap();
    let props = |out: &Path| -> (Vec<String>, bool) {
        let notes = readelf(out, &["-nW"]);
        let lines = notes
            .lines()
            .filter(|l| l.contains("Properties:"))
            .map(|l| l.trim().to_string())
            .collect();
        (lines, readelf(out, &["-lW"]).contains("GNU_PROPERTY"))
    };
    let cases: [(&str, &Path, &[&str]); 4] = [
        ("plain", &hello, &[]),
        ("cet", &hello, &["-fcf-protection=full"]),
        ("cet-static", &hello, &["-fcf-protection=full", "-static"]),
        (
            "freestanding-cet",
            &bare,
            &["-fcf-protection=full", "-static", "-nostdlib", "-O1"],
        ),
    ];
    let mut seen_feature = false;
    for (name, src, flags) in cases {
        let mut outs = Vec::new();
        for (linker, extra) in [("cld", Some(&shim)), ("ld", None)] {
            let out = dir.join(format!("{name}-{linker}"));
            let mut cmd = Command::new("gcc");
            if let Some(s) = extra {
                cmd.arg("-B").arg(s);
            }
            run(
                cmd.args(flags).arg(src).arg("-o").arg(&out),
                &format!("linking {name} with {linker}"),
            );
            run(
                &mut Command::new(&out),
                &format!("running {name} ({linker})"),
            );
            outs.push(props(&out));
        }
        assert_eq!(
            outs[0], outs[1],
            "{name}: cld's properties / PT_GNU_PROPERTY differ from GNU ld's"
        );
        assert!(
            outs[0].1 != outs[0].0.is_empty(),
            "{name}: PT_GNU_PROPERTY without a note, or a note without it"
        );
        seen_feature |= outs[0].0.iter().any(|l| l.contains("IBT, SHSTK"));
    }
    assert!(
        seen_feature,
        "the freestanding -fcf-protection program must keep IBT and SHSTK"
    );
}

/// CIEs are shared across objects as GNU ld shares them: a C++ program of
/// two objects that throws across them gets as many CIEs as GNU ld gives
/// it (not one per object), and still catches its exceptions.
#[test]
fn eh_frame_cies_are_shared_across_objects() {
    require_tool("g++", "g++");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("link_options", "cie_sharing");
    let shim = make_shim(&dir);
    let src = repo_root().join("tests/cpp/exceptions");
    let expected = std::fs::read_to_string(src.join("expected.out")).unwrap();
    let cies = |out: &Path| {
        readelf(out, &["--debug-dump=frames"])
            .lines()
            .filter(|l| l.contains(" CIE"))
            .count()
    };
    let mut counts = Vec::new();
    for (linker, with_shim) in [("cld", true), ("ld", false)] {
        let out = dir.join(format!("prog-{linker}"));
        let mut cmd = Command::new("g++");
        if with_shim {
            cmd.arg("-B").arg(&shim);
        }
        run(
            cmd.arg("-O1")
                .arg(src.join("main.cpp"))
                .arg(src.join("thrower.cpp"))
                .arg("-o")
                .arg(&out),
            &format!("linking tests/cpp/exceptions with {linker}"),
        );
        let mut prog = Command::new(&out);
        let r = run_with_timeout(&mut prog, TIMEOUT).unwrap();
        assert_eq!(
            r.stdout, expected,
            "tests/cpp/exceptions linked by {linker} printed the wrong output"
        );
        counts.push(cies(&out));
    }
    assert_eq!(
        counts[0], counts[1],
        "cld's output has {} CIEs, GNU ld's {}",
        counts[0], counts[1]
    );
}

#[test]
fn build_id_sha256_and_fast_are_32_bytes() {
    for style in ["sha256", "fast"] {
        let out = link_hello(
            &format!("bid_{style}"),
            &[&format!("-Wl,--build-id={style}")],
        );
        let id = out
            .lines()
            .find_map(|l| l.split("Build ID: ").nth(1))
            .map(str::trim)
            .unwrap_or_else(|| panic!("--build-id={style}: no build ID note:\n{out}"));
        assert_eq!(id.len(), 64, "--build-id={style}: {id}");
    }
}

#[test]
fn z_rodynamic_and_nosectionheader() {
    let out = link_hello("rodynamic", &["-Wl,-z,rodynamic"]);
    let dynamic = out
        .lines()
        .find(|l| l.contains(" .dynamic ") && l.contains("DYNAMIC"))
        .unwrap_or_else(|| panic!("no .dynamic section:\n{out}"));
    assert!(
        dynamic.split_whitespace().any(|w| w == "A"),
        "-z rodynamic: .dynamic is still writable: {dynamic}"
    );
    assert!(
        !out.contains("(DEBUG)"),
        "-z rodynamic keeps DT_DEBUG, which ld.so writes"
    );
    let out = link_hello("nosectionheader", &["-Wl,-z,nosectionheader"]);
    assert!(
        out.lines().any(|l| l.contains("Size of section headers:") && l.trim_end().ends_with(" 0 (bytes)")),
        "-z nosectionheader: a section header table is still described:\n{out}"
    );
    assert!(out.contains("There are no sections in this file"), "{out}");
}

/// Local symbols in .symtab: assembler-local `.L` names are dropped with
/// `-X`, kept with `--discard-none`; `-x` drops every local, as GNU ld does.
#[test]
fn discard_locals_options_as_gnu_ld() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("link_options", "discard");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("a.s"),
        "  .text\n  .globl _start\n_start:\n  mov $60, %eax\n  xor %edi, %edi\n  syscall\nlocal_fn:\n  nop\n.Lasm_local:\n  nop\n",
    )
    .unwrap();
    run(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-Wa,-L", "a.s"]),
        "assembling a.s",
    );
    let symbols = |cld: bool, flag: Option<&str>| -> (bool, bool) {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir)
            .args(["-nostdlib", "-static", "a.o", "-o", "exe"]);
        if cld {
            cmd.args(["-B", &shim]);
        }
        cmd.args(flag);
        run(&mut cmd, &format!("linking with {flag:?}"));
        let s = readelf(&dir.join("exe"), &["-sW"]);
        (s.contains(" local_fn"), s.contains(".Lasm_local"))
    };
    for flag in [Some("-Wl,-X"), Some("-Wl,-x"), Some("-Wl,--discard-none")] {
        assert_eq!(symbols(true, flag), symbols(false, flag), "{flag:?}");
    }
    assert_eq!(symbols(true, Some("-Wl,--discard-none")), (true, true));
    assert!(!symbols(true, Some("-Wl,-x")).0);
    // By default cld drops `.L` names as mold does (GNU ld keeps them
    // unless told -X; gas emits them only with -L).
    assert_eq!(symbols(true, None), (true, false));
}

#[test]
fn package_metadata_note_as_gnu_ld() {
    let note = |text: &str| -> String {
        text.lines()
            .find(|l| l.contains("FDO_PACKAGING_METADATA"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    // %XX escapes (a comma would split gcc's -Wl, argument); GNU ld 2.40
    // takes the text as it is, so it is compared on plain JSON below.
    let escaped = "-Wl,--package-metadata=%7B%22type%22%3A%22rpm%22%2C%22name%22%3A%22hello%22%7D";
    let ours = link_hello("package_metadata", &[escaped]);
    assert!(
        note(&ours).ends_with(r#"Packaging Metadata: {"type":"rpm","name":"hello"}"#),
        "{}",
        note(&ours)
    );
    let plain = r#"-Wl,--package-metadata={"type":"rpm"}"#;
    let ours = link_hello("package_metadata_plain", &[plain]);
    let dir = fresh_work_dir("link_options", "package_metadata_gnu");
    let out = dir.join("ref");
    run(
        Command::new("gcc")
            .arg(c_tests_dir().join("hello").join("main.c"))
            .arg(plain)
            .arg("-o")
            .arg(&out),
        "GNU ld",
    );
    let theirs = note(&readelf(&out, &["-nW"]));
    assert!(!theirs.is_empty(), "TEST BUG: GNU ld wrote no package note");
    assert_eq!(note(&ours), theirs);
}

#[test]
fn max_page_size_aligns_load_segments() {
    for size in ["65536", "0x200000"] {
        let flag = format!("-Wl,-z,max-page-size={size}");
        let out = link_hello(
            &format!("max_page_{size}"),
            &[&flag, "-Wl,-z,separate-loadable-segments"],
        );
        let want = format!("0x{:x}", if size == "65536" { 65536 } else { 0x200000 });
        let aligns: Vec<&str> = out
            .lines()
            .filter(|l| l.trim_start().starts_with("LOAD"))
            .filter_map(|l| l.split_whitespace().last())
            .collect();
        assert!(
            !aligns.is_empty() && aligns.iter().all(|a| *a == want),
            "{size}: {aligns:?}"
        );
    }
}

/// `-z x86-64-v3` and `-z shstk` mark the output's `.note.gnu.property` as
/// GNU ld marks it.
#[test]
fn isa_level_and_shstk_properties_as_gnu_ld() {
    let props = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("x86 ISA needed") || l.contains("x86 feature"))
            .map(|l| l.trim().to_string())
            .collect()
    };
    for flags in [
        &["-Wl,-z,x86-64-v3"][..],
        &["-Wl,-z,shstk"][..],
        &["-Wl,-z,x86-64-v2", "-Wl,-z,shstk"][..],
    ] {
        let ours = link_hello(&format!("props{}", flags.len()), flags);
        let dir = fresh_work_dir("link_options", "props_gnu");
        let out = dir.join("ref");
        run(
            Command::new("gcc")
                .arg(c_tests_dir().join("hello").join("main.c"))
                .args(flags)
                .arg("-o")
                .arg(&out),
            "GNU ld",
        );
        let theirs = props(&readelf(&out, &["-nW"]));
        assert!(
            !theirs.is_empty(),
            "TEST BUG: GNU ld wrote no x86 properties for {flags:?}"
        );
        assert_eq!(props(&ours), theirs, "{flags:?}");
    }
}
