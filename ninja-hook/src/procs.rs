//! Processes: finding the Ninja that runs us, telling whether a process
//! (identified by pid and start time, so a reused pid is not mistaken for
//! it) still runs, and waiting for it to end.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcId {
    pub pid: i32,
    /// Start time in clock ticks since boot (/proc/PID/stat field 22).
    pub start: u64,
}

struct Stat {
    comm: String,
    state: char,
    ppid: i32,
    start: u64,
}

fn stat(pid: i32) -> Option<Stat> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s[open + 1..close].to_string();
    let f: Vec<&str> = s[close + 1..].split_whitespace().collect();
    Some(Stat {
        comm,
        state: f.first()?.chars().next()?,
        ppid: f.get(1)?.parse().ok()?,
        start: f.get(19)?.parse().ok()?,
    })
}

impl ProcId {
    pub fn of(pid: i32) -> Option<ProcId> {
        stat(pid).map(|s| ProcId {
            pid,
            start: s.start,
        })
    }

    /// Still running (not a zombie, not a new process with the same pid).
    pub fn alive(&self) -> bool {
        matches!(stat(self.pid), Some(s) if s.start == self.start && s.state != 'Z' && s.state != 'X')
    }

    /// Wait up to `limit` for it to end; true if it did.
    pub fn wait_gone(&self, limit: Duration) -> bool {
        let t = Instant::now();
        while self.alive() {
            if t.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    pub fn signal(&self, sig: i32) {
        if self.alive() {
            unsafe {
                libc::kill(self.pid, sig);
            }
        }
    }
}

/// The Ninja process running this command: the nearest ancestor named
/// `ninja` (Ninja runs commands through `/bin/sh -c`, so it is usually the
/// parent or the grandparent). `NINJA_HOOK_NO_NINJA=1` pretends there is none.
pub struct Ninja {
    pub id: ProcId,
    /// Its working directory: the build directory.
    pub dir: PathBuf,
    /// The manifest it reads (`-f FILE`, default `build.ninja`).
    pub manifest: PathBuf,
}

pub fn find_ninja() -> Option<Ninja> {
    if std::env::var_os("NINJA_HOOK_NO_NINJA").is_some_and(|v| v == "1") {
        return None;
    }
    let mut pid = std::os::unix::process::parent_id() as i32;
    for _ in 0..8 {
        if pid <= 1 {
            return None;
        }
        let s = stat(pid)?;
        if matches!(s.comm.as_str(), "ninja" | "ninja-build" | "samu") {
            let dir = std::fs::read_link(format!("/proc/{pid}/cwd")).ok()?;
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let mut manifest = PathBuf::from("build.ninja");
            let mut i = 1;
            while i < args.len() {
                let a = &args[i];
                if a == "-t" {
                    // A tool, not a build.
                    return None;
                }
                if a == "-f" {
                    if let Some(f) = args.get(i + 1) {
                        manifest = PathBuf::from(f);
                    }
                    i += 1;
                } else if let Some(f) = a.strip_prefix("-f") {
                    manifest = PathBuf::from(f);
                }
                i += 1;
            }
            return Some(Ninja {
                id: ProcId {
                    pid,
                    start: s.start,
                },
                dir,
                manifest,
            });
        }
        pid = s.ppid;
    }
    None
}

/// Block until the process ends (pidfd), or return at once if it is gone.
pub fn wait_for_exit(id: ProcId) {
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, id.pid, 0) } as i32;
    if fd < 0 {
        // No pidfd (old kernel) or already gone: poll.
        while id.alive() {
            std::thread::sleep(Duration::from_millis(100));
        }
        return;
    }
    // The pid could have been reused before we opened it.
    if id.alive() {
        let mut p = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            let r = unsafe { libc::poll(&mut p, 1, 1000) };
            if r > 0 || !id.alive() {
                break;
            }
        }
    }
    unsafe {
        libc::close(fd);
    }
}

fn term_signals() -> libc::sigset_t {
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// While alive, SIGINT/SIGTERM/SIGHUP/SIGQUIT are held back (delivered when
/// it is dropped), so an interrupted build cannot stop us between starting
/// a background linker and recording it for the watchdog.
pub struct HoldSignals(());

impl HoldSignals {
    pub fn new() -> HoldSignals {
        let set = term_signals();
        unsafe {
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        HoldSignals(())
    }
}

impl Drop for HoldSignals {
    fn drop(&mut self) {
        let set = term_signals();
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

/// Children get the normal signal mask back.
pub fn unblock_in_child(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    unsafe {
        cmd.pre_exec(|| {
            let set = term_signals();
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}
