//! `app [FILE]`: reads orders as JSON (FILE, or `-` for stdin; the built-in
//! sample without an argument) and prints a report as pretty JSON.

use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let input = match std::env::args().nth(1).as_deref() {
        None => app::SAMPLE.to_string(),
        Some("-") => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                eprintln!("app: cannot read stdin: {e}");
                return ExitCode::from(2);
            }
            s
        }
        Some(path) => match std::fs::read_to_string(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("app: cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let orders = match app::parse_orders(&input) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("app: bad input: {e}");
            return ExitCode::from(1);
        }
    };
    let report = app::report(&orders);
    println!(
        "{}",
        serde_json::to_string_pretty(&report).expect("report serializes")
    );
    ExitCode::SUCCESS
}
