//! Links the C programs in `tests/c/` (see `tests/c/README.md`) with cld in
//! four modes (pie, nopie, static, staticpie) and checks that they behave
//! exactly like the same objects linked by the system linker and like the
//! expected output files.
//!
//! cld is reached through `gcc -B <shim>`, where `<shim>/ld` is a symlink to
//! the cld binary, so gcc supplies the usual crt files and libraries.
//!
//! Set `CLD_TEST_LINKER=/usr/bin/ld` to put another linker behind the shim;
//! that is only for validating this harness (the `.comment` check, which
//! looks for cld's own marker, is skipped then).

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one run of a test program may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one compile or link may take (a hanging linker must not hang
/// the test suite).
const BUILD_TIMEOUT: Duration = Duration::from_secs(120);

macro_rules! c_program_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_program(stringify!($name));
            }
        )*
        const PROGRAMS: &[&str] = &[$(stringify!($name)),*];
    };
}

c_program_tests!(
    alloca_vla,
    archive_group,
    archive_lazy,
    argv_environ,
    big_bss_data,
    common_archive,
    common_symbols,
    cpu_supports,
    ctors_dtors,
    ctors_sections,
    data_relocs,
    debug_g,
    defsym_symbols,
    errno_strtol,
    exit_status,
    float_printf,
    funcptr_callbacks,
    gc_sections,
    getenv,
    got_unrelaxed,
    hello,
    hidden_visibility,
    ifunc,
    int128,
    large_model,
    linker_symbols,
    long_double,
    math_lm,
    memory_protection,
    pthread_sync,
    qsort_bsearch,
    recursion,
    relr_data_relocs,
    setjmp_longjmp,
    signals,
    start_stop,
    static_locals,
    stdio_copyreloc,
    string_merge,
    struct_copy,
    symver_ref,
    thin_archive,
    tls_data_bss,
    tls_desc,
    tls_extern,
    tls_pic,
    tls_threads,
    unwind_backtrace,
    varargs,
    weak_symbols,
    wrap_symbols,
);

/// Every directory under tests/c must be listed above (and vice versa), so
/// a new program cannot be silently left out.
#[test]
fn every_program_directory_is_listed() {
    let dir = c_tests_dir();
    let on_disk = subdirectories(&dir);
    let listed: BTreeSet<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = on_disk.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "tests/c and the c_program_tests! list in {} disagree:\n  directories not listed: {missing:?}\n  listed but missing: {stale:?}",
        file!()
    );
    for name in &listed {
        // Parses build.conf and reads the expected files; panics on errors.
        let _ = Program::load(name);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Pie,
    NoPie,
    Static,
    StaticPie,
}

const ALL_MODES: [Mode; 4] = [Mode::Pie, Mode::NoPie, Mode::Static, Mode::StaticPie];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Pie => "pie",
            Mode::NoPie => "nopie",
            Mode::Static => "static",
            Mode::StaticPie => "staticpie",
        }
    }

    fn parse(s: &str) -> Option<Mode> {
        ALL_MODES.iter().copied().find(|m| m.name() == s)
    }

    /// The gcc flag selecting the output kind at link time.
    fn link_flag(self) -> &'static str {
        match self {
            Mode::Pie => "-pie",
            Mode::NoPie => "-no-pie",
            Mode::Static => "-static",
            Mode::StaticPie => "-static-pie",
        }
    }

    /// Position-independent code for PIE outputs; absolute code otherwise,
    /// so that absolute and copy relocations get exercised.
    fn pic(self) -> bool {
        matches!(self, Mode::Pie | Mode::StaticPie)
    }

    fn compile_flag(self) -> &'static str {
        if self.pic() {
            "-fPIE"
        } else {
            "-fno-pie"
        }
    }

    fn static_link(self) -> bool {
        matches!(self, Mode::Static | Mode::StaticPie)
    }

    /// The ELF header type readelf must print.
    fn elf_type(self) -> &'static str {
        match self {
            Mode::NoPie | Mode::Static => "EXEC",
            Mode::Pie | Mode::StaticPie => "DYN",
        }
    }
}

#[derive(Debug)]
struct Archive {
    file: String,
    thin: bool,
    sources: Vec<String>,
}

#[derive(Debug)]
struct Program {
    name: String,
    dir: PathBuf,
    /// Sources compiled and linked directly, sorted by name.
    objects: Vec<String>,
    archives: Vec<Archive>,
    group: bool,
    cflags: Vec<String>,
    ldflags: Vec<String>,
    modes: Vec<Mode>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    expected_out: String,
    expected_status: i32,
}

impl Program {
    /// Reads tests/c/NAME. Any problem here is a bug in the test data.
    fn load(name: &str) -> Program {
        let dir = c_tests_dir().join(name);
        let bug = |msg: String| -> ! { panic!("TEST BUG in tests/c/{name}: {msg}") };
        let mut sources: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| bug(format!("cannot read directory: {e}")))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".c"))
            .collect();
        sources.sort();
        if sources.is_empty() {
            bug("no .c files".into());
        }
        let expected_out = std::fs::read_to_string(dir.join("expected.out"))
            .unwrap_or_else(|e| bug(format!("expected.out: {e}")));
        let status_text = std::fs::read_to_string(dir.join("expected.status"))
            .unwrap_or_else(|e| bug(format!("expected.status: {e}")));
        let expected_status: i32 = status_text
            .trim()
            .parse()
            .unwrap_or_else(|e| bug(format!("expected.status {status_text:?}: {e}")));

        let mut p = Program {
            name: name.to_string(),
            dir: dir.clone(),
            objects: Vec::new(),
            archives: Vec::new(),
            group: false,
            cflags: Vec::new(),
            ldflags: Vec::new(),
            modes: ALL_MODES.to_vec(),
            args: Vec::new(),
            env: Vec::new(),
            expected_out,
            expected_status,
        };

        for c in read_build_conf(&dir).unwrap_or_else(|m| bug(m)) {
            let (key, value) = (c.key.as_str(), c.value.as_str());
            let words = || c.words();
            match key {
                    "cflags" => p.cflags.extend(words()),
                    "ldflags" => p.ldflags.extend(words()),
                    "args" => p.args.extend(words()),
                    "env" => p.env.extend(c.env().unwrap_or_else(|m| bug(m))),
                    "group" => {
                        p.group = match value {
                            "yes" => true,
                            "no" => false,
                            _ => bug(format!(
                                "build.conf:{}: group must be yes or no",
                                c.line
                            )),
                        }
                    }
                    "modes" => {
                        p.modes = words()
                            .map(|m| {
                                Mode::parse(&m).unwrap_or_else(|| {
                                    bug(format!("build.conf:{}: unknown mode {m:?}", c.line))
                                })
                            })
                            .collect();
                        if p.modes.is_empty() {
                            bug(format!("build.conf:{}: empty modes", c.line));
                        }
                    }
                    "archive" | "thin_archive" => {
                        let Some((file, members)) = value.split_once(':') else {
                            bug(format!(
                                "build.conf:{}: expected `{key} = libNAME.a: a.c b.c`",
                                c.line
                            ));
                        };
                        let file = file.trim().to_string();
                        if !(file.starts_with("lib") && file.ends_with(".a") && file.len() > 5) {
                            bug(format!(
                                "build.conf:{}: archive name {file:?} must be libNAME.a",
                                c.line
                            ));
                        }
                        let members: Vec<String> =
                            members.split_whitespace().map(str::to_string).collect();
                        if members.is_empty() {
                            bug(format!(
                                "build.conf:{}: archive {file} has no members",
                                c.line
                            ));
                        }
                        for m in &members {
                            if !sources.contains(m) {
                                bug(format!(
                                    "build.conf:{}: archive member {m} is not a .c file here",
                                    c.line
                                ));
                            }
                        }
                        p.archives.push(Archive {
                            file,
                            thin: key == "thin_archive",
                            sources: members,
                        });
                    }
                    "shared_lib" => bug(
                        "shared_lib is not supported here: shared libraries are tested by tests/shared (shared_libs.rs)"
                            .into(),
                    ),
                    _ => bug(format!("build.conf:{}: unknown key {key:?}", c.line)),
                }
        }
        let in_archive: BTreeSet<&String> = p.archives.iter().flat_map(|a| &a.sources).collect();
        p.objects = sources
            .iter()
            .filter(|s| !in_archive.contains(s))
            .cloned()
            .collect();
        if p.objects.is_empty() {
            bug("every source is in an archive; nothing would pull them in".into());
        }
        if p.group && p.archives.is_empty() {
            bug("group = yes without archives".into());
        }
        p
    }
}

fn obj_name(source: &str) -> String {
    format!("{}.o", source.trim_end_matches(".c"))
}

/// Compiles all sources for one code model (PIC or not) into `objdir` and
/// builds the archives there. Failures here are test bugs, not linker bugs.
fn compile(p: &Program, mode: Mode, objdir: &Path) {
    std::fs::create_dir_all(objdir).unwrap();
    let all_sources = p
        .objects
        .iter()
        .chain(p.archives.iter().flat_map(|a| &a.sources));
    for src in all_sources {
        let mut cmd = Command::new("gcc");
        cmd.arg("-c")
            .arg(mode.compile_flag())
            .args(["-O2", "-Wall"])
            .args(&p.cflags)
            .arg("-I")
            .arg(&p.dir)
            .arg(p.dir.join(src))
            .arg("-o")
            .arg(objdir.join(obj_name(src)));
        let r =
            run_with_timeout(&mut cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
        if !r.success() {
            panic!(
                "TEST BUG (not a linker problem): gcc failed to compile tests/c/{}/{src} ({}):\n{}\n{}",
                p.name,
                r.describe_status(),
                show_command(&cmd),
                r.stderr
            );
        }
    }
    for a in &p.archives {
        let path = objdir.join(&a.file);
        let mut cmd = Command::new("ar");
        cmd.arg(if a.thin { "rcsT" } else { "rcs" })
            .arg(&path)
            .args(a.sources.iter().map(|s| objdir.join(obj_name(s))));
        let r =
            run_with_timeout(&mut cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
        if !r.success() {
            panic!(
                "TEST BUG (not a linker problem): ar failed for {} ({}):\n{}\n{}",
                a.file,
                r.describe_status(),
                show_command(&cmd),
                r.stderr
            );
        }
    }
}

/// The gcc link command; `shim` is the `-B` directory for cld, None for the
/// system linker.
fn link_command(
    p: &Program,
    mode: Mode,
    objdir: &Path,
    output: &Path,
    shim: Option<&str>,
) -> Command {
    let mut cmd = Command::new("gcc");
    if let Some(shim) = shim {
        cmd.arg("-B").arg(shim);
    }
    cmd.arg(mode.link_flag());
    cmd.args(p.objects.iter().map(|s| objdir.join(obj_name(s))));
    if !p.archives.is_empty() {
        cmd.arg("-L").arg(objdir);
        if p.group {
            cmd.arg("-Wl,--start-group");
        }
        for a in &p.archives {
            // libNAME.a -> -lNAME: exercises the library search too.
            cmd.arg(format!("-l{}", &a.file[3..a.file.len() - 2]));
        }
        if p.group {
            cmd.arg("-Wl,--end-group");
        }
    }
    cmd.args(&p.ldflags);
    cmd.arg("-o").arg(output);
    cmd
}

fn run_binary(p: &Program, exe: &Path, cwd: &Path) -> (Command, Result<RunResult, String>) {
    let mut cmd = Command::new(exe);
    cmd.args(&p.args)
        .env_clear()
        .envs(p.env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd);
    let r = run_with_timeout(&mut cmd, RUN_TIMEOUT);
    (cmd, r)
}

fn readelf(args: &[&str], file: &Path) -> Result<RunResult, String> {
    let mut cmd = Command::new("readelf");
    cmd.args(args).arg(file);
    run_with_timeout(&mut cmd, BUILD_TIMEOUT)
}

/// Checks the ELF file cld produced; appends problems to `problems`.
fn check_elf(mode: Mode, out: &Path, problems: &mut Vec<String>) {
    let all = match readelf(&["-aW"], out) {
        Ok(r) => r,
        Err(e) => {
            problems.push(format!("readelf -aW could not run: {e}"));
            return;
        }
    };
    if !all.stderr.trim().is_empty() {
        problems.push(format!(
            "`readelf -aW` printed on stderr:\n{}",
            indent(&truncate(&all.stderr, 30), "    ")
        ));
    }
    if !all.success() {
        problems.push(format!("`readelf -aW` failed: {}", all.describe_status()));
    }
    let bad: Vec<&str> = all
        .stdout
        .lines()
        .filter(|l| l.contains("Warning") || l.contains("warning") || l.contains("Error"))
        .collect();
    if !bad.is_empty() {
        problems.push(format!(
            "`readelf -aW` output has {} line(s) with Warning/warning/Error:\n{}",
            bad.len(),
            indent(&truncate(&bad.join("\n"), 20), "    ")
        ));
    }

    // ELF type from the file header.
    let type_line = all
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Type:"));
    let elf_type = type_line
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("<none>");
    if elf_type != mode.elf_type() {
        problems.push(format!(
            "ELF type is {elf_type} ({}), expected {} for mode {}",
            type_line.unwrap_or("no Type: line").trim(),
            mode.elf_type(),
            mode.name()
        ));
    }

    // Program headers: the table lines start with the segment type.
    let segment_types: BTreeSet<&str> = all
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Program Headers:"))
        .take_while(|l| !l.trim_start().starts_with("Section to Segment mapping"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    if !segment_types.contains("LOAD") {
        problems.push("no LOAD program header found in `readelf -aW` output".into());
    }
    let has_interp = segment_types.contains("INTERP");
    if mode.static_link() && has_interp {
        problems.push(format!(
            "static output ({}) has an INTERP program header",
            mode.name()
        ));
    }
    if !mode.static_link() && !has_interp {
        problems.push(format!(
            "dynamic output ({}) has no INTERP program header",
            mode.name()
        ));
    }
    let has_dynamic = segment_types.contains("DYNAMIC");
    if mode == Mode::Static && has_dynamic {
        problems.push("-static output has a DYNAMIC program header".into());
    }
    if mode != Mode::Static && !has_dynamic {
        problems.push(format!(
            "{} output has no DYNAMIC program header",
            mode.name()
        ));
    }

    if linker_override().is_none() {
        match readelf(&["-p", ".comment"], out) {
            Ok(r) if r.stdout.contains("cld") => {}
            Ok(r) => problems.push(format!(
                "`readelf -p .comment` does not mention cld (was the output really linked by cld?):\n{}",
                indent(&truncate(&format!("{}{}", r.stdout, r.stderr), 20), "    ")
            )),
            Err(e) => problems.push(format!("readelf -p .comment could not run: {e}")),
        }
    }
}

/// Builds, links (system linker and cld), runs and checks one mode.
/// Returns the list of problems (empty = pass).
fn check_mode(p: &Program, mode: Mode, objdir: &Path, workdir: &Path, shim: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = workdir.join(mode.name());
    std::fs::create_dir_all(&dir).unwrap();
    let ref_exe = dir.join("ref");
    let out_exe = dir.join("out");

    // Reference: the system linker.
    let mut ref_cmd = link_command(p, mode, objdir, &ref_exe, None);
    let ref_link =
        run_with_timeout(&mut ref_cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    let ref_ok = ref_link.success();
    if !ref_ok {
        problems.push(format!(
            "TEST BUG (not a cld problem): linking with the system linker failed ({}):\n    {}\n{}",
            ref_link.describe_status(),
            show_command(&ref_cmd),
            indent(&truncate(&ref_link.stderr, 40), "    ")
        ));
    }

    // cld through the shim.
    let mut out_cmd = link_command(p, mode, objdir, &out_exe, Some(shim));
    let out_link =
        run_with_timeout(&mut out_cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    if !out_link.success() {
        problems.push(format!(
            "linking with cld failed ({}):\n    {}\n{}",
            out_link.describe_status(),
            show_command(&out_cmd),
            indent(&truncate(&out_link.stderr, 40), "    ")
        ));
        return problems;
    }
    if !out_link.stderr.trim().is_empty() {
        // Not a failure (GNU ld warns too), but worth seeing when something else fails.
        problems.push(format!(
            "(note, not a failure by itself) the cld link printed on stderr:\n{}",
            indent(&truncate(&out_link.stderr, 20), "    ")
        ));
    }

    let mut ref_stdout = None;
    if ref_ok {
        let (cmd, r) = run_binary(p, &ref_exe, &dir);
        match r {
            Err(e) => problems.push(format!("TEST BUG: cannot run the reference binary: {e}")),
            Ok(r) => {
                if r.code() != Some(p.expected_status) || r.stdout != p.expected_out {
                    problems.push(format!(
                        "TEST BUG (not a cld problem): the system-linked reference does not match the expected files:\n    {}\n    status: {} (expected {})\n    stdout diff (- expected.out, + reference):\n{}    stderr:\n{}",
                        show_command(&cmd),
                        r.describe_status(),
                        p.expected_status,
                        indent(&line_diff(&p.expected_out, &r.stdout), "      "),
                        indent(&truncate(&r.stderr, 20), "      ")
                    ));
                }
                ref_stdout = Some(r.stdout);
            }
        }
    }

    let (cmd, r) = run_binary(p, &out_exe, &dir);
    match r {
        Err(e) => problems.push(format!("cannot execute the cld-linked binary: {e}")),
        Ok(r) => {
            let mut run_problems = Vec::new();
            if r.code() != Some(p.expected_status) {
                run_problems.push(format!(
                    "status: {}, expected exit status {}",
                    r.describe_status(),
                    p.expected_status
                ));
            }
            if r.stdout != p.expected_out {
                run_problems.push(format!(
                    "stdout differs from expected.out (- expected, + cld):\n{}",
                    indent(&line_diff(&p.expected_out, &r.stdout), "  ")
                ));
            }
            if let Some(ref_stdout) = &ref_stdout {
                if *ref_stdout != r.stdout && *ref_stdout != p.expected_out {
                    run_problems.push(format!(
                        "stdout differs from the system-linked reference (- reference, + cld):\n{}",
                        indent(&line_diff(ref_stdout, &r.stdout), "  ")
                    ));
                }
            }
            if !run_problems.is_empty() {
                problems.push(format!(
                    "the cld-linked program misbehaved:\n    {}\n{}  stderr:\n{}",
                    show_command(&cmd),
                    indent(&run_problems.join("\n"), "  "),
                    indent(&truncate(&r.stderr, 20), "    ")
                ));
            }
        }
    }

    check_elf(mode, &out_exe, &mut problems);
    problems
}

fn run_program(name: &str) {
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
    require_tool("ar", "binutils");
    let started = Instant::now();
    let p = Program::load(name);
    let workdir = fresh_work_dir("c_programs", name);
    let shim = make_shim(&workdir);
    announce_linker_override();

    let mut failed: Vec<(Mode, Vec<String>)> = Vec::new();
    let mut notes: Vec<(Mode, Vec<String>)> = Vec::new();
    for pic in [true, false] {
        let modes: Vec<Mode> = p.modes.iter().copied().filter(|m| m.pic() == pic).collect();
        if modes.is_empty() {
            continue;
        }
        let objdir = workdir.join(if pic { "obj-pic" } else { "obj-nopic" });
        compile(&p, modes[0], &objdir);
        for mode in modes {
            let problems = check_mode(&p, mode, &objdir, &workdir, &shim);
            let (notes_only, real): (Vec<String>, Vec<String>) =
                problems.into_iter().partition(|m| m.starts_with("(note"));
            if !real.is_empty() {
                let mut all = real;
                all.extend(notes_only);
                failed.push((mode, all));
            } else if !notes_only.is_empty() {
                notes.push((mode, notes_only));
            }
        }
    }
    for (mode, n) in &notes {
        eprintln!("{name} [{}]: {}", mode.name(), n.join("\n"));
    }
    eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());

    if !failed.is_empty() {
        let failed: Vec<(&str, Vec<String>)> =
            failed.into_iter().map(|(m, v)| (m.name(), v)).collect();
        panic!(
            "{}",
            mode_failure_report(&format!("tests/c/{name}"), p.modes.len(), &failed, &workdir)
        );
    }
}
