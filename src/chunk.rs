//! Splitting long replies into several Mattermost posts.
//!
//! Mattermost rejects posts longer than `MaxPostSize` characters, counted in
//! Unicode scalar values (Rust `char`s), so a long reply is sent as several
//! posts. Cuts prefer paragraph breaks, then line breaks, then spaces, and a
//! hard cut only as a last resort. A fenced code block that is cut in two is
//! closed at the end of one part and reopened at the start of the next, so
//! every post renders on its own.
//!
//! Behaviour worth knowing:
//! - The separator at a cut is dropped: one space, one newline, or the whole
//!   run of (two or more) newlines of a paragraph break. Nothing else is
//!   lost, except that parts with nothing but whitespace are not produced.
//! - A part that ends inside a fence gets `"\n"` plus the opening marker
//!   (e.g. "```", "````", "~~~") appended; the next part starts with the
//!   opening line's indentation, marker and language (e.g. "```python") plus
//!   `"\n"`. Other words of the info string are not repeated. These lines
//!   count toward the limit.
//! - Cuts never fall inside a fence line or right after an opening line
//!   (that would leave an empty block). A cut just before a closing line
//!   takes the closing line into the part when it fits, rather than
//!   starting the next part with an empty reopened block.
//! - A part cut in the middle of a code line continues that line on the
//!   first line of the reopened block.
//! - If the limit is too small for the reopen line, one char and the
//!   closing marker (or a fence line is longer than the limit), that part
//!   is cut as plain text without fence repair. Every part still fits the
//!   limit and consumes at least one char, so splitting always terminates.
//! - A limit of 0 is treated as 1.

use std::ops::Range;

/// Splits `text` into parts of at most `limit` chars each.
///
/// Text that fits is returned unchanged as the only part (even when empty).
/// Longer text that has no visible content yields one empty part, so the
/// result is never an empty vector.
pub fn split(text: &str, limit: usize) -> Vec<String> {
    // A zero limit could never make progress; one char per part always can.
    let limit = limit.max(1);
    if text.chars().count() <= limit {
        return vec![text.to_owned()];
    }
    let parts: Vec<String> = plan(text, limit)
        .iter()
        .map(|part| part.render(text))
        .collect();
    if parts.is_empty() {
        vec![String::new()]
    } else {
        parts
    }
}

/// One post: an optional reopened fence, a slice of the text, and an
/// optional closing fence.
#[derive(Debug)]
struct Part {
    /// Reopen line plus newline, or empty.
    head: String,
    /// Byte range of `text` carried by this part.
    body: Range<usize>,
    /// Newline plus closing marker, or empty.
    tail: String,
}

impl Part {
    fn render(&self, text: &str) -> String {
        let body = text.get(self.body.clone()).unwrap_or_default();
        let mut out = String::with_capacity(self.head.len() + body.len() + self.tail.len());
        out.push_str(&self.head);
        out.push_str(body);
        out.push_str(&self.tail);
        out
    }
}

/// Where a part ends (`end`, exclusive) and where the next one starts
/// (`next`); the bytes in between are the dropped separator.
#[derive(Debug, Clone, Copy)]
struct Cut {
    end: usize,
    next: usize,
}

/// Computes the parts of a text longer than `limit` (`limit >= 1`).
fn plan(text: &str, limit: usize) -> Vec<Part> {
    let doc = Doc::new(text);
    let mut parts = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let (part, next) = doc.next_part(start, limit);
        // Every branch of next_part consumes at least one char; the check
        // keeps a future bug from turning into an endless loop.
        debug_assert!(next > start, "split made no progress at byte {start}");
        if next <= start {
            break;
        }
        if !doc.is_blank(&part.body) {
            parts.push(part);
        }
        start = next;
    }
    parts
}

/// A fenced code block's opening, as far as splitting needs it.
#[derive(Debug)]
struct Fence {
    marker: u8,
    len: usize,
    /// Indentation, marker and language of the opening line.
    reopen: String,
}

/// One line of the text with the fence state around it.
#[derive(Debug)]
struct Line {
    start: usize,
    /// Byte index of the terminating '\n', or the text length.
    end: usize,
    /// Open fence (index into `Doc::fences`) before and after this line.
    before: Option<usize>,
    after: Option<usize>,
}

/// The text with the indexes the splitter needs: char offsets, so limits
/// are counted in chars, and the fence state of every line, computed once
/// over the whole text so a part starting mid-line still knows whether it
/// is inside a code block.
struct Doc<'a> {
    text: &'a str,
    /// Byte offset of every char, plus the text length as a sentinel.
    char_starts: Vec<usize>,
    lines: Vec<Line>,
    fences: Vec<Fence>,
}

impl<'a> Doc<'a> {
    fn new(text: &'a str) -> Self {
        let char_starts = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let mut lines = Vec::new();
        let mut fences: Vec<Fence> = Vec::new();
        let mut open: Option<usize> = None;
        let mut start = 0;
        for line in text.split('\n') {
            let before = open;
            open = match open {
                Some(i) if fences.get(i).is_some_and(|f| closes(line, f)) => None,
                Some(i) => Some(i),
                None => opens(line).map(|fence| {
                    fences.push(fence);
                    fences.len() - 1
                }),
            };
            let end = start + line.len();
            lines.push(Line {
                start,
                end,
                before,
                after: open,
            });
            start = end + 1;
        }
        Doc {
            text,
            char_starts,
            lines,
            fences,
        }
    }

    /// The part starting at byte `start` and the byte where the next begins.
    fn next_part(&self, start: usize, limit: usize) -> (Part, usize) {
        let len = self.text.len();
        let head = self.head_at(start);
        let head_chars = head.chars().count();
        if head_chars + self.chars_between(start, len) <= limit {
            // The rest fits: last part. An unclosed fence stays unclosed,
            // as in the original.
            let part = Part {
                head,
                body: start..len,
                tail: String::new(),
            };
            return (part, len);
        }

        let room = limit.saturating_sub(head_chars);
        if room > 0 {
            let fits = |end: usize| {
                !self.breaks_fence_line(end)
                    && head_chars + self.chars_between(start, end) + self.tail_chars_at(end)
                        <= limit
            };
            if let Some(cut) = self.find_cut(start, self.advance(start, room), fits) {
                let cut = self.take_closing_line(start, head_chars, limit, cut);
                let part = Part {
                    head,
                    body: start..cut.end,
                    tail: self.tail_at(cut.end),
                };
                return (part, cut.next);
            }
        }

        // The fence lines leave no room for even one char, or every cut
        // would break a fence line: give up fence repair for this part so
        // it still fits and makes progress.
        let window_end = self.advance(start, limit);
        let cut = self
            .find_cut(start, window_end, |end| {
                self.chars_between(start, end) <= limit
            })
            .unwrap_or(Cut {
                end: window_end,
                next: window_end,
            });
        let part = Part {
            head: String::new(),
            body: start..cut.end,
            tail: String::new(),
        };
        (part, cut.next)
    }

    /// The best cut for a part starting at `start` whose body ends by
    /// `window_end`: the last paragraph break, else the last line break,
    /// else the last space, else a hard cut; each candidate must satisfy
    /// `fits`, which accounts for a closing fence the cut would need.
    fn find_cut(
        &self,
        start: usize,
        window_end: usize,
        fits: impl Fn(usize) -> bool,
    ) -> Option<Cut> {
        let bytes = self.text.as_bytes();
        // A separator must start after `start` (no empty parts) and inside
        // the window; it may extend past the window since it is dropped.
        // Searching bytes is safe: '\n' and ' ' never occur inside a
        // multibyte UTF-8 sequence.
        let last = window_end.min(bytes.len().saturating_sub(1));
        let candidates = || (start + 1..=last).rev();
        let is = |i: usize, b: u8| bytes.get(i) == Some(&b);

        // Paragraph break: cut at the start of a run of 2+ newlines, so the
        // whole blank run is dropped rather than left at an edge of a part.
        let paragraph = candidates()
            .filter(|&i| is(i, b'\n') && is(i + 1, b'\n') && !is(i - 1, b'\n'))
            .find(|&i| fits(i))
            .map(|i| {
                let run = bytes[i..].iter().take_while(|&&b| b == b'\n').count();
                Cut {
                    end: i,
                    next: i + run,
                }
            });
        let at_byte = |sep: u8| {
            candidates()
                .filter(|&i| is(i, sep))
                .find(|&i| fits(i))
                .map(|i| Cut {
                    end: i,
                    next: i + 1,
                })
        };
        let hard = || {
            (start + 1..=window_end)
                .rev()
                .filter(|&i| self.text.is_char_boundary(i))
                .find(|&i| fits(i))
                .map(|i| Cut { end: i, next: i })
        };
        paragraph
            .or_else(|| at_byte(b'\n'))
            .or_else(|| at_byte(b' '))
            .or_else(hard)
    }

    /// A cut just before the line that closes the open fence would start
    /// the next part with an empty reopened block; when the closing line
    /// fits, it ends this part instead (it replaces the added marker).
    fn take_closing_line(&self, start: usize, head_chars: usize, limit: usize, cut: Cut) -> Cut {
        let Some(line) = self.line_starting_at(cut.next) else {
            return cut;
        };
        let closes_fence = line.before.is_some() && line.after.is_none();
        if !closes_fence || head_chars + self.chars_between(start, line.end) > limit {
            return cut;
        }
        let newlines = self.text.as_bytes()[line.end..]
            .iter()
            .take_while(|&&b| b == b'\n')
            .count();
        Cut {
            end: line.end,
            next: line.end + newlines,
        }
    }

    fn line_starting_at(&self, pos: usize) -> Option<&Line> {
        let index = self.lines.partition_point(|l| l.start < pos);
        self.lines.get(index).filter(|l| l.start == pos)
    }

    fn line_containing(&self, pos: usize) -> Option<&Line> {
        let index = self
            .lines
            .partition_point(|l| l.start <= pos)
            .checked_sub(1)?;
        self.lines.get(index)
    }

    /// Whether a part ending at byte `pos` would break a fence line: a cut
    /// inside a fence line leaves a marker that no longer opens or closes
    /// what it should, and a cut right after an opening line leaves an
    /// empty code block at the end of the part.
    fn breaks_fence_line(&self, pos: usize) -> bool {
        self.line_containing(pos).is_some_and(|l| {
            let opens = l.before.is_none() && l.after.is_some();
            let closes = l.before.is_some() && l.after.is_none();
            l.start < pos && ((opens && pos <= l.end) || (closes && pos < l.end))
        })
    }

    /// The fence open at byte `pos`. A line takes effect once it is
    /// complete: a part ending in the middle of a fence line sees the
    /// state from before that line.
    fn fence_at(&self, pos: usize) -> Option<&Fence> {
        let line = self.line_containing(pos)?;
        let open = if pos >= line.end {
            line.after
        } else {
            line.before
        };
        self.fences.get(open?)
    }

    /// Reopen line for a part starting at `pos`, or empty outside fences.
    fn head_at(&self, pos: usize) -> String {
        self.fence_at(pos)
            .map(|f| format!("{}\n", f.reopen))
            .unwrap_or_default()
    }

    /// Closing marker for a part ending at `pos`, or empty outside fences.
    fn tail_at(&self, pos: usize) -> String {
        self.fence_at(pos)
            .map(|f| format!("\n{}", char::from(f.marker).to_string().repeat(f.len)))
            .unwrap_or_default()
    }

    fn tail_chars_at(&self, pos: usize) -> usize {
        self.fence_at(pos).map_or(0, |f| f.len + 1)
    }

    /// Index of the char starting at byte `pos` (a char boundary).
    fn char_index(&self, pos: usize) -> usize {
        self.char_starts.partition_point(|&b| b < pos)
    }

    fn chars_between(&self, from: usize, to: usize) -> usize {
        self.char_index(to).saturating_sub(self.char_index(from))
    }

    /// Byte position `n` chars after byte `from`, capped at the text end.
    fn advance(&self, from: usize, n: usize) -> usize {
        let target = self.char_index(from).saturating_add(n);
        self.char_starts
            .get(target)
            .copied()
            .unwrap_or(self.text.len())
    }

    fn is_blank(&self, range: &Range<usize>) -> bool {
        self.text
            .get(range.clone())
            .is_none_or(|s| s.trim().is_empty())
    }
}

/// Splits a line into up to 3 spaces of indentation and the rest (CommonMark
/// allows that much before a fence; more makes an indented code block).
fn fence_indent(line: &str) -> Option<(&str, &str)> {
    let indent = line.bytes().take_while(|&b| b == b' ').count();
    (indent <= 3).then(|| line.split_at(indent))
}

/// Parses a CommonMark fence opening line: 3+ backticks or tildes after at
/// most 3 spaces. A backtick fence's info string cannot contain backticks
/// (that would be inline code such as "```x```").
fn opens(line: &str) -> Option<Fence> {
    let (indent, rest) = fence_indent(line)?;
    let marker = *rest.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let len = rest.bytes().take_while(|&b| b == marker).count();
    let info = rest.get(len..)?;
    if len < 3 || (marker == b'`' && info.contains('`')) {
        return None;
    }
    let language = info.split_whitespace().next().unwrap_or_default();
    Some(Fence {
        marker,
        len,
        reopen: format!("{indent}{}{language}", rest.get(..len)?),
    })
}

/// Whether `line` closes `fence`: the same marker at least as long, and
/// nothing but whitespace after it.
fn closes(line: &str, fence: &Fence) -> bool {
    let Some((_, rest)) = fence_indent(line) else {
        return false;
    };
    let len = rest.bytes().take_while(|&b| b == fence.marker).count();
    len >= fence.len && rest.get(len..).is_some_and(|after| after.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nchars(s: &str) -> usize {
        s.chars().count()
    }

    /// Checks the invariants every split must satisfy and returns the parts.
    fn split_checked(text: &str, limit: usize) -> Vec<String> {
        let parts = split(text, limit);
        let limit = limit.max(1);
        assert!(!parts.is_empty());
        for part in &parts {
            assert!(
                nchars(part) <= limit,
                "part of {} chars over limit {limit}: {part:?}",
                nchars(part)
            );
        }
        if nchars(text) > limit && !text.trim().is_empty() {
            for part in &parts {
                assert!(!part.trim().is_empty(), "blank part in {parts:?}");
            }
            check_plan(text, limit, &parts);
        }
        parts
    }

    /// Checks the internal plan: it renders to the parts, its bodies are in
    /// order and only whitespace lies between them, so no visible char is
    /// lost, duplicated or reordered.
    fn check_plan(text: &str, limit: usize, parts: &[String]) {
        let plan = plan(text, limit);
        let rendered: Vec<String> = plan.iter().map(|p| p.render(text)).collect();
        assert_eq!(rendered, parts);
        let mut pos = 0;
        for part in &plan {
            assert!(part.body.start >= pos && part.body.end > part.body.start);
            assert!(text[pos..part.body.start].trim().is_empty());
            pos = part.body.end;
        }
        assert!(text[pos..].trim().is_empty());
    }

    /// Rejoins bodies (fence lines already removed) by putting back the
    /// separator each cut dropped, and checks that gives the original text.
    fn assert_rejoins(original: &str, bodies: &[&str]) {
        let mut rest = original;
        for (i, body) in bodies.iter().enumerate() {
            if i > 0 {
                // Candidate separators, longest first: a newline run (a
                // paragraph break), one newline, one space, none (hard cut).
                let run = rest.len() - rest.trim_start_matches('\n').len();
                let mut gaps = Vec::new();
                if run >= 2 {
                    gaps.push(run);
                }
                if rest.starts_with('\n') || rest.starts_with(' ') {
                    gaps.push(1);
                }
                gaps.push(0);
                let Some(gap) = gaps.into_iter().find(|&g| rest[g..].starts_with(body)) else {
                    panic!("part {i} does not follow: {body:?}");
                };
                rest = &rest[gap..];
            }
            assert!(rest.starts_with(body), "part {i} mismatch");
            rest = &rest[body.len()..];
        }
        assert!(rest.is_empty(), "text left over: {rest:?}");
    }

    fn is_fence_line(line: &str) -> bool {
        let trimmed = line.trim_start_matches(' ');
        line.len() - trimmed.len() <= 3
            && (trimmed.starts_with("```") || trimmed.starts_with("~~~"))
    }

    /// Fence state at the end of a text scanned on its own.
    fn ends_inside_fence(text: &str) -> bool {
        Doc::new(text)
            .lines
            .last()
            .is_some_and(|l| l.after.is_some())
    }

    #[test]
    fn short_text_is_one_unchanged_part() {
        assert_eq!(split("hello\n\nworld", 100), vec!["hello\n\nworld"]);
        assert_eq!(split("  \n ", 100), vec!["  \n "]);
    }

    #[test]
    fn empty_text_gives_one_empty_part() {
        assert_eq!(split("", 16), vec![String::new()]);
    }

    #[test]
    fn exact_limit_is_not_split() {
        let text = "abcd efgh ijkl m";
        assert_eq!(nchars(text), 16);
        assert_eq!(split_checked(text, 16), vec![text]);
        let longer = format!("{text}n");
        assert_eq!(split_checked(&longer, 16), vec!["abcd efgh ijkl", "mn"]);
    }

    #[test]
    fn paragraph_break_preferred_over_line_break() {
        let text = "aaa\n\nbbb\nccc ddd eee fff";
        assert_eq!(split_checked(text, 20), vec!["aaa", "bbb\nccc ddd eee fff"]);
    }

    #[test]
    fn line_break_preferred_over_space() {
        let text = "aaa bbb\nccc ddd eee fff";
        assert_eq!(split_checked(text, 20), vec!["aaa bbb", "ccc ddd eee fff"]);
    }

    #[test]
    fn space_preferred_over_hard_cut() {
        let text = "aaa bbbbbbbbbbbbbbbbb";
        assert_eq!(split_checked(text, 20), vec!["aaa", "bbbbbbbbbbbbbbbbb"]);
    }

    #[test]
    fn separator_just_past_the_window_is_used() {
        // The part is exactly the limit; the space after it is dropped.
        let text = format!("{} {}", "a".repeat(16), "b".repeat(5));
        assert_eq!(
            split_checked(&text, 16),
            vec!["a".repeat(16), "b".repeat(5)]
        );
        let text = format!("{}\n\n{}", "a".repeat(16), "b".repeat(5));
        assert_eq!(
            split_checked(&text, 16),
            vec!["a".repeat(16), "b".repeat(5)]
        );
    }

    #[test]
    fn long_word_is_hard_cut() {
        let text = "x".repeat(50);
        let parts = split_checked(&text, 16);
        assert_eq!(
            parts.iter().map(|p| nchars(p)).collect::<Vec<_>>(),
            [16, 16, 16, 2]
        );
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn multibyte_chars_are_counted_as_chars_and_never_split() {
        let emoji = "😀".repeat(40);
        let parts = split_checked(&emoji, 16);
        assert_eq!(
            parts.iter().map(|p| nchars(p)).collect::<Vec<_>>(),
            [16, 16, 8]
        );
        assert_eq!(parts.concat(), emoji);

        let cjk = "漢字かな交じり文 日本語のテキスト 🦀🦀 とても長い文章です";
        for limit in 16..=nchars(cjk) {
            let parts = split_checked(cjk, limit);
            assert_rejoins(cjk, &parts.iter().map(String::as_str).collect::<Vec<_>>());
        }
        // 16 chars but 64 bytes: one part.
        assert_eq!(split_checked(&"🦀".repeat(16), 16).len(), 1);
    }

    #[test]
    fn prose_rejoins_with_dropped_separators() {
        let text = "First paragraph has a few words.\nAnd a second line.\n\n\
                    Second paragraph, somewhat longer than the first one, with more words.\n\n\
                    Supercalifragilisticexpialidocious-and-then-some-more-characters ok";
        for limit in [16, 20, 33, 50, 80, 120] {
            let parts = split_checked(text, limit);
            assert!(parts.len() > 1);
            assert_rejoins(text, &parts.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    #[test]
    fn blank_runs_produce_no_blank_parts() {
        let text = format!("{}{}{}", "a".repeat(10), "\n".repeat(50), "b".repeat(10));
        assert_eq!(
            split_checked(&text, 16),
            vec!["a".repeat(10), "b".repeat(10)]
        );
        let text = format!("{}{}{}", "a".repeat(10), " ".repeat(50), "b".repeat(10));
        let parts = split_checked(&text, 16);
        assert_eq!(
            parts.first().map(|p| p.trim()),
            Some("a".repeat(10).as_str())
        );
        assert_eq!(
            parts.last().map(|p| p.trim()),
            Some("b".repeat(10).as_str())
        );
        // Trailing whitespace may stay on a part, but no blank part follows.
        let text = format!("{}{}", "a".repeat(10), " \n".repeat(50));
        let parts = split_checked(&text, 16);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].trim(), "a".repeat(10));
    }

    #[test]
    fn long_blank_text_gives_one_empty_part() {
        assert_eq!(split(&" ".repeat(100), 16), vec![String::new()]);
    }

    #[test]
    fn zero_limit_is_treated_as_one() {
        assert_eq!(split("abc", 0), vec!["a", "b", "c"]);
        assert_eq!(split("", 0), vec![""]);
    }

    /// A 40,000-char reply: prose, a ~10,000-char Python block, more prose.
    fn long_reply() -> String {
        let mut rng = XorShift(0x5eed);
        let mut text = String::new();
        while nchars(&text) < 12_000 {
            text.push_str(&paragraph(&mut rng));
            text.push_str("\n\n");
        }
        text.push_str("Here is the code:\n\n```python\n");
        let mut i = 0;
        while nchars(&text) < 22_500 {
            text.push_str(&format!(
                "def step_{i}(values):\n    total = 0\n    for v in values:\n        total += v * {i}\n    return total\n\n"
            ));
            i += 1;
        }
        text.push_str("print(step_1([1, 2, 3]))\n```\n\n");
        while nchars(&text) < 40_000 {
            text.push_str(&paragraph(&mut rng));
            text.push_str("\n\n");
        }
        let cut = text
            .char_indices()
            .nth(40_000)
            .map_or(text.len(), |(i, _)| i);
        text.truncate(cut);
        // End on a visible char so the reply is exactly 40,000 chars.
        text.pop();
        text.push('.');
        text
    }

    fn paragraph(rng: &mut XorShift) -> String {
        const WORDS: [&str; 12] = [
            "the",
            "bridge",
            "posts",
            "replies",
            "to",
            "Mattermost",
            "and",
            "splits",
            "long",
            "messages",
            "carefully",
            "naïve",
        ];
        let mut out = String::new();
        for _ in 0..rng.below(80) + 20 {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(WORDS[rng.below(WORDS.len())]);
            if rng.below(12) == 0 {
                out.push_str(if rng.below(3) == 0 { ".\n" } else { "." });
            }
        }
        out.trim_end().to_owned()
    }

    #[test]
    fn long_reply_with_python_block() {
        let text = long_reply();
        assert_eq!(nchars(&text), 40_000);
        for limit in [4000, 16383] {
            let parts = split_checked(&text, limit);
            assert!(parts.len() >= 3);
            let mut reopened = 0;
            for part in &parts {
                let fences = part.lines().filter(|l| is_fence_line(l)).count();
                assert_eq!(fences % 2, 0, "unbalanced fences in {part:?}");
                if part.starts_with("```python\n") {
                    reopened += 1;
                }
            }
            assert!(reopened >= 1, "no reopened part at limit {limit}");

            // Remove the added fence lines: a part closed by the splitter
            // is followed by one that starts with the reopen line.
            let mut bodies: Vec<&str> = parts.iter().map(String::as_str).collect();
            for i in 1..bodies.len() {
                if bodies[i - 1].ends_with("\n```") && bodies[i].starts_with("```python\n") {
                    bodies[i - 1] = &bodies[i - 1][..bodies[i - 1].len() - 4];
                    bodies[i] = &bodies[i]["```python\n".len()..];
                }
            }
            assert_rejoins(&text, &bodies);
        }
    }

    #[test]
    fn code_block_is_closed_and_reopened_with_language() {
        let text = "Intro.\n\n```rust\nlet a = 1;\nlet b = 2;\nlet c = 3;\n```\n\nOutro.";
        let parts = split_checked(text, 33);
        assert_eq!(
            parts,
            vec![
                "Intro.",
                "```rust\nlet a = 1;\nlet b = 2;\n```",
                "```rust\nlet c = 3;\n```\n\nOutro."
            ]
        );
    }

    #[test]
    fn info_string_beyond_the_language_is_not_repeated() {
        let text = "```python title=\"a.py\"\naaaa\nbbbb\ncccc\ndddd\n```";
        let parts = split_checked(text, 32);
        assert!(parts[0].starts_with("```python title=\"a.py\"\naaaa"));
        assert!(parts[1].starts_with("```python\n"));
    }

    #[test]
    fn tilde_fence_is_closed_with_tildes() {
        let text = "~~~\nline one\nline two\nline three\n~~~";
        let parts = split_checked(text, 25);
        assert_eq!(
            parts,
            vec!["~~~\nline one\nline two\n~~~", "~~~\nline three\n~~~"]
        );
    }

    #[test]
    fn four_backtick_fence_with_inner_three_backticks() {
        // The inner ``` line is content, not a close.
        let text = "````md\n```\ninner code\n```\nmore text\n````";
        let parts = split_checked(text, 30);
        assert_eq!(
            parts,
            vec![
                "````md\n```\ninner code\n```\n````",
                "````md\nmore text\n````"
            ]
        );
        for part in &parts {
            assert!(!ends_inside_fence(part));
        }
    }

    #[test]
    fn indented_fence_is_reopened_with_its_indentation() {
        let text = "  ```js\n  let a = 1;\n  let b = 2;\n  ```";
        let parts = split_checked(text, 26);
        assert_eq!(
            parts,
            vec!["  ```js\n  let a = 1;\n```", "  ```js\n  let b = 2;\n  ```"]
        );
    }

    #[test]
    fn not_fences() {
        // Four spaces of indentation, inline backticks, and short runs.
        for opener in ["    ```", "```a`b", "``"] {
            let text = format!("{opener}\n{}", "word ".repeat(10));
            for part in split_checked(&text, 20) {
                assert!(!part.ends_with("\n```"), "{opener:?} treated as a fence");
            }
        }
    }

    #[test]
    fn unclosed_fence_is_left_open_in_the_last_part() {
        let text = "```\naaaa\nbbbb\ncccc\ndddd";
        let parts = split_checked(text, 17);
        assert_eq!(parts, vec!["```\naaaa\nbbbb\n```", "```\ncccc\ndddd"]);
    }

    #[test]
    fn fence_cut_mid_line_continues_on_the_next_part() {
        let text = "```\naaaa bbbb cccc dddd eeee\n```";
        let parts = split_checked(text, 20);
        assert_eq!(
            parts,
            vec![
                "```\naaaa bbbb\n```",
                "```\ncccc dddd\n```",
                "```\neeee\n```"
            ]
        );
    }

    #[test]
    fn no_part_ends_with_a_bare_opening_line() {
        // The line break after "```" is the only one in the window, but a
        // part "```\n```" would be an empty block: cut at a space instead.
        let text = "```\naaaa bbbb cccc\n```";
        assert_eq!(split_checked(text, 20)[0], "```\naaaa bbbb\n```");
    }

    #[test]
    fn closing_line_ends_the_part_instead_of_an_added_marker() {
        // The blank line before "```" is the preferred break; cutting there
        // would start the next part with "```\n```". The real closing line
        // ends the first part instead.
        let text = "```\naaaa\n\n```\nbbbbbbbbbbbbbbbbbbbb";
        assert_eq!(
            split_checked(text, 16),
            vec!["```\naaaa\n\n```", "bbbbbbbbbbbbbbbb", "bbbb"]
        );
    }

    #[test]
    fn tiny_limits_terminate_and_fit() {
        let text = "Intro\n\n```python\ncode line\n\nmore code 😀\n```\ndone";
        for limit in 0..=20 {
            let parts = split_checked(text, limit);
            assert!(parts.len() <= nchars(text));
        }
    }

    use crate::random::XorShift;

    fn random_word(rng: &mut XorShift, len: usize) -> String {
        const ALPHABET: [char; 10] = ['a', 'b', 'x', 'y', 'z', 'é', 'ß', '漢', '字', '😀'];
        (0..len)
            .map(|_| ALPHABET[rng.below(ALPHABET.len())])
            .collect()
    }

    /// Random text mixing words, spaces, newlines, blank runs, multibyte
    /// chars and (always closed) fenced blocks of several kinds.
    fn random_text(rng: &mut XorShift) -> String {
        const FENCES: [(&str, &str); 6] = [
            ("```python", "```"),
            ("```", "```"),
            ("~~~", "~~~"),
            ("````md", "````"),
            ("  ```js", "```"),
            ("~~~~ text extra", "~~~~~"),
        ];
        let target = rng.below(3000);
        let mut text = String::new();
        let mut open: Option<&str> = None;
        while nchars(&text) < target {
            match rng.below(100) {
                0..=39 => {
                    let len = rng.below(10) + 1;
                    text.push_str(&random_word(rng, len));
                }
                40..=54 => text.push(' '),
                55..=64 => text.push('\n'),
                65..=71 => text.push_str("\n\n"),
                72..=74 => text.push_str("\n\n\n\n"),
                75..=78 => {
                    let len = rng.below(80) + 20;
                    text.push_str(&random_word(rng, len));
                }
                79..=81 => text.push_str("    indented code line\n"),
                82..=86 => {
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                    match open.take() {
                        Some(close) => text.push_str(close),
                        None => {
                            let (opener, close) = FENCES[rng.below(FENCES.len())];
                            text.push_str(opener);
                            open = Some(close);
                            if opener.starts_with("````") {
                                text.push_str("\n```\ninner\n```");
                            }
                        }
                    }
                    text.push('\n');
                }
                _ => text.push_str(". "),
            }
        }
        if let Some(close) = open {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(close);
        }
        text
    }

    #[test]
    fn randomized_properties() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300 {
            let text = random_text(&mut rng);
            for limit in [16, 17, 23, 40, 64, 100, 257, 1000] {
                let parts = split_checked(&text, limit);
                assert!(parts.len() <= nchars(&text).max(1));
                // With room for fence lines, every part renders with its
                // code blocks closed (all generated fences are closed).
                if limit >= 64 {
                    for part in &parts {
                        assert!(!ends_inside_fence(part), "open fence at {limit}: {part:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn randomized_tiny_limits() {
        let mut rng = XorShift(42);
        for _ in 0..50 {
            let text = random_text(&mut rng);
            for limit in 0..16 {
                split_checked(&text, limit);
            }
        }
    }
}
