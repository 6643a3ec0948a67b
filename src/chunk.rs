// TEMPORARY STUB, replaced by the real module.
pub fn split(text: &str, _limit: usize) -> Vec<String> {
    vec![text.to_string()]
}
