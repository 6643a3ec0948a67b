//! Turning a file name chosen by whoever uploaded the file into one that is safe to create in
//! `mediaDir`: a single path component, no control characters, no hidden or special names, and
//! short enough for any Linux filesystem once the temporary suffix is added.

/// Longest name we create, in bytes (ext4 allows 255; the `.part` temp name needs room too).
const MAX_NAME_BYTES: usize = 200;
/// An extension longer than this is not worth keeping when a name must be shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// A safe file name for `untrusted`; `fallback` is used when nothing usable is left.
pub fn safe_name(untrusted: &str, fallback: &str) -> String {
    let cleaned: String = untrusted
        .chars()
        .map(|c| match c {
            // Separators of every platform, and characters Windows shares would refuse.
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    // Leading dots would make hidden files (and `..`); trailing dots and spaces confuse tools.
    let trimmed = cleaned
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let name = shorten(trimmed);
    if name.is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

/// Cuts an over-long name to `MAX_NAME_BYTES`, keeping a short extension.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    let extension = match name.rfind('.') {
        Some(dot) if name.len() - dot <= MAX_EXTENSION_BYTES => &name[dot..],
        _ => "",
    };
    let stem_budget = MAX_NAME_BYTES - extension.len();
    let mut end = stem_budget;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", &name[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(name: &str) -> String {
        safe_name(name, "file")
    }

    #[test]
    fn ordinary_names_are_kept() {
        assert_eq!(safe("report.pdf"), "report.pdf");
        assert_eq!(
            safe("Screenshot 2026-11-25 at 10.00.png"),
            "Screenshot 2026-11-25 at 10.00.png"
        );
        assert_eq!(safe("résumé (final).docx"), "résumé (final).docx");
    }

    #[test]
    fn paths_become_one_component() {
        assert_eq!(safe("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe("/etc/passwd"), "_etc_passwd");
        assert_eq!(safe("a/b"), "a_b");
        assert_eq!(
            safe("..\\..\\windows\\system.ini"),
            "_.._windows_system.ini"
        );
        assert_eq!(safe("C:\\x.txt"), "C__x.txt");
    }

    #[test]
    fn special_names_fall_back() {
        for name in ["", ".", "..", "...", " . ", "\u{0}"] {
            let safe = safe(name);
            assert!(safe == "file" || safe == "_", "{name:?} -> {safe:?}");
        }
        assert_eq!(safe(".bashrc"), "bashrc");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(safe("a\u{0}b\nc\td\u{7f}.txt"), "a_b_c_d_.txt");
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("{}.pdf", "x".repeat(300));
        let safe = safe(&long);
        assert_eq!(safe.len(), MAX_NAME_BYTES);
        assert!(safe.ends_with("x.pdf"));
        // Multi-byte characters are never split.
        let wide = "é".repeat(300);
        let safe = safe_name(&wide, "f");
        assert!(safe.len() <= MAX_NAME_BYTES);
        assert!(safe.chars().all(|c| c == 'é'));
    }

    #[test]
    fn result_is_always_a_single_safe_component() {
        let mut rng = crate::random::XorShift(7);
        let alphabet: Vec<char> = "ab./\\\u{0}\n .:é".chars().collect();
        for _ in 0..2000 {
            let len = rng.below(40);
            let name: String = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            let safe = safe_name(&name, "fallback");
            assert!(!safe.is_empty());
            assert!(
                !safe.contains(['/', '\\', '\u{0}', '\n']),
                "{name:?} -> {safe:?}"
            );
            assert!(!safe.starts_with('.'), "{name:?} -> {safe:?}");
            assert!(safe.len() <= MAX_NAME_BYTES);
        }
    }
}
