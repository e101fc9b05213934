//! ripgrep from crates.io, built in release mode by `cargo install` with cld
//! as the linker of every artifact (build scripts included), then run on a
//! directory made here and compared with the same ripgrep linked by GNU ld.
//!
//! The linker setting is the one `examples/rust-workspace` uses, given
//! through the environment: `CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER =
//! examples/rust-workspace/tools/cc-cld`, `..._RUSTFLAGS = -C
//! linker-features=-lld`, `CLD_SHIM_DIR` = the shim directory. The reference
//! build uses the same, with `ld.bfd` behind the shim; it is cached in
//! `target/tmp/ripgrep/reference` (keyed by the ripgrep version, `rustc -vV`
//! and the GNU ld version) because it only changes with the toolchain. The cld
//! build is redone on every run (cargo would not relink when cld changes).
//! ripgrep has no proc-macro in its dependency tree (no `-shared` link).
//!
//! Measured on a 2-core machine: about 80 s for the cld build, 90 s for the
//! reference build (the ripgrep crates, rustc release codegen).
//!
//! `CLD_TEST_LINKER=/usr/bin/ld` puts another linker behind the shim (the
//! `.comment` check is then skipped).

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RIPGREP_VERSION: &str = "15.2.0";
const BUILD_TIMEOUT: Duration = Duration::from_secs(2400);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn work_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ripgrep")
}

fn is_cld() -> bool {
    linker_override().is_none()
}

/// `cargo install ripgrep` into `dir/root` with `dir/target` as the target
/// directory, linking through `tools/cc-cld` with `shim`.
fn install_ripgrep(dir: &Path, shim: &Path, what: &str) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let wrapper = repo_root().join("examples/rust-workspace/tools/cc-cld");
    let mut cmd = Command::new(cargo);
    cmd.args(["install", "ripgrep", "--locked", "--force", "--version"])
        .arg(RIPGREP_VERSION)
        .arg("--root")
        .arg(dir.join("root"))
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", &wrapper)
        .env(
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
            "-C linker-features=-lld",
        )
        .env("CLD_SHIM_DIR", shim);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CLD",
        "CLD_CC",
        "CC_CLD_LOG",
    ] {
        cmd.env_remove(var);
    }
    let t0 = Instant::now();
    let r = run_with_timeout(&mut cmd, BUILD_TIMEOUT).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        r.success(),
        "building ripgrep {RIPGREP_VERSION} ({what}) failed: {}\n  {}\n--- stderr ---\n{}",
        r.describe_status(),
        show_command(&cmd),
        truncate(&r.stderr, 120)
    );
    eprintln!(
        "ripgrep {RIPGREP_VERSION} ({what}): cargo install took {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let rg = dir.join("root/bin/rg");
    assert!(rg.exists(), "{} missing after cargo install", rg.display());
    rg
}

fn tool_version(cmd: &mut Command) -> String {
    run_with_timeout(cmd, RUN_TIMEOUT)
        .map(|r| r.stdout)
        .unwrap_or_default()
}

/// The reference rg (GNU ld), built once per toolchain.
fn reference_rg() -> PathBuf {
    require_tool("ld.bfd", "binutils");
    let dir = work_root().join("reference");
    let key = format!(
        "ripgrep {RIPGREP_VERSION}\n{}{}",
        tool_version(Command::new("rustc").arg("-vV")),
        tool_version(Command::new("ld.bfd").arg("--version"))
            .lines()
            .next()
            .unwrap_or("")
    );
    let stamp = dir.join("stamp");
    let rg = dir.join("root/bin/rg");
    if rg.exists() && fs::read_to_string(&stamp).is_ok_and(|s| s == key) {
        eprintln!("reference rg: cached in {}", dir.display());
        return rg;
    }
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    let shim = dir.join("shim");
    fs::create_dir_all(&shim).unwrap();
    std::os::unix::fs::symlink("/usr/bin/ld.bfd", shim.join("ld")).unwrap();
    let rg = install_ripgrep(&dir, &shim, "GNU ld");
    fs::write(&stamp, key).unwrap();
    rg
}

/// Linked ELF files (executables, shared objects) directly in `dir` or one
/// level below.
fn elf_files(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && depth > 0 {
            elf_files(&path, depth - 1, out);
        } else if ft.is_file() {
            let mut header = [0u8; 18];
            let ok = fs::File::open(&path)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
                .is_ok();
            if ok && header[..4] == *b"\x7fELF" && matches!(header[16], 2 | 3) {
                out.push(path);
            }
        }
    }
}

/// The directory rg searches: several files with a known pattern, ignored
/// and hidden files, a binary file, a bigger file.
fn make_corpus(dir: &Path) {
    let files: &[(&str, &str)] = &[
        (
            "README.md",
            "# Haystack\nA needle in a haystack.\nNo match on this line.\nNEEDLE, upper case.\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    let needle = 42;\n    println!(\"{needle}\");\n}\n\nfn helper_needle() -> u32 { 7 }\n",
        ),
        (
            "src/lib.rs",
            "pub fn find(hay: &str) -> bool {\n    hay.contains(\"Needle\")\n}\n",
        ),
        (
            "docs/notes.txt",
            "needles and pins\nthe needle's eye\nhay hay hay\nneedle needle needle\n",
        ),
        ("docs/empty.txt", ""),
        ("ignored.txt", "needle in a .gitignore'd file\n"),
        ("build/out.txt", "needle in an ignored directory\n"),
        ("skipped.log", "needle in a file matched by .ignore\n"),
        (".hidden", "needle in a hidden file\n"),
        (".gitignore", "ignored.txt\nbuild/\n"),
        (".ignore", "*.log\n"),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    // ripgrep reads .gitignore inside a git repository only (or with
    // --no-require-git); an empty .git directory is enough.
    fs::create_dir_all(dir.join(".git")).unwrap();
    let mut binary = b"\x00\x01\x02binary needle\x00\xff".to_vec();
    binary.extend_from_slice(&[0u8; 64]);
    fs::write(dir.join("data.bin"), binary).unwrap();
    // ~4 MiB of text, so that the search goes through its large-buffer paths.
    let mut big = String::with_capacity(4 << 20);
    let mut i = 0u64;
    while big.len() < 4 << 20 {
        i += 1;
        if i.is_multiple_of(9973) {
            big.push_str(&format!("line {i}: here is a needle\n"));
        } else {
            big.push_str(&format!(
                "line {i}: {:016x} hay\n",
                i.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ));
        }
    }
    fs::write(dir.join("docs/big.txt"), big).unwrap();
}

/// `"elapsed":{...}` and `"elapsed_total":{...}` objects differ from run to
/// run in `--json` output: their contents are dropped.
fn strip_elapsed(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(i) = rest.find("\"elapsed") {
        let after = &rest[i..];
        let (Some(open), Some(close)) = (after.find('{'), after.find('}')) else {
            break;
        };
        out.push_str(&rest[..i]);
        out.push_str(&after[..=open]);
        out.push('}');
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Runs rg in the corpus. `--no-ignore-parent`: the corpus lives inside this
/// repository, whose own .gitignore must not apply.
fn rg(exe: &Path, corpus: &Path, args: &[&str]) -> RunResult {
    let mut cmd = Command::new(exe);
    cmd.arg("--no-ignore-parent")
        .args(args)
        .current_dir(corpus)
        .env_remove("RIPGREP_CONFIG_PATH")
        .env("NO_COLOR", "1");
    run_with_timeout(&mut cmd, RUN_TIMEOUT).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ripgrep_linked_by_cld() {
    require_tool("readelf", "binutils");
    let reference = reference_rg();

    let dir = fresh_work_dir("ripgrep", "cld");
    let shim = PathBuf::from(make_shim(&dir));
    let rg_cld = install_ripgrep(&dir, &shim, "cld");

    // Every ELF file linked for this build names cld: rg and the build
    // scripts (ripgrep has no proc-macros).
    let mut linked = vec![rg_cld.clone()];
    elf_files(&dir.join("target/release/build"), 1, &mut linked);
    assert!(
        linked
            .iter()
            .any(|p| p.to_string_lossy().contains("build-script-build")),
        "no build script found under {}",
        dir.join("target/release/build").display()
    );
    if is_cld() {
        for f in &linked {
            let c = run_with_timeout(
                Command::new("readelf").arg("-p").arg(".comment").arg(f),
                RUN_TIMEOUT,
            )
            .unwrap();
            assert!(
                c.stdout.contains("cld"),
                "{}: .comment does not name cld:\n{}",
                f.display(),
                c.stdout
            );
        }
        eprintln!("{} linked files, all by cld", linked.len());
    }

    let corpus = dir.join("corpus");
    make_corpus(&corpus);
    let version = rg(&rg_cld, &corpus, &["--version"]);
    assert!(
        version.success() && version.stdout.contains(RIPGREP_VERSION),
        "rg --version: {}\n{}{}",
        version.describe_status(),
        version.stdout,
        version.stderr
    );

    let cases: &[&[&str]] = &[
        &["--sort", "path", "needle"],
        &["--sort", "path", "-c", "needle"],
        &["--sort", "path", "-l", "needle"],
        &["--sort", "path", "-i", "needle"],
        &["--sort", "path", "--json", "needle"],
        &[
            "--sort", "path", "-n", "-w", "-e", r"fn \w+", "--type", "rust",
        ],
        &["--sort", "path", "--hidden", "-l", "needle"],
        &["--sort", "path", "--no-ignore", "-l", "needle"],
        &["--sort", "path", "-uuu", "-c", "needle"],
        &["--sort", "path", "--files"],
        &["--sort", "path", "-o", "-N", r"line \d+9973\b"],
        &["--sort", "path", "--count-matches", "-F", "hay"],
        &["--sort", "path", "-r", "pin", "needle", "docs/notes.txt"],
        &["--sort", "path", "-C", "1", "NEEDLE"],
        &["no-such-pattern-anywhere"],
        &["-e", "("],
        // Parallel search (no --sort): compared line by line after sorting.
        &["-c", "needle"],
        &["-i", "-l", "needle"],
    ];
    let mut failures = Vec::new();
    for args in cases {
        let r = rg(&reference, &corpus, args);
        let t = rg(&rg_cld, &corpus, args);
        let normalize = |s: &str| {
            let s = strip_elapsed(s);
            if args.contains(&"--sort") {
                s
            } else {
                let mut lines: Vec<&str> = s.lines().collect();
                lines.sort_unstable();
                lines.join("\n")
            }
        };
        if r.code() != t.code()
            || normalize(&r.stdout) != normalize(&t.stdout)
            || r.stderr != t.stderr
        {
            failures.push(format!(
                "rg {}: reference {}, cld {}\n--- stdout diff (- reference, + cld) ---\n{}\n\
                 --- stderr reference ---\n{}--- stderr cld ---\n{}",
                args.join(" "),
                r.describe_status(),
                t.describe_status(),
                line_diff(&normalize(&r.stdout), &normalize(&t.stdout)),
                r.stderr,
                t.stderr
            ));
        }
        // A few facts that must hold whichever linker (guards the corpus).
        let joined = args.join(" ");
        if joined == "--sort path -l needle" {
            assert_eq!(
                r.stdout, "README.md\ndocs/big.txt\ndocs/notes.txt\nsrc/main.rs\n",
                "reference rg -l: ignored, hidden and binary files must be skipped"
            );
        }
        if joined == "--sort path --no-ignore -l needle" {
            assert!(
                r.stdout.contains("ignored.txt") && r.stdout.contains("build/out.txt"),
                "{}",
                r.stdout
            );
        }
        if joined == "no-such-pattern-anywhere" {
            assert_eq!(r.code(), Some(1));
        }
        if joined == "-e (" {
            assert_eq!(r.code(), Some(2));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rg runs differ between the reference and the cld build:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
