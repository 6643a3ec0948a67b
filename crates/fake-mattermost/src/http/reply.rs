//! A REST reply and its writing: status line, Content-Length, a fresh X-Request-Id that an
//! AppError body also carries, as the real server's errors do.

use crate::fault::Fault;
use crate::json::app_error_json;
use crate::state::world::SERVER_VERSION_FULL;
use crate::util::new_id;
use serde_json::{json, Value};
use std::io::{self, Write};

/// A reply before it is written; the writer adds Content-Length and X-Request-Id.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, value: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
        }
    }

    pub(crate) fn status_ok() -> Reply {
        Reply::json(200, &json!({"status": "OK"}))
    }

    /// An AppError; its `request_id` is filled in when it is written.
    pub(crate) fn error(status: u16, id: &str, message: &str) -> Reply {
        Reply::json(status, &app_error_json(status, id, message, ""))
    }

    pub(crate) fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
        }
    }

    pub(crate) fn from_fault(fault: &Fault) -> Reply {
        Reply {
            status: fault.status,
            content_type: fault.content_type.clone(),
            headers: fault.headers.clone(),
            body: fault.body.clone().into_bytes(),
        }
    }

    pub(crate) fn bad_body(what: &str) -> Reply {
        let message = format!("Invalid or missing {what} in request body.");
        Reply::error(400, "api.context.invalid_body_param.app_error", &message)
    }

    pub(crate) fn forbidden() -> Reply {
        Reply::error(
            403,
            "api.context.permissions.app_error",
            "You do not have the appropriate permissions.",
        )
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

pub(crate) fn write_reply(stream: &mut impl Write, reply: &Reply, close: bool) -> io::Result<()> {
    let request_id = new_id();
    let body = stamp_request_id(&reply.body, &reply.content_type, &request_id);
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason_phrase(reply.status)
    );
    if !reply.content_type.is_empty() {
        head.push_str(&format!("Content-Type: {}\r\n", reply.content_type));
    }
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    head.push_str(&format!("X-Request-Id: {request_id}\r\n"));
    head.push_str(&format!("X-Version-Id: {SERVER_VERSION_FULL}\r\n"));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// A JSON body with a `request_id` key gets this response's id, like the real server's errors.
fn stamp_request_id(body: &[u8], content_type: &str, request_id: &str) -> Vec<u8> {
    if !content_type.starts_with("application/json") {
        return body.to_vec();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut map)) if map.contains_key("request_id") => {
            map.insert("request_id".into(), request_id.into());
            Value::Object(map).to_string().into_bytes()
        }
        _ => body.to_vec(),
    }
}
