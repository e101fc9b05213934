//! `cargo concurrent-link`: placeholder until the adapters issue lands.
fn main() {
    eprintln!("cargo-concurrent-link: not implemented yet (see the adapters issue)");
    std::process::exit(2);
}
