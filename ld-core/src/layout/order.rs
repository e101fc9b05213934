//! Pass: section order. The output sections sorted by rank, and every
//! index that names an output section renumbered; section header indices
//! and `.shstrtab`.

use super::{DynVal, LinkInput, OutputSection, NONE};

/// The pass: the output sections sorted by rank (stable: within a rank, a
/// linker script's output sections in the script's order, then in the
/// order they were made). Returns them and where each went (old index ->
/// new).
pub(crate) fn sort_sections(
    inp: &LinkInput,
    sections: Vec<OutputSection>,
) -> (Vec<OutputSection>, Vec<u32>) {
    // Order sections by rank, stable.
    let mut order: Vec<usize> = (0..sections.len()).collect();
    // Within a rank, a linker script's output sections keep the script's
    // order (without a script every key is the same).
    order.sort_by_key(|&i| {
        (
            sections[i].rank,
            inp.scripts.statement_of(&sections[i].name),
            i,
        )
    });
    let mut remap = vec![0u32; sections.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new as u32;
    }
    // Moved, not cloned: a section holds its inputs' list and merged strings.
    let mut slots: Vec<Option<OutputSection>> = sections.into_iter().map(Some).collect();
    let mut sections: Vec<OutputSection> = order
        .iter()
        .map(|&i| slots[i].take().expect("each section once"))
        .collect();
    for s in sections.iter_mut().filter(|s| s.rela_for != NONE) {
        s.rela_for = remap[s.rela_for as usize];
    }
    (sections, remap)
}

/// Output section indices held elsewhere follow the sort.
pub(crate) fn renumber(
    remap: &[u32],
    placement: &mut [Vec<(u32, u64)>],
    sec_idx: &mut super::SynthIdx,
    dyn_entries: &mut [(i64, DynVal)],
    script_data: &mut [(u32, u64, u32)],
) {
    use rayon::prelude::*;
    let _t = crate::timing::span("order: renumber");
    placement.par_iter_mut().with_min_len(64).for_each(|row| {
        for p in row.iter_mut().filter(|p| p.0 != NONE) {
            p.0 = remap[p.0 as usize];
        }
    });
    for v in sec_idx.values_mut() {
        *v = remap[*v as usize];
    }
    for (_, v) in dyn_entries.iter_mut() {
        match v {
            DynVal::OutAddr(i) | DynVal::OutSize(i) => *i = remap[*i as usize],
            _ => {}
        }
    }
    for d in script_data.iter_mut() {
        d.0 = remap[d.0 as usize];
    }
}
