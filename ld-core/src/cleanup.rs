//! Files a serial link removes if a signal (Ctrl-C, `kill`) ends it: the
//! temporary output and the output's lock file. Without this, an
//! interrupted link would leave `.NAME.cld-PID.tmp` beside the output.
//!
//! The handler only calls `unlink` (async-signal-safe) on paths registered
//! beforehand, then dies by the same signal. A registered path is never
//! freed (one process links once), so the handler cannot see freed memory.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use nix::libc;

const SLOTS: usize = 8;
static PATHS: [AtomicPtr<libc::c_char>; SLOTS] =
    [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
/// Whether the handler removes the path in the same slot (`OnSignal::arm`).
static ARMED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
pub(crate) const SIGNALS: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// Removes its path on a signal until dropped (dropping removes nothing).
pub struct OnSignal(Option<usize>);

impl Drop for OnSignal {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            ARMED[i].store(false, Ordering::SeqCst);
            PATHS[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

impl OnSignal {
    /// Whether a signal removes the path now: a lock file is removed only
    /// while it may be this process's (see `outlock`).
    pub fn arm(&self, on: bool) {
        if let Some(i) = self.0 {
            ARMED[i].store(on, Ordering::SeqCst);
        }
    }
}

/// Remove `path` if a signal ends the process before the guard is dropped.
pub fn remove_on_signal(path: &Path) -> OnSignal {
    let g = remove_on_signal_unarmed(path);
    g.arm(true);
    g
}

/// `remove_on_signal` that removes nothing until armed (`OnSignal::arm`):
/// registered before the file is made, so that no moment is left when it
/// exists unregistered (a signal is handled on whichever thread it comes
/// to, and the thread making the file may be descheduled in between).
pub fn remove_on_signal_unarmed(path: &Path) -> OnSignal {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return OnSignal(None);
    };
    let p = c.into_raw();
    for (i, slot) in PATHS.iter().enumerate() {
        if slot
            .compare_exchange(std::ptr::null_mut(), p, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return OnSignal(Some(i));
        }
    }
    OnSignal(None)
}

extern "C" fn on_signal(sig: libc::c_int) {
    for (slot, armed) in PATHS.iter().zip(&ARMED) {
        let p = slot.load(Ordering::SeqCst);
        if !p.is_null() && armed.load(Ordering::SeqCst) {
            // SAFETY: a NUL-terminated string that is never freed.
            unsafe { libc::unlink(p) };
        }
    }
    // SAFETY: async-signal-safe calls; die by the signal as if unhandled.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Install the handler for SIGINT, SIGTERM and SIGHUP, except where the
/// signal is ignored (a `nohup` link stays immune).
pub fn install() {
    handle_ending_signals(on_signal);
}

/// The signals that end a link (SIGINT, SIGTERM, SIGHUP): `handler` for
/// those not ignored.
pub(crate) fn handle_ending_signals(handler: extern "C" fn(libc::c_int)) {
    for sig in SIGNALS {
        // SAFETY: querying and setting a signal disposition.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = handler as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}
