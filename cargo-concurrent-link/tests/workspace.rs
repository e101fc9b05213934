//! `cargo concurrent-link` on a copy of `examples/rust-workspace` (serde,
//! serde_derive proc-macro, build scripts, a cdylib, bins, unit,
//! integration and doc tests; its own `.cargo/config.toml` names another
//! linker, which the subcommand overrides).
//!
//! One clean build is shared by every test (they run one at a time); each
//! test leaves the sources as it found them. Every run has
//! `CARGO_CONCURRENT_LINK_VERIFY=1` (each concurrent link is compared with
//! cld's serial link of the same command line, byte for byte) and a trace
//! of every link decision, its own `CLD_RUNTIME_DIR`, and is checked for
//! leftovers: sockets in that directory, processes naming the work
//! directory.
//!
//! Work directory: `target/tmp/cargo-concurrent-link/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

const CARGO_TIMEOUT: Duration = Duration::from_secs(900);

static SERIAL: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cargo-concurrent-link"))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// cld of this workspace, built (if needed) with the profile of this test.
fn cld() -> &'static PathBuf {
    static CLD: OnceLock<PathBuf> = OnceLock::new();
    CLD.get_or_init(|| {
        let profile_dir = exe().parent().unwrap().to_path_buf();
        let target_dir = profile_dir.parent().unwrap().to_path_buf();
        let mut cmd = Command::new(cargo());
        cmd.args(["build", "-p", "ld-core", "--bin", "cld", "--manifest-path"])
            .arg(repo_root().join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target_dir);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let st = cmd.status().expect("run cargo build -p ld-core");
        assert!(st.success(), "cargo build -p ld-core failed");
        let cld = profile_dir.join("cld");
        assert!(cld.is_file(), "{} missing", cld.display());
        cld
    })
}

struct Ws {
    root: PathBuf,
    target: PathBuf,
    runtime: PathBuf,
    trace: PathBuf,
    reference: PathBuf,
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Out {
    fn ok(&self) -> bool {
        self.code == Some(0)
    }
    fn show(&self) -> String {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            tail(&self.stdout, 40),
            tail(&self.stderr, 60)
        )
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Run with a timeout; stdout/stderr through files (no pipe deadlocks).
fn run(cmd: &mut Command, stdin: Option<&str>) -> Out {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = work_root().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    let (o, e) = (dir.join(format!("{n}.out")), dir.join(format!("{n}.err")));
    cmd.stdout(std::fs::File::create(&o).unwrap())
        .stderr(std::fs::File::create(&e).unwrap())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(text) = stdin {
        use std::io::Write;
        let mut i = child.stdin.take().unwrap();
        i.write_all(text.as_bytes()).unwrap();
    }
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > CARGO_TIMEOUT {
            let _ = child.kill();
            panic!("timed out after {CARGO_TIMEOUT:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out {
        code: status.code(),
        stdout: std::fs::read_to_string(&o).unwrap_or_default(),
        stderr: std::fs::read_to_string(&e).unwrap_or_default(),
    }
}

fn work_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cargo-concurrent-link")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if name == "target" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Environment a user would not have set: cargo's and ours.
fn clean_env(cmd: &mut Command) {
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        "CARGO_CONCURRENT_LINK_MODE",
        "CARGO_CONCURRENT_LINK_CC",
        "RUST_BACKTRACE",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
    ] {
        cmd.env_remove(var);
    }
}

impl Ws {
    /// `cargo-concurrent-link ARGS` in the workspace.
    fn ccl(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(exe());
        cmd.args(args);
        self.env(&mut cmd);
        cmd
    }

    fn env(&self, cmd: &mut Command) {
        clean_env(cmd);
        cmd.current_dir(&self.root)
            .env("CARGO", cargo())
            .env("CLD", cld())
            .env("CLD_RUNTIME_DIR", &self.runtime)
            .env("CARGO_TARGET_DIR", &self.target)
            .env("CARGO_CONCURRENT_LINK_TRACE", &self.trace)
            .env("CARGO_CONCURRENT_LINK_VERIFY", "1")
            .env("CARGO_CONCURRENT_LINK_CACHE", work_root().join("cache"))
            .env("CARGO_TERM_COLOR", "never");
    }

    /// The trace since the last call.
    fn take_trace(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.trace).unwrap_or_default();
        let _ = std::fs::remove_file(&self.trace);
        text.lines().map(str::to_string).collect()
    }

    fn src(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn touch(&self, rel: &str) {
        let f = std::fs::File::options()
            .write(true)
            .open(self.src(rel))
            .unwrap();
        f.set_modified(std::time::SystemTime::now()).unwrap();
    }

    fn debug(&self) -> PathBuf {
        self.target.join("debug")
    }

    /// Background linkers of this workspace still alive, and their sockets.
    fn leftovers(&self) -> Vec<String> {
        let mut found = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&self.runtime) {
            for e in rd.flatten() {
                found.push(format!("socket {}", e.path().display()));
            }
        }
        let needle = format!("--concurrent-log={}", self.target.display());
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for e in rd.flatten() {
                if let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) {
                    let s = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                    if s.contains(&needle) {
                        // Its state and where it sleeps: a hang shows.
                        let status =
                            std::fs::read_to_string(e.path().join("status")).unwrap_or_default();
                        let state = status.lines().find(|l| l.starts_with("State:"));
                        let wchan =
                            std::fs::read_to_string(e.path().join("wchan")).unwrap_or_default();
                        found.push(format!(
                            "process {} ({}, wchan {wchan}): {}",
                            e.file_name().to_string_lossy(),
                            state.unwrap_or("?"),
                            &s[..s.len().min(200)]
                        ));
                    }
                }
            }
        }
        found
    }

    fn assert_no_leftovers(&self, when: &str) {
        // A background linker asked to stop needs a moment to exit.
        let t0 = Instant::now();
        let mut left = self.leftovers();
        while !left.is_empty() && t0.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(50));
            left = self.leftovers();
        }
        if !left.is_empty() {
            panic!(
                "{when}: left behind:\n{}\n{}",
                left.join("\n"),
                self.linker_logs()
            );
        }
    }

    /// The end of each background linker log of the build (what a
    /// leftover was doing).
    fn linker_logs(&self) -> String {
        let mut out = String::new();
        let mut dirs = vec![self.target.clone()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.file_name().is_some_and(|n| n == "cld.log") {
                    let text = std::fs::read_to_string(&p).unwrap_or_default();
                    let lines: Vec<&str> = text.lines().collect();
                    let tail = &lines[lines.len().saturating_sub(40)..];
                    out += &format!("--- {} (end) ---\n{}\n", p.display(), tail.join("\n"));
                }
            }
        }
        out
    }

    /// The app's report for the built-in sample and for stdin input.
    fn app_outputs(bin: &Path) -> Vec<String> {
        let mut v = Vec::new();
        for (args, stdin) in [
            (vec![], None),
            (
                vec!["-"],
                Some(
                    r#"[{"id": 11, "customer": "ada", "items": [{"sku": "X-1", "quantity": 3, "unit_cents": 250, "category": "part"}]}]"#,
                ),
            ),
        ] {
            let mut cmd = Command::new(bin);
            cmd.args(&args);
            let o = run(&mut cmd, stdin);
            v.push(format!("{:?}\n{}{}", o.code, o.stdout, o.stderr));
        }
        v
    }
}

/// The copy, built from clean once (checks of that build: `clean_build`).
fn ws() -> (&'static Ws, &'static Out, &'static Vec<String>) {
    static WS: OnceLock<(Ws, Out, Vec<String>)> = OnceLock::new();
    let (w, o, t) = WS.get_or_init(|| {
        let root = work_root();
        if root.exists() {
            std::fs::remove_dir_all(&root).unwrap();
        }
        let ws = Ws {
            root: root.join("ws"),
            target: root.join("target"),
            runtime: root.join("runtime"),
            trace: root.join("trace.log"),
            reference: root.join("target-reference"),
        };
        copy_tree(&repo_root().join("examples/rust-workspace"), &ws.root);
        std::fs::create_dir_all(&ws.runtime).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&ws.runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        let t0 = Instant::now();
        let out = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
        eprintln!("clean build: {:.1} s", t0.elapsed().as_secs_f64());
        let trace = ws.take_trace();
        (ws, out, trace)
    });
    assert!(
        o.ok(),
        "clean `cargo concurrent-link build` failed:\n{}",
        o.show()
    );
    (w, o, t)
}

fn is_elf_program(p: &Path) -> bool {
    let Ok(data) = std::fs::read(p) else {
        return false;
    };
    data.len() > 18 && data[..4] == *b"\x7fELF" && matches!(data[16], 2 | 3)
}

/// Executables and shared libraries cargo produced.
fn elf_outputs(debug: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    let mut dirs = vec![debug.to_path_buf(), debug.join("deps")];
    if let Ok(rd) = std::fs::read_dir(debug.join("build")) {
        dirs.extend(rd.flatten().map(|e| e.path()));
    }
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                // Skip a linker's temporary output still being written
                // (`.NAME.cld-PID.tmp`, e.g. the verify link of another test).
                let hidden_tmp = p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'));
                if p.is_file() && !hidden_tmp && is_elf_program(&p) {
                    v.push(p);
                }
            }
        }
    }
    v.sort();
    v
}

fn comment(p: &Path) -> String {
    let o = Command::new("readelf")
        .args(["-p", ".comment"])
        .arg(p)
        .output()
        .expect("run readelf (binutils)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_all_cld(debug: &Path) -> usize {
    let files = elf_outputs(debug);
    let bad: Vec<String> = files
        .iter()
        .filter(|f| !comment(f).contains("cld"))
        .map(|f| format!("{}: {}", f.display(), comment(f).trim()))
        .collect();
    assert!(bad.is_empty(), "not linked by cld:\n{}", bad.join("\n"));
    files.len()
}

fn lines_with<'a>(trace: &'a [String], words: &[&str]) -> Vec<&'a String> {
    trace
        .iter()
        .filter(|l| words.iter().all(|w| l.contains(w)))
        .collect()
}

fn app_bin(ws: &Ws) -> PathBuf {
    ws.debug().join("app")
}

/// The app's outputs from a normal cargo build (the system linker).
fn reference_outputs(ws: &Ws) -> &'static Vec<String> {
    static REF: OnceLock<Vec<String>> = OnceLock::new();
    REF.get_or_init(|| {
        let mut cmd = Command::new(cargo());
        clean_env(&mut cmd);
        cmd.current_dir(&ws.root)
            .args(["build", "-p", "app", "--bin", "app", "--locked"])
            .env("CARGO_TARGET_DIR", &ws.reference)
            .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", "cc");
        let o = run(&mut cmd, None);
        assert!(o.ok(), "reference cargo build failed:\n{}", o.show());
        let bin = ws.reference.join("debug/app");
        assert!(
            !comment(&bin).contains("cld"),
            "the reference was linked by cld"
        );
        Ws::app_outputs(&bin)
    })
}

#[test]
fn clean_build_links_every_artifact_with_cld() {
    let _g = one_at_a_time();
    let (ws, out, trace) = ws();
    for krate in [
        "serde_derive",
        "serde_json",
        "codegen",
        "app",
        "cabi",
        "panicky",
    ] {
        assert!(
            out.stderr.contains(&format!("Compiling {krate} ")),
            "no `Compiling {krate}`:\n{}",
            out.show()
        );
    }
    let n = assert_all_cld(&ws.debug());
    // bins (app, panicky and their copies in deps), build scripts (ours and
    // serde's, serde_json's, ...), serde_derive's .so, libcabi.so.
    assert!(n >= 10, "only {n} ELF outputs found");
    let links = lines_with(trace, &[" link ", "status=0"]);
    assert!(
        links.len() >= 10 && links.iter().all(|l| l.contains("mode=serial")),
        "every link of a clean build is serial (nothing known yet):\n{}",
        trace.join("\n")
    );
    for what in [
        "libserde_derive-",
        "libcabi.so",
        "build_script_build-",
        "/app-",
    ] {
        assert!(
            links.iter().any(|l| l.contains(what)),
            "no link of {what} in the trace:\n{}",
            trace.join("\n")
        );
    }
    assert!(lines_with(trace, &["bg-start"]).is_empty());
    assert_eq!(
        &Ws::app_outputs(&app_bin(ws)),
        reference_outputs(ws),
        "app differs from the normal cargo build's"
    );
    ws.assert_no_leftovers("after the clean build");
}

#[test]
fn noop_build_is_fresh_and_starts_nothing() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let before = std::fs::metadata(app_bin(ws)).unwrap().modified().unwrap();
    // As a real cargo subcommand: cargo finds cargo-concurrent-link on PATH.
    let mut cmd = Command::new(cargo());
    ws.env(&mut cmd);
    let path = format!(
        "{}:{}",
        exe().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path)
        .args(["concurrent-link", "build", "--workspace", "--locked", "-v"]);
    let o = run(&mut cmd, None);
    assert!(o.ok(), "{}", o.show());
    assert!(o.stderr.contains("Fresh app"), "{}", o.show());
    assert!(!o.stderr.contains("Compiling"), "{}", o.show());
    let trace = ws.take_trace();
    assert!(
        lines_with(&trace, &[" link "]).is_empty() && lines_with(&trace, &["bg-"]).is_empty(),
        "a no-op build linked or started something:\n{}",
        trace.join("\n")
    );
    assert!(
        lines_with(&trace, &["cargo-exit", "built=0"]).len() == 1,
        "{}",
        trace.join("\n")
    );
    let after = std::fs::metadata(app_bin(ws)).unwrap().modified().unwrap();
    assert_eq!(before, after, "app was rewritten by a no-op build");
    ws.assert_no_leftovers("after a no-op build");

    // JSON for a user who asks for it, on stdout, cargo's own lines.
    let o = run(
        &mut ws.ccl(&["build", "--workspace", "--locked", "--message-format=json"]),
        None,
    );
    assert!(o.ok(), "{}", o.show());
    let artifacts: Vec<serde_json::Value> = o
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|m: &serde_json::Value| m["reason"] == "compiler-artifact")
        .collect();
    assert!(artifacts.len() >= 10, "{}", o.show());
    assert!(artifacts.iter().all(|a| a["fresh"] == true), "{}", o.show());
    assert!(o.stdout.contains("\"reason\":\"build-finished\""));
    ws.take_trace();
}

/// After touching one source, its crate is recompiled and relinked by a
/// background linker that started when rustc did (or when the library it
/// depends on started compiling); everything else was ingested by then.
#[test]
fn touching_a_source_relinks_with_the_background_linker() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();

    // 1. The bin's own source; with a rustc wrapper of the user's, which
    //    must still run (inside ours) and change nothing.
    let wrapper = work_root().join("user-wrapper.sh");
    let wrapper_log = work_root().join("user-wrapper.log");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\nexec \"$@\"\n",
            wrapper_log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _ = std::fs::remove_file(&wrapper_log);
    ws.touch("app/src/main.rs");
    let o = run(
        ws.ccl(&["build", "--workspace", "--locked"])
            .env("RUSTC_WRAPPER", &wrapper),
        None,
    );
    assert!(o.ok(), "{}", o.show());
    let wlog = std::fs::read_to_string(&wrapper_log).unwrap_or_default();
    assert!(
        wlog.lines().any(|l| l.contains("--crate-name app ")),
        "the user's RUSTC_WRAPPER did not run for app:\n{wlog}"
    );
    let compiled: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("Compiling"))
        .collect();
    assert_eq!(compiled.len(), 1, "{}", o.show());
    assert!(compiled[0].contains("Compiling app "), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert_eq!(
        lines_with(&trace, &["bg-start", "/app-", "why=rustc-started(app)"]).len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=concurrent", "status=0"]).len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &["verify", "/app-", "identical"]).len(),
        1,
        "{t}"
    );
    assert!(lines_with(&trace, &["mode=serial"]).is_empty(), "{t}");
    assert!(lines_with(&trace, &["fallback"]).is_empty(), "{t}");
    // The rustc wrapper put the codegen units in place as rustc wrote them.
    assert!(
        lines_with(&trace, &["objects-placed app count="])
            .iter()
            .any(|l| !l.ends_with("count=0")),
        "{t}"
    );
    // The event log: the dependencies were ingested before the link request.
    let log_dir = std::fs::read_dir(ws.debug().join("deps/.concurrent-link"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("app-"))
                && p.join("template.json").is_file()
                && std::fs::read_to_string(p.join("cld.log"))
                    .is_ok_and(|l| l.contains("request wait"))
        })
        .expect("the app's state directory with an event log");
    let log = std::fs::read_to_string(log_dir.join("cld.log")).unwrap();
    let pos = |pat: &str| log.lines().position(|l| l.contains(pat));
    let wait = pos("request wait").expect("request wait in the log");
    for rlib in ["libserde_json-", "libapp-", "libcodegen-", "fixed inputs"] {
        let done = log
            .lines()
            .position(|l| l.contains("ingest-done") && l.contains(rlib))
            .unwrap_or_else(|| panic!("{rlib} never ingested:\n{log}"));
        assert!(
            done < wait,
            "{rlib} ingested after the link request:\n{log}"
        );
    }
    assert_eq!(
        &Ws::app_outputs(&app_bin(ws)),
        reference,
        "app after the relink"
    );
    ws.assert_no_leftovers("after touching app/src/main.rs");

    // 2. The library the bin uses: its rustc starts the bin's background
    //    linker, which gets the new rlib when rustc renames it into place.
    ws.touch("app/src/lib.rs");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert_eq!(
        lines_with(
            &trace,
            &["bg-start", "/app-", "why=dependency-started(app)"]
        )
        .len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=concurrent", "status=0"]).len(),
        1,
        "{t}"
    );
    assert_eq!(lines_with(&trace, &["verify", "identical"]).len(), 1, "{t}");
    let log = std::fs::read_to_string(log_dir.join("cld.log")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("event inotify") && l.contains("libapp-")),
        "the new libapp rlib did not arrive through inotify:\n{log}"
    );
    assert_eq!(
        &Ws::app_outputs(&app_bin(ws)),
        reference,
        "app after the relink"
    );
    ws.assert_no_leftovers("after touching app/src/lib.rs");

    // 3. Two programs relinked in one build: two background linkers.
    ws.touch("app/src/main.rs");
    ws.touch("panicky/src/main.rs");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    for bin in ["/app-", "/panicky-"] {
        assert_eq!(
            lines_with(&trace, &[" link ", bin, "mode=concurrent", "status=0"]).len(),
            1,
            "{t}"
        );
    }
    assert_eq!(lines_with(&trace, &["verify", "identical"]).len(), 2, "{t}");
    let p = run(&mut Command::new(ws.debug().join("panicky")), None);
    assert!(p.ok(), "{}", p.show());
    ws.assert_no_leftovers("after relinking two programs");
}

#[test]
fn compile_error_fails_cleanly_and_the_fix_builds() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();
    let main_rs = ws.src("app/src/main.rs");
    let original = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(
        &main_rs,
        format!("{original}\nfn broken() -> u32 {{ \"not a number\" }}\n"),
    )
    .unwrap();
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    std::fs::write(&main_rs, &original).unwrap();
    assert_eq!(o.code, Some(101), "{}", o.show());
    assert!(
        o.stderr.contains("error[E0308]"),
        "cargo's error is not shown:\n{}",
        o.show()
    );
    assert!(o.stderr.contains("could not compile `app`"), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    // The app's background linker started with rustc and was aborted.
    assert_eq!(lines_with(&trace, &["bg-start", "/app-"]).len(), 1, "{t}");
    assert_eq!(lines_with(&trace, &["bg-abort", "/app-"]).len(), 1, "{t}");
    assert!(lines_with(&trace, &[" link ", "/app-"]).is_empty(), "{t}");
    ws.assert_no_leftovers("after a compile error");

    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=concurrent", "status=0"]).len(),
        1,
        "{}",
        trace.join("\n")
    );
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    ws.assert_no_leftovers("after fixing the error");
}

#[test]
fn test_runs_every_test_linked_by_cld() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    ws.take_trace();
    let o = run(&mut ws.ccl(&["test", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let oks = o
        .stdout
        .lines()
        .filter(|l| l.starts_with("test result: ok"))
        .count();
    // unit tests of app (lib, bin), cabi, codegen, panicky; cli.rs; doc tests.
    assert!(oks >= 9, "{oks} test results:\n{}", o.show());
    assert!(!o.stdout.contains("FAILED"), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    // Doctests are linked through rustdoc's `-C linker`.
    assert!(
        !lines_with(&trace, &[" link ", "rust_out", "status=0"]).is_empty(),
        "no doctest link:\n{t}"
    );
    assert_all_cld(&ws.debug());
    ws.assert_no_leftovers("after cargo concurrent-link test");

    // A failing test: cargo's status.
    let o = run(
        &mut ws.ccl(&[
            "test",
            "-p",
            "panicky",
            "--locked",
            "--",
            "--include-ignored",
            "--exact",
            "no_such_test_xyz",
        ]),
        None,
    );
    assert!(
        o.ok(),
        "filtering every test out is a success:\n{}",
        o.show()
    );
    ws.take_trace();
}

#[test]
fn run_passes_arguments_stdin_and_exit_status() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let o = run(
        &mut ws.ccl(&["run", "-p", "panicky", "--locked", "--", "panic", "2"]),
        None,
    );
    assert_eq!(o.code, Some(101), "{}", o.show());
    assert!(o.stderr.contains("panicked at"), "{}", o.show());
    assert!(o.stderr.contains("Running `"), "{}", o.show());
    let o = run(
        &mut ws.ccl(&["run", "-q", "--bin", "app", "--locked", "--", "-"]),
        Some("[]"),
    );
    assert!(o.ok(), "{}", o.show());
    assert!(o.stdout.contains("\"orders\": 0"), "{}", o.show());
    let o = run(
        &mut ws.ccl(&[
            "run",
            "-q",
            "--bin",
            "app",
            "--locked",
            "--",
            "/no/such/file",
        ]),
        None,
    );
    assert_eq!(o.code, Some(2), "{}", o.show());
    assert!(
        o.stderr.contains("cannot read /no/such/file"),
        "{}",
        o.show()
    );
    ws.take_trace();
    ws.assert_no_leftovers("after cargo concurrent-link run");
}

/// Ctrl-C at any moment of a rebuild (SIGINT to the whole process group,
/// as a terminal sends it): no background linker survives, and the next
/// build works.
#[test]
fn interrupted_builds_leave_nothing() {
    use std::os::unix::process::CommandExt;
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();
    // A rebuild in a process group of its own, to signal as a whole.
    let rebuild = || {
        ws.touch("app/src/lib.rs");
        let mut cmd = ws.ccl(&["build", "--workspace", "--locked"]);
        cmd.process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.spawn().unwrap()
    };
    for delay_ms in [50u64, 150, 300, 600] {
        let mut child = rebuild();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
        let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGINT);
        let _ = child.wait();
        ws.assert_no_leftovers(&format!("after SIGINT at {delay_ms} ms"));
    }
    // SIGKILL to the whole build once a background linker has started: no
    // cleanup of ours runs; the background linker (in a session of its
    // own) sees its owner, the subcommand, exit and gives up.
    ws.take_trace();
    let mut child = rebuild();
    let t0 = Instant::now();
    let started =
        |ws: &Ws| std::fs::read_to_string(&ws.trace).is_ok_and(|t| t.contains(" bg-start "));
    while !started(ws) && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    assert!(
        started(ws),
        "no background linker started: {:?}",
        ws.take_trace()
    );
    ws.assert_no_leftovers("after SIGKILL to the build");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    ws.take_trace();
    ws.assert_no_leftovers("after the build that followed");
}

/// A link whose command line changed (here: a new module, so a new codegen
/// unit) is not done by the background linker started with the old one: it
/// is aborted and the link is serial. A background linker that died (here:
/// SIGKILL while the library compiles) is replaced by a serial link too.
#[test]
fn changed_link_or_dead_background_linker_links_serially() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();
    let main_rs = ws.src("app/src/main.rs");
    let original = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(
        &main_rs,
        format!(
            "{original}\nmod extra {{\n    #[inline(never)]\n    pub fn answer() -> u64 {{\n        std::hint::black_box(42)\n    }}\n}}\n#[used]\nstatic KEEP: fn() -> u64 = extra::answer;\n"
        ),
    )
    .unwrap();
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    std::fs::write(&main_rs, &original).unwrap();
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert_eq!(
        lines_with(&trace, &["fallback", "/app-", "command-line-changed"]).len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=serial", "status=0"]).len(),
        1,
        "{t}"
    );
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    ws.assert_no_leftovers("after a changed command line");

    // Back to the original: serial again (the command line changed back),
    // then a touch is concurrent again.
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    ws.take_trace();

    // Kill the background linker the bin's rustc started, before it links
    // (one started for the library is replaced by the bin's rustc wrapper).
    ws.touch("app/src/main.rs");
    let mut child = ws
        .ccl(&["build", "--workspace", "--locked"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let log_dir = ws.debug().join("deps/.concurrent-link");
    let t0 = Instant::now();
    let mut killed_at = None;
    while killed_at.is_none() && t0.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let trace = std::fs::read_to_string(&ws.trace).unwrap_or_default();
        let start = trace
            .lines()
            .find(|l| l.contains("bg-start") && l.contains("/app-") && l.contains("rustc-started"));
        if let Some(line) = start {
            let token = line
                .split("token=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            for e in std::fs::read_dir(&log_dir).unwrap().flatten() {
                let log = std::fs::read_to_string(e.path().join("cld.log")).unwrap_or_default();
                if let Some(pid) = log
                    .lines()
                    .find(|l| l.contains(&format!("start token={token}")))
                    .and_then(|l| l.split("pid=").nth(1))
                    .and_then(|p| p.split(' ').next())
                    .and_then(|p| p.parse::<i32>().ok())
                {
                    let _ = nix::sys::signal::kill(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                    killed_at = Some(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs_f64(),
                    );
                }
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = child.wait().unwrap();
    assert!(
        status.success(),
        "the build failed after the background linker was killed"
    );
    let trace = ws.take_trace();
    let t = trace.join("\n");
    let killed_at =
        killed_at.unwrap_or_else(|| panic!("the background linker was never seen:\n{t}"));
    let links = lines_with(&trace, &[" link ", "/app-", "status=0"]);
    assert_eq!(links.len(), 1, "{t}");
    // When rustc asked for the link (the trace line is written at its end).
    let f: Vec<&str> = links[0].split_whitespace().collect();
    let ms: f64 = links[0]
        .split("ms=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let requested = f[0].parse::<f64>().unwrap() - ms / 1e3;
    if killed_at < requested {
        assert_eq!(
            lines_with(&trace, &["fallback", "/app-", "background-linker-gone"]).len(),
            1,
            "killed before the link, yet no fallback:\n{t}"
        );
        assert!(links[0].contains("mode=serial"), "{t}");
    } else {
        eprintln!("the link was requested before the kill; nothing to check:\n{t}");
    }
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    // The killed background linker left its socket; the next start of one
    // removes it (cld removes stale sockets), and that link is concurrent.
    ws.touch("app/src/main.rs");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=concurrent", "status=0"]).len(),
        1,
        "{}",
        trace.join("\n")
    );
    ws.assert_no_leftovers("after recovering from a killed background linker");
}

/// Two projects built at the same time (sharing the runtime directory):
/// each relink is done by its own background linker.
#[test]
fn two_projects_at_once() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();
    // A second, small project (no dependencies).
    let tiny = work_root().join("tiny");
    let _ = std::fs::remove_dir_all(&tiny);
    std::fs::create_dir_all(tiny.join("src")).unwrap();
    std::fs::write(
        tiny.join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        tiny.join("src/main.rs"),
        "mod parts;\nfn main() {\n    println!(\"tiny: {}\", parts::sum(std::env::args().count() as u64));\n}\n",
    )
    .unwrap();
    std::fs::write(
        tiny.join("src/parts.rs"),
        "pub fn sum(n: u64) -> u64 {\n    (1..=n + 10).map(|x| x * x).sum()\n}\n",
    )
    .unwrap();
    let tiny_trace = work_root().join("tiny.trace");
    let tiny_build = || {
        let mut c = ws.ccl(&["build"]);
        c.current_dir(&tiny)
            .env("CARGO_TARGET_DIR", tiny.join("target"))
            .env("CARGO_CONCURRENT_LINK_TRACE", &tiny_trace);
        c
    };
    let o = run(&mut tiny_build(), None);
    assert!(o.ok(), "{}", o.show());
    let _ = std::fs::remove_file(&tiny_trace);

    ws.touch("app/src/lib.rs");
    std::fs::File::options()
        .write(true)
        .open(tiny.join("src/main.rs"))
        .unwrap()
        .set_modified(std::time::SystemTime::now())
        .unwrap();
    let mut a = ws.ccl(&["build", "--workspace", "--locked"]);
    let mut b = tiny_build();
    let ha = std::thread::spawn(move || run(&mut a, None));
    let hb = std::thread::spawn(move || run(&mut b, None));
    let (oa, ob) = (ha.join().unwrap(), hb.join().unwrap());
    assert!(oa.ok(), "{}", oa.show());
    assert!(ob.ok(), "{}", ob.show());
    let ta = ws.take_trace();
    let tb: Vec<String> = std::fs::read_to_string(&tiny_trace)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    for (trace, bin) in [(&ta, "/app-"), (&tb, "/tiny-")] {
        let t = trace.join("\n");
        assert_eq!(
            lines_with(trace, &[" link ", bin, "mode=concurrent", "status=0"]).len(),
            1,
            "{t}"
        );
        assert_eq!(
            lines_with(trace, &["verify", bin, "identical"]).len(),
            1,
            "{t}"
        );
    }
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    let t = run(&mut Command::new(tiny.join("target/debug/tiny")), None);
    assert_eq!(t.stdout, "tiny: 506\n", "{}", t.show());
    ws.assert_no_leftovers("after two projects at once");
}

/// The `cdylib` (a `-shared` link with rustc's version script) and a build
/// script are relinked by their background linkers as well.
#[test]
fn cdylib_and_build_script_relink_concurrently() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    ws.take_trace();
    let exports = |p: &Path| {
        let o = Command::new("nm")
            .args(["-D", "--defined-only"])
            .arg(p)
            .output()
            .unwrap();
        let mut v: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().last().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    let so = ws.debug().join("libcabi.so");
    let before = exports(&so);
    assert!(before.iter().any(|s| s.starts_with("cabi_")), "{before:?}");

    ws.touch("cabi/src/lib.rs");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert_eq!(
        lines_with(
            &trace,
            &[" link ", "/libcabi.so", "mode=concurrent", "status=0"]
        )
        .len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &["verify", "/libcabi.so", "identical"]).len(),
        1,
        "{t}"
    );
    assert_eq!(exports(&so), before, "libcabi.so exports changed");
    assert!(comment(&so).contains("cld"));

    ws.touch("codegen/build.rs");
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert_eq!(
        lines_with(
            &trace,
            &[
                " link ",
                "/build_script_build-",
                "mode=concurrent",
                "status=0"
            ]
        )
        .len(),
        1,
        "{t}"
    );
    assert_eq!(
        lines_with(&trace, &["verify", "/build_script_build-", "identical"]).len(),
        1,
        "{t}"
    );
    // The script ran (codegen was rebuilt) and the app still reports the same.
    assert!(o.stderr.contains("Compiling codegen"), "{}", o.show());
    assert_eq!(&Ws::app_outputs(&app_bin(ws)), reference);
    ws.assert_no_leftovers("after relinking the cdylib and a build script");
}

/// After `cargo clean`, the templates come back from the cache: the clean
/// build's links of the bin and the build scripts start their background
/// linkers while rustc compiles, ingest the rlibs as they are written, and
/// link concurrently (verified identical to cld's serial link).
#[test]
fn build_after_cargo_clean_links_concurrently() {
    let _g = one_at_a_time();
    let (ws, _, _) = ws();
    let reference = reference_outputs(ws);
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    let mut clean = Command::new(cargo());
    ws.env(&mut clean);
    let o = run(clean.arg("clean"), None);
    assert!(o.ok(), "cargo clean failed:\n{}", o.show());
    assert!(
        !ws.debug().exists(),
        "cargo clean left {}",
        ws.debug().display()
    );
    ws.take_trace();
    let o = run(&mut ws.ccl(&["build", "--workspace", "--locked"]), None);
    assert!(o.ok(), "{}", o.show());
    assert!(o.stderr.contains("Compiling app "), "{}", o.show());
    let trace = ws.take_trace();
    let t = trace.join("\n");
    assert!(
        !lines_with(&trace, &["templates-restored", "/deps"]).is_empty(),
        "the templates of deps/ were not restored:\n{t}"
    );
    assert!(
        !lines_with(&trace, &["bg-start", "/app-"]).is_empty(),
        "no background linker for app in the build after cargo clean:\n{t}"
    );
    assert_eq!(
        lines_with(&trace, &[" link ", "/app-", "mode=concurrent", "status=0"]).len(),
        1,
        "app was not linked concurrently after cargo clean:\n{t}"
    );
    assert!(
        !lines_with(&trace, &["verify", "/app-", "identical"]).is_empty(),
        "app's concurrent link was not verified identical:\n{t}"
    );
    // The background linker took the dependencies' rlibs while they were
    // written: its log has rlib ingestion before the wait request.
    let log = std::fs::read_dir(ws.debug().join("deps/.concurrent-link"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("app-"))
        .map(|e| std::fs::read_to_string(e.path().join("cld.log")).unwrap_or_default())
        .unwrap_or_default();
    let wait = log
        .find("request wait")
        .unwrap_or_else(|| panic!("no wait in app's log:\n{log}"));
    assert!(
        log[..wait]
            .lines()
            .any(|l| l.contains("ingest-done") && l.contains(".rlib")),
        "no rlib ingested before the wait:\n{log}"
    );
    assert_all_cld(&ws.debug());
    assert_eq!(
        &Ws::app_outputs(&app_bin(ws)),
        reference,
        "app differs from the normal cargo build's"
    );
    ws.assert_no_leftovers("after the build after cargo clean");
}
