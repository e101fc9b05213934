//! Archive ingestion (`Archive::parse`: member headers, long names, the
//! symbol index), then each member as an object, as resolution would
//! extract it. Thin archives are skipped: their members are files named by
//! the archive, and a fuzzer should not go reading the file system.
#![no_main]

use ld_core::archive::Archive;
use ld_core::object_file::ObjectFile;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"!<thin>\n") {
        return;
    }
    // Both ways of reading members: all headers now (--whole-archive), or
    // each when first wanted.
    let whole = data.last().is_some_and(|b| b & 1 == 1);
    ld_core_fuzz::with_static(data, |data| {
        let Ok(a) = Archive::parse(Path::new("fuzz.a"), data, whole) else {
            return;
        };
        for &(_, m) in a.symbols.iter() {
            assert!(
                (m as usize) < a.members.len(),
                "index names a member that is not there"
            );
        }
        // Parsed in place, 2-aligned, as resolution does.
        for m in a.members.iter().take(16) {
            if let Ok(i) = m.info() {
                let _ = ObjectFile::parse(i.name.clone(), i.data);
            }
        }
    });
});
