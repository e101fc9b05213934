//! The link driver: turns the command line into ingested inputs (in
//! parallel), then runs resolve -> layout -> write. A serial link and the
//! final step of a concurrent link are the same code: `link` is given the
//! options, and ingestion never depends on anything but the file itself.

use crate::archive::Archive;
use crate::error::{Error, Result};
use crate::input::{self, FileKind};
use crate::layout;
use crate::object_file::ObjectFile;
use crate::options::{InputArg, Options};
use crate::plugin::{self, LtoInput};
use crate::resolve::{self, LoadItem, SymDef};
use crate::script::{self, ScriptCommand, ScriptFile};
use crate::shared::SharedFile;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One input file to ingest, in command-line order.
pub(crate) enum Pending {
    File {
        path: PathBuf,
        kind: FileKind,
        data: &'static [u8],
        /// Keeps `data` alive (`input::Backing`).
        backing: input::Backing,
        as_needed: bool,
        whole: bool,
        soname: String,
    },
    GroupStart,
    GroupEnd,
    /// A linker script's commands other than its inputs.
    Script(Box<crate::script_link::ScriptItem>),
    /// An object parsed as it was read (`Expander::premap`).
    Parsed(Result<LoadItem>),
}

pub(crate) struct Expander {
    pub out: Vec<Pending>,
    /// Every file read (inputs and linker scripts), with its identity when
    /// read: the background linker re-reads an argument whose files changed.
    pub identities: Vec<(PathBuf, input::FileIdentity)>,
    search: Vec<PathBuf>,
    depth: u32,
    /// The file being added was named under `-Bstatic`: a shared library
    /// there is an error, as in GNU ld.
    static_only: bool,
    sysroot: Option<PathBuf>,
    /// Files mapped ahead, in parallel (`premap`), each relocatable object
    /// among them parsed too; taken by `add_path`.
    premapped: HashMap<PathBuf, (input::MappedFile, Option<Result<LoadItem>>)>,
}

impl Expander {
    fn add_path(
        &mut self,
        path: &Path,
        as_needed: bool,
        whole: bool,
        soname: Option<String>,
    ) -> Result<()> {
        let (m, parsed) = match self.premapped.remove(path) {
            Some(m) => m,
            None => (input::map_file(path)?, None),
        };
        self.identities.push((path.to_path_buf(), m.identity));
        let kind = input::classify(m.data).ok_or_else(|| {
            Error::new(format!("{}: file format not recognized (not an ELF object, archive, shared library or linker script)", path.display()))
        })?;
        if kind == FileKind::Script {
            return self.add_script(path, m.data, as_needed, whole);
        }
        if kind == FileKind::Shared && self.static_only {
            return Err(Error::new(format!(
                "attempted static link of a dynamic object {} (-static or -Bstatic is in effect)",
                path.display()
            )));
        }
        if let Some(item) = parsed {
            self.out.push(Pending::Parsed(item));
            return Ok(());
        }
        let soname = soname.unwrap_or_else(|| path.display().to_string());
        self.out.push(Pending::File {
            path: path.to_path_buf(),
            kind,
            data: m.data,
            backing: m.backing,
            as_needed,
            whole,
            soname,
        });
        Ok(())
    }

    fn add_library(
        &mut self,
        name: &str,
        static_only: bool,
        as_needed: bool,
        whole: bool,
    ) -> Result<()> {
        let p = input::find_library(name, static_only, &self.search)
            .ok_or_else(|| Error::new(format!("cannot find -l{name}")))?;
        let soname = p.file_name().map(|s| s.to_string_lossy().into_owned());
        self.add_path(&p, as_needed, whole, soname)
    }

    fn add_script(&mut self, path: &Path, data: &[u8], as_needed: bool, whole: bool) -> Result<()> {
        self.depth += 1;
        if self.depth > 16 {
            return Err(Error::new(format!(
                "{}: linker scripts nest too deeply (a cycle?)",
                path.display()
            )));
        }
        let sc = script::parse_script(data, &path.display().to_string())?;
        let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        // The commands that act after ingestion go on, at the script's
        // place, to `script_link`.
        let mut rest = Vec::new();
        for cmd in sc.commands {
            match cmd {
                ScriptCommand::Group(files) | ScriptCommand::Input(files) => {
                    let group = files.len() > 1;
                    if group {
                        self.out.push(Pending::GroupStart);
                    }
                    for f in files {
                        let an = as_needed || f.as_needed;
                        match f.file {
                            ScriptFile::Library(l) => self
                                .add_library(&l, false, an, whole)
                                .map_err(|e| named_in_script(e, path))?,
                            ScriptFile::Path(p) => {
                                let pb = self.in_sysroot(&p, path);
                                let found = if pb.is_absolute() || pb.exists() {
                                    pb
                                } else if dir.join(&pb).exists() {
                                    dir.join(&pb)
                                } else {
                                    self.search
                                        .iter()
                                        .map(|d| d.join(&pb))
                                        .find(|c| c.exists())
                                        .unwrap_or(pb)
                                };
                                let soname =
                                    found.file_name().map(|s| s.to_string_lossy().into_owned());
                                self.add_path(&found, an, whole, soname)
                                    .map_err(|e| named_in_script(e, path))?;
                            }
                        }
                    }
                    if group {
                        self.out.push(Pending::GroupEnd);
                    }
                }
                ScriptCommand::SearchDir(d) => self.search.push(PathBuf::from(d)),
                ScriptCommand::OutputFormat(_) => {}
                ScriptCommand::Include(name, line) => {
                    let p = self.include_path(&name, &dir);
                    let m = input::map_file(&p).map_err(|e| {
                        Error::new(format!("{}:{line}: INCLUDE: {}", path.display(), e.msg))
                    })?;
                    self.identities.push((p.clone(), m.identity));
                    self.add_script(&p, m.data, as_needed, whole)?;
                }
                other => rest.push(other),
            }
        }
        if !rest.is_empty() {
            self.out
                .push(Pending::Script(Box::new(crate::script_link::ScriptItem {
                    file: path.display().to_string(),
                    commands: rest,
                })));
        }
        self.depth -= 1;
        Ok(())
    }
}

impl Expander {
    /// Where `INCLUDE name` finds its file: as given, beside the script,
    /// then in the library search path (GNU ld's order).
    fn include_path(&self, name: &str, dir: &Path) -> PathBuf {
        let pb = PathBuf::from(name);
        if pb.is_absolute() || pb.exists() {
            return pb;
        }
        std::iter::once(dir.to_path_buf())
            .chain(self.search.iter().cloned())
            .map(|d| d.join(&pb))
            .find(|c| c.exists())
            .unwrap_or(pb)
    }

    /// A file name in linker script `script`, with GNU ld's sysroot rules:
    /// `=` and `$SYSROOT` prefixes are the sysroot, and so is `/` in a
    /// script that lies inside the sysroot.
    fn in_sysroot(&self, name: &str, script: &Path) -> PathBuf {
        let Some(root) = &self.sysroot else {
            return PathBuf::from(name.strip_prefix('=').unwrap_or(name));
        };
        if let Some(rest) = name
            .strip_prefix('=')
            .or_else(|| name.strip_prefix("$SYSROOT"))
        {
            return root.join(rest.trim_start_matches('/'));
        }
        let inside = match (root.canonicalize(), script.canonicalize()) {
            (Ok(r), Ok(s)) => s.starts_with(r),
            _ => false,
        };
        if inside && name.starts_with('/') {
            root.join(name.trim_start_matches('/'))
        } else {
            PathBuf::from(name)
        }
    }
}

/// `e`, which came from a file that the linker script `script` named. Only
/// the innermost script is added: a cycle of scripts says it once.
fn named_in_script(e: Error, script: &Path) -> Error {
    if e.msg.contains("(named in linker script ") {
        return e;
    }
    Error::new(format!(
        "{} (named in linker script {})",
        e.msg,
        script.display()
    ))
}

impl Expander {
    pub fn new(opts: &Options) -> Self {
        Expander {
            out: Vec::new(),
            identities: Vec::new(),
            search: opts.search_paths.clone(),
            depth: 0,
            static_only: false,
            sysroot: opts.sysroot.clone(),
            premapped: HashMap::new(),
        }
    }

    /// Maps the command line's plain file arguments in parallel (small
    /// ones are read: `input::map_file`), each one's first page read:
    /// opening and mapping a few thousand objects one by one was a tenth
    /// of a serial link. A relocatable object (not LTO IR) is parsed as
    /// soon as it is read, while its bytes are in the cache (ingesting
    /// them all after reading them all took 4% more of synth-3000-g's
    /// link); its error, if any, comes at its place in `ingest`. A file
    /// that fails here is mapped again in order by `add_path`, which
    /// reports it in its place.
    fn premap(&mut self, inputs: &[InputArg]) {
        let paths: Vec<&PathBuf> = inputs
            .iter()
            .filter_map(|a| match a {
                InputArg::File { path, .. } => Some(path),
                _ => None,
            })
            .collect();
        self.premapped = paths
            .into_par_iter()
            .with_min_len(16)
            .filter_map(|p| {
                let m = input::map_file(p).ok()?;
                let parsed = (input::classify(m.data) == Some(FileKind::Object)
                    && plugin::lto_kind(m.data).is_none())
                .then(|| parse_object(p, m.data, &m.backing));
                Some((p.clone(), (m, parsed)))
            })
            .collect();
    }

    /// Expand one command-line input (a file, `-l`, a group marker).
    pub fn add_arg(&mut self, arg: &InputArg) -> Result<()> {
        let ex = self;
        match arg {
            InputArg::File { path, state, .. } => {
                ex.static_only = state.static_only;
                let r = ex.add_path(path, state.as_needed, state.whole_archive, None);
                ex.static_only = false;
                r
            }
            InputArg::Library { name, state, .. } => ex.add_library(
                name,
                state.static_only,
                state.as_needed,
                state.whole_archive,
            ),
            InputArg::GroupStart => {
                ex.out.push(Pending::GroupStart);
                Ok(())
            }
            InputArg::GroupEnd => {
                ex.out.push(Pending::GroupEnd);
                Ok(())
            }
        }
    }
}

/// The command line's inputs, expanded; and every file read for them.
fn expand(opts: &Options) -> Result<(Vec<Pending>, Vec<PathBuf>)> {
    let mut ex = Expander::new(opts);
    ex.premap(&opts.inputs);
    let mut errors = Vec::new();
    for arg in &opts.inputs {
        if let Err(e) = ex.add_arg(arg) {
            errors.push(e.msg);
        }
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    let read = ex.identities.into_iter().map(|(p, _)| p).collect();
    Ok((ex.out, read))
}

/// `--dependency-file`: `OUTPUT: INPUTS...` and an empty rule per input,
/// so that Make neither fails when an input disappears nor misses one that
/// changed (the form lld and mold write).
fn write_dependency_file(opts: &Options, inputs: &[PathBuf]) -> Result<()> {
    let Some(dep) = &opts.dependency_file else {
        return Ok(());
    };
    let esc = |p: &Path| p.display().to_string().replace(' ', "\\ ");
    let mut text = format!("{}:", esc(&opts.output));
    for p in inputs {
        text.push_str(&format!(" {}", esc(p)));
    }
    text.push('\n');
    for p in inputs {
        text.push_str(&format!("\n{}:\n", esc(p)));
    }
    std::fs::write(dep, text).map_err(|e| {
        Error::new(format!(
            "cannot write dependency file {}: {e}",
            dep.display()
        ))
    })
}

/// A relocatable object (not LTO IR) parsed: `ingest_one`'s, and
/// `Expander::premap`'s as soon as it is read (which has no more to know:
/// `--as-needed` and `--whole-archive` do not change an object).
fn parse_object(path: &Path, data: &'static [u8], backing: &input::Backing) -> Result<LoadItem> {
    let mut o = ObjectFile::parse(path.display().to_string(), data)?;
    o.backing = backing.clone();
    Ok(LoadItem::Object(Box::new(o)))
}

/// Ingest one input: everything that depends on the file alone.
pub(crate) fn ingest_one(p: Pending) -> Result<LoadItem> {
    match p {
        Pending::GroupStart => Ok(LoadItem::GroupStart),
        Pending::GroupEnd => Ok(LoadItem::GroupEnd),
        Pending::Script(s) => Ok(LoadItem::Script(s)),
        Pending::Parsed(item) => item,
        Pending::File {
            path,
            kind,
            data,
            backing,
            as_needed,
            whole,
            soname,
        } => match kind {
            FileKind::Object | FileKind::Bitcode => match plugin::lto_kind(data) {
                Some(lto) => {
                    let mut l = LtoInput::new(path.display().to_string(), path, 0, data, lto)?;
                    l.set_backing(&backing);
                    Ok(LoadItem::Lto(Box::new(l)))
                }
                None => parse_object(&path, data, &backing),
            },
            FileKind::Archive | FileKind::ThinArchive => {
                let mut archive = Archive::parse(&path, data, whole)?;
                archive.set_backing(&backing);
                Ok(LoadItem::Archive {
                    archive: Box::new(archive),
                    whole,
                    preload: Vec::new(),
                })
            }
            FileKind::Shared => {
                let mut file = SharedFile::parse(path.display().to_string(), soname, data)?;
                file.backing = backing;
                Ok(LoadItem::Shared {
                    file: Box::new(file),
                    as_needed,
                })
            }
            FileKind::Script => Err(Error::new(format!(
                "{}: a linker script cannot be a concurrent input",
                path.display()
            ))),
        },
    }
}

/// Ingest a concurrent input: read (not mapped) and parsed, with a hash
/// of its bytes (a file written again as it was is the same input).
/// `name` is the path the input is known by (the command line's spelling,
/// or where `-l` found it): messages name it, and a thin archive's members
/// are looked up beside it.
pub(crate) fn ingest_concurrent(
    path: &Path,
    name: &str,
    soname: &str,
    as_needed: bool,
    whole: bool,
) -> Result<(LoadItem, input::FileIdentity, u64)> {
    let m = input::read_file(path)?;
    let hash = xxhash_rust::xxh3::xxh3_64(m.data);
    let kind = input::classify(m.data).ok_or_else(|| {
        Error::new(format!(
            "{}: file format not recognized (not an ELF object, archive or shared library)",
            path.display()
        ))
    })?;
    let item = ingest_one(Pending::File {
        path: PathBuf::from(name),
        kind,
        data: m.data,
        backing: m.backing,
        as_needed,
        whole,
        soname: soname.to_string(),
    })?;
    Ok((item, m.identity, hash))
}

/// Ingest every input in parallel; the order of the result is the command line's.
pub(crate) fn ingest(pending: Vec<Pending>) -> Result<Vec<LoadItem>> {
    let items: Vec<Result<LoadItem>> = pending
        .into_par_iter()
        // One file per job: sizes vary by orders of magnitude (an rlib
        // beside a tiny object), and rayon's adaptive splitting would
        // otherwise leave one thread with most of the work.
        .with_max_len(1)
        .map(ingest_one)
        .collect();
    let mut out = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for i in items {
        match i {
            Ok(i) => out.push(i),
            Err(e) => errors.push(e.msg),
        }
    }
    if !errors.is_empty() {
        return Err(Error::new(errors.join("\n")));
    }
    Ok(out)
}

/// Roughly how many bytes `items` add to the output: the contents of the
/// sections that reach it and their symbols. Merged strings and archive
/// members not yet selected make it inexact; it only says how much of the
/// output file the background linker prepares ahead of the wait.
pub(crate) fn output_estimate(items: &[LoadItem]) -> u64 {
    items
        .iter()
        .map(|item| match item {
            LoadItem::Object(o) => object_estimate(o),
            _ => 0,
        })
        .sum()
}

/// What object `o` may add to the output: its contents and, per symbol,
/// a symbol table entry and a name.
fn object_estimate(o: &crate::object_file::ObjectFile) -> u64 {
    use crate::object_file::SectionKind;
    let contents: u64 = o
        .sections
        .iter()
        .filter(|s| s.kind != SectionKind::Ignore && s.sh_type != object::elf::SHT_NOBITS)
        .map(|s| s.size)
        .sum();
    contents + o.symbols.len() as u64 * 32
}

/// Link inputs held in memory, each ingested as a file of the given name
/// (objects, archives and shared libraries; not linker scripts, which name
/// other files). `opts.inputs` is not read; the output goes to
/// `opts.output` as usual. For the fuzz targets (`fuzz/`), which feed
/// generated inputs through resolve, layout and write without touching the
/// file system for them.
pub fn link_in_memory(opts: &Options, inputs: Vec<(PathBuf, &'static [u8])>) -> Result<()> {
    let t0 = Instant::now();
    let mut pending = Vec::with_capacity(inputs.len());
    for (path, data) in inputs {
        let kind = match input::classify(data) {
            Some(FileKind::Script) | None => {
                return Err(Error::new(format!(
                    "{}: file format not recognized (not an ELF object, archive or shared library)",
                    path.display()
                )))
            }
            Some(k) => k,
        };
        let soname = path.display().to_string();
        pending.push(Pending::File {
            path,
            kind,
            data,
            backing: Default::default(),
            as_needed: false,
            whole: false,
            soname,
        });
    }
    let items = ingest(pending)?;
    link_items(opts, items, t0).map(drop)
}

/// A serial link. The tables it built come back in `Finished`: a process
/// that exits next should `forget` them (see `Finished`).
pub fn link(opts: &Options) -> Result<Finished> {
    let t0 = Instant::now();
    if opts.stats {
        // From here, so that mapping and parsing the inputs are timed too.
        crate::timing::enable();
    }
    let mut pass = crate::timing::span("expand: map the inputs");
    let (pending, read) = expand(opts)?;
    crate::timing::next(&mut pass, "ingest: parse the inputs");
    let items = ingest(pending)?;
    drop(pass);
    let done = link_items(opts, items, t0)?;
    write_dependency_file(opts, &read)?;
    Ok(done)
}

/// What a finished link leaves: the symbol table, the inputs' parsed
/// tables and the layout. Freeing them is hundreds of thousands of small
/// deallocations (milliseconds on a big link) that an exiting process
/// does not need; `cld` and the background linker `release` it, while
/// in-process callers (tests, fuzzing) just drop it.
pub struct Finished {
    _res: Option<resolve::Resolved>,
    _layout: Option<layout::Layout>,
    retired: Option<crate::output_file::Retired>,
}

impl Finished {
    /// Removes the output file this link replaced (see
    /// `output_file::Retired`) and forgets the rest: for a process that
    /// exits next.
    pub fn release(mut self) {
        drop(self.retired.take());
        std::mem::forget(self);
    }
}

/// Everything after ingestion: resolve, layout, write. `items` are the
/// ingested inputs in command-line order. A serial link and the final step
/// of a concurrent link both end here.
pub(crate) fn link_items(opts: &Options, items: Vec<LoadItem>, t0: Instant) -> Result<Finished> {
    // The output file is made and faulted in on another thread meanwhile
    // (not for `-r`, whose writer makes its own output).
    let estimate = output_estimate(&items);
    if opts.stats {
        eprintln!("cld: output estimated at {estimate} bytes, to prepare it ahead");
    }
    let preparing =
        (!opts.relocatable).then(|| crate::output_file::Preparing::start(&opts.output, estimate));
    link_items_traced(opts, items, t0, &|_| {}, preparing, None, &mut || Ok(()))
}

/// `link_items`, calling `phase` as each final phase starts and ends
/// ("resolve-start", "resolve-done", then layout and write likewise): the
/// background linker writes these to its event log. The image is written
/// into `prepared` if it suits (see `output_file::Prepared`); `ahead`: the
/// inputs before `items` resolved already (see `link_resolved`).
/// `before_commit` runs on the finished image's eve: an error from it drops
/// the image, and the previous output stays (the background linker's check
/// that the inputs did not change meanwhile).
pub(crate) fn link_items_traced(
    opts: &Options,
    items: Vec<LoadItem>,
    t0: Instant,
    phase: &dyn Fn(&str),
    prepared: Option<crate::output_file::Preparing>,
    ahead: Option<Ahead>,
    before_commit: &mut dyn FnMut() -> Result<()>,
) -> Result<Finished> {
    let r = link_resolved(opts, items, t0, phase, prepared, ahead, before_commit);
    plugin::cleanup();
    r
}

/// The inputs the LTO plugin added after compiling the IR it claimed,
/// ingested like command-line inputs: its objects (`add_input_file`), and
/// the libraries it asked for (`add_input_library`, found in `-L`
/// directories and the plugin's extra ones).
pub(crate) fn ingest_plugin_outputs(
    opts: &Options,
    files: &[PathBuf],
    libraries: &[String],
    extra_paths: &[PathBuf],
) -> Result<(Vec<LoadItem>, Vec<LoadItem>)> {
    let mut ex = Expander::new(opts);
    ex.search.extend(extra_paths.iter().cloned());
    for f in files {
        ex.add_path(f, false, false, None)?;
    }
    let objects = ingest(std::mem::take(&mut ex.out))?;
    // GNU ld searches them in the state the command line ended in
    // (`-Bstatic` for `-static`, `--as-needed`).
    let state = opts
        .inputs
        .iter()
        .rev()
        .find_map(|a| match a {
            InputArg::File { state, .. } | InputArg::Library { state, .. } => Some(*state),
            _ => None,
        })
        .unwrap_or_default();
    for l in libraries {
        ex.add_library(l, state.static_only, state.as_needed, false)?;
    }
    Ok((objects, ingest(ex.out)?))
}

/// The names resolution starts from: the entry point, `-u`,
/// `--require-defined`, `--defsym` targets, and what linker scripts name
/// (`EXTERN`, `ENTRY`).
pub(crate) fn link_roots(
    opts: &Options,
    scripts: &crate::script_link::Scripts,
) -> Vec<&'static [u8]> {
    let mut roots: Vec<&'static [u8]> = Vec::new();
    // A shared object has an entry point only if one is named; a
    // relocatable output has none.
    if !opts.relocatable
        && (opts.output_kind != crate::options::OutputKind::Shared || opts.entry.is_some())
    {
        let entry = opts.entry.clone().unwrap_or_else(|| "_start".into());
        roots.push(leak(entry.as_bytes()));
    }
    for u in &opts.undefined {
        roots.push(leak(u.as_bytes()));
    }
    for u in &opts.require_defined {
        roots.push(leak(u.as_bytes()));
    }
    // A --defsym target is referenced, as from an object.
    for (_, e) in &opts.defsym {
        if let crate::options::DefsymExpr::Symbol(t, _) = e {
            roots.push(leak(t.as_bytes()));
        }
    }
    for r in scripts.roots() {
        roots.push(leak(r.as_bytes()));
    }
    roots
}

/// Where the final phases start: timings on for `--stats`, no warnings yet.
fn begin_resolve(opts: &Options, phase: &dyn Fn(&str)) -> Option<crate::timing::Span> {
    if opts.stats && !crate::timing::on() {
        crate::timing::enable();
    }
    crate::error::reset_warnings();
    phase("resolve-start");
    crate::timing::span("resolve")
}

/// What the background linker did before the wait for the inputs it
/// resolved ahead: the resolution (`resolve::Incremental`), and the
/// layout passes done for them where that applies (`layout::LayoutAhead`).
pub(crate) struct Ahead {
    pub inc: resolve::Incremental<'static>,
    pub layout: Option<layout::LayoutAhead>,
}

/// What the final phases are given ready: the output file (prepared
/// ahead), the merged strings of the inputs resolved ahead.
struct Early<'a> {
    prepared: Option<crate::output_file::Preparing>,
    merged: Option<layout::LayoutAhead>,
    before_commit: &'a mut dyn FnMut() -> Result<()>,
}

/// Resolves `items` (after `ahead`, the inputs the background linker
/// resolved already as they arrived: made with `link_roots` and no
/// scripts, never when a plugin has IR to claim or a linker script is
/// among the inputs) and goes on. Either way the resolution is the one of
/// all inputs at once.
fn link_resolved(
    opts: &Options,
    items: Vec<LoadItem>,
    t0: Instant,
    phase: &dyn Fn(&str),
    prepared: Option<crate::output_file::Preparing>,
    ahead: Option<Ahead>,
    before_commit: &mut dyn FnMut() -> Result<()>,
) -> Result<Finished> {
    let t_ingest = t0.elapsed();
    let pass = begin_resolve(opts, phase);
    let mut items = items;
    let scripts = crate::script_link::Scripts::take(&mut items, opts.max_page_size)?;
    // A script's ENTRY applies unless the command line names one; its
    // output section addresses and image base go where the command line's
    // would (`--section-start`, `-Ttext-segment`).
    let adjusted = scripts.adjust_options(opts);
    let opts = adjusted.as_ref().unwrap_or(opts);
    let mut merged = None;
    let res = match ahead {
        Some(_) if scripts.first_file().is_some() => {
            return Err(Error::new(
                "internal error: a linker script among inputs resolved ahead",
            ))
        }
        Some(Ahead { mut inc, layout }) => {
            for item in items {
                inc.feed(item)?;
            }
            merged = layout;
            let (mut res, placed) = inc.finish()?;
            res.leftovers.push(Box::new(placed));
            res
        }
        None => plugin::resolve(opts, items, &link_roots(opts, &scripts))?,
    };
    let early = Early {
        prepared,
        merged,
        before_commit,
    };
    link_after_resolve(opts, scripts, res, (t0, t_ingest), phase, early, pass)
}

/// Finishes parsing the objects that resolution parsed only as far as it
/// needs (`ObjectFile::parse_for_resolution`), in parallel; an error is the
/// first object's in link order, as serial parsing would meet. With
/// `estimate`, returns the objects' `object_estimate`s summed, made in the
/// same pass while each object's tables are at hand: a pass of its own
/// over every section (7.7 MiB of them on ripgrep's debug link) cost a
/// millisecond or two on one core after this one.
fn finish_parsing(res: &mut resolve::Resolved, estimate: bool) -> Result<u64> {
    use rayon::prelude::*;
    let (error, estimate) = res
        .objects
        .par_iter_mut()
        .enumerate()
        .map(|(i, o)| match o.finish_parse() {
            Ok(()) => (None, if estimate { object_estimate(o) } else { 0 }),
            Err(e) => (Some((i, e)), 0),
        })
        .reduce(
            || (None, 0),
            |a, b| {
                let first = match (a.0, b.0) {
                    (Some(x), Some(y)) => Some(if x.0 < y.0 { x } else { y }),
                    (x, y) => x.or(y),
                };
                (first, a.1 + b.1)
            },
        );
    match error {
        Some((_, e)) => Err(e),
        None => Ok(estimate),
    }
}

/// Everything after symbol resolution: exports, layout, write.
/// `times`: when the link started and how long ingestion took.
fn link_after_resolve(
    opts: &Options,
    mut scripts: crate::script_link::Scripts,
    mut res: resolve::Resolved,
    times: (Instant, std::time::Duration),
    phase: &dyn Fn(&str),
    early: Early,
    mut pass: Option<crate::timing::Span>,
) -> Result<Finished> {
    let (t0, t_ingest) = times;
    let Early {
        prepared,
        merged,
        before_commit,
    } = early;
    let preparing = prepared.as_ref().filter(|p| p.wants_estimate());
    let fp = crate::timing::span("resolve: finish parsing");
    let estimate = finish_parsing(&mut res, preparing.is_some())?;
    drop(fp);
    if let Some(p) = preparing {
        // The archive members resolution took in count now (Rust's rlibs
        // are most of a program).
        if opts.stats {
            eprintln!("cld: output estimated at {estimate} bytes after resolution");
        }
        p.raise(estimate);
    }
    if opts.relocatable {
        // A script's assignments and SECTIONS need a layout; -r has none.
        if let Some(file) = scripts.first_file() {
            return Err(Error::new(format!(
                "{file}: linker script commands other than INPUT and GROUP are not supported with -r"
            )));
        }
        // No layout: the sections and symbols go on to a later link.
        phase("resolve-done");
        phase("write-start");
        before_commit()?;
        crate::relocatable::write(opts, &res)?;
        phase("write-done");
        return Ok(Finished {
            _res: Some(res),
            _layout: None,
            retired: None,
        });
    }
    report_traces(opts, &res);
    cet_report(opts, &res)?;
    shlib_undefined(opts, &res)?;
    for name in &opts.require_defined {
        let defined = res
            .lookup(name.as_bytes())
            .is_some_and(|id| res.symbols[id as usize].def != SymDef::Undefined);
        if !defined {
            return Err(Error::new(format!(
                "undefined symbol: {name}\n>>> required by --require-defined"
            )));
        }
    }
    apply_defsyms(opts, &mut res)?;
    res.promote_local_ifuncs();
    scripts.define(&mut res)?;
    scripts.assign_rules(&res)?;
    if opts.start_stop {
        define_start_stop(&mut res);
    }
    for s in res.symbols.iter_mut() {
        if s.def == SymDef::Undefined && resolve::is_linker_defined(&s.name) {
            s.def = SymDef::Synthetic;
        }
    }
    crate::timing::next(&mut pass, "exports");
    let versions = crate::exports::decide(opts, &mut res)?;
    drop(pass);
    let t_resolve = t0.elapsed();
    phase("resolve-done");
    phase("layout-start");
    let inp = layout::LinkInput {
        opts,
        res: &res,
        versions: &versions,
        scripts: &scripts,
        ahead: std::sync::Mutex::new(merged),
    };
    let mut l = layout::compute(&inp)?;
    if opts.gdb_index {
        crate::gdb_index::add_gdb_index(&res, &mut l)?;
    }
    let pass = crate::timing::span("compress debug sections");
    crate::compress::compress_debug_sections(opts.compress_debug, &res, &mut l)?;
    drop(pass);
    let debug_file = match &opts.separate_debug_file {
        Some(path) => Some(crate::separate_debug::split(path, &res, &mut l)?),
        None => None,
    };
    if opts.no_section_header {
        // The file ends where the section header table would start.
        l.file_size = l.shoff;
    }
    let t_layout = t0.elapsed();
    phase("layout-done");
    if opts.fatal_warnings && crate::error::warnings() > 0 {
        return Err(Error::new(
            "warnings are fatal (--fatal-warnings): no output written",
        ));
    }
    phase("write-start");
    let retired = match &debug_file {
        Some(d) => {
            let mut made = None;
            let retired = crate::write::write_output_then(opts, &res, &l, prepared, &mut |buf| {
                made = Some(d.write(&l, buf)?);
                before_commit()
            })?;
            if let Some(f) = made {
                f.commit()?;
            }
            retired
        }
        None => {
            crate::write::write_output_then(opts, &res, &l, prepared, &mut |_| before_commit())?
        }
    };
    let t_write = t0.elapsed();
    phase("write-done");
    if opts.stats {
        eprintln!(
            "cld: ingest {:.1} ms, resolve {:.1} ms, layout {:.1} ms, write {:.1} ms; {} objects, {} shared, {} symbols, output {} bytes",
            t_ingest.as_secs_f64() * 1e3,
            (t_resolve - t_ingest).as_secs_f64() * 1e3,
            (t_layout - t_resolve).as_secs_f64() * 1e3,
            (t_write - t_layout).as_secs_f64() * 1e3,
            res.objects.len(),
            res.shared.len(),
            res.symbols.len(),
            l.file_size
        );
        eprint!("{}", crate::timing::report());
        eprintln!("{}", table_sizes(&res, &l));
    }
    Ok(Finished {
        _res: Some(res),
        _layout: Some(l),
        retired: Some(retired),
    })
}

/// `-t`/`--trace` prints every input linked (objects and archive members
/// in load order, then shared libraries); `-y SYM` says which inputs define
/// and reference SYM. Both on stdout, as GNU ld does.
fn report_traces(opts: &Options, res: &resolve::Resolved) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if opts.trace {
        for o in &res.objects {
            let _ = writeln!(out, "{}", o.name);
        }
        for s in &res.shared {
            let _ = writeln!(out, "{}", s.file.name);
        }
    }
    for name in &opts.trace_symbols {
        let name = name.as_bytes();
        for o in &res.objects {
            for s in &o.symbols[o.first_global as usize..] {
                let bare = s.name.split(|&c| c == b'@').next().unwrap_or(&s.name);
                if s.name != name && bare != name {
                    continue;
                }
                let what = if s.is_undefined() {
                    "reference to"
                } else if s.is_common() {
                    "common definition of"
                } else {
                    "definition of"
                };
                let _ = writeln!(
                    out,
                    "trace-symbol: {}: {what} {}",
                    o.name,
                    String::from_utf8_lossy(&s.name)
                );
            }
        }
        for sh in &res.shared {
            let f = &sh.file;
            let what = if f.symbols.iter().any(|d| d.name == name && !d.hidden) {
                "definition of"
            } else if f.undefined.iter().any(|&(u, _)| u == name) {
                "reference to"
            } else {
                continue;
            };
            let _ = writeln!(
                out,
                "trace-symbol: {}: {what} {}",
                f.name,
                String::from_utf8_lossy(name)
            );
        }
    }
}

/// `--no-allow-shlib-undefined`: each linked shared library's non-weak
/// undefined symbol must be defined by the link (an object or another
/// library). Only libraries whose DT_NEEDED are all linked are checked (as
/// mold does): cld does not load a library's own dependencies, which may
/// define what it lacks.
fn shlib_undefined(opts: &Options, res: &resolve::Resolved) -> Result<()> {
    if !opts.no_allow_shlib_undefined {
        return Ok(());
    }
    let linked: std::collections::HashSet<&str> =
        res.shared.iter().map(|s| s.file.soname.as_str()).collect();
    let mut errors = Vec::new();
    for sh in &res.shared {
        let f = &sh.file;
        if !f.needed.iter().all(|n| linked.contains(n.as_str())) {
            continue;
        }
        for (&(u, _), &weak) in f.undefined.iter().zip(&f.undefined_weak) {
            let defined = res
                .lookup(u)
                .is_some_and(|id| res.symbols[id as usize].def != SymDef::Undefined);
            if !weak && !defined && !resolve::is_linker_defined(u) {
                errors.push(format!(
                    "{}: --no-allow-shlib-undefined: undefined symbol: {}",
                    f.name,
                    String::from_utf8_lossy(u)
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}

/// `-z cet-report=warning|error`: every object whose `.note.gnu.property`
/// lacks the IBT or SHSTK feature bit is reported (in mold's words).
fn cet_report(opts: &Options, res: &resolve::Resolved) -> Result<()> {
    use crate::options::CetReport;
    use object::elf::{GNU_PROPERTY_X86_FEATURE_1_AND, GNU_PROPERTY_X86_FEATURE_1_IBT};
    const SHSTK: u32 = object::elf::GNU_PROPERTY_X86_FEATURE_1_SHSTK;
    let level = match opts.cet_report {
        CetReport::None => return Ok(()),
        CetReport::Warning => "warning",
        CetReport::Error => "error",
    };
    let mut errors = Vec::new();
    for o in &res.objects {
        let features = o
            .gnu_properties
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|&&(t, _)| t == GNU_PROPERTY_X86_FEATURE_1_AND)
            .map_or(0, |&(_, v)| v);
        for (bit, name) in [(GNU_PROPERTY_X86_FEATURE_1_IBT, "IBT"), (SHSTK, "SHSTK")] {
            if features & bit == 0 {
                let msg = format!(
                    "{}: -cet-report={level}: missing GNU_PROPERTY_X86_FEATURE_1_{name}",
                    o.name
                );
                match opts.cet_report {
                    CetReport::Error => errors.push(msg),
                    _ => crate::error::warn(msg),
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}

/// `--start-stop`: `__start_NAME` and `__stop_NAME` for the output section
/// of every allocated input section (`NAME` without its leading dot, when
/// it is a C identifier); layout gives them their values.
fn define_start_stop(res: &mut resolve::Resolved) {
    let mut names = std::collections::BTreeSet::new();
    for o in &res.objects {
        for s in &o.sections {
            if !s.is_alloc() || s.kind == crate::object_file::SectionKind::Ignore {
                continue;
            }
            let out = layout::output_name(s.name.get());
            let bare = out.strip_prefix(b".").unwrap_or(out);
            let ident = !bare.is_empty()
                && !bare[0].is_ascii_digit()
                && bare.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_');
            if ident {
                names.insert(bare.to_vec());
            }
        }
    }
    for n in names {
        for prefix in [&b"__start_"[..], b"__stop_"] {
            let id = res.intern(leak(&[prefix, &n].concat()));
            let s = &mut res.symbols[id as usize];
            if s.def == SymDef::Undefined {
                s.def = SymDef::Synthetic;
            }
        }
    }
}

/// `--defsym`: each symbol becomes absolute, another symbol under a second
/// name (offset 0: the very definition), or that symbol plus an offset.
fn apply_defsyms(opts: &Options, res: &mut resolve::Resolved) -> Result<()> {
    use crate::options::DefsymExpr;
    use resolve::Defsym;
    for (name, expr) in &opts.defsym {
        let id = res.intern(leak(name.as_bytes()));
        let mut props = (object::elf::STT_NOTYPE, false);
        let (def, defsym) = match expr {
            DefsymExpr::Number(v) => (SymDef::Synthetic, Some(Defsym::Abs(*v))),
            DefsymExpr::Symbol(t, off) => {
                let tid = res
                    .lookup(t.as_bytes())
                    .filter(|&t| res.symbols[t as usize].def != SymDef::Undefined)
                    .ok_or_else(|| {
                        Error::new(format!(
                            "undefined symbol: {t}\n>>> referenced by --defsym {name}"
                        ))
                    })?;
                let g = &res.symbols[tid as usize];
                match g.def {
                    d @ (SymDef::Object { .. } | SymDef::Common { .. }) if *off == 0 => {
                        props = (g.def_type, g.def_abs);
                        (d, None)
                    }
                    SymDef::Shared { .. } => {
                        return Err(Error::new(format!(
                            "--defsym {name}: {t} is defined in a shared library; \
                             only symbols of this link can be aliased"
                        )))
                    }
                    _ => (SymDef::Synthetic, Some(Defsym::Rel(tid, *off))),
                }
            }
        };
        res.set_defsym(id, defsym);
        let s = &mut res.symbols[id as usize];
        s.define(def, props);
        s.weak_def = false;
    }
    Ok(())
}

pub(crate) fn leak(b: &[u8]) -> &'static [u8] {
    Box::leak(b.to_vec().into_boxed_slice())
}

/// `--stats`: how big the inputs' parsed tables and the layout's per-input
/// tables are (element counts and MiB), for the memory work.
fn table_sizes(res: &crate::resolve::Resolved, l: &crate::layout::Layout) -> String {
    use crate::object_file::{InputSection, InputSymbol, Piece, Reloc};
    use std::mem::size_of;
    let (mut secs, mut syms, mut rels, mut copied, mut pieces, mut raw) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    for o in &res.objects {
        secs += o.sections.len();
        syms += o.symbols.len();
        for t in &o.reloc_tables {
            rels += t.len();
            if t.is_copy() {
                copied += t.len();
            }
        }
        pieces += o.pieces.len();
        raw += o.raw_relocs.iter().map(|r| r.1.len()).sum::<usize>();
    }
    let mib = |n: usize, each: usize| (n * each) as f64 / (1 << 20) as f64;
    let placement: usize = l.placement.iter().map(|p| p.len()).sum();
    let piece_out: usize = l.piece_out.iter().map(|p| p.len()).sum();
    format!(
        "cld: tables: {secs} sections ({:.1} MiB), {syms} symbols ({:.1}), {rels} relocations (in the inputs; {copied} sorted copies, {:.1}), {raw} debug relocations (in the inputs), {pieces} string pieces ({:.1}); layout: placement {:.1} MiB, piece offsets {:.1}; {} global symbols ({:.1})",
        mib(secs, size_of::<InputSection>()),
        mib(syms, size_of::<InputSymbol>()),
        mib(copied, size_of::<Reloc>()),
        mib(pieces, size_of::<Piece>()),
        mib(placement, 16),
        mib(piece_out, 8),
        res.symbols.len(),
        mib(res.symbols.len(), size_of::<crate::resolve::Symbol>()),
    )
}
