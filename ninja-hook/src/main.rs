//! `ninja-hook`: placeholder until the adapters issue lands.
fn main() {
    eprintln!("ninja-hook: not implemented yet (see the adapters issue)");
    std::process::exit(2);
}
