//! The link plan of a build directory, derived from its Ninja manifest: the
//! link edges that go through the hook, with the arguments of their
//! concurrent start, and the consumer graph that says which links an object
//! ends up in (directly, through an archive, or through a shared library the
//! build also links). Cached in `.ninja-hook/plan.json`, keyed by the
//! identity of every manifest file, so a regenerated `build.ninja` (CMake,
//! Meson) is read again.

use crate::driver::{self, Kind};
use crate::manifest;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, PartialEq, Debug, Clone)]
struct FileKey {
    path: PathBuf,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl FileKey {
    fn of(path: &Path) -> Option<FileKey> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileKey {
            path: path.to_path_buf(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
        })
    }
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct LinkEdge {
    /// Absolute output path.
    pub output: String,
    /// The hook's arguments, as Ninja will pass them: `link|cc DRIVER ARGS...`
    /// (response files expanded).
    pub hook_args: Vec<String>,
    /// The compiler driver that links (a compiler cache dropped).
    pub driver: String,
    /// Driver arguments of the concurrent start (the link's arguments with
    /// the build's own inputs between `--start-concurrent` and
    /// `--end-concurrent`), or why the link cannot start early.
    pub start: Result<Vec<String>, String>,
    /// Absolute paths of the concurrent inputs.
    pub concurrent: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct Plan {
    key: Vec<FileKey>,
    pub builddir: PathBuf,
    pub links: Vec<LinkEdge>,
    /// Absolute path -> edges that take it as an input (explicit or implicit).
    consumers: HashMap<String, Vec<u32>>,
    edge_outputs: Vec<Vec<String>>,
    edge_link: Vec<Option<u32>>,
}

/// Is this word the hook itself?
pub fn is_hook(word: &str) -> bool {
    let base = word.rsplit('/').next().unwrap_or(word);
    if base == "ninja-hook" {
        return true;
    }
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .is_some_and(|n| n == base)
}

/// The hook invocation in a Ninja command that links, if any: the hook's
/// arguments and the output. Only `: && hook ...` forms (nothing that runs
/// before the link but `:`) qualify.
fn hook_link(
    command: &str,
    builddir: &Path,
    rsp: Option<(String, String)>,
) -> Option<(Vec<String>, String)> {
    let segs = crate::shell::split_and_list(command)?;
    for (i, seg) in segs.iter().enumerate() {
        if seg.first().is_some_and(|w| is_hook(w)) {
            if !segs[..i]
                .iter()
                .all(|s| s.len() == 1 && (s[0] == ":" || s[0] == "true"))
            {
                return None;
            }
            // Response files expanded: what the link will really get.
            let known = rsp.as_ref().map(|(n, c)| (n.as_str(), c.as_str()));
            let args = driver::expand_rsp(&seg[1..], builddir, known);
            if args.len() < 2 || !(args[0] == "link" || args[0] == "cc") {
                return None;
            }
            let (_, _, dargs) = driver::split_launcher(&args[1..])?;
            return match driver::classify(dargs) {
                Kind::Link(out) => Some((
                    args.clone(),
                    driver::absolute(&out, builddir)
                        .to_string_lossy()
                        .into_owned(),
                )),
                _ => None,
            };
        }
    }
    None
}

impl Plan {
    pub fn build(manifest_path: &Path, builddir: &Path) -> Result<Plan, String> {
        let m = manifest::load(manifest_path, builddir).map_err(|e| e.0)?;
        let abs = |p: &str| driver::absolute(p, builddir).to_string_lossy().into_owned();
        let mut generated: HashSet<PathBuf> = HashSet::new();
        for e in &m.edges {
            if e.rule_name != "phony" {
                for o in &e.outputs {
                    generated.insert(driver::absolute(o, builddir));
                }
            }
        }
        let mut links = Vec::new();
        let mut consumers: HashMap<String, Vec<u32>> = HashMap::new();
        let mut edge_outputs = Vec::with_capacity(m.edges.len());
        let mut edge_link = Vec::with_capacity(m.edges.len());
        for (i, e) in m.edges.iter().enumerate() {
            for inp in &e.inputs[..e.n_explicit_in + e.n_implicit_in] {
                consumers.entry(abs(inp)).or_default().push(i as u32);
            }
            edge_outputs.push(e.outputs.iter().map(|o| abs(o)).collect());
            let link = e.command().and_then(|c| hook_link(&c, builddir, e.rsp()));
            edge_link.push(link.map(|(hook_args, output)| {
                let (_, drv, dargs) = driver::split_launcher(&hook_args[1..]).unwrap();
                let drv = drv.to_string();
                let (start, concurrent) = match driver::concurrent_args(dargs, builddir, &generated)
                {
                    Some((a, c)) => (
                        Ok(a),
                        c.into_iter()
                            .map(|p| p.to_string_lossy().into_owned())
                            .collect(),
                    ),
                    None => (
                        Err("no input made by the build can be linked concurrently \
                                 (or a generated file is used as a script, or a response file)"
                            .to_string()),
                        Vec::new(),
                    ),
                };
                links.push(LinkEdge {
                    output,
                    driver: drv,
                    hook_args,
                    start,
                    concurrent,
                });
                (links.len() - 1) as u32
            }));
        }
        let key = m.files.iter().filter_map(|f| FileKey::of(f)).collect();
        Ok(Plan {
            key,
            builddir: builddir.to_path_buf(),
            links,
            consumers,
            edge_outputs,
            edge_link,
        })
    }

    /// The cached plan if the manifest did not change, else a new one
    /// (cached). Readers take no lock (the cache is replaced by a rename);
    /// one rebuild at a time, under `plan.lock`.
    pub fn load(manifest_path: &Path, builddir: &Path, statedir: &Path) -> Result<Plan, String> {
        let cache = statedir.join("plan.json");
        let cached = || -> Option<Plan> {
            let p: Plan = serde_json::from_slice(&std::fs::read(&cache).ok()?).ok()?;
            let first = builddir.join(manifest_path);
            (p.builddir == builddir
                && p.key.first().map(|k| &k.path) == Some(&first)
                && p.key
                    .iter()
                    .all(|k| FileKey::of(&k.path).as_ref() == Some(k)))
            .then_some(p)
        };
        if let Some(p) = cached() {
            return Ok(p);
        }
        let _lock = crate::session::lock_file(&statedir.join("plan.lock"))
            .map_err(|e| format!("{}: {e}", statedir.display()))?;
        if let Some(p) = cached() {
            return Ok(p);
        }
        let p = Plan::build(manifest_path, builddir)?;
        if let Ok(text) = serde_json::to_vec(&p) {
            let tmp = statedir.join("plan.json.tmp");
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(&tmp, &cache);
            }
        }
        Ok(p)
    }

    /// The links an output of the build ends up in: (link, direct) where
    /// `direct` means the path is one of the link's own inputs (not one
    /// reached through an archive or a shared library).
    pub fn links_using(&self, path: &str) -> Vec<(usize, bool)> {
        let mut found: Vec<(usize, bool)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: VecDeque<(&str, bool)> = VecDeque::new();
        queue.push_back((path, true));
        seen.insert(path);
        let mut steps = 0;
        while let Some((p, first)) = queue.pop_front() {
            steps += 1;
            if steps > 100_000 {
                break;
            }
            for &e in self.consumers.get(p).map(|v| v.as_slice()).unwrap_or(&[]) {
                if let Some(l) = self.edge_link[e as usize] {
                    match found.iter_mut().find(|f| f.0 == l as usize) {
                        Some(f) => f.1 |= first,
                        None => found.push((l as usize, first)),
                    }
                }
                for o in &self.edge_outputs[e as usize] {
                    if seen.insert(o) {
                        queue.push_back((o, false));
                    }
                }
            }
        }
        found
    }
}
