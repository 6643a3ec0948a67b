//! Request lines from the host: parsed into `Request` (method, id, params), or rejected with
//! the id to answer under and the code that says why.

use super::{code, RpcError};
use serde_json::{Map, Value};

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

    /// A whole number from 1 to `max`, or `None` when absent.
    pub fn count_param(&self, field: &str, max: u64) -> Result<Option<u64>, RpcError> {
        match self.params.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=max).contains(&n)) => {
                Ok(n.as_u64())
            }
            Some(_) => Err(RpcError::invalid_params(
                field,
                format!("{field} must be a whole number from 1 to {max}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn counts_are_whole_numbers_within_bounds() {
        let r = parse_request(br#"{"jsonrpc":"2.0","id":1,"method":"read","params":{"a":1,"b":200,"c":0,"d":201,"e":2.5,"f":"3","g":-1}}"#).unwrap();
        assert_eq!(r.count_param("a", 200).unwrap(), Some(1));
        assert_eq!(r.count_param("b", 200).unwrap(), Some(200));
        assert_eq!(r.count_param("none", 200).unwrap(), None);
        for bad in ["c", "d", "e", "f", "g"] {
            assert_eq!(
                r.count_param(bad, 200).unwrap_err().data,
                Some(json!({ "field": bad })),
                "{bad}"
            );
        }
    }
}
