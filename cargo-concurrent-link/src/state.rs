//! Per-link state kept next to the output, and the background linker.
//!
//! For an output `D/NAME`, the directory `D/.concurrent-link/NAME/` holds:
//!
//! - `template.json`: the last successful link's command line (the "stable"
//!   one, see `link.rs`) and the cargo commands that made it;
//! - `running.json`: the background linker started for the next link
//!   (token, the command line it was started with, files it read);
//! - `t/`: rustc's temporary directory of the last link (hard links:
//!   `symbols.o`, the version script, ...), `o/`: its codegen-unit objects
//!   (`0.o`, `1.o`, ...: their names carry a per-invocation random part);
//! - `cld.log`: the last background linker's event log; `lock`.
//!
//! Templates are also kept in a cache outside `target/` (`util::cache_root`,
//! one directory per output directory), so a build after `cargo clean`
//! starts its background linkers as early as a rebuild does: the first
//! rustc that writes into an output directory without `.concurrent-link/`
//! restores them (`restore_templates`).
//!
//! The background linker is started with the template's command line, every
//! input outside the Rust sysroot and the system directories between
//! `--start-concurrent` and `--end-concurrent`, in inotify mode: what exists
//! is ingested at once (and checked at the wait), a dependency's rlib that
//! rustc renames into place and an object the linker wrapper links into
//! `o/` or `t/` are ingested as they arrive.

use crate::ccargs::{self, Kind};
use crate::util::{self, trace};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Unit {
    /// The link's output.
    pub out: PathBuf,
    /// `D/.concurrent-link/NAME`.
    pub dir: PathBuf,
}

#[derive(Serialize, Deserialize, Default, Clone)]
pub struct Template {
    pub args: Vec<String>,
    /// Keys of the cargo commands that made this link (most recent last).
    pub keys: Vec<String>,
    /// The codegen-unit objects of `o/0.o, 1.o, ...`, by name without
    /// rustc's per-invocation random part (`util::object_key`).
    #[serde(default)]
    pub objs: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone)]
pub struct Running {
    pub token: String,
    /// The command line the background linker was started with.
    pub args: Vec<String>,
    /// Files named by options (version scripts, ...), with their identity
    /// when it started.
    pub refs: Vec<(String, Option<util::Identity>)>,
    pub session: Option<String>,
    pub started: f64,
}

pub struct Lock(#[allow(dead_code)] File);

/// Is `out` where cargo has rustc put a linked artifact (`.../deps/`,
/// `.../examples/`, a build script's `.../build/PKG-HASH/`)? Links elsewhere
/// (a build script's probe in its `OUT_DIR`) keep no state.
pub fn is_cargo_output(out: &Path) -> bool {
    let Some(parent) = out.parent() else {
        return false;
    };
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    matches!(name(parent).as_deref(), Some("deps" | "examples"))
        || parent.parent().and_then(name).as_deref() == Some("build")
}

impl Unit {
    pub fn for_output(out: &Path) -> Unit {
        let out = util::absolute(out);
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "a.out".into());
        let parent = out.parent().unwrap_or(Path::new("/"));
        let dir = parent.join(".concurrent-link").join(name);
        Unit { out, dir }
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("t")
    }

    pub fn obj_dir(&self) -> PathBuf {
        self.dir.join("o")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join("cld.log")
    }

    /// Exclusive lock on this link's state (blocks).
    pub fn lock(&self) -> std::io::Result<Lock> {
        std::fs::create_dir_all(&self.dir)?;
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))?;
        f.lock()?;
        Ok(Lock(f))
    }

    /// The lock if nobody holds it.
    pub fn try_lock(&self) -> std::io::Result<Option<Lock>> {
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("lock"))?;
        match f.try_lock() {
            Ok(()) => Ok(Some(Lock(f))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    pub fn template(&self) -> Option<Template> {
        read_json(&self.dir.join("template.json"))
    }

    pub fn save_template(&self, args: &[String], objs: &[String], key: Option<&str>) {
        let mut keys = self.template().map(|t| t.keys).unwrap_or_default();
        if let Some(k) = key {
            keys.retain(|x| x != k);
            keys.push(k.to_string());
            let n = keys.len();
            if n > 8 {
                keys.drain(..n - 8);
            }
        }
        let t = Template {
            args: args.to_vec(),
            keys,
            objs: objs.to_vec(),
        };
        write_json(&self.dir.join("template.json"), &t);
        if let (Some(cache), Some(name)) = (self.cache_dir(), self.dir.file_name()) {
            if std::fs::create_dir_all(&cache).is_ok() {
                let _ = std::fs::write(
                    cache.join("dir"),
                    self.out
                        .parent()
                        .unwrap_or(Path::new("/"))
                        .as_os_str()
                        .as_encoded_bytes(),
                );
                let name = name.to_string_lossy();
                write_json(&cache.join(format!("{name}.json")), &t);
                // rustc's temporary files that are not objects (a version
                // script, `raw-dylibs/`): the link compares them with t/.
                let tdir = cache.join(format!("{name}.t"));
                let _ = std::fs::remove_dir_all(&tdir);
                copy_tree(&self.tmp_dir(), &tdir, &|p| {
                    p.extension().is_none_or(|e| e != "o")
                });
            }
        }
    }

    /// This output directory's templates in the cache.
    fn cache_dir(&self) -> Option<PathBuf> {
        cache_dir_for(self.out.parent()?)
    }

    pub fn running(&self) -> Option<Running> {
        read_json(&self.dir.join("running.json"))
    }

    fn set_running(&self, r: &Running) {
        write_json(&self.dir.join("running.json"), r);
        if let Some(s) = &r.session {
            let bg = Path::new(s).join("bg");
            let _ = std::fs::create_dir_all(&bg);
            let _ = std::fs::write(bg.join(&r.token), self.dir.to_string_lossy().as_bytes());
        }
    }

    /// Forget the background linker (it finished or was aborted).
    pub fn clear_running(&self, r: &Running) {
        let _ = std::fs::remove_file(self.dir.join("running.json"));
        if let Some(s) = &r.session {
            let _ = std::fs::remove_file(Path::new(s).join("bg").join(&r.token));
        }
    }

    /// Start a background linker for the template's command line unless
    /// one runs already. Call with the lock held.
    pub fn ensure_started(&self, why: &str) {
        if let Some(r) = self.running() {
            if alive(&r.token) {
                return;
            }
            trace(
                "bg-gone",
                &format!("{} token={}", self.out.display(), r.token),
            );
            self.clear_running(&r);
        }
        let Some(t) = self.template() else { return };
        let t0 = std::time::Instant::now();
        match start(self, &t.args) {
            Ok(r) => {
                trace(
                    "bg-start",
                    &format!(
                        "{} token={} why={why} ms={:.1}",
                        self.out.display(),
                        r.token,
                        t0.elapsed().as_secs_f64() * 1e3
                    ),
                );
                self.set_running(&r);
            }
            Err(e) => {
                trace(
                    "bg-start-failed",
                    &format!(
                        "{} why={why}: {}",
                        self.out.display(),
                        e.replace('\n', " | ")
                    ),
                );
            }
        }
    }

    /// Abort the background linker if one is registered (lock held).
    pub fn abort_running(&self, why: &str) {
        if let Some(r) = self.running() {
            abort(&r.token);
            trace(
                "bg-abort",
                &format!("{} token={} why={why}", self.out.display(), r.token),
            );
            self.clear_running(&r);
        }
    }
}

fn read_json<T: for<'a> Deserialize<'a>>(p: &Path) -> Option<T> {
    let text = std::fs::read(p).ok()?;
    serde_json::from_slice(&text).ok()
}

fn write_json<T: Serialize>(p: &Path, v: &T) {
    let tmp = p.with_extension(format!("tmp{}", std::process::id()));
    if let Ok(text) = serde_json::to_vec(v) {
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, p);
        }
    }
}

pub fn cld() -> PathBuf {
    util::env_str(util::ENV_CLD)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cld"))
}

pub fn driver() -> String {
    util::env_str(util::ENV_CC).unwrap_or_else(|| "cc".into())
}

/// `cc -B SHIM/ ARGS`, through a response file in `rsp_dir` when the line is
/// long (returned: remove it once the command ran).
pub fn driver_command(args: &[String], rsp_dir: &Path) -> (Command, Option<PathBuf>) {
    let mut cmd = Command::new(driver());
    let shim = util::env_str(util::ENV_SHIM).unwrap_or_default();
    cmd.arg(format!("-B{}/", shim.trim_end_matches('/')));
    let (args, rsp) = driver_args(args, rsp_dir);
    cmd.args(args);
    (cmd, rsp)
}

/// `ARGS`, or `@FILE` when the line is long: a response file in `rsp_dir`
/// (returned: remove it once the command ran).
fn driver_args(args: &[String], rsp_dir: &Path) -> (Vec<String>, Option<PathBuf>) {
    let len: usize = args.iter().map(|a| a.len() + 1).sum();
    if len > 100_000 && std::fs::create_dir_all(rsp_dir).is_ok() {
        let rsp = rsp_dir.join(format!(".ccl-args-{}.rsp", std::process::id()));
        let text: Vec<String> = args.iter().map(|a| ccargs::quote_gnu(a)).collect();
        if std::fs::write(&rsp, text.join("\n")).is_ok() {
            return (vec![format!("@{}", rsp.display())], Some(rsp));
        }
    }
    (args.to_vec(), None)
}

/// The Rust sysroot's `lib/rustlib/` (from `-L <sysroot>/lib/rustlib/<target>/lib`).
fn sysroot_rustlib(args: &[String]) -> Option<String> {
    let kinds = ccargs::classify(args);
    for (i, a) in args.iter().enumerate() {
        let dir = if kinds[i] == Kind::Value && i > 0 && args[i - 1] == "-L" {
            a.as_str()
        } else if let Some(d) = a.strip_prefix("-L") {
            d
        } else {
            continue;
        };
        if let Some(pos) = dir.find("/lib/rustlib/") {
            return Some(dir[..pos + "/lib/rustlib/".len()].to_string());
        }
    }
    None
}

/// Inputs that can change during the build: everything but the sysroot's
/// and the system's files.
fn is_concurrent(path: &str, rustlib: &Option<String>) -> bool {
    if rustlib.as_deref().is_some_and(|r| path.starts_with(r)) {
        return false;
    }
    !["/usr/", "/lib/", "/lib64/", "/lib32/", "/etc/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// `-lNAME` libraries the background linker ingests at the start, from
/// search directories the build may write (a dependency's build script
/// `OUT_DIR`): every candidate file, existing or not, so the link can tell
/// that one changed since (then it links serially).
fn library_candidates(args: &[String], rustlib: &Option<String>) -> Vec<String> {
    let kinds = ccargs::classify(args);
    let mut dirs = Vec::new();
    let mut names = Vec::new();
    for (i, a) in args.iter().enumerate() {
        let prev = if i > 0 { args[i - 1].as_str() } else { "" };
        if kinds[i] == Kind::Value && prev == "-L" {
            dirs.push(a.clone());
        } else if kinds[i] == Kind::Value && prev == "-l" {
            names.push(a.clone());
        } else if kinds[i] == Kind::Option {
            if let Some(d) = a.strip_prefix("-L").filter(|d| !d.is_empty()) {
                dirs.push(d.to_string());
            } else if let Some(n) = a.strip_prefix("-l").filter(|n| !n.is_empty()) {
                names.push(n.to_string());
            } else if let Some(rest) = a.strip_prefix("-Wl,") {
                for p in rest.split(',') {
                    if let Some(n) = p.strip_prefix("-l").filter(|n| !n.is_empty()) {
                        names.push(n.to_string());
                    } else if let Some(d) = p.strip_prefix("-L").filter(|d| !d.is_empty()) {
                        dirs.push(d.to_string());
                    }
                }
            }
        }
    }
    dirs.retain(|d| is_concurrent(&format!("{}/", d.trim_end_matches('/')), rustlib));
    let mut out = Vec::new();
    for d in &dirs {
        for n in &names {
            if let Some(exact) = n.strip_prefix(':') {
                out.push(format!("{d}/{exact}"));
            } else {
                out.push(format!("{d}/lib{n}.so"));
                out.push(format!("{d}/lib{n}.a"));
            }
        }
    }
    out
}

fn start(unit: &Unit, args: &[String]) -> Result<Running, String> {
    let kinds = ccargs::classify(args);
    let rustlib = sysroot_rustlib(args);
    // The driver's own spelling (`-Xlinker`), which a response file keeps.
    let mut line = Vec::with_capacity(args.len() * 2);
    let mut open = false;
    let mut n = 0;
    for (i, a) in args.iter().enumerate() {
        let conc = kinds[i] == Kind::Input && is_concurrent(a, &rustlib);
        if conc != open {
            line.push("-Xlinker".to_string());
            line.push(
                if conc {
                    "--start-concurrent"
                } else {
                    "--end-concurrent"
                }
                .into(),
            );
            open = conc;
        }
        if conc {
            n += 1;
            line.push("-Xlinker".into());
        }
        line.push(a.clone());
    }
    if open {
        line.push("-Xlinker".into());
        line.push("--end-concurrent".into());
    }
    if n == 0 {
        return Err("no input can change".into());
    }
    let _ = std::fs::remove_file(unit.log_path());
    let mut opts = vec![
        "--concurrent-inotify".to_string(),
        format!("--concurrent-log={}", unit.log_path().display()),
        format!("--concurrent-idle-timeout={}", util::IDLE_TIMEOUT_SECS),
    ];
    if let Some(pid) = util::env_str(util::ENV_OWNER) {
        opts.push(format!("--concurrent-owner={pid}"));
    }
    let _ = std::fs::create_dir_all(unit.tmp_dir());
    let _ = std::fs::create_dir_all(unit.obj_dir());
    let mut watched = ccargs::option_paths(args);
    watched.extend(library_candidates(args, &rustlib));
    let refs = watched
        .into_iter()
        .map(|p| {
            let id = util::identity(Path::new(&p));
            (p, id)
        })
        .collect();
    let (dargs, rsp) = driver_args(&line, &unit.dir);
    let command: Vec<String> = std::iter::once(driver()).chain(dargs).collect();
    // Its own process group: an interrupt of the build must not stop a
    // start half-way (a background linker whose token we never read).
    use std::os::unix::process::CommandExt;
    let started = client().start(&opts, &command, |c| {
        c.process_group(0);
    });
    if let Some(r) = rsp {
        let _ = std::fs::remove_file(r);
    }
    Ok(Running {
        token: started?.token,
        args: args.to_vec(),
        refs,
        session: util::env_str(util::ENV_SESSION),
        started: util::now(),
    })
}

fn client() -> cld_client::Cld {
    cld_client::Cld::new(cld(), |_| {})
}

pub fn alive(token: &str) -> bool {
    client().alive(token)
}

pub fn abort(token: &str) {
    client().abort(token)
}

/// `cld --concurrent-wait`, with signals passed on to it.
pub fn wait(token: &str) -> std::io::Result<cld_client::Waited> {
    client().wait(token, util::set_child)
}

fn cache_dir_for(out_dir: &Path) -> Option<PathBuf> {
    Some(util::cache_root()?.join(util::path_key(&util::absolute(out_dir))))
}

/// After `cargo clean`: put the cached templates of `out_dir` back into
/// `out_dir/.concurrent-link/`, once (whoever creates that directory).
/// Returns how many were restored.
pub fn restore_templates(out_dir: &Path) -> usize {
    let state = out_dir.join(".concurrent-link");
    if state.exists() {
        return 0;
    }
    let Some(cache) = cache_dir_for(out_dir) else {
        return 0;
    };
    let Ok(rd) = std::fs::read_dir(&cache) else {
        return 0;
    };
    // The cache directory must be ours: it was for this very path.
    if std::fs::read(cache.join("dir")).ok().as_deref()
        != Some(util::absolute(out_dir).as_os_str().as_encoded_bytes())
    {
        return 0;
    }
    if std::fs::create_dir(&state).is_err() {
        return 0; // another rustc restores them, or there is no out_dir
    }
    let mut n = 0;
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(unit) = name.strip_suffix(".json") else {
            continue;
        };
        let Some(t) = read_json::<Template>(&e.path()) else {
            continue;
        };
        let dir = state.join(unit);
        if std::fs::create_dir_all(&dir).is_ok() {
            write_json(&dir.join("template.json"), &t);
            copy_tree(&cache.join(format!("{unit}.t")), &dir.join("t"), &|_| true);
            n += 1;
        }
    }
    n
}

/// Copy the directories and the files `want`ed under `from` to `to`
/// (best effort: a cache).
fn copy_tree(from: &Path, to: &Path, want: &dyn Fn(&Path) -> bool) {
    let Ok(rd) = std::fs::read_dir(from) else {
        return;
    };
    let _ = std::fs::create_dir_all(to);
    for e in rd.flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        match e.file_type() {
            Ok(t) if t.is_dir() => copy_tree(&src, &dst, want),
            Ok(t) if t.is_file() && want(&src) => {
                let _ = std::fs::copy(&src, &dst);
            }
            _ => {}
        }
    }
}

/// Templates of links in `out_dir` (a `deps` directory) made by the cargo
/// command `key` that read `file` (a library rustc is about to write).
pub fn units_reading(out_dir: &Path, file: &Path, key: &str) -> Vec<Unit> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir(out_dir.join(".concurrent-link")) else {
        return found;
    };
    let file = file.to_string_lossy();
    for e in rd.flatten() {
        let dir = e.path();
        let Some(t) = read_json::<Template>(&dir.join("template.json")) else {
            continue;
        };
        if t.keys.iter().any(|k| k == key) && t.args.iter().any(|a| *a == *file) {
            let name = e.file_name();
            found.push(Unit {
                out: out_dir.join(name),
                dir,
            });
        }
    }
    found
}

/// The subcommand's cleanup: abort every background linker of `session`
/// still registered (their build never linked: a compile error, an
/// interrupt, or a link cargo did not need).
pub fn sweep(session: &Path) -> usize {
    let mut n = 0;
    let Ok(rd) = std::fs::read_dir(session.join("bg")) else {
        return 0;
    };
    for e in rd.flatten() {
        let token = e.file_name().to_string_lossy().into_owned();
        let unit_dir = std::fs::read_to_string(e.path()).unwrap_or_default();
        let unit_dir = PathBuf::from(unit_dir);
        let out = unit_dir
            .parent()
            .and_then(Path::parent)
            .map(|d| d.join(unit_dir.file_name().unwrap_or_default()))
            .unwrap_or_default();
        let unit = Unit { out, dir: unit_dir };
        if let Ok(_l) = unit.lock() {
            match unit.running() {
                Some(r) if r.token == token => unit.abort_running("unused at the end of the build"),
                _ => {
                    abort(&token);
                    trace("bg-abort", &format!("token={token} why=sweep"));
                }
            }
        }
        let _ = std::fs::remove_file(e.path());
        n += 1;
    }
    n
}
