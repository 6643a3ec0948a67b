//! Small helpers: the clock in ms, new ids, direct-channel names, MIME types by extension.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A new 26-character id in Mattermost's base32 alphabet. A process-wide counter fed through
/// splitmix64 keeps ids unique across every fake in the test process.
pub(crate) fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";
    static COUNTER: AtomicU64 = AtomicU64::new(0x5eed_1dea_0000_0000);
    let mut id = String::with_capacity(26);
    while id.len() < 26 {
        let mut z = COUNTER.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        for _ in 0..12 {
            if id.len() == 26 {
                break;
            }
            id.push(ALPHABET[(z & 31) as usize] as char);
            z >>= 5;
        }
    }
    id
}

/// The DM channel name of two users: their ids sorted, joined by "__".
pub(crate) fn sorted_pair_name(a: &str, b: &str) -> String {
    if a <= b {
        format!("{a}__{b}")
    } else {
        format!("{b}__{a}")
    }
}

/// The server derives the MIME type from the extension; the declared type is a fallback.
pub(crate) fn mime_for(extension: &str, declared: Option<&str>) -> String {
    let known = match extension {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "zip" => "application/zip",
        _ => declared.unwrap_or("application/octet-stream"),
    };
    known.to_string()
}
