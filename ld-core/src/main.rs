//! `cld`: the command-line linker.

use ld_core::options::Command;
use std::path::PathBuf;

fn shim_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find own executable: {e}"))?;
    let exe = exe.canonicalize().unwrap_or(exe);
    let candidates = [
        exe.parent().map(|p| p.join("cld-shim")),
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/cld/shim")),
        Some(std::env::temp_dir().join(format!("cld-shim-{}", unsafe_uid()))),
    ];
    for dir in candidates.into_iter().flatten() {
        let ld = dir.join("ld");
        if std::fs::read_link(&ld).map(|t| t == exe).unwrap_or(false) {
            return Ok(dir);
        }
        if std::fs::create_dir_all(&dir).is_err() {
            continue;
        }
        // Made under a temporary name and renamed over `ld`, so a
        // parallel link never finds the shim without an `ld` (gcc would
        // then quietly fall back to the system linker).
        let tmp = dir.join(format!(".ld.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(&exe, &tmp).is_ok() && std::fs::rename(&tmp, &ld).is_ok() {
            return Ok(dir);
        }
        let _ = std::fs::remove_file(&tmp);
    }
    Err("cannot create a shim directory".into())
}

fn unsafe_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

/// glibc's allocator, set for a link: big blocks from the heap, not mapped
/// on their own, and freed memory never trimmed. A link's big vectors
/// were each a fresh mapping, faulted in page by page and unmapped when
/// freed, and the heap gave memory back only to take it again; a process
/// that exits after the link wants its memory kept for reuse. (One arena
/// for all threads was tried too: fewer `mprotect` calls, but the worker
/// threads then contend for it, and a quiet two-core link was 15% slower.)
/// Set before any thread starts (the background linker inherits it
/// across its forks).
fn tune_malloc() {
    // SAFETY: mallopt only changes allocator parameters; no thread runs yet.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
    }
}

fn main() {
    tune_malloc();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // `cld --concurrent-start [OPTION...] -- DRIVER ARGS...`: a start
    // through a compiler driver (`--` is no option of a link otherwise).
    if let Some(sep) = args.iter().position(|a| a == "--") {
        if args[..sep].iter().any(|a| a == "--concurrent-start") {
            let code =
                ld_core::concurrent::start_via_driver(&args[..sep], &args[sep + 1..], shim_dir());
            std::process::exit(code);
        }
    }
    let cmd = match ld_core::args::parse(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cld: error: {e}");
            std::process::exit(1);
        }
    };
    match cmd {
        Command::Help => print!("{}", ld_core::args::help_text()),
        Command::Version => println!("{}", ld_core::args::version_text()),
        Command::PrintShimDir => match shim_dir() {
            Ok(d) => println!("{}", d.display()),
            Err(e) => {
                eprintln!("cld: error: {e}");
                std::process::exit(1);
            }
        },
        Command::Control { op, token, json } => {
            std::process::exit(ld_core::concurrent::control(op, &token, json));
        }
        Command::Link(opts) => {
            if opts.verbose {
                println!("{}", ld_core::args::version_text());
            }
            if opts.concurrent != ld_core::options::ConcurrentMode::Off {
                // Forks the background linker: must run before any thread starts.
                std::process::exit(ld_core::concurrent::start(*opts));
            }
            // In a child process, which the build does not wait for once
            // the output is in place (see detach.rs): before any thread.
            let detached = if opts.fork {
                ld_core::detach::fork()
            } else {
                None
            };
            // A signal removes the temporary output (see cleanup.rs).
            ld_core::cleanup::install();
            // The main thread's stack size: the link runs on a worker.
            let mut pool = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
            if let Some(n) = opts.threads {
                pool = pool.num_threads(n.max(1));
            }
            let _ = pool.build_global();
            // Each worker's malloc arena grown once (see arenas.rs).
            ld_core::arenas::pregrow(None);
            // On one of the pool's threads, the main one asleep until it
            // ends: linking on the main thread made one thread more than
            // the pool, whose idle workers spin (`sched_yield`) on the
            // cores the link's serial steps need. On two cores, 41
            // alternating links: Lua 12.2 against 14.5 ms, ripgrep debug
            // (11) 129.8 against 134.3, a 3,000-module program the same.
            let linked = rayon::scope(|_| ld_core::link::link(&opts));
            let code = match linked {
                // The process ends next: the kernel frees it all at once.
                Ok(done) => {
                    done.release();
                    0
                }
                Err(e) => {
                    for line in e.msg.lines() {
                        if line.starts_with(">>>") {
                            eprintln!("{line}");
                        } else {
                            eprintln!("cld: error: {line}");
                        }
                    }
                    1
                }
            };
            match detached {
                Some(d) => d.exit(code),
                None => std::process::exit(code),
            }
        }
    }
}
