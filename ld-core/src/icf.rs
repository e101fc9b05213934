//! Identical code folding (`--icf=all|safe`), run by layout once the live
//! sections are known. Two input sections fold when they have the same
//! type, flags and bytes, the same `.eh_frame` FDEs (their CIE, which
//! names the personality routine, and their LSDA in `.gcc_except_table`),
//! and the same relocations whose targets are the same, or are sections
//! that themselves fold. That last part is circular (two functions that
//! call each other fold with two others that do the same), so classes are
//! found by partition refinement: start from classes of equal contents,
//! then split a class whenever its members' relocation targets fall in
//! different classes, until no class splits. What is left is the largest
//! folding consistent with the relocations.
//!
//! Eligible: live `SHT_PROGBITS` allocated sections that are not
//! writable, not TLS, not empty, not `.init`/`.fini` and not
//! `__start_`/`__stop_` sections (C-identifier names). Code is eligible
//! under `all` whatever happens to its address; `.gcc_except_table` always
//! (only the unwinder reads it); other read-only data, and under `safe`
//! code too, only when its address is not significant: no input takes
//! it other than to call it. An object with `.llvm_addrsig` lists the
//! symbols whose address it takes; for one without, every relocation that
//! is not a direct call or jump takes its target's address. Exported
//! symbols and the entry point are significant too.
//!
//! Each class keeps its first section in input order (the result does not
//! depend on threads); the others are discarded, their symbols and the
//! relocations to them point into the kept copy (layout gives them its
//! placement), and their FDEs are dropped with them. The kept copy takes
//! the largest alignment of its class.

use crate::arch::{Arch, Native};
use crate::layout::{self, LinkInput};
use crate::object_file::{EhRecordKind, ObjectFile, Reloc, SectionKind};
use crate::options::Icf;
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use rayon::prelude::*;
use std::collections::HashMap;

const SHT_LLVM_ADDRSIG: u32 = 0x6fff_4c03;

/// An input section: (file, section index).
type SecId = (u32, u32);

/// What ICF decided.
#[derive(Default)]
pub struct Folded {
    /// (folded section, the section kept in its place), both as (file,
    /// section), in input order of the folded ones.
    pub pairs: Vec<((u32, u32), (u32, u32))>,
    /// Kept sections whose alignment grows to the largest of their class.
    pub align: HashMap<(u32, u32), u64>,
}

/// What a relocation points at, as far as equality goes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    /// A global symbol that is not a plain definition in an input section
    /// (imported, preemptible, IFUNC, absolute, common, synthetic).
    Symbol(SymbolId),
    /// An input section that is not eligible: it must be the same one.
    Section(u32, u32),
    /// An eligible section: equal when the two targets' classes are (the
    /// class is an edge of the graph, compared during refinement).
    Eligible,
    /// A merged string: its bytes and the offset within it decide the
    /// address, whichever input held it.
    Piece {
        out_name: &'static [u8],
        flags: u64,
        bytes: &'static [u8],
        inner: u32,
    },
    /// An absolute local symbol's value, or no symbol.
    Value(u64),
    /// A file-local symbol in a section cld does not place by offset
    /// (`.eh_frame`, or an index out of range): the symbol itself.
    Local(u32, u32),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct RelKey {
    offset: u64,
    rtype: u32,
    /// The addend plus the target symbol's offset in its section.
    addend: i64,
    target: Target,
}

/// Everything about a section that must be equal for it to fold, except
/// the classes of the eligible sections it refers to.
#[derive(PartialEq, Eq, Hash)]
struct Shape {
    sh_type: u32,
    flags: u64,
    bytes: &'static [u8],
    relocs: Vec<RelKey>,
    /// Per FDE: its CIE (interned), its bytes after the CIE pointer, and
    /// its relocations other than the one to the section itself.
    fdes: Vec<(u32, &'static [u8], Vec<RelKey>)>,
}

/// Runs ICF over the live sections; folded sections are marked dead in
/// `live`.
pub fn fold(inp: &LinkInput, live: &mut [Vec<bool>]) -> Folded {
    let res = inp.res;
    let addr_taken = address_significant(inp, live);
    let all = inp.opts.icf == Icf::All;
    // Eligible sections in input order; their index is their graph vertex.
    let mut elig: Vec<(u32, u32)> = Vec::new();
    let mut vertex: Vec<HashMap<u32, u32>> = vec![HashMap::new(); res.objects.len()];
    for (f, o) in res.objects.iter().enumerate() {
        for si in 0..o.sections.len() {
            if live[f][si] && eligible(o, si, all, addr_taken[f][si]) {
                vertex[f].insert(si as u32, elig.len() as u32);
                elig.push((f as u32, si as u32));
            }
        }
    }
    if elig.len() < 2 {
        return Folded::default();
    }
    let fdes = fdes_by_section(res, live);
    let mut cies: HashMap<layout::CieKey, u32> = HashMap::new();
    let cie_ids: Vec<HashMap<(u32, u32), u32>> = res
        .objects
        .iter()
        .enumerate()
        .map(|(f, o)| {
            let mut ids = HashMap::new();
            // Only FDEs of eligible sections are compared.
            if vertex[f].is_empty() {
                return ids;
            }
            for (sec, recs) in &o.eh_frames {
                for r in recs.iter().filter(|r| r.kind == EhRecordKind::Cie) {
                    let n = cies.len() as u32;
                    let id = *cies.entry(layout::cie_key(res, f, *sec, r)).or_insert(n);
                    ids.insert((*sec, r.offset), id);
                }
            }
            ids
        })
        .collect();
    let ctx = ShapeCtx {
        res,
        vertex: &vertex,
        fdes: &fdes,
        cie_ids: &cie_ids,
    };
    let shapes: Vec<(Shape, Vec<u32>)> = elig
        .par_iter()
        .map(|&(f, s)| ctx.shape(f as usize, s as usize))
        .collect();
    let class = refine(&shapes);
    decide(res, &elig, &class, live)
}

/// Splits the sections into classes: first by shape, then by the classes
/// of their edges, until the number of classes stops growing (a split
/// never merges, so the partition is then stable). Class ids are given in
/// vertex order, so the result is the same on any number of threads.
fn refine(shapes: &[(Shape, Vec<u32>)]) -> Vec<u32> {
    let mut ids: HashMap<&Shape, u32> = HashMap::with_capacity(shapes.len());
    let mut class: Vec<u32> = shapes
        .iter()
        .map(|(s, _)| {
            let n = ids.len() as u32;
            *ids.entry(s).or_insert(n)
        })
        .collect();
    let mut count = ids.len();
    drop(ids);
    loop {
        let keys: Vec<(u32, Vec<u32>)> = shapes
            .par_iter()
            .zip(class.par_iter())
            .map(|((_, edges), &c)| (c, edges.iter().map(|&e| class[e as usize]).collect()))
            .collect();
        let mut ids: HashMap<&(u32, Vec<u32>), u32> = HashMap::with_capacity(count);
        let next: Vec<u32> = keys
            .iter()
            .map(|k| {
                let n = ids.len() as u32;
                *ids.entry(k).or_insert(n)
            })
            .collect();
        if ids.len() == count {
            return class;
        }
        count = ids.len();
        class = next;
    }
}

/// The first section of each class is kept; the others are folded into it.
fn decide(res: &Resolved, elig: &[(u32, u32)], class: &[u32], live: &mut [Vec<bool>]) -> Folded {
    let mut leader: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut out = Folded::default();
    for (i, &(f, s)) in elig.iter().enumerate() {
        let l = *leader.entry(class[i]).or_insert((f, s));
        if l == (f, s) {
            continue;
        }
        live[f as usize][s as usize] = false;
        out.pairs.push(((f, s), l));
        let align = res.objects[f as usize].sections[s as usize].align();
        let own = res.objects[l.0 as usize].sections[l.1 as usize].align();
        let a = out.align.entry(l).or_insert(own);
        *a = (*a).max(align);
    }
    out.align
        .retain(|&(f, s), a| *a > res.objects[f as usize].sections[s as usize].align());
    out
}

/// `--print-icf-sections`: each kept section and those folded into it, in
/// the form lld and mold print.
pub fn print(res: &Resolved, folded: &Folded) {
    use std::io::Write;
    let name = |(f, s): (u32, u32)| {
        let o = &res.objects[f as usize];
        format!("{}:({})", o.name, o.section_name(s as usize))
    };
    let mut by_leader: Vec<(SecId, Vec<SecId>)> = Vec::new();
    let mut idx: HashMap<(u32, u32), usize> = HashMap::new();
    for &(f, l) in &folded.pairs {
        let i = *idx.entry(l).or_insert_with(|| {
            by_leader.push((l, Vec::new()));
            by_leader.len() - 1
        });
        by_leader[i].1.push(f);
    }
    by_leader.sort_by_key(|(l, _)| *l);
    let mut saved = 0u64;
    let mut out = std::io::stdout().lock();
    for (l, folded) in &by_leader {
        let _ = writeln!(out, "selected section {}", name(*l));
        for &f in folded {
            let _ = writeln!(out, "  removing identical section {}", name(f));
            saved += res.objects[f.0 as usize].sections[f.1 as usize].size;
        }
    }
    let _ = writeln!(out, "ICF saved {saved} bytes");
}

fn eligible(o: &ObjectFile, si: usize, all: bool, addr_taken: bool) -> bool {
    let s = &o.sections[si];
    let flags = s.flags;
    if s.kind != SectionKind::Alloc
        || s.sh_type != elf::SHT_PROGBITS
        || s.size == 0
        || flags & (elf::SHF_WRITE | elf::SHF_TLS) != 0
        || layout::is_c_ident(s.name.get())
        || s.name == b".init"
        || s.name == b".fini"
    {
        return false;
    }
    if flags & elf::SHF_EXECINSTR != 0 {
        return all || !addr_taken;
    }
    // Only the unwinder reads exception tables, through their FDE.
    if s.name == b".gcc_except_table" || s.name.starts_with(b".gcc_except_table.") {
        return true;
    }
    !addr_taken
}

/// Per file, the live FDEs of each section: (section, [(frame, record)]).
fn fdes_by_section(res: &Resolved, live: &[Vec<bool>]) -> Vec<HashMap<u32, Vec<(u32, u32)>>> {
    res.objects
        .iter()
        .enumerate()
        .map(|(f, o)| {
            let mut m: HashMap<u32, Vec<(u32, u32)>> = HashMap::new();
            for (fi, (sec, recs)) in o.eh_frames.iter().enumerate() {
                if !live[f][*sec as usize] {
                    continue;
                }
                for (ri, r) in recs.iter().enumerate() {
                    if let EhRecordKind::Fde { .. } = r.kind {
                        if let Some(t) = layout::fde_target_section(o, *sec, r) {
                            m.entry(t).or_default().push((fi as u32, ri as u32));
                        }
                    }
                }
            }
            m
        })
        .collect()
}

struct ShapeCtx<'a> {
    res: &'a Resolved,
    /// Per file: eligible section -> vertex.
    vertex: &'a [HashMap<u32, u32>],
    fdes: &'a [HashMap<u32, Vec<(u32, u32)>>],
    /// Per file: (.eh_frame section, CIE offset) -> interned CIE.
    cie_ids: &'a [HashMap<(u32, u32), u32>],
}

impl ShapeCtx<'_> {
    /// A section's shape and its edges (the vertices its relocations and
    /// FDEs' relocations reach, in order).
    fn shape(&self, f: usize, si: usize) -> (Shape, Vec<u32>) {
        let o = &self.res.objects[f];
        let s = &o.sections[si];
        let mut edges = Vec::new();
        let relocs = o
            .relocs_of(s)
            .iter()
            .map(|r| self.rel_key(f, r, r.offset(), &mut edges))
            .collect();
        let mut fdes = Vec::new();
        for &(fi, ri) in self.fdes[f].get(&(si as u32)).map_or(&[][..], |v| v) {
            let (sec, recs) = &o.eh_frames[fi as usize];
            let r = &recs[ri as usize];
            let EhRecordKind::Fde { cie } = r.kind else {
                continue;
            };
            let cie = self.cie_ids[f]
                .get(&(*sec, cie))
                .copied()
                .unwrap_or(u32::MAX);
            let data = o.section_data(*sec as usize);
            let bytes = data
                .get(r.offset as usize + 8..(r.offset + r.size) as usize)
                .unwrap_or(&[]);
            // Trailing zeros are DW_CFA_nop padding (the last FDE of a
            // section is padded to its alignment), or zero operands that
            // both records then have: they do not make FDEs differ.
            let bytes = &bytes[..bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)];
            let rels = o
                .record_relocs(*sec, r)
                .iter()
                .filter(|x| x.offset() != r.offset as u64 + 8)
                .map(|x| self.rel_key(f, x, x.offset().wrapping_sub(r.offset as u64), &mut edges))
                .collect();
            fdes.push((cie, bytes, rels));
        }
        let shape = Shape {
            sh_type: s.sh_type,
            flags: u64::from(s.flags),
            bytes: o.section_data(si),
            relocs,
            fdes,
        };
        (shape, edges)
    }

    fn rel_key(&self, f: usize, r: &Reloc, offset: u64, edges: &mut Vec<u32>) -> RelKey {
        let res = self.res;
        let mut key = RelKey {
            offset,
            rtype: r.rtype(),
            addend: r.addend(),
            target: Target::Value(0),
        };
        let (tf, sym) = match res.global_of(f, r.sym()) {
            Some(id) => {
                let g = &res.symbols[id as usize];
                match g.def {
                    SymDef::Object { file, sym } if !g.preemptible => (file as usize, sym),
                    _ => {
                        key.target = Target::Symbol(id);
                        return key;
                    }
                }
            }
            None => (f, r.sym()),
        };
        let to = &res.objects[tf];
        let ts = &to.symbols[sym as usize];
        let sh = ts.shndx as usize;
        if ts.shndx == elf::SHN_ABS as u32 || sh == 0 {
            key.target = Target::Value(ts.value);
            return key;
        }
        if sh >= to.sections.len()
            || ts.typ == elf::STT_GNU_IFUNC
            || to.sections[sh].kind == SectionKind::EhFrame
        {
            key.target = match res.global_of(tf, sym) {
                Some(id) => Target::Symbol(id),
                None => Target::Local(tf as u32, sym),
            };
            return key;
        }
        let isec = &to.sections[sh];
        if isec.kind == SectionKind::MergeStrings {
            if let Some(k) = piece_key(to, sh, ts, r.addend()) {
                key.addend = k.1;
                key.target = k.0;
                return key;
            }
        }
        key.addend = r.addend().wrapping_add(ts.value as i64);
        key.target = match self.vertex[tf].get(&(sh as u32)) {
            Some(&v) => {
                edges.push(v);
                Target::Eligible
            }
            None => Target::Section(tf as u32, sh as u32),
        };
        key
    }
}

/// A merged string target, as `layout::local_sym_addr` resolves it: the
/// piece, the offset within it, and what is added after.
fn piece_key(
    o: &ObjectFile,
    sh: usize,
    s: &crate::object_file::InputSymbol,
    addend: i64,
) -> Option<(Target, i64)> {
    let (target, rest) = if s.typ == elf::STT_SECTION {
        ((s.value as i64).wrapping_add(addend), 0)
    } else {
        (s.value as i64, addend)
    };
    let t = u32::try_from(target).ok()?;
    let i = o.piece_at(sh, t)?;
    let bytes = o.piece_bytes(sh, i);
    let sec = &o.sections[sh];
    Some((
        Target::Piece {
            out_name: layout::output_name(sec.name.get()),
            flags: u64::from(sec.flags),
            bytes,
            inner: t - o.pieces[i].offset,
        },
        rest,
    ))
}

/// Per file and section: whether some input may compare its address (see
/// the module comment).
fn address_significant(inp: &LinkInput, live: &[Vec<bool>]) -> Vec<Vec<bool>> {
    let res = inp.res;
    let marks: Vec<Vec<(u32, u32)>> = (0..res.objects.len())
        .into_par_iter()
        .map(|f| {
            let o = &res.objects[f];
            let mut v = Vec::new();
            if let Some(syms) = addrsig(o) {
                for sym in syms {
                    if let Some(t) = symbol_section(res, f, sym) {
                        v.push(t);
                    }
                }
                return v;
            }
            for (si, s) in o.sections.iter().enumerate() {
                if !live[f][si] || !s.is_alloc() || s.kind == SectionKind::EhFrame {
                    continue;
                }
                let exec = s.flags & elf::SHF_EXECINSTR != 0;
                let bytes = o.section_data(si);
                for r in o.relocs_of(s) {
                    if exec && is_branch(bytes, r) {
                        continue;
                    }
                    if let Some(t) = symbol_section(res, f, r.sym()) {
                        v.push(t);
                    }
                }
            }
            v
        })
        .collect();
    let mut out: Vec<Vec<bool>> = res
        .objects
        .iter()
        .map(|o| vec![false; o.sections.len()])
        .collect();
    for (f, s) in marks.into_iter().flatten() {
        out[f as usize][s as usize] = true;
    }
    // Another module may compare an exported symbol's address; the entry
    // point and DT_INIT/DT_FINI are addresses handed out.
    let mut names: Vec<&[u8]> = Vec::new();
    let entry = inp.opts.entry.as_deref().unwrap_or("_start");
    names.push(entry.as_bytes());
    names.push(inp.opts.init.as_deref().unwrap_or("_init").as_bytes());
    names.push(inp.opts.fini.as_deref().unwrap_or("_fini").as_bytes());
    let named = names.iter().filter_map(|n| res.lookup(n));
    let exported = (0..res.symbols.len() as u32).filter(|&id| {
        let s = &res.symbols[id as usize];
        s.export || s.dso_ref
    });
    for id in named.chain(exported) {
        if let SymDef::Object { file, sym } = res.symbols[id as usize].def {
            if let Some((f, s)) = symbol_section(res, file as usize, sym) {
                out[f as usize][s as usize] = true;
            }
        }
    }
    out
}

/// The input section symbol `sym` of file `f` is defined in (through
/// global resolution).
fn symbol_section(res: &Resolved, f: usize, sym: u32) -> Option<(u32, u32)> {
    let (tf, tsym) = match res.global_of(f, sym) {
        Some(id) => match res.symbols[id as usize].def {
            SymDef::Object { file, sym } => (file as usize, sym),
            _ => return None,
        },
        None => (f, sym),
    };
    let o = &res.objects[tf];
    let s = o.symbols.get(tsym as usize)?;
    let sh = s.shndx as usize;
    (sh != 0 && sh < o.sections.len()).then_some((tf as u32, sh as u32))
}

/// A relocation that is the target of a direct call or jump (`call`,
/// `jmp`, `jcc` with a 32-bit displacement): it does not take the address.
fn is_branch(bytes: &[u8], r: &Reloc) -> bool {
    Native::is_branch(r.rtype(), bytes, r.offset())
}

/// The symbol indices of an object's `.llvm_addrsig` (ULEB128 each), or
/// None when it has none or it cannot be read (then relocations decide).
fn addrsig(o: &ObjectFile) -> Option<Vec<u32>> {
    let s = o.sections.iter().find(|s| s.sh_type == SHT_LLVM_ADDRSIG)?;
    let data = o.data.get(
        usize::try_from(s.offset).ok()?..usize::try_from(s.offset.checked_add(s.size)?).ok()?,
    )?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *data.get(i)?;
            i += 1;
            if shift >= 64 {
                return None;
            }
            v |= u64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let sym = u32::try_from(v)
            .ok()
            .filter(|&s| (s as usize) < o.symbols.len())?;
        out.push(sym);
    }
    Some(out)
}
