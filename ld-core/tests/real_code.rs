//! Real-code tests: Lua 5.4, SQLite and bzip2, compiled with gcc and linked
//! by cld (through `gcc -B SHIMDIR`, where `SHIMDIR/ld` is cld), then run.
//!
//! The C sources come from crates.io crates only (`lua-src`,
//! `libsqlite3-sys` with `bundled`, `bzip2-sys`), downloaded by
//! `tests/real/fetch-sources.sh` (`cargo fetch` of `tests/real/fetch`).
//! `CLD_LUA_SRC`, `CLD_SQLITE_SRC` and `CLD_BZIP2_SRC` override where they are.
//!
//! - Lua: the library is compiled into `liblua.a`, linked with
//!   `tests/real/lua/host.c`, PIE and `-static`, by the system linker and by
//!   cld; `host test.lua` must print `tests/real/lua/expected.out` with
//!   either, and an uncaught error must be reported identically. Again with
//!   `-flto` (`lua_lto`): cld runs gcc's LTO plugin; no IR may reach the output.
//! - SQLite: `sqlite3.c` + `tests/real/sqlite/driver.c`, PIE and `-static`,
//!   both linkers; output must equal `tests/real/sqlite/expected.out`.
//! - bzip2: built by its own Makefile with `LDFLAGS="-B SHIMDIR"` (PIE, then
//!   `-static`); its own `make check` must pass.
//!
//! Every output of cld must pass `readelf -aW` with nothing on stderr and no
//! `Warning`, and must name cld in its `.comment` section.
//!
//! `CLD_TEST_LINKER=/usr/bin/ld` makes the shim point at another linker
//! instead of cld (to validate the tests themselves); the `.comment` check
//! is then skipped. `CLD_UPDATE_EXPECTED=1` rewrites the expected outputs
//! from the system-linked programs.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::Instant;

/// Seconds any program built here may run before it is considered hung.
const RUN_TIMEOUT: &str = "120";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ld-core has a parent directory")
        .to_path_buf()
}

/// The linker the shim runs: cld, or `CLD_TEST_LINKER` when set.
fn linker_under_test() -> (PathBuf, bool) {
    match std::env::var_os("CLD_TEST_LINKER") {
        Some(l) if !l.is_empty() => (PathBuf::from(l), false),
        _ => (PathBuf::from(env!("CARGO_BIN_EXE_cld")), true),
    }
}

/// Where the C sources are, from the environment or `fetch-sources.sh`.
fn sources() -> &'static HashMap<String, PathBuf> {
    static SOURCES: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let keys = ["CLD_LUA_SRC", "CLD_SQLITE_SRC", "CLD_BZIP2_SRC"];
        let mut map = HashMap::new();
        if keys.iter().all(|k| std::env::var_os(k).is_some()) {
            for k in keys {
                map.insert(k.to_string(), PathBuf::from(std::env::var_os(k).unwrap()));
            }
            return map;
        }
        let script = repo_root().join("tests/real/fetch-sources.sh");
        let out = run_checked(Command::new("bash").arg(&script), "fetch C sources");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(rest) = line.strip_prefix("export ") else {
                continue;
            };
            let Some((k, v)) = rest.split_once('=') else {
                continue;
            };
            // The script prints values with `printf %q`; registry paths need
            // no quoting except for an occasional `+` which %q escapes.
            let v = v.replace('\\', "");
            map.insert(k.to_string(), PathBuf::from(v));
        }
        for k in keys {
            let dir = map
                .get(k)
                .unwrap_or_else(|| panic!("{script:?} did not print {k}"));
            assert!(dir.is_dir(), "{k}={dir:?} is not a directory");
        }
        map
    })
}

fn source(key: &str) -> PathBuf {
    sources()[key].clone()
}

/// A fresh work directory for one test.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("real_code")
        .join(name);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("remove {dir:?}: {e}"));
    }
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {dir:?}: {e}"));
    dir
}

/// `DIR/shim/ld` -> the linker under test; returns the shim directory.
fn make_shim(dir: &Path) -> PathBuf {
    let shim = dir.join("shim");
    fs::create_dir_all(&shim).unwrap();
    let (linker, _) = linker_under_test();
    std::os::unix::fs::symlink(&linker, shim.join("ld"))
        .unwrap_or_else(|e| panic!("symlink {linker:?}: {e}"));
    shim
}

fn describe(cmd: &Command) -> String {
    let mut s = String::new();
    if let Some(dir) = cmd.get_current_dir() {
        s.push_str(&format!("(cd {}) ", dir.display()));
    }
    s.push_str(&cmd.get_program().to_string_lossy());
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null());
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", describe(cmd)))
}

/// Run, and panic with the full output if the command fails.
fn run_checked(cmd: &mut Command, what: &str) -> Output {
    let out = run(cmd);
    if !out.status.success() {
        panic!(
            "{what} failed ({}):\n  {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            out.status,
            describe(cmd),
            tail(&out.stdout),
            tail(&out.stderr)
        );
    }
    out
}

/// The last 8 KiB of some output, for failure messages.
fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    if s.len() > 8192 {
        let mut start = s.len() - 8192;
        while !s.is_char_boundary(start) {
            start += 1;
        }
        format!("[...]{}", &s[start..])
    } else {
        s.into_owned()
    }
}

/// Compile C files to objects in `out_dir`, on as many threads as there are
/// CPUs. Returns the object paths in the order of `sources`.
fn compile_all(sources: &[PathBuf], flags: &[String], out_dir: &Path) -> Vec<PathBuf> {
    let jobs = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .max(1);
    let objects: Vec<PathBuf> = sources
        .iter()
        .map(|s| out_dir.join(s.file_stem().unwrap()).with_extension("o"))
        .collect();
    let pairs: Vec<(PathBuf, PathBuf)> = sources
        .iter()
        .cloned()
        .zip(objects.iter().cloned())
        .collect();
    let chunk = pairs.len().div_ceil(jobs).max(1);
    thread::scope(|scope| {
        for part in pairs.chunks(chunk) {
            scope.spawn(move || {
                for (src, obj) in part {
                    let mut cmd = Command::new("gcc");
                    cmd.args(flags).arg("-c").arg(src).arg("-o").arg(obj);
                    run_checked(&mut cmd, "compile");
                }
            });
        }
    });
    objects
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Pie,
    Static,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Pie => "pie",
            Mode::Static => "static",
        }
    }
    fn flags(self) -> &'static [&'static str] {
        match self {
            Mode::Pie => &[],
            Mode::Static => &["-static"],
        }
    }
}

/// Link `inputs` with gcc into `output`, with the system linker (`shim` =
/// None) or through the shim directory.
fn link(output: &Path, inputs: &[PathBuf], libs: &[&str], mode: Mode, shim: Option<&Path>) {
    let mut cmd = Command::new("gcc");
    if let Some(shim) = shim {
        cmd.arg("-B").arg(shim);
    }
    cmd.args(mode.flags())
        .arg("-o")
        .arg(output)
        .args(inputs)
        .args(libs);
    let what = format!(
        "link {} ({})",
        output.display(),
        if shim.is_some() {
            "linker under test"
        } else {
            "system linker"
        }
    );
    let out = run_checked(&mut cmd, &what);
    let size = fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 0,
        "{what}: the link reported success but {} is missing or empty\n  {}\n{}",
        output.display(),
        describe(&cmd),
        tail(&out.stderr)
    );
    eprintln!(
        "{what}: ok{}",
        if out.stderr.is_empty() {
            String::new()
        } else {
            format!(", stderr:\n{}", tail(&out.stderr))
        }
    );
}

/// `readelf -aW` must succeed with nothing on stderr and no `Warning`.
fn check_readelf(path: &Path) {
    let out = run(Command::new("readelf").arg("-aW").arg(path));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let warnings: Vec<&str> = stdout.lines().filter(|l| l.contains("Warning")).collect();
    assert!(
        out.status.success() && stderr.is_empty() && warnings.is_empty(),
        "readelf -aW {} complains (status {}):\n--- stderr ---\n{}\n--- Warning lines ---\n{}",
        path.display(),
        out.status,
        tail(&out.stderr),
        warnings.join("\n")
    );
}

/// The output must name cld in `.comment` (unless another linker is under
/// test), so the tests cannot pass silently with the system linker.
fn check_comment(path: &Path) {
    let (linker, is_cld) = linker_under_test();
    if !is_cld {
        eprintln!(
            "CLD_TEST_LINKER={}: skipping the .comment check for {}",
            linker.display(),
            path.display()
        );
        return;
    }
    let out = run(Command::new("readelf").arg("-p").arg(".comment").arg(path));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("cld"),
        "{}: .comment does not mention cld, so cld probably did not link it:\n{}{}",
        path.display(),
        text,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ELF file type as printed by `readelf -h` (`EXEC`, `DYN`).
fn elf_type(path: &Path) -> String {
    let out = run_checked(Command::new("readelf").arg("-hW").arg(path), "readelf -h");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Type:")
                .map(|t| t.split_whitespace().next().unwrap_or("").to_string())
        })
        .unwrap_or_default()
}

/// Checks every output of the linker under test gets.
fn check_output(path: &Path) {
    check_readelf(path);
    check_comment(path);
}

/// Run a program (with a timeout) and return its output.
fn run_program(program: &Path, args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("timeout");
    cmd.arg(RUN_TIMEOUT)
        .arg(program)
        .args(args)
        .current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn assert_same_run(what: &str, reference: &Output, tested: &Output) {
    assert_eq!(
        reference.status.code(),
        tested.status.code(),
        "{what}: exit status differs (system linker: {}, linker under test: {})\n--- stderr (under test) ---\n{}",
        reference.status,
        tested.status,
        tail(&tested.stderr)
    );
    if reference.stdout != tested.stdout {
        panic!(
            "{what}: stdout differs\n--- system linker ---\n{}\n--- linker under test ---\n{}\n--- stderr (under test) ---\n{}",
            tail(&reference.stdout),
            tail(&tested.stdout),
            tail(&tested.stderr)
        );
    }
    assert_eq!(
        String::from_utf8_lossy(&reference.stderr),
        String::from_utf8_lossy(&tested.stderr),
        "{what}: stderr differs"
    );
}

/// Compare stdout with an expected file (or rewrite it with CLD_UPDATE_EXPECTED=1).
fn check_expected(what: &str, out: &Output, expected: &Path) {
    assert!(!out.stdout.is_empty(), "{what}: printed nothing");
    if std::env::var_os("CLD_UPDATE_EXPECTED").is_some_and(|v| v == "1") {
        fs::write(expected, &out.stdout).unwrap();
        eprintln!("{what}: rewrote {}", expected.display());
        return;
    }
    let want = fs::read(expected).unwrap_or_else(|e| panic!("read {}: {e}", expected.display()));
    if want != out.stdout {
        panic!(
            "{what}: output differs from {}\n--- expected ---\n{}\n--- got ---\n{}",
            expected.display(),
            tail(&want),
            tail(&out.stdout)
        );
    }
}

fn c_files(dir: &Path, exclude: &[&str]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir:?}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter(|p| !exclude.contains(&p.file_name().unwrap().to_str().unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn lua() {
    lua_linked("lua", &[]);
}

/// Lua compiled with `-flto` (GIMPLE in `liblua.a`): cld runs gcc's LTO
/// plugin, and the program must behave as GNU ld's LTO link does.
#[test]
fn lua_lto() {
    lua_linked("lua-lto", &["-flto"]);
}

/// Lua built with `extra` flags (compiling and linking), linked PIE and
/// `-static` by the system linker and by cld, run and compared.
fn lua_linked(name: &str, extra: &[&str]) {
    let t0 = Instant::now();
    let lua_src = source("CLD_LUA_SRC");
    let work = workdir(name);
    let shim = make_shim(&work);
    let test_dir = repo_root().join("tests/real/lua");

    // The library (lua.c and luac.c are the stand-alone programs, not library).
    let lib_sources = c_files(&lua_src, &["lua.c", "luac.c", "onelua.c"]);
    assert!(
        lib_sources.len() >= 30,
        "only {} Lua sources in {lua_src:?}",
        lib_sources.len()
    );
    let mut all_sources = lib_sources.clone();
    all_sources.push(test_dir.join("host.c"));
    let flags: Vec<String> = ["-O2", "-g", "-std=gnu99", "-Wall", "-DLUA_USE_POSIX"]
        .iter()
        .chain(extra)
        .map(|s| s.to_string())
        .chain([format!("-I{}", lua_src.display())])
        .collect();
    let obj_dir = work.join("obj");
    fs::create_dir_all(&obj_dir).unwrap();
    let mut objects = compile_all(&all_sources, &flags, &obj_dir);
    let host_o = objects.pop().unwrap();
    let liblua = work.join("liblua.a");
    run_checked(
        Command::new("ar").arg("rcs").arg(&liblua).args(&objects),
        "ar",
    );
    eprintln!(
        "{name}: compiled {} files in {:?}",
        all_sources.len(),
        t0.elapsed()
    );

    fs::copy(test_dir.join("test.lua"), work.join("test.lua")).unwrap();
    fs::copy(test_dir.join("error.lua"), work.join("error.lua")).unwrap();
    let env = [
        ("TZ", "UTC"),
        ("CLD_LUA_TEST_VAR", "hello-from-env"),
        ("LC_ALL", "C"),
    ];
    let inputs = [host_o, liblua];
    let mut libs = vec!["-lm", "-O2"];
    libs.extend(extra);

    for mode in [Mode::Pie, Mode::Static] {
        let sys_exe = work.join(format!("host-{}-system", mode.name()));
        let cld_exe = work.join(format!("host-{}-cld", mode.name()));
        link(&sys_exe, &inputs, &libs, mode, None);
        link(&cld_exe, &inputs, &libs, mode, Some(&shim));
        check_output(&cld_exe);
        let sections = run_checked(Command::new("readelf").arg("-SW").arg(&cld_exe), "readelf");
        assert!(
            !String::from_utf8_lossy(&sections.stdout).contains(".gnu.lto_"),
            "{name}: IR sections in {}",
            cld_exe.display()
        );
        assert_eq!(
            elf_type(&sys_exe),
            elf_type(&cld_exe),
            "{mode:?}: ELF type differs"
        );

        let what = format!("{name} {}", mode.name());
        let sys = run_program(&sys_exe, &["test.lua", "io-system.tmp"], &work, &env);
        let cld = run_program(&cld_exe, &["test.lua", "io-cld.tmp"], &work, &env);
        assert!(
            sys.status.success(),
            "{what} (system linker) failed: {}\n{}",
            sys.status,
            tail(&sys.stderr)
        );
        assert_same_run(&what, &sys, &cld);
        check_expected(&what, &sys, &test_dir.join("expected.out"));

        // An uncaught error goes through longjmp and the traceback code.
        let what = format!("{name} {} error.lua", mode.name());
        let sys = run_program(&sys_exe, &["error.lua"], &work, &env);
        let cld = run_program(&cld_exe, &["error.lua"], &work, &env);
        assert_eq!(sys.status.code(), Some(1), "{what}: expected status 1");
        assert_eq!(String::from_utf8_lossy(&sys.stdout), "before the error\n");
        assert!(
            String::from_utf8_lossy(&sys.stderr).contains("error.lua:4: boom at depth 3"),
            "{what}: unexpected message {}",
            String::from_utf8_lossy(&sys.stderr)
        );
        assert_same_run(&what, &sys, &cld);
    }
    eprintln!("{name}: done in {:?}", t0.elapsed());
}

#[test]
fn sqlite() {
    let t0 = Instant::now();
    let sqlite_src = source("CLD_SQLITE_SRC");
    let work = workdir("sqlite");
    let shim = make_shim(&work);
    let test_dir = repo_root().join("tests/real/sqlite");

    let flags: Vec<String> = [
        "-O1",
        "-DSQLITE_THREADSAFE=1",
        "-DSQLITE_OMIT_LOAD_EXTENSION",
        &format!("-I{}", sqlite_src.display()),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let obj_dir = work.join("obj");
    fs::create_dir_all(&obj_dir).unwrap();
    let objects = compile_all(
        &[test_dir.join("driver.c"), sqlite_src.join("sqlite3.c")],
        &flags,
        &obj_dir,
    );
    eprintln!("sqlite: compiled in {:?}", t0.elapsed());

    let libs = ["-lm", "-lpthread"];
    for mode in [Mode::Pie, Mode::Static] {
        let sys_exe = work.join(format!("driver-{}-system", mode.name()));
        let cld_exe = work.join(format!("driver-{}-cld", mode.name()));
        link(&sys_exe, &objects, &libs, mode, None);
        link(&cld_exe, &objects, &libs, mode, Some(&shim));
        check_output(&cld_exe);
        assert_eq!(
            elf_type(&sys_exe),
            elf_type(&cld_exe),
            "{mode:?}: ELF type differs"
        );

        let what = format!("sqlite {}", mode.name());
        let sys = run_program(
            &sys_exe,
            &[&format!("{}-system.db", mode.name())],
            &work,
            &[],
        );
        let cld = run_program(&cld_exe, &[&format!("{}-cld.db", mode.name())], &work, &[]);
        assert!(
            sys.status.success(),
            "{what} (system linker) failed: {}\n{}",
            sys.status,
            tail(&sys.stderr)
        );
        assert_same_run(&what, &sys, &cld);
        check_expected(&what, &sys, &test_dir.join("expected.out"));
    }
    eprintln!("sqlite: done in {:?}", t0.elapsed());
}

#[test]
fn bzip2() {
    let t0 = Instant::now();
    let bzip2_src = source("CLD_BZIP2_SRC");
    let work = workdir("bzip2");
    let shim = make_shim(&work);
    let build = work.join("bzip2");
    run_checked(
        Command::new("cp").arg("-R").arg(&bzip2_src).arg(&build),
        "copy bzip2 sources",
    );
    // The registry copy is read-only; make the build tree writable.
    run_checked(
        Command::new("chmod").arg("-R").arg("u+w").arg(&build),
        "chmod",
    );

    let make = |args: &[&str], ldflags: &str, what: &str| -> Output {
        let mut cmd = Command::new("timeout");
        cmd.arg("600")
            .arg("make")
            .args(args)
            .arg("CC=gcc")
            .arg(format!("LDFLAGS={ldflags}"))
            .current_dir(&build);
        run_checked(&mut cmd, what)
    };

    for mode in [Mode::Pie, Mode::Static] {
        let ldflags = format!("-B {} {}", shim.display(), mode.flags().join(" "));
        let what = format!("bzip2 {}", mode.name());
        // Objects and libbz2.a are built once; only the programs are relinked.
        let _ = fs::remove_file(build.join("bzip2"));
        let _ = fs::remove_file(build.join("bzip2recover"));
        // `all` builds libbz2.a, bzip2 and bzip2recover and runs the self-test.
        make(&["-j2", "all"], &ldflags, &format!("{what}: make all"));
        for exe in ["bzip2", "bzip2recover"] {
            let size = fs::metadata(build.join(exe)).map(|m| m.len()).unwrap_or(0);
            assert!(
                size > 0,
                "{what}: make succeeded but {exe} is missing or empty"
            );
        }
        let check = make(&["check"], &ldflags, &format!("{what}: make check"));
        let text = String::from_utf8_lossy(&check.stdout);
        assert!(
            text.contains("cmp sample3.tst sample3.ref"),
            "{what}: make check did not run the comparisons:\n{text}"
        );

        for exe in ["bzip2", "bzip2recover"] {
            check_output(&build.join(exe));
        }
        let ty = elf_type(&build.join("bzip2"));
        assert_eq!(
            ty,
            if mode == Mode::Static { "EXEC" } else { "DYN" },
            "{what}: ELF type"
        );

        // bzip2recover on a sample: the recovered block must decompress to the reference.
        let rec = work.join(format!("recover-{}", mode.name()));
        fs::create_dir_all(&rec).unwrap();
        fs::copy(build.join("sample1.bz2"), rec.join("sample1.bz2")).unwrap();
        let out = run_program(&build.join("bzip2recover"), &["sample1.bz2"], &rec, &[]);
        assert!(
            out.status.success(),
            "{what}: bzip2recover failed: {}\n{}",
            out.status,
            tail(&out.stderr)
        );
        let out = run_program(
            &build.join("bzip2"),
            &["-dc", "rec00001sample1.bz2"],
            &rec,
            &[],
        );
        assert!(
            out.status.success(),
            "{what}: decompressing the recovered block failed: {}",
            tail(&out.stderr)
        );
        let reference = fs::read(build.join("sample1.ref")).unwrap();
        assert!(
            out.stdout == reference,
            "{what}: recovered data differs from sample1.ref"
        );
    }
    eprintln!("bzip2: done in {:?}", t0.elapsed());
}
