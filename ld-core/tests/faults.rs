//! Faults and security (issue 7): what cld does when the world misbehaves.
//!
//! - A full disk, a read-only output directory (real tmpfs mounts; the
//!   tests run as root) and one the linking user (65534) may not write to:
//!   serial links and concurrent waits fail naming the output and the
//!   cause, keep the previous output byte for byte, and leave no temporary
//!   file, socket, FIFO or process.
//! - Inputs changed or deleted after the background linker ingested them
//!   (pipe and inotify; a fixed object, a concurrent object, a `-l`
//!   archive outside and inside the concurrent region): a change is re-read
//!   at the wait (the output equals the serial link of the new files), a
//!   deletion fails naming the file.
//! - Two links of one output: they take turns on a lock (a second one says
//!   it waits), the output is always exactly one of the two programs, and a
//!   second background linker for one output is refused, naming the first.
//! - Another user (uid 65534) can neither query, feed, wait on nor abort
//!   root's background linker, which then links correctly; the runtime
//!   directory and the FIFO are refused when someone else could have
//!   planted or opened them; tokens are 128 random bits; FIFO names outside
//!   the declared inputs are refused.
//!
//! These tests are about cld itself: the shim always points at cld.

mod common;

use common::*;
use ld_core::outlock::{lock_path, OutputLock};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
const NOBODY: u32 = 65534;
/// Writers open the FIFO non-blocking: no reader means an error, not a hang.
const O_NONBLOCK: i32 = 0o4000;

// ---------------------------------------------------------------------------
// The programs: tmain.o + t1.o t2.o (+ t3.o, alone or in libt.a).

const SOURCES: [(&str, &str); 8] = [
    (
        "tmain.c",
        "#include <stdio.h>\nint t1(void); int t2(void); int t3(void);\n\
         int main(void) { printf(\"t=%d\\n\", t1() + t2() + t3()); return 0; }\n",
    ),
    ("t1.c", "int t1(void) { return 1; }\n"),
    ("t2.c", "int t2(void) { return 20; }\n"),
    ("t3.c", "int t3(void) { return 300; }\n"),
    // The changed versions differ in size too, so the change shows in the
    // identity even within one tick of the file system's clock.
    (
        "tmain_v2.c",
        "#include <stdio.h>\nint t1(void); int t2(void); int t3(void);\n\
         int main(void) { printf(\"changed main: %d %d\\n\", t1() + t2() + t3(), t1()); return 0; }\n",
    ),
    (
        "t1_v2.c",
        "int t1(void) { volatile int four = 4; return four; }\n",
    ),
    (
        "t3_v2.c",
        "int t3(void) { volatile int x = 500; return x + 0; }\n",
    ),
    (
        "other.c",
        "#include <stdio.h>\nint main(void) { puts(\"the other program\"); return 0; }\n",
    ),
];
const OUT: &str = "t=321\n";

/// The objects, compiled once, and `libt.a` (t3.o) and `libt_v2.a` (t3_v2.o).
fn objects() -> &'static Path {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        require_tool("gcc", "gcc");
        require_tool("ar", "binutils");
        let dir = fresh_work_dir("faults", "objects");
        for (f, text) in SOURCES {
            std::fs::write(dir.join(f), text).unwrap();
        }
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir).arg("-c");
        cmd.args(SOURCES.iter().map(|(f, _)| *f));
        ok(&mut cmd, "TEST BUG: gcc -c");
        ok(
            Command::new("ar")
                .current_dir(&dir)
                .args(["rcs", "libt.a", "t3.o"]),
            "TEST BUG: ar",
        );
        ok(
            Command::new("ar")
                .current_dir(&dir)
                .args(["rcs", "libt_v2.a", "t3_v2.o"]),
            "TEST BUG: ar",
        );
        // Readable by the other user of the security tests.
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let _ = std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o644));
        }
        dir
    })
}

/// `gcc -B` directory whose `ld` is cld, readable and usable by everyone.
fn shim() -> &'static str {
    static S: OnceLock<String> = OnceLock::new();
    S.get_or_init(|| {
        let dir = public_dir("shim");
        let ld = dir.join("ld");
        std::fs::copy(cld_binary(), &ld).unwrap();
        std::fs::set_permissions(&ld, std::fs::Permissions::from_mode(0o755)).unwrap();
        format!("{}/", dir.display())
    })
}

fn copy_objects(dir: &Path, names: &[&str]) {
    for n in names {
        std::fs::copy(objects().join(n), dir.join(n)).unwrap();
    }
}

// ---------------------------------------------------------------------------
// Small utilities.

fn run(cmd: &mut Command) -> (RunResult, String) {
    run_shown(cmd, TIMEOUT)
}

fn ok(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

fn assert_failed_cleanly(r: &RunResult, shown: &str, what: &str, needles: &[&str]) {
    let ctx = context(r, shown);
    assert!(!r.timed_out, "{what}: hung{ctx}");
    assert!(
        matches!(r.status.code(), Some(c) if c != 0),
        "{what}: expected a non-zero exit status (and no crash){ctx}"
    );
    for n in needles {
        assert!(
            r.stderr.contains(n),
            "{what}: the message does not mention '{n}'{ctx}"
        );
    }
    assert!(!r.stderr.contains("panicked"), "{what}: cld panicked{ctx}");
}

/// A fresh run directory (under `target/tmp/faults`) with its own 0700
/// runtime directory.
fn fresh(name: &str) -> (PathBuf, PathBuf) {
    let dir = fresh_work_dir("faults", name);
    let rt = dir.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    (dir, rt)
}

/// A fresh 0755 directory that any user can reach (under the system
/// temporary directory: the checkout may sit in a 0700 home directory).
fn public_dir(name: &str) -> PathBuf {
    let base = std::env::temp_dir().join(format!("cld-faults-test-{}", my_uid()));
    let _ = std::fs::create_dir(&base);
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = base.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn my_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

fn require_root(test: &str) {
    assert!(
        my_uid() == 0,
        "{test} needs root (tmpfs mounts, a second user); CI runs the tests as root"
    );
}

/// `cld --concurrent-<op>=TOKEN` with runtime directory `rt`.
fn control(rt: &Path, op: &str, token: &str) -> (RunResult, String) {
    let mut cmd = Command::new(cld_binary());
    cmd.arg(format!("--concurrent-{op}={token}"))
        .env("CLD_RUNTIME_DIR", rt);
    run(&mut cmd)
}

/// Writes `name\0` to the FIFO, opened non-blocking as a build tool should.
fn report(fifo: &Path, names: &[&str]) {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(O_NONBLOCK)
        .open(fifo)
        .unwrap_or_else(|e| panic!("cannot open the FIFO {}: {e}", fifo.display()));
    for n in names {
        let mut msg = n.as_bytes().to_vec();
        msg.push(0);
        f.write_all(&msg).unwrap();
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    Pipe,
    Inotify,
}

/// A background linker started through gcc in `dir`.
struct Linker {
    token: String,
    pid: i32,
    log: PathBuf,
}

/// Starts `gcc -B shim -o OUT [before...] -Wl,<mode>,--start-concurrent,
/// <concurrent>,--end-concurrent [after...]` in `dir`.
fn start(
    dir: &Path,
    rt: &Path,
    mode: Mode,
    out: &str,
    before: &[&str],
    concurrent: &[&str],
    after: &[&str],
) -> Linker {
    // cld appends to its log: a log left by an earlier background linker of
    // this output would name that one's pid in its first line.
    let _ = std::fs::remove_file(log_path(dir, out));
    let (r, shown) = try_start(dir, rt, mode, out, before, concurrent, after);
    assert!(
        r.success(),
        "starting the background linker failed{}",
        context(&r, &shown)
    );
    let token = check_token(&r, &shown);
    let log = log_path(dir, out);
    let pid = pid_from_log(&log);
    Linker { token, pid, log }
}

/// The background linker's log: in `dir`, whatever directory `out` is in.
fn log_path(dir: &Path, out: &str) -> PathBuf {
    dir.join(format!("{}.log", out.replace('/', "_")))
}

fn try_start(
    dir: &Path,
    rt: &Path,
    mode: Mode,
    out: &str,
    before: &[&str],
    concurrent: &[&str],
    after: &[&str],
) -> (RunResult, String) {
    let mut wl = vec![
        match mode {
            Mode::Pipe => format!("--concurrent-pipe={}", dir.join("p").display()),
            Mode::Inotify => "--concurrent-inotify".into(),
        },
        format!("--concurrent-log={}", log_path(dir, out).display()),
        "--start-concurrent".into(),
    ];
    wl.extend(concurrent.iter().map(|s| s.to_string()));
    wl.push("--end-concurrent".into());
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(shim())
        .args(["-o", out])
        .args(before)
        .arg(format!("-Wl,{}", wl.join(",")))
        .args(after);
    run(&mut cmd)
}

/// Serial link with cld in `dir`: `gcc -B shim -o OUT args...`.
fn serial(dir: &Path, rt: &Path, out: &str, args: &[&str]) -> (RunResult, String) {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(shim())
        .args(["-o", out])
        .args(args);
    run(&mut cmd)
}

fn runs(prog: &Path, expected: &str, what: &str) {
    let (r, shown) = run(&mut Command::new(prog));
    assert!(
        r.success() && r.stdout == expected,
        "{what}: expected output {expected:?}{}",
        context(&r, &shown)
    );
}

/// The background linker is gone with its socket, lock, log and FIFO.
fn assert_clean(dir: &Path, rt: &Path, l: &Linker, what: &str) {
    assert!(
        poll(Duration::from_secs(20), || !pid_alive(l.pid)),
        "{what}: the background linker (pid {}) still runs",
        l.pid
    );
    assert!(
        listing(rt).is_empty(),
        "{what}: left in the runtime directory: {:?}",
        listing(rt)
    );
    assert!(!dir.join("p").exists(), "{what}: the FIFO cld made is left");
}

/// No temporary output (`.NAME.cld-PID.tmp`) left in `dir`.
fn assert_no_temporaries(dir: &Path, what: &str) {
    let tmp: Vec<String> = listing(dir)
        .into_iter()
        .filter(|n| n.contains(".cld-"))
        .collect();
    assert!(tmp.is_empty(), "{what}: temporary files left: {tmp:?}");
}

fn wait_for_log(l: &Linker, lines: &[&str], what: &str) {
    let seen = poll(Duration::from_secs(10), || {
        std::fs::read_to_string(&l.log)
            .is_ok_and(|t| lines.iter().all(|x| t.lines().any(|y| y.ends_with(x))))
    });
    assert!(
        seen,
        "{what}: the log never showed {lines:?}:\n{}",
        std::fs::read_to_string(&l.log).unwrap_or_default()
    );
}

// ---------------------------------------------------------------------------
// 1. A full disk, a read-only output directory.

/// A tmpfs mounted for one test; unmounted on drop, even when it fails.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, opts: &str) -> Mount {
        require_tool("mount", "mount");
        require_tool("umount", "mount");
        std::fs::create_dir_all(at).unwrap();
        ok(
            Command::new("mount")
                .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
                .arg(at),
            "mount -t tmpfs",
        );
        Mount(at.to_path_buf())
    }
    fn remount(&self, opts: &str) {
        ok(
            Command::new("mount")
                .args(["-o", &format!("remount,{opts}")])
                .arg(&self.0),
            "mount -o remount",
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

/// Fills the file system of `dir` (a file `filler`) until no block is left.
fn fill(dir: &Path) {
    let mut f = std::fs::File::create(dir.join("filler")).unwrap();
    let block = vec![0x55u8; 4096];
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("TEST BUG: filling {}: {e}", dir.display()),
        }
    }
    let _ = f.sync_all();
}

/// One failing link into `mnt/prog` (serial, then concurrent at its wait):
/// named output and cause, non-zero exit, previous output intact, nothing
/// left behind.
fn output_cannot_be_written(dir: &Path, rt: &Path, cause: &str, what: &str) {
    let mnt = dir.join("mnt");
    let before = std::fs::read(mnt.join("prog")).unwrap();
    let listed = listing(&mnt);
    let out_named = "mnt/prog";

    let (r, shown) = serial(dir, rt, "mnt/prog", &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    assert_failed_cleanly(&r, &shown, &format!("{what}, serial"), &[out_named, cause]);
    assert!(
        std::fs::read(mnt.join("prog")).unwrap() == before,
        "{what}, serial: the previous output changed"
    );
    assert_eq!(listing(&mnt), listed, "{what}, serial: files left");
    assert!(listing(rt).is_empty(), "{what}: {:?} left", listing(rt));

    let l = start(
        dir,
        rt,
        Mode::Pipe,
        "mnt/prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    report(&dir.join("p"), &["t1.o", "t2.o", "t3.o"]);
    let (r, shown) = control(rt, "wait", &l.token);
    assert_failed_cleanly(
        &r,
        &shown,
        &format!("{what}, concurrent wait"),
        &[out_named, cause],
    );
    assert!(
        std::fs::read(mnt.join("prog")).unwrap() == before,
        "{what}, concurrent: the previous output changed"
    );
    assert_eq!(listing(&mnt), listed, "{what}, concurrent: files left");
    assert_clean(dir, rt, &l, &format!("{what}, concurrent"));
}

#[test]
fn full_disk_keeps_the_previous_output() {
    require_root("full_disk_keeps_the_previous_output");
    let (dir, rt) = fresh("disk-full");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o", "other.o"]);
    let mnt = dir.join("mnt");
    let m = Mount::tmpfs(&mnt, "size=2m");
    // The previous output: another program, so a rewrite would show.
    ok(
        &mut serial_cmd(&dir, &rt, "mnt/prog", &["other.o"]),
        "the first link",
    );
    fill(&mnt);
    output_cannot_be_written(&dir, &rt, "No space left on device", "full disk");
    // Room again: the same links work (nothing was left holding space).
    std::fs::remove_file(mnt.join("filler")).unwrap();
    let (r, shown) = serial(&dir, &rt, "mnt/prog", &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    assert!(
        r.success(),
        "link after freeing space{}",
        context(&r, &shown)
    );
    runs(&mnt.join("prog"), OUT, "after freeing space");
    drop(m);
}

#[test]
fn read_only_output_directory_keeps_the_previous_output() {
    require_root("read_only_output_directory_keeps_the_previous_output");
    let (dir, rt) = fresh("read-only");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o", "other.o"]);
    let mnt = dir.join("mnt");
    let m = Mount::tmpfs(&mnt, "size=4m");
    ok(
        &mut serial_cmd(&dir, &rt, "mnt/prog", &["other.o"]),
        "the first link",
    );
    m.remount("ro");
    output_cannot_be_written(&dir, &rt, "Read-only file system", "read-only directory");
    drop(m);
}

/// A directory the linking user may not write to (root's, 0755; the link
/// runs as uid 65534, as root would ignore the mode).
#[test]
fn unwritable_output_directory_keeps_the_previous_output() {
    require_root("unwritable_output_directory_keeps_the_previous_output");
    let base = public_dir("unwritable");
    let work = base.join("work");
    let out = base.join("out");
    std::fs::create_dir(&work).unwrap();
    std::fs::create_dir(&out).unwrap();
    copy_objects(&work, &["tmain.o", "t1.o", "t2.o", "t3.o", "other.o"]);
    let rt = work.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    ok(
        Command::new("chown")
            .args(["-R", &format!("{NOBODY}:{NOBODY}")])
            .arg(&work),
        "TEST BUG: chown",
    );
    ok(
        &mut serial_cmd(&work, &rt, "../out/prog", &["other.o"]),
        "the first link (as root)",
    );
    let before = std::fs::read(out.join("prog")).unwrap();
    let listed = listing(&out);
    let gcc = |args: &[&str]| {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&work)
            .env("CLD_RUNTIME_DIR", &rt)
            .arg("-B")
            .arg(shim())
            .args(["-o", "../out/prog"])
            .args(args);
        as_nobody(&mut cmd);
        run(&mut cmd)
    };
    let (r, shown) = gcc(&["tmain.o", "t1.o", "t2.o", "t3.o"]);
    assert_failed_cleanly(&r, &shown, "serial", &["out/prog", "Permission denied"]);
    assert!(
        std::fs::read(out.join("prog")).unwrap() == before,
        "serial: output changed"
    );
    assert_eq!(listing(&out), listed, "serial: files left");
    let (r, shown) = gcc(&[
        "tmain.o",
        "-Wl,--concurrent-pipe=p,--concurrent-log=log,--start-concurrent,t1.o,t2.o,t3.o,--end-concurrent",
    ]);
    assert!(r.success(), "start as uid 65534{}", context(&r, &shown));
    let l = Linker {
        token: check_token(&r, &shown),
        pid: pid_from_log(&work.join("log")),
        log: work.join("log"),
    };
    let mut sh = Command::new("sh");
    sh.current_dir(&work)
        .arg("-c")
        .arg("printf 't1.o\\000t2.o\\000t3.o\\000' > p");
    ok(as_nobody(&mut sh), "reporting as uid 65534");
    let mut wait = Command::new(public_cld());
    wait.arg(format!("--concurrent-wait={}", l.token))
        .env("CLD_RUNTIME_DIR", &rt);
    let (r, shown) = run(as_nobody(&mut wait));
    assert_failed_cleanly(
        &r,
        &shown,
        "concurrent wait",
        &["out/prog", "Permission denied"],
    );
    assert!(
        std::fs::read(out.join("prog")).unwrap() == before,
        "concurrent: output changed"
    );
    assert_eq!(listing(&out), listed, "concurrent: files left");
    assert_clean(&work, &rt, &l, "concurrent");
    let _ = std::fs::remove_dir_all(&base);
}

// ---------------------------------------------------------------------------
// 2. Inputs changed or deleted after they were ingested.

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// tmain.o, before --start-concurrent.
    Fixed,
    /// t1.o, between --start-concurrent and --end-concurrent.
    Concurrent,
    /// libt.a, as `-L. -lt` after the concurrent region.
    Library,
    /// libt.a, as `-lt` inside the concurrent region.
    ConcurrentLibrary,
}

impl Kind {
    fn file(self) -> &'static str {
        match self {
            Kind::Fixed => "tmain.o",
            Kind::Concurrent => "t1.o",
            Kind::Library | Kind::ConcurrentLibrary => "libt.a",
        }
    }
    fn new_version(self) -> &'static str {
        match self {
            Kind::Fixed => "tmain_v2.o",
            Kind::Concurrent => "t1_v2.o",
            Kind::Library | Kind::ConcurrentLibrary => "libt_v2.a",
        }
    }
    const ALL: [Kind; 4] = [
        Kind::Fixed,
        Kind::Concurrent,
        Kind::Library,
        Kind::ConcurrentLibrary,
    ];
}

/// Starts the link of tmain.o [t1.o t2.o] -L. -lt (or tmain.o [t1.o t2.o
/// -lt] for `ConcurrentLibrary`), reports everything and waits until all
/// of it was ingested.
fn start_and_ingest(dir: &Path, rt: &Path, mode: Mode, kind: Kind) -> Linker {
    copy_objects(dir, &["tmain.o", "t1.o", "t2.o", "libt.a"]);
    let l = if matches!(kind, Kind::ConcurrentLibrary) {
        start(
            dir,
            rt,
            mode,
            "prog",
            &["-L.", "tmain.o"],
            &["t1.o", "t2.o", "-lt"],
            &[],
        )
    } else {
        start(
            dir,
            rt,
            mode,
            "prog",
            &["tmain.o"],
            &["t1.o", "t2.o"],
            &["-L.", "-lt"],
        )
    };
    match mode {
        Mode::Pipe if matches!(kind, Kind::ConcurrentLibrary) => {
            report(&dir.join("p"), &["t1.o", "t2.o", "libt.a"])
        }
        Mode::Pipe => report(&dir.join("p"), &["t1.o", "t2.o"]),
        // Existing files are ingested speculatively at the start; a `-l`
        // (not a file name) only on an event.
        Mode::Inotify => {
            ok(Command::new("touch").arg(dir.join("libt.a")), "touch");
        }
    }
    let mut done = vec![
        "ingest-done fixed inputs",
        "ingest-done t1.o",
        "ingest-done t2.o",
    ];
    if matches!(kind, Kind::ConcurrentLibrary) {
        done.push("ingest-done -lt");
    }
    wait_for_log(&l, &done, "ingestion");
    l
}

#[test]
fn changed_inputs_are_reread_at_the_wait() {
    for mode in [Mode::Pipe, Mode::Inotify] {
        for kind in Kind::ALL {
            let what = format!("{mode:?}, {kind:?} input changed");
            let (dir, rt) = fresh(&format!("changed-{mode:?}-{kind:?}"));
            let l = start_and_ingest(&dir, &rt, mode, kind);
            let file = dir.join(kind.file());
            let new = std::fs::read(objects().join(kind.new_version())).unwrap();
            if matches!(kind, Kind::Concurrent) {
                // Rewritten in place (same inode).
                std::fs::write(&file, &new).unwrap();
            } else {
                // Replaced (a new inode renamed over it).
                let tmp = dir.join("new.tmp");
                std::fs::write(&tmp, &new).unwrap();
                std::fs::rename(&tmp, &file).unwrap();
            }
            let (r, shown) = control(&rt, "wait", &l.token);
            assert!(
                r.success() && r.stderr.is_empty(),
                "{what}: the wait failed{}",
                context(&r, &shown)
            );
            assert_clean(&dir, &rt, &l, &what);
            let (r, shown) = serial(
                &dir,
                &rt,
                "serial",
                &["tmain.o", "t1.o", "t2.o", "-L.", "-lt"],
            );
            assert!(r.success(), "{what}: serial link{}", context(&r, &shown));
            assert!(
                std::fs::read(dir.join("prog")).unwrap()
                    == std::fs::read(dir.join("serial")).unwrap(),
                "{what}: the output differs from the serial link of the new files"
            );
            let expected = match kind {
                Kind::Fixed => "changed main: 321 1\n",
                Kind::Concurrent => "t=324\n",
                Kind::Library | Kind::ConcurrentLibrary => "t=521\n",
            };
            runs(&dir.join("prog"), expected, &what);
        }
    }
}

#[test]
fn deleted_inputs_fail_the_wait_and_keep_the_output() {
    for mode in [Mode::Pipe, Mode::Inotify] {
        for kind in Kind::ALL {
            let what = format!("{mode:?}, {kind:?} input deleted");
            let (dir, rt) = fresh(&format!("deleted-{mode:?}-{kind:?}"));
            copy_objects(&dir, &["other.o"]);
            ok(
                &mut serial_cmd(&dir, &rt, "prog", &["other.o"]),
                "the previous output",
            );
            let before = std::fs::read(dir.join("prog")).unwrap();
            let l = start_and_ingest(&dir, &rt, mode, kind);
            std::fs::remove_file(dir.join(kind.file())).unwrap();
            let (r, shown) = control(&rt, "wait", &l.token);
            let said: &[&str] = match kind {
                Kind::Library | Kind::ConcurrentLibrary => {
                    &["cannot find -lt", "libt.a", "removed"]
                }
                _ => &[kind.file(), "No such file"],
            };
            assert_failed_cleanly(&r, &shown, &what, said);
            assert!(
                std::fs::read(dir.join("prog")).unwrap() == before,
                "{what}: the previous output changed"
            );
            assert_no_temporaries(&dir, &what);
            assert_clean(&dir, &rt, &l, &what);
        }
    }
}

// ---------------------------------------------------------------------------
// 3. Two links of one output.

/// Spawns a command with piped output; the caller collects it.
fn spawn(cmd: &mut Command) -> std::process::Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", show_command(cmd)))
}

fn finish(child: std::process::Child) -> (bool, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn serial_cmd(dir: &Path, rt: &Path, out: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(shim())
        .args(["-o", out])
        .args(args);
    cmd
}

/// While another link holds the output's lock, a serial link and a
/// concurrent wait of that output wait for it (and say so once); a link of
/// another output does not.
#[test]
fn a_second_link_of_one_output_waits_for_the_first() {
    let (dir, rt) = fresh("output-lock");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    let held = OutputLock::acquire(lock_path(&rt, "out", &dir.join("prog")), None, || {})
        .unwrap()
        .expect("the lock is free");
    let waiting = spawn(&mut serial_cmd(
        &dir,
        &rt,
        "prog",
        &["tmain.o", "t1.o", "t2.o", "t3.o"],
    ));
    let l = start(
        &dir,
        &rt,
        Mode::Pipe,
        "./prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    let waiting_wait = spawn(
        Command::new(cld_binary())
            .arg(format!("--concurrent-wait={}", l.token))
            .env("CLD_RUNTIME_DIR", &rt),
    );
    // Another output is not held up.
    let t = Instant::now();
    let (r, shown) = serial(&dir, &rt, "other", &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    assert!(
        r.success() && r.stderr.is_empty() && t.elapsed() < Duration::from_secs(20),
        "a link of another output was held up{}",
        context(&r, &shown)
    );
    std::thread::sleep(Duration::from_millis(1500));
    let mut waiting = waiting;
    let mut waiting_wait = waiting_wait;
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "the serial link did not wait for the lock"
    );
    assert!(
        waiting_wait.try_wait().unwrap().is_none(),
        "the concurrent wait did not wait for the lock"
    );
    assert!(
        !dir.join("prog").exists(),
        "prog was written under the lock"
    );
    drop(held);
    for (what, child) in [("serial link", waiting), ("concurrent wait", waiting_wait)] {
        let (success, stderr) = finish(child);
        assert!(
            success,
            "{what} failed after the lock was released:\n{stderr}"
        );
        assert_eq!(
            stderr.matches("cld: waiting for another link of").count(),
            1,
            "{what}: expected one line saying it waits, got:\n{stderr}"
        );
        assert!(
            stderr.contains("prog"),
            "{what}: output not named:\n{stderr}"
        );
    }
    runs(&dir.join("prog"), OUT, "prog");
    assert_clean(&dir, &rt, &l, "after both links");
    assert_no_temporaries(&dir, "after both links");
}

/// Two different programs linked to one output at the same time, many
/// times: every link succeeds and the output is exactly one of the two
/// serial results, never a mix; serial against serial and a concurrent
/// wait against a serial link.
#[test]
fn simultaneous_links_of_one_output_leave_one_whole_program() {
    let (dir, rt) = fresh("same-output");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o", "other.o"]);
    let a_args = ["tmain.o", "t1.o", "t2.o", "t3.o"];
    ok(&mut serial_cmd(&dir, &rt, "ref_a", &a_args), "reference a");
    ok(
        &mut serial_cmd(&dir, &rt, "ref_b", &["other.o"]),
        "reference b",
    );
    let ref_a = std::fs::read(dir.join("ref_a")).unwrap();
    let ref_b = std::fs::read(dir.join("ref_b")).unwrap();
    let check = |what: &str| {
        let got = std::fs::read(dir.join("same")).unwrap();
        if got == ref_a {
            runs(&dir.join("same"), OUT, what);
        } else if got == ref_b {
            runs(&dir.join("same"), "the other program\n", what);
        } else {
            panic!("{what}: the output is neither program");
        }
        assert_no_temporaries(&dir, what);
    };
    for i in 0..15 {
        let what = format!("serial against serial, round {i}");
        let a = spawn(&mut serial_cmd(&dir, &rt, "same", &a_args));
        let b = spawn(&mut serial_cmd(&dir, &rt, "same", &["other.o"]));
        for c in [a, b] {
            let (success, stderr) = finish(c);
            assert!(success, "{what}: a link failed:\n{stderr}");
        }
        check(&what);
    }
    for i in 0..6 {
        let what = format!("concurrent against serial, round {i}");
        let l = start(
            &dir,
            &rt,
            Mode::Pipe,
            "same",
            &["tmain.o"],
            &["t1.o", "t2.o", "t3.o"],
            &[],
        );
        report(&dir.join("p"), &["t1.o", "t2.o", "t3.o"]);
        let what = format!("{what} (background linker pid {})", l.pid);
        let a = spawn(
            Command::new(cld_binary())
                .arg(format!("--concurrent-wait={}", l.token))
                .env("CLD_RUNTIME_DIR", &rt),
        );
        let b = spawn(&mut serial_cmd(&dir, &rt, "same", &["other.o"]));
        for c in [a, b] {
            let (success, stderr) = finish(c);
            assert!(success, "{what}: a link failed:\n{stderr}");
        }
        // The background linker frees the output it replaced (its second
        // name, `.same.cld-PID.old`) after it has answered the wait: see
        // that it has ended before looking for temporaries.
        assert_clean(&dir, &rt, &l, &what);
        check(&what);
    }
}

/// A second background linker for an output that has one is refused,
/// naming the first's token and pid; other outputs are not affected; once
/// the first is waited for, a new one starts at once.
#[test]
fn a_second_background_linker_for_one_output_is_refused() {
    let (dir, rt) = fresh("second-linker");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    let first = start(
        &dir,
        &rt,
        Mode::Pipe,
        "prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    // The same output spelled differently, from another directory.
    let mut cmd = Command::new(cld_binary());
    cmd.current_dir(&sub).env("CLD_RUNTIME_DIR", &rt).args([
        "-o",
        "../sub/../prog",
        "../tmain.o",
        "--concurrent-pipe=p2",
        "--start-concurrent",
        "../t1.o",
        "--end-concurrent",
    ]);
    let before = listing(&rt);
    let (r, shown) = run(&mut cmd);
    assert_failed_cleanly(
        &r,
        &shown,
        "second start",
        &[
            "already running",
            &first.token,
            &first.pid.to_string(),
            "prog",
        ],
    );
    assert!(r.stdout.is_empty(), "the second start printed a token");
    assert!(!sub.join("p2").exists(), "the second start made its FIFO");
    assert_eq!(listing(&rt), before, "the second start left files");
    // Another output: fine.
    let other = start(
        &dir,
        &rt,
        Mode::Inotify,
        "other",
        &["tmain.o"],
        &["t1.o"],
        &[],
    );
    let (r, shown) = control(&rt, "abort", &other.token);
    assert!(r.success(), "abort{}", context(&r, &shown));
    // The first still works, and afterwards a new start is accepted at once.
    report(&dir.join("p"), &["t1.o", "t2.o", "t3.o"]);
    let (r, shown) = control(&rt, "wait", &first.token);
    assert!(r.success(), "the first link{}", context(&r, &shown));
    // Cleaned up before it answered: nothing to poll for.
    assert!(
        listing(&rt).is_empty() && !dir.join("p").exists(),
        "the wait returned before the background linker cleaned up: {:?}",
        listing(&rt)
    );
    runs(&dir.join("prog"), OUT, "the first link");
    // Accepted (it would be refused if the lock outlived the wait).
    let again = start(
        &dir,
        &rt,
        Mode::Pipe,
        "prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    let (r, shown) = control(&rt, "abort", &again.token);
    assert!(r.success(), "abort{}", context(&r, &shown));
    assert_clean(&dir, &rt, &again, "after abort");
}

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// A background linker killed with SIGKILL leaves its socket and lock file
/// (nobody could remove them), but they block nothing: a new start for its
/// output is accepted, and any start removes them.
#[test]
fn a_killed_background_linker_blocks_nothing() {
    let (dir, rt) = fresh("killed-linker");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    let a = start(
        &dir,
        &rt,
        Mode::Inotify,
        "prog",
        &["tmain.o"],
        &["t1.o"],
        &[],
    );
    // SAFETY: plain syscall on the background linker's pid.
    unsafe {
        kill(a.pid, 9);
    }
    // Dead once its socket refuses: a killed process's threads may still
    // hold its descriptors after its main thread is a zombie.
    let sock = rt.join(format!("{}.sock", a.token));
    assert!(
        poll(Duration::from_secs(20), || {
            std::os::unix::net::UnixStream::connect(&sock)
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionRefused)
        }),
        "the killed linker's socket still accepts connections"
    );
    let left = listing(&rt);
    assert!(
        left.iter()
            .any(|n| n.starts_with("linker-") && n.ends_with(".lock")),
        "TEST BUG: no lock file left by the killed linker: {left:?}"
    );
    // Another output's start sweeps the dead one's files.
    let b = start(
        &dir,
        &rt,
        Mode::Inotify,
        "other",
        &["tmain.o"],
        &["t1.o"],
        &[],
    );
    let mut left = listing(&rt);
    left.sort();
    assert_eq!(
        left.len(),
        2,
        "expected only the new linker's socket and lock: {left:?}"
    );
    assert!(
        left.iter().any(|n| n == &format!("{}.sock", b.token)),
        "{left:?}"
    );
    // The killed one's output can be linked again, concurrently and serially.
    let c = start(
        &dir,
        &rt,
        Mode::Pipe,
        "prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    report(&dir.join("p"), &["t1.o", "t2.o", "t3.o"]);
    let (r, shown) = control(&rt, "wait", &c.token);
    assert!(
        r.success() && r.stderr.is_empty(),
        "wait{}",
        context(&r, &shown)
    );
    runs(&dir.join("prog"), OUT, "the relinked program");
    let (r, shown) = control(&rt, "abort", &b.token);
    assert!(r.success(), "abort{}", context(&r, &shown));
    assert_clean(&dir, &rt, &b, "after the wait and the abort");
}

// ---------------------------------------------------------------------------
// 4. Security.

/// cld where any user can run it (the shim's copy).
fn public_cld() -> PathBuf {
    PathBuf::from(shim()).join("ld")
}

/// Runs `cmd` as uid/gid 65534 with no supplementary groups.
fn as_nobody(cmd: &mut Command) -> &mut Command {
    cmd.uid(NOBODY).gid(NOBODY)
}

/// Another user can neither query, feed, wait on nor abort root's
/// background linker; root's link then completes as the serial link would.
#[test]
fn another_user_cannot_use_the_background_linker() {
    require_root("another_user_cannot_use_the_background_linker");
    let dir = public_dir("other-user");
    let rt = dir.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    let own_rt = dir.join("nobody-rt");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&own_rt)
        .unwrap();
    std::os::unix::fs::chown(&own_rt, Some(NOBODY), Some(NOBODY)).unwrap();
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    let l = start(
        &dir,
        &rt,
        Mode::Pipe,
        "prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    let fifo = dir.join("p");
    let m = std::fs::metadata(&fifo).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600, "the FIFO's mode");
    for op in ["status", "wait", "abort"] {
        // Pointed at root's runtime directory: refused, it is not theirs.
        let mut cmd = Command::new(public_cld());
        cmd.arg(format!("--concurrent-{op}={}", l.token))
            .env("CLD_RUNTIME_DIR", &rt);
        let (r, shown) = run(as_nobody(&mut cmd));
        assert_failed_cleanly(
            &r,
            &shown,
            &format!("{op} by another user"),
            &["uid 0", "refusing"],
        );
        // In their own runtime directory there is no such linker.
        let mut cmd = Command::new(public_cld());
        cmd.arg(format!("--concurrent-{op}={}", l.token))
            .env("CLD_RUNTIME_DIR", &own_rt);
        let (r, shown) = run(as_nobody(&mut cmd));
        assert_failed_cleanly(
            &r,
            &shown,
            &format!("{op} by another user, own runtime directory"),
            &["no background linker", &l.token],
        );
    }
    // Feeding: the FIFO is root's, 0600.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("printf 't1.o\\000' > p")
        .current_dir(&dir);
    let (r, shown) = run(as_nobody(&mut cmd));
    assert_failed_cleanly(
        &r,
        &shown,
        "feeding by another user",
        &["Permission denied"],
    );
    // The socket itself: the runtime directory (0700) keeps them out.
    let sock = rt.join(format!("{}.sock", l.token));
    assert!(sock.exists(), "no socket at {}", sock.display());
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!("test -e '{}'", sock.display()));
    let (r, _) = run(as_nobody(&mut cmd));
    assert!(!r.success(), "another user can see {}", sock.display());
    // The owner's link is unharmed.
    let log = std::fs::read_to_string(&l.log).unwrap();
    assert!(
        !log.contains(" event ") && !log.contains(" request "),
        "another user's attempt reached the background linker:\n{log}"
    );
    report(&fifo, &["t1.o", "t2.o", "t3.o"]);
    let (r, shown) = control(&rt, "wait", &l.token);
    assert!(
        r.success() && r.stderr.is_empty(),
        "the owner's wait{}",
        context(&r, &shown)
    );
    ok(
        &mut serial_cmd(&dir, &rt, "serial", &["tmain.o", "t1.o", "t2.o", "t3.o"]),
        "serial link",
    );
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == std::fs::read(dir.join("serial")).unwrap(),
        "the owner's output differs from the serial link"
    );
    runs(&dir.join("prog"), OUT, "the owner's program");
    assert_clean(&dir, &rt, &l, "after the owner's wait");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A FIFO someone else could write to is refused before anything starts.
#[test]
fn a_fifo_others_can_write_is_refused() {
    require_root("a_fifo_others_can_write_is_refused");
    let (dir, rt) = fresh("foreign-fifo");
    copy_objects(&dir, &["tmain.o", "t1.o"]);
    for (what, owner, mode, needle) in [
        (
            "owned by another user",
            NOBODY,
            0o600,
            "belongs to uid 65534",
        ),
        ("world-writable", 0, 0o666, "anyone could write"),
    ] {
        let fifo = dir.join("p");
        let _ = std::fs::remove_file(&fifo);
        ok(Command::new("mkfifo").arg(&fifo), "mkfifo");
        std::fs::set_permissions(&fifo, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&fifo, Some(owner), Some(owner)).unwrap();
        let (r, shown) = try_start(&dir, &rt, Mode::Pipe, "prog", &["tmain.o"], &["t1.o"], &[]);
        assert_failed_cleanly(
            &r,
            &shown,
            what,
            &["FIFO", &fifo.display().to_string(), needle],
        );
        assert!(r.stdout.is_empty(), "{what}: a token was printed");
        assert!(listing(&rt).is_empty(), "{what}: left {:?}", listing(&rt));
        assert!(fifo.exists(), "{what}: removed a FIFO it did not make");
    }
}

/// The runtime directory at its default place (`$TMPDIR/cld-UID`): made
/// 0700 whatever the umask; a symlink (to a directory or dangling), a
/// file, a group- or world-writable directory or one owned by someone else
/// is refused by a background linker start and by the control commands,
/// and a serial link still links (with a warning that it could not lock).
#[test]
fn the_runtime_directory_is_made_and_checked_safely() {
    require_root("the_runtime_directory_is_made_and_checked_safely");
    let (dir, _) = fresh("runtime-dir");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let rtd = tmp.join("cld-0");
    // XDG_RUNTIME_DIR owned by someone else is not used.
    let xdg = dir.join("xdg");
    std::fs::create_dir(&xdg).unwrap();
    std::os::unix::fs::chown(&xdg, Some(NOBODY), Some(NOBODY)).unwrap();
    let env = |cmd: &mut Command| {
        cmd.current_dir(&dir)
            .env_remove("CLD_RUNTIME_DIR")
            .env("XDG_RUNTIME_DIR", &xdg)
            .env("TMPDIR", &tmp);
    };
    // Made fresh under umask 0: still 0700.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!(
        "umask 0 && exec gcc -B {} -o prog tmain.o t1.o t2.o t3.o",
        shim()
    ));
    env(&mut cmd);
    let (r, shown) = run(&mut cmd);
    assert!(
        r.success() && r.stderr.is_empty(),
        "serial link{}",
        context(&r, &shown)
    );
    let m = std::fs::symlink_metadata(&rtd).expect("the runtime directory was not made");
    assert!(m.is_dir(), "{} is not a directory", rtd.display());
    assert_eq!(
        m.mode() & 0o7777,
        0o700,
        "mode of the new runtime directory"
    );
    assert!(
        !xdg.join("cld").exists(),
        "used another user's XDG_RUNTIME_DIR"
    );
    std::fs::remove_dir_all(&rtd).unwrap();

    let behind = dir.join("behind");
    type Plant = Box<dyn Fn(&Path)>;
    let b2 = behind.clone();
    let cases: Vec<(&str, Plant, &str)> = vec![
        (
            "a symlink to a directory",
            Box::new(move |p: &Path| {
                std::fs::DirBuilder::new().mode(0o700).create(&b2).unwrap();
                std::os::unix::fs::symlink(&b2, p).unwrap();
            }),
            "symlink",
        ),
        (
            "a dangling symlink",
            Box::new({
                let b = dir.join("nowhere");
                move |p: &Path| std::os::unix::fs::symlink(&b, p).unwrap()
            }),
            "symlink",
        ),
        (
            "a file",
            Box::new(|p: &Path| std::fs::write(p, "").unwrap()),
            "not a directory",
        ),
        ("group-writable", plant_dir(0o770, 0), "770"),
        ("world-writable, sticky", plant_dir(0o1777, 0), "777"),
        ("other-writable", plant_dir(0o703, 0), "703"),
        (
            "owned by another user",
            plant_dir(0o700, NOBODY),
            "uid 65534",
        ),
    ];
    for (what, plant, needle) in cases {
        let _ = std::fs::remove_file(&rtd);
        let _ = std::fs::remove_dir_all(&rtd);
        let _ = std::fs::remove_dir_all(&behind);
        plant(&rtd);
        let planted = std::fs::symlink_metadata(&rtd).unwrap();
        let rtd_s = rtd.display().to_string();
        let mut cmd = Command::new(cld_binary());
        env(&mut cmd);
        cmd.args([
            "-o",
            "prog2",
            "tmain.o",
            "--concurrent-pipe=p",
            "--start-concurrent",
            "t1.o",
            "--end-concurrent",
        ]);
        let (r, shown) = run(&mut cmd);
        assert_failed_cleanly(&r, &shown, what, &[needle, &rtd_s, "runtime directory"]);
        assert!(r.stdout.is_empty(), "{what}: printed a token");
        assert!(!dir.join("p").exists(), "{what}: made the FIFO anyway");
        let mut cmd = Command::new(cld_binary());
        env(&mut cmd);
        cmd.arg(format!("--concurrent-status={}", "0".repeat(32)));
        let (r, shown) = run(&mut cmd);
        assert_failed_cleanly(
            &r,
            &shown,
            &format!("{what}, status"),
            &[needle, "runtime directory"],
        );
        // A serial link still links, and says it could not lock.
        let mut cmd = Command::new("gcc");
        env(&mut cmd);
        cmd.arg("-B")
            .arg(shim())
            .args(["-o", "prog", "tmain.o", "t1.o", "t2.o", "t3.o"]);
        let (r, shown) = run(&mut cmd);
        assert!(
            r.success() && r.stderr.contains("warning") && r.stderr.contains(needle),
            "{what}: the serial link{}",
            context(&r, &shown)
        );
        runs(&dir.join("prog"), OUT, what);
        // Nothing was written through the planted entry.
        let now = std::fs::symlink_metadata(&rtd).unwrap();
        assert_eq!(
            (now.ino(), now.mode(), now.uid()),
            (planted.ino(), planted.mode(), planted.uid()),
            "{what}: the planted entry was changed"
        );
        if now.is_dir() {
            assert!(
                listing(&rtd).is_empty(),
                "{what}: wrote {:?}",
                listing(&rtd)
            );
        }
        assert!(
            listing(&behind).is_empty() && !dir.join("nowhere").exists(),
            "{what}: wrote behind the symlink"
        );
    }
}

fn plant_dir(mode: u32, owner: u32) -> Box<dyn Fn(&Path)> {
    Box::new(move |p: &Path| {
        std::fs::create_dir(p).unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(p, Some(owner), Some(owner)).unwrap();
    })
}

/// Tokens are 32 lowercase hex digits (128 bits from /dev/urandom), new at
/// every start; the control commands refuse anything else before touching
/// the runtime directory.
#[test]
fn tokens_are_random_and_checked() {
    let (dir, rt) = fresh("tokens");
    copy_objects(&dir, &["tmain.o", "t1.o"]);
    let mut tokens = Vec::new();
    for i in 0..4 {
        let l = start(
            &dir,
            &rt,
            Mode::Inotify,
            &format!("prog{i}"),
            &["tmain.o"],
            &["t1.o"],
            &[],
        );
        assert!(
            l.token.len() == 32
                && l.token
                    .bytes()
                    .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "token {:?} is not 32 lowercase hex digits",
            l.token
        );
        tokens.push(l);
    }
    for (i, a) in tokens.iter().enumerate() {
        for b in &tokens[i + 1..] {
            assert_ne!(a.token, b.token, "two starts gave the same token");
            // Halves differ too: no counter or timestamp in one half.
            assert_ne!(a.token[..16], b.token[..16], "tokens share a half");
            assert_ne!(a.token[16..], b.token[16..], "tokens share a half");
        }
    }
    let real = &tokens[0].token;
    let bad = [
        real.to_uppercase(),
        real[..31].to_string(),
        format!("{real}0"),
        format!("../../{}", &real[6..]),
        format!("{}/x", &real[..30]),
    ];
    for t in &bad {
        let (r, shown) = control(&rt, "status", t);
        assert_failed_cleanly(&r, &shown, &format!("token {t:?}"), &["invalid token"]);
    }
    for l in &tokens {
        let (r, shown) = control(&rt, "abort", &l.token);
        assert!(r.success(), "abort{}", context(&r, &shown));
        assert!(poll(Duration::from_secs(5), || !pid_alive(l.pid)));
    }
    assert!(listing(&rt).is_empty(), "left: {:?}", listing(&rt));
}

/// Names on the FIFO that are not declared concurrent inputs — `../`
/// paths, absolute paths of other files (a real object among them), a
/// symlink to an input — are refused with a warning and never opened; a
/// declared input named by an absolute path or through `sub/..` counts.
#[test]
fn fifo_names_outside_the_declared_inputs_are_refused() {
    let (dir, rt) = fresh("fifo-names");
    copy_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    std::fs::create_dir(dir.join("sub")).unwrap();
    // A real object that would change the program if it were linked.
    std::fs::copy(objects().join("t1_v2.o"), dir.join("sub/t1.o")).unwrap();
    std::os::unix::fs::symlink("t1.o", dir.join("alias.o")).unwrap();
    let l = start(
        &dir,
        &rt,
        Mode::Pipe,
        "prog",
        &["tmain.o"],
        &["t1.o", "t2.o", "t3.o"],
        &[],
    );
    let abs_t1 = dir.join("t1.o").display().to_string();
    let abs_other = dir.join("sub/t1.o").display().to_string();
    let refused = [
        "../fifo-names/sub/t1.o".to_string(),
        "sub/t1.o".to_string(),
        abs_other.clone(),
        "/etc/passwd".to_string(),
        "../../../../../../../etc/shadow".to_string(),
        "t1.o/../sub/t1.o".to_string(),
        "alias.o".to_string(),
    ];
    let mut names: Vec<&str> = refused.iter().map(|s| s.as_str()).collect();
    names.extend([abs_t1.as_str(), "sub/../t2.o", "./t3.o"]);
    report(&dir.join("p"), &names);
    wait_for_log(
        &l,
        &["ingest-done t1.o", "ingest-done t2.o", "ingest-done t3.o"],
        "declared inputs",
    );
    let (r, shown) = control(&rt, "wait", &l.token);
    assert!(r.success(), "the wait{}", context(&r, &shown));
    // Named as resolved against the build's directory (lexically).
    let expected: Vec<String> = [
        dir.join("sub/t1.o"),
        dir.join("sub/t1.o"),
        dir.join("sub/t1.o"),
        PathBuf::from("/etc/passwd"),
        PathBuf::from("/etc/shadow"),
        dir.join("sub/t1.o"),
        dir.join("alias.o"),
    ]
    .iter()
    .map(|p| {
        format!(
            "cld: warning: {} was reported on the FIFO but is not a concurrent input; ignored",
            p.display()
        )
    })
    .collect();
    let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings, expected, "the warnings{}", context(&r, &shown));
    let log = std::fs::read_to_string(&l.log).unwrap();
    assert!(
        !log.contains(" event changed ") && !log.contains(" event wait "),
        "a declared input was not taken from the FIFO:\n{log}"
    );
    ok(
        &mut serial_cmd(&dir, &rt, "serial", &["tmain.o", "t1.o", "t2.o", "t3.o"]),
        "serial link",
    );
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == std::fs::read(dir.join("serial")).unwrap(),
        "the output differs from the serial link (an undeclared file was linked?)"
    );
    runs(&dir.join("prog"), OUT, "the program");
    assert_clean(&dir, &rt, &l, "after the wait");
}

/// A serial link ended by a signal (SIGTERM, SIGHUP; SIGINT too unless the
/// driver had it ignored) while it writes: it dies by that signal, and
/// removes its temporary output and its lock first; the previous output
/// stays. The link is slowed by a 96 MiB data section, so the temporary
/// file is seen and the signal lands mid-write.
#[test]
fn a_link_killed_while_writing_leaves_nothing() {
    let (dir, rt) = fresh("killed-serial");
    std::fs::write(
        dir.join("big.s"),
        ".globl _start\n.text\n_start:\n mov $60, %eax\n xor %edi, %edi\n syscall\n\
         .data\n.fill 100663296, 1, 7\n",
    )
    .unwrap();
    ok(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "big.s", "-o", "big.o"]),
        "TEST BUG: assembling big.s",
    );
    let spawn_link = || {
        Command::new(cld_binary())
            .current_dir(&dir)
            .env("CLD_RUNTIME_DIR", &rt)
            .args(["-static", "-o", "prog", "big.o"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let link = |sig: i32| {
        let mut child = spawn_link();
        let t0 = Instant::now();
        let seen = loop {
            if listing(&dir).iter().any(|n| n.contains(".cld-")) {
                break true;
            }
            if t0.elapsed() > Duration::from_secs(20) || child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::yield_now();
        };
        // SAFETY: signalling our own child.
        unsafe { nix::libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        (seen, status)
    };
    assert!(
        spawn_link().wait().unwrap().success(),
        "the first link of prog failed"
    );
    let before = std::fs::read(dir.join("prog")).unwrap();
    let mut hit = 0;
    for sig in [nix::libc::SIGTERM, nix::libc::SIGHUP, nix::libc::SIGINT] {
        for _ in 0..3 {
            let (seen, status) = link(sig);
            use std::os::unix::process::ExitStatusExt;
            if !seen || status.signal() != Some(sig) {
                continue; // finished before the signal: nothing to check
            }
            hit += 1;
            assert_no_temporaries(&dir, &format!("signal {sig}"));
            assert!(
                listing(&rt).is_empty(),
                "signal {sig}: lock left in the runtime directory: {:?}",
                listing(&rt)
            );
            assert!(
                std::fs::read(dir.join("prog")).unwrap() == before,
                "signal {sig}: the previous output changed"
            );
        }
    }
    assert!(hit >= 3, "only {hit} of 9 signals landed during the write");
}
