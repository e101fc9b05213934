//! `--concurrent-owner=PID`: the process of the build that started the
//! background linker. A build can go away without waiting for or aborting
//! its link: interrupted between starting the background linker and
//! recording its token, or killed before its cleanup ran. Nobody would
//! then talk to the background linker again; instead of living on until
//! the idle timeout, holding the output's lock (a later build's start is
//! refused), it gives up as soon as its owner has exited.
//!
//! Watched through a pidfd (readable once the process has exited; a
//! reused pid cannot fool it), or, on kernels before 5.3, `kill(PID, 0)`.

use crate::error::{Error, Result};
use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd};

pub(super) struct Owner {
    pid: i32,
    fd: Option<OwnedFd>,
}

impl Owner {
    /// Opened by the foreground, before the fork: a process that is not
    /// running is an error of the command line.
    pub(super) fn open(pid: i32) -> Result<Owner> {
        // SAFETY: pidfd_open takes a pid and flags, returns a new descriptor.
        let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if r >= 0 {
            // SAFETY: a descriptor just returned to us, owned by nobody else.
            let fd = unsafe { OwnedFd::from_raw_fd(r as i32) };
            return Ok(Owner { pid, fd: Some(fd) });
        }
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ESRCH) && alive(pid) {
            return Ok(Owner { pid, fd: None });
        }
        Err(Error::new(format!(
            "--concurrent-owner={pid}: no process {pid} is running"
        )))
    }

    pub(super) fn pid(&self) -> i32 {
        self.pid
    }

    /// To poll with the control socket: readable once the owner is gone.
    pub(super) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    pub(super) fn gone(&self) -> bool {
        match &self.fd {
            Some(fd) => {
                let mut fds = [nix::poll::PollFd::new(
                    fd.as_fd(),
                    nix::poll::PollFlags::POLLIN,
                )];
                matches!(nix::poll::poll(&mut fds, 0u16), Ok(n) if n > 0)
            }
            None => !alive(self.pid),
        }
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
