include!(concat!(env!("OUT_DIR"), "/gen.rs"));

cap_pm::answer!();

fn main() {
    println!("{} {}", ANSWER, answer());
}

#[test]
fn unit() {
    assert_eq!(ANSWER, answer());
}
