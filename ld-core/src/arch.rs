//! The architecture interface: everything the passes ask of the target
//! architecture, as one trait (`Arch`) each architecture module implements
//! (`x86_64.rs`: `X86_64`). The passes name the architecture only through
//! `Native`, the one place it is chosen; dispatch is static (associated
//! functions and constants, no trait objects), so the relocation loops
//! call the architecture's functions directly.
//!
//! What it covers: relocation decisions (`decide`, shared by the scan and
//! the writer so that what was sized is what is written) and their
//! application (`apply`), the short path of non-allocated sections'
//! absolute relocations and the relocation types of allocated sections
//! the writer may apply without them (`direct_*`), the dynamic relocation
//! types, the PLT's geometry
//! and code, `e_machine`, the dynamic linker's path, the TLS thread
//! pointer, page sizes, the GNU property note's rules, and what a direct
//! branch looks like (ICF, `--gc-sections`' address-taken scan). The
//! types the decisions exchange with the passes (`TargetProps`, `Needs`,
//! `DecideCtx`, `RelocValues`) are the architecture's common language and
//! live here.

use crate::options::OutputKind;

/// The architecture cld links for; every pass names it through this alias.
pub type Native = crate::x86_64::X86_64;

/// What a relocation's target is, as far as the decision needs to know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TargetProps {
    /// Defined in a shared library (resolved at run time).
    pub imported: bool,
    /// Imported and a function (`STT_FUNC`/`STT_GNU_IFUNC` in the DSO).
    pub is_func: bool,
    /// Defined locally as `STT_GNU_IFUNC`: its address is its PLT entry.
    pub ifunc: bool,
    /// Its value is an absolute number, not an address in the image
    /// (`SHN_ABS`, or an undefined weak that resolves to 0).
    pub absolute: bool,
}

impl TargetProps {
    /// Neither imported nor an IFUNC: the target is at its own address,
    /// which the writer's short paths (`Arch::direct_pc32`,
    /// `Arch::direct_abs64`) need.
    #[inline(always)]
    pub fn at_own_address(&self) -> bool {
        !self.imported && !self.ifunc
    }
}

/// What the link must provide for a relocation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub got: bool,
    pub plt: bool,
    pub canonical_plt: bool,
    pub copy: bool,
    pub gottp: bool,
    /// This relocation makes a dynamic relocation at its own place.
    pub dyn_reloc: bool,
    /// The next relocation (the `__tls_get_addr` call) is consumed.
    pub skip_next: bool,
    /// A general-dynamic GOT pair (DTPMOD64, DTPOFF64).
    pub tlsgd: bool,
    /// The module's local-dynamic GOT pair.
    pub tlsld: bool,
    /// A TLS descriptor GOT pair.
    pub tlsdesc: bool,
}

/// What a decision depends on besides the relocation and its target.
pub struct DecideCtx {
    /// Output is position-independent.
    pub pic: bool,
    /// Output is an executable (TLS can be relaxed to LE/IE).
    pub exec: bool,
    /// `--no-relax`: GOT loads stay GOT loads (as GNU ld does), except in
    /// a static PIE.
    pub no_relax: bool,
    /// `--no-relax` in an executable with a dynamic linker: TLS descriptors
    /// stay descriptors the dynamic linker resolves (as mold does), not
    /// relaxed to IE/LE.
    pub keep_tlsdesc: bool,
}

impl DecideCtx {
    pub fn new(kind: OutputKind, no_relax: bool) -> Self {
        DecideCtx {
            pic: kind.is_pic(),
            exec: kind.is_executable(),
            // A static PIE's startup code (glibc's _dl_relocate_static_pie)
            // runs before its relocations are applied and reaches its
            // symbols through relaxed, PC-relative loads: with GOT loads
            // it crashes (GNU ld's output does), so it is relaxed anyway.
            no_relax: no_relax && kind != OutputKind::StaticPie,
            keep_tlsdesc: no_relax && !kind.is_static(),
        }
    }
}

/// Values an action needs, in output addresses.
#[derive(Clone, Copy, Debug, Default)]
pub struct RelocValues {
    /// S: the symbol's address (the PLT entry for IFUNCs and canonical PLTs).
    pub s: u64,
    /// Its PLT entry, if any.
    pub plt: Option<u64>,
    /// Its GOT slot, if any.
    pub got: Option<u64>,
    /// Its TP-offset GOT slot, if any.
    pub gottp: Option<u64>,
    /// Its general-dynamic GOT pair, if any.
    pub tlsgd: Option<u64>,
    /// Its TLS descriptor GOT pair, if any.
    pub tlsdesc: Option<u64>,
    /// The module's local-dynamic GOT pair, if any.
    pub tlsld: Option<u64>,
    pub size: u64,
    /// Address of `_GLOBAL_OFFSET_TABLE_`.
    pub got_base: u64,
    /// Thread pointer (`Arch::thread_pointer`).
    pub tp: u64,
    /// Start of the TLS segment.
    pub tls_start: u64,
}

/// Where a relocation relaxed to local-exec TLS (or an offset in the TLS
/// block) keeps the one value it depends on (`RelocAction::tls_value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsValue {
    /// None: the code is rewritten, whatever the target's place.
    Fixed,
    /// `S + c - TP` (`c` from the addend alone) in `width` bytes (four:
    /// signed) at `at` bytes from the relocation's place.
    FromTp { at: u8, width: u8 },
    /// `S + A -` the TLS block's start, the same way.
    FromBlock { at: u8, width: u8 },
}

/// What `Arch::decide` says to do with a relocation; `Arch::apply` does it.
/// The passes ask it only these questions.
pub trait RelocAction: Copy + Eq + std::fmt::Debug {
    /// Whether `apply` may read a GOT slot of the target (`RelocValues`'
    /// `got`, `gottp`, `tlsgd`, `tlsdesc`, `tlsld`): the writer looks them
    /// up only then (a local symbol's are in a hash table).
    fn reads_got_slots(self) -> bool;
    /// A word-sized absolute reference the dynamic linker fills in: the
    /// place gets `Arch::R_ABS` against an imported target, else
    /// `Arch::R_RELATIVE` (`-z pack-relative-relocs` may pack those).
    fn is_dynamic_abs(self) -> bool;
    /// The bytes written at a non-allocated place whose target was
    /// discarded (the tombstone).
    fn tombstone_width(self) -> usize;
    /// Reads the target's size (`RelocValues::size`), which costs the
    /// writer a look at the defining input's symbol.
    fn reads_size(self) -> bool;
    /// A GOT load relaxed to a direct reference (`--emit-relocs` describes
    /// it as `Arch::R_PC_RELAXED`).
    fn is_relaxed_got_load(self) -> bool;
    /// A TLS access relaxed to local-exec, or an offset in the TLS block:
    /// `apply` reads only `RelocValues::s`, `tp` and `tls_start` of the
    /// values, and writes what `TlsValue` says (besides rewriting code
    /// whatever the values are). `None` for every other action.
    fn tls_value(self) -> Option<TlsValue>;
}

/// An architecture: relocation handling, dynamic relocation types, PLT
/// code and the constants the layout needs.
pub trait Arch {
    type Action: RelocAction;

    /// `e_machine` of inputs and output.
    const E_MACHINE: u16;
    /// The dynamic linker (`.interp`) unless `-dynamic-linker` names one.
    const DYNAMIC_LINKER: &'static str;
    /// `-z max-page-size`'s default: load segments start on it.
    const MAX_PAGE_SIZE: u64;
    /// The smallest page: file offsets and addresses agree modulo it.
    const COMMON_PAGE_SIZE: u64;

    /// The lazy-binding PLT header's size (there is one if any entry is lazy).
    const PLT_HEADER_SIZE: u64;
    /// A PLT entry's size.
    const PLT_ENTRY_SIZE: u64;
    /// Where a lazy entry's `.got.plt` slot points before it is bound:
    /// this far into the entry.
    const PLT_LAZY_OFFSET: u64;

    /// Dynamic relocation types: a word's absolute address of a symbol.
    const R_ABS: u32;
    const R_RELATIVE: u32;
    const R_GLOB_DAT: u32;
    const R_JUMP_SLOT: u32;
    const R_IRELATIVE: u32;
    const R_COPY: u32;
    const R_TPOFF: u32;
    const R_DTPMOD: u32;
    const R_DTPOFF: u32;
    const R_TLSDESC: u32;
    /// What `--emit-relocs` calls a GOT load relaxed to a direct
    /// reference (as GNU ld describes it).
    const R_PC_RELAXED: u32;
    /// The addend of a direct branch's displacement to its target's start.
    const BRANCH_ADDEND: i64;
    /// The landing pad that starts an indirectly-called function under
    /// branch protection (x86-64's `endbr64`), if the architecture has one
    /// `-z rewrite-endbr` can remove; the nop of its length that replaces it.
    const LANDING_PAD: Option<[u8; 4]>;
    const LANDING_PAD_NOP: [u8; 4];

    /// How a relocation of type `rtype` at `off` in a section with
    /// contents `bytes` is handled, and what the link must provide for it.
    fn decide(
        ctx: &DecideCtx,
        rtype: u32,
        t: TargetProps,
        alloc: bool,
        writable: bool,
        bytes: &[u8],
        off: u64,
    ) -> Result<(Self::Action, Needs), String>;

    /// Applies `action` at `off` of `buf` (the section's output bytes, at
    /// address `sec_addr`); `a` is the addend. Checks overflow in
    /// allocated sections.
    fn apply(
        action: Self::Action,
        buf: &mut [u8],
        off: u64,
        sec_addr: u64,
        a: i64,
        v: &RelocValues,
        alloc: bool,
    ) -> Result<(), String>;

    /// The width in bytes of a plain absolute relocation (S + A, no
    /// checks) in a non-allocated section: the writer's short path.
    fn non_alloc_abs_width(rtype: u32) -> Option<usize>;

    /// Whether a relocation of type `rtype` in an allocated section writes
    /// `S + A - P` into four signed bytes and needs nothing, when its
    /// target is neither imported nor an IFUNC and has no PLT entry (a
    /// direct call or a PC-relative address): the writer's short path for
    /// the commonest relocations of code.
    fn direct_pc32(rtype: u32) -> bool;

    /// Whether a relocation of type `rtype` in an allocated section writes
    /// `S + A` into eight bytes, unchecked, when its target is neither
    /// imported nor an IFUNC, and in position-independent output (unless
    /// the target is absolute) also makes an `R_RELATIVE` dynamic
    /// relocation of that value at its place: the writer's short path for
    /// pointers in data.
    fn direct_abs64(rtype: u32) -> bool;

    /// Whether a relocation of type `rtype` in an allocated section writes
    /// the address of its target's GOT slot `+ A - P` into four signed
    /// bytes, never relaxed, whatever the target (`foo@GOTPCREL` where no
    /// instruction may be rewritten): the writer's short path for a global
    /// with a slot and no IFUNC.
    fn direct_got_pc32(rtype: u32) -> bool;

    /// Whether a relocation of type `rtype` in an allocated section writes
    /// the target's PLT entry (when it has one, imported or not) `+ A - P`
    /// into four signed bytes: the writer's short path for calls through
    /// the PLT.
    fn direct_plt32(rtype: u32) -> bool;

    /// Whether a relocation of type `rtype` in a non-allocated section is
    /// an offset in the TLS block (`DW_OP_form_tls_address` operands): no
    /// code sequence around it, nothing made for it.
    fn is_dtp_rel(rtype: u32) -> bool;

    /// Whether a relocation of type `rtype` may consume the one after it
    /// (`Needs::skip_next`: a TLS sequence relaxed, with its call).
    fn may_take_next(rtype: u32) -> bool;

    /// A relocation type's name, for messages.
    fn rel_name(rtype: u32) -> String;

    /// Whether the relocation of type `rtype` at `off` of `bytes` is the
    /// displacement of a direct call or jump (which does not take its
    /// target's address).
    fn is_branch(rtype: u32, bytes: &[u8], off: u64) -> bool;

    /// The thread pointer for a TLS segment at `tls_start..tls_end`
    /// aligned to `tls_align` (the TLS variant's rule).
    fn thread_pointer(tls_start: u64, tls_end: u64, tls_align: u64) -> u64;

    /// The lazy-binding PLT header.
    fn write_plt_header(buf: &mut [u8], plt_addr: u64, gotplt_addr: u64);
    /// Lazy PLT entry `index` at `entry_addr`, through `.got.plt` slot
    /// `slot_addr`; `plt0` is the header's address.
    fn write_plt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64, index: u32, plt0: u64);
    /// An IFUNC's (not lazy) PLT entry.
    fn write_iplt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64);

    /// `.note.gnu.property`'s properties: the inputs' combined (`None`: an
    /// input without the note), with the PLT taking part.
    fn combine_gnu_properties<'a>(
        inputs: impl Iterator<Item = Option<&'a [(u32, u32)]>>,
        has_plt: bool,
    ) -> Vec<(u32, u32)>;
    /// `props` with what the command line forces: ISA level bits
    /// `isa_needed`, the shadow-stack bit `shstk`.
    fn force_gnu_properties(
        props: Vec<(u32, u32)>,
        isa_needed: u32,
        shstk: bool,
    ) -> Vec<(u32, u32)>;
}
