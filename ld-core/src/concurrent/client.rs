//! The commands a user or a build runs: the start (`cld ...
//! --concurrent-pipe|--concurrent-inotify ...`), which validates the
//! command line, sets up the socket and the feed in the foreground, forks
//! the background linker and prints its token once it is ready; and
//! `--concurrent-wait|abort|status=TOKEN`, which talk to it over its socket.
//!
//! Assumes the runtime directory (`runtime_dir`) is private to the user: a
//! token names a socket there, and the server checks peers' credentials.

use super::feed;
use super::ingest::{normalize, Entry, Names, Slot};
use super::owner::Owner;
use super::server::{self, Setup};
use super::start::Report;
use crate::error::{Error, Result};
use crate::options::{ConcurrentMode, ControlOp, InputArg, Options};
use crate::outlock::OutputLock;
use crate::runtime_dir::{runtime_dir, socket_addr, socket_connect};
use nix::unistd::{fork, setsid, ForkResult};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `cld ... --concurrent-pipe|--concurrent-inotify ...`: returns the exit status.
pub fn start(opts: Options) -> i32 {
    match setup(opts) {
        Ok(s) => daemonize(s),
        Err(e) => {
            for line in e.msg.lines() {
                eprintln!("cld: error: {line}");
            }
            1
        }
    }
}

/// Everything the foreground sets up: a bad command line or a busy output
/// fails here, before anything goes to the background.
fn setup(opts: Options) -> Result<Setup> {
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot get the current directory: {e}")))?;
    let (entries, names) = read_inputs(&opts, &cwd)?;
    let owner = opts.concurrent_owner.map(Owner::open).transpose()?;
    let dir = runtime_dir()?;
    remove_stale(&dir);
    let token = new_token()?;
    let start_lock = lock_output(&dir, &token, &opts.output)?;
    let (listener, sock_path) = bind_socket(&dir, &token)?;
    let cleanup_sock = |e: Error| {
        let _ = std::fs::remove_file(&sock_path);
        e
    };
    let mut fifo = None;
    let mut inotify = None;
    match &opts.concurrent {
        ConcurrentMode::Pipe(p) => fifo = Some(feed::open_fifo(p, &cwd).map_err(cleanup_sock)?),
        ConcurrentMode::Inotify => inotify = Some(feed::watch_dirs(&names).map_err(cleanup_sock)?),
        ConcurrentMode::Off => unreachable!("start() is only called in concurrent mode"),
    }
    Ok(Setup {
        opts,
        token,
        dir,
        sock_path,
        listener,
        fifo,
        inotify,
        entries,
        names,
        start_lock,
        owner,
    })
}

/// The link's inputs as the background linker holds them, and for each
/// path a report may name, the concurrent entries it completes. Validates
/// everything that is not concurrent now (expanding `-l`, scripts), so
/// all errors of the command line are reported together.
fn read_inputs(opts: &Options, cwd: &Path) -> Result<(Vec<Entry>, Names)> {
    let mut entries = Vec::new();
    let mut names: Names = HashMap::new();
    let mut errors = Vec::new();
    let mut n_concurrent = 0;
    for arg in &opts.inputs {
        match arg {
            InputArg::File {
                path,
                state,
                concurrent: true,
            } => {
                let abs = normalize(path, cwd);
                let parent = abs.parent().unwrap_or(Path::new("/"));
                // Watches need the directory; the FIFO does not.
                if opts.concurrent == ConcurrentMode::Inotify && !parent.is_dir() {
                    let m = format!(
                        "directory {} of concurrent input {} does not exist (inotify watches directories; create it first)",
                        parent.display(),
                        path.display()
                    );
                    if !errors.iter().any(|e: &String| {
                        e.starts_with(&format!("directory {} ", parent.display()))
                    }) {
                        errors.push(m);
                    }
                }
                names.entry(abs.clone()).or_default().push(entries.len());
                let display = path.display().to_string();
                entries.push(Entry::Concurrent(Box::new(Slot::new(
                    display, abs, None, state,
                ))));
                n_concurrent += 1;
            }
            InputArg::Library {
                name,
                state,
                concurrent: true,
            } => {
                // `-lNAME` that the build may still be making: found in
                // the search directories when it is reported (any of its
                // candidate names there), or at the wait.
                let cands = library_candidates(name, state.static_only, &opts.search_paths, cwd);
                for c in &cands {
                    names.entry(c.clone()).or_default().push(entries.len());
                }
                entries.push(Entry::Concurrent(Box::new(Slot::new(
                    format!("-l{name}"),
                    cands.first().cloned().unwrap_or_default(),
                    Some((name.clone(), state.static_only)),
                    state,
                ))));
                n_concurrent += 1;
            }
            other => match Entry::fixed(opts, other) {
                Ok(e) => entries.push(e),
                Err(e) => errors.push(e.msg),
            },
        }
    }
    if n_concurrent == 0 {
        errors.push(
            "concurrent linking needs inputs between --start-concurrent and --end-concurrent"
                .into(),
        );
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    Ok((entries, names))
}

/// Every path under which `-lNAME` (or `-l:FILE`) may appear in the search
/// directories, in search order.
fn library_candidates(
    name: &str,
    static_only: bool,
    search_paths: &[PathBuf],
    cwd: &Path,
) -> Vec<PathBuf> {
    let mut cands = Vec::new();
    for d in search_paths {
        let d = normalize(d, cwd);
        if let Some(exact) = name.strip_prefix(':') {
            cands.push(d.join(exact));
        } else {
            if !static_only {
                cands.push(d.join(format!("lib{name}.so")));
            }
            cands.push(d.join(format!("lib{name}.a")));
        }
    }
    cands
}

/// The background linker's lock on `output` (`linker-HASH.lock`), holding
/// its token and pid.
fn lock_output(dir: &Path, token: &str, output: &Path) -> Result<OutputLock> {
    // One background linker per output: a second one would race the first
    // for its FIFO's names and remove the FIFO under it. A second start is
    // refused, naming the first (a second's grace covers one that was just
    // waited for or aborted and is exiting).
    let lock_path = crate::outlock::lock_path(dir, "linker", output);
    let mut start_lock = match OutputLock::acquire(
        lock_path.clone(),
        Some(Duration::from_secs(1)),
        || {},
    ) {
        Ok(Some(l)) => l,
        Ok(None) => {
            let who = std::fs::read_to_string(&lock_path).unwrap_or_default();
            let mut w = who.split_whitespace();
            let (t, pid) = (w.next().unwrap_or("?"), w.next().unwrap_or("?"));
            return Err(Error::new(format!(
                "a background linker for {} is already running (token {t}, pid {pid}); finish it with `cld --concurrent-wait={t}` or stop it with `cld --concurrent-abort={t}` first",
                output.display()
            )));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot lock {} (for output {}): {e}",
                lock_path.display(),
                output.display()
            )))
        }
    };
    start_lock.set_info(&format!("{token} {}\n", std::process::id()));
    Ok(start_lock)
}

/// The control socket `DIR/TOKEN.sock`, listening.
fn bind_socket(dir: &Path, token: &str) -> Result<(UnixListener, PathBuf)> {
    let sock_path = dir.join(format!("{token}.sock"));
    // Bound and listening under another name, then renamed into place: a
    // parallel start's remove_stale() that connected between bind() and
    // listen() would get ECONNREFUSED and delete a live socket.
    let new_path = dir.join(format!("{token}.sock-new"));
    let (bind_addr, _dir_fd) = socket_addr(&new_path)?;
    let listener = UnixListener::bind(&bind_addr)
        .map_err(|e| Error::new(format!("cannot create socket {}: {e}", new_path.display())))?;
    let _ = std::fs::set_permissions(&new_path, std::fs::Permissions::from_mode(0o600));
    std::fs::rename(&new_path, &sock_path).map_err(|e| {
        let _ = std::fs::remove_file(&new_path);
        Error::new(format!("cannot create socket {}: {e}", sock_path.display()))
    })?;
    Ok((listener, sock_path))
}

fn daemonize(s: Setup) -> i32 {
    // What `--concurrent-start` reports besides the token and the pid.
    let log = match &s.opts.concurrent_log {
        Some(l) => std::env::current_dir()
            .map(|cwd| normalize(l, &cwd))
            .unwrap_or_else(|_| l.clone()),
        None => s.dir.join(format!("{}.log", s.token)),
    };
    let fifo = s.fifo.as_ref().map(|(_, p, _)| p.clone());
    let format = s.opts.concurrent_report;
    let (rd, wr) = match nix::unistd::pipe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cld: error: cannot create a pipe: {e}");
            s.remove_files();
            return 1;
        }
    };
    // SAFETY: no threads exist yet in this process (the rayon pool is built
    // later, in the background process), so fork is sound.
    match unsafe { fork() } {
        Err(e) => {
            eprintln!("cld: error: cannot fork the background linker: {e}");
            s.remove_files();
            1
        }
        Ok(ForkResult::Parent { child }) => {
            let mut s = s;
            drop(wr);
            let _ = nix::sys::wait::waitpid(child, None);
            let mut f = std::fs::File::from(rd);
            let mut msg = Vec::new();
            let _ = f.read_to_end(&mut msg);
            if msg.first() == Some(&b'R') {
                // The background linker holds the lock now.
                s.start_lock.hand_over();
                let pid = String::from_utf8_lossy(&msg[1..]).parse().unwrap_or(0);
                let report = Report {
                    token: s.token.clone(),
                    pid,
                    log,
                    fifo,
                };
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(&report.render(format));
                let _ = out.flush();
                0
            } else {
                let m = String::from_utf8_lossy(msg.get(1..).unwrap_or_default()).into_owned();
                eprintln!(
                    "cld: error: the background linker did not start{}",
                    if m.is_empty() {
                        String::new()
                    } else {
                        format!(": {m}")
                    }
                );
                s.remove_files();
                1
            }
        }
        Ok(ForkResult::Child) => {
            drop(rd);
            let _ = setsid();
            // Second fork: the background linker is not a session leader
            // and is reparented to init when the first child exits.
            match unsafe { fork() } {
                Ok(ForkResult::Parent { .. }) => unsafe { nix::libc::_exit(0) },
                Ok(ForkResult::Child) => {}
                Err(_) => unsafe { nix::libc::_exit(1) },
            }
            let code = server::background(s, wr);
            std::process::exit(code);
        }
    }
}

/// A fresh token: 32 random hex digits, the socket's name.
fn new_token() -> Result<String> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| Error::new(format!("cannot read /dev/urandom: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn check_token(token: &str) -> Result<()> {
    if token.len() == 32
        && token
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        Ok(())
    } else {
        Err(Error::new(format!(
            "invalid token '{token}' (expected the 32 hex digits that the starting command printed)"
        )))
    }
}

/// Remove sockets and lock files left by background linkers and links that
/// no longer run (killed).
fn remove_stale(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "lock") {
            // Free means its holder died: taking it and letting go removes
            // it (safely for anyone about to lock it, see `outlock`).
            drop(OutputLock::acquire(p, Some(Duration::ZERO), || {}));
        } else if p.extension().is_some_and(|x| x == "sock") {
            if let Err(err) = socket_connect(&p) {
                if err.kind() == std::io::ErrorKind::ConnectionRefused {
                    let _ = std::fs::remove_file(&p);
                    let _ = std::fs::remove_file(p.with_extension("log"));
                }
            }
        }
    }
}

/// `--concurrent-wait|abort|status=TOKEN`: returns the exit status.
pub fn control(op: ControlOp, token: &str, json: bool) -> i32 {
    match control_inner(op, token, json) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cld: error: {}", e.msg);
            1
        }
    }
}

fn control_inner(op: ControlOp, token: &str, json: bool) -> Result<i32> {
    check_token(token)?;
    let dir = runtime_dir()?;
    let sock = dir.join(format!("{token}.sock"));
    let mut stream = match socket_connect(&sock) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(format!(
                "no background linker with token {token} (it finished, was aborted, or timed out)"
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            let _ = std::fs::remove_file(&sock);
            return Err(Error::new(format!(
                "the background linker for token {token} is not running (killed?); the link did not happen"
            )));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot reach the background linker for token {token}: {e}"
            )))
        }
    };
    let req = match op {
        ControlOp::Wait => "wait",
        ControlOp::Abort => "abort",
        ControlOp::Status if json => "status-json",
        ControlOp::Status => "status",
    };
    stream
        .write_all(format!("{req}\n").as_bytes())
        .map_err(|e| Error::new(format!("cannot talk to the background linker: {e}")))?;
    let mut resp = Vec::new();
    let _ = stream.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    let (first, rest) = resp.split_once('\n').unwrap_or((&resp, ""));
    let Some(code) = first
        .strip_prefix("status ")
        .and_then(|c| c.trim().parse::<i32>().ok())
    else {
        return Err(Error::new(format!(
            "the background linker for token {token} died before answering; the link did not complete"
        )));
    };
    match op {
        ControlOp::Status => print!("{rest}"),
        _ => eprint!("{rest}"),
    }
    Ok(code)
}
