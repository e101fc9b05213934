//! `--fork` (the default): cld links in a child process and the process the
//! build started exits once the output is in place (`detach.rs`). Its exit
//! status and diagnostics are the link's, its output the same as an
//! in-process link's, and a signal that ends it ends the link too.

mod common;

use common::*;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A freestanding object (`_start` only) and one that calls a function no
/// input defines, compiled in `dir`.
fn objects(dir: &Path) -> (PathBuf, PathBuf) {
    require_tool("gcc", "gcc");
    let compile = |name: &str, src: &str| {
        let c = dir.join(format!("{name}.c"));
        std::fs::write(&c, src).unwrap();
        let o = dir.join(format!("{name}.o"));
        let (r, shown) = run_shown(
            Command::new("gcc")
                .args(["-c", "-O1", "-fno-pie", "-ffreestanding"])
                .arg(&c)
                .arg("-o")
                .arg(&o),
            TIMEOUT,
        );
        assert!(r.success(), "compiling {name}{}", context(&r, &shown));
        o
    };
    (
        compile("start", "void _start(void) { for (;;) {} }\n"),
        compile(
            "undef",
            "void missing_fn(void);\nvoid _start(void) { missing_fn(); }\n",
        ),
    )
}

fn cld(dir: &Path, args: &[&str], inputs: &[&Path]) -> (RunResult, String) {
    run_shown(
        Command::new(cld_binary())
            .current_dir(dir)
            .args(["-static", "-no-pie"])
            .args(args)
            .args(inputs),
        TIMEOUT,
    )
}

/// Files beside the output other than the inputs and sources.
fn leftovers(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|n| n.starts_with('.') || n.contains(".cld-"))
        .collect()
}

#[test]
fn forked_link_is_the_in_process_link() {
    let dir = fresh_work_dir("fork", "same");
    let (start, _) = objects(&dir);
    for (name, flags) in [("forked", &[][..]), ("in-process", &["--no-fork"][..])] {
        let (r, shown) = cld(&dir, &[&["-o", name][..], flags].concat(), &[&start]);
        assert!(
            r.success() && r.stderr.is_empty(),
            "{name}{}",
            context(&r, &shown)
        );
    }
    let a = std::fs::read(dir.join("forked")).unwrap();
    let b = std::fs::read(dir.join("in-process")).unwrap();
    assert!(a.starts_with(b"\x7fELF"), "no ELF image written");
    assert!(
        a == b,
        "the forked link's output differs from the in-process link's"
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new(), "files left behind");
}

#[test]
fn forked_link_reports_failure_and_writes_nothing() {
    let dir = fresh_work_dir("fork", "failure");
    let (_, undef) = objects(&dir);
    for flags in [&[][..], &["--no-fork"][..]] {
        let (r, shown) = cld(&dir, &[&["-o", "prog"][..], flags].concat(), &[&undef]);
        assert_eq!(
            r.code(),
            Some(1),
            "{flags:?}: a failed link must exit with 1{}",
            context(&r, &shown)
        );
        assert!(
            r.stderr.contains("undefined symbol: missing_fn"),
            "{flags:?}: the diagnostic is missing{}",
            context(&r, &shown)
        );
        assert!(
            !dir.join("prog").exists(),
            "{flags:?}: an output was written"
        );
        assert_eq!(leftovers(&dir), Vec::<String>::new(), "files left behind");
    }
}

/// The output is a FIFO, whose open waits for a reader: the link stops
/// there. The process the build started is killed meanwhile; the link must
/// die with it, so a reader that comes later finds no writer (a link left
/// running would write its image to it).
#[test]
fn signal_to_the_forked_link_ends_the_link() {
    let dir = fresh_work_dir("fork", "signal");
    let (start, _) = objects(&dir);
    let fifo = dir.join("prog");
    let (r, shown) = run_shown(Command::new("mkfifo").arg(&fifo), TIMEOUT);
    assert!(r.success(), "mkfifo{}", context(&r, &shown));
    let mut child = Command::new(cld_binary())
        .current_dir(&dir)
        .args(["-static", "-no-pie", "-o", "prog"])
        .arg(&start)
        .spawn()
        .unwrap();
    // A link of one tiny object reaches the FIFO's open in milliseconds.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "cld ended before its output had a reader"
    );
    // SAFETY: sending a signal to our own child.
    unsafe { nix::libc::kill(child.id() as i32, nix::libc::SIGTERM) };
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        status.signal(),
        Some(nix::libc::SIGTERM),
        "cld did not die by the signal: {status:?}"
    );
    std::thread::sleep(Duration::from_millis(200));
    let mut reader = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    // A writer still blocked in its open would now go on and write.
    std::thread::sleep(Duration::from_millis(500));
    let mut got = Vec::new();
    let _ = reader.read_to_end(&mut got);
    assert!(
        got.is_empty(),
        "the link went on after cld was killed: {} bytes written",
        got.len()
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new(), "files left behind");
}
