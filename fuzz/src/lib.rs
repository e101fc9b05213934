//! Shared by the fuzz targets: an allocator that refuses absurd requests
//! (an input that claims an enormous count or size must be rejected before
//! anything is allocated for it, so such an allocation is a bug and aborts
//! the run, which libFuzzer reports as a crash), and a way to hand fuzz
//! input to parsers that want `&'static [u8]` (the linker's inputs live for
//! the whole process) without leaking it.

use std::alloc::{GlobalAlloc, Layout, System};

/// No single allocation may exceed this. Fuzz inputs are at most a few
/// hundred KiB; everything the parsers allocate is bounded by the input's
/// size times a small factor.
pub const ALLOC_LIMIT: usize = 256 << 20;

pub struct LimitedAlloc;

fn too_big(size: usize) -> ! {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "cld fuzz: allocation of {size} bytes (limit {ALLOC_LIMIT}): an input's claimed size reached an allocation"
    );
    std::process::abort()
}

// SAFETY: forwards to the system allocator, after a size check.
unsafe impl GlobalAlloc for LimitedAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > ALLOC_LIMIT {
            too_big(l.size());
        }
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() > ALLOC_LIMIT {
            too_big(l.size());
        }
        System.alloc_zeroed(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if new_size > ALLOC_LIMIT {
            too_big(new_size);
        }
        System.realloc(p, l, new_size)
    }
}

#[global_allocator]
static ALLOC: LimitedAlloc = LimitedAlloc;

/// Calls `f` with a copy of `data` in an 8-byte aligned buffer (as a
/// mapped file is), presented as `'static`.
///
/// `f` must not keep any reference into the slice beyond its return: the
/// buffer is freed then. Everything the targets build from it (parsed
/// files, link state) is dropped inside `f`.
pub fn with_static<R>(data: &[u8], f: impl FnOnce(&'static [u8]) -> R) -> R {
    let mut buf: Vec<u64> = vec![0; data.len().div_ceil(8)];
    // SAFETY: the u64 buffer holds at least data.len() bytes.
    let bytes = unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr() as *mut u8, data.len()) };
    bytes.copy_from_slice(data);
    // SAFETY: see the contract above; `buf` outlives every use by `f`.
    let s: &'static [u8] =
        unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u8, data.len()) };
    let r = f(s);
    drop(buf);
    r
}
