//! Shared library ingestion: `SharedFile::parse` (dynamic section, dynamic
//! symbols, versions), then version lookups as resolution does them.
#![no_main]

use ld_core::shared::SharedFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ld_core_fuzz::with_static(data, |data| {
        let Ok(s) = SharedFile::parse("fuzz.so".into(), "fuzz.so".into(), data) else {
            return;
        };
        let names: Vec<&[u8]> = s.version_names.iter().flatten().copied().take(4).collect();
        for sym in s.symbols.iter().take(32) {
            for v in &names {
                if let Some(i) = s.find_versioned(sym.name, v) {
                    assert!((i as usize) < s.symbols.len());
                }
            }
        }
    });
});
