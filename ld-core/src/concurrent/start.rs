//! `--concurrent-start`: what a start prints once its background linker is
//! ready (`Report`: `CLD_TOKEN=...` lines for a shell's `eval`, or one JSON
//! object), and the form that runs a compiler driver, `cld
//! --concurrent-start [--json] [OPTION...] -- DRIVER ARGS...`: the one way
//! the build-tool adapters start a background linker, instead of each
//! rewriting link commands, finding the shim and parsing what cld prints.
//!
//! The driver form runs `DRIVER -B <shim dir>/ ARGS` with each OPTION, and
//! each argument of ARGS from `--start-concurrent` to `--end-concurrent`,
//! behind `-Xlinker` (the driver must not look for inputs that do not exist
//! yet), plus `--concurrent-start --json`: the cld that the driver runs
//! reports in JSON, which is read back and printed in the format asked for.

use super::client::control;
use crate::options::{ControlOp, StartReport};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A started background linker, as `--concurrent-start` reports it.
pub(super) struct Report {
    pub(super) token: String,
    pub(super) pid: i32,
    /// Its event log (in the runtime directory, removed when it exits,
    /// unless `--concurrent-log` named it).
    pub(super) log: PathBuf,
    /// The FIFO it reads, when fed by one.
    pub(super) fifo: Option<PathBuf>,
}

impl Report {
    pub(super) fn render(&self, format: StartReport) -> Vec<u8> {
        match format {
            StartReport::Token => format!("{}\n", self.token).into_bytes(),
            StartReport::Json => {
                let mut v = serde_json::json!({
                    "token": self.token,
                    "pid": self.pid,
                    "log": self.log.to_string_lossy(),
                });
                if let Some(f) = &self.fifo {
                    v["fifo"] = f.to_string_lossy().into();
                }
                format!("{v}\n").into_bytes()
            }
            StartReport::Plain => {
                let mut out = Vec::new();
                let mut line = |key: &str, value: &[u8]| {
                    out.extend_from_slice(key.as_bytes());
                    out.push(b'=');
                    out.extend_from_slice(&shell_quote(value));
                    out.push(b'\n');
                };
                line("CLD_TOKEN", self.token.as_bytes());
                line("CLD_PID", self.pid.to_string().as_bytes());
                line("CLD_LOG", self.log.as_os_str().as_bytes());
                if let Some(f) = &self.fifo {
                    line("CLD_FIFO", f.as_os_str().as_bytes());
                }
                out
            }
        }
    }

    fn from_json(line: &str) -> Option<Report> {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        Some(Report {
            token: v.get("token")?.as_str()?.to_string(),
            pid: i32::try_from(v.get("pid")?.as_i64()?).ok()?,
            log: PathBuf::from(v.get("log")?.as_str()?),
            fifo: v.get("fifo").and_then(|f| f.as_str()).map(PathBuf::from),
        })
    }
}

/// `value` as one shell word: as it is when it needs no quoting, else in
/// single quotes (which keep every byte but `'` literal).
fn shell_quote(value: &[u8]) -> Vec<u8> {
    let plain = |c: &u8| c.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(c);
    if !value.is_empty() && value.iter().all(plain) {
        return value.to_vec();
    }
    let mut q = vec![b'\''];
    for &c in value {
        if c == b'\'' {
            q.extend_from_slice(b"'\\''");
        } else {
            q.push(c);
        }
    }
    q.push(b'\'');
    q
}

/// Compiler caches that run the command after them: `-B` goes after the
/// driver they run.
const WRAPPERS: &[&str] = &["ccache", "sccache", "distcc", "icecc"];

/// `cld --concurrent-start [--json] [OPTION...] -- DRIVER ARGS...`
/// (`opts`: what comes before `--`; `shim`: the directory with an `ld`
/// that runs this cld). Returns the exit status.
pub fn start_via_driver(
    opts: &[OsString],
    command: &[OsString],
    shim: std::result::Result<PathBuf, String>,
) -> i32 {
    match via_driver(opts, command, shim) {
        Ok(()) => 0,
        Err(m) => {
            for line in m.lines() {
                eprintln!("cld: error: {line}");
            }
            1
        }
    }
}

fn is(a: &OsString, spellings: &[&str]) -> bool {
    spellings.iter().any(|s| a.as_bytes() == s.as_bytes())
}

fn via_driver(
    opts: &[OsString],
    command: &[OsString],
    shim: std::result::Result<PathBuf, String>,
) -> std::result::Result<(), String> {
    let format = if opts.iter().any(|a| is(a, &["--json", "-json"])) {
        StartReport::Json
    } else {
        StartReport::Plain
    };
    let mut cmd = driver_command(opts, command, &shim?)?;
    let shown = command[0].to_string_lossy();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("--concurrent-start: cannot run {shown}: {e}"))?;
    // Whatever else the driver printed is not for `eval`: to stderr.
    let mut report = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match Report::from_json(line) {
            Some(r) => report = Some(r),
            None => eprintln!("{line}"),
        }
    }
    match (out.status.success(), report) {
        (true, Some(r)) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&r.render(format))
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("--concurrent-start: cannot print the report: {e}"))
        }
        (false, r) => {
            // Started, but the driver failed after the link step: nobody
            // would ever wait for it.
            if let Some(r) = r {
                control(ControlOp::Abort, &r.token, false);
            }
            Err(format!(
                "--concurrent-start: the background linker did not start ({shown}: {})",
                out.status
            ))
        }
        (true, None) => Err(format!(
            "--concurrent-start: {shown} did not run cld (nothing reported a background linker): \
             DRIVER must be a compiler driver that takes -B (gcc, clang), without -fuse-ld="
        )),
    }
}

/// `DRIVER -B SHIM/ -Xlinker OPTION... -Xlinker --concurrent-start
/// -Xlinker --json ARGS`, the concurrent inputs of ARGS behind `-Xlinker`.
fn driver_command(
    opts: &[OsString],
    command: &[OsString],
    shim: &Path,
) -> std::result::Result<Command, String> {
    if command.is_empty() {
        return Err("--concurrent-start ... --: no compiler driver after --".into());
    }
    let base = |a: &OsString| Path::new(a).file_name().map(|n| n.as_bytes().to_vec());
    let mut drv = 0;
    while drv + 1 < command.len()
        && WRAPPERS
            .iter()
            .any(|w| base(&command[drv]).as_deref() == Some(w.as_bytes()))
    {
        drv += 1;
    }
    let mut cmd = Command::new(&command[0]);
    let mut shim_arg = shim.as_os_str().to_os_string();
    shim_arg.push("/");
    cmd.args(&command[1..=drv]).arg("-B").arg(shim_arg);
    for a in opts {
        if !is(
            a,
            &["--concurrent-start", "-concurrent-start", "--json", "-json"],
        ) {
            cmd.arg("-Xlinker").arg(a);
        }
    }
    cmd.args(["-Xlinker", "--concurrent-start", "-Xlinker", "--json"]);
    let mut inside = false;
    // The driver's own `-Xlinker X` stays as it is, markers too.
    let mut linker_arg = false;
    for a in &command[drv + 1..] {
        if std::mem::take(&mut linker_arg) {
            cmd.arg(a);
            continue;
        }
        let start = is(a, &["--start-concurrent"]);
        let end = is(a, &["--end-concurrent"]);
        if inside || start || end {
            cmd.arg("-Xlinker");
        } else {
            linker_arg = is(a, &["-Xlinker"]);
        }
        inside = (inside || start) && !end;
        cmd.arg(a);
    }
    Ok(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote(b"/tmp/a-b_c.log"), b"/tmp/a-b_c.log");
        assert_eq!(shell_quote(b"a b"), b"'a b'");
        assert_eq!(shell_quote(b"it's $x"), b"'it'\\''s $x'");
        assert_eq!(shell_quote(b""), b"''");
    }

    #[test]
    fn report_formats_round_trip() {
        let r = Report {
            token: "0123456789abcdef0123456789abcdef".into(),
            pid: 42,
            log: PathBuf::from("/run/x y.log"),
            fifo: Some(PathBuf::from("/b/objs.fifo")),
        };
        assert_eq!(
            String::from_utf8(r.render(StartReport::Plain)).unwrap(),
            "CLD_TOKEN=0123456789abcdef0123456789abcdef\nCLD_PID=42\n\
             CLD_LOG='/run/x y.log'\nCLD_FIFO=/b/objs.fifo\n"
        );
        let json = String::from_utf8(r.render(StartReport::Json)).unwrap();
        let back = Report::from_json(json.trim()).unwrap();
        assert_eq!((back.token, back.pid), (r.token, 42));
        assert_eq!((back.log, back.fifo), (r.log, r.fifo));
        assert!(Report::from_json("0123456789abcdef0123456789abcdef").is_none());
    }

    #[test]
    fn driver_line() {
        let cmd = driver_command(
            &os("--concurrent-start --json --concurrent-pipe p"),
            &os("ccache gcc -o app main.o --start-concurrent a.o b.o --end-concurrent -lm"),
            Path::new("/s"),
        )
        .unwrap();
        assert_eq!(cmd.get_program(), "ccache");
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args.join(" "),
            "gcc -B /s/ -Xlinker --concurrent-pipe -Xlinker p -Xlinker --concurrent-start \
             -Xlinker --json -o app main.o -Xlinker --start-concurrent -Xlinker a.o \
             -Xlinker b.o -Xlinker --end-concurrent -lm"
        );
        // Already in the driver's spelling: unchanged.
        let cmd = driver_command(
            &[],
            &os("cc -Xlinker --start-concurrent -Xlinker a.o -Xlinker --end-concurrent"),
            Path::new("/s"),
        )
        .unwrap();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args[6..].join(" "),
            "-Xlinker --start-concurrent -Xlinker a.o -Xlinker --end-concurrent"
        );
        assert!(driver_command(&[], &[], Path::new("/s")).is_err());
    }
}
