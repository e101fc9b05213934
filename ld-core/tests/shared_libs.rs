//! Shared libraries made by cld: each case in `tests/shared/<case>/` has a
//! `build.sh` (compiles with `$CC`, links every library and program with
//! `$LINK`), a `run.sh` that prints what the programs do, and
//! `expected.out`. Every case is built twice, once with the system linker
//! and once with cld behind `gcc -B <shim>`; both runs must print
//! `expected.out`. Every ELF file cld wrote must be quiet under
//! `readelf -aW` and name cld in `.comment`.
//!
//! Further tests check `-z defs`, `--no-undefined`, `--dynamic-list`,
//! `--export-dynamic-symbol` and what `-shared` puts in the dynamic section.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

fn shared_dir() -> PathBuf {
    repo_root().join("tests").join("shared")
}

fn sh(dir: &Path, script: &Path, link: &str) -> RunResult {
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .current_dir(dir)
        .env("SRC", script.parent().unwrap())
        .env("CC", "gcc")
        .env("LINK", link);
    let shown = show_command(&cmd);
    run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn elf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            elf_files(&p, out);
        } else if let Ok(b) = std::fs::read(&p) {
            // Linked outputs only: ET_EXEC or ET_DYN, not relocatable objects.
            if b.len() > 18 && &b[..4] == b"\x7fELF" && (b[16] == 2 || b[16] == 3) {
                out.push(p);
            }
        }
    }
}

fn run_case(name: &str) {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let src = shared_dir().join(name);
    let expected = std::fs::read_to_string(src.join("expected.out")).unwrap();
    let mut linkers: Vec<(&str, String)> = vec![("system", "gcc".to_string())];
    let dir = fresh_work_dir("shared_libs", name);
    let cld_dir = dir.join("cld");
    std::fs::create_dir_all(&cld_dir).unwrap();
    linkers.push(("cld", format!("gcc -B{}", make_shim(&dir))));
    for (who, link) in &linkers {
        let work = dir.join(who);
        std::fs::create_dir_all(&work).unwrap();
        let b = sh(&work, &src.join("build.sh"), link);
        assert!(
            b.success(),
            "{name}: build with the {who} linker failed ({}):\n{}\n{}",
            b.describe_status(),
            b.stdout,
            b.stderr
        );
        let r = sh(&work, &src.join("run.sh"), link);
        assert!(
            r.success(),
            "{name}: run.sh with the {who} linker's build failed ({}):\n{}\n{}",
            r.describe_status(),
            r.stdout,
            r.stderr
        );
        assert!(
            r.stdout == expected,
            "{name}: output of the {who} linker's build differs from expected.out:\n{}",
            line_diff(&expected, &r.stdout)
        );
        if *who == "cld" {
            let mut files = Vec::new();
            elf_files(&work, &mut files);
            assert!(!files.is_empty(), "{name}: cld wrote no ELF files");
            for f in files {
                let r =
                    run_with_timeout(Command::new("readelf").arg("-aW").arg(&f), TIMEOUT).unwrap();
                assert!(
                    r.stderr.is_empty(),
                    "{name}: readelf -aW warns on {}:\n{}",
                    f.display(),
                    r.stderr
                );
                if linker_override().is_none() {
                    let c = run_with_timeout(
                        Command::new("readelf").args(["-p", ".comment"]).arg(&f),
                        TIMEOUT,
                    )
                    .unwrap();
                    assert!(
                        c.stdout.contains("cld "),
                        "{name}: {} was not linked by cld (.comment: {})",
                        f.display(),
                        c.stdout
                    );
                }
            }
        }
    }
}

/// foo@V1 and foo@@V2 from one library; old and new programs bind the right one.
#[test]
fn versions() {
    run_case("versions");
}

/// TLS in a shared library: GD, LD, IE and descriptors, across threads.
#[test]
fn tls() {
    run_case("tls");
}

/// Preemption: the program interposes default-visibility symbols, not
/// protected or hidden ones, and nothing under -Bsymbolic.
#[test]
fn interpose() {
    run_case("interpose");
}

/// A plugin loaded with dlopen calls back into the program.
#[test]
fn dlopen() {
    run_case("dlopen");
}

/// Links `src` (C source text) into a shared library with extra flags.
fn link_so(name: &str, src: &str, flags: &[&str]) -> (RunResult, PathBuf) {
    link_so_in(&fresh_work_dir("shared_libs", name), src, flags)
}

/// Like `link_so`, in a prepared work directory.
fn link_so_in(dir: &Path, src: &str, flags: &[&str]) -> (RunResult, PathBuf) {
    require_tool("gcc", "gcc");
    let dir = dir.to_path_buf();
    let shim = make_shim(&dir);
    let c = dir.join("lib.c");
    std::fs::write(&c, src).unwrap();
    let out = dir.join("lib.so");
    let mut cmd = Command::new("gcc");
    cmd.arg(format!("-B{shim}"))
        .args(["-shared", "-fPIC", "-O2"])
        .arg(&c)
        .args(flags)
        .arg("-o")
        .arg(&out);
    (run_with_timeout(&mut cmd, TIMEOUT).unwrap(), out)
}

fn readelf(flags: &[&str], f: &Path) -> String {
    let r = run_with_timeout(Command::new("readelf").args(flags).arg(f), TIMEOUT).unwrap();
    assert!(r.stderr.is_empty(), "readelf warns: {}", r.stderr);
    r.stdout
}

/// Names defined in the dynamic symbol table.
fn dyn_defined(f: &Path) -> Vec<String> {
    readelf(&["--dyn-syms", "-W"], f)
        .lines()
        .filter_map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            (v.len() >= 8 && v[6] != "UND" && v[0].ends_with(':')).then(|| v[7].to_string())
        })
        .collect()
}

const UNDEF_SRC: &str = "extern int missing(void);\nint f(void) { return missing(); }\n";

#[test]
fn undefined_symbols_allowed_by_default() {
    let (r, out) = link_so("undef_default", UNDEF_SRC, &[]);
    assert!(r.success(), "link failed: {}", r.stderr);
    let syms = readelf(&["--dyn-syms", "-W"], &out);
    assert!(
        syms.lines()
            .any(|l| l.contains(" UND missing") && l.contains("GLOBAL")),
        "missing should be a global undefined dynamic symbol:\n{syms}"
    );
}

#[test]
fn z_defs_reports_undefined_symbols() {
    for flag in ["-Wl,-z,defs", "-Wl,--no-undefined"] {
        let (r, out) = link_so("undef_zdefs", UNDEF_SRC, &[flag]);
        assert!(!r.success(), "{flag}: link should fail");
        assert!(
            r.stderr.contains("undefined symbol: missing") && r.stderr.contains("referenced by")
                || r.stderr.contains("undefined reference to `missing'"),
            "{flag}: message should name the symbol: {}",
            r.stderr
        );
        assert!(!out.exists(), "{flag}: no output on failure");
    }
}

#[test]
fn soname_needed_and_no_entry() {
    let (r, out) = link_so(
        "soname",
        "#include <math.h>\ndouble f(double x) { return sqrt(x) + cos(x); }\n",
        &["-Wl,-soname,libfoo.so.3", "-lm", "-fno-builtin"],
    );
    assert!(r.success(), "link failed: {}", r.stderr);
    let d = readelf(&["-dW"], &out);
    assert!(d.contains("Library soname: [libfoo.so.3]"), "{d}");
    assert!(d.contains("Shared library: [libm.so.6]"), "{d}");
    let h = readelf(&["-hlW"], &out);
    assert!(h.contains("DYN (Shared object file)"), "{h}");
    assert!(h.contains("Entry point address:               0x0"), "{h}");
    assert!(
        !h.contains("INTERP"),
        "a shared library has no PT_INTERP:\n{h}"
    );
}

#[test]
fn version_script_local_and_wildcards() {
    let dir = fresh_work_dir("shared_libs", "vscript_wild");
    let map = dir.join("v.map");
    std::fs::write(
        &map,
        "LIB_1 {\n  global:\n    api_*;\n    \"exact_one\";\n  local:\n    *;\n};\n",
    )
    .unwrap();
    let (r, out) = link_so_in(
        &dir,
        "int api_a(void){return 1;}\nint api_b(void){return 2;}\nint exact_one(void){return 3;}\nint internal(void){return 4;}\n",
        &[&format!("-Wl,--version-script={}", map.display())],
    );
    assert!(r.success(), "link failed: {}", r.stderr);
    let defined = dyn_defined(&out);
    for want in ["api_a@@LIB_1", "api_b@@LIB_1", "exact_one@@LIB_1"] {
        assert!(
            defined.iter().any(|d| d == want),
            "{want} missing: {defined:?}"
        );
    }
    assert!(
        !defined.iter().any(|d| d.starts_with("internal")),
        "{defined:?}"
    );
}

#[test]
fn version_script_cxx_patterns() {
    require_tool("g++", "g++");
    let dir = fresh_work_dir("shared_libs", "vscript_cxx");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("lib.cpp"),
        "namespace api { int f(int x) { return x; } int g() { return 2; } }\nnamespace detail { int h() { return 3; } }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("v.map"),
        "{ global: extern \"C++\" { api::*; }; local: *; };\n",
    )
    .unwrap();
    let out = dir.join("lib.so");
    let r = run_with_timeout(
        Command::new("g++")
            .arg(format!("-B{shim}"))
            .args(["-shared", "-fPIC"])
            .arg(dir.join("lib.cpp"))
            .arg(format!(
                "-Wl,--version-script={}",
                dir.join("v.map").display()
            ))
            .arg("-o")
            .arg(&out),
        TIMEOUT,
    )
    .unwrap();
    assert!(r.success(), "link failed: {}", r.stderr);
    let defined = dyn_defined(&out);
    assert!(defined.contains(&"_ZN3api1fEi".to_string()), "{defined:?}");
    assert!(defined.contains(&"_ZN3api1gEv".to_string()), "{defined:?}");
    assert!(!defined.iter().any(|d| d.contains("detail")), "{defined:?}");
}

#[test]
fn version_script_errors_name_the_file() {
    let dir = fresh_work_dir("shared_libs", "vscript_bad");
    let map = dir.join("bad.map");
    std::fs::write(&map, "V1 { global: foo;\n").unwrap();
    let (r, _) = link_so_in(
        &dir,
        "int foo(void){return 1;}\n",
        &[&format!("-Wl,--version-script={}", map.display())],
    );
    assert!(!r.success());
    assert!(r.stderr.contains("bad.map"), "{}", r.stderr);
}

#[test]
fn dynamic_list_limits_preemption() {
    // With a dynamic list, listed symbols stay preemptible (called through
    // the PLT); the rest bind locally.
    let dir = fresh_work_dir("shared_libs", "dynlist");
    let list = dir.join("d.list");
    std::fs::write(&list, "{ pre; };\n").unwrap();
    let (r, out) = link_so_in(
        &dir,
        "__attribute__((noinline)) int pre(void){return 1;}\n__attribute__((noinline)) int loc(void){return 2;}\nint both(void){return pre() + loc();}\n",
        &[&format!("-Wl,--dynamic-list={}", list.display())],
    );
    assert!(r.success(), "link failed: {}", r.stderr);
    let rel = readelf(&["-rW"], &out);
    assert!(rel.contains("JUMP_SLOT") && rel.contains(" pre"), "{rel}");
    assert!(!rel.contains(" loc"), "loc should bind locally:\n{rel}");
    // Both are still exported.
    let defined = dyn_defined(&out);
    assert!(defined.contains(&"loc".to_string()), "{defined:?}");
}
