//! The answer to a request: one `result` or one `error` line under the request's id.

use super::{to_line, RpcError};
use serde::Serialize;
use serde_json::Value;

/// `{"jsonrpc":"2.0","id":…,"result":…}`.
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

/// `{"error":{"code":…,"data":…,"message":…},"id":…,"jsonrpc":"2.0"}` (`data` only when set).
/// The keys are in alphabetical order, as they have always been written.
pub fn error_response(id: &Value, error: &RpcError) -> String {
    #[derive(Serialize)]
    struct ErrorResponse<'a> {
        error: Body<'a>,
        id: &'a Value,
        jsonrpc: &'static str,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        code: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<&'a Value>,
        message: &'a str,
    }
    to_line(&ErrorResponse {
        error: Body {
            code: error.code,
            data: error.data.as_ref(),
            message: &error.message,
        },
        id,
        jsonrpc: "2.0",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::code;
    use serde_json::json;

    #[test]
    fn renders_responses() {
        assert_eq!(
            response(&json!(1), &json!({})),
            r#"{"jsonrpc":"2.0","id":1,"result":{}}"#
        );
        let line = error_response(&Value::Null, &RpcError::new(code::PARSE_ERROR, "bad", None));
        assert_eq!(
            line,
            r#"{"error":{"code":-32700,"message":"bad"},"id":null,"jsonrpc":"2.0"}"#
        );
        let with_data = error_response(&json!("x"), &RpcError::invalid_params("text", "no text"));
        assert_eq!(
            with_data,
            r#"{"error":{"code":-32602,"data":{"field":"text"},"message":"no text"},"id":"x","jsonrpc":"2.0"}"#
        );
    }
}
