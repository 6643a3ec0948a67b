//! Parsing a multipart/form-data body into its parts (name, file name, content type,
//! bytes), as the upload route needs it.

/// One part of a multipart/form-data body.
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Vec<u8>,
}

pub(crate) fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let kind = params.next()?.trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_string())
}

fn find_bytes(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Splits a multipart/form-data body; `None` when it is malformed.
pub(crate) fn parse_multipart(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find_bytes(body, &delimiter, 0)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2)? == b"--" {
            return Some(parts);
        }
        let start = at + 2; // the CRLF after the delimiter
        let end = find_bytes(body, &[b"\r\n".as_slice(), &delimiter].concat(), start)?;
        parts.push(parse_part(&body[start..end])?);
        at = end + 2 + delimiter.len();
    }
}

fn parse_part(raw: &[u8]) -> Option<Part> {
    let split = find_bytes(raw, b"\r\n\r\n", 0)?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut part = Part {
        name: String::new(),
        filename: None,
        content_type: None,
        data: raw[split + 4..].to_vec(),
    };
    for line in head.split("\r\n") {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for param in value.split(';').skip(1) {
                    match param.trim().split_once('=') {
                        Some(("name", v)) => part.name = v.trim_matches('"').to_string(),
                        Some(("filename", v)) => {
                            part.filename = Some(v.trim_matches('"').to_string())
                        }
                        _ => {}
                    }
                }
            }
            "content-type" => part.content_type = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Some(part)
}
