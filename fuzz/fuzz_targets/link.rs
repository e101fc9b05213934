//! The relocation pass and everything after ingestion: a fuzzed object is
//! linked together with a fixed valid one (which defines `_start` and
//! `helper`, what the seed objects call) through resolve, layout and write,
//! into a temporary file. The output kind (executable, PIE, shared object,
//! static executable, relocatable object) follows the input's length, so
//! each input always links the same way.
#![no_main]

use ld_core::input::{classify, FileKind};
use ld_core::options::{Command, Options};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `_start` (exit(0) by syscall) and `helper` (returns its argument), built
/// with `object`'s writer.
fn start_object() -> &'static [u8] {
    static OBJ: OnceLock<Vec<u64>> = OnceLock::new();
    static LEN: OnceLock<usize> = OnceLock::new();
    let words = OBJ.get_or_init(|| {
        use object::write::{Object, StandardSection, Symbol, SymbolSection};
        use object::{
            Architecture, BinaryFormat, Endianness, SymbolFlags, SymbolKind, SymbolScope,
        };
        let mut o = Object::new(BinaryFormat::Elf, Architecture::X86_64, Endianness::Little);
        let text = o.section_id(StandardSection::Text);
        // mov $60,%eax; xor %edi,%edi; syscall | mov %edi,%eax; ret
        let code = [0xb8, 60, 0, 0, 0, 0x31, 0xff, 0x0f, 0x05, 0x89, 0xf8, 0xc3];
        o.append_section_data(text, &code, 16);
        for (name, value, size) in [("_start", 0, 9), ("helper", 9, 3)] {
            o.add_symbol(Symbol {
                name: name.as_bytes().to_vec(),
                value,
                size,
                kind: SymbolKind::Text,
                scope: SymbolScope::Dynamic,
                weak: false,
                section: SymbolSection::Section(text),
                flags: SymbolFlags::None,
            });
        }
        let bytes = o.write().expect("write the fixed object");
        LEN.set(bytes.len()).unwrap();
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: the u64 buffer holds at least bytes.len() bytes.
        unsafe {
            std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, bytes.len())
                .copy_from_slice(&bytes)
        };
        words
    });
    // SAFETY: `words` lives in a static and holds LEN bytes.
    unsafe { std::slice::from_raw_parts(words.as_ptr() as *const u8, *LEN.get().unwrap()) }
}

fn options() -> &'static [Options; 5] {
    static OPTS: OnceLock<[Options; 5]> = OnceLock::new();
    OPTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cld-fuzz-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out").display().to_string();
        let dl = "--dynamic-linker=/lib64/ld-linux-x86-64.so.2";
        let kinds: [&[&str]; 5] = [
            &["-no-pie"],
            &["-pie", dl],
            &["-shared"],
            &["-static"],
            &["-r"],
        ];
        kinds.map(|flags| {
            let mut args: Vec<std::ffi::OsString> = vec!["-o".into(), out.clone().into()];
            args.extend(flags.iter().map(|f| f.into()));
            args.push("fuzz.o".into()); // not read: the inputs are given in memory
            match ld_core::args::parse(args) {
                Ok(Command::Link(o)) => *o,
                _ => panic!("fuzz harness: bad command line"),
            }
        })
    })
}

fuzz_target!(|data: &[u8]| {
    if classify(data) != Some(FileKind::Object) {
        return;
    }
    let opts = &options()[data.len() % 5];
    ld_core_fuzz::with_static(data, |data| {
        let inputs = vec![
            (PathBuf::from("start.o"), start_object()),
            (PathBuf::from("fuzz.o"), data),
        ];
        let _ = ld_core::link::link_in_memory(opts, inputs);
    });
});
