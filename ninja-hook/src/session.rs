//! The per-build-directory state of one Ninja run ("session"), in
//! `BUILDDIR/.ninja-hook/`: which background linkers run for which outputs,
//! and the watchdog that aborts those nobody waited for when Ninja exits.
//! Every change happens under `flock(.ninja-hook/lock)`.

use crate::plan::LinkEdge;
use crate::procs::ProcId;
use serde::{Deserialize, Serialize};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Linker {
    pub output: String,
    /// The hook arguments it was started for (compared with the link's own).
    pub hook_args: Vec<String>,
    pub cwd: PathBuf,
    pub token: String,
    pub proc: Option<ProcId>,
    pub log: PathBuf,
}

#[derive(Serialize, Deserialize, Debug, Default)]
pub struct Session {
    pub ninja: Option<ProcId>,
    pub watchdog: Option<ProcId>,
    pub linkers: Vec<Linker>,
    /// Outputs not to start (again) in this session: linked already, or
    /// their start failed.
    pub done: Vec<String>,
}

pub struct Locked {
    _lock: std::fs::File,
    pub dir: PathBuf,
    pub session: Session,
}

/// An exclusive `flock` on `path` (created if needed), held while the
/// returned file is open.
pub fn lock_file(path: &Path) -> std::io::Result<std::fs::File> {
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    loop {
        let r = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(lock);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

pub fn state_dir(builddir: &Path) -> PathBuf {
    builddir.join(".ninja-hook")
}

impl Locked {
    pub fn open(statedir: &Path) -> std::io::Result<Locked> {
        std::fs::create_dir_all(statedir)?;
        let lock = lock_file(&statedir.join("lock"))?;
        let session = std::fs::read(statedir.join("session.json"))
            .ok()
            .and_then(|t| serde_json::from_slice(&t).ok())
            .unwrap_or_default();
        Ok(Locked {
            _lock: lock,
            dir: statedir.to_path_buf(),
            session,
        })
    }

    pub fn save(&self) {
        let path = self.dir.join("session.json");
        if self.session.ninja.is_none() && self.session.linkers.is_empty() {
            let _ = std::fs::remove_file(&path);
            return;
        }
        let tmp = self.dir.join("session.json.tmp");
        if let Ok(t) = serde_json::to_vec_pretty(&self.session) {
            if std::fs::write(&tmp, t).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
    }

    /// Make the session that of `ninja`: a session left by an earlier Ninja
    /// run (killed before its watchdog could act) is cleaned up first.
    pub fn adopt(&mut self, ninja: ProcId, cld: &Path) {
        if self.session.ninja == Some(ninja) {
            return;
        }
        let old = std::mem::take(&mut self.session);
        if let Some(w) = old.watchdog {
            w.signal(libc::SIGTERM);
        }
        abort_all(&old.linkers, cld);
        self.session.ninja = Some(ninja);
    }

    /// Stop the watchdog if no background linker is left to watch.
    pub fn stop_idle_watchdog(&mut self) {
        if self.session.linkers.is_empty() {
            if let Some(w) = self.session.watchdog.take() {
                w.signal(libc::SIGTERM);
            }
        }
    }
}

/// cld, run with the signals that ninja-hook holds back unblocked.
pub fn client(cld: &Path) -> cld_client::Cld {
    cld_client::Cld::new(cld, crate::procs::unblock_in_child)
}

/// Abort background linkers and wait (a little) for them to be gone.
pub fn abort_all(linkers: &[Linker], cld: &Path) {
    let cld = client(cld);
    for l in linkers {
        cld.abort(&l.token);
    }
    for l in linkers {
        if let Some(p) = l.proc {
            if !p.wait_gone(Duration::from_secs(5)) {
                p.signal(libc::SIGTERM);
            }
        }
    }
}

/// The directory with cld's `ld` shim.
pub fn shim_dir(cld: &Path) -> Result<String, String> {
    let mut cmd = Command::new(cld);
    crate::procs::unblock_in_child(&mut cmd);
    let out = cmd
        .arg("--print-shim-dir")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cld.display()))?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || s.is_empty() {
        return Err(format!("{} --print-shim-dir failed", cld.display()));
    }
    Ok(s)
}

fn log_name(output: &str, builddir: &Path) -> String {
    let rel = Path::new(output)
        .strip_prefix(builddir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| output.to_string());
    rel.replace('/', "__") + ".log"
}

/// The event log of the background linker for `output`.
pub fn log_path(statedir: &Path, builddir: &Path, output: &str) -> PathBuf {
    statedir.join("logs").join(log_name(output, builddir))
}

/// Start the background linker of one link edge: its driver through
/// `cld --concurrent-start`, in inotify mode with an event log.
pub fn start_linker(
    link: &LinkEdge,
    builddir: &Path,
    statedir: &Path,
    cld: &Path,
) -> Result<Linker, String> {
    let args = link.start.as_ref().map_err(|e| e.clone())?;
    for c in &link.concurrent {
        // inotify watches the inputs' directories; Ninja would create them
        // before running their compiles anyway.
        if let Some(d) = Path::new(c).parent() {
            let _ = std::fs::create_dir_all(d);
        }
    }
    let log = log_path(statedir, builddir, &link.output);
    let _ = std::fs::create_dir_all(log.parent().unwrap());
    let _ = std::fs::remove_file(&log);
    let mut opts = vec![
        "--concurrent-inotify".to_string(),
        format!("--concurrent-log={}", log.display()),
    ];
    if let Ok(t) = std::env::var("NINJA_HOOK_IDLE_TIMEOUT") {
        opts.push(format!("--concurrent-idle-timeout={t}"));
    }
    let driver: Vec<String> = std::iter::once(link.driver.clone())
        .chain(args.iter().cloned())
        .collect();
    let started = client(cld).start(&opts, &driver, |c| {
        c.current_dir(builddir);
    })?;
    Ok(Linker {
        output: link.output.clone(),
        hook_args: link.hook_args.clone(),
        cwd: builddir.to_path_buf(),
        token: started.token,
        proc: ProcId::of(started.pid),
        log,
    })
}

/// Start the watchdog for this session: a detached `ninja-hook
/// __watchdog` that aborts the remaining background linkers when Ninja
/// exits.
pub fn spawn_watchdog(statedir: &Path, ninja: ProcId, cld: &Path) -> Option<ProcId> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().ok()?;
    let mut cmd = Command::new(exe);
    cmd.arg("__watchdog")
        .arg(statedir)
        .arg(ninja.pid.to_string())
        .arg(ninja.start.to_string())
        .arg(cld)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    crate::procs::unblock_in_child(&mut cmd);
    let child = cmd.spawn().ok()?;
    let id = ProcId::of(child.id() as i32);
    // Not waited for: it outlives us (and is reaped by init).
    std::mem::forget(child);
    id
}

/// `ninja-hook __watchdog STATEDIR PID START CLD`.
pub fn watchdog(args: &[String]) -> i32 {
    // Nothing inherited stays open (Ninja waits for its pipes to close).
    if let Ok(rd) = std::fs::read_dir("/proc/self/fd") {
        let fds: Vec<i32> = rd
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
            .collect();
        for fd in fds {
            if fd > 2 {
                unsafe {
                    libc::close(fd);
                }
            }
        }
    }
    let (Some(dir), Some(pid), Some(start), Some(cld)) = (
        args.first().map(PathBuf::from),
        args.get(1).and_then(|p| p.parse().ok()),
        args.get(2).and_then(|p| p.parse().ok()),
        args.get(3).map(PathBuf::from),
    ) else {
        return 2;
    };
    let ninja = ProcId { pid, start };
    crate::procs::wait_for_exit(ninja);
    let Ok(mut l) = Locked::open(&dir) else {
        return 1;
    };
    if l.session.ninja != Some(ninja) {
        return 0;
    }
    let linkers = std::mem::take(&mut l.session.linkers);
    l.session = Session::default();
    l.save();
    // Abort under the lock: a new build in this directory waits for it.
    abort_all(&linkers, &cld);
    0
}
