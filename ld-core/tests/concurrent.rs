//! End-to-end tests of the concurrent protocol (`--start-concurrent`,
//! `--concurrent-pipe`, `--concurrent-inotify`, `--concurrent-wait`, ...).
//!
//! A generated C program of `N` objects (cross-object calls, data
//! relocations pointing across objects, strings, a TLS variable) plus a
//! non-concurrent `main.o` and static archive `libaux.a` is compiled once
//! into a staging directory and linked serially by cld: that output is the
//! reference. Every concurrent link starts a background linker (through
//! `gcc -B <shim> -Wl,...`) in a fresh run directory, makes the objects
//! appear there in a pseudo-random order (FIFO reports, inotify: copy,
//! rename into place, touch), then calls `cld --concurrent-wait`; its output
//! must be byte-identical to the reference and run correctly. Faults
//! (SIGKILL, abort, idle timeout, unknown names, status, command-line
//! errors, link errors, unsafe runtime directories) must fail cleanly.
//!
//! Each test uses its own `CLD_RUNTIME_DIR` (a fresh 0700 directory) so
//! leftovers (sockets, FIFOs, processes) can be checked.
//!
//! These tests are about cld itself: the shim always points at cld, even with
//! `CLD_TEST_LINKER` set (the expected program output comes from the system
//! linker either way).

mod common;

use common::*;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Number of concurrent objects in the generated program.
const N: usize = 200;
const TIMEOUT: Duration = Duration::from_secs(60);
const O_NONBLOCK: i32 = 0o4000;
/// Timed serial links of the reference.
const SERIAL_RUNS: usize = 9;

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// The test that measures the tail latency runs alone (`exclusive`); the
/// others may run together (`shared`), so that they do not disturb its
/// timings on a small machine.
static QUIET: RwLock<()> = RwLock::new(());

fn exclusive() -> RwLockWriteGuard<'static, ()> {
    QUIET.write().unwrap_or_else(|e| e.into_inner())
}

fn shared() -> RwLockReadGuard<'static, ()> {
    QUIET.read().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------
// Small utilities.

/// Seeded linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn new(seed: u64) -> Self {
        let mut g = Lcg(seed ^ 0x9e37_79b9_7f4a_7c15);
        g.next();
        g
    }
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

fn obj(i: usize) -> String {
    format!("m{i:03}.o")
}

fn run(cmd: &mut Command) -> (RunResult, String) {
    run_shown(cmd, TIMEOUT)
}

/// Like [`run`], but blocks in wait() instead of polling, so that the
/// elapsed time is exact (for the timings and the waits).
fn run_precise(cmd: &mut Command) -> (RunResult, String) {
    let shown = show_command(cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let t = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("TEST BUG: cannot run {shown}: {e}"));
    let pid = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let (out, timed_out) = match rx.recv_timeout(TIMEOUT) {
        Ok(out) => (out, false),
        Err(_) => {
            // SAFETY: plain syscall; the child is not reaped before the
            // waiting thread returns, so the pid is still ours.
            unsafe {
                kill(pid, 9);
            }
            (rx.recv().unwrap(), true)
        }
    };
    let elapsed = t.elapsed();
    let out = out.unwrap_or_else(|e| panic!("TEST BUG: waiting for {shown}: {e}"));
    let r = RunResult {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        timed_out,
        elapsed,
    };
    (r, shown)
}

fn must_succeed(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

/// A fresh run directory with its own 0700 runtime directory `rt`.
fn fresh_run(name: &str) -> (PathBuf, PathBuf) {
    let dir = fresh_work_dir("concurrent", name);
    let rt = dir.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    (dir, rt)
}

/// Names in the runtime directory (sockets, logs) left behind.
fn leftovers(rt: &Path) -> Vec<String> {
    listing(rt)
}

/// Live processes other than this one whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|c| c.is_ascii_digit()) || name == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(needle) && pid_alive(name.parse().unwrap_or(0)) {
            out.push(format!("{name}: {cmdline}"));
        }
    }
    out
}

/// `cld --concurrent-<op>=TOKEN [extra]` with the given runtime directory.
fn control(rt: &Path, op: &str, token: &str, extra: &[&str]) -> (RunResult, String) {
    let mut cmd = Command::new(cld_binary());
    cmd.arg(format!("--concurrent-{op}={token}"))
        .args(extra)
        .env("CLD_RUNTIME_DIR", rt);
    run_precise(&mut cmd)
}

/// Writes `name\0` to the FIFO, opened non-blocking like a build tool should.
struct FifoWriter {
    path: PathBuf,
    /// Keep one descriptor open, or open/close per report like `printf > p`.
    file: Option<std::fs::File>,
}

impl FifoWriter {
    fn open(path: &Path) -> std::fs::File {
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(path)
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open the FIFO {} for writing (no background linker?): {e}",
                    path.display()
                )
            })
    }
    fn new(path: &Path, keep_open: bool) -> Self {
        FifoWriter {
            path: path.to_path_buf(),
            file: keep_open.then(|| Self::open(path)),
        }
    }
    fn report(&mut self, name: &str) {
        if let Err(e) = self.try_report(name) {
            panic!("writing to the FIFO failed: {e}");
        }
    }
    fn try_report(&mut self, name: &str) -> std::io::Result<()> {
        let mut msg = name.as_bytes().to_vec();
        msg.push(0);
        let mut once;
        let f = match &mut self.file {
            Some(f) => f,
            None => {
                once = Self::open(&self.path);
                &mut once
            }
        };
        loop {
            match f.write(&msg) {
                Ok(n) if n == msg.len() => return Ok(()),
                Ok(n) => panic!("short write to the FIFO ({n} of {} bytes)", msg.len()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------
// The generated program.

fn module_source(i: usize, stale: bool) -> String {
    let next = (i + 1) % N;
    let j = (i * 7 + 3) % N;
    let k = (i * 13 + 5) % N;
    let tag = if stale { "stale" } else { "module" };
    let mul = if stale { i + 2 } else { i + 1 };
    let tls_decl = if i == 0 {
        "__thread int cld_tls_counter = 5;".to_string()
    } else {
        "extern __thread int cld_tls_counter;".to_string()
    };
    format!(
        r#"#include <string.h>
/* A `.comment` string of its own for some modules (the link keeps each
   string once, in command-line order; a concurrent link folds them ahead). */
#ident "cld-test-ident-{id}"
{tls_decl}
int aux_{a}(int);
extern int m{j:03}_data[4];
extern const char m{j:03}_name[];
int m{k:03}_leaf(int);
int m{next:03}_f(int, int);

const char m{i:03}_name[] = "{tag}-{i}";
int m{i:03}_data[4] = {{ {i}, {d1}, {d2}, {d3} }};
int *m{i:03}_ptr = &m{j:03}_data[{q}];
const char *m{i:03}_nameptr = m{j:03}_name;
int (*m{i:03}_fp)(int) = m{k:03}_leaf;
static const char *const strs[] = {{ "alpha-{i}", "beta-beta-{i}" }};

int m{i:03}_leaf(int x) {{ return x * {mul} + {r}; }}

/* A constructor with a priority: `.init_array.NNNNN` sections, which the
   link reorders by priority (and layout done ahead places again). */
volatile int m{i:03}_inits;
__attribute__((constructor({prio}))) static void m{i:03}_init(void) {{ m{i:03}_inits++; }}

int m{i:03}_f(int depth, int x) {{
    cld_tls_counter += 1;
    int r = x ^ *m{i:03}_ptr ^ (int)strlen(m{i:03}_nameptr) ^ m{i:03}_fp(x & 15)
        ^ (int)strlen(strs[x & 1]);
    r += aux_{a}(x);
    if (depth > 0)
        r = r * 31 + m{next:03}_f(depth - 1, r & 0xffff);
    return r;
}}
"#,
        a = i % 4,
        id = (i / 3) % 5,
        d1 = i * 3 + 1,
        d2 = i * 5 + 2,
        d3 = i * 7 + 3,
        q = i % 4,
        r = i % 7,
        prio = 101 + (i * 37) % 50,
    )
}

fn main_source() -> String {
    let mut s = String::from("#include <stdio.h>\n#include <string.h>\n");
    // A TLS block that main.o starts: m000's counter (in its debug info
    // too, a relocation left to the wait) is not at offset 0.
    s.push_str("__thread int cld_tls_main[2] = { 7, 9 };\n");
    s.push_str("extern __thread int cld_tls_counter;\nint aux_mix(int, int);\n");
    for i in 0..N {
        s.push_str(&format!(
            "int m{i:03}_leaf(int); int m{i:03}_f(int, int); extern const char m{i:03}_name[];\n"
        ));
    }
    s.push_str(&format!("static int (*const leaves[{N}])(int) = {{\n"));
    for i in 0..N {
        s.push_str(&format!("    m{i:03}_leaf,\n"));
    }
    s.push_str(&format!(
        "}};\nstatic int (*const fs[{N}])(int, int) = {{\n"
    ));
    for i in 0..N {
        s.push_str(&format!("    m{i:03}_f,\n"));
    }
    s.push_str(&format!("}};\nstatic const char *const names[{N}] = {{\n"));
    for i in 0..N {
        s.push_str(&format!("    m{i:03}_name,\n"));
    }
    s.push_str(&format!(
        r#"}};
int main(void) {{
    unsigned long sum = 0;
    for (int i = 0; i < {N}; i++)
        sum = sum * 1000003u + (unsigned)leaves[i](i) + strlen(names[i]);
    int chain = fs[0]({n1}, 7);
    unsigned long s2 = 0;
    for (int i = 0; i < {N}; i += 17)
        s2 = s2 * 31 + (unsigned)fs[i](3, i);
    printf("sum=%lu chain=%d s2=%lu tls=%d mix=%d\n", sum, chain, s2, cld_tls_counter,
           aux_mix(3, 4));
    printf("first=%s last=%s\n", names[0], names[{n1}]);
    return 0;
}}
"#,
        n1 = N - 1
    ));
    s
}

const AUX_UNUSED: &str = "int cld_symbol_nobody_defines(void);\n\
    int aux_unused(void) { return cld_symbol_nobody_defines(); }\n";

struct Staging {
    dir: PathBuf,
    /// `-B` argument: a directory whose `ld` is cld.
    shim: String,
    /// cld's serial output.
    reference: Vec<u8>,
    /// What the program prints (linked by the system linker).
    expected: String,
    /// The arguments gcc passed to ld for the serial link (cwd: `dir`).
    ld_args: Vec<OsString>,
    /// Serial link times (cld run directly with `ld_args`).
    serial_ms: Vec<f64>,
}

fn gcc_compile(dir: &Path, flags: &[&str], files: &[String]) -> Command {
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .args(["-c", "-O1"])
        .args(flags)
        .args(files);
    cmd
}

/// Runs the commands, at most two at a time.
fn run_parallel(cmds: Vec<Command>, what: &str) {
    let cmds: Vec<Mutex<Option<Command>>> = cmds.into_iter().map(|c| Mutex::new(Some(c))).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(c) = cmds.get(i) else { break };
                let mut c = c.lock().unwrap().take().unwrap();
                must_succeed(&mut c, what);
            });
        }
    });
}

fn staging() -> &'static Staging {
    static S: OnceLock<Staging> = OnceLock::new();
    S.get_or_init(build_staging)
}

fn build_staging() -> Staging {
    require_tool("gcc", "gcc");
    require_tool("ar", "binutils");
    let t0 = Instant::now();
    let dir = fresh_work_dir("concurrent", "staging");
    let stale = dir.join("stale");
    std::fs::create_dir_all(&stale).unwrap();
    // The shim: DIR/ld -> cld. A second one records the arguments.
    let shim_dir = dir.join("shim");
    std::fs::create_dir_all(&shim_dir).unwrap();
    std::os::unix::fs::symlink(cld_binary(), shim_dir.join("ld")).unwrap();
    let shim = format!("{}/", shim_dir.display());
    let capture = dir.join("capture");
    std::fs::create_dir_all(&capture).unwrap();
    let script = capture.join("ld");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}/args'\nexec '{}' \"$@\"\n",
            capture.display(),
            cld_binary().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Sources.
    let mut even = Vec::new();
    let mut odd = Vec::new();
    for i in 0..N {
        let c = format!("m{i:03}.c");
        std::fs::write(dir.join(&c), module_source(i, false)).unwrap();
        if i % 2 == 0 {
            even.push(c);
        } else {
            odd.push(c);
        }
    }
    std::fs::write(dir.join("main.c"), main_source()).unwrap();
    let mut aux = Vec::new();
    for k in 0..4 {
        let c = format!("aux{k}.c");
        std::fs::write(
            dir.join(&c),
            format!(
                "int aux_{k}(int x) {{ return (x * {m}) ^ {v}; }}\n",
                m = k + 3,
                v = k * 1111
            ),
        )
        .unwrap();
        aux.push(c);
    }
    std::fs::write(
        dir.join("aux_mix.c"),
        "int aux_0(int);\nint aux_mix(int a, int b) { return aux_0(a) * 10 + b; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("aux_unused.c"), AUX_UNUSED).unwrap();
    aux.push("aux_mix.c".into());
    aux.push("aux_unused.c".into());
    // Stale versions of a few modules (same symbols, different contents):
    // objects that exist when watching begins but are replaced later.
    let stale_c: Vec<String> = STALE
        .iter()
        .map(|&i| {
            let c = format!("m{i:03}.c");
            std::fs::write(stale.join(&c), module_source(i, true)).unwrap();
            c
        })
        .collect();

    // Compile: even modules -fPIC (TLS general dynamic, relaxed by the
    // linker), odd ones with gcc's default -fPIE; all with debug info
    // (which the background linker writes ahead), the archive without.
    let mut cmds = Vec::new();
    let half = even.len() / 2;
    cmds.push(gcc_compile(&dir, &["-fPIC", "-g"], &even[..half]));
    cmds.push(gcc_compile(&dir, &["-fPIC", "-g"], &even[half..]));
    let half = odd.len() / 2;
    cmds.push(gcc_compile(&dir, &["-g"], &odd[..half]));
    cmds.push(gcc_compile(&dir, &["-g"], &odd[half..]));
    let mut rest = aux.clone();
    rest.push("main.c".into());
    cmds.push(gcc_compile(&dir, &[], &rest));
    cmds.push(gcc_compile(&stale, &["-g"], &stale_c));
    run_parallel(cmds, "TEST BUG: compiling the generated program");
    let aux_o: Vec<String> = aux.iter().map(|c| c.replace(".c", ".o")).collect();
    must_succeed(
        Command::new("ar")
            .current_dir(&dir)
            .arg("rcs")
            .arg("libaux.a")
            .args(&aux_o),
        "TEST BUG: ar",
    );
    let compile_time = t0.elapsed();

    let objs: Vec<String> = (0..N).map(obj).collect();
    // The system linker: the expected output.
    let mut sys = Command::new("gcc");
    sys.current_dir(&dir)
        .args(["-o", "prog-sys", "main.o"])
        .args(&objs)
        .arg("libaux.a");
    must_succeed(&mut sys, "TEST BUG: linking with the system linker");
    let r = must_succeed(
        &mut Command::new(dir.join("prog-sys")),
        "TEST BUG: the system-linked program",
    );
    let expected = r.stdout;
    assert!(
        expected.contains("first=module-0"),
        "unexpected: {expected}"
    );

    // cld, serially, through the capturing shim.
    let mut serial = Command::new("gcc");
    serial
        .current_dir(&dir)
        .arg("-B")
        .arg(format!("{}/", capture.display()))
        .args(["-o", "ref", "main.o"])
        .args(&objs)
        .arg("libaux.a");
    must_succeed(&mut serial, "the serial link with cld");
    let reference = std::fs::read(dir.join("ref")).unwrap();
    check_runs(&dir.join("ref"), &expected, "the serially linked program");
    let ld_args: Vec<OsString> = std::fs::read_to_string(capture.join("args"))
        .unwrap()
        .lines()
        .map(OsString::from)
        .collect();
    // Serial link times, cld run directly (like `cld --concurrent-wait`),
    // which also checks that the serial link is deterministic.
    let mut serial_ms = Vec::new();
    for _ in 0..SERIAL_RUNS {
        let mut cmd = Command::new(cld_binary());
        cmd.current_dir(&dir).args(&ld_args);
        let (r, shown) = run_precise(&mut cmd);
        assert!(
            r.success(),
            "the serial link with cld (direct) failed{}",
            context(&r, &shown)
        );
        serial_ms.push(ms(r.elapsed));
        assert!(
            std::fs::read(dir.join("ref")).unwrap() == reference,
            "two serial links of the same command line differ"
        );
    }
    println!(
        "staging: {N} objects compiled in {:.1} s; serial cld link {:.1} ms (median of {SERIAL_RUNS})",
        compile_time.as_secs_f64(),
        median(&mut serial_ms.clone())
    );
    Staging {
        dir,
        shim,
        reference,
        expected,
        ld_args,
        serial_ms,
    }
}

/// A serial link of the reference by cld run directly, writing `out`:
/// its time. The output must equal the reference.
fn timed_serial_link(out: &Path) -> Duration {
    let st = staging();
    let mut args = st.ld_args.clone();
    let o = args
        .iter()
        .position(|a| a == "-o")
        .expect("-o in the ld arguments");
    args[o + 1] = out.as_os_str().to_owned();
    let mut cmd = Command::new(cld_binary());
    cmd.current_dir(&st.dir).args(&args);
    let (r, shown) = run_precise(&mut cmd);
    assert!(r.success(), "the serial link failed{}", context(&r, &shown));
    assert!(
        std::fs::read(out).unwrap() == st.reference,
        "a serial link differs from the reference: {shown}"
    );
    r.elapsed
}

/// Modules that also have a stale version in `staging/stale`.
const STALE: [usize; 4] = [3, 77, 150, 199];

fn check_runs(prog: &Path, expected: &str, what: &str) {
    let (r, shown) = run(&mut Command::new(prog));
    assert!(r.success(), "{what} does not run{}", context(&r, &shown));
    assert!(
        r.stdout == expected,
        "{what} prints the wrong output:\n{}",
        line_diff(expected, &r.stdout)
    );
}

/// The output must be byte-identical to the serial link, and run.
fn check_output(run_dir: &Path, what: &str) {
    let st = staging();
    let prog = run_dir.join("prog");
    let out = std::fs::read(&prog).unwrap_or_else(|e| panic!("{what}: no output: {e}"));
    if out != st.reference {
        let (r, _) = run(Command::new("cmp").arg(st.dir.join("ref")).arg(&prog));
        panic!(
            "{what}: the output differs from the serial link ({} vs {} bytes): {}{}",
            out.len(),
            st.reference.len(),
            r.stdout.trim(),
            r.stderr.trim()
        );
    }
    check_runs(&prog, &st.expected, what);
}

/// Copies the non-concurrent inputs into a run directory.
fn populate(run_dir: &Path) {
    let st = staging();
    for f in ["main.o", "libaux.a"] {
        std::fs::copy(st.dir.join(f), run_dir.join(f)).unwrap();
    }
}

/// Starts the background linker through gcc in `run_dir`: returns the token.
fn start_through_gcc(run_dir: &Path, rt: &Path, mode_opts: &[String]) -> String {
    let st = staging();
    let mut wl = mode_opts.join(",");
    wl.push_str(",--start-concurrent");
    for i in 0..N {
        wl.push(',');
        wl.push_str(&obj(i));
    }
    wl.push_str(",--end-concurrent");
    let mut cmd = Command::new("gcc");
    cmd.current_dir(run_dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(&st.shim)
        .args(["-o", "prog", "main.o"])
        .arg(format!("-Wl,{wl}"))
        .arg("libaux.a");
    let (r, shown) = run(&mut cmd);
    assert!(
        r.success() && r.stderr.is_empty(),
        "starting the background linker failed{}",
        context(&r, &shown)
    );
    check_token(&r, &shown)
}

fn wait_ok(run_dir: &Path, rt: &Path, token: &str, what: &str) -> Duration {
    let (r, shown) = control(rt, "wait", token, &[]);
    let elapsed = r.elapsed;
    let log = std::fs::read_to_string(run_dir.join("log")).unwrap_or_default();
    assert!(
        r.success() && r.stderr.is_empty(),
        "{what}: the wait failed or printed diagnostics{}\n  log:\n{}",
        context(&r, &shown),
        indent(&truncate(&log, 40), "    ")
    );
    elapsed
}

/// After the wait: no socket, no FIFO the linker created, no process.
fn check_clean(run_dir: &Path, rt: &Path, what: &str) {
    let log = run_dir.join("log");
    let pid = pid_from_log(&log);
    assert!(
        poll(Duration::from_secs(20), || !pid_alive(pid)),
        "{what}: the background linker (pid {pid}) still runs after the wait"
    );
    let left = leftovers(rt);
    assert!(
        left.is_empty(),
        "{what}: left in the runtime directory: {left:?}"
    );
    let fifo = run_dir.join("p");
    assert!(
        !fifo.exists(),
        "{what}: the FIFO the background linker created is still there"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().last().is_some_and(|l| l.ends_with("exit 0")),
        "{what}: the log does not end with 'exit 0':\n{}",
        truncate(&text, 20)
    );
}

// ---------------------------------------------------------------------------
// 1. FIFO.

/// The reference: cld's serial link of the generated program runs and
/// prints what the system linker's does, and is deterministic (checked in
/// `build_staging`). bench/concurrent-tail.sh runs this test to get the
/// objects (in target/tmp/concurrent/staging).
#[test]
fn serial_link_is_the_reference() {
    let _g = shared();
    let st = staging();
    assert!(
        st.reference.windows(4).any(|w| w == b"cld "),
        "the reference was not linked by cld"
    );
    assert_eq!(st.serial_ms.len(), SERIAL_RUNS);
}

#[derive(Default, Clone)]
struct PipeRun {
    seed: u64,
    /// Sleep 0-2 ms before some reports.
    delays: bool,
    /// Objects reported a second time (right away or at the end).
    twice: Vec<usize>,
    /// Object rewritten in place with identical content and re-reported.
    rewrite: Option<usize>,
    /// Objects copied into place but never reported.
    unreported: Vec<usize>,
    threads1: bool,
    /// Open the FIFO once, or per report (like `printf 'x\0' > p`).
    keep_open: bool,
    /// Stale versions of STALE are in place before the start.
    stale_first: bool,
    /// Wait for ingestion (status) before the wait, then check the log.
    settle: bool,
}

struct PipeResult {
    /// Last report to the wait returning.
    tail: Duration,
}

fn pipe_run(name: &str, spec: &PipeRun) -> PipeResult {
    let st = staging();
    let (dir, rt) = fresh_run(name);
    populate(&dir);
    if spec.stale_first {
        for i in STALE {
            std::fs::copy(st.dir.join("stale").join(obj(i)), dir.join(obj(i))).unwrap();
        }
    }
    let fifo = dir.join("p");
    let mut opts = vec![
        format!("--concurrent-pipe={}", fifo.display()),
        format!("--concurrent-log={}", dir.join("log").display()),
    ];
    if spec.threads1 {
        opts.push("--threads=1".into());
    }
    let token = start_through_gcc(&dir, &rt, &opts);
    assert!(
        std::fs::symlink_metadata(&fifo).is_ok_and(|m| m.file_type().is_fifo()),
        "{name}: the background linker did not create the FIFO"
    );
    let mut rng = Lcg::new(spec.seed);
    let mut order: Vec<usize> = (0..N).collect();
    rng.shuffle(&mut order);
    let mut w = FifoWriter::new(&fifo, spec.keep_open);
    let mut later = Vec::new();
    let mut reports = 0;
    let mut last = Instant::now();
    for &i in &order {
        if spec.delays && rng.chance(30) {
            std::thread::sleep(Duration::from_micros(rng.below(2000) as u64));
        }
        std::fs::copy(st.dir.join(obj(i)), dir.join(obj(i))).unwrap();
        if spec.unreported.contains(&i) {
            continue;
        }
        w.report(&obj(i));
        reports += 1;
        last = Instant::now();
        if spec.twice.contains(&i) {
            if rng.chance(50) {
                w.report(&obj(i));
                reports += 1;
            } else {
                later.push(i);
            }
        }
    }
    for i in later {
        w.report(&obj(i));
        reports += 1;
        last = Instant::now();
    }
    if let Some(i) = spec.rewrite {
        // In place (same inode, truncated and written again).
        let bytes = std::fs::read(st.dir.join(obj(i))).unwrap();
        std::fs::write(dir.join(obj(i)), bytes).unwrap();
        w.report(&obj(i));
        reports += 1;
        last = Instant::now();
    }
    drop(w);
    if spec.settle {
        // Everything reported must be ingested before the wait.
        let mut json = String::new();
        let ok = poll(Duration::from_secs(10), || {
            let (r, _) = control(&rt, "status", &token, &["--json"]);
            json = r.stdout.clone();
            serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok_and(|v| {
                v["in_flight"] == 0
                    && v["pending"].as_array().map(Vec::len) == Some(spec.unreported.len())
            })
        });
        assert!(
            ok,
            "{name}: the reported objects were not all ingested: {json}"
        );
        let log = std::fs::read_to_string(dir.join("log")).unwrap();
        let fifo_events = log.lines().filter(|l| l.contains(" event fifo ")).count();
        assert_eq!(
            fifo_events,
            reports,
            "{name}: the log does not show one FIFO event per report:\n{}",
            truncate(&log, 40)
        );
    }
    let t = Instant::now();
    let waited = wait_ok(&dir, &rt, &token, name);
    let tail = waited + t.duration_since(last);
    check_output(&dir, name);
    if spec.settle {
        let log = std::fs::read_to_string(dir.join("log")).unwrap();
        for &i in &spec.unreported {
            let needle = format!(" event wait {}", obj(i));
            assert!(
                log.lines().any(|l| l.ends_with(&needle)),
                "{name}: {} was never reported but the wait did not take it:\n{}",
                obj(i),
                truncate(&log, 40)
            );
        }
    }
    check_clean(&dir, &rt, name);
    PipeResult { tail }
}

#[test]
fn fifo_random_orders_match_serial_link() {
    staging();
    let _g = exclusive();
    // Tail latency: objects reported in a burst (the ingestion backlog is
    // part of the tail) and paced (small delays: ingestion keeps up).
    let (mut burst, mut paced, mut serial) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..21u64 {
        let mut rng = Lcg::new(1000 + run);
        let mut spec = PipeRun {
            seed: 1000 + run,
            delays: run % 3 == 1,
            threads1: run % 5 == 2,
            keep_open: run % 2 == 0,
            ..Default::default()
        };
        if run % 4 == 3 {
            spec.twice = (0..8).map(|_| rng.below(N)).collect();
        }
        let name = format!("fifo-{run:02}");
        let r = pipe_run(&name, &spec);
        if spec.threads1 {
            continue;
        }
        // A serial link under the same conditions, for comparison.
        serial.push(ms(timed_serial_link(
            &PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join("concurrent")
                .join(&name)
                .join("serial-prog"),
        )));
        if spec.delays {
            paced.push(ms(r.tail));
        } else {
            burst.push(ms(r.tail));
        }
    }
    let serial = median(&mut serial);
    for (what, v) in [("burst", &mut burst), ("paced", &mut paced)] {
        let tail = median(v);
        println!(
            "tail latency, {N} objects over the FIFO, reported {what} ({} runs): last report -> \
             wait returned: median {tail:.1} ms; serial cld link (interleaved): median {serial:.1} ms ({:.0}%)",
            v.len(),
            tail / serial * 100.0
        );
    }
}

#[test]
fn fifo_duplicates_rewrites_unreported_threads() {
    staging();
    let _g = shared();
    let cases: Vec<(&str, PipeRun)> = vec![
        (
            "fifo-twice",
            PipeRun {
                seed: 7,
                twice: (0..N).step_by(3).collect(),
                keep_open: true,
                settle: true,
                ..Default::default()
            },
        ),
        (
            "fifo-rewrite",
            PipeRun {
                seed: 8,
                rewrite: Some(42),
                delays: true,
                settle: true,
                ..Default::default()
            },
        ),
        (
            "fifo-unreported",
            PipeRun {
                seed: 9,
                unreported: vec![0, 1, 57, 123, 199],
                keep_open: true,
                settle: true,
                ..Default::default()
            },
        ),
        (
            "fifo-unreported-threads1",
            PipeRun {
                seed: 10,
                unreported: (0..N).step_by(10).collect(),
                threads1: true,
                twice: vec![5, 6, 7],
                ..Default::default()
            },
        ),
        (
            "fifo-stale-first",
            PipeRun {
                seed: 11,
                stale_first: true,
                threads1: true,
                keep_open: true,
                settle: true,
                ..Default::default()
            },
        ),
        (
            "fifo-stale-unreported",
            PipeRun {
                seed: 12,
                stale_first: true,
                unreported: STALE.to_vec(),
                ..Default::default()
            },
        ),
    ];
    for (name, spec) in cases {
        pipe_run(name, &spec);
    }
}

/// Reports that arrive while the wait links (a late or duplicate report)
/// must not disturb the link, the output, or the wait's diagnostics.
#[test]
fn fifo_reports_during_the_wait() {
    let st = staging();
    let _g = shared();
    for round in 0..3 {
        let name = format!("fifo-late-{round}");
        let (dir, rt) = fresh_run(&name);
        populate(&dir);
        let fifo = dir.join("p");
        let opts = vec![
            format!("--concurrent-pipe={}", fifo.display()),
            format!("--concurrent-log={}", dir.join("log").display()),
        ];
        let token = start_through_gcc(&dir, &rt, &opts);
        let mut w = FifoWriter::new(&fifo, true);
        for i in 0..N {
            std::fs::copy(st.dir.join(obj(i)), dir.join(obj(i))).unwrap();
            w.report(&obj(i));
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut k = 0;
                // Until the wait returns, or the background linker exits
                // (EPIPE: the FIFO has no reader any more).
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    if w.try_report(&obj(k % N)).is_err() {
                        break;
                    }
                    k += 7;
                    std::thread::sleep(Duration::from_micros(300));
                }
            });
            std::thread::sleep(Duration::from_millis(30));
            let (r, shown) = control(&rt, "wait", &token, &[]);
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            assert!(
                r.success() && r.stderr.is_empty(),
                "{name}: the wait failed or printed diagnostics while reports kept coming{}\n  log (end):\n{}",
                context(&r, &shown),
                indent(&truncate(&log, 16), "    ")
            );
        });
        check_output(&dir, &name);
        check_clean(&dir, &rt, &name);
    }
}

// ---------------------------------------------------------------------------
// 2. inotify.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Appear {
    /// `cp`-like: open (create/truncate), write, close.
    Copy,
    /// Written to a temporary name in the same directory, renamed in.
    Rename,
    /// Already complete when watching began; `touch`ed.
    Touch,
}

fn inotify_run(name: &str, seed: u64, threads1: bool, settle: bool) {
    let st = staging();
    let (dir, rt) = fresh_run(name);
    populate(&dir);
    let mut rng = Lcg::new(seed);
    let how: Vec<Appear> = (0..N)
        .map(|i| match rng.below(10) {
            _ if STALE.contains(&i) => {
                if i % 2 == 0 {
                    Appear::Copy
                } else {
                    Appear::Rename
                }
            }
            0 => Appear::Touch,
            1..=5 => Appear::Copy,
            _ => Appear::Rename,
        })
        .collect();
    // What exists before the start: complete objects to be touched, and
    // stale versions of STALE that are replaced later.
    for (i, h) in how.iter().enumerate() {
        if *h == Appear::Touch {
            std::fs::copy(st.dir.join(obj(i)), dir.join(obj(i))).unwrap();
        }
    }
    for i in STALE {
        std::fs::copy(st.dir.join("stale").join(obj(i)), dir.join(obj(i))).unwrap();
    }
    let log = dir.join("log");
    let mut opts = vec![
        "--concurrent-inotify".to_string(),
        format!("--concurrent-log={}", log.display()),
    ];
    if threads1 {
        opts.push("--threads=1".into());
    }
    let token = start_through_gcc(&dir, &rt, &opts);
    let mut order: Vec<usize> = (0..N).collect();
    rng.shuffle(&mut order);
    let mut touches = Vec::new();
    for &i in &order {
        if rng.chance(20) {
            std::thread::sleep(Duration::from_micros(rng.below(1500) as u64));
        }
        let src = st.dir.join(obj(i));
        let dst = dir.join(obj(i));
        match how[i] {
            Appear::Copy => {
                std::fs::copy(&src, &dst).unwrap();
            }
            Appear::Rename => {
                let tmp = dir.join(format!(".{}.tmp", obj(i)));
                std::fs::write(&tmp, std::fs::read(&src).unwrap()).unwrap();
                std::fs::rename(&tmp, &dst).unwrap();
            }
            Appear::Touch => touches.push(obj(i)),
        }
        if touches.len() >= 8 {
            must_succeed(
                Command::new("touch").current_dir(&dir).args(&touches),
                "touch",
            );
            touches.clear();
        }
    }
    if !touches.is_empty() {
        must_succeed(
            Command::new("touch").current_dir(&dir).args(&touches),
            "touch",
        );
    }
    if settle {
        // Every object must have been seen through inotify before the wait.
        let mut missing = Vec::new();
        let seen = poll(Duration::from_secs(10), || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            missing = (0..N)
                .map(obj)
                .filter(|o| {
                    let needle = format!(" event inotify {o}");
                    !text.lines().any(|l| l.ends_with(&needle))
                })
                .collect();
            missing.is_empty()
        });
        assert!(
            seen,
            "{name}: no inotify event for {} objects, e.g. {:?} (how: {:?})",
            missing.len(),
            &missing[..missing.len().min(5)],
            missing
                .iter()
                .take(5)
                .map(|m| how[m[1..4].parse::<usize>().unwrap()])
                .collect::<Vec<_>>()
        );
    }
    wait_ok(&dir, &rt, &token, name);
    check_output(&dir, name);
    let text = std::fs::read_to_string(&log).unwrap();
    if settle {
        let odd: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(" event wait ") || l.contains(" event changed "))
            .collect();
        assert!(
            odd.is_empty(),
            "{name}: inotify missed changes that the wait had to catch up on:\n{}",
            odd.join("\n")
        );
    }
    for i in STALE {
        assert!(
            text.lines()
                .any(|l| l.ends_with(&format!(" event speculative {}", obj(i)))),
            "{name}: {} existed when watching began but was not ingested speculatively",
            obj(i)
        );
    }
    check_clean(&dir, &rt, name);
    assert!(
        !std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp")),
        "{name}: TEST BUG: temporary files left"
    );
}

#[test]
fn inotify_copy_rename_touch_match_serial_link() {
    staging();
    let _g = shared();
    inotify_run("inotify-0", 501, false, true);
    inotify_run("inotify-1", 502, true, true);
    inotify_run("inotify-2", 503, false, true);
    // The wait right after the last change: whatever inotify has not
    // delivered yet is taken as complete and verified.
    inotify_run("inotify-3", 504, false, false);
    inotify_run("inotify-4", 505, true, false);
}

// ---------------------------------------------------------------------------
// 3. The plan's Makefiles.

const MAKE_SOURCES: [(&str, &str); 4] = [
    (
        "main.c",
        "#include <stdio.h>\nint foo(void); int bar(void); int baz(void);\n\
         extern const char *baz_name;\n\
         int main(void) { printf(\"foo=%d bar=%d baz=%d %s\\n\", foo(), bar(), baz(), baz_name); return 0; }\n",
    ),
    ("foo.c", "int bar(void);\nint foo(void) { return 10 + bar(); }\n"),
    ("bar.c", "static int n = 2;\nint bar(void) { return n; }\n"),
    (
        "baz.c",
        "int foo(void);\nconst char *baz_name = \"baz-v1\";\nint baz(void) { return foo() * 3; }\n",
    ),
];

const MAKE_PIPE: &str = r#"# The plan's pipe example, in cld's spelling.
OBJS = main.o foo.o bar.o baz.o

all: prog

prog-concurrent-link: main.c foo.c bar.c baz.c
	rm -f prog-pipe
	mkfifo prog-pipe
	$(CC) -B$(SHIM) -o prog -Wl,--concurrent-pipe,prog-pipe -Wl,--start-concurrent,main.o,foo.o,bar.o,baz.o,--end-concurrent > prog-concurrent-link

%.o: prog-concurrent-link %.c
	if test -n "$(filter-out prog-concurrent-link,$?)"; then \
	  $(CC) -c $*.c; \
	fi
	printf '$@\0' > prog-pipe

prog: $(OBJS)
	$(LD) --concurrent-wait=`cat prog-concurrent-link`
	rm -f prog-pipe

.PHONY: all
"#;

const MAKE_INOTIFY: &str = r#"# The plan's inotify example, in cld's spelling.
OBJS = main.o foo.o bar.o baz.o

all: prog

prog-concurrent-link: main.c foo.c bar.c baz.c
	$(CC) -B$(SHIM) -o prog -Wl,--concurrent-inotify -Wl,--start-concurrent,main.o,foo.o,bar.o,baz.o,--end-concurrent > prog-concurrent-link

%.o: prog-concurrent-link %.c
	if test -n "$(filter-out prog-concurrent-link,$?)"; then \
	  $(CC) -c $*.c; \
	else \
	  touch $@; \
	fi

prog: $(OBJS)
	$(LD) --concurrent-wait=`cat prog-concurrent-link`

.PHONY: all
"#;

fn make(dir: &Path, rt: &Path, shim: &str) -> RunResult {
    let mut cmd = Command::new("make");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-j4")
        .arg(format!("LD={}", cld_binary().display()))
        .arg(format!("SHIM={shim}"))
        .arg("CC=gcc");
    must_succeed(&mut cmd, "make")
}

fn make_example(name: &str, makefile: &str) {
    require_tool("make", "make");
    let st = staging();
    let (dir, rt) = fresh_run(name);
    for (f, text) in MAKE_SOURCES {
        std::fs::write(dir.join(f), text).unwrap();
    }
    std::fs::write(dir.join("Makefile"), makefile).unwrap();
    let check = |expected: &str, what: &str| {
        let prog = dir.join("prog");
        check_runs(&prog, expected, &format!("{name}: {what}"));
        let bytes = std::fs::read(&prog).unwrap();
        assert!(
            bytes.windows(4).any(|w| w == b"cld "),
            "{name}: {what}: prog was not linked by cld (no cld in .comment)"
        );
        // Nothing left running or in the runtime directory.
        let ok = poll(Duration::from_secs(5), || {
            leftovers(&rt).is_empty() && processes_mentioning("prog-concurrent-link").is_empty()
        });
        assert!(
            ok,
            "{name}: {what}: left behind: {:?} {:?}",
            leftovers(&rt),
            processes_mentioning(&dir.display().to_string())
        );
    };
    let r = make(&dir, &rt, &st.shim);
    assert!(
        r.stderr.is_empty(),
        "{name}: make printed errors:\n{}",
        r.stderr
    );
    check("foo=12 bar=2 baz=36 baz-v1\n", "first build");
    let mtime = std::fs::metadata(dir.join("prog"))
        .unwrap()
        .modified()
        .unwrap();
    // A second make does nothing.
    let r = make(&dir, &rt, &st.shim);
    assert!(
        r.stdout.contains("Nothing to be done") || r.stdout.contains("is up to date"),
        "{name}: the second make was not a no-op:\n{}",
        r.stdout
    );
    assert_eq!(
        std::fs::metadata(dir.join("prog"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime,
        "{name}: the second make rewrote prog"
    );
    check("foo=12 bar=2 baz=36 baz-v1\n", "second build");
    // Change one file: a new background linker, one compile, the rest
    // reported (pipe) or touched (inotify).
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(
        dir.join("bar.c"),
        "static int n = 5;\nint bar(void) { return n; }\n",
    )
    .unwrap();
    make(&dir, &rt, &st.shim);
    check("foo=15 bar=5 baz=45 baz-v1\n", "after editing bar.c");
}

#[test]
fn makefile_pipe_example() {
    let _g = shared();
    make_example("make-pipe", MAKE_PIPE);
}

#[test]
fn makefile_inotify_example() {
    let _g = shared();
    make_example("make-inotify", MAKE_INOTIFY);
}

// ---------------------------------------------------------------------------
// 4. Faults, on a small program: tmain.o (not concurrent), t1.o t2.o t3.o.

const TINY: [(&str, &str); 5] = [
    (
        "tmain.c",
        "#include <stdio.h>\nint t1(void); int t2(void); int t3(void);\n\
         int main(void) { printf(\"t=%d\\n\", t1() + t2() + t3()); return 0; }\n",
    ),
    ("t1.c", "int t1(void) { return 1; }\n"),
    ("t2.c", "int t2(void) { return 20; }\n"),
    ("t3.c", "int t3(void) { return 300; }\n"),
    (
        "bad.c",
        "int cld_undefined_function(int);\nint t3(void) { return cld_undefined_function(3); }\n",
    ),
];
const TINY_OUT: &str = "t=321\n";

/// The small program's objects, compiled once.
fn tiny() -> &'static Path {
    static T: OnceLock<PathBuf> = OnceLock::new();
    T.get_or_init(|| {
        require_tool("gcc", "gcc");
        let dir = fresh_work_dir("concurrent", "tiny");
        let mut files = Vec::new();
        for (f, text) in TINY {
            std::fs::write(dir.join(f), text).unwrap();
            files.push(f.to_string());
        }
        must_succeed(&mut gcc_compile(&dir, &[], &files), "TEST BUG: gcc");
        dir
    })
}

/// Copies the small program's objects into `dir`.
fn tiny_objects(dir: &Path, names: &[&str]) {
    for n in names {
        std::fs::copy(tiny().join(n), dir.join(n)).unwrap();
    }
}

/// gcc's `-Wl,` option starting a background linker in pipe mode (FIFO
/// `dir/p`, log `dir/log`) with `extra` options and `concurrent` objects.
fn pipe_wl(dir: &Path, extra: &[&str], concurrent: &[&str]) -> String {
    let mut wl = vec![
        format!("--concurrent-pipe={}", dir.join("p").display()),
        format!("--concurrent-log={}", dir.join("log").display()),
    ];
    wl.extend(extra.iter().map(|s| s.to_string()));
    wl.push("--start-concurrent".into());
    wl.extend(concurrent.iter().map(|s| s.to_string()));
    wl.push("--end-concurrent".into());
    format!("-Wl,{}", wl.join(","))
}

/// Starts a background linker for tmain.o + `concurrent` through gcc:
/// returns (token, pid). Pipe mode (FIFO `dir/p`, created by cld) unless
/// `mode` says otherwise.
fn start_tiny(dir: &Path, rt: &Path, concurrent: &[&str], extra: &[&str]) -> (String, i32) {
    let st = staging();
    tiny_objects(dir, &["tmain.o"]);
    let log = dir.join("log");
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(&st.shim)
        .args(["-o", "prog", "tmain.o"])
        .arg(pipe_wl(dir, extra, concurrent));
    let (r, shown) = run(&mut cmd);
    assert!(
        r.success(),
        "starting the background linker failed{}",
        context(&r, &shown)
    );
    let token = check_token(&r, &shown);
    (token, pid_from_log(&log))
}

/// A serial link of the small program into `dir/prog`: its bytes.
fn tiny_serial(dir: &Path) -> Vec<u8> {
    let st = staging();
    tiny_objects(dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    must_succeed(
        Command::new("gcc")
            .current_dir(dir)
            .arg("-B")
            .arg(&st.shim)
            .args(["-o", "prog", "tmain.o", "t1.o", "t2.o", "t3.o"]),
        "serial link of the small program",
    );
    check_runs(&dir.join("prog"), TINY_OUT, "the small program");
    std::fs::read(dir.join("prog")).unwrap()
}

/// The background linker started in `dir` with `token` gave up by itself:
/// its log says `why`, and a wait finds no background linker.
fn assert_gave_up(dir: &Path, rt: &Path, token: &str, why: &str) {
    let log = std::fs::read_to_string(dir.join("log")).unwrap();
    assert!(
        log.contains(why),
        "the log does not say why it exited ({why}):\n{log}"
    );
    let (r, shown) = control(rt, "wait", token, &[]);
    let what = format!("wait after it gave up ({why})");
    assert_failed_cleanly(&r, &shown, &what, &["no background linker"]);
}

fn assert_failed_cleanly(r: &RunResult, shown: &str, what: &str, needles: &[&str]) {
    let ctx = context(r, shown);
    assert!(!r.timed_out, "{what}: hung{ctx}");
    assert!(
        matches!(r.status.code(), Some(c) if c != 0),
        "{what}: expected a non-zero exit status (and no crash){ctx}"
    );
    for n in needles {
        assert!(
            r.stderr.contains(n),
            "{what}: the message does not mention '{n}'{ctx}"
        );
    }
    assert!(!r.stderr.contains("panicked"), "{what}: cld panicked{ctx}");
}

/// (a) A killed background linker: the wait fails at once, clearly.
#[test]
fn fault_sigkill_background_linker() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-kill");
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    tiny_objects(&dir, &["t1.o", "t2.o"]);
    FifoWriter::new(&dir.join("p"), false).report("t1.o");
    assert!(
        pid_alive(pid),
        "the background linker (pid {pid}) is not running"
    );
    // SAFETY: plain syscall; pid is the background linker we started.
    assert_eq!(unsafe { kill(pid, 9) }, 0, "kill {pid} failed");
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(&r, &shown, "wait after SIGKILL", &[&token]);
    assert!(
        r.stderr.contains("not running") || r.stderr.contains("died"),
        "the message does not say that the background linker is gone{}",
        context(&r, &shown)
    );
    assert!(
        r.elapsed < Duration::from_secs(5),
        "the wait took {:.2} s after the background linker was killed",
        r.elapsed.as_secs_f64()
    );
    assert!(!dir.join("prog").exists(), "an output appeared");
    assert!(
        poll(Duration::from_secs(10), || !pid_alive(pid)),
        "pid {pid} survived SIGKILL"
    );
    // The stale socket is gone after the wait (or the next start).
    let (r2, shown2) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(&r2, &shown2, "second wait after SIGKILL", &[&token]);
    assert!(
        leftovers(&rt).iter().all(|f| !f.ends_with(".sock")),
        "a socket is left: {:?}",
        leftovers(&rt)
    );
}

/// (a) Killed while a wait is pending (stopped first, so that the wait is
/// surely queued): the waiter returns promptly and says so.
#[test]
fn fault_sigkill_during_the_wait() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-kill-during-wait");
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
    // SAFETY: plain syscalls on the background linker we started.
    assert_eq!(unsafe { kill(pid, 19) }, 0, "SIGSTOP {pid} failed");
    std::thread::scope(|s| {
        let waiter = s.spawn(|| control(&rt, "wait", &token, &[]));
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            !waiter.is_finished(),
            "the wait returned while the background linker was stopped"
        );
        let killed = Instant::now();
        assert_eq!(unsafe { kill(pid, 9) }, 0, "SIGKILL {pid} failed");
        let (r, shown) = waiter.join().unwrap();
        assert_failed_cleanly(
            &r,
            &shown,
            "wait when the background linker is killed",
            &[&token],
        );
        assert!(
            r.stderr.contains("died") || r.stderr.contains("not running"),
            "the message does not say that the background linker died{}",
            context(&r, &shown)
        );
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "the wait returned {:.2} s after the kill",
            killed.elapsed().as_secs_f64()
        );
    });
    assert!(!dir.join("prog").exists(), "an output appeared");
}

/// A request queued while the wait links (a status here) is answered with
/// the outcome when the link ends, not dropped with a "did not complete".
#[test]
fn requests_queued_during_the_wait_are_answered() {
    let _g = shared();
    let (dir, rt) = fresh_run("queued-during-wait");
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
    // SAFETY: plain syscalls on the background linker we started.
    assert_eq!(unsafe { kill(pid, 19) }, 0);
    std::thread::scope(|s| {
        let first = s.spawn(|| control(&rt, "wait", &token, &[]));
        std::thread::sleep(Duration::from_millis(100));
        let status = s.spawn(|| control(&rt, "status", &token, &[]));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(unsafe { kill(pid, 18) }, 0);
        let (r, shown) = first.join().unwrap();
        assert!(r.success(), "the wait failed{}", context(&r, &shown));
        let (r, shown) = status.join().unwrap();
        assert!(
            !r.stderr.contains("did not complete"),
            "a status queued during a successful wait says the link did not complete{}",
            context(&r, &shown)
        );
    });
    check_runs(&dir.join("prog"), TINY_OUT, "the program");
}

/// (b) Abort: the previous output stays byte-identical; a later wait fails.
#[test]
fn fault_abort_keeps_previous_output() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-abort");
    let before = tiny_serial(&dir);
    let mtime = std::fs::metadata(dir.join("prog"))
        .unwrap()
        .modified()
        .unwrap();
    // The new link would produce a different program (bad.o as t3.o's
    // replacement is not linkable, so any write would be visible).
    std::fs::remove_file(dir.join("t3.o")).unwrap();
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    w.report("t1.o");
    w.report("t2.o");
    let (r, shown) = control(&rt, "abort", &token, &[]);
    assert!(r.success(), "abort failed{}", context(&r, &shown));
    assert!(
        poll(Duration::from_secs(20), || !pid_alive(pid)),
        "the background linker still runs after abort"
    );
    let after = std::fs::read(dir.join("prog")).unwrap();
    assert!(after == before, "abort changed the previous output");
    assert_eq!(
        std::fs::metadata(dir.join("prog"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime,
        "abort touched the previous output"
    );
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(&r, &shown, "wait after abort", &[&token]);
    assert!(
        r.stderr.contains("no background linker"),
        "unclear message{}",
        context(&r, &shown)
    );
    assert!(leftovers(&rt).is_empty(), "left: {:?}", leftovers(&rt));
    assert!(!dir.join("p").exists(), "the FIFO cld created is left");
    assert!(std::fs::read(dir.join("prog")).unwrap() == before);
}

/// (c) Nobody waits: the background linker gives up after the idle timeout
/// and removes its socket and the FIFO it created (not one it found).
#[test]
fn fault_idle_timeout() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-idle");
    let t0 = Instant::now();
    // A: FIFO created by cld.
    let a = dir.join("a");
    std::fs::create_dir(&a).unwrap();
    let (tok_a, pid_a) = start_tiny(&a, &rt, &["t1.o"], &["--concurrent-idle-timeout=5"]);
    // B: FIFO made by the build (mkfifo) before the start.
    let b = dir.join("b");
    std::fs::create_dir(&b).unwrap();
    must_succeed(Command::new("mkfifo").arg(b.join("p")), "TEST BUG: mkfifo");
    let (_, pid_b) = start_tiny(&b, &rt, &["t1.o"], &["--concurrent-idle-timeout=5"]);
    // C: inotify, log in the runtime directory (removed at exit).
    let c = dir.join("c");
    std::fs::create_dir(&c).unwrap();
    tiny_objects(&c, &["tmain.o"]);
    let mut cmd = Command::new(cld_binary());
    cmd.current_dir(&c).env("CLD_RUNTIME_DIR", &rt).args([
        "-o",
        "prog",
        "tmain.o",
        "--concurrent-inotify",
        "--concurrent-idle-timeout=5",
        "--start-concurrent",
        "t1.o",
        "--end-concurrent",
    ]);
    let r = must_succeed(&mut cmd, "starting an inotify background linker");
    check_token(&r, "cld ... --concurrent-inotify");
    assert!(
        leftovers(&rt).len() >= 4,
        "expected 3 sockets and a log in the runtime directory: {:?}",
        leftovers(&rt)
    );
    let gone = poll(Duration::from_secs(20), || {
        !pid_alive(pid_a) && !pid_alive(pid_b) && leftovers(&rt).is_empty()
    });
    let elapsed = t0.elapsed();
    assert!(
        gone,
        "after {:.1} s: A alive {}, B alive {}, runtime dir {:?}",
        elapsed.as_secs_f64(),
        pid_alive(pid_a),
        pid_alive(pid_b),
        leftovers(&rt)
    );
    assert!(
        elapsed > Duration::from_millis(4500),
        "the background linkers exited after {:.1} s, before the 5 s idle timeout",
        elapsed.as_secs_f64()
    );
    assert!(!a.join("p").exists(), "the FIFO that cld created is left");
    assert!(
        std::fs::symlink_metadata(b.join("p")).is_ok_and(|m| m.file_type().is_fifo()),
        "cld removed a FIFO that it did not create"
    );
    assert_gave_up(&a, &rt, &tok_a, "idle");
    assert!(
        processes_mentioning(&dir.display().to_string()).is_empty(),
        "processes left: {:?}",
        processes_mentioning(&dir.display().to_string())
    );
}

/// (c2) `--concurrent-owner=PID`: the background linker gives up as soon
/// as that process (the build) has exited, long before the idle timeout,
/// and leaves nothing; while the owner runs, the link is served as usual.
/// A pid that does not run is refused at the start.
#[test]
fn fault_owner_exits() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-owner");
    // A: the owner exits while nobody waits.
    let a = dir.join("a");
    std::fs::create_dir(&a).unwrap();
    // What start_tiny needs is built first (the staging compiles many
    // objects), so that the owner surely still runs when the linker starts;
    // the owner lives on until it is ended below.
    staging();
    tiny();
    let mut owner = Command::new("sleep").arg("60").spawn().unwrap();
    let opt = format!("--concurrent-owner={}", owner.id());
    let (tok_a, pid_a) = start_tiny(&a, &rt, &["t1.o"], &[&opt]);
    assert!(
        pid_alive(pid_a),
        "the background linker did not wait for its owner"
    );
    let _ = owner.kill();
    let _ = owner.wait();
    let t0 = Instant::now();
    let gone = poll(Duration::from_secs(5), || {
        !pid_alive(pid_a) && leftovers(&rt).is_empty()
    });
    assert!(
        gone,
        "{:.1} s after its owner exited: alive {}, runtime dir {:?}",
        t0.elapsed().as_secs_f64(),
        pid_alive(pid_a),
        leftovers(&rt)
    );
    assert!(!a.join("p").exists(), "the FIFO that cld created is left");
    assert_gave_up(&a, &rt, &tok_a, "owner");
    // B: an owner that runs on; the link is waited for.
    let b = dir.join("b");
    std::fs::create_dir(&b).unwrap();
    let mut owner = Command::new("sleep").arg("60").spawn().unwrap();
    let opt = format!("--concurrent-owner={}", owner.id());
    let (tok_b, _) = start_tiny(&b, &rt, &["t1.o", "t2.o", "t3.o"], &[&opt]);
    tiny_objects(&b, &["t1.o", "t2.o", "t3.o"]);
    let (r, shown) = control(&rt, "wait", &tok_b, &[]);
    let _ = owner.kill();
    let _ = owner.wait();
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    check_runs(&b.join("prog"), TINY_OUT, "the program");
    // C: an owner that is not running.
    let c = dir.join("c");
    std::fs::create_dir(&c).unwrap();
    tiny_objects(&c, &["tmain.o"]);
    let mut gone_owner = Command::new("true").spawn().unwrap();
    let dead = gone_owner.id();
    let _ = gone_owner.wait();
    let mut cmd = Command::new(cld_binary());
    cmd.current_dir(&c).env("CLD_RUNTIME_DIR", &rt).args([
        "-o".to_string(),
        "prog".into(),
        "tmain.o".into(),
        "--concurrent-inotify".into(),
        format!("--concurrent-owner={dead}"),
        "--start-concurrent".into(),
        "t1.o".into(),
        "--end-concurrent".into(),
    ]);
    let (r, shown) = run(&mut cmd);
    assert_failed_cleanly(
        &r,
        &shown,
        "a start with a dead owner",
        &["--concurrent-owner", &dead.to_string()],
    );
    assert!(leftovers(&rt).is_empty(), "left: {:?}", leftovers(&rt));
}

/// (d) A name on the FIFO that is not a concurrent input: a warning at the
/// wait; the link still works.
#[test]
fn fault_unknown_name_on_fifo() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-unknown");
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    w.report("t1.o");
    w.report("not-an-input.o");
    w.report("t2.o");
    w.report("t3.o");
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    assert!(
        r.stderr.contains("warning") && r.stderr.contains("not-an-input.o"),
        "no warning about the unknown name{}",
        context(&r, &shown)
    );
    check_runs(&dir.join("prog"), TINY_OUT, "the program");
    check_clean(&dir, &rt, "fault-unknown");
}

/// (e) `--concurrent-status [--json]` shows progress.
#[test]
fn fault_status_json() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-status");
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    tiny_objects(&dir, &["t1.o", "t2.o"]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    w.report("t1.o");
    w.report("t2.o");
    let mut last = String::new();
    let ok = poll(Duration::from_secs(20), || {
        let (r, _) = control(&rt, "status", &token, &["--json"]);
        last = r.stdout.clone();
        serde_json::from_str::<serde_json::Value>(&r.stdout)
            .is_ok_and(|v| v["ingested"] == 2 && v["in_flight"] == 0)
    });
    assert!(ok, "status never showed 2 ingested inputs: {last}");
    let v: serde_json::Value = serde_json::from_str(&last)
        .unwrap_or_else(|e| panic!("--concurrent-status --json is not JSON ({e}): {last}"));
    assert_eq!(v["pending"], serde_json::json!(["t3.o"]), "{last}");
    assert_eq!(v["concurrent_inputs"], 3, "{last}");
    assert_eq!(v["errors"], serde_json::json!([]), "{last}");
    // An unknown name shows up as an error.
    w.report("stray.o");
    let ok = poll(Duration::from_secs(20), || {
        let (r, _) = control(&rt, "status", &token, &["--json"]);
        last = r.stdout.clone();
        serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok_and(|v| {
            v["errors"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|m| m.as_str().is_some_and(|m| m.contains("stray.o")))
            })
        })
    });
    assert!(ok, "status --json does not list the stray name: {last}");
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(
        v["concurrent_inputs"], 3,
        "an unknown name is not a concurrent input: {last}"
    );
    // The text form.
    let (r, shown) = control(&rt, "status", &token, &[]);
    assert!(
        r.success() && r.stdout.contains("pending: t3.o"),
        "plain status{}",
        context(&r, &shown)
    );
    tiny_objects(&dir, &["t3.o"]);
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    check_runs(&dir.join("prog"), TINY_OUT, "the program");
    // Status of a finished link: a clear failure.
    let (r, shown) = control(&rt, "status", &token, &["--json"]);
    assert_failed_cleanly(
        &r,
        &shown,
        "status after the wait",
        &["no background linker"],
    );
}

/// A runtime directory deeper than `sockaddr_un` allows (108 bytes; CI
/// checkouts and build trees get there): start, status, wait and the
/// stale-socket sweep still work, and nothing is left behind.
#[test]
fn long_runtime_dir_path() {
    let _g = shared();
    let (dir, _) = fresh_run("long-rt");
    let rt = dir
        .join("r".repeat(60))
        .join("u".repeat(60))
        .join("n".repeat(60));
    std::fs::create_dir_all(&rt).unwrap();
    std::fs::set_permissions(&rt, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(
        rt.join("0123456789abcdef0123456789abcdef.sock")
            .as_os_str()
            .len()
            > 108
    );
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    let (r, shown) = control(&rt, "status", &token, &[]);
    assert!(r.success(), "status{}", context(&r, &shown));
    tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    for n in ["t1.o", "t2.o", "t3.o"] {
        w.report(n);
    }
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    check_runs(&dir.join("prog"), TINY_OUT, "the program");
    assert!(
        leftovers(&rt).iter().all(|f| !f.contains(".sock")),
        "sockets left in the runtime directory: {:?}",
        leftovers(&rt)
    );
}

/// (f) Command-line errors fail in the foreground and leave nothing behind.
#[test]
fn fault_command_line_errors() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-cmdline");
    tiny_objects(&dir, &["tmain.o", "t1.o"]);
    let fifo = dir.join("p");
    let fifo_arg = format!("--concurrent-pipe={}", fifo.display());
    let log_arg = format!("--concurrent-log={}", dir.join("log").display());
    // `-o prog tmain.o`, then `head`, the feed options `feed` and the
    // concurrent inputs (t1.o), then `tail`.
    let args = |head: &[&str], feed: &[String], tail: &[&str]| -> Vec<String> {
        let concurrent = ["--start-concurrent", "t1.o", "--end-concurrent"];
        (["-o", "prog", "tmain.o"].iter().chain(head))
            .map(|a| a.to_string())
            .chain(feed.iter().cloned())
            .chain(concurrent.iter().chain(tail).map(|a| a.to_string()))
            .collect()
    };
    let pipe_and_log = [fifo_arg.clone(), log_arg.clone()];
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "missing non-concurrent input",
            args(&["missing.o"], &pipe_and_log, &[]),
            vec!["missing.o"],
        ),
        (
            "unknown option",
            args(&["--no-such-option"], &pipe_and_log, &[]),
            vec!["no-such-option"],
        ),
        (
            "missing library",
            args(&[], &pipe_and_log, &["-lcld_no_such_lib"]),
            vec!["cld_no_such_lib"],
        ),
        (
            "inotify in a directory that does not exist",
            ["-o", "prog", "tmain.o", "--concurrent-inotify"]
                .map(String::from)
                .into_iter()
                .chain([log_arg.clone()])
                .chain(
                    ["--start-concurrent", "no-such-dir/t1.o", "--end-concurrent"]
                        .map(String::from),
                )
                .collect(),
            vec!["no-such-dir"],
        ),
        (
            "no concurrent inputs",
            ["-o", "prog", "tmain.o", "t1.o"]
                .map(String::from)
                .into_iter()
                .chain(pipe_and_log.iter().cloned())
                .collect(),
            vec!["--start-concurrent"],
        ),
        (
            "log in a directory that does not exist",
            args(
                &[],
                &[
                    fifo_arg.clone(),
                    format!("--concurrent-log={}/no-such-dir/log", dir.display()),
                ],
                &[],
            ),
            vec!["no-such-dir/log"],
        ),
        (
            "an owner that is not a process id",
            args(&["--concurrent-owner=0"], &pipe_and_log, &[]),
            vec!["invalid --concurrent-owner value: 0"],
        ),
        (
            "pipe and inotify together",
            args(&["--concurrent-inotify"], &pipe_and_log, &[]),
            vec!["together"],
        ),
    ];
    for (what, args, needles) in cases {
        let mut cmd = Command::new(cld_binary());
        cmd.current_dir(&dir)
            .env("CLD_RUNTIME_DIR", &rt)
            .args(&args);
        let (r, shown) = run(&mut cmd);
        assert_failed_cleanly(&r, &shown, what, &needles);
        assert!(
            r.stdout.is_empty(),
            "{what}: printed a token{}",
            context(&r, &shown)
        );
        assert!(
            r.elapsed < Duration::from_secs(5),
            "{what}: took {:.1} s",
            r.elapsed.as_secs_f64()
        );
        assert!(
            leftovers(&rt).is_empty(),
            "{what}: left in the runtime directory: {:?}",
            leftovers(&rt)
        );
        assert!(!fifo.exists(), "{what}: the FIFO was created");
        assert!(
            !dir.join("log").exists(),
            "{what}: a background linker started (log)"
        );
        let procs = processes_mentioning(&dir.display().to_string());
        assert!(procs.is_empty(), "{what}: processes left: {procs:?}");
    }
    // Through gcc too (the way a Makefile would start it).
    let st = staging();
    let mut cmd = Command::new("gcc");
    cmd.current_dir(&dir)
        .env("CLD_RUNTIME_DIR", &rt)
        .arg("-B")
        .arg(&st.shim)
        .args(["-o", "prog", "tmain.o"])
        .arg(format!(
            "-Wl,{fifo_arg},{log_arg},--start-concurrent,t1.o,--end-concurrent,--bogus-opt"
        ));
    let (r, shown) = run(&mut cmd);
    assert_failed_cleanly(&r, &shown, "gcc with a bad option", &["bogus-opt"]);
    assert!(
        r.stdout.is_empty(),
        "printed a token{}",
        context(&r, &shown)
    );
    assert!(leftovers(&rt).is_empty() && !fifo.exists() && !dir.join("log").exists());
}

/// (g) A link error in a concurrent object: reported by the waiter; the
/// previous output is untouched.
#[test]
fn fault_link_error_in_concurrent_object() {
    let _g = shared();
    let (dir, rt) = fresh_run("fault-link-error");
    let before = tiny_serial(&dir);
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "bad.o"], &[]);
    tiny_objects(&dir, &["bad.o"]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    for o in ["bad.o", "t1.o", "t2.o"] {
        w.report(o);
    }
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(
        &r,
        &shown,
        "wait on a link with an undefined symbol",
        &["cld_undefined_function", "bad.o"],
    );
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == before,
        "the failed link changed the previous output"
    );
    let pid = pid_from_log(&dir.join("log"));
    assert!(poll(Duration::from_secs(20), || !pid_alive(pid)));
    assert!(leftovers(&rt).is_empty(), "left: {:?}", leftovers(&rt));

    // A concurrent input that is not an object at all.
    let (dir, rt) = fresh_run("fault-garbage");
    let before = tiny_serial(&dir);
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    std::fs::write(dir.join("t2.o"), b"this is not an object file\n").unwrap();
    FifoWriter::new(&dir.join("p"), false).report("t2.o");
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(&r, &shown, "wait on a garbage input", &["t2.o"]);
    assert!(std::fs::read(dir.join("prog")).unwrap() == before);
    assert!(poll(Duration::from_secs(5), || leftovers(&rt).is_empty()));

    // A concurrent input that never appears (its compile failed).
    let (dir, rt) = fresh_run("fault-never-built");
    let before = tiny_serial(&dir);
    std::fs::remove_file(dir.join("t3.o")).unwrap();
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    FifoWriter::new(&dir.join("p"), false).report("t1.o");
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert_failed_cleanly(&r, &shown, "wait with a missing input", &["t3.o"]);
    assert!(std::fs::read(dir.join("prog")).unwrap() == before);
    assert!(poll(Duration::from_secs(5), || leftovers(&rt).is_empty()));
}

/// (h) An unsafe runtime directory is refused, clearly, by every command.
#[test]
fn fault_unsafe_runtime_dir() {
    let _g = shared();
    let (dir, _) = fresh_run("fault-rtdir");
    tiny_objects(&dir, &["tmain.o"]);
    let real = dir.join("real");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&real)
        .unwrap();
    let link = dir.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let open = dir.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cases: Vec<(&str, PathBuf, &str)> = vec![
        ("a symlink", link.clone(), "symlink"),
        ("mode 0755", open.clone(), "0700"),
    ];
    let other = dir.join("other");
    if nix_is_root() {
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&other)
            .unwrap();
        must_succeed(
            Command::new("chown").arg("65534").arg(&other),
            "TEST BUG: chown",
        );
        cases.push(("owned by another user", other.clone(), "uid"));
    } else {
        println!("fault_unsafe_runtime_dir: not root, the other-owner case is not run");
    }
    for (what, rt, needle) in cases {
        let fifo = dir.join("p");
        let mut cmd = Command::new(cld_binary());
        cmd.current_dir(&dir).env("CLD_RUNTIME_DIR", &rt).args([
            "-o",
            "prog",
            "tmain.o",
            &format!("--concurrent-pipe={}", fifo.display()),
            "--start-concurrent",
            "t1.o",
            "--end-concurrent",
        ]);
        let (r, shown) = run(&mut cmd);
        let rt_s = rt.display().to_string();
        assert_failed_cleanly(&r, &shown, what, &[needle, &rt_s, "runtime directory"]);
        assert!(r.stdout.is_empty(), "{what}: printed a token");
        assert!(!fifo.exists(), "{what}: created the FIFO anyway");
        assert!(
            std::fs::read_dir(&real).unwrap().next().is_none(),
            "{what}: wrote into the directory behind the symlink"
        );
        let procs = processes_mentioning(&dir.display().to_string());
        assert!(procs.is_empty(), "{what}: processes left: {procs:?}");
        // The control commands refuse it too.
        let (r, shown) = control(&rt, "status", &"0".repeat(32), &[]);
        assert_failed_cleanly(&r, &shown, what, &[needle, "runtime directory"]);
    }
}

fn nix_is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// An archive among the concurrent inputs, built by `ar` after the start
/// (ar writes a temporary file and renames it into place): named as a file
/// (`libt.a`) or as `-lt` (found in `-L lib` when reported or at the wait).
#[test]
fn concurrent_archive_built_by_ar() {
    let _g = shared();
    require_tool("ar", "binutils");
    let st = staging();
    for (mode, as_lib) in [
        ("pipe", false),
        ("inotify", false),
        ("pipe", true),
        ("inotify", true),
    ] {
        let name = format!("archive-{mode}{}", if as_lib { "-l" } else { "" });
        let (dir, rt) = fresh_run(&name);
        tiny_objects(&dir, &["tmain.o"]);
        let lib = dir.join("lib");
        std::fs::create_dir(&lib).unwrap();
        let log = dir.join("log");
        let mode_opt = if mode == "pipe" {
            format!("--concurrent-pipe={}", dir.join("p").display())
        } else {
            "--concurrent-inotify".to_string()
        };
        let mut cmd = Command::new("gcc");
        cmd.current_dir(&dir)
            .env("CLD_RUNTIME_DIR", &rt)
            .arg("-B")
            .arg(&st.shim)
            .args(["-o", "prog", "-Llib", "tmain.o"])
            .arg(format!(
                "-Wl,{mode_opt},--concurrent-log={},--start-concurrent,t1.o,{},--end-concurrent",
                log.display(),
                if as_lib { "-lt" } else { "lib/libt.a" }
            ));
        let (r, shown) = run(&mut cmd);
        assert!(r.success(), "{name}: start failed{}", context(&r, &shown));
        let token = check_token(&r, &shown);
        tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
        must_succeed(
            Command::new("ar")
                .current_dir(&dir)
                .args(["rcs", "lib/libt.a", "t2.o", "t3.o"]),
            "ar",
        );
        std::fs::remove_file(dir.join("t2.o")).unwrap();
        std::fs::remove_file(dir.join("t3.o")).unwrap();
        let lib_event = if as_lib { "-lt" } else { "lib/libt.a" };
        if mode == "pipe" {
            let mut w = FifoWriter::new(&dir.join("p"), false);
            w.report("lib/libt.a");
            w.report("t1.o");
        }
        let seen = poll(Duration::from_secs(5), || {
            std::fs::read_to_string(&log).is_ok_and(|t| {
                t.lines().any(|l| {
                    l.ends_with(&format!(
                        " event {mode_word} {lib_event}",
                        mode_word = if mode == "pipe" { "fifo" } else { "inotify" }
                    ))
                }) && t
                    .lines()
                    .any(|l| l.contains(" event ") && l.ends_with(" t1.o"))
            })
        });
        assert!(
            seen,
            "{name}: no {mode} events for {lib_event} and t1.o:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let (r, shown) = control(&rt, "wait", &token, &[]);
        assert!(
            r.success() && r.stderr.is_empty(),
            "{name}: the wait failed{}",
            context(&r, &shown)
        );
        check_runs(&dir.join("prog"), TINY_OUT, &name);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            !text.contains(" event changed ") && !text.contains(" event wait "),
            "{name}: the wait had to (re)read inputs that were reported:\n{text}"
        );
    }
}

/// `-lt` in the concurrent region, where lib/libt.so is linked (by cld)
/// after the start: the output equals the serial link's (DT_NEEDED libt.so)
/// and runs.
#[test]
fn concurrent_shared_library_by_l() {
    let _g = shared();
    let st = staging();
    let (dir, rt) = fresh_run("shared-l");
    tiny_objects(&dir, &["tmain.o", "t1.o", "t2.o", "t3.o"]);
    std::fs::create_dir(dir.join("lib")).unwrap();
    let so = |dir: &Path| {
        must_succeed(
            Command::new("gcc")
                .current_dir(dir)
                .arg("-B")
                .arg(&st.shim)
                .args(["-shared", "-o", "lib/libt.so", "t2.o", "t3.o"]),
            "linking libt.so",
        )
    };
    so(&dir);
    must_succeed(
        Command::new("gcc")
            .current_dir(&dir)
            .arg("-B")
            .arg(&st.shim)
            .args(["-o", "serial", "-Llib", "tmain.o", "t1.o", "-lt"]),
        "serial link against libt.so",
    );
    std::fs::remove_file(dir.join("lib/libt.so")).unwrap();
    let mut cmd = Command::new("gcc");
    cmd.current_dir(&dir)
        .env("CLD_RUNTIME_DIR", &rt)
        .arg("-B")
        .arg(&st.shim)
        .args(["-o", "prog", "-Llib", "tmain.o"])
        .arg(format!(
            "-Wl,--concurrent-inotify,--concurrent-log={},--start-concurrent,t1.o,-lt,--end-concurrent",
            dir.join("log").display()
        ));
    let (r, shown) = run(&mut cmd);
    assert!(r.success(), "start failed{}", context(&r, &shown));
    let token = check_token(&r, &shown);
    so(&dir);
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert!(
        r.success() && r.stderr.is_empty(),
        "the wait failed{}",
        context(&r, &shown)
    );
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == std::fs::read(dir.join("serial")).unwrap(),
        "the concurrent link against -lt differs from the serial link"
    );
    let (r, shown) = run(Command::new(dir.join("prog")).env("LD_LIBRARY_PATH", dir.join("lib")));
    assert!(
        r.success() && r.stdout == TINY_OUT,
        "the program{}",
        context(&r, &shown)
    );
}

/// Only the owner may talk to a background linker: a connection from
/// another user (here root, to a linker run by uid 65534) is refused by the
/// peer-credential check, even though root can open the socket.
#[test]
fn other_users_are_refused() {
    let _g = shared();
    if !nix_is_root() {
        println!("other_users_are_refused: needs root (to run a linker as another user); not run");
        return;
    }
    use std::os::unix::process::CommandExt;
    let st = staging();
    let (dir, _) = fresh_run("other-user");
    // Everything the other user needs: a directory it owns, a 0700
    // runtime directory, the objects.
    let home = dir.join("home");
    std::fs::create_dir(&home).unwrap();
    let rt = home.join("rt");
    std::fs::DirBuilder::new().mode(0o700).create(&rt).unwrap();
    for n in ["tmain.o", "t1.o"] {
        std::fs::copy(tiny().join(n), home.join(n)).unwrap();
    }
    must_succeed(
        Command::new("chown").args(["-R", "65534:65534"]).arg(&home),
        "TEST BUG: chown",
    );
    let mut cmd = Command::new("gcc");
    cmd.current_dir(&home)
        .env("CLD_RUNTIME_DIR", &rt)
        .env("HOME", &home)
        .env("TMPDIR", &home)
        .uid(65534)
        .gid(65534)
        .arg("-B")
        .arg(&st.shim)
        .args(["-o", "prog", "tmain.o"])
        .arg(format!(
            "-Wl,--concurrent-pipe={}/p,--concurrent-log={}/log,--concurrent-idle-timeout=30,--start-concurrent,t1.o,--end-concurrent",
            home.display(),
            home.display()
        ));
    let (r, shown) = run(&mut cmd);
    if !r.success() && r.stderr.contains("ermission denied") {
        println!(
            "other_users_are_refused: uid 65534 cannot reach the test directory ({}); not run",
            r.stderr.trim()
        );
        return;
    }
    assert!(
        r.success(),
        "start as uid 65534 failed{}",
        context(&r, &shown)
    );
    let token = check_token(&r, &shown);
    let pid = pid_from_log(&home.join("log"));
    // Root connects directly (the cld client would already refuse the
    // runtime directory, which root does not own).
    let sock = rt.join(format!("{token}.sock"));
    let mut s = std::os::unix::net::UnixStream::connect(&sock)
        .unwrap_or_else(|e| panic!("root cannot connect to {}: {e}", sock.display()));
    // The refusal may come (and the connection close) before the request
    // is written: a failed write is fine, the answer is what counts.
    let _ = s.write_all(b"status\n");
    let mut resp = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut resp);
    // The cld client refuses the directory too.
    let (r2, shown2) = control(&rt, "status", &token, &[]);
    // Clean up the other user's linker before asserting.
    let mut w = FifoWriter::new(&home.join("p"), false);
    w.report("t1.o");
    let mut abort = Command::new(cld_binary());
    abort
        .arg(format!("--concurrent-abort={token}"))
        .env("CLD_RUNTIME_DIR", &rt)
        .uid(65534)
        .gid(65534);
    let (ra, shown_a) = run(&mut abort);
    assert!(
        ra.success(),
        "abort as the owner failed{}",
        context(&ra, &shown_a)
    );
    assert!(poll(Duration::from_secs(20), || !pid_alive(pid)));
    assert!(
        resp.starts_with("status 1") && resp.contains("permission denied"),
        "a connection from another user was not refused: {resp:?}"
    );
    assert_failed_cleanly(&r2, &shown2, "status as another user", &["uid"]);
}

/// An input outside --start-concurrent (a library) rebuilt between the start
/// and the wait: the wait links the new one, as the serial link would.
#[test]
fn changed_non_concurrent_library_is_reread() {
    let (dir, rt) = fresh_run("fixed-input-changed");
    let sh = |script: &str| {
        let (r, shown) = run(Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(&dir)
            .env("CLD_RUNTIME_DIR", &rt));
        assert!(r.success(), "{script} failed{}", context(&r, &shown));
        r.stdout
    };
    std::fs::write(dir.join("foo.c"), "int foo(void){return 1;}\n").unwrap();
    std::fs::write(
        dir.join("main.c"),
        "#include <stdio.h>\nint foo(void);\nint main(void){printf(\"foo=%d\\n\", foo());return 0;}\n",
    )
    .unwrap();
    sh("gcc -c main.c foo.c && ar rcs libfoo.a foo.o");
    let shim = make_shim(&dir);
    let token = sh(&format!(
        "gcc -B{shim} -o app -Wl,--concurrent-inotify,--start-concurrent,main.o,--end-concurrent -L. -lfoo"
    ));
    let token = token.trim().to_string();
    std::fs::write(dir.join("foo.c"), "int foo(void){return 2;}\n").unwrap();
    sh("gcc -c foo.c && rm libfoo.a && ar rcs libfoo.a foo.o");
    let (r, shown) = control(&rt, "wait", &token, &[]);
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    check_runs(
        &dir.join("app"),
        "foo=2\n",
        "the program linked after the library changed",
    );
}

/// The files beside `dir/prog` that links of it keep while they run
/// (`.prog.cld-PID.tmp`, `.prog.cld-PID.old`).
fn output_temporaries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".prog.cld-"))
        .collect();
    v.sort();
    v
}

/// The background linker opens its output while inputs arrive and faults
/// it in (`output_file::Prepared`); the wait writes the program into it.
/// The result is the serial link's bytes, and no temporary file outlives
/// a wait, an abort, or (once another link of the output prepares) a
/// SIGKILL.
#[test]
fn prepared_output_is_used_and_never_left_behind() {
    let _g = shared();
    let (dir, rt) = fresh_run("prepared-output");
    let reference = tiny_serial(&dir);
    let log = dir.join("log");
    let prepared = |what: &str| {
        assert!(
            poll(Duration::from_secs(10), || {
                std::fs::read_to_string(&log).is_ok_and(|l| l.contains("prepare output: "))
                    && output_temporaries(&dir).iter().any(|n| n.ends_with(".tmp"))
            }),
            "{what}: the output was not prepared; log:\n{}\nfiles: {:?}",
            std::fs::read_to_string(&log).unwrap_or_default(),
            output_temporaries(&dir)
        );
    };

    // A wait: the prepared file becomes the program.
    std::fs::remove_file(&log).ok();
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    w.report("t1.o");
    w.report("t2.o");
    prepared("before the wait");
    w.report("t3.o");
    drop(w);
    wait_ok(&dir, &rt, &token, "wait into the prepared output");
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == reference,
        "the program written into the prepared output differs from the serial link's"
    );
    check_runs(
        &dir.join("prog"),
        TINY_OUT,
        "the program linked at the wait",
    );
    assert!(
        poll(Duration::from_secs(5), || output_temporaries(&dir)
            .is_empty()),
        "left after the wait: {:?}",
        output_temporaries(&dir)
    );

    // An abort removes the prepared file and keeps the program.
    std::fs::remove_file(&log).ok();
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    FifoWriter::new(&dir.join("p"), false).report("t1.o");
    prepared("before the abort");
    let (r, shown) = control(&rt, "abort", &token, &[]);
    assert!(r.success(), "abort failed{}", context(&r, &shown));
    assert!(poll(Duration::from_secs(20), || !pid_alive(pid)));
    assert!(
        output_temporaries(&dir).is_empty(),
        "left after the abort: {:?}",
        output_temporaries(&dir)
    );
    assert!(std::fs::read(dir.join("prog")).unwrap() == reference);

    // SIGKILL leaves the prepared file; the next link that prepares this
    // output removes it.
    std::fs::remove_file(&log).ok();
    let (token, pid) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    FifoWriter::new(&dir.join("p"), false).report("t1.o");
    prepared("before SIGKILL");
    let stale = output_temporaries(&dir);
    // SAFETY: plain syscall; pid is the background linker we started.
    assert_eq!(unsafe { kill(pid, 9) }, 0, "kill {pid} failed");
    assert!(poll(Duration::from_secs(20), || !pid_alive(pid)));
    let _ = control(&rt, "wait", &token, &[]);
    std::fs::remove_file(&log).ok();
    let (token, _) = start_tiny(&dir, &rt, &["t1.o", "t2.o", "t3.o"], &[]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    w.report("t1.o");
    prepared("after SIGKILL");
    let now = output_temporaries(&dir);
    assert!(
        stale.iter().all(|s| !now.contains(s)),
        "the killed linker's {stale:?} is still there: {now:?}"
    );
    w.report("t2.o");
    w.report("t3.o");
    drop(w);
    wait_ok(&dir, &rt, &token, "wait after a killed linker");
    assert!(std::fs::read(dir.join("prog")).unwrap() == reference);
    assert!(poll(Duration::from_secs(5), || output_temporaries(&dir)
        .is_empty()));
}

/// How a resolve-ahead run reports its objects.
#[derive(Clone, Copy, PartialEq)]
enum AheadCase {
    /// In command-line order, then the wait.
    InOrder,
    /// In reverse order: nothing can be resolved ahead until the first
    /// object, reported last, is in.
    Reverse,
    /// Stale versions first (resolved ahead), then the real ones copied
    /// over and reported again.
    ChangedAndReported,
    /// Stale versions first (resolved ahead), then the real ones copied
    /// over without a report: the wait's verification finds them.
    ChangedUnreported,
    /// In order, then main.o (not concurrent, resolved ahead) written again.
    FixedChanged,
    /// In order, then some written again as they were (new files, the same
    /// bytes) and reported again: the resolution ahead stays.
    SameReported,
}

fn resolve_ahead_run(name: &str, case: AheadCase) -> String {
    let st = staging();
    let (dir, rt) = fresh_run(name);
    populate(&dir);
    let fifo = dir.join("p");
    let log = dir.join("log");
    let token = start_through_gcc(
        &dir,
        &rt,
        &[
            format!("--concurrent-pipe={}", fifo.display()),
            format!("--concurrent-log={}", log.display()),
        ],
    );
    let stale_first = matches!(
        case,
        AheadCase::ChangedAndReported | AheadCase::ChangedUnreported
    );
    let mut order: Vec<usize> = (0..N).collect();
    if case == AheadCase::Reverse {
        order.reverse();
    }
    let mut w = FifoWriter::new(&fifo, true);
    for &i in &order {
        let src = if stale_first && STALE.contains(&i) {
            st.dir.join("stale").join(obj(i))
        } else {
            st.dir.join(obj(i))
        };
        std::fs::copy(src, dir.join(obj(i))).unwrap();
        w.report(&obj(i));
    }
    // Let the background linker ingest and resolve ahead what it can.
    // main.o, the objects, libaux.a and what gcc adds (crt files, -lc):
    // more than N + 2 inputs, all of them in.
    let all_ahead = |log: &str| {
        log.lines().any(|l| {
            l.split("resolve-ahead ")
                .nth(1)
                .and_then(|r| r.strip_suffix(" inputs")?.parse::<usize>().ok())
                .is_some_and(|n| n > N + 2)
        })
    };
    if case != AheadCase::Reverse {
        assert!(
            poll(Duration::from_secs(10), || std::fs::read_to_string(&log)
                .is_ok_and(|l| all_ahead(&l))),
            "{name}: the inputs were not all resolved ahead:\n{}",
            truncate(&std::fs::read_to_string(&log).unwrap_or_default(), 30)
        );
    }
    if case == AheadCase::InOrder {
        // And their debug sections written, which goes on while idle.
        assert!(
            poll(Duration::from_secs(10), || std::fs::read_to_string(&log)
                .is_ok_and(|l| l.contains("sections written ahead: "))),
            "{name}: no sections were written ahead:\n{}",
            truncate(&std::fs::read_to_string(&log).unwrap_or_default(), 30)
        );
    }
    match case {
        AheadCase::ChangedAndReported | AheadCase::ChangedUnreported | AheadCase::SameReported => {
            for i in STALE {
                // A new file (another inode), as a compiler writes it.
                let tmp = dir.join(format!("{}.tmp", obj(i)));
                std::fs::copy(st.dir.join(obj(i)), &tmp).unwrap();
                std::fs::rename(&tmp, dir.join(obj(i))).unwrap();
                if case != AheadCase::ChangedUnreported {
                    w.report(&obj(i));
                }
            }
        }
        AheadCase::FixedChanged => {
            let tmp = dir.join("main.o.tmp");
            std::fs::copy(st.dir.join("main.o"), &tmp).unwrap();
            std::fs::rename(&tmp, dir.join("main.o")).unwrap();
        }
        _ => {}
    }
    drop(w);
    wait_ok(&dir, &rt, &token, name);
    check_output(&dir, name);
    check_clean(&dir, &rt, name);
    std::fs::read_to_string(&log).unwrap()
}

/// The number after the first `key` in an event log.
fn logged_number(log: &str, key: &str) -> Option<usize> {
    log.lines()
        .find_map(|l| l.split(key).nth(1))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
}

/// The background linker resolves symbols in command-line order as far as
/// the inputs are in (`concurrent::frontier`); the wait resolves the rest.
/// Whatever it resolved ahead, the output is the serial link's, including
/// when an input it resolved ahead changes before the wait: reported again,
/// it starts over (not if it has the same bytes: written again as it was);
/// not reported (concurrent or not), the wait's verification finds it and
/// the link is made again.
#[test]
fn resolve_ahead_matches_serial_link_and_starts_over_on_change() {
    staging();
    let _g = shared();
    let used = |log: &str| logged_number(log, "resolve-ahead used: ");
    // main.o, 200 objects, libaux.a, then what gcc adds (crt files, -lc).
    let log = resolve_ahead_run("ahead-in-order", AheadCase::InOrder);
    assert!(
        used(&log).is_some_and(|n| n > N + 2),
        "in order: the wait did not use what was resolved ahead:\n{}",
        truncate(&log, 30)
    );
    assert!(
        !log.contains("resolve-ahead dropped"),
        "{}",
        truncate(&log, 30)
    );
    // And their layout (merged strings, .eh_frame) was done ahead too (the
    // output was compared with the serial link's above).
    let merged = logged_number(&log, "layout ahead: ");
    assert!(
        merged.is_some_and(|n| n > N),
        "in order: the layout was not done ahead:\n{}",
        truncate(&log, 30)
    );
    // And the objects' debug sections written (the output, compared with
    // the serial link's, holds them): what the wait took.
    let at_wait = log
        .lines()
        .find(|l| l.contains("resolve-ahead used: "))
        .unwrap_or_default();
    let written = logged_number(at_wait, "sections written ahead: ");
    assert!(
        written.is_some_and(|n| n > N),
        "in order: no sections were written ahead:\n{}",
        truncate(&log, 30)
    );
    let log = resolve_ahead_run("ahead-reverse", AheadCase::Reverse);
    assert!(used(&log).is_some(), "reverse:\n{}", truncate(&log, 30));
    // Reported again: the resolution ahead starts over.
    let name = "ahead-changed-reported";
    let log = resolve_ahead_run(name, AheadCase::ChangedAndReported);
    assert!(
        log.contains("resolve-ahead dropped"),
        "{name}: a changed input that was resolved ahead did not start it over:\n{}",
        truncate(&log, 30)
    );
    // Written again as it was and reported again: it is read, and the
    // resolution ahead stays (and the wait's verification takes the new
    // file).
    let name = "ahead-same-reported";
    let log = resolve_ahead_run(name, AheadCase::SameReported);
    assert!(
        log.contains("(the same bytes as the tables resolved ahead: kept)")
            && !log.contains("resolve-ahead dropped")
            && !log.contains("linking again from the command line"),
        "{name}: an input written again as it was dropped the resolution ahead:\n{}",
        truncate(&log, 30)
    );
    // Not reported: the wait's verification finds it, and the link is made
    // again from the command line.
    for (name, case) in [
        ("ahead-changed-unreported", AheadCase::ChangedUnreported),
        ("ahead-fixed-changed", AheadCase::FixedChanged),
    ] {
        let log = resolve_ahead_run(name, case);
        assert!(
            log.contains("since they were read; linking again from the command line"),
            "{name}: a changed input was not found by the verification:\n{}",
            truncate(&log, 30)
        );
    }
}

/// A process's resident set, from /proc.
fn rss_kib(pid: i32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS for pid {pid}:\n{s}"))
}

/// The background linker reads a concurrent input again each time it is
/// reported; the copy it replaces is freed (`input::Backing`), so 50
/// reports of a 4 MiB object leave its memory where 5 did. The program is
/// still the serial link's.
#[test]
fn rereported_inputs_do_not_accumulate() {
    let _g = shared();
    let (dir, rt) = fresh_run("rereported");
    std::fs::write(dir.join("big.c"), "char big_filler[4 << 20] = {1};\n").unwrap();
    must_succeed(
        &mut gcc_compile(&dir, &[], &["big.c".to_string()]),
        "TEST BUG: gcc",
    );
    std::fs::rename(dir.join("big.o"), dir.join("big.src.o")).unwrap();
    let objs = ["t1.o", "t2.o", "t3.o", "big.o"];
    let (token, pid) = start_tiny(&dir, &rt, &objs, &[]);
    tiny_objects(&dir, &["t1.o", "t2.o", "t3.o"]);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    for o in ["t1.o", "t2.o", "t3.o"] {
        w.report(o);
    }
    let idle = || {
        assert!(
            poll(Duration::from_secs(20), || {
                let (r, _) = control(&rt, "status", &token, &["--json"]);
                serde_json::from_str::<serde_json::Value>(&r.stdout).is_ok_and(|v| {
                    v["in_flight"] == 0 && v["pending"].as_array().is_some_and(Vec::is_empty)
                })
            }),
            "the background linker did not become idle"
        );
    };
    let mut after5 = 0;
    for i in 1..=50 {
        // A new file each time, as a compiler writes it.
        std::fs::copy(dir.join("big.src.o"), dir.join("big.tmp")).unwrap();
        std::fs::rename(dir.join("big.tmp"), dir.join("big.o")).unwrap();
        w.report("big.o");
        idle();
        if i == 5 {
            after5 = rss_kib(pid);
        }
    }
    let after50 = rss_kib(pid);
    drop(w);
    assert!(
        after50 < after5 + 12 * 1024,
        "the background linker grew from {after5} KiB after 5 reports of a 4 MiB \
         object to {after50} KiB after 50"
    );
    wait_ok(&dir, &rt, &token, "wait after 50 reports");
    let linked = std::fs::read(dir.join("prog")).unwrap();
    std::fs::copy(dir.join("big.src.o"), dir.join("big.o")).unwrap();
    let st = staging();
    must_succeed(
        Command::new("gcc")
            .current_dir(&dir)
            .arg("-B")
            .arg(&st.shim)
            .args(["-o", "serial", "tmain.o", "t1.o", "t2.o", "t3.o", "big.o"]),
        "serial link",
    );
    assert!(
        linked == std::fs::read(dir.join("serial")).unwrap(),
        "the program linked after 50 reports differs from the serial link"
    );
    check_runs(
        &dir.join("prog"),
        TINY_OUT,
        "the program linked after 50 reports",
    );
}

/// `m.c`, whose `main` prints what functions `f` (declared `int f(int)`)
/// return for 1, 2 and 3.
fn main_printing(f: [&str; 3]) -> (&'static str, String) {
    let [a, b, c] = f;
    (
        "m.c",
        format!(
            "#include <stdio.h>\nint {a}(int), {b}(int), {c}(int);\n\
             int main(void) {{ printf(\"%d %d %d\\n\", {a}(1), {b}(2), {c}(3)); return 0; }}\n"
        ),
    )
}

/// Writes `sources` into `dir` and compiles them; builds `libfoo.so` from
/// `lib` (C source).
fn compile_with_libfoo(dir: &Path, sources: &[(&str, impl AsRef<str>)], lib: &str) {
    for (f, text) in sources {
        std::fs::write(dir.join(f), text.as_ref()).unwrap();
    }
    std::fs::write(dir.join("lib.c"), lib).unwrap();
    let names: Vec<String> = sources.iter().map(|s| s.0.to_string()).collect();
    must_succeed(&mut gcc_compile(dir, &[], &names), "TEST BUG: gcc");
    must_succeed(
        Command::new("gcc")
            .current_dir(dir)
            .args(["-shared", "-fPIC", "-o", "libfoo.so", "lib.c"]),
        "TEST BUG: gcc -shared",
    );
}

/// What follows `prefix` on the line of `--stats` that starts with it.
fn stats_line(r: &RunResult, shown: &str, prefix: &str) -> String {
    r.stderr
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line '{prefix}'{}", context(r, shown)))
        .to_string()
}

/// Links `m.o`, `objs` and `-lfoo` (with `flags`) serially into
/// `dir/serial`: its bytes.
fn serial_link_with_libfoo(dir: &Path, flags: &[&str], objs: &[&str]) -> Vec<u8> {
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    must_succeed(
        Command::new("gcc")
            .current_dir(dir)
            .arg("-B")
            .arg(&staging().shim)
            .args(flags)
            .args(["-o", "serial", "m.o"])
            .args(objs)
            .args(["-L.", "-lfoo", &rpath]),
        "serial link",
    );
    std::fs::read(dir.join("serial")).unwrap()
}

/// `dir/prog` is byte-identical to the serial link of `m.o`, `objs` and
/// `-lfoo` (with `flags`), whose program runs and prints three numbers,
/// as `prog` does.
fn same_as_serial_with_libfoo(dir: &Path, flags: &[&str], objs: &[&str], what: &str) {
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == serial_link_with_libfoo(dir, flags, objs),
        "{what}: the concurrent link differs from the serial link"
    );
    let (r, shown) = run(&mut Command::new(dir.join("serial")));
    assert!(
        r.success() && r.stdout.split_whitespace().count() == 3,
        "{what}: the serial link's program{}",
        context(&r, &shown)
    );
    check_runs(&dir.join("prog"), &r.stdout, what);
}

/// Starts a background linker (pipe mode, `--stats`) linking `m.o`,
/// `concurrent`, `after` and `-lfoo` (with `flags`) into `out`, through
/// gcc; returns its token.
fn start_with_libfoo(
    dir: &Path,
    rt: &Path,
    flags: &[&str],
    (concurrent, after): (&[&str], &[&str]),
    out: &str,
) -> String {
    let st = staging();
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    let mut cmd = Command::new("gcc");
    cmd.current_dir(dir)
        .env("CLD_RUNTIME_DIR", rt)
        .arg("-B")
        .arg(&st.shim)
        .args(flags)
        .args(["-o", out, "m.o"])
        .arg(pipe_wl(dir, &["--stats"], concurrent))
        .args(after)
        .args(["-L.", "-lfoo", &rpath]);
    let (r, shown) = run(&mut cmd);
    assert!(
        r.success(),
        "starting the background linker failed{}",
        context(&r, &shown)
    );
    check_token(&r, &shown)
}

/// Links `m.o`, `concurrent` and `-lfoo` (with `flags`) into `out` with a
/// background linker (`--stats`), the concurrent objects reported one at
/// a time, each once the linker is idle with the one before in (resolved,
/// laid out and scanned ahead) and, if `written_ahead`, has logged that it
/// finished writing ahead after it came; returns the wait's result.
fn link_reported_one_by_one(
    dir: &Path,
    rt: &Path,
    flags: &[&str],
    concurrent: &[&str],
    out: &str,
    written_ahead: bool,
) -> (RunResult, String) {
    let token = start_with_libfoo(dir, rt, flags, (concurrent, &[]), out);
    let idle = |n: Option<usize>| {
        let ok = poll(Duration::from_secs(20), || {
            let (r, _) = control(rt, "status", &token, &["--json"]);
            serde_json::from_str::<serde_json::Value>(&r.stdout)
                .is_ok_and(|v| v["in_flight"] == 0 && n.is_none_or(|n| v["ingested"] == n))
        });
        assert!(ok, "the background linker did not become idle");
    };
    // The inputs after the concurrent ones (libfoo.so, libc) in first.
    idle(None);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    for (i, o) in concurrent.iter().enumerate() {
        w.report(o);
        idle(Some(i + 1));
        if written_ahead {
            let log = dir.join("log");
            assert!(
                poll(Duration::from_secs(20), || written_ahead_after(
                    &log, &token, o
                )),
                "the background linker did not finish writing ahead after {o}:\n{}",
                truncate(&std::fs::read_to_string(&log).unwrap_or_default(), 40)
            );
        }
    }
    drop(w);
    control(rt, "wait", &token, &[])
}

/// Whether the background linker started with `token` logged in `log`
/// that it finished writing ahead (`sections written ahead: N objects`,
/// `concurrent::frontier`) after the FIFO brought it `object`. (The log
/// may hold earlier runs' lines too.)
fn written_ahead_after(log: &Path, token: &str, object: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(log) else {
        return false;
    };
    let Some((_, run)) = text.split_once(&format!(" start token={token} ")) else {
        return false;
    };
    let Some((_, after)) = run.rsplit_once(&format!(" event fifo {object}\n")) else {
        return false;
    };
    // A line is "TIME +DELTA MESSAGE"; the wait's summary mentions the
    // sections written ahead too, not at the start.
    after.lines().any(|l| {
        l.splitn(3, ' ')
            .nth(2)
            .is_some_and(|m| m.starts_with("sections written ahead: "))
    })
}

/// The relocation scan of an object resolved ahead assumes that a symbol
/// not defined yet will be what the first of the inputs after the
/// concurrent ones that defines it makes it (libfoo.so's `lib_only`:
/// imported, through the PLT), or else defined by a later object,
/// plainly; the wait takes such a scan only where every symbol it looked
/// at is as it saw it. Here d.o (calling `lib_only`) and then a.o are
/// scanned ahead while the objects after them are not in yet. a.o calls
/// `from_lib`, which libfoo.so defines, but b.o, before the library,
/// defines it too: the wait must scan a.o again, and take d.o's scan
/// (`lib_only` as guessed) and b.o's; the program is the serial link's;
/// and a symbol defined nowhere is still an error.
#[test]
fn relocation_scans_made_ahead_are_checked() {
    let _g = shared();
    let (dir, rt) = fresh_run("scans-ahead");
    let sources = [
        (
            "a.c",
            "int from_lib(int); int from_later(int); int lib_only(int);\n\
             int a(int x) { return from_lib(x) + from_later(x) + lib_only(x); }\n",
        ),
        (
            "b.c",
            "int from_later(int x) { return x * 2; }\nint from_lib(int x) { return x + 2000; }\n",
        ),
        ("d.c", "int lib_only(int);\nint d(int x) { return lib_only(x); }\n"),
        ("c.c", "int nowhere(int);\nint c(int x) { return nowhere(x); }\n"),
        (
            "m.c",
            "#include <stdio.h>\nint a(int);\nint main(void) { printf(\"%d\\n\", a(5)); return 0; }\n",
        ),
    ];
    compile_with_libfoo(
        &dir,
        &sources,
        "int from_lib(int x) { return x + 1000; }\nint lib_only(int x) { return x + 100000; }\n",
    );
    let link = |concurrent: &[&str], out: &str| {
        link_reported_one_by_one(&dir, &rt, &[], concurrent, out, false)
    };
    let (r, shown) = link(&["d.o", "a.o", "b.o"], "prog");
    assert!(
        r.success(),
        "the concurrent link failed{}",
        context(&r, &shown)
    );
    let counts = stats_line(&r, &shown, "cld: relocation scans made ahead: ");
    let num = |after: &str| -> usize {
        counts
            .split(after)
            .next()
            .and_then(|s| s.split_whitespace().last()?.parse().ok())
            .unwrap()
    };
    assert!(
        num(" taken") >= 2,
        "b.o's and d.o's scans were not taken: {counts}"
    );
    let again = counts.split(" made again").nth(1).unwrap_or_default();
    assert!(
        num(" made again") >= 1
            && again.contains("a.o")
            && !again.contains("b.o")
            && !again.contains("d.o"),
        "not a.o's scan alone was made again: {counts}"
    );
    check_runs(&dir.join("prog"), "102020\n", "the concurrent link");
    assert!(
        std::fs::read(dir.join("prog")).unwrap()
            == serial_link_with_libfoo(&dir, &[], &["d.o", "a.o", "b.o"]),
        "the concurrent link differs from the serial link"
    );
    // c.o's scan ahead assumes `nowhere` comes later; it does not.
    let (r, shown) = link(&["d.o", "a.o", "b.o", "c.o"], "prog2");
    assert_failed_cleanly(
        &r,
        &shown,
        "a symbol defined nowhere",
        &["undefined symbol: nowhere"],
    );
}

/// Allocated sections (code, data) written ahead: pointers to local and
/// global data and code (patched with the output sections' addresses,
/// with their relative dynamic relocations in a PIE), PC-relative
/// references across output sections, and what is left to the wait
/// (symbols defined by an object that comes later, a shared library's,
/// TLS) mixed in the same sections. Each object is reported once the
/// previous one is in and written: the concurrent link is byte-identical
/// to the serial one, as a PIE and as a position-dependent executable.
#[test]
fn allocated_sections_written_ahead_match_serial_link() {
    let _g = shared();
    let (dir, rt) = fresh_run("alloc-ahead");
    let module = |me: &str, other: &str| {
        format!(
            "#include <stdio.h>\n\
             extern int {other}_data[4]; int {other}_f(int); int from_lib(int);\n\
             __thread int {me}_tls = 3;\n\
             static int counts[4] = {{1, 2, 3, 4}};\n\
             int {me}_data[4] = {{5, 6, 7, 8}};\n\
             static const char *const names[] = {{\"one-{me}\", \"two-{me}\"}};\n\
             static int twice(int x) {{ return 2 * x + counts[x & 3]; }}\n\
             int {me}_f(int x) {{ return twice(x) + {me}_data[x & 3]; }}\n\
             struct ent {{ int *own; int *theirs; int (*fn)(int); int (*lib)(int); const char *name; }};\n\
             const struct ent {me}_table[] = {{\n\
                 {{ counts, {other}_data, {other}_f, from_lib, \"t0\" }},\n\
                 {{ &{me}_data[1], &{other}_data[2], {me}_f, from_lib, \"t1\" }},\n\
             }};\n\
             int {me}_use(int x) {{\n\
                 int r = 0;\n\
                 for (int i = 0; i < 2; i++) {{\n\
                     const struct ent *e = &{me}_table[i];\n\
                     r += *e->own + *e->theirs + e->fn(x) + e->lib(x) + (int)sizeof(e->name) + names[i][0];\n\
                 }}\n\
                 return r + {other}_f(x) + from_lib(x) + {me}_tls++;\n\
             }}\n"
        )
    };
    // b's `b_ctor` is in a constructor list with a priority (d's, with a
    // lower one, comes before it in the output): c's reference to it is
    // left to the wait, which sorts those lists.
    let b = module("b", "c")
        + "static void b_init(void) {}\n\
           __attribute__((section(\".init_array.00150\"))) void (*b_ctor)(void) = b_init;\n";
    let c = module("c", "a")
        + "extern void (*b_ctor)(void);\n\
           __attribute__((constructor(120))) static void c_init(void) { b_ctor(); }\n";
    // e.o has an empty code section aligned as b's code is: written ahead
    // too, at the offset where b's starts.
    let e = "int e_only[2] = {1, 2};\n\
             __asm__(\".section .text.e,\\\"ax\\\",@progbits\\n.p2align 4\\n.previous\");\n";
    let sources = [
        ("a.c", module("a", "b")),
        ("e.c", e.to_string()),
        ("b.c", b),
        ("c.c", c),
        (
            "d.c",
            module("d", "a")
                + "volatile int d_inits;\n\
                 __attribute__((constructor(101))) static void d_init(void) { d_inits++; }\n",
        ),
        main_printing(["a_use", "b_use", "c_use"]),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    let objs = ["a.o", "e.o", "b.o", "c.o", "d.o"];
    for mode in ["-pie", "-no-pie"] {
        // No debug sections: what was written ahead is allocated.
        link_one_by_one_all_taken(&dir, &rt, mode, &objs, 6);
        same_as_serial_with_libfoo(&dir, &[mode], &objs, mode);
    }
}

/// Thread-local variables accessed from sections written ahead, in an
/// executable (where the serial write relaxes every access to local-exec
/// when the variable is the program's): local-exec (`TPOFF32`), initial-
/// exec (`GOTTPOFF`, its instruction rewritten), general- and
/// local-dynamic sequences (`TLSGD`, `TLSLD`, the `__tls_get_addr` call
/// they replace consumed) and TLS descriptors (`-mtls-dialect=gnu2`),
/// against static and global variables in `.tdata` and `.tbss` of
/// objects placed ahead, and the offsets in the TLS block of the debug
/// information (`DTPOFF32`). They are written with the variables' offsets
/// in their output sections and completed at the wait by the thread
/// pointer (or the block's start), which later objects move (their
/// `.tdata` comes before every `.tbss`): none is left to the wait, and
/// the program is the serial link's, byte for byte.
#[test]
fn tls_accesses_written_ahead_match_serial_link() {
    let _g = shared();
    let (dir, rt) = fresh_run("tls-ahead");
    let module = |me: &str, prev: &str| {
        format!(
            "static __thread int {me}_s = 3;\n\
             static __thread int {me}_z;\n\
             static __thread int {me}_ld __attribute__((tls_model(\"local-dynamic\"))) = 2;\n\
             static __thread int {me}_ld2 __attribute__((tls_model(\"local-dynamic\")));\n\
             __thread int {me}_g = 5;\n\
             __thread long {me}_gz[3];\n\
             extern __thread int {prev}_g;\n\
             extern __thread long {prev}_gz[3] __attribute__((tls_model(\"global-dynamic\")));\n\
             int {me}_use(int x) {{\n\
                 {me}_z += x; {me}_gz[x % 3] += {me}_s; {me}_ld2 += {me}_ld;\n\
                 return {me}_s + {me}_z + {me}_g + {prev}_g + (int){prev}_gz[x % 3] + {me}_ld++ + {me}_ld2;\n\
             }}\n"
        )
    };
    let sources = [
        (
            "m.c",
            "#include <stdio.h>\nint a_use(int), b_use(int), c_use(int), d_use(int);\n\
             __thread int m_g = 1;\n__thread long m_gz[3] = {4, 5, 6};\n\
             int main(void) { int r = 0; for (int i = 0; i < 3; i++) r += c_use(i) + d_use(i);\n\
             printf(\"%d %d %d\\n\", a_use(1), b_use(2), r); return 0; }\n"
                .to_string(),
        ),
        ("a.c", module("a", "m")),
        ("b.c", module("b", "a")),
        ("c.c", module("c", "b")),
        ("d.c", module("d", "c")),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    let names = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    must_succeed(
        &mut gcc_compile(&dir, &["-g"], &names(&["a.c", "b.c", "d.c"])),
        "TEST BUG: gcc",
    );
    let gnu2 = ["-g", "-mtls-dialect=gnu2"];
    must_succeed(
        &mut gcc_compile(&dir, &gnu2, &names(&["c.c"])),
        "TEST BUG: gcc",
    );
    let objs = ["a.o", "b.o", "c.o", "d.o"];
    for mode in ["-pie", "-no-pie"] {
        let (r, shown) = link_one_by_one_all_taken(&dir, &rt, mode, &objs, 8);
        // Left to the wait: the C runtime's references to what comes
        // later (`main`, libc's), and c.o's TLS descriptor call for its
        // local-dynamic variables (`_TLS_MODULE_BASE_`, the linker's).
        let left = stats_line(&r, &shown, "cld: relocations in them left to the wait: ");
        let (files, most) = left
            .split_once(" in ")
            .and_then(|(_, rest)| rest.split_once(" objects (most: "))
            .unwrap_or_else(|| panic!("{mode}: no counts in '{left}'"));
        assert!(
            files.parse::<usize>().is_ok_and(|n| n <= 5),
            "{mode}: more objects than the list shows: {left}"
        );
        let ours: Vec<&str> = (most.trim_end_matches(')').split(", "))
            .filter(|e| !e.starts_with('/'))
            .collect();
        assert_eq!(
            ours,
            ["c.o 2"],
            "{mode}: TLS relocations were left to the wait: {left}"
        );
        same_as_serial_with_libfoo(&dir, &[mode], &objs, mode);
    }
}

/// Links `m.o`, `objs` and `-lfoo` (`mode`: `-pie` or `-no-pie`) into
/// `prog`, each object reported once the previous one is in and written
/// ahead (while the linker is idle); asserts that the wait succeeded and
/// took every section written ahead, at least `min` of them.
fn link_one_by_one_all_taken(
    dir: &Path,
    rt: &Path,
    mode: &str,
    objs: &[&str],
    min: usize,
) -> (RunResult, String) {
    let (r, shown) = link_reported_one_by_one(dir, rt, &[mode], objs, "prog", true);
    assert!(
        r.success(),
        "{mode}: the wait failed{}",
        context(&r, &shown)
    );
    let taken = stats_line(&r, &shown, "cld: sections written ahead: ");
    let n: Vec<usize> = taken
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        n.len() == 2 && n[0] >= min && n[0] == n[1],
        "{mode}: the sections written ahead were not all taken: {taken}{}",
        context(&r, &shown)
    );
    (r, shown)
}

/// Links `m.o`, `concurrent`, `after` and `-lfoo` (with `flags`) into
/// `out` with a background linker: every concurrent object but `late`
/// reported first, and once the resolution has gone on past `late` (the
/// inputs after it resolved ahead, `concurrent::frontier`), `meanwhile`,
/// then `late`. Returns the wait's result and the event log.
fn link_with_one_late(
    dir: &Path,
    rt: &Path,
    flags: &[&str],
    (concurrent, late, after): (&[&str], &str, &[&str]),
    out: &str,
    meanwhile: &dyn Fn(&mut FifoWriter),
) -> (RunResult, String, String) {
    let order: Vec<&str> = concurrent.iter().copied().filter(|o| *o != late).collect();
    link_with_one_late_in(
        dir,
        rt,
        flags,
        (concurrent, &order, late, after),
        out,
        meanwhile,
    )
}

/// `link_with_one_late`, the others reported in `order`.
fn link_with_one_late_in(
    dir: &Path,
    rt: &Path,
    flags: &[&str],
    (concurrent, order, late, after): (&[&str], &[&str], &str, &[&str]),
    out: &str,
    meanwhile: &dyn Fn(&mut FifoWriter),
) -> (RunResult, String, String) {
    let log = dir.join("log");
    let _ = std::fs::remove_file(&log);
    let token = start_with_libfoo(dir, rt, flags, (concurrent, after), out);
    let mut w = FifoWriter::new(&dir.join("p"), true);
    for o in order {
        w.report(o);
    }
    // "past input #N", then the inputs after it fed ("resolve-ahead K inputs").
    let past = |l: &str| {
        l.split_once("resolve-ahead past input #")
            .is_some_and(|(_, rest)| {
                rest.lines()
                    .any(|l| l.contains("resolve-ahead ") && l.ends_with(" inputs"))
            })
    };
    assert!(
        poll(Duration::from_secs(20), || std::fs::read_to_string(&log)
            .is_ok_and(|l| past(&l))),
        "the resolution did not go past {late}:\n{}",
        truncate(&std::fs::read_to_string(&log).unwrap_or_default(), 30)
    );
    meanwhile(&mut w);
    w.report(late);
    drop(w);
    let (r, shown) = control(rt, "wait", &token, &[]);
    (r, shown, std::fs::read_to_string(&log).unwrap_or_default())
}

/// That the wait with `late` reported late succeeded, and its event log
/// says each of `outcome`.
fn wait_came_to(late: &str, (r, shown, log): (&RunResult, &str, &str), outcome: &[&str]) {
    assert!(r.success(), "{late}: the wait failed{}", context(r, shown));
    for o in outcome {
        assert!(log.contains(o), "{late}: not {o}:\n{}", truncate(log, 40));
    }
}

/// While an object is not in yet, the background linker resolves the
/// inputs after it (`resolve::Incremental::open_gap`): an object after
/// it, the archive it pulls members from, the libraries. When the object
/// comes, it takes its place if that changes nothing resolved after it
/// (here it defines what an earlier object wants, and wants what is
/// defined after it, by b.o, by a member that a.o pulled and by the
/// library; names it mentions first and b.o mentions too are numbered as
/// in the serial link; or it wants `aux2`, which b.o wanted before the
/// archive was scanned). Else what came after it is resolved again in
/// order: when it wants a member no input wanted before (`aux3`), and
/// when it defines what b.o defines weakly. Each time the program is the
/// serial link's, byte for byte. b.o's relocation scan, made while the gap
/// was open, is taken when it is filled (its symbols numbered again).
#[test]
fn resolution_past_a_missing_object_matches_serial_link() {
    let _g = shared();
    let (dir, rt) = fresh_run("past-a-gap");
    let late = |name: &str, extra: &str| {
        format!(
            "int aux1(int), b_f(int), from_lib(int);\n\
             int gap_data = 7; const char *gap_name = \"{name}\";\n\
             int gap_f(int x) {{ return aux1(x) + b_f(x) + from_lib(x) + gap_data + gap_name[0]{extra}; }}\n"
        )
    };
    let sources = [
        (
            "m.c",
            "#include <stdio.h>\nint a_f(int), b_use(int), b_weak(void);\n\
             int main(void) { printf(\"%d %d %d\\n\", a_f(1), b_use(2), b_weak()); return 0; }\n"
                .to_string(),
        ),
        (
            "a.c",
            "int aux1(int), gap_f(int);\nint a_f(int x) { return aux1(x) + gap_f(x); }\n"
                .to_string(),
        ),
        ("g1.c", late("holds", "")),
        (
            "g2.c",
            late("wants-aux3", " + aux3(x)").replace("int aux1(int)", "int aux3(int), aux1(int)"),
        ),
        (
            "g3.c",
            late("defines-b_weak", "") + "int b_weak(void) { return 33; }\n",
        ),
        (
            "g4.c",
            late("wants-aux2", " + aux2(x)").replace("int aux1(int)", "int aux2(int), aux1(int)"),
        ),
        (
            "b.c",
            "extern int gap_data; extern const char *gap_name; int aux2(int);\n\
             int b_f(int x) { return 3 * x; }\n\
             int b_use(int x) { return gap_data + gap_name[1] + aux2(x); }\n\
             __attribute__((weak)) int b_weak(void) { return 22; }\n"
                .to_string(),
        ),
        ("aux1.c", "int aux1(int x) { return x + 10; }\n".to_string()),
        ("aux2.c", "int aux2(int x) { return x + 20; }\n".to_string()),
        ("aux3.c", "int aux3(int x) { return x + 30; }\n".to_string()),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    must_succeed(
        Command::new("ar")
            .current_dir(&dir)
            .args(["rcs", "libaux.a", "aux1.o", "aux2.o", "aux3.o"]),
        "TEST BUG: ar",
    );
    for (late, outcome) in [
        ("g1.o", "filled its place"),
        ("g2.o", "undone (what came after it changes)"),
        ("g3.o", "undone (what came after it changes)"),
        // aux2's member is taken for b.o, which wants it before libaux.a.
        ("g4.o", "filled its place"),
    ] {
        let concurrent = ["a.o", late, "b.o"];
        let (r, shown, log) = link_with_one_late(
            &dir,
            &rt,
            &[],
            (&concurrent, late, &["libaux.a"]),
            "prog",
            &|_| {},
        );
        wait_came_to(late, (&r, &shown, &log), &[outcome]);
        // b.o's scan, made while the gap was open (its symbols numbered
        // again when g1.o came), is taken.
        let scans = stats_line(&r, &shown, "cld: relocation scans made ahead: ");
        assert!(
            late != "g1.o" || !scans.contains("b.o"),
            "{late}: b.o's scan made ahead was not taken: {scans}"
        );
        same_as_serial_with_libfoo(&dir, &[], &["a.o", late, "b.o", "libaux.a"], late);
    }
}

/// Past a gap, the objects' live `.eh_frame` records are placed before the
/// late object comes (`layout::LayoutAhead`'s `float`). A CIE's key names
/// its personality routine by symbol id, which the fill numbers again
/// when the late object is the first to name it in link order: b.o's CIE,
/// placed while the gap was open as a CIE of its own, must then be taken
/// for the same as the late object's (one CIE in the output, as in the
/// serial link): the records are placed again from the gap.
/// Non-PIC code with `-fexceptions` and a cleanup refers to
/// `__gcc_personality_v0` from the CIE directly.
#[test]
fn eh_frame_records_found_past_a_gap_match_serial_link() {
    let _g = shared();
    let (dir, rt) = fresh_run("past-a-gap-eh");
    let with_cleanup = |name: &str, callee: &str| {
        format!(
            "int {callee}(int);\nvoid done(int *p);\n\
             int {name}(int x) {{ int y __attribute__((cleanup(done))) = x; return {callee}(y) + 1; }}\n"
        )
    };
    let sources = [
        main_printing(["a_f", "b_f", "c_f"]),
        (
            "a.c",
            "int g_f(int);\nint a_f(int x) { return g_f(x) + 1; }\n".to_string(),
        ),
        ("g.c", with_cleanup("g_f", "b_f")),
        // Names made after the gap before b.o's: the fill numbers
        // b.o's (the personality's) again, g.o's first.
        ("d.c", "int d_f(int x) { return 2 * x; }\n".to_string()),
        ("b.c", with_cleanup("b_f", "c_f")),
        (
            "c.c",
            "int c_f(int x) { return x + 100; }\nint seen; void done(int *p) { seen += *p; }\n"
                .to_string(),
        ),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    let names = ["g.c".to_string(), "b.c".to_string()];
    let flags = ["-fno-pie", "-fexceptions"];
    must_succeed(&mut gcc_compile(&dir, &flags, &names), "TEST BUG: gcc");
    let concurrent = ["a.o", "g.o", "d.o", "b.o", "c.o"];
    let (r, shown, log) = link_with_one_late(
        &dir,
        &rt,
        &["-no-pie"],
        (&concurrent, "g.o", &[]),
        "prog",
        &|_| {},
    );
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    assert!(
        log.contains("filled its place")
            && log.contains("(folded again: .eh_frame after it would not just move)"),
        "g.o did not fill its place, or the records after it were not placed again:\n{}",
        truncate(&log, 40)
    );
    same_as_serial_with_libfoo(&dir, &["-no-pie"], &concurrent, "g.o late");
}

/// While a gap is open, the objects after it are laid out ahead as if the
/// late object had no sections (`layout::LayoutAhead`'s `float`): output
/// sections joined, input sections placed, merged strings, `.eh_frame`.
/// When it comes its sections go where laying out in order puts them and
/// the rest move: strings it has that were first seen after it (in
/// `.rodata.str1.1` and `.debug_str`) move into its part, an output
/// section of its own is added, one that an object after it made first
/// (d.o) is numbered as if it had, b.o's FDEs follow b.o's own CIE, b.o's
/// `.data` moves by the gap's 4 bytes and c.o's (aligned to 8) does not. Where moving is not what laying out in
/// order makes (an output section that an object after it made first, e.o,
/// with another type;
/// strings aligned to 8 that it shares with an object after it), the
/// folds go back to it and go on in order. The program is the serial
/// link's each time, byte for byte, and every section written ahead (of
/// the objects before the gap: nothing against a place that moves) is
/// taken.
#[test]
fn layout_past_a_gap_moves_or_is_made_again() {
    let _g = shared();
    let (dir, rt) = fresh_run("past-a-gap-float");
    // A string in `.rodata.str1.8` (mergeable, aligned to 8).
    let aligned = |s: &str| {
        format!(
            "__asm__(\".section .rodata.str1.8,\\\"aMS\\\",@progbits,1\\n.balign 8\\n\
             .string \\\"{s}\\\"\\n.previous\");\n"
        )
    };
    let late = |extra: &str| {
        format!(
            "int b_function_with_a_long_name(int), c_function_with_a_long_name(int);\n\
             int gap_int = 3;\n\
             int gap_f(int x) {{ return b_function_with_a_long_name(x) \
             + c_function_with_a_long_name(x) + \"a string b.o has too\"[x & 3]; }}\n{extra}"
        )
    };
    let sources = [
        main_printing(["a_f", "b_function_with_a_long_name", "c_f"]),
        (
            "a.c",
            "int gap_f(int), c_f(int);\nconst char *a_s = \"a.o's\";\n\
             int a_f(int x) { return gap_f(x) + c_f(x) + a_s[0]; }\n"
                .to_string()
                + &aligned("a.o's, aligned"),
        ),
        ("g1.c", late("")),
        (
            "g2.c",
            late("__attribute__((section(\"own_section\"))) int gap_own = 5;\n"),
        ),
        (
            "g3.c",
            late("__attribute__((section(\"shared_section\"))) int gap_too = 6;\n"),
        ),
        ("g4.c", late(&aligned("aligned and shared"))),
        (
            "b.c",
            format!(
                "const char *b_s = \"a string b.o has too\", *b_t = \"b.o's own\";\n\
                 int b_int = 1;\n\
                 int b_function_with_a_long_name(int x) {{ return 3 * x + b_s[1] + b_t[0]; }}\n\
                 {}{}",
                aligned("aligned and shared"),
                // A CIE of its own (a signal frame's), after the gap's.
                "__asm__(\".text\\n.globl b_sig\\nb_sig:\\n.cfi_startproc\\n\
                 .cfi_signal_frame\\nret\\n.cfi_endproc\\n\");\n"
            ),
        ),
        (
            "c.c",
            "long c_long = 2;\n\
             int c_function_with_a_long_name(int x) { return x + 7; }\n\
             int c_f(int x) { return x + 100; }\n"
                .to_string(),
        ),
        (
            "d.c",
            "__attribute__((section(\"shared_section\"))) int d_too = 7;\n".to_string(),
        ),
        // The same output section, with another type.
        (
            "e.c",
            "__asm__(\".section shared_section,\\\"aw\\\",@init_array\\n.quad 0\\n.previous\");\n"
                .to_string(),
        ),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    let names: Vec<String> = sources.iter().map(|s| s.0.to_string()).collect();
    must_succeed(&mut gcc_compile(&dir, &["-g"], &names), "TEST BUG: gcc -g");
    for (late, last, outcome) in [
        ("g1.o", None, "(moved)"),
        ("g2.o", None, "(moved)"),
        ("g3.o", Some("d.o"), "(moved)"),
        // Its own output section, before d.o's.
        ("g2.o", Some("d.o"), "(moved)"),
        (
            "g3.o",
            Some("e.o"),
            "(folded again: output sections after it would not just move)",
        ),
        (
            "g4.o",
            None,
            "(folded again: merged strings after it would not just move)",
        ),
    ] {
        // (d.o and e.o make an output section: after g3.o's, which has
        // it too.)
        let mut concurrent = vec!["a.o", late, "b.o", "c.o"];
        concurrent.extend(last);
        let concurrent = &concurrent[..];
        // a.o last: it is written once those after the gap are placed.
        let mut order: Vec<&str> = concurrent[2..].to_vec();
        order.push("a.o");
        let (r, shown, log) = link_with_one_late_in(
            &dir,
            &rt,
            &[],
            (concurrent, &order, late, &[]),
            "prog",
            &|_| {},
        );
        wait_came_to(late, (&r, &shown, &log), &["filled its place", outcome]);
        // Written ahead against nothing that moves (a.o calls c.o's
        // function, placed when a.o is written): all taken.
        let written = stats_line(&r, &shown, "cld: sections written ahead: ");
        let taken = written
            .strip_suffix(" taken")
            .and_then(|w| w.split_once(" of "))
            .filter(|(a, b)| a == b && *a != "0");
        assert!(
            taken.is_some(),
            "{late}: not all sections written ahead were taken: {written}"
        );
        same_as_serial_with_libfoo(&dir, &[], concurrent, late);
    }
}

/// An object after a gap in the resolution ahead that is reported again
/// (rewritten) while the gap is open: the resolution is dropped (the gap
/// undone, every input given back) and made again; the program is the
/// serial link's with the new object.
#[test]
fn rereported_object_after_a_gap_starts_the_resolution_over() {
    let _g = shared();
    let (dir, rt) = fresh_run("past-a-gap-rereported");
    let sources = [
        (
            "m.c",
            "#include <stdio.h>\nint a_f(int), b_f(int);\n\
             int main(void) { printf(\"%d %d\\n\", a_f(1), b_f(2)); return 0; }\n",
        ),
        (
            "a.c",
            "int g_f(int);\nint a_f(int x) { return g_f(x) + 1; }\n",
        ),
        (
            "g.c",
            "int b_f(int);\nint g_f(int x) { return b_f(x) * 10; }\n",
        ),
        ("b.c", "int b_f(int x) { return x + 100; }\n"),
        (
            "b2.c",
            "int from_lib(int);\nint b_f(int x) { return from_lib(x) + 200; }\n",
        ),
    ];
    compile_with_libfoo(&dir, &sources, "int from_lib(int x) { return x + 1000; }\n");
    let concurrent = ["a.o", "g.o", "b.o"];
    let (r, shown, log) =
        link_with_one_late(&dir, &rt, &[], (&concurrent, "g.o", &[]), "prog", &|w| {
            // A new file (another inode), as a compiler writes it.
            std::fs::copy(dir.join("b2.o"), dir.join("b.o.tmp")).unwrap();
            std::fs::rename(dir.join("b.o.tmp"), dir.join("b.o")).unwrap();
            w.report("b.o");
        });
    assert!(r.success(), "the wait failed{}", context(&r, &shown));
    assert!(
        log.contains("resolve-ahead dropped"),
        "the resolution past the gap was not dropped:\n{}",
        truncate(&log, 40)
    );
    assert!(
        std::fs::read(dir.join("prog")).unwrap() == serial_link_with_libfoo(&dir, &[], &concurrent),
        "the concurrent link differs from the serial link"
    );
    check_runs(&dir.join("prog"), "12011 1202\n", "the concurrent link");
}
