//! LTO through the linker plugin: multi-file C programs compiled with
//! `gcc -flto -O2` (and `clang -flto`) are linked through `gcc -B <shim>`
//! (cld loads the plugin gcc names), run, and compared with the same
//! program linked by GNU ld. `readelf -aW` must be quiet, and the output
//! must show that LTO happened: no `.gnu.lto_` sections, and functions that
//! only whole-program optimisation can drop (one no module calls, one
//! inlined across modules) are gone, while a link of the same sources
//! without LTO keeps them.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

/// `main.c` calls `scale` (util.c: inlined across modules by LTO) and
/// `part_a` (an archive member); `never_called` (util.c) is global but
/// unused; `part_b` is in an archive member nothing references.
const SOURCES: &[(&str, &str)] = &[
    (
        "main.c",
        r#"#include <stdio.h>
int scale(int x);
int part_a(int x);
int main(int argc, char **argv) {
    (void)argv;
    int v = scale(argc + 13);
    printf("scale=%d part_a=%d\n", v, part_a(v));
    return 0;
}
"#,
    ),
    (
        "util.c",
        r#"int scale(int x) { return x * 3 + 1; }
int never_called(int x) { return x * 7 - 5; }
"#,
    ),
    (
        "part_a.c",
        r#"#include <string.h>
static char buf[64];
int part_a(int x) {
    memset(buf, 'a', sizeof buf - 1);
    return x + (int)strlen(buf);
}
"#,
    ),
    ("part_b.c", "int part_b(int x) { return x - 1; }\n"),
];

const EXPECTED: &str = "scale=43 part_a=106\n";

fn run(cmd: &mut Command, what: &str) -> RunResult {
    must_succeed_within(cmd, TIMEOUT, what)
}

/// `gcc FLAGS INPUT -o OUT`, which must succeed.
fn gcc(flags: &[&str], input: &Path, out: &Path, what: &str) {
    run(
        Command::new("gcc")
            .args(flags)
            .arg(input)
            .arg("-o")
            .arg(out),
        what,
    );
}

fn write_sources(dir: &Path) {
    for (name, text) in SOURCES {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Compiles every source with `cflags` to `<stem><tag>.o` and puts the two
/// parts in `libparts<tag>.a` (gcc-ar indexes IR symbols through the
/// plugin). Returns the link inputs: main, util, the archive.
fn compile(dir: &Path, cflags: &[&str], tag: &str) -> Vec<PathBuf> {
    for (name, _) in SOURCES {
        let stem = name.trim_end_matches(".c");
        run(
            Command::new("gcc")
                .args(cflags)
                .arg("-c")
                .arg(dir.join(name))
                .arg("-o")
                .arg(dir.join(format!("{stem}{tag}.o"))),
            &format!("compiling {name} with {cflags:?}"),
        );
    }
    let ar = dir.join(format!("libparts{tag}.a"));
    let _ = std::fs::remove_file(&ar);
    run(
        Command::new("gcc-ar")
            .arg("rcs")
            .arg(&ar)
            .arg(dir.join(format!("part_a{tag}.o")))
            .arg(dir.join(format!("part_b{tag}.o"))),
        "gcc-ar",
    );
    vec![
        dir.join(format!("main{tag}.o")),
        dir.join(format!("util{tag}.o")),
        ar,
    ]
}

/// Links `inputs` with gcc and `flags` (through cld if `shim` is given),
/// runs the program, and returns its stdout.
fn link_and_run(shim: Option<&str>, flags: &[&str], inputs: &[PathBuf], out: &Path) -> String {
    let mut cmd = Command::new("gcc");
    if let Some(s) = shim {
        cmd.arg("-B").arg(s);
    }
    cmd.args(flags).args(inputs).arg("-o").arg(out);
    let who = if shim.is_some() { "cld" } else { "GNU ld" };
    run(&mut cmd, &format!("linking {} with {who}", out.display()));
    run(
        &mut Command::new(out),
        &format!("running {}", out.display()),
    )
    .stdout
}

/// `readelf -aW` of `out`: must print no warnings.
fn readelf_all(out: &Path) -> String {
    let r = run(Command::new("readelf").arg("-aW").arg(out), "readelf -aW");
    assert!(
        r.stderr.is_empty() && !r.stdout.contains("Warning"),
        "readelf -aW warns about {}:\n{}{}",
        out.display(),
        r.stderr,
        r.stdout
    );
    r.stdout
}

/// The names in `out`'s symbol table.
fn symbols(out: &Path) -> Vec<String> {
    let r = run(Command::new("nm").arg(out), "nm");
    r.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_string))
        .collect()
}

/// The `DT_NEEDED` entries of `out`, in order.
fn needed(out: &Path) -> Vec<String> {
    let r = run(Command::new("readelf").arg("-dW").arg(out), "readelf -dW");
    r.stdout
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .map(|l| {
            l.split('[')
                .nth(1)
                .unwrap_or(l)
                .trim_end_matches(']')
                .to_string()
        })
        .collect()
}

fn has(syms: &[String], name: &str) -> bool {
    syms.iter().any(|s| s == name)
}

fn setup(name: &str) -> (PathBuf, String) {
    require_tool("gcc", "gcc");
    require_tool("gcc-ar", "gcc");
    require_tool("readelf", "binutils");
    require_tool("nm", "binutils");
    let dir = fresh_work_dir("lto", name);
    let shim = make_shim(&dir);
    write_sources(&dir);
    (dir, shim)
}

#[test]
fn gcc_lto_program_with_archive_matches_gnu_ld() {
    let (dir, shim) = setup("gcc");
    let inputs = compile(&dir, &["-flto", "-O2"], "");
    let cld_out = dir.join("prog-cld");
    let got = link_and_run(Some(&shim), &["-flto", "-O2"], &inputs, &cld_out);
    let want = link_and_run(None, &["-flto", "-O2"], &inputs, &dir.join("prog-ld"));
    assert_eq!(want, EXPECTED, "GNU ld's link printed something else");
    assert_eq!(got, want, "cld's LTO link prints differently from GNU ld's");
    assert_eq!(
        needed(&cld_out),
        needed(&dir.join("prog-ld")),
        "DT_NEEDED differs from GNU ld's"
    );

    let all = readelf_all(&cld_out);
    assert!(
        !all.contains(".gnu.lto_"),
        "the output still has GCC IR sections:\n{all}"
    );
    let syms = symbols(&cld_out);
    for gone in ["never_called", "scale", "part_b"] {
        assert!(
            !has(&syms, gone),
            "{gone} is in the LTO output: the plugin's code did not replace the IR ({syms:?})"
        );
    }
    assert!(has(&syms, "main"), "main is missing: {syms:?}");

    // The same sources without LTO keep what LTO dropped: the checks
    // above can tell the difference.
    let plain = compile(&dir, &["-O2"], "-plain");
    let plain_out = dir.join("prog-plain");
    let got = link_and_run(Some(&shim), &["-O2"], &plain, &plain_out);
    assert_eq!(got, EXPECTED, "the link without LTO prints differently");
    let syms = symbols(&plain_out);
    assert!(
        has(&syms, "never_called") && has(&syms, "scale"),
        "without LTO, never_called and scale should be linked: {syms:?}"
    );
}

#[test]
fn fat_lto_objects_are_claimed_with_the_plugin_and_link_as_code_without() {
    let (dir, shim) = setup("fat");
    let inputs = compile(&dir, &["-flto", "-ffat-lto-objects", "-O2"], "");

    // gcc -flto: the plugin claims the fat objects and compiles the IR.
    let lto_out = dir.join("prog-lto");
    let got = link_and_run(Some(&shim), &["-flto", "-O2"], &inputs, &lto_out);
    assert_eq!(got, EXPECTED, "fat objects linked through the plugin");
    readelf_all(&lto_out);
    let syms = symbols(&lto_out);
    assert!(
        !has(&syms, "never_called"),
        "never_called survived: the fat objects were not claimed ({syms:?})"
    );

    // No plugin: their machine code links as it is.
    let code_out = dir.join("prog-code");
    let got = link_and_run(Some(&shim), &["-fno-use-linker-plugin"], &inputs, &code_out);
    assert_eq!(got, EXPECTED, "fat objects linked without the plugin");
    let all = readelf_all(&code_out);
    assert!(
        !all.contains(".gnu.lto_"),
        "IR sections were copied to the output:\n{all}"
    );
    let syms = symbols(&code_out);
    assert!(
        has(&syms, "never_called"),
        "without the plugin the fat objects' code should be linked whole: {syms:?}"
    );
}

#[test]
fn slim_lto_object_without_plugin_is_an_error_naming_it() {
    let (dir, _shim) = setup("no-plugin");
    let inputs = compile(&dir, &["-flto", "-O2"], "");
    let out = dir.join("prog");
    let (r, shown) = run_shown(
        Command::new(linker_under_test())
            .arg("-o")
            .arg(&out)
            .arg(&inputs[0]),
        TIMEOUT,
    );
    assert!(
        !r.success(),
        "linking a slim LTO object without -plugin succeeded{}",
        context(&r, &shown)
    );
    let want = format!(
        "{}: unable to handle this LTO object file",
        inputs[0].display()
    );
    assert!(
        r.stderr.contains(&want) && r.stderr.contains("-plugin"),
        "the error should name the file and say to pass -plugin{}",
        context(&r, &shown)
    );
    assert!(!out.exists(), "a failed link left {}", out.display());
}

#[test]
fn gcc_lto_shared_library_exports_and_links() {
    let (dir, shim) = setup("shared");
    let lib_src = dir.join("lib.c");
    std::fs::write(
        &lib_src,
        "static int twice(int x) { return 2 * x; }\n\
         int lib_api(int x) { return twice(x) + 1; }\n\
         int lib_hidden(int x) __attribute__((visibility(\"hidden\")));\n\
         int lib_hidden(int x) { return x; }\n",
    )
    .unwrap();
    let lib_o = dir.join("lib.o");
    gcc(
        &["-flto", "-O2", "-fPIC", "-c"],
        &lib_src,
        &lib_o,
        "compiling lib.c",
    );
    let lib = dir.join("libl.so");
    run(
        Command::new("gcc")
            .arg("-B")
            .arg(&shim)
            .args(["-flto", "-O2", "-shared"])
            .arg(&lib_o)
            .arg("-o")
            .arg(&lib),
        "linking libl.so with cld",
    );
    let all = readelf_all(&lib);
    let dynsym: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.contains("'.dynsym'"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(
        dynsym.iter().any(|l| l.ends_with(" lib_api")),
        "lib_api is not exported:\n{}",
        dynsym.join("\n")
    );
    assert!(
        !dynsym.iter().any(|l| l.ends_with(" lib_hidden")),
        "the hidden lib_hidden is exported:\n{}",
        dynsym.join("\n")
    );
    let main_src = dir.join("use.c");
    std::fs::write(
        &main_src,
        "#include <stdio.h>\nint lib_api(int);\nint main(void) { printf(\"%d\\n\", lib_api(20)); return 0; }\n",
    )
    .unwrap();
    let exe = dir.join("use");
    run(
        Command::new("gcc")
            .arg("-B")
            .arg(&shim)
            .args(["-flto", "-O2"])
            .arg(&main_src)
            .arg("-o")
            .arg(&exe)
            .arg("-L")
            .arg(&dir)
            .arg("-ll")
            .arg(format!("-Wl,-rpath,{}", dir.display())),
        "linking use against libl.so",
    );
    let r = run(&mut Command::new(&exe), "running use");
    assert_eq!(r.stdout, "41\n");
}

#[test]
fn clang_lto_through_llvmgold_matches_gnu_ld() {
    let (dir, shim) = setup("clang");
    require_tool("clang", "clang");
    let mut inputs = Vec::new();
    for name in ["main.c", "util.c", "part_a.c"] {
        let o = dir.join(name.replace(".c", ".bc.o"));
        run(
            Command::new("clang")
                .args(["-flto", "-O2", "-c"])
                .arg(dir.join(name))
                .arg("-o")
                .arg(&o),
            &format!("clang -flto -c {name}"),
        );
        let magic = std::fs::read(&o).unwrap();
        assert!(
            magic.starts_with(b"BC\xC0\xDE"),
            "clang -flto did not write bitcode"
        );
        inputs.push(o);
    }
    let cld = format!("-fuse-ld={}ld", shim);
    let out = dir.join("prog-clang");
    let mut cmd = Command::new("clang");
    cmd.args(["-flto", "-O2", &cld])
        .args(&inputs)
        .arg("-o")
        .arg(&out);
    run(&mut cmd, "clang -flto link with cld");
    let got = run(&mut Command::new(&out), "running the clang LTO program").stdout;
    let gnu = dir.join("prog-clang-ld");
    let mut cmd = Command::new("clang");
    cmd.args(["-flto", "-O2"]).args(&inputs).arg("-o").arg(&gnu);
    run(&mut cmd, "clang -flto link with GNU ld");
    let want = run(
        &mut Command::new(&gnu),
        "running GNU ld's clang LTO program",
    )
    .stdout;
    assert_eq!(want, EXPECTED);
    assert_eq!(got, want, "cld's clang LTO link prints differently");
    readelf_all(&out);
    let syms = symbols(&out);
    assert!(
        !has(&syms, "never_called") && !has(&syms, "scale"),
        "LLVM's LTO did not drop never_called/scale: {syms:?}"
    );
}

#[test]
fn gcc_lto_static_link_finds_the_plugins_libraries_statically() {
    let (dir, shim) = setup("static");
    let inputs = compile(&dir, &["-flto", "-O2"], "");
    let out = dir.join("prog-static");
    let got = link_and_run(Some(&shim), &["-flto", "-O2", "-static"], &inputs, &out);
    assert_eq!(got, EXPECTED, "the static LTO link prints differently");
    let all = readelf_all(&out);
    assert!(
        !all.contains("(NEEDED)") && !all.contains("INTERP"),
        "a -static LTO link is dynamic:\n{all}"
    );
}

/// A C++ template member, an inline function and a function-local static
/// (COMDAT groups) in an LTO object and a regular one, in both orders:
/// the group IR wins before LTO stays the plugin's output's after it.
#[test]
fn cpp_lto_and_regular_objects_share_comdat_groups_as_with_gnu_ld() {
    let (dir, shim) = setup("cpp-comdat");
    require_tool("g++", "g++");
    std::fs::write(
        dir.join("box.h"),
        "#include <string>\n\
         template <class T> struct Box {\n\
           T v;\n\
           __attribute__((noinline)) std::string show() const { return std::to_string(v) + \"!\"; }\n\
         };\n\
         inline int shared_inline(int x) { return x * 5; }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("c1.cc"),
        "#include \"box.h\"\n#include <iostream>\nstd::string other(int);\n\
         int main() {\n\
           Box<int> b{3};\n\
           std::cout << b.show() << other(4) << shared_inline(2) << std::endl;\n\
           try { throw 5; } catch (int e) { std::cout << \"caught \" << e << std::endl; }\n\
         }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("c2.cc"),
        "#include \"box.h\"\n\
         std::string other(int x) { Box<int> b{x}; return b.show() + std::to_string(shared_inline(x)); }\n",
    )
    .unwrap();
    let compile = |src: &str, out: &str, lto: bool| {
        let mut cmd = Command::new("g++");
        cmd.args(["-O2", "-c"]);
        if lto {
            cmd.arg("-flto");
        }
        cmd.arg(dir.join(src)).arg("-o").arg(dir.join(out));
        run(&mut cmd, &format!("compiling {src}"));
        dir.join(out)
    };
    let c1 = compile("c1.cc", "c1-lto.o", true);
    let c2 = compile("c2.cc", "c2.o", false);
    let c2_lto = compile("c2.cc", "c2-lto.o", true);
    for (i, inputs) in [
        vec![c1.clone(), c2.clone()],
        vec![c2.clone(), c1.clone()],
        vec![c1.clone(), c2_lto.clone()],
    ]
    .iter()
    .enumerate()
    {
        let link = |shim: Option<&str>, out: &Path| {
            let mut cmd = Command::new("g++");
            if let Some(s) = shim {
                cmd.arg("-B").arg(s);
            }
            cmd.args(["-flto", "-O2"]).args(inputs).arg("-o").arg(out);
            run(&mut cmd, &format!("linking {inputs:?}"));
            run(
                &mut Command::new(out),
                &format!("running {}", out.display()),
            )
            .stdout
        };
        let out = dir.join(format!("cx-cld-{i}"));
        let got = link(Some(&shim), &out);
        let want = link(None, &dir.join(format!("cx-ld-{i}")));
        assert_eq!(want, "3!4!2010\ncaught 5\n", "GNU ld's link of {inputs:?}");
        assert_eq!(got, want, "cld's link of {inputs:?} prints differently");
        readelf_all(&out);
    }
}

/// A background (concurrent) link runs the plugin at the wait: started
/// through gcc with LTO objects and an archive of them among the
/// concurrent inputs, it makes a program that behaves as the serial cld
/// and GNU ld links do (LTO's temporary names make the bytes differ from
/// run to run, for GNU ld as well).
#[test]
fn concurrent_link_runs_the_lto_plugin() {
    let (dir, shim) = setup("concurrent");
    let inputs = compile(&dir, &["-flto", "-O2"], "");
    let want = link_and_run(Some(&shim), &["-flto", "-O2"], &inputs, &dir.join("serial"));
    assert_eq!(
        want, EXPECTED,
        "cld's serial LTO link printed something else"
    );
    let out = dir.join("prog");
    let log = dir.join("log");
    let mut start = Command::new("gcc");
    start
        .arg("-B")
        .arg(&shim)
        .args(["-flto", "-O2", "-o"])
        .arg(&out)
        .arg(format!(
            "-Wl,--concurrent-inotify,--concurrent-log={},--start-concurrent",
            log.display()
        ))
        .args(&inputs)
        .arg("-Wl,--end-concurrent");
    let (r, shown) = run_shown(&mut start, TIMEOUT);
    let token = check_token(&r, &shown);
    let (r, shown) = run_shown(
        Command::new(linker_under_test()).arg(format!("--concurrent-wait={token}")),
        TIMEOUT,
    );
    assert!(
        r.success(),
        "the concurrent LTO link failed{}\nlog:\n{}",
        context(&r, &shown),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let got = run(&mut Command::new(&out), "running the concurrent LTO link").stdout;
    assert_eq!(got, want, "the concurrent LTO link prints differently");
    readelf_all(&out);
    // The plugin compiled the IR: no LTO section reached the program.
    let sections = run(Command::new("readelf").arg("-SW").arg(&out), "readelf -SW").stdout;
    assert!(
        !sections.contains(".gnu.lto_"),
        "IR sections in the program:\n{sections}"
    );
}

/// A definition only the dynamic symbol table refers to (found with
/// `dlsym`) survives LTO when the command line exports it, as with GNU ld.
#[test]
fn dynamically_exported_definitions_survive_lto() {
    let (dir, shim) = setup("export");
    let src = dir.join("dl.c");
    std::fs::write(
        &src,
        "#include <dlfcn.h>\n#include <stdio.h>\n\
         int exported_fn(int x) { return x + 1; }\n\
         int main(void) {\n\
           void *h = dlopen(0, RTLD_NOW);\n\
           int (*f)(int) = (int (*)(int))dlsym(h, \"exported_fn\");\n\
           printf(\"%d\\n\", f ? f(1) : -1);\n\
           return 0;\n\
         }\n",
    )
    .unwrap();
    let obj = dir.join("dl.o");
    gcc(&["-flto", "-O2", "-c"], &src, &obj, "compiling dl.c");
    for (i, (flags, want)) in [
        (vec!["-Wl,--export-dynamic-symbol=exported_fn"], "2\n"),
        (vec!["-rdynamic"], "2\n"),
        (vec![], "-1\n"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut all = vec!["-flto", "-O2"];
        all.extend(flags.iter().copied());
        let inputs = [obj.clone()];
        let got = link_and_run(Some(&shim), &all, &inputs, &dir.join(format!("dl-cld-{i}")));
        let gnu = link_and_run(None, &all, &inputs, &dir.join(format!("dl-ld-{i}")));
        assert_eq!(gnu, want, "GNU ld with {flags:?}");
        assert_eq!(got, gnu, "cld with {flags:?} differs from GNU ld");
    }
}

/// Archive members the first resolution loaded stay loaded after LTO, as
/// in GNU ld, even when LTO removed the reference that selected them
/// (`dead` calls `bar`; LTO drops `dead`): a definition that preempted IR
/// (`hook` over the weak IR one) must not vanish with them.
#[test]
fn archive_members_loaded_before_lto_stay_loaded_as_with_gnu_ld() {
    let (dir, shim) = setup("keep-members");
    let files = [
        (
            "kmain.c",
            "#include <stdio.h>\nint hook(void);\nint bar(void);\n\
             int dead(void) { return bar(); }\n\
             int main(void) { printf(\"hook=%d\\n\", hook()); return 0; }\n",
            true,
        ),
        (
            "kweak.c",
            "__attribute__((weak)) int hook(void) { return 1; }\n",
            true,
        ),
        (
            "kmember.c",
            "int hook(void) { return 2; }\nint bar(void) { return 3; }\n",
            false,
        ),
    ];
    let mut objs = Vec::new();
    for (name, text, lto) in files {
        std::fs::write(dir.join(name), text).unwrap();
        let o = dir.join(name.replace(".c", ".o"));
        let mut cmd = Command::new("gcc");
        cmd.args(["-O2", "-c"]);
        if lto {
            cmd.arg("-flto");
        }
        run(
            cmd.arg(dir.join(name)).arg("-o").arg(&o),
            &format!("compiling {name}"),
        );
        objs.push(o);
    }
    let ar = dir.join("libk.a");
    let _ = std::fs::remove_file(&ar);
    run(Command::new("ar").arg("rcs").arg(&ar).arg(&objs[2]), "ar");
    let inputs = [objs[0].clone(), objs[1].clone(), ar];
    let cld_out = dir.join("k-cld");
    let gnu_out = dir.join("k-ld");
    let got = link_and_run(Some(&shim), &["-flto", "-O2"], &inputs, &cld_out);
    let want = link_and_run(None, &["-flto", "-O2"], &inputs, &gnu_out);
    assert_eq!(got, want, "cld's link prints differently from GNU ld's");
    readelf_all(&cld_out);
    let (cld_syms, gnu_syms) = (symbols(&cld_out), symbols(&gnu_out));
    for name in ["bar", "hook"] {
        assert!(has(&gnu_syms, name), "GNU ld's output lacks {name}");
        assert!(
            has(&cld_syms, name),
            "{name} (from the archive member loaded before LTO) is missing: {cld_syms:?}"
        );
    }
}

/// An `--as-needed` library that only IR referred to stays needed after LTO
/// drops the reference, as GNU ld decides it before LTO.
#[test]
fn as_needed_library_referenced_by_ir_stays_needed_as_with_gnu_ld() {
    let (dir, shim) = setup("as-needed");
    std::fs::write(dir.join("dso.c"), "int dso_fn(int x) { return x + 1; }\n").unwrap();
    gcc(
        &["-shared", "-fPIC"],
        &dir.join("dso.c"),
        &dir.join("libdso.so"),
        "building libdso.so",
    );
    std::fs::write(
        dir.join("an.c"),
        "#include <stdio.h>\nint dso_fn(int);\n\
         int unused_caller(int x) { return dso_fn(x); }\n\
         int main(void) { puts(\"as-needed\"); return 0; }\n",
    )
    .unwrap();
    let obj = dir.join("an.o");
    gcc(
        &["-flto", "-O2", "-c"],
        &dir.join("an.c"),
        &obj,
        "compiling an.c",
    );
    let libdir = format!("-L{}", dir.display());
    let rpath = format!("-Wl,-rpath,{}", dir.display());
    let flags = ["-flto", "-O2", "-Wl,--as-needed", &libdir, &rpath];
    let inputs = [obj, PathBuf::from("-ldso")];
    let cld_out = dir.join("an-cld");
    let gnu_out = dir.join("an-ld");
    let got = link_and_run(Some(&shim), &flags, &inputs, &cld_out);
    let want = link_and_run(None, &flags, &inputs, &gnu_out);
    assert_eq!(got, want);
    readelf_all(&cld_out);
    let gnu = needed(&gnu_out);
    assert!(gnu.contains(&"libdso.so".to_string()), "GNU ld: {gnu:?}");
    assert_eq!(needed(&cld_out), gnu, "DT_NEEDED differs from GNU ld's");
}

/// A definition a version script makes local is used by IR only, as GNU ld
/// reports it: LTO drops it from the shared library when nothing calls it.
#[test]
fn version_script_local_definitions_are_dropped_by_lto_as_with_gnu_ld() {
    let (dir, shim) = setup("version-script");
    std::fs::write(
        dir.join("vs.c"),
        "int vs_kept(void) { return 1; }\nint vs_local(void) { return 2; }\n",
    )
    .unwrap();
    std::fs::write(dir.join("vs.map"), "{ global: vs_kept; local: *; };\n").unwrap();
    let obj = dir.join("vs.o");
    gcc(
        &["-flto", "-O2", "-fPIC", "-c"],
        &dir.join("vs.c"),
        &obj,
        "compiling vs.c",
    );
    let script = format!("-Wl,--version-script={}", dir.join("vs.map").display());
    let link = |shim: Option<&str>, out: &Path| {
        let mut cmd = Command::new("gcc");
        if let Some(s) = shim {
            cmd.arg("-B").arg(s);
        }
        cmd.args(["-flto", "-O2", "-shared", &script])
            .arg(&obj)
            .arg("-o")
            .arg(out);
        run(&mut cmd, &format!("linking {}", out.display()));
        symbols(out)
    };
    let cld_out = dir.join("libvs-cld.so");
    let cld = link(Some(&shim), &cld_out);
    let gnu = link(None, &dir.join("libvs-ld.so"));
    readelf_all(&cld_out);
    assert!(
        has(&gnu, "vs_kept") && !has(&gnu, "vs_local"),
        "GNU ld: {gnu:?}"
    );
    assert!(has(&cld, "vs_kept"), "vs_kept is missing: {cld:?}");
    assert!(
        !has(&cld, "vs_local"),
        "vs_local, local by the version script and unused, survived LTO: {cld:?}"
    );
}

/// `--wrap` with LTO objects: the IR's reference to the wrapped function
/// (defined outside the IR, as libc's are) reaches the wrapper the same IR
/// defines, and `__real_` the original (the plugin is told the wrapped names
/// and LTO keeps the wrapper), as with GNU ld.
#[test]
fn wrap_with_lto_objects_matches_gnu_ld() {
    let (dir, shim) = setup("wrap");
    let w = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap();
        dir.join(name)
    };
    let lib = w(
        "orig.c",
        "#include <stdio.h>\nvoid orig(void) { puts(\"orig\"); }\n",
    );
    let main = w(
        "main.c",
        "#include <stdio.h>\nvoid orig(void);\nvoid __real_orig(void);\n\
         void __wrap_orig(void) { puts(\"wrapped\"); __real_orig(); }\n\
         int main(void) { orig(); return 0; }\n",
    );
    let (lib_o, main_o) = (dir.join("orig.o"), dir.join("main.o"));
    gcc(&["-c", "-O2"], &lib, &lib_o, "compiling orig.c");
    gcc(&["-c", "-O2", "-flto"], &main, &main_o, "compiling main.c");
    let inputs = [main_o, lib_o];
    let flags = ["-O2", "-flto", "-Wl,--wrap=orig"];
    let ours = link_and_run(Some(&shim), &flags, &inputs, &dir.join("cld"));
    let theirs = link_and_run(None, &flags, &inputs, &dir.join("ld"));
    assert_eq!(ours, theirs);
    assert_eq!(ours, "wrapped\norig\n");
}
