//! The link as the command line defines it: output kind, ordered inputs and
//! every flag the later passes read. Produced by `args::parse`, read-only after.

use crate::arch::{Arch, Native};
use std::path::PathBuf;

mod values;
pub use values::*;

/// What kind of file the link produces. Derived from `-shared`, `-pie`,
/// `-no-pie`, `-static`, `-static-pie` after the whole command line is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// `-no-pie`, dynamically linked `ET_EXEC`.
    Exec,
    /// `-pie`, dynamically linked `ET_DYN` with `PT_INTERP`.
    Pie,
    /// `-static` (without `-pie`): `ET_EXEC`, no dynamic section.
    StaticExec,
    /// `-static-pie`: `ET_DYN`, self-relocating, no `PT_INTERP`.
    StaticPie,
    /// `-shared`.
    Shared,
}

impl OutputKind {
    pub fn is_pic(self) -> bool {
        matches!(
            self,
            OutputKind::Pie | OutputKind::StaticPie | OutputKind::Shared
        )
    }
    pub fn is_static(self) -> bool {
        matches!(self, OutputKind::StaticExec | OutputKind::StaticPie)
    }
    pub fn is_executable(self) -> bool {
        !matches!(self, OutputKind::Shared)
    }
    /// Whether the output has a `.dynamic` section.
    pub fn is_dynamic(self) -> bool {
        !matches!(self, OutputKind::StaticExec)
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub output: PathBuf,
    pub output_kind: OutputKind,
    pub inputs: Vec<InputArg>,
    /// `-L` directories, in command-line order.
    pub search_paths: Vec<PathBuf>,
    pub dynamic_linker: Option<String>,
    /// `-e`; default `_start`.
    pub entry: Option<String>,
    pub build_id: BuildId,
    pub eh_frame_hdr: bool,
    pub hash_style: HashStyle,
    /// `-z relro` (default) / `-z norelro`.
    pub relro: bool,
    /// `-z now` / `-z lazy` (default lazy).
    pub now: bool,
    /// `-z execstack` / `-z noexecstack`; `None` = decide from `.note.GNU-stack`.
    pub execstack: Option<bool>,
    /// `-z separate-code` (default on x86-64 Linux) / `-z noseparate-code`.
    pub separate_code: bool,
    /// `-z pack-relative-relocs`: relative relocations in `.relr.dyn`.
    pub pack_relr: bool,
    /// `-rpath`/`-R DIR`, in order.
    pub rpath: Vec<String>,
    /// `--enable-new-dtags` (the default of this system's GNU ld): emit
    /// `DT_RUNPATH`; `--disable-new-dtags`: `DT_RPATH`.
    pub new_dtags: bool,
    pub export_dynamic: bool,
    /// `-s` / `--strip-all`.
    pub strip_all: bool,
    /// `-S` / `--strip-debug`.
    pub strip_debug: bool,
    pub gc_sections: bool,
    pub print_gc_sections: bool,
    pub soname: Option<String>,
    /// `-u SYM` / `--undefined=SYM`.
    pub undefined: Vec<String>,
    /// `--wrap=SYM`: undefined `SYM` means `__wrap_SYM`, undefined
    /// `__real_SYM` means `SYM`.
    pub wrap: Vec<String>,
    /// `--defsym SYMBOL=EXPRESSION`, in command-line order.
    pub defsym: Vec<(String, DefsymExpr)>,
    /// `--allow-multiple-definition`, `-z muldefs`.
    pub allow_multiple_definition: bool,
    /// `--undefined-glob PATTERN`: like `-u` for every archive symbol that
    /// matches.
    pub undefined_globs: Vec<String>,
    /// `--require-defined SYMBOL`: like `-u`, and an error if undefined.
    pub require_defined: Vec<String>,
    /// `-y SYMBOL`/`--trace-symbol`: say where each is defined and used.
    pub trace_symbols: Vec<String>,
    /// `-t`/`--trace`: print each input file as it is linked.
    pub trace: bool,
    /// `--demangle` (default) / `--no-demangle`: C++ names in messages.
    pub demangle: bool,
    /// `--unresolved-symbols=`: whether undefined symbols in objects and in
    /// shared libraries are errors (GNU ld's four settings as two flags).
    pub unresolved_in_objects: bool,
    pub unresolved_in_shared: bool,
    /// `--warn-unresolved-symbols`: report them as warnings instead.
    pub warn_unresolved: bool,
    /// `--dependency-file FILE`: a Make rule of the output's inputs.
    pub dependency_file: Option<PathBuf>,
    /// `--sysroot DIR` (applied to `-L` by `args`; linker scripts use it too).
    pub sysroot: Option<PathBuf>,
    /// Which local symbols `.symtab` drops: `-X`/`--discard-locals` (the
    /// default: assembler-local `.L` names), `-x`/`--discard-all` (every
    /// local), `--discard-none`.
    pub discard: Discard,
    /// `--unique=GLOB`: matching input sections stay output sections of their own.
    pub unique_sections: Vec<String>,
    /// `-z dynamic-undefined-weak` (default) / `-z nodynamic-undefined-weak`:
    /// whether a shared object leaves undefined weak symbols to the dynamic
    /// linker or resolves them to 0.
    /// `None`: GNU ld's default (a shared object leaves them to the
    /// dynamic linker, an executable resolves them to 0).
    pub dynamic_undefined_weak: Option<bool>,
    /// `--warn-execstack` (default) / `--no-warn-execstack`: warn when an
    /// input makes the stack executable.
    pub warn_execstack: bool,
    /// `--warn-textrel` (default, as GNU ld 2.40 on x86-64) /
    /// `--no-warn-textrel`: warn about each relocation that makes a text
    /// relocation, and that the output has DT_TEXTREL.
    pub warn_textrel: bool,
    /// `-z cet-report=warning|error`: report inputs whose
    /// `.note.gnu.property` lacks IBT or SHSTK.
    pub cet_report: CetReport,
    /// `--no-allow-shlib-undefined`: a linked shared library's undefined
    /// symbol that nothing defines is an error (checked for libraries
    /// whose own DT_NEEDED are all linked, as mold does).
    pub no_allow_shlib_undefined: bool,
    /// `-z rewrite-endbr`: `endbr64` at functions whose address is never
    /// taken becomes a `nop`.
    pub rewrite_endbr: bool,
    /// `--emit-relocs` / `-q`: keep the inputs' relocations in the output.
    pub emit_relocs: bool,
    /// `--no-relax`: no GOT relaxation, TLS descriptors kept (arch::DecideCtx).
    pub no_relax: bool,
    /// `-z x86-64-v2|v3|v4|baseline`: ISA level bits added to the output's
    /// GNU_PROPERTY_X86_ISA_1_NEEDED.
    pub x86_isa_needed: u32,
    /// `-z shstk`: the output is marked shadow-stack compatible.
    pub z_shstk: bool,
    /// `-z max-page-size=N`: segments start on N-byte boundaries (p_align).
    pub max_page_size: u64,
    /// `-z nocopyreloc`: a copy relocation is an error.
    pub no_copy_reloc: bool,
    /// `-n`/`--nmagic`: segments are not page-aligned (no RELRO).
    pub nmagic: bool,
    /// `-z keep-text-section-prefix`: `.text.hot.*`, `.text.unlikely.*`, ...
    /// go to output sections of their own (`.text.hot`, ...), as lld.
    pub keep_text_section_prefix: bool,
    /// `-z rodynamic`: `.dynamic` is read-only (and has no `DT_DEBUG`).
    pub rodynamic: bool,
    /// `-z nosectionheader`: no section header table.
    pub no_section_header: bool,
    /// `--section-start=SECTION=ADDRESS`, `-Ttext`/`-Tdata`/`-Tbss`: output
    /// sections placed at fixed addresses, each in its own segment.
    pub section_starts: Vec<(String, u64)>,
    /// `--section-align=SECTION=ALIGN` (mold's): minimum alignments of
    /// output sections.
    pub section_aligns: Vec<(String, u64)>,
    /// `--package-metadata JSON` (percent-decoded): a `.note.package` note.
    pub package_metadata: Option<String>,
    /// `--threads=N` / `--no-threads` (1).
    pub threads: Option<usize>,
    /// `-v` / `--verbose` seen.
    pub verbose: bool,
    /// `-init SYMBOL`, `-fini SYMBOL` (default `_init`, `_fini`).
    pub init: Option<String>,
    pub fini: Option<String>,
    /// Extra `DT_FLAGS_1` bits from `-z nodelete|nodlopen|initfirst|interpose|origin|...`.
    pub z_flags_1: u32,
    /// `-z defs` / `--no-undefined`.
    pub no_undefined: bool,
    /// `--fatal-warnings`.
    pub fatal_warnings: bool,
    /// `--warn-common`: warn when a common symbol meets another common or a
    /// definition.
    pub warn_common: bool,
    /// `--start-stop` (mold's): `__start_NAME`/`__stop_NAME` for every
    /// output section whose name, without its leading dot, is a C
    /// identifier.
    pub start_stop: bool,
    /// `--zero-to-bss` (mold's): writable PROGBITS input sections holding
    /// only zeros and no relocations are laid out as NOBITS.
    pub zero_to_bss: bool,
    /// `-Map FILE` / `-M` (accepted; map file not yet written).
    pub map_file: Option<PathBuf>,
    /// `--image-base=ADDR` / `-Ttext-segment=ADDR`; default 0x400000 for
    /// `ET_EXEC`, 0 for `ET_DYN`.
    pub image_base: Option<u64>,
    /// `-Ttext-segment` was given: GNU ld then writes a position-independent
    /// executable as `ET_EXEC` (it keeps `DF_1_PIE` and its relocations),
    /// since it is meant to load at that address.
    pub text_segment: bool,
    /// `--concurrent-pipe=PATH` / `--concurrent-inotify`.
    pub concurrent: ConcurrentMode,
    /// `--stats`: print pass timings and sizes to stderr.
    pub stats: bool,
    /// `--fork` (default) / `--no-fork`: `cld` links in a child process
    /// (see `detach`).
    pub fork: bool,
    /// `-r`/`--relocatable`: write a relocatable object (`relocatable.rs`).
    pub relocatable: bool,
    pub compress_debug: CompressDebug,
    /// `--gdb-index`: write `.gdb_index` (`gdb_index.rs`).
    pub gdb_index: bool,
    /// `--relocatable-merge-sections`: with `-r`, `.text.foo` joins `.text`.
    pub relocatable_merge_sections: bool,
    /// `--concurrent-idle-timeout=SECONDS`.
    pub concurrent_idle_timeout: u64,
    /// `--concurrent-log=FILE`: the background linker's event log.
    pub concurrent_log: Option<PathBuf>,
    /// `--concurrent-owner=PID`: the background linker gives up when that
    /// process (the build that started it) has exited.
    pub concurrent_owner: Option<i32>,
    /// `--concurrent-existing`: the concurrent inputs that exist when the
    /// background linker starts are read at once, as if reported (one
    /// written again is reported again), but those named by
    /// `--concurrent-pending=FILE` (being written now).
    pub concurrent_existing: bool,
    pub concurrent_pending: Vec<PathBuf>,
    /// `--concurrent-start [--json]`: what the start prints.
    pub concurrent_report: StartReport,
    /// `-plugin FILE`: the LTO linker plugin (gcc's `liblto_plugin.so`,
    /// LLVM's `LLVMgold.so`), loaded when the link starts.
    pub plugin: Option<PathBuf>,
    /// `-plugin-opt ARG` (and `-mllvm ARG`), in command-line order: handed
    /// to the plugin as `LDPT_OPTION`s.
    pub plugin_opts: Vec<String>,
    /// `--icf=all|safe|none`: identical code folding (`icf.rs`).
    pub icf: Icf,
    /// `--print-icf-sections`: list the folded sections on stdout.
    pub print_icf_sections: bool,
    /// `--separate-debug-file[=FILE]`: debug sections go to FILE (default
    /// `OUTPUT.dbg`), the output gets a `.gnu_debuglink` naming it.
    pub separate_debug_file: Option<PathBuf>,
    /// What goes in the dynamic symbol table and how it binds.
    pub exports: ExportOptions,
}

/// Identical code folding (`--icf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Icf {
    #[default]
    None,
    /// Fold every identical code section (and unreferenced-by-address
    /// read-only data), even those whose address is taken.
    All,
    /// Fold only sections whose address no one can compare.
    Safe,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            exports: ExportOptions::default(),
            output: PathBuf::from("a.out"),
            output_kind: OutputKind::Exec,
            inputs: Vec::new(),
            search_paths: Vec::new(),
            dynamic_linker: None,
            entry: None,
            build_id: BuildId::None,
            eh_frame_hdr: false,
            hash_style: HashStyle {
                sysv: true,
                gnu: false,
            },
            relro: true,
            now: false,
            execstack: None,
            separate_code: true,
            pack_relr: false,
            rpath: Vec::new(),
            new_dtags: true,
            export_dynamic: false,
            strip_all: false,
            strip_debug: false,
            gc_sections: false,
            print_gc_sections: false,
            soname: None,
            undefined: Vec::new(),
            threads: None,
            verbose: false,
            z_flags_1: 0,
            no_undefined: false,
            fatal_warnings: false,
            warn_common: false,
            start_stop: false,
            zero_to_bss: false,
            map_file: None,
            image_base: None,
            text_segment: false,
            concurrent: ConcurrentMode::Off,
            stats: false,
            fork: true,
            relocatable: false,
            compress_debug: CompressDebug::None,
            gdb_index: false,
            wrap: Vec::new(),
            defsym: Vec::new(),
            init: None,
            fini: None,
            allow_multiple_definition: false,
            require_defined: Vec::new(),
            undefined_globs: Vec::new(),
            trace_symbols: Vec::new(),
            trace: false,
            demangle: true,
            unresolved_in_objects: true,
            unresolved_in_shared: true,
            warn_unresolved: false,
            dependency_file: None,
            sysroot: None,
            discard: Discard::Locals,
            rodynamic: false,
            no_copy_reloc: false,
            nmagic: false,
            keep_text_section_prefix: false,
            max_page_size: Native::MAX_PAGE_SIZE,
            x86_isa_needed: 0,
            z_shstk: false,
            unique_sections: Vec::new(),
            dynamic_undefined_weak: None,
            warn_execstack: true,
            warn_textrel: true,
            cet_report: CetReport::None,
            no_relax: false,
            emit_relocs: false,
            rewrite_endbr: false,
            no_allow_shlib_undefined: false,
            no_section_header: false,
            package_metadata: None,
            section_starts: Vec::new(),
            section_aligns: Vec::new(),
            relocatable_merge_sections: false,
            concurrent_idle_timeout: 3600,
            concurrent_log: None,
            concurrent_owner: None,
            concurrent_existing: false,
            concurrent_pending: Vec::new(),
            concurrent_report: StartReport::Token,
            plugin: None,
            plugin_opts: Vec::new(),
            icf: Icf::None,
            print_icf_sections: false,
            separate_debug_file: None,
        }
    }
}
