use super::{eh_dead_ranges, LinkInput};
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::OutputKind;
use crate::resolve::{Resolved, SymDef, SymbolId};
use crate::x86_64::{self as arch, DecideCtx, TargetProps};
use object::elf;

/// Properties of the target of symbol `sym` of object `file`.
pub fn target_props(res: &Resolved, kind: OutputKind, file: usize, sym: u32) -> TargetProps {
    let o = &res.objects[file];
    let s = &o.symbols[sym as usize];
    match res.global_of(file, sym) {
        None => TargetProps {
            absolute: s.shndx == elf::SHN_ABS as u32,
            ifunc: s.typ == elf::STT_GNU_IFUNC,
            ..Default::default()
        },
        Some(id) => global_props(res, kind, id),
    }
}

pub fn global_props(res: &Resolved, kind: OutputKind, id: SymbolId) -> TargetProps {
    let g = &res.symbols[id as usize];
    match g.def {
        // Undefined in a shared object: resolved at run time.
        SymDef::Undefined if g.preemptible => TargetProps {
            imported: true,
            ..Default::default()
        },
        SymDef::Undefined => TargetProps {
            absolute: true,
            ..Default::default()
        },
        SymDef::Shared { file, sym } => {
            let ds = &res.shared[file as usize].file.symbols[sym as usize];
            TargetProps {
                imported: kind.is_dynamic(),
                is_func: ds.typ == elf::STT_FUNC || ds.typ == elf::STT_GNU_IFUNC,
                ..Default::default()
            }
        }
        SymDef::Object { file, sym } => {
            let s = &res.objects[file as usize].symbols[sym as usize];
            if g.preemptible {
                // Defined here, but another module's definition may win.
                return TargetProps {
                    imported: true,
                    is_func: s.typ == elf::STT_FUNC || s.typ == elf::STT_GNU_IFUNC,
                    ..Default::default()
                };
            }
            TargetProps {
                absolute: s.shndx == elf::SHN_ABS as u32,
                ifunc: s.typ == elf::STT_GNU_IFUNC,
                ..Default::default()
            }
        }
        SymDef::Common { .. } if g.preemptible => TargetProps {
            imported: true,
            ..Default::default()
        },
        SymDef::Synthetic => match g.defsym {
            Some(
                crate::resolve::Defsym::Abs(_)
                | crate::resolve::Defsym::Script { absolute: true, .. },
            ) => TargetProps {
                absolute: true,
                ..Default::default()
            },
            Some(crate::resolve::Defsym::Rel(t, _)) if t != id => global_props(res, kind, t),
            _ => TargetProps::default(),
        },
        SymDef::Common { .. } => TargetProps::default(),
    }
}

pub(super) struct ScanResult {
    /// (symbol, needs) for globals.
    pub(super) needs: Vec<(SymbolId, arch::Needs)>,
    /// (symbol index, needs) for this file's local symbols.
    pub(super) local_needs: Vec<(u32, arch::Needs)>,
    pub(super) tlsld: bool,
    /// Dynamic relocations made at input-section places.
    pub(super) dynrels: u64,
    /// With `-z pack-relative-relocs`: (input section, offset) of each of
    /// those that is relative (an address in this image).
    pub(super) relative: Vec<(u32, u64)>,
    pub(super) errors: Vec<String>,
    pub(super) undefined: Vec<(SymbolId, String)>,
    pub(super) textrel: bool,
    /// With `--warn-textrel`: one message per text relocation.
    pub(super) textrel_warnings: Vec<String>,
    /// Shared libraries (indices) whose symbols live relocations use.
    pub(super) shared_used: Vec<u32>,
    /// With `-z rewrite-endbr`: globals whose address is taken (a live
    /// relocation other than a direct call or jump refers to them) ...
    pub(super) addr_taken: Vec<SymbolId>,
    /// ... and places in this file's sections (section, offset) likewise.
    pub(super) addr_taken_local: Vec<(u32, u64)>,
}

pub(super) fn scan_file(inp: &LinkInput, live: &[bool], f: usize, ctx: &DecideCtx) -> ScanResult {
    let res = inp.res;
    let o = &res.objects[f];
    let mut out = ScanResult {
        needs: Vec::new(),
        local_needs: Vec::new(),
        tlsld: false,
        dynrels: 0,
        relative: Vec::new(),
        errors: Vec::new(),
        undefined: Vec::new(),
        textrel: false,
        textrel_warnings: Vec::new(),
        shared_used: Vec::new(),
        addr_taken: Vec::new(),
        addr_taken_local: Vec::new(),
    };
    let kind = inp.opts.output_kind;
    // Shared objects may leave symbols undefined unless `-z defs`.
    let report_undefined =
        (kind != OutputKind::Shared || inp.opts.no_undefined) && inp.opts.unresolved_in_objects;
    for (si, sec) in o.sections.iter().enumerate() {
        if !live[si] || sec.relocs.is_empty() {
            continue;
        }
        let alloc = sec.is_alloc();
        let writable = sec.flags & elf::SHF_WRITE as u64 != 0;
        let bytes = o.section_data(si);
        let relocs = &o.relocs[sec.relocs.start as usize..sec.relocs.end as usize];
        // In .eh_frame only live records' relocations matter.
        let dead_ranges: Vec<(u64, u64)> = if sec.kind == SectionKind::EhFrame {
            eh_dead_ranges(o, si as u32, live)
        } else {
            Vec::new()
        };
        let mut skip = false;
        for r in relocs {
            if skip {
                skip = false;
                continue;
            }
            if !dead_ranges.is_empty()
                && dead_ranges
                    .iter()
                    .any(|&(a, b)| r.offset >= a && r.offset < b)
            {
                continue;
            }
            let gid = res.global_of(f, r.sym);
            if inp.opts.rewrite_endbr
                && alloc
                && sec.kind != SectionKind::EhFrame
                && !is_direct_branch(r, bytes)
            {
                note_address_taken(o, r, gid, &mut out);
            }
            if let Some(id) = gid {
                let g = &res.symbols[id as usize];
                if let SymDef::Shared { file, .. } = g.def {
                    if out.shared_used.last() != Some(&file) {
                        out.shared_used.push(file);
                    }
                }
                // A hidden reference cannot bind to another module.
                let hidden_import = matches!(g.def, SymDef::Shared { .. })
                    && matches!(g.visibility, elf::STV_HIDDEN | elf::STV_INTERNAL);
                if (g.def == SymDef::Undefined || hidden_import)
                    && !o.symbols[r.sym as usize].is_weak()
                    && alloc
                    && report_undefined
                {
                    let loc = format!(
                        "{}:({}+{:#x})",
                        o.name,
                        String::from_utf8_lossy(sec.name),
                        r.offset
                    );
                    out.undefined.push((id, loc));
                }
            }
            let t = target_props(res, kind, f, r.sym);
            match arch::decide(ctx, r.rtype, t, alloc, writable, bytes, r.offset) {
                Ok((a, n)) => {
                    if n.dyn_reloc {
                        out.dynrels += 1;
                        // As the writer decides: Abs64Dyn to a local target.
                        if inp.opts.pack_relr && a == arch::Action::Abs64Dyn && !t.imported {
                            out.relative.push((si as u32, r.offset));
                        }
                        if !writable {
                            out.textrel = true;
                            if inp.opts.warn_textrel {
                                // One per file, section and symbol, as GNU
                                // ld and mold say it (not per place).
                                let w = format!(
                                    "{}:({}): relocation against {}' in read-only section `{}'",
                                    o.name,
                                    String::from_utf8_lossy(sec.name),
                                    sym_display(o, r.sym).replacen(' ', " `", 1),
                                    String::from_utf8_lossy(sec.name),
                                );
                                out.textrel_warnings.push(w);
                            }
                        }
                    }
                    if n.skip_next {
                        skip = true;
                    }
                    out.tlsld |= n.tlsld;
                    if n != arch::Needs::default() {
                        match gid {
                            Some(id) => out.needs.push((id, n)),
                            None => {
                                if n.got || n.gottp || n.tlsgd || n.tlsdesc {
                                    out.local_needs.push((r.sym, n));
                                }
                                if n.plt || n.copy {
                                    out.errors.push(format!(
                                        "{}:({}+{:#x}): {} against local symbol {} is not supported",
                                        o.name,
                                        String::from_utf8_lossy(sec.name),
                                        r.offset,
                                        arch::rel_name(r.rtype),
                                        String::from_utf8_lossy(o.symbols[r.sym as usize].name)
                                    ));
                                }
                            }
                        }
                    }
                }
                Err(msg) => out.errors.push(format!(
                    "{}:({}+{:#x}): {} (against {})",
                    o.name,
                    String::from_utf8_lossy(sec.name),
                    r.offset,
                    msg,
                    sym_display(o, r.sym)
                )),
            }
        }
    }
    out
}

/// Whether relocation `r` is the displacement of a direct `call`, `jmp`
/// or conditional jump (which does not take its target's address).
fn is_direct_branch(r: &crate::object_file::Reloc, bytes: &[u8]) -> bool {
    if !matches!(r.rtype, elf::R_X86_64_PLT32 | elf::R_X86_64_PC32) || r.addend != -4 {
        return false;
    }
    let at = |back: u64| {
        r.offset
            .checked_sub(back)
            .and_then(|i| bytes.get(i as usize).copied())
    };
    matches!(at(1), Some(0xe8 | 0xe9))
        || (at(2) == Some(0x0f) && at(1).is_some_and(|b| b & 0xf0 == 0x80))
}

/// Records that relocation `r` (not a direct branch) takes the address of
/// its target: a global, a local symbol, or a place in a section (a
/// section symbol plus the addend, or plus the addend and 4 for a
/// PC-relative one: both are kept, to be safe).
fn note_address_taken(
    o: &ObjectFile,
    r: &crate::object_file::Reloc,
    gid: Option<SymbolId>,
    out: &mut ScanResult,
) {
    if let Some(id) = gid {
        out.addr_taken.push(id);
        return;
    }
    let Some(s) = o.symbols.get(r.sym as usize) else {
        return;
    };
    if s.typ == elf::STT_SECTION {
        let a = r.addend as u64;
        out.addr_taken_local.push((s.shndx, a));
        out.addr_taken_local.push((s.shndx, a.wrapping_add(4)));
    } else {
        out.addr_taken_local.push((s.shndx, s.value));
    }
}

pub fn sym_display(o: &ObjectFile, sym: u32) -> String {
    let s = &o.symbols[sym as usize];
    if s.typ == elf::STT_SECTION {
        if let Some(sec) = o.sections.get(s.shndx as usize) {
            return format!("section {}", String::from_utf8_lossy(sec.name));
        }
    }
    format!("symbol {}", String::from_utf8_lossy(s.name))
}

/// Whether object `o`'s `.comment` says rustc made it.
pub(super) fn built_by_rustc(o: &ObjectFile) -> bool {
    o.sections
        .iter()
        .enumerate()
        .any(|(i, s)| s.name == b".comment" && o.section_data(i).windows(5).any(|w| w == b"rustc"))
}
