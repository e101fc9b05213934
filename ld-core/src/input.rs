//! Finding and mapping input files. Each input is mapped (or, if small, read)
//! once, classified by its magic, and identified by (device, inode, size,
//! mtime) so that work done on it can be reused as long as the file has not
//! changed.
//!
//! Mappings live for the whole process (they are leaked into `&'static [u8]`),
//! which is what lets every later pass borrow input bytes without copies or
//! lifetimes threading through the link. A background linker that serves
//! several links unmaps nothing until it exits; that is the design's trade.

use crate::error::{Error, Result};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Identity of a file's contents as the filesystem tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i128,
}

impl FileIdentity {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() as i128 * 1_000_000_000 + meta.mtime_nsec() as i128,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Object,
    Archive,
    ThinArchive,
    Shared,
    Script,
    /// LLVM bitcode (`clang -flto`): only the LTO plugin can read it.
    Bitcode,
}

/// A mapped input file.
#[derive(Clone, Debug)]
pub struct MappedFile {
    pub path: PathBuf,
    pub data: &'static [u8],
    pub identity: FileIdentity,
    /// What keeps `data` alive (see `Backing`).
    pub backing: Backing,
}

/// Owns the bytes an input's `&'static [u8]` borrows, when they are not
/// kept for the life of the process: the tables parsed from a file hold a
/// clone (`ObjectFile`, `Archive` members, `SharedFile`, `LtoInput`), so
/// the bytes go when the last of them is dropped. The background linker
/// reads a concurrent input again each time it is reported; without this
/// every earlier copy would stay. The borrow's `'static` is therefore a
/// promise: whatever holds a slice of the bytes must live no longer than
/// the table that holds the `Backing` (the link's tables are built and
/// dropped together, or never freed by an exiting process). `None`: the
/// bytes are not owned by a file (constants, fuzzing inputs).
#[derive(Clone, Default)]
pub struct Backing(Option<std::sync::Arc<Owned>>);

/// The bytes a `Backing` owns: read into memory, or mapped.
enum Owned {
    Heap(Box<[u8]>),
    Map(memmap2::Mmap),
    /// A block small files are read into, one after another (`read_small`):
    /// never borrowed whole, since the thread filling it writes its end
    /// while the files read before are in use.
    Block(memmap2::MmapMut),
    /// A big file read into anonymous memory (`read_big_files`).
    Anon(memmap2::MmapMut),
}

impl Owned {
    /// The bytes (not for a block, which hands out only its files').
    fn bytes(&self) -> &[u8] {
        match self {
            Owned::Heap(b) => b,
            Owned::Map(m) => m,
            Owned::Anon(m) => m,
            Owned::Block(_) => unreachable!("a block is never borrowed whole"),
        }
    }

    fn len(&self) -> usize {
        match self {
            Owned::Block(m) => m.len(),
            _ => self.bytes().len(),
        }
    }
}

impl std::fmt::Debug for Backing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(b) => write!(f, "Backing({} bytes)", b.len()),
            None => write!(f, "Backing(none)"),
        }
    }
}

impl Backing {
    /// Takes `owned` over: its bytes, borrowed for as long as a clone of
    /// the returned `Backing` lives (see the type's promise).
    fn own(owned: Owned) -> (&'static [u8], Backing) {
        let b = std::sync::Arc::new(owned);
        let bytes = b.bytes();
        // SAFETY: neither a heap block nor a mapping moves while the Arc
        // lives; the type's promise keeps every use of the slice within that.
        let data: &'static [u8] =
            unsafe { std::slice::from_raw_parts(bytes.as_ptr(), bytes.len()) };
        (data, Backing(Some(b)))
    }

    /// Whether this owns nothing (the bytes are constants or the process's).
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

/// Read `path` into memory owned by what is parsed from it (`Backing`). Used for
/// concurrent inputs, which a build may rewrite in place while the
/// background linker holds them (a mapping would fault on truncation).
/// The identity is taken from the open file before and after reading; a
/// file that changed meanwhile is read again.
pub fn read_file(path: &Path) -> Result<MappedFile> {
    use std::io::Read;
    for _ in 0..5 {
        let mut file = File::open(path)
            .map_err(|e| Error::new(format!("cannot open {}: {}", path.display(), e)))?;
        let before = file
            .metadata()
            .map_err(|e| Error::new(format!("cannot stat {}: {}", path.display(), e)))?;
        if before.is_dir() {
            return Err(Error::new(format!("{}: is a directory", path.display())));
        }
        let cannot_read =
            |e: std::io::Error| Error::new(format!("cannot read {}: {}", path.display(), e));
        // A small file goes into this thread's block (`read_small`), as a
        // serial link reads it, not into a buffer of its own: the
        // background linker's last object was read 15 ms after the wait
        // began, nearly all of it in `malloc`, whose free lists were
        // seconds cold. Small pages: here a huge page's first touch, in
        // memory the machine had taken back while the linker was idle,
        // made reading a rebuild's 3,000 objects slower (400 against 300
        // ms). Shorter than it was (being rewritten): read again.
        let (read, len) = if before.len() > 0 && before.len() <= READ_BELOW {
            match read_small(&file, before.len() as usize, false) {
                Ok((data, backing)) => ((data, backing), before.len()),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => continue,
                Err(e) => return Err(cannot_read(e)),
            }
        } else {
            let mut buf = Vec::with_capacity(before.len() as usize);
            file.read_to_end(&mut buf).map_err(cannot_read)?;
            let len = buf.len() as u64;
            (Backing::own(Owned::Heap(buf.into_boxed_slice())), len)
        };
        let after = std::fs::metadata(path)
            .map_err(|e| Error::new(format!("cannot stat {}: {}", path.display(), e)))?;
        let identity = FileIdentity::of(&before);
        if identity == FileIdentity::of(&after) && len == before.len() {
            let (data, backing) = read;
            return Ok(MappedFile {
                path: path.to_path_buf(),
                data,
                identity,
                backing,
            });
        }
    }
    Err(Error::new(format!(
        "{}: the file kept changing while it was read",
        path.display()
    )))
}

/// Files up to this size are read into blocks rather than mapped one by
/// one: on a link of thousands of small objects the mappings' `mmap`
/// calls contended for the process's memory-map lock (a tenth of the
/// serial link's CPU time on 3,000 objects), and each file took whole
/// pages, where a block packs them (5 MB less resident on that link).
const READ_BELOW: u64 = 64 << 10;
/// A block's size; its pages are faulted in only as files fill them.
const BLOCK: usize = 4 << 20;
/// A huge page: a thread's blocks after its first start on one and ask
/// for huge pages (`MADV_HUGEPAGE`), so that filling a block faults twice
/// rather than a thousand times. On 2,257 small objects half the time of
/// reading them was the faults of the pages read into: 5,000 fewer faults,
/// 14-25 ms less CPU on that link. Not the first block: a huge page is
/// resident whole, and a link that reads less than a block (Lua's 2 MB)
/// was 2.4 MB bigger for no gain.
const HUGE_PAGE: usize = 2 << 20;
/// Where each file starts in a block (at least what ELF's tables need).
const BLOCK_ALIGN: usize = 64;

thread_local! {
    /// This thread's block being filled: the block, its start (written
    /// through), and how much of it is taken.
    static FILLING: std::cell::RefCell<Option<(std::sync::Arc<Owned>, *mut u8, usize)>> =
        const { std::cell::RefCell::new(None) };
}

/// Reads the first `len` bytes of `file` into this thread's block (a new
/// one when it has no room left), owned by the returned `Backing`: the
/// block lives as long as any file read into it.
fn read_small(file: &File, len: usize, huge: bool) -> std::io::Result<(&'static [u8], Backing)> {
    use std::os::unix::fs::FileExt;
    FILLING.with(|cell| {
        let mut filling = cell.borrow_mut();
        if filling.as_ref().is_none_or(|f| f.2 + len > BLOCK) {
            // Not the thread's first block (`HUGE_PAGE`).
            let huge = huge && filling.is_some();
            // A huge block is mapped a huge page longer, so that a huge
            // page boundary is inside it; the pages before it are never
            // touched.
            let extra = if huge { HUGE_PAGE } else { 0 };
            let mut m = memmap2::MmapOptions::new().len(BLOCK + extra).map_anon()?;
            let base = m.as_mut_ptr();
            let mut start = base;
            if huge {
                start = base.wrapping_add((base as usize).wrapping_neg() % HUGE_PAGE);
                // SAFETY: advice only, on the block's own (aligned) range;
                // a kernel without transparent huge pages refuses it,
                // harmlessly.
                unsafe { nix::libc::madvise(start.cast(), BLOCK, nix::libc::MADV_HUGEPAGE) };
            }
            *filling = Some((std::sync::Arc::new(Owned::Block(m)), start, 0));
        }
        let (block, start, taken) = filling.as_mut().unwrap();
        // SAFETY: the block's bytes from `taken` on are this thread's
        // alone (nothing borrows them yet: each file's slice is made after
        // it is read), and the mapping does not move while the Arc lives.
        let data = unsafe {
            let dst = std::slice::from_raw_parts_mut(start.add(*taken), len);
            file.read_exact_at(dst, 0)?;
            std::slice::from_raw_parts(dst.as_ptr(), len)
        };
        *taken = (*taken + len).next_multiple_of(BLOCK_ALIGN);
        Ok((data, Backing(Some(block.clone()))))
    })
}

/// How many bytes of big files `map_file` may still read into anonymous
/// memory rather than map (`read_big_files`); 0: none.
static READ_BIG: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// At most this much of big files is read rather than mapped: a copy is
/// memory the page cache holds too, so a link of gigabytes of archives
/// maps the rest, as a serial link does.
const READ_BIG_BUDGET: u64 = 512 << 20;

/// From now on `map_file` reads files over `READ_BELOW` into anonymous
/// memory instead of mapping them, up to `READ_BIG_BUDGET` in all. The
/// background linker's archives are read by the wait's write seconds
/// after they were mapped; in anonymous memory they can be moved into
/// huge pages while it is idle (`concurrent::collapse`), file pages cannot.
pub fn read_big_files() {
    READ_BIG.store(READ_BIG_BUDGET, std::sync::atomic::Ordering::Relaxed);
}

/// Takes `len` bytes from `budget` (that of `read_big_files`), if they
/// are left.
fn take_read_budget(budget: &std::sync::atomic::AtomicU64, len: u64) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    (budget.fetch_update(Relaxed, Relaxed, |left| left.checked_sub(len))).is_ok()
}

/// Map `path` read-only (a small one is read, see `READ_BELOW`), for as
/// long as its `backing` lives.
pub fn map_file(path: &Path) -> Result<MappedFile> {
    let file = File::open(path)
        .map_err(|e| Error::new(format!("cannot open {}: {}", path.display(), e)))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::new(format!("cannot stat {}: {}", path.display(), e)))?;
    if meta.is_dir() {
        return Err(Error::new(format!("{}: is a directory", path.display())));
    }
    let (data, backing) = if meta.len() == 0 {
        (&[][..], Backing::default())
    } else if meta.len() <= READ_BELOW {
        read_small(&file, meta.len() as usize, true)
            .map_err(|e| Error::new(format!("cannot read {}: {}", path.display(), e)))?
    } else if take_read_budget(&READ_BIG, meta.len()) {
        use std::os::unix::fs::FileExt;
        let read = || -> std::io::Result<memmap2::MmapMut> {
            let mut m = memmap2::MmapOptions::new()
                .len(meta.len() as usize)
                .map_anon()?;
            file.read_exact_at(&mut m, 0)?;
            Ok(m)
        };
        let m = read().map_err(|e| Error::new(format!("cannot read {}: {}", path.display(), e)))?;
        Backing::own(Owned::Anon(m))
    } else {
        // SAFETY: the mapping is read-only and private; a build tool that
        // truncates an input while we link is outside what any linker survives,
        // and identity is re-checked by the concurrent protocol.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::new(format!("cannot map {}: {}", path.display(), e)))?;
        Backing::own(Owned::Map(map))
    };
    Ok(MappedFile {
        path: path.to_path_buf(),
        data,
        identity: FileIdentity::of(&meta),
        backing,
    })
}

pub fn classify(data: &[u8]) -> Option<FileKind> {
    if data.starts_with(b"!<arch>\n") {
        return Some(FileKind::Archive);
    }
    if data.starts_with(b"!<thin>\n") {
        return Some(FileKind::ThinArchive);
    }
    if data.starts_with(b"\x7fELF") {
        // Anything ELF but a shared object is parsed as a relocatable
        // object, whose parser says what is wrong with it (truncated,
        // 32-bit, big-endian, another machine, an executable, ...).
        let e_type = match data.get(16..18) {
            Some(&[a, b]) if data[5] == object::elf::ELFDATA2MSB => u16::from_be_bytes([a, b]),
            Some(&[a, b]) => u16::from_le_bytes([a, b]),
            _ => object::elf::ET_NONE,
        };
        return match e_type {
            object::elf::ET_DYN => Some(FileKind::Shared),
            _ => Some(FileKind::Object),
        };
    }
    if crate::plugin::is_bitcode(data) {
        return Some(FileKind::Bitcode);
    }
    if crate::script::looks_like_script(data) {
        return Some(FileKind::Script);
    }
    None
}

/// Find `-lNAME` (or `-l:FILE`) in the search path, as GNU ld does: in each
/// directory in order, `libNAME.so` (unless static only) then `libNAME.a`.
pub fn find_library(name: &str, static_only: bool, dirs: &[PathBuf]) -> Option<PathBuf> {
    if let Some(exact) = name.strip_prefix(':') {
        return dirs.iter().map(|d| d.join(exact)).find(|p| p.is_file());
    }
    for d in dirs {
        if !static_only {
            let so = d.join(format!("lib{name}.so"));
            if so.is_file() {
                return Some(so);
            }
        }
        let a = d.join(format!("lib{name}.a"));
        if a.is_file() {
            return Some(a);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small files share blocks and come back whole and aligned, over a
    /// block's end; a big one is mapped; each keeps its bytes after the
    /// others are dropped.
    #[test]
    fn small_files_are_read_into_blocks() {
        let dir = std::env::temp_dir().join(format!("cld-input-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // About 1.5 blocks of small files, then one over the threshold.
        let sizes: Vec<usize> = (0..200)
            .map(|i| 1 + (i * 7919) % READ_BELOW as usize)
            .chain([READ_BELOW as usize + 1])
            .collect();
        let mut files = Vec::new();
        for (i, &n) in sizes.iter().enumerate() {
            let bytes: Vec<u8> = (0..n).map(|k| (k * 31 + i) as u8).collect();
            let path = dir.join(format!("f{i}"));
            std::fs::write(&path, &bytes).unwrap();
            files.push((map_file(&path).unwrap(), bytes));
        }
        let big = files.pop().unwrap();
        assert!(matches!(big.0.backing.0.as_deref(), Some(Owned::Map(_))));
        assert_eq!(big.0.data, &big.1[..]);
        let blocks: std::collections::HashSet<*const Owned> = files
            .iter()
            .map(|(m, _)| std::sync::Arc::as_ptr(m.backing.0.as_ref().unwrap()))
            .collect();
        assert!(blocks.len() >= 2, "the files fill more than one block");
        // Dropped in an order unlike the reads', checking the rest each time.
        while !files.is_empty() {
            for (m, bytes) in &files {
                assert_eq!(m.data, &bytes[..], "{}", m.path.display());
                assert_eq!(m.data.as_ptr() as usize % BLOCK_ALIGN, 0);
                assert!(matches!(m.backing.0.as_deref(), Some(Owned::Block(_))));
            }
            files.remove(files.len() / 2);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Big files are read rather than mapped while the budget lasts; none
    /// by default.
    #[test]
    fn the_read_budget_runs_out() {
        let budget = std::sync::atomic::AtomicU64::new(0);
        assert!(!take_read_budget(&budget, 1));
        budget.store(READ_BIG_BUDGET, std::sync::atomic::Ordering::Relaxed);
        assert!(take_read_budget(&budget, READ_BIG_BUDGET - 10));
        assert!(!take_read_budget(&budget, 11), "more than is left");
        assert!(take_read_budget(&budget, 10));
        assert!(!take_read_budget(&budget, 1));
    }

    /// `read_file` (concurrent inputs, which a build may rewrite): a small
    /// file into a block, a big one into a buffer of its own, an empty one
    /// as nothing; each with its bytes and the identity they were read at,
    /// and a copy that keeps its bytes when the file is rewritten.
    #[test]
    fn concurrent_inputs_are_read_whole() {
        let dir = std::env::temp_dir().join(format!("cld-read-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (i, n) in [0, 1, 9_568, READ_BELOW as usize, READ_BELOW as usize + 1]
            .into_iter()
            .enumerate()
        {
            let bytes: Vec<u8> = (0..n).map(|k| (k * 13 + i) as u8).collect();
            let path = dir.join(format!("o{i}"));
            std::fs::write(&path, &bytes).unwrap();
            let m = read_file(&path).unwrap();
            assert_eq!(m.data, &bytes[..], "{n} bytes");
            let meta = std::fs::metadata(&path).unwrap();
            assert!(m.identity == FileIdentity::of(&meta), "{n} bytes");
            let kind = m.backing.0.as_deref();
            match n {
                0 => assert!(matches!(kind, Some(Owned::Heap(_)) | None)),
                n if n as u64 <= READ_BELOW => assert!(matches!(kind, Some(Owned::Block(_)))),
                _ => assert!(matches!(kind, Some(Owned::Heap(_)))),
            }
            // Rewritten shorter: the copy read before is unchanged.
            std::fs::write(&path, b"x").unwrap();
            assert_eq!(m.data, &bytes[..], "{n} bytes, after a rewrite");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
