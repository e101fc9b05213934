//! Locks that keep links of one output apart.
//!
//! The output is written to a temporary file and renamed into place, so a
//! reader never sees a mix; these locks add order. Each is an exclusive
//! `flock` on a file in the per-user runtime directory named after a hash
//! of the output's canonical path, so links of different outputs never
//! touch the same lock:
//! - `out-HASH.lock` is held while the output is written and renamed: a
//!   second link of the same output waits (and says so after a second);
//! - `linker-HASH.lock` is held by a background linker for its whole life
//!   and holds its token and pid: a second start for the same output is
//!   refused, naming the first.
//!
//! The kernel drops a lock when its holder dies (even by SIGKILL), so a
//! lock is never stale. The holder removes the file before releasing it;
//! a locker that finds the file it locked no longer at the path retries.

use std::fs::File;
use std::io::{Seek, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a link waits silently for another link of the same output.
const QUIET_WAIT: Duration = Duration::from_secs(1);

/// The output's absolute path with its directory's symlinks resolved (the
/// output itself may not exist yet; `a/../b` and `./b` name the same file).
pub fn canonical_output(out: &Path) -> PathBuf {
    let abs = if out.is_absolute() {
        out.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(out)
    };
    let name = abs.file_name().map(|n| n.to_os_string());
    match (abs.parent().map(|p| p.canonicalize()), name) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => abs,
    }
}

/// `DIR/KIND-HASH.lock` for output `out`.
pub fn lock_path(dir: &Path, kind: &str, out: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let canon = canonical_output(out);
    let h = xxhash_rust::xxh3::xxh3_128(canon.as_os_str().as_bytes());
    dir.join(format!("{kind}-{h:032x}.lock"))
}

/// A held lock; released (and its file removed) on drop.
pub struct OutputLock {
    file: File,
    path: PathBuf,
    /// False in a process that hands the lock on (the foreground half of a
    /// starting background linker): dropping it must not remove the file.
    owner: bool,
    /// For the writing lock: an interrupted serial link removes the file
    /// too (cleanup.rs).
    on_signal: Option<crate::cleanup::OnSignal>,
}

fn flock(f: &File, op: i32) -> std::io::Result<()> {
    // SAFETY: plain syscall on a valid descriptor.
    if unsafe { nix::libc::flock(f.as_raw_fd(), op) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

impl OutputLock {
    /// Locks `path`. `patience`: `None` waits as long as it takes (calling
    /// `slow` once after a second); `Some(d)` gives up after `d` and
    /// returns `Ok(None)`.
    pub fn acquire(
        path: PathBuf,
        patience: Option<Duration>,
        slow: impl FnMut(),
    ) -> std::io::Result<Option<OutputLock>> {
        Self::acquire_guarded(path, patience, slow, None)
    }

    /// `acquire`, keeping `guard` (registered for the path, see
    /// `cleanup::remove_on_signal_unarmed`) armed exactly while the file may
    /// be ours: from before making it until another process is found to
    /// hold it, and again once locked.
    fn acquire_guarded(
        path: PathBuf,
        patience: Option<Duration>,
        mut slow: impl FnMut(),
        guard: Option<&crate::cleanup::OnSignal>,
    ) -> std::io::Result<Option<OutputLock>> {
        let arm = |on: bool| {
            if let Some(g) = guard {
                g.arm(on)
            }
        };
        let open = |create: bool| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(create)
                .mode(0o600)
                .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
                .open(&path)
        };
        let t0 = Instant::now();
        let mut told = false;
        loop {
            // Made by us (armed before: a signal now removes it), or there
            // already (another link's, until we hold its lock).
            arm(true);
            let file = match open(true) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    arm(false);
                    match open(false) {
                        Ok(f) => f,
                        // Removed by its holder meanwhile: make it.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => {
                    arm(false);
                    return Err(e);
                }
            };
            loop {
                match flock(&file, nix::libc::LOCK_EX | nix::libc::LOCK_NB) {
                    Ok(()) => break,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => arm(false),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        arm(false);
                        return Err(e);
                    }
                }
                match patience {
                    Some(d) if t0.elapsed() >= d => return Ok(None),
                    None if !told && t0.elapsed() >= QUIET_WAIT => {
                        slow();
                        told = true;
                    }
                    _ => {}
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            // The previous holder may have removed the file between our
            // open and our lock: then the lock guards nothing; take the
            // file that is at the path now.
            let mine = file.metadata()?;
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.dev() == mine.dev() && m.ino() == mine.ino() => {
                    arm(true);
                    return Ok(Some(OutputLock {
                        on_signal: None,
                        file,
                        path,
                        owner: true,
                    }));
                }
                _ => {
                    arm(false);
                    continue;
                }
            }
        }
    }

    /// Replace the lock file's contents (who holds it).
    pub fn set_info(&mut self, info: &str) {
        let _ = self.file.set_len(0);
        let _ = self.file.rewind();
        let _ = self.file.write_all(info.as_bytes());
    }

    pub fn fd(&self) -> i32 {
        self.file.as_raw_fd()
    }

    /// This process only passes the lock on (to a forked child that keeps
    /// the descriptor): dropping it here closes the descriptor only.
    pub fn hand_over(&mut self) {
        self.owner = false;
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if self.owner {
            // Removed while still locked, so a waiter that locked this file
            // sees it is gone and retries (see `acquire`). Removed before
            // the signal handler lets go of the path: unregistered first,
            // a signal between the two (a build's `kill` as the link ends,
            // which CI's fault test once hit) left the lock behind. The
            // other way round, a signal in that moment would remove the
            // path again, which only matters if another link made its lock
            // there within the same microseconds; that link then holds a
            // lock on a removed file, and the rename still keeps each
            // output whole.
            let _ = std::fs::remove_file(&self.path);
        }
        drop(self.on_signal.take());
    }
}

/// The lock for writing `out`, held until dropped. A runtime directory that
/// cannot be used costs the ordering, not the link: a warning says so (the
/// rename still keeps the output whole).
pub fn lock_for_writing(out: &Path) -> Option<OutputLock> {
    // Standard output (`-o -`) is no file other links could share.
    if out == Path::new("-") {
        return None;
    }
    let dir = match crate::runtime_dir::runtime_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "cld: warning: {}: not locked against other links of it: {}",
                out.display(),
                e.msg
            );
            return None;
        }
    };
    let path = lock_path(&dir, "out", out);
    // Only the writing lock goes with a signal (cleanup.rs); the
    // background linker's and the swept ones need not.
    let guard = crate::cleanup::remove_on_signal_unarmed(&path);
    let r = OutputLock::acquire_guarded(
        path.clone(),
        None,
        || eprintln!("cld: waiting for another link of {}", out.display()),
        Some(&guard),
    );
    match r {
        Ok(l) => l.map(|mut l| {
            l.on_signal = Some(guard);
            l
        }),
        Err(e) => {
            eprintln!(
                "cld: warning: {}: not locked against other links of it: cannot lock {}: {e}",
                out.display(),
                path.display()
            );
            None
        }
    }
}
