//! Changes to a finished layout, for the passes after it (`gdb_index`,
//! `compress`, `separate_debug`): non-allocated sections dropped or added,
//! section indices, `.shstrtab` and the non-allocated sections' offsets
//! computed again. Nothing allocated moves.

use super::addresses::place_non_alloc;
use super::{DynVal, Layout, OutputSection, Synth, NONE};
use crate::chunks::symtab::{alloc_count, symtab_plan};
use crate::resolve::Resolved;
use std::collections::HashMap;

impl Layout {
    /// Removes the non-allocated sections `drop` selects (after layout:
    /// nothing loaded moves). Section indices, `.shstrtab`, the symbol
    /// table's size (symbols in dropped sections go with them) and the
    /// non-allocated sections' offsets are computed again.
    pub(crate) fn drop_sections(&mut self, res: &Resolved, drop: impl Fn(&OutputSection) -> bool) {
        let start = self.non_alloc_start().unwrap_or(self.shoff);
        let mut remap = vec![NONE; self.sections.len()];
        let mut kept = Vec::with_capacity(self.sections.len());
        for (i, s) in std::mem::take(&mut self.sections).into_iter().enumerate() {
            if s.is_alloc() || !drop(&s) {
                remap[i] = kept.len() as u32;
                kept.push(s);
            }
        }
        self.sections = kept;
        // (Never made where sections are dropped; named by index if it were.)
        self.locals_ahead = None;
        for p in self.placement.iter_mut().flatten() {
            if p.0 != NONE {
                p.0 = remap[p.0 as usize];
                if p.0 == NONE {
                    p.1 = 0;
                }
            }
        }
        self.sec_idx.retain(|v| remap[*v as usize] != NONE);
        for v in self.sec_idx.values_mut() {
            *v = remap[*v as usize];
        }
        self.prewritten.retain(|(i, _)| remap[*i] != NONE);
        for (i, _) in self.prewritten.iter_mut() {
            *i = remap[*i] as usize;
        }
        for (_, v) in self.dynamic.iter_mut() {
            if let DynVal::OutAddr(i) | DynVal::OutSize(i) = v {
                *i = remap[*i as usize];
            }
        }
        if let Some(&i) = self.sec_idx.get(&Synth::Symtab) {
            self.symtab = symtab_plan(
                res,
                &self.placement,
                self.discard,
                &self.plt,
                alloc_count(&self.sections),
                &[],
            );
            let (count, strsz) = (self.symtab.count(), self.symtab.strtab_size());
            self.sections[i as usize].size = 24 * count as u64;
            if let Some(&j) = self.sec_idx.get(&Synth::Strtab) {
                self.sections[j as usize].size = strsz;
            }
        }
        self.renumber_sections(start);
        self.index_section_addrs(res);
    }

    /// Where the non-allocated sections start in the file (the first one
    /// placed), if any is: what a pass that changes them places again from.
    pub(crate) fn non_alloc_start(&self) -> Option<u64> {
        self.sections
            .iter()
            .filter(|s| !s.is_alloc())
            .map(|s| s.offset)
            .filter(|&o| o > 0)
            .min()
    }

    /// Appends a non-allocated section whose bytes are made already.
    pub(crate) fn add_prewritten(&mut self, s: OutputSection, bytes: Vec<u8>) {
        let start = self.non_alloc_start().unwrap_or(self.shoff);
        self.sections.push(s);
        self.prewritten.push((self.sections.len() - 1, bytes));
        self.renumber_sections(start);
    }

    /// Section header indices, `.shstrtab` (names in section order, each
    /// once) and the non-allocated sections' places, from `start` on.
    fn renumber_sections(&mut self, start: u64) {
        let mut shstrtab: Vec<u8> = vec![0];
        let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
        for (i, s) in self.sections.iter_mut().enumerate() {
            s.shndx = i as u32 + 1;
            if !seen.contains_key(&s.name) {
                seen.insert(s.name.clone(), shstrtab.len() as u32);
                shstrtab.extend_from_slice(&s.name);
                shstrtab.push(0);
            }
        }
        if let Some(&i) = self.sec_idx.get(&Synth::Shstrtab) {
            self.sections[i as usize].size = shstrtab.len() as u64;
        }
        self.shstrtab = shstrtab;
        let (shoff, file_size) = place_non_alloc(&mut self.sections, start);
        self.shoff = shoff;
        self.file_size = file_size;
    }
}
