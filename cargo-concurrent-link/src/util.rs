//! Shared plumbing: environment variables, the trace, signals, exit status.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicI32, Ordering};

/// Set (to 1) by the subcommand for everything cargo runs: rustc wrapper
/// and linker calls of this program recognize themselves by it.
pub const ENV_ACTIVE: &str = "CARGO_CONCURRENT_LINK";
pub const ENV_CLD: &str = "CARGO_CONCURRENT_LINK_CLD";
pub const ENV_SHIM: &str = "CARGO_CONCURRENT_LINK_SHIM";
/// The C driver that runs cld (default `cc`).
pub const ENV_CC: &str = "CARGO_CONCURRENT_LINK_CC";
pub const ENV_SESSION: &str = "CARGO_CONCURRENT_LINK_SESSION";
/// The subcommand's pid: background linkers give up once it has exited
/// (`--concurrent-owner`), whatever the build's cleanup missed.
pub const ENV_OWNER: &str = "CARGO_CONCURRENT_LINK_OWNER";
/// Identifies the cargo command (verb, arguments, directory): links made
/// by one are started early by the next identical one.
pub const ENV_KEY: &str = "CARGO_CONCURRENT_LINK_KEY";
/// The rustc wrapper the user had (`RUSTC_WRAPPER`, `build.rustc-wrapper`).
pub const ENV_INNER_WRAPPER: &str = "CARGO_CONCURRENT_LINK_INNER_WRAPPER";
/// Set by the rustc wrapper for rustc: its links are cargo units.
pub const ENV_UNIT: &str = "CARGO_CONCURRENT_LINK_UNIT";
/// User settings.
pub const ENV_TRACE: &str = "CARGO_CONCURRENT_LINK_TRACE";
pub const ENV_MODE: &str = "CARGO_CONCURRENT_LINK_MODE";
pub const ENV_VERIFY: &str = "CARGO_CONCURRENT_LINK_VERIFY";
/// Where link templates are kept beyond `cargo clean` (default
/// `$XDG_CACHE_HOME/cargo-concurrent-link`, else `~/.cache/...`).
pub const ENV_CACHE: &str = "CARGO_CONCURRENT_LINK_CACHE";

/// The template cache's root, if there is a place for it.
pub fn cache_root() -> Option<PathBuf> {
    if let Some(d) = env_str(ENV_CACHE) {
        return Some(PathBuf::from(d));
    }
    let base = env_str("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env_str("HOME").map(|h| Path::new(&h).join(".cache")))?;
    Some(base.join("cargo-concurrent-link"))
}

/// FNV-1a of a path: a stable name for a directory in the cache.
pub fn path_key(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in p.as_os_str().as_bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// How long a background linker nobody talks to lives. A link that finds
/// it gone links serially, so this only bounds a leak (SIGKILLed build).
pub const IDLE_TIMEOUT_SECS: u64 = 300;

pub fn env_str(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// Background linkers on (default) or off (`CARGO_CONCURRENT_LINK_MODE=serial`:
/// every link still by cld, serially).
pub fn concurrent_enabled() -> bool {
    env_str(ENV_MODE).as_deref() != Some("serial")
}

pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// One line in `$CARGO_CONCURRENT_LINK_TRACE`, if set:
/// `<unix time> <pid> <event> <details>`.
pub fn trace(event: &str, details: &str) {
    if let Some(path) = env_str(ENV_TRACE) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{:.6} {} {event} {details}", now(), std::process::id());
        }
    }
}

/// A one-line notice for the user. The linker's stderr is not shown by
/// rustc when the link succeeds, so notices go to the session, whose
/// owner (the subcommand) prints them once cargo is done.
pub fn notice(msg: &str) {
    trace("notice", msg);
    if let Some(dir) = env_str(ENV_SESSION) {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(Path::new(&dir).join("notices"))
        {
            let _ = writeln!(f, "{msg}");
            return;
        }
    }
    eprintln!("cargo-concurrent-link: note: {msg}");
}

/// A shared lock on the session, held by a rustc wrapper while it may start
/// background linkers (the subcommand sweeps once it gets the exclusive
/// lock). None when there is no session (anymore): start nothing then.
pub fn session_guard() -> Option<std::fs::File> {
    let dir = env_str(ENV_SESSION)?;
    let f = std::fs::File::options()
        .write(true)
        .open(Path::new(&dir).join("active"))
        .ok()?;
    f.lock_shared().ok()?;
    Some(f)
}

/// Identity of a file: (device, inode, size, mtime ns).
pub type Identity = (u64, u64, u64, i64);

pub fn identity(p: &Path) -> Option<Identity> {
    let m = std::fs::metadata(p).ok()?;
    Some((
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime() * 1_000_000_000 + m.mtime_nsec(),
    ))
}

/// FNV-1a, for stable keys.
pub fn fnv(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for p in parts {
        for b in p.iter().chain([0xffu8].iter()) {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

// ---------------------------------------------------------------------------
// Signals: while a child runs, SIGINT/SIGTERM/SIGHUP are remembered (and,
// for the subcommand, forwarded to cargo), so cleanup runs before we exit
// the way the child did. A handler, not SIG_IGN: children get the default
// disposition back at exec.

static CHILD: AtomicI32 = AtomicI32::new(0);
static FORWARD: AtomicI32 = AtomicI32::new(0);
static GOT: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(
    sig: nix::libc::c_int,
    info: *mut nix::libc::siginfo_t,
    _ctx: *mut nix::libc::c_void,
) {
    GOT.store(sig, Ordering::SeqCst);
    let child = CHILD.load(Ordering::SeqCst);
    // A signal from the terminal (Ctrl-C: sent by the kernel to the whole
    // foreground process group) reached the child already; only one sent
    // to us alone by a process (`kill`) is passed on.
    let from_process = !info.is_null() && unsafe { (*info).si_code } == nix::libc::SI_USER;
    if FORWARD.load(Ordering::SeqCst) != 0 && child > 0 && from_process {
        unsafe {
            nix::libc::kill(child, sig);
        }
    }
}

pub fn catch_signals(forward: bool) {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    FORWARD.store(forward as i32, Ordering::SeqCst);
    let act = SigAction::new(
        SigHandler::SigAction(on_signal),
        SaFlags::SA_RESTART | SaFlags::SA_SIGINFO,
        SigSet::empty(),
    );
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        unsafe {
            let _ = sigaction(s, &act);
        }
    }
}

pub fn set_child(pid: u32) {
    CHILD.store(pid as i32, Ordering::SeqCst);
}

/// The signal we received, if any.
pub fn got_signal() -> Option<i32> {
    match GOT.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

fn die_by(sig: i32) -> ! {
    use nix::sys::signal::{signal, SigHandler, Signal};
    if let Ok(s) = Signal::try_from(sig) {
        unsafe {
            let _ = signal(s, SigHandler::SigDfl);
        }
        let _ = nix::sys::signal::raise(s);
    }
    std::process::exit(128 + sig)
}

/// Exit the way `status` says the child did (a signal is raised again).
pub fn exit_like(status: ExitStatus) -> ! {
    if let Some(code) = status.code() {
        std::process::exit(code)
    }
    if let Some(sig) = status.signal() {
        die_by(sig)
    }
    std::process::exit(1)
}

/// Exit with `code`, unless we were told to stop by a signal.
pub fn exit_code(code: i32) -> ! {
    if let Some(sig) = got_signal() {
        die_by(sig)
    }
    std::process::exit(code)
}

pub fn status_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Arguments as UTF-8 strings, or None.
pub fn utf8_args(args: &[OsString]) -> Option<Vec<String>> {
    args.iter()
        .map(|a| a.to_str().map(str::to_string))
        .collect()
}

/// `dir` made absolute against the current directory.
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

/// Put `src` at `dst` atomically (hard link, else copy; then rename), unless
/// `dst` is that file already.
pub fn place(src: &Path, dst: &Path) -> std::io::Result<()> {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    if let (Some(a), Some(b)) = (identity(src), identity(dst)) {
        if a == b {
            return Ok(());
        }
    }
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let name = dst.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dst.with_file_name(format!(
        ".{name}.tmp{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(src, &tmp).is_err() {
        std::fs::copy(src, &tmp)?;
    }
    std::fs::rename(&tmp, dst)
}

/// A codegen-unit object's name without rustc's per-invocation random part:
/// incremental builds name them `CRATE-HASH.CGU.RANDOM.rcgu.o` (CGU names
/// have no dots there), others `CRATE-HASH.CGU.rcgu.o`.
pub fn object_key(name: &str, incremental: bool) -> String {
    let base = name.strip_suffix(".rcgu.o").unwrap_or(name);
    if incremental {
        if let Some((rest, _random)) = base.rsplit_once('.') {
            return rest.to_string();
        }
    }
    base.to_string()
}
