//! Pass timings for `--stats`: a pass opens a span (`span("layout:
//! liveness")`), the span records its duration when dropped, and the driver
//! prints the spans once the link is done, indented by nesting.
//!
//! Each span also records the process's CPU time over it, so the report
//! shows how parallel a pass is (CPU time over wall time; 2.0 on two busy
//! cores), and the anonymous memory resident when it ends (the heap's high
//! water, since freed memory stays with the allocator: what the tables
//! cost).
//!
//! Off unless `enable` was called: a disabled span is a `None` and costs a
//! relaxed atomic load. Spans are meant for the driver's thread; one opened
//! on a worker thread is recorded with that thread's nesting.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ON: AtomicBool = AtomicBool::new(false);
static SPANS: Mutex<Vec<Record>> = Mutex::new(Vec::new());
/// Work tallies: (name, time, how many jobs), in the order first seen.
static TALLIES: Mutex<Vec<(&'static str, Duration, u64)>> = Mutex::new(Vec::new());

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

struct Record {
    name: &'static str,
    depth: u32,
    start: Instant,
    took: Duration,
    cpu: Duration,
    /// `anon_resident` at the end.
    anon: u64,
}

/// An open span; records itself when dropped.
pub struct Span {
    name: &'static str,
    depth: u32,
    start: Instant,
    cpu: Duration,
}

/// CPU time of the whole process (every thread) so far.
pub(crate) fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Start recording spans (for `--stats`), forgetting earlier ones.
pub fn enable() {
    ON.store(true, Ordering::Relaxed);
    SPANS.lock().unwrap().clear();
    TALLIES.lock().unwrap().clear();
}

/// Counts a job of kind `name` (one of many, on any thread: an input's
/// sections written, a synthetic section) while it is alive: the report
/// gives each kind's summed time, which the spans' wall time cannot
/// split when the jobs of several kinds run in parallel.
pub struct Tally {
    name: &'static str,
    start: Instant,
}

/// Opens a tally of a job of kind `name` if timings are on.
pub fn tally(name: &'static str) -> Option<Tally> {
    ON.load(Ordering::Relaxed).then(|| Tally {
        name,
        start: Instant::now(),
    })
}

impl Drop for Tally {
    fn drop(&mut self) {
        let took = self.start.elapsed();
        let mut t = TALLIES.lock().unwrap();
        match t.iter_mut().find(|e| e.0 == self.name) {
            Some(e) => {
                e.1 += took;
                e.2 += 1;
            }
            None => t.push((self.name, took, 1)),
        }
    }
}

/// Whether spans are being recorded.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Opens a span named `name` if timings are on.
pub fn span(name: &'static str) -> Option<Span> {
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    let depth = DEPTH.with(|d| {
        let v = d.get();
        d.set(v + 1);
        v
    });
    Some(Span {
        name,
        depth,
        start: Instant::now(),
        cpu: process_cpu(),
    })
}

/// Ends the span in `slot` (if any) and opens the next one there: for a
/// long function that runs passes one after another.
pub fn next(slot: &mut Option<Span>, name: &'static str) {
    *slot = None;
    *slot = span(name);
}

impl Drop for Span {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(self.depth));
        let r = Record {
            name: self.name,
            depth: self.depth,
            start: self.start,
            took: self.start.elapsed(),
            cpu: process_cpu().saturating_sub(self.cpu),
            anon: anon_resident(),
        };
        SPANS.lock().unwrap().push(r);
    }
}

/// The process's resident memory that is not file pages (its heap, mostly)
/// now, in bytes: what a pass leaves allocated, as the kernel counts it.
pub(crate) fn anon_resident() -> u64 {
    // "size resident shared ..." in pages; "shared" is the file pages.
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let mut f = statm
        .split_whitespace()
        .map(|v| v.parse::<u64>().unwrap_or(0));
    let (resident, shared) = (f.nth(1).unwrap_or(0), f.next().unwrap_or(0));
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    resident.saturating_sub(shared) * page
}

/// The recorded spans in start order, one line each ("  name  12.3 ms",
/// indented two spaces per level, with the CPU time over the wall time:
/// how many threads were busy, and the anonymous memory resident at the
/// end), and clears them.
pub fn report() -> String {
    let mut spans = std::mem::take(&mut *SPANS.lock().unwrap());
    spans.sort_by_key(|r| (r.start, r.depth));
    let mut out = String::new();
    for r in spans {
        let name = format!("{}{}", "  ".repeat(r.depth as usize + 1), r.name);
        let ms = r.took.as_secs_f64() * 1e3;
        let par = if ms > 0.0 {
            r.cpu.as_secs_f64() * 1e3 / ms
        } else {
            0.0
        };
        let mb = r.anon as f64 / (1 << 20) as f64;
        out.push_str(&format!(
            "cld: {name:<40} {ms:>8.2} ms  x{par:.1}  {mb:6.1} MiB\n"
        ));
    }
    for (name, took, n) in std::mem::take(&mut *TALLIES.lock().unwrap()) {
        let ms = took.as_secs_f64() * 1e3;
        out.push_str(&format!(
            "cld:   (jobs) {name:<33} {ms:>8.2} ms in {n} jobs\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_nest_and_report_in_start_order() {
        enable();
        {
            let _a = span("outer");
            std::thread::sleep(Duration::from_millis(2));
            let _b = span("inner");
        }
        let r = report();
        // Other unit tests may run links meanwhile: look at these two only.
        let lines: Vec<&str> = r
            .lines()
            .filter(|l| l.contains(" outer") || l.contains(" inner"))
            .collect();
        assert_eq!(lines.len(), 2, "{r}");
        assert!(lines[0].starts_with("cld:   outer"), "{r}");
        assert!(lines[1].starts_with("cld:     inner"), "{r}");
        let ms: f64 = lines[0].split_whitespace().nth(2).unwrap().parse().unwrap();
        assert!(ms >= 2.0, "{r}");
    }
}
