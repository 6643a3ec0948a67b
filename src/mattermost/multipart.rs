//! The `multipart/form-data` framing of one file upload (`POST /api/v4/files`). Only the bytes
//! around the file are built here; the file itself is streamed from disk between them, so an
//! upload never holds the file in memory and its length is known up front (no chunked encoding).

use crate::random;

/// The parts before and after the file's bytes.
pub struct Framing {
    pub content_type: String,
    pub head: Vec<u8>,
    pub tail: Vec<u8>,
}

impl Framing {
    /// `channel_id` first (the server reads it before any file), then one `files` part.
    pub fn new(channel_id: &str, file_name: &str, mime_type: &str) -> Framing {
        let boundary = format!(
            "openclaw-{:016x}{:016x}",
            random::next_u64(),
            random::next_u64()
        );
        let head = format!(
            "--{boundary}\r\n\
             Content-Disposition: form-data; name=\"channel_id\"\r\n\r\n\
             {channel_id}\r\n\
             --{boundary}\r\n\
             Content-Disposition: form-data; name=\"files\"; filename=\"{}\"\r\n\
             Content-Type: {mime_type}\r\n\r\n",
            quoted_filename(file_name)
        );
        Framing {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            head: head.into_bytes(),
            tail: format!("\r\n--{boundary}--\r\n").into_bytes(),
        }
    }

    /// The whole body's length for a file of `file_size` bytes.
    pub fn body_len(&self, file_size: u64) -> u64 {
        self.head.len() as u64 + file_size + self.tail.len() as u64
    }
}

/// A file name safe inside `filename="…"`: quotes, backslashes and line breaks would end the
/// header or the value early, so they are percent-encoded the way browsers do it.
fn quoted_filename(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\\' => out.push_str("%5C"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_part_comes_first_and_lengths_add_up() {
        let framing = Framing::new("chan", "report.pdf", "application/pdf");
        let boundary = framing
            .content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap()
            .to_string();
        let mut body = framing.head.clone();
        body.extend_from_slice(b"%PDF");
        body.extend_from_slice(&framing.tail);
        assert_eq!(body.len() as u64, framing.body_len(4));
        let text = String::from_utf8(body).unwrap();
        let channel = text.find("name=\"channel_id\"").unwrap();
        let file = text
            .find("name=\"files\"; filename=\"report.pdf\"")
            .unwrap();
        assert!(channel < file);
        assert!(text.contains("Content-Type: application/pdf\r\n\r\n%PDF\r\n"));
        assert!(text.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn hostile_names_cannot_break_the_header() {
        assert_eq!(quoted_filename("a\"b\\c\r\nd\u{0}e"), "a%22b%5Cc%0D%0Ade");
        assert_eq!(quoted_filename("résumé.txt"), "résumé.txt");
    }

    #[test]
    fn boundaries_differ() {
        let a = Framing::new("c", "f", "text/plain");
        let b = Framing::new("c", "f", "text/plain");
        assert_ne!(a.content_type, b.content_type);
    }
}
