//! Where cld puts things, for the options and sections GNU ld, lld and mold
//! lay out their own way: `-n`, `-z keep-text-section-prefix`, copy
//! relocations (alignment, RELRO), commons, `.rodata` merge sections, and
//! the local symbols `.symtab` gets for PLT entries and sections. Each is
//! checked against GNU ld (or lld, where GNU ld lacks the feature) and by
//! running the program.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(300);

/// A work directory with `files` written and the shim made.
fn setup(name: &str, files: &[(&str, &str)]) -> (PathBuf, String) {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("section_layout", name);
    let shim = make_shim(&dir);
    for (n, text) in files {
        std::fs::write(dir.join(n), text).unwrap();
    }
    (dir, shim)
}

/// Runs gcc in `dir` with `args`, linking with `linker`: `None` for cld
/// (through the shim), else `-fuse-ld=<linker>`.
fn gcc(dir: &Path, shim: &str, linker: Option<&str>, args: &[&str]) {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir);
    match linker {
        None => cmd.args(["-B", shim]),
        Some(l) => cmd.arg(format!("-fuse-ld={l}")),
    };
    cmd.args(args);
    must_succeed_within(&mut cmd, TIMEOUT, "gcc");
}

fn run(dir: &Path, exe: &str) -> String {
    must_succeed_within(&mut Command::new(dir.join(exe)), TIMEOUT, exe).stdout
}

fn readelf_out(args: &[&str], file: &Path) -> String {
    let r = readelf(args, file).unwrap_or_else(|e| panic!("readelf: {e}"));
    assert!(r.success(), "readelf {args:?} {} failed", file.display());
    r.stdout
}

/// `readelf -SW`: (name, type, address, flags, alignment) of each section.
fn sections(file: &Path) -> Vec<(String, String, u64, String, u64)> {
    readelf_out(&["-SW"], file)
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix('[')?.split_once(']')?.1;
            let w: Vec<&str> = rest.split_whitespace().collect();
            if w.len() < 9 || w[0] == "Name" {
                return None;
            }
            // Flags may be empty: Lk Inf Al are always the last three.
            let flags = if w.len() == 10 { w[6] } else { "" };
            Some((
                w[0].to_string(),
                w[1].to_string(),
                u64::from_str_radix(w[2], 16).ok()?,
                flags.to_string(),
                w[w.len() - 1].parse().ok()?,
            ))
        })
        .collect()
}

/// `readelf -lW`: (type, vaddr, memsz) of each program header.
fn segments(file: &Path) -> Vec<(String, u64, u64)> {
    readelf_out(&["-lW"], file)
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 6 || !w[1].starts_with("0x") || !w[2].starts_with("0x") {
                return None;
            }
            let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
            Some((w[0].to_string(), hex(w[2])?, hex(w[5])?))
        })
        .collect()
}

/// `.symtab` entries: (value, type, bind, ndx, name).
fn symtab(file: &Path) -> Vec<(u64, String, String, String, String)> {
    readelf_out(&["-sW"], file)
        .split("Symbol table '.symtab'")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 7 || !w[0].ends_with(':') {
                return None;
            }
            Some((
                u64::from_str_radix(w[1], 16).ok()?,
                w[3].to_string(),
                w[4].to_string(),
                w[6].to_string(),
                w.get(7).unwrap_or(&"").to_string(),
            ))
        })
        .collect()
}

/// `-n`: one load segment, not page-aligned, no RELRO: a program with libc
/// and TLS runs and its file is smaller than without `-n`; a program of its
/// own (GNU ld cannot link static glibc with `-n`) gets GNU ld's single
/// segment too.
#[test]
fn nmagic_one_unaligned_segment_as_gnu_ld() {
    let hello = "#include <stdio.h>\n__thread int t = 5;\nint x = 2;\n\
                 int main(void) { printf(\"hello %d %d\\n\", t, x); return 0; }\n";
    let bare = ".globl _start\n_start:\n  mov $60, %eax\n  mov x(%rip), %edi\n  syscall\n\
                .data\nx: .long 7\n";
    let (dir, shim) = setup("nmagic", &[("h.c", hello), ("b.s", bare)]);
    gcc(&dir, &shim, None, &["-static", "h.c", "-Wl,-n", "-o", "hn"]);
    gcc(&dir, &shim, None, &["-static", "h.c", "-o", "hp"]);
    assert_eq!(run(&dir, "hn"), "hello 5 2\n");
    let segs = segments(&dir.join("hn"));
    let loads = segs.iter().filter(|s| s.0 == "LOAD").count();
    assert_eq!(loads, 1, "-n: {segs:?}");
    assert!(!segs.iter().any(|s| s.0 == "GNU_RELRO"), "-n: {segs:?}");
    let size = |n: &str| std::fs::metadata(dir.join(n)).unwrap().len();
    assert!(size("hn") < size("hp"), "-n did not drop the page padding");
    for (linker, exe) in [(None, "bc"), (Some("bfd"), "bg")] {
        let args = ["-static", "-nostdlib", "b.s", "-Wl,-n", "-o", exe];
        gcc(&dir, &shim, linker, &args);
        let r = run_shown(&mut Command::new(dir.join(exe)), TIMEOUT).0;
        assert_eq!(r.status.code(), Some(7), "{exe}");
        let loads = segments(&dir.join(exe))
            .iter()
            .filter(|s| s.0 == "LOAD")
            .count();
        assert_eq!(loads, 1, "{exe}");
    }
}

/// `-z keep-text-section-prefix`: hot, unlikely, startup and exit code in
/// output sections of those names, as lld makes them; without it, in
/// `.text`.
#[test]
fn keep_text_section_prefix_as_lld() {
    require_tool("ld.lld", "lld");
    let prog = "#include <stdio.h>\n\
        __attribute__((section(\".text.hot.f\"))) int f(void) { return 1; }\n\
        __attribute__((section(\".text.unlikely.g\"))) int g(void) { return 2; }\n\
        __attribute__((section(\".text.startup.h\"))) int h(void) { return 3; }\n\
        __attribute__((section(\".text.exit\"))) int k(void) { return 4; }\n\
        __attribute__((section(\".text.hotter\"))) int m(void) { return 5; }\n\
        int main(void) { printf(\"%d\\n\", f() + g() + h() + k() + m()); return 0; }\n";
    let (dir, shim) = setup("keep_text_prefix", &[("p.c", prog)]);
    let text_sections = |exe: &str| -> Vec<String> {
        let mut v: Vec<String> = sections(&dir.join(exe))
            .into_iter()
            .map(|s| s.0)
            .filter(|n| n.starts_with(".text"))
            .collect();
        v.sort();
        v
    };
    let z = "-Wl,-z,keep-text-section-prefix";
    gcc(&dir, &shim, None, &["p.c", z, "-o", "c"]);
    gcc(&dir, &shim, Some("lld"), &["p.c", z, "-o", "l"]);
    gcc(&dir, &shim, None, &["p.c", "-o", "plain"]);
    for exe in ["c", "l", "plain"] {
        assert_eq!(run(&dir, exe), "15\n", "{exe}");
    }
    let kept = text_sections("c");
    assert_eq!(kept, text_sections("l"));
    assert_eq!(
        kept,
        [
            ".text",
            ".text.exit",
            ".text.hot",
            ".text.startup",
            ".text.unlikely"
        ]
    );
    assert_eq!(text_sections("plain"), [".text"]);
}

/// Copy relocations: each copy is as aligned as its library's section and
/// address show (GNU ld: the section's alignment), and one of read-only
/// data (`const`, or `.data.rel.ro` in the library's RELRO) stays inside
/// the program's RELRO, as GNU ld keeps it (in `.data.rel.ro`; cld and mold
/// in `.copyrel.rel.ro`). With `-z norelro` it is writable data again.
#[test]
fn copy_relocations_aligned_and_read_only_as_gnu_ld() {
    let lib = "__attribute__((aligned(256))) int big = 5;\n\
        __attribute__((aligned(32))) int mid = 6;\n\
        const char msg[100] = \"hello\";\n\
        int counter = 1;\n\
        const char *const names[2] = { msg, msg + 1 };\n";
    let prog = "#include <stdio.h>\n#include <stdint.h>\n\
        extern int big, mid, counter;\nextern const char msg[100];\n\
        extern const char *const names[2];\n\
        int main(void) {\n\
          printf(\"%d %d %d %s %s %d %d\\n\", big, mid, counter, msg, names[1],\n\
                 (int)((uintptr_t)&big % 256), (int)((uintptr_t)&mid % 32));\n\
          printf(\"%p %p %p\\n\", (void *)&msg, (void *)&names, (void *)&counter);\n\
          return 0;\n}\n";
    let (dir, shim) = setup("copyrel", &[("lib.c", lib), ("p.c", prog)]);
    gcc(
        &dir,
        &shim,
        Some("bfd"),
        &["-shared", "-fPIC", "lib.c", "-o", "liblib.so"],
    );
    let base = [
        "-no-pie",
        "-fno-pie",
        "p.c",
        "-L.",
        "-llib",
        "-Wl,-rpath,$ORIGIN",
    ];
    let link = |linker: Option<&str>, extra: &str, exe: &str| {
        gcc(
            &dir,
            &shim,
            linker,
            &[&base[..], &[extra, "-o", exe]].concat(),
        );
        let out = run(&dir, exe);
        let mut lines = out.lines();
        let values = lines.next().unwrap().to_string();
        let addrs: Vec<u64> = lines
            .next()
            .unwrap()
            .split_whitespace()
            .map(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).unwrap())
            .collect();
        (values, addrs)
    };
    let in_relro = |exe: &str, a: u64| {
        segments(&dir.join(exe))
            .iter()
            .any(|s| s.0 == "GNU_RELRO" && s.1 <= a && a < s.1 + s.2)
    };
    for (linker, exe) in [(Some("bfd"), "g"), (None, "c")] {
        let (values, addrs) = link(linker, "-Wl,-z,relro", exe);
        assert_eq!(values, "5 6 1 hello ello 0 0", "{exe}");
        assert!(in_relro(exe, addrs[0]), "{exe}: msg's copy is not in RELRO");
        assert!(
            in_relro(exe, addrs[1]),
            "{exe}: names' copy is not in RELRO"
        );
        assert!(
            !in_relro(exe, addrs[2]),
            "{exe}: counter's copy is in RELRO"
        );
    }
    let secs = sections(&dir.join("c"));
    let find = |n: &str| secs.iter().find(|s| s.0 == n).cloned();
    let copyrel = find(".copyrel").expect(".copyrel");
    assert_eq!((copyrel.1.as_str(), copyrel.4), ("NOBITS", 256));
    assert_eq!(find(".copyrel.rel.ro").expect(".copyrel.rel.ro").3, "WA");
    let (values, addrs) = link(None, "-Wl,-z,norelro", "cn");
    assert_eq!(values, "5 6 1 hello ello 0 0");
    assert!(find_in(&dir.join("cn"), ".copyrel.rel.ro").is_none());
    assert!(!segments(&dir.join("cn")).iter().any(|s| s.0 == "GNU_RELRO"));
    assert!(addrs.iter().all(|&a| a != 0));
}

fn find_in(file: &Path, name: &str) -> Option<(String, String, u64, String, u64)> {
    sections(file).into_iter().find(|s| s.0 == name)
}

/// COMMON symbols: the values GNU ld gives them, in a NOBITS `.common`
/// (mold's name; GNU ld puts them in `.bss`) whose symbols say so; under a
/// linker script's `SECTIONS` (GNU ld's own default script) they go where
/// its `*(COMMON)` says, `.bss`, as in GNU ld.
#[test]
fn commons_in_common_section_and_bss_under_scripts() {
    let a = "int foo;\nint bar;\nint baz = 42;\n__attribute__((aligned(64))) int al[3];\n";
    let b = "#include <stdio.h>\n#include <stdint.h>\nint foo;\nint bar = 5;\nint baz;\n\
             extern int al[3];\n\
             int main(void) { al[2] = 3; printf(\"%d %d %d %d %d\\n\", foo, bar, baz, al[2],\n\
             (int)((uintptr_t)al % 64)); return 0; }\n";
    let (dir, shim) = setup("commons", &[("a.c", a), ("b.c", b)]);
    for f in ["a.c", "b.c"] {
        gcc(&dir, &shim, None, &["-fcommon", "-c", f]);
    }
    gcc(&dir, &shim, None, &["a.o", "b.o", "-o", "c"]);
    gcc(&dir, &shim, Some("bfd"), &["a.o", "b.o", "-o", "g"]);
    assert_eq!(run(&dir, "c"), run(&dir, "g"));
    assert_eq!(run(&dir, "c"), "0 5 42 3 0\n");
    let secs = sections(&dir.join("c"));
    let ndx = secs.iter().position(|s| s.0 == ".common").expect(".common") + 1;
    assert_eq!(secs[ndx - 1].1, "NOBITS");
    let syms = symtab(&dir.join("c"));
    for name in ["foo", "al"] {
        let s = syms.iter().find(|s| s.4 == name).expect(name);
        assert_eq!(s.3, ndx.to_string(), "{name} is not in .common");
    }
    // GNU ld's default script as -T: commons in its .bss.
    let mut verbose = Command::new("ld.bfd");
    verbose.arg("--verbose");
    let text = must_succeed_within(&mut verbose, TIMEOUT, "ld.bfd --verbose").stdout;
    let body = text
        .split("==================================================")
        .nth(1)
        .expect("ld --verbose prints its script");
    std::fs::write(dir.join("default.ld"), body).unwrap();
    let args = ["-no-pie", "a.o", "b.o", "-Wl,-T,default.ld", "-o", "cs"];
    gcc(&dir, &shim, None, &args);
    assert_eq!(run(&dir, "cs"), "0 5 42 3 0\n");
    assert!(find_in(&dir.join("cs"), ".common").is_none());
    let secs = sections(&dir.join("cs"));
    let bss = secs.iter().position(|s| s.0 == ".bss").expect(".bss") + 1;
    let foo = symtab(&dir.join("cs"))
        .into_iter()
        .find(|s| s.4 == "foo")
        .unwrap();
    assert_eq!(foo.3, bss.to_string());
}

/// Mergeable `.rodata.*` strings keep sections of their own named by entry
/// size and alignment, with the merge flags (strings merged); mergeable
/// constants stay in `.rodata`.
#[test]
fn mergeable_rodata_sections_named_by_entry_size() {
    let asm = ".globl s1, s4, c8\n\
        .section .rodata.str1.1,\"aMS\",@progbits,1\ns1: .string \"Hello\"\n\
        .section .rodata.other,\"aMS\",@progbits,1\n.string \"Hello\"\n.string \"x\"\n\
        .section .rodata.wide,\"aMS\",@progbits,4\n.p2align 2\ns4: .ascii \"w\\0\\0\\0\\0\\0\\0\\0\"\n\
        .section .rodata.cst8,\"aM\",@progbits,8\n.p2align 3\nc8: .quad 0x1122334455667788\n";
    let prog = "#include <stdio.h>\nextern char s1[], s4[];\nextern long c8;\n\
        int main(void) { printf(\"%s %c %lx\\n\", s1, s4[0], c8); return 0; }\n";
    let (dir, shim) = setup("rodata_merge", &[("a.s", asm), ("p.c", prog)]);
    gcc(&dir, &shim, None, &["a.s", "p.c", "-o", "c"]);
    gcc(&dir, &shim, Some("bfd"), &["a.s", "p.c", "-o", "g"]);
    assert_eq!(run(&dir, "c"), run(&dir, "g"));
    let secs = sections(&dir.join("c"));
    let find = |n: &str| {
        secs.iter()
            .find(|s| s.0 == n)
            .unwrap_or_else(|| panic!("{n}: {secs:?}"))
    };
    assert_eq!(find(".rodata.str1.1").3, "AMS");
    assert_eq!(find(".rodata.str4.4").4, 4);
    // Constants stay in .rodata, as in GNU ld.
    assert!(!secs.iter().any(|s| s.0 == ".rodata.cst8"));
    assert_eq!(find(".rodata").3, "A");
    let dump = readelf_out(&["-p", ".rodata.str1.1"], &dir.join("c"));
    assert_eq!(dump.matches("Hello").count(), 1, "not merged:\n{dump}");
}

/// `.symtab` names every PLT entry (`foo$plt`, local, at the entry the
/// `.rela.plt` slot of `foo` belongs to) and every allocated section (a
/// section symbol at its address).
#[test]
fn plt_entries_and_sections_have_local_symbols() {
    let lib = "void bar(void);\nvoid baz(void);\nvoid foo(void) { bar(); baz(); }\n";
    let (dir, shim) = setup("plt_symbols", &[("a.c", lib)]);
    gcc(
        &dir,
        &shim,
        None,
        &["-fPIC", "-shared", "a.c", "-o", "a.so"],
    );
    let so = dir.join("a.so");
    let syms = symtab(&so);
    let secs = sections(&so);
    let plt = secs.iter().position(|s| s.0 == ".plt").expect(".plt");
    let plt_addr = secs[plt].2;
    let relocs = readelf_out(&["-rW"], &so);
    let slots: Vec<String> = relocs
        .split("'.rela.plt'")
        .nth(1)
        .expect(".rela.plt")
        .lines()
        .filter(|l| l.contains("R_X86_64_JUMP_SLOT"))
        .map(|l| {
            let name = l.split_whitespace().nth(4).unwrap();
            name.split('@').next().unwrap().to_string()
        })
        .collect();
    assert!(slots.len() >= 2, "{relocs}");
    for (i, name) in slots.iter().enumerate() {
        let want = format!("{name}$plt");
        let s = syms
            .iter()
            .find(|s| s.4 == want)
            .unwrap_or_else(|| panic!("no {want} in .symtab"));
        assert_eq!((s.1.as_str(), s.2.as_str()), ("FUNC", "LOCAL"));
        assert_eq!(s.3, (plt + 1).to_string());
        assert_eq!(s.0, plt_addr + 16 + 16 * i as u64, "{want}");
    }
    for (i, sec) in secs.iter().enumerate().filter(|(_, s)| s.3.contains('A')) {
        assert!(
            syms.iter()
                .any(|s| s.1 == "SECTION" && s.3 == (i + 1).to_string() && s.0 == sec.2),
            "no section symbol for {}",
            sec.0
        );
    }
}
