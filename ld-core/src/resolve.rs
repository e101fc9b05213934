//! Symbol resolution in command-line order, as GNU ld does it: objects define
//! and reference symbols; an archive is scanned where it appears and members
//! are extracted for symbols that are undefined at that point (looping over a
//! `--start-group`); shared libraries supply definitions that objects have not.
//! COMDAT groups are deduplicated first-wins. The outcome is one `Symbol` per
//! global name, and for each loaded object the map from its global symbol
//! indices to those symbols.
//!
//! Inputs arrive here already ingested (`LoadItem`), so this pass does no I/O
//! except parsing the archive members it selects.

use crate::archive::{Archive, ArchiveMember};
use crate::error::{Error, Result};
use crate::object_file::{ComdatGroup, InputSymbol, ObjectFile};
use crate::options::Options;
use crate::plugin::LtoInput;
use crate::shared::SharedFile;
use object::elf;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub type SymbolId = u32;
pub type FileId = u32;

/// Fast hasher for byte-string keys (symbol names are already spread well).
#[derive(Default)]
pub struct NameHasher(u64);
impl Hasher for NameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = self.0.rotate_left(5) ^ xxhash_rust::xxh3::xxh3_64(bytes);
    }
}
pub type NameMap<V> = HashMap<&'static [u8], V, BuildHasherDefault<NameHasher>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymDef {
    Undefined,
    /// Defined in a loaded object (`file` indexes `Resolved::objects`).
    Object {
        file: FileId,
        sym: u32,
    },
    /// A common symbol; the largest wins, allocated in `.bss`.
    Common {
        file: FileId,
        sym: u32,
    },
    /// Defined by a shared library (`sym` indexes `SharedFile::symbols`).
    Shared {
        file: FileId,
        sym: u32,
    },
    /// Defined by the linker (`__bss_start`, `__start_foo`, ...), valued at layout.
    Synthetic,
}

/// What `--defsym` gave a symbol (its `def` is then `Synthetic`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defsym {
    /// An absolute value.
    Abs(u64),
    /// Another symbol's address plus an offset.
    Rel(SymbolId, i64),
    /// A linker-script assignment (`script_link::Scripts::defined[index]`),
    /// valued at layout; `absolute`: its value does not depend on placement.
    Script { index: u32, absolute: bool },
}

#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: crate::name::Name,
    pub def: SymDef,
    pub weak_def: bool,
    /// Referenced by some regular object.
    pub referenced: bool,
    /// Referenced by some object with a non-weak reference (or `-u`/entry).
    pub strong_ref: bool,
    /// Referenced or defined by a linked shared library: must be exported if
    /// we define it.
    pub dso_ref: bool,
    /// A linked shared library references it, not weakly: an archive
    /// member defining it is loaded, as GNU ld does.
    pub dso_strong_ref: bool,
    /// Most constraining visibility seen (STV_*); default 0.
    pub visibility: u8,
    /// Default version from a `.symver foo, foo@@V` definition.
    pub def_version: Option<crate::name::Name>,
    /// Set by `exports`: in the dynamic symbol table as a definition.
    pub export: bool,
    /// Set by `exports`: references may be bound at run time to another
    /// module's definition, so they go through the GOT/PLT.
    pub preemptible: bool,
    /// Set by `exports`: `.gnu.version` value (with the hidden bit).
    pub versym: u16,
    /// Symbol type (`STT_*`) that references gave it, for undefined imports.
    pub ref_type: u8,
    /// A version script's `local:` matched this definition: besides being
    /// hidden, it is a local symbol in `.symtab`, as GNU ld writes it.
    pub localized: bool,
    /// A local IFUNC's entry (`Resolved::promote_local_ifuncs`).
    pub promoted_local: bool,
    /// The defining symbol's type (`STT_*`), for an `Object` or `Shared`
    /// definition, and (an `Object`'s) whether it is absolute: what
    /// relocations need of it, kept here because the definition is in
    /// another object's tables (a cache miss per symbol, in passes that
    /// look at every global a relocation names). Set with `def`, by
    /// `Symbol::define`.
    pub def_type: u8,
    pub def_abs: bool,
}

const _: () = assert!(std::mem::size_of::<Symbol>() <= 48);

impl Symbol {
    fn new(name: crate::name::Name) -> Self {
        Symbol {
            name,
            def: SymDef::Undefined,
            weak_def: false,
            referenced: false,
            strong_ref: false,
            dso_ref: false,
            dso_strong_ref: false,
            visibility: elf::STV_DEFAULT,
            def_version: None,
            export: false,
            preemptible: false,
            versym: elf::VER_NDX_GLOBAL,
            ref_type: elf::STT_NOTYPE,
            localized: false,
            promoted_local: false,
            def_type: elf::STT_NOTYPE,
            def_abs: false,
        }
    }
    /// Defines it as `def`, whose own symbol has type `typ` and is
    /// absolute or not (`Symbol::def_type`, `def_abs`, which go with it).
    pub fn define(&mut self, def: SymDef, (typ, abs): (u8, bool)) {
        (self.def, self.def_type, self.def_abs) = (def, typ, abs);
    }

    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// An input ready for resolution, in command-line order.
pub enum LoadItem {
    Object(Box<ObjectFile>),
    Archive {
        archive: Box<Archive>,
        whole: bool,
        /// Members loaded where the archive stands, before any is
        /// selected: after LTO, those the first resolution loaded (GNU ld
        /// keeps them).
        preload: Vec<u32>,
    },
    Shared {
        file: Box<SharedFile>,
        as_needed: bool,
    },
    /// An object that holds LTO IR: offered to the plugin (`Claimer`).
    Lto(Box<LtoInput>),
    GroupStart,
    GroupEnd,
    /// A linker script's commands other than its inputs (assignments,
    /// `ENTRY`, ...), at the script's place; `link` takes them out before
    /// resolution, so resolution skips any it is given.
    Script(Box<crate::script_link::ScriptItem>),
}

/// What the LTO plugin made of an input holding IR.
pub enum Claim {
    /// Claimed: the object standing for it in resolution (its symbols as
    /// the plugin reported them; no sections to lay out).
    Claimed(Box<ObjectFile>),
    /// Not claimed: a fat object links as its machine code; IR alone is an error.
    NotClaimed,
    /// Left out of this resolution (claimed in an earlier one, whose
    /// compiled code now stands in for it).
    Drop,
}

/// Offers each input holding IR, as resolution loads it, to the plugin.
pub trait Claimer {
    /// `input` would become object `fid`.
    fn offer(&mut self, input: &LtoInput, fid: FileId) -> Result<Claim>;
    /// Whether `obj`'s COMDAT group `g`, the first with its signature, is
    /// kept (after LTO, a group whose contents the plugin's output now
    /// defines is not).
    fn keeps_group(&self, _obj: &ObjectFile, _g: &ComdatGroup) -> bool {
        true
    }
}

/// No plugin: nothing is claimed.
pub struct NoPlugin;
impl Claimer for NoPlugin {
    fn offer(&mut self, _: &LtoInput, _: FileId) -> Result<Claim> {
        Ok(Claim::NotClaimed)
    }
}

/// What `add_lto` did with an input.
enum Added {
    Claimed,
    Object,
    Dropped,
}

/// A selected archive member, parsed: an object, or IR for the plugin.
enum Member {
    Object(ObjectFile),
    Lto(LtoInput),
}

/// `m`, parsed (or taken as parsed ahead); `whole`: wholly (else as far
/// as resolution needs, and `link` finishes it after resolution).
fn parse_member(m: &ArchiveMember, whole: bool) -> Result<Member> {
    if let Some(o) = m.take_parsed() {
        return Ok(Member::Object(o));
    }
    let i = m.info()?;
    match crate::plugin::lto_kind(i.data) {
        None => {
            let mut o = i.parse_object(whole)?;
            o.backing = m.backing.clone();
            Ok(Member::Object(o))
        }
        Some(kind) => {
            let mut l = LtoInput::new(i.name.clone(), i.file.clone(), i.offset, i.data, kind)?;
            l.set_backing(&m.backing);
            Ok(Member::Lto(l))
        }
    }
}

pub struct LoadedShared {
    pub file: SharedFile,
    pub as_needed: bool,
    pub needed: bool,
}

pub struct Resolved {
    pub objects: Vec<ObjectFile>,
    /// Per object: SymbolId for each symbol index >= first_global.
    pub sym_ids: Vec<Vec<SymbolId>>,
    /// Per object: sections discarded because their COMDAT group lost.
    pub discarded: Vec<Vec<bool>>,
    pub shared: Vec<LoadedShared>,
    pub symbols: Vec<Symbol>,
    /// Per symbol: its name's hash (`name_hash`).
    hashes: Vec<u64>,
    /// The global symbols by name (`name_hash`).
    names: SymbolTable,
    /// Local IFUNC symbols given a global entry (file, symbol index):
    /// see `promote_local_ifuncs`.
    pub promoted: HashMap<(u32, u32), SymbolId>,
    /// What `--defsym` or a linker script's assignment gave a symbol (its
    /// `def` is then `Synthetic`): a few symbols, kept beside the table of
    /// all.
    defsyms: HashMap<SymbolId, Defsym>,
    /// What the link no longer reads but has not freed (the archives with
    /// the members parsed ahead and not taken): freed with the rest of the
    /// link's tables (`link::Finished`), after the output is in place, not
    /// while the link's threads work.
    pub(crate) leftovers: Vec<Box<dyn std::any::Any + Send + Sync>>,
}

/// The hash of a symbol name in the global symbol table.
#[inline]
pub fn name_hash(name: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name)
}

/// The global symbols by name: (name, id) entries probed with `name_hash`,
/// which objects make for their names when they are parsed.
type SymbolTable = hashbrown::HashTable<(crate::name::Name, SymbolId)>;

impl Resolved {
    pub fn lookup(&self, name: &[u8]) -> Option<SymbolId> {
        self.lookup_hashed(name, name_hash(name))
    }
    fn lookup_hashed(&self, name: &[u8], hash: u64) -> Option<SymbolId> {
        self.names.find(hash, |e| e.0 == name).map(|e| e.1)
    }
    /// The symbol named `name`, added (undefined) if no input has it.
    pub fn intern(&mut self, name: &'static [u8]) -> SymbolId {
        self.intern_hashed(name, name_hash(name))
    }
    /// `intern` with `name_hash(name)` made already.
    pub fn intern_hashed(&mut self, name: &'static [u8], hash: u64) -> SymbolId {
        // One probe, whether the name is new or not.
        let (symbols, hashes) = (&mut self.symbols, &mut self.hashes);
        // A growing table takes each entry's hash from `hashes` rather
        // than hashing its name again.
        let entry = self
            .names
            .entry(hash, |e| e.0 == name, |e| hashes[e.1 as usize]);
        match entry {
            hashbrown::hash_table::Entry::Occupied(o) => o.get().1,
            hashbrown::hash_table::Entry::Vacant(v) => {
                let id = symbols.len() as SymbolId;
                let name = crate::name::Name::new(name);
                symbols.push(Symbol::new(name));
                hashes.push(hash);
                v.insert((name, id));
                id
            }
        }
    }
    /// What `--defsym` or a script assignment gave symbol `id`.
    pub fn defsym(&self, id: SymbolId) -> Option<Defsym> {
        self.defsyms.get(&id).copied()
    }
    /// Gives symbol `id` what `--defsym` or a script assignment says (or
    /// takes it away: `None`).
    pub fn set_defsym(&mut self, id: SymbolId, d: Option<Defsym>) {
        match d {
            Some(d) => self.defsyms.insert(id, d),
            None => self.defsyms.remove(&id),
        };
    }
    /// How many names the table holds.
    pub fn names_len(&self) -> usize {
        self.names.len()
    }
    /// The global symbol an object's symbol index refers to, if global
    /// (or a promoted local IFUNC).
    #[inline]
    pub fn global_of(&self, file: usize, sym: u32) -> Option<SymbolId> {
        let o = &self.objects[file];
        if sym >= o.first_global {
            Some(self.sym_ids[file][(sym - o.first_global) as usize])
        } else if self.promoted.is_empty() {
            None
        } else {
            self.promoted.get(&(file as u32, sym)).copied()
        }
    }

    /// Gives each defined local IFUNC symbol a hidden global entry of its
    /// own (under a name no input can spell), so that calls and address
    /// loads reach it through a PLT entry and an IRELATIVE relocation as a
    /// global IFUNC's do. It stays a local in `.symtab`.
    pub fn promote_local_ifuncs(&mut self) {
        use rayon::prelude::*;
        // Found in parallel, in the objects that define an IFUNC at all
        // (`gnu_abi`, noted at parse time): few do.
        let found: Vec<(usize, u32, &'static [u8], bool)> = self
            .objects
            .par_iter()
            .enumerate()
            .filter(|(_, o)| o.gnu_abi)
            .flat_map_iter(|(f, o)| {
                o.symbols[..o.first_global as usize]
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.typ == elf::STT_GNU_IFUNC && !s.is_undefined())
                    .map(move |(i, s)| (f, i as u32, s.name.get(), s.shndx == elf::SHN_ABS as u32))
            })
            .collect();
        for (f, i, name, abs) in found {
            let unique = format!("{} (local IFUNC {f}:{i})", String::from_utf8_lossy(name));
            let id = self.intern(Box::leak(unique.into_bytes().into_boxed_slice()));
            let s = &mut self.symbols[id as usize];
            let def = SymDef::Object {
                file: f as FileId,
                sym: i,
            };
            s.define(def, (elf::STT_GNU_IFUNC, abs));
            s.visibility = elf::STV_HIDDEN;
            s.referenced = true;
            s.promoted_local = true;
            self.promoted.insert((f as u32, i), id);
        }
    }
}

struct Resolver<'c> {
    r: Resolved,
    comdats: NameMap<FileId>,
    errors: Vec<String>,
    /// `--wrap`: an undefined reference to a key means the value instead
    /// (`foo` -> `__wrap_foo`, `__real_foo` -> `foo`).
    wrap: NameMap<&'static [u8]>,
    /// `--allow-multiple-definition` / `-z muldefs`: the first definition
    /// wins instead of an error.
    allow_multiple: bool,
    /// `--warn-common`.
    warn_common: bool,
    /// `--undefined-glob` patterns: archive members defining a matching
    /// name are loaded, as if the name were undefined.
    undefined_globs: Vec<&'static [u8]>,
    claimer: &'c mut dyn Claimer,
    /// The symbols an archive member may be extracted for: each one
    /// referenced while undefined, or common, once (`in_wanted`); those
    /// defined since are dropped as archives are scanned.
    wanted: Vec<SymbolId>,
    in_wanted: Vec<bool>,
    /// While an archive is scanned: every symbol referenced or made
    /// common since the last look (repeats included: a weak reference
    /// may have become strong).
    touched: Option<Vec<SymbolId>>,
    /// What happens while a gap is open (`Incremental::open_gap`).
    since_gap: Option<SinceGap>,
    /// Members are parsed wholly: for the background linker, which lays
    /// out each object as it is resolved. A serial link parses them as far
    /// as resolution needs and finishes them after it, in parallel (`link`).
    parse_whole: bool,
}

impl Resolver<'_> {
    /// Symbol `id` was referenced, or became common: an archive member
    /// defining it may now be wanted.
    fn note_wanted(&mut self, id: SymbolId) {
        let i = id as usize;
        if self.in_wanted.len() <= i {
            self.in_wanted
                .resize(self.r.symbols.len().max(i + 1), false);
        }
        if !self.in_wanted[i] {
            self.in_wanted[i] = true;
            self.wanted.push(id);
        }
        if let Some(t) = &mut self.touched {
            t.push(id);
        }
        if let Some(g) = &mut self.since_gap {
            let s = &self.r.symbols[i];
            if s.strong_ref || s.dso_strong_ref {
                let now = 2 * g.scans.len() as u32 + g.scanning as u32;
                g.strong_at.entry(id).or_insert(now);
            }
        }
    }

    fn intern(&mut self, name: &'static [u8]) -> SymbolId {
        self.r.intern(name)
    }

    fn add_object(&mut self, obj: ObjectFile) {
        let fid = self.r.objects.len() as FileId;
        self.r.objects.push(ObjectFile::placeholder());
        self.r.sym_ids.push(Vec::new());
        self.r.discarded.push(Vec::new());
        self.add_object_at(obj, fid);
    }

    /// `add_object` for the object of file `fid`, whose place (in
    /// `objects`, `sym_ids`, `discarded`) is held already.
    fn add_object_at(&mut self, obj: ObjectFile, fid: FileId) {
        // COMDAT: the first group with a signature wins.
        let mut discarded = vec![false; obj.sections.len()];
        for g in &obj.groups {
            if self.comdats.contains_key(g.signature) || !self.claimer.keeps_group(&obj, g) {
                for &s in &g.sections {
                    discarded[s as usize] = true;
                }
            } else {
                self.comdats.insert(g.signature, fid);
            }
        }
        let mut ids =
            Vec::with_capacity(obj.symbols.len().saturating_sub(obj.first_global as usize));
        for (i, s) in obj
            .symbols
            .iter()
            .enumerate()
            .skip(obj.first_global as usize)
        {
            // `foo@@V2` defines `foo` at its default version V2.
            let full = s.name.get();
            let at_at = if s.is_undefined() || !obj.at_names {
                None
            } else {
                find_at_at(full)
            };
            let (name, ver) = match at_at {
                Some(i) => (&full[..i], Some(&full[i + 2..])),
                None => (full, None),
            };
            let name = match self.wrap.get(name) {
                Some(&to) if s.is_undefined() => to,
                _ => name,
            };
            // The hash made at parse time, unless the name was cut or wrapped.
            let id = match obj.global_hashes.get(i - obj.first_global as usize) {
                Some(&h) if name.len() == s.name.len() && name.as_ptr() == s.name.as_ptr() => {
                    self.r.intern_hashed(name, h)
                }
                _ => self.intern(name),
            };
            ids.push(id);
            let in_discarded = in_discarded_group(s, &discarded);
            if s.is_undefined() || in_discarded {
                let sym = &mut self.r.symbols[id as usize];
                sym.referenced = true;
                if !s.is_weak() || in_discarded {
                    sym.strong_ref = true;
                }
                if s.typ != elf::STT_NOTYPE {
                    sym.ref_type = s.typ;
                }
                merge_visibility(sym, s);
                self.note_wanted(id);
                continue;
            }
            self.define(id, fid, i as u32, s, &obj);
            if ver.is_some()
                && self.r.symbols[id as usize].def
                    == (SymDef::Object {
                        file: fid,
                        sym: i as u32,
                    })
            {
                self.r.symbols[id as usize].def_version = ver.map(crate::name::Name::new);
            }
        }
        let f = fid as usize;
        self.r.objects[f] = obj;
        self.r.sym_ids[f] = ids;
        self.r.discarded[f] = discarded;
    }

    /// `cur` is the object being added (file `fid`, not yet in `objects`):
    /// the earlier definition may be its own, when it defines a name twice.
    fn define(&mut self, id: SymbolId, fid: FileId, idx: u32, s: &InputSymbol, cur: &ObjectFile) {
        let objects = &self.r.objects;
        let file_of = |file: FileId| -> &ObjectFile {
            if file == fid {
                cur
            } else {
                &objects[file as usize]
            }
        };
        let fname = &cur.name;
        let sym = &mut self.r.symbols[id as usize];
        merge_visibility(sym, s);
        let new_common = s.is_common();
        let new_weak = s.is_weak();
        let take = match sym.def {
            SymDef::Undefined | SymDef::Shared { .. } | SymDef::Synthetic => true,
            SymDef::Common { file, sym: csym } => {
                if self.warn_common {
                    let other = &file_of(file).name;
                    let what = if new_common {
                        "multiple common"
                    } else {
                        "common"
                    };
                    crate::error::warn(format!(
                        "{what} of `{}': {fname} and {other}",
                        sym.name_str()
                    ));
                }
                if new_common {
                    // Largest common wins; keep the first on ties.
                    let old = &file_of(file).symbols[csym as usize];
                    s.size > old.size
                } else {
                    !new_weak
                }
            }
            SymDef::Object { file, .. } => {
                if sym.weak_def {
                    !new_weak
                } else if new_weak || new_common || self.allow_multiple {
                    // With --allow-multiple-definition the first one stays.
                    false
                } else {
                    let other = &file_of(file).name;
                    // mold's form: both files, then the name, on one line.
                    self.errors.push(format!(
                        "duplicate symbol: {other}: {fname}: {}",
                        sym.name_str()
                    ));
                    false
                }
            }
        };
        if take {
            // Defined here and in a linked shared library: exported, so
            // that the library's references bind here (GNU ld does this).
            if matches!(sym.def, SymDef::Shared { .. }) {
                sym.dso_ref = true;
            }
            let def = if new_common {
                SymDef::Common {
                    file: fid,
                    sym: idx,
                }
            } else {
                SymDef::Object {
                    file: fid,
                    sym: idx,
                }
            };
            sym.define(def, (s.typ, s.shndx == elf::SHN_ABS as u32));
            sym.weak_def = new_weak;
            if new_common {
                // A member's initialized definition may replace it.
                self.note_wanted(id);
            }
        }
    }

    /// An input holding IR: what the plugin claims stands for it.
    fn add_lto(&mut self, input: LtoInput) -> Result<Added> {
        let fid = self.r.objects.len() as FileId;
        Ok(match self.claimer.offer(&input, fid)? {
            Claim::Claimed(obj) => {
                self.add_object(*obj);
                Added::Claimed
            }
            Claim::Drop => Added::Dropped,
            Claim::NotClaimed => match input.fat {
                Some(obj) => {
                    self.add_object(obj);
                    Added::Object
                }
                None => return Err(crate::plugin::unclaimed_error(&input.name)),
            },
        })
    }

    /// Adds member `m` of `ar`, and notes where it went while a gap is
    /// open (`Gap::members`: an undone resolution gives it back).
    fn add_member_of(&mut self, ar: &Archive, m: u32, member: Member) -> Result<()> {
        let before = self.r.objects.len();
        self.add_member(member)?;
        if let Some(g) = &mut self.since_gap {
            if self.r.objects.len() > before {
                g.taken.push((before as FileId, ar.members.clone(), m));
            }
        }
        Ok(())
    }

    fn add_member(&mut self, m: Member) -> Result<()> {
        match m {
            Member::Object(o) => self.add_object(o),
            Member::Lto(l) => {
                self.add_lto(l)?;
            }
        }
        Ok(())
    }

    fn add_shared(&mut self, file: SharedFile, as_needed: bool) {
        let fid = self.r.shared.len() as FileId;
        for (i, ds) in file.symbols.iter().enumerate() {
            if ds.hidden {
                continue;
            }
            let id = self.r.intern_hashed(ds.name, ds.hash);
            let sym = &mut self.r.symbols[id as usize];
            if matches!(sym.def, SymDef::Object { .. } | SymDef::Common { .. }) {
                sym.dso_ref = true;
            }
            if sym.def == SymDef::Undefined {
                let def = SymDef::Shared {
                    file: fid,
                    sym: i as u32,
                };
                sym.define(def, (ds.typ, false));
                sym.weak_def = ds.bind == elf::STB_WEAK;
            }
        }
        for (&(u, hash), &weak) in file.undefined.iter().zip(&file.undefined_weak) {
            let id = self.r.intern_hashed(u, hash);
            let sym = &mut self.r.symbols[id as usize];
            sym.dso_ref = true;
            sym.dso_strong_ref |= !weak;
            self.note_wanted(id);
        }
        self.r.shared.push(LoadedShared {
            file,
            as_needed,
            needed: !as_needed,
        });
    }

    /// Extract members of `ar` that define currently undefined, strongly
    /// referenced symbols, until none is left. Returns whether any was extracted.
    ///
    /// GNU ld's order: rounds over the archive's symbol index, each taking,
    /// entry by entry, the member of every entry whose name is wanted at
    /// that moment, until a round takes none. Members are parsed in
    /// parallel, ahead of the (sequential) decisions: each round parses
    /// every member wanted before it starts; the decisions then run exactly
    /// as they would serially, parsing inline whatever becomes wanted on
    /// the way. A member parsed but no longer wanted is simply not added.
    fn scan_archive(&mut self, ar: &Archive, extracted: &mut [bool]) -> Result<bool> {
        if let Some(g) = &mut self.since_gap {
            g.scans.push(ar as *const Archive as usize);
            g.scanning = true;
        }
        let r = self.scan_archive_now(ar, extracted);
        if let Some(g) = &mut self.since_gap {
            g.scanning = false;
        }
        r
    }

    /// `scan_archive`, the scan itself.
    fn scan_archive_now(&mut self, ar: &Archive, extracted: &mut [bool]) -> Result<bool> {
        if !self.undefined_globs.is_empty() {
            // A glob may want any name: look at every entry.
            return self.scan_archive_every_entry(ar, extracted);
        }
        self.touched = Some(Vec::new());
        let r = self.scan_archive_indexed(ar, extracted);
        self.touched = None;
        r
    }

    /// `scan_archive` visiting only the entries that can be taken: an
    /// entry's member is taken when its name is wanted as the round reaches
    /// it, and a name only becomes wanted by being referenced or made
    /// common (`note_wanted`). So the first round need only visit the
    /// entries of the names wanted now; then, whatever a taken member
    /// touched is visited later in the same round if its entries come
    /// after the current one, else in the next round.
    fn scan_archive_indexed(&mut self, ar: &Archive, extracted: &mut [bool]) -> Result<bool> {
        let mut any = false;
        let mut parsed: HashMap<u32, Result<Member>> = HashMap::new();
        // Defined symbols never become undefined; a weak definition may
        // still become common, and is noted again then.
        let (symbols, in_wanted) = (&self.r.symbols, &mut self.in_wanted);
        self.wanted.retain(|&id| {
            let keep = matches!(
                symbols[id as usize].def,
                SymDef::Undefined | SymDef::Common { .. }
            );
            in_wanted[id as usize] = keep;
            keep
        });
        let mut next: Vec<u32> = if ar.symbols.len() <= self.wanted.len() {
            (0..ar.symbols.len() as u32)
                .filter(|&e| {
                    let id = self.r.lookup(ar.symbols[e as usize].0);
                    id.is_some_and(|id| self.in_wanted.get(id as usize) == Some(&true))
                })
                .collect()
        } else {
            let (symbols, hashes) = (&self.r.symbols, &self.r.hashes);
            let names = self
                .wanted
                .iter()
                .map(|&id| (symbols[id as usize].name.get(), hashes[id as usize]));
            names
                .flat_map(|(n, h)| ar.entries_named_hashed(n, h))
                .collect()
        };
        loop {
            next.sort_unstable();
            next.dedup();
            self.parse_wanted(ar, next.iter().copied(), extracted, &mut parsed);
            let mut round: std::collections::BinaryHeap<std::cmp::Reverse<u32>> =
                next.drain(..).map(std::cmp::Reverse).collect();
            let mut last = None;
            let mut changed = false;
            while let Some(std::cmp::Reverse(e)) = round.pop() {
                if last.is_some_and(|l| e <= l) {
                    continue;
                }
                last = Some(e);
                if !self.take_entry(ar, e as usize, extracted, &mut parsed)? {
                    continue;
                }
                changed = true;
                any = true;
                let touched = self.touched.replace(Vec::new()).unwrap_or_default();
                for id in touched {
                    let (name, hash) = (
                        self.r.symbols[id as usize].name.get(),
                        self.r.hashes[id as usize],
                    );
                    for t in ar.entries_named_hashed(name, hash) {
                        if t > e {
                            round.push(std::cmp::Reverse(t));
                        } else {
                            next.push(t);
                        }
                    }
                }
            }
            if !changed {
                return Ok(any);
            }
        }
    }

    /// `scan_archive` looking at every entry in every round.
    fn scan_archive_every_entry(&mut self, ar: &Archive, extracted: &mut [bool]) -> Result<bool> {
        let mut any = false;
        let mut parsed: HashMap<u32, Result<Member>> = HashMap::new();
        loop {
            let every = 0..ar.symbols.len() as u32;
            self.parse_wanted(ar, every, extracted, &mut parsed);
            let mut changed = false;
            for e in 0..ar.symbols.len() {
                if self.take_entry(ar, e, extracted, &mut parsed)? {
                    changed = true;
                    any = true;
                }
            }
            if !changed {
                return Ok(any);
            }
        }
    }

    /// Parses, in parallel, the members of `entries` (of `ar`'s symbol
    /// index) wanted now and not taken or parsed yet: what a round is about
    /// to take, before its (sequential) decisions.
    fn parse_wanted(
        &self,
        ar: &Archive,
        entries: impl Iterator<Item = u32>,
        extracted: &[bool],
        parsed: &mut HashMap<u32, Result<Member>>,
    ) {
        use rayon::prelude::*;
        let mut wanted: Vec<u32> = entries
            .map(|e| ar.symbols[e as usize])
            .filter(|&(name, m)| {
                !extracted[m as usize] && !parsed.contains_key(&m) && self.wants(name)
            })
            .map(|(_, m)| m)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let whole = self.parse_whole;
        if wanted.len() > 1 {
            let results: Vec<(u32, Result<Member>)> = wanted
                .par_iter()
                .with_max_len(1)
                .map(|&m| (m, parse_member(&ar.members[m as usize], whole)))
                .collect();
            parsed.extend(results);
        }
    }

    /// Takes the member of symbol index entry `e` of `ar` if it is not
    /// taken yet and the entry's name is wanted now; returns whether it did.
    fn take_entry(
        &mut self,
        ar: &Archive,
        e: usize,
        extracted: &mut [bool],
        parsed: &mut HashMap<u32, Result<Member>>,
    ) -> Result<bool> {
        let (name, m) = ar.symbols[e];
        if extracted[m as usize] {
            return Ok(false);
        }
        // A common symbol is replaced by a member's real (initialized)
        // definition, as in GNU ld; a member that only has another
        // common of it is not loaded for it.
        let want = self.wants(name)
            || (self.is_common(name) && {
                let p = parsed
                    .entry(m)
                    .or_insert_with(|| parse_member(&ar.members[m as usize], self.parse_whole));
                matches!(p, Ok(Member::Object(o)) if defines_initialized(o, name))
            });
        if !want {
            return Ok(false);
        }
        extracted[m as usize] = true;
        let member = match parsed.remove(&m) {
            Some(r) => r?,
            None => parse_member(&ar.members[m as usize], self.parse_whole)?,
        };
        self.add_member_of(ar, m, member)?;
        Ok(true)
    }

    /// Whether object `o`, the input missing at gap `g`, leaves what was
    /// resolved after it (`after`: what was placed since) as resolving in
    /// order would have made it:
    /// - no COMDAT group of it was kept by an input after it;
    /// - each name it defines is undefined still (not defined after it,
    ///   so no archive member was taken for it), and not as a common;
    /// - each name it references strongly was wanted already at the gap,
    ///   or before each scan of a later archive that has it (else members
    ///   may be taken in another order, or others).
    ///
    /// References merge into flags that do not depend on order, except
    /// the type the last typed one gives; `Some` holds the symbols whose
    /// type an input after it gave (kept when `o` is added), `None` if
    /// that cannot be told.
    fn gap_holds(&self, g: &Gap, o: &ObjectFile, after: &[Placed]) -> Option<Vec<(SymbolId, u8)>> {
        if o.at_names {
            return None;
        }
        let mut discarded = vec![false; o.sections.len()];
        for grp in &o.groups {
            match self.comdats.get(grp.signature) {
                Some(&owner) if owner > g.fid => return None,
                Some(_) => grp
                    .sections
                    .iter()
                    .for_each(|&s| discarded[s as usize] = true),
                None => {}
            }
        }
        let archives: Vec<&Archive> = after
            .iter()
            .filter_map(|p| match p {
                Placed::Archive { archive, .. } => Some(&**archive),
                _ => None,
            })
            .collect();
        // Whether a name `o` wants, not wanted at the gap, was wanted
        // before each scan of a later archive that has it began: then
        // each scan takes what it would have with `o` in.
        let since = self.since_gap.as_ref()?;
        let wanted_before_scans = |id: Option<SymbolId>, name: &[u8], hash: u64| {
            let at = id.and_then(|id| since.strong_at.get(&id).copied());
            let scans = since.scans.iter().enumerate();
            let held = scans.into_iter().all(|(j, &addr)| {
                let ar = archives
                    .iter()
                    .find(|a| std::ptr::eq(**a, addr as *const Archive));
                let has = ar.is_none_or(|a| a.entries_named_hashed(name, hash).next().is_some());
                !has || at.is_some_and(|t| t <= 2 * j as u32)
            });
            Some(held)
        };
        let mut keep_types = Vec::new();
        let first = o.first_global as usize;
        for (i, s) in o.symbols.iter().enumerate().skip(first) {
            let name = s.name.get();
            let hash = match o.global_hashes.get(i - first) {
                Some(&h) => h,
                None => name_hash(name),
            };
            let id = self.r.lookup_hashed(name, hash);
            let now = id.map(|id| &self.r.symbols[id as usize]);
            let then = id.and_then(|id| g.symbols.get(id as usize));
            let in_discarded = in_discarded_group(s, &discarded);
            if s.is_undefined() || in_discarded {
                let (t_then, t_now) = (
                    then.map_or(elf::STT_NOTYPE, |t| t.ref_type),
                    now.map_or(elf::STT_NOTYPE, |t| t.ref_type),
                );
                if t_now != t_then {
                    keep_types.push((id?, t_now));
                } else if s.typ != elf::STT_NOTYPE && t_then != elf::STT_NOTYPE && s.typ != t_then {
                    // An input after it may have given the same type again.
                    return None;
                }
                let strong = !s.is_weak() || in_discarded;
                let wanted = then.is_some_and(|t| {
                    t.def != SymDef::Undefined || t.strong_ref || t.dso_strong_ref
                });
                if strong && !wanted && !wanted_before_scans(id, name, hash)? {
                    return None;
                }
            } else if s.is_common() || now.is_some_and(|n| n.def != SymDef::Undefined) {
                return None;
            }
        }
        Some(keep_types)
    }

    /// Numbers the symbols made since symbol `first` as an in-order
    /// resolution does, once the object of file `fid` (the gap's) is in:
    /// its names first, in its symbol order, then the others as they
    /// came. The symbols before `first` keep their ids.
    fn renumber_after(&mut self, first: usize, fid: FileId) -> Option<Renumbered> {
        let r = &mut self.r;
        let n = r.symbols.len();
        let mut order: Vec<SymbolId> = Vec::with_capacity(n - first);
        let mut seen = vec![false; n - first];
        for &id in &r.sym_ids[fid as usize] {
            let i = id as usize;
            if i >= first && !std::mem::replace(&mut seen[i - first], true) {
                order.push(id);
            }
        }
        order.extend(
            (first..n)
                .filter(|&i| !seen[i - first])
                .map(|i| i as SymbolId),
        );
        if order
            .iter()
            .enumerate()
            .all(|(j, &id)| id as usize == first + j)
        {
            return None;
        }
        let mut new_id = vec![0 as SymbolId; n - first];
        for (j, &old) in order.iter().enumerate() {
            new_id[old as usize - first] = (first + j) as SymbolId;
        }
        let moved = Renumbered { first, new_id };
        let map = |id: SymbolId| moved.map(id);
        let mut old: Vec<Option<Symbol>> =
            r.symbols.split_off(first).into_iter().map(Some).collect();
        r.symbols.extend(
            order
                .iter()
                .map(|&id| old[id as usize - first].take().expect("once")),
        );
        let hashes = r.hashes.split_off(first);
        r.hashes
            .extend(order.iter().map(|&id| hashes[id as usize - first]));
        for e in r.names.iter_mut() {
            e.1 = map(e.1);
        }
        // (Hundreds of objects when a random one came last.)
        use rayon::prelude::*;
        r.sym_ids[fid as usize..].par_iter_mut().for_each(|ids| {
            for id in ids.iter_mut() {
                *id = map(*id);
            }
        });
        for id in &mut self.wanted {
            *id = map(*id);
        }
        if self.in_wanted.len() > first {
            self.in_wanted.resize(n, false);
            let was = self.in_wanted.split_off(first);
            self.in_wanted
                .extend(order.iter().map(|&id| was[id as usize - first]));
        }
        Some(moved)
    }

    /// Whether `name` is, so far, a common symbol.
    fn is_common(&self, name: &[u8]) -> bool {
        self.r
            .lookup(name)
            .is_some_and(|id| matches!(self.r.symbols[id as usize].def, SymDef::Common { .. }))
    }

    /// Whether an archive member defining `name` should be extracted now.
    fn wants(&self, name: &[u8]) -> bool {
        let Some(id) = self.r.lookup(name) else {
            return self
                .undefined_globs
                .iter()
                .any(|g| crate::version_script::glob_match(g, name));
        };
        let sym = &self.r.symbols[id as usize];
        sym.def == SymDef::Undefined
            && (sym.strong_ref
                || sym.dso_strong_ref
                || self
                    .undefined_globs
                    .iter()
                    .any(|g| crate::version_script::glob_match(g, name)))
    }
}

/// Whether `s` is defined in a section of a COMDAT group that lost
/// (`discarded`, per section): then it is only a reference.
fn in_discarded_group(s: &InputSymbol, discarded: &[bool]) -> bool {
    !s.is_undefined()
        && !s.is_common()
        && s.shndx != elf::SHN_ABS as u32
        && discarded.get(s.shndx as usize).copied().unwrap_or(false)
}

/// Whether object `o` defines global `name` with contents (not as a common).
fn defines_initialized(o: &ObjectFile, name: &[u8]) -> bool {
    o.symbols[o.first_global as usize..]
        .iter()
        .any(|s| s.name == name && !s.is_undefined() && !s.is_common())
}

fn find_at_at(name: &[u8]) -> Option<usize> {
    // Few names hold an `@` at all: look for one quickly first.
    let first = memchr::memchr(b'@', name)?;
    memchr::memmem::find(&name[first..], b"@@").map(|i| first + i)
}

fn merge_visibility(sym: &mut Symbol, s: &InputSymbol) {
    let v = s.visibility;
    if v != elf::STV_DEFAULT && (sym.visibility == elf::STV_DEFAULT || v < sym.visibility) {
        sym.visibility = v;
    }
}

/// The `--wrap` renamings of undefined references, for `wrapped` names.
fn wrap_map(wrapped: &[String]) -> NameMap<&'static [u8]> {
    // Leaked: a few short names per link, referenced by the symbol table.
    let leak = |s: String| -> &'static [u8] { Box::leak(s.into_bytes().into_boxed_slice()) };
    let mut m = NameMap::default();
    for w in wrapped {
        let name = leak(w.clone());
        m.insert(name, leak(format!("__wrap_{w}")));
        m.insert(leak(format!("__real_{w}")), name);
    }
    m
}

/// Resolve symbols over the inputs in command-line order. `roots` are symbols
/// referenced from outside any object (`-u`, the entry point); `opts`
/// gives `--wrap` and `--allow-multiple-definition`.
pub fn resolve(items: Vec<LoadItem>, roots: &[&'static [u8]], opts: &Options) -> Result<Resolved> {
    Ok(resolve_with(items, roots, opts, &mut NoPlugin)?.0)
}

/// Where an input went in a resolution, in command-line order.
pub enum Placed {
    Object(FileId),
    Shared(FileId),
    Archive {
        archive: Box<Archive>,
        whole: bool,
        extracted: Vec<bool>,
    },
    /// An input the plugin claimed.
    Claimed,
    GroupStart,
    GroupEnd,
}

/// The inputs of a finished resolution, in command-line order again, for
/// another one: objects and shared libraries taken back from `r`, archives
/// with the members they loaded (in archive order; claimed ones are left
/// out by the next claimer), free to select more. `insert` goes where GNU ld puts
/// the plugin's output: right after the first claimed input, or before
/// the archive holding it (`holds_claimed` says which archives do).
pub fn into_items(
    r: Resolved,
    placed: Vec<Placed>,
    insert: Vec<LoadItem>,
    holds_claimed: &dyn Fn(&Archive) -> bool,
) -> Vec<LoadItem> {
    let mut objects: Vec<Option<ObjectFile>> = r.objects.into_iter().map(Some).collect();
    let mut shared: Vec<Option<LoadedShared>> = r.shared.into_iter().map(Some).collect();
    let mut insert = Some(insert);
    let mut out = Vec::with_capacity(placed.len());
    for p in placed {
        match p {
            Placed::Object(f) => {
                if let Some(o) = objects[f as usize].take() {
                    out.push(LoadItem::Object(Box::new(o)));
                }
            }
            Placed::Shared(f) => {
                if let Some(s) = shared[f as usize].take() {
                    // An `--as-needed` library that the first resolution
                    // needed stays needed (GNU ld decides once, IR
                    // references included).
                    out.push(LoadItem::Shared {
                        file: Box::new(s.file),
                        as_needed: s.as_needed && !s.needed,
                    });
                }
            }
            Placed::Archive {
                archive,
                whole,
                extracted,
            } => {
                if holds_claimed(&archive) {
                    out.extend(insert.take().into_iter().flatten());
                }
                out.push(LoadItem::Archive {
                    archive,
                    whole,
                    preload: (0..extracted.len() as u32)
                        .filter(|&m| extracted[m as usize])
                        .collect(),
                });
            }
            Placed::Claimed => out.extend(insert.take().into_iter().flatten()),
            Placed::GroupStart => out.push(LoadItem::GroupStart),
            Placed::GroupEnd => out.push(LoadItem::GroupEnd),
        }
    }
    out.extend(insert.into_iter().flatten());
    out
}

/// `resolve`, offering each input that holds IR to `claimer` as it is
/// loaded; also says where each input went (`Placed`, for `into_items`).
pub fn resolve_with(
    items: Vec<LoadItem>,
    roots: &[&'static [u8]],
    opts: &Options,
    claimer: &mut dyn Claimer,
) -> Result<(Resolved, Vec<Placed>)> {
    // Sized for every global name the inputs can bring, so the table is not
    // rebuilt again and again as it grows (an upper bound: names repeat).
    let names_hint: usize = items.iter().map(names_hint).sum();
    let spec = crate::timing::span("resolve: start the member speculation");
    let _members = crate::archive::Speculation::start_for_resolution(
        items
            .iter()
            .filter_map(|it| match it {
                LoadItem::Archive {
                    archive,
                    whole: false,
                    ..
                } => Some((archive.members.clone(), archive.symbols.clone())),
                _ => None,
            })
            .collect(),
        || undefined_names(&items),
    );
    drop(spec);
    let mut inc = Incremental::new(roots, opts, claimer, names_hint);
    inc.rs.parse_whole = false;
    // Room for every object the inputs can bring (archive members at most),
    // so the tables are not copied again and again as they grow.
    let files: usize = items.iter().map(files_hint).sum();
    inc.rs.r.objects.reserve(files);
    inc.rs.r.sym_ids.reserve(files);
    inc.rs.r.discarded.reserve(files);
    let feed = crate::timing::span("resolve: feed");
    for item in items {
        inc.feed(item)?;
    }
    drop(feed);
    inc.finish()
}

/// The global names the objects among `items` leave undefined (where a
/// `Speculation` starts).
fn undefined_names(items: &[LoadItem]) -> Vec<&'static [u8]> {
    let mut out = Vec::new();
    for it in items {
        if let LoadItem::Object(o) = it {
            out.extend(o.undefined_globals());
        }
    }
    out
}

/// How many objects `item` may bring (to size the per-object tables).
fn files_hint(item: &LoadItem) -> usize {
    match item {
        LoadItem::Object(_) | LoadItem::Lto(_) => 1,
        LoadItem::Archive { archive, .. } => archive.members.len(),
        _ => 0,
    }
}

/// How many global names `item` may bring (to size the symbol table): the
/// names it defines. Its references are mostly to names other inputs
/// define; counted too, they made the table four times the names on a link
/// of 5,000 small objects, and all of its pages resident (the table grows
/// if the names are more).
fn names_hint(item: &LoadItem) -> usize {
    match item {
        LoadItem::Object(o) => o.symbols[o.first_global as usize..]
            .iter()
            .filter(|s| !s.is_undefined())
            .count(),
        LoadItem::Archive { archive, .. } => archive.symbols.len(),
        // Every name a library defines or references becomes a symbol:
        // left out, they made the table grow (and hash every name again)
        // at the end of a Rust link, where the libraries come.
        LoadItem::Shared { file, .. } => file.symbols.len() + file.undefined.len(),
        _ => 0,
    }
}

/// How `Incremental::fill_gap` numbered again the symbols made after the
/// gap: ids from `first` on moved (`map`).
pub struct Renumbered {
    first: usize,
    new_id: Vec<SymbolId>,
}

impl Renumbered {
    /// Symbol `id`'s id now.
    pub fn map(&self, id: SymbolId) -> SymbolId {
        match (id as usize).checked_sub(self.first) {
            Some(i) => self.new_id[i],
            None => id,
        }
    }
}

/// An archive member added while a gap is open: its file, its archive's
/// members, its index there.
type TakenMember = (FileId, std::sync::Arc<Vec<ArchiveMember>>, u32);

/// What a resolution records while a gap is open.
#[derive(Default)]
struct SinceGap {
    /// The archive members added: (file, the archive's members, member
    /// index).
    taken: Vec<TakenMember>,
    /// The archive scans begun, in order (each archive's address).
    scans: Vec<usize>,
    /// Whether a scan is under way.
    scanning: bool,
    /// The symbols that became strongly wanted (an archive member is
    /// taken for them), and when: twice the scans begun then, plus one
    /// during a scan.
    strong_at: HashMap<SymbolId, u32>,
}

/// An `Incremental` resolution where an input is missing, when it went on
/// past it (`open_gap`): what it was then, to undo what came after
/// (`close_gap`) and to tell whether the input, once in, changes any of
/// that (`fill_gap`).
struct Gap {
    /// The missing input's file id (a placeholder holds it) and its
    /// index in `placed`.
    fid: FileId,
    placed: usize,
    /// The symbols as they were (the ones after these were made since).
    symbols: Vec<Symbol>,
    wanted: Vec<SymbolId>,
    in_wanted: Vec<bool>,
    comdats: NameMap<FileId>,
    errors: usize,
    shared: usize,
    fed: usize,
}

/// A resolution fed one input at a time, in command-line order, then
/// finished. `resolve_with` feeds every input at once; the background
/// linker feeds each input as soon as every input before it is ingested,
/// so that only the rest is left for the wait. Either way the same steps
/// run in the same order, so the result is the same.
pub struct Incremental<'c> {
    rs: Resolver<'c>,
    /// Where an input is missing, if the resolution went on past it.
    gap: Option<Gap>,
    /// Archives inside the current group (indices into `placed`),
    /// rescanned until nothing changes at its end.
    group: Option<Vec<usize>>,
    placed: Vec<Placed>,
    /// Inputs fed so far.
    fed: usize,
}

impl<'c> Incremental<'c> {
    pub fn new(
        roots: &[&'static [u8]],
        opts: &Options,
        claimer: &'c mut dyn Claimer,
        names_hint: usize,
    ) -> Incremental<'c> {
        let mut rs = Resolver {
            r: Resolved {
                objects: Vec::new(),
                sym_ids: Vec::new(),
                discarded: Vec::new(),
                shared: Vec::new(),
                symbols: Vec::with_capacity(names_hint),
                hashes: Vec::with_capacity(names_hint),
                names: SymbolTable::with_capacity(names_hint),
                promoted: HashMap::new(),
                defsyms: HashMap::new(),
                leftovers: Vec::new(),
            },
            comdats: NameMap::default(),
            errors: Vec::new(),
            wrap: wrap_map(&opts.wrap),
            allow_multiple: opts.allow_multiple_definition,
            warn_common: opts.warn_common,
            undefined_globs: opts
                .undefined_globs
                .iter()
                .map(|g| &*Box::leak(g.clone().into_bytes().into_boxed_slice()))
                .collect(),
            claimer,
            wanted: Vec::new(),
            in_wanted: Vec::new(),
            touched: None,
            since_gap: None,
            parse_whole: true,
        };
        for &r in roots {
            let id = rs.intern(r);
            let s = &mut rs.r.symbols[id as usize];
            s.strong_ref = true;
            rs.note_wanted(id);
        }
        Incremental {
            rs,
            gap: None,
            group: None,
            placed: Vec::new(),
            fed: 0,
        }
    }

    /// Resolves the next input in command-line order.
    /// The resolution so far: the objects fed (archive members included)
    /// in order, their symbols' ids, their COMDAT losers.
    pub fn so_far(&self) -> &Resolved {
        &self.rs.r
    }

    pub fn feed(&mut self, item: LoadItem) -> Result<()> {
        self.fed += 1;
        let rs = &mut self.rs;
        let placed = &mut self.placed;
        let group = &mut self.group;
        match item {
            LoadItem::Object(o) => {
                placed.push(Placed::Object(rs.r.objects.len() as FileId));
                rs.add_object(*o)
            }
            LoadItem::Lto(l) => {
                let fid = rs.r.objects.len() as FileId;
                match rs.add_lto(*l)? {
                    Added::Claimed => placed.push(Placed::Claimed),
                    Added::Object => placed.push(Placed::Object(fid)),
                    Added::Dropped => {}
                }
            }
            LoadItem::Shared { file, as_needed } => {
                placed.push(Placed::Shared(rs.r.shared.len() as FileId));
                rs.add_shared(*file, as_needed)
            }
            LoadItem::Archive {
                archive,
                whole,
                preload,
            } => {
                let mut extracted = vec![false; archive.members.len()];
                // (A whole archive loads every member in order anyway.)
                for m in preload.into_iter().filter(|_| !whole) {
                    if let Some(e) = extracted.get_mut(m as usize).filter(|e| !**e) {
                        *e = true;
                        let member = parse_member(&archive.members[m as usize], rs.parse_whole)?;
                        rs.add_member_of(&archive, m, member)?;
                    }
                }
                if whole {
                    use rayon::prelude::*;
                    let whole = rs.parse_whole;
                    let objs: Vec<Result<Member>> = archive
                        .members
                        .par_iter()
                        .with_max_len(1)
                        .map(|m| parse_member(m, whole))
                        .collect();
                    for (i, obj) in objs.into_iter().enumerate() {
                        extracted[i] = true;
                        rs.add_member_of(&archive, i as u32, obj?)?;
                    }
                } else {
                    rs.scan_archive(&archive, &mut extracted)?;
                }
                if let Some(g) = group.as_mut() {
                    g.push(placed.len());
                }
                placed.push(Placed::Archive {
                    archive,
                    whole,
                    extracted,
                });
            }
            LoadItem::Script(_) => {}
            LoadItem::GroupStart => {
                placed.push(Placed::GroupStart);
                *group = Some(Vec::new())
            }
            LoadItem::GroupEnd => {
                placed.push(Placed::GroupEnd);
                if let Some(g) = group.take() {
                    loop {
                        let mut changed = false;
                        for &i in &g {
                            if let Placed::Archive {
                                archive, extracted, ..
                            } = &mut placed[i]
                            {
                                changed |= rs.scan_archive(archive, extracted)?;
                            }
                        }
                        if !changed {
                            break;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the resolution may go on past an input that is not in yet
    /// (`open_gap`): one gap at a time, not inside a group (its end scans
    /// archives before the gap again), nor with `--wrap` or
    /// `--undefined-glob` (names then mean more than the table says).
    pub fn can_open_gap(&self) -> bool {
        let rs = &self.rs;
        self.gap.is_none()
            && self.group.is_none()
            && rs.wrap.is_empty()
            && rs.undefined_globs.is_empty()
            && rs.r.defsyms.is_empty()
            && rs.r.promoted.is_empty()
    }

    /// Holds the place of the next input, an object not in yet, so that
    /// the ones after it are fed now. Resolving them does not depend on it
    /// unless it defines what they define or want, or wants what an
    /// archive after it has: `fill_gap` checks that when it comes, and
    /// else `close_gap` undoes what came after it.
    pub fn open_gap(&mut self) {
        let rs = &mut self.rs;
        let fid = rs.r.objects.len() as FileId;
        self.gap = Some(Gap {
            fid,
            placed: self.placed.len(),
            symbols: rs.r.symbols.clone(),
            wanted: rs.wanted.clone(),
            in_wanted: rs.in_wanted.clone(),
            comdats: rs.comdats.clone(),
            errors: rs.errors.len(),
            shared: rs.r.shared.len(),
            fed: self.fed,
        });
        rs.r.objects.push(ObjectFile::placeholder());
        rs.r.sym_ids.push(Vec::new());
        rs.r.discarded.push(Vec::new());
        self.placed.push(Placed::Object(fid));
        rs.since_gap = Some(SinceGap::default());
    }

    /// The file id of the input missing, if a gap is open: the objects
    /// before it are resolved as a serial resolution resolves them.
    pub fn gap_file(&self) -> Option<usize> {
        self.gap.as_ref().map(|g| g.fid as usize)
    }

    /// Puts `o`, the input missing, in its place, if what was resolved
    /// after it is what resolving in order makes (`Resolver::gap_holds`);
    /// the symbols made since the gap are then numbered as in that order.
    /// Else gives `o` back: `close_gap` undoes the rest, and `o` is fed.
    pub fn fill_gap(
        &mut self,
        o: ObjectFile,
    ) -> std::result::Result<Option<Renumbered>, Box<ObjectFile>> {
        let Some(g) = &self.gap else {
            return Err(Box::new(o));
        };
        let Some(keep_types) = self.rs.gap_holds(g, &o, &self.placed[g.placed + 1..]) else {
            return Err(Box::new(o));
        };
        let g = self.gap.take().expect("open");
        self.rs.since_gap = None;
        let errors = self.rs.errors.len();
        self.rs.add_object_at(o, g.fid);
        for (id, t) in keep_types {
            self.rs.r.symbols[id as usize].ref_type = t;
        }
        // Its errors (a name it defines twice) where an in-order
        // resolution makes them.
        let mine: Vec<String> = self.rs.errors.drain(errors..).collect();
        self.rs.errors.splice(g.errors..g.errors, mine);
        let moved = self.rs.renumber_after(g.symbols.len(), g.fid);
        self.fed += 1;
        Ok(moved)
    }

    /// Undoes what was fed after the gap, if one is open, and gives it
    /// back in order (archives with no member selected; the members
    /// taken go back to them as parsed). The resolution is then as it was
    /// when the gap was opened.
    pub fn close_gap(&mut self) -> Vec<LoadItem> {
        let Some(g) = self.gap.take() else {
            return Vec::new();
        };
        let taken = self.rs.since_gap.take().unwrap_or_default().taken;
        let r = &mut self.rs.r;
        let (fid, base) = (g.fid as usize, g.fid as usize + 1);
        let after = self.placed.split_off(g.placed + 1);
        self.placed.truncate(g.placed);
        let mut objects: Vec<Option<ObjectFile>> =
            r.objects.split_off(base).into_iter().map(Some).collect();
        r.objects.truncate(fid);
        r.sym_ids.truncate(fid);
        r.discarded.truncate(fid);
        for (f, members, m) in taken {
            if let Some(o) = objects[f as usize - base].take() {
                members[m as usize].give_back(o);
            }
        }
        let mut shared: Vec<Option<LoadedShared>> =
            r.shared.split_off(g.shared).into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(after.len());
        for p in after {
            match p {
                Placed::Object(f) => {
                    if let Some(o) = objects[f as usize - base].take() {
                        out.push(LoadItem::Object(Box::new(o)));
                    }
                }
                Placed::Shared(f) => {
                    if let Some(s) = shared[f as usize - g.shared].take() {
                        out.push(LoadItem::Shared {
                            file: Box::new(s.file),
                            as_needed: s.as_needed,
                        });
                    }
                }
                Placed::Archive { archive, whole, .. } => out.push(LoadItem::Archive {
                    archive,
                    whole,
                    preload: Vec::new(),
                }),
                Placed::Claimed => {}
                Placed::GroupStart => out.push(LoadItem::GroupStart),
                Placed::GroupEnd => out.push(LoadItem::GroupEnd),
            }
        }
        let first = g.symbols.len();
        r.symbols = g.symbols;
        r.hashes.truncate(first);
        r.names.retain(|e| (e.1 as usize) < first);
        self.rs.wanted = g.wanted;
        self.rs.in_wanted = g.in_wanted;
        self.rs.comdats = g.comdats;
        self.rs.errors.truncate(g.errors);
        self.group = None;
        self.fed = g.fed;
        out
    }

    /// The inputs fed so far, given back in the order they were fed, for a
    /// resolution that must start over (resolving does not change them):
    /// objects and shared libraries as they came, archives with no member
    /// selected. `None` if the plugin claimed or dropped one.
    pub fn recover(self) -> Option<Vec<LoadItem>> {
        let Incremental {
            rs,
            placed,
            fed,
            gap,
            ..
        } = self;
        let hole = gap.map(|g| g.fid);
        let mut objects: Vec<Option<ObjectFile>> = rs.r.objects.into_iter().map(Some).collect();
        let mut shared: Vec<Option<LoadedShared>> = rs.r.shared.into_iter().map(Some).collect();
        let mut out = Vec::with_capacity(placed.len());
        for p in placed {
            out.push(match p {
                Placed::Object(f) if Some(f) == hole => continue,
                Placed::Object(f) => LoadItem::Object(Box::new(objects[f as usize].take()?)),
                Placed::Shared(f) => {
                    let s = shared[f as usize].take()?;
                    LoadItem::Shared {
                        file: Box::new(s.file),
                        as_needed: s.as_needed,
                    }
                }
                Placed::Archive { archive, whole, .. } => LoadItem::Archive {
                    archive,
                    whole,
                    preload: Vec::new(),
                },
                Placed::Claimed => return None,
                Placed::GroupStart => LoadItem::GroupStart,
                Placed::GroupEnd => LoadItem::GroupEnd,
            });
        }
        (out.len() == fed).then_some(out)
    }

    /// After the last input: what only the whole set decides.
    pub fn finish(self) -> Result<(Resolved, Vec<Placed>)> {
        let Incremental {
            mut rs,
            placed,
            gap,
            ..
        } = self;
        assert!(gap.is_none(), "a resolution finished with an input missing");
        if !rs.errors.is_empty() {
            return Err(Error::new(rs.errors.join("\n")));
        }

        // One pass over every symbol, in parallel (the background linker's
        // wait runs this on a symbol table that is not in cache).
        use rayon::prelude::*;
        let Resolved {
            symbols, shared, ..
        } = &mut rs.r;
        let needed = symbols
            .par_iter_mut()
            .with_min_len(4096)
            .fold(
                || vec![false; shared.len()],
                |mut needed, s| {
                    if s.def == SymDef::Undefined {
                        bind_versioned(s, shared);
                    }
                    // `--as-needed` libraries are needed if a regular object
                    // uses a symbol they define.
                    if let SymDef::Shared { file, .. } = s.def {
                        if s.referenced || s.strong_ref {
                            needed[file as usize] = true;
                        }
                    }
                    needed
                },
            )
            .reduce(
                || vec![false; shared.len()],
                |a, b| a.iter().zip(&b).map(|(x, y)| *x || *y).collect(),
            );
        for (ls, n) in shared.iter_mut().zip(needed) {
            ls.needed |= n;
        }
        Ok((rs.r, placed))
    }
}

/// A versioned reference (`realpath@GLIBC_2.2.5`, from `.symver`), undefined
/// so far, binds to that version's definition in the first library that
/// has it.
fn bind_versioned(s: &mut Symbol, shared: &[LoadedShared]) {
    let Some(at) = memchr::memchr(b'@', &s.name) else {
        return;
    };
    let (base, ver) = (&s.name[..at], &s.name[at + 1..]);
    let ver = ver.strip_prefix(b"@").unwrap_or(ver);
    for (fi, ls) in shared.iter().enumerate() {
        if let Some(si) = ls.file.find_versioned(base, ver) {
            let def = SymDef::Shared {
                file: fi as FileId,
                sym: si,
            };
            s.define(def, (ls.file.symbols[si as usize].typ, false));
            return;
        }
    }
}

/// Whether an undefined symbol is one the linker defines (so it is not an error).
pub fn is_linker_defined(name: &[u8]) -> bool {
    matches!(
        name,
        b"__ehdr_start"
            | b"__executable_start"
            | b"_GLOBAL_OFFSET_TABLE_"
            | b"_DYNAMIC"
            | b"__bss_start"
            | b"_edata"
            | b"edata"
            | b"_end"
            | b"end"
            | b"_etext"
            | b"etext"
            | b"__etext"
            | b"__rela_iplt_start"
            | b"__rela_iplt_end"
            | b"__init_array_start"
            | b"__init_array_end"
            | b"__fini_array_start"
            | b"__fini_array_end"
            | b"__preinit_array_start"
            | b"__preinit_array_end"
            | b"_TLS_MODULE_BASE_"
    ) || name.starts_with(b"__start_")
        || name.starts_with(b"__stop_")
}
