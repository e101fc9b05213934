//! Rust through cargo, end to end: `examples/rust-workspace` (serde +
//! serde_derive + serde_json, a build script, a cdylib, a panicking bin, unit,
//! integration and doc tests) built by cargo with cld as the linker of every
//! artifact, through the workspace's own `.cargo/config.toml`
//! (`linker = "tools/cc-cld"`, `-C linker-features=-lld`).
//!
//! - The shim directory is `cld --print-shim-dir` (`CLD_SHIM_DIR` for
//!   `tools/cc-cld`); the reference build uses the same wrapper and flags with
//!   GNU ld (`ld.bfd`) behind it, so only the linker differs.
//! - Every ELF file cargo produced (bins, test harnesses, build scripts, the
//!   proc-macro `.so`, the cdylib) must name cld in `.comment`.
//! - `app` must print what the reference `app` prints; `cargo test` must pass;
//!   `RUST_BACKTRACE=1 panicky panic` must exit 101 with a backtrace naming
//!   `panicky::explode_now`, `panicky::descend` and `panicky::main`; a C
//!   program linked by cld against `libcabi.so`, and one that `dlopen`s it,
//!   must print what the reference ones print.
//! - Two C reductions of `--gc-sections` bugs found with Rust code:
//!   `eh_personality_survives_gc_sections` (every Rust panic crashed) and
//!   `gc_sections_ignores_debug_references` (debug info kept dead code).
//!
//! Cargo downloads the dependencies from crates.io (`--locked`, the lock file
//! is committed). Work directories: `target/tmp/rust_cargo/`.
//! `CLD_TEST_LINKER=/usr/bin/ld` puts another linker behind the shim (the
//! `.comment` check is then skipped).

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One cargo build or test of the example (the first one downloads crates).
const CARGO_TIMEOUT: Duration = Duration::from_secs(1800);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Cargo invocations of this file run one at a time (2-core CI machines).
static CARGO_LOCK: Mutex<()> = Mutex::new(());

fn example_dir() -> PathBuf {
    repo_root().join("examples").join("rust-workspace")
}

fn work_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust_cargo")
}

/// The shim directory with `ld` = the linker under test: `cld
/// --print-shim-dir`, or a directory of our own for `CLD_TEST_LINKER`.
fn cld_shim() -> &'static PathBuf {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        if linker_override().is_some() {
            let dir = work_root().join("override");
            fs::create_dir_all(&dir).unwrap();
            return PathBuf::from(make_shim(&dir));
        }
        let out = Command::new(cld_binary())
            .arg("--print-shim-dir")
            .output()
            .expect("run cld --print-shim-dir");
        assert!(
            out.status.success(),
            "cld --print-shim-dir failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        assert!(
            dir.join("ld").exists(),
            "{}/ld missing after --print-shim-dir",
            dir.display()
        );
        dir
    })
}

/// A shim directory with `ld` = GNU ld, for the reference build.
fn reference_shim() -> &'static PathBuf {
    static SHIM: OnceLock<PathBuf> = OnceLock::new();
    SHIM.get_or_init(|| {
        require_tool("ld.bfd", "binutils");
        let dir = work_root().join("reference-shim");
        fs::create_dir_all(&dir).unwrap();
        let ld = dir.join("ld");
        let _ = fs::remove_file(&ld);
        std::os::unix::fs::symlink("/usr/bin/ld.bfd", &ld).expect("symlink ld.bfd");
        dir
    })
}

fn is_cld() -> bool {
    linker_override().is_none()
}

/// A build of the example workspace: its target directory and shim.
struct Build {
    name: &'static str,
    target_dir: PathBuf,
    shim: PathBuf,
}

impl Build {
    fn cld() -> Build {
        Build {
            name: "cld",
            target_dir: work_root().join("target-cld"),
            shim: cld_shim().clone(),
        }
    }

    fn reference() -> Build {
        Build {
            name: "reference (GNU ld)",
            target_dir: work_root().join("target-ref"),
            shim: reference_shim().clone(),
        }
    }

    fn debug_dir(&self) -> PathBuf {
        self.target_dir.join("debug")
    }

    /// `cargo ARGS` in the example workspace, linked through `tools/cc-cld`
    /// with this build's shim. Only the example's own config decides how
    /// rustc links: linker settings from the environment are removed.
    fn cargo(&self, args: &[&str]) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(example_dir())
            .args(args)
            .arg("--locked")
            .env("CARGO_TARGET_DIR", &self.target_dir)
            .env("CLD_SHIM_DIR", &self.shim)
            .env("CC_CLD_LOG", self.target_dir.join("links.log"))
            .env_remove("CLD")
            .env_remove("CLD_CC");
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "CARGO_BUILD_RUSTFLAGS",
            "RUSTDOCFLAGS",
            "CARGO_ENCODED_RUSTDOCFLAGS",
            "CARGO_BUILD_TARGET",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
            "RUST_BACKTRACE",
            "RUST_LIB_BACKTRACE",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Runs cargo; Err with the command and the end of its output on failure.
    fn run_cargo(&self, args: &[&str]) -> Result<RunResult, String> {
        let _guard = CARGO_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let mut cmd = self.cargo(args);
        let t0 = Instant::now();
        let r = run_with_timeout(&mut cmd, CARGO_TIMEOUT)?;
        eprintln!(
            "[{}] cargo {}: {} in {:.1} s",
            self.name,
            args.join(" "),
            if r.success() { "ok" } else { "FAILED" },
            t0.elapsed().as_secs_f64()
        );
        if r.success() {
            Ok(r)
        } else {
            Err(format!(
                "[{}] {} {}\n  {}\n--- stdout ---\n{}--- stderr ---\n{}",
                self.name,
                "cargo",
                r.describe_status(),
                show_command(&cmd),
                truncate(&r.stdout, 40),
                truncate(&r.stderr, 120)
            ))
        }
    }

    /// `cargo build --workspace --all-targets`, once per build per test run.
    /// With `fresh`, the target directory is removed first: cargo does not
    /// notice that cld changed, and would keep what an older cld linked.
    fn built(
        which: fn() -> Build,
        fresh: bool,
        cell: &'static OnceLock<Result<(), String>>,
    ) -> Build {
        let build = which();
        if let Err(e) = cell.get_or_init(|| {
            if fresh && build.target_dir.exists() {
                fs::remove_dir_all(&build.target_dir)
                    .map_err(|e| format!("cannot remove {}: {e}", build.target_dir.display()))?;
            }
            build
                .run_cargo(&["build", "--workspace", "--all-targets"])
                .map(|_| ())
        }) {
            panic!("building examples/rust-workspace failed:\n{e}");
        }
        build
    }
}

fn cld_build() -> Build {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    Build::built(Build::cld, true, &DONE)
}

fn reference_build() -> Build {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    Build::built(Build::reference, false, &DONE)
}

/// Linked ELF files (executables and shared objects) under `dir`, skipping
/// `incremental/` and `.fingerprint/` (objects, rlibs and metadata are not
/// ELF executables or shared objects and are filtered by the ELF type).
fn linked_elf_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                let name = e.file_name();
                if name != "incremental" && name != ".fingerprint" {
                    stack.push(path);
                }
            } else if ft.is_file() {
                let mut header = [0u8; 18];
                let ok = fs::File::open(&path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
                    .is_ok();
                // ELF magic, then e_type (little endian): 2 = EXEC, 3 = DYN.
                if ok && header[..4] == *b"\x7fELF" && matches!(header[16], 2 | 3) {
                    found.push(path);
                }
            }
        }
    }
    found.sort();
    found
}

fn comment_section(path: &Path) -> String {
    let r = run_with_timeout(
        Command::new("readelf").arg("-p").arg(".comment").arg(path),
        RUN_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    r.stdout
}

fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin_file: Option<&Path>,
) -> RunResult {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(f) = stdin_file {
        // run_with_timeout reads stdin from /dev/null; a shell redirect
        // keeps that helper simple.
        let mut sh = Command::new("sh");
        sh.arg("-c")
            .arg("exec \"$0\" \"$@\" < \"$CLD_STDIN\"")
            .arg(program)
            .args(args)
            .env("CLD_STDIN", f)
            .env_remove("RUST_BACKTRACE");
        for (k, v) in env {
            sh.env(k, v);
        }
        cmd = sh;
    }
    run_with_timeout(&mut cmd, RUN_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_same(what: &str, reference: &RunResult, tested: &RunResult) {
    assert!(
        reference.code() == tested.code() && reference.stdout == tested.stdout,
        "{what}: differs from the reference build\n  reference: {}\n  cld:       {}\n\
         --- stdout diff (- reference, + cld) ---\n{}\n--- stderr (cld) ---\n{}",
        reference.describe_status(),
        tested.describe_status(),
        line_diff(&reference.stdout, &tested.stdout),
        truncate(&tested.stderr, 40)
    );
}

#[test]
fn eh_personality_survives_gc_sections() {
    require_tool("gcc", "gcc");
    let work = fresh_work_dir("rust_cargo", "eh_personality");
    let shim = make_shim(&work);
    let src = repo_root().join("tests/rust/c/eh_personality_gc.c");
    let exe = work.join("eh_personality_gc");
    let mut cc = Command::new("gcc");
    cc.arg("-B")
        .arg(&shim)
        .args(["-fexceptions", "-O1", "-Wl,--gc-sections", "-o"])
        .arg(&exe)
        .arg(&src);
    let r = run_with_timeout(&mut cc, RUN_TIMEOUT).unwrap();
    assert!(
        r.success(),
        "link failed: {}\n{}",
        show_command(&cc),
        r.stderr
    );
    let out = run(&exe, &[], &[], None);
    assert!(
        out.success() && out.stdout == "cleanup ran (42)\njoined\n",
        "{} ({}): the unwinder could not run the cleanup (personality routine lost by --gc-sections?)\n\
         stdout: {:?}\n  {}\n  readelf -sW {0} | grep DW.ref",
        exe.display(),
        out.describe_status(),
        out.stdout,
        show_command(&cc)
    );
}

#[test]
fn gc_sections_ignores_debug_references() {
    require_tool("gcc", "gcc");
    require_tool("nm", "binutils");
    let work = fresh_work_dir("rust_cargo", "gc_debug_refs");
    let shim = make_shim(&work);
    let src = repo_root().join("tests/rust/c/gc_debug_refs.c");
    let exe = work.join("gc_debug_refs");
    let mut cc = Command::new("gcc");
    cc.arg("-B")
        .arg(&shim)
        .args([
            "-g",
            "-O1",
            "-ffunction-sections",
            "-Wl,--gc-sections",
            "-o",
        ])
        .arg(&exe)
        .arg(&src);
    let r = run_with_timeout(&mut cc, RUN_TIMEOUT).unwrap();
    assert!(
        r.success(),
        "link failed: {}\n{}",
        show_command(&cc),
        r.stderr
    );
    let out = run(&exe, &[], &[], None);
    assert!(
        out.success() && out.stdout == "main\n",
        "{}",
        out.describe_status()
    );
    let nm = run_with_timeout(Command::new("nm").arg(&exe), RUN_TIMEOUT).unwrap();
    assert!(
        !nm.stdout.contains("unused_function"),
        "--gc-sections kept unused_function, which only debug info refers to:\n  {}\n  nm {} | grep unused",
        show_command(&cc),
        exe.display()
    );
}

#[test]
fn every_artifact_is_linked_by_cld() {
    require_tool("readelf", "binutils");
    let build = cld_build();
    let files = linked_elf_files(&build.debug_dir());
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let has = |pred: &dyn Fn(&str) -> bool, what: &str| {
        assert!(
            names.iter().any(|n| pred(n)),
            "no {what} among the linked files of {}:\n{}",
            build.debug_dir().display(),
            names.join("\n")
        );
    };
    has(&|n| n.starts_with("build-script-build"), "build script");
    has(
        &|n| n.starts_with("libserde_derive-") && n.ends_with(".so"),
        "serde_derive proc-macro",
    );
    has(&|n| n == "libcabi.so", "cdylib libcabi.so");
    has(&|n| n == "app", "app bin");
    has(&|n| n == "panicky", "panicky bin");
    has(&|n| n.starts_with("cli-"), "integration test harness (cli)");
    if !is_cld() {
        eprintln!("CLD_TEST_LINKER set: skipping the .comment check");
        return;
    }
    let not_cld: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let c = comment_section(f);
            (!c.contains("cld")).then(|| format!("{}:\n{}", f.display(), indent(&c, "    ")))
        })
        .collect();
    assert!(
        not_cld.is_empty(),
        "{} of {} linked files do not name cld in .comment:\n{}",
        not_cld.len(),
        files.len(),
        not_cld.join("\n")
    );
    eprintln!("{} linked ELF files, all by cld", files.len());
}

#[test]
fn app_output_matches_reference() {
    let reference = reference_build();
    let build = cld_build();
    let ref_app = reference.debug_dir().join("app");
    let app = build.debug_dir().join("app");
    let work = fresh_work_dir("rust_cargo", "app");
    let orders = work.join("orders.json");
    fs::write(
        &orders,
        r#"[{"id": 3, "customer": "zed", "items": [
             {"sku": "Q", "quantity": 7, "unit_cents": 11, "category": {"service": {"hours": 1}}}]}]"#,
    )
    .unwrap();
    let bad = work.join("bad.json");
    fs::write(&bad, "[{").unwrap();
    let orders_arg = orders.to_str().unwrap();
    let cases: [(&str, Vec<&str>, Option<&Path>); 3] = [
        ("sample", vec![], None),
        ("file", vec![orders_arg], None),
        ("bad stdin", vec!["-"], Some(&bad)),
    ];
    for (what, args, stdin) in cases {
        let r = run(&ref_app, &args, &[], stdin);
        let t = run(&app, &args, &[], stdin);
        assert_same(&format!("app {what}"), &r, &t);
        assert_eq!(r.stderr, t.stderr, "app {what}: stderr differs");
    }
}

#[test]
fn cargo_test_passes() {
    let build = cld_build();
    let log = build.target_dir.join("links.log");
    let _ = fs::remove_file(&log);
    if let Err(e) = build.run_cargo(&["test", "--workspace"]) {
        panic!("cargo test with cld failed:\n{e}");
    }
    // Doctests are linked by rustdoc, through the same linker setting.
    let links = fs::read_to_string(&log).unwrap_or_default();
    assert!(
        links.lines().any(|l| l.contains("rustdoctest")),
        "no doctest link went through tools/cc-cld:\n{links}"
    );
}

#[test]
fn panic_backtrace_names_functions() {
    let reference = reference_build();
    let build = cld_build();
    let env = [("RUST_BACKTRACE", "1")];
    let r = run(
        &reference.debug_dir().join("panicky"),
        &["panic", "4"],
        &env,
        None,
    );
    let t = run(
        &build.debug_dir().join("panicky"),
        &["panic", "4"],
        &env,
        None,
    );
    assert_eq!(
        r.code(),
        Some(101),
        "reference panicky: {}",
        r.describe_status()
    );
    assert_eq!(
        t.code(),
        Some(101),
        "panicky linked by cld: {} (a panic must unwind and exit 101)\n--- stderr ---\n{}",
        t.describe_status(),
        truncate(&t.stderr, 60)
    );
    for needle in [
        "panicked at panicky/src/main.rs",
        "index out of bounds",
        "stack backtrace:",
        "panicky::explode_now",
        "panicky::descend",
        "panicky::main",
        "panicky/src/main.rs:",
    ] {
        assert!(
            t.stderr.contains(needle),
            "the backtrace of panicky (cld) lacks {needle:?}:\n{}",
            t.stderr
        );
    }
    // Same frames as the reference (frame numbers and function names).
    let frames = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| {
                l.trim_start()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
            .map(|l| l.trim().to_string())
            .collect()
    };
    assert_eq!(
        frames(&r.stderr),
        frames(&t.stderr),
        "backtrace frames differ from the reference"
    );
}

#[test]
fn c_program_uses_the_cdylib() {
    require_tool("gcc", "gcc");
    let reference = reference_build();
    let build = cld_build();
    let work = fresh_work_dir("rust_cargo", "c_program");
    let src = example_dir().join("c").join("use_cabi.c");
    let include = example_dir().join("cabi").join("include");
    let mut outputs = Vec::new();
    for (b, tag) in [(&reference, "ref"), (&build, "cld")] {
        let lib_dir = b.debug_dir();
        assert!(
            lib_dir.join("libcabi.so").exists(),
            "{} has no libcabi.so",
            lib_dir.display()
        );
        let linked = work.join(format!("use_cabi-{tag}"));
        let dl = work.join(format!("use_cabi_dl-{tag}"));
        let mut cc1 = Command::new("gcc");
        cc1.arg("-B")
            .arg(&b.shim)
            .arg(format!("-I{}", include.display()))
            .arg(&src)
            .arg(format!("-L{}", lib_dir.display()))
            .arg("-lcabi")
            .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
            .arg("-o")
            .arg(&linked);
        let mut cc2 = Command::new("gcc");
        cc2.arg("-B")
            .arg(&b.shim)
            .arg("-DUSE_DLOPEN")
            .arg(&src)
            .args(["-ldl", "-lpthread", "-o"])
            .arg(&dl);
        for cc in [&mut cc1, &mut cc2] {
            let r = run_with_timeout(cc, RUN_TIMEOUT).unwrap();
            assert!(r.success(), "{}\n{}", show_command(cc), r.stderr);
        }
        if tag == "cld" && is_cld() {
            for exe in [&linked, &dl] {
                assert!(
                    comment_section(exe).contains("cld"),
                    "{} not linked by cld",
                    exe.display()
                );
            }
        }
        let lib = lib_dir.join("libcabi.so");
        let lib = lib.to_str().unwrap();
        outputs.push((
            tag,
            run(&linked, &[], &[], None),
            run(&dl, &[lib], &[], None),
        ));
    }
    let (_, ref_linked, ref_dl) = &outputs[0];
    let (_, cld_linked, cld_dl) = &outputs[1];
    assert!(
        ref_linked.success() && ref_linked.stdout.contains("crc32: cbf43926"),
        "reference C program: {}\n{}{}",
        ref_linked.describe_status(),
        ref_linked.stdout,
        ref_linked.stderr
    );
    assert_eq!(
        ref_linked.stdout, ref_dl.stdout,
        "reference: linked and dlopen outputs differ"
    );
    assert_same(
        "C program linked against libcabi.so",
        ref_linked,
        cld_linked,
    );
    assert_same("C program dlopening libcabi.so", ref_dl, cld_dl);
    // The version script rustc writes decides what libcabi.so exports.
    let ref_syms = defined_dynamic_symbols(&reference.debug_dir().join("libcabi.so"));
    let cld_syms = defined_dynamic_symbols(&build.debug_dir().join("libcabi.so"));
    assert!(
        ref_syms.iter().any(|s| s == "cabi_add") && ref_syms.iter().any(|s| s == "CABI_VERSION"),
        "reference libcabi.so exports: {ref_syms:?}"
    );
    assert_eq!(
        ref_syms, cld_syms,
        "libcabi.so: the defined dynamic symbols differ (reference left, cld right)"
    );
}

/// Names of the defined symbols in `.dynsym` (`readelf --dyn-syms -W`).
fn defined_dynamic_symbols(lib: &Path) -> Vec<String> {
    let r = run_with_timeout(
        Command::new("readelf").arg("--dyn-syms").arg("-W").arg(lib),
        RUN_TIMEOUT,
    )
    .unwrap();
    let mut names: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // Num: Value Size Type Bind Vis Ndx Name
            (f.len() >= 8 && f[0].ends_with(':') && f[6] != "UND" && f[6] != "Ndx")
                .then(|| f[7].split('@').next().unwrap().to_string())
        })
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}
