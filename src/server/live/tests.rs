use super::*;

#[test]
fn names_are_short_plain_text() {
    assert_eq!(clean_name("  "), "Someone");
    assert_eq!(clean_name("Ana\nB"), "Ana B");
    assert_eq!(clean_name(&"x".repeat(100)).chars().count(), 40);
}
