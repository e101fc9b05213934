//! The feed: how the background linker learns that a concurrent input is
//! complete. A FIFO that the build writes names to (`--concurrent-pipe`), or
//! inotify watches on the inputs' directories (`--concurrent-inotify`).
//! Both are opened in the foreground, before the token is printed, so no
//! event is missed; their reader threads then report names to `ingest`.
//!
//! Assumes what arrives may be anything: FIFO names that are not
//! concurrent inputs are recorded and reported, and events in watched
//! directories for other files are ignored.

use super::ingest::{normalize, report_name, FifoIn, Names, Shared};
use crate::error::{Error, Result};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify, WatchDescriptor};
use nix::unistd::getuid;
use std::collections::HashMap;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `--concurrent-pipe=PATH`: the FIFO, opened read-write, with its
/// normalized path and whether we created it (then it is ours to remove).
pub(super) fn open_fifo(p: &Path, cwd: &Path) -> Result<(std::fs::File, PathBuf, bool)> {
    let me = getuid().as_raw();
    let created = match std::fs::symlink_metadata(p) {
        // Whoever can write to the FIFO can feed the link: it must
        // be ours and not writable by everyone.
        Ok(m) if m.file_type().is_fifo() && m.uid() != me => {
            return Err(Error::new(format!(
                "FIFO {} belongs to uid {}, not to you (uid {me}); refusing to use it",
                p.display(),
                m.uid()
            )))
        }
        Ok(m) if m.file_type().is_fifo() && m.mode() & 0o002 != 0 => {
            return Err(Error::new(format!(
                "FIFO {} has mode {:o}: anyone could write names to it; refusing to use it (chmod o-w it)",
                p.display(),
                m.mode() & 0o777
            )))
        }
        Ok(m) if m.file_type().is_fifo() => false,
        Ok(_) => {
            return Err(Error::new(format!(
                "{} exists and is not a FIFO",
                p.display()
            )))
        }
        Err(_) => {
            nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600))
                .map_err(|e| {
                    Error::new(format!(
                        "cannot create FIFO {}: {e}",
                        p.display()
                    ))
                })?;
            true
        }
    };
    // Read-write, so the reader never sees end-of-file when the
    // last writer closes.
    // Not through a symlink planted after the check above.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(p)
        .map_err(|e| Error::new(format!("cannot open FIFO {}: {e}", p.display())))?;
    if !f.metadata().is_ok_and(|m| m.file_type().is_fifo()) {
        return Err(Error::new(format!("{} is no longer a FIFO", p.display())));
    }
    Ok((f, normalize(p, cwd), created))
}

/// `--concurrent-inotify`: watches on the directories of the concurrent
/// inputs' candidate paths (`names`), and which directory each watch is.
pub(super) fn watch_dirs(names: &Names) -> Result<(Inotify, HashMap<WatchDescriptor, PathBuf>)> {
    let ino = Inotify::init(InitFlags::IN_CLOEXEC)
        .map_err(|e| Error::new(format!("cannot initialize inotify: {e}")))?;
    let mut wds = HashMap::new();
    let mut dirs: Vec<PathBuf> = names
        .keys()
        .filter_map(|p| p.parent().map(|d| d.to_path_buf()))
        .collect();
    dirs.sort();
    dirs.dedup();
    // Files' directories were checked with the command line; a search
    // directory of a concurrent `-l` that does not exist is simply not
    // watched.
    dirs.retain(|d| d.is_dir());
    for d in dirs {
        let wd = ino
            .add_watch(
                &d,
                // IN_CREATE: a hard link made into place (rustc
                // reusing an object) gives nothing else.
                AddWatchFlags::IN_CLOSE_WRITE
                    | AddWatchFlags::IN_MOVED_TO
                    | AddWatchFlags::IN_ATTRIB
                    | AddWatchFlags::IN_CREATE,
            )
            .map_err(|e| Error::new(format!("cannot watch {}: {e}", d.display())))?;
        wds.insert(wd, d);
    }
    Ok((ino, wds))
}

/// Waits for the FIFO to become readable and hands what arrived to
/// `drain_fifo`.
pub(super) fn fifo_reader(shared: Arc<Shared>) {
    let Some(fifo) = shared.fifo.get() else {
        return;
    };
    let fd = match fifo.lock().unwrap().file.try_clone() {
        Ok(f) => f,
        Err(e) => {
            shared.log(&format!("FIFO read failed: {e}"));
            return;
        }
    };
    loop {
        let mut fds = [nix::poll::PollFd::new(
            fd.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => {
                shared.log(&format!("FIFO poll failed: {e}"));
                return;
            }
        }
        if drain_fifo(&shared).is_none() {
            return;
        }
    }
}

/// Reads every name the FIFO holds now and reports each. The wait calls it
/// too, and keeps the returned lock while it marks the link as finishing:
/// a name written before the wait was requested is never left unread.
pub(super) fn drain_fifo(shared: &Arc<Shared>) -> Option<std::sync::MutexGuard<'_, FifoIn>> {
    let mut fifo = shared.fifo.get()?.lock().unwrap();
    let mut chunk = [0u8; 4096];
    loop {
        match fifo.file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => fifo.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => {
                shared.log(&format!("FIFO read failed: {e}"));
                return None;
            }
        }
    }
    let FifoIn {
        buf, names, cwd, ..
    } = &mut *fifo;
    while let Some(z) = buf.iter().position(|&c| c == 0) {
        let raw: Vec<u8> = buf.drain(..=z).collect();
        let name = String::from_utf8_lossy(&raw[..raw.len() - 1]);
        let name = name.trim_matches(|c: char| c == '\n' || c == '\r');
        if name.is_empty() {
            continue;
        }
        report_name(shared, names, &normalize(Path::new(name), cwd), "fifo");
    }
    Some(fifo)
}

pub(super) fn inotify_reader(
    shared: Arc<Shared>,
    names: Arc<Names>,
    ino: Inotify,
    wds: HashMap<WatchDescriptor, PathBuf>,
) {
    loop {
        let events = match ino.read_events() {
            Ok(e) => e,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => {
                shared.log(&format!("inotify read failed: {e}"));
                return;
            }
        };
        for ev in events {
            let (Some(dir), Some(name)) = (wds.get(&ev.wd), ev.name) else {
                continue;
            };
            let p = dir.join(name);
            report_name(&shared, &names, &p, "inotify");
        }
    }
}

/// Starts the reader threads of whichever feed was opened. `names` maps
/// each path a report may name to its entries.
pub(super) fn start_readers(
    shared: &Arc<Shared>,
    names: Arc<Names>,
    fifo: Option<std::fs::File>,
    inotify: Option<(Inotify, HashMap<WatchDescriptor, PathBuf>)>,
) {
    if let Some(f) = fifo {
        // Non-blocking: the wait drains it without hanging.
        let _ = nix::fcntl::fcntl(
            &f,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        let _ = shared.fifo.set(std::sync::Mutex::new(FifoIn {
            file: f,
            buf: Vec::new(),
            names: names.clone(),
            cwd: std::env::current_dir().unwrap_or_default(),
        }));
        let sh = shared.clone();
        std::thread::spawn(move || fifo_reader(sh));
    }
    if let Some((ino, wds)) = inotify {
        let sh = shared.clone();
        std::thread::spawn(move || inotify_reader(sh, names, ino, wds));
    }
}
