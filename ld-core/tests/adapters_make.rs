//! The shell and GNU Make adapters, tested by real builds of their examples:
//!
//! - `examples/shell/build.sh` (a script: background linker in FIFO mode,
//!   `xargs -P` compiles that report their objects, the wait);
//! - `examples/make-project/Makefile` (two programs through
//!   `make-helpers/concurrent-link.mk`) and `big.mk` (the 300-module
//!   generated program of `examples/c-project`).
//!
//! Each is built from clean, rebuilt with nothing to do (nothing runs),
//! after touching one source (that object alone is recompiled and the
//! program relinked), with a compile error (the build fails, no linker is
//! left, the fixed build works) and interrupted by SIGINT (no linker left).
//! Every program must be byte-identical to cld's serial link of the same
//! command line. Two builds run at once must not interfere. The big example
//! checks, from the background linker's event log, that objects were
//! ingested while the compile was still running.
//!
//! Each build uses its own `CLD_RUNTIME_DIR` (a fresh 0700 directory):
//! leftover background linkers show up there as sockets, and as processes
//! with `--concurrent-pipe` on their command line and their working
//! directory inside the test's directory.

mod common;

use common::*;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const TIMEOUT: Duration = Duration::from_secs(180);

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}
const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;

const SHAPES_OUT: &str = "\
circle    area    7.069  perimeter    9.425
rectangle area    7.000  perimeter   11.000
triangle  area    6.000  perimeter   12.000
circle    area    0.785  perimeter    3.142
4 shapes
";
const CALC_OUT: &str = "\
calc 1.0
3 4 + 2 * = 14
2 0.5 ^ 10 * = 14.14
1 2 3 4 5 + + + + = 15
9 sqrt 7 - = -4
";
const GREET_OUT: &str = "\
Good morning, Ada!
Good afternoon, Grace!
Good evening, Linus!
";

// ---------------------------------------------------------------------------
// Utilities.

fn examples() -> PathBuf {
    repo_root().join("examples")
}

/// A fresh work directory with its runtime directory `rt` (0700).
fn fresh(name: &str) -> (PathBuf, PathBuf) {
    let dir = fresh_work_dir("adapters_make", name);
    let rt = dir.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    (dir, rt)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// A compiler that sleeps 2 s before each compile (to interrupt a build
/// while its background linker runs).
fn slow_cc(dir: &Path) -> PathBuf {
    let p = dir.join("slowcc");
    std::fs::write(
        &p,
        "#!/bin/sh\ncase \" $* \" in *\" -c \"*) sleep 2 ;; esac\nexec gcc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn mtime(p: &Path) -> SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("cannot stat {}: {e}", p.display()))
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Sets the mtime of `p` to now (a `touch` that is never equal to the mtime
/// of an object written a moment ago).
fn touch(p: &Path) {
    std::thread::sleep(Duration::from_millis(20));
    let f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
    f.set_modified(SystemTime::now()).unwrap();
}

fn run(cmd: &mut Command) -> (RunResult, String) {
    run_shown(cmd, TIMEOUT)
}

fn must_succeed(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

fn must_fail(cmd: &mut Command, what: &str) -> RunResult {
    let (r, shown) = run(cmd);
    assert!(
        !r.timed_out && !r.status.success(),
        "{what} should have failed{}",
        context(&r, &shown)
    );
    r
}

/// Sockets in the runtime directory: one per running background linker.
fn sockets(rt: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(rt)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sock"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Live processes started with `--concurrent-pipe` whose working directory
/// is inside `dir`: background linkers of this test.
fn linkers_in(dir: &Path) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|c| c.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if !cmdline.contains("--concurrent-pipe") {
            continue;
        }
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .map(|s| {
                s.rfind(')')
                    .is_some_and(|k| s[k + 1..].trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        let cwd = std::fs::read_link(e.path().join("cwd")).unwrap_or_default();
        if !zombie && cwd.starts_with(dir) {
            out.push(format!("{name}: {cmdline}"));
        }
    }
    out
}

/// No background linker of this test runs, and none left a socket.
fn assert_no_linker(dir: &Path, rt: &Path, what: &str) {
    let ok = poll(Duration::from_secs(20), || {
        sockets(rt).is_empty() && linkers_in(dir).is_empty()
    });
    assert!(
        ok,
        "{what}: background linkers left behind: sockets {:?}, processes {:?}",
        sockets(rt),
        linkers_in(dir)
    );
}

fn check_runs(prog: &Path, expected: &str, what: &str) {
    let r = must_succeed(&mut Command::new(prog), &format!("{what}: running it"));
    assert_eq!(
        r.stdout,
        expected,
        "{what}: {} printed something else:\n{}",
        prog.display(),
        line_diff(expected, &r.stdout)
    );
    if let Some(p) = comment_problem(prog) {
        panic!("{what}: {p}");
    }
}

/// `prog` must be byte-identical to cld's serial link by `argv` (a link
/// command through the compiler driver, run in `dir` with `-B <shim>`
/// and its `-o` pointed elsewhere).
fn assert_same_as_serial(dir: &Path, argv: &[String], prog: &Path, what: &str) {
    let serial = dir.join(format!(
        "serial-{}",
        prog.file_name().unwrap().to_string_lossy()
    ));
    let mut args: Vec<String> = argv[1..].to_vec();
    let k = args
        .iter()
        .position(|a| a == "-o")
        .unwrap_or_else(|| panic!("{what}: no -o in the link command {argv:?}"));
    args[k + 1] = serial.display().to_string();
    let shim = make_shim_for_cld(dir);
    let mut cmd = Command::new(&argv[0]);
    cmd.current_dir(dir).arg("-B").arg(&shim).args(&args);
    must_succeed(&mut cmd, &format!("{what}: serial link"));
    let a = std::fs::read(prog).unwrap();
    let b = std::fs::read(&serial).unwrap();
    assert!(
        a == b,
        "{what}: {} ({} bytes) differs from cld's serial link of the same command line {} ({} bytes): {}",
        prog.display(),
        a.len(),
        serial.display(),
        b.len(),
        show_command(&cmd)
    );
}

/// A shim directory whose `ld` is cld (always cld: these tests are about
/// cld's adapters, whatever CLD_TEST_LINKER says).
fn make_shim_for_cld(dir: &Path) -> PathBuf {
    let shim = dir.join("serial-shim");
    if !shim.join("ld").exists() {
        std::fs::create_dir_all(&shim).unwrap();
        let _ = std::os::unix::fs::symlink(cld_binary(), shim.join("ld"));
    }
    shim
}

/// Spawns `cmd` in its own process group (like a shell job), output to
/// `log`.
fn spawn_job(cmd: &mut Command, log: &Path) -> Child {
    let f = std::fs::File::create(log).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .process_group(0);
    cmd.spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", show_command(cmd)))
}

/// Waits for a job spawned by [`spawn_job`]; kills its group on timeout.
fn wait_job(mut child: Child, log: &Path, what: &str) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if t.elapsed() > TIMEOUT {
            unsafe {
                kill(-(child.id() as i32), SIGKILL);
            }
            let _ = child.wait();
            panic!(
                "{what}: timed out; output:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Interrupts a build like Ctrl-C in a terminal (SIGINT to its whole
/// process group) once its background linker runs; then checks that the
/// build stopped with no linker left.
fn interrupt_build(dir: &Path, rt: &Path, cmd: &mut Command, what: &str) {
    let log = dir.join("interrupted.log");
    let child = spawn_job(cmd, &log);
    let pid = child.id() as i32;
    let started = poll(Duration::from_secs(60), || !sockets(rt).is_empty());
    if !started {
        unsafe {
            kill(-pid, SIGKILL);
        }
        panic!(
            "{what}: no background linker started; output:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }
    // Let the compiles get going.
    std::thread::sleep(Duration::from_millis(300));
    unsafe {
        kill(-pid, SIGINT);
    }
    let status = wait_job(child, &log, what);
    assert!(
        !status.success(),
        "{what}: the interrupted build succeeded; output:\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_no_linker(dir, rt, what);
}

// ---------------------------------------------------------------------------
// The shell example.

fn shell_build(dir: &Path, rt: &Path, out: &str, cc: Option<&Path>) -> Command {
    let mut cmd = Command::new(examples().join("shell/build.sh"));
    cmd.current_dir(dir)
        .arg(out)
        .env("CLD", cld_binary())
        .env("CLD_RUNTIME_DIR", rt)
        .env("SRC", dir.join("src"))
        .env("JOBS", "2")
        .env("LC_ALL", "C")
        .env("CLD_IDLE_TIMEOUT", "120");
    if let Some(cc) = cc {
        cmd.env("CC", cc);
    }
    cmd
}

/// build.sh's link command: `gcc <objects, sorted> -lm -o OUT/app`.
fn shell_link_argv(dir: &Path, out: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("src"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".c"))
        .collect();
    names.sort();
    let mut v = vec!["gcc".to_string()];
    v.extend(
        names
            .iter()
            .map(|n| format!("{out}/obj/{}", n.replace(".c", ".o"))),
    );
    v.extend(["-lm", "-o"].map(String::from));
    v.push(format!("{out}/app"));
    v
}

fn objects_mtimes(objdir: &Path) -> Vec<(String, SystemTime)> {
    let mut v: Vec<(String, SystemTime)> = std::fs::read_dir(objdir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".o"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                mtime(&e.path()),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn shell_example() {
    require_tool("gcc", "gcc");
    let (dir, rt) = fresh("shell");
    copy_dir(&examples().join("shell/src"), &dir.join("src"));
    let app = dir.join("build/app");
    let argv = shell_link_argv(&dir, "build");

    // 1. From clean.
    let r = must_succeed(&mut shell_build(&dir, &rt, "build", None), "clean build");
    assert!(
        r.stdout.contains("compiling 6 of 6 sources"),
        "clean build: unexpected report:\n{}",
        r.stdout
    );
    check_runs(&app, SHAPES_OUT, "shell: clean build");
    assert_same_as_serial(&dir, &argv, &app, "shell: clean build");
    assert_no_linker(&dir, &rt, "shell: clean build");

    // 2. Nothing to do: nothing compiled, nothing linked.
    let before = objects_mtimes(&dir.join("build/obj"));
    let app_time = mtime(&app);
    let r = must_succeed(&mut shell_build(&dir, &rt, "build", None), "no-op build");
    assert!(
        r.stdout.contains("nothing to do"),
        "no-op build did something:\n{}",
        r.stdout
    );
    assert_eq!(before, objects_mtimes(&dir.join("build/obj")));
    assert_eq!(app_time, mtime(&app), "the no-op build rewrote the program");
    assert_no_linker(&dir, &rt, "shell: no-op build");

    // 3. One source touched: that object only, and a relink.
    touch(&dir.join("src/report.c"));
    let r = must_succeed(&mut shell_build(&dir, &rt, "build", None), "rebuild");
    assert!(
        r.stdout
            .contains("compiling 1 of 6 sources (5 objects reused)"),
        "rebuild after touching report.c:\n{}",
        r.stdout
    );
    let after = objects_mtimes(&dir.join("build/obj"));
    let changed: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.as_str())
        .collect();
    assert_eq!(changed, ["report.o"], "objects recompiled by the rebuild");
    assert!(mtime(&app) > app_time, "the rebuild did not relink");
    check_runs(&app, SHAPES_OUT, "shell: rebuild");
    assert_same_as_serial(&dir, &argv, &app, "shell: rebuild");
    assert_no_linker(&dir, &rt, "shell: rebuild");

    // 4. A compile error: the build fails, the program stays, no linker.
    let circle = dir.join("src/circle.c");
    let good = std::fs::read_to_string(&circle).unwrap();
    std::fs::write(&circle, format!("{good}int broken(void) {{ return x; }}\n")).unwrap();
    let app_time = mtime(&app);
    let r = must_fail(&mut shell_build(&dir, &rt, "build", None), "broken build");
    assert!(
        r.stderr.contains("error") && r.stdout.contains("compile failed"),
        "broken build: no compile error reported:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(
        app_time,
        mtime(&app),
        "the failed build changed the program"
    );
    assert_no_linker(&dir, &rt, "shell: compile error");
    std::fs::write(&circle, &good).unwrap();
    must_succeed(&mut shell_build(&dir, &rt, "build", None), "fixed build");
    check_runs(&app, SHAPES_OUT, "shell: fixed build");
    assert_same_as_serial(&dir, &argv, &app, "shell: fixed build");
    assert_no_linker(&dir, &rt, "shell: fixed build");

    // 5. SIGINT while compiling.
    let slow = slow_cc(&dir);
    for f in ["main.c", "circle.c", "triangle.c"] {
        touch(&dir.join("src").join(f));
    }
    interrupt_build(
        &dir,
        &rt,
        &mut shell_build(&dir, &rt, "build", Some(&slow)),
        "shell: SIGINT",
    );
    must_succeed(
        &mut shell_build(&dir, &rt, "build", None),
        "build after SIGINT",
    );
    check_runs(&app, SHAPES_OUT, "shell: build after SIGINT");
    assert_same_as_serial(&dir, &argv, &app, "shell: build after SIGINT");
    assert_no_linker(&dir, &rt, "shell: build after SIGINT");
}

#[test]
fn shell_two_projects_at_once() {
    require_tool("gcc", "gcc");
    let (dir, rt) = fresh("shell-two");
    copy_dir(&examples().join("shell/src"), &dir.join("src"));
    let jobs: Vec<(String, Child)> = ["one", "two"]
        .iter()
        .map(|out| {
            let log = dir.join(format!("{out}.log"));
            (
                out.to_string(),
                spawn_job(&mut shell_build(&dir, &rt, out, None), &log),
            )
        })
        .collect();
    for (out, child) in jobs {
        let log = dir.join(format!("{out}.log"));
        let s = wait_job(child, &log, out.as_str());
        assert!(
            s.success(),
            "{out}: failed:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        let app = dir.join(&out).join("app");
        check_runs(&app, SHAPES_OUT, &out);
        assert_same_as_serial(&dir, &shell_link_argv(&dir, &out), &app, &out);
    }
    assert_no_linker(&dir, &rt, "shell: two projects");
}

// ---------------------------------------------------------------------------
// The Make example: two programs in one Makefile.

fn make_cmd(dir: &Path, rt: &Path, makefile: &str, extra: &[&str]) -> Command {
    require_tool("make", "make");
    let mut cmd = Command::new("make");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .env("LC_ALL", "C")
        .arg("-f")
        .arg(examples().join("make-project").join(makefile))
        .arg(format!("CLD={}", cld_binary().display()))
        .arg("CONCURRENT_LINK_TIMEOUT=120")
        .arg("CONCURRENT_LINK_LOG=1")
        .args(extra);
    cmd
}

fn project_make(dir: &Path, rt: &Path, extra: &[&str]) -> Command {
    let mut cmd = make_cmd(dir, rt, "Makefile", &["SRC=src", "-j4"]);
    cmd.args(extra);
    cmd
}

/// The link command make ran for `out` (the words after `cld-make link OUT --`).
fn link_argv(stdout: &str, out: &str) -> Option<Vec<String>> {
    let key = format!("cld-make link {out} -- ");
    stdout.lines().find_map(|l| {
        l.find(&key).map(|k| {
            l[k + key.len()..]
                .split_whitespace()
                .map(String::from)
                .collect()
        })
    })
}

/// Compile commands make ran (the objects, after `-o`).
fn compiled(stdout: &str) -> Vec<String> {
    let mut v: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains("cld-make cc ") && l.contains(" -c "))
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "-o").nth(1))
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// The event log the background linker of `prog` kept (CONCURRENT_LINK_LOG).
fn event_log(dir: &Path, prog: &str) -> String {
    let p = dir.join(format!("build/.concurrent-link/{prog}.log"));
    std::fs::read_to_string(&p).unwrap_or_default()
}

fn clear_logs(dir: &Path) {
    for p in ["calc", "greet"] {
        let _ = std::fs::remove_file(dir.join(format!("build/.concurrent-link/{p}.log")));
    }
}

/// `prog` was linked by a background linker that ran the wait and exited 0.
fn assert_linked_concurrently(dir: &Path, prog: &str, what: &str) {
    let log = event_log(dir, prog);
    assert!(
        log.contains("request wait") && log.contains("link-done") && log.contains("exit 0"),
        "{what}: {prog} was not linked by its background linker; event log:\n{log}"
    );
}

#[test]
fn make_example() {
    require_tool("gcc", "gcc");
    let (dir, rt) = fresh("make");
    copy_dir(&examples().join("make-project/src"), &dir.join("src"));
    let calc = dir.join("build/calc");
    let greet = dir.join("build/greet");

    // 1. From clean: both programs, each through its background linker.
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "clean build");
    assert_eq!(compiled(&r.stdout).len(), 8, "clean build:\n{}", r.stdout);
    check_runs(&calc, CALC_OUT, "make: calc");
    check_runs(&greet, GREET_OUT, "make: greet");
    let calc_argv = link_argv(&r.stdout, "build/calc").expect("calc's link command");
    let greet_argv = link_argv(&r.stdout, "build/greet").expect("greet's link command");
    assert_same_as_serial(&dir, &calc_argv, &calc, "make: calc");
    assert_same_as_serial(&dir, &greet_argv, &greet, "make: greet");
    assert_linked_concurrently(&dir, "calc", "make: clean build");
    assert_linked_concurrently(&dir, "greet", "make: clean build");
    assert_no_linker(&dir, &rt, "make: clean build");

    // 2. Nothing to do: make says so, nothing runs.
    clear_logs(&dir);
    let times = (mtime(&calc), mtime(&greet));
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "no-op build");
    assert!(
        (r.stdout.contains("Nothing to be done") || r.stdout.contains("is up to date"))
            && !r.stdout.contains("cld-make"),
        "the no-op build ran something:\n{}",
        r.stdout
    );
    assert_eq!(times, (mtime(&calc), mtime(&greet)));
    assert!(event_log(&dir, "calc").is_empty() && event_log(&dir, "greet").is_empty());
    assert_no_linker(&dir, &rt, "make: no-op build");

    // 3. One source touched: one compile, one relink (concurrent), the
    //    other program untouched; the other objects were read by the
    //    background linker when it started (`--concurrent-existing`), not
    //    left to the wait, and parse.o (being compiled) only once reported.
    touch(&dir.join("src/calc/parse.c"));
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "rebuild");
    assert_eq!(
        compiled(&r.stdout),
        ["build/obj/calc/parse.o"],
        "rebuild:\n{}",
        r.stdout
    );
    assert!(link_argv(&r.stdout, "build/calc").is_some());
    assert!(link_argv(&r.stdout, "build/greet").is_none());
    assert_eq!(times.1, mtime(&greet), "greet was relinked");
    check_runs(&calc, CALC_OUT, "make: rebuild");
    assert_same_as_serial(&dir, &calc_argv, &calc, "make: rebuild");
    assert_linked_concurrently(&dir, "calc", "make: rebuild");
    let log = event_log(&dir, "calc");
    let pos = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("no '{needle}' in the event log:\n{log}"))
    };
    let parse = pos("event fifo build/obj/calc/parse.o");
    for other in ["eval", "format", "main", "stack"] {
        assert!(
            pos(&format!("event speculative build/obj/calc/{other}.o")) < parse,
            "rebuild: {other}.o was not read (at the start) before parse.o:\n{log}"
        );
    }
    assert!(
        !log.contains("event speculative build/obj/calc/parse.o"),
        "rebuild: parse.o, being compiled, was read at the start:\n{log}"
    );
    assert_no_linker(&dir, &rt, "make: rebuild");

    // 4. Only the link out of date (an object newer than the program, as
    //    when a library changed): no compile, a serial link by cld.
    clear_logs(&dir);
    touch(&dir.join("build/obj/greet/names.o"));
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "relink only");
    assert!(compiled(&r.stdout).is_empty(), "relink only:\n{}", r.stdout);
    assert!(link_argv(&r.stdout, "build/greet").is_some());
    assert!(event_log(&dir, "greet").is_empty());
    check_runs(&greet, GREET_OUT, "make: relink only");
    assert_same_as_serial(&dir, &greet_argv, &greet, "make: relink only");
    assert_no_linker(&dir, &rt, "make: relink only");

    // 5. A compile error: make fails, no linker is left, calc unchanged;
    //    the fixed build works.
    let stack = dir.join("src/calc/stack.c");
    let good = std::fs::read_to_string(&stack).unwrap();
    std::fs::write(&stack, format!("{good}int broken(void) {{ return x; }}\n")).unwrap();
    touch(&dir.join("src/calc/main.c"));
    let calc_time = mtime(&calc);
    let r = must_fail(&mut project_make(&dir, &rt, &[]), "broken build");
    assert!(r.stderr.contains("error"), "broken build:\n{}", r.stderr);
    assert_eq!(calc_time, mtime(&calc), "the failed build changed calc");
    assert_no_linker(&dir, &rt, "make: compile error");
    std::fs::write(&stack, &good).unwrap();
    clear_logs(&dir);
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "fixed build");
    // main.o may have been compiled by the broken build (in parallel).
    let c = compiled(&r.stdout);
    assert!(
        c.contains(&"build/obj/calc/stack.o".to_string())
            && c.iter()
                .all(|o| o == "build/obj/calc/stack.o" || o == "build/obj/calc/main.o"),
        "fixed build:\n{}",
        r.stdout
    );
    check_runs(&calc, CALC_OUT, "make: fixed build");
    assert_same_as_serial(&dir, &calc_argv, &calc, "make: fixed build");
    assert_linked_concurrently(&dir, "calc", "make: fixed build");
    assert_no_linker(&dir, &rt, "make: fixed build");

    // 6. SIGINT while compiling (every object, slowly).
    let slow = slow_cc(&dir);
    touch(&dir.join("src/common.h"));
    interrupt_build(
        &dir,
        &rt,
        &mut project_make(&dir, &rt, &[&format!("CC={}", slow.display())]),
        "make: SIGINT",
    );
    let r = must_succeed(&mut project_make(&dir, &rt, &[]), "build after SIGINT");
    assert!(!compiled(&r.stdout).is_empty());
    check_runs(&calc, CALC_OUT, "make: build after SIGINT");
    check_runs(&greet, GREET_OUT, "make: build after SIGINT");
    assert_same_as_serial(&dir, &calc_argv, &calc, "make: build after SIGINT");
    assert_same_as_serial(&dir, &greet_argv, &greet, "make: build after SIGINT");
    assert_no_linker(&dir, &rt, "make: build after SIGINT");

    // 7. A stale state file (its background linker was SIGKILLed, say),
    //    with the right command line: found dead by the link step (only
    //    the link out of date), then by a compile; removed either way, and
    //    the program linked.
    let stale_state = format!(
        "token 0123456789abcdef0123456789abcdef\nbuild 1:1\ncmd {}\n",
        greet_argv.join(" ")
    );
    let state = dir.join("build/.concurrent-link/greet.state");
    std::fs::write(&state, &stale_state).unwrap();
    touch(&dir.join("build/obj/greet/names.o"));
    let r = must_succeed(
        &mut project_make(&dir, &rt, &[]),
        "relink over a stale state",
    );
    assert!(
        compiled(&r.stdout).is_empty() && r.stderr.contains("went away"),
        "relink over a stale state:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    check_runs(&greet, GREET_OUT, "make: stale state, relink");
    assert_same_as_serial(&dir, &greet_argv, &greet, "make: stale state, relink");
    assert!(!state.exists());
    std::fs::write(&state, &stale_state).unwrap();
    touch(&dir.join("src/greet/names.c"));
    clear_logs(&dir);
    must_succeed(
        &mut project_make(&dir, &rt, &[]),
        "build over a stale state",
    );
    check_runs(&greet, GREET_OUT, "make: stale state");
    assert_same_as_serial(&dir, &greet_argv, &greet, "make: stale state");
    assert_linked_concurrently(&dir, "greet", "make: stale state");
    assert!(!state.exists());
    assert_no_linker(&dir, &rt, "make: stale state");

    // 8. make clean stops a background linker nobody waits for (here: one
    //    left by building the objects only) and removes everything.
    touch(&dir.join("src/greet/main.c"));
    must_succeed(
        &mut project_make(&dir, &rt, &["build/obj/greet/main.o"]),
        "objects only",
    );
    assert_eq!(
        sockets(&rt).len(),
        1,
        "building an object started no linker"
    );
    must_succeed(&mut project_make(&dir, &rt, &["clean"]), "make clean");
    assert!(!dir.join("build").exists());
    assert_no_linker(&dir, &rt, "make: clean");
}

#[test]
fn make_two_projects_at_once() {
    require_tool("gcc", "gcc");
    let (dir, rt) = fresh("make-two");
    let mut jobs = Vec::new();
    for p in ["one", "two"] {
        let pdir = dir.join(p);
        copy_dir(&examples().join("make-project/src"), &pdir.join("src"));
        let log = dir.join(format!("{p}.log"));
        let mut cmd = make_cmd(&pdir, &rt, "Makefile", &["SRC=src", "-j2"]);
        jobs.push((pdir, log.clone(), spawn_job(&mut cmd, &log)));
    }
    for (pdir, log, child) in jobs {
        let s = wait_job(child, &log, "make: two projects");
        let out = std::fs::read_to_string(&log).unwrap();
        assert!(s.success(), "{}: make failed:\n{out}", pdir.display());
        for (prog, expected) in [("calc", CALC_OUT), ("greet", GREET_OUT)] {
            let exe = pdir.join("build").join(prog);
            check_runs(&exe, expected, "make: two projects");
            let argv = link_argv(&out, &format!("build/{prog}")).unwrap();
            assert_same_as_serial(&pdir, &argv, &exe, "make: two projects");
            assert_linked_concurrently(&pdir, prog, "make: two projects");
        }
    }
    assert_no_linker(&dir, &rt, "make: two projects");
}

// ---------------------------------------------------------------------------
// The big example: 300 generated modules.

/// (unix time, event, name) of each line of a background linker's log.
fn parse_log(log: &str) -> Vec<(f64, String, String)> {
    log.lines()
        .filter_map(|l| {
            let mut w = l.splitn(4, ' ');
            let t: f64 = w.next()?.parse().ok()?;
            let _rel = w.next()?;
            let ev = w.next()?.to_string();
            let rest = w.next().unwrap_or("").to_string();
            Some((t, ev, rest))
        })
        .collect()
}

#[test]
fn make_big_example_overlaps() {
    require_tool("gcc", "gcc");
    require_tool("python3", "python3");
    let (dir, rt) = fresh("make-big");
    let modules = 300;
    let big = |extra: &[&str]| {
        let mut cmd = make_cmd(
            &dir,
            &rt,
            "big.mk",
            &["OUT=big", "MODULES=300", "FUNCS=8", "CFLAGS=-O1", "-j2"],
        );
        cmd.args(extra);
        cmd
    };
    let app = dir.join("big/app");
    let logf = dir.join("big/.concurrent-link/app.log");
    let objs: Vec<PathBuf> = std::iter::once("main".to_string())
        .chain((0..modules).map(|i| format!("mod_{i:03}")))
        .map(|n| dir.join(format!("big/obj/{n}.o")))
        .collect();

    // From clean.
    let r = must_succeed(&mut big(&[]), "big: clean build");
    let expected = must_succeed(&mut Command::new(&app), "big: running app").stdout;
    assert!(expected.contains("checksum"), "big: app printed {expected}");
    if let Some(p) = comment_problem(&app) {
        panic!("big: {p}");
    }
    let argv = link_argv(&r.stdout, "big/app").expect("the link command");
    assert_same_as_serial(&dir, &argv, &app, "big: clean build");
    assert_no_linker(&dir, &rt, "big: clean build");

    let log = std::fs::read_to_string(&logf).unwrap();
    let events = parse_log(&log);
    let last_compile = objs
        .iter()
        .map(|o| unix_secs(mtime(o)))
        .fold(f64::MIN, f64::max);
    let first_compile = objs
        .iter()
        .map(|o| unix_secs(mtime(o)))
        .fold(f64::MAX, f64::min);
    let ingested_early = events
        .iter()
        .filter(|(t, ev, name)| ev == "ingest-done" && name.ends_with(".o") && *t < last_compile)
        .count();
    let link_done = events
        .iter()
        .find(|(_, ev, _)| ev == "link-done")
        .map(|e| e.0)
        .unwrap_or_else(|| panic!("big: no link-done in the log:\n{log}"));
    eprintln!(
        "big: compiles {:.2} s; {ingested_early} of {} objects ingested before the last \
         compile finished; link done {:.0} ms after it",
        last_compile - first_compile,
        objs.len(),
        (link_done - last_compile) * 1000.0
    );
    assert!(
        ingested_early >= objs.len() * 3 / 4,
        "big: only {ingested_early} of {} objects were ingested before the last compile \
         finished (unix {last_compile:.3}); event log:\n{}",
        objs.len(),
        truncate(&log, 60)
    );
    assert!(log.contains("request wait"), "big: the link did not wait");

    // No-op.
    let r = must_succeed(&mut big(&[]), "big: no-op build");
    assert!(
        r.stdout.contains("Nothing to be done") || r.stdout.contains("is up to date"),
        "big: the no-op build ran something:\n{}",
        r.stdout
    );
    assert_no_linker(&dir, &rt, "big: no-op build");

    // One module touched: only it is compiled. The background linker is
    // started alongside that compile, and reads every other object at
    // once (not left for the wait; not mod_150.o, being compiled, until it
    // is reported); the figures show how much was ingested before the
    // compile finished and before the wait.
    std::fs::remove_file(&logf).unwrap();
    touch(&dir.join("big/src/mod_150.c"));
    let r = must_succeed(&mut big(&[]), "big: rebuild");
    assert_eq!(compiled(&r.stdout), ["big/obj/mod_150.o"]);
    let log = std::fs::read_to_string(&logf).unwrap();
    let events = parse_log(&log);
    let done = unix_secs(mtime(&objs[151]));
    let at = |what: &str| {
        events
            .iter()
            .find(|(_, ev, rest)| format!("{ev} {rest}").trim() == what)
            .map(|e| e.0)
            .unwrap_or_else(|| panic!("big rebuild: no '{what}' in the event log:\n{log}"))
    };
    let wait = at("request wait");
    let others = |ev: &str, before: f64| {
        events
            .iter()
            .filter(|(t, e, name)| {
                e == ev && name.ends_with(".o") && !name.contains("mod_150") && *t < before
            })
            .count()
    };
    let reported = events
        .iter()
        .filter(|(_, ev, name)| {
            ev == "event" && name.starts_with("speculative ") && !name.contains("mod_150")
        })
        .count();
    assert!(
        !log.contains("event speculative big/obj/mod_150.o"),
        "big rebuild: mod_150.o, being compiled, was read at the start:\n{}",
        truncate(&log, 60)
    );
    eprintln!(
        "big rebuild: background linker started {:.0} ms before mod_150.o was written; \
         other objects ingested before it: {}, before the wait: {} (of {modules})",
        (done - events[0].0) * 1000.0,
        others("ingest-done", done),
        others("ingest-done", wait),
    );
    assert_eq!(
        reported,
        modules,
        "big rebuild: the other objects were not all read at the start:\n{}",
        truncate(&log, 60)
    );
    assert_eq!(
        must_succeed(&mut Command::new(&app), "big: running the rebuilt app").stdout,
        expected
    );
    assert_same_as_serial(&dir, &argv, &app, "big: rebuild");
    assert_linked_concurrently_at(&logf, "big: rebuild");
    assert_no_linker(&dir, &rt, "big: rebuild");
}

fn assert_linked_concurrently_at(logf: &Path, what: &str) {
    // The background linker logs its exit after it has answered the wait
    // (and removed the output it replaced): allow it a moment.
    let linked = |log: &str| log.contains("request wait") && log.contains("exit 0");
    poll(Duration::from_secs(10), || {
        linked(&std::fs::read_to_string(logf).unwrap_or_default())
    });
    let log = std::fs::read_to_string(logf).unwrap_or_default();
    assert!(
        linked(&log),
        "{what}: not linked by the background linker:\n{log}"
    );
}

/// A program whose object list is longer than one environment string may
/// be (128 KiB on Linux): the helper passes it to the compile recipes in
/// runs, and the link command with a marker in its place. Built from clean
/// (linked by the background linker) and after one module is touched; the
/// output is the serial link's both times.
#[test]
fn make_many_objects_with_long_paths() {
    require_tool("gcc", "gcc");
    require_tool("python3", "python3");
    let (dir, rt) = fresh("make-many");
    // 1,201 objects, each path over 130 bytes: about 165 KiB of names.
    let modules = 1200;
    let out = format!("build-{}", "long".repeat(30));
    let build = || {
        make_cmd(
            &dir,
            &rt,
            "big.mk",
            &[
                &format!("OUT={out}"),
                &format!("MODULES={modules}"),
                "FUNCS=1",
                "CFLAGS=-O0",
                "-j2",
            ],
        )
    };
    let names: usize = (0..modules)
        .map(|i| format!("{out}/obj/mod_{i:03}.o").len() + 1)
        .sum();
    assert!(
        names > 128 << 10,
        "TEST BUG: the object list is only {names} bytes"
    );
    let app = dir.join(&out).join("app");
    let logf = dir.join(&out).join(".concurrent-link/app.log");

    let r = must_succeed(&mut build(), "many: clean build");
    let expected = must_succeed(&mut Command::new(&app), "many: running app").stdout;
    assert!(
        expected.contains("checksum"),
        "many: app printed {expected}"
    );
    let argv = link_argv(&r.stdout, &format!("{out}/app")).expect("the link command");
    assert!(argv.len() > modules, "many: link command {argv:?}");
    assert_same_as_serial(&dir, &argv, &app, "many: clean build");
    assert_linked_concurrently_at(&logf, "many: clean build");
    assert_no_linker(&dir, &rt, "many: clean build");

    std::fs::remove_file(&logf).unwrap();
    let touched = format!("mod_{:03}", modules - 1);
    touch(&dir.join(&out).join(format!("src/{touched}.c")));
    let r = must_succeed(&mut build(), "many: rebuild");
    assert_eq!(compiled(&r.stdout), [format!("{out}/obj/{touched}.o")]);
    assert_eq!(
        must_succeed(&mut Command::new(&app), "many: running the rebuilt app").stdout,
        expected
    );
    assert_same_as_serial(&dir, &argv, &app, "many: rebuild");
    assert_linked_concurrently_at(&logf, "many: rebuild");
    assert_no_linker(&dir, &rt, "many: rebuild");
}
