//! MIME types for outgoing files, from the file name's extension. Mattermost decides previews
//! by this type, so the common ones matter; anything else is sent as an octet stream.

/// The MIME type for a file name (case-insensitive extension lookup).
pub fn for_name(name: &str) -> &'static str {
    let extension = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => return OCTET_STREAM,
    };
    TABLE
        .iter()
        .find(|(ext, _)| *ext == extension)
        .map_or(OCTET_STREAM, |(_, mime)| mime)
}

const OCTET_STREAM: &str = "application/octet-stream";

const TABLE: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("svg", "image/svg+xml"),
    ("bmp", "image/bmp"),
    ("heic", "image/heic"),
    ("pdf", "application/pdf"),
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/markdown"),
    ("csv", "text/csv"),
    ("html", "text/html"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("mp3", "audio/mpeg"),
    ("ogg", "audio/ogg"),
    ("wav", "audio/wav"),
    ("m4a", "audio/mp4"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mov", "video/quicktime"),
    ("doc", "application/msword"),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xls", "application/vnd.ms-excel"),
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_extensions_any_case() {
        assert_eq!(for_name("photo.JPG"), "image/jpeg");
        assert_eq!(for_name("report.pdf"), "application/pdf");
        assert_eq!(for_name("archive.tar.gz"), "application/gzip");
    }

    #[test]
    fn unknown_or_missing_extensions() {
        assert_eq!(for_name("binary.xyz"), OCTET_STREAM);
        assert_eq!(for_name("Makefile"), OCTET_STREAM);
        assert_eq!(for_name(".png"), OCTET_STREAM);
    }
}
