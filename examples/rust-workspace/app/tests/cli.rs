//! Runs the `app` binary (linked like everything else in the workspace).

use std::io::Write;
use std::process::{Command, Stdio};

fn app() -> Command {
    Command::new(env!("CARGO_BIN_EXE_app"))
}

#[test]
fn sample_report() {
    let out = app().output().expect("run app");
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(v["orders"], 4);
    assert_eq!(v["total_cents"], 10397);
    assert_eq!(v["per_customer"]["grace"], 4500);
    assert_eq!(v["prime_order_ids"], serde_json::json!([2, 7, 13]));
    assert_eq!(v["checksum"].as_str().map(str::len), Some(8));
}

#[test]
fn reads_stdin() {
    let mut child = app()
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run app");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"[{"id": 4, "customer": "x", "items": [{"sku": "a", "quantity": 3, "unit_cents": 5, "category": "part"}]}]"#)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_cents"], 15);
    assert_eq!(v["prime_order_ids"], serde_json::json!([]));
}

#[test]
fn bad_input_fails() {
    let mut child = app()
        .arg("-")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run app");
    child.stdin.take().unwrap().write_all(b"{").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad input"));
}

#[test]
fn library_api() {
    let orders = app::parse_orders(app::SAMPLE).unwrap();
    assert_eq!(app::report(&orders).orders, 4);
}
