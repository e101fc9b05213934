//! `ar` archives, regular and thin. Ingesting an archive reads only its symbol
//! index; a member is parsed when resolution selects it, or ahead of that:
//! by the background linker while compiles run (`Archive::parse_members`),
//! or on the core a serial resolution leaves idle (`Speculation`).

use crate::error::{Error, Result};
use crate::input;
use crate::object_file::ObjectFile;
use object::read::archive::ArchiveFile;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

#[derive(Debug)]
pub struct ArchiveMember {
    /// Keeps the bytes alive (`input::Backing`): the archive's, or a thin
    /// archive member's own file.
    pub backing: crate::input::Backing,
    /// Its header and contents, read when first needed (`info`): a link
    /// reads the headers of the members it selects only, as GNU ld does
    /// (walking them all touched every page of an archive such as
    /// libgcc.a, twice on gcc's command line, for two or three members).
    info: std::sync::OnceLock<std::result::Result<MemberInfo, String>>,
    /// Where `info` comes from: the archive and the member's header offset.
    source: Arc<Source>,
    header: u64,
    /// The first symbol index entry naming it (for messages).
    named_by: &'static [u8],
    /// The member parsed ahead of resolution (`Archive::parse_members`,
    /// `Speculation`), taken by the resolution that selects it.
    ahead: Mutex<Ahead>,
    /// Signalled when a parse ahead ends.
    parsed: Condvar,
}

/// A member's header, read.
#[derive(Debug)]
pub struct MemberInfo {
    /// Display name: `libfoo.a(bar.o)`.
    pub name: String,
    pub data: &'static [u8],
    /// Where the contents are on disk: the archive and the member's offset
    /// in it, or a thin archive's member file and 0 (the LTO plugin reads
    /// members itself).
    pub file: std::path::PathBuf,
    pub offset: u64,
}

impl MemberInfo {
    /// Member `m` of the regular (not thin) archive `src`.
    fn regular(
        src: &Source,
        m: &object::read::archive::ArchiveMember<'static>,
    ) -> std::result::Result<MemberInfo, String> {
        let name = format!("{}({})", src.name, String::from_utf8_lossy(m.name()));
        let data = m
            .data(src.data)
            .map_err(|e| format!("{name}: bad member data: {e}"))?;
        Ok(MemberInfo {
            name,
            data,
            file: src.path.clone(),
            offset: m.file_range().0,
        })
    }

    /// Parses it as an object: wholly (`ObjectFile::parse`), or as far as
    /// resolution needs (`ObjectFile::parse_for_resolution`).
    pub fn parse_object(&self, whole: bool) -> Result<ObjectFile> {
        if whole {
            ObjectFile::parse(self.name.clone(), self.data)
        } else {
            ObjectFile::parse_for_resolution(self.name.clone(), self.data)
        }
    }
}

/// What reading a member's header needs.
#[derive(Debug)]
struct Source {
    name: String,
    path: std::path::PathBuf,
    data: &'static [u8],
    ar: ArchiveFile<'static>,
}

/// Where a member's parse ahead of resolution stands.
#[derive(Debug, Default)]
enum Ahead {
    #[default]
    NotYet,
    Parsing,
    Done(Box<ObjectFile>),
    /// The resolution took it (or parses it itself): nobody parses it ahead.
    Taken,
}

impl ArchiveMember {
    fn known(info: MemberInfo, backing: crate::input::Backing, source: &Arc<Source>) -> Self {
        ArchiveMember {
            backing,
            info: std::sync::OnceLock::from(Ok(info)),
            source: source.clone(),
            header: 0,
            named_by: b"",
            ahead: Default::default(),
            parsed: Condvar::new(),
        }
    }

    /// The member's name, contents and place, its header read now if it
    /// was not yet; an error names the archive and what is wrong.
    pub fn info(&self) -> Result<&MemberInfo> {
        self.info
            .get_or_init(|| {
                let src = &self.source;
                let m = src.ar.member(object::read::archive::ArchiveOffset(self.header)).map_err(|e| {
                    format!(
                        "{}: malformed archive: symbol table entry {} points to offset {:#x}, which is not a member ({e})",
                        src.name,
                        String::from_utf8_lossy(self.named_by),
                        self.header
                    )
                })?;
                MemberInfo::regular(src, &m)
            })
            .as_ref()
            .map_err(|e| Error::new(e.clone()))
    }

    /// The member's contents if its header was read already (without
    /// reading it).
    pub fn data_if_read(&self) -> Option<&'static [u8]> {
        self.info.get()?.as_ref().ok().map(|i| i.data)
    }

    /// Parses the member ahead of the resolution, unless it holds IR or is
    /// taken or parsed already. A member that does not parse is left to
    /// the resolution, which reports the error where a serial link would.
    /// `whole`: wholly (`ObjectFile::parse`), else as far as resolution
    /// needs (`ObjectFile::parse_for_resolution`).
    /// `parsed`: called with the object, if it parsed.
    fn parse_ahead(&self, whole: bool, parsed: &mut dyn FnMut(&ObjectFile)) {
        {
            let mut a = self.ahead.lock().unwrap();
            if !matches!(*a, Ahead::NotYet) {
                return;
            }
            *a = Ahead::Parsing;
        }
        let o = match self.info() {
            Ok(i) if crate::plugin::lto_kind(i.data).is_none() => i.parse_object(whole).ok(),
            _ => None,
        };
        if let Some(o) = &o {
            parsed(o);
        }
        let mut a = self.ahead.lock().unwrap();
        *a = match o {
            Some(mut o) => {
                o.backing = self.backing.clone();
                Ahead::Done(Box::new(o))
            }
            None => Ahead::NotYet,
        };
        self.parsed.notify_all();
    }

    /// The member parsed ahead, if it was (waiting for a parse under way);
    /// either way nobody parses it ahead after this.
    pub fn take_parsed(&self) -> Option<ObjectFile> {
        let mut a = self.ahead.lock().unwrap();
        while matches!(*a, Ahead::Parsing) {
            a = self.parsed.wait(a).unwrap();
        }
        match std::mem::replace(&mut *a, Ahead::Taken) {
            Ahead::Done(o) => Some(*o),
            _ => None,
        }
    }

    /// Gives back `o`, taken (`take_parsed`) by a resolution that was
    /// undone: the next one takes it again instead of parsing it.
    pub fn give_back(&self, o: ObjectFile) {
        *self.ahead.lock().unwrap() = Ahead::Done(Box::new(o));
    }

    /// Drops what was parsed ahead and not taken.
    fn forget_parsed(&self) {
        let mut a = self.ahead.lock().unwrap();
        if matches!(*a, Ahead::Done(_)) {
            *a = Ahead::NotYet;
        }
    }
}

#[derive(Debug)]
pub struct Archive {
    pub name: String,
    /// Keeps the archive's bytes alive (`input::Backing`).
    pub backing: crate::input::Backing,
    /// Shared with a `Speculation` parsing them while resolution runs.
    pub members: Arc<Vec<ArchiveMember>>,
    /// Symbol index: (name, member index), in index order. Shared with a
    /// `Speculation`.
    pub symbols: Arc<Vec<(&'static [u8], u32)>>,
    /// The symbol index by name: the first entry of each name, and for
    /// each entry the next one of its name (`NO_ENTRY` ends), so that
    /// resolution looks up the names it wants instead of every entry.
    by_name: hashbrown::HashTable<(&'static [u8], u32)>,
    next_same: Vec<u32>,
}

/// An archive's members, and its symbol index entries with member numbers.
type MembersAndIndex = (Vec<ArchiveMember>, Vec<(&'static [u8], u32)>);

/// The end of a `next_same` chain.
const NO_ENTRY: u32 = u32::MAX;

impl Archive {
    /// The archive's bytes are owned by `b` (see `input::Backing`): its
    /// members keep them too (a thin archive's own their files already).
    pub fn set_backing(&mut self, b: &crate::input::Backing) {
        self.backing = b.clone();
        let members =
            Arc::get_mut(&mut self.members).expect("members shared before ingestion ended");
        for m in members.iter_mut().filter(|m| m.backing.is_none()) {
            m.backing = b.clone();
        }
    }

    /// Parses every regular member now (in parallel), for a resolution
    /// later: the background linker does this while compiles run, so
    /// that selecting members at the wait costs nothing. A member that does
    /// not parse, or holds IR, is left to the resolution (which reports it
    /// as usual). Parsing depends only on the member's bytes.
    pub fn parse_members(&self) {
        use rayon::prelude::*;
        self.members
            .par_iter()
            .for_each(|m| m.parse_ahead(true, &mut |_| {}));
    }

    /// The symbol index entries (positions in `symbols`) named `name`, in
    /// index order.
    pub fn entries_named(&self, name: &[u8]) -> impl Iterator<Item = u32> + '_ {
        self.entries_named_hashed(name, crate::resolve::name_hash(name))
    }

    /// `entries_named` with `resolve::name_hash(name)` made already.
    pub fn entries_named_hashed(&self, name: &[u8], hash: u64) -> impl Iterator<Item = u32> + '_ {
        let mut e = self
            .by_name
            .find(hash, |x| x.0 == name)
            .map_or(NO_ENTRY, |x| x.1);
        std::iter::from_fn(move || {
            let cur = e;
            (cur != NO_ENTRY).then(|| {
                e = self.next_same[cur as usize];
                cur
            })
        })
    }

    /// Reads the archive's symbol index. `whole` (`--whole-archive`): every
    /// member is loaded, so all their headers are read now; otherwise the
    /// members are those the index names, in archive order, each header
    /// read when the member is first wanted (`ArchiveMember::info`), and a
    /// broken member nobody selects is no error, as in GNU ld. A thin
    /// archive's members are files of their own, mapped now.
    pub fn parse(path: &Path, data: &'static [u8], whole: bool) -> Result<Archive> {
        let name = path.display().to_string();
        let ar = ArchiveFile::parse(data)
            .map_err(|e| Error::new(format!("{name}: malformed archive: {e}")))?;
        let source = Arc::new(Source {
            name: name.clone(),
            path: path.to_path_buf(),
            data,
            ar,
        });
        let mut index = Vec::new();
        match ar.symbols() {
            Ok(Some(iter)) => {
                for s in iter {
                    let s = s.map_err(|e| {
                        Error::new(format!("{name}: malformed archive symbol table: {e}"))
                    })?;
                    index.push((s.name(), s.offset().0));
                }
            }
            Ok(None) => {
                if ar.members().next().is_some() {
                    return Err(Error::new(format!(
                        "{name}: archive has no index; run ranlib to add one"
                    )));
                }
            }
            Err(e) => {
                return Err(Error::new(format!(
                    "{name}: malformed archive symbol table: {e}"
                )))
            }
        }
        let (members, symbols) = if whole || ar.is_thin() {
            Self::read_all_members(&source, &index)?
        } else {
            Self::members_named(&source, &index)
        };
        let mut by_name: hashbrown::HashTable<(&'static [u8], u32)> =
            hashbrown::HashTable::with_capacity(symbols.len());
        let mut next_same = vec![NO_ENTRY; symbols.len()];
        let hash = crate::resolve::name_hash;
        // Backwards, so that each chain runs in index order.
        for (i, &(n, _)) in symbols.iter().enumerate().rev() {
            match by_name.entry(hash(n), |x| x.0 == n, |x| hash(x.0)) {
                hashbrown::hash_table::Entry::Occupied(mut o) => {
                    next_same[i] = o.get().1;
                    o.get_mut().1 = i as u32;
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert((n, i as u32));
                }
            }
        }
        Ok(Archive {
            backing: Default::default(),
            name,
            members: Arc::new(members),
            symbols: Arc::new(symbols),
            by_name,
            next_same,
        })
    }

    /// The members the symbol index names (header offsets), in archive
    /// order, their headers unread; the index's entries with member
    /// numbers.
    fn members_named(source: &Arc<Source>, index: &[(&'static [u8], u64)]) -> MembersAndIndex {
        let mut offsets: Vec<(u64, &'static [u8])> = index.iter().map(|&(n, o)| (o, n)).collect();
        // Stable: each member keeps the first entry that names it.
        offsets.sort_by_key(|&(o, _)| o);
        offsets.dedup_by_key(|&mut (o, _)| o);
        let members = offsets
            .iter()
            .map(|&(header, named_by)| ArchiveMember {
                backing: Default::default(),
                info: Default::default(),
                source: source.clone(),
                header,
                named_by,
                ahead: Default::default(),
                parsed: Condvar::new(),
            })
            .collect();
        let symbols = index
            .iter()
            .map(|&(n, o)| (n, offsets.partition_point(|&(x, _)| x < o) as u32))
            .collect();
        (members, symbols)
    }

    /// Every member, its header read now (a thin archive's file mapped);
    /// the index's entries with member numbers, each checked to name one.
    fn read_all_members(
        source: &Arc<Source>,
        index: &[(&'static [u8], u64)],
    ) -> Result<MembersAndIndex> {
        let (name, path, data, ar) = (&source.name, &source.path, source.data, &source.ar);
        let thin = ar.is_thin();
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut members = Vec::new();
        let mut offset_to_member = std::collections::HashMap::new();
        let mut thin_names: std::collections::HashMap<&[u8], u32> =
            std::collections::HashMap::new();
        for m in ar.members() {
            let m = m.map_err(|e| Error::new(format!("{name}: malformed archive member: {e}")))?;
            let i = members.len() as u32;
            let (info, backing) = if thin {
                // A thin archive's member is a file of its own, which it owns.
                thin_names.entry(m.name()).or_insert(i);
                let mname = String::from_utf8_lossy(m.name());
                let mpath = dir.join(&*mname);
                let f = input::map_file(&mpath).map_err(|e| {
                    Error::new(format!("{name}: thin archive member {mname}: {}", e.msg))
                })?;
                let info = MemberInfo {
                    name: format!("{name}({mname})"),
                    data: f.data,
                    file: mpath,
                    offset: 0,
                };
                (info, f.backing)
            } else {
                offset_to_member.insert(member_header_offset(data, &m), i);
                (
                    MemberInfo::regular(source, &m).map_err(Error::new)?,
                    Default::default(),
                )
            };
            members.push(ArchiveMember::known(info, backing, source));
        }
        let mut symbols = Vec::with_capacity(index.len());
        for &(sym, off) in index {
            let found = if thin {
                // Thin members have no data range; find them by name.
                ar.member(object::read::archive::ArchiveOffset(off))
                    .ok()
                    .and_then(|m| thin_names.get(m.name()).copied())
            } else {
                offset_to_member.get(&off).copied()
            };
            let idx = found.ok_or_else(|| {
                Error::new(format!(
                    "{name}: symbol table entry {} points to offset {off:#x}, which is not a member",
                    String::from_utf8_lossy(sym)
                ))
            })?;
            symbols.push((sym, idx));
        }
        Ok((members, symbols))
    }
}

/// The archive index stores the offset of each member's header.
fn member_header_offset(data: &[u8], m: &object::read::archive::ArchiveMember<'_>) -> u64 {
    // `object` exposes the file range of the member's contents; its header is
    // the 60 bytes before it (plus any BSD long-name bytes, which GNU ar does not use).
    let (start, _) = m.file_range();
    let hdr = start.saturating_sub(60);
    debug_assert!(hdr as usize <= data.len());
    hdr
}

/// Archive members parsed on a thread of their own while a serial
/// resolution runs: resolution is sequential and leaves a core idle, and
/// members are most of its parsing (a Rust program's crates are archives).
/// The resolution takes what is parsed (`ArchiveMember::take_parsed`) and
/// parses the rest itself; parsing depends only on the member's bytes, so
/// the result is the same. Only members that something refers to are
/// parsed: those whose index names a symbol that the objects, or the
/// members parsed so far, leave undefined, archive by archive in
/// command-line order (twice over, for references back to an earlier
/// archive). Parsing every member in order also parsed libgcc.a's
/// hundreds, which a C program mostly does not use, twice (gcc names it
/// twice): CPU and peak memory in vain. Members parsed and not taken are
/// dropped at `stop`.
pub struct Speculation {
    stop: Arc<AtomicBool>,
    thread: std::thread::Thread,
}

/// An archive to speculate in: its members and its symbol index.
pub type SpeculatedArchive = (Arc<Vec<ArchiveMember>>, Arc<Vec<(&'static [u8], u32)>>);

impl Speculation {
    /// Starts parsing the members of `archives` that `undefined()` (the
    /// names the objects leave undefined) leads to, as far as resolution
    /// needs (`ObjectFile::parse_for_resolution`), unless there are too
    /// few members to be worth a thread.
    pub fn start_for_resolution(
        archives: Vec<SpeculatedArchive>,
        undefined: impl FnOnce() -> Vec<&'static [u8]>,
    ) -> Option<Speculation> {
        const WORTH_A_THREAD: usize = 16;
        if archives.iter().map(|a| a.0.len()).sum::<usize>() < WORTH_A_THREAD {
            return None;
        }
        // (Collected here, where the objects are: only for a thread.)
        let undefined = undefined();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = stop.clone();
        let handle = std::thread::Builder::new()
            .name("cld-members".into())
            .spawn(move || {
                // Only the core the resolution leaves idle: never ahead
                // of the resolution's own thread, or the output's
                // preparation, for a core.
                // SAFETY: setpriority on this thread only (0: the caller).
                unsafe { nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, 19) };
                speculate(&archives, undefined, &seen);
                // Off the link's path: what the resolution did not take.
                while !seen.load(Ordering::Relaxed) {
                    std::thread::park();
                }
                for m in archives.iter().flat_map(|a| a.0.iter()) {
                    m.forget_parsed();
                }
            })
            .ok()?;
        Some(Speculation {
            stop,
            thread: handle.thread().clone(),
        })
    }
}

/// The speculation's work (see `Speculation`), until `stop` is set.
fn speculate(archives: &[SpeculatedArchive], undefined: Vec<&'static [u8]>, stop: &AtomicBool) {
    let mut wanted: std::collections::HashSet<&'static [u8]> = undefined.into_iter().collect();
    let mut done: Vec<Vec<bool>> = archives.iter().map(|a| vec![false; a.0.len()]).collect();
    for _pass in 0..2 {
        let mut more = false;
        for ((members, index), done) in archives.iter().zip(&mut done) {
            for &(name, m) in index.iter() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let m = m as usize;
                if done[m] || !wanted.contains(name) {
                    continue;
                }
                done[m] = true;
                more = true;
                members[m].parse_ahead(false, &mut |o| wanted.extend(o.undefined_globals()));
            }
        }
        if !more {
            break;
        }
    }
}

/// The resolution is over (or failed): the thread stops after the member
/// it is parsing, and drops what was not taken.
impl Drop for Speculation {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.unpark();
    }
}
