//! What cld does with each kind of output path (`-o PATH`), serial and at a
//! background linker's wait: a device node stays a device and a FIFO's
//! reader receives the program (neither is replaced by a regular file);
//! symlinks end as GNU ld leaves them; a directory is an error.
//!
//! Device nodes are made with `mknod` in the test's own directory (CI runs
//! as root): no test here ever names the real `/dev/null`.

mod common;

use common::*;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A work directory with `m.o` (tests/c/hello compiled) and a cld shim.
struct Setup {
    dir: PathBuf,
    shim: String,
}

fn setup(name: &str) -> Setup {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("output_paths", name);
    let shim = make_shim(&dir);
    let src = c_tests_dir().join("hello").join("main.c");
    must_succeed_within(
        Command::new("gcc")
            .current_dir(&dir)
            .args(["-c", "-o", "m.o"])
            .arg(&src),
        TIMEOUT,
        "compiling hello",
    );
    Setup { dir, shim }
}

impl Setup {
    /// `gcc [-B shim] m.o -o OUT` in the work directory (`cld` false: the
    /// system linker, GNU ld).
    fn link(&self, out: &str, cld: bool, extra: &[&str]) -> (RunResult, String) {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&self.dir);
        if cld {
            cmd.arg("-B").arg(&self.shim);
        }
        cmd.args(["m.o", "-o", out]).args(extra);
        run_shown(&mut cmd, TIMEOUT)
    }

    fn link_ok(&self, out: &str) {
        let (r, shown) = self.link(out, true, &[]);
        assert!(
            r.success(),
            "linking to {out} failed{}",
            context(&r, &shown)
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A character device with the numbers of `/dev/null` (1, 3).
    fn mknod_null(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        must_succeed_within(
            Command::new("mknod").arg(&p).args(["c", "1", "3"]),
            TIMEOUT,
            "mknod (the test needs root, as CI has)",
        );
        p
    }

    /// A regular-file link by cld of the same command: the reference image.
    fn reference(&self) -> Vec<u8> {
        self.link_ok("reference");
        std::fs::read(self.path("reference")).unwrap()
    }

    /// Temporary outputs left in the directory.
    fn leftovers(&self) -> Vec<String> {
        listing(&self.dir)
            .into_iter()
            .filter(|n| n.contains(".cld-"))
            .collect()
    }
}

fn assert_null_device(p: &Path, what: &str) {
    let m = std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{what}: {} is gone: {e}", p.display()));
    assert!(
        m.file_type().is_char_device() && m.rdev() == makedev(1, 3),
        "{what}: {} is no longer the character device 1,3 (mode {:o}, size {})",
        p.display(),
        m.mode(),
        m.len()
    );
}

/// `makedev(major, minor)` for small numbers (glibc's encoding).
fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | (minor & 0xff)
}

/// Reads a FIFO in a thread while a link writes to it. The FIFO is opened
/// non-blocking, so the reader never hangs when the link does not open it
/// (say, renamed a file over it): end-of-file counts only once `finish`
/// has said the link is over.
struct FifoReader {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<u8>>,
}

impl FifoReader {
    fn start(fifo: &Path) -> FifoReader {
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(fifo)
            .unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let seen = done.clone();
        let thread = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 65536];
            let start = std::time::Instant::now();
            loop {
                // Read the flag before reading, so nothing written before
                // the link ended is missed.
                let over = seen.load(Ordering::SeqCst);
                match f.read(&mut buf) {
                    Ok(0) if over => return got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("reading the FIFO: {e}"),
                }
                assert!(start.elapsed() < TIMEOUT, "the FIFO reader timed out");
                std::thread::sleep(Duration::from_millis(1));
            }
        });
        FifoReader { done, thread }
    }

    /// Everything read, once the link that writes has ended.
    fn finish(self) -> Vec<u8> {
        self.done.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// Runs `image` (written to a file) and checks it prints hello's output.
fn runs_as_hello(s: &Setup, image: &[u8], what: &str) {
    let prog = s.path("received");
    std::fs::write(&prog, image).unwrap();
    std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
    let expected =
        std::fs::read_to_string(c_tests_dir().join("hello").join("expected.out")).unwrap();
    let r = must_succeed_within(&mut Command::new(&prog), TIMEOUT, what);
    assert_eq!(r.stdout, expected, "{what}: the program's output differs");
}

#[test]
fn device_node_output_stays_a_device() {
    let s = setup("device");
    let node = s.mknod_null("null");
    s.link_ok("null");
    assert_null_device(&node, "after a link to it");
    // Twice: a second link finds the device again, not a file left by the first.
    s.link_ok("null");
    assert_null_device(&node, "after a second link to it");
    assert!(s.leftovers().is_empty(), "left behind: {:?}", s.leftovers());
}

#[test]
fn failed_link_to_a_device_names_the_error_and_keeps_it() {
    let s = setup("device-failed");
    let node = s.mknod_null("null");
    std::fs::write(
        s.path("u.c"),
        "extern int no_such_fn(void); int main(void) { return no_such_fn(); }\n",
    )
    .unwrap();
    must_succeed_within(
        Command::new("gcc").current_dir(&s.dir).args(["-c", "u.c"]),
        TIMEOUT,
        "compiling u.c",
    );
    let (r, shown) = run_shown(
        Command::new("gcc")
            .current_dir(&s.dir)
            .arg("-B")
            .arg(&s.shim)
            .args(["u.o", "-o", "null"]),
        TIMEOUT,
    );
    assert!(
        !r.success() && r.stderr.contains("no_such_fn"),
        "the link should fail naming the undefined symbol{}",
        context(&r, &shown)
    );
    assert_null_device(&node, "after a failed link to it");
    assert!(s.leftovers().is_empty(), "left behind: {:?}", s.leftovers());
}

#[test]
fn fifo_output_reader_receives_the_program() {
    let s = setup("fifo");
    let reference = s.reference();
    let fifo = s.path("pipe");
    mkfifo(&fifo);
    let reader = FifoReader::start(&fifo);
    s.link_ok("pipe");
    let got = reader.finish();
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    assert!(
        got == reference,
        "the FIFO's reader got {} bytes, not the {}-byte program a regular-file link writes",
        got.len(),
        reference.len()
    );
    runs_as_hello(&s, &got, "the program read from the FIFO");
    assert!(s.leftovers().is_empty(), "left behind: {:?}", s.leftovers());
}

fn mkfifo(p: &Path) {
    must_succeed_within(Command::new("mkfifo").arg(p), TIMEOUT, "mkfifo");
}

/// What a directory holds, as one line per name: its kind (lstat), a
/// symlink's target, a regular file's kind of content.
fn describe(dir: &Path, names: &[&str]) -> String {
    let mut out = String::new();
    for n in names {
        let p = dir.join(n);
        let line = match std::fs::symlink_metadata(&p) {
            Err(_) => "absent".to_string(),
            Ok(m) => {
                let t = m.file_type();
                if t.is_symlink() {
                    format!("symlink -> {}", std::fs::read_link(&p).unwrap().display())
                } else if t.is_char_device() {
                    format!("char device {:x}", m.rdev())
                } else if t.is_dir() {
                    "directory".to_string()
                } else if t.is_file() {
                    let data = std::fs::read(&p).unwrap();
                    if data.starts_with(b"\x7fELF") {
                        format!("ELF file, mode {:o}", m.mode() & 0o111)
                    } else {
                        format!("file {:?}", String::from_utf8_lossy(&data))
                    }
                } else {
                    format!("other {:o}", m.mode())
                }
            }
        };
        out.push_str(&format!("{n}: {line}\n"));
    }
    out
}

/// Each symlink case set up twice, linked through the symlink by GNU ld
/// and by cld: the directories must end the same, and both links must
/// succeed or both fail.
#[test]
fn symlink_outputs_end_as_with_gnu_ld() {
    let s = setup("symlinks");
    type Prepare = fn(&Path);
    let cases: [(&str, Prepare); 5] = [
        ("to a regular file", |d| {
            std::fs::write(d.join("target"), "old\n").unwrap();
            std::os::unix::fs::symlink("target", d.join("out")).unwrap();
        }),
        ("dangling, relative", |d| {
            std::os::unix::fs::symlink("sub/target", d.join("out")).unwrap();
            std::fs::create_dir(d.join("sub")).unwrap();
        }),
        ("a chain ending dangling", |d| {
            std::os::unix::fs::symlink("mid", d.join("out")).unwrap();
            std::os::unix::fs::symlink("target", d.join("mid")).unwrap();
        }),
        ("to a device node", |d| {
            must_succeed_within(
                Command::new("mknod")
                    .arg(d.join("target"))
                    .args(["c", "1", "3"]),
                TIMEOUT,
                "mknod (the test needs root, as CI has)",
            );
            std::os::unix::fs::symlink("target", d.join("out")).unwrap();
        }),
        ("to a directory", |d| {
            std::fs::create_dir(d.join("target")).unwrap();
            std::os::unix::fs::symlink("target", d.join("out")).unwrap();
        }),
    ];
    let names = ["out", "mid", "target", "sub", "sub/target"];
    let mut failures = Vec::new();
    for (i, (what, prepare)) in cases.iter().enumerate() {
        let mut ends = Vec::new();
        for cld in [false, true] {
            let d = s.path(&format!("case{i}-{}", if cld { "cld" } else { "ld" }));
            std::fs::create_dir(&d).unwrap();
            std::fs::copy(s.path("m.o"), d.join("m.o")).unwrap();
            prepare(&d);
            let mut cmd = Command::new("gcc");
            cmd.current_dir(&d);
            if cld {
                cmd.arg("-B").arg(&s.shim);
            }
            cmd.args(["m.o", "-o", "out"]);
            let (r, _) = run_shown(&mut cmd, TIMEOUT);
            ends.push((r.success(), describe(&d, &names)));
            let left: Vec<String> = listing(&d)
                .into_iter()
                .filter(|n| n.contains(".cld-"))
                .collect();
            if !left.is_empty() {
                failures.push(format!("symlink {what}: cld left {left:?}"));
            }
        }
        if ends[0] != ends[1] {
            failures.push(format!(
                "symlink {what}:\n  GNU ld (success {}):\n{}  cld (success {}):\n{}",
                ends[0].0,
                indent(&ends[0].1, "    "),
                ends[1].0,
                indent(&ends[1].1, "    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn directory_output_is_an_error_naming_it() {
    let s = setup("directory");
    std::fs::create_dir(s.path("outdir")).unwrap();
    std::fs::write(s.path("outdir/keep"), "x").unwrap();
    let (r, shown) = s.link("outdir", true, &[]);
    assert!(
        !r.success()
            && r.stderr
                .contains("cannot open output file outdir: Is a directory"),
        "linking to a directory should fail, naming it{}",
        context(&r, &shown)
    );
    assert_eq!(listing(&s.path("outdir")), vec!["keep".to_string()]);
    assert!(s.leftovers().is_empty(), "left behind: {:?}", s.leftovers());
}

/// Starts a background linker for `m.o -o OUT` through gcc (FIFO mode):
/// the token.
fn start_background(s: &Setup, rt: &Path, out: &str) -> String {
    let (r, shown) = run_shown(
        Command::new("gcc")
            .current_dir(&s.dir)
            .env("CLD_RUNTIME_DIR", rt)
            .arg("-B")
            .arg(&s.shim)
            .args(["-o", out])
            .arg("-Wl,--concurrent-pipe,feed,--start-concurrent,m.o,--end-concurrent"),
        TIMEOUT,
    );
    assert!(
        r.success(),
        "starting the background linker failed{}",
        context(&r, &shown)
    );
    check_token(&r, &shown)
}

fn wait(rt: &Path, token: &str) {
    must_succeed_within(
        Command::new(cld_binary())
            .arg(format!("--concurrent-wait={token}"))
            .env("CLD_RUNTIME_DIR", rt),
        TIMEOUT,
        "the wait",
    );
}

fn runtime_dir(s: &Setup) -> PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    let rt = s.path("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    rt
}

#[test]
fn background_linker_writes_through_a_device_and_a_fifo() {
    let s = setup("background");
    let reference = s.reference();
    let rt = runtime_dir(&s);

    let node = s.mknod_null("null");
    let token = start_background(&s, &rt, "null");
    wait(&rt, &token);
    assert_null_device(&node, "after a background link to it");

    let fifo = s.path("pipe");
    mkfifo(&fifo);
    let token = start_background(&s, &rt, "pipe");
    let reader = FifoReader::start(&fifo);
    wait(&rt, &token);
    let got = reader.finish();
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo(),
        "the FIFO was replaced"
    );
    assert!(
        got == reference,
        "the FIFO's reader got {} bytes from the background linker, not the {}-byte serial link",
        got.len(),
        reference.len()
    );
    assert!(s.leftovers().is_empty(), "left behind: {:?}", s.leftovers());
}

/// Replacing a regular output: the old file lives on under a second name
/// only until the new one is in place (so that the rename does not free
/// its blocks in the link's tail); then just the program is left, and a
/// second name someone else holds for the old file still reads the old
/// bytes (the old inode was not reused or truncated).
#[test]
fn replacing_an_output_leaves_only_the_program() {
    let s = setup("replace-regular");
    std::fs::write(s.path("prog"), b"old contents").unwrap();
    std::fs::hard_link(s.path("prog"), s.path("held")).unwrap();
    s.link_ok("prog");
    let image = std::fs::read(s.path("prog")).unwrap();
    runs_as_hello(&s, &image, "the replacing link's program");
    assert_eq!(std::fs::read(s.path("held")).unwrap(), b"old contents");
    assert!(s.leftovers().is_empty(), "left: {:?}", s.leftovers());
    // And again over cld's own output.
    s.link_ok("prog");
    assert!(std::fs::read(s.path("prog")).unwrap() == image);
    assert!(s.leftovers().is_empty(), "left: {:?}", s.leftovers());
}
