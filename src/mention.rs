//! Is the bot @-mentioned in a post's markdown? A mention is `@username` as a whole word,
//! case-insensitive, outside code spans and fenced code blocks (quoting `@bot` in code is not
//! addressing it).

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

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

/// Removes inline code spans: a run of N backticks up to the next run of exactly N; a run with
/// no such closer is literal text. Linear in the line: a first pass notes where the last run of
/// each length starts, so a run is searched for a closer only when one exists, and the search
/// ends where scanning resumes.
fn strip_code_spans(line: &str) -> Cow<'_, str> {
    let bytes = line.as_bytes();
    let mut last_of_length: HashMap<usize, usize> = HashMap::new();
    let mut at = 0;
    while let Some(run) = next_run(bytes, at) {
        last_of_length.insert(run.len(), run.start);
        at = run.end;
    }
    if last_of_length.is_empty() {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut kept_from = 0;
    let mut at = 0;
    while let Some(open) = next_run(bytes, at) {
        at = open.end;
        let closed = last_of_length
            .get(&open.len())
            .is_some_and(|&last| last > open.start);
        if !closed {
            continue; // literal backticks
        }
        while let Some(run) = next_run(bytes, at) {
            at = run.end;
            if run.len() == open.len() {
                out.push_str(&line[kept_from..open.start]);
                kept_from = run.end;
                break;
            }
        }
    }
    out.push_str(&line[kept_from..]);
    Cow::Owned(out)
}

/// The first maximal run of backticks at or after `from`.
fn next_run(bytes: &[u8], from: usize) -> Option<Range<usize>> {
    let skip = bytes[from..].iter().position(|b| *b == b'`');
    work::add(skip.map_or(bytes.len() - from, |s| s + 1));
    let start = from + skip?;
    let mut end = start + 1;
    while end < bytes.len() && bytes[end] == b'`' {
        work::step();
        end += 1;
    }
    Some(start..end)
}

/// Counts the steps of the scans (tests only), so linearity is shown by counting, not timing.
mod work {
    #[cfg(test)]
    thread_local! {
        static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    #[inline]
    pub fn step() {
        add(1);
    }

    #[inline]
    pub fn add(_n: usize) {
        #[cfg(test)]
        STEPS.with(|s| s.set(s.get() + _n));
    }

    /// The steps `f` took.
    #[cfg(test)]
    pub fn count(f: impl FnOnce()) -> usize {
        let before = STEPS.with(|s| s.get());
        f();
        STEPS.with(|s| s.get()) - before
    }
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

    /// The quadratic code this module had before, kept as the reference for equivalence.
    /// Removes inline code spans: a run of N backticks up to the next run of exactly N.
    fn strip_code_spans_before(line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            out.push_str(&rest[..start]);
            let run = rest[start..].chars().take_while(|c| *c == '`').count();
            let after = &rest[start + run..];
            match find_run_before(after, run) {
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
    fn find_run_before(text: &str, len: usize) -> Option<usize> {
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

    /// A small random text over the characters that matter (backticks, fences, mentions).
    fn random_text(seed: &mut u64) -> String {
        const PIECES: [&str; 9] = ["`", "``", "```", "~~~", "\n", " ", "a", "@openclaw", "é"];
        let mut next = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        let len = next() % 24;
        (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn same_results_as_before_on_random_text() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..200_000 {
            let text = random_text(&mut seed);
            for line in text.lines() {
                assert_eq!(
                    strip_code_spans(line),
                    strip_code_spans_before(line),
                    "{line:?}"
                );
            }
        }
    }

    /// Lines full of backtick runs that never close (each length used once), runs that do
    /// close, and runs of every length: the work grows linearly with the line. It used to grow
    /// with (runs x length): each unclosed run was searched for to the end of the line.
    #[test]
    fn work_is_linear_in_the_length_of_the_post() {
        let unclosed = |k: usize| -> String {
            let mut line: String = (1..=k).map(|n| "`".repeat(n) + "a").collect();
            line.push_str(" @openclaw");
            line
        };
        let closed = |k: usize| "`a` ``b`` ".repeat(k) + "@openclaw";
        let ladder = |k: usize| -> String {
            let mut line: String = (1..=k).map(|n| "`".repeat(n) + " ").collect();
            line += &line.clone();
            line + "@openclaw"
        };
        let mixed = |k: usize| "x ``` ` `` x ````` ".repeat(k) + "@openclaw";
        // (name, text of size k, k, the k that makes it about four times as long)
        type Family<'a> = (&'a str, &'a dyn Fn(usize) -> String, usize, usize);
        let families: [Family; 4] = [
            ("unclosed", &unclosed, 200, 400),
            ("closed", &closed, 200, 800),
            ("ladder", &ladder, 200, 400),
            ("mixed", &mixed, 200, 800),
        ];
        for (name, make, k_small, k_big) in families {
            let small = make(k_small);
            let big = make(k_big);
            let ratio = big.len() as f64 / small.len() as f64;
            assert!((3.5..4.5).contains(&ratio), "{name}: {ratio}");
            let work_small = work::count(|| assert!(mentions(&small, "openclaw"), "{name}"));
            let work_big = work::count(|| assert!(mentions(&big, "openclaw"), "{name}"));
            assert!(
                work_small <= 4 * small.len(),
                "{name}: {work_small} steps for {} bytes",
                small.len()
            );
            assert!(
                (work_big as f64) <= 1.1 * ratio * work_small as f64,
                "{name}: {work_small} steps for {} bytes, {work_big} for {}",
                small.len(),
                big.len()
            );
        }
    }

    #[test]
    fn username_with_punctuation() {
        assert!(mentions("hi @open.claw-bot!", "open.claw-bot"));
        assert!(!mentions("hi @open.claw-bot2", "open.claw-bot"));
    }
}
