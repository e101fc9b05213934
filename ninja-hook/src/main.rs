//! `ninja-hook`: concurrent linking with cld for Ninja builds (CMake, Meson,
//! hand-written `build.ninja`), as a compiler and linker launcher.
//!
//! ```text
//! ninja-hook cc COMPILER ARGS...    compile (-c) or link, by the arguments
//! ninja-hook link DRIVER ARGS...    link
//! ninja-hook status [BUILDDIR]      the background linkers of a build directory
//! ```
//!
//! A compile run by Ninja first makes sure that every link its object ends
//! up in has a background linker (started with the link's exact command
//! line, read from the Ninja manifest, with the build's own inputs made
//! concurrent and inotify watching them), then runs the compiler. The link
//! then only waits for that background linker; without one (not under
//! Ninja, or a link no compile fed) it links serially with cld. A watchdog
//! aborts the background linkers nobody waited for when Ninja exits (a
//! failed, interrupted or partial build). See README.md in this folder.

mod driver;
mod manifest;
mod plan;
mod procs;
mod session;
mod shell;

use cld_client::Waited;
use driver::Kind;
use session::Locked;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

const USAGE: &str = "\
usage: ninja-hook cc COMPILER ARGS...   compile or link (links without -c)
       ninja-hook link DRIVER ARGS...   link
       ninja-hook status [BUILDDIR]     show the background linkers of a build directory

CMake:  cmake -G Ninja -DCMAKE_C_COMPILER_LAUNCHER='ninja-hook;cc' \\
              -DCMAKE_C_LINKER_LAUNCHER='ninja-hook;link' ...
Meson:  CC='ninja-hook cc gcc' meson setup build
Ninja:  put `ninja-hook cc` in front of the compiler in the compile and link rules

Environment: NINJA_HOOK_CLD (cld to use; default: next to ninja-hook, else PATH),
NINJA_HOOK_DISABLE=1 (no concurrent linking; links still use cld),
NINJA_HOOK_VERBOSE=1 (say what happens), NINJA_HOOK_IDLE_TIMEOUT (seconds).
";

fn verbose() -> bool {
    std::env::var_os("NINJA_HOOK_VERBOSE").is_some_and(|v| v == "1")
}

macro_rules! note {
    ($($t:tt)*) => {
        if verbose() {
            eprintln!("ninja-hook: {}", format!($($t)*));
        }
    };
}

fn fail(msg: &str) -> ! {
    eprintln!("ninja-hook: error: {msg}");
    std::process::exit(2);
}

/// cld: `$NINJA_HOOK_CLD`, else next to this executable, else on PATH.
fn find_cld() -> PathBuf {
    if let Some(c) = std::env::var_os("NINJA_HOOK_CLD").filter(|c| !c.is_empty()) {
        return PathBuf::from(c);
    }
    if let Ok(exe) = std::env::current_exe() {
        let exe = exe.canonicalize().unwrap_or(exe);
        let sib = exe.with_file_name("cld");
        if sib.is_file() {
            return sib;
        }
    }
    PathBuf::from("cld")
}

fn exit_code(s: ExitStatus) -> i32 {
    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first() else {
        eprint!("{USAGE}");
        std::process::exit(2);
    };
    let rest = &args[1..];
    let code = match mode.as_str() {
        "cc" | "link" => {
            // What the command does is judged with its response files
            // expanded; it runs as it was given.
            let cwd = std::env::current_dir().unwrap_or_default();
            let expanded: Vec<String> = std::iter::once(mode.clone())
                .chain(driver::expand_rsp(rest, &cwd, None))
                .collect();
            let (Some((_, driver, dargs)), Some((_, _, edargs))) = (
                driver::split_launcher(rest),
                driver::split_launcher(&expanded[1..]),
            ) else {
                fail(&format!("`ninja-hook {mode}` needs a compiler command"));
            };
            let kind = if mode == "link" {
                match driver::classify(edargs) {
                    Kind::Link(o) => Kind::Link(o),
                    // `link` given something that does not link: run it as is.
                    _ => Kind::Other,
                }
            } else {
                driver::classify(edargs)
            };
            match kind {
                Kind::Compile(out) => compile(rest, out),
                Kind::Link(out) => link(&expanded, driver, dargs, &out),
                Kind::Other => {
                    let e = Command::new(&rest[0]).args(&rest[1..]).exec();
                    fail(&format!("cannot run {}: {e}", rest[0]));
                }
            }
        }
        "status" => status(rest.first().map(PathBuf::from)),
        "__watchdog" => session::watchdog(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            0
        }
        other => {
            eprint!("ninja-hook: unknown mode '{other}'\n{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn disabled() -> bool {
    std::env::var_os("NINJA_HOOK_DISABLE").is_some_and(|v| v == "1")
}

/// A compile: start the background linkers of every link the object ends
/// up in (once per session), run the compiler; if it fails, abort them
/// (those links cannot run in this build).
fn compile(command: &[String], out: Option<String>) -> i32 {
    let (driver, dargs) = (&command[0], &command[1..]);
    let run = || -> ! {
        let e = Command::new(driver).args(dargs).exec();
        fail(&format!("cannot run {driver}: {e}"));
    };
    if disabled() {
        run();
    }
    let (Some(out), Some(ninja)) = (out, procs::find_ninja()) else {
        run();
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let object = driver::absolute(&out, &cwd).to_string_lossy().into_owned();
    let statedir = session::state_dir(&ninja.dir);
    let cld = find_cld();
    let mut started_for: Vec<String> = Vec::new();
    match prepare_links(&ninja, &statedir, &cld, &object) {
        Ok(v) => started_for = v,
        Err(e) => note!("{e}"),
    }
    let status = match Command::new(driver).args(dargs).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ninja-hook: error: cannot run {driver}: {e}");
            ExitStatus::from_raw(127 << 8)
        }
    };
    if !status.success() && !started_for.is_empty() {
        if let Ok(mut l) = Locked::open(&statedir) {
            let _hold = procs::HoldSignals::new();
            if l.session.ninja == Some(ninja.id) {
                let (gone, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut l.session.linkers)
                    .into_iter()
                    .partition(|k| started_for.contains(&k.output));
                l.session.linkers = keep;
                for g in &gone {
                    note!(
                        "compile of {object} failed: aborting the link of {}",
                        g.output
                    );
                    l.session.done.push(g.output.clone());
                }
                session::abort_all(&gone, &cld);
                l.stop_idle_watchdog();
                l.save();
            }
        }
    }
    exit_code(status)
}

/// The links `object` ends up in that have no background linker yet get
/// one (under the session lock). Returns the outputs of every link `object` feeds
/// that has a background linker.
fn prepare_links(
    ninja: &procs::Ninja,
    statedir: &Path,
    cld: &Path,
    object: &str,
) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(statedir).map_err(|e| format!("{}: {e}", statedir.display()))?;
    let plan = plan::Plan::load(&ninja.manifest, &ninja.dir, statedir)?;
    let using = plan.links_using(object);
    if using.is_empty() {
        return Ok(Vec::new());
    }
    let mut l = Locked::open(statedir).map_err(|e| format!("{}: {e}", statedir.display()))?;
    // From here until the session is saved, an interruption must wait.
    let _hold = procs::HoldSignals::new();
    l.adopt(ninja.id, cld);
    let mut feeds = Vec::new();
    // Links reached through an archive or a shared library are started
    // from here only when there are few of them (a library used by dozens
    // of test programs would start dozens of linkers at its first compile;
    // each of those starts when its own objects compile instead), or when
    // all their inputs exist (an incremental build: nothing else of theirs
    // may compile).
    let indirect = using.iter().filter(|u| !u.1).count();
    let max_fanout = env_number("NINJA_HOOK_MAX_FANOUT", 4);
    let max_live = env_number("NINJA_HOOK_MAX_LINKERS", 16);
    for (li, direct) in using {
        let link = &plan.links[li];
        feeds.push(link.output.clone());
        if l.session.done.contains(&link.output)
            || l.session.linkers.iter().any(|k| k.output == link.output)
            || (!direct
                && indirect > max_fanout
                && !link.concurrent.iter().all(|c| Path::new(c).exists()))
        {
            continue;
        }
        if l.session.linkers.len() >= max_live {
            note!(
                "{} background linkers run already: {} is not started now",
                l.session.linkers.len(),
                link.output
            );
            continue;
        }
        match session::start_linker(link, &ninja.dir, statedir, cld) {
            Ok(k) => {
                note!(
                    "started the background linker of {} ({})",
                    k.output,
                    k.token
                );
                l.session.linkers.push(k);
            }
            Err(e) => {
                if link.start.is_ok() {
                    eprintln!(
                        "ninja-hook: warning: {} will be linked at the end, not concurrently: {e}",
                        link.output
                    );
                } else {
                    note!("{}: not linked concurrently: {e}", link.output);
                }
                l.session.done.push(link.output.clone());
            }
        }
    }
    if l.session.watchdog.is_none_or(|w| !w.alive()) && !l.session.linkers.is_empty() {
        l.session.watchdog = session::spawn_watchdog(statedir, ninja.id, cld);
    }
    l.save();
    Ok(feeds)
}

/// A link: wait for the background linker started for exactly this
/// command, else link serially with cld.
fn link(hook_args: &[String], driver: &str, dargs: &[String], out: &str) -> i32 {
    let cld = find_cld();
    let serial = |cld: &Path| -> i32 {
        let shim = match session::shim_dir(cld) {
            Ok(s) => s,
            Err(e) => fail(&e),
        };
        let mut cmd = Command::new(driver);
        procs::unblock_in_child(&mut cmd);
        let e = cmd.arg("-B").arg(shim).args(dargs).exec();
        fail(&format!("cannot run {driver}: {e}"));
    };
    if disabled() {
        return serial(&cld);
    }
    let Some(ninja) = procs::find_ninja() else {
        return serial(&cld);
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let output = driver::absolute(out, &cwd).to_string_lossy().into_owned();
    let statedir = session::state_dir(&ninja.dir);
    if !statedir.is_dir() {
        return serial(&cld);
    }
    let claimed = {
        let Ok(mut l) = Locked::open(&statedir) else {
            return serial(&cld);
        };
        let _hold = procs::HoldSignals::new();
        if l.session.ninja != Some(ninja.id) {
            None
        } else {
            let idx = l.session.linkers.iter().position(|k| k.output == output);
            let k = idx.map(|i| l.session.linkers.remove(i));
            l.session.done.push(output.clone());
            let claimed = match k {
                Some(k) if k.hook_args[..] == hook_args[..] && k.cwd == cwd => Some(k),
                Some(k) => {
                    eprintln!(
                        "ninja-hook: warning: the background linker of {output} was started for another command line; linking serially"
                    );
                    session::abort_all(std::slice::from_ref(&k), &cld);
                    None
                }
                None => None,
            };
            l.stop_idle_watchdog();
            l.save();
            claimed
        }
    };
    let Some(k) = claimed else {
        note!("no background linker for {output}: linking serially");
        return serial(&cld);
    };
    note!(
        "waiting for the background linker of {output} ({})",
        k.token
    );
    let waited = session::client(&cld).wait(&k.token, |_| {});
    if let Some(p) = k.proc {
        // It exits right after answering; do not return before it is gone.
        p.wait_gone(Duration::from_secs(5));
    }
    match waited {
        Ok(Waited::Linked(status, diag)) => {
            eprint!("{diag}");
            exit_code(status)
        }
        Ok(Waited::Gone(diag)) => {
            eprintln!(
                "ninja-hook: warning: the background linker of {output} is gone ({}); linking serially",
                diag.trim()
            );
            serial(&cld)
        }
        Err(e) => fail(&format!("cannot run {}: {e}", cld.display())),
    }
}

fn status(dir: Option<PathBuf>) -> i32 {
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let statedir = session::state_dir(&dir);
    let text = std::fs::read_to_string(statedir.join("session.json")).unwrap_or_default();
    if text.is_empty() {
        println!("no session in {}", dir.display());
        return 0;
    }
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    0
}
