//! Pass: output sections. Each live input section's output section (name,
//! type, flags; GNU ld's default script's names, a linker script's rules,
//! `--unique`, `-z keep-text-section-prefix`, `.rodata.str<entsize>.<align>`
//! for mergeable strings) is found per file in parallel, then the output sections are
//! made in command-line order and the input sections placed in them
//! (ordered by init/fini priority or a script's SORT, aligned). Ranks
//! (`rank_of`) decide the sections' order in the file later (`order`).

use super::{align_up, leak, LinkInput, OutputSection, Synth, NONE};
use crate::error::Result;
use crate::icf::Folded;
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::Options;
use crate::resolve::Resolved;
use object::elf;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Map an input section name to its output section name (GNU ld's default script).
pub(crate) fn output_name(name: &[u8]) -> &[u8] {
    const PREFIXES: &[&[u8]] = &[
        b".text",
        b".rodata",
        b".data.rel.ro",
        b".data",
        b".bss",
        b".tdata",
        b".tbss",
        b".init_array",
        b".fini_array",
        b".preinit_array",
        b".gcc_except_table",
        b".ctors",
        b".dtors",
    ];
    // Every name here starts with '.' and its second byte tells most
    // apart: one byte compare per prefix before the string compares (this
    // runs for every input section).
    let Some(&second) = name.get(1).filter(|_| name[0] == b'.') else {
        return name;
    };
    for p in PREFIXES.iter().filter(|p| p[1] == second) {
        if name == *p || (name.starts_with(p) && name.get(p.len()) == Some(&b'.')) {
            return p;
        }
    }
    if name.starts_with(b".text.") {
        return b".text";
    }
    // TLS commons (`.tcommon`) are zero-initialized thread-local data.
    if name == b".tcommon" || name.starts_with(b".tcommon.") {
        return b".tbss";
    }
    name
}

/// `name` as a constant if it is a DWARF section's: every object has
/// them, and `join` hashes and compares the constant without reading each
/// input's section names (a cache miss per input section).
fn known_name(name: &'static [u8]) -> &'static [u8] {
    const DWARF: &[&[u8]] = &[
        b".debug_abbrev",
        b".debug_addr",
        b".debug_aranges",
        b".debug_frame",
        b".debug_info",
        b".debug_line",
        b".debug_line_str",
        b".debug_loc",
        b".debug_loclists",
        b".debug_macinfo",
        b".debug_macro",
        b".debug_names",
        b".debug_pubnames",
        b".debug_pubtypes",
        b".debug_ranges",
        b".debug_rnglists",
        b".debug_str",
        b".debug_str_offsets",
        b".debug_types",
    ];
    if !name.starts_with(b".debug_") {
        return name;
    }
    DWARF.iter().find(|&&n| n == name).copied().unwrap_or(name)
}

/// `-z keep-text-section-prefix`: the output section of a `.text.hot`,
/// `.text.unlikely`, ... input section (lld's list), so that a profile's hot
/// and cold code stay together under a name tools can find.
fn text_prefix_name(name: &[u8]) -> Option<&'static [u8]> {
    const KEPT: &[&[u8]] = &[
        b".text.hot",
        b".text.unknown",
        b".text.unlikely",
        b".text.startup",
        b".text.exit",
        b".text.split",
    ];
    KEPT.iter()
        .find(|p| name.starts_with(p) && matches!(name.get(p.len()), None | Some(b'.')))
        .copied()
}

/// The output section of a mergeable `.rodata.*` input section, named by
/// what its pieces are as mold names it: `.rodata.str<entsize>.<align>`
/// for strings. Its merged contents
/// keep a section of their own, with the entry size and flags that say
/// how they may be merged again.
fn mergeable_rodata_name(s: &crate::object_file::InputSection) -> Option<&'static [u8]> {
    let merge = elf::SHF_MERGE;
    if !s.is_alloc() || s.flags & merge == 0 || s.entsize == 0 || !s.name.starts_with(b".rodata.") {
        return None;
    }
    // Constants (`.rodata.cstN`) stay in `.rodata`, as in GNU ld: crt1.o's
    // `_IO_stdin_used` is one, and programs expect a `.rodata`.
    if s.flags & elf::SHF_STRINGS == 0 {
        return None;
    }
    let name = format!(".rodata.str{}.{}", s.entsize, s.align());
    // Interned: a handful of names, asked for by every object.
    static NAMES: std::sync::Mutex<Vec<&'static [u8]>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.iter().find(|n| **n == name.as_bytes()) {
        return Some(n);
    }
    let n = leak(name.as_bytes());
    names.push(n);
    Some(n)
}

/// Where a file's live input sections go, as far as the file alone tells.
pub(super) struct FileDests {
    pub(super) sections: Vec<SectionDest>,
    /// The output sections `sections` go to (few per file: most input
    /// sections share one with others).
    pub(super) outs: Vec<DestOut>,
    /// `.comment` sections (collected into the output's `.comment`).
    pub(super) comments: Vec<u32>,
}

impl FileDests {
    /// Where `d` goes.
    pub(super) fn out(&self, d: &SectionDest) -> &DestOut {
        &self.outs[d.out as usize]
    }

    /// The index in `outs` of `out`, added if new; `index`: `outs` by
    /// value once they are many (a linker script's), so that finding one
    /// stays a probe.
    fn out_index(&mut self, out: DestOut, index: &mut HashMap<DestOut, u32>) -> u32 {
        // Runs of input sections go to the same one (`.text.*`), and
        // `--unique` ones each to their own.
        if !out.unique {
            if self.outs.last() == Some(&out) {
                return self.outs.len() as u32 - 1;
            }
            if self.outs.len() <= 16 {
                if let Some(i) = self.outs.iter().position(|o| *o == out) {
                    return i as u32;
                }
            } else {
                if index.is_empty() {
                    for (i, o) in self.outs.iter().enumerate().filter(|(_, o)| !o.unique) {
                        index.entry(*o).or_insert(i as u32);
                    }
                }
                if let Some(&i) = index.get(&out) {
                    return i;
                }
            }
        }
        let i = self.outs.len() as u32;
        self.outs.push(out);
        if !index.is_empty() && !out.unique {
            index.insert(out, i);
        }
        i
    }
}

/// An output section as an input section names it: name, type and flags
/// (the key under which input sections join), or one of its own
/// (`--unique`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct DestOut {
    // Borrowed names (inputs and constants live for the link): no
    // allocation per input section, of which there are 100,000s.
    pub(super) oname: &'static [u8],
    pub(super) sh_type: u32,
    pub(super) flags: u64,
    pub(super) unique: bool,
    /// Takes no file space (`(NOLOAD)`, `--zero-to-bss`).
    pub(super) noload: bool,
}

impl DestOut {
    /// The key input sections join their output section under (see `join`).
    pub(super) fn key(&self) -> SectionKey {
        (
            self.oname,
            u32::from(self.sh_type == elf::SHT_NOBITS),
            self.flags,
        )
    }
}

/// A live input section and where it goes (`FileDests::outs`): 16 bytes
/// for each of the 100,000s of input sections.
pub(super) struct SectionDest {
    pub(super) si: u32,
    out: u32,
    /// The input section's type.
    pub(super) in_type: u32,
    // The input section's own, for `join`, which would otherwise read
    // each input section again (a cache miss each).
    align_log2: u8,
    /// A merge-strings section (its pieces are placed by `merge`).
    pub(super) merge: bool,
}

const _: () = assert!(std::mem::size_of::<SectionDest>() <= 16);

impl SectionDest {
    pub(super) fn align(&self) -> u64 {
        1 << self.align_log2
    }
}

/// An output section's name, whether it is NOBITS, and its flags.
pub(super) type SectionKey = (&'static [u8], u32, u64);

pub(super) fn file_dests(inp: &LinkInput, f: usize, o: &ObjectFile, live: &[bool]) -> FileDests {
    dests_of(inp.opts, inp.scripts, f, o, live)
}

/// `file_dests` from the options and scripts alone (merged strings made
/// ahead call it before there is a `LinkInput`).
pub(super) fn dests_of(
    opts: &Options,
    scripts: &crate::script_link::Scripts,
    f: usize,
    o: &ObjectFile,
    live: &[bool],
) -> FileDests {
    let flag_mask = (elf::SHF_ALLOC | elf::SHF_WRITE | elf::SHF_EXECINSTR | elf::SHF_TLS) as u64;
    let mut out = FileDests {
        sections: Vec::with_capacity(o.sections.len()),
        // Room for most files' (then cut to size: a vector grown by
        // doubling leaves its smaller copies behind, for thousands of files).
        outs: Vec::with_capacity(16),
        comments: Vec::new(),
    };
    let mut index = HashMap::new();
    for (si, s) in o.sections.iter().enumerate() {
        if !live[si] {
            continue;
        }
        match s.kind {
            SectionKind::Alloc | SectionKind::MergeStrings | SectionKind::NonAlloc => {}
            SectionKind::Comment => {
                out.comments.push(si as u32);
                continue;
            }
            _ => continue,
        }
        if !s.is_alloc() && (opts.strip_debug || opts.strip_all) && s.name.starts_with(b".debug") {
            continue;
        }
        let rule = scripts.rule(f, si);
        let oname = if let Some(r) = rule {
            // A linker script's SECTIONS named the output section.
            leak(r.out.as_bytes())
        } else if s.sh_type == elf::SHT_NOTE {
            s.name.get()
        } else if let Some(kept) =
            text_prefix_name(s.name.get()).filter(|_| opts.keep_text_section_prefix)
        {
            kept
        } else if let Some(merged) = mergeable_rodata_name(s) {
            merged
        } else {
            known_name(output_name(s.name.get()))
        };
        // Old-style constructor lists join the arrays, as GNU ld's
        // default script puts them (their words are reversed on write).
        let oname: &'static [u8] = match oname {
            b".ctors" => b".init_array",
            b".dtors" => b".fini_array",
            o => o,
        };
        let mut sh_type = s.sh_type;
        if oname == b".init_array" {
            sh_type = elf::SHT_INIT_ARRAY;
        } else if oname == b".fini_array" {
            sh_type = elf::SHT_FINI_ARRAY;
        }
        // `(NOLOAD)`: the output section takes no file space; so, with
        // `--zero-to-bss`, do writable zeros nothing relocates.
        let noload = rule.is_some_and(|r| r.noload)
            || (opts.zero_to_bss
                && s.kind == SectionKind::Alloc
                && s.sh_type == elf::SHT_PROGBITS
                && s.flags & elf::SHF_WRITE != 0
                && s.flags & elf::SHF_TLS == 0
                && s.relocs == 0
                && o.data
                    .get(s.offset as usize..(s.offset + s.size) as usize)
                    .is_some_and(|b| b.iter().all(|&c| c == 0)));
        if noload {
            sh_type = elf::SHT_NOBITS;
        }
        let mut flags = u64::from(s.flags) & flag_mask;
        if s.kind == SectionKind::MergeStrings {
            flags |= (elf::SHF_MERGE | elf::SHF_STRINGS) as u64;
        }
        // `--unique=GLOB`: each matching input section is an output
        // section of its own, under its own name.
        let unique = opts
            .unique_sections
            .iter()
            .any(|g| crate::version_script::glob_match(g.as_bytes(), s.name.get()));
        let dest_out = DestOut {
            oname: if unique { s.name.get() } else { oname },
            sh_type,
            flags,
            unique,
            noload,
        };
        let dest_out = out.out_index(dest_out, &mut index);
        out.sections.push(SectionDest {
            si: si as u32,
            out: dest_out,
            in_type: s.sh_type,
            align_log2: s.align().trailing_zeros() as u8,
            merge: s.kind == SectionKind::MergeStrings,
        });
    }
    out.outs.shrink_to_fit();
    out.sections.shrink_to_fit();
    out
}

pub(super) fn rank_of(name: &[u8], sh_type: u32, flags: u64) -> u32 {
    let alloc = flags & elf::SHF_ALLOC as u64 != 0;
    let exec = flags & elf::SHF_EXECINSTR as u64 != 0;
    let write = flags & elf::SHF_WRITE as u64 != 0;
    let tls = flags & elf::SHF_TLS as u64 != 0;
    if !alloc {
        return if name == b".comment" {
            600
        } else if name.starts_with(b".debug") {
            610
        } else {
            620
        };
    }
    if sh_type == elf::SHT_NOTE {
        return 110;
    }
    if exec {
        return match name {
            b".init" => 200,
            b".text" => 220,
            b".fini" => 240,
            _ => 230,
        };
    }
    if !write {
        return match name {
            b".rodata" => 300,
            b".gcc_except_table" => 340,
            _ => 310,
        };
    }
    if tls {
        return if sh_type == elf::SHT_NOBITS { 401 } else { 400 };
    }
    match name {
        b".preinit_array" => 410,
        b".init_array" | b".ctors" => 411,
        b".fini_array" | b".dtors" => 412,
        b".data.rel.ro" => 420,
        b".copyrel.rel.ro" => 421,
        b".data" => 510,
        b".copyrel" => 589,
        b".bss" => 590,
        b".common" => 591,
        _ if sh_type == elf::SHT_NOBITS => 595,
        _ => 520,
    }
}

pub(crate) fn is_c_ident(name: &[u8]) -> bool {
    !name.is_empty()
        && !name[0].is_ascii_digit()
        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Init/fini array priority from the section name (`.init_array.00101`); plain = 65536.
pub(super) fn array_priority(name: &[u8]) -> u32 {
    let s = String::from_utf8_lossy(name);
    for p in [".init_array.", ".fini_array.", ".preinit_array."] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.parse().unwrap_or(65536);
        }
    }
    // `.ctors.N`/`.dtors.N` run in reverse: 65535 - N.
    for p in [".ctors.", ".dtors."] {
        if let Some(rest) = s.strip_prefix(p) {
            return 65535u32.saturating_sub(rest.parse().unwrap_or(0));
        }
    }
    65536
}

/// Orders the inputs of output sections a linker script's SECTIONS made as
/// GNU ld does: by the rule that placed them (script order), then as the
/// rule's SORT says, then in command-line order.
pub(super) fn script_order(inp: &LinkInput, sections: &mut [OutputSection]) {
    use crate::script::SortKind;
    let res = inp.res;
    for os in sections.iter_mut() {
        if os.inputs.is_empty() {
            continue;
        }
        os.inputs.sort_by_cached_key(|&(f, s)| {
            let isec = &res.objects[f as usize].sections[s as usize];
            match inp.scripts.rule_index(f as usize, s as usize) {
                None => (u32::MAX, Vec::new(), 0u64),
                Some(idx) => {
                    match inp.scripts.rules[idx as usize].sort() {
                        SortKind::Name => (idx, isec.name.to_vec(), 0),
                        // Larger alignments first.
                        SortKind::Alignment => (idx, Vec::new(), u64::MAX - isec.align()),
                        SortKind::InitPriority => {
                            (idx, Vec::new(), array_priority(isec.name.get()) as u64)
                        }
                        SortKind::None | SortKind::Unsorted => (idx, Vec::new(), 0),
                    }
                }
            }
        });
    }
}

/// Whether object `o` makes the stack executable (without `-z
/// [no]execstack`), with GNU ld's warning saying why. An executable
/// `.note.GNU-stack` always does; a missing note only in an object with
/// code (data-only objects from archives, often assembled without the
/// note, don't).
pub(super) fn wants_execstack(opts: &Options, o: &ObjectFile) -> bool {
    if !o.wants_execstack {
        return false;
    }
    if o.missing_gnu_stack {
        let has_code = o
            .sections
            .iter()
            .any(|s| s.flags & elf::SHF_EXECINSTR != 0 && s.size > 0);
        if has_code && opts.warn_execstack {
            crate::error::warn(format!(
                "{}: missing .note.GNU-stack section implies executable stack",
                o.name
            ));
        }
        return has_code;
    }
    if opts.warn_execstack {
        crate::error::warn(format!(
            "{}: requires executable stack (because the .note.GNU-stack section is executable)",
            o.name
        ));
    }
    true
}

/// Regular output sections by (name, NOBITS or not, flags): where input
/// sections with that key join.
pub(super) type ByName = HashMap<SectionKey, u32, BuildHasherDefault<KeyHasher>>;

/// Hashes a `SectionKey`: the name with xxh3, its length and the integers
/// by a multiply (`NameHasher` would run xxh3 on each of the four, and
/// `join` hashes a key per input section). Nothing iterates `ByName`, so
/// the hash decides no order.
#[derive(Default)]
pub(super) struct KeyHasher(u64);

impl KeyHasher {
    fn mix(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.mix(xxhash_rust::xxh3::xxh3_64(bytes));
    }
    fn write_u32(&mut self, v: u32) {
        self.mix(v.into());
    }
    fn write_u64(&mut self, v: u64) {
        self.mix(v);
    }
    fn write_usize(&mut self, v: usize) {
        self.mix(v as u64);
    }
}

/// The regular output sections, made from the live input sections (of
/// the first `files` objects).
#[derive(Default)]
pub(super) struct Joined {
    pub(super) files: usize,
    pub(super) sections: Vec<OutputSection>,
    pub(super) by_name: ByName,
    /// Merge-string input sections: (output section, file, section), in
    /// command-line order (`merge` places their strings).
    pub(super) merge_secs: Vec<(u32, usize, usize)>,
    /// Input `.comment` sections: (file, section), and `.comment` folded
    /// ahead over some of them.
    pub(super) comments: crate::chunks::notes::Comments,
    /// Whether the stack is executable (`-z [no]execstack`, else whether
    /// an input asks for it).
    pub(super) execstack: bool,
    /// While a gap is open (`JoinMark`): per output section, the largest
    /// alignment of the inputs joined after it.
    after_mark: Option<Vec<u64>>,
}

/// An input section's alignment: a kept copy takes the largest alignment
/// of the sections ICF folded into it.
pub(super) fn input_align(res: &Resolved, folded: &Folded, f: usize, si: usize) -> u64 {
    let a = res.objects[f].sections[si].align();
    if folded.align.is_empty() {
        return a;
    }
    folded
        .align
        .get(&(f as u32, si as u32))
        .copied()
        .unwrap_or(a)
}

/// Where the input sections go: each file's destinations
/// (`all_file_dests`), the output sections made from them (`join`), their
/// inputs' order and places (`order_inputs`, `place_inputs`), going on
/// from what was done before the wait (`ahead`: the destinations, and the
/// joined and placed output sections if they were made). The placing's
/// error, if any, is left to the caller to report in its turn.
///
/// `compute` runs it beside the relocation scan: it depends on the live
/// sections alone, and joining and placing are sequential (on two cores:
/// 3.5 ms less layout of a 3,000-object program, 2 ms of ripgrep debug's;
/// medians of 11 alternating links).
pub(super) fn all(
    inp: &LinkInput,
    live: &[Vec<bool>],
    folded: &Folded,
    ahead: (Vec<FileDests>, Option<(Joined, Placed)>),
) -> (Vec<FileDests>, Joined, Result<Placement>) {
    let (dests_ahead, outs_ahead) = ahead;
    let (joined_ahead, placed_ahead) = outs_ahead.unzip();
    let dests = all_file_dests(inp, live, dests_ahead);
    let mut joined = join(inp, &dests, folded, joined_ahead);
    order_inputs(inp, &mut joined.sections);
    let placed = place_inputs(inp, &mut joined.sections, folded, placed_ahead);
    (dests, joined, placed)
}

/// Where each file's live input sections go, as far as the file alone
/// tells (`file_dests`), per file in parallel.
/// `ahead`: the first objects' found before the wait (`LayoutAhead`).
pub(super) fn all_file_dests(
    inp: &LinkInput,
    live: &[Vec<bool>],
    mut ahead: Vec<FileDests>,
) -> Vec<FileDests> {
    let res = inp.res;
    ahead.truncate(res.objects.len());
    let n = ahead.len();
    let rest: Vec<FileDests> = res.objects[n..]
        .par_iter()
        .zip(live[n..].par_iter())
        .enumerate()
        .map(|(i, (o, live))| file_dests(inp, n + i, o, live))
        .collect();
    ahead.extend(rest);
    ahead
}

/// The pass: the output sections in command-line order, each input
/// section joining the one of its name, type and flags (or one of its
/// own with `--unique`); merge-string and `.comment` inputs are set
/// aside for their own passes. `ahead`: the same done for the first
/// inputs before the wait (`JoinAhead`).
pub(super) fn join(
    inp: &LinkInput,
    dests: &[FileDests],
    folded: &Folded,
    ahead: Option<Joined>,
) -> Joined {
    let opts = inp.opts;
    let res = inp.res;
    let (mut j, from) = match ahead {
        Some(j) => {
            let n = j.files;
            (j, n)
        }
        None => (Joined::default(), 0),
    };
    for (f, d) in dests.iter().enumerate().skip(from) {
        join_file(&mut j, res, folded, f, d);
    }
    j.files = res.objects.len();
    // In file order: it warns.
    j.execstack = opts.execstack.unwrap_or(false);
    for o in &res.objects {
        if opts.execstack.is_none() && wants_execstack(opts, o) {
            j.execstack = true;
        }
    }
    j
}

/// Joins file `f`'s live sections (`d`) to their output sections.
pub(super) fn join_file(j: &mut Joined, res: &Resolved, folded: &Folded, f: usize, d: &FileDests) {
    let sections = &mut j.sections;
    (j.comments.inputs).extend(d.comments.iter().map(|&si| (f, si as usize)));
    // Each of the file's destinations' output section, found (or made)
    // once: in order of first use, as the input sections name them.
    let out_idx: Vec<u32> = d
        .outs
        .iter()
        .map(|out| {
            let mut new_section = || add_regular(sections, out.oname, out.sh_type, out.flags);
            if out.unique {
                new_section()
            } else {
                *j.by_name.entry(out.key()).or_insert_with(new_section)
            }
        })
        .collect();
    for dest in &d.sections {
        let si = dest.si as usize;
        let idx = out_idx[dest.out as usize];
        let noload = d.out(dest).noload;
        let os = &mut sections[idx as usize];
        let align = if folded.align.is_empty() {
            dest.align()
        } else {
            input_align(res, folded, f, si)
        };
        os.align = os.align.max(align);
        if dest.merge {
            os.entsize = 1;
            j.merge_secs.push((idx, f, si));
        } else {
            os.inputs.push((f as u32, si as u32));
            if let Some(a) = &mut j.after_mark {
                if a.len() <= idx as usize {
                    a.resize(idx as usize + 1, 1);
                }
                a[idx as usize] = a[idx as usize].max(align);
            }
        }
        if dest.in_type != elf::SHT_NOBITS && os.sh_type == elf::SHT_NOBITS && !noload {
            os.sh_type = dest.in_type;
        }
    }
}

/// A new regular output section of that name, type and flags, ranked as
/// such sections are; returns its index.
pub(super) fn add_regular(
    sections: &mut Vec<OutputSection>,
    name: &'static [u8],
    sh_type: u32,
    flags: u64,
) -> u32 {
    let rank = rank_of(name, sh_type, flags);
    sections.push(OutputSection::new(
        name,
        Synth::Regular,
        sh_type,
        flags,
        1,
        rank,
    ));
    (sections.len() - 1) as u32
}

/// Places input section `(f, s)` in output section `oi` at `off`, aligned;
/// returns the offset after it.
fn place_one(
    res: &Resolved,
    folded: &Folded,
    placement: &mut [Vec<(u32, u64)>],
    oi: usize,
    (f, s): (u32, u32),
    off: u64,
) -> u64 {
    let off = align_up(off, input_align(res, folded, f as usize, s as usize));
    placement[f as usize][s as usize] = (oi as u32, off);
    off + res.objects[f as usize].sections[s as usize].size
}

/// Whether `order_inputs` reorders an output section's inputs by priority.
pub(super) fn reordered(name: &[u8]) -> bool {
    matches!(
        name,
        b".init_array" | b".fini_array" | b".preinit_array" | b".ctors" | b".dtors"
    )
}

/// Input sections placed before the wait (`LayoutAhead`): per output
/// section in join order, how many of its inputs are placed and the offset
/// after them; per object, where its sections went.
#[derive(Default)]
pub(super) struct Placed {
    done: Vec<(usize, u64)>,
    placement: Vec<Vec<(u32, u64)>>,
}

impl Placed {
    /// Where object `f`'s sections are placed (empty if it is not in).
    pub(super) fn row(&self, f: usize) -> &[(u32, u64)] {
        self.placement.get(f).map_or(&[], |r| r.as_slice())
    }

    /// Places the inputs `j` joined since the last call, in join order
    /// (as `place_inputs` does without a linker script).
    pub(super) fn more(&mut self, res: &Resolved, j: &Joined) {
        let folded = Folded::default();
        let n = self.placement.len();
        self.placement.extend(
            res.objects[n..j.files]
                .iter()
                .map(|o| vec![(NONE, 0); o.sections.len()]),
        );
        self.done.resize(j.sections.len(), (0, 0));
        for (oi, os) in j.sections.iter().enumerate() {
            let (k, mut off) = self.done[oi];
            for &(f, s) in &os.inputs[k..] {
                off = place_one(res, &folded, &mut self.placement, oi, (f, s), off);
            }
            self.done[oi] = (os.inputs.len(), off);
        }
    }
}

/// The regions the writer cuts for `inputs` (file, section) of an output
/// section, each input's place given by `row` (per file): (offset, size,
/// file, section) of those with contents.
pub(crate) fn input_regions<'a>(
    res: &'a Resolved,
    inputs: &'a [(u32, u32)],
    row: impl Fn(usize) -> &'a [(u32, u64)] + 'a,
) -> impl Iterator<Item = (u64, u64, u32, u32)> + 'a {
    inputs.iter().filter_map(move |&(f, si)| {
        let isec = &res.objects[f as usize].sections[si as usize];
        (!isec.is_nobits()).then(|| (row(f as usize)[si as usize].1, isec.size, f, si))
    })
}

/// Orders each output section's inputs (init/fini arrays by priority, a
/// linker script's rules) and raises alignments (`--section-align`, a
/// script's `ALIGN`).
pub(super) fn order_inputs(inp: &LinkInput, sections: &mut [OutputSection]) {
    let opts = inp.opts;
    let res = inp.res;
    // Init/fini arrays run in priority order; stable within a priority.
    for os in sections.iter_mut() {
        if reordered(&os.name) {
            os.inputs.sort_by_key(|&(f, s)| {
                array_priority(res.objects[f as usize].sections[s as usize].name.get())
            });
        }
    }
    if !inp.scripts.rules.is_empty() {
        script_order(inp, sections);
    }
    // Minimum alignments: --section-align, a script's ALIGN(n).
    for (name, a) in opts.section_aligns.iter().chain(&inp.scripts.aligns) {
        for os in sections.iter_mut().filter(|s| s.name == name.as_bytes()) {
            os.align = os.align.max(*a);
        }
    }
}

/// Each input section's place (per file, per section: output section and
/// offset, or NONE) and the script data's places (output section, offset,
/// statement).
pub(super) type Placement = (Vec<Vec<(u32, u64)>>, Vec<(u32, u64, u32)>);

/// Places the input sections within their output sections (and a linker
/// script's data statements among them; a folded section where its kept
/// copy is) and sizes the output sections.
pub(super) fn place_inputs(
    inp: &LinkInput,
    sections: &mut [OutputSection],
    folded: &Folded,
    ahead: Option<Placed>,
) -> Result<Placement> {
    let res = inp.res;
    // Where the first inputs were placed before the wait: an output
    // section goes on from there unless its inputs were reordered.
    let ahead = ahead.filter(|_| inp.scripts.data.is_empty());
    let (mut placement, done) = match ahead {
        Some(p) => (p.placement, p.done),
        None => (Vec::new(), Vec::new()),
    };
    placement.truncate(res.objects.len());
    let n = placement.len();
    placement.extend(
        res.objects[n..]
            .iter()
            .map(|o| vec![(NONE, 0); o.sections.len()]),
    );
    // Place input sections within their output sections (and a linker
    // script's data statements among them).
    let mut script_data: Vec<(u32, u64, u32)> = Vec::new();
    for (oi, os) in sections.iter_mut().enumerate() {
        let (skip, mut off) = match done.get(oi) {
            Some(&(k, off)) if !reordered(&os.name) && k <= os.inputs.len() => (k, off),
            _ => (0, 0),
        };
        if skip < os.regions_ahead.0 {
            // Placed again: the regions found ahead are stale.
            os.regions_ahead = Default::default();
        }
        let data = &inp.scripts.data;
        let mut data_here = (0..data.len()).filter(|&d| data[d].out.as_bytes() == os.name);
        let mut next_data = data_here.next();
        let mut place_data = |off: &mut u64, before_rule: u32, next: &mut Option<usize>| {
            while let Some(d) = next.filter(|&d| data[d].after_rules <= before_rule) {
                script_data.push((oi as u32, *off, d as u32));
                *off += data[d].size as u64;
                *next = data_here.next();
            }
        };
        for &(f, s) in &os.inputs[skip..] {
            if next_data.is_some() {
                let r = inp
                    .scripts
                    .rule_index(f as usize, s as usize)
                    .unwrap_or(u32::MAX);
                place_data(&mut off, r, &mut next_data);
            }
            off = place_one(res, folded, &mut placement, oi, (f, s), off);
        }
        place_data(&mut off, u32::MAX, &mut next_data);
        os.size = off;
    }
    if let Some(d) = inp.scripts.unplaced_data(&script_data, sections) {
        return Err(d);
    }
    // Folded sections are where their kept copy is: their symbols, and
    // relocations to them (debug info too), resolve into it.
    for &((f, s), (lf, ls)) in &folded.pairs {
        placement[f as usize][s as usize] = placement[lf as usize][ls as usize];
    }
    Ok((placement, script_data))
}

/// Where the output sections stood when the fold passed the place of an
/// object not in yet (a gap in the resolution, `LayoutAhead`): the objects
/// after it are joined and placed as if it had no sections, and when it
/// comes its sections are put where the fold would have put them
/// (`splice`), or the fold goes back to here (`truncate`).
pub(super) struct JoinMark {
    /// The gap's file id.
    gap: usize,
    sections: usize,
    merge_secs: usize,
    comment_inputs: usize,
    /// Per output section then: its inputs, alignment, type, entry size,
    /// the regions cut for its inputs (how many), and where placing stood.
    per_os: Vec<OsMark>,
}

#[derive(Clone, Copy, Default)]
struct OsMark {
    inputs: usize,
    align: u64,
    sh_type: u32,
    entsize: u64,
    regions: usize,
    done: (usize, u64),
}

impl JoinMark {
    /// The output sections `j` and the places `p` of the objects before
    /// `gap` (all of them, and none after).
    pub(super) fn new(j: &mut Joined, p: &Placed, gap: usize) -> JoinMark {
        j.after_mark = Some(Vec::new());
        let per_os = (j.sections.iter().enumerate())
            .map(|(oi, os)| OsMark {
                inputs: os.inputs.len(),
                align: os.align,
                sh_type: os.sh_type,
                entsize: os.entsize,
                regions: os.regions_ahead.1.len(),
                done: p.done.get(oi).copied().unwrap_or((0, 0)),
            })
            .collect();
        JoinMark {
            gap,
            sections: j.sections.len(),
            merge_secs: j.merge_secs.len(),
            comment_inputs: j.comments.inputs.len(),
            per_os,
        }
    }

    /// The gap's file id.
    pub(super) fn gap(&self) -> usize {
        self.gap
    }

    /// How many input `.comment` sections come before the gap.
    pub(super) fn comments(&self) -> usize {
        self.comment_inputs
    }

    /// Takes `j` and `p` back to the mark: the objects from the gap on are
    /// out.
    pub(super) fn truncate(&self, j: &mut Joined, p: &mut Placed) {
        j.after_mark = None;
        j.sections.truncate(self.sections);
        j.by_name.retain(|_, &mut oi| (oi as usize) < self.sections);
        j.merge_secs.truncate(self.merge_secs);
        j.comments.inputs.truncate(self.comment_inputs);
        for (os, m) in j.sections.iter_mut().zip(&self.per_os) {
            os.inputs.truncate(m.inputs);
            os.align = m.align;
            os.sh_type = m.sh_type;
            os.entsize = m.entsize;
            os.regions_ahead.1.truncate(m.regions);
            os.regions_ahead.0 = m.inputs;
        }
        j.files = self.gap;
        p.placement.truncate(self.gap);
        p.done = self.per_os.iter().map(|m| m.done).collect();
    }

    /// The output sections made after the mark, numbered as a fold in
    /// order makes them: those the gap's object names (`out_idx`, as
    /// `d.outs`) first, in that order, then the others as they were; every
    /// place that names them (`j`, `p`, `out_idx`) follows. False, with
    /// nothing changed but the new ones added (from `made_here` on), where
    /// one the objects after it made has another type than it would give
    /// it.
    fn renumber(
        &self,
        (j, p): (&mut Joined, &mut Placed),
        out_idx: &mut [u32],
        d: &FileDests,
        made_here: usize,
    ) -> bool {
        let first = self.sections;
        let mut order: Vec<u32> = Vec::new();
        for (&oi, out) in out_idx.iter().zip(&d.outs) {
            if (oi as usize) < first || order.contains(&oi) {
                continue;
            }
            // (Made after the gap, with another type of the same key.)
            if (oi as usize) < made_here && j.sections[oi as usize].sh_type != out.sh_type {
                return false;
            }
            order.push(oi);
        }
        let n = j.sections.len();
        let rest: Vec<u32> = (first as u32..n as u32)
            .filter(|oi| !order.contains(oi))
            .collect();
        order.extend(rest);
        if order
            .iter()
            .enumerate()
            .all(|(k, &oi)| oi as usize == first + k)
        {
            return true;
        }
        let mut perm: Vec<u32> = (0..n as u32).collect();
        for (k, &oi) in order.iter().enumerate() {
            perm[oi as usize] = (first + k) as u32;
        }
        let map = |oi: &mut u32| {
            if *oi != NONE && (*oi as usize) < n {
                *oi = perm[*oi as usize];
            }
        };
        let mut tail: Vec<Option<OutputSection>> = j.sections.drain(first..).map(Some).collect();
        j.sections.extend(
            order
                .iter()
                .map(|&oi| tail[oi as usize - first].take().expect("once")),
        );
        j.by_name.values_mut().for_each(map);
        out_idx.iter_mut().for_each(map);
        for m in &mut j.merge_secs[self.merge_secs..] {
            map(&mut m.0);
        }
        for row in &mut p.placement[self.gap..] {
            for (oi, _) in row.iter_mut() {
                map(oi);
            }
        }
        p.done.resize(n, (0, 0));
        let done = p.done.split_off(first);
        p.done
            .extend(order.iter().map(|&oi| done[oi as usize - first]));
        if let Some(a) = &mut j.after_mark {
            a.resize(n, 1);
            let after = a.split_off(first);
            a.extend(order.iter().map(|&oi| after[oi as usize - first]));
        }
        true
    }

    /// Puts the gap's object (`d`: where its live sections go) in its
    /// place among the objects joined and placed after it: its inputs
    /// where the fold puts them, the inputs after them placed again (in
    /// the output sections it adds to), and their regions cut again; the
    /// output sections it names that the objects after it made first are
    /// numbered as if it had (`renumber`). False where that would not be
    /// the fold's result (see `renumber`).
    pub(super) fn splice(
        &self,
        res: &Resolved,
        j: &mut Joined,
        p: &mut Placed,
        d: &FileDests,
    ) -> bool {
        let gap = self.gap;
        let made_here = j.sections.len();
        // Made as `join_file` makes them: new ones last for now.
        let mut out_idx: Vec<u32> = (d.outs.iter())
            .map(|out| {
                let sections = &mut j.sections;
                let mut new_section = || add_regular(sections, out.oname, out.sh_type, out.flags);
                if out.unique {
                    new_section()
                } else {
                    *j.by_name.entry(out.key()).or_insert_with(new_section)
                }
            })
            .collect();
        if !self.renumber((j, p), &mut out_idx, d, made_here) {
            return false;
        }
        let mut inserted: Vec<Vec<(u32, u32)>> = vec![Vec::new(); j.sections.len()];
        let mut merge = Vec::new();
        let mut typed = vec![false; j.sections.len()];
        for dest in &d.sections {
            let idx = out_idx[dest.out as usize] as usize;
            let os = &mut j.sections[idx];
            os.align = os.align.max(dest.align());
            if dest.merge {
                os.entsize = 1;
                merge.push((idx as u32, gap, dest.si as usize));
            } else {
                inserted[idx].push((gap as u32, dest.si));
            }
            // The first input with contents types a NOBITS section: the
            // gap's comes before those after it.
            let was = match self.per_os.get(idx) {
                Some(m) if !typed[idx] => m.sh_type,
                _ => os.sh_type,
            };
            if dest.in_type != elf::SHT_NOBITS && was == elf::SHT_NOBITS && !d.out(dest).noload {
                os.sh_type = dest.in_type;
                typed[idx] = true;
            }
        }
        let at = self.merge_secs;
        j.merge_secs.splice(at..at, merge);
        let at = self.comment_inputs;
        (j.comments.inputs).splice(at..at, d.comments.iter().map(|&si| (gap, si as usize)));
        let nsec = res.objects[gap].sections.len();
        p.placement[gap] = vec![(NONE, 0); nsec];
        p.done.resize(j.sections.len(), (0, 0));
        let folded = Folded::default();
        let after_mark = j.after_mark.take().unwrap_or_default();
        for (oi, mine) in inserted.into_iter().enumerate() {
            if mine.is_empty() {
                continue;
            }
            // (One made after the mark had nothing at it.)
            let m = self.per_os.get(oi).copied().unwrap_or_default();
            let os = &mut j.sections[oi];
            let k = mine.len();
            os.inputs.splice(m.inputs..m.inputs, mine);
            let mut off = m.done.1;
            for &(f, s) in &os.inputs[m.inputs..m.inputs + k] {
                off = place_one(res, &folded, &mut p.placement, oi, (f, s), off);
            }
            let placement = &mut p.placement;
            let rest = &os.inputs[m.inputs + k..];
            // The inputs after its move by as much, if that keeps each
            // one aligned as placing them again would (they are many:
            // placing reads each one's section).
            let by = rest.first().and_then(|&(f, s)| {
                let was = placement[f as usize][s as usize].1;
                let a = res.objects[f as usize].sections[s as usize].align();
                let by = align_up(off, a) - was;
                by.is_multiple_of(after_mark.get(oi).copied().unwrap_or(1))
                    .then_some(by)
            });
            let (covered, regions) = &mut os.regions_ahead;
            let mine: Vec<_> = match by {
                Some(by) => {
                    for &(f, s) in rest {
                        placement[f as usize][s as usize].1 += by;
                    }
                    for r in &mut regions[m.regions..] {
                        r.0 += by;
                    }
                    p.done[oi].1 += by;
                    let placement = &*placement;
                    input_regions(res, &os.inputs[m.inputs..m.inputs + k], |f| {
                        placement[f].as_slice()
                    })
                    .collect()
                }
                None => {
                    for &(f, s) in rest {
                        off = place_one(res, &folded, placement, oi, (f, s), off);
                    }
                    p.done[oi].1 = off;
                    regions.truncate(m.regions);
                    let placement = &*placement;
                    input_regions(res, &os.inputs[m.inputs..], |f| placement[f].as_slice())
                        .collect()
                }
            };
            regions.splice(m.regions..m.regions, mine);
            p.done[oi].0 = os.inputs.len();
            *covered = os.inputs.len();
        }
        true
    }
}
