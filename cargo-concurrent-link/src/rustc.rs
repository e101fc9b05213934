//! The rustc wrapper (cargo's `RUSTC_WRAPPER`): starts background linkers.
//!
//! - rustc about to compile a crate that links (bin, test harness, build
//!   script, cdylib, dylib, proc-macro) whose last link is known: its
//!   background linker starts now, with that link's command line, and
//!   ingests everything that exists while rustc compiles;
//! - rustc about to compile a library: the links that read its rlib, made
//!   by the same cargo command last time, start now too (their other inputs
//!   are ingested while this library and the rest compile; the rlib when
//!   rustc renames it into place).
//!
//! When rustc exits without having linked (a compile error, an interrupt),
//! the background linker of its own outputs is aborted. Anything else runs
//! rustc (or the user's own wrapper) unchanged, by `exec`.

use crate::state::{self, Unit};
use crate::util::{self, trace};
use crate::watch::{Watch, Watcher};
use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Default, Debug)]
struct RustcArgs {
    crate_name: Option<String>,
    crate_types: Vec<String>,
    test: bool,
    extra_filename: String,
    out_dir: Option<PathBuf>,
    emit_link: bool,
    has_input: bool,
    incremental: bool,
    /// The last `-C linker=`.
    linker: Option<String>,
    input: Option<String>,
}

fn parse(args: &[String]) -> RustcArgs {
    let mut r = RustcArgs {
        emit_link: true,
        ..Default::default()
    };
    let mut i = 0;
    let value = |i: &mut usize, a: &str, name: &str| -> Option<String> {
        if a == name {
            *i += 1;
            args.get(*i).cloned()
        } else {
            a.strip_prefix(name)
                .and_then(|v| v.strip_prefix('='))
                .map(str::to_string)
        }
    };
    while i < args.len() {
        let a = args[i].as_str();
        if let Some(v) = value(&mut i, a, "--crate-name") {
            r.crate_name = Some(v);
        } else if let Some(v) = value(&mut i, a, "--crate-type") {
            r.crate_types
                .extend(v.split(',').map(|s| s.trim().to_string()));
        } else if let Some(v) = value(&mut i, a, "--out-dir") {
            r.out_dir = Some(util::absolute(Path::new(&v)));
        } else if let Some(v) = value(&mut i, a, "--emit") {
            r.emit_link = v.split(',').any(|e| e == "link" || e.starts_with("link="));
        } else if a == "--test" {
            r.test = true;
        } else if a == "-C" || a == "--codegen" || a.starts_with("-C") {
            let v = if a == "-C" || a == "--codegen" {
                i += 1;
                args.get(i).map(String::as_str).unwrap_or("")
            } else {
                &a[2..]
            };
            if let Some(e) = v.strip_prefix("extra-filename=") {
                r.extra_filename = e.to_string();
            } else if let Some(l) = v.strip_prefix("linker=") {
                r.linker = Some(l.to_string());
            } else if v.starts_with("incremental=") {
                r.incremental = true;
            }
        } else if a.ends_with(".rs") && !a.starts_with('-') {
            r.has_input = true;
            r.input = Some(a.to_string());
        } else if matches!(
            a,
            "-o" | "-L"
                | "-l"
                | "--cfg"
                | "--check-cfg"
                | "--extern"
                | "--cap-lints"
                | "--error-format"
                | "--json"
                | "--edition"
                | "--target"
                | "--print"
                | "-W"
                | "-A"
                | "-D"
                | "-F"
                | "--explain"
                | "--remap-path-prefix"
                | "--diagnostic-width"
                | "--color"
                | "--sysroot"
                | "-Z"
        ) {
            i += 1;
        }
        i += 1;
    }
    r
}

impl RustcArgs {
    fn stem(&self) -> Option<String> {
        Some(format!(
            "{}{}",
            self.crate_name.as_ref()?,
            self.extra_filename
        ))
    }

    /// Outputs rustc will link.
    fn link_outputs(&self) -> Vec<PathBuf> {
        let (Some(dir), Some(stem)) = (&self.out_dir, self.stem()) else {
            return Vec::new();
        };
        if !self.emit_link || !self.has_input {
            return Vec::new();
        }
        if self.test {
            return vec![dir.join(&stem)];
        }
        let mut v = Vec::new();
        for t in &self.crate_types {
            match t.as_str() {
                "bin" => v.push(dir.join(&stem)),
                "cdylib" | "dylib" | "proc-macro" => v.push(dir.join(format!("lib{stem}.so"))),
                _ => {}
            }
        }
        v.dedup();
        v
    }

    /// Sources from the cargo registry or a git checkout: not edited, so
    /// their rebuilds (after an update, a feature change) do not start the
    /// links that read them early.
    fn is_registry_source(&self) -> bool {
        self.input.as_deref().is_some_and(|i| {
            Path::new(i).is_absolute()
                && (i.contains("/registry/src/") || i.contains("/git/checkouts/"))
        })
    }

    /// The rlib rustc will write, for a library of the workspace.
    fn rlib_output(&self) -> Option<PathBuf> {
        if self.test || !self.emit_link || !self.has_input || self.is_registry_source() {
            return None;
        }
        if !self.crate_types.iter().any(|t| t == "lib" || t == "rlib") {
            return None;
        }
        Some(
            self.out_dir
                .as_ref()?
                .join(format!("lib{}.rlib", self.stem()?)),
        )
    }
}

pub fn main(args: Vec<OsString>) -> ! {
    let mut cmd = match util::env_str(util::ENV_INNER_WRAPPER) {
        Some(w) => {
            let mut c = Command::new(w);
            c.args(&args);
            c
        }
        None => {
            let mut c = Command::new(&args[0]);
            c.args(&args[1..]);
            c
        }
    };
    let strs: Vec<String> = args[1..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let info = parse(&strs);
    // The linker names the codegen-unit objects as the watcher does.
    cmd.env(
        util::ENV_UNIT,
        if info.incremental { "incremental" } else { "1" },
    );
    // Held until we exit; without a session, no background linkers.
    let guard = util::concurrent_enabled()
        .then(util::session_guard)
        .flatten();
    let enabled = guard.is_some();
    let link_outputs = info.link_outputs();
    let rlib = info.rlib_output();
    // Another `-C linker=` after cargo's (in RUSTFLAGS): not linked by cld.
    if !link_outputs.is_empty() {
        if let (Some(l), Ok(me)) = (&info.linker, std::env::current_exe()) {
            let same = Path::new(l).canonicalize().ok() == me.canonicalize().ok();
            if !same {
                util::notice(&format!(
                    "`-C linker={l}` (from your rustflags?) overrides cargo-concurrent-link: {} is not linked by cld",
                    info.crate_name.as_deref().unwrap_or("a crate")
                ));
            }
        }
    }
    if let (true, Some(dir)) = (enabled, &info.out_dir) {
        if !link_outputs.is_empty() || rlib.is_some() {
            let n = state::restore_templates(dir);
            if n > 0 {
                trace(
                    "templates-restored",
                    &format!("{} count={n}", dir.display()),
                );
            }
        }
    }
    let own: Vec<Unit> = if enabled {
        link_outputs
            .iter()
            .filter(|o| state::is_cargo_output(o))
            .map(|o| Unit::for_output(o))
            .filter(|u| u.dir.is_dir())
            .collect()
    } else {
        Vec::new()
    };
    let key = util::env_str(util::ENV_KEY);
    let dependents: Vec<Unit> = match (enabled, &rlib, &key, &info.out_dir) {
        (true, Some(rlib), Some(key), Some(dir)) => state::units_reading(dir, rlib, key),
        _ => Vec::new(),
    };
    if own.is_empty() && dependents.is_empty() {
        let e = cmd.exec();
        eprintln!("cargo-concurrent-link: cannot run {:?}: {e}", args[0]);
        std::process::exit(1);
    }
    // Watched from before rustc starts (see `Watch`).
    let watch = match (&info.out_dir, own.is_empty()) {
        (Some(dir), false) => Watch::new(dir),
        _ => None,
    };
    util::catch_signals(false);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cargo-concurrent-link: cannot run {:?}: {e}", args[0]);
            std::process::exit(1);
        }
    };
    util::set_child(child.id());
    let name = info.crate_name.clone().unwrap_or_default();
    for u in &own {
        if let Ok(_l) = u.lock() {
            u.ensure_started(&format!("rustc-started({name})"));
        }
    }
    for u in &dependents {
        if let Ok(_l) = u.lock() {
            u.ensure_started(&format!("dependency-started({name})"));
        }
    }
    // Objects into place as rustc writes them.
    let watcher = match (&info.out_dir, info.stem(), watch) {
        (Some(dir), Some(stem), Some(watch)) => {
            let mut wanted: HashMap<String, Vec<(usize, PathBuf)>> = HashMap::new();
            let mut units = Vec::new();
            for u in &own {
                let (Some(r), Some(t)) = (u.running(), u.template()) else {
                    continue;
                };
                for (i, key) in t.objs.iter().enumerate() {
                    wanted
                        .entry(key.clone())
                        .or_default()
                        .push((units.len(), u.obj_dir().join(format!("{i}.o"))));
                }
                units.push((Unit::for_output(&u.out), r.token));
            }
            (!wanted.is_empty())
                .then(|| {
                    Watcher::start(
                        watch,
                        dir,
                        format!("{stem}."),
                        info.incremental,
                        units,
                        wanted,
                    )
                })
                .flatten()
        }
        _ => None,
    };
    let status = child.wait();
    if let Some(w) = watcher {
        let n = w.finish();
        trace(
            "objects-placed",
            &format!("{} count={n}", info.crate_name.clone().unwrap_or_default()),
        );
    }
    for u in &own {
        if let Ok(_l) = u.lock() {
            if u.running().is_some() {
                u.abort_running("rustc-exited-without-linking");
            }
        }
    }
    match status {
        Ok(s) => {
            trace(
                "rustc-exit",
                &format!("{name} status={}", util::status_code(s)),
            );
            util::exit_like(s)
        }
        Err(e) => {
            eprintln!("cargo-concurrent-link: waiting for rustc: {e}");
            util::exit_code(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn outputs_of_cargo_invocations() {
        let bin = parse(&v("--crate-name app --edition=2021 app/src/main.rs --error-format=json --crate-type bin --emit=dep-info,link -C embed-bitcode=no -C extra-filename=-0123 --out-dir /t/debug/deps -L dependency=/t/debug/deps"));
        assert_eq!(
            bin.link_outputs(),
            vec![PathBuf::from("/t/debug/deps/app-0123")]
        );
        assert_eq!(bin.rlib_output(), None);
        assert!(state::is_cargo_output(&bin.link_outputs()[0]));
        assert!(state::is_cargo_output(Path::new(
            "/t/debug/build/foo-1/build_script_build-1"
        )));
        assert!(!state::is_cargo_output(Path::new(
            "/t/debug/build/foo-1/out/probe"
        )));
        let lib = parse(&v("--crate-name app --edition=2021 app/src/lib.rs --crate-type lib --emit=dep-info,metadata,link -C extra-filename=-9 --out-dir /t/d"));
        assert!(lib.link_outputs().is_empty());
        assert_eq!(lib.rlib_output(), Some(PathBuf::from("/t/d/libapp-9.rlib")));
        let test = parse(&v("--crate-name app app/src/lib.rs --emit=dep-info,link --test -C extra-filename=-7 --out-dir /t/d"));
        assert_eq!(test.link_outputs(), vec![PathBuf::from("/t/d/app-7")]);
        let pm = parse(&v("--crate-name serde_derive x/lib.rs --crate-type proc-macro --emit=dep-info,link -C prefer-dynamic -C extra-filename=-5 --out-dir /t/d"));
        assert_eq!(
            pm.link_outputs(),
            vec![PathBuf::from("/t/d/libserde_derive-5.so")]
        );
        let reg = parse(&v("--crate-name serde /h/.cargo/registry/src/index.crates.io-1/serde-1.0.0/src/lib.rs --crate-type lib --emit=dep-info,metadata,link -C extra-filename=-3 --out-dir /t/d"));
        assert_eq!(reg.rlib_output(), None);
        let check = parse(&v("--crate-name app app/src/main.rs --crate-type bin --emit=dep-info,metadata -C extra-filename=-1 --out-dir /t/d"));
        assert!(check.link_outputs().is_empty());
        let version = parse(&v("-vV"));
        assert!(version.link_outputs().is_empty());
    }
}
