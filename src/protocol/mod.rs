//! The JSON-RPC 2.0 line protocol with the host (described for people in `docs/protocol.md`).
//! The only place that knows its shapes: request lines are parsed here (`request`), and every
//! line the bridge writes is rendered here, from typed values: notifications (`notification`),
//! responses (`response`) carrying typed results (`results`) or errors with the codes of the
//! contract (`error`).
//!
//! Field order is part of the bytes: the host and the tests read these lines, so each params
//! type declares its fields in the order they have always been written.

mod error;
mod notification;
mod request;
mod response;
mod results;

pub use error::{code, RpcError};
pub use notification::{
    Bot, FileEntry, HistoryEntry, Message, Notification, Reaction, Ready, Retry, Sender, Status,
    Transport, Trouble,
};
pub use request::{parse_request, Rejected, Request};
pub use response::{error_response, response};
pub use results::{
    Answer, Authorized, AuthorizedSender, Done, Edited, Fetched, Listing, Report, Sent,
};

use serde::Serialize;

/// The protocol version announced in `ready`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longer request lines are refused (and skipped up to their newline).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// One value as one line (without its newline).
fn to_line(value: &impl Serialize) -> String {
    // Serializing our own types cannot fail: no maps with non-string keys, no failing impls.
    serde_json::to_string(value).unwrap_or_else(|e| {
        serde_json::json!({"jsonrpc":"2.0","method":"status","params":{"state":"error","error":e.to_string()}})
            .to_string()
    })
}
