//! `.dynstr` and symbol versions (dynamic outputs). The strings in a
//! fixed order (needed sonames, `-soname`, run path, symbol names, version
//! names), each once; `.gnu.version` indices, `.gnu.version_r` (the
//! versions imports need, per library) and `.gnu.version_d` (a version
//! script's nodes), encoded ready to write; the sections added with
//! their sizes and written.

use super::{section, Added, A};
use crate::layout::dynsym::{dynsym_name, elf_hash, DynSyms};
use crate::layout::{Layout, LinkInput, Synth};
use crate::resolve::{SymDef, SymbolId};
use crate::write::w16;
use object::elf;
use std::collections::HashMap;

/// `.dynstr` as it is made: each string once.
struct DynStr {
    bytes: Vec<u8>,
    cache: HashMap<Vec<u8>, u32>,
}

impl DynStr {
    /// The offset of `s`, added if it is new.
    fn add(&mut self, s: &[u8]) -> u32 {
        if let Some(&o) = self.cache.get(s) {
            return o;
        }
        let o = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s);
        self.bytes.push(0);
        self.cache.insert(s.to_vec(), o);
        o
    }
}

/// `.dynstr` and the version sections.
pub(crate) struct DynStrings {
    pub(crate) dynstr: Vec<u8>,
    /// Each dynamic symbol's name.
    pub(crate) dynstr_offsets: HashMap<SymbolId, u32>,
    /// For `.dynamic`: the needed libraries' sonames (as
    /// `DynSyms::needed`), `-soname`, the run path.
    pub(crate) needed: Vec<u32>,
    pub(crate) soname: Option<u32>,
    pub(crate) rpath: Option<u32>,
    /// Per dynamic symbol (after the null entry): its version index.
    pub(crate) versyms: Vec<u16>,
    /// `.gnu.version_r` and `.gnu.version_d`, ready to write.
    pub(crate) verneed: Vec<u8>,
    pub(crate) verneed_count: u32,
    pub(crate) verdef: Vec<u8>,
    pub(crate) verdef_count: u32,
}

/// The pass (dynamic outputs): `.dynstr` (the needed libraries' sonames,
/// `-soname`, the run path, the dynamic symbols' names, then the
/// versions'), the version needs and the version definitions.
pub(crate) fn dynstr_and_versions(inp: &LinkInput, syms: &DynSyms, relr: bool) -> DynStrings {
    let opts = inp.opts;
    let res = inp.res;
    let dynamic = opts.output_kind.is_dynamic();
    let dynsyms = &syms.dynsyms;
    let mut dynstr = DynStr {
        bytes: vec![0],
        cache: HashMap::new(),
    };
    let mut dynstr_offsets: HashMap<SymbolId, u32> = HashMap::new();
    let (mut needed, mut soname, mut rpath) = (Vec::new(), None, None);
    let mut versyms: Vec<u16> = Vec::new();
    let mut verneed: Vec<u8> = Vec::new();
    let mut verneed_count = 0u32;
    if dynamic {
        for &n in &syms.needed {
            needed.push(dynstr.add(res.shared[n as usize].file.soname.as_bytes()));
        }
        if let Some(so) = &opts.soname {
            soname = Some(dynstr.add(so.as_bytes()));
        }
        if !opts.rpath.is_empty() {
            rpath = Some(dynstr.add(opts.rpath.join(":").as_bytes()));
        }
        for &id in dynsyms {
            // A versioned reference's dynamic name is the bare name; the
            // version goes in .gnu.version.
            let o = dynstr.add(dynsym_name(res, id));
            dynstr_offsets.insert(id, o);
        }
        (versyms, verneed, verneed_count) = version_needs(inp, syms, relr, &mut dynstr);
    }
    let (verdef, verdef_count) = version_defs(inp, &mut dynstr);
    DynStrings {
        dynstr: dynstr.bytes,
        dynstr_offsets,
        needed,
        soname,
        rpath,
        versyms,
        verneed,
        verneed_count,
        verdef,
        verdef_count,
    }
}

/// Version needs: per needed library, the versions our imports use (and
/// glibc's `GLIBC_ABI_DT_RELR` with `.relr.dyn`). Returns each dynamic
/// symbol's version index, `.gnu.version_r` and its entry count.
fn version_needs(
    inp: &LinkInput,
    syms: &DynSyms,
    relr: bool,
    dynstr: &mut DynStr,
) -> (Vec<u16>, Vec<u8>, u32) {
    let res = inp.res;
    let kind = inp.opts.output_kind;
    let (dynsyms, needed) = (&syms.dynsyms, &syms.needed);
    let mut versyms: Vec<u16> = Vec::new();
    let mut verneed: Vec<u8> = Vec::new();
    let mut verneed_count = 0u32;
    // Version needs: per needed library, the versions our imports use.
    let mut per_lib: Vec<(u32, Vec<&'static [u8]>)> = Vec::new();
    let mut ver_index: HashMap<(u32, &'static [u8]), u16> = HashMap::new();
    // Indices 2.. belong to our own version definitions, if any.
    let mut next_index = 2 + if kind.is_static() {
        0
    } else {
        inp.versions.nodes.len() as u16
    };
    for &id in dynsyms {
        let mut v = match res.symbols[id as usize].def {
            SymDef::Object { .. } | SymDef::Common { .. } => res.symbols[id as usize].versym,
            _ => elf::VER_NDX_GLOBAL,
        };
        if let SymDef::Shared { file, sym } = res.symbols[id as usize].def {
            let ls = &res.shared[file as usize].file;
            let ds = &ls.symbols[sym as usize];
            if ds.version > 1 {
                if let Some(Some(vname)) = ls.version_names.get(ds.version as usize) {
                    let key = (file, *vname);
                    v = match ver_index.get(&key) {
                        Some(&x) => x,
                        None => {
                            let x = next_index;
                            next_index += 1;
                            ver_index.insert(key, x);
                            match per_lib.iter_mut().find(|(f, _)| *f == file) {
                                Some((_, list)) => list.push(vname),
                                None => per_lib.push((file, vec![vname])),
                            }
                            x
                        }
                    };
                }
            }
        }
        versyms.push(v);
    }
    if relr {
        // glibc's marker that the program needs DT_RELR support (GNU ld
        // adds it too), from the needed library that defines it.
        let marker: &[u8] = b"GLIBC_ABI_DT_RELR";
        let lib = needed.iter().copied().find_map(|n| {
            let names = &res.shared[n as usize].file.version_names;
            names
                .iter()
                .flatten()
                .find(|v| **v == marker)
                .map(|v| (n, *v))
        });
        if let Some((file, vname)) = lib {
            if let std::collections::hash_map::Entry::Vacant(e) = ver_index.entry((file, vname)) {
                e.insert(next_index);
                match per_lib.iter_mut().find(|(f, _)| *f == file) {
                    Some((_, list)) => list.push(vname),
                    None => per_lib.push((file, vec![vname])),
                }
            }
        }
    }
    for (li, (file, vers)) in per_lib.iter().enumerate() {
        let soname = dynstr.add(res.shared[*file as usize].file.soname.as_bytes());
        let vn_next = if li + 1 == per_lib.len() {
            0
        } else {
            16 + 16 * vers.len() as u32
        };
        verneed.extend_from_slice(&1u16.to_le_bytes());
        verneed.extend_from_slice(&(vers.len() as u16).to_le_bytes());
        verneed.extend_from_slice(&soname.to_le_bytes());
        verneed.extend_from_slice(&16u32.to_le_bytes());
        verneed.extend_from_slice(&vn_next.to_le_bytes());
        for (vi, v) in vers.iter().enumerate() {
            let name = dynstr.add(v);
            let idx = ver_index[&(*file, *v)];
            verneed.extend_from_slice(&elf_hash(v).to_le_bytes());
            verneed.extend_from_slice(&0u16.to_le_bytes());
            verneed.extend_from_slice(&idx.to_le_bytes());
            verneed.extend_from_slice(&name.to_le_bytes());
            let next = if vi + 1 == vers.len() { 0u32 } else { 16 };
            verneed.extend_from_slice(&next.to_le_bytes());
        }
        verneed_count += 1;
    }
    (versyms, verneed, verneed_count)
}

/// Version definitions (a version script with named nodes; dynamic
/// outputs): `.gnu.version_d` and its entry count.
fn version_defs(inp: &LinkInput, dynstr: &mut DynStr) -> (Vec<u8>, u32) {
    let kind = inp.opts.output_kind;
    let dynamic = kind.is_dynamic();
    // Version definitions (from a version script with named nodes).
    let mut verdef: Vec<u8> = Vec::new();
    let mut verdef_count = 0u32;
    if dynamic && !kind.is_static() && !inp.versions.nodes.is_empty() {
        let vd = inp.versions;
        let mut entries: Vec<(u16, u16, Vec<&[u8]>)> = vec![(
            elf::VER_FLG_BASE,
            elf::VER_NDX_GLOBAL,
            vec![vd.base.as_slice()],
        )];
        for (i, (name, parents)) in vd.nodes.iter().enumerate() {
            let mut names = vec![name.as_slice()];
            names.extend(parents.iter().map(|&p| vd.nodes[p].0.as_slice()));
            entries.push((0, i as u16 + 2, names));
        }
        let n = entries.len();
        for (i, (flags, ndx, names)) in entries.into_iter().enumerate() {
            let cnt = names.len() as u16;
            verdef.extend_from_slice(&1u16.to_le_bytes());
            verdef.extend_from_slice(&flags.to_le_bytes());
            verdef.extend_from_slice(&ndx.to_le_bytes());
            verdef.extend_from_slice(&cnt.to_le_bytes());
            verdef.extend_from_slice(&elf_hash(names[0]).to_le_bytes());
            verdef.extend_from_slice(&20u32.to_le_bytes());
            let next = if i + 1 == n { 0 } else { 20 + 8 * cnt as u32 };
            verdef.extend_from_slice(&next.to_le_bytes());
            for (j, nm) in names.iter().enumerate() {
                let o = dynstr.add(nm);
                verdef.extend_from_slice(&o.to_le_bytes());
                let next = if j + 1 == names.len() { 0u32 } else { 8 };
                verdef.extend_from_slice(&next.to_le_bytes());
            }
            verdef_count += 1;
        }
    }
    (verdef, verdef_count)
}

/// `.dynstr` and the version sections (`.dynsym` has `ndyn` entries).
pub(crate) fn add(out: &mut Added, strings: &DynStrings, ndyn: u64) {
    let size = strings.dynstr.len() as u64;
    out.add(section(
        b".dynstr",
        Synth::Dynstr,
        elf::SHT_STRTAB,
        A,
        1,
        123,
        size,
        0,
    ));
    let (verdef_count, verneed_count) = (strings.verdef_count, strings.verneed_count);
    if verneed_count > 0 || verdef_count > 0 {
        let s = section(
            b".gnu.version",
            Synth::Versym,
            elf::SHT_GNU_VERSYM,
            A,
            2,
            124,
            2 * ndyn,
            2,
        );
        out.add(s);
    }
    if verdef_count > 0 {
        let size = strings.verdef.len() as u64;
        let s = section(
            b".gnu.version_d",
            Synth::Verdef,
            elf::SHT_GNU_VERDEF,
            A,
            8,
            125,
            size,
            0,
        );
        out.add(s);
    }
    if verneed_count > 0 {
        let size = strings.verneed.len() as u64;
        let s = section(
            b".gnu.version_r",
            Synth::Verneed,
            elf::SHT_GNU_VERNEED,
            A,
            8,
            125,
            size,
            0,
        );
        out.add(s);
    }
}

/// `.gnu.version`'s bytes: each dynamic symbol's version index.
pub(crate) fn write_versym(l: &Layout, b: &mut [u8]) {
    w16(b, 0, 0);
    for (i, &v) in l.versyms.iter().enumerate() {
        w16(b, (i + 1) * 2, v);
    }
}
