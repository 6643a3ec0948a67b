//! The name a downloaded file gets in `mediaDir`: a random UUID with the extension of the name
//! its sender gave it, as OpenClaw stores the files of its own Mattermost plugin
//! (`<uuid>.txt`). The sender's name, which anyone who may post can choose, travels only as the
//! attachment's `name`: it never becomes part of a path that OpenClaw shows the agent (and
//! stages as `input-<file name>`), where shell characters, bidirectional controls or lookalike
//! names could mislead it or a command it runs.

use crate::random;

/// The longest extension kept (`.docx`, `.jpeg`, `.tar.gz` keeps `gz`).
const MAX_EXTENSION_BYTES: usize = 10;

/// `<uuid>.<extension>` for a file its sender called `untrusted`; `<uuid>` alone when the name
/// has no short ASCII alphanumeric extension. Lower case, like OpenClaw's.
pub fn stored_name(untrusted: &str) -> String {
    let extension = untrusted.rsplit_once('.').map(|(_, e)| e).filter(|e| {
        (1..=MAX_EXTENSION_BYTES).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    match extension {
        Some(e) => format!("{}.{}", random::uuid(), e.to_ascii_lowercase()),
        None => random::uuid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The part after the 36-character UUID.
    fn extension_of(name: &str) -> String {
        stored_name(name)[36..].to_string()
    }

    #[test]
    fn only_a_short_ascii_extension_is_kept() {
        assert_eq!(extension_of("report.pdf"), ".pdf");
        assert_eq!(extension_of("Photo.JPEG"), ".jpeg");
        assert_eq!(extension_of("archive.tar.gz"), ".gz");
        for name in [
            "",
            ".",
            "..",
            "README",
            "a.",
            "x.tooooooolong",
            "a.b c",
            "a.é",
            "a/b.txt/",
        ] {
            assert_eq!(extension_of(name), "", "{name:?}");
        }
        assert_eq!(extension_of("../../etc/passwd"), "");
        assert_eq!(extension_of("$(rm -rf ~).sh"), ".sh");
    }

    #[test]
    fn names_are_fresh_each_time() {
        assert_ne!(stored_name("same.txt"), stored_name("same.txt"));
    }
}
