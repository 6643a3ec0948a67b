//! Whether a message @-mentions a username, outside code spans and blocks, as the real server
//! decides for the `mentions` of a `posted` event.

/// Whether `message` @-mentions `username` outside code spans and blocks: "@name" as a whole
/// word, case-insensitive ("@name," and "@name." count, "@namex" and "x@name" do not).
pub(crate) fn mentions_username(message: &str, username: &str) -> bool {
    let text = strip_code(message).to_lowercase();
    let needle = format!("@{}", username.to_lowercase());
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    text.match_indices(&needle).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + needle.len()..].chars().next();
        !before.is_some_and(|c| is_name_char(c) || c == '@') && !after.is_some_and(is_name_char)
    })
}

/// The message without fenced code blocks and inline code spans.
fn strip_code(message: &str) -> String {
    let mut kept = String::new();
    let mut in_fence = false;
    for line in message.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            kept.push_str(&strip_inline_code(line));
            kept.push('\n');
        }
    }
    kept
}

/// Removes `code` spans: a run of N backticks up to the next run of exactly N backticks.
fn strip_inline_code(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = run_at(i);
        let mut j = i + run;
        let mut close = None;
        while j < chars.len() {
            let next = if chars[j] == '`' { run_at(j) } else { 0 };
            if next == run {
                close = Some(j + run);
                break;
            }
            j += next.max(1);
        }
        match close {
            Some(end) => i = end,
            None => {
                // An unclosed run is literal text.
                out.extend(&chars[i..i + run]);
                i += run;
            }
        }
    }
    out
}
