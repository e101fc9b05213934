//! `--compress-debug-sections=zlib|zstd`: runs after layout, before write.
//!
//! Each non-allocated `.debug_*` output section is made whole in memory (its
//! input sections copied and relocated by the writer's own
//! `relocate_section`, its merged strings placed), compressed behind an
//! `Elf64_Chdr` (sections in parallel), and kept in `Layout::prewritten`;
//! the section is marked `SHF_COMPRESSED` and loses its pieces, and the
//! non-allocated sections are placed again with the new sizes. Nothing
//! loaded moves, so no address changes. A section that would not shrink is
//! left as it is, as GNU ld does. This is the one place where output bytes
//! exist twice: a compressed section cannot be written before its size is
//! known.

use crate::error::{Error, Result};
use crate::layout::{self, Layout};
use crate::options::CompressDebug;
use crate::resolve::Resolved;
use crate::x86_64::DecideCtx;
use object::elf;
use rayon::prelude::*;
use std::io::Write;

fn is_debug(s: &layout::OutputSection) -> bool {
    !s.is_alloc() && s.name.starts_with(b".debug") && s.size > 0 && s.sh_type != elf::SHT_NOBITS
}

/// The uncompressed contents of output section `i`.
fn contents(res: &Resolved, l: &Layout, i: usize) -> Result<Vec<u8>> {
    let s = &l.sections[i];
    let mut buf = vec![0u8; s.size as usize];
    let ctx = DecideCtx::new(l.kind, l.no_relax);
    for &(f, si) in &s.inputs {
        let (_, off) = l.placement[f as usize][si as usize];
        let size = res.objects[f as usize].sections[si as usize].size;
        let out = &mut buf[off as usize..(off + size) as usize];
        crate::write::relocate_section(res, l, &ctx, out, f as usize, si as usize)
            .map_err(Error::new)?;
    }
    for (bytes, off) in &s.merged {
        buf[*off as usize..*off as usize + bytes.len()].copy_from_slice(bytes);
    }
    Ok(buf)
}

/// `data` compressed behind its `Elf64_Chdr` (type, reserved, size, align).
fn compress(how: CompressDebug, data: &[u8], align: u64) -> std::io::Result<Vec<u8>> {
    let ch_type = match how {
        CompressDebug::Zlib => elf::ELFCOMPRESS_ZLIB,
        _ => elf::ELFCOMPRESS_ZSTD,
    };
    let mut out = Vec::with_capacity(24 + data.len() / 3);
    out.extend_from_slice(&ch_type.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(data.len() as u64).to_le_bytes());
    out.extend_from_slice(&align.to_le_bytes());
    match how {
        CompressDebug::Zstd(level) => zstd::stream::copy_encode(data, &mut out, level)?,
        _ => {
            let mut z = flate2::write::ZlibEncoder::new(out, flate2::Compression::default());
            z.write_all(data)?;
            out = z.finish()?;
        }
    }
    Ok(out)
}

/// Compresses the debug sections of `l` as `how` says (a no-op for
/// `CompressDebug::None`).
pub fn compress_debug_sections(how: CompressDebug, res: &Resolved, l: &mut Layout) -> Result<()> {
    if how == CompressDebug::None {
        return Ok(());
    }
    let targets: Vec<usize> = (0..l.sections.len())
        .filter(|&i| is_debug(&l.sections[i]))
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    // Where the non-allocated sections begin, after the loaded image.
    let start = l
        .sections
        .iter()
        .filter(|s| !s.is_alloc())
        .map(|s| s.offset)
        .min()
        .unwrap_or(0);
    let made: Vec<Result<(usize, Vec<u8>)>> = targets
        .par_iter()
        .with_max_len(1)
        .map(|&i| {
            let s = &l.sections[i];
            let raw = contents(res, l, i)?;
            let packed = compress(how, &raw, s.align).map_err(|e| {
                Error::new(format!(
                    "cannot compress {}: {e}",
                    String::from_utf8_lossy(&s.name)
                ))
            })?;
            Ok((i, packed))
        })
        .collect();
    for m in made {
        let (i, packed) = m?;
        let s = &mut l.sections[i];
        if packed.len() as u64 >= s.size {
            continue;
        }
        s.size = packed.len() as u64;
        s.flags |= elf::SHF_COMPRESSED as u64;
        s.align = 8;
        s.inputs.clear();
        s.merged.clear();
        l.prewritten.push((i, packed));
    }
    let (shoff, file_size) = layout::place_non_alloc(&mut l.sections, start);
    l.shoff = shoff;
    l.file_size = file_size;
    Ok(())
}
