//! Pass: the GOT and the PLT. GOT slots in a fixed order (global symbols
//! in id order, the module's local-dynamic TLS pair, local symbols in scan
//! order), PLT entries (imported symbols, lazily bound, then IFUNCs). What
//! a GOT entry holds and which dynamic relocations it needs (`got_fill`) is
//! shared by counting here and writing later, so they agree.

use super::scan::{global_props, target_props, Needs};
use super::{DynRel, LinkInput, SymInfo, NONE};
use crate::arch::{Arch, Native, TargetProps};
use crate::options::OutputKind;
use crate::resolve::{Resolved, SymbolId};
use std::collections::HashMap;

/// What a GOT entry is about: a global symbol or a file-local one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GotTarget {
    Global(SymbolId),
    Local(u32, u32),
}

/// A GOT slot and what fills it. TLS pairs take two slots; the second is `Cont`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GotEntry {
    /// The address of a symbol (static, RELATIVE, or GLOB_DAT when preemptible).
    Addr(GotTarget),
    /// The TP offset of a TLS symbol (static in executables, else TPOFF64).
    TpOff(GotTarget),
    /// General-dynamic pair: DTPMOD64, DTPOFF64.
    TlsGd(GotTarget),
    /// TLS descriptor pair (`Arch::R_TLSDESC`).
    TlsDesc(GotTarget),
    /// The module's local-dynamic pair: DTPMOD64, 0.
    TlsLd,
    /// Second slot of a pair.
    Cont,
}

/// Static contents of a GOT entry's slots and its dynamic relocations.
pub struct GotFill {
    pub words: [u64; 2],
    pub slots: usize,
    pub rels: GotRels,
}

/// A GOT entry's dynamic relocations: at most two, kept inline (there is
/// a `GotFill` per GOT slot, each time the GOT is counted or written).
pub struct GotRels {
    rels: [DynRel; 2],
    len: usize,
}

impl GotRels {
    fn push(&mut self, r: DynRel) {
        self.rels[self.len] = r;
        self.len += 1;
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl IntoIterator for GotRels {
    type Item = DynRel;
    type IntoIter = std::iter::Take<std::array::IntoIter<DynRel, 2>>;
    fn into_iter(self) -> Self::IntoIter {
        self.rels.into_iter().take(self.len)
    }
}

/// Values a GOT entry needs from the layout.
pub struct GotCtx<'a> {
    pub kind: OutputKind,
    pub value: &'a (dyn Fn(GotTarget) -> u64 + Sync),
    pub dynsym: &'a (dyn Fn(SymbolId) -> u32 + Sync),
    pub tls_start: u64,
    pub tp: u64,
}

impl GotCtx<'static> {
    /// For counting and placing what the GOT needs (the relocations each
    /// slot makes, and where), before addresses and dynamic symbols exist.
    pub fn counting(kind: OutputKind) -> Self {
        GotCtx {
            kind,
            value: &|_| 0,
            dynsym: &|_| 0,
            tls_start: 0,
            tp: 0,
        }
    }
}

fn got_target_props(res: &Resolved, kind: OutputKind, t: GotTarget) -> TargetProps {
    match t {
        GotTarget::Global(id) => global_props(res, kind, id),
        GotTarget::Local(f, s) => target_props(res, kind, f as usize, s),
    }
}

/// What GOT entry `e` at address `slot` holds. Counting (before addresses
/// are known) and writing both use this, so they agree.
pub fn got_fill(res: &Resolved, c: &GotCtx, e: GotEntry, slot: u64) -> GotFill {
    let none = DynRel {
        offset: 0,
        rtype: 0,
        dynsym: 0,
        addend: 0,
    };
    let mut f = GotFill {
        words: [0; 2],
        slots: 1,
        rels: GotRels {
            rels: [none; 2],
            len: 0,
        },
    };
    let rel = |offset: u64, rtype: u32, dynsym: u32, addend: i64| DynRel {
        offset,
        rtype,
        dynsym,
        addend,
    };
    let sym_of = |t: GotTarget| match t {
        GotTarget::Global(id) => (c.dynsym)(id),
        GotTarget::Local(..) => 0,
    };
    let pic = c.kind.is_pic();
    let exec = c.kind.is_executable();
    match e {
        GotEntry::Addr(t) => {
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, Native::R_GLOB_DAT, sym_of(t), 0));
            } else {
                let v = (c.value)(t);
                f.words[0] = v;
                if pic && !p.absolute {
                    f.rels.push(rel(slot, Native::R_RELATIVE, 0, v as i64));
                }
            }
        }
        GotEntry::TpOff(t) => {
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, Native::R_TPOFF, sym_of(t), 0));
            } else if !exec {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, Native::R_TPOFF, 0, off as i64));
            } else {
                f.words[0] = (c.value)(t).wrapping_sub(c.tp);
            }
        }
        GotEntry::TlsGd(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, Native::R_DTPMOD, sym_of(t), 0));
                f.rels.push(rel(slot + 8, Native::R_DTPOFF, sym_of(t), 0));
            } else {
                f.rels.push(rel(slot, Native::R_DTPMOD, 0, 0));
                f.words[1] = (c.value)(t).wrapping_sub(c.tls_start);
            }
        }
        GotEntry::TlsDesc(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, Native::R_TLSDESC, sym_of(t), 0));
            } else {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, Native::R_TLSDESC, 0, off as i64));
            }
        }
        GotEntry::TlsLd => {
            f.slots = 2;
            f.rels.push(rel(slot, Native::R_DTPMOD, 0, 0));
        }
        GotEntry::Cont => f.slots = 0,
    }
    f
}

/// Local GOT entry kinds (the `u8` of `Layout::local_got`).
pub const LG_ADDR: u8 = 0;

pub const LG_TPOFF: u8 = 1;

pub const LG_TLSGD: u8 = 2;

pub const LG_TLSDESC: u8 = 3;

/// The GOT and the PLT, in order.
pub(crate) struct GotPlt {
    pub(crate) got: Vec<GotEntry>,
    /// Slot of the module's local-dynamic TLS pair, or NONE.
    pub(crate) tlsld: u32,
    /// GOT entries of file-local symbols, as `Layout::local_got`.
    pub(crate) local_got: HashMap<(u32, u32, u8), u32>,
    /// Symbols with PLT entries: the imported (lazy) ones, then IFUNCs.
    pub(crate) plt: Vec<SymbolId>,
    pub(crate) n_lazy_plt: usize,
}

/// The pass: GOT slots and PLT entries in order, each symbol's noted in
/// `sym_info`; then what `sym_info` says is final for the scan's needs
/// (a canonical PLT entry needs an entry; copies).
pub(crate) fn order(inp: &LinkInput, needs: &Needs, sym_info: &mut [SymInfo]) -> GotPlt {
    let res = inp.res;
    let kind = inp.opts.output_kind;
    let (needs_got, needs_gottp, needs_tlsgd, needs_tlsdesc) =
        (&needs.got, &needs.gottp, &needs.tlsgd, &needs.tlsdesc);
    let (needs_plt, needs_copy, needs_tlsld) = (&needs.plt, &needs.copy, needs.tlsld);
    // GOT: 64-bit slots. Order: symbols in id order, then the module's
    // local-dynamic pair, then locals in scan order.
    let mut got: Vec<GotEntry> = Vec::new();
    let push_entry = |got: &mut Vec<GotEntry>, e: GotEntry| -> u32 {
        let i = got.len() as u32;
        got.push(e);
        if matches!(
            e,
            GotEntry::TlsGd(_) | GotEntry::TlsDesc(_) | GotEntry::TlsLd
        ) {
            got.push(GotEntry::Cont);
        }
        i
    };
    for id in 0..res.symbols.len() {
        let t = GotTarget::Global(id as u32);
        if needs_got[id] {
            sym_info[id].got = push_entry(&mut got, GotEntry::Addr(t));
        }
        if needs_gottp[id] {
            sym_info[id].gottp = push_entry(&mut got, GotEntry::TpOff(t));
        }
        if needs_tlsgd[id] {
            sym_info[id].tlsgd = push_entry(&mut got, GotEntry::TlsGd(t));
        }
        if needs_tlsdesc[id] {
            sym_info[id].tlsdesc = push_entry(&mut got, GotEntry::TlsDesc(t));
        }
    }
    let tlsld = if needs_tlsld {
        push_entry(&mut got, GotEntry::TlsLd)
    } else {
        NONE
    };
    let mut local_got = HashMap::new();
    for &(f, s, k) in &needs.local_order {
        if let std::collections::hash_map::Entry::Vacant(e) = local_got.entry((f, s, k)) {
            let t = GotTarget::Local(f, s);
            let entry = match k {
                LG_ADDR => GotEntry::Addr(t),
                LG_TPOFF => GotEntry::TpOff(t),
                LG_TLSGD => GotEntry::TlsGd(t),
                _ => GotEntry::TlsDesc(t),
            };
            e.insert(push_entry(&mut got, entry));
        }
    }
    // PLT: imported (lazy) first, then IFUNCs.
    let mut plt: Vec<SymbolId> = Vec::new();
    for id in 0..res.symbols.len() {
        if needs_plt[id] && global_props(res, kind, id as u32).imported {
            sym_info[id].plt = plt.len() as u32;
            plt.push(id as u32);
        }
    }
    let n_lazy_plt = plt.len();
    for id in 0..res.symbols.len() {
        if needs_plt[id] && global_props(res, kind, id as u32).ifunc {
            sym_info[id].plt = plt.len() as u32;
            plt.push(id as u32);
        }
    }
    for (id, info) in sym_info.iter_mut().enumerate() {
        if info.plt == NONE {
            info.canonical_plt = false;
        }
        info.copy = needs_copy[id];
    }
    GotPlt {
        got,
        tlsld,
        local_got,
        plt,
        n_lazy_plt,
    }
}
