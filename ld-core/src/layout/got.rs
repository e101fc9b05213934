use super::{global_props, target_props, DynRel};
use crate::options::OutputKind;
use crate::resolve::{Resolved, SymbolId};
use crate::x86_64::TargetProps;
use object::elf;

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
    /// TLS descriptor pair (R_X86_64_TLSDESC).
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
    pub rels: Vec<DynRel>,
}

/// Values a GOT entry needs from the layout.
pub struct GotCtx<'a> {
    pub kind: OutputKind,
    pub value: &'a dyn Fn(GotTarget) -> u64,
    pub dynsym: &'a dyn Fn(SymbolId) -> u32,
    pub tls_start: u64,
    pub tp: u64,
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
    let mut f = GotFill {
        words: [0; 2],
        slots: 1,
        rels: Vec::new(),
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
                f.rels.push(rel(slot, elf::R_X86_64_GLOB_DAT, sym_of(t), 0));
            } else {
                let v = (c.value)(t);
                f.words[0] = v;
                if pic && !p.absolute {
                    f.rels.push(rel(slot, elf::R_X86_64_RELATIVE, 0, v as i64));
                }
            }
        }
        GotEntry::TpOff(t) => {
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_TPOFF64, sym_of(t), 0));
            } else if !exec {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, elf::R_X86_64_TPOFF64, 0, off as i64));
            } else {
                f.words[0] = (c.value)(t).wrapping_sub(c.tp);
            }
        }
        GotEntry::TlsGd(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, sym_of(t), 0));
                f.rels
                    .push(rel(slot + 8, elf::R_X86_64_DTPOFF64, sym_of(t), 0));
            } else {
                f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, 0, 0));
                f.words[1] = (c.value)(t).wrapping_sub(c.tls_start);
            }
        }
        GotEntry::TlsDesc(t) => {
            f.slots = 2;
            let p = got_target_props(res, c.kind, t);
            if p.imported {
                f.rels.push(rel(slot, elf::R_X86_64_TLSDESC, sym_of(t), 0));
            } else {
                let off = (c.value)(t).wrapping_sub(c.tls_start);
                f.rels.push(rel(slot, elf::R_X86_64_TLSDESC, 0, off as i64));
            }
        }
        GotEntry::TlsLd => {
            f.slots = 2;
            f.rels.push(rel(slot, elf::R_X86_64_DTPMOD64, 0, 0));
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
