//! `-z pack-relative-relocs`: relative relocations go into `.relr.dyn`
//! (DT_RELR) and nothing is lost: the places relocated relatively, read
//! from `.rela.dyn` and `.relr.dyn` together, are exactly those of the same
//! link without packing; a pointer at an odd address and a text relocation
//! stay in `.rela.dyn`; the output needs glibc's `GLIBC_ABI_DT_RELR`, as
//! GNU ld's does; a packed shared library and a packed program run.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

fn must(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

/// Relative relocation places of `file`: (in .rela.dyn, in .relr.dyn).
fn relative_places(file: &Path) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let r = must(Command::new("readelf").arg("-rW").arg(file), "readelf -rW");
    let (mut rela, mut relr) = (BTreeSet::new(), BTreeSet::new());
    let mut in_relr = false;
    for l in r.stdout.lines() {
        if l.starts_with("Relocation section") {
            in_relr = l.contains("'.relr.dyn'");
            continue;
        }
        let words: Vec<&str> = l.split_whitespace().collect();
        let hex = |w: &str| u64::from_str_radix(w, 16).ok();
        if in_relr {
            // "N offsets" then one address per line.
            if words.len() == 1 {
                relr.extend(hex(words[0]));
            }
        } else if words.get(2) == Some(&"R_X86_64_RELATIVE") {
            rela.extend(hex(words[0]));
        }
    }
    (rela, relr)
}

fn readelf(args: &[&str], file: &Path) -> String {
    let r = must(Command::new("readelf").args(args).arg(file), "readelf");
    assert!(r.stderr.is_empty(), "readelf {args:?} warns: {}", r.stderr);
    r.stdout
}

fn symbol_value(file: &Path, name: &str) -> u64 {
    readelf(&["-sW"], file)
        .lines()
        .find(|l| l.split_whitespace().last() == Some(name))
        .and_then(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .unwrap_or_else(|| panic!("no symbol {name} in {}", file.display()))
}

#[test]
fn packed_relocations_cover_the_same_places() {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("relr", "places");
    let shim = make_shim(&dir);
    let src = c_tests_dir().join("relr_data_relocs");
    let sources: Vec<PathBuf> = ["main.c", "globals.c", "ptrs.c", "unaligned.c"]
        .iter()
        .map(|f| src.join(f))
        .collect();
    let expected = std::fs::read_to_string(src.join("expected.out")).unwrap();
    let link = |out: &str, flags: &[&str]| -> PathBuf {
        let p = dir.join(out);
        must(
            Command::new("gcc")
                .args(["-O2", "-B", &shim])
                .args(flags)
                .args(&sources)
                .arg("-o")
                .arg(&p),
            out,
        );
        p
    };
    let plain = link("plain", &[]);
    let packed = link("packed", &["-Wl,-z,pack-relative-relocs"]);
    let out = must(&mut Command::new(&packed), "running the packed program");
    assert_eq!(out.stdout, expected);
    let (plain_rela, plain_relr) = relative_places(&plain);
    let (rela, relr) = relative_places(&packed);
    assert!(plain_relr.is_empty(), "a plain link has .relr.dyn");
    assert!(relr.len() > 10, "few packed relocations: {relr:?}");
    // Addresses move between the links only with .relr.dyn's size, by
    // whole pages; compare the places as offsets from the data they are in.
    let data = |f: &Path| symbol_value(f, "odd_ptr");
    let shift = data(&packed).wrapping_sub(data(&plain));
    let moved: BTreeSet<u64> = plain_rela.iter().map(|a| a.wrapping_add(shift)).collect();
    let all: BTreeSet<u64> = rela.union(&relr).copied().collect();
    assert_eq!(all, moved, "packing lost or invented relative relocations");
    // The odd pointer (odd_ptr + 1) stays in RELA.
    let odd = data(&packed) + 1;
    assert!(
        rela.contains(&odd) && !relr.contains(&odd),
        "the unaligned pointer at {odd:#x} was packed"
    );
    let dynamic = readelf(&["-dW"], &packed);
    for tag in ["(RELR)", "(RELRSZ)", "(RELRENT)"] {
        assert!(dynamic.contains(tag), "no {tag} in .dynamic:\n{dynamic}");
    }
    assert!(
        readelf(&["-VW"], &packed).contains("GLIBC_ABI_DT_RELR"),
        "no GLIBC_ABI_DT_RELR version need"
    );
}

#[test]
fn packed_shared_library_and_text_relocation() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("relr", "shared");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("lib.c"),
        "static int a = 1, b = 2;\nint *table[] = {&a, &b, &a};\nint sum(void) { return *table[0] + *table[1] + *table[2]; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint sum(void);\nvoid hello(void) { puts(\"text\"); }\n\
         __attribute__((section(\".text\"))) void (*in_text)(void) = hello;\n\
         int main(void) { in_text(); printf(\"%d\\n\", sum()); return 0; }\n",
    )
    .unwrap();
    let b = ["-B", shim.as_str()];
    must(
        Command::new("gcc").current_dir(&dir).args(b).args([
            "-shared",
            "-fPIC",
            "-Wl,-z,pack-relative-relocs",
            "lib.c",
            "-o",
            "libl.so",
        ]),
        "linking libl.so",
    );
    must(
        Command::new("gcc")
            .current_dir(&dir)
            .args(b)
            .args([
                "-fPIE",
                "-pie",
                "-Wl,-z,pack-relative-relocs",
                "main.c",
                "-L.",
                "-ll",
            ])
            .args(["-Wl,-rpath,$ORIGIN", "-o", "prog"]),
        "linking prog",
    );
    let (_, lib_relr) = relative_places(&dir.join("libl.so"));
    assert!(
        lib_relr.len() >= 3,
        "the library's table is not packed: {lib_relr:?}"
    );
    // The pointer in .text is a text relocation: it stays in RELA.
    let prog = dir.join("prog");
    let in_text = symbol_value(&prog, "in_text");
    let (rela, relr) = relative_places(&prog);
    assert!(
        rela.contains(&in_text) && !relr.contains(&in_text),
        "the text relocation was packed"
    );
    let r = must(&mut Command::new(&prog), "running prog");
    assert_eq!(r.stdout, "text\n4\n");
}

/// A program with relative relocations but no GOT at all (pointers in
/// data only, no libc): packing them needs no GOT address. cld used to
/// panic on it; GNU ld's program exits with the pointed-to value, and
/// cld's, run by the dynamic linker, does too.
#[test]
fn packed_program_without_a_got() {
    require_tool("gcc", "gcc");
    let dir = fresh_work_dir("relr", "no-got");
    let shim = make_shim(&dir);
    std::fs::write(
        dir.join("start.c"),
        "int x = 7;\nint *p[] = {&x, &x};\n\
         void _start(void) { int v = *p[1]; __asm__ volatile(\"syscall\" :: \"a\"(60), \"D\"(v)); }\n",
    )
    .unwrap();
    for (name, shimmed) in [("with-cld", true), ("with-ld", false)] {
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir);
        if shimmed {
            cmd.args(["-B", shim.as_str()]);
        }
        must(
            cmd.args([
                "-nostdlib",
                "-pie",
                "-fPIE",
                "-O1",
                "-Wl,-z,pack-relative-relocs",
                "start.c",
                "-o",
                name,
            ]),
            name,
        );
        let prog = dir.join(name);
        let (_, relr) = relative_places(&prog);
        assert!(
            !relr.is_empty(),
            "{name}: nothing was packed into .relr.dyn"
        );
        let st = Command::new(&prog).status().unwrap();
        assert_eq!(st.code(), Some(7), "{name}: the program's exit status");
    }
}
