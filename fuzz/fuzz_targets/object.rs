//! Relocatable object ingestion: `ObjectFile::parse`, then the accessors
//! later passes use on what it accepted (section contents, merge pieces,
//! `.eh_frame` records, relocation ranges), which must all be in bounds.
#![no_main]

use ld_core::object_file::{ObjectFile, SectionKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ld_core_fuzz::with_static(data, |data| {
        let Ok(o) = ObjectFile::parse("fuzz.o".into(), data) else {
            return;
        };
        for (i, s) in o.sections.iter().enumerate() {
            if i == 0 || s.sh_type == object::elf::SHT_NULL {
                continue; // inactive headers: their other fields mean nothing
            }
            let bytes = o.section_data(i);
            assert!(s.is_nobits() || bytes.len() as u64 == s.size);
            let rel = o.relocs_of(s);
            let mut last = 0;
            for r in rel {
                assert!(r.offset() < s.size, "relocation offset past its section");
                assert!((r.sym() as usize) < o.symbols.len());
                assert!(r.offset() >= last, "relocations out of offset order");
                last = r.offset();
            }
            if s.kind == SectionKind::MergeStrings {
                for t in [
                    0u32,
                    1,
                    63,
                    64,
                    65,
                    s.size as u32 / 2,
                    s.size.saturating_sub(1) as u32,
                ] {
                    if let Some(p) = o.piece_at(i, t) {
                        let (off, len) = (o.pieces[p].offset, o.piece_bytes(i, p).len());
                        assert!(off as u64 + len as u64 <= s.size);
                    }
                }
            }
        }
        for (sec, recs) in &o.eh_frames {
            let size = o.sections[*sec as usize].size;
            for r in recs {
                assert!(r.offset as u64 + r.size as u64 <= size);
                let _ = o.record_relocs(*sec, r);
            }
        }
        for g in &o.groups {
            for &m in &g.sections {
                assert!((m as usize) < o.sections.len());
            }
        }
        assert!(o.first_global as usize <= o.symbols.len());
    });
});
