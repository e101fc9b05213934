//! Real builds of `examples/cmake-project`, `examples/meson-project` and
//! `examples/ninja-project` through ninja-hook, each: from clean, a no-op
//! rebuild, a rebuild after touching one source, a compile error (and its
//! fix), and (CMake) a regeneration; plus an interrupted build and two
//! builds at once.
//!
//! What is checked: the programs run and print what they should; they were
//! linked by cld (`.comment`); the links overlapped the compiles (each
//! background linker's event log shows inputs ingested before the link was
//! requested); every output is byte-identical to cld's serial link of the
//! same command line; a no-op build prints "no work to do" and starts
//! nothing; after every build (also failed or interrupted ones) no
//! background linker, watchdog or socket is left.
//!
//! The tests run the `ninja-hook` built for them and the `cld` next to it
//! (`target/<profile>/cld`): `cargo test --workspace` builds both; with
//! `cargo test -p ninja-hook`, build cld first (`cargo build -p ld-core`,
//! same profile).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn bin_dir() -> PathBuf {
    let hook = PathBuf::from(env!("CARGO_BIN_EXE_ninja-hook"));
    let dir = hook.parent().unwrap().to_path_buf();
    assert!(
        dir.join("cld").is_file(),
        "{} is missing: build cld with the same profile first (cargo build -p ld-core [--release]), \
         or run cargo test --workspace",
        dir.join("cld").display()
    );
    dir
}

fn require(tool: &str, package: &str) {
    let ok = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "`{tool}` is required: apt-get install {package}");
}

/// One test's world: a work directory and a private cld runtime directory.
struct World {
    work: PathBuf,
    runtime: PathBuf,
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Out {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl World {
    fn new(name: &str) -> World {
        let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("ninja-hook")
            .join(name);
        if work.exists() {
            std::fs::remove_dir_all(&work).unwrap();
        }
        std::fs::create_dir_all(&work).unwrap();
        let runtime = work.join("runtime");
        World { work, runtime }
    }

    fn cmd(&self, prog: &str, dir: &Path) -> Command {
        let mut c = Command::new(prog);
        let path = format!(
            "{}:{}",
            bin_dir().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        c.current_dir(dir)
            .env("PATH", path)
            .env("CLD_RUNTIME_DIR", &self.runtime)
            .env_remove("NINJA_HOOK_DISABLE")
            .env_remove("NINJA_HOOK_VERBOSE")
            .env_remove("MAKEFLAGS")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, mut c: Command) -> Out {
        let what = format!("{c:?}");
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let o = match rx.recv_timeout(Duration::from_secs(240)) {
            Ok(o) => o.unwrap(),
            Err(_) => {
                unsafe { libc_kill(pid as i32, 9) };
                panic!("{what} did not finish in 240 s");
            }
        };
        Out {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    fn ninja(&self, dir: &Path) -> Out {
        self.ninja_targets(dir, &[])
    }

    fn ninja_targets(&self, dir: &Path, targets: &[&str]) -> Out {
        let mut c = self.cmd("ninja", dir);
        // keeprsp: the serial comparison replays links from response files.
        c.args(["-j4", "-d", "keeprsp"]).args(targets);
        self.run(c)
    }

    fn ninja_ok(&self, dir: &Path, what: &str) -> Out {
        let o = self.ninja(dir);
        assert!(
            o.ok,
            "{what}: ninja failed in {}:\n{}",
            dir.display(),
            o.text()
        );
        o
    }

    /// Nothing of this build left: no socket in the runtime directory, no
    /// process (background linker, watchdog, hook) naming the build
    /// directory. Returns how long it took to get there.
    fn assert_nothing_left(&self, builddir: &Path, when: &str) -> Duration {
        let t = Instant::now();
        loop {
            let sockets: Vec<String> = std::fs::read_dir(&self.runtime)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.ends_with(".sock"))
                        .collect()
                })
                .unwrap_or_default();
            let procs = processes_naming(builddir);
            if sockets.is_empty() && procs.is_empty() {
                return t.elapsed();
            }
            if t.elapsed() > Duration::from_secs(5) {
                panic!(
                    "{when}: still there 5 s after the build ended: sockets {sockets:?}, processes {procs:#?}"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// Live processes (not zombies) whose command line names `dir`.
fn processes_naming(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let state = stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next().map(String::from));
        if matches!(state.as_deref(), Some("Z") | Some("X") | None) {
            continue;
        }
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&needle) {
            found.push(format!("{name}: {cmdline}"));
        }
    }
    found
}

fn run_program(p: &Path) -> String {
    let o = Command::new(p)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", p.display()));
    assert!(o.status.success(), "{} failed: {:?}", p.display(), o);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_linked_by_cld(p: &Path) {
    let o = Command::new("readelf")
        .args(["-p", ".comment"])
        .arg(p)
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(
        t.contains("cld"),
        "{} was not linked by cld (.comment: {t})",
        p.display()
    );
}

/// A background linker's event log.
struct Log {
    lines: Vec<(f64, String)>,
}

impl Log {
    fn read(path: &Path) -> Log {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("no event log {}: {e}", path.display()));
        let lines = text
            .lines()
            .filter_map(|l| {
                let mut it = l.splitn(3, ' ');
                let t: f64 = it.next()?.parse().ok()?;
                it.next()?;
                Some((t, it.next()?.to_string()))
            })
            .collect();
        Log { lines }
    }

    fn token(&self) -> String {
        self.lines
            .iter()
            .find_map(|(_, l)| l.strip_prefix("start token="))
            .map(|t| t.split_whitespace().next().unwrap().to_string())
            .unwrap_or_default()
    }

    fn index(&self, prefix: &str) -> Option<usize> {
        self.lines.iter().position(|(_, l)| l.starts_with(prefix))
    }

    /// Inputs (not the fixed ones) ingested before the link was requested.
    fn ingested_before_wait(&self) -> Vec<String> {
        let end = self.index("request wait").unwrap_or(self.lines.len());
        let mut v: Vec<String> = self.lines[..end]
            .iter()
            .filter_map(|(_, l)| l.strip_prefix("ingest-done "))
            .filter(|n| *n != "fixed inputs")
            .map(String::from)
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn span(&self) -> (f64, f64) {
        (
            self.lines.first().map(|l| l.0).unwrap_or(0.0),
            self.lines.last().map(|l| l.0).unwrap_or(0.0),
        )
    }
}

/// An example build: where it is, which programs it makes and what they print.
struct Project<'a> {
    w: &'a World,
    build: PathBuf,
    /// Program path (relative to `build`) -> expected output.
    programs: Vec<(&'static str, &'static str)>,
    /// Shared libraries the build links (relative to `build`).
    libraries: Vec<&'static str>,
}

impl Project<'_> {
    fn log(&self, output: &str) -> PathBuf {
        self.build
            .join(".ninja-hook/logs")
            .join(format!("{}.log", output.replace('/', "__")))
    }

    fn logs(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        if let Ok(rd) = std::fs::read_dir(self.build.join(".ninja-hook/logs")) {
            for e in rd.flatten() {
                m.insert(
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap_or_default(),
                );
            }
        }
        m
    }

    /// The programs run, print what they should, and were linked by cld.
    fn check_programs(&self, when: &str) {
        for (p, expected) in &self.programs {
            let path = self.build.join(p);
            assert_linked_by_cld(&path);
            let got = run_program(&path);
            assert_eq!(&got, expected, "{when}: {p} printed something else");
        }
        for l in &self.libraries {
            assert_linked_by_cld(&self.build.join(l));
        }
    }

    /// `output` was linked by a background linker that had ingested inputs
    /// before the link was requested; returns its token.
    fn check_overlap(&self, output: &str, when: &str, min_before: usize) -> String {
        let log = Log::read(&self.log(output));
        assert!(
            log.index("request wait").is_some() && log.index("link-done").is_some(),
            "{when}: the background linker of {output} was not waited for:\n{:?}",
            log.lines
        );
        assert!(
            log.lines.iter().any(|(_, l)| l == "exit 0"),
            "{when}: the concurrent link of {output} failed: {:?}",
            log.lines
        );
        let before = log.ingested_before_wait();
        assert!(
            before.len() >= min_before,
            "{when}: only {before:?} of {output}'s inputs were ingested before its link was requested \
             (expected at least {min_before}):\n{:#?}",
            log.lines
        );
        log.token()
    }

    /// Every output equals cld's serial link of its command line (taken
    /// from Ninja, with `-B <shim>` instead of the hook).
    fn check_serial_identical(&self, when: &str) {
        let shim = {
            let o = Command::new(bin_dir().join("cld"))
                .arg("--print-shim-dir")
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        };
        for out in self
            .programs
            .iter()
            .map(|p| p.0)
            .chain(self.libraries.iter().copied())
        {
            let mut c = self.w.cmd("ninja", &self.build);
            c.args(["-t", "commands", out]);
            let o = self.w.run(c);
            assert!(o.ok, "ninja -t commands {out}: {}", o.text());
            let last = o.stdout.lines().last().unwrap_or_default().to_string();
            let seg = last
                .split(" && ")
                .find(|s| s.contains("ninja-hook"))
                .unwrap_or_else(|| panic!("no hook in the link command of {out}: {last}"));
            let rest = seg
                .trim()
                .strip_prefix("ninja-hook ")
                .unwrap_or_else(|| panic!("{seg}"));
            let rest = rest
                .strip_prefix("link ")
                .or_else(|| rest.strip_prefix("cc "))
                .unwrap();
            let (driver, args) = rest.split_once(' ').unwrap();
            let serial = format!("{out}.serial");
            let redirect = |text: &str| {
                format!(" {text} ").replacen(&format!(" -o {out} "), &format!(" -o {serial} "), 1)
            };
            let mut args = redirect(args);
            if !args.contains(&serial) {
                // The arguments are in a response file (kept by -d keeprsp).
                let rsp = args
                    .split_whitespace()
                    .find_map(|a| a.strip_prefix('@'))
                    .unwrap_or_else(|| panic!("no -o {out} in {args}"))
                    .to_string();
                let text = std::fs::read_to_string(self.build.join(&rsp)).unwrap();
                let copy = format!("{serial}.rsp");
                std::fs::write(self.build.join(&copy), redirect(&text)).unwrap();
                args = args.replace(&format!("@{rsp}"), &format!("@{copy}"));
                assert!(redirect(&text).contains(&serial), "no -o {out} in {rsp}");
            }
            let script = format!("{driver} -B {shim} {args}");
            let mut c = self.w.cmd("sh", &self.build);
            c.arg("-c").arg(&script);
            let o = self.w.run(c);
            assert!(o.ok, "serial link `{script}` failed: {}", o.text());
            let a = std::fs::read(self.build.join(out)).unwrap();
            let b = std::fs::read(self.build.join(&serial)).unwrap();
            assert!(
                a == b,
                "{when}: {out} differs from cld's serial link of the same command (`{script}`)"
            );
            std::fs::remove_file(self.build.join(&serial)).unwrap();
        }
    }

    fn nothing_left(&self, when: &str) {
        self.w.assert_nothing_left(&self.build, when);
    }

    /// From clean: builds, runs, overlapped, identical, nothing left; the
    /// two programs' background linkers ran at the same time.
    fn clean_build(&self, min_before: usize) {
        let o = self.w.ninja_ok(&self.build, "clean build");
        self.nothing_left("after the clean build");
        self.check_programs("clean build");
        let mut spans = Vec::new();
        for (p, _) in &self.programs {
            self.check_overlap(p, "clean build", min_before);
            spans.push(Log::read(&self.log(p)).span());
        }
        for l in &self.libraries {
            self.check_overlap(l, "clean build", 1);
        }
        // Two programs, one build directory: their background linkers were
        // alive at the same time, and both outputs are right.
        let (a, b) = (spans[0], spans[1]);
        assert!(
            a.0 < b.1 && b.0 < a.1,
            "the two programs' background linkers never ran at the same time: {a:?} {b:?}\n{}",
            o.text()
        );
        self.check_serial_identical("clean build");
    }

    fn noop_build(&self) {
        let before = self.logs();
        let o = self.w.ninja_ok(&self.build, "no-op build");
        assert!(
            o.stdout.contains("ninja: no work to do."),
            "the no-op build did something:\n{}",
            o.text()
        );
        assert_eq!(
            before,
            self.logs(),
            "the no-op build started a background linker"
        );
        self.nothing_left("after the no-op build");
    }

    /// Touch one source of `program`: that compile and that link only,
    /// everything else ingested before the link request.
    fn touch_build(&self, source: &Path, program: &str, other: &str, min_before: usize) {
        let old_token = Log::read(&self.log(program)).token();
        touch(source);
        let o = self
            .w
            .ninja_ok(&self.build, "rebuild after touching a source");
        let text = o.stdout.clone();
        let edges = text.lines().filter(|l| l.starts_with('[')).count();
        assert_eq!(
            edges,
            2,
            "touching {} should recompile it and relink {program} only:\n{text}",
            source.display()
        );
        let token = self.check_overlap(program, "rebuild after touch", min_before);
        assert_ne!(token, old_token, "{program} was not relinked concurrently");
        let log = Log::read(&self.log(program));
        assert!(
            log.lines
                .iter()
                .any(|(_, l)| l.starts_with("event speculative")),
            "the unchanged inputs of {program} were not ingested ahead: {:#?}",
            log.lines
        );
        assert!(
            !self.log(other).exists() || Log::read(&self.log(other)).token() != token,
            "confused logs"
        );
        self.nothing_left("after the rebuild");
        self.check_programs("rebuild after touch");
        self.check_serial_identical("rebuild after touch");
    }

    /// A compile error fails the build and leaves nothing; fixing it builds.
    fn compile_error(&self, source: &Path) {
        let good = std::fs::read_to_string(source).unwrap();
        std::fs::write(
            source,
            format!("{good}\nint broken(void) {{ return ; + }}\n"),
        )
        .unwrap();
        let o = self.w.ninja(&self.build);
        assert!(
            !o.ok && o.stdout.contains("FAILED"),
            "a compile error should fail the build:\n{}",
            o.text()
        );
        self.nothing_left("after the failed build");
        std::fs::write(source, good).unwrap();
        self.w.ninja_ok(&self.build, "build after fixing the error");
        self.nothing_left("after the fixed build");
        self.check_programs("after fixing the error");
        self.check_serial_identical("after fixing the error");
        self.noop_build();
    }
}

impl Project<'_> {
    /// A link error (an undefined symbol) fails the build with cld's
    /// diagnostic and leaves nothing; fixing it builds.
    fn link_error(&self, source: &Path, program: &str) {
        let good = std::fs::read_to_string(source).unwrap();
        std::fs::write(
            source,
            format!("{good}\nint no_such_function(void);\nint call_it(void) {{ return no_such_function(); }}\n"),
        )
        .unwrap();
        let o = self.w.ninja(&self.build);
        assert!(
            !o.ok && o.stdout.contains("undefined symbol: no_such_function"),
            "an undefined symbol should fail the link of {program} with cld's message:\n{}",
            o.text()
        );
        let log = Log::read(&self.log(program));
        assert!(
            log.lines.iter().any(|(_, l)| l == "exit 1"),
            "the failed link was not the background linker's: {:#?}",
            log.lines
        );
        self.nothing_left("after the failed link");
        std::fs::write(source, good).unwrap();
        self.w
            .ninja_ok(&self.build, "build after fixing the link error");
        self.nothing_left("after fixing the link error");
        self.check_programs("after fixing the link error");
        self.check_serial_identical("after fixing the link error");
    }

    /// Building one program: a library object starts the other program's
    /// background linker too, which nobody waits for; it is gone when
    /// Ninja is done. The other program is linked by the next build.
    fn partial_build(&self, library_source: &Path, program: &str, other: &str) {
        touch(library_source);
        let o = self.w.ninja_targets(&self.build, &[program]);
        assert!(o.ok, "ninja {program}: {}", o.text());
        assert!(
            !o.stdout.contains(&format!("{other}\n")),
            "ninja {program} linked {other}:\n{}",
            o.text()
        );
        self.nothing_left("after a partial build");
        let o = self.w.ninja_ok(&self.build, "build after a partial one");
        assert!(
            o.stdout.contains(other),
            "{other} was not relinked:\n{}",
            o.text()
        );
        self.nothing_left("after the build that followed a partial one");
        self.check_programs("after a partial build");
        self.check_serial_identical("after a partial build");
    }
}

fn touch(p: &Path) {
    // A new mtime, past the outputs' (whatever the file system's
    // timestamp granularity).
    std::thread::sleep(Duration::from_millis(20));
    let f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
    f.set_modified(std::time::SystemTime::now()).unwrap();
}

const CMAKE_STATS: &str =
    "== stats ==\nchecksum     e57284d299c05d78\nweight       5.470079\nlines 3\n";
const CMAKE_RENDER: &str =
    "== render ==\nchecksum     b644c859e380c7f1\nweight       7.410202\nlines 3\n";
const MESON_STATS: &str =
    "== stats ==\nchecksum     f5e3f8756e39e0be\nweight       4.166633\nlines 3\n";
const MESON_RENDER: &str =
    "== render ==\nchecksum     b9163f94463f7ee0\nweight       5.699860\nlines 3\n";
const NINJA_STATS: &str =
    "== stats ==\nchecksum     5198a052419d1a81\nweight       3.193917\nlines 3\n";
const NINJA_RENDER: &str =
    "== render ==\nchecksum     991049ed2028d208\nweight       4.368858\nlines 3\n";

/// A scratch copy of an example (the tests touch and break its sources).
fn copy_example(w: &World, name: &str) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let t = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &t);
            } else {
                std::fs::copy(e.path(), &t).unwrap();
            }
        }
    }
    let dst = w.work.join("src");
    copy(&repo().join("examples").join(name), &dst);
    dst
}

fn cmake_configure(w: &World, src: &Path, build: &Path) {
    let mut c = w.cmd("cmake", &w.work);
    c.args(["-G", "Ninja", "-S"])
        .arg(src)
        .arg("-B")
        .arg(build)
        .arg("-DCMAKE_C_COMPILER_LAUNCHER=ninja-hook;cc")
        .arg("-DCMAKE_C_LINKER_LAUNCHER=ninja-hook;link");
    let o = w.run(c);
    assert!(o.ok, "cmake failed:\n{}", o.text());
}

#[test]
fn cmake_project() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let w = World::new("cmake");
    let src = copy_example(&w, "cmake-project");
    let build = w.work.join("build");
    cmake_configure(&w, &src, &build);
    let p = Project {
        w: &w,
        build: build.clone(),
        programs: vec![("stats", CMAKE_STATS), ("render", CMAKE_RENDER)],
        libraries: vec!["libreport.so"],
    };
    // 6 objects + libmodel.a + libreport.so per program.
    p.clean_build(4);
    p.noop_build();
    p.touch_build(&src.join("tools/stats/part_2.c"), "stats", "render", 6);
    p.noop_build();

    // Regeneration: CMake rewrites build.ninja; the launchers live in its
    // cache, so the next build still links concurrently.
    touch(&src.join("CMakeLists.txt"));
    let o = w.ninja_ok(&build, "build after touching CMakeLists.txt");
    assert!(
        o.stdout.contains("Re-running CMake"),
        "touching CMakeLists.txt did not regenerate:\n{}",
        o.text()
    );
    p.nothing_left("after the regeneration");
    p.noop_build();
    p.touch_build(&src.join("tools/render/part_1.c"), "render", "stats", 6);

    p.compile_error(&src.join("tools/render/part_3.c"));
}

#[test]
fn meson_project() {
    require("meson", "meson");
    require("ninja", "ninja-build");
    let w = World::new("meson");
    let src = copy_example(&w, "meson-project");
    let build = w.work.join("build");
    let mut c = w.cmd("meson", &w.work);
    c.env("CC", "ninja-hook cc gcc")
        .arg("setup")
        .arg(&build)
        .arg(&src);
    let o = w.run(c);
    assert!(o.ok, "meson setup failed:\n{}", o.text());
    let p = Project {
        w: &w,
        build: build.clone(),
        programs: vec![("stats", MESON_STATS), ("render", MESON_RENDER)],
        libraries: vec!["libreport.so"],
    };
    // 4 objects + libmodel.a + libreport.so per program.
    p.clean_build(3);
    p.noop_build();
    p.touch_build(&src.join("tools/stats/part_2.c"), "stats", "render", 5);
    p.noop_build();

    // Regeneration: CC lives in Meson's configuration.
    touch(&src.join("meson.build"));
    let o = w.ninja_ok(&build, "build after touching meson.build");
    assert!(
        o.stdout.contains("Regenerating build files"),
        "touching meson.build did not regenerate:\n{}",
        o.text()
    );
    p.nothing_left("after the regeneration");
    p.noop_build();
    p.touch_build(&src.join("tools/render/part_1.c"), "render", "stats", 5);

    p.compile_error(&src.join("tools/render/part_3.c"));

    // Long command lines go through response files (forced here).
    let build = w.work.join("build-rsp");
    let mut c = w.cmd("meson", &w.work);
    c.env("CC", "ninja-hook cc gcc")
        .env("MESON_RSP_THRESHOLD", "0")
        .arg("setup")
        .arg(&build)
        .arg(&src);
    let o = w.run(c);
    assert!(o.ok, "meson setup failed:\n{}", o.text());
    let manifest = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(
        manifest.contains("ninja-hook cc gcc @$out.rsp"),
        "no response files"
    );
    let p = Project {
        w: &w,
        build,
        programs: vec![("stats", MESON_STATS), ("render", MESON_RENDER)],
        libraries: vec!["libreport.so"],
    };
    p.clean_build(3);
    p.noop_build();
    p.touch_build(&src.join("tools/stats/part_3.c"), "stats", "render", 5);
}

#[test]
fn ninja_project() {
    require("ninja", "ninja-build");
    let w = World::new("ninja");
    let src = copy_example(&w, "ninja-project");
    let p = Project {
        w: &w,
        build: src.clone(),
        programs: vec![("out/stats", NINJA_STATS), ("out/render", NINJA_RENDER)],
        libraries: vec!["out/libreport.so"],
    };
    // 3 objects + libmodel.a + libreport.so per program.
    p.clean_build(3);
    p.noop_build();
    p.touch_build(
        &src.join("tools/stats/part_2.c"),
        "out/stats",
        "out/render",
        4,
    );
    p.noop_build();
    p.compile_error(&src.join("tools/render/part_1.c"));
    p.link_error(&src.join("tools/stats/part_1.c"), "out/stats");
    p.partial_build(&src.join("model/step_01.c"), "out/stats", "out/render");
    p.noop_build();
}

/// SIGINT to Ninja while a compile runs (the user's Ctrl-C): the build
/// stops, and no background linker or watchdog is left.
#[test]
fn interrupted_build() {
    require("ninja", "ninja-build");
    let w = World::new("interrupted");
    let src = copy_example(&w, "ninja-project");
    // A compiler that takes its time with one file.
    let slow = src.join("slowcc");
    std::fs::write(
        &slow,
        "#!/bin/sh\ncase \"$*\" in *part_2.c*) sleep 60;; esac\nexec gcc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&slow, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let manifest = std::fs::read_to_string(src.join("build.ninja")).unwrap();
    std::fs::write(
        src.join("build.ninja"),
        manifest.replace("cc = gcc\n", &format!("cc = {}\n", slow.display())),
    )
    .unwrap();
    let mut c = w.cmd("ninja", &src);
    c.arg("-j4").stdout(Stdio::null()).stderr(Stdio::null());
    let ninja = c.spawn().unwrap();
    // Whatever happens, this Ninja does not outlive the test.
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            if let Ok(None) = self.0.try_wait() {
                unsafe { libc_kill(self.0.id() as i32, 2) };
                std::thread::sleep(Duration::from_millis(500));
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
    }
    let mut ninja = Reap(ninja);
    // Wait until the background linkers run (sockets) and only the slow
    // compiles are left.
    let t = Instant::now();
    loop {
        let socks = std::fs::read_dir(&w.runtime)
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".sock"))
                    .count()
            })
            .unwrap_or(0);
        if socks >= 2 && src.join("out/obj/render/main.o").exists() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the background linkers did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    unsafe { libc_kill(ninja.0.id() as i32, 2) };
    let status = ninja.0.wait().unwrap();
    assert!(!status.success(), "the interrupted build succeeded");
    w.assert_nothing_left(&src, "after the interrupted build");
    // The next build (with the normal compiler) finishes the job.
    std::fs::write(src.join("build.ninja"), manifest).unwrap();
    let p = Project {
        w: &w,
        build: src.clone(),
        programs: vec![("out/stats", NINJA_STATS), ("out/render", NINJA_RENDER)],
        libraries: vec!["out/libreport.so"],
    };
    w.ninja_ok(&src, "build after the interrupted one");
    p.nothing_left("after the build that followed the interruption");
    p.check_programs("after the interruption");
    p.check_serial_identical("after the interruption");
}

/// Two build directories of one project built at the same time (same
/// runtime directory): both right, nothing left.
#[test]
fn two_builds_at_once() {
    require("cmake", "cmake");
    require("ninja", "ninja-build");
    let w = World::new("two-builds");
    let src = copy_example(&w, "cmake-project");
    let (b1, b2) = (w.work.join("build-1"), w.work.join("build-2"));
    cmake_configure(&w, &src, &b1);
    cmake_configure(&w, &src, &b2);
    let mut c1 = w.cmd("ninja", &b1);
    let mut c2 = w.cmd("ninja", &b2);
    c1.arg("-j2").stdout(Stdio::piped()).stderr(Stdio::piped());
    c2.arg("-j2").stdout(Stdio::piped()).stderr(Stdio::piped());
    let (h1, h2) = (c1.spawn().unwrap(), c2.spawn().unwrap());
    let (o1, o2) = (
        h1.wait_with_output().unwrap(),
        h2.wait_with_output().unwrap(),
    );
    assert!(o1.status.success(), "build 1: {o1:?}");
    assert!(o2.status.success(), "build 2: {o2:?}");
    for b in [&b1, &b2] {
        let p = Project {
            w: &w,
            build: b.clone(),
            programs: vec![("stats", CMAKE_STATS), ("render", CMAKE_RENDER)],
            libraries: vec!["libreport.so"],
        };
        p.nothing_left("after two builds at once");
        p.check_programs("two builds at once");
        for (prog, _) in &p.programs {
            p.check_overlap(prog, "two builds at once", 4);
        }
        p.check_serial_identical("two builds at once");
    }
}
