//! While rustc compiles a crate whose background linker runs: each
//! codegen-unit object is linked into the link's `o/` as soon as it is
//! complete, so the background linker ingests it during codegen instead of
//! at the link. Complete means: closed after writing (LLVM wrote it),
//! renamed into place, or created as a hard link (an incremental build
//! reusing it from its cache). Objects are matched by name without rustc's
//! per-invocation random part against the last link's (`Template::objs`);
//! an object the last link did not have is left to the link (whose command
//! line then differs: it links serially).
//!
//! An object is placed only with the link's lock taken without waiting and
//! while the background linker it was meant for is still registered: once
//! the linker wrapper runs (it holds the lock and puts every object in place
//! itself) or gave the background linker up, the watcher keeps out.

use crate::state::Unit;
use crate::util;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::collections::HashMap;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<usize>,
}

/// A watch on rustc's output directory, set before rustc starts: the
/// kernel queues what happens there until the `Watcher` reads it, so an
/// object rustc writes while the background linkers are still being
/// started (a loaded machine: tens of milliseconds) is not missed.
pub struct Watch(Inotify);

impl Watch {
    pub fn new(dir: &Path) -> Option<Watch> {
        let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC).ok()?;
        ino.add_watch(
            dir,
            AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_CREATE | AddWatchFlags::IN_MOVED_TO,
        )
        .ok()?;
        Some(Watch(ino))
    }
}

impl Watcher {
    /// Reads `watch` (on `dir`) for objects `PREFIX.*.rcgu.o`; `wanted`
    /// maps an object key to (link, where the link has it); `units` are the
    /// links with the tokens of their background linkers.
    pub fn start(
        watch: Watch,
        dir: &Path,
        prefix: String,
        incremental: bool,
        units: Vec<(Unit, String)>,
        wanted: HashMap<String, Vec<(usize, PathBuf)>>,
    ) -> Option<Watcher> {
        let ino = watch.0;
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let dir = dir.to_path_buf();
        let thread = std::thread::spawn(move || {
            let mut placed = 0;
            while !s.load(Ordering::SeqCst) {
                let mut fds = [nix::poll::PollFd::new(
                    ino.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                let _ = nix::poll::poll(&mut fds, 100u16);
                let Ok(events) = ino.read_events() else {
                    continue;
                };
                for ev in events {
                    let Some(name) = ev.name.as_ref().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    if !name.starts_with(&prefix) || !name.ends_with(".rcgu.o") {
                        continue;
                    }
                    let src = dir.join(name);
                    if ev.mask.contains(AddWatchFlags::IN_CREATE)
                        && !std::fs::metadata(&src).is_ok_and(|m| m.nlink() > 1)
                    {
                        // Being written: wait for its close.
                        continue;
                    }
                    let key = util::object_key(name, incremental);
                    for (u, dst) in wanted.get(&key).into_iter().flatten() {
                        let (unit, token) = &units[*u];
                        let Ok(Some(_lock)) = unit.try_lock() else {
                            continue;
                        };
                        if unit.running().is_some_and(|r| r.token == *token)
                            && util::place(&src, dst).is_ok()
                        {
                            placed += 1;
                        }
                    }
                }
            }
            placed
        });
        Some(Watcher { stop, thread })
    }

    /// Stop; the number of objects placed.
    pub fn finish(self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap_or(0)
    }
}
