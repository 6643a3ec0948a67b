//! Reads newline-terminated request lines with a hard size cap, so a host (or garbage) sending a
//! gigabyte without a newline costs at most the cap in memory.

use std::io::{self, BufRead};

#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// One line without its `\n` (and without a `\r` before it).
    Complete(Vec<u8>),
    /// A line over the cap; its bytes were skipped up to the newline.
    TooLong,
}

pub struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R, max: usize) -> LineReader<R> {
        LineReader { inner, max }
    }

    /// The next line, or `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(match (too_long, line.is_empty()) {
                    (true, _) => Some(Line::TooLong),
                    (false, true) => None,
                    (false, false) => Some(Line::Complete(line)),
                });
            }
            let newline = available.iter().position(|b| *b == b'\n');
            let part = &available[..newline.unwrap_or(available.len())];
            if !too_long && line.len() + part.len() > self.max {
                too_long = true;
                line = Vec::new();
            }
            if !too_long {
                line.extend_from_slice(part);
            }
            let used = newline.map_or(part.len(), |i| i + 1);
            self.inner.consume(used);
            if newline.is_some() {
                if too_long {
                    return Ok(Some(Line::TooLong));
                }
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(Line::Complete(line)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn lines(input: &[u8], max: usize, buffer: usize) -> Vec<Line> {
        let mut reader = LineReader::new(BufReader::with_capacity(buffer, input), max);
        std::iter::from_fn(|| reader.next_line().unwrap()).collect()
    }

    #[test]
    fn splits_and_caps() {
        let input = b"one\r\ntwo\n\n0123456789abc\nlast";
        for buffer in [1, 3, 64] {
            assert_eq!(
                lines(input, 10, buffer),
                vec![
                    Line::Complete(b"one".to_vec()),
                    Line::Complete(b"two".to_vec()),
                    Line::Complete(Vec::new()),
                    Line::TooLong,
                    Line::Complete(b"last".to_vec()),
                ],
                "buffer {buffer}"
            );
        }
    }

    #[test]
    fn too_long_at_eof_and_exact_cap() {
        assert_eq!(lines(b"0123456789abc", 10, 4), vec![Line::TooLong]);
        assert_eq!(
            lines(b"0123456789\n", 10, 4),
            vec![Line::Complete(b"0123456789".to_vec())]
        );
    }
}
