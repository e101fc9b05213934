//! ld_core: the cld link core.
//!
//! Passes, in the order data flows: `args` (command line -> `Options`),
//! `input`/`object_file`/`archive`/`shared`/`script` (ingestion, per file),
//! `resolve` (symbols, in command-line order; with `plugin`, LTO), `exports` (what the dynamic
//! symbol table defines, versions, preemption; with `version_script`),
//! `layout` (everything about the
//! output; with `icf`, identical code folding), `gdb_index`, `compress`
//! and `separate_debug` (after layout), `write` (the image, in parallel parts), `output_file` (how it reaches `-o`).
//! `chunks` holds the synthetic sections, each sized and written in one file;
//! `arch` is the architecture interface, `x86_64` implements it.
//! `concurrent` is the background linker; `runtime_dir` and `outlock` are
//! where its sockets live and how links of one output are kept apart.
pub mod arch;
pub mod archive;
pub mod arenas;
pub mod args;
pub mod chunks;
pub mod cleanup;
pub mod compress;
pub mod concurrent;
pub mod detach;
pub mod error;
pub mod exports;
pub mod gdb_index;
pub mod icf;
pub mod input;
pub mod layout;
pub mod link;
pub mod name;
pub mod object_file;
pub mod options;
pub mod outlock;
pub mod output_file;
pub mod plugin;
pub mod relocatable;
pub mod resolve;
pub mod runtime_dir;
pub mod script;
pub mod script_link;
pub mod separate_debug;
pub mod shared;
pub mod timing;
pub mod version_script;
pub mod write;
pub mod x86_64;
