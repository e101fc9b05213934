//! What the Rust adapters (`ninja-hook`, `cargo-concurrent-link`) run to
//! drive cld's background linkers: `cld --concurrent-start --json OPTIONS
//! -- DRIVER ARGS` (cld rewrites the link command and reports the token,
//! pid and log), `--concurrent-wait`, `--concurrent-abort` and
//! `--concurrent-status`, and how to read their answers.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};

/// The cld binary, and what every command run for it needs (an adapter's
/// signal mask to undo in the child, ...).
pub struct Cld {
    pub path: PathBuf,
    setup: fn(&mut Command),
}

/// A started background linker, as `cld --concurrent-start --json` reports it.
#[derive(Debug, Clone)]
pub struct Started {
    pub token: String,
    pub pid: i32,
    /// Its event log.
    pub log: PathBuf,
    /// The FIFO it reads, when fed by one.
    pub fifo: Option<PathBuf>,
}

/// How a `--concurrent-wait` ended.
pub enum Waited {
    /// The link ran: its status and its diagnostics (cld's stderr).
    Linked(ExitStatus, String),
    /// The background linker was gone (timed out, killed): nothing was
    /// linked. What cld said.
    Gone(String),
}

/// What `--concurrent-wait` says when there is no background linker.
const GONE: [&str; 3] = [
    "no background linker with token",
    "is not running (killed?)",
    "died before answering",
];

impl Cld {
    pub fn new(path: impl Into<PathBuf>, setup: fn(&mut Command)) -> Cld {
        Cld {
            path: path.into(),
            setup,
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.path);
        (self.setup)(&mut cmd);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// `cld --concurrent-start --json OPTIONS -- DRIVER ARGS`: the link
    /// command `DRIVER ARGS` with its concurrent inputs between
    /// `--start-concurrent` and `--end-concurrent`; OPTIONS (the feed, the
    /// log, ...) go to cld. `adjust` sets what only this start needs (its
    /// directory, its process group). Err: why it did not start (the
    /// driver's and cld's messages).
    pub fn start(
        &self,
        options: &[String],
        driver: &[String],
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Started, String> {
        let mut cmd = self.command();
        cmd.args(["--concurrent-start", "--json"])
            .args(options)
            .arg("--")
            .args(driver);
        adjust(&mut cmd);
        let out = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.path.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        match (out.status.success(), text.lines().find_map(parse_report)) {
            (true, Some(s)) => Ok(s),
            _ => Err(format!(
                "the concurrent start failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
        }
    }

    fn control(&self, op: &str, token: &str) -> Command {
        let mut cmd = self.command();
        cmd.arg(format!("--concurrent-{op}={token}"));
        cmd
    }

    /// Does the background linker of `token` still run?
    pub fn alive(&self, token: &str) -> bool {
        self.control("status", token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Stop it (nothing is written); quietly, whether or not it still ran.
    pub fn abort(&self, token: &str) {
        let _ = self
            .control("abort", token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// `cld --concurrent-wait=TOKEN`; `spawned` gets the pid of the waiting
    /// cld (to pass signals on to it).
    pub fn wait(&self, token: &str, spawned: impl FnOnce(u32)) -> std::io::Result<Waited> {
        let mut child = self
            .control("wait", token)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        spawned(child.id());
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let status = child.wait()?;
        if !status.success() && GONE.iter().any(|g| err.contains(g)) {
            return Ok(Waited::Gone(err));
        }
        Ok(Waited::Linked(status, err))
    }
}

/// One line of `--concurrent-start --json`'s output.
fn parse_report(line: &str) -> Option<Started> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    Some(Started {
        token: v.get("token")?.as_str()?.to_string(),
        pid: i32::try_from(v.get("pid")?.as_i64()?).ok()?,
        log: PathBuf::from(v.get("log")?.as_str()?),
        fifo: v.get("fifo").and_then(|f| f.as_str()).map(PathBuf::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report() {
        let s = parse_report(
            r#"{"token":"0123456789abcdef0123456789abcdef","pid":7,"log":"/r/x.log","fifo":"/b/p"}"#,
        )
        .unwrap();
        assert_eq!((s.token.len(), s.pid), (32, 7));
        assert_eq!(s.fifo, Some(PathBuf::from("/b/p")));
        assert!(parse_report(r#"{"token":"x"}"#).is_none());
        assert!(parse_report("0123456789abcdef0123456789abcdef").is_none());
    }
}
