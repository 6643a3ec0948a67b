//! The error codes of the contract, and `RpcError`, the error half of a response. How a
//! Mattermost failure maps to a code is the bridge's business (`bridge::requests`), not this
//! module's: it knows the host's side only.

use crate::redact::redact;
use serde_json::{json, Value};

/// The error codes of the contract.
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const MATTERMOST_REFUSED: i64 = -32000;
    pub const NOT_ALLOWED: i64 = -32001;
    pub const LOCAL_FILE: i64 = -32002;
    pub const UNREACHABLE: i64 = -32003;
}

#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `message` redacted (it may quote a server answer or a URL).
    pub fn new(code: i64, message: impl Into<String>, data: Option<Value>) -> RpcError {
        RpcError {
            code,
            message: redact(&message.into()).into_owned(),
            data,
        }
    }

    /// -32602, naming the param at fault in `data.field`.
    pub fn invalid_params(field: &str, message: impl Into<String>) -> RpcError {
        RpcError::new(
            code::INVALID_PARAMS,
            message,
            Some(json!({ "field": field })),
        )
    }

    /// -32001: the target is outside the policy; `data` is `{key: id}`.
    pub fn not_allowed(key: &str, id: &str) -> RpcError {
        RpcError::new(
            code::NOT_ALLOWED,
            format!("target not allowed by the bridge's policy ({key} {id})"),
            Some(json!({ key: id })),
        )
    }

    /// -32003: Mattermost could not be reached (after the bridge's own retries).
    pub fn unreachable(detail: impl Into<String>) -> RpcError {
        let detail = redact(&detail.into()).into_owned();
        RpcError::new(
            code::UNREACHABLE,
            format!("Mattermost unreachable: {detail}"),
            Some(json!({ "error": detail })),
        )
    }

    /// -32002: a local file is missing, unreadable or too large.
    pub fn local_file(path: &str, message: impl Into<String>) -> RpcError {
        RpcError::new(code::LOCAL_FILE, message, Some(json!({ "path": path })))
    }
}
