//! Is the bot @-mentioned in a post's markdown? A mention is `@username` as a whole word,
//! case-insensitive, outside code spans and fenced code blocks (quoting `@bot` in code is not
//! addressing it).

/// True when `text` mentions `@username` outside code.
pub fn mentions(text: &str, username: &str) -> bool {
    if username.is_empty() || !text.contains('@') {
        return false;
    }
    let mut fence: Option<(char, usize)> = None;
    for line in text.lines() {
        if let Some(marker) = fence_marker(line) {
            match fence {
                None => fence = Some(marker),
                Some((ch, len)) if marker.0 == ch && marker.1 >= len && is_bare_fence(line) => {
                    fence = None
                }
                Some(_) => {}
            }
            continue;
        }
        if fence.is_none() && line_mentions(&strip_code_spans(line), username) {
            return true;
        }
    }
    false
}

/// For a fence line (up to 3 spaces, then 3+ backticks or tildes), the fence char and length.
fn fence_marker(line: &str) -> Option<(char, usize)> {
    let trimmed = line.trim_start_matches(' ');
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|c| *c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// A closing fence has nothing after its marker but spaces.
fn is_bare_fence(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.chars().all(|c| c == '`') || trimmed.chars().all(|c| c == '~')
}

/// Removes inline code spans: a run of N backticks up to the next run of exactly N.
fn strip_code_spans(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + run..];
        match find_run(after, run) {
            Some(end) => rest = &after[end + run..],
            None => {
                // Unclosed: the backticks are literal text.
                out.push_str(&rest[start..start + run]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Byte offset of the next run of exactly `len` backticks.
fn find_run(text: &str, len: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|b| **b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn line_mentions(line: &str, username: &str) -> bool {
    let name_len = username.len();
    for (at, _) in line.match_indices('@') {
        let before = line[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // e.g. an e-mail address
        }
        let candidate = &line[at + 1..];
        let Some(head) = candidate.get(..name_len) else {
            continue;
        };
        if head.eq_ignore_ascii_case(username) && ends_word(&candidate[name_len..]) {
            return true;
        }
    }
    false
}

/// After the name: the end or a non-name char. Trailing dots, dashes and underscores end a
/// sentence ("@bot.") unless more name characters follow ("@bot.dev" is someone else).
fn ends_word(rest: &str) -> bool {
    let tail = rest.trim_start_matches(['.', '-', '_']);
    !tail.chars().next().is_some_and(is_name_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ("@openclaw hello", true),
            ("hello @openclaw", true),
            ("hey @OpenClaw, are you there?", true),
            ("(@openclaw)", true),
            ("ask @openclaw.", true),
            ("ask @openclaw...", true),
            ("@openclaw: do it", true),
            ("line one\n@openclaw on line two", true),
            ("no mention here", false),
            ("@openclawbot is someone else", false),
            ("@openclaw.bot is someone else", false),
            ("@openclaw-dev is someone else", false),
            ("@openclaw_2 is someone else", false),
            ("mail me at me@openclaw", false),
            ("openclaw without at", false),
            ("`@openclaw` in a code span", false),
            ("``code with ` and @openclaw`` then text", false),
            ("```\n@openclaw inside a fence\n```", false),
            ("~~~python\nx = '@openclaw'\n~~~\nafter", false),
            ("```\ncode\n```\n@openclaw after the fence", true),
            ("````\n```\n@openclaw still fenced\n````", false),
            ("unclosed ` span @openclaw", true),
            ("@", false),
            ("@ openclaw", false),
            ("émoji 🎉 @openclaw", true),
        ];
        for (text, expected) in cases {
            assert_eq!(mentions(text, "openclaw"), expected, "{text:?}");
        }
    }

    #[test]
    fn username_with_punctuation() {
        assert!(mentions("hi @open.claw-bot!", "open.claw-bot"));
        assert!(!mentions("hi @open.claw-bot2", "open.claw-bot"));
    }
}
