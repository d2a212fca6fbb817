//! Task bodies (`Task`, `TaskList`) written straight into one response buffer.
//!
//! The bytes are those of serde_json for the `Serialize` derive of [`Task`] and [`TaskList`]
//! (the tests compare both on arbitrary tasks), which stays the reference and what the MCP tools
//! use. What this saves on the list route: the serde calls per member, the timestamps through
//! `core::fmt`, and the reallocations of a buffer that starts at 128 bytes and grows to the
//! size of the page; here it is sized once from the rows.

use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::rfc3339;
use super::{Task, TaskList};
use crate::json_text::write_str;

/// Bytes per task besides its strings: member names, punctuation, id, two timestamps.
const TASK_OVERHEAD: usize = 192;
/// Bytes of a list besides its tasks and cursor.
const LIST_OVERHEAD: usize = 48;

/// A task or a page of tasks as `application/json`, already serialised.
pub struct TaskJson(Vec<u8>);

impl TaskJson {
    pub fn task(task: &Task) -> TaskJson {
        let mut out = Vec::with_capacity(task_capacity(task));
        write_task(&mut out, task);
        TaskJson(out)
    }

    pub fn list(list: &TaskList) -> TaskJson {
        let tasks: usize = list.tasks.iter().map(task_capacity).sum();
        let cursor = list.next_cursor.as_ref().map_or(0, String::len);
        let mut out = Vec::with_capacity(LIST_OVERHEAD + tasks + cursor);
        out.extend_from_slice(b"{\"tasks\":[");
        for (index, task) in list.tasks.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            write_task(&mut out, task);
        }
        out.extend_from_slice(b"],\"next_cursor\":");
        match &list.next_cursor {
            Some(cursor) => write_str(&mut out, cursor),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        TaskJson(out)
    }

    #[cfg(test)]
    fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl IntoResponse for TaskJson {
    fn into_response(self) -> Response {
        // What axum's `Json` sends.
        let json = HeaderValue::from_static("application/json");
        ([(CONTENT_TYPE, json)], self.0).into_response()
    }
}

/// Room for `task` without escapes (a string that needs some makes the buffer grow once).
fn task_capacity(task: &Task) -> usize {
    TASK_OVERHEAD
        + task.user_id.len()
        + task.title.len()
        + task.description.as_ref().map_or(0, String::len)
}

/// The members in the order of the `Task` declaration, as the derive writes them.
fn write_task(out: &mut Vec<u8>, task: &Task) {
    out.extend_from_slice(b"{\"id\":");
    out.extend_from_slice(itoa::Buffer::new().format(task.id).as_bytes());
    out.extend_from_slice(b",\"user_id\":");
    write_str(out, &task.user_id);
    out.extend_from_slice(b",\"title\":");
    write_str(out, &task.title);
    out.extend_from_slice(b",\"description\":");
    match &task.description {
        Some(description) => write_str(out, description),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(if task.completed {
        b",\"completed\":true,\"created_at\":\""
    } else {
        b",\"completed\":false,\"created_at\":\""
    });
    out.extend_from_slice(rfc3339::format(&task.created_at).as_bytes());
    out.extend_from_slice(b"\",\"updated_at\":\"");
    out.extend_from_slice(rfc3339::format(&task.updated_at).as_bytes());
    out.extend_from_slice(b"\"}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use proptest::prelude::*;

    fn stamp() -> impl Strategy<Value = DateTime<Utc>> {
        (
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            prop_oneof![Just(0u32), 0u32..1_000_000_000],
        )
            .prop_map(|(seconds, nanos)| {
                DateTime::from_timestamp(seconds, nanos).expect("a valid instant")
            })
    }

    /// Text with what JSON escapes (quotes, backslashes, every control character), DEL,
    /// multi-byte and astral characters.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                (0u32..0x80).prop_map(|c| char::from_u32(c).expect("ASCII")),
                Just('é'),
                Just('\u{2028}'),
                Just('😀'),
            ],
            0..40,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn task() -> impl Strategy<Value = Task> {
        (
            any::<i64>(),
            text(),
            text(),
            proptest::option::of(text()),
            any::<bool>(),
            stamp(),
            stamp(),
        )
            .prop_map(
                |(id, user_id, title, description, completed, created_at, updated_at)| Task {
                    id,
                    user_id,
                    title,
                    description,
                    completed,
                    created_at,
                    updated_at,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn a_task_has_the_bytes_of_its_serialize_derive(task in task()) {
            let expected = serde_json::to_vec(&task).expect("serialises");
            let ours = TaskJson::task(&task);
            prop_assert_eq!(ours.bytes(), &expected[..]);
        }

        #[test]
        fn a_list_has_the_bytes_of_its_serialize_derive(
            tasks in proptest::collection::vec(task(), 0..4),
            next_cursor in proptest::option::of(text()),
        ) {
            let list = TaskList { tasks, next_cursor };
            let expected = serde_json::to_vec(&list).expect("serialises");
            let ours = TaskJson::list(&list);
            prop_assert_eq!(ours.bytes(), &expected[..]);
        }
    }
}
