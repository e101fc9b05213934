//! The linker wrapper: what rustc runs as `cc` (cargo's `target.<host>.linker`).
//!
//! Every link goes to cld (`cc -B <cld shim dir>`), after dropping rustc's
//! `-fuse-ld=lld -B<sysroot>/.../gcc-ld`. A link of a cargo unit (rustc run
//! by our rustc wrapper) uses a "stable" command line: rustc's temporary
//! directory (`deps/rustcXXXXXX/`, random, removed after the link) is
//! replaced by `.concurrent-link/NAME/t/` and the codegen-unit objects
//! (`NAME.CGU.RANDOM.rcgu.o`, removed after the link) by
//! `.concurrent-link/NAME/o/0.o, 1.o, ...`, hard links made before rustc
//! removes anything. So the next build's command line can be known before
//! rustc runs, and a background linker can start with it (`state.rs`).
//!
//! With a background linker for this output, started with exactly this
//! command line and reading the same version script, the wrapper links the
//! new objects into place (the background linker sees them arrive) and
//! waits for it: the output is the serial link's of the same command line
//! (cld's guarantee). Otherwise it aborts it and links serially.

use crate::ccargs::{self, Kind};
use crate::state::{self, Unit};
use crate::util::{self, notice, trace};
use cld_client::Waited;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Instant;

pub fn main(raw: Vec<OsString>) -> ! {
    let Some(args) = util::utf8_args(&raw) else {
        // Not UTF-8: no state, straight to cld.
        let mut cmd = std::process::Command::new(state::driver());
        let shim = util::env_str(util::ENV_SHIM).unwrap_or_default();
        cmd.arg(format!("-B{shim}/"));
        cmd.args(raw.iter().filter(|a| {
            let s = a.to_string_lossy();
            !(s.starts_with("-fuse-ld=") || s.trim_end_matches('/').ends_with("/gcc-ld"))
        }));
        run_exit(cmd);
    };
    let args = ccargs::expand_response_files(args);
    let (args, dropped) = ccargs::strip_other_linkers(args);
    for d in dropped {
        notice(&format!(
            "dropped `{d}` from a link command line: cld links everything"
        ));
    }
    let out = ccargs::output(&args).unwrap_or_else(|| "a.out".into());
    let t0 = Instant::now();
    if std::env::var_os(util::ENV_UNIT).is_none()
        || !util::concurrent_enabled()
        || !state::is_cargo_output(Path::new(&out))
    {
        // rustdoc's doctests, a build script's probe, or background linking
        // turned off.
        let status = run_driver(&args, &std::env::temp_dir());
        trace(
            "link",
            &format!(
                "{out} mode=serial-plain status={} ms={:.1}",
                util::status_code(status),
                t0.elapsed().as_secs_f64() * 1e3
            ),
        );
        util::exit_like(status)
    }
    let unit = Unit::for_output(Path::new(&out));
    let _lock = match unit.lock() {
        Ok(l) => l,
        Err(e) => {
            notice(&format!(
                "cannot lock {}: {e}; linking without state",
                unit.dir.display()
            ));
            util::exit_like(run_driver(&args, &std::env::temp_dir()))
        }
    };
    util::catch_signals(false);
    let st = stabilize(&unit, &args);
    let key = util::env_str(util::ENV_KEY);
    if let Some(r) = unit.running() {
        match check(&unit, &st, &r).and_then(|()| concurrent(&unit, &st, &r, t0)) {
            Ok(status) => {
                if status.success() {
                    unit.save_template(&st.args, &st.objs, key.as_deref());
                    if util::env_str(util::ENV_VERIFY).is_some() {
                        verify(&unit, &st);
                    }
                }
                util::exit_like(status)
            }
            Err(reason) => {
                unit.abort_running(&reason);
                trace(
                    "fallback",
                    &format!("{} reason={reason}", unit.out.display()),
                );
            }
        }
    }
    let status = serial(&unit, &st);
    trace(
        "link",
        &format!(
            "{} mode=serial status={} ms={:.1}",
            unit.out.display(),
            util::status_code(status),
            t0.elapsed().as_secs_f64() * 1e3
        ),
    );
    if status.success() {
        unit.save_template(&st.args, &st.objs, key.as_deref());
    }
    util::exit_like(status)
}

fn spawn_wait(mut cmd: std::process::Command) -> ExitStatus {
    match cmd.spawn() {
        Ok(mut c) => {
            util::set_child(c.id());
            c.wait().unwrap_or_else(|_| failed())
        }
        Err(e) => {
            eprintln!(
                "cargo-concurrent-link: cannot run {:?}: {e}",
                cmd.get_program()
            );
            failed()
        }
    }
}

/// `cc -B <shim> ARGS` (the serial link).
fn run_driver(args: &[String], rsp_dir: &Path) -> ExitStatus {
    let (cmd, rsp) = state::driver_command(args, rsp_dir);
    let status = spawn_wait(cmd);
    if let Some(r) = rsp {
        let _ = std::fs::remove_file(r);
    }
    status
}

fn failed() -> ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    ExitStatus::from_raw(1 << 8)
}

fn run_exit(cmd: std::process::Command) -> ! {
    util::exit_like(spawn_wait(cmd))
}

/// A link's stable command line and the files to put in place for it.
struct Stable {
    args: Vec<String>,
    /// (rustc's file, where the stable command line has it): inputs.
    inputs: Vec<(PathBuf, PathBuf)>,
    /// rustc's temporary directory, if the link has one.
    temp: Option<PathBuf>,
    /// Keys of the codegen-unit objects, in order (`util::object_key`).
    objs: Vec<String>,
}

fn stabilize(unit: &Unit, args: &[String]) -> Stable {
    let kinds = ccargs::classify(args);
    let temp = args.iter().zip(&kinds).find_map(|(a, k)| {
        if *k != Kind::Input {
            return None;
        }
        let parent = Path::new(a).parent()?;
        let name = parent.file_name()?.to_str()?;
        (name.len() == 11 && name.starts_with("rustc")).then(|| parent.to_path_buf())
    });
    let tprefix = temp.as_ref().map(|t| t.to_string_lossy().into_owned());
    let tdst = unit.tmp_dir().to_string_lossy().into_owned();
    let mut out = Vec::with_capacity(args.len());
    let mut inputs = Vec::new();
    let mut n_obj = 0;
    let mut objs = Vec::new();
    let incremental = std::env::var(util::ENV_UNIT).is_ok_and(|u| u == "incremental");
    for (a, k) in args.iter().zip(&kinds) {
        let in_temp = tprefix
            .as_deref()
            .is_some_and(|t| a.starts_with(&format!("{t}/")));
        if *k == Kind::Input && a.ends_with(".rcgu.o") && !in_temp {
            let dst = unit.obj_dir().join(format!("{n_obj}.o"));
            n_obj += 1;
            let name = Path::new(a)
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            objs.push(util::object_key(&name, incremental));
            inputs.push((PathBuf::from(a), dst.clone()));
            out.push(dst.to_string_lossy().into_owned());
        } else if let Some(t) = tprefix.as_deref().filter(|t| a.contains(*t)) {
            let new = a.replace(t, &tdst);
            if *k == Kind::Input {
                inputs.push((PathBuf::from(a), PathBuf::from(&new)));
            }
            out.push(new);
        } else {
            out.push(a.clone());
        }
    }
    Stable {
        args: out,
        inputs,
        temp,
        objs,
    }
}

/// Can the running background linker do this link?
fn check(unit: &Unit, st: &Stable, r: &state::Running) -> Result<(), String> {
    if st.args != r.args {
        let i = st
            .args
            .iter()
            .zip(&r.args)
            .position(|(a, b)| a != b)
            .unwrap_or(st.args.len().min(r.args.len()));
        return Err(format!(
            "command-line-changed(arg {i}: {:?} was {:?}; {} args, was {})",
            st.args.get(i).map(String::as_str).unwrap_or(""),
            r.args.get(i).map(String::as_str).unwrap_or(""),
            st.args.len(),
            r.args.len()
        ));
    }
    // Files of rustc's temporary directory that are not inputs (the
    // version script): the background linker has the last build's.
    if let Some(t) = &st.temp {
        for f in walk(t) {
            if st.inputs.iter().any(|(s, _)| *s == f) {
                continue;
            }
            let rel = f.strip_prefix(t).unwrap_or(&f);
            if rel.to_string_lossy() == "linker-arguments" {
                continue;
            }
            let mine = unit.tmp_dir().join(rel);
            if f.is_dir() {
                if !mine.is_dir() {
                    return Err(format!("temporary-dir-changed({})", rel.display()));
                }
            } else if std::fs::read(&f).ok() != std::fs::read(&mine).ok() {
                return Err(format!("temporary-file-changed({})", rel.display()));
            }
        }
    }
    let mine = unit.dir.to_string_lossy().into_owned();
    for (p, id) in &r.refs {
        if !p.starts_with(&mine) && util::identity(Path::new(p)) != *id {
            return Err(format!("file-changed({p})"));
        }
    }
    Ok(())
}

/// Every file and directory under `dir` (not `dir` itself).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p.clone());
                }
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Put the new objects in place and wait for the background linker. Err:
/// it is gone (nothing was linked).
fn concurrent(
    unit: &Unit,
    st: &Stable,
    r: &state::Running,
    t0: Instant,
) -> Result<ExitStatus, String> {
    for (src, dst) in &st.inputs {
        if let Err(e) = util::place(src, dst) {
            return Err(format!(
                "cannot link {} to {}: {e}",
                src.display(),
                dst.display()
            ));
        }
    }
    let t_wait = Instant::now();
    let status = match state::wait(&r.token) {
        Ok(Waited::Linked(s, diag)) => {
            eprint!("{diag}");
            s
        }
        Ok(Waited::Gone(why)) => {
            let why = why.trim().replace('\n', " | ");
            return Err(format!("background-linker-gone({why})"));
        }
        Err(e) => return Err(format!("cannot run cld: {e}")),
    };
    let waited = t_wait.elapsed();
    if util::got_signal().is_none() {
        unit.clear_running(r);
    }
    trace(
        "link",
        &format!(
            "{} mode=concurrent status={} ms={:.1} wait-ms={:.1} started-before-s={:.3}",
            unit.out.display(),
            util::status_code(status),
            t0.elapsed().as_secs_f64() * 1e3,
            waited.as_secs_f64() * 1e3,
            util::now() - r.started - t0.elapsed().as_secs_f64()
        ),
    );
    Ok(status)
}

fn serial(unit: &Unit, st: &Stable) -> ExitStatus {
    // rustc's temporary directory, mirrored; objects by position.
    let tdir = unit.tmp_dir();
    let _ = std::fs::remove_dir_all(&tdir);
    let _ = std::fs::create_dir_all(&tdir);
    if let Some(t) = &st.temp {
        for f in walk(t) {
            let rel = f.strip_prefix(t).unwrap_or(&f);
            let dst = tdir.join(rel);
            if f.is_dir() {
                let _ = std::fs::create_dir_all(&dst);
            } else if let Err(e) = util::place(&f, &dst) {
                eprintln!(
                    "cargo-concurrent-link: cannot copy {} to {}: {e}",
                    f.display(),
                    dst.display()
                );
                return failed();
            }
        }
    }
    let odir = unit.obj_dir();
    let _ = std::fs::create_dir_all(&odir);
    let mut keep = Vec::new();
    for (src, dst) in &st.inputs {
        if dst.starts_with(&odir) {
            if let Err(e) = util::place(src, dst) {
                eprintln!(
                    "cargo-concurrent-link: cannot link {} to {}: {e}",
                    src.display(),
                    dst.display()
                );
                return failed();
            }
            keep.push(dst.clone());
        }
    }
    if let Ok(rd) = std::fs::read_dir(&odir) {
        for e in rd.flatten() {
            if !keep.contains(&e.path()) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    run_driver(&st.args, &unit.dir)
}

/// `CARGO_CONCURRENT_LINK_VERIFY`: link the same command line serially
/// beside the output and compare the bytes.
fn verify(unit: &Unit, st: &Stable) {
    let side = PathBuf::from(format!("{}.ccl-verify", unit.out.display()));
    let mut args = st.args.clone();
    let kinds = ccargs::classify(&args);
    for i in 1..args.len() {
        if kinds[i] == Kind::Value && args[i - 1] == "-o" {
            args[i] = side.to_string_lossy().into_owned();
        }
    }
    let status = run_driver(&args, &unit.dir);
    let same = status.success() && std::fs::read(&side).ok() == std::fs::read(&unit.out).ok();
    let _ = std::fs::remove_file(&side);
    trace(
        "verify",
        &format!(
            "{} {}",
            unit.out.display(),
            if same { "identical" } else { "DIFFERENT" }
        ),
    );
    if !same {
        eprintln!(
            "cargo-concurrent-link: verify: the concurrent link of {} differs from the serial link of the same command line",
            unit.out.display()
        );
        std::process::exit(1);
    }
}
