//! cld's behaviour on bad links and informational options: the error
//! messages name what is wrong and where, failed links do not clobber an
//! existing output, and cld never crashes on bad input.
//!
//! Links go through `gcc -B <shim>` like the C program tests, or call the
//! cld binary directly. The message checks are specific to cld; with
//! `CLD_TEST_LINKER` set (see tests/common/mod.rs) other linkers are
//! expected to fail some of them.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Writes `name` into `dir` and compiles it with `gcc -c -O0 <flags>`.
fn compile(dir: &Path, name: &str, source: &str, flags: &[&str]) -> PathBuf {
    require_tool("gcc", "gcc");
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, source).unwrap();
    let obj = dir.join(format!("{name}.o"));
    let mut cmd = Command::new("gcc");
    cmd.args(["-c", "-O0"])
        .args(flags)
        .arg(&c)
        .arg("-o")
        .arg(&obj);
    let r = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    assert!(
        r.success(),
        "TEST BUG (not a linker problem): gcc failed ({}):\n{}\n{}",
        r.describe_status(),
        show_command(&cmd),
        r.stderr
    );
    obj
}

const MAIN_SRC: &str = "int main(void) { return 0; }\n";

/// `gcc -B <shim> <args> -o <out>`; returns the result and the command text.
fn gcc_link(dir: &Path, args: &[&Path], extra: &[&str], out: &Path) -> (RunResult, String) {
    let shim = make_shim(dir);
    let mut cmd = Command::new("gcc");
    cmd.arg("-B")
        .arg(&shim)
        .args(args)
        .args(extra)
        .arg("-o")
        .arg(out);
    let r = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("TEST BUG: {e}"));
    (r, show_command(&cmd))
}

/// Runs the linker under test directly.
fn cld(args: &[&str], dir: &Path) -> (RunResult, String) {
    let mut cmd = Command::new(linker_under_test());
    cmd.args(args).current_dir(dir);
    let r = run_with_timeout(&mut cmd, TIMEOUT).unwrap_or_else(|e| panic!("cannot run cld: {e}"));
    (r, show_command(&cmd))
}

/// A link that must fail: non-zero exit status, not a crash, not a hang.
fn assert_clean_failure(r: &RunResult, cmd: &str) {
    let ctx = context(r, cmd);
    assert!(!r.timed_out, "the link hung{ctx}");
    assert!(
        r.status.code().is_some(),
        "the linker was killed by a signal instead of failing cleanly{ctx}"
    );
    assert!(!r.status.success(), "the link should have failed{ctx}");
    // Via gcc, a crashing linker shows up as collect2 messages.
    for crash in [
        "panicked",
        "terminated with signal",
        "RUST_BACKTRACE",
        "core dumped",
    ] {
        assert!(
            !r.stderr.contains(crash),
            "the linker crashed ({crash:?}){ctx}"
        );
    }
}

/// A failed link left nothing at `out`.
fn assert_no_output(out: &Path, r: &RunResult, cmd: &str) {
    assert!(
        !out.exists(),
        "a failed link must not leave an output file{}",
        context(r, cmd)
    );
}

fn assert_stderr_contains(r: &RunResult, cmd: &str, needle: &str, why: &str) {
    assert!(
        r.stderr.contains(needle),
        "stderr should contain {needle:?} ({why}){}",
        context(r, cmd)
    );
}

#[test]
fn undefined_symbol_names_symbol_and_referencing_object() {
    let dir = fresh_work_dir("link_errors", "undefined_symbol");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let caller = compile(
        &dir,
        "caller_obj",
        "void missing_function(void);\nvoid call_missing(void) { missing_function(); }\n",
        &[],
    );
    let (r, cmd) = gcc_link(&dir, &[&main, &caller], &[], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(
        &r,
        &cmd,
        "undefined symbol: missing_function",
        "names the symbol",
    );
    assert_stderr_contains(&r, &cmd, "caller_obj.o", "names the referencing object");
    assert_stderr_contains(
        &r,
        &cmd,
        "(.text+0x",
        "gives section and offset of the reference",
    );
    assert_no_output(&dir.join("out"), &r, &cmd);
}

/// A PC-relative reference (`R_X86_64_PC32`) and a call (`R_X86_64_PLT32`)
/// to symbols 32 TiB away do not fit in 32 bits: the link fails naming the
/// place, the type, the target and the value, and writes nothing; the same
/// references to nearby symbols link. (These relocations take the writer's
/// short path, which must leave the overflow to the general one.)
#[test]
fn pc_relative_overflow_names_type_target_and_value() {
    let dir = fresh_work_dir("link_errors", "pc_relative_overflow");
    let obj = compile(
        &dir,
        "far",
        "extern char far_away[] __attribute__((visibility(\"hidden\")));\n\
         extern void far_func(void) __attribute__((visibility(\"hidden\")));\n\
         char *addr(void) { return far_away; }\n\
         void call(void) { far_func(); }\n\
         int main(void) { return addr() == 0; }\n",
        &["-fPIE", "-ffunction-sections"],
    );
    let out = dir.join("out");
    let far = [
        "-Wl,--defsym=far_away=0x200000000000",
        "-Wl,--defsym=far_func=0x200000000010",
    ];
    let (r, cmd) = gcc_link(&dir, &[&obj], &far, &out);
    assert_clean_failure(&r, &cmd);
    for needle in [
        "far.o:(.text.addr+0x",
        "relocation R_X86_64_PC32 against far_away out of range: ",
        "far.o:(.text.call+0x",
        "relocation R_X86_64_PLT32 against far_func out of range: ",
        "is not in [-2147483648, 2147483647]",
    ] {
        assert_stderr_contains(&r, &cmd, needle, "names the overflow");
    }
    assert_no_output(&out, &r, &cmd);
    let near = [
        "-Wl,--defsym=far_away=0x2000",
        "-Wl,--defsym=far_func=0x2010",
        "-no-pie",
    ];
    let (r, cmd) = gcc_link(&dir, &[&obj], &near, &out);
    assert!(
        r.success(),
        "the same references in range must link{}",
        context(&r, &cmd)
    );
}

#[test]
fn undefined_symbol_lists_every_referencing_object() {
    let dir = fresh_work_dir("link_errors", "undefined_two_objects");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let a = compile(
        &dir,
        "first_user",
        "extern int nowhere(void);\nint fa(void) { return nowhere(); }\n",
        &[],
    );
    let b = compile(
        &dir,
        "second_user",
        "extern int nowhere(void);\nint fb(void) { return nowhere() + 1; }\n",
        &[],
    );
    let (r, cmd) = gcc_link(&dir, &[&main, &a, &b], &[], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "undefined symbol: nowhere", "names the symbol");
    assert_stderr_contains(
        &r,
        &cmd,
        "first_user.o",
        "names the first referencing object",
    );
    assert_stderr_contains(
        &r,
        &cmd,
        "second_user.o",
        "names the second referencing object",
    );
}

#[test]
fn duplicate_definition_names_both_objects() {
    let dir = fresh_work_dir("link_errors", "duplicate_definition");
    let main = compile(
        &dir,
        "main",
        "int duplicated_symbol(void);\nint main(void) { return duplicated_symbol(); }\n",
        &[],
    );
    let one = compile(
        &dir,
        "first_def",
        "int duplicated_symbol(void) { return 1; }\n",
        &[],
    );
    let two = compile(
        &dir,
        "second_def",
        "int duplicated_symbol(void) { return 2; }\n",
        &[],
    );
    let (r, cmd) = gcc_link(&dir, &[&main, &one, &two], &[], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "duplicated_symbol", "names the symbol");
    assert_stderr_contains(&r, &cmd, "first_def.o", "names the first definition");
    assert_stderr_contains(&r, &cmd, "second_def.o", "names the second definition");
}

#[test]
fn missing_library_is_reported() {
    let dir = fresh_work_dir("link_errors", "missing_library");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let (r, cmd) = gcc_link(&dir, &[&main], &["-lnosuchlib"], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "cannot find -lnosuchlib", "names the library");
}

#[test]
fn unknown_option_is_rejected() {
    let dir = fresh_work_dir("link_errors", "unknown_option");
    let (r, cmd) = cld(&["--frobnicate", "-o", "out"], &dir);
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "frobnicate", "names the unknown option");
}

#[test]
fn failed_link_leaves_existing_output_untouched() {
    let dir = fresh_work_dir("link_errors", "output_untouched");
    let main = compile(
        &dir,
        "main",
        "void missing_function(void);\nint main(void) { missing_function(); return 0; }\n",
        &[],
    );
    let out = dir.join("existing_output");
    let precious: Vec<u8> = b"precious bytes that a failed link must not touch\n\x00\x01\x02\xff"
        .iter()
        .copied()
        .cycle()
        .take(10_000)
        .collect();
    std::fs::write(&out, &precious).unwrap();
    let before: Vec<_> = list_dir(&dir);
    let (r, cmd) = gcc_link(&dir, &[&main], &[], &out);
    assert_clean_failure(&r, &cmd);
    let after = std::fs::read(&out).unwrap_or_else(|e| {
        panic!(
            "the existing output file is gone after a failed link: {e}{}",
            context(&r, &cmd)
        )
    });
    assert!(
        after == precious,
        "a failed link modified the existing output file ({} bytes before, {} after){}",
        precious.len(),
        after.len(),
        context(&r, &cmd)
    );
    // Temporary files next to the output must be cleaned up too (the shim
    // directory is created by this test).
    let new: Vec<_> = list_dir(&dir)
        .into_iter()
        .filter(|f| !before.contains(f) && f != "shim")
        .collect();
    assert!(
        new.is_empty(),
        "a failed link left files behind in the output directory: {new:?}{}",
        context(&r, &cmd)
    );
}

fn list_dir(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn version_mentions_cld() {
    let dir = fresh_work_dir("link_errors", "version");
    let (r, cmd) = cld(&["--version"], &dir);
    assert!(r.success(), "cld --version failed{}", context(&r, &cmd));
    assert!(
        r.stdout.lines().any(|l| l.contains("cld")),
        "cld --version should print a line containing `cld` on stdout{}",
        context(&r, &cmd)
    );
}

#[test]
fn help_lists_start_group() {
    let dir = fresh_work_dir("link_errors", "help");
    let (r, cmd) = cld(&["--help"], &dir);
    assert!(r.success(), "cld --help should exit 0{}", context(&r, &cmd));
    assert!(
        r.stdout.contains("--start-group"),
        "cld --help should document --start-group on stdout{}",
        context(&r, &cmd)
    );
}

/// Without the LTO plugin (`-fno-use-linker-plugin`: gcc passes no
/// `-plugin`), a slim LTO object cannot be linked. (With it, the object is
/// compiled by the plugin: `lto.rs`.)
#[test]
fn lto_object_without_plugin_is_rejected_with_message() {
    let dir = fresh_work_dir("link_errors", "bitcode_input");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let ir = compile(
        &dir,
        "ir_input",
        "int ir_function(int x) { return x * 3; }\n",
        &["-flto"],
    );
    let (r, cmd) = gcc_link(
        &dir,
        &[&main, &ir],
        &["-fno-use-linker-plugin"],
        &dir.join("out"),
    );
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "ir_input.o", "names the LTO object");
    // Look for "LTO" in the message itself, not in paths or in gcc's own
    // plugin arguments echoed back.
    let text = r
        .stderr
        .replace(&dir.display().to_string(), "")
        .replace("liblto_plugin", "")
        .replace("lto-wrapper", "")
        .to_ascii_lowercase();
    assert!(
        text.contains("lto") || text.contains("link-time optimi"),
        "the error should say the object is an LTO (link-time optimisation) object{}",
        context(&r, &cmd)
    );
}

#[test]
fn non_elf_input_is_named() {
    let dir = fresh_work_dir("link_errors", "not_elf");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let junk = dir.join("not_an_object.o");
    std::fs::write(
        &junk,
        "this is a text file, not an ELF object {{{ ;;; ]]] \x01\x02\n",
    )
    .unwrap();
    let (r, cmd) = gcc_link(&dir, &[&main, &junk], &[], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "not_an_object.o", "names the bad input");
}

#[test]
fn non_elf_input_is_named_when_called_directly() {
    let dir = fresh_work_dir("link_errors", "not_elf_direct");
    std::fs::write(
        dir.join("garbage.o"),
        [0x7fu8, b'E', b'L', b'X', 0, 1, 2, 3, 4, 5, 6, 7],
    )
    .unwrap();
    let (r, cmd) = cld(&["-o", "out", "garbage.o"], &dir);
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "garbage.o", "names the bad input");
}

#[test]
fn truncated_object_is_named_not_crashed_on() {
    let dir = fresh_work_dir("link_errors", "truncated_object");
    let main = compile(&dir, "main", MAIN_SRC, &[]);
    let full = compile(
        &dir,
        "full",
        "int table[64] = {1, 2, 3};\nint get(int i) { return table[i]; }\n",
        &[],
    );
    let bytes = std::fs::read(&full).unwrap();
    // Keep the ELF header but cut the file in the middle: section headers
    // (at the end) point past the end of the file.
    let cut = dir.join("cut_short.o");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (r, cmd) = gcc_link(&dir, &[&main, &cut], &[], &dir.join("out"));
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "cut_short.o", "names the truncated input");
}

#[test]
fn missing_input_file_is_named() {
    let dir = fresh_work_dir("link_errors", "missing_input");
    let (r, cmd) = cld(&["-o", "out", "does_not_exist.o"], &dir);
    assert_clean_failure(&r, &cmd);
    assert_stderr_contains(&r, &cmd, "does_not_exist.o", "names the missing file");
}
