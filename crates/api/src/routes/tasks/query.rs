//! The list route's query string (`completed`, `limit`, `cursor`, `sort`) and its opaque cursor.
//!
//! The cursor is keyset pagination: it holds the last row's sort value and id, and the next
//! page starts strictly after that pair. Tasks added meanwhile therefore never shift a page
//! (no duplicates, no skips), unlike an offset. It is base64url JSON; it is not signed because
//! it only selects among the caller's own rows, which the SQL filters on anyway.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::db::DbTime;
use crate::db::tasks::{After, ListQuery, Sort, SortKey, TaskRow};
use crate::error::{ApiError, FieldError};

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
/// Longest cursor accepted; ours are far shorter (a title is at most 200 characters).
pub const MAX_CURSOR_CHARS: usize = 2048;

/// Every accepted `sort` value, the default first (the OpenAPI enum is this list).
pub const SORTS: [&str; 6] = [
    "created_at",
    "-created_at",
    "title",
    "-title",
    "updated_at",
    "-updated_at",
];

/// What a cursor carries.
#[derive(Serialize, Deserialize)]
struct CursorData {
    #[serde(rename = "s")]
    sort: Sort,
    /// Sort value of a time column, in microseconds.
    #[serde(rename = "t", skip_serializing_if = "Option::is_none")]
    time: Option<i64>,
    /// Sort value of a text column.
    #[serde(rename = "x", skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(rename = "i")]
    id: i64,
}

/// Parses the query string, naming every bad parameter.
pub fn parse(raw: Option<&str>) -> Result<ListQuery, ApiError> {
    parse_pairs(url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()))
}

/// Parses `(name, value)` parameters (a query string's, or an MCP tool's arguments as text).
pub fn parse_pairs<'a>(
    pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
) -> Result<ListQuery, ApiError> {
    let mut completed = None;
    let mut limit = DEFAULT_LIMIT;
    let mut cursor = None;
    let mut sort = Sort {
        key: SortKey::CreatedAt,
        descending: false,
    };
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name) {
            errors.push(FieldError::new(name.to_string(), "given more than once"));
            continue;
        }
        seen.push(name.clone());
        match name.as_ref() {
            "completed" => match value.as_ref() {
                "true" => completed = Some(true),
                "false" => completed = Some(false),
                _ => errors.push(FieldError::new("completed", "must be true or false")),
            },
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                )),
            },
            "sort" => match parse_sort(&value) {
                Some(parsed) => sort = parsed,
                None => errors.push(FieldError::new(
                    "sort",
                    format!("must be one of: {}", SORTS.join(", ")),
                )),
            },
            "cursor" => cursor = Some(value.into_owned()),
            // Unknown parameters are ignored, as caches and proxies add their own.
            _ => {}
        }
    }
    let after = match cursor.as_deref().map(|text| decode_cursor(text, sort)) {
        None => None,
        Some(Ok(after)) => Some(after),
        Some(Err(message)) => {
            errors.push(FieldError::new("cursor", message));
            None
        }
    };
    if errors.is_empty() {
        Ok(ListQuery {
            completed,
            sort,
            after,
            limit,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn parse_sort(text: &str) -> Option<Sort> {
    let (descending, column) = match text.strip_prefix('-') {
        Some(column) => (true, column),
        None => (false, text),
    };
    let key = match column {
        "created_at" => SortKey::CreatedAt,
        "updated_at" => SortKey::UpdatedAt,
        "title" => SortKey::Title,
        _ => return None,
    };
    Some(Sort { key, descending })
}

fn decode_cursor(text: &str, sort: Sort) -> Result<After, String> {
    const INVALID: &str = "is not a cursor returned by this API (use next_cursor as is)";
    if text.len() > MAX_CURSOR_CHARS {
        return Err(INVALID.to_owned());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| INVALID.to_owned())?;
    let data: CursorData = serde_json::from_slice(&bytes).map_err(|_| INVALID.to_owned())?;
    if data.sort != sort {
        return Err(
            "was issued for another sort order; pass the same sort as for the first page"
                .to_owned(),
        );
    }
    match (sort.key, data.time, data.text) {
        (SortKey::CreatedAt | SortKey::UpdatedAt, Some(micros), None) => {
            DbTime::from_micros(micros)
                .map(|time| After::Time(time, data.id))
                .ok_or_else(|| INVALID.to_owned())
        }
        (SortKey::Title, None, Some(title)) => Ok(After::Text(title, data.id)),
        _ => Err(INVALID.to_owned()),
    }
}

/// The cursor of the page after `last`.
pub fn next_cursor(sort: Sort, last: &TaskRow) -> String {
    let (time, text) = match sort.key {
        SortKey::CreatedAt => (Some(last.created_at.micros()), None),
        SortKey::UpdatedAt => (Some(last.updated_at.micros()), None),
        SortKey::Title => (None, Some(last.title.clone())),
    };
    let data = CursorData {
        sort,
        time,
        text,
        id: last.id,
    };
    // Serialising plain fields cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&data).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(raw: &str) -> Vec<String> {
        match parse(Some(raw)) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
            Ok(_) => panic!("{raw} accepted"),
        }
    }

    #[test]
    fn defaults_are_fifty_by_creation() {
        let query = parse(None).expect("valid");
        assert_eq!(query.limit, 50);
        assert_eq!(query.sort.key, SortKey::CreatedAt);
        assert!(!query.sort.descending && query.completed.is_none() && query.after.is_none());
    }

    #[test]
    fn every_bad_parameter_is_named() {
        assert_eq!(
            bad("limit=0&completed=maybe&sort=colour&cursor=%%%"),
            ["limit", "completed", "sort", "cursor"]
        );
        assert_eq!(bad("limit=101"), ["limit"]);
    }

    #[test]
    fn the_documented_sorts_are_exactly_the_accepted_ones() {
        let parsed: Vec<Sort> = SORTS
            .iter()
            .map(|text| parse_sort(text).unwrap_or_else(|| panic!("{text} refused")))
            .collect();
        assert_eq!(parse(None).expect("valid").sort, parsed[0], "default first");
        // Three columns, two directions: every order the parser knows is listed once.
        for (i, a) in parsed.iter().enumerate() {
            assert!(!parsed[i + 1..].contains(a), "{} listed twice", SORTS[i]);
        }
        for refused in ["", "-", "--title", "Title", "id", "title ", "+title"] {
            assert!(parse_sort(refused).is_none(), "{refused:?} accepted");
        }
    }

    #[test]
    fn a_cursor_round_trips_and_is_tied_to_its_sort() {
        let sort = Sort {
            key: SortKey::Title,
            descending: true,
        };
        let row = TaskRow {
            id: 7,
            user_id: "u".into(),
            title: "b".into(),
            description: None,
            completed: false,
            created_at: DbTime::now(),
            updated_at: DbTime::now(),
        };
        let cursor = next_cursor(sort, &row);
        let query = parse(Some(&format!("sort=-title&cursor={cursor}"))).expect("valid");
        assert_eq!(query.after, Some(After::Text("b".into(), 7)));
        assert_eq!(bad(&format!("sort=title&cursor={cursor}")), ["cursor"]);
    }
}
