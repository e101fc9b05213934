//! `-r`/`--relocatable`: cld combines objects into one relocatable object
//! that a later link (by GNU ld and by cld) turns into the same working
//! program as the original objects. Each case compares with GNU ld's `-r`
//! of the same inputs: same program output, same COMDAT groups, and
//! `readelf -aW` quiet on cld's object.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(120);

const A_C: &str = r#"
#include <stdio.h>
static int counter;
int helper(int x);
int from_archive(void);
const char *msg = "hello from a";
__thread int tls_value = 5;
int main(void) {
    counter += helper(3);
    printf("%s %d %d %d\n", msg, counter, from_archive(), tls_value);
    return 0;
}
"#;
const B_C: &str = "int helper(int x) { static int calls; calls++; return x * 2 + calls; }\n";
const M_C: &str = "int from_archive(void) { return 99; }\n";

const X_CC: &str = r#"
#include <stdexcept>
#include <vector>
template <class T> T twice(T v) { return v + v; }
inline int shared_inline() { static int n; return 42 + n++; }
int from_x() { std::vector<int> v{1, 2, 3}; return twice(v.back()) + shared_inline(); }
void thrower() { throw std::runtime_error("boom"); }
"#;
const Y_CC: &str = r#"
#include <stdexcept>
#include <cstdio>
template <class T> T twice(T v) { return v + v; }
inline int shared_inline() { static int n; return 42 + n++; }
int from_x(); void thrower();
int main() {
    try { thrower(); } catch (const std::exception &e) {
        std::printf("caught %s %d %d\n", e.what(), from_x(), twice(shared_inline()));
    }
}
"#;

struct Dir {
    dir: PathBuf,
    shim: String,
}

fn setup(name: &str, sources: &[(&str, &str)], cc: &[&str]) -> Dir {
    require_tool("gcc", "gcc");
    require_tool("g++", "g++");
    require_tool("readelf", "binutils");
    let dir = fresh_work_dir("relocatable", name);
    let shim = make_shim(&dir);
    for (file, text) in sources {
        std::fs::write(dir.join(file), text).unwrap();
        let compiler = if file.ends_with(".cc") { "g++" } else { "gcc" };
        must_succeed_within(
            Command::new(compiler)
                .current_dir(&dir)
                .args(["-c", "-O1", "-fno-inline-functions"])
                .args(cc)
                .arg(file),
            TIMEOUT,
            &format!("compiling {file}"),
        );
    }
    Dir { dir, shim }
}

impl Dir {
    fn run(&self, prog: &str, args: &[&str], what: &str) -> RunResult {
        let mut cmd = Command::new(prog);
        cmd.current_dir(&self.dir).args(args);
        must_succeed_within(&mut cmd, TIMEOUT, what)
    }

    /// `cld -r ARGS -o OUT` (cld run directly, as `ld -r` would be).
    fn cld_r(&self, out: &str, args: &[&str]) {
        must_succeed_within(
            Command::new(cld_binary())
                .current_dir(&self.dir)
                .args(["-r", "-o", out])
                .args(args),
            TIMEOUT,
            &format!("cld -r -o {out} {args:?}"),
        );
        let r = readelf_report(&self.dir.join(out));
        assert!(
            r.problems.is_empty(),
            "readelf -aW on cld's {out}: {:?}",
            r.problems
        );
        assert_eq!(r.elf_type, "REL", "{out} is not a relocatable object");
    }

    fn gnu_r(&self, out: &str, args: &[&str]) {
        self.run("ld", &[&["-r", "-o", out][..], args].concat(), "ld -r");
    }

    /// Links `inputs` into `exe` (cld behind gcc with `cld`, else GNU ld)
    /// and returns what it prints.
    fn link_and_run(&self, driver: &str, cld: bool, inputs: &[&str], exe: &str) -> String {
        let mut args: Vec<&str> = Vec::new();
        if cld {
            args.extend(["-B", &self.shim]);
        }
        args.extend(inputs);
        args.extend(["-o", exe]);
        self.run(driver, &args, &format!("linking {exe}"));
        self.run(&format!("./{exe}"), &[], &format!("running {exe}"))
            .stdout
    }

    fn path(&self, f: &str) -> PathBuf {
        self.dir.join(f)
    }
}

fn readelf_out(args: &[&str], file: &Path) -> String {
    let r = must_succeed_within(
        Command::new("readelf").args(args).arg(file),
        TIMEOUT,
        "readelf",
    );
    r.stdout
}

/// COMDAT group signatures, sorted.
fn groups(file: &Path) -> Vec<String> {
    let mut v: Vec<String> = readelf_out(&["-gW"], file)
        .lines()
        .filter_map(|l| {
            // COMDAT group section [  N] `.group' [SIGNATURE] contains ...
            l.find("COMDAT group section")?;
            let sig = &l[l.find("' [")? + 3..];
            Some(sig[..sig.find(']')?].to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn c_objects_and_an_archive_member_combine_into_a_working_object() {
    let d = setup(
        "c",
        &[("a.c", A_C), ("b.c", B_C), ("m.c", M_C)],
        &["-fPIE", "-g"],
    );
    d.run("ar", &["rcs", "libm1.a", "m.o"], "ar");
    let direct = d.link_and_run("gcc", false, &["a.o", "b.o", "m.o"], "direct");
    assert_eq!(direct, "hello from a 7 99 5\n");
    // The archive member is pulled in by a.o's reference, as in any link.
    d.cld_r("c.o", &["a.o", "b.o", "libm1.a"]);
    d.gnu_r("c_gnu.o", &["a.o", "b.o", "libm1.a"]);
    for (driver_cld, exe) in [(false, "via_ld"), (true, "via_cld")] {
        let out = d.link_and_run("gcc", driver_cld, &["c.o"], exe);
        assert_eq!(
            out, direct,
            "{exe}: the program linked from cld -r's object"
        );
    }
    // Debug info survives: addr2line finds helper's source line.
    let nm = must_succeed_within(Command::new("nm").arg(d.path("via_ld")), TIMEOUT, "nm");
    let addr = nm
        .stdout
        .lines()
        .find(|l| l.ends_with(" T helper"))
        .and_then(|l| l.split_whitespace().next())
        .expect("helper in nm output")
        .to_string();
    let line = d.run("addr2line", &["-e", "via_ld", &addr], "addr2line");
    assert!(
        line.stdout.contains("b.c:1"),
        "addr2line does not find b.c:1 for helper: {}",
        line.stdout
    );
    let dwarf = must_succeed_within(
        Command::new("objdump")
            .arg("--dwarf=info")
            .arg(d.path("c.o")),
        TIMEOUT,
        "objdump --dwarf=info",
    );
    assert!(
        !dwarf.stderr.contains("Warning") && !dwarf.stdout.contains("Warning"),
        "objdump warns on the debug info of cld's -r output:\n{}",
        truncate(&dwarf.stderr, 10)
    );
    // Same symbols defined as GNU ld's -r.
    let defined = |f: &str| -> Vec<String> {
        let mut v: Vec<String> = d
            .run("nm", &["--defined-only", f], "nm")
            .stdout
            .lines()
            .filter_map(|l| l.split_whitespace().last().map(str::to_string))
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        defined("c.o"),
        defined("c_gnu.o"),
        "defined symbols differ from GNU ld's -r"
    );
}

#[test]
fn cpp_comdat_groups_and_exceptions_survive() {
    let d = setup("cpp", &[("x.cc", X_CC), ("y.cc", Y_CC)], &["-fPIE"]);
    let direct = d.link_and_run("g++", false, &["x.o", "y.o"], "direct");
    assert!(direct.starts_with("caught boom"), "{direct}");
    d.cld_r("xy.o", &["x.o", "y.o"]);
    d.gnu_r("xy_gnu.o", &["x.o", "y.o"]);
    assert_eq!(
        groups(&d.path("xy.o")),
        groups(&d.path("xy_gnu.o")),
        "COMDAT groups differ from GNU ld's -r"
    );
    assert!(!groups(&d.path("xy.o")).is_empty(), "no COMDAT group kept");
    for (cld, exe) in [(false, "via_ld"), (true, "via_cld")] {
        assert_eq!(d.link_and_run("g++", cld, &["xy.o"], exe), direct, "{exe}");
    }
    // The groups still deduplicate against another copy in a final link.
    d.cld_r("x_only.o", &["x.o"]);
    for (cld, exe) in [(false, "dup_ld"), (true, "dup_cld")] {
        assert_eq!(
            d.link_and_run("g++", cld, &["x_only.o", "y.o"], exe),
            direct,
            "{exe}"
        );
    }
}

#[test]
fn merge_sections_option_and_many_sections() {
    let d = setup(
        "sections",
        &[(
            "f.c",
            "void foo(void) {}\nvoid bar(void) {}\nint main(void) { foo(); bar(); return 0; }\n",
        )],
        &["-ffunction-sections"],
    );
    d.cld_r("kept.o", &["f.o"]);
    let names = readelf_out(&["-SW"], &d.path("kept.o"));
    assert!(
        names.contains(".text.foo") && names.contains(".text.bar"),
        "{names}"
    );
    d.cld_r("merged.o", &["f.o", "--relocatable-merge-sections"]);
    let names = readelf_out(&["-SW"], &d.path("merged.o"));
    assert!(
        !names.contains(".text.foo") && !names.contains(".text.bar"),
        "{names}"
    );
    d.link_and_run("gcc", false, &["merged.o"], "merged");

    // More sections than the 16-bit header fields can count.
    let mut asm = String::new();
    for i in 0..66000 {
        asm.push_str(&format!(
            ".section .data.s{i},\"aw\"\n.globl sym{i}\nsym{i}: .long {i}\n"
        ));
    }
    std::fs::write(d.path("many.s"), asm).unwrap();
    d.run("gcc", &["-c", "many.s"], "assembling many.s");
    std::fs::write(
        d.path("use.c"),
        "#include <stdio.h>\nextern int sym65999, sym12345;\nint main(void) { printf(\"%d %d\\n\", sym65999, sym12345); return 0; }\n",
    )
    .unwrap();
    d.run("gcc", &["-c", "use.c"], "compiling use.c");
    d.cld_r("big.o", &["many.o", "use.o"]);
    for (cld, exe) in [(false, "big_ld"), (true, "big_cld")] {
        assert_eq!(
            d.link_and_run("gcc", cld, &["big.o"], exe),
            "65999 12345\n",
            "{exe}"
        );
    }
}
