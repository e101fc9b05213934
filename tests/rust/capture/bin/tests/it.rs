#[test]
fn integration() {
    assert_eq!(1 + 1, 2);
}
