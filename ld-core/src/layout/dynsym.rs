use crate::resolve::{Resolved, SymDef, SymbolId};

/// A symbol's name in `.dynsym`: versioned names lose their version.
pub fn dynsym_name(res: &Resolved, id: SymbolId) -> &'static [u8] {
    let name = res.symbols[id as usize].name;
    match res.symbols[id as usize].def {
        // A versioned reference's dynamic name is the bare name; the
        // version goes in .gnu.version.
        SymDef::Shared { file, sym } => res.shared[file as usize].file.symbols[sym as usize].name,
        // `foo@V1` from `.symver` is exported as `foo`, version V1.
        _ => match name.iter().position(|&c| c == b'@') {
            Some(i) => &name[..i],
            None => name,
        },
    }
}

pub fn gnu_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 5381;
    for &c in name {
        h = h.wrapping_mul(33).wrapping_add(c as u32);
    }
    h
}

pub fn elf_hash(name: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in name {
        h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        if g != 0 {
            h ^= g >> 24;
        }
        h &= !g;
    }
    h
}
