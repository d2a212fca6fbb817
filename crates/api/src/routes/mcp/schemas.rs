//! JSON Schemas (2020-12) of the tools' inputs and outputs, mirroring the REST contract: the
//! same limits, enums and nullability, and no unknown members.
//!
//! Nullable members are `anyOf` with one `type` per branch, the spelling every model provider's
//! schema dialect accepts (`"type": [..., "null"]` is dropped by some). Optional filters are
//! simply optional; the server still reads an explicit `null` as "absent".

use serde_json::{Value, json};

const TITLE: &str = "1–200 characters after trimming (stored trimmed)";

/// `schema` or null.
fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn id() -> Value {
    json!({"type": "integer", "minimum": 1, "description": "The task's id"})
}

/// A task as the REST API shows it.
pub fn task() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "user_id": {"type": "string"},
            "title": {"type": "string"},
            "description": nullable(json!({"type": "string"})),
            "completed": {"type": "boolean"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}
        },
        "required": ["id", "user_id", "title", "description", "completed", "created_at", "updated_at"],
        "additionalProperties": false
    })
}

pub fn list_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "completed": {"type": "boolean", "description": "Only completed (true) or open (false) tasks"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Page size (default 50)"},
            "cursor": {"type": "string", "description": "next_cursor of the previous page, with the same sort"},
            "sort": {
                "type": "string",
                "enum": ["created_at", "-created_at", "title", "-title", "updated_at", "-updated_at"],
                "description": "Order (default created_at; a leading - means descending)"
            }
        },
        "additionalProperties": false
    })
}

pub fn list_output() -> Value {
    json!({
        "type": "object",
        "properties": {
            "tasks": {"type": "array", "items": task()},
            "next_cursor": nullable(json!({"type": "string", "description": "Pass as cursor for the next page; null on the last"}))
        },
        "required": ["tasks", "next_cursor"],
        "additionalProperties": false
    })
}

pub fn id_input() -> Value {
    json!({
        "type": "object",
        "properties": {"id": id()},
        "required": ["id"],
        "additionalProperties": false
    })
}

pub fn create_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "description": TITLE},
            "description": nullable(json!({"type": "string", "maxLength": 1000})),
            "idempotency_key": {
                "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$",
                "description": "Makes a retry safe: the same key and fields return the task the first call created"
            }
        },
        "required": ["title"],
        "additionalProperties": false
    })
}

pub fn update_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": id(),
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "description": TITLE},
            "description": nullable(json!({"type": "string", "maxLength": 1000, "description": "null clears it"})),
            "completed": {"type": "boolean"}
        },
        "required": ["id"],
        "additionalProperties": false
    })
}

pub fn complete_input() -> Value {
    json!({
        "type": "object",
        "properties": {
            "id": id(),
            "completed": {"type": "boolean", "description": "The state to set (default true)"}
        },
        "required": ["id"],
        "additionalProperties": false
    })
}

pub fn delete_output() -> Value {
    json!({
        "type": "object",
        "properties": {"id": {"type": "integer"}, "deleted": {"const": true}},
        "required": ["id", "deleted"],
        "additionalProperties": false
    })
}
