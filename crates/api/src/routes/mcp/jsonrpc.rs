//! JSON-RPC 2.0 messages as MCP carries them: classifying what a client sent and writing
//! results and errors.
//!
//! Since protocol revision 2025-06-18 one HTTP body holds one message (no batches).

use serde_json::{Value, json};

/// Invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// Not a JSON-RPC 2.0 request, notification or response.
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Parameters of the wrong shape, and (per MCP) an unknown tool name.
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// Implementation-defined server error, used for transport refusals (MCP SDKs do the same).
pub const SERVER_ERROR: i64 = -32000;

/// What one message asks of the server.
#[derive(Debug, PartialEq)]
pub enum Message {
    /// Wants an answer carrying `id`.
    Request {
        id: Value,
        method: String,
        params: Option<Value>,
    },
    /// A notification or a response to a server request: acknowledged with 202, no body.
    NoReply,
}

/// A JSON-RPC error answer (id, code, message).
#[derive(Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> RpcError {
        RpcError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_params(message: impl Into<String>) -> RpcError {
        RpcError::new(INVALID_PARAMS, message)
    }
}

/// Classifies a parsed body; the error carries the id to answer with (null if unknown).
pub fn classify(value: Value) -> Result<Message, (Value, RpcError)> {
    let invalid = |id: Value, why: &str| Err((id, RpcError::new(INVALID_REQUEST, why)));
    let Value::Object(mut object) = value else {
        return match value {
            Value::Array(_) => invalid(
                Value::Null,
                "batches are not supported: send one JSON-RPC message per request",
            ),
            _ => invalid(Value::Null, "expected a JSON-RPC 2.0 message (an object)"),
        };
    };
    let id = object.remove("id");
    // An id must be a string or a number; anything else cannot be echoed safely.
    let usable_id = match &id {
        Some(value @ (Value::String(_) | Value::Number(_))) => Some(value.clone()),
        _ => None,
    };
    if object.get("jsonrpc") != Some(&Value::String("2.0".to_owned())) {
        return invalid(
            usable_id.unwrap_or(Value::Null),
            "\"jsonrpc\" must be \"2.0\"",
        );
    }
    match object.remove("method") {
        Some(Value::String(method)) => {
            let params = object.remove("params");
            if params
                .as_ref()
                .is_some_and(|p| !p.is_object() && !p.is_array())
            {
                return invalid(
                    usable_id.unwrap_or(Value::Null),
                    "\"params\" must be an object",
                );
            }
            match (id, usable_id) {
                (None, _) => Ok(Message::NoReply),
                (Some(_), Some(id)) => Ok(Message::Request { id, method, params }),
                (Some(_), None) => invalid(Value::Null, "\"id\" must be a string or a number"),
            }
        }
        Some(_) => invalid(
            usable_id.unwrap_or(Value::Null),
            "\"method\" must be a string",
        ),
        // A client's answer to a server request; this server sends none, so it is dropped.
        None if usable_id.is_some()
            && (object.contains_key("result") || object.contains_key("error")) =>
        {
            Ok(Message::NoReply)
        }
        None => invalid(usable_id.unwrap_or(Value::Null), "\"method\" is required"),
    }
}

pub fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

pub fn error(id: &Value, error: &RpcError) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": error.code, "message": error.message},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(value: Value) -> (Value, i64) {
        let (id, error) = classify(value).expect_err("refused");
        (id, error.code)
    }

    #[test]
    fn requests_notifications_and_responses_are_told_apart() {
        assert_eq!(
            classify(json!({"jsonrpc": "2.0", "id": 7, "method": "ping"})),
            Ok(Message::Request {
                id: json!(7),
                method: "ping".into(),
                params: None
            })
        );
        assert_eq!(
            classify(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
            Ok(Message::NoReply)
        );
        assert_eq!(
            classify(json!({"jsonrpc": "2.0", "id": "a", "result": {}})),
            Ok(Message::NoReply)
        );
    }

    #[test]
    fn malformed_messages_are_invalid_requests_with_their_id_when_usable() {
        assert_eq!(code(json!([1])), (Value::Null, INVALID_REQUEST));
        assert_eq!(
            code(json!({"id": 1, "method": "ping"})),
            (json!(1), INVALID_REQUEST)
        );
        assert_eq!(
            code(json!({"jsonrpc": "2.0", "id": "x", "method": 5})),
            (json!("x"), INVALID_REQUEST)
        );
        assert_eq!(
            code(json!({"jsonrpc": "2.0", "id": null, "method": "ping"})),
            (Value::Null, INVALID_REQUEST)
        );
        assert_eq!(
            code(json!({"jsonrpc": "2.0", "id": 2, "method": "ping", "params": 3})),
            (json!(2), INVALID_REQUEST)
        );
    }
}
