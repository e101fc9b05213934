//! The two cargo settings this subcommand replaces through the environment
//! and must therefore carry over: `build.rustc-wrapper` (we wrap rustc; the
//! user's wrapper, e.g. sccache, still runs inside ours) and
//! `build.rustdocflags` (we add `-C linker=` for doctests). Environment
//! variables win over config files, as in cargo; config files are looked up
//! like cargo does: `.cargo/config.toml` (or `.cargo/config`) in the current
//! directory and each parent (nearest wins), then `$CARGO_HOME/config.toml`.

use std::path::{Path, PathBuf};

fn config_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dir = std::env::current_dir().ok();
    while let Some(d) = dir {
        for name in ["config.toml", "config"] {
            let p = d.join(".cargo").join(name);
            if p.is_file() {
                files.push(p);
                break;
            }
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    if let Some(h) = home {
        for name in ["config.toml", "config"] {
            let p = h.join(name);
            if p.is_file() {
                if !files.contains(&p) {
                    files.push(p);
                }
                break;
            }
        }
    }
    files
}

/// `build.KEY` from the nearest config file defining it, with that file.
fn build_value(key: &str) -> Option<(toml::Value, PathBuf)> {
    for f in config_files() {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(table) = text.parse::<toml::Table>() else {
            continue;
        };
        if let Some(v) = table.get("build").and_then(|b| b.get(key)) {
            return Some((v.clone(), f));
        }
    }
    None
}

/// The rustc wrapper cargo would use: `RUSTC_WRAPPER`, else
/// `CARGO_BUILD_RUSTC_WRAPPER`, else `build.rustc-wrapper` (a path with a
/// slash is relative to the directory holding `.cargo/`). Empty: none.
pub fn rustc_wrapper() -> Option<String> {
    for var in ["RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER"] {
        if let Some(v) = std::env::var_os(var) {
            let v = v.to_string_lossy().into_owned();
            return (!v.is_empty()).then_some(v);
        }
    }
    let (v, file) = build_value("rustc-wrapper")?;
    let s = v.as_str()?.to_string();
    if s.is_empty() {
        return None;
    }
    if s.contains('/') && !Path::new(&s).is_absolute() {
        let base = file.parent()?.parent()?;
        return Some(base.join(s).to_string_lossy().into_owned());
    }
    Some(s)
}

/// The rustdoc flags cargo would use: `CARGO_ENCODED_RUSTDOCFLAGS`
/// (0x1f-separated), else `RUSTDOCFLAGS` (space-separated), else
/// `build.rustdocflags` (string or array).
pub fn rustdocflags() -> Vec<String> {
    if let Ok(v) = std::env::var("CARGO_ENCODED_RUSTDOCFLAGS") {
        return v
            .split('\x1f')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    if let Ok(v) = std::env::var("RUSTDOCFLAGS") {
        return v.split_whitespace().map(str::to_string).collect();
    }
    if let Ok(v) = std::env::var("CARGO_BUILD_RUSTDOCFLAGS") {
        return v.split_whitespace().map(str::to_string).collect();
    }
    match build_value("rustdocflags").map(|(v, _)| v) {
        Some(toml::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}
