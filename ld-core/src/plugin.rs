//! LTO through the linker plugin, as GNU ld, gold and mold do it (the
//! interface is binutils' `plugin-api.h`; the C structures are written out
//! here with `#[repr(C)]`).
//!
//! `gcc -flto` passes `-plugin .../liblto_plugin.so` and `-plugin-opt`s
//! (the first is `lto-wrapper`'s path) and hands over objects holding
//! GIMPLE (`.gnu.lto_*` sections; slim ones also define `__gnu_lto_slim`);
//! `clang -flto` passes `LLVMgold.so` and hands over LLVM bitcode files.
//! The link then runs as follows (`resolve`):
//!
//! 1. Resolution runs over the inputs in command-line order as usual; each
//!    input that holds IR, loose or an archive member that resolution
//!    selects, is offered to the plugin's claim-file hook as it is loaded.
//!    (Inputs that cannot hold IR are not offered: the plugins claim only
//!    IR, and offering every file would read each one again.) A claimed
//!    file takes part with the symbols the plugin gave `add_symbols`, as an
//!    object without sections would (COMDAT keys become groups); an
//!    unclaimed fat object links as its machine code; unclaimed IR alone is
//!    an error.
//! 2. If anything was claimed, each claimed symbol's resolution
//!    (`LDPR_*`) is recorded the way GNU ld computes it, and the
//!    all-symbols-read hook runs: the plugin asks for the resolutions
//!    (`get_symbols` v1/v2/v3), compiles, and adds the objects it produced
//!    (`add_input_file`) and libraries to search (`add_input_library`,
//!    `set_extra_library_path`).
//! 3. Resolution runs again over the same inputs, the claimed ones left out
//!    and the plugin's objects in their place (right after the first
//!    claimed input, or before the archive that held it, as GNU ld inserts
//!    them); each archive first loads the members it loaded the first time
//!    (GNU ld never unloads them: a definition that preempted IR stays),
//!    and the plugin's libraries come last. A COMDAT group that IR won
//!    stays discarded in regular objects if the plugin's objects define
//!    its symbols.
//! 4. After the link (written or failed), the cleanup hook.
//!
//! The plugin is loaded the first time an input holding IR is offered, so a
//! link without IR never loads it (gcc passes `-plugin` on every link).
//! Hooks are called from one thread at a time; the plugin's callbacks find
//! the link's state in a process-wide `Mutex` (the C interface has no user
//! data pointer). A background (concurrent) link does not run the plugin
//! yet: an input holding IR there is an error that says so.

use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::object_file::{ComdatGroup, InputSection, InputSymbol, ObjectFile};
use crate::options::{Options, OutputKind};
use crate::resolve::{self, Claim, Claimer, FileId, LoadItem, Resolved, SymDef};
use object::elf;
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::LittleEndian as LE;
use std::collections::{HashMap, HashSet};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What kind of IR an input holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LtoKind {
    /// GCC GIMPLE only (`-flto`).
    Slim,
    /// GCC GIMPLE and machine code (`-ffat-lto-objects`).
    Fat,
    /// LLVM bitcode (raw or in its wrapper).
    Bitcode,
}

pub fn is_bitcode(data: &[u8]) -> bool {
    data.starts_with(b"BC\xC0\xDE") || data.starts_with(&[0xDE, 0xC0, 0x17, 0x0B])
}

/// Whether `data` holds IR: LLVM bitcode, or an ELF relocatable object with
/// `.gnu.lto_` sections (slim if it defines `__gnu_lto_slim`).
pub fn lto_kind(data: &[u8]) -> Option<LtoKind> {
    if is_bitcode(data) {
        return Some(LtoKind::Bitcode);
    }
    let e = elf::FileHeader64::<LE>::parse(data).ok()?;
    if e.e_type(LE) != elf::ET_REL {
        return None;
    }
    let sections = e.sections(LE, data).ok()?;
    // Only the start of each name is looked at: most objects have no IR,
    // and a Rust one has thousands of sections, named in the table of its
    // symbols' names (hundreds of kilobytes, which a search of the whole
    // table would read).
    let shstrndx = e.shstrndx(LE, data).ok()?;
    let names = sections
        .section(object::SectionIndex(shstrndx as usize))
        .ok()?
        .data(LE, data)
        .ok()?;
    let has_ir = sections.iter().any(|sh| {
        let at = sh.sh_name(LE) as usize;
        names.get(at..at.saturating_add(9)) == Some(b".gnu.lto_")
    });
    if !has_ir {
        return None;
    }
    let syms = sections.symbols(LE, data, elf::SHT_SYMTAB).ok()?;
    let slim = syms.iter().any(|s| {
        s.name(LE, syms.strings())
            .is_ok_and(|n| n == b"__gnu_lto_slim")
    });
    Some(if slim { LtoKind::Slim } else { LtoKind::Fat })
}

/// An input holding IR, ingested: the plugin decides what it becomes.
#[derive(Debug)]
pub struct LtoInput {
    /// Display name: `dir/a.o`, `libfoo.a(a.o)`.
    pub name: String,
    /// Keeps `data` alive (`input::Backing`).
    pub backing: crate::input::Backing,
    /// Where the plugin reads it: the file, and the offset in it (an
    /// archive member's).
    pub file: PathBuf,
    pub offset: u64,
    pub data: &'static [u8],
    /// A fat object's machine code, linked if no plugin claims it.
    pub fat: Option<ObjectFile>,
}

impl LtoInput {
    /// Its bytes (and its fat object's) are owned by `b` (`input::Backing`).
    pub fn set_backing(&mut self, b: &crate::input::Backing) {
        self.backing = b.clone();
        if let Some(o) = &mut self.fat {
            o.backing = b.clone();
        }
    }

    pub fn new(
        name: String,
        file: PathBuf,
        offset: u64,
        data: &'static [u8],
        kind: LtoKind,
    ) -> Result<LtoInput> {
        let fat = match kind {
            LtoKind::Fat => Some(ObjectFile::parse(name.clone(), data)?),
            LtoKind::Slim | LtoKind::Bitcode => None,
        };
        Ok(LtoInput {
            name,
            backing: Default::default(),
            file,
            offset,
            data,
            fat,
        })
    }
}

/// IR that no plugin claimed and that has no machine code beside it.
pub fn unclaimed_error(name: &str) -> Error {
    Error::new(format!(
        "{name}: unable to handle this LTO object file: it holds only compiler IR \
         (GCC -flto without -ffat-lto-objects, or LLVM bitcode), which the LTO plugin \
         compiles; pass the compiler's plugin with -plugin (gcc -flto passes \
         liblto_plugin.so, clang -flto passes LLVMgold.so)"
    ))
}

// ---- The C interface (plugin-api.h) ----

const LDPS_OK: c_int = 0;
const LDPS_NO_SYMS: c_int = 1;
const LDPS_BAD_HANDLE: c_int = 2;
const LDPS_ERR: c_int = 3;

const LDPO_EXEC: usize = 1;
const LDPO_DYN: usize = 2;
const LDPO_PIE: usize = 3;

const LDPK_DEF: u8 = 0;
const LDPK_WEAKDEF: u8 = 1;
const LDPK_UNDEF: u8 = 2;
const LDPK_WEAKUNDEF: u8 = 3;
const LDPK_COMMON: u8 = 4;

const LDPV_PROTECTED: c_int = 1;
const LDPV_INTERNAL: c_int = 2;
const LDPV_HIDDEN: c_int = 3;

const LDPR_UNDEF: c_int = 1;
const LDPR_PREVAILING_DEF: c_int = 2;
const LDPR_PREVAILING_DEF_IRONLY: c_int = 3;
const LDPR_PREEMPTED_REG: c_int = 4;
const LDPR_PREEMPTED_IR: c_int = 5;
const LDPR_RESOLVED_IR: c_int = 6;
const LDPR_RESOLVED_EXEC: c_int = 7;
const LDPR_RESOLVED_DYN: c_int = 8;
const LDPR_PREVAILING_DEF_IRONLY_EXP: c_int = 9;

const LDPL_INFO: c_int = 0;
const LDPL_WARNING: c_int = 1;
const LDPL_ERROR: c_int = 2;

const LDPT_NULL: c_int = 0;
const LDPT_API_VERSION: c_int = 1;
const LDPT_LINKER_OUTPUT: c_int = 3;
const LDPT_OPTION: c_int = 4;
const LDPT_REGISTER_CLAIM_FILE_HOOK: c_int = 5;
const LDPT_REGISTER_ALL_SYMBOLS_READ_HOOK: c_int = 6;
const LDPT_REGISTER_CLEANUP_HOOK: c_int = 7;
const LDPT_ADD_SYMBOLS: c_int = 8;
const LDPT_GET_SYMBOLS: c_int = 9;
const LDPT_ADD_INPUT_FILE: c_int = 10;
const LDPT_MESSAGE: c_int = 11;
const LDPT_GET_INPUT_FILE: c_int = 12;
const LDPT_RELEASE_INPUT_FILE: c_int = 13;
const LDPT_ADD_INPUT_LIBRARY: c_int = 14;
const LDPT_OUTPUT_NAME: c_int = 15;
const LDPT_SET_EXTRA_LIBRARY_PATH: c_int = 16;
const LDPT_GET_VIEW: c_int = 18;
const LDPT_GET_SYMBOLS_V2: c_int = 25;
const LDPT_GET_SYMBOLS_V3: c_int = 28;
const LDPT_GET_WRAP_SYMBOLS: c_int = 32;

/// `struct ld_plugin_input_file`.
#[repr(C)]
struct InputFile {
    name: *const c_char,
    fd: c_int,
    offset: i64,
    filesize: i64,
    handle: *mut c_void,
}

/// `struct ld_plugin_symbol`. Newer headers split `def` into four chars
/// (`def`, `symbol_type`, `section_kind`, unused) for `add_symbols_v2`,
/// which cld does not offer; only the low byte is read either way.
#[repr(C)]
struct PluginSymbol {
    name: *const c_char,
    version: *const c_char,
    def: c_int,
    visibility: c_int,
    size: u64,
    comdat_key: *const c_char,
    resolution: c_int,
}

/// `struct ld_plugin_tv`: a tag and a pointer-sized union (an `int` sits in
/// its low bytes).
#[repr(C)]
struct Tv {
    tag: c_int,
    val: usize,
}

type ClaimFileHandler = unsafe extern "C" fn(*const InputFile, *mut c_int) -> c_int;
type Handler = unsafe extern "C" fn() -> c_int;
type Onload = unsafe extern "C" fn(*mut Tv) -> c_int;

/// A symbol as the plugin reported it.
struct IrSymbol {
    name: Vec<u8>,
    def: u8,
    visibility: c_int,
    size: u64,
    comdat_key: Option<Vec<u8>>,
}

/// A file offered to the claim-file hook; its handle is its index + 1.
struct Offered {
    name: CString,
    offset: u64,
    data: &'static [u8],
    /// Keeps `data` alive while the plugin may still ask for it.
    _backing: crate::input::Backing,
    symbols: Vec<IrSymbol>,
    /// Per symbol, once resolution is done.
    resolutions: Vec<c_int>,
    /// Descriptors handed out by `get_input_file`.
    fds: Vec<c_int>,
}

#[derive(Default)]
struct State {
    claim_file: Option<ClaimFileHandler>,
    all_symbols_read: Option<Handler>,
    cleanup: Option<Handler>,
    files: Vec<Offered>,
    added_files: Vec<PathBuf>,
    added_libraries: Vec<String>,
    extra_paths: Vec<PathBuf>,
    errors: Vec<String>,
    loaded: bool,
    /// `--wrap` symbols, for `get_wrap_symbols` (kept until the next link,
    /// so the pointers handed out stay valid).
    wrap: Vec<std::ffi::CString>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with_state<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut g = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(g.get_or_insert_with(State::default))
}

fn file_of(s: &mut State, handle: *const c_void) -> Option<&mut Offered> {
    let i = (handle as usize).checked_sub(1)?;
    s.files.get_mut(i)
}

unsafe fn c_bytes(p: *const c_char) -> Option<Vec<u8>> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_bytes().to_vec())
    }
}

unsafe extern "C" fn register_claim_file(h: ClaimFileHandler) -> c_int {
    with_state(|s| s.claim_file = Some(h));
    LDPS_OK
}

unsafe extern "C" fn register_all_symbols_read(h: Handler) -> c_int {
    with_state(|s| s.all_symbols_read = Some(h));
    LDPS_OK
}

unsafe extern "C" fn register_cleanup(h: Handler) -> c_int {
    with_state(|s| s.cleanup = Some(h));
    LDPS_OK
}

unsafe extern "C" fn add_symbols(
    handle: *mut c_void,
    n: c_int,
    syms: *const PluginSymbol,
) -> c_int {
    let syms: &[PluginSymbol] = if syms.is_null() || n <= 0 {
        &[]
    } else {
        std::slice::from_raw_parts(syms, n as usize)
    };
    let mut out = Vec::with_capacity(syms.len());
    for s in syms {
        let mut name = c_bytes(s.name).unwrap_or_default();
        if let Some(v) = c_bytes(s.version).filter(|v| !v.is_empty()) {
            name.push(b'@');
            name.extend_from_slice(&v);
        }
        out.push(IrSymbol {
            name,
            def: (s.def & 0xff) as u8,
            visibility: s.visibility,
            size: s.size,
            comdat_key: c_bytes(s.comdat_key).filter(|k| !k.is_empty()),
        });
    }
    with_state(|st| match file_of(st, handle) {
        Some(f) => {
            f.symbols.extend(out);
            LDPS_OK
        }
        None => LDPS_BAD_HANDLE,
    })
}

/// `get_symbols` v1 reports `LDPR_PREVAILING_DEF` where v2 and v3 may say
/// `LDPR_PREVAILING_DEF_IRONLY_EXP` (a plugin of the first API knows no
/// such value).
unsafe fn get_symbols(handle: *const c_void, n: c_int, syms: *mut PluginSymbol, v1: bool) -> c_int {
    if syms.is_null() || n < 0 {
        return LDPS_ERR;
    }
    let syms = std::slice::from_raw_parts_mut(syms, n as usize);
    with_state(|st| {
        let Some(f) = file_of(st, handle) else {
            return LDPS_BAD_HANDLE;
        };
        if f.resolutions.is_empty() && !f.symbols.is_empty() {
            return LDPS_NO_SYMS;
        }
        for (i, s) in syms.iter_mut().enumerate() {
            let r = f.resolutions.get(i).copied().unwrap_or(LDPR_UNDEF);
            s.resolution = if v1 && r == LDPR_PREVAILING_DEF_IRONLY_EXP {
                LDPR_PREVAILING_DEF
            } else {
                r
            };
        }
        LDPS_OK
    })
}

unsafe extern "C" fn get_symbols_v1(h: *const c_void, n: c_int, s: *mut PluginSymbol) -> c_int {
    get_symbols(h, n, s, true)
}

unsafe extern "C" fn get_symbols_v2(h: *const c_void, n: c_int, s: *mut PluginSymbol) -> c_int {
    get_symbols(h, n, s, false)
}

unsafe extern "C" fn add_input_file(path: *const c_char) -> c_int {
    let Some(p) = c_bytes(path) else {
        return LDPS_ERR;
    };
    use std::os::unix::ffi::OsStringExt;
    let p = PathBuf::from(std::ffi::OsString::from_vec(p));
    with_state(|s| s.added_files.push(p));
    LDPS_OK
}

unsafe extern "C" fn add_input_library(name: *const c_char) -> c_int {
    let Some(n) = c_bytes(name) else {
        return LDPS_ERR;
    };
    with_state(|s| {
        s.added_libraries
            .push(String::from_utf8_lossy(&n).into_owned())
    });
    LDPS_OK
}

unsafe extern "C" fn set_extra_library_path(path: *const c_char) -> c_int {
    let Some(p) = c_bytes(path) else {
        return LDPS_ERR;
    };
    let p = PathBuf::from(String::from_utf8_lossy(&p).into_owned());
    with_state(|s| s.extra_paths.push(p));
    LDPS_OK
}

unsafe extern "C" fn get_input_file(handle: *const c_void, file: *mut InputFile) -> c_int {
    if file.is_null() {
        return LDPS_ERR;
    }
    with_state(|st| {
        let Some(f) = file_of(st, handle) else {
            return LDPS_BAD_HANDLE;
        };
        let fd = libc::open(f.name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return LDPS_ERR;
        }
        f.fds.push(fd);
        *file = InputFile {
            name: f.name.as_ptr(),
            fd,
            offset: f.offset as i64,
            filesize: f.data.len() as i64,
            handle: handle as *mut c_void,
        };
        LDPS_OK
    })
}

unsafe extern "C" fn release_input_file(handle: *const c_void) -> c_int {
    with_state(|st| {
        let Some(f) = file_of(st, handle) else {
            return LDPS_BAD_HANDLE;
        };
        for fd in f.fds.drain(..) {
            libc::close(fd);
        }
        LDPS_OK
    })
}

unsafe extern "C" fn get_view(handle: *const c_void, viewp: *mut *const c_void) -> c_int {
    if viewp.is_null() {
        return LDPS_ERR;
    }
    with_state(|st| match file_of(st, handle) {
        Some(f) => {
            *viewp = f.data.as_ptr() as *const c_void;
            LDPS_OK
        }
        None => LDPS_BAD_HANDLE,
    })
}

/// The `--wrap` symbols, so that the compiler keeps `__real_SYM`
/// references and `__wrap_SYM` definitions the linker will bind.
unsafe extern "C" fn get_wrap_symbols(n: *mut u64, list: *mut *const *const c_char) -> c_int {
    let names: Vec<*const c_char> = with_state(|s| s.wrap.iter().map(|c| c.as_ptr()).collect());
    if !n.is_null() {
        *n = names.len() as u64;
    }
    if !list.is_null() {
        // A few pointers per link, into names the state keeps.
        *list = Box::leak(names.into_boxed_slice()).as_ptr();
    }
    LDPS_OK
}

/// `message(int level, const char *format, ...)`. Stable Rust cannot define
/// a C variadic function; on x86-64 the first variadic integer and pointer
/// arguments travel in the same registers as named ones, so four are read
/// as named arguments and formatted by `format_c` (plugins pass strings and
/// integers).
unsafe extern "C" fn message(
    level: c_int,
    format: *const c_char,
    a0: usize,
    a1: usize,
    a2: usize,
    a3: usize,
) -> c_int {
    let text = match c_bytes(format) {
        Some(f) => format_c(&f, &[a0, a1, a2, a3]),
        None => String::new(),
    };
    match level {
        LDPL_INFO => eprintln!("cld: {text}"),
        LDPL_WARNING => crate::error::warn(text),
        LDPL_ERROR => {
            eprintln!("cld: error: {text}");
            with_state(|s| s.errors.push(text));
        }
        _ => {
            // LDPL_FATAL: GNU ld and gold exit here, and plugins expect it.
            eprintln!("cld: fatal error: {text}");
            std::process::exit(1);
        }
    }
    LDPS_OK
}

/// A printf format with integer and string arguments (`%s %d %i %u %x %X
/// %c %p %%`, length modifiers `h l ll z j t`; flags, width and precision
/// are skipped). A missing argument prints as `?`.
fn format_c(fmt: &[u8], args: &[usize]) -> String {
    let mut out = Vec::new();
    let mut args = args.iter().copied();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        while i < fmt.len() && b"-+ #0123456789.".contains(&fmt[i]) {
            i += 1;
        }
        let mut long = false;
        while i < fmt.len() && b"hlzjt".contains(&fmt[i]) {
            long |= fmt[i] != b'h';
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else { break };
        i += 1;
        if conv == b'%' {
            out.push(b'%');
            continue;
        }
        let Some(a) = args.next() else {
            out.push(b'?');
            continue;
        };
        let text = match conv {
            b's' => {
                // SAFETY: the plugin passed a C string for `%s`.
                unsafe { c_bytes(a as *const c_char) }.unwrap_or_else(|| b"(null)".to_vec())
            }
            b'd' | b'i' if long => (a as i64).to_string().into_bytes(),
            b'd' | b'i' => (a as u32 as i32).to_string().into_bytes(),
            b'u' if long => a.to_string().into_bytes(),
            b'u' => (a as u32).to_string().into_bytes(),
            b'x' if long => format!("{a:x}").into_bytes(),
            b'x' => format!("{:x}", a as u32).into_bytes(),
            b'X' => format!("{:X}", if long { a } else { a as u32 as usize }).into_bytes(),
            b'c' => vec![a as u8],
            b'p' => format!("{a:#x}").into_bytes(),
            _ => b"?".to_vec(),
        };
        out.extend_from_slice(&text);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Load the plugin and call its `onload` with the transfer vector.
fn load(opts: &Options, path: &Path) -> Result<()> {
    let cpath = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::new(format!("{}: bad plugin path", path.display())))?;
    // SAFETY: loading the plugin the command line names runs its code, as
    // GNU ld does; `onload` has the type plugin-api.h gives it.
    unsafe {
        let lib = libc::dlopen(cpath.as_ptr(), libc::RTLD_NOW);
        if lib.is_null() {
            let e = c_bytes(libc::dlerror()).unwrap_or_default();
            return Err(Error::new(format!(
                "{}: cannot load plugin: {}",
                path.display(),
                String::from_utf8_lossy(&e)
            )));
        }
        let sym = libc::dlsym(lib, c"onload".as_ptr());
        if sym.is_null() {
            return Err(Error::new(format!(
                "{}: not a linker plugin (no onload symbol)",
                path.display()
            )));
        }
        let onload: Onload = std::mem::transmute::<*mut c_void, Onload>(sym);
        let leak = |s: &[u8]| -> usize {
            let c = CString::new(s).unwrap_or_default();
            c.into_raw() as usize
        };
        let output_type = match opts.output_kind {
            OutputKind::Exec | OutputKind::StaticExec => LDPO_EXEC,
            OutputKind::Pie | OutputKind::StaticPie => LDPO_PIE,
            OutputKind::Shared => LDPO_DYN,
        };
        let mut tv = vec![
            Tv {
                tag: LDPT_MESSAGE,
                val: message as *const () as usize,
            },
            Tv {
                tag: LDPT_API_VERSION,
                val: 1,
            },
            Tv {
                tag: LDPT_LINKER_OUTPUT,
                val: output_type,
            },
            Tv {
                tag: LDPT_OUTPUT_NAME,
                val: leak(opts.output.as_os_str().as_encoded_bytes()),
            },
        ];
        for o in &opts.plugin_opts {
            tv.push(Tv {
                tag: LDPT_OPTION,
                val: leak(o.as_bytes()),
            });
        }
        let hooks: [(c_int, usize); 15] = [
            (
                LDPT_REGISTER_CLAIM_FILE_HOOK,
                register_claim_file as *const () as usize,
            ),
            (
                LDPT_REGISTER_ALL_SYMBOLS_READ_HOOK,
                register_all_symbols_read as *const () as usize,
            ),
            (
                LDPT_REGISTER_CLEANUP_HOOK,
                register_cleanup as *const () as usize,
            ),
            (LDPT_ADD_SYMBOLS, add_symbols as *const () as usize),
            (LDPT_GET_SYMBOLS, get_symbols_v1 as *const () as usize),
            (LDPT_GET_SYMBOLS_V2, get_symbols_v2 as *const () as usize),
            (LDPT_GET_SYMBOLS_V3, get_symbols_v2 as *const () as usize),
            (LDPT_ADD_INPUT_FILE, add_input_file as *const () as usize),
            (
                LDPT_ADD_INPUT_LIBRARY,
                add_input_library as *const () as usize,
            ),
            (
                LDPT_SET_EXTRA_LIBRARY_PATH,
                set_extra_library_path as *const () as usize,
            ),
            (LDPT_GET_INPUT_FILE, get_input_file as *const () as usize),
            (
                LDPT_RELEASE_INPUT_FILE,
                release_input_file as *const () as usize,
            ),
            (LDPT_GET_VIEW, get_view as *const () as usize),
            (
                LDPT_GET_WRAP_SYMBOLS,
                get_wrap_symbols as *const () as usize,
            ),
            (LDPT_NULL, 0),
        ];
        tv.extend(hooks.iter().map(|&(tag, val)| Tv { tag, val }));
        let tv: &'static mut [Tv] = Box::leak(tv.into_boxed_slice());
        if onload(tv.as_mut_ptr()) != LDPS_OK {
            return Err(Error::new(format!(
                "{}: the plugin failed to load{}",
                path.display(),
                errors_suffix()
            )));
        }
    }
    with_state(|s| s.loaded = true);
    Ok(())
}

/// `: ERRORS` for what the plugin reported through `message`, if anything.
fn errors_suffix() -> String {
    let e = with_state(|s| std::mem::take(&mut s.errors));
    if e.is_empty() {
        String::new()
    } else {
        format!(": {}", e.join("; "))
    }
}

/// The pseudo-object standing for a claimed file in resolution: no
/// contents, a null symbol, then the plugin's symbols in its order (so
/// symbol `i + 1` is the plugin's `i`); each COMDAT key is a group of one
/// empty section holding the definitions made under it.
fn ir_object(name: &str, syms: &[IrSymbol]) -> ObjectFile {
    let leak = |b: &[u8]| -> &'static [u8] { Box::leak(b.to_vec().into_boxed_slice()) };
    let mut sections = vec![InputSection::empty(None)];
    let mut groups: Vec<ComdatGroup> = Vec::new();
    let mut key_section: HashMap<&[u8], u32> = HashMap::new();
    let mut symbols = vec![InputSymbol {
        name: crate::name::Name::new(b""),
        value: 0,
        size: 0,
        shndx: elf::SHN_UNDEF as u32,
        bind: elf::STB_LOCAL,
        typ: elf::STT_NOTYPE,
        visibility: elf::STV_DEFAULT,
    }];
    for s in syms {
        let defined = matches!(s.def, LDPK_DEF | LDPK_WEAKDEF);
        let shndx = match (&s.comdat_key, s.def) {
            (_, LDPK_UNDEF | LDPK_WEAKUNDEF) => elf::SHN_UNDEF as u32,
            (_, LDPK_COMMON) => elf::SHN_COMMON as u32,
            (Some(k), _) if defined => *key_section.entry(k).or_insert_with(|| {
                let idx = sections.len() as u32;
                sections.push(InputSection::empty(Some(groups.len() as u32)));
                groups.push(ComdatGroup {
                    signature: leak(k),
                    sections: vec![idx],
                });
                idx
            }),
            _ => elf::SHN_ABS as u32,
        };
        symbols.push(InputSymbol {
            name: leak(&s.name).into(),
            value: 0,
            size: s.size,
            shndx,
            bind: if matches!(s.def, LDPK_WEAKDEF | LDPK_WEAKUNDEF) {
                elf::STB_WEAK
            } else {
                elf::STB_GLOBAL
            },
            typ: elf::STT_NOTYPE,
            visibility: match s.visibility {
                LDPV_PROTECTED => elf::STV_PROTECTED,
                LDPV_INTERNAL => elf::STV_INTERNAL,
                LDPV_HIDDEN => elf::STV_HIDDEN,
                _ => elf::STV_DEFAULT,
            },
        });
    }
    let mut o = ObjectFile {
        name: name.to_string(),
        sections,
        symbols,
        first_global: 1,
        groups,
        ..ObjectFile::placeholder()
    };
    o.summarize_symbols();
    o
}

/// The first resolution's claimer: loads the plugin when first needed and
/// offers it each input holding IR.
struct PluginClaimer<'o> {
    opts: &'o Options,
    plugin: &'o Path,
    /// (index in `State::files`, object id) of each claimed input.
    claimed: Vec<(usize, FileId)>,
}

impl Claimer for PluginClaimer<'_> {
    fn offer(&mut self, input: &LtoInput, fid: FileId) -> Result<Claim> {
        if !with_state(|s| s.loaded) {
            load(self.opts, self.plugin)?;
        }
        let Some(claim) = with_state(|s| s.claim_file) else {
            return Ok(Claim::NotClaimed);
        };
        let name = CString::new(input.file.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::new(format!("{}: bad file name", input.name)))?;
        let idx = with_state(|s| {
            s.files.push(Offered {
                name: name.clone(),
                offset: input.offset,
                data: input.data,
                _backing: input.backing.clone(),
                symbols: Vec::new(),
                resolutions: Vec::new(),
                fds: Vec::new(),
            });
            s.files.len() - 1
        });
        // SAFETY: `name` is a C string; the descriptor is closed below.
        let fd = unsafe { libc::open(name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(Error::new(format!(
                "cannot open {}: {}",
                input.file.display(),
                std::io::Error::last_os_error()
            )));
        }
        let file = InputFile {
            name: name.as_ptr(),
            fd,
            offset: input.offset as i64,
            filesize: input.data.len() as i64,
            handle: (idx + 1) as *mut c_void,
        };
        let mut claimed: c_int = 0;
        // SAFETY: the hook has plugin-api.h's type; `file` outlives the call.
        let status = unsafe { claim(&file, &mut claimed) };
        // SAFETY: `fd` is ours.
        unsafe { libc::close(fd) };
        if status != LDPS_OK {
            return Err(Error::new(format!(
                "{}: the plugin failed to read it{}",
                input.name,
                errors_suffix()
            )));
        }
        if claimed == 0 {
            if input.fat.is_none() {
                return Err(Error::new(format!(
                    "{}: unable to handle this LTO object file: the plugin {} did not claim it \
                     (IR from another compiler or version?)",
                    input.name,
                    self.plugin.display()
                )));
            }
            return Ok(Claim::NotClaimed);
        }
        self.claimed.push((idx, fid));
        let obj = with_state(|s| ir_object(&input.name, &s.files[idx].symbols));
        Ok(Claim::Claimed(Box::new(obj)))
    }
}

/// The second resolution's claimer: inputs claimed by the first are left
/// out (the plugin's output replaces them); nothing else is claimed.
struct Replaced {
    /// The claimed inputs (the address of their contents).
    claimed: HashSet<usize>,
    /// COMDAT signatures that claimed inputs won in the first resolution.
    ir_groups: HashSet<&'static [u8]>,
    /// Global names the plugin's objects define.
    lto_defs: HashSet<&'static [u8]>,
    /// The plugin's objects (the address of their contents).
    outputs: HashSet<usize>,
}

impl Claimer for Replaced {
    fn offer(&mut self, input: &LtoInput, _: FileId) -> Result<Claim> {
        Ok(if self.claimed.contains(&(input.data.as_ptr() as usize)) {
            Claim::Drop
        } else {
            Claim::NotClaimed
        })
    }

    /// A group that IR won in the first resolution stays discarded in a
    /// regular object if the plugin's output defines what it defines (the
    /// compiler may emit the prevailing copy outside any group), as GNU
    /// ld, which decides groups once, leaves it; if the output does not
    /// (LTO dropped the IR's copy), the regular object's group is used.
    fn keeps_group(&self, obj: &ObjectFile, g: &ComdatGroup) -> bool {
        if !self.ir_groups.contains(g.signature)
            || self.outputs.contains(&(obj.data.as_ptr() as usize))
        {
            return true;
        }
        !obj.symbols[obj.first_global as usize..].iter().any(|s| {
            !s.is_undefined()
                && g.sections.contains(&s.shndx)
                && self.lto_defs.contains(s.name.get())
        })
    }
}

/// Each claimed symbol's resolution after the first pass, as GNU ld's
/// `get_symbols` computes it.
fn resolutions(
    opts: &Options,
    r: &Resolved,
    claimed: &[(usize, FileId)],
    roots: &[&[u8]],
) -> Result<()> {
    let mut is_ir = vec![false; r.objects.len()];
    for &(_, fid) in claimed {
        is_ir[fid as usize] = true;
    }
    // Named by a regular object (referenced or defined), `-u` or the entry.
    let mut regular_ref = vec![false; r.symbols.len()];
    for (f, ids) in r.sym_ids.iter().enumerate() {
        if !is_ir[f] {
            for &id in ids {
                regular_ref[id as usize] = true;
            }
        }
    }
    for root in roots {
        if let Some(id) = r.lookup(root) {
            regular_ref[id as usize] = true;
        }
    }
    // `--wrap`: the linker, not the IR, decides who calls SYM and
    // `__wrap_SYM`, so LTO must keep both (GNU ld marks them the same way).
    for w in &opts.wrap {
        for name in [w.clone(), format!("__wrap_{w}")] {
            if let Some(id) = r.lookup(name.as_bytes()) {
                regular_ref[id as usize] = true;
            }
        }
    }
    // The dynamic symbol table may hold any default-visibility definition
    // (a `--dynamic-list` is taken as naming them all).
    let exported_anyway = opts.output_kind == OutputKind::Shared
        || opts.export_dynamic
        || opts.exports.dynamic_list.is_some();
    // What the version script makes local is not visible (GNU ld's
    // `bfd_hide_sym_by_version`).
    let mut defined_here = HashSet::new();
    for &(_, fid) in claimed {
        for &id in &r.sym_ids[fid as usize] {
            let s = &r.symbols[id as usize];
            if matches!(s.def, SymDef::Object { file, .. } | SymDef::Common { file, .. } if file == fid)
            {
                defined_here.insert(s.name.get());
            }
        }
    }
    let localized: HashSet<&[u8]> =
        crate::exports::localized_by_version_script(opts, defined_here.into_iter())?
            .into_iter()
            .collect();
    let exported_by_name = |name: &[u8]| {
        opts.exports
            .export_dynamic_symbols
            .iter()
            .any(|p| crate::version_script::glob_match(p.as_bytes(), name))
    };
    with_state(|st| {
        for &(idx, fid) in claimed {
            let f = &mut st.files[idx];
            let mut res = Vec::with_capacity(f.symbols.len());
            for (i, s) in f.symbols.iter().enumerate() {
                let id = r.sym_ids[fid as usize][i];
                let sym = &r.symbols[id as usize];
                let owner = match sym.def {
                    SymDef::Object { file, .. } | SymDef::Common { file, .. } => Some(Some(file)),
                    SymDef::Shared { .. } => None,
                    SymDef::Synthetic => Some(None),
                    SymDef::Undefined if crate::layout::is_linker_defined(&sym.name) => Some(None),
                    SymDef::Undefined => {
                        res.push(LDPR_UNDEF);
                        continue;
                    }
                };
                let referenced = matches!(s.def, LDPK_UNDEF | LDPK_WEAKUNDEF | LDPK_COMMON);
                let mut v = match owner {
                    // A reference `--wrap` turned to this file's own
                    // definition is resolved in IR like any other.
                    Some(Some(o)) if o == fid && !referenced => LDPR_PREVAILING_DEF_IRONLY,
                    Some(Some(o)) if is_ir[o as usize] => {
                        if referenced {
                            LDPR_RESOLVED_IR
                        } else {
                            LDPR_PREEMPTED_IR
                        }
                    }
                    None if referenced => LDPR_RESOLVED_DYN,
                    _ if referenced => LDPR_RESOLVED_EXEC,
                    _ => LDPR_PREEMPTED_REG,
                };
                if v == LDPR_PREVAILING_DEF_IRONLY {
                    let visible = matches!(sym.visibility, elf::STV_DEFAULT | elf::STV_PROTECTED)
                        && !localized.contains(sym.name.get());
                    if regular_ref[id as usize] {
                        v = LDPR_PREVAILING_DEF;
                    } else if visible
                        && (exported_anyway || sym.dso_ref || exported_by_name(&sym.name))
                    {
                        v = LDPR_PREVAILING_DEF_IRONLY_EXP;
                    }
                }
                res.push(v);
            }
            f.resolutions = res;
        }
    });
    Ok(())
}

/// Resolution with the LTO plugin, if the command line names one (see the
/// module comment); without one, or with no input claimed, one resolution.
pub(crate) fn resolve(
    opts: &Options,
    items: Vec<LoadItem>,
    roots: &[&'static [u8]],
) -> Result<Resolved> {
    let Some(plugin) = &opts.plugin else {
        return resolve::resolve(items, roots, opts);
    };
    // A process may link more than once (the library API): what the
    // previous link's plugin reported is not this link's.
    with_state(|s| {
        s.files.clear();
        s.added_files.clear();
        s.added_libraries.clear();
        s.extra_paths.clear();
        s.errors.clear();
        s.wrap = opts
            .wrap
            .iter()
            .filter_map(|w| std::ffi::CString::new(w.as_str()).ok())
            .collect();
    });
    let mut claimer = PluginClaimer {
        opts,
        plugin,
        claimed: Vec::new(),
    };
    let (mut first, placed) = resolve::resolve_with(items, roots, opts, &mut claimer)?;
    if claimer.claimed.is_empty() {
        // The archives and the members not taken (parsed ahead, thousands
        // in a Rust link): freed with the link's tables.
        first.leftovers.push(Box::new(placed));
        return Ok(first);
    }
    let root_names: Vec<&[u8]> = roots.to_vec();
    resolutions(opts, &first, &claimer.claimed, &root_names)?;
    let Some(all_symbols_read) = with_state(|s| s.all_symbols_read) else {
        return Err(Error::new(format!(
            "{}: the plugin claimed inputs but registered no all-symbols-read hook",
            plugin.display()
        )));
    };
    // SAFETY: the hook has plugin-api.h's type.
    let status = unsafe { all_symbols_read() };
    let errors = errors_suffix();
    if status != LDPS_OK || !errors.is_empty() {
        return Err(Error::new(format!(
            "{}: the plugin reported an error after all symbols were read{errors}",
            plugin.display()
        )));
    }
    let (files, libraries, extra_paths, replaced) = with_state(|s| {
        let replaced: HashSet<usize> = claimer
            .claimed
            .iter()
            .map(|&(i, _)| s.files[i].data.as_ptr() as usize)
            .collect();
        (
            std::mem::take(&mut s.added_files),
            std::mem::take(&mut s.added_libraries),
            std::mem::take(&mut s.extra_paths),
            replaced,
        )
    });
    let (added, libraries) =
        crate::link::ingest_plugin_outputs(opts, &files, &libraries, &extra_paths)?;
    let mut ir_groups = HashSet::new();
    for &(_, fid) in &claimer.claimed {
        let obj = &first.objects[fid as usize];
        for g in &obj.groups {
            if !first.discarded[fid as usize][g.sections[0] as usize] {
                ir_groups.insert(g.signature);
            }
        }
    }
    let mut lto_defs = HashSet::new();
    let mut outputs = HashSet::new();
    for item in &added {
        if let LoadItem::Object(o) = item {
            outputs.insert(o.data.as_ptr() as usize);
            for s in &o.symbols[o.first_global as usize..] {
                if !s.is_undefined() {
                    lto_defs.insert(s.name.get());
                }
            }
        }
    }
    let holds_claimed = |a: &Archive| {
        a.members
            .iter()
            .filter_map(|m| m.data_if_read())
            .any(|d| replaced.contains(&(d.as_ptr() as usize)))
    };
    let mut items = resolve::into_items(first, placed, added, &holds_claimed);
    // The libraries go last: the members the first resolution loaded are
    // loaded again where they were (GNU ld keeps them), and these only
    // supply what the plugin's objects still need.
    items.extend(libraries);
    let mut second = Replaced {
        claimed: replaced,
        ir_groups,
        lto_defs,
        outputs,
    };
    Ok(resolve::resolve_with(items, roots, opts, &mut second)?.0)
}

/// After the link, written or failed: the plugin's cleanup hook (it removes
/// its temporary files), if a plugin was loaded.
pub(crate) fn cleanup() {
    let Some(hook) = with_state(|s| s.cleanup.take()) else {
        return;
    };
    // SAFETY: the hook has plugin-api.h's type.
    unsafe { hook() };
    with_state(|s| {
        for f in &mut s.files {
            for fd in f.fds.drain(..) {
                // SAFETY: descriptors `get_input_file` opened.
                unsafe { libc::close(fd) };
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_plugin_messages() {
        let s = CString::new("x.o").unwrap();
        assert_eq!(
            format_c(
                b"%s: %d errors, %lu%% %c",
                &[s.as_ptr() as usize, -2i32 as u32 as usize, 5, b'!' as usize]
            ),
            "x.o: -2 errors, 5% !"
        );
        assert_eq!(format_c(b"%s %s", &[s.as_ptr() as usize]), "x.o ?");
    }

    #[test]
    fn recognises_ir() {
        assert_eq!(lto_kind(b"BC\xC0\xDE\x35\x14"), Some(LtoKind::Bitcode));
        assert_eq!(lto_kind(b"\x7fELF"), None);
        assert_eq!(lto_kind(b"!<arch>\n"), None);
    }
}
