//! Debug information survives linking with cld: the two-file program in
//! `tests/c/debug_g` is compiled with `-g -O0` and linked with cld (PIE and
//! static); `addr2line` must map function addresses (from `nm`) to the right
//! function and `file.c:LINE`, and `gdb` must stop at a `file.c:LINE`
//! breakpoint inside the function and show a backtrace through `main`.
//!
//! The line numbers are not hard-coded: they are found through the marker
//! comments FUNC_START, MAIN_START and BREAK_HERE in the sources.
//!
//! `CLD_TEST_LINKER` (see tests/common/mod.rs) works here too, for
//! validating the test itself.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn debug_info_pie() {
    check_debug_info("pie", "-fPIE", "-pie", None);
}

#[test]
fn debug_info_static() {
    check_debug_info("static", "-fno-pie", "-static", None);
}

/// `--compress-debug-sections`: the same checks on compressed debug
/// sections, and the same sections compressed as by GNU ld.
#[test]
fn debug_info_compressed_zlib() {
    check_debug_info("zlib", "-fPIE", "-pie", Some("zlib"));
}

#[test]
fn debug_info_compressed_zstd() {
    check_debug_info("zstd", "-fno-pie", "-static", Some("zstd"));
    check_debug_info("zstd-19", "-fPIE", "-pie", Some("zstd:19"));
}

/// Names of the sections with the `C` (compressed) flag in `readelf -SW`.
fn compressed_sections(file: &Path) -> Vec<String> {
    let r = run(Command::new("readelf").arg("-SW").arg(file), "readelf -SW");
    let mut v: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let rest = l.strip_prefix('[')?.split_once(']')?.1;
            let words: Vec<&str> = rest.split_whitespace().collect();
            // Name Type Address Off Size ES Flg Lk Inf Al (Flg absent when empty).
            (words.len() == 10 && words[6].contains('C')).then(|| words[0].to_string())
        })
        .collect();
    v.sort();
    v
}

/// 1-based number of the first line of `file` containing `marker`.
fn marker_line(file: &Path, marker: &str) -> usize {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    text.lines()
        .position(|l| l.contains(marker))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("TEST BUG: marker {marker} not found in {}", file.display()))
}

fn run(cmd: &mut Command, what: &str) -> RunResult {
    let r = run_with_timeout(cmd, TIMEOUT).unwrap_or_else(|e| panic!("{what}: {e}"));
    if r.timed_out {
        panic!(
            "{what} timed out:\n  {}\n{}{}",
            show_command(cmd),
            r.stdout,
            r.stderr
        );
    }
    r
}

/// True if `text` contains `file:line` not followed by another digit.
fn mentions_location(text: &str, file: &str, line: usize) -> bool {
    let needle = format!("{file}:{line}");
    text.match_indices(&needle)
        .any(|(i, _)| !text[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

fn symbol_address(nm_output: &str, name: &str) -> Option<String> {
    nm_output.lines().find_map(|l| {
        let mut f = l.split_whitespace();
        let (addr, kind, sym) = (f.next()?, f.next()?, f.next()?);
        (sym == name && (kind == "T" || kind == "t")).then(|| addr.to_string())
    })
}

fn check_debug_info(mode: &str, compile_flag: &str, link_flag: &str, compress: Option<&str>) {
    require_tool("gcc", "gcc");
    require_tool("nm", "binutils");
    require_tool("addr2line", "binutils");
    require_tool("readelf", "binutils");
    require_tool("gdb", "gdb");

    let src = c_tests_dir().join("debug_g");
    let main_c = src.join("main.c");
    let helper_c = src.join("helper.c");
    let func_line = marker_line(&helper_c, "FUNC_START");
    let main_line = marker_line(&main_c, "MAIN_START");
    let break_line = marker_line(&helper_c, "BREAK_HERE");

    let work = fresh_work_dir("debug_info", mode);
    let shim = make_shim(&work);
    let mut objs: Vec<PathBuf> = Vec::new();
    for c in [&main_c, &helper_c] {
        let obj = work.join(format!("{}.o", c.file_stem().unwrap().to_string_lossy()));
        let mut cmd = Command::new("gcc");
        cmd.args(["-c", "-g", "-O0", compile_flag])
            .arg(c)
            .arg("-o")
            .arg(&obj);
        let r = run(&mut cmd, "gcc");
        assert!(
            r.success(),
            "TEST BUG (not a linker problem): gcc failed to compile {}:\n{}\n{}",
            c.display(),
            show_command(&cmd),
            r.stderr
        );
        objs.push(obj);
    }
    let out = work.join("out");
    let compress_flag = compress.map(|c| format!("-Wl,--compress-debug-sections={c}"));
    let mut link = Command::new("gcc");
    link.arg("-B")
        .arg(&shim)
        .arg(link_flag)
        .args(&compress_flag)
        .args(&objs)
        .arg("-o")
        .arg(&out);
    let r = run(&mut link, "link");
    assert!(
        r.success(),
        "linking with cld failed ({}):\n  {}\n{}",
        r.describe_status(),
        show_command(&link),
        r.stderr
    );

    let mut problems: Vec<String> = Vec::new();

    if let Some(kind) = compress {
        // GNU ld's output of the same link has the same sections compressed
        // (GNU ld takes no zstd level).
        let kind = kind.split(':').next().unwrap();
        let reference = work.join("ref");
        let r = run(
            Command::new("gcc")
                .arg(link_flag)
                .arg(format!("-Wl,--compress-debug-sections={kind}"))
                .args(&objs)
                .arg("-o")
                .arg(&reference),
            "link with GNU ld",
        );
        assert!(r.success(), "TEST BUG: GNU ld failed: {}", r.stderr);
        let ours = compressed_sections(&out);
        let theirs = compressed_sections(&reference);
        if ours.is_empty() || ours != theirs {
            problems.push(format!(
                "compressed sections: cld {ours:?}, GNU ld {theirs:?}"
            ));
        }
    }

    // The DWARF must be readable without complaints.
    let mut cmd = Command::new("readelf");
    cmd.args(["--debug-dump=info,line,aranges"]).arg(&out);
    let r = run(&mut cmd, "readelf");
    let bad: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("Warning") || l.contains("warning") || l.contains("Error"))
        .collect();
    if !r.success() || !r.stderr.trim().is_empty() || !bad.is_empty() {
        problems.push(format!(
            "`readelf --debug-dump=info,line,aranges` complained ({}):\n{}{}",
            r.describe_status(),
            indent(&truncate(&r.stderr, 20), "    "),
            indent(&truncate(&bad.join("\n"), 20), "    ")
        ));
    }

    symbols_and_lines(&out, &out, func_line, main_line, &mut problems);
    gdb_stops_in_helper(&out, &work, break_line, &mut problems);

    assert!(
        problems.is_empty(),
        "debug info checks failed for the {mode} output {}:\n\n{}",
        out.display(),
        problems.join("\n\n")
    );
}

/// `nm` of `out` finds compute_checksum and main, and `addr2line` on
/// `debug` (the program, or its separate debug file) maps their addresses
/// to their functions and lines.
fn symbols_and_lines(
    out: &Path,
    debug: &Path,
    func_line: usize,
    main_line: usize,
    problems: &mut Vec<String>,
) {
    // nm -> addresses -> addr2line.
    let mut cmd = Command::new("nm");
    cmd.arg(out);
    let nm = run(&mut cmd, "nm");
    assert!(
        nm.success(),
        "nm failed on the cld output: {}\n{}",
        nm.describe_status(),
        nm.stderr
    );
    for (func, file, line) in [
        ("compute_checksum", "helper.c", func_line),
        ("main", "main.c", main_line),
    ] {
        let Some(addr) = symbol_address(&nm.stdout, func) else {
            problems.push(format!("`nm out` does not list a text symbol {func}"));
            continue;
        };
        let mut cmd = Command::new("addr2line");
        cmd.arg("-e").arg(debug).arg("-f").arg(format!("0x{addr}"));
        let r = run(&mut cmd, "addr2line");
        let lines: Vec<&str> = r.stdout.lines().collect();
        let ok = r.success()
            && lines.first() == Some(&func)
            && lines
                .get(1)
                .is_some_and(|l| mentions_location(l, file, line));
        if !ok {
            problems.push(format!(
                "addr2line for {func} (0x{addr}) should print `{func}` and `{file}:{line}`:\n    {}\n{}{}",
                show_command(&cmd),
                indent(&r.stdout, "    "),
                indent(&r.stderr, "    ")
            ));
        }
    }
}

/// gdb stops at the helper.c:`break_line` breakpoint in compute_checksum
/// and shows main in the backtrace.
fn gdb_stops_in_helper(out: &Path, work: &Path, break_line: usize, problems: &mut Vec<String>) {
    // gdb: break at file:line, run, backtrace.
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch", "-iex", "set debuginfod enabled off"])
        .args(["-ex", &format!("break helper.c:{break_line}")])
        .args(["-ex", "run", "-ex", "bt"])
        .arg(out)
        .current_dir(work);
    let r = run(&mut cmd, "gdb");
    let text = &r.stdout;
    let stopped = text.contains("Breakpoint 1, compute_checksum")
        && mentions_location(text, "helper.c", break_line);
    let backtrace = text.lines().any(|l| {
        l.starts_with("#0")
            && l.contains("compute_checksum")
            && mentions_location(l, "helper.c", break_line)
    }) && text
        .lines()
        .any(|l| l.starts_with("#1") && l.contains("main") && l.contains("main.c:"));
    if !stopped || !backtrace {
        problems.push(format!(
            "gdb did not stop at helper.c:{break_line} in compute_checksum with main in the backtrace \
             (stopped: {stopped}, backtrace: {backtrace}):\n    {}\n  stdout:\n{}  stderr:\n{}",
            show_command(&cmd),
            indent(&truncate(text, 40), "    "),
            indent(&truncate(&r.stderr, 20), "    ")
        ));
    }
}

/// The parts of `readelf --debug-dump=gdb_index` that do not depend on
/// addresses or hash slots: the CU count, the number of address ranges,
/// and each symbol with its CU attributes, sorted.
fn gdb_index_summary(file: &Path) -> (usize, usize, Vec<String>) {
    let r = run(
        Command::new("readelf")
            .arg("--debug-dump=gdb_index")
            .arg(file),
        "readelf --debug-dump=gdb_index",
    );
    let (mut cus, mut ranges, mut syms) = (0, 0, Vec::new());
    let mut part = "";
    let mut current = String::new();
    for l in r.stdout.lines() {
        match l {
            "CU table:" | "TU table:" | "Address table:" | "Symbol table:" => part = l,
            _ if l.trim().is_empty() => {}
            _ => match part {
                "CU table:" => cus += 1,
                "Address table:" => ranges += 1,
                "Symbol table:" if l.starts_with('[') => {
                    if !current.is_empty() {
                        syms.push(std::mem::take(&mut current));
                    }
                    current = l.split_once("] ").map(|x| x.1).unwrap_or(l).to_string();
                }
                "Symbol table:" => current.push_str(l.trim()),
                _ => {}
            },
        }
    }
    if !current.is_empty() {
        syms.push(current);
    }
    // lld repeats an attribute a name has twice in a CU; cld lists it once.
    for s in syms.iter_mut() {
        let (name, attrs) = s.split_once(':').unwrap_or((s, ""));
        let mut a: Vec<&str> = attrs
            .split(']')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .collect();
        a.dedup();
        *s = format!("{name}: {}", a.join("] "));
    }
    syms.sort();
    (cus, ranges, syms)
}

/// `--gdb-index`: gdb reads cld's index, which lists the same CUs, ranges
/// and names as lld's for the same objects; the output is deterministic.
#[test]
fn gdb_index_matches_lld() {
    require_tool("gcc", "gcc");
    require_tool("gdb", "gdb");
    require_tool("ld.lld", "lld");
    let src = c_tests_dir().join("debug_g");
    let work = fresh_work_dir("debug_info", "gdb-index");
    let shim = make_shim(&work);
    let mut objs = Vec::new();
    for c in ["main.c", "helper.c"] {
        let obj = work.join(c.replace(".c", ".o"));
        let r = run(
            Command::new("gcc")
                .args(["-c", "-g", "-ggnu-pubnames", "-O1"])
                .arg(src.join(c))
                .arg("-o")
                .arg(&obj),
            "gcc",
        );
        assert!(r.success(), "TEST BUG: gcc failed: {}", r.stderr);
        objs.push(obj);
    }
    let link = |out: &str, extra: &[&str]| {
        let r = run(
            Command::new("gcc")
                .args(extra)
                .args(&objs)
                .args(["-Wl,--gdb-index", "-o"])
                .arg(work.join(out)),
            "link",
        );
        assert!(r.success(), "linking {out} failed: {}", r.stderr);
        work.join(out)
    };
    let ours = link("out", &["-B", &shim]);
    let again = link("out2", &["-B", &shim]);
    let lld = link("lld", &["-fuse-ld=lld"]);
    assert!(
        std::fs::read(&ours).unwrap() == std::fs::read(&again).unwrap(),
        "two identical links with --gdb-index differ"
    );
    let (cus, ranges, syms) = gdb_index_summary(&ours);
    assert_eq!(cus, 2, "CUs in cld's .gdb_index");
    assert!(ranges >= 2, "address ranges in cld's .gdb_index: {ranges}");
    assert!(
        syms.iter().any(|s| s.starts_with("compute_checksum:")),
        "{syms:?}"
    );
    assert_eq!(
        (cus, ranges, syms),
        gdb_index_summary(&lld),
        "cld's .gdb_index differs from lld's"
    );
    let r = run(
        Command::new("gdb")
            .args(["-nx", "-batch", "-iex", "set debuginfod enabled off"])
            .args([
                "-ex",
                "maint print objfiles",
                "-ex",
                "break compute_checksum",
                "-ex",
                "run",
                "-ex",
                "bt",
            ])
            .arg(&ours)
            .current_dir(&work),
        "gdb",
    );
    assert!(
        r.stdout.contains(".gdb_index: version 7")
            && r.stdout.contains("Breakpoint 1, compute_checksum"),
        "gdb did not use cld's index or did not stop:\n{}",
        truncate(&r.stdout, 40)
    );
}

/// Compressed debug sections in the inputs (`gcc -gz`, `objcopy
/// --compress-debug-sections=zstd`) are decompressed: the program is
/// byte-identical to the one linked from uncompressed objects, and the
/// usual debug checks pass on a `-gz` build.
#[test]
fn compressed_debug_inputs() {
    check_debug_info("gz-input", "-gz=zlib", "-pie", None);
    require_tool("objcopy", "binutils");
    let src = c_tests_dir().join("debug_g");
    let work = fresh_work_dir("debug_info", "compressed-inputs");
    let shim = make_shim(&work);
    let mut plain = Vec::new();
    for c in ["main.c", "helper.c"] {
        let obj = work.join(c.replace(".c", ".o"));
        let r = run(
            Command::new("gcc")
                .args(["-c", "-g", "-O1"])
                .arg(src.join(c))
                .arg("-o")
                .arg(&obj),
            "gcc",
        );
        assert!(r.success(), "TEST BUG: gcc failed: {}", r.stderr);
        plain.push(obj);
    }
    let link = |objs: &[PathBuf], out: &str| -> Vec<u8> {
        let r = run(
            Command::new("gcc")
                .arg("-B")
                .arg(&shim)
                .args(objs)
                .arg("-o")
                .arg(work.join(out)),
            "link",
        );
        assert!(r.success(), "linking {out} failed: {}", r.stderr);
        std::fs::read(work.join(out)).unwrap()
    };
    let reference = link(&plain, "plain");
    for kind in ["zlib", "zstd"] {
        let packed: Vec<PathBuf> = plain
            .iter()
            .map(|o| {
                let p = o.with_extension(format!("{kind}.o"));
                let r = run(
                    Command::new("objcopy")
                        .arg(format!("--compress-debug-sections={kind}"))
                        .arg(o)
                        .arg(&p),
                    "objcopy",
                );
                assert!(r.success(), "TEST BUG: objcopy failed: {}", r.stderr);
                p
            })
            .collect();
        assert!(
            compressed_sections(&packed[0]).contains(&".debug_info".to_string()),
            "TEST BUG: objcopy did not compress .debug_info ({kind})"
        );
        assert!(
            link(&packed, kind) == reference,
            "linking {kind}-compressed objects differs from linking plain ones"
        );
    }
}

/// CRC-32 (IEEE, as zlib and `.gnu_debuglink` use).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Section names in `readelf -SW` of `file`.
fn section_names(file: &Path) -> Vec<String> {
    let r = run(Command::new("readelf").arg("-SW").arg(file), "readelf -SW");
    assert!(
        r.stderr.is_empty(),
        "readelf -SW {}: {}",
        file.display(),
        r.stderr
    );
    r.stdout
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?.split_once(']')?.1;
            rest.split_whitespace().next().map(str::to_string)
        })
        .collect()
}

/// The contents of section `name` of `file` (offset and size from `readelf -SW`).
fn section_bytes(file: &Path, name: &str) -> Vec<u8> {
    let r = run(Command::new("readelf").arg("-SW").arg(file), "readelf -SW");
    let words: Vec<String> = r
        .stdout
        .lines()
        .find_map(|l| {
            let rest = l.trim_start().strip_prefix('[')?.split_once(']')?.1;
            let w: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
            (w.first()? == name).then_some(w)
        })
        .unwrap_or_else(|| panic!("no section {name} in {}", file.display()));
    let hex = |s: &str| usize::from_str_radix(s, 16).unwrap();
    let (off, size) = (hex(&words[3]), hex(&words[4]));
    std::fs::read(file).unwrap()[off..off + size].to_vec()
}

/// `--separate-debug-file[=FILE]`: the program keeps no debug section but
/// a `.gnu_debuglink` naming FILE with FILE's CRC32; FILE holds the DWARF
/// (compressed with `--compress-debug-sections`, with `.gdb_index` with
/// `--gdb-index`), passes `eu-elflint -d`, and gdb and addr2line use it.
/// Two links give the same bytes.
#[test]
fn separate_debug_file() {
    require_tool("gcc", "gcc");
    require_tool("gdb", "gdb");
    require_tool("eu-elflint", "elfutils");
    let src = c_tests_dir().join("debug_g");
    let (main_c, helper_c) = (src.join("main.c"), src.join("helper.c"));
    let func_line = marker_line(&helper_c, "FUNC_START");
    let main_line = marker_line(&main_c, "MAIN_START");
    let break_line = marker_line(&helper_c, "BREAK_HERE");
    for (mode, flags, file) in [
        (
            "pie",
            "--separate-debug-file,--gdb-index,--build-id",
            "out.dbg",
        ),
        (
            "static",
            "--separate-debug-file=other.debug,--compress-debug-sections=zlib",
            "other.debug",
        ),
    ] {
        let work = fresh_work_dir("debug_info", &format!("separate-{mode}"));
        let shim = make_shim(&work);
        let out = work.join("out");
        let dbg = work.join(file);
        let link = |to: &Path| {
            let mut cmd = Command::new("gcc");
            // A relative FILE is relative to the working directory.
            cmd.current_dir(&work)
                .args(["-g", "-O0", "-B"])
                .arg(&shim)
                .arg(format!("-{mode}"))
                .arg(format!("-Wl,{flags}"))
                .arg(&main_c)
                .arg(&helper_c)
                .arg("-o")
                .arg(to);
            let r = run(&mut cmd, "link");
            assert!(r.success(), "{}\n{}", show_command(&cmd), r.stderr);
        };
        link(&out);
        let first = (std::fs::read(&out).unwrap(), std::fs::read(&dbg).unwrap());
        link(&out);
        let second = (std::fs::read(&out).unwrap(), std::fs::read(&dbg).unwrap());
        assert!(first == second, "{mode}: two links differ");
        let (prog, debug) = second;

        let names = section_names(&out);
        assert!(
            !names
                .iter()
                .any(|n| n.starts_with(".debug") || n == ".gdb_index"),
            "{mode}: debug sections left in the program: {names:?}"
        );
        let link = section_bytes(&out, ".gnu_debuglink");
        let mut expected = file.as_bytes().to_vec();
        expected.push(0);
        expected.resize(expected.len().div_ceil(4) * 4, 0);
        expected.extend_from_slice(&crc32(&debug).to_le_bytes());
        assert_eq!(
            link, expected,
            "{mode}: .gnu_debuglink is not FILE and its CRC32"
        );

        let dnames = section_names(&dbg);
        for want in [".debug_info", ".debug_line", ".symtab", ".text"] {
            assert!(
                dnames.iter().any(|n| n == want),
                "{mode}: no {want} in {file}: {dnames:?}"
            );
        }
        assert_eq!(
            dnames.iter().any(|n| n == ".gdb_index"),
            flags.contains("gdb-index"),
            "{mode}: .gdb_index in {file}: {dnames:?}"
        );
        assert_eq!(
            compressed_sections(&dbg).is_empty(),
            !flags.contains("compress"),
            "{mode}: compressed sections of {file}"
        );
        for (args, f) in [(&["-d"][..], &dbg), (&[][..], &out)] {
            let r = run(
                Command::new("eu-elflint").arg("--gnu-ld").args(args).arg(f),
                "eu-elflint",
            );
            assert!(
                r.success(),
                "eu-elflint {args:?} {}:\n{}",
                f.display(),
                r.stdout
            );
        }
        let r = run(Command::new("readelf").arg("-aW").arg(&dbg), "readelf -aW");
        assert!(r.stderr.is_empty(), "readelf -aW {file}: {}", r.stderr);
        let _ = prog;

        // A debug file that cannot be written fails the link, naming it,
        // and leaves no program either.
        let failed = run(
            Command::new("gcc")
                .current_dir(&work)
                .args(["-g", "-B"])
                .arg(&shim)
                .arg(&main_c)
                .arg(&helper_c)
                .args(["-Wl,--separate-debug-file=no-such-dir/x.dbg", "-o", "out2"]),
            "link with an unwritable debug file",
        );
        assert!(
            !failed.success() && failed.stderr.contains("no-such-dir/x.dbg"),
            "{mode}: {}",
            failed.stderr
        );
        assert!(
            !work.join("out2").exists(),
            "{mode}: a failed link left its output"
        );

        let mut problems = Vec::new();
        symbols_and_lines(&out, &dbg, func_line, main_line, &mut problems);
        gdb_stops_in_helper(&out, &work, break_line, &mut problems);
        assert!(problems.is_empty(), "{mode}:\n{}", problems.join("\n\n"));
    }
}

/// The big link features together, as a distribution would use them: a
/// `-g` PIE linked with `-z pack-relative-relocs
/// --compress-debug-sections=zstd --gdb-index` runs, `readelf -aW` has
/// nothing to warn about, and gdb and addr2line find the functions and
/// lines.
#[test]
fn relr_zstd_and_gdb_index_together() {
    require_tool("gcc", "gcc");
    require_tool("gdb", "gdb");
    require_tool("addr2line", "binutils");
    let src = c_tests_dir().join("debug_g");
    let (main_c, helper_c) = (src.join("main.c"), src.join("helper.c"));
    let work = fresh_work_dir("debug_info", "relr-zstd-gdb-index");
    let shim = make_shim(&work);
    let out = work.join("out");
    let r = run(
        Command::new("gcc")
            .args(["-g", "-O0", "-fPIE", "-pie", "-B"])
            .arg(&shim)
            .arg("-Wl,-z,pack-relative-relocs,--compress-debug-sections=zstd,--gdb-index")
            .arg(&main_c)
            .arg(&helper_c)
            .arg("-o")
            .arg(&out),
        "link",
    );
    assert!(r.success(), "linking failed:\n{}", r.stderr);
    // The same program linked by GNU ld prints and exits the same.
    let reference = work.join("ref");
    let r = run(
        Command::new("gcc")
            .args(["-g", "-O0", "-fPIE", "-pie"])
            .arg(&main_c)
            .arg(&helper_c)
            .arg("-o")
            .arg(&reference),
        "link with GNU ld",
    );
    assert!(r.success(), "TEST BUG: GNU ld failed: {}", r.stderr);
    let ran = run(&mut Command::new(&out), "running the program");
    let want = run(&mut Command::new(&reference), "running GNU ld's program");
    assert!(
        ran.stdout == want.stdout && ran.status.code() == want.status.code(),
        "the program prints or exits differently from GNU ld's: {:?} {:?} vs {:?} {:?}",
        ran.stdout,
        ran.status.code(),
        want.stdout,
        want.status.code()
    );
    let elf = run(Command::new("readelf").arg("-aW").arg(&out), "readelf -aW");
    assert!(
        elf.stderr.trim().is_empty() && !elf.stdout.contains("Warning"),
        "readelf -aW warns:\n{}{}",
        elf.stderr,
        elf.stdout
    );
    for (what, needle) in [
        ("no .relr.dyn", ".relr.dyn"),
        ("no .gdb_index", ".gdb_index"),
        ("no GLIBC_ABI_DT_RELR need", "GLIBC_ABI_DT_RELR"),
    ] {
        assert!(elf.stdout.contains(needle), "{what}:\n{}", elf.stdout);
    }
    assert!(
        elf.stdout
            .lines()
            .any(|l| l.contains(".debug_info") && l.split_whitespace().any(|f| f.contains('C'))),
        ".debug_info is not compressed"
    );
    let mut problems = Vec::new();
    symbols_and_lines(
        &out,
        &out,
        marker_line(&helper_c, "FUNC_START"),
        marker_line(&main_c, "MAIN_START"),
        &mut problems,
    );
    gdb_stops_in_helper(
        &out,
        &work,
        marker_line(&helper_c, "BREAK_HERE"),
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
