//! `--separate-debug-file[=FILE]` (mold's option; FILE defaults to
//! `OUTPUT.dbg`): the debug sections (`.debug_*`, and `.gdb_index`) go to
//! FILE instead of the output, which gets a `.gnu_debuglink` section naming
//! FILE (its base name, as gdb looks for it beside the program) with
//! FILE's CRC32.
//!
//! Runs after layout, `--gdb-index` and `--compress-debug-sections`: the
//! debug sections' contents are made in memory (relocated as the writer
//! would, or taken as compressed), then dropped from the output's layout,
//! and `.gnu_debuglink` is added. Once the output's image is complete
//! (build ID included; the ID covers the link with a zero CRC, since the
//! CRC covers the ID's note in FILE), FILE is made: like
//! `objcopy --only-keep-debug`'s files, it has every loaded section of the
//! output at its address, without contents (`SHT_NOBITS`) except notes
//! (the build ID, which gdb matches), then the debug sections and the
//! symbol table. Its CRC goes
//! into the output's `.gnu_debuglink` before the output is put in place,
//! and FILE is put in place after it.
//! `.symtab` and `.strtab` are copied to FILE (mold moves them there) and
//! stay in the output too, as `strip --strip-debug` leaves them: the
//! program keeps its symbols for backtraces without FILE.

use crate::error::{Error, Result};
use crate::layout::{align_up, Layout, OutputSection, Synth};
use crate::output_file::OutputFile;
use crate::resolve::Resolved;
use crate::write::{w16, w32, w64};
use object::elf;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// A debug section taken out of the output, with its contents.
struct DebugSection {
    name: Vec<u8>,
    sh_type: u32,
    flags: u64,
    align: u64,
    entsize: u64,
    bytes: Vec<u8>,
}

/// The debug sections taken out of the output, and where they go.
pub struct Split {
    path: PathBuf,
    sections: Vec<DebugSection>,
}

fn is_debug(s: &OutputSection) -> bool {
    !s.is_alloc() && (s.name.starts_with(b".debug") || s.name == b".gdb_index")
}

/// Takes the debug sections out of `l` and adds `.gnu_debuglink` (its CRC
/// is filled in by `Split::write`).
pub fn split(path: &Path, res: &Resolved, l: &mut Layout) -> Result<Split> {
    let mut prewritten = std::mem::take(&mut l.prewritten);
    let targets: Vec<usize> = (0..l.sections.len())
        .filter(|&i| is_debug(&l.sections[i]))
        .collect();
    // Compressed sections and .gdb_index are made already; the others are
    // relocated now, while the layout still places their inputs.
    let made: Vec<Result<Option<Vec<u8>>>> = targets
        .par_iter()
        .with_max_len(1)
        .map(|&i| {
            if prewritten.iter().any(|(p, _)| *p == i) || l.sections[i].is_nobits() {
                return Ok(None);
            }
            crate::compress::contents(res, l, i).map(Some)
        })
        .collect();
    let mut sections = Vec::with_capacity(targets.len());
    for (&i, m) in targets.iter().zip(made) {
        let bytes = match m? {
            Some(b) => b,
            None => match prewritten.iter().position(|(p, _)| *p == i) {
                Some(k) => prewritten.swap_remove(k).1,
                None => Vec::new(),
            },
        };
        let s = &l.sections[i];
        sections.push(DebugSection {
            name: s.name.clone(),
            sh_type: s.sh_type,
            flags: s.flags,
            align: s.align,
            entsize: s.entsize,
            bytes,
        });
    }
    l.prewritten = prewritten;
    l.drop_sections(res, is_debug);
    let name = path
        .file_name()
        .ok_or_else(|| {
            Error::new(format!(
                "--separate-debug-file: {} names no file",
                path.display()
            ))
        })?
        .as_encoded_bytes();
    let mut link = name.to_vec();
    link.push(0);
    link.resize(align_up(link.len() as u64, 4) as usize + 4, 0);
    let mut s = OutputSection::new(
        b".gnu_debuglink",
        Synth::Regular,
        elf::SHT_PROGBITS,
        0,
        4,
        0,
    );
    s.size = link.len() as u64;
    l.add_prewritten(s, link);
    Ok(Split {
        path: path.to_path_buf(),
        sections,
    })
}

/// A section header of the debug file.
struct Shdr {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

impl Split {
    /// Makes the debug file from the output's finished image `buf` (laid
    /// out by `l`) and stores its CRC32 in the image's `.gnu_debuglink`.
    /// The file is put in place by the caller once the output is: a link
    /// that fails leaves neither.
    pub fn write(&self, l: &Layout, buf: &mut [u8]) -> Result<OutputFile> {
        let plan = self.plan(l, buf);
        let mut out = OutputFile::create(&self.path, plan.size)
            .map_err(|e| Error::new(format!("--separate-debug-file: {}", e.msg)))?;
        let image = out.buf();
        plan.fill(image);
        let mut crc = flate2::Crc::new();
        crc.update(image);
        let link = l
            .sections
            .iter()
            .rfind(|s| s.name == b".gnu_debuglink")
            .ok_or_else(|| Error::new("internal error: no .gnu_debuglink section"))?;
        w32(buf, (link.offset + link.size - 4) as usize, crc.sum());
        Ok(out)
    }

    /// Where everything goes in the debug file: ELF header, notes, debug
    /// sections, `.shstrtab`, section headers.
    fn plan<'a>(&'a self, l: &Layout, buf: &'a [u8]) -> Plan<'a> {
        let mut names: Vec<u8> = vec![0];
        let mut name_of = |n: &[u8]| {
            let at = names.len() as u32;
            names.extend_from_slice(n);
            names.push(0);
            at
        };
        let mut shdrs: Vec<Shdr> = Vec::new();
        let mut body: Vec<(u64, &[u8])> = Vec::new();
        // The file starts with the output's first `head` bytes: its ELF and
        // program headers and the sections up to the last note (the build
        // ID). Every other loaded section of the output is here at its
        // address, keeping its index, without contents.
        let phend = 64 + 56 * l.segments.len() as u64;
        let head = l.sections[..]
            .iter()
            .filter(|s| s.is_alloc() && s.sh_type == elf::SHT_NOTE)
            .map(|s| s.offset + s.size)
            .fold(phend, u64::max);
        body.push((0, &buf[..head as usize]));
        let mut off = head;
        let n_alloc = l.sections.iter().take_while(|s| s.is_alloc()).count();
        for s in &l.sections[..n_alloc] {
            let h = l.shoff as usize + 64 * s.shndx as usize;
            // Links to sections not in this file are dropped.
            let link_info = |at: usize| {
                let v = buf
                    .get(h + at..h + at + 4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                if v as usize <= n_alloc {
                    v
                } else {
                    0
                }
            };
            let kept = !s.is_nobits() && s.offset + s.size <= head;
            shdrs.push(Shdr {
                name: name_of(&s.name),
                sh_type: if kept { s.sh_type } else { elf::SHT_NOBITS },
                flags: s.flags,
                addr: s.addr,
                offset: if kept { s.offset } else { head },
                size: s.size,
                link: link_info(40),
                info: link_info(44),
                align: s.align,
                entsize: s.entsize,
            });
        }
        for d in &self.sections {
            off = align_up(off, d.align.max(1));
            body.push((off, &d.bytes));
            shdrs.push(Shdr {
                name: name_of(&d.name),
                sh_type: d.sh_type,
                flags: d.flags,
                addr: 0,
                offset: off,
                size: d.bytes.len() as u64,
                link: 0,
                info: 0,
                align: d.align,
                entsize: d.entsize,
            });
            off += d.bytes.len() as u64;
        }
        // A copy of the symbol table, for tools that read the debug file
        // alone (the output keeps its own).
        let table = |s: Synth| l.sec(s).filter(|s| s.size > 0);
        if let (Some(sym), Some(str)) = (table(Synth::Symtab), table(Synth::Strtab)) {
            let first = shdrs.len() as u32 + 1;
            for (s, link, info) in [(sym, first + 1, l.symtab.locals()), (str, 0, 0)] {
                off = align_up(off, s.align.max(1));
                body.push((off, &buf[s.offset as usize..(s.offset + s.size) as usize]));
                shdrs.push(Shdr {
                    name: name_of(&s.name),
                    sh_type: s.sh_type,
                    flags: 0,
                    addr: 0,
                    offset: off,
                    size: s.size,
                    link,
                    info,
                    align: s.align,
                    entsize: s.entsize,
                });
                off += s.size;
            }
        }
        let shstrtab_name = name_of(b".shstrtab");
        shdrs.push(Shdr {
            name: shstrtab_name,
            sh_type: elf::SHT_STRTAB,
            flags: 0,
            addr: 0,
            offset: off,
            size: names.len() as u64,
            link: 0,
            info: 0,
            align: 1,
            entsize: 0,
        });
        let names_at = off;
        off += names.len() as u64;
        let shoff = align_up(off, 8);
        Plan {
            head,
            size: shoff + 64 * (shdrs.len() as u64 + 1),
            shoff,
            shdrs,
            body,
            names,
            names_at,
        }
    }
}

/// The debug file, planned.
struct Plan<'a> {
    /// How much of the output's start is copied (headers, notes).
    head: u64,
    size: u64,
    shoff: u64,
    shdrs: Vec<Shdr>,
    /// (offset, bytes) of the notes and debug sections.
    body: Vec<(u64, &'a [u8])>,
    names: Vec<u8>,
    names_at: u64,
}

impl Plan<'_> {
    /// Writes the debug file into `image` (zero-filled, `size` bytes):
    /// the output's headers, with section headers of its own and segments
    /// whose file part is cut where the copied start ends.
    fn fill(&self, image: &mut [u8]) {
        for &(o, b) in &self.body {
            image[o as usize..o as usize + b.len()].copy_from_slice(b);
        }
        let phnum = u16::from_le_bytes([image[56], image[57]]) as usize;
        for i in 0..phnum {
            let p = 64 + 56 * i;
            let rd = |at: usize| {
                let mut b = [0u8; 8];
                b.copy_from_slice(&image[at..at + 8]);
                u64::from_le_bytes(b)
            };
            let (offset, filesz) = (rd(p + 8), rd(p + 32));
            w64(image, p + 32, filesz.min(self.head.saturating_sub(offset)));
        }
        w64(image, 40, self.shoff);
        w16(image, 58, 64);
        w16(image, 60, self.shdrs.len() as u16 + 1);
        w16(image, 62, self.shdrs.len() as u16);
        let n = self.names_at as usize;
        image[n..n + self.names.len()].copy_from_slice(&self.names);
        for (i, s) in self.shdrs.iter().enumerate() {
            let o = self.shoff as usize + 64 * (i + 1);
            w32(image, o, s.name);
            w32(image, o + 4, s.sh_type);
            w64(image, o + 8, s.flags);
            w64(image, o + 16, s.addr);
            w64(image, o + 24, s.offset);
            w64(image, o + 32, s.size);
            w32(image, o + 40, s.link);
            w32(image, o + 44, s.info);
            w64(image, o + 48, s.align);
            w64(image, o + 56, s.entsize);
        }
    }
}
