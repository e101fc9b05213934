//! Pass: live sections. Without `--gc-sections` every input section that
//! is not discarded (COMDAT losers, `/DISCARD/`, ignored kinds) is live;
//! with it, those reachable through relocations from the roots (the entry,
//! `-u`, exported symbols, kept sections such as notes, init/fini arrays,
//! `KEEP`, sections `__start_`/`__stop_` symbols name). Non-allocated
//! sections stay but keep nothing alive; `.eh_frame` stays and keeps only
//! what the FDEs of live functions and the CIEs reference. ICF (`icf`)
//! then folds identical live sections. Assumes resolution is done.

use super::output_sections::{is_c_ident, output_name};
use super::LinkInput;
use crate::chunks::eh_frame::fde_target_section;
use crate::object_file::{EhRecordKind, SectionKind};
use crate::resolve::{Resolved, SymDef, SymbolId};
use object::elf;
use std::collections::HashMap;

/// Object `f`'s sections live without `--gc-sections` and linker scripts:
/// all but ignored kinds and COMDAT losers. What is made before the wait
/// (`LayoutAhead`) uses it, since it is known per input.
pub(super) fn base_live(res: &Resolved, f: usize) -> Vec<bool> {
    res.objects[f]
        .sections
        .iter()
        .enumerate()
        .map(|(si, s)| s.kind != SectionKind::Ignore && !res.discarded[f][si])
        .collect()
}

/// Which sections are live. Without `--gc-sections`: all that are not
/// discarded. With it: those reachable from the roots through relocations.
pub(super) fn liveness(inp: &LinkInput) -> Vec<Vec<bool>> {
    let res = inp.res;
    let base: Vec<Vec<bool>> = (0..res.objects.len())
        .map(|fi| {
            let mut live = base_live(res, fi);
            for (si, l) in live.iter_mut().enumerate() {
                // `/DISCARD/` in a linker script.
                *l = *l && !inp.scripts.rule(fi, si).is_some_and(|r| r.discard());
            }
            live
        })
        .collect();
    if !inp.opts.gc_sections {
        return base;
    }
    let mut live: Vec<Vec<bool>> = base.iter().map(|v| vec![false; v.len()]).collect();
    let mut work: Vec<(u32, u32)> = Vec::new();
    let mark = |live: &mut Vec<Vec<bool>>, work: &mut Vec<(u32, u32)>, f: usize, s: usize| {
        if base[f][s] && !live[f][s] {
            live[f][s] = true;
            work.push((f as u32, s as u32));
        }
    };
    let def_section = |id: SymbolId| -> Option<(usize, usize)> {
        match res.symbols[id as usize].def {
            SymDef::Object { file, sym } => {
                let s = &res.objects[file as usize].symbols[sym as usize];
                let sh = s.shndx as usize;
                if sh != 0 && sh < res.objects[file as usize].sections.len() {
                    Some((file as usize, sh))
                } else {
                    None
                }
            }
            _ => None,
        }
    };
    // Roots.
    let mut start_stop: Vec<&[u8]> = Vec::new();
    for s in &res.symbols {
        if s.def == SymDef::Undefined || s.def == SymDef::Synthetic {
            if let Some(n) = s
                .name
                .strip_prefix(b"__start_")
                .or_else(|| s.name.strip_prefix(b"__stop_"))
            {
                start_stop.push(n);
            }
        }
    }
    for (f, o) in res.objects.iter().enumerate() {
        for (si, s) in o.sections.iter().enumerate() {
            let n = s.name;
            let keep = s.sh_type == elf::SHT_NOTE
                || s.sh_type == elf::SHT_INIT_ARRAY
                || s.sh_type == elf::SHT_FINI_ARRAY
                || s.sh_type == elf::SHT_PREINIT_ARRAY
                || s.flags & elf::SHF_GNU_RETAIN as u64 != 0
                || output_name(n) == b".ctors"
                || output_name(n) == b".dtors"
                || n == b".init"
                || n == b".fini"
                || (is_c_ident(n) && start_stop.contains(&n))
                || inp.scripts.rule(f, si).is_some_and(|r| r.spec.keep);
            if keep {
                mark(&mut live, &mut work, f, si);
            } else if !s.is_alloc() && s.kind != SectionKind::Ignore {
                // Debug info and other non-alloc sections stay, but their
                // relocations do not keep code alive (GNU ld, lld, mold).
                live[f][si] = base[f][si];
            }
        }
    }
    let entry = inp.opts.entry.clone().unwrap_or_else(|| "_start".into());
    let mut root_names: Vec<Vec<u8>> = vec![entry.into_bytes()];
    root_names.extend(inp.opts.undefined.iter().map(|s| s.clone().into_bytes()));
    for n in &root_names {
        if let Some(id) = res.lookup(n) {
            if let Some((f, s)) = def_section(id) {
                mark(&mut live, &mut work, f, s);
            }
        }
    }
    for (id, s) in res.symbols.iter().enumerate() {
        if s.export {
            if let Some((f, sec)) = def_section(id as u32) {
                mark(&mut live, &mut work, f, sec);
            }
        }
    }
    // .eh_frame stays (its records are filtered one by one), but its
    // relocations must not keep code alive: mark it without tracing.
    for (f, o) in res.objects.iter().enumerate() {
        for (sec, _) in &o.eh_frames {
            live[f][*sec as usize] = base[f][*sec as usize];
        }
    }
    // FDEs keep what they reference (personality, LSDA) once their function is live.
    let mut fde_targets: Vec<HashMap<u32, Vec<(u32, u32)>>> =
        vec![HashMap::new(); res.objects.len()];
    for (f, o) in res.objects.iter().enumerate() {
        for (_, recs) in &o.eh_frames {
            for r in recs {
                if let EhRecordKind::Fde { .. } = r.kind {
                    if let Some(t) = fde_target_section(o, r) {
                        fde_targets[f]
                            .entry(t)
                            .or_default()
                            .push((r.relocs.start, r.relocs.end));
                    }
                }
            }
        }
    }
    let reloc_target = |f: usize, r: &crate::object_file::Reloc| -> Option<(usize, usize)> {
        let o = &res.objects[f];
        let sym = &o.symbols[r.sym as usize];
        match res.global_of(f, r.sym) {
            None => {
                let sh = sym.shndx as usize;
                if sh != 0 && sh < o.sections.len() && sym.shndx != elf::SHN_ABS as u32 {
                    Some((f, sh))
                } else {
                    None
                }
            }
            Some(id) => def_section(id),
        }
    };
    // CIEs stay, so what they reference (the personality routine's
    // DW.ref.* pointer) must stay too.
    for (f, o) in res.objects.iter().enumerate() {
        for (sec, recs) in &o.eh_frames {
            if !base[f][*sec as usize] {
                continue;
            }
            for r in recs.iter().filter(|r| matches!(r.kind, EhRecordKind::Cie)) {
                for rel in &o.relocs[r.relocs.start as usize..r.relocs.end as usize] {
                    if let Some((tf, ts)) = reloc_target(f, rel) {
                        mark(&mut live, &mut work, tf, ts);
                    }
                }
            }
        }
    }
    while let Some((f, s)) = work.pop() {
        let o = &res.objects[f as usize];
        let mut ranges = vec![(
            o.sections[s as usize].relocs.start,
            o.sections[s as usize].relocs.end,
        )];
        if let Some(v) = fde_targets[f as usize].get(&s) {
            ranges.extend(v.iter().copied());
        }
        for (a, b) in ranges {
            for r in &o.relocs[a as usize..b as usize] {
                if let Some((tf, ts)) = reloc_target(f as usize, r) {
                    mark(&mut live, &mut work, tf, ts);
                }
            }
        }
    }
    // Debug info and other non-alloc sections never keep code alive, but stay.
    live
}

/// The live sections and what ICF folded.
pub(super) struct Live {
    /// Per file and section: whether it reaches the output.
    pub(super) live: Vec<Vec<bool>>,
    /// With `--icf`: the sections folded into an identical one.
    pub(super) folded: crate::icf::Folded,
}

/// The pass: which sections are live (`liveness`), then, with `--icf`,
/// which live ones are folded (`icf::fold` marks them dead); prints what
/// `--print-icf-sections` and `--print-gc-sections` ask for.
/// The pass; `ahead`: the first objects' live sections, found before the
/// wait (`LayoutAhead`, only where nothing but the object decides).
pub(super) fn live_sections(inp: &LinkInput, ahead: Vec<Vec<bool>>) -> Live {
    let opts = inp.opts;
    let res = inp.res;
    let mut live = if ahead.is_empty() {
        liveness(inp)
    } else {
        let mut live = ahead;
        live.truncate(res.objects.len());
        live.extend((live.len()..res.objects.len()).map(|f| base_live(res, f)));
        live
    };
    let folded = if opts.icf != crate::options::Icf::None {
        let folded = crate::icf::fold(inp, &mut live);
        if opts.print_icf_sections {
            crate::icf::print(res, &folded);
        }
        folded
    } else {
        crate::icf::Folded::default()
    };
    if opts.print_gc_sections && opts.gc_sections {
        for (f, o) in res.objects.iter().enumerate() {
            for (si, s) in o.sections.iter().enumerate() {
                if s.is_alloc()
                    && s.kind != SectionKind::Ignore
                    && !live[f][si]
                    && !res.discarded[f][si]
                {
                    eprintln!(
                        "cld: removing unused section '{}' in file '{}'",
                        String::from_utf8_lossy(s.name),
                        o.name
                    );
                }
            }
        }
    }
    Live { live, folded }
}
