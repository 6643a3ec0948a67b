//! How a response body leaves the server: at full speed, at a throttled byte rate (a slow
//! link) or cut short after some bytes (a connection that dies mid-body).

use crate::conn::Conn;
use crate::fault::Fault;
use crate::http::reply::{write_reply, Reply};
use std::io::{self, Write};
use std::thread;
use std::time::Duration;

/// Writes a reply with Content-Length and a fresh X-Request-Id (also put into an AppError).
/// How a response body is sent: at full speed, throttled, or cut short.
#[derive(Clone, Copy, Default)]
pub(crate) struct Shaping {
    rate: Option<usize>,
    pub(crate) cut: Option<usize>,
}

impl Shaping {
    pub(crate) fn of(fault: &Fault) -> Shaping {
        Shaping {
            rate: fault.body_rate,
            cut: fault.cut_body_after,
        }
    }
}

pub(crate) fn write_shaped(
    stream: &mut Conn,
    reply: &Reply,
    close: bool,
    shaping: Shaping,
) -> io::Result<()> {
    if shaping.rate.is_none() && shaping.cut.is_none() {
        return write_reply(stream, reply, close);
    }
    let mut bytes = Vec::new();
    write_reply(&mut bytes, reply, close)?;
    let body_start = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |at| at + 4);
    let end = match shaping.cut {
        Some(n) => (body_start + n).min(bytes.len()),
        None => bytes.len(),
    };
    stream.write_all(&bytes[..body_start])?;
    let step = shaping.rate.map_or(end, |rate| (rate / 20).max(1));
    let mut at = body_start;
    while at < end {
        let next = (at + step).min(end);
        stream.write_all(&bytes[at..next])?;
        stream.flush()?;
        at = next;
        if shaping.rate.is_some() && at < end {
            thread::sleep(Duration::from_millis(50));
        }
    }
    if shaping.cut.is_some() {
        stream.shutdown();
    }
    Ok(())
}
