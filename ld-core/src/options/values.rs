//! The value types of `Options`' fields (input arguments and their
//! positional state, the choices options select among), and what a command
//! line asks for besides a link (`Command`).

use super::Options;
use std::path::PathBuf;

/// What the dynamic symbol table exports, with which versions, and which
/// definitions bind locally (`exports.rs`).
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    /// `--no-undefined-version`: a version script naming a symbol the link
    /// does not define is an error (by default, a warning).
    pub no_undefined_version: bool,
    /// `-Bsymbolic`.
    pub bsymbolic: bool,
    /// `-Bsymbolic-functions`: functions defined here bind locally.
    pub bsymbolic_functions: bool,
    /// `--export-dynamic-symbol GLOB` (repeatable).
    pub export_dynamic_symbols: Vec<String>,
    /// `--export-dynamic-symbol-list FILE`: dynamic-list files whose
    /// patterns export like `--export-dynamic-symbol`.
    pub export_dynamic_symbol_lists: Vec<PathBuf>,
    /// `--dynamic-list-data`: every global data symbol is in the dynamic list.
    pub dynamic_list_data: bool,
    /// `-Bsymbolic-non-weak`: non-weak definitions bind locally.
    pub bsymbolic_non_weak: bool,
    /// `-Bsymbolic-non-weak-functions`: non-weak functions bind locally.
    pub bsymbolic_non_weak_functions: bool,
    /// A linker script's `VERSION { ... }`: (text, name for messages), used
    /// when there is no `--version-script`.
    pub version_script_text: Option<(String, String)>,
    /// `--version-script FILE`, `--dynamic-list FILE` (later issue).
    pub version_script: Option<PathBuf>,
    pub dynamic_list: Option<PathBuf>,
}

/// Positional state that GNU ld attaches to each input as it is read
/// (`--as-needed`, `--whole-archive`, `-Bstatic`), saved by `--push-state`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputState {
    pub as_needed: bool,
    pub whole_archive: bool,
    /// `-Bstatic`: `-l` only finds `.a` files.
    pub static_only: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputArg {
    /// A file named on the command line. `concurrent` is true between
    /// `--start-concurrent` and `--end-concurrent`.
    File {
        path: PathBuf,
        state: InputState,
        concurrent: bool,
    },
    /// `-lNAME` (`name` = "NAME") or `-l:FILE` (`name` = ":FILE").
    /// `concurrent`: inside `--start-concurrent`, so it may not exist yet.
    Library {
        name: String,
        state: InputState,
        concurrent: bool,
    },
    /// `--start-group` / `-(`.
    GroupStart,
    /// `--end-group` / `-)`.
    GroupEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    Locals,
    All,
    None,
}

/// The value of a `--defsym SYMBOL=EXPRESSION`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefsymExpr {
    /// A number: the symbol is absolute.
    Number(u64),
    /// Another symbol plus an offset.
    Symbol(String, i64),
}

/// `--compress-debug-sections`: how `.debug_*` output sections are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressDebug {
    None,
    /// `zlib`/`zlib-gabi`: `SHF_COMPRESSED` with `ELFCOMPRESS_ZLIB`.
    Zlib,
    /// `zstd[:LEVEL]`: `ELFCOMPRESS_ZSTD` at the given level.
    Zstd(i32),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuildId {
    None,
    /// A content hash (`--build-id`, `--build-id=fast|sha1|md5|tree`), `len` bytes.
    Hash {
        len: usize,
    },
    Uuid,
    Hex(Vec<u8>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashStyle {
    pub sysv: bool,
    pub gnu: bool,
}

/// How the concurrent protocol feeds inputs (later issue; parsed already so
/// the command line is validated in one place).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ConcurrentMode {
    #[default]
    Off,
    Pipe(PathBuf),
    Inotify,
}

/// What the start of a background linker prints once it is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StartReport {
    /// The token alone (a start without `--concurrent-start`).
    #[default]
    Token,
    /// `--concurrent-start`: `CLD_TOKEN=...` lines, shell-quoted.
    Plain,
    /// `--concurrent-start --json`: one JSON object.
    Json,
}

/// `-z cet-report=`: what to do about inputs not marked IBT or SHSTK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CetReport {
    None,
    Warning,
    Error,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Link(Box<Options>),
    /// `--help`.
    Help,
    /// `--version` (print and exit 0).
    Version,
    /// `--print-shim-dir`: print a directory holding an `ld` that runs cld.
    PrintShimDir,
    /// `--concurrent-wait|abort|status=TOKEN`: talk to a background linker.
    Control {
        op: ControlOp,
        token: String,
        json: bool,
    },
}

/// What a control command asks of a background linker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlOp {
    Wait,
    Abort,
    Status,
}
