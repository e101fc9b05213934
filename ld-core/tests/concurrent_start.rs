//! `cld --concurrent-start`: the one entry the adapters use to start a
//! background linker. Its plain output must be `eval`-able by a shell (the
//! values shell-quoted), its `--json` output one JSON object; the token,
//! pid, log and FIFO it names must be the background linker's (the wait
//! links the program, the serial link's bytes); errors exit non-zero with a
//! clear message and leave nothing behind.
//!
//! Each test uses its own `CLD_RUNTIME_DIR`. These are about cld itself: the
//! driver form always uses cld's own shim.

mod common;

use common::*;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);
const O_NONBLOCK: i32 = 0o4000;

/// A fresh directory with `main.o` compiled (`f.o` is compiled by the test,
/// when it wants it), and a private 0700 runtime directory `rt`.
fn setup(name: &str) -> (PathBuf, PathBuf) {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("concurrent_start", name);
    let rt = dir.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint f(void);\nint main(void) { printf(\"f=%d\\n\", f()); return 0; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("f.c"), "int f(void) { return 42; }\n").unwrap();
    compile(&dir, "main.c");
    (dir, rt)
}

fn compile(dir: &Path, src: &str) {
    must_succeed_within(
        Command::new("gcc").current_dir(dir).args(["-c", src]),
        TIMEOUT,
        "TEST BUG: gcc -c",
    );
}

fn cld(dir: &Path, rt: &Path, args: &[&str]) -> (RunResult, String) {
    let mut cmd = Command::new(cld_binary());
    cmd.current_dir(dir).env("CLD_RUNTIME_DIR", rt).args(args);
    run_shown(&mut cmd, TIMEOUT)
}

/// The link command with f.o marked concurrent, after `--`.
const LINK: [&str; 9] = [
    "--",
    "gcc",
    "-o",
    "app",
    "main.o",
    "--start-concurrent",
    "f.o",
    "--end-concurrent",
    "-lc",
];

/// Waits for `token`, checks the program runs and is the serial link's
/// bytes (linked in `dir/serial`), and that the background linker `pid`
/// is gone.
fn wait_and_check(dir: &Path, rt: &Path, token: &str, pid: i32) {
    let (r, shown) = cld(dir, rt, &[&format!("--concurrent-wait={token}")]);
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    let out = must_succeed_within(&mut Command::new(dir.join("app")), TIMEOUT, "the program");
    assert_eq!(out.stdout, "f=42\n");
    let serial = dir.join("serial");
    std::fs::create_dir_all(&serial).unwrap();
    for o in ["main.o", "f.o"] {
        std::fs::copy(dir.join(o), serial.join(o)).unwrap();
    }
    let shim = dir.join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    let _ = std::fs::remove_file(shim.join("ld"));
    std::os::unix::fs::symlink(cld_binary(), shim.join("ld")).unwrap();
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&serial)
            .arg(format!("-B{}/", shim.display()))
            .args(["-o", "app", "main.o", "f.o", "-lc"]),
        TIMEOUT,
        "the serial link",
    );
    assert!(
        std::fs::read(dir.join("app")).unwrap() == std::fs::read(serial.join("app")).unwrap(),
        "the concurrent link differs from the serial link"
    );
    assert!(
        poll(Duration::from_secs(10), || !pid_alive(pid)),
        "the background linker (pid {pid}) still runs after the wait"
    );
}

/// What a shell makes of the plain output: `eval` it, print the variables.
fn shell_eval(output: &str) -> Vec<String> {
    let script = format!(
        "{output}\nprintf '%s\\n' \"$CLD_TOKEN\" \"$CLD_PID\" \"$CLD_LOG\" \"${{CLD_FIFO-unset}}\""
    );
    let r = must_succeed_within(
        Command::new("sh").args(["-c", "eval \"$1\"", "sh", &script]),
        TIMEOUT,
        "eval of the plain output",
    );
    r.stdout.lines().map(str::to_string).collect()
}

fn check_token_text(token: &str, what: &str) {
    assert!(
        token.len() == 32 && token.bytes().all(|c| c.is_ascii_hexdigit()),
        "{what}: not a 32-hex-digit token: {token:?}"
    );
}

/// Plain output through a driver, FIFO feed, a log path that needs
/// quoting: eval gives the token, pid, log and FIFO, and they are the
/// background linker's.
#[test]
fn plain_output_evals_to_the_background_linker() {
    let (dir, rt) = setup("plain");
    let log = dir.join("it's a log");
    let log_opt = format!("--concurrent-log={}", log.display());
    let mut args = vec![
        "--concurrent-start",
        "--concurrent-pipe=objs.fifo",
        &log_opt,
    ];
    args.extend(LINK);
    let (r, shown) = cld(&dir, &rt, &args);
    assert!(r.success(), "the start failed{}", context(&r, &shown));
    assert!(
        r.stdout.lines().all(|l| l.starts_with("CLD_")),
        "the plain output has lines that are not CLD_KEY=VALUE{}",
        context(&r, &shown)
    );
    let v = shell_eval(&r.stdout);
    assert_eq!(v.len(), 4, "eval gave {v:?}{}", context(&r, &shown));
    check_token_text(&v[0], "CLD_TOKEN");
    let pid: i32 = v[1].parse().expect("CLD_PID is a number");
    assert!(pid_alive(pid), "CLD_PID {pid} does not run");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&cmdline).contains("concurrent-start"),
        "CLD_PID {pid} is not the background linker"
    );
    assert_eq!(PathBuf::from(&v[2]), log, "CLD_LOG");
    assert_eq!(pid_from_log(&log), pid, "the log's pid and CLD_PID differ");
    assert_eq!(PathBuf::from(&v[3]), dir.join("objs.fifo"), "CLD_FIFO");
    let fifo = std::fs::metadata(&v[3]).expect("CLD_FIFO exists");
    assert!(fifo.file_type().is_fifo(), "CLD_FIFO is not a FIFO");

    compile(&dir, "f.c");
    let mut w = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(O_NONBLOCK)
        .open(&v[3])
        .unwrap();
    w.write_all(b"f.o\0").unwrap();
    drop(w);
    wait_and_check(&dir, &rt, &v[0], pid);
    assert!(!dir.join("objs.fifo").exists(), "the FIFO cld made is left");
}

/// `--json` (inotify, default log): one JSON object, no FIFO; the token
/// works with --concurrent-status and --concurrent-wait.
#[test]
fn json_output_token_works_with_wait() {
    let (dir, rt) = setup("json");
    compile(&dir, "f.c");
    let mut args = vec!["--concurrent-start", "--json", "--concurrent-inotify"];
    args.extend(LINK);
    let (r, shown) = cld(&dir, &rt, &args);
    assert!(r.success(), "the start failed{}", context(&r, &shown));
    assert_eq!(
        r.stdout.lines().count(),
        1,
        "not one line{}",
        context(&r, &shown)
    );
    let v: serde_json::Value = serde_json::from_str(r.stdout.trim())
        .unwrap_or_else(|e| panic!("not JSON: {e}{}", context(&r, &shown)));
    let token = v["token"].as_str().expect("a token string").to_string();
    check_token_text(&token, "token");
    let pid = v["pid"].as_i64().expect("a pid number") as i32;
    assert!(pid_alive(pid), "pid {pid} does not run");
    let log = PathBuf::from(v["log"].as_str().expect("a log string"));
    assert_eq!(log, rt.join(format!("{token}.log")), "the default log");
    assert_eq!(pid_from_log(&log), pid);
    assert!(v.get("fifo").is_none(), "a FIFO without FIFO feeding: {v}");
    let (r, shown) = cld(&dir, &rt, &[&format!("--concurrent-status={token}")]);
    assert!(
        r.success(),
        "status with the token failed{}",
        context(&r, &shown)
    );
    wait_and_check(&dir, &rt, &token, pid);
    assert!(!log.exists(), "the default log is left after the wait");
}

/// `--concurrent-start` as a link option (here through gcc's -Wl): the
/// same report instead of the bare token.
#[test]
fn link_option_form_prints_the_report() {
    let (dir, rt) = setup("option");
    compile(&dir, "f.c");
    let shim = dir.join("shim");
    std::fs::create_dir_all(&shim).unwrap();
    std::os::unix::fs::symlink(cld_binary(), shim.join("ld")).unwrap();
    let mut cmd = Command::new("gcc");
    cmd.current_dir(&dir)
        .env("CLD_RUNTIME_DIR", &rt)
        .arg(format!("-B{}/", shim.display()))
        .args(["-o", "app", "main.o"])
        .arg("-Wl,--concurrent-start,--concurrent-pipe=p,--start-concurrent,f.o,--end-concurrent")
        .arg("-lc");
    let (r, shown) = run_shown(&mut cmd, TIMEOUT);
    assert!(r.success(), "the start failed{}", context(&r, &shown));
    let v = shell_eval(&r.stdout);
    check_token_text(&v[0], "CLD_TOKEN");
    assert_eq!(PathBuf::from(&v[3]), dir.join("p"), "CLD_FIFO");
    wait_and_check(&dir, &rt, &v[0], v[1].parse().unwrap());
}

/// Errors: non-zero, a message saying what is wrong, nothing on stdout,
/// nothing left in the runtime directory, and a refused second start
/// leaves the first one working.
#[test]
fn errors_fail_cleanly() {
    let (dir, rt) = setup("errors");
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "--concurrent-start",
                "--",
                "gcc",
                "-o",
                "app",
                "main.o",
                "--start-concurrent",
                "f.o",
                "--end-concurrent",
            ],
            "needs a feed",
        ),
        (
            &[
                "--concurrent-start",
                "--concurrent-inotify",
                "--",
                "true",
                "main.o",
            ],
            "did not run cld",
        ),
        (
            &["--concurrent-start", "--concurrent-inotify", "--"],
            "no compiler driver after --",
        ),
        (
            &[
                "--concurrent-start",
                "--concurrent-inotify",
                "--",
                "gcc",
                "-o",
                "app",
                "main.o",
            ],
            "needs inputs between --start-concurrent and --end-concurrent",
        ),
    ];
    for (args, needle) in cases {
        let (r, shown) = cld(&dir, &rt, args);
        let ctx = context(&r, &shown);
        assert!(
            !r.success() && r.status.code().is_some(),
            "expected a failure{ctx}"
        );
        assert!(
            r.stderr.contains(needle),
            "the message lacks '{needle}'{ctx}"
        );
        assert!(r.stdout.is_empty(), "a failed start printed on stdout{ctx}");
        assert!(
            listing(&rt).is_empty(),
            "left in the runtime directory: {:?}{ctx}",
            listing(&rt)
        );
    }

    let mut args = vec!["--concurrent-start", "--json", "--concurrent-inotify"];
    args.extend(LINK);
    let (first, shown) = cld(&dir, &rt, &args);
    assert!(
        first.success(),
        "the first start failed{}",
        context(&first, &shown)
    );
    let v: serde_json::Value = serde_json::from_str(first.stdout.trim()).unwrap();
    let token = v["token"].as_str().unwrap().to_string();
    let (r, shown) = cld(&dir, &rt, &args);
    let ctx = context(&r, &shown);
    assert!(
        !r.success(),
        "a second start for the same output succeeded{ctx}"
    );
    assert!(
        r.stderr.contains("already running") && r.stderr.contains(&token),
        "{ctx}"
    );
    assert!(r.stdout.is_empty(), "{ctx}");
    compile(&dir, "f.c");
    wait_and_check(&dir, &rt, &token, v["pid"].as_i64().unwrap() as i32);
}
