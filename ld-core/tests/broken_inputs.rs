//! A corpus of broken inputs, generated here from valid ones: cld must
//! reject each with a non-zero exit status and a message that names the
//! file and what is wrong; it must not panic, die of a signal or hang, and
//! it must not create (or touch) the output file.
//!
//! Nothing is hand-collected: the valid inputs are built on the fly (gcc -c
//! of small C and assembly sources, `ar`, `gcc -shared`) and every broken
//! variant is derived from them by one precise mutation (a header field, a
//! section header, a symbol, a relocation, an archive member header, a
//! dynamic entry, a version record) or written as a short ld script.
//!
//! The same generator seeds the fuzz targets (`fuzz/`):
//! `CLD_FUZZ_SEED_DIR=DIR cargo test -p ld-core --test broken_inputs -- --ignored export_fuzz_seeds`
//! writes every valid and broken input into DIR/{object,archive,shared,script,link}/.
//! `scripts/fuzz-smoke.sh` does that before it runs the targets.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Valid inputs, built once per test process.

/// The entry point and a helper, in assembly: no C runtime needed.
const START_S: &str = r#"
    .text
    .globl _start
_start:
    mov $60, %eax
    xor %edi, %edi
    syscall
    .globl helper
    .type helper, @function
helper:
    mov %edi, %eax
    ret
    .section .note.GNU-stack,"",@progbits
"#;

/// An object with most of what a compiler emits: code, data with an
/// absolute relocation, merged strings, TLS, .bss and COMMON symbols, a
/// COMDAT group, debug info and .eh_frame.
const GOOD_C: &str = r#"
extern int helper(int);
int counter = 1;
int *counter_ptr = &counter;
static const char *msg = "hello from good";
__thread int tls_var = 3;
char big_buf[64];
int common_var;
int good_fn(int x) { return helper(x) + counter + msg[x] + tls_var + big_buf[x] + common_var; }
__asm__(".section .text.grp,\"axG\",@progbits,grp_sym,comdat\n.globl grp_sym\ngrp_sym: ret\n.text");
"#;

/// A second archive member with a name too long for the member header
/// (GNU ar puts it in the `//` long-name table).
const OTHER_C: &str = "int other_fn(int x) { return x * 2; }\n";

/// A shared library with symbol versions (two version definitions, a
/// hidden old version) and a data symbol that a non-PIC user copies.
const LIB_C: &str = r#"
int lib_data[4] = {1, 2, 3, 4};
int lib_fn(int x) { return x + lib_data[0]; }
int lib_old(int x) { return x; }
__asm__(".symver lib_old, lib_old@V0");
"#;
const LIB_MAP: &str = "V0 { global: lib_old; };\nV1 { global: lib_fn; lib_data; local: *; } V0;\n";

/// Uses the shared library: a call and a copy-relocated data reference.
const USER_C: &str = r#"
extern int lib_data[4];
int lib_fn(int);
int use_lib(void) { return lib_fn(lib_data[1]); }
"#;

struct Base {
    dir: PathBuf,
    start_o: PathBuf,
    good_o: Vec<u8>,
    /// good.o with its debug sections zlib-compressed (`objcopy`).
    good_gz_o: Vec<u8>,
    other_o: Vec<u8>,
    user_o: PathBuf,
    /// `ar rcsD libgood.a good.o a_long_member_name_for_the_table.o`
    archive: Vec<u8>,
    libgood_so: Vec<u8>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(build_base)
}

fn run_tool(cmd: &mut Command) {
    let r = run_with_timeout(cmd, TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    assert!(
        r.success(),
        "TEST BUG (not a linker problem): {} failed ({}):\n{}{}",
        show_command(cmd),
        r.describe_status(),
        r.stdout,
        r.stderr
    );
}

fn gcc_c(dir: &Path, src_name: &str, src: &str, flags: &[&str]) -> PathBuf {
    require_tool("gcc", "gcc");
    let src_path = dir.join(src_name);
    std::fs::write(&src_path, src).unwrap();
    let obj = src_path.with_extension("o");
    run_tool(
        Command::new("gcc")
            .arg("-c")
            .args(flags)
            .arg(&src_path)
            .arg("-o")
            .arg(&obj),
    );
    obj
}

fn build_base() -> Base {
    let dir = fresh_work_dir("broken_inputs", "_base");
    let start_o = gcc_c(&dir, "start.s", START_S, &[]);
    let good = gcc_c(
        &dir,
        "good.c",
        GOOD_C,
        &["-O1", "-g", "-fcommon", "-fno-pic"],
    );
    let other = gcc_c(
        &dir,
        "a_long_member_name_for_the_table.c",
        OTHER_C,
        &["-O1", "-fno-pic"],
    );
    let user_o = gcc_c(&dir, "user.c", USER_C, &["-O1", "-fno-pic"]);
    require_tool("ar", "binutils");
    run_tool(
        Command::new("ar")
            .arg("rcsD")
            .arg("libgood.a")
            .arg("good.o")
            .arg("a_long_member_name_for_the_table.o")
            .current_dir(&dir),
    );
    std::fs::write(dir.join("lib.c"), LIB_C).unwrap();
    std::fs::write(dir.join("lib.map"), LIB_MAP).unwrap();
    run_tool(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-O1", "-Wl,--version-script=lib.map"])
            .args(["-Wl,-soname,libgood.so.1", "lib.c", "-o", "libgood.so"])
            .current_dir(&dir),
    );
    require_tool("objcopy", "binutils");
    run_tool(
        Command::new("objcopy")
            .args(["--compress-debug-sections=zlib", "good.o", "good_gz.o"])
            .current_dir(&dir),
    );
    Base {
        good_o: std::fs::read(&good).unwrap(),
        good_gz_o: std::fs::read(dir.join("good_gz.o")).unwrap(),
        other_o: std::fs::read(&other).unwrap(),
        archive: std::fs::read(dir.join("libgood.a")).unwrap(),
        libgood_so: std::fs::read(dir.join("libgood.so")).unwrap(),
        start_o,
        user_o,
        dir,
    }
}

// ---------------------------------------------------------------------------
// A small ELF64 editor: field offsets straight from the ELF specification.

#[derive(Clone)]
struct Elf(Vec<u8>);

/// Section header fields: (offset in the header, width in bytes).
#[derive(Clone, Copy)]
enum Sh {
    Name,
    Type,
    Flags,
    Offset,
    Size,
    Link,
    Info,
    Align,
    Entsize,
}

impl Sh {
    fn at(self) -> (usize, usize) {
        match self {
            Sh::Name => (0, 4),
            Sh::Type => (4, 4),
            Sh::Flags => (8, 8),
            Sh::Offset => (24, 8),
            Sh::Size => (32, 8),
            Sh::Link => (40, 4),
            Sh::Info => (44, 4),
            Sh::Align => (48, 8),
            Sh::Entsize => (56, 8),
        }
    }
}

const SHT_SYMTAB: u64 = 2;
const SHT_DYNAMIC: u64 = 6;
const SHT_DYNSYM: u64 = 11;

impl Elf {
    fn get(&self, off: usize, width: usize) -> u64 {
        let mut b = [0u8; 8];
        b[..width].copy_from_slice(&self.0[off..off + width]);
        u64::from_le_bytes(b)
    }
    fn set(&mut self, off: usize, width: usize, v: u64) -> &mut Self {
        self.0[off..off + width].copy_from_slice(&v.to_le_bytes()[..width]);
        self
    }
    fn shoff(&self) -> usize {
        self.get(0x28, 8) as usize
    }
    fn shnum(&self) -> usize {
        self.get(0x3c, 2) as usize
    }
    fn shdr(&self, i: usize) -> usize {
        assert!(i < self.shnum(), "TEST BUG: section {i} out of range");
        self.shoff() + i * 64
    }
    fn sh(&self, i: usize, f: Sh) -> u64 {
        let (o, w) = f.at();
        self.get(self.shdr(i) + o, w)
    }
    fn set_sh(&mut self, i: usize, f: Sh, v: u64) -> &mut Self {
        let (o, w) = f.at();
        let at = self.shdr(i) + o;
        self.set(at, w, v)
    }
    fn cstr(&self, off: usize) -> &[u8] {
        let end = self.0[off..].iter().position(|&b| b == 0).unwrap();
        &self.0[off..off + end]
    }
    fn section_name(&self, i: usize) -> &[u8] {
        let shstrndx = self.get(0x3e, 2) as usize;
        let strs = self.sh(shstrndx, Sh::Offset) as usize;
        self.cstr(strs + self.sh(i, Sh::Name) as usize)
    }
    /// Index of the section called `name`.
    fn section(&self, name: &str) -> usize {
        (0..self.shnum())
            .find(|&i| self.section_name(i) == name.as_bytes())
            .unwrap_or_else(|| panic!("TEST BUG: no section {name}"))
    }
    fn section_of_type(&self, t: u64) -> usize {
        (0..self.shnum())
            .find(|&i| self.sh(i, Sh::Type) == t)
            .unwrap_or_else(|| panic!("TEST BUG: no section of type {t:#x}"))
    }
    /// The symbol table a linker reads: SHT_DYNSYM in a shared object,
    /// SHT_SYMTAB in a relocatable one.
    fn symtab(&self) -> usize {
        (0..self.shnum())
            .find(|&i| self.sh(i, Sh::Type) == SHT_DYNSYM)
            .unwrap_or_else(|| self.section_of_type(SHT_SYMTAB))
    }
    fn sym_off(&self, idx: usize) -> usize {
        self.sh(self.symtab(), Sh::Offset) as usize + idx * 24
    }
    /// Index of the symbol called `name` (an exact match).
    fn sym(&self, name: &str) -> usize {
        let tab = self.symtab();
        let strs = self.sh(self.sh(tab, Sh::Link) as usize, Sh::Offset) as usize;
        let n = self.sh(tab, Sh::Size) as usize / 24;
        (0..n)
            .find(|&i| self.cstr(strs + self.get(self.sym_off(i), 4) as usize) == name.as_bytes())
            .unwrap_or_else(|| panic!("TEST BUG: no symbol {name}"))
    }
    /// Index of the STT_SECTION symbol of section `sec`.
    fn section_sym(&self, sec: &str) -> usize {
        let shndx = self.section(sec) as u64;
        let n = self.sh(self.symtab(), Sh::Size) as usize / 24;
        (0..n)
            .find(|&i| {
                let o = self.sym_off(i);
                self.get(o + 4, 1) & 0xf == 3 && self.get(o + 6, 2) == shndx
            })
            .unwrap_or_else(|| panic!("TEST BUG: no section symbol for {sec}"))
    }
    /// Symbol fields: st_name (0, 4), st_info (4, 1), st_shndx (6, 2),
    /// st_value (8, 8), st_size (16, 8).
    fn set_sym(&mut self, name: &str, off: usize, width: usize, v: u64) -> &mut Self {
        let at = self.sym_off(self.sym(name)) + off;
        self.set(at, width, v)
    }
    /// File offset of relocation `k` of the SHT_RELA section called `sec`.
    fn rela(&self, sec: &str, k: usize) -> usize {
        let s = self.section(sec);
        assert!(
            k * 24 < self.sh(s, Sh::Size) as usize,
            "TEST BUG: {sec} #{k}"
        );
        self.sh(s, Sh::Offset) as usize + k * 24
    }
    /// File offset of the `.dynamic` entry with tag `tag`.
    fn dyn_entry(&self, tag: u64) -> usize {
        let s = self.section_of_type(SHT_DYNAMIC);
        let (off, size) = (
            self.sh(s, Sh::Offset) as usize,
            self.sh(s, Sh::Size) as usize,
        );
        (off..off + size)
            .step_by(16)
            .find(|&o| self.get(o, 8) == tag)
            .unwrap_or_else(|| panic!("TEST BUG: no dynamic tag {tag:#x}"))
    }
    fn truncated(&self, len: usize) -> Vec<u8> {
        self.0[..len].to_vec()
    }
    fn bytes(&self) -> Vec<u8> {
        self.0.clone()
    }
}

fn good() -> Elf {
    Elf(base().good_o.clone())
}

/// Apply `f` to a copy of good.o with compressed debug sections.
fn gz_obj(f: impl FnOnce(&mut Elf)) -> Vec<u8> {
    let mut e = Elf(base().good_gz_o.clone());
    f(&mut e);
    e.bytes()
}

fn so() -> Elf {
    Elf(base().libgood_so.clone())
}

/// Apply `f` to a copy of good.o.
fn obj(f: impl FnOnce(&mut Elf)) -> Vec<u8> {
    let mut e = good();
    f(&mut e);
    e.bytes()
}

/// Apply `f` to a copy of libgood.so.
fn shlib(f: impl FnOnce(&mut Elf)) -> Vec<u8> {
    let mut e = so();
    f(&mut e);
    e.bytes()
}

// ---------------------------------------------------------------------------
// A small `ar` editor.

/// One member header: its offset, the name field, the size and where the data starts.
struct Member {
    hdr: usize,
    name: String,
    size: usize,
}

fn ar_members(a: &[u8]) -> Vec<Member> {
    let mut v = Vec::new();
    let mut off = 8;
    while off + 60 <= a.len() {
        let name = String::from_utf8_lossy(&a[off..off + 16])
            .trim_end()
            .to_string();
        let size: usize = String::from_utf8_lossy(&a[off + 48..off + 58])
            .trim()
            .parse()
            .unwrap();
        v.push(Member {
            hdr: off,
            name,
            size,
        });
        off += 60 + size + (size & 1);
    }
    v
}

fn ar_member(a: &[u8], name: &str) -> Member {
    ar_members(a)
        .into_iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("TEST BUG: no archive member {name:?}"))
}

/// Overwrite a header field (padded with spaces to `width`).
fn ar_field(a: &mut [u8], at: usize, width: usize, text: &str) {
    assert!(text.len() <= width, "TEST BUG: {text:?}");
    let mut f = text.as_bytes().to_vec();
    f.resize(width, b' ');
    a[at..at + width].copy_from_slice(&f);
}

/// Apply `f` to a copy of libgood.a.
fn arch(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut a = base().archive.clone();
    f(&mut a);
    a
}

/// An archive whose good.o member is replaced by `member` (the index is rebuilt by ar).
fn archive_with(name: &str, member: Vec<u8>) -> Vec<u8> {
    let dir = fresh_work_dir("broken_inputs", &format!("_ar_{name}"));
    std::fs::write(dir.join("good.o"), member).unwrap();
    std::fs::write(
        dir.join("a_long_member_name_for_the_table.o"),
        &base().other_o,
    )
    .unwrap();
    // `ar s` reads the members' symbol tables; a member it cannot read is
    // simply not indexed, so the index entry for it is added from good.o.
    run_tool(
        Command::new("ar")
            .args([
                "rcSD",
                "lib.a",
                "good.o",
                "a_long_member_name_for_the_table.o",
            ])
            .current_dir(&dir),
    );
    let mut a = std::fs::read(dir.join("lib.a")).unwrap();
    // Splice in the index of the good archive (same member order and sizes
    // only if the member kept its size: the mutations here keep it).
    let good = &base().archive;
    let idx = ar_member(good, "/");
    let idx_len = 60 + idx.size + (idx.size & 1);
    let mut out = good[..8 + idx_len].to_vec();
    out.extend_from_slice(&a.split_off(8));
    out
}

// ---------------------------------------------------------------------------
// Cases.

struct Case {
    name: String,
    /// Files to write into the case directory.
    files: Vec<(String, Vec<u8>)>,
    /// cld's inputs after `-o out start.o` (case files by relative name,
    /// base files by absolute path).
    args: Vec<String>,
    /// The message must name this file...
    file: String,
    /// ...and say this.
    expect: String,
    /// Which fuzz targets get this case as a seed.
    seed_for: &'static [&'static str],
}

fn case(
    name: &str,
    file: &str,
    data: Vec<u8>,
    expect: &str,
    seed_for: &'static [&'static str],
) -> Case {
    Case {
        name: name.to_string(),
        files: vec![(file.to_string(), data)],
        args: vec![file.to_string()],
        file: file.to_string(),
        expect: expect.to_string(),
        seed_for,
    }
}

const OBJ: &[&str] = &["object", "link"];
const AR: &[&str] = &["archive"];
const SO: &[&str] = &["shared"];
const SCRIPT: &[&str] = &["script"];

fn o(name: &str, data: Vec<u8>, expect: &str) -> Case {
    case(name, "broken.o", data, expect, OBJ)
}

fn object_cases() -> Vec<Case> {
    let g = good();
    let text = g.section(".text");
    let data = g.section(".data");
    let symtab = g.symtab();
    let shend = g.shoff() + g.shnum() * 64;
    let mut v = vec![
        // Compressed sections (SHF_COMPRESSED = 0x800, Elf64_Chdr first).
        o(
            "obj_compressed_not_a_chdr",
            obj(|e| {
                let i = e.section(".debug_abbrev");
                let f = e.sh(i, Sh::Flags);
                e.set_sh(i, Sh::Flags, f | 0x800);
                let at = e.sh(i, Sh::Offset) as usize;
                e.set(at, 4, 77);
            }),
            "unknown compression type 77",
        ),
        o(
            "obj_compressed_size_lies",
            gz_obj(|e| {
                let at = e.sh(e.section(".debug_info"), Sh::Offset) as usize;
                let size = e.get(at + 8, 8);
                e.set(at + 8, 8, size + 1000);
            }),
            "its header says",
        ),
        o(
            "obj_compressed_stream_broken",
            gz_obj(|e| {
                let at = e.sh(e.section(".debug_info"), Sh::Offset) as usize;
                for k in 0..8 {
                    e.set(at + 26 + k, 1, 0xff);
                }
            }),
            "cannot decompress",
        ),
        o(
            "obj_compressed_header_cut",
            obj(|e| {
                let i = e.section(".debug_abbrev");
                let f = e.sh(i, Sh::Flags);
                e.set_sh(i, Sh::Flags, f | 0x800);
                e.set_sh(i, Sh::Size, 20);
            }),
            "shorter than its header",
        ),
        // Truncations.
        o("obj_empty", vec![], "file format not recognized"),
        o(
            "obj_truncated_ident",
            g.truncated(10),
            "truncated ELF header",
        ),
        o(
            "obj_truncated_header",
            g.truncated(40),
            "truncated ELF header",
        ),
        o(
            "obj_truncated_at_section_data",
            g.truncated(g.sh(text, Sh::Offset) as usize + 8),
            "section header table",
        ),
        o(
            "obj_truncated_in_section_table",
            g.truncated(g.shoff() + 64 * 3 + 10),
            "section header table",
        ),
        o(
            "obj_truncated_last_byte",
            g.truncated(shend - 1),
            "section header table",
        ),
        // Identification.
        o(
            "obj_machine_arm",
            obj(|e| {
                e.set(0x12, 2, 40);
            }),
            "incompatible machine type 40",
        ),
        o(
            "obj_class32",
            obj(|e| {
                e.set(4, 1, 1);
            }),
            "32-bit ELF",
        ),
        o(
            "obj_big_endian",
            obj(|e| {
                e.set(5, 1, 2);
            }),
            "big-endian",
        ),
        o(
            "obj_bad_ident_version",
            obj(|e| {
                e.set(6, 1, 0);
            }),
            "ELF version",
        ),
        o(
            "obj_type_exec",
            obj(|e| {
                e.set(0x10, 2, 2);
            }),
            "not a relocatable object",
        ),
        o(
            "obj_type_core",
            obj(|e| {
                e.set(0x10, 2, 4);
            }),
            "not a relocatable object",
        ),
        // The section header table.
        o(
            "obj_shoff_out_of_range",
            obj(|e| {
                e.set(0x28, 8, 0xffff_ffff_0000);
            }),
            "section header table",
        ),
        o(
            "obj_shnum_too_big",
            obj(|e| {
                e.set(0x3c, 2, 0xffff);
            }),
            "section header table",
        ),
        o(
            "obj_shnum_extended_absurd",
            obj(|e| {
                // e_shnum 0: the count is section 0's sh_size.
                e.set_sh(0, Sh::Size, 1 << 40);
                e.set(0x3c, 2, 0);
            }),
            "section header table",
        ),
        o(
            "obj_shentsize_wrong",
            obj(|e| {
                e.set(0x3a, 2, 40);
            }),
            "e_shentsize",
        ),
        o(
            "obj_shstrndx_out_of_range",
            obj(|e| {
                e.set(0x3e, 2, 0x7000);
            }),
            "section name string table",
        ),
        o(
            "obj_shstrndx_not_strtab",
            obj(|e| {
                e.set(0x3e, 2, text as u64);
            }),
            "section name string table",
        ),
        // Section headers.
        o(
            "obj_sh_offset_out_of_range",
            obj(|e| {
                e.set_sh(text, Sh::Offset, 0x10_0000);
            }),
            "section .text extends past the end of the file",
        ),
        o(
            "obj_sh_size_out_of_range",
            obj(|e| {
                e.set_sh(data, Sh::Size, 0x10_0000);
            }),
            "section .data extends past the end of the file",
        ),
        o(
            "obj_sh_size_absurd",
            obj(|e| {
                e.set_sh(text, Sh::Size, 1 << 62);
            }),
            "section .text extends past the end of the file",
        ),
        o(
            "obj_sh_offset_plus_size_wraps",
            obj(|e| {
                e.set_sh(text, Sh::Offset, u64::MAX - 4);
            }),
            "section .text extends past the end of the file",
        ),
        o(
            "obj_nobits_size_absurd",
            obj(|e| {
                let bss = e.section(".bss");
                e.set_sh(bss, Sh::Size, 1 << 62);
            }),
            "section .bss: size 0x4000000000000000 is too large",
        ),
        o(
            "obj_align_not_power_of_two",
            obj(|e| {
                e.set_sh(data, Sh::Align, 12);
            }),
            "section .data: alignment 12 is not a power of two",
        ),
        o(
            "obj_align_absurd",
            obj(|e| {
                e.set_sh(data, Sh::Align, 1 << 62);
            }),
            "section .data: alignment 0x4000000000000000 is too large",
        ),
        o(
            "obj_flags_above_32_bits",
            obj(|e| {
                e.set_sh(data, Sh::Flags, (1 << 40) | 3);
            }),
            "section .data: flags 0x10000000003 have bits above bit 31 set",
        ),
        o(
            "obj_entsize_absurd",
            obj(|e| {
                e.set_sh(data, Sh::Entsize, 1 << 33);
            }),
            "section .data: entry size 0x200000000 is too large",
        ),
        o(
            "obj_sh_name_out_of_range",
            obj(|e| {
                e.set_sh(data, Sh::Name, 0x10_0000);
            }),
            "section 4 has a bad name offset",
        ),
        o(
            "obj_overlapping_sections",
            obj(|e| {
                let off = e.sh(text, Sh::Offset);
                e.set_sh(data, Sh::Offset, off + 2);
            }),
            "sections .text and .data overlap",
        ),
        o(
            "obj_section_overlaps_header",
            obj(|e| {
                e.set_sh(data, Sh::Offset, 0x20);
            }),
            "section .data overlaps the ELF header",
        ),
        o(
            "obj_section_overlaps_section_table",
            obj(|e| {
                let off = e.shoff() as u64;
                e.set_sh(data, Sh::Offset, off + 64);
            }),
            "section .data overlaps the section header table",
        ),
        // The symbol table.
        o(
            "obj_symtab_link_out_of_range",
            obj(|e| {
                e.set_sh(symtab, Sh::Link, 0x7000);
            }),
            "bad symbol table",
        ),
        o(
            "obj_symtab_link_not_strtab",
            obj(|e| {
                e.set_sh(symtab, Sh::Link, text as u64);
            }),
            "bad symbol table",
        ),
        o(
            "obj_symtab_entsize_zero",
            obj(|e| {
                e.set_sh(symtab, Sh::Entsize, 0);
            }),
            "symbol table entry size is 0, expected 24",
        ),
        o(
            "obj_symtab_size_not_multiple",
            obj(|e| {
                let s = e.sh(symtab, Sh::Size);
                e.set_sh(symtab, Sh::Size, s - 5);
            }),
            "bad symbol table",
        ),
        o(
            "obj_symtab_size_absurd",
            obj(|e| {
                e.set_sh(symtab, Sh::Size, 24 << 50);
            }),
            "extends past the end of the file",
        ),
        o(
            "obj_symtab_info_out_of_range",
            obj(|e| {
                e.set_sh(symtab, Sh::Info, 1000);
            }),
            "first global symbol 1000 is past the 19 symbols",
        ),
        o(
            "obj_st_name_out_of_range",
            obj(|e| {
                e.set_sym("counter", 0, 4, 0x10_0000);
            }),
            "has a bad name offset",
        ),
        o(
            "obj_st_shndx_out_of_range",
            obj(|e| {
                e.set_sym("counter", 6, 2, 0x9999);
            }),
            "symbol counter refers to section 39321 out of range",
        ),
        o(
            "obj_st_shndx_xindex_without_table",
            obj(|e| {
                e.set_sym("counter", 6, 2, 0xffff);
            }),
            "SHN_XINDEX",
        ),
        o(
            "obj_symbol_in_symtab_section",
            obj(|e| {
                let st = e.symtab() as u64;
                e.set_sym("counter", 6, 2, st);
            }),
            "symbol counter is defined in section .symtab, which is not loaded",
        ),
        o(
            "obj_symbol_value_past_section",
            obj(|e| {
                e.set_sym("counter", 8, 8, 1 << 63);
            }),
            "symbol counter: value 0x8000000000000000 is past the end of section .data",
        ),
        o(
            "obj_common_align_not_power_of_two",
            obj(|e| {
                e.set_sym("common_var", 8, 8, 3);
            }),
            "common symbol common_var: alignment 3 is not a power of two",
        ),
        o(
            "obj_common_size_absurd",
            obj(|e| {
                e.set_sym("big_buf", 16, 8, 1 << 62);
            }),
            "common symbol big_buf: size 0x4000000000000000 is too large",
        ),
        o(
            "obj_same_symbol_defined_twice",
            obj(|e| {
                // `counter` renamed `good_fn`: one object defines it twice.
                let n = e.get(e.sym_off(e.sym("good_fn")), 4);
                e.set_sym("counter", 0, 4, n);
            }),
            "broken.o: good_fn",
        ),
        // Groups.
        o(
            "obj_group_member_out_of_range",
            obj(|e| {
                let grp = e.section(".group");
                let off = e.sh(grp, Sh::Offset) as usize;
                e.set(off + 4, 4, 999);
            }),
            "group member 999 out of range",
        ),
        o(
            "obj_group_signature_out_of_range",
            obj(|e| {
                let grp = e.section(".group");
                e.set_sh(grp, Sh::Info, 5000);
            }),
            "group signature symbol 5000 out of range",
        ),
        o(
            "obj_group_size_not_multiple",
            obj(|e| {
                let grp = e.section(".group");
                e.set_sh(grp, Sh::Size, 7);
            }),
            "bad SHT_GROUP contents",
        ),
        // Contents.
        o(
            "obj_merge_string_unterminated",
            obj(|e| {
                let s = e.section(".rodata.str1.1");
                let end = (e.sh(s, Sh::Offset) + e.sh(s, Sh::Size)) as usize;
                e.0[end - 1] = b'x';
            }),
            "is not NUL-terminated",
        ),
        o(
            "obj_eh_frame_record_too_long",
            obj(|e| {
                let s = e.section(".eh_frame");
                let off = e.sh(s, Sh::Offset) as usize;
                e.set(off, 4, 0x1000);
            }),
            ".eh_frame+0x0: record extends past the end of the section",
        ),
        o(
            "obj_eh_frame_cie_pointer_before_section",
            obj(|e| {
                let s = e.section(".eh_frame");
                let off = e.sh(s, Sh::Offset) as usize;
                let cie_len = e.get(off, 4) as usize;
                e.set(off + cie_len + 8, 4, 0x1000);
            }),
            "FDE points to a CIE before the section",
        ),
        o(
            "obj_eh_frame_cie_pointer_not_a_cie",
            obj(|e| {
                let s = e.section(".eh_frame");
                let off = e.sh(s, Sh::Offset) as usize;
                let cie_len = e.get(off, 4) as usize;
                // Points 4 bytes into the CIE instead of at it.
                let fde = off + cie_len + 4;
                let id = e.get(fde + 4, 4);
                e.set(fde + 4, 4, id - 4);
            }),
            ".eh_frame+0x18: FDE refers to a CIE at 0x4 that does not precede it",
        ),
    ];
    // Relocations.
    v.extend([
        o(
            "rel_type_rel_section",
            obj(|e| {
                let s = e.section(".rela.text");
                e.set_sh(s, Sh::Type, 9);
            }),
            "SHT_REL relocations are not supported",
        ),
        o(
            "rel_target_section_out_of_range",
            obj(|e| {
                let s = e.section(".rela.text");
                e.set_sh(s, Sh::Info, 0x7777);
            }),
            "applies to section 30583 out of range",
        ),
        o(
            "rel_entsize_zero",
            obj(|e| {
                let s = e.section(".rela.text");
                e.set_sh(s, Sh::Entsize, 0);
            }),
            "relocation section .rela.text: entry size is 0, expected 24",
        ),
        o(
            "rel_size_not_multiple",
            obj(|e| {
                let s = e.section(".rela.text");
                let n = e.sh(s, Sh::Size);
                e.set_sh(s, Sh::Size, n - 3);
            }),
            "bad contents",
        ),
        o(
            "rel_size_absurd",
            obj(|e| {
                let s = e.section(".rela.text");
                e.set_sh(s, Sh::Size, 24 << 56);
            }),
            "extends past the end of the file",
        ),
        o(
            "rel_symbol_out_of_range",
            obj(|e| {
                let r = e.rela(".rela.text", 0);
                let info = e.get(r + 8, 8);
                e.set(r + 8, 8, (info & 0xffff_ffff) | (5000 << 32));
            }),
            "relocation refers to symbol 5000 out of range",
        ),
        o(
            "rel_offset_out_of_range",
            obj(|e| {
                let r = e.rela(".rela.text", 1);
                e.set(r, 8, 0x10_0000);
            }),
            "(.text+0x100000): relocation offset is past the end of the section",
        ),
        o(
            "rel_offset_straddles_end",
            obj(|e| {
                // A 4-byte PC32 two bytes before the end.
                let t = e.section(".text");
                let size = e.sh(t, Sh::Size);
                let r = e.rela(".rela.text", 1);
                e.set(r, 8, size - 2);
            }),
            "relocation is past the end of its section",
        ),
        o(
            "rel_debug_offset_out_of_range",
            debug_reloc_at(0, 0x10_0000),
            "(.debug_info+0x100000): relocation refers to symbol 5 or offset out of range",
        ),
        o(
            "rel_unknown_type",
            obj(|e| {
                let r = e.rela(".rela.text", 1);
                let info = e.get(r + 8, 8);
                e.set(r + 8, 8, (info & !0xffff_ffff) | 0xee);
            }),
            "unsupported relocation type",
        ),
        o(
            "rel_against_missing_symbol",
            obj(|e| {
                // `helper` becomes `elper`, which nothing defines.
                let n = e.get(e.sym_off(e.sym("helper")), 4);
                e.set_sym("helper", 0, 4, n + 1);
            }),
            "undefined symbol: elper",
        ),
        o(
            "rel_against_section_not_loaded",
            obj(|e| {
                // The section symbol of .rodata.str1.1 (a relocation
                // target in .text) moved to .rela.text.
                let rt = e.section(".rela.text") as u64;
                let at = e.sym_off(e.section_sym(".rodata.str1.1"));
                e.set(at + 6, 2, rt);
            }),
            "(.text+0x14): relocation refers to symbol 3 in section .rela.text, which is not loaded",
        ),
    ]);
    v
}

fn asm_case(name: &str, src: &str, expect: &str) -> Case {
    let dir = fresh_work_dir("broken_inputs", &format!("_asm_{name}"));
    let o = gcc_c(&dir, "broken.s", src, &[]);
    case(name, "broken.o", std::fs::read(o).unwrap(), expect, OBJ)
}

/// good.o with relocation `k` of `.debug_info` moved to `offset`.
fn debug_reloc_at(k: usize, offset: u64) -> Vec<u8> {
    obj(|e| {
        let r = e.rela(".rela.debug_info", k);
        e.set(r, 8, offset);
    })
}

/// A broken object linked with `-r` (the relocatable output keeps the
/// relocations of every section, debug ones included).
fn r(name: &str, data: Vec<u8>, expect: &str) -> Case {
    let mut c = o(name, data, expect);
    c.args.insert(0, "-r".into());
    c
}

fn relocatable_cases() -> Vec<Case> {
    vec![
        r(
            "r_debug_reloc_offset_out_of_range",
            debug_reloc_at(0, 0x10_0000),
            "(.debug_info+0x100000): relocation refers to symbol 5 or offset out of range",
        ),
        // What the fuzzer found: an offset that overflowed when added to
        // the section's place in the output.
        r(
            "r_debug_reloc_offset_near_2_64",
            debug_reloc_at(1, 0xffff_ffff_ffff_ff30),
            "(.debug_info+0xffffffffffffff30): relocation refers to symbol",
        ),
        // A symbol index past the symbol table: it was written as symbol 0.
        r(
            "r_debug_reloc_symbol_out_of_range",
            obj(|e| {
                let r = e.rela(".rela.debug_info", 0);
                let info = e.get(r + 8, 8);
                e.set(r + 8, 8, (info & 0xffff_ffff) | (0xffff << 32));
            }),
            "relocation refers to symbol 65535 or offset out of range",
        ),
    ]
}

/// Relocations whose place or code sequence is cut short, written with `.reloc`.
fn reloc_asm_cases() -> Vec<Case> {
    vec![
        asm_case(
            "rel_gotpcrelx_jmp_cut_short",
            "  .text\n  .globl f\nf:\n  .byte 0xff, 0x25\n  .reloc ., R_X86_64_GOTPCRELX, helper-4\n  .byte 0, 0, 0\n",
            "relocation is past the end of its section",
        ),
        asm_case(
            "rel_tlsdesc_call_cut_short",
            "  .text\n  .globl f\nf:\n  .reloc ., R_X86_64_TLSDESC_CALL, tv\n  .byte 0xff\n  .section .tbss,\"awT\",@nobits\ntv: .zero 4\n",
            "relocation is past the end of its section",
        ),
        asm_case(
            "rel_tlsgd_without_code_sequence",
            "  .text\n  .globl f\nf:\n  .reloc ., R_X86_64_TLSGD, tv-4\n  .long 0\n  .section .tbss,\"awT\",@nobits\ntv: .zero 4\n",
            "R_X86_64_TLSGD is not followed by the expected general-dynamic code sequence",
        ),
        asm_case(
            "rel_debug_tombstone_cut_short",
            // A debug relocation against a section that is not linked
            // (SHF_EXCLUDE), two bytes before the end: the tombstone
            // would be written past the end.
            "  .section .excl,\"e\",@progbits\nx: .long 0\n  .section .debug_foo,\"\",@progbits\n  .reloc 1, R_X86_64_32, x\n  .byte 0, 0\n",
            "relocation is past the end of its section",
        ),
        asm_case(
            "rel_eh_frame_in_terminator",
            // A relocation in a zero terminator, before the first CIE.
            "  .text\n  .globl f\nf: ret\n  .section .eh_frame,\"a\",@unwind\n  .long 0\n  .reloc 0, R_X86_64_PC32, f\n  .long 12, 0\n  .byte 1, 0, 1, 0x78, 0x10, 0, 0, 0\n",
            ".eh_frame+0x0: relocation is not inside any CIE or FDE",
        ),
        asm_case(
            "rel_32_overflow",
            "  .text\n  .globl f\nf:\n  .reloc ., R_X86_64_32, f+0x100000000\n  .long 0\n",
            "relocation R_X86_64_32 against f out of range",
        ),
        asm_case(
            "rel_16_overflow",
            "  .globl foo\n  .data\nfoo:\n  .short foo\n",
            "relocation R_X86_64_16 against foo out of range",
        ),
    ]
}

fn a(name: &str, data: Vec<u8>, expect: &str) -> Case {
    Case {
        args: vec!["-u".into(), "good_fn".into(), "libbroken.a".into()],
        ..case(name, "libbroken.a", data, expect, AR)
    }
}

/// `a`, with the other member (a_long_member_name_for_the_table.o) selected
/// too: a broken member is an error when a link loads it (as in GNU ld,
/// which does not read the members it does not load).
fn a2(name: &str, data: Vec<u8>, expect: &str) -> Case {
    Case {
        args: ["-u", "good_fn", "-u", "other_fn", "libbroken.a"]
            .map(String::from)
            .to_vec(),
        ..case(name, "libbroken.a", data, expect, AR)
    }
}

/// Where the archive symbol index of `a` holds the member offset of the
/// entry named `sym`.
fn index_entry(a: &[u8], sym: &str) -> usize {
    let at = ar_member(a, "/").hdr + 60;
    let n = u32::from_be_bytes(a[at..at + 4].try_into().unwrap()) as usize;
    let names = &a[at + 4 + 4 * n..];
    let k = names
        .split(|&b| b == 0)
        .take(n)
        .position(|x| x == sym.as_bytes())
        .unwrap_or_else(|| panic!("TEST BUG: {sym} is not in the index"));
    at + 4 + 4 * k
}

fn archive_cases() -> Vec<Case> {
    let g = &base().archive;
    let index = ar_member(g, "/");
    let names = ar_member(g, "//");
    let member = ar_member(g, "good.o/");
    let long = ar_member(g, "/0");
    let mut v = vec![
        a(
            "ar_garbage_member_header",
            b"!<arch>\nthis is not an archive member header, it is sixty bytes!!\n".to_vec(),
            "malformed archive",
        ),
        a(
            "ar_truncated_in_member_header",
            g[..8 + 30].to_vec(),
            "malformed archive",
        ),
        a(
            "ar_truncated_in_index",
            g[..index.hdr + 60 + 6].to_vec(),
            "malformed archive",
        ),
        a(
            "ar_truncated_in_member_data",
            g[..member.hdr + 60 + 100].to_vec(),
            "bad member data",
        ),
        a(
            "ar_member_size_not_a_number",
            arch(|a| ar_field(a, member.hdr + 48, 10, "12x")),
            "malformed archive",
        ),
        a(
            "ar_member_size_past_end",
            arch(|a| ar_field(a, member.hdr + 48, 10, "9999999")),
            "bad member data",
        ),
        a(
            "ar_member_size_absurd",
            arch(|a| ar_field(a, member.hdr + 48, 10, "9999999999")),
            "bad member data",
        ),
        a(
            "ar_member_bad_terminator",
            arch(|a| ar_field(a, member.hdr + 58, 2, "xx")),
            "malformed archive",
        ),
        a2(
            "ar_long_name_offset_out_of_range",
            arch(|a| ar_field(a, long.hdr, 16, "/99999")),
            "malformed archive",
        ),
        a2(
            "ar_long_name_not_a_number",
            arch(|a| ar_field(a, long.hdr, 16, "/1x")),
            "malformed archive",
        ),
        a2(
            "ar_long_name_table_missing",
            arch(|a| ar_field(a, names.hdr, 16, "xx/")),
            "malformed archive",
        ),
        a(
            "ar_index_count_absurd",
            arch(|a| {
                let at = index.hdr + 60;
                a[at..at + 4].copy_from_slice(&0x3fff_ffffu32.to_be_bytes());
            }),
            "malformed archive symbol table",
        ),
        a(
            "ar_index_names_cut",
            arch(|a| {
                // The index claims fewer bytes than its names need.
                let at = index.hdr + 60;
                let n = u32::from_be_bytes(a[at..at + 4].try_into().unwrap()) as usize;
                ar_field(a, index.hdr + 48, 10, &(4 + 4 * n).to_string());
            }),
            "malformed archive",
        ),
        a(
            "ar_index_offset_not_a_member",
            arch(|a| {
                let at = index_entry(a, "good_fn");
                a[at..at + 4].copy_from_slice(&0x13u32.to_be_bytes());
            }),
            "points to offset 0x13, which is not a member",
        ),
        a(
            "ar_index_offset_past_end",
            arch(|a| {
                let at = index_entry(a, "good_fn");
                a[at..at + 4].copy_from_slice(&0x7fff_fff0u32.to_be_bytes());
            }),
            "which is not a member",
        ),
    ];
    // Members that are broken objects, extracted for the symbol they define.
    let mut m = good();
    m.set(0x12, 2, 40);
    v.push(a(
        "ar_member_wrong_machine",
        archive_with("wrong_machine", m.bytes()),
        "libbroken.a(good.o): incompatible machine type 40",
    ));
    let mut m = good();
    let s = m.section(".data");
    m.set_sh(s, Sh::Size, 0x10_0000);
    v.push(a(
        "ar_member_section_past_end",
        archive_with("section_past_end", m.bytes()),
        "libbroken.a(good.o): section .data extends past the end of the file",
    ));
    // Relocations and merged strings are read after resolution, not when
    // the member is parsed for it.
    let mut m = good();
    let r = m.rela(".rela.text", 0);
    let info = m.get(r + 8, 8);
    m.set(r + 8, 8, (info & 0xffff_ffff) | (5000 << 32));
    v.push(a(
        "ar_member_rel_symbol_out_of_range",
        archive_with("rel_symbol_out_of_range", m.bytes()),
        "libbroken.a(good.o): (.text+0x4): relocation refers to symbol 5000 out of range",
    ));
    let mut m = good();
    let s = m.section(".rodata.str1.1");
    let end = (m.sh(s, Sh::Offset) + m.sh(s, Sh::Size)) as usize;
    m.0[end - 1] = b'x';
    v.push(a(
        "ar_member_merge_string_unterminated",
        archive_with("merge_string_unterminated", m.bytes()),
        "libbroken.a(good.o): .rodata.str1.1: string at offset",
    ));
    let mut m = good();
    m.set(0x28, 8, 0xffff_fff8);
    v.push(a(
        "ar_member_bad_section_table",
        archive_with("bad_section_table", m.bytes()),
        "libbroken.a(good.o): section header table",
    ));
    // Without an index.
    v.push(a(
        "ar_no_index",
        {
            let dir = fresh_work_dir("broken_inputs", "_ar_no_index");
            std::fs::write(dir.join("good.o"), &base().good_o).unwrap();
            run_tool(
                Command::new("ar")
                    .args(["rcSD", "lib.a", "good.o"])
                    .current_dir(&dir),
            );
            std::fs::read(dir.join("lib.a")).unwrap()
        },
        "archive has no index; run ranlib",
    ));
    // A thin archive whose member file is missing.
    let mut thin = Case {
        files: vec![],
        ..a(
            "ar_thin_member_missing",
            vec![],
            "thin archive member gone.o",
        )
    };
    {
        let dir = fresh_work_dir("broken_inputs", "_ar_thin");
        std::fs::write(dir.join("gone.o"), &base().good_o).unwrap();
        run_tool(
            Command::new("ar")
                .args(["rcsDT", "libbroken.a", "gone.o"])
                .current_dir(&dir),
        );
        thin.files = vec![(
            "libbroken.a".into(),
            std::fs::read(dir.join("libbroken.a")).unwrap(),
        )];
    }
    v.push(thin);
    // A member padded out with a huge size claim in the middle of the file.
    let last = ar_members(g).pop().unwrap();
    v.push(a2(
        "ar_last_member_size_overflows",
        arch(|a| ar_field(a, last.hdr + 48, 10, "4294967295")),
        "bad member data",
    ));
    v
}

fn s(name: &str, data: Vec<u8>, expect: &str) -> Case {
    Case {
        args: vec![base().user_o.display().to_string(), "libbroken.so".into()],
        ..case(name, "libbroken.so", data, expect, SO)
    }
}

fn shared_cases() -> Vec<Case> {
    let g = so();
    let dynamic = g.section(".dynamic");
    let dynsym = g.section(".dynsym");
    let versym = g.section(".gnu.version");
    let verdef = g.section(".gnu.version_d");
    const DT_SONAME: u64 = 14;
    const DT_STRTAB: u64 = 5;
    vec![
        s(
            "so_truncated_header",
            g.truncated(50),
            "truncated ELF header",
        ),
        s(
            "so_truncated_half",
            g.truncated(g.0.len() / 2),
            "section header table",
        ),
        s(
            "so_machine_arm",
            shlib(|e| {
                e.set(0x12, 2, 40);
            }),
            "incompatible machine type 40",
        ),
        s(
            "so_class32",
            shlib(|e| {
                e.set(4, 1, 1);
            }),
            "32-bit ELF",
        ),
        s(
            "so_soname_out_of_range",
            shlib(|e| {
                let d = e.dyn_entry(DT_SONAME);
                e.set(d + 8, 8, 0x10_0000);
            }),
            "DT_SONAME has a bad string offset",
        ),
        s(
            "so_missing_dt_strtab",
            shlib(|e| {
                let d = e.dyn_entry(DT_STRTAB);
                e.set(d, 8, 21); // DT_DEBUG
            }),
            "dynamic section has no DT_STRTAB",
        ),
        s(
            "so_dynamic_link_out_of_range",
            shlib(|e| {
                e.set_sh(dynamic, Sh::Link, 0x7000);
            }),
            "bad .dynamic string table",
        ),
        s(
            "so_dynamic_size_not_multiple",
            shlib(|e| {
                let n = e.sh(dynamic, Sh::Size);
                e.set_sh(dynamic, Sh::Size, n - 3);
            }),
            "bad .dynamic contents",
        ),
        s(
            "so_dynamic_size_absurd",
            shlib(|e| {
                e.set_sh(dynamic, Sh::Size, 16 << 58);
            }),
            "bad .dynamic contents",
        ),
        s(
            "so_dynsym_entsize_zero",
            shlib(|e| {
                e.set_sh(dynsym, Sh::Entsize, 0);
            }),
            "dynamic symbol table entry size is 0, expected 24",
        ),
        s(
            "so_dynsym_link_not_strtab",
            shlib(|e| {
                e.set_sh(dynsym, Sh::Link, dynamic as u64);
            }),
            "bad dynamic symbol table",
        ),
        s(
            "so_dynsym_size_absurd",
            shlib(|e| {
                e.set_sh(dynsym, Sh::Size, 24 << 55);
            }),
            "bad dynamic symbol table",
        ),
        s(
            "so_dynsym_name_out_of_range",
            shlib(|e| {
                e.set_sym("lib_fn", 0, 4, 0x10_0000);
            }),
            "dynamic symbol 5 has a bad name offset",
        ),
        s(
            "so_dynsym_size_absurd_copy",
            shlib(|e| {
                e.set_sym("lib_data", 16, 8, 1 << 62);
            }),
            "dynamic symbol lib_data: size 0x4000000000000000 is too large",
        ),
        s(
            "so_versym_too_short",
            shlib(|e| {
                e.set_sh(versym, Sh::Size, 6);
            }),
            ".gnu.version has 3 entries for 10 dynamic symbols",
        ),
        s(
            "so_versym_undefined_version",
            shlib(|e| {
                let off = e.sh(versym, Sh::Offset) as usize + 2 * e.sym("lib_fn");
                e.set(off, 2, 7);
            }),
            "dynamic symbol lib_fn has version index 7, which is not defined",
        ),
        s(
            "so_verdef_aux_out_of_range",
            shlib(|e| {
                let off = e.sh(verdef, Sh::Offset) as usize;
                e.set(off + 12, 4, 0x10_0000);
            }),
            "bad version definition",
        ),
        s(
            "so_verdef_next_out_of_range",
            shlib(|e| {
                let off = e.sh(verdef, Sh::Offset) as usize;
                e.set(off + 16, 4, 0x10_0000);
            }),
            "bad version definition",
        ),
        s(
            "so_verdef_name_out_of_range",
            shlib(|e| {
                let off = e.sh(verdef, Sh::Offset) as usize;
                let aux = e.get(off + 12, 4) as usize;
                e.set(off + aux, 4, 0x10_0000);
            }),
            "bad version name",
        ),
        s(
            "so_verdef_link_out_of_range",
            shlib(|e| {
                e.set_sh(verdef, Sh::Link, 0x7000);
            }),
            "bad version definition string table",
        ),
    ]
}

fn sc(name: &str, text: &str, expect: &str) -> Case {
    case(name, "broken.ld", text.as_bytes().to_vec(), expect, SCRIPT)
}

fn script_cases() -> Vec<Case> {
    let good_o = base().dir.join("good.o").display().to_string();
    let deep = format!("GROUP({})", "AS_NEEDED(".repeat(100));
    let mut v = vec![
        sc(
            "script_unterminated_comment",
            "/* GNU ld script\nGROUP ( libc.so.6 )\n",
            "broken.ld:1: unclosed comment in linker script",
        ),
        sc(
            "script_group_unclosed",
            "GROUP ( /nonexistent/libc.so.6\n",
            "broken.ld:1: unexpected end of linker script, expected ')' to close GROUP",
        ),
        sc(
            "script_input_of_itself",
            "INPUT(broken.ld)\n",
            "broken.ld: linker scripts nest too deeply (a cycle?)",
        ),
        sc(
            "script_as_needed_too_deep",
            &deep,
            "broken.ld:1: AS_NEEDED nested too deeply",
        ),
        sc(
            "script_garbage_words",
            "hello world, this is not a linker script\n",
            "broken.ld:1: linker script command hello is not supported",
        ),
        sc(
            "script_sections",
            "SECTIONS { .nothing : { LONG(1) } }\n",
            "broken.ld:1: BYTE/SHORT/LONG/QUAD in an output section without input sections (.nothing) is not supported yet",
        ),
        sc(
            "script_wrong_format",
            "OUTPUT_FORMAT(elf32-i386)\n",
            "broken.ld:1: unsupported output format elf32-i386",
        ),
        sc(
            "script_unterminated_string",
            "INPUT(\"abc)\n",
            "broken.ld:1: unterminated string in linker script",
        ),
        sc(
            "script_missing_file",
            "INPUT(/nonexistent/dir/none.o)\n",
            "(named in linker script broken.ld)",
        ),
        sc(
            "script_missing_library",
            "GROUP(-lno_such_library_anywhere)\n",
            "cannot find -lno_such_library_anywhere",
        ),
        sc(
            "script_stray_paren",
            "INPUT(a.o))\n",
            "broken.ld:1: unexpected ')' in linker script",
        ),
        sc(
            "script_entry_no_arg",
            "ENTRY()\n",
            "broken.ld:1: expected an argument to ENTRY",
        ),
        case(
            "script_invalid_utf8",
            "broken.ld",
            b"INPUT(a\xff.o)\n".to_vec(),
            "broken.ld:1: invalid UTF-8",
            SCRIPT,
        ),
        case(
            "script_control_bytes",
            "broken.ld",
            b"INPUT(a.o)\x01\x02\x03garbage".to_vec(),
            "broken.ld: file format not recognized",
            SCRIPT,
        ),
    ];
    // Two scripts naming each other.
    v.push(Case {
        files: vec![
            ("broken.ld".into(), b"INPUT(other.ld)\n".to_vec()),
            ("other.ld".into(), b"GROUP(broken.ld)\n".to_vec()),
        ],
        ..sc(
            "script_cycle_of_two",
            "",
            "linker scripts nest too deeply (a cycle?)",
        )
    });
    // A script naming a broken object: the object's message, and the script.
    let mut e = good();
    e.set(0x12, 2, 40);
    v.push(Case {
        files: vec![
            ("broken.ld".into(), b"INPUT(inner.o)\n".to_vec()),
            ("inner.o".into(), e.bytes()),
        ],
        file: "inner.o".into(),
        ..sc(
            "script_names_broken_object",
            "",
            "inner.o: incompatible machine type 40",
        )
    });
    // A valid script next to a valid object, for the seeds.
    let _ = good_o;
    v
}

// ---------------------------------------------------------------------------
// Running a case.

fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const PRECIOUS: &[u8] = b"an existing output that a failed link must leave alone\n";

/// Runs one case; returns a description of what went wrong, if anything.
fn run_case(c: &Case, idx: usize) -> Option<String> {
    let dir = fresh_work_dir("broken_inputs", &c.name);
    for (name, data) in &c.files {
        std::fs::write(dir.join(name), data).unwrap();
    }
    // Every other case has an existing output, which must survive.
    let out = dir.join("out");
    let existing = idx % 2 == 1;
    if existing {
        std::fs::write(&out, PRECIOUS).unwrap();
    }
    let before = list_dir(&dir);
    let mut cmd = Command::new(linker_under_test());
    cmd.arg("-o")
        .arg("out")
        .arg(&base().start_o)
        .args(&c.args)
        .current_dir(&dir);
    let r = match run_with_timeout(&mut cmd, TIMEOUT) {
        Ok(r) => r,
        Err(e) => return Some(format!("cannot run cld: {e}")),
    };
    if std::env::var_os("CLD_BROKEN_SHOW").is_some() {
        eprintln!("{}: {}", c.name, r.stderr.trim_end());
    }
    let mut problems = Vec::new();
    if r.timed_out {
        problems.push("hung (killed after the timeout)".to_string());
    } else if r.status.code().is_none() {
        problems.push(format!("died: {}", r.describe_status()));
    } else if r.status.success() {
        problems.push("succeeded, but the input is broken".to_string());
    } else if r.status.code() == Some(101) {
        problems.push("exit status 101 (a Rust panic)".to_string());
    }
    for crash in ["panicked", "RUST_BACKTRACE", "memory allocation of"] {
        if r.stderr.contains(crash) {
            problems.push(format!("crashed (stderr has {crash:?})"));
        }
    }
    if !r.stderr.contains(&c.file) {
        problems.push(format!("the message does not name the file {:?}", c.file));
    }
    if !r.stderr.contains(&c.expect) {
        problems.push(format!("the message does not say {:?}", c.expect));
    }
    if existing {
        if std::fs::read(&out).ok().as_deref() != Some(PRECIOUS) {
            problems.push("the existing output file was changed".into());
        }
    } else if out.exists() {
        problems.push("an output file was created".into());
    }
    let after = list_dir(&dir);
    if after != before {
        problems.push(format!("files left behind: {before:?} -> {after:?}"));
    }
    if problems.is_empty() {
        return None;
    }
    Some(format!(
        "{}: {}\n  command: {}\n  result: {}\n  stderr:\n{}",
        c.name,
        problems.join("; "),
        show_command(&cmd),
        r.describe_status(),
        indent(&truncate(&r.stderr, 12), "    ")
    ))
}

fn run_all(cases: Vec<Case>, min: usize) {
    assert!(
        cases.len() >= min,
        "TEST BUG: {} cases, expected at least {min}",
        cases.len()
    );
    let mut names = std::collections::HashSet::new();
    for c in &cases {
        assert!(
            names.insert(c.name.clone()),
            "TEST BUG: case {} twice",
            c.name
        );
    }
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, c)| run_case(c, i))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} broken inputs were not rejected cleanly:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The valid inputs link: a failure in a case comes from its mutation.
#[test]
fn valid_inputs_link() {
    let b = base();
    let dir = fresh_work_dir("broken_inputs", "_valid");
    std::fs::write(dir.join("good.o"), &b.good_o).unwrap();
    std::fs::write(dir.join("libgood.a"), &b.archive).unwrap();
    std::fs::write(dir.join("libgood.so"), &b.libgood_so).unwrap();
    std::fs::write(dir.join("good.ld"), b"INPUT(good.o)\n").unwrap();
    // Odd but valid: one object with two COMMON symbols of the same name
    // (the larger wins, as between objects).
    let mut twice = good();
    let n = twice.get(twice.sym_off(twice.sym("big_buf")), 4);
    twice.set_sym("common_var", 0, 4, n);
    std::fs::write(dir.join("common_twice.o"), twice.bytes()).unwrap();
    for args in [
        vec!["common_twice.o"],
        vec!["good.o"],
        vec!["-u", "good_fn", "libgood.a"],
        vec![b.user_o.to_str().unwrap(), "libgood.so"],
        vec!["good.ld"],
    ] {
        let mut cmd = Command::new(linker_under_test());
        cmd.arg("-o")
            .arg("out")
            .arg(&b.start_o)
            .args(&args)
            .current_dir(&dir);
        let r = run_with_timeout(&mut cmd, TIMEOUT).unwrap();
        assert!(
            r.success(),
            "a valid link failed: {}\n{}",
            show_command(&cmd),
            r.stderr
        );
    }
}

/// A member nobody selects is not read, as in GNU ld (and gold, lld):
/// libgood.a with its other member (a_long_member_name_for_the_table.o)
/// broken in each way, or its index entry pointing nowhere, links when
/// only good.o is wanted. ld.bfd agrees on each archive.
#[test]
fn broken_members_nobody_selects_are_not_read() {
    let b = base();
    let dir = fresh_work_dir("broken_inputs", "_unselected");
    let other = ar_member(&b.archive, "/0").hdr;
    let names = ar_member(&b.archive, "//").hdr;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "long_name_offset",
            arch(|a| ar_field(a, other, 16, "/99999")),
        ),
        (
            "size_not_a_number",
            arch(|a| ar_field(a, other + 48, 10, "12x")),
        ),
        ("bad_terminator", arch(|a| ar_field(a, other + 58, 2, "xx"))),
        (
            "size_past_end",
            arch(|a| ar_field(a, other + 48, 10, "4294967295")),
        ),
        ("names_table", arch(|a| ar_field(a, names, 16, "xx/"))),
        (
            "index_entry",
            arch(|a| {
                let at = index_entry(a, "other_fn");
                a[at..at + 4].copy_from_slice(&0x13u32.to_be_bytes());
            }),
        ),
    ];
    for (name, data) in cases {
        let lib = format!("lib{name}.a");
        std::fs::write(dir.join(&lib), data).unwrap();
        for linker in [linker_under_test(), PathBuf::from("ld.bfd")] {
            let mut cmd = Command::new(&linker);
            cmd.arg("-o")
                .arg(format!("out-{name}"))
                .arg(&b.start_o)
                .args(["-u", "good_fn", &lib])
                .current_dir(&dir);
            let r = run_with_timeout(&mut cmd, TIMEOUT).unwrap();
            assert!(
                r.success(),
                "{name}: a link that does not load the broken member failed: {}\n{}",
                show_command(&cmd),
                r.stderr
            );
        }
    }
}

#[test]
fn broken_objects() {
    run_all(object_cases(), 50);
}

#[test]
fn broken_relocations_in_the_relocation_pass() {
    run_all(reloc_asm_cases(), 6);
}

#[test]
fn broken_objects_linked_relocatable() {
    run_all(relocatable_cases(), 3);
}

#[test]
fn broken_archives() {
    run_all(archive_cases(), 15);
}

#[test]
fn broken_shared_objects() {
    run_all(shared_cases(), 15);
}

#[test]
fn broken_scripts() {
    run_all(script_cases(), 12);
}

/// Writes the valid inputs and every case into `$CLD_FUZZ_SEED_DIR/<target>/`
/// for the fuzz targets (see `scripts/fuzz-smoke.sh`).
#[test]
#[ignore]
fn export_fuzz_seeds() {
    let Some(out) = std::env::var_os("CLD_FUZZ_SEED_DIR") else {
        panic!("set CLD_FUZZ_SEED_DIR to the directory to fill");
    };
    let out = PathBuf::from(out);
    let b = base();
    let mut all: Vec<Case> = Vec::new();
    all.extend(object_cases());
    all.extend(reloc_asm_cases());
    all.extend(archive_cases());
    all.extend(shared_cases());
    all.extend(script_cases());
    let valid: Vec<(&str, &str, Vec<u8>)> = vec![
        ("object", "valid_good.o", b.good_o.clone()),
        ("object", "valid_other.o", b.other_o.clone()),
        ("link", "valid_good.o", b.good_o.clone()),
        ("link", "valid_other.o", b.other_o.clone()),
        ("link", "valid_user.o", std::fs::read(&b.user_o).unwrap()),
        ("object", "valid_start.o", std::fs::read(&b.start_o).unwrap()),
        ("archive", "valid_libgood.a", b.archive.clone()),
        ("shared", "valid_libgood.so", b.libgood_so.clone()),
        (
            "script",
            "valid_libc.ld",
            b"/* GNU ld script */\nOUTPUT_FORMAT(elf64-x86-64)\nGROUP ( /lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libc_nonshared.a  AS_NEEDED ( /lib64/ld-linux-x86-64.so.2 ) )\n".to_vec(),
        ),
        (
            "script",
            "valid_misc.ld",
            b"OUTPUT_FORMAT(\"elf64-x86-64\", \"elf64-x86-64\", \"elf64-x86-64\") OUTPUT_ARCH(i386:x86-64); SEARCH_DIR(\"/x\"); ENTRY(s) INPUT(a, \"b\", -lc AS_NEEDED(-lm, AS_NEEDED(q)))\n".to_vec(),
        ),
    ];
    let mut n = 0;
    for (target, name, data) in valid {
        let d = out.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), data).unwrap();
        n += 1;
    }
    for c in &all {
        for target in c.seed_for {
            let d = out.join(target);
            std::fs::create_dir_all(&d).unwrap();
            for (i, (_, data)) in c.files.iter().enumerate() {
                std::fs::write(d.join(format!("{}_{i}", c.name)), data).unwrap();
                n += 1;
            }
        }
    }
    eprintln!("wrote {n} seeds into {}", out.display());
}
