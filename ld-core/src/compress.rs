//! `--compress-debug-sections=zlib|zstd`: runs after layout, before write.
//!
//! Each non-allocated `.debug_*` output section is made whole in memory (its
//! input sections copied and relocated by the writer's own
//! `relocate_section`, its merged strings placed), compressed behind an
//! `Elf64_Chdr` (sections in parallel), and kept in `Layout::prewritten`;
//! the section is marked `SHF_COMPRESSED` and loses its pieces, and the
//! non-allocated sections are placed again with the new sizes. Nothing
//! loaded moves, so no address changes. A section that would not shrink is
//! left as it is, as GNU ld does. This is one of the two places where
//! output bytes exist twice (with `separate_debug`, which makes the debug
//! sections before they go to their own file): a compressed section cannot
//! be written before its size is known.

use crate::arch::DecideCtx;
use crate::error::{Error, Result};
use crate::layout::{self, Layout};
use crate::options::CompressDebug;
use crate::resolve::Resolved;
use object::elf;
use rayon::prelude::*;

fn is_debug(s: &layout::OutputSection) -> bool {
    !s.is_alloc() && s.name.starts_with(b".debug") && s.size > 0 && s.sh_type != elf::SHT_NOBITS
}

/// The uncompressed contents of output section `i`.
pub(crate) fn contents(res: &Resolved, l: &Layout, i: usize) -> Result<Vec<u8>> {
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
    // In 1 MiB pieces compressed in parallel (one big `.debug_info` would
    // otherwise keep one thread busy), joined into one stream: zstd frames
    // may follow each other, and zlib's deflate blocks continue across a
    // full flush.
    let pieces: Vec<&[u8]> = if data.is_empty() {
        // Still one (empty) final block.
        vec![data]
    } else {
        data.chunks(CHUNK).collect()
    };
    let last = pieces.len().saturating_sub(1);
    match how {
        CompressDebug::Zstd(level) => {
            let frames: Vec<std::io::Result<Vec<u8>>> = pieces
                .par_iter()
                .map(|p| zstd::stream::encode_all(*p, level))
                .collect();
            for f in frames {
                out.extend_from_slice(&f?);
            }
        }
        _ => {
            let blocks: Vec<std::io::Result<Vec<u8>>> = pieces
                .par_iter()
                .enumerate()
                .map(|(i, p)| deflate_piece(p, i == last))
                .collect();
            // zlib header: deflate, 32 KiB window, fastest level (FLEVEL 0).
            out.extend_from_slice(&[0x78, 0x01]);
            for b in blocks {
                out.extend_from_slice(&b?);
            }
            let mut adler = simd_adler32::Adler32::new();
            adler.write(data);
            out.extend_from_slice(&adler.finish().to_be_bytes());
        }
    }
    Ok(out)
}

const CHUNK: usize = 1 << 20;

/// Raw deflate of `p` at the fastest level, ending with a full flush (the
/// next piece starts afresh, byte-aligned) or, for the last, the final block.
fn deflate_piece(p: &[u8], last: bool) -> std::io::Result<Vec<u8>> {
    use flate2::{Compress, Compression, FlushCompress, Status};
    let mut c = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(p.len() / 2 + 64);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Full
    };
    loop {
        let consumed = c.total_in() as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(4096));
        }
        let st = c
            .compress_vec(&p[consumed..], &mut out, flush)
            .map_err(std::io::Error::other)?;
        let done_input = c.total_in() as usize == p.len();
        match st {
            Status::StreamEnd => break,
            // A full flush is complete once all input is in and there was
            // room left over.
            Status::Ok | Status::BufError if !last && done_input && out.len() < out.capacity() => {
                break
            }
            _ => {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// Sections of several pieces (and an exact multiple, and tiny ones)
    /// come back whole through the standard decoders.
    #[test]
    fn pieces_join_into_one_stream() {
        let mut x = 1u64;
        let data: Vec<u8> = (0..3 * CHUNK + 12345)
            .map(|i| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Compressible but not trivial.
                if i % 7 == 0 {
                    (x >> 56) as u8
                } else {
                    (i % 251) as u8
                }
            })
            .collect();
        for len in [0, 10, CHUNK, 2 * CHUNK, data.len()] {
            let d = &data[..len];
            for how in [CompressDebug::Zlib, CompressDebug::Zstd(3)] {
                let c = compress(how, d, 1).unwrap();
                assert_eq!(u64::from_le_bytes(c[8..16].try_into().unwrap()), len as u64);
                let mut back = Vec::new();
                match how {
                    CompressDebug::Zlib => {
                        flate2::read::ZlibDecoder::new(&c[24..])
                            .read_to_end(&mut back)
                            .unwrap();
                    }
                    _ => back = zstd::stream::decode_all(&c[24..]).unwrap(),
                }
                assert!(back == d, "{how:?}, {len} bytes: not the input");
            }
        }
    }
}
