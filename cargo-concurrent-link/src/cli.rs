//! `cargo concurrent-link build|run|test [cargo args]`: the subcommand.
//!
//! Runs cargo with this program as the linker of the host target
//! (`CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER`, so build scripts and
//! proc-macros too), as `RUSTC_WRAPPER` (the user's own wrapper runs inside
//! it), and, for `test`, as rustdoc's linker for doctests. cargo's stderr is
//! the user's terminal; its stdout carries `--message-format=json-render-
//! diagnostics` messages (cargo renders the compiler's diagnostics on stderr
//! itself), read here to follow which artifacts were rebuilt; a user who
//! asked for JSON gets every line.
//!
//! `run` and `test` build first (`cargo build`, `cargo test --no-run`), then
//! run `cargo run|test` with the same settings (everything is fresh by then),
//! so the program and the test harnesses get the real stdout.
//!
//! At the end, every background linker this command started and nobody used
//! is aborted, so none is left behind by a failed or interrupted build.

use crate::config;
use crate::state;
use crate::util::{self, trace};
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

#[derive(Parser)]
#[command(name = "cargo", bin_name = "cargo")]
enum CargoCli {
    #[command(name = "concurrent-link")]
    ConcurrentLink(Cli),
}

/// Cargo with cld as the linker of every artifact, each link started while
/// rustc still compiles.
///
/// Environment: CLD (the cld binary; default: next to this program, else
/// on PATH), CARGO_CONCURRENT_LINK_CC (the C driver, default cc),
/// CARGO_CONCURRENT_LINK_MODE=serial (no background linkers; cld still
/// links everything), CARGO_CONCURRENT_LINK_TRACE=FILE (one line per
/// link decision), CARGO_CONCURRENT_LINK_VERIFY=1 (after each concurrent
/// link, link serially too and compare the bytes).
#[derive(clap::Args)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum VerbKind {
    Build,
    Run,
    Test,
}

#[derive(Subcommand)]
enum Verb {
    /// `cargo build [ARGS]`
    #[command(disable_help_flag = true)]
    Build(Rest),
    /// `cargo run [ARGS] [-- PROGRAM ARGS]`
    #[command(disable_help_flag = true)]
    Run(Rest),
    /// `cargo test [ARGS] [-- TEST ARGS]`
    #[command(disable_help_flag = true)]
    Test(Rest),
}

#[derive(clap::Args)]
struct Rest {
    /// Passed to cargo unchanged.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<OsString>,
}

pub fn main(mut argv: Vec<OsString>) -> ! {
    // Run as `cargo concurrent-link ...`, cargo passes "concurrent-link"
    // first; run directly, it does not.
    if argv.get(1).is_none_or(|a| a != "concurrent-link") {
        argv.insert(1, "concurrent-link".into());
    }
    let CargoCli::ConcurrentLink(cli) = CargoCli::parse_from(argv);
    let (verb, args) = match cli.verb {
        Verb::Build(r) => (VerbKind::Build, r.args),
        Verb::Run(r) => (VerbKind::Run, r.args),
        Verb::Test(r) => (VerbKind::Test, r.args),
    };
    let code = run(verb, args);
    // The exit status is cargo's (a program run by `run` may have handled a
    // Ctrl-C we saw too); cargo killed by a signal was raised again above.
    std::process::exit(code)
}

fn fail(msg: &str) -> ! {
    eprintln!("error: cargo-concurrent-link: {msg}");
    std::process::exit(101)
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// cld: `$CLD`, else next to this program, else on `PATH`.
fn find_cld(exe: &Path) -> Option<PathBuf> {
    if let Some(c) = util::env_str("CLD") {
        let p = PathBuf::from(&c);
        return if c.contains('/') {
            Some(util::absolute(&p))
        } else {
            which(&c)
        };
    }
    let sibling = exe.with_file_name("cld");
    if sibling.is_file() {
        return Some(sibling);
    }
    which("cld")
}

fn session_dir() -> PathBuf {
    let uid = nix::unistd::getuid().as_raw();
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    let dir = base.join(format!(
        "cargo-concurrent-link-{uid}-{}-{nanos}",
        std::process::id()
    ));
    if let Err(e) = std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        fail(&format!("cannot create {}: {e}", dir.display()));
    }
    let _ = std::fs::write(dir.join("active"), b"");
    dir
}

/// Split off `--message-format` (all spellings); return the rest and the
/// requested formats.
fn take_message_format(args: &[OsString]) -> (Vec<OsString>, Vec<String>) {
    let mut rest = Vec::new();
    let mut fmts = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy();
        if s == "--" {
            rest.push(a.clone());
            rest.extend(it.cloned());
            break;
        }
        if s == "--message-format" {
            if let Some(v) = it.next() {
                fmts.push(v.to_string_lossy().into_owned());
            }
        } else if let Some(v) = s.strip_prefix("--message-format=") {
            fmts.push(v.to_string());
        } else {
            rest.push(a.clone());
        }
    }
    (rest, fmts)
}

/// Arguments before `--`.
fn before_dashdash(args: &[OsString]) -> Vec<OsString> {
    args.iter().take_while(|a| *a != "--").cloned().collect()
}

struct Env {
    exe: PathBuf,
    cld: PathBuf,
    shim: String,
    session: PathBuf,
    key: String,
    inner_wrapper: Option<String>,
    rustdocflags: Option<String>,
}

impl Env {
    fn apply(&self, cmd: &mut Command) {
        cmd.env(util::ENV_ACTIVE, "1")
            .env(util::ENV_CLD, &self.cld)
            .env(util::ENV_SHIM, &self.shim)
            .env(util::ENV_SESSION, &self.session)
            .env(util::ENV_OWNER, std::process::id().to_string())
            .env(util::ENV_KEY, &self.key)
            .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", &self.exe)
            .env("RUSTC_WRAPPER", &self.exe)
            .env_remove(util::ENV_UNIT);
        match &self.inner_wrapper {
            Some(w) => cmd.env(util::ENV_INNER_WRAPPER, w),
            None => cmd.env_remove(util::ENV_INNER_WRAPPER),
        };
        if let Some(f) = &self.rustdocflags {
            cmd.env("CARGO_ENCODED_RUSTDOCFLAGS", f)
                .env_remove("RUSTDOCFLAGS");
        }
    }
}

fn run(verb: VerbKind, args: Vec<OsString>) -> i32 {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .unwrap_or_else(|e| fail(&format!("cannot find my own executable: {e}")));
    let cld = find_cld(&exe).unwrap_or_else(|| {
        fail("cannot find cld (set CLD=/path/to/cld, or install cld next to cargo-concurrent-link or on PATH)")
    });
    let shim = match Command::new(&cld).arg("--print-shim-dir").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => fail(&format!(
            "{} --print-shim-dir failed: {}",
            cld.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => fail(&format!("cannot run {}: {e}", cld.display())),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let cwd = std::env::current_dir().unwrap_or_default();
    let (rest, fmts) = take_message_format(&args);
    let user_json = fmts.iter().any(|f| f.contains("json"));
    let fmt = if user_json {
        fmts.join(",")
    } else if fmts.iter().any(|f| f.contains("short")) {
        "json-render-diagnostics,json-diagnostic-short".to_string()
    } else {
        "json-render-diagnostics".to_string()
    };
    let verb_name = format!("{verb:?}").to_lowercase();
    let mut key_parts: Vec<Vec<u8>> = vec![
        verb_name.clone().into_bytes(),
        cwd.to_string_lossy().into_owned().into_bytes(),
    ];
    key_parts.extend(
        before_dashdash(&rest)
            .iter()
            .map(|a| a.to_string_lossy().into_owned().into_bytes()),
    );
    let key_refs: Vec<&[u8]> = key_parts.iter().map(|v| v.as_slice()).collect();
    let inner_wrapper = config::rustc_wrapper()
        .filter(|w| Path::new(w).canonicalize().ok().as_deref() != Some(exe.as_path()));
    let rustdocflags = (verb == VerbKind::Test).then(|| {
        let mut f = config::rustdocflags();
        f.push("-C".into());
        f.push(format!("linker={}", exe.display()));
        f.join("\x1f")
    });
    if let Some(l) = util::env_str("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER") {
        if Path::new(&l).canonicalize().ok().as_deref() != Some(exe.as_path()) {
            eprintln!(
                "cargo-concurrent-link: note: CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER={l} is replaced (the C driver is {}; CARGO_CONCURRENT_LINK_CC chooses another)",
                util::env_str(util::ENV_CC).unwrap_or_else(|| "cc".into())
            );
        }
    }
    let env = Env {
        exe,
        cld,
        shim,
        session: session_dir(),
        key: util::fnv(&key_refs),
        inner_wrapper,
        rustdocflags,
    };
    // The sweep at the end talks to cld too.
    std::env::set_var(util::ENV_CLD, &env.cld);
    util::catch_signals(true);

    let before = before_dashdash(&rest);
    let has = |flag: &str| before.iter().any(|a| a == flag);
    // Phase 1: the build, with JSON messages.
    let phase1: Option<Vec<OsString>> = match verb {
        VerbKind::Build => Some(rest.clone()),
        // cargo's help, once.
        VerbKind::Run | VerbKind::Test if has("--help") || has("-h") => None,
        VerbKind::Run => Some(before.clone()),
        // `--doc` alone cannot be built with --no-run: rustdoc builds them.
        VerbKind::Test if has("--doc") => None,
        VerbKind::Test => Some(before.clone()),
    };
    let mut status = None;
    if let Some(p1) = phase1 {
        let mut a: Vec<OsString> = match verb {
            VerbKind::Test => vec!["test".into()],
            _ => vec!["build".into()],
        };
        if verb == VerbKind::Test && !has("--no-run") {
            a.push("--no-run".into());
        }
        a.push(format!("--message-format={fmt}").into());
        a.extend(p1);
        let s = build_phase(&cargo, &a, &env, user_json);
        status = Some(s);
    }
    let phase2 = match verb {
        VerbKind::Build => false,
        VerbKind::Test => !has("--no-run"),
        VerbKind::Run => true,
    };
    if phase2 && status.is_none_or(|s| s.success()) && util::got_signal().is_none() {
        let mut a: Vec<OsString> = vec![verb_name.into()];
        if user_json && status.is_some() {
            // The build's messages were printed already.
            a.extend(rest.iter().cloned());
        } else {
            a.extend(args.iter().cloned());
        }
        let mut cmd = Command::new(&cargo);
        cmd.args(&a);
        env.apply(&mut cmd);
        status = Some(spawn_wait(&mut cmd));
    }
    finish(&env);
    match status {
        Some(s) => {
            if let Some(code) = s.code() {
                code
            } else {
                util::exit_like(s)
            }
        }
        None => 101,
    }
}

fn spawn_wait(cmd: &mut Command) -> ExitStatus {
    match cmd.spawn() {
        Ok(mut c) => {
            util::set_child(c.id());
            c.wait()
                .unwrap_or_else(|e| fail(&format!("waiting for cargo: {e}")))
        }
        Err(e) => fail(&format!("cannot run {:?}: {e}", cmd.get_program())),
    }
}

/// cargo with JSON messages on stdout: forward what the user should see,
/// note the artifacts.
fn build_phase(cargo: &OsString, args: &[OsString], env: &Env, user_json: bool) -> ExitStatus {
    let mut cmd = Command::new(cargo);
    cmd.args(args).stdout(Stdio::piped());
    env.apply(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => fail(&format!("cannot run {cargo:?}: {e}")),
    };
    util::set_child(child.id());
    let stdout = child.stdout.take().expect("piped stdout");
    let mut out = std::io::stdout().lock();
    let (mut fresh, mut built) = (0, 0);
    for line in std::io::BufReader::new(stdout).split(b'\n') {
        let Ok(line) = line else { break };
        let msg: Option<serde_json::Value> = serde_json::from_slice(&line).ok();
        let reason = msg
            .as_ref()
            .and_then(|m| m.get("reason"))
            .and_then(|r| r.as_str());
        match (reason, &msg) {
            (Some("compiler-artifact"), Some(m)) => {
                let is_fresh = m.get("fresh").and_then(|f| f.as_bool()) == Some(true);
                if is_fresh {
                    fresh += 1;
                } else {
                    built += 1;
                }
                let name = m
                    .pointer("/target/name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("?");
                let kind = m
                    .pointer("/target/kind/0")
                    .and_then(|n| n.as_str())
                    .unwrap_or("?");
                trace(
                    "artifact",
                    &format!("{} {kind} {name}", if is_fresh { "fresh" } else { "built" }),
                );
            }
            (Some("compiler-message"), Some(m)) if !user_json => {
                // Not sent with json-render-diagnostics; shown if it is.
                if let Some(r) = m.pointer("/message/rendered").and_then(|r| r.as_str()) {
                    eprint!("{r}");
                }
            }
            _ => {}
        }
        if user_json || msg.is_none() {
            let _ = out.write_all(&line);
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
    }
    let status = child
        .wait()
        .unwrap_or_else(|e| fail(&format!("waiting for cargo: {e}")));
    trace(
        "cargo-exit",
        &format!(
            "status={} built={built} fresh={fresh}",
            util::status_code(status)
        ),
    );
    status
}

/// Abort unused background linkers, show notices, remove the session.
fn finish(env: &Env) {
    // Rustc wrappers hold a shared lock on the session while they may
    // start background linkers: after an interrupt, cargo is gone but they
    // may still be finishing a start.
    if let Ok(f) = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.session.join("active"))
    {
        let t0 = std::time::Instant::now();
        while f.try_lock().is_err() && t0.elapsed() < std::time::Duration::from_secs(15) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    let n = state::sweep(&env.session);
    if n > 0 {
        trace("sweep", &format!("aborted={n}"));
    }
    if let Ok(text) = std::fs::read_to_string(env.session.join("notices")) {
        let mut seen = std::collections::HashSet::new();
        for line in text.lines() {
            if seen.insert(line) {
                eprintln!("cargo-concurrent-link: note: {line}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&env.session);
}
