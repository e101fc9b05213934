//! Helpers shared by the integration tests that drive cld through gcc:
//! the `gcc -B <shim>` linker shim, running commands with a timeout, tool
//! checks and a small line diff for failure messages.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Environment variable naming another linker to put behind the shim instead
/// of cld. Only for validating the test harness itself, e.g.
/// `CLD_TEST_LINKER=/usr/bin/ld cargo test -p ld-core --test c_programs`.
/// With it set, checks that only make sense for cld (the `.comment` marker,
/// cld's own message formats) are skipped or expected to fail.
pub const LINKER_OVERRIDE_VAR: &str = "CLD_TEST_LINKER";

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ld-core has a parent directory")
        .to_path_buf()
}

/// `tests/c` at the top of the repository.
pub fn c_tests_dir() -> PathBuf {
    repo_root().join("tests").join("c")
}

/// A fresh, empty work directory `target/tmp/<group>/<name>`.
pub fn fresh_work_dir(group: &str, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot clean work directory {}: {e}", dir.display()));
    }
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create work directory {}: {e}", dir.display()));
    dir
}

/// The linker override from [`LINKER_OVERRIDE_VAR`], if set and non-empty.
pub fn linker_override() -> Option<PathBuf> {
    std::env::var_os(LINKER_OVERRIDE_VAR)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The cld binary built by cargo for this test run.
pub fn cld_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cld"))
}

/// The linker behind the shim: cld, or the override.
pub fn linker_under_test() -> PathBuf {
    linker_override().unwrap_or_else(cld_binary)
}

/// Creates `<dir>/shim/ld`, a symlink to the linker under test, and returns
/// the `-B` argument for gcc (the directory with a trailing slash). gcc runs
/// collect2, which runs the first `ld` found in the `-B` directories.
pub fn make_shim(dir: &Path) -> String {
    let shim = dir.join("shim");
    std::fs::create_dir_all(&shim).expect("create shim directory");
    let link = shim.join("ld");
    let _ = std::fs::remove_file(&link);
    let target = linker_under_test();
    assert!(
        target.exists(),
        "linker under test {} does not exist",
        target.display()
    );
    std::os::unix::fs::symlink(&target, &link).unwrap_or_else(|e| {
        panic!(
            "cannot symlink {} -> {}: {e}",
            link.display(),
            target.display()
        )
    });
    format!("{}/", shim.display())
}

/// Fails the test if a required external tool is missing, naming the Debian
/// package that provides it. Tests never skip silently.
pub fn require_tool(tool: &str, package: &str) {
    static CHECKED: OnceLock<std::sync::Mutex<Vec<String>>> = OnceLock::new();
    let checked = CHECKED.get_or_init(Default::default);
    if checked.lock().unwrap().iter().any(|t| t == tool) {
        return;
    }
    match Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => checked.lock().unwrap().push(tool.to_string()),
        Ok(s) => panic!("`{tool} --version` failed ({s}); reinstall the `{package}` package"),
        Err(e) => panic!(
            "required tool `{tool}` is not available ({e}); install it: apt-get install {package}"
        ),
    }
}

/// What happened to a command run by [`run_with_timeout`].
#[derive(Debug)]
pub struct RunResult {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    pub elapsed: Duration,
}

impl RunResult {
    pub fn success(&self) -> bool {
        !self.timed_out && self.status.success()
    }

    /// "exit status 3", "killed by signal 11 (SIGSEGV)", "timed out ...".
    pub fn describe_status(&self) -> String {
        if self.timed_out {
            return format!(
                "timed out after {:.1} s and was killed",
                self.elapsed.as_secs_f64()
            );
        }
        describe_exit(self.status)
    }

    /// Exit code, or None when killed by a signal or timed out.
    pub fn code(&self) -> Option<i32> {
        if self.timed_out {
            None
        } else {
            self.status.code()
        }
    }
}

pub fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        format!("exit status {code}")
    } else if let Some(sig) = status.signal() {
        format!(
            "killed by signal {sig} ({}){}",
            signal_name(sig),
            if status.core_dumped() {
                ", core dumped"
            } else {
                ""
            }
        )
    } else {
        format!("{status}")
    }
}

pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => "?",
    }
}

extern "C" {
    // From the C library every Rust program on Linux links against.
    fn kill(pid: i32, sig: i32) -> i32;
}
const SIGKILL: i32 = 9;

/// Runs `cmd` (stdin from /dev/null, stdout and stderr captured) in its own
/// process group; if it has not finished after `timeout`, the whole group
/// (e.g. gcc, collect2 and the linker) is killed with SIGKILL.
/// Err only if the command could not be started.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Result<RunResult, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", show_command(cmd)))?;
    let pid = child.id() as i32;
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });
    // Poll instead of blocking in wait(): the child is only reaped here, so
    // while we may still kill its process group, the group id cannot have
    // been reused by an unrelated process.
    let mut timed_out = false;
    let mut nap = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("wait failed: {e}")),
        }
        if !timed_out && start.elapsed() >= timeout {
            timed_out = true;
            // SAFETY: plain syscall wrapper; -pid is the process group we
            // created for this command (its leader is not reaped yet).
            unsafe {
                kill(-pid, SIGKILL);
            }
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok(RunResult {
        status,
        stdout,
        stderr,
        timed_out,
        elapsed: start.elapsed(),
    })
}

/// Shell-like rendering of a command for reproduction in failure messages.
pub fn show_command(cmd: &Command) -> String {
    let mut s = String::new();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            let _ = write!(
                s,
                "{}={} ",
                k.to_string_lossy(),
                shell_quote(&v.to_string_lossy())
            );
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        s = format!("(cd {} && {s}", shell_quote(&dir.to_string_lossy()));
    }
    s.push_str(&shell_quote(&cmd.get_program().to_string_lossy()));
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&shell_quote(&a.to_string_lossy()));
    }
    if cmd.get_current_dir().is_some() {
        s.push(')');
    }
    s
}

pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=+,:@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// Truncates long text for failure messages, keeping the beginning and end.
pub fn truncate(text: &str, max_lines: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= max_lines {
        return text.to_string();
    }
    let head = max_lines * 2 / 3;
    let tail = max_lines - head;
    format!(
        "{}\n[... {} lines omitted ...]\n{}\n",
        lines[..head].join("\n"),
        lines.len() - head - tail,
        lines[lines.len() - tail..].join("\n")
    )
}

/// Indents every line of `text` by `prefix` (for nesting in reports).
pub fn indent(text: &str, prefix: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A line diff of two small texts: lines prefixed "  " are common, "- " only
/// in `expected`, "+ " only in `actual`. Long diffs are truncated.
pub fn line_diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut out: Vec<String> = Vec::new();
    if a.len() * b.len() > 4_000_000 {
        out.push("(outputs too long for a diff; first lines of each)".into());
        out.extend(a.iter().take(20).map(|l| format!("- {l}")));
        out.extend(b.iter().take(20).map(|l| format!("+ {l}")));
    } else {
        // Longest common subsequence table, suffix form.
        let (n, m) = (a.len(), b.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                out.push(format!("  {}", a[i]));
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                out.push(format!("+ {}", b[j]));
                j += 1;
            } else {
                out.push(format!("- {}", a[i]));
                i += 1;
            }
        }
    }
    let trailing_a = expected.ends_with('\n') || expected.is_empty();
    let trailing_b = actual.ends_with('\n') || actual.is_empty();
    if trailing_a != trailing_b {
        out.push(format!(
            "(final newline: expected {}, actual {})",
            if trailing_a { "present" } else { "missing" },
            if trailing_b { "present" } else { "missing" }
        ));
    }
    truncate(&out.join("\n"), 80)
}

/// `tests/cpp` at the top of the repository.
pub fn cpp_tests_dir() -> PathBuf {
    repo_root().join("tests").join("cpp")
}

/// True when `CLD_UPDATE_EXPECTED=1`: tests rewrite their expected files
/// from the system-linked programs instead of comparing against them.
pub fn update_expected() -> bool {
    std::env::var_os("CLD_UPDATE_EXPECTED").is_some_and(|v| v == "1")
}

/// Runs `readelf <args> <file>` (with the usual build timeout of 120 s).
pub fn readelf(args: &[&str], file: &Path) -> Result<RunResult, String> {
    let mut cmd = Command::new("readelf");
    cmd.args(args).arg(file);
    run_with_timeout(&mut cmd, Duration::from_secs(120))
}

/// What `readelf -aW` says about an ELF file, parsed for the checks the
/// program tests make. `problems` lists readelf's own complaints: anything
/// on stderr, a failing exit status, and output lines with
/// `Warning`/`warning`/`Error`.
pub struct ReadelfReport {
    pub problems: Vec<String>,
    /// The `Type:` word of the file header: EXEC, DYN, REL, ...
    pub elf_type: String,
    /// Program header types (LOAD, INTERP, DYNAMIC, TLS, ...).
    pub segments: BTreeSet<String>,
    /// DT_NEEDED names, in order.
    pub needed: Vec<String>,
    pub soname: Option<String>,
    /// DT_RUNPATH or DT_RPATH value.
    pub runpath: Option<String>,
    /// Names in .symtab and .dynsym, without `@version` suffixes.
    pub symbols: BTreeSet<String>,
}

/// Runs `readelf -aW` on `file` and parses it into a [`ReadelfReport`].
pub fn readelf_report(file: &Path) -> ReadelfReport {
    let mut rep = ReadelfReport {
        problems: Vec::new(),
        elf_type: "<none>".into(),
        segments: BTreeSet::new(),
        needed: Vec::new(),
        soname: None,
        runpath: None,
        symbols: BTreeSet::new(),
    };
    let all = match readelf(&["-aW"], file) {
        Ok(r) => r,
        Err(e) => {
            rep.problems.push(format!("readelf -aW could not run: {e}"));
            return rep;
        }
    };
    if !all.stderr.trim().is_empty() {
        rep.problems.push(format!(
            "`readelf -aW {}` printed on stderr:\n{}",
            file.display(),
            indent(&truncate(&all.stderr, 30), "    ")
        ));
    }
    if !all.success() {
        rep.problems
            .push(format!("`readelf -aW` failed: {}", all.describe_status()));
    }
    let bad: Vec<&str> = all
        .stdout
        .lines()
        .filter(|l| l.contains("Warning") || l.contains("warning") || l.contains("Error"))
        .collect();
    if !bad.is_empty() {
        rep.problems.push(format!(
            "`readelf -aW {}` output has {} line(s) with Warning/warning/Error:\n{}",
            file.display(),
            bad.len(),
            indent(&truncate(&bad.join("\n"), 20), "    ")
        ));
    }
    if let Some(t) = all
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("Type:"))
        .and_then(|l| l.split_whitespace().nth(1))
    {
        rep.elf_type = t.to_string();
    }
    rep.segments = all
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Program Headers:"))
        .take_while(|l| !l.trim_start().starts_with("Section to Segment mapping"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    // Dynamic section lines: " 0x... (NEEDED)   Shared library: [libc.so.6]".
    let bracketed = |l: &str| -> Option<String> {
        let start = l.find('[')?;
        let end = l.rfind(']')?;
        (end > start).then(|| l[start + 1..end].to_string())
    };
    let mut in_symtab = false;
    for line in all.stdout.lines() {
        if line.contains("(NEEDED)") {
            rep.needed.extend(bracketed(line));
        } else if line.contains("(SONAME)") {
            rep.soname = bracketed(line);
        } else if line.contains("(RUNPATH)") || line.contains("(RPATH)") {
            rep.runpath = bracketed(line);
        }
        // Symbol tables: "Symbol table '.symtab' contains N entries:", a
        // header line, then "   Num:    Value  Size Type Bind Vis Ndx Name".
        if line.starts_with("Symbol table '") {
            in_symtab = true;
            continue;
        }
        if in_symtab {
            if line.trim().is_empty() {
                in_symtab = false;
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() >= 8 && fields[0].ends_with(':') && fields[0] != "Num:" {
                let name = fields[7];
                let name = name.split('@').next().unwrap_or(name);
                rep.symbols.insert(name.to_string());
            }
        }
    }
    rep
}

/// None if `.comment` of `file` names cld (or another linker is under test,
/// see [`LINKER_OVERRIDE_VAR`]); otherwise the problem.
pub fn comment_problem(file: &Path) -> Option<String> {
    if linker_override().is_some() {
        return None;
    }
    match readelf(&["-p", ".comment"], file) {
        Ok(r) if r.stdout.contains("cld") => None,
        Ok(r) => Some(format!(
            "`readelf -p .comment {}` does not mention cld (was it really linked by cld?):\n{}",
            file.display(),
            indent(&truncate(&format!("{}{}", r.stdout, r.stderr), 20), "    ")
        )),
        Err(e) => Some(format!("readelf -p .comment could not run: {e}")),
    }
}

/// The names of the subdirectories of `dir` (a program suite's programs).
pub fn subdirectories(dir: &Path) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            names.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names
}

/// One `key = value` line of a test program's `build.conf`.
pub struct ConfLine {
    /// 1-based line number, for messages.
    pub line: usize,
    pub key: String,
    pub value: String,
}

impl ConfLine {
    pub fn words(&self) -> impl Iterator<Item = String> + '_ {
        self.value.split_whitespace().map(str::to_string)
    }

    /// `env = K=V K2=V2`.
    pub fn env(&self) -> Result<Vec<(String, String)>, String> {
        self.words()
            .map(|w| match w.split_once('=') {
                Some((k, v)) => Ok((k.to_string(), v.to_string())),
                None => Err(format!(
                    "build.conf:{}: env entry {w:?} is not K=V",
                    self.line
                )),
            })
            .collect()
    }
}

/// The `key = value` lines of `dir/build.conf` (none if it does not exist),
/// skipping blank lines and `#` comments.
pub fn read_build_conf(dir: &Path) -> Result<Vec<ConfLine>, String> {
    let path = dir.join("build.conf");
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conf = std::fs::read_to_string(&path).map_err(|e| format!("build.conf: {e}"))?;
    let mut lines = Vec::new();
    for (i, line) in conf.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("build.conf:{}: expected `key = value`", i + 1));
        };
        lines.push(ConfLine {
            line: i + 1,
            key: key.trim().to_string(),
            value: value.trim().to_string(),
        });
    }
    Ok(lines)
}

/// Says on stderr that another linker stands in for cld, if one does.
pub fn announce_linker_override() {
    if let Some(o) = linker_override() {
        eprintln!(
            "note: {LINKER_OVERRIDE_VAR}={} is set: linking with it instead of cld (harness validation)",
            o.display()
        );
    }
}

/// The panic message for a program whose checks failed in some modes:
/// `failed` holds (mode name, problems) per failed mode.
pub fn mode_failure_report(
    what: &str,
    n_modes: usize,
    failed: &[(&str, Vec<String>)],
    workdir: &Path,
) -> String {
    let mut report = format!(
        "{what}: {} of {n_modes} mode(s) failed: {}\n(work directory: {})\n",
        failed.len(),
        failed
            .iter()
            .map(|(m, _)| *m)
            .collect::<Vec<_>>()
            .join(", "),
        workdir.display()
    );
    for (mode, problems) in failed {
        report.push_str(&format!("\n===== mode {mode} =====\n"));
        for prob in problems {
            report.push_str("* ");
            report.push_str(prob.trim_end());
            report.push('\n');
        }
    }
    report
}

/// Calls `cond` every few milliseconds until it holds (true) or `limit`
/// has passed (false).
pub fn poll(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if t.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether process `pid` runs (a zombie does not count: its descriptors are
/// closed, and nobody may be left to reap it).
pub fn pid_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => match s.rfind(')') {
            Some(k) => !s[k + 1..].trim_start().starts_with('Z'),
            None => true,
        },
        Err(_) => false,
    }
}

/// The names in `dir`, sorted (none if it cannot be read).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `cmd` with a timeout: its result, and the command as failure
/// messages show it.
pub fn run_shown(cmd: &mut Command, timeout: Duration) -> (RunResult, String) {
    let shown = show_command(cmd);
    let r = run_with_timeout(cmd, timeout).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    (r, shown)
}

/// For a failure message: the command, how it ended, and the start of
/// its output.
pub fn context(r: &RunResult, cmd: &str) -> String {
    format!(
        "\n  command: {cmd}\n  result: {}\n  stdout:\n{}  stderr:\n{}",
        r.describe_status(),
        indent(&truncate(&r.stdout, 30), "    "),
        indent(&truncate(&r.stderr, 30), "    ")
    )
}

/// Runs `cmd`; a failure panics with `what` and the context.
pub fn must_succeed_within(cmd: &mut Command, timeout: Duration, what: &str) -> RunResult {
    let (r, shown) = run_shown(cmd, timeout);
    assert!(r.success(), "{what} failed{}", context(&r, &shown));
    r
}

/// The token a background linker's start printed (32 hex digits).
pub fn check_token(r: &RunResult, shown: &str) -> String {
    let tok = r.stdout.trim().to_string();
    assert!(
        tok.len() == 32 && tok.bytes().all(|c| c.is_ascii_hexdigit()),
        "the starting command did not print a 32-hex-digit token{}",
        context(r, shown)
    );
    tok
}

/// The background linker's pid, from the first line of its log. The start
/// returns once the token is made; the detached linker writes that line
/// just after, so a loaded machine may show the log missing or empty for a
/// moment: waited for, up to 10 s.
pub fn pid_from_log(log: &Path) -> i32 {
    let read = || {
        // Not there yet, or empty: the same, until the deadline.
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let first = text.lines().next().unwrap_or_default().to_string();
        let pid = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("pid="))
            .and_then(|p| p.parse().ok());
        (first, pid)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (first, pid) = read();
        match pid {
            Some(pid) => return pid,
            None if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            None => panic!(
                "no pid= in the first line of the log {}: {first:?}",
                log.display()
            ),
        }
    }
}
