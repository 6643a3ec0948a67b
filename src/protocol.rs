//! The JSON-RPC 2.0 line protocol with the host (see `shared/PROTOCOL.md`): parsing request
//! lines, and rendering responses and notifications as single lines.

use crate::mattermost::api::ApiError;
use crate::redact::redact;
use serde::Serialize;
use serde_json::{json, Map, Value};

pub const PROTOCOL_VERSION: u32 = 1;
/// Longer request lines are refused (and skipped up to their newline).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

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
    pub fn new(code: i64, message: impl Into<String>, data: Option<Value>) -> RpcError {
        RpcError {
            code,
            message: redact(&message.into()).into_owned(),
            data,
        }
    }

    pub fn invalid_params(field: &str, message: impl Into<String>) -> RpcError {
        RpcError::new(
            code::INVALID_PARAMS,
            message,
            Some(json!({ "field": field })),
        )
    }

    pub fn not_allowed(key: &str, id: &str) -> RpcError {
        RpcError::new(
            code::NOT_ALLOWED,
            format!("target not allowed by the bridge's policy ({key} {id})"),
            Some(json!({ key: id })),
        )
    }

    pub fn unreachable(detail: impl Into<String>) -> RpcError {
        let detail = redact(&detail.into()).into_owned();
        RpcError::new(
            code::UNREACHABLE,
            format!("Mattermost unreachable: {detail}"),
            Some(json!({ "error": detail })),
        )
    }

    /// A REST failure: transient ones (already retried) mean unreachable, the rest a refusal.
    /// -32002: a local file is missing, unreadable or too large.
    pub fn local_file(path: &str, message: impl Into<String>) -> RpcError {
        RpcError::new(code::LOCAL_FILE, message, Some(json!({ "path": path })))
    }

    pub fn from_api(error: &ApiError) -> RpcError {
        match error {
            ApiError::Status {
                status,
                id,
                message,
                request_id,
                ..
            } if !error.is_transient() => RpcError::new(
                code::MATTERMOST_REFUSED,
                format!("Mattermost refused the call: {message}"),
                Some(json!({
                    "status": status, "id": id, "message": message, "requestId": request_id
                })),
            ),
            other => RpcError::unreachable(other.to_string()),
        }
    }
}

/// A request from the host. `id` is `None` for a notification (no response is sent).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: Option<Value>,
    pub method: String,
    pub params: Map<String, Value>,
}

impl Request {
    pub fn str_param(&self, field: &str) -> Result<Option<&str>, RpcError> {
        match self.params.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(RpcError::invalid_params(
                field,
                format!("{field} must be a string"),
            )),
        }
    }

    pub fn required_str(&self, field: &str) -> Result<&str, RpcError> {
        self.str_param(field)?
            .ok_or_else(|| RpcError::invalid_params(field, format!("{field} is required")))
    }

    pub fn bool_param(&self, field: &str) -> Result<bool, RpcError> {
        match self.params.get(field) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(RpcError::invalid_params(
                field,
                format!("{field} must be true or false"),
            )),
        }
    }

    pub fn str_list_param(&self, field: &str) -> Result<Vec<String>, RpcError> {
        let bad = || RpcError::invalid_params(field, format!("{field} must be a list of strings"));
        match self.params.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| item.as_str().map(str::to_string).ok_or_else(bad))
                .collect(),
            Some(_) => Err(bad()),
        }
    }
}

/// A line that could not be taken as a request, with the id to answer it under.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub id: Value,
    pub error: RpcError,
}

/// Parses one request line (without its newline).
pub fn parse_request(line: &[u8]) -> Result<Request, Rejected> {
    let reject = |id: Value, code: i64, message: &str| Rejected {
        id,
        error: RpcError::new(code, message, None),
    };
    let text = std::str::from_utf8(line)
        .map_err(|_| reject(Value::Null, code::PARSE_ERROR, "line is not valid UTF-8"))?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        reject(
            Value::Null,
            code::PARSE_ERROR,
            &format!("invalid JSON: {e}"),
        )
    })?;
    let Value::Object(mut object) = value else {
        return Err(reject(
            Value::Null,
            code::INVALID_REQUEST,
            "a request must be a JSON object",
        ));
    };
    let id = match object.remove("id") {
        None => None,
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => Some(id),
        Some(_) => {
            return Err(reject(
                Value::Null,
                code::INVALID_REQUEST,
                "id must be a string, number or null",
            ))
        }
    };
    let answer_id = id.clone().unwrap_or(Value::Null);
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(reject(
            answer_id,
            code::INVALID_REQUEST,
            "jsonrpc must be \"2.0\"",
        ));
    }
    let method = match object.remove("method") {
        Some(Value::String(method)) => method,
        _ => {
            return Err(reject(
                answer_id,
                code::INVALID_REQUEST,
                "method must be a string",
            ))
        }
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => {
            return Err(Rejected {
                id: answer_id,
                error: RpcError::invalid_params("params", "params must be an object"),
            })
        }
    };
    Ok(Request { id, method, params })
}

pub fn notification(method: &str, params: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Notification<'a, P> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a P,
    }
    to_line(&Notification {
        jsonrpc: "2.0",
        method,
        params,
    })
}

pub fn response(id: &Value, result: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Response<'a, R> {
        jsonrpc: &'static str,
        id: &'a Value,
        result: &'a R,
    }
    to_line(&Response {
        jsonrpc: "2.0",
        id,
        result,
    })
}

pub fn error_response(id: &Value, error: &RpcError) -> String {
    let mut body = json!({ "code": error.code, "message": error.message });
    if let Some(data) = &error.data {
        body["data"] = data.clone();
    }
    to_line(&json!({ "jsonrpc": "2.0", "id": id, "error": body }))
}

fn to_line(value: &impl Serialize) -> String {
    // Serializing our own types cannot fail: no maps with non-string keys, no failing impls.
    serde_json::to_string(value).unwrap_or_else(|e| {
        json!({"jsonrpc":"2.0","method":"status","params":{"state":"error","error":e.to_string()}})
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few thousand broken variants of real request lines: every one is answered (accepted
    /// or rejected with a code), none panics.
    #[test]
    fn mutated_requests_never_panic() {
        let seeds: &[&[u8]] = &[
            br#"{"jsonrpc":"2.0","id":1,"method":"send","params":{"channelId":"c","text":"hi","files":["/a"]}}"#,
            br#"{"jsonrpc":"2.0","id":"x","method":"react","params":{"postId":"p","emoji":"+1","remove":true}}"#,
            br#"{"jsonrpc":"2.0","method":"typing","params":{"channelId":"c"}}"#,
            br#"{"jsonrpc":"2.0","id":null,"method":"status"}"#,
        ];
        let mut rng = crate::random::XorShift(0x5eed_0001);
        for n in 0..4000 {
            let line = rng.mutate(seeds[n % seeds.len()]);
            match parse_request(&line) {
                Ok(request) => assert!(!request.method.is_empty()),
                Err(rejected) => assert!(
                    [code::PARSE_ERROR, code::INVALID_REQUEST].contains(&rejected.error.code),
                    "{:?}",
                    rejected.error
                ),
            }
        }
    }

    fn rejected(line: &str) -> (Value, i64) {
        let r = parse_request(line.as_bytes()).unwrap_err();
        (r.id, r.error.code)
    }

    #[test]
    fn parses_requests_and_notifications() {
        let r = parse_request(br#"{"jsonrpc":"2.0","id":7,"method":"send","params":{"channelId":"c","text":"hi","extra":1}}"#).unwrap();
        assert_eq!(r.id, Some(json!(7)));
        assert_eq!(r.method, "send");
        assert_eq!(r.required_str("text").unwrap(), "hi");
        let n = parse_request(br#"{"jsonrpc":"2.0","method":"typing","params":{"channelId":"c"}}"#)
            .unwrap();
        assert_eq!(n.id, None);
        let no_params = parse_request(br#"{"jsonrpc":"2.0","id":"a","method":"status"}"#).unwrap();
        assert!(no_params.params.is_empty());
    }

    #[test]
    fn rejects_with_the_right_code_and_id() {
        assert_eq!(rejected("not json"), (Value::Null, code::PARSE_ERROR));
        assert_eq!(rejected("[1]"), (Value::Null, code::INVALID_REQUEST));
        assert_eq!(
            rejected(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#),
            (Value::Null, code::INVALID_REQUEST)
        );
        assert_eq!(
            rejected(r#"{"id":3,"method":"x"}"#),
            (json!(3), code::INVALID_REQUEST)
        );
        assert_eq!(
            rejected(r#"{"jsonrpc":"2.0","id":3,"method":5}"#),
            (json!(3), code::INVALID_REQUEST)
        );
        assert_eq!(
            rejected(r#"{"jsonrpc":"2.0","id":"x","method":"send","params":[1]}"#),
            (json!("x"), code::INVALID_PARAMS)
        );
        assert_eq!(
            parse_request(&[0xff, 0xfe]).unwrap_err().error.code,
            code::PARSE_ERROR
        );
    }

    #[test]
    fn param_helpers_name_the_field() {
        let r = parse_request(br#"{"jsonrpc":"2.0","id":1,"method":"send","params":{"text":5,"files":["a",2],"remove":"yes"}}"#).unwrap();
        assert_eq!(
            r.required_str("text").unwrap_err().data,
            Some(json!({"field":"text"}))
        );
        assert_eq!(
            r.required_str("channelId").unwrap_err().data,
            Some(json!({"field":"channelId"}))
        );
        assert_eq!(
            r.str_list_param("files").unwrap_err().data,
            Some(json!({"field":"files"}))
        );
        assert_eq!(
            r.bool_param("remove").unwrap_err().code,
            code::INVALID_PARAMS
        );
    }

    #[test]
    fn renders_lines() {
        assert_eq!(
            response(&json!(1), &json!({})),
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#
        );
        let line = error_response(&Value::Null, &RpcError::new(code::PARSE_ERROR, "bad", None));
        assert_eq!(
            line,
            r#"{"error":{"code":-32700,"message":"bad"},"id":null,"jsonrpc":"2.0"}"#
        );
        assert_eq!(
            notification("status", &json!({"state":"connected"})),
            r#"{"jsonrpc":"2.0","method":"status","params":{"state":"connected"}}"#
        );
    }

    #[test]
    fn api_errors_map_to_codes() {
        let refused = ApiError::Status {
            status: 403,
            id: "api.context.permissions.app_error".into(),
            message: "no".into(),
            request_id: "r".into(),
            retry_after: None,
        };
        let e = RpcError::from_api(&refused);
        assert_eq!(e.code, code::MATTERMOST_REFUSED);
        assert_eq!(e.data.unwrap()["status"], 403);
        let down = RpcError::from_api(&ApiError::Network("connection refused".into()));
        assert_eq!(down.code, code::UNREACHABLE);
        let busy = ApiError::Status {
            status: 503,
            id: String::new(),
            message: "x".into(),
            request_id: String::new(),
            retry_after: None,
        };
        assert_eq!(RpcError::from_api(&busy).code, code::UNREACHABLE);
    }
}
