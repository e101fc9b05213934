//! Huge pages for the background linker's memory, made while it is idle.
//!
//! The wait reads tables made seconds before. On this project's benchmark
//! machine (a virtual machine) memory left alone for a while is slow to
//! come back to in small pages: reading a byte of each 4 KiB page of
//! 200 MB two seconds after writing it took 12-50 ms in one hour and
//! 185-270 ms in another, and 5-8 ms with the same memory in huge pages
//! (a miss in the TLB walks cold page tables at both levels of
//! translation; a huge page has 512 times fewer entries to walk). So once
//! the work ahead is done, the event loop asks the kernel to move its
//! anonymous memory into huge pages (`MADV_COLLAPSE`, Linux 6.1), a few
//! MiB a step so that a wait is served at once; a kernel without it
//! refuses, and nothing changes.
//!
//! Assumes it runs on the event loop's thread: other threads may allocate
//! meanwhile (collapsing memory in use is the kernel's to make safe).

/// Huge page size.
const HUGE: usize = 2 << 20;
/// Bytes collapsed per step (a step takes about a millisecond per 4 MiB).
const STEP: usize = 8 << 20;
/// A round starts only once the memory has grown by this much since the
/// last one: collapsing is copying, and most of it is done already.
const GROWTH: u64 = 16 << 20;

#[derive(Default)]
pub(super) struct Collapse {
    /// The huge-page-aligned ranges left in this round, last first.
    todo: Vec<(usize, usize)>,
    /// The anonymous memory when the last round started.
    at_last: u64,
    /// The kernel refused the advice: no more rounds.
    off: bool,
    /// The advice took once: a later refusal is that range's.
    worked: bool,
    /// This round's bytes, and when it started (for the log).
    round: Option<(usize, std::time::Instant)>,
}

impl Collapse {
    /// Does a step of the round, starting one if the memory grew enough.
    /// Returns whether more remains, and a line for the log when a round ends.
    pub(super) fn step(&mut self) -> (bool, Option<String>) {
        if self.off {
            return (false, None);
        }
        if self.todo.is_empty() {
            let anon = crate::timing::anon_resident();
            if anon < self.at_last + GROWTH {
                return (false, None);
            }
            self.at_last = anon;
            self.todo = ranges();
            self.todo.reverse();
            self.round = Some((0, std::time::Instant::now()));
        }
        let mut done = 0;
        while done < STEP {
            let Some((start, end)) = self.todo.pop() else {
                break;
            };
            let len = (end - start).min(STEP - done);
            // SAFETY: advice on this process's own mapped, anonymous range;
            // it does not change the memory's contents.
            let r = unsafe { nix::libc::madvise(start as *mut _, len, nix::libc::MADV_COLLAPSE) };
            if r == 0 {
                self.worked = true;
            } else if !self.worked {
                // Refused before anything was collapsed: not this kernel
                // (EINVAL), not allowed (EPERM), no huge pages: stop for good.
                self.off = true;
                self.todo.clear();
                let e = std::io::Error::last_os_error();
                return (
                    false,
                    Some(format!(
                        "huge pages: MADV_COLLAPSE refused ({e}); not tried again"
                    )),
                );
            }
            // Otherwise a range that cannot be (busy, or mapped so that it
            // cannot hold huge pages) stays as it is.
            if start + len < end {
                self.todo.push((start + len, end));
            }
            done += len;
        }
        if let Some((bytes, _)) = self.round.as_mut() {
            *bytes += done;
        }
        if !self.todo.is_empty() {
            return (true, None);
        }
        let msg = self.round.take().map(|(bytes, t)| {
            format!(
                "huge pages: {} MiB of memory collapsed in {:.1} ms",
                bytes >> 20,
                t.elapsed().as_secs_f64() * 1e3
            )
        });
        self.at_last = crate::timing::anon_resident();
        (false, msg)
    }
}

/// The private, writable, anonymous mappings (the heap, the allocator's
/// arenas and large blocks), cut to whole huge pages; stacks excluded.
fn ranges() -> Vec<(usize, usize)> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let mut out = Vec::new();
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (Some(range), Some(perms)) = (f.next(), f.next()) else {
            continue;
        };
        let path = f.nth(3).unwrap_or("");
        if perms != "rw-p" || !(path.is_empty() || path == "[heap]") {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16)) else {
            continue;
        };
        let (a, b) = (a.next_multiple_of(HUGE), b & !(HUGE - 1));
        if a < b {
            out.push((a, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An anonymous mapping's whole huge pages are among the ranges, and
    /// every range is whole huge pages.
    #[test]
    fn ranges_are_anonymous_memory_in_whole_huge_pages() {
        let mut m = memmap2::MmapOptions::new()
            .len(8 * HUGE)
            .map_anon()
            .unwrap();
        m.fill(1);
        let (a, b) = (m.as_ptr() as usize, m.as_ptr() as usize + m.len());
        let (a, b) = (a.next_multiple_of(HUGE), b & !(HUGE - 1));
        let ranges = ranges();
        for &(s, e) in &ranges {
            assert!(s < e && s % HUGE == 0 && e % HUGE == 0, "{s:#x}-{e:#x}");
        }
        assert!(
            ranges.iter().any(|&(s, e)| s <= a && b <= e),
            "{a:#x}-{b:#x} not in {ranges:x?}"
        );
        assert!(crate::timing::anon_resident() >= (8 * HUGE) as u64);
    }
}
