//! Concurrent linking: the background linker and the commands that talk to it.
//!
//! `cld ... --concurrent-pipe=PATH|--concurrent-inotify ... --start-concurrent
//! a.o b.o --end-concurrent ...` validates the command line, sets up
//! everything through which availability events arrive (the control socket,
//! the FIFO opened read-write, the inotify watches), then forks the
//! background linker (own session, stdio detached, every inherited
//! descriptor closed) and prints a token once it runs. Events that arrive
//! before the background process is scheduled wait in the kernel, so none
//! is missed.
//!
//! The background linker ingests the other inputs at once and each
//! concurrent input when it is reported (in any order, on the rayon pool;
//! a re-reported input is ingested again). `--concurrent-wait=TOKEN` takes
//! every unreported input as complete (after draining the FIFO), waits for
//! ingestion, checks the identity (device, inode, size, mtime) of every
//! concurrent input and of every file the other inputs read, re-reads what
//! changed, then runs the same resolve/layout/write as a serial link
//! (`link::link_items`), so the output is byte-identical to it.
//!
//! Only the owner can talk to it: the socket lives in a 0700 per-user
//! directory and each peer's credentials are checked. One background linker
//! per output: a second start is refused while one runs (`outlock`).
//!
//! Parts, each using only the ones before it: `ingest` (the per-input
//! state and the jobs that fill it), `feed` (FIFO and inotify: what
//! reports inputs), `frontier` (symbols resolved in command-line order as
//! far as inputs are in), `wait` (verify and link), `server` (the background
//! process and its event loop, with `owner`: the build it gives up
//! without, and `collapse`: its memory in huge pages once idle), `client` (the commands) with `start` (what
//! `--concurrent-start` prints, and its form that runs a compiler driver).
//! The runtime directory where sockets and locks live is
//! `crate::runtime_dir`.

mod client;
mod collapse;
mod feed;
mod frontier;
mod ingest;
mod owner;
mod server;
mod start;
mod wait;

pub use client::{control, start};
pub use start::start_via_driver;
