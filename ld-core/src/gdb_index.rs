//! `--gdb-index`: a `.gdb_index` section (version 7), which lets gdb start
//! on a big program without reading all of its DWARF. Runs after layout
//! (it needs final addresses) and before `compress`.
//!
//! Read from the inputs, in command-line order, each relocated by the
//! writer's own `relocate_section` into a scratch buffer:
//! - the CU list: every unit header of each `.debug_info` input section,
//!   at its output offset;
//! - the address area: the ranges of `.debug_aranges` (entries whose code
//!   was discarded, address 0, are dropped);
//! - the symbol table: the names of `.debug_gnu_pubnames` and
//!   `.debug_gnu_pubtypes` (gcc's `-ggnu-pubnames`, which gdb's own index
//!   writer also needs), each with the CUs and the kind/static flags it has.
//!
//! The section goes last in the section header table and the file, so
//! adding it after layout moves nothing that layout placed except the
//! non-allocated sections' offsets. An input without `.debug_aranges`
//! (clang's default) contributes CUs and names but no address ranges.

use crate::arch::DecideCtx;
use crate::error::{Error, Result};
use crate::layout::{self, Layout, OutputSection, Synth};
use crate::resolve::Resolved;
use object::elf;
use std::collections::HashMap;

/// The gdb index format version written (gdb reads 7 and 8).
const VERSION: u32 = 7;

struct Cu {
    /// Offset of the unit in the output `.debug_info`.
    offset: u64,
    length: u64,
}

#[derive(Default)]
struct Index {
    cus: Vec<Cu>,
    /// (low, high, CU index).
    ranges: Vec<(u64, u64, u32)>,
    /// Names in first-seen order, each with its CU vector (deduplicated
    /// `flags << 24 | cu` values, first-seen order).
    names: Vec<(Vec<u8>, Vec<u32>)>,
    name_index: HashMap<Vec<u8>, usize>,
}

/// The relocated bytes of input section `si` of object `f`.
fn relocated(res: &Resolved, l: &Layout, f: usize, si: usize) -> Result<Vec<u8>> {
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    let mut buf = vec![0u8; res.objects[f].sections[si].size as usize];
    crate::write::relocate_section(res, l, &ctx, &mut buf, f, si).map_err(Error::new)?;
    Ok(buf)
}

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

/// A unit's length field at `o`: (length of what follows it, size of the
/// field, whether it is 64-bit DWARF).
fn unit_length(b: &[u8], o: usize) -> Option<(u64, usize, bool)> {
    match u32_at(b, o)? {
        0xffff_ffff => Some((u64_at(b, o + 4)?, 12, true)),
        n => Some((n as u64, 4, false)),
    }
}

impl Index {
    fn cu_at(&self, info_offset: u64) -> Option<u32> {
        self.cus
            .binary_search_by_key(&info_offset, |c| c.offset)
            .ok()
            .map(|i| i as u32)
    }

    fn add_cus(&mut self, info: &[u8], base: u64) {
        let mut o = 0usize;
        while let Some((len, field, _)) = unit_length(info, o) {
            if len == 0 {
                break;
            }
            self.cus.push(Cu {
                offset: base + o as u64,
                length: len + field as u64,
            });
            o += field + len as usize;
        }
    }

    fn add_aranges(&mut self, b: &[u8]) {
        let mut o = 0usize;
        while let Some((len, field, is64)) = unit_length(b, o) {
            let end = o + field + len as usize;
            let mut p = o + field + 2; // version
            let info = if is64 {
                u64_at(b, p)
            } else {
                u32_at(b, p).map(u64::from)
            };
            p += if is64 { 8 } else { 4 };
            let (Some(info), Some(&8)) = (info, b.get(p)) else {
                break; // only 8-byte addresses (x86-64)
            };
            p += 2; // address and segment selector sizes
                    // Tuples start at a multiple of twice the address size.
            p = o + (p - o).next_multiple_of(16);
            let Some(cu) = self.cu_at(info) else {
                o = end;
                continue;
            };
            while p + 16 <= end {
                let (Some(addr), Some(size)) = (u64_at(b, p), u64_at(b, p + 8)) else {
                    break;
                };
                p += 16;
                if addr == 0 && size == 0 {
                    break;
                }
                if addr != 0 && size != 0 {
                    self.ranges.push((addr, addr.wrapping_add(size), cu));
                }
            }
            o = end;
        }
    }

    fn add_names(&mut self, b: &[u8]) {
        let mut o = 0usize;
        while let Some((len, field, is64)) = unit_length(b, o) {
            let end = (o + field + len as usize).min(b.len());
            let mut p = o + field + 2;
            let info = if is64 {
                u64_at(b, p)
            } else {
                u32_at(b, p).map(u64::from)
            };
            let off_size = if is64 { 8 } else { 4 };
            p += 2 * off_size; // debug_info offset and length
            let Some(cu) = info.and_then(|i| self.cu_at(i)) else {
                o = end;
                continue;
            };
            while p + off_size < end {
                let die = if is64 {
                    u64_at(b, p)
                } else {
                    u32_at(b, p).map(u64::from)
                };
                p += off_size;
                if die.is_none_or(|d| d == 0) {
                    break;
                }
                let flags = b[p];
                p += 1;
                let Some(nul) = b[p..end].iter().position(|&c| c == 0) else {
                    break;
                };
                let name = &b[p..p + nul];
                p += nul + 1;
                let attr = (flags as u32) << 24 | cu;
                let i = match self.name_index.get(name) {
                    Some(&i) => i,
                    None => {
                        self.names.push((name.to_vec(), Vec::new()));
                        self.name_index.insert(name.to_vec(), self.names.len() - 1);
                        self.names.len() - 1
                    }
                };
                if !self.names[i].1.contains(&attr) {
                    self.names[i].1.push(attr);
                }
            }
            o = end;
        }
    }

    /// gdb's `mapped_index_string_hash` for index version 5 and later.
    fn hash(name: &[u8]) -> u32 {
        name.iter().fold(0u32, |r, &c| {
            r.wrapping_mul(67)
                .wrapping_add(c.to_ascii_lowercase() as u32)
                .wrapping_sub(113)
        })
    }

    fn bytes(&self) -> Vec<u8> {
        // Constant pool: the CU vectors, then the names.
        let mut pool = Vec::new();
        let mut slots_of = Vec::with_capacity(self.names.len());
        for (_, vec) in &self.names {
            let at = pool.len() as u32;
            pool.extend_from_slice(&(vec.len() as u32).to_le_bytes());
            for v in vec {
                pool.extend_from_slice(&v.to_le_bytes());
            }
            slots_of.push(at);
        }
        let mut name_at = Vec::with_capacity(self.names.len());
        for (name, _) in &self.names {
            name_at.push(pool.len() as u32);
            pool.extend_from_slice(name);
            pool.push(0);
        }
        let size = (self.names.len() * 4 / 3 + 1).next_power_of_two().max(1024);
        let mask = size as u32 - 1;
        let mut table = vec![(0u32, 0u32); size];
        let mut used = vec![false; size];
        for (i, (name, _)) in self.names.iter().enumerate() {
            let h = Self::hash(name);
            let step = (h.wrapping_mul(17) & mask) | 1;
            let mut slot = h & mask;
            while used[slot as usize] {
                slot = (slot + step) & mask;
            }
            used[slot as usize] = true;
            table[slot as usize] = (name_at[i], slots_of[i]);
        }
        let cu_list = 24;
        let types = cu_list + 16 * self.cus.len();
        let area = types;
        let symtab = area + 20 * self.ranges.len();
        let pool_at = symtab + 8 * size;
        let mut out = Vec::with_capacity(pool_at + pool.len());
        for v in [
            VERSION,
            cu_list as u32,
            types as u32,
            area as u32,
            symtab as u32,
            pool_at as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for c in &self.cus {
            out.extend_from_slice(&c.offset.to_le_bytes());
            out.extend_from_slice(&c.length.to_le_bytes());
        }
        for &(lo, hi, cu) in &self.ranges {
            out.extend_from_slice(&lo.to_le_bytes());
            out.extend_from_slice(&hi.to_le_bytes());
            out.extend_from_slice(&cu.to_le_bytes());
        }
        for &(n, v) in &table {
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&pool);
        out
    }
}

/// Builds `.gdb_index` from the inputs and adds it to `l` (nothing if the
/// link has no `.debug_info`).
pub fn add_gdb_index(res: &Resolved, l: &mut Layout) -> Result<()> {
    let mut index = Index::default();
    // CUs first, for every input: names and ranges refer to them by offset.
    for (f, o) in res.objects.iter().enumerate() {
        for (si, s) in o.sections.iter().enumerate() {
            if s.name == b".debug_info" {
                let (osec, off) = l.placement[f][si];
                if osec == layout::NONE {
                    continue;
                }
                index.add_cus(o.section_data(si), off);
            }
        }
    }
    if index.cus.is_empty() {
        return Ok(());
    }
    index.cus.sort_by_key(|c| c.offset);
    for (f, o) in res.objects.iter().enumerate() {
        for (si, s) in o.sections.iter().enumerate() {
            match s.name.get() {
                b".debug_aranges" => index.add_aranges(&relocated(res, l, f, si)?),
                b".debug_gnu_pubnames" | b".debug_gnu_pubtypes" => {
                    index.add_names(&relocated(res, l, f, si)?)
                }
                _ => {}
            }
        }
    }
    let bytes = index.bytes();
    let mut s = OutputSection::new(b".gdb_index", Synth::Regular, elf::SHT_PROGBITS, 0, 4, 0);
    s.size = bytes.len() as u64;
    s.shndx = l.sections.len() as u32 + 1;
    if !l.sections.iter().any(|x| x.name == s.name) {
        l.shstrtab.extend_from_slice(b".gdb_index\0");
        let i = l.sec_idx[&Synth::Shstrtab] as usize;
        l.sections[i].size = l.shstrtab.len() as u64;
    }
    l.sections.push(s);
    l.prewritten.push((l.sections.len() - 1, bytes));
    let start = l.non_alloc_start().unwrap_or(0);
    let (shoff, file_size) = layout::place_non_alloc(&mut l.sections, start);
    l.shoff = shoff;
    l.file_size = file_size;
    Ok(())
}
