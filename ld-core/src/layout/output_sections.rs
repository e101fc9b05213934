use super::{leak, LinkInput, OutputSection};
use crate::object_file::{ObjectFile, SectionKind};
use crate::options::Options;
use object::elf;

/// Map an input section name to its output section name (GNU ld's default script).
pub(crate) fn output_name(name: &[u8]) -> &[u8] {
    const PREFIXES: &[&[u8]] = &[
        b".text",
        b".rodata",
        b".data.rel.ro",
        b".data",
        b".bss",
        b".tdata",
        b".tbss",
        b".init_array",
        b".fini_array",
        b".preinit_array",
        b".gcc_except_table",
        b".ctors",
        b".dtors",
    ];
    for p in PREFIXES {
        if name == *p || (name.starts_with(p) && name.get(p.len()) == Some(&b'.')) {
            return p;
        }
    }
    if name.starts_with(b".text.") {
        return b".text";
    }
    // TLS commons (`.tcommon`) are zero-initialized thread-local data.
    if name == b".tcommon" || name.starts_with(b".tcommon.") {
        return b".tbss";
    }
    name
}

/// Where a file's live input sections go, as far as the file alone tells.
pub(super) struct FileDests {
    pub(super) sections: Vec<SectionDest>,
    /// `.comment` sections (collected into the output's `.comment`).
    pub(super) comments: Vec<u32>,
}

/// An input section's output section: name, type and flags (the key under
/// which input sections join), or one of its own (`--unique`).
pub(super) struct SectionDest {
    pub(super) si: u32,
    // Borrowed names (inputs and constants live for the link): no
    // allocation per input section, of which there are 100,000s.
    pub(super) oname: &'static [u8],
    pub(super) sh_type: u32,
    pub(super) flags: u64,
    pub(super) unique: bool,
    /// Takes no file space (`(NOLOAD)`, `--zero-to-bss`).
    pub(super) noload: bool,
}

pub(super) fn file_dests(inp: &LinkInput, f: usize, o: &ObjectFile, live: &[bool]) -> FileDests {
    let opts = inp.opts;
    let flag_mask = (elf::SHF_ALLOC | elf::SHF_WRITE | elf::SHF_EXECINSTR | elf::SHF_TLS) as u64;
    let mut out = FileDests {
        sections: Vec::with_capacity(o.sections.len()),
        comments: Vec::new(),
    };
    for (si, s) in o.sections.iter().enumerate() {
        if !live[si] {
            continue;
        }
        match s.kind {
            SectionKind::Alloc | SectionKind::MergeStrings | SectionKind::NonAlloc => {}
            SectionKind::Comment => {
                out.comments.push(si as u32);
                continue;
            }
            _ => continue,
        }
        if !s.is_alloc() && (opts.strip_debug || opts.strip_all) && s.name.starts_with(b".debug") {
            continue;
        }
        let rule = inp.scripts.rule(f, si);
        let oname = if let Some(r) = rule {
            // A linker script's SECTIONS named the output section.
            leak(r.out.as_bytes())
        } else if s.sh_type == elf::SHT_NOTE {
            s.name
        } else {
            output_name(s.name)
        };
        // Old-style constructor lists join the arrays, as GNU ld's
        // default script puts them (their words are reversed on write).
        let oname: &'static [u8] = match oname {
            b".ctors" => b".init_array",
            b".dtors" => b".fini_array",
            o => o,
        };
        let mut sh_type = s.sh_type;
        if oname == b".init_array" {
            sh_type = elf::SHT_INIT_ARRAY;
        } else if oname == b".fini_array" {
            sh_type = elf::SHT_FINI_ARRAY;
        }
        // `(NOLOAD)`: the output section takes no file space; so, with
        // `--zero-to-bss`, do writable zeros nothing relocates.
        let noload = rule.is_some_and(|r| r.noload)
            || (opts.zero_to_bss
                && s.kind == SectionKind::Alloc
                && s.sh_type == elf::SHT_PROGBITS
                && s.flags & elf::SHF_WRITE as u64 != 0
                && s.flags & elf::SHF_TLS as u64 == 0
                && s.relocs.is_empty()
                && o.data
                    .get(s.offset as usize..(s.offset + s.size) as usize)
                    .is_some_and(|b| b.iter().all(|&c| c == 0)));
        if noload {
            sh_type = elf::SHT_NOBITS;
        }
        let mut flags = s.flags & flag_mask;
        if s.kind == SectionKind::MergeStrings {
            flags |= (elf::SHF_MERGE | elf::SHF_STRINGS) as u64;
        }
        // `--unique=GLOB`: each matching input section is an output
        // section of its own, under its own name.
        let unique = opts
            .unique_sections
            .iter()
            .any(|g| crate::version_script::glob_match(g.as_bytes(), s.name));
        out.sections.push(SectionDest {
            si: si as u32,
            oname: if unique { s.name } else { oname },
            sh_type,
            flags,
            unique,
            noload,
        });
    }
    out
}

pub(super) fn rank_of(name: &[u8], sh_type: u32, flags: u64) -> u32 {
    let alloc = flags & elf::SHF_ALLOC as u64 != 0;
    let exec = flags & elf::SHF_EXECINSTR as u64 != 0;
    let write = flags & elf::SHF_WRITE as u64 != 0;
    let tls = flags & elf::SHF_TLS as u64 != 0;
    if !alloc {
        return if name == b".comment" {
            600
        } else if name.starts_with(b".debug") {
            610
        } else {
            620
        };
    }
    if sh_type == elf::SHT_NOTE {
        return 110;
    }
    if exec {
        return match name {
            b".init" => 200,
            b".text" => 220,
            b".fini" => 240,
            _ => 230,
        };
    }
    if !write {
        return match name {
            b".rodata" => 300,
            b".gcc_except_table" => 340,
            _ => 310,
        };
    }
    if tls {
        return if sh_type == elf::SHT_NOBITS { 401 } else { 400 };
    }
    match name {
        b".preinit_array" => 410,
        b".init_array" | b".ctors" => 411,
        b".fini_array" | b".dtors" => 412,
        b".data.rel.ro" => 420,
        b".data" => 510,
        b".bss" => 590,
        _ if sh_type == elf::SHT_NOBITS => 595,
        _ => 520,
    }
}

pub(crate) fn is_c_ident(name: &[u8]) -> bool {
    !name.is_empty()
        && !name[0].is_ascii_digit()
        && name.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Init/fini array priority from the section name (`.init_array.00101`); plain = 65536.
pub(super) fn array_priority(name: &[u8]) -> u32 {
    let s = String::from_utf8_lossy(name);
    for p in [".init_array.", ".fini_array.", ".preinit_array."] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.parse().unwrap_or(65536);
        }
    }
    // `.ctors.N`/`.dtors.N` run in reverse: 65535 - N.
    for p in [".ctors.", ".dtors."] {
        if let Some(rest) = s.strip_prefix(p) {
            return 65535u32.saturating_sub(rest.parse().unwrap_or(0));
        }
    }
    65536
}

/// Orders the inputs of output sections a linker script's SECTIONS made as
/// GNU ld does: by the rule that placed them (script order), then as the
/// rule's SORT says, then in command-line order.
pub(super) fn script_order(inp: &LinkInput, sections: &mut [OutputSection]) {
    use crate::script::SortKind;
    let res = inp.res;
    for os in sections.iter_mut() {
        if os.inputs.is_empty() {
            continue;
        }
        os.inputs.sort_by_cached_key(|&(f, s)| {
            let isec = &res.objects[f as usize].sections[s as usize];
            match inp.scripts.rule_index(f as usize, s as usize) {
                None => (u32::MAX, Vec::new(), 0u64),
                Some(idx) => {
                    match inp.scripts.rules[idx as usize].sort() {
                        SortKind::Name => (idx, isec.name.to_vec(), 0),
                        // Larger alignments first.
                        SortKind::Alignment => (idx, Vec::new(), u64::MAX - isec.align),
                        SortKind::InitPriority => {
                            (idx, Vec::new(), array_priority(isec.name) as u64)
                        }
                        SortKind::None | SortKind::Unsorted => (idx, Vec::new(), 0),
                    }
                }
            }
        });
    }
}

/// Whether object `o` makes the stack executable (without `-z
/// [no]execstack`), with GNU ld's warning saying why. An executable
/// `.note.GNU-stack` always does; a missing note only in an object with
/// code (data-only objects from archives, often assembled without the
/// note, don't).
pub(super) fn wants_execstack(opts: &Options, o: &ObjectFile) -> bool {
    if !o.wants_execstack {
        return false;
    }
    if o.missing_gnu_stack {
        let has_code = o
            .sections
            .iter()
            .any(|s| s.flags & elf::SHF_EXECINSTR as u64 != 0 && s.size > 0);
        if has_code && opts.warn_execstack {
            crate::error::warn(format!(
                "{}: missing .note.GNU-stack section implies executable stack",
                o.name
            ));
        }
        return has_code;
    }
    if opts.warn_execstack {
        crate::error::warn(format!(
            "{}: requires executable stack (because the .note.GNU-stack section is executable)",
            o.name
        ));
    }
    true
}
