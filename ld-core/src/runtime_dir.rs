//! The per-user runtime directory, where background linkers' sockets and
//! logs and the output locks (`outlock`) live, and how a socket in it is
//! reached.
//!
//! Assumes nothing about who made the directory: an existing one is used
//! only if it is a real directory owned by us with no group/other access,
//! since whoever can write there could impersonate a background linker.

use crate::error::{Error, Result};
use nix::unistd::getuid;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// The per-user runtime directory: `$CLD_RUNTIME_DIR`, else
/// `$XDG_RUNTIME_DIR/cld`, else `/tmp/cld-UID`. Created 0700; an existing
/// one must be a real directory owned by us with no group/other access.
pub fn runtime_dir() -> Result<PathBuf> {
    let uid = getuid().as_raw();
    let dir = if let Some(d) = std::env::var_os("CLD_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        // Absolute, so the background linker and later commands agree.
        let d = PathBuf::from(d);
        if d.is_absolute() {
            d
        } else {
            std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot get the current directory: {e}")))?
                .join(d)
        }
    } else {
        match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(x)
                if x.is_absolute()
                    && std::fs::metadata(&x).is_ok_and(|m| m.is_dir() && m.uid() == uid) =>
            {
                x.join("cld")
            }
            _ => std::env::temp_dir().join(format!("cld-{uid}")),
        }
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(Error::new(format!(
                "cannot create runtime directory {}: {e}",
                dir.display()
            )))
        }
    }
    let m = std::fs::symlink_metadata(&dir)
        .map_err(|e| Error::new(format!("cannot stat {}: {e}", dir.display())))?;
    if m.file_type().is_symlink() || !m.is_dir() {
        return Err(Error::new(format!(
            "runtime directory {} is not a directory (a symlink?); refusing to use it",
            dir.display()
        )));
    }
    if m.uid() != uid {
        return Err(Error::new(format!(
            "runtime directory {} belongs to uid {}, not to you (uid {uid}); refusing to use it",
            dir.display(),
            m.uid()
        )));
    }
    if m.mode() & 0o077 != 0 {
        return Err(Error::new(format!(
            "runtime directory {} has mode {:o}; it must be 0700",
            dir.display(),
            m.mode() & 0o777
        )));
    }
    Ok(dir)
}

/// A socket path that fits `sockaddr_un`. A long runtime directory (deep
/// build trees, CI checkouts) would overflow its 108 bytes, so the name is
/// reached through `/proc/self/fd/N` of the directory, opened `O_PATH`; the
/// returned descriptor must stay open while the path is used.
pub(crate) fn socket_addr(path: &Path) -> Result<(PathBuf, Option<OwnedFd>)> {
    use std::os::unix::ffi::OsStrExt;
    const SUN_PATH_MAX: usize = 107;
    if path.as_os_str().as_bytes().len() <= SUN_PATH_MAX {
        return Ok((path.to_path_buf(), None));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok((path.to_path_buf(), None));
    };
    let fd: OwnedFd = nix::fcntl::open(
        dir,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(|e| {
        Error::new(format!(
            "cannot open runtime directory {}: {e}",
            dir.display()
        ))
    })?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())).join(name);
    Ok((short, Some(fd)))
}

pub(crate) fn socket_connect(path: &Path) -> std::io::Result<UnixStream> {
    let (addr, _dir) = socket_addr(path).map_err(|e| std::io::Error::other(e.msg))?;
    UnixStream::connect(addr)
}
