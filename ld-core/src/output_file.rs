//! The output file: how the finished image reaches the path named by `-o`.
//!
//! What is done is decided from what is at the path, as GNU ld 2.40 does it
//! (it unlinks a regular file or a symlink unless `stat` through the
//! symlink finds a device or FIFO, then opens the path for writing):
//! - nothing, a regular file, or a symlink to a regular file or directory:
//!   the image is built in a fresh temporary file beside the path, mapped,
//!   and renamed over the path when complete (a symlink is replaced by the
//!   program, its target left alone, as GNU ld does). A failed link leaves
//!   the old file.
//! - a dangling symlink: GNU ld creates the file the symlink points to and
//!   keeps the symlink; so does cld, with the temporary file beside that
//!   final target.
//! - anything else that exists (a character device such as `/dev/null`, a
//!   FIFO; directly or through a symlink): opened for writing when the write
//!   starts and the finished image written through it in one sequential
//!   pass from an anonymous mapping. It is never unlinked, renamed over or
//!   mapped. A FIFO's open waits for a reader; a link that fails after the
//!   open writes nothing, so the reader sees end-of-file.
//! - a directory (or a socket, which cannot be opened): an error naming it.
//! - `-`: standard output, written through like a device.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where the image goes, as decided from what is at the output path.
enum Target {
    /// A temporary file, mapped, renamed to `dest` on commit.
    Replace {
        tmp: Temporary,
        dest: PathBuf,
        file: File,
    },
    /// An existing non-regular file, written through on commit.
    Stream(File),
}

/// A temporary output file: removed when dropped (or on a signal) unless
/// it has been renamed into place.
struct Temporary {
    path: PathBuf,
    renamed: bool,
    _on_signal: crate::cleanup::OnSignal,
}

impl Drop for Temporary {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// An output being written: `buf` is the whole image; `commit` puts it in
/// place. Dropped without `commit`, it leaves no trace (the temporary file
/// is removed; a device or FIFO has been written nothing).
pub struct OutputFile {
    path: PathBuf,
    target: Target,
    map: memmap2::MmapMut,
    /// The image's size: the mapping of a `Prepared` file is longer.
    len: usize,
}

/// An output file opened before its size is known (by the background
/// linker while compiles still run): the temporary file beside the
/// destination, mapped with room to grow, its first pages already written
/// (zeros), so that writing the image at the wait does not take a page
/// fault per page. `OutputFile::create_prepared` takes it over when the
/// destination is still the same and the image fits; otherwise it is
/// dropped, which removes the file.
pub struct Prepared {
    tmp: Temporary,
    dest: PathBuf,
    file: File,
    map: memmap2::MmapMut,
    /// The file's length now, and how much of it has been faulted in.
    len: u64,
    touched: u64,
}

/// How much of an output estimated at `estimate` bytes to prepare: the
/// estimate leaves out archive members not yet selected, synthetic sections
/// and padding (synth-3000-g: 10.8 MB estimated, 11.8 MB written), and a
/// page not prepared is a fault in the write; a page prepared too many is
/// cut off when the link sets the file's size.
pub fn prepare_size(estimate: u64) -> u64 {
    estimate + estimate / 4 + (1 << 20)
}

/// The room to map for an output first estimated at `want` bytes: enough
/// for it to outgrow an estimate made with the first inputs several times.
pub fn room_for(want: u64) -> u64 {
    (want * 4).max(256 << 20).next_multiple_of(1 << 20)
}

impl Prepared {
    /// A temporary output for `path` with room for `cap` bytes, or `None`
    /// where preparing does not apply (a device, a FIFO, a directory) or
    /// fails (the link then opens its output as usual and reports errors).
    /// Address space is cheap: `room_for` sizes the room.
    pub fn new(path: &Path, cap: u64) -> Option<Prepared> {
        let dest = replaced_at(path)?;
        remove_stale_temporaries(&dest);
        let Target::Replace { tmp, dest, file } = OutputFile::temporary(dest).ok()? else {
            return None;
        };
        // SAFETY: the file is ours alone (a fresh temporary name); only
        // the part below its length is ever touched.
        let map = unsafe { memmap2::MmapOptions::new().len(cap as usize).map_mut(&file) }.ok()?;
        Some(Prepared {
            tmp,
            dest,
            file,
            map,
            len: 0,
            touched: 0,
        })
    }

    /// Room in the mapping.
    pub fn capacity(&self) -> u64 {
        self.map.len() as u64
    }

    /// Grows the file towards `want` bytes (at most the capacity) and
    /// faults in at most `step` more bytes of it. Returns whether more
    /// remains to be done for `want`, or an error if the blocks cannot be
    /// reserved (a full disk: the prepared file is then of no use).
    pub fn grow(&mut self, want: u64, step: u64) -> std::io::Result<bool> {
        let want = want.min(self.capacity());
        if self.len < want {
            self.file.set_len(want)?;
            // Blocks first: touching a page the file system cannot back
            // would be a SIGBUS.
            reserve(&self.file, want)?;
            self.len = want;
        }
        let end = (self.touched + step).min(self.len);
        const PAGE: u64 = 4096;
        let mut o = self.touched.next_multiple_of(PAGE);
        // Zeros written first, a large block at a time: a page the
        // mapping's first write faults in is read in (zeroed) and then
        // made writable, page by page (ext4: 30 ms for 48 MB on the
        // benchmark machine); written, the pages are in the page cache and
        // dirty, and the faults below only map them (5 ms in all).
        write_zeros(&self.file, o, end.next_multiple_of(PAGE).min(self.len))?;
        while o < end {
            // A write fault allocates the page; zero is what it holds.
            // SAFETY: `o` is below the file's length and the mapping's.
            unsafe { std::ptr::write_volatile(self.map.as_mut_ptr().add(o as usize), 0) };
            o += PAGE;
        }
        self.touched = end;
        Ok(self.touched < want)
    }
}

/// A `Prepared` output made on another thread, or made already. A serial
/// link prepares its output while it resolves and lays out, which leave
/// the second core mostly idle; the background linker hands over the one it
/// prepared while inputs arrived.
pub enum Preparing {
    Ready(Prepared),
    Thread(Joined),
}

/// What the preparing thread is asked for: how many bytes to prepare
/// (raised once resolution knows which archive members are in), and
/// whether the writer wants the file now.
#[derive(Default)]
struct Ask {
    want: u64,
    stop: bool,
}

type Shared = std::sync::Arc<(std::sync::Mutex<Ask>, std::sync::Condvar)>;

/// The preparing thread, joined when dropped: a link that fails before
/// writing waits for it, and its `Prepared` then removes its file, so
/// nothing is left behind when the process exits right after.
pub struct Joined(Option<std::thread::JoinHandle<Option<Prepared>>>, Shared);

impl Joined {
    fn stop(&mut self) -> Option<Prepared> {
        if let Ok(mut a) = self.1 .0.lock() {
            a.stop = true;
        }
        self.1 .1.notify_all();
        self.0.take()?.join().ok().flatten()
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        drop(self.stop());
    }
}

/// How much the preparing thread faults in between looks at what it is
/// asked: small enough that the writer does not wait long for it (a
/// fraction of a millisecond).
const PREPARE_STEP: u64 = 1 << 20;

impl Preparing {
    /// Starts preparing the output at `path` for about `estimate` bytes,
    /// faulted in step by step on a thread of its own until the writer
    /// takes it (`take`) or the estimate is reached (`raise` moves it).
    pub fn start(path: &Path, estimate: u64) -> Preparing {
        let path = path.to_path_buf();
        let shared: Shared = Default::default();
        let want = prepare_size(estimate);
        shared.0.lock().unwrap().want = want;
        let ask = shared.clone();
        let h = std::thread::Builder::new()
            .name("cld-prepare-output".into())
            .spawn(move || {
                let mut p = Prepared::new(&path, room_for(want))?;
                let (lock, cv) = &*ask;
                let mut a = lock.lock().ok()?;
                loop {
                    if a.stop {
                        return Some(p);
                    }
                    let want = a.want;
                    if p.touched >= want.min(p.capacity()) {
                        a = cv.wait(a).ok()?;
                        continue;
                    }
                    drop(a);
                    p.grow(want, PREPARE_STEP).ok()?;
                    a = lock.lock().ok()?;
                }
            });
        Preparing::Thread(Joined(h.ok(), shared))
    }

    /// Whether `raise` would use an estimate (the output is still being
    /// prepared, not handed over prepared already, as the background
    /// linker's is): whether to make one.
    pub fn wants_estimate(&self) -> bool {
        matches!(self, Preparing::Thread(_))
    }

    /// Asks for `bytes` prepared if that is more than asked so far: once
    /// the archive members in the link are known, their contents are an
    /// estimate that needs no margin (garbage collection and ICF only
    /// shrink it; the synthetic sections are small).
    pub fn raise(&self, bytes: u64) {
        if let Preparing::Thread(j) = self {
            if let Ok(mut a) = j.1 .0.lock() {
                if bytes > a.want {
                    a.want = bytes;
                    j.1 .1.notify_all();
                }
            }
        }
    }

    /// The prepared output, as far as it got; `None` if it could not be
    /// made.
    pub fn take(self) -> Option<Prepared> {
        match self {
            Preparing::Ready(p) => Some(p),
            Preparing::Thread(mut j) => j.stop(),
        }
    }
}

/// What `-o PATH` names, seen as GNU ld sees it.
enum Existing {
    /// Nothing there (or a dangling symlink): create `dest`.
    Nothing {
        dest: PathBuf,
    },
    Regular,
    Directory,
    Special,
    /// `-o -`.
    Stdout,
}

/// Where an output at `path` is built by replacing a file (a temporary
/// beside it, renamed over it): `path` itself, or a dangling symlink's
/// target; `None` for the outputs written through or refused.
fn replaced_at(path: &Path) -> Option<PathBuf> {
    if path == Path::new("-") {
        // Standard output (see `OutputFile::create`).
        return None;
    }
    match inspect(path).ok()? {
        Existing::Regular => Some(path.to_path_buf()),
        Existing::Nothing { dest } => Some(dest),
        Existing::Directory | Existing::Special | Existing::Stdout => None,
    }
}

fn inspect(path: &Path) -> std::io::Result<Existing> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Existing::Regular),
        // A symlink to a directory is replaced like one to a file (GNU ld
        // unlinks it); a directory itself cannot be.
        Ok(m) if m.is_dir() => match std::fs::symlink_metadata(path) {
            Ok(l) if l.file_type().is_symlink() => Ok(Existing::Regular),
            _ => Ok(Existing::Directory),
        },
        Ok(_) => Ok(Existing::Special),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Nothing {
            dest: final_symlink_target(path)?,
        }),
        Err(e) => Err(e),
    }
}

/// `path` with symlinks followed to the name that does not exist yet (for
/// a dangling symlink, the file it would create); `path` itself if it is
/// not a symlink. `stat` has already failed with "not found", so a loop
/// cannot be here, but the chain is bounded like the kernel's.
fn final_symlink_target(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let t = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if t.is_relative() => dir.join(t),
                    _ => t,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::from_raw_os_error(nix::libc::ELOOP))
}

impl OutputFile {
    /// Prepares an output of `size` bytes at `path`: opens (or creates) what
    /// will receive it and maps a buffer for the image.
    pub fn create(path: &Path, size: u64) -> Result<OutputFile> {
        let fail = |what: &str, e: std::io::Error| {
            Error::new(format!("cannot {what} output file {}: {e}", path.display()))
        };
        // `-o -` is standard output, as GNU ld and mold take it.
        let existing = if path == Path::new("-") {
            Existing::Stdout
        } else {
            inspect(path).map_err(|e| fail("open", e))?
        };
        let target = match existing {
            Existing::Stdout => {
                use std::os::fd::AsFd;
                let fd = std::io::stdout()
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(|e| fail("open", e))?;
                Target::Stream(File::from(fd))
            }
            Existing::Directory => {
                return Err(fail(
                    "open",
                    std::io::Error::from_raw_os_error(nix::libc::EISDIR),
                ))
            }
            Existing::Special => {
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| fail("open", e))?;
                Target::Stream(file)
            }
            Existing::Regular => {
                Self::temporary(path.to_path_buf()).map_err(|e| fail("open", e))?
            }
            Existing::Nothing { dest } => Self::temporary(dest).map_err(|e| fail("open", e))?,
        };
        let map = match &target {
            Target::Replace { file, .. } => {
                file.set_len(size).map_err(|e| fail("write", e))?;
                // SAFETY: the file is ours alone (a fresh temporary name),
                // sized above.
                let map = unsafe { memmap2::MmapMut::map_mut(file) }.map_err(|e| fail("map", e))?;
                // Reserve the blocks up front so a full disk fails here, not
                // as SIGBUS later.
                reserve(file, size).map_err(|e| fail("write", e))?;
                map
            }
            Target::Stream(_) => {
                memmap2::MmapMut::map_anon(size as usize).map_err(|e| fail("map", e))?
            }
        };
        Ok(OutputFile {
            path: path.to_path_buf(),
            target,
            map,
            len: size as usize,
        })
    }

    /// `create`, taking over `prepared` if it was made for the same
    /// destination and has room for `size` bytes.
    pub fn create_prepared(
        path: &Path,
        size: u64,
        prepared: Option<Prepared>,
    ) -> Result<OutputFile> {
        let Some(p) = prepared else {
            return Self::create(path, size);
        };
        if replaced_at(path).as_ref() != Some(&p.dest) || size > p.capacity() {
            drop(p);
            return Self::create(path, size);
        }
        let fail = |what: &str, e: std::io::Error| {
            Error::new(format!("cannot {what} output file {}: {e}", path.display()))
        };
        let Prepared {
            tmp,
            dest,
            file,
            map,
            ..
        } = p;
        // Shrinking drops the pages past the end; growing adds zeros.
        file.set_len(size).map_err(|e| fail("write", e))?;
        reserve(&file, size).map_err(|e| fail("write", e))?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            target: Target::Replace { tmp, dest, file },
            map,
            len: size as usize,
        })
    }

    /// A fresh temporary file beside `dest`, removed if a signal ends the
    /// link before it is renamed.
    fn temporary(dest: PathBuf) -> std::io::Result<Target> {
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fname = dest
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "a.out".into());
        let path = dir.join(format!(".{}.cld-{}.tmp", fname, std::process::id()));
        let _on_signal = crate::cleanup::remove_on_signal(&path);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        // From here on the file is removed however the link ends.
        let tmp = Temporary {
            path,
            renamed: false,
            _on_signal,
        };
        Ok(Target::Replace { tmp, dest, file })
    }

    /// The whole image, zero-filled to start with.
    pub fn buf(&mut self) -> &mut [u8] {
        &mut self.map[..self.len]
    }

    /// Puts the finished image in place: renames the temporary file over
    /// the target, or writes the image through to a device or FIFO. The
    /// file it replaced lives on under another name until the `Retired`
    /// is dropped: freeing a big file's blocks takes milliseconds, which
    /// the background linker spends after answering the wait.
    pub fn commit(mut self) -> Result<Retired> {
        let fail = |what: &str, e: std::io::Error| {
            Error::new(format!(
                "cannot {what} output file {}: {e}",
                self.path.display()
            ))
        };
        match &mut self.target {
            Target::Replace { tmp, dest, .. } => {
                // The mapping goes with `self`, before the wait is answered:
                // while it holds the file open for writing, running the
                // program fails (ETXTBSY).
                // No msync: like other linkers, the output goes to the page
                // cache and the kernel writes it back; blocks were reserved,
                // so writeback cannot fail for lack of space.
                let mode = 0o777 & !umask();
                std::fs::set_permissions(&tmp.path, std::fs::Permissions::from_mode(mode)).ok();
                let retired = Retired::keep(dest);
                std::fs::rename(&tmp.path, &*dest).map_err(|e| fail("create", e))?;
                tmp.renamed = true;
                return Ok(retired);
            }
            Target::Stream(file) => {
                file.write_all(&self.map[..self.len])
                    .map_err(|e| fail("write", e))?;
                file.flush().map_err(|e| fail("write", e))?;
            }
        }
        Ok(Retired(None))
    }
}

/// The regular file an output replaced, under a second name beside it
/// (`.NAME.cld-PID.old`) so that the rename does not free its blocks;
/// removed when dropped (or on a signal).
pub struct Retired(Option<(PathBuf, crate::cleanup::OnSignal)>);

impl Retired {
    fn keep(dest: &Path) -> Retired {
        let Ok(m) = std::fs::symlink_metadata(dest) else {
            return Retired(None);
        };
        if !m.is_file() {
            // A symlink is replaced, its target kept: nothing is freed.
            return Retired(None);
        }
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = dir.join(format!(".{}.cld-{}.old", name, std::process::id()));
        let _ = std::fs::remove_file(&old);
        let guard = crate::cleanup::remove_on_signal(&old);
        match std::fs::hard_link(dest, &old) {
            Ok(()) => Retired(Some((old, guard))),
            Err(_) => Retired(None),
        }
    }
}

impl Drop for Retired {
    fn drop(&mut self) {
        if let Some((p, _)) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Removes the temporary files (`.NAME.cld-PID.tmp`, `.NAME.cld-PID.old`)
/// that links of `dest` by processes no longer running left: a background
/// linker killed with SIGKILL cannot remove the output it prepared.
fn remove_stale_temporaries(dest: &Path) {
    let (Some(dir), Some(name)) = (dest.parent(), dest.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.cld-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let n = e.file_name();
        let n = n.to_string_lossy();
        let Some(rest) = n.strip_prefix(&prefix) else {
            continue;
        };
        let Some(pid) = rest
            .strip_suffix(".tmp")
            .or_else(|| rest.strip_suffix(".old"))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !process_runs(pid) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Whether process `pid` exists and is not a zombie (a killed background
/// linker whose parent does not reap it stays one).
fn process_runs(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(s) => s
            .rfind(')')
            .is_some_and(|k| !s[k + 1..].trim_start().starts_with('Z')),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

fn umask() -> u32 {
    // Read the umask without changing it: /proc/self/status has it.
    if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
        for line in s.lines() {
            if let Some(v) = line.strip_prefix("Umask:") {
                if let Ok(m) = u32::from_str_radix(v.trim(), 8) {
                    return m;
                }
            }
        }
    }
    0o022
}

/// Writes zeros over `start..end` of `file`.
fn write_zeros(file: &File, start: u64, end: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    static ZEROS: [u8; 256 << 10] = [0; 256 << 10];
    let mut o = start;
    while o < end {
        let n = (end - o).min(ZEROS.len() as u64) as usize;
        file.write_all_at(&ZEROS[..n], o)?;
        o += n as u64;
    }
    Ok(())
}

fn reserve(file: &File, len: u64) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    // SAFETY: plain syscall on a valid descriptor.
    let r = unsafe { nix::libc::posix_fallocate(file.as_raw_fd(), 0, len as i64) };
    // A file system without fallocate: go on (errors surface on writeback).
    if r == 0 || r == nix::libc::EOPNOTSUPP || r == nix::libc::EINVAL {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(r))
    }
}
