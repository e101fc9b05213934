//! `--fork` (the default, as in mold and wild): `cld` links in a child
//! process, and the process the build started exits as soon as the child
//! says the link is over. What a linker does after its output is in place
//! is freeing what it used: unmapping its inputs and hundreds of megabytes
//! of tables, which the kernel does when the process exits (11 ms of a
//! 150 ms ripgrep link). The child does that after the build has gone on.
//!
//! The guarantees are those of a link in one process: the exit status is
//! the link's; every diagnostic is written (to the same stderr) before the
//! parent exits; the output is complete (renamed into place, the file it
//! replaced removed) before the parent exits, and never partly written.
//! The child then points its standard streams at `/dev/null`, so that a
//! build tool reading the linker's output sees its end when the parent
//! exits. A signal that ends the parent (`kill`, `timeout`) is passed to
//! the child, which removes its temporary output and dies by it too; the
//! parent dies by it once the child is gone.
//!
//! Assumes it runs before any thread is started: `fork` copies only the
//! calling thread.

use nix::libc;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The child's end of the pipe to the waiting parent.
pub struct Detached(OwnedFd);

/// The child the parent waits for, for the signal handler.
static CHILD: AtomicI32 = AtomicI32::new(0);

/// Forks. Returns in the child, with what it tells the parent by
/// (`Detached::exit`); the parent never returns: it exits with the child's
/// status. `None` (linking goes on in this process) if the fork fails.
pub fn fork() -> Option<Detached> {
    // Close-on-exec: a process the link starts (the LTO plugin's) must not
    // hold the pipe open, or a child that died would never be noticed.
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok()?;
    // The signals the parent passes on are held until it can: one that
    // came before its handlers were in would end it and leave the child
    // linking.
    // SAFETY: signal set and mask calls on local sets.
    let old = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in crate::cleanup::SIGNALS {
            libc::sigaddset(&mut set, sig);
        }
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
        old
    };
    let unblock = || {
        // SAFETY: restoring the mask saved above.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    };
    // SAFETY: no other thread runs yet (see the module's doc).
    match unsafe { libc::fork() } {
        -1 => {
            unblock();
            None
        }
        0 => {
            unblock();
            drop(r);
            Some(Detached(w))
        }
        child => {
            drop(w);
            CHILD.store(child, Ordering::SeqCst);
            // In the parent: a signal that would end it goes to the child first.
            crate::cleanup::handle_ending_signals(on_signal);
            unblock();
            parent(r, child)
        }
    }
}

impl Detached {
    /// Ends the link with `code`: flushes the diagnostics, lets the parent
    /// exit with `code`, and exits (freeing the link's memory on the way,
    /// with nobody waiting).
    pub fn exit(self, code: i32) -> ! {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // Nothing more is written: the build's pipes see their end once
        // the parent exits.
        if let Ok(null) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
        {
            for fd in 0..3 {
                // SAFETY: replacing a standard stream by /dev/null.
                unsafe { libc::dup2(null.as_raw_fd(), fd) };
            }
        }
        let _ = nix::unistd::write(&self.0, &[code as u8]);
        drop(self);
        std::process::exit(code)
    }
}

/// The parent: waits for the child's status byte (or its end, if it died
/// before sending one) and exits with it.
fn parent(r: OwnedFd, child: libc::pid_t) -> ! {
    let mut file = std::fs::File::from(r);
    let mut byte = [0u8; 1];
    loop {
        match std::io::Read::read(&mut file, &mut byte) {
            Ok(1) => std::process::exit(i32::from(byte[0])),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            _ => break,
        }
    }
    // The child ended without a word: say how.
    let mut status = 0;
    // SAFETY: waiting for our own child.
    while unsafe { libc::waitpid(child, &mut status, 0) } == -1
        && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
    {}
    if libc::WIFEXITED(status) {
        std::process::exit(libc::WEXITSTATUS(status));
    }
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        eprintln!("cld: error: the linking process was killed by signal {sig}");
        std::process::exit(128 + sig);
    }
    std::process::exit(1)
}

extern "C" fn on_signal(sig: libc::c_int) {
    // Async-signal-safe calls only: kill, waitpid, signal, raise. The
    // child dies by the signal too, once it has removed its temporary
    // output: waited for, so that nothing is left when this process ends.
    // SAFETY: plain system calls.
    unsafe {
        let child = CHILD.load(Ordering::SeqCst);
        if child > 0 {
            libc::kill(child, sig);
            while libc::waitpid(child, std::ptr::null_mut(), 0) == -1
                && *libc::__errno_location() == libc::EINTR
            {}
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}
