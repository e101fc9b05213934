//! Links the C++ programs in `tests/cpp/` (see `tests/cpp/README.md`) with
//! cld in two modes (PIE and `-static`) and checks that they behave exactly
//! like the same objects linked by the system linker and like the expected
//! output files. `cpp_shared_library` builds a C++ shared library with cld
//! and uses it from a linked program and through `dlopen`.
//!
//! cld is reached through `g++ -B <shim>`, where `<shim>/ld` is a symlink
//! to the cld binary, so g++ supplies the crt files, libstdc++ and libgcc.
//!
//! Set `CLD_TEST_LINKER=/usr/bin/ld` to put another linker behind the shim;
//! that is only for validating this harness (the `.comment` check, which
//! looks for cld's own marker, is skipped then). `CLD_UPDATE_EXPECTED=1`
//! rewrites the expected files from the system-linked programs.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one run of a test program may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long one compile or link may take.
const BUILD_TIMEOUT: Duration = Duration::from_secs(180);
/// Flags for every compile; `cflags` from build.conf come after them.
const BASE_CFLAGS: &[&str] = &["-fPIE", "-O2", "-Wall"];

macro_rules! cpp_program_tests {
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

cpp_program_tests!(
    c_callback_terminate,
    comdat_inline,
    exceptions,
    gc_sections,
    init_priority,
    iostreams_containers,
    operator_new,
    regex_filesystem,
    rtti,
    static_libstdcxx,
    templates_variant,
    thread_local,
    threads_sync,
);

/// Directories under tests/cpp that are not single programs: the sources
/// of `cpp_shared_library`.
const SHARED_LIBRARY_DIR: &str = "shared_library";

/// Every directory under tests/cpp must be listed above (and vice versa).
#[test]
fn every_program_directory_is_listed() {
    let dir = cpp_tests_dir();
    let mut on_disk = subdirectories(&dir);
    on_disk.remove(SHARED_LIBRARY_DIR);
    let listed: BTreeSet<String> = PROGRAMS.iter().map(|s| s.to_string()).collect();
    let missing: Vec<_> = on_disk.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&on_disk).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "tests/cpp and the cpp_program_tests! list in {} disagree:\n  directories not listed: {missing:?}\n  listed but missing: {stale:?}",
        file!()
    );
    for name in &listed {
        let _ = Program::load(name);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Pie,
    Static,
}

const ALL_MODES: [Mode; 2] = [Mode::Pie, Mode::Static];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Pie => "pie",
            Mode::Static => "static",
        }
    }

    fn parse(s: &str) -> Option<Mode> {
        ALL_MODES.iter().copied().find(|m| m.name() == s)
    }

    fn link_flag(self) -> &'static str {
        match self {
            Mode::Pie => "-pie",
            Mode::Static => "-static",
        }
    }

    fn elf_type(self) -> &'static str {
        match self {
            Mode::Pie => "DYN",
            Mode::Static => "EXEC",
        }
    }
}

#[derive(Debug)]
struct Program {
    name: String,
    dir: PathBuf,
    /// `.cpp` (compiled by g++) and `.c` (compiled by gcc) files, by name.
    sources: Vec<String>,
    cflags: Vec<String>,
    ldflags: Vec<String>,
    modes: Vec<Mode>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Symbols that must not be in the output (e.g. collected by --gc-sections).
    absent_symbols: Vec<String>,
    /// Libraries that must not be DT_NEEDED.
    not_needed: Vec<String>,
    expected_out: String,
    expected_status: i32,
}

/// Reads an expected stdout file and an expected exit status file.
fn read_expected(dir: &Path, out_file: &str, status_file: &str) -> Result<(String, i32), String> {
    let out =
        std::fs::read_to_string(dir.join(out_file)).map_err(|e| format!("{out_file}: {e}"))?;
    let status_text = std::fs::read_to_string(dir.join(status_file))
        .map_err(|e| format!("{status_file}: {e}"))?;
    let status = status_text
        .trim()
        .parse()
        .map_err(|e| format!("{status_file} {status_text:?}: {e}"))?;
    Ok((out, status))
}

impl Program {
    /// Reads tests/cpp/NAME. Any problem here is a bug in the test data.
    fn load(name: &str) -> Program {
        let dir = cpp_tests_dir().join(name);
        let bug = |msg: String| -> ! { panic!("TEST BUG in tests/cpp/{name}: {msg}") };
        let mut sources: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| bug(format!("cannot read directory: {e}")))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".cpp") || f.ends_with(".c"))
            .collect();
        sources.sort();
        if !sources.iter().any(|s| s.ends_with(".cpp")) {
            bug("no .cpp files".into());
        }
        let (expected_out, expected_status) =
            read_expected(&dir, "expected.out", "expected.status").unwrap_or_else(|e| bug(e));
        let mut p = Program {
            name: name.to_string(),
            dir: dir.clone(),
            sources,
            cflags: Vec::new(),
            ldflags: Vec::new(),
            modes: ALL_MODES.to_vec(),
            args: Vec::new(),
            env: Vec::new(),
            absent_symbols: Vec::new(),
            not_needed: Vec::new(),
            expected_out,
            expected_status,
        };
        for c in read_build_conf(&dir).unwrap_or_else(|m| bug(m)) {
            let key = c.key.as_str();
            let words = || c.words();
            match key {
                "cflags" => p.cflags.extend(words()),
                "ldflags" => p.ldflags.extend(words()),
                "args" => p.args.extend(words()),
                "absent_symbols" => p.absent_symbols.extend(words()),
                "not_needed" => p.not_needed.extend(words()),
                "env" => p.env.extend(c.env().unwrap_or_else(|m| bug(m))),
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
                _ => bug(format!("build.conf:{}: unknown key {key:?}", c.line)),
            }
        }
        p
    }
}

/// `main.cpp` -> `main.cpp.o` (so `x.c` and `x.cpp` cannot collide).
fn obj_name(source: &str) -> String {
    format!("{source}.o")
}

/// Compiles `src` from `srcdir` into `objdir` with g++ (or gcc for `.c`).
/// Failures are test bugs, not linker bugs.
fn compile_one(
    test: &str,
    srcdir: &Path,
    src: &str,
    extra: &[&str],
    cflags: &[String],
    objdir: &Path,
) {
    let compiler = if src.ends_with(".c") { "gcc" } else { "g++" };
    let mut cmd = Command::new(compiler);
    cmd.arg("-c")
        .args(BASE_CFLAGS)
        .args(extra)
        .args(cflags)
        .arg("-I")
        .arg(srcdir)
        .arg(srcdir.join(src))
        .arg("-o")
        .arg(objdir.join(obj_name(src)));
    let r = run_with_timeout(&mut cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    if !r.success() {
        panic!(
            "TEST BUG (not a linker problem): {compiler} failed to compile tests/cpp/{test}/{src} ({}):\n{}\n{}",
            r.describe_status(),
            show_command(&cmd),
            r.stderr
        );
    }
}

/// Compiles all sources once, in parallel (two at a time).
fn compile(p: &Program, objdir: &Path) {
    std::fs::create_dir_all(objdir).unwrap();
    std::thread::scope(|s| {
        for chunk in p.sources.chunks(p.sources.len().div_ceil(2)) {
            s.spawn(move || {
                for src in chunk {
                    compile_one(&p.name, &p.dir, src, &[], &p.cflags, objdir);
                }
            });
        }
    });
}

/// The g++ link command; `shim` is the `-B` directory for cld, None for the
/// system linker.
fn link_command(
    p: &Program,
    mode: Mode,
    objdir: &Path,
    output: &Path,
    shim: Option<&str>,
) -> Command {
    let mut cmd = Command::new("g++");
    if let Some(shim) = shim {
        cmd.arg("-B").arg(shim);
    }
    cmd.arg(mode.link_flag());
    cmd.args(p.sources.iter().map(|s| objdir.join(obj_name(s))));
    cmd.args(&p.ldflags);
    cmd.arg("-o").arg(output);
    cmd
}

fn run_binary(
    exe: &Path,
    args: &[String],
    env: &[(String, String)],
    cwd: &Path,
) -> (Command, Result<RunResult, String>) {
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd);
    let r = run_with_timeout(&mut cmd, RUN_TIMEOUT);
    (cmd, r)
}

/// Links with `cmd`; on failure returns the problem text.
fn link(cmd: &mut Command, who: &str) -> Result<RunResult, String> {
    let r = run_with_timeout(cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    if r.success() {
        Ok(r)
    } else {
        Err(format!(
            "linking with {who} failed ({}):\n    {}\n{}",
            r.describe_status(),
            show_command(cmd),
            indent(&truncate(&r.stderr, 40), "    ")
        ))
    }
}

/// Compares a run of a cld-linked (or partly cld-linked) program against
/// the expected files and the reference stdout. Returns the problems.
fn compare_run(
    cmd: &Command,
    r: &Result<RunResult, String>,
    expected_out: &str,
    expected_status: i32,
    ref_stdout: Option<&str>,
) -> Vec<String> {
    let r = match r {
        Err(e) => return vec![format!("cannot execute {}: {e}", show_command(cmd))],
        Ok(r) => r,
    };
    let mut run_problems = Vec::new();
    if r.code() != Some(expected_status) {
        run_problems.push(format!(
            "status: {}, expected exit status {expected_status}",
            r.describe_status()
        ));
    }
    if r.stdout != expected_out {
        run_problems.push(format!(
            "stdout differs from the expected file (- expected, + cld):\n{}",
            indent(&line_diff(expected_out, &r.stdout), "  ")
        ));
    }
    if let Some(ref_stdout) = ref_stdout {
        if ref_stdout != r.stdout && ref_stdout != expected_out {
            run_problems.push(format!(
                "stdout differs from the system-linked reference (- reference, + cld):\n{}",
                indent(&line_diff(ref_stdout, &r.stdout), "  ")
            ));
        }
    }
    if run_problems.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "the cld-linked program misbehaved:\n    {}\n{}  stderr:\n{}",
        show_command(cmd),
        indent(&run_problems.join("\n"), "  "),
        indent(&truncate(&r.stderr, 20), "    ")
    )]
}

/// Runs the system-linked reference; a mismatch with the expected files is
/// a TEST BUG. With CLD_UPDATE_EXPECTED=1 rewrites the expected files
/// instead. Returns the reference's stdout.
fn run_reference(
    exe: &Path,
    args: &[String],
    env: &[(String, String)],
    cwd: &Path,
    expected: (&str, i32),
    expected_files: (&Path, &Path),
    problems: &mut Vec<String>,
) -> Option<String> {
    let (cmd, r) = run_binary(exe, args, env, cwd);
    let r = match r {
        Err(e) => {
            problems.push(format!("TEST BUG: cannot run the reference binary: {e}"));
            return None;
        }
        Ok(r) => r,
    };
    if update_expected() {
        let code = r.code().expect("reference program was killed");
        std::fs::write(expected_files.0, &r.stdout).unwrap();
        std::fs::write(expected_files.1, format!("{code}\n")).unwrap();
        eprintln!(
            "CLD_UPDATE_EXPECTED: rewrote {}",
            expected_files.0.display()
        );
    } else if r.code() != Some(expected.1) || r.stdout != expected.0 {
        problems.push(format!(
            "TEST BUG (not a cld problem): the system-linked reference does not match the expected files:\n    {}\n    status: {} (expected {})\n    stdout diff (- expected, + reference):\n{}    stderr:\n{}",
            show_command(&cmd),
            r.describe_status(),
            expected.1,
            indent(&line_diff(expected.0, &r.stdout), "      "),
            indent(&truncate(&r.stderr, 20), "      ")
        ));
    }
    Some(r.stdout)
}

/// What the ELF file header and program headers must say.
struct ElfShape {
    elf_type: &'static str,
    interp: bool,
    dynamic: bool,
}

/// readelf checks on a cld output; returns the report for further checks.
fn check_elf(out: &Path, shape: &ElfShape, problems: &mut Vec<String>) -> ReadelfReport {
    let rep = readelf_report(out);
    problems.extend(rep.problems.iter().cloned());
    let name = out.display();
    if rep.elf_type != shape.elf_type {
        problems.push(format!(
            "{name}: ELF type is {}, expected {}",
            rep.elf_type, shape.elf_type
        ));
    }
    if !rep.segments.contains("LOAD") {
        problems.push(format!("{name}: no LOAD program header"));
    }
    if rep.segments.contains("INTERP") != shape.interp {
        problems.push(format!(
            "{name}: INTERP program header {}",
            if shape.interp {
                "missing"
            } else {
                "present but not expected"
            }
        ));
    }
    if rep.segments.contains("DYNAMIC") != shape.dynamic {
        problems.push(format!(
            "{name}: DYNAMIC program header {}",
            if shape.dynamic {
                "missing"
            } else {
                "present but not expected"
            }
        ));
    }
    problems.extend(comment_problem(out));
    rep
}

/// Builds, links (system linker and cld), runs and checks one mode.
fn check_mode(p: &Program, mode: Mode, objdir: &Path, workdir: &Path, shim: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let dir = workdir.join(mode.name());
    std::fs::create_dir_all(&dir).unwrap();
    let ref_exe = dir.join("ref");
    let out_exe = dir.join("out");

    let mut ref_cmd = link_command(p, mode, objdir, &ref_exe, None);
    let ref_ok = match link(&mut ref_cmd, "the system linker") {
        Ok(_) => true,
        Err(e) => {
            problems.push(format!("TEST BUG (not a cld problem): {e}"));
            false
        }
    };
    let mut out_cmd = link_command(p, mode, objdir, &out_exe, Some(shim));
    match link(&mut out_cmd, "cld") {
        Ok(r) if !r.stderr.trim().is_empty() => problems.push(format!(
            "(note, not a failure by itself) the cld link printed on stderr:\n{}",
            indent(&truncate(&r.stderr, 20), "    ")
        )),
        Ok(_) => {}
        Err(e) => {
            problems.push(e);
            return problems;
        }
    }

    let ref_stdout = if ref_ok {
        let rep = readelf_report(&ref_exe);
        for sym in &p.absent_symbols {
            if rep.symbols.contains(sym) {
                problems.push(format!(
                    "TEST BUG (not a cld problem): absent symbol {sym} is in the system-linked reference"
                ));
            }
        }
        run_reference(
            &ref_exe,
            &p.args,
            &p.env,
            &dir,
            (&p.expected_out, p.expected_status),
            (&p.dir.join("expected.out"), &p.dir.join("expected.status")),
            &mut problems,
        )
    } else {
        None
    };

    let (cmd, r) = run_binary(&out_exe, &p.args, &p.env, &dir);
    problems.extend(compare_run(
        &cmd,
        &r,
        &p.expected_out,
        p.expected_status,
        ref_stdout.as_deref(),
    ));

    let shape = ElfShape {
        elf_type: mode.elf_type(),
        interp: mode == Mode::Pie,
        dynamic: mode == Mode::Pie,
    };
    let rep = check_elf(&out_exe, &shape, &mut problems);
    for sym in &p.absent_symbols {
        if rep.symbols.contains(sym) {
            problems.push(format!(
                "symbol {sym} should have been removed (build.conf absent_symbols) but is in the cld output"
            ));
        }
    }
    for lib in &p.not_needed {
        if rep.needed.contains(lib) {
            problems.push(format!(
                "cld output has DT_NEEDED {lib} (build.conf not_needed); NEEDED: {:?}",
                rep.needed
            ));
        }
    }
    problems
}

fn require_tools() {
    require_tool("g++", "g++");
    require_tool("gcc", "gcc");
    require_tool("readelf", "binutils");
}

fn run_program(name: &str) {
    require_tools();
    let started = Instant::now();
    let p = Program::load(name);
    let workdir = fresh_work_dir("cpp_programs", name);
    let shim = make_shim(&workdir);
    announce_linker_override();
    let objdir = workdir.join("obj");
    compile(&p, &objdir);

    let mut failed: Vec<(Mode, Vec<String>)> = Vec::new();
    for &mode in &p.modes {
        let problems = check_mode(&p, mode, &objdir, &workdir, &shim);
        let (notes, real): (Vec<String>, Vec<String>) =
            problems.into_iter().partition(|m| m.starts_with("(note"));
        if !real.is_empty() {
            let mut all = real;
            all.extend(notes);
            failed.push((mode, all));
        } else if !notes.is_empty() {
            eprintln!("{name} [{}]: {}", mode.name(), notes.join("\n"));
        }
    }
    eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
    if !failed.is_empty() {
        let failed: Vec<(&str, Vec<String>)> =
            failed.into_iter().map(|(m, v)| (m.name(), v)).collect();
        panic!(
            "{}",
            mode_failure_report(
                &format!("tests/cpp/{name}"),
                p.modes.len(),
                &failed,
                &workdir
            )
        );
    }
}

// ---------------------------------------------------------------------------
// cpp_shared_library: tests/cpp/shared_library

const LIB_SOURCES: &[&str] = &["shapes.cpp", "registry.cpp"];
const LIB_FILE: &str = "libshapes.so";
const LIB_SONAME: &str = "libshapes.so.1";
/// The programs: (source, links against the library).
const SHARED_PROGRAMS: &[(&str, bool)] = &[("use_shapes.cpp", true), ("dlopen_shapes.cpp", false)];

fn lib_link_command(objdir: &Path, out_dir: &Path, shim: Option<&str>) -> Command {
    let mut cmd = Command::new("g++");
    if let Some(shim) = shim {
        cmd.arg("-B").arg(shim);
    }
    cmd.args(["-shared", "-fPIC"])
        .arg(format!("-Wl,-soname,{LIB_SONAME}"))
        .args(LIB_SOURCES.iter().map(|s| objdir.join(obj_name(s))))
        .arg("-o")
        .arg(out_dir.join(LIB_FILE));
    cmd
}

fn shared_program_command(
    objdir: &Path,
    dir: &Path,
    src: &str,
    with_lib: bool,
    shim: Option<&str>,
) -> Command {
    let mut cmd = Command::new("g++");
    if let Some(shim) = shim {
        cmd.arg("-B").arg(shim);
    }
    cmd.arg("-pie").arg(objdir.join(obj_name(src)));
    if with_lib {
        cmd.arg("-L").arg(dir).arg("-lshapes");
    }
    // $ORIGIN: the library is found next to the program (also by dlopen,
    // which searches the caller's DT_RUNPATH).
    cmd.arg("-Wl,-rpath,$ORIGIN");
    cmd.arg("-o").arg(dir.join(src.trim_end_matches(".cpp")));
    cmd
}

/// Puts `libshapes.so` (copied from `from`, unless it is already there)
/// and the `libshapes.so.1` symlink into `dir`.
fn install_lib(from: &Path, dir: &Path) {
    let dest = dir.join(LIB_FILE);
    if from != dest {
        std::fs::copy(from, &dest)
            .unwrap_or_else(|e| panic!("copy {} -> {}: {e}", from.display(), dest.display()));
    }
    let link = dir.join(LIB_SONAME);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(LIB_FILE, &link).unwrap();
}

/// Builds `libshapes.so` from two C++ files and two programs using it (one
/// linked against it, one that dlopens it), with the system linker and with
/// cld, and runs all four combinations of {system, cld} library x {system,
/// cld} programs, so a failure says which side is at fault:
///
/// - `ref/`:     system-linked library and programs (the reference)
/// - `cld/`:     cld-linked library and programs (the real check)
/// - `cld-exe/`: cld-linked programs with the system-linked library
/// - `cld-lib/`: system-linked programs with the cld-linked library
#[test]
fn cpp_shared_library() {
    require_tools();
    let started = Instant::now();
    let srcdir = cpp_tests_dir().join(SHARED_LIBRARY_DIR);
    let bug = |msg: String| -> ! { panic!("TEST BUG in tests/cpp/{SHARED_LIBRARY_DIR}: {msg}") };
    let workdir = fresh_work_dir("cpp_programs", "cpp_shared_library");
    let shim = make_shim(&workdir);
    announce_linker_override();

    let objdir = workdir.join("obj");
    std::fs::create_dir_all(&objdir).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            for src in LIB_SOURCES {
                compile_one(SHARED_LIBRARY_DIR, &srcdir, src, &["-fPIC"], &[], &objdir);
            }
        });
        s.spawn(|| {
            for (src, _) in SHARED_PROGRAMS {
                compile_one(SHARED_LIBRARY_DIR, &srcdir, src, &[], &[], &objdir);
            }
        });
    });

    let mut problems: Vec<String> = Vec::new();
    let dirs: Vec<PathBuf> = ["ref", "cld", "cld-exe", "cld-lib"]
        .iter()
        .map(|d| {
            let p = workdir.join(d);
            std::fs::create_dir_all(&p).unwrap();
            p
        })
        .collect();
    let (ref_dir, cld_dir, cld_exe_dir, cld_lib_dir) = (&dirs[0], &dirs[1], &dirs[2], &dirs[3]);

    // The libraries.
    let mut cmd = lib_link_command(&objdir, ref_dir, None);
    if let Err(e) = link(&mut cmd, "the system linker") {
        bug(e);
    }
    install_lib(&ref_dir.join(LIB_FILE), ref_dir);
    install_lib(&ref_dir.join(LIB_FILE), cld_exe_dir);
    let mut cmd = lib_link_command(&objdir, cld_dir, Some(&shim));
    let cld_lib_ok = match link(&mut cmd, "cld (the shared library)") {
        Ok(_) => {
            install_lib(&cld_dir.join(LIB_FILE), cld_dir);
            install_lib(&cld_dir.join(LIB_FILE), cld_lib_dir);
            let shape = ElfShape {
                elf_type: "DYN",
                interp: false,
                dynamic: true,
            };
            let rep = check_elf(&cld_dir.join(LIB_FILE), &shape, &mut problems);
            if rep.soname.as_deref() != Some(LIB_SONAME) {
                problems.push(format!(
                    "cld's {LIB_FILE}: SONAME is {:?}, expected {LIB_SONAME:?}",
                    rep.soname
                ));
            }
            for sym in [
                "shapes_create",
                "shapes_destroy",
                "shapes_version",
                "_ZN6shapes9tls_callsE",
            ] {
                if !rep.symbols.contains(sym) {
                    problems.push(format!("cld's {LIB_FILE}: symbol {sym} missing"));
                }
            }
            true
        }
        Err(e) => {
            problems.push(format!(
                "{e}\n    (so the cld/ and cld-lib/ combinations cannot run; cld-exe/ still does)"
            ));
            false
        }
    };

    for &(src, with_lib) in SHARED_PROGRAMS {
        let stem = src.trim_end_matches(".cpp");
        let out_file = format!("expected.{stem}.out");
        let status_file = format!("expected.{stem}.status");
        let (expected_out, expected_status) =
            read_expected(&srcdir, &out_file, &status_file).unwrap_or_else(|e| bug(e));
        let expected = (expected_out.as_str(), expected_status);

        // Reference.
        let mut cmd = shared_program_command(&objdir, ref_dir, src, with_lib, None);
        if let Err(e) = link(&mut cmd, "the system linker") {
            bug(e);
        }
        let ref_stdout = run_reference(
            &ref_dir.join(stem),
            &[],
            &[],
            ref_dir,
            expected,
            (&srcdir.join(&out_file), &srcdir.join(&status_file)),
            &mut problems,
        );

        // The combinations with cld.
        let combos: [(&PathBuf, bool, bool); 3] = [
            (cld_dir, true, true),      // cld program, cld library
            (cld_exe_dir, true, false), // cld program, system library
            (cld_lib_dir, false, true), // system program, cld library
        ];
        for (dir, cld_exe, cld_lib) in combos {
            if cld_lib && !cld_lib_ok {
                continue;
            }
            let label = dir.file_name().unwrap().to_string_lossy().into_owned();
            let mut cmd = shared_program_command(
                &objdir,
                dir,
                src,
                with_lib,
                cld_exe.then_some(shim.as_str()),
            );
            if let Err(e) = link(&mut cmd, if cld_exe { "cld" } else { "the system linker" }) {
                problems.push(format!("[{label}] {stem}: {e}"));
                continue;
            }
            let exe = dir.join(stem);
            let (cmd, r) = run_binary(&exe, &[], &[], dir);
            for prob in compare_run(&cmd, &r, expected.0, expected.1, ref_stdout.as_deref()) {
                problems.push(format!(
                    "[{label}: {} program, {} library] {prob}",
                    if cld_exe { "cld" } else { "system" },
                    if cld_lib { "cld" } else { "system" }
                ));
            }
            if cld_exe {
                let shape = ElfShape {
                    elf_type: "DYN",
                    interp: true,
                    dynamic: true,
                };
                let mut elf_problems = Vec::new();
                let rep = check_elf(&exe, &shape, &mut elf_problems);
                if with_lib && !rep.needed.iter().any(|n| n == LIB_SONAME) {
                    elf_problems.push(format!(
                        "no DT_NEEDED {LIB_SONAME}; NEEDED: {:?}",
                        rep.needed
                    ));
                }
                if rep.runpath.as_deref() != Some("$ORIGIN") {
                    elf_problems.push(format!(
                        "RUNPATH/RPATH is {:?}, expected \"$ORIGIN\"",
                        rep.runpath
                    ));
                }
                problems.extend(
                    elf_problems
                        .into_iter()
                        .map(|p| format!("[{label}] {stem}: {p}")),
                );
            }
        }
    }

    eprintln!(
        "cpp_shared_library: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if !problems.is_empty() {
        let mut report = format!(
            "tests/cpp/{SHARED_LIBRARY_DIR}: {} problem(s)\n(work directory: {})\n",
            problems.len(),
            workdir.display()
        );
        for prob in &problems {
            report.push_str("\n* ");
            report.push_str(prob.trim_end());
            report.push('\n');
        }
        panic!("{report}");
    }
}
