//! Validation of task bodies (title 1–200 characters after trimming, description ≤ 1000
//! characters or null): checks every member and reports every problem, so a 422 names each bad
//! field. Unknown members are refused: a typo must not be silently ignored.

use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

use crate::db::tasks::{Changes, NewTask};
use crate::error::{ApiError, FieldError};

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 1000;

/// Which route the body is for; each allows different members.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// POST: `title` required, `description` optional.
    Create,
    /// PUT: `title` required, `description` absent = null, `completed` absent = unchanged.
    Replace,
    /// PATCH: any of the three.
    Patch,
}

impl Kind {
    fn allowed(self) -> &'static [&'static str] {
        match self {
            Kind::Create => &["title", "description"],
            Kind::Replace | Kind::Patch => &["title", "description", "completed"],
        }
    }
}

/// White space as `str::trim` sees it (the Unicode White_Space property), for JSON Schema
/// patterns: `\s` means something else in ECMAScript, Python and Rust.
const WHITE_SPACE: &str =
    r"\u0009-\u000D\u0020\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// The title rule as a JSON Schema pattern: white space around a core that starts and ends
/// with a character that is not white space, is 1–200 characters long, and holds no U+0000.
/// (`maxLength` cannot say this: the white space around the core does not count.)
pub fn title_pattern() -> String {
    let ws = WHITE_SPACE;
    format!(
        "^[{ws}]*[^{ws}\\u0000](?:[^\\u0000]{{0,{inner}}}[^{ws}\\u0000])?[{ws}]*$",
        inner = TITLE_MAX - 2
    )
}

fn title_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "1–{TITLE_MAX} characters after trimming leading and trailing white space, which \
             is not stored; must not contain U+0000. Not nullable."
        )))
        .pattern(Some(title_pattern()))
        .build()
}

fn description_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some(format!(
            "At most {DESCRIPTION_MAX} characters, stored as sent; must not contain U+0000. \
             null clears it."
        )))
        .max_length(Some(DESCRIPTION_MAX))
        .pattern(Some(r"^[^\u0000]*$"))
        .build()
}

/// Body of `POST /api/{user_id}/tasks`. Unknown members are refused (422).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    #[schema(schema_with = title_schema)]
    pub title: String,
    /// Absent or null: no description.
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
}

/// Body of `PUT /api/{user_id}/tasks/{id}`: `description` absent means null,
/// `completed` absent means unchanged. Unknown members are refused (422).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceTask {
    #[schema(schema_with = title_schema)]
    pub title: String,
    #[schema(schema_with = description_schema)]
    pub description: Option<String>,
    /// Not nullable: absent keeps the current value.
    #[schema(nullable = false)]
    pub completed: Option<bool>,
}

/// Body of `PATCH /api/{user_id}/tasks/{id}`: only the members present change;
/// `"description": null` clears the description. Unknown members are refused (422).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTask {
    #[schema(schema_with = title_schema)]
    pub title: Option<String>,
    #[schema(schema_with = description_schema)]
    pub description: Option<Option<String>>,
    /// Not nullable: absent keeps the current value.
    #[schema(nullable = false)]
    pub completed: Option<bool>,
}

impl From<CreateTask> for NewTask {
    fn from(body: CreateTask) -> NewTask {
        NewTask {
            title: body.title,
            description: body.description,
        }
    }
}

impl From<ReplaceTask> for Changes {
    fn from(body: ReplaceTask) -> Changes {
        Changes {
            title: Some(body.title),
            description: Some(body.description),
            completed: body.completed,
        }
    }
}

impl From<PatchTask> for Changes {
    fn from(body: PatchTask) -> Changes {
        Changes {
            title: body.title,
            description: body.description,
            completed: body.completed,
        }
    }
}

pub fn create(body: &Value) -> Result<CreateTask, ApiError> {
    let fields = validate(body, Kind::Create)?;
    Ok(CreateTask {
        title: fields.title.unwrap_or_default(),
        description: fields.description.flatten(),
    })
}

pub fn replace(body: &Value) -> Result<ReplaceTask, ApiError> {
    let fields = validate(body, Kind::Replace)?;
    Ok(ReplaceTask {
        title: fields.title.unwrap_or_default(),
        description: fields.description.flatten(),
        completed: fields.completed,
    })
}

pub fn patch(body: &Value) -> Result<PatchTask, ApiError> {
    let fields = validate(body, Kind::Patch)?;
    Ok(PatchTask {
        title: fields.title,
        description: fields.description,
        completed: fields.completed,
    })
}

fn validate(body: &Value, kind: Kind) -> Result<Changes, ApiError> {
    let Value::Object(members) = body else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]));
    };
    let mut errors = Vec::new();
    for name in members.keys() {
        if !kind.allowed().contains(&name.as_str()) {
            errors.push(FieldError::new(
                name.clone(),
                format!("unknown field; allowed: {}", kind.allowed().join(", ")),
            ));
        }
    }
    let title = title(members, kind, &mut errors);
    let description = description(members, &mut errors);
    let completed = match members.get("completed") {
        None => None,
        // Already reported as an unknown field.
        Some(_) if kind == Kind::Create => None,
        Some(Value::Bool(value)) => Some(*value),
        Some(_) => {
            errors.push(FieldError::new("completed", "must be true or false"));
            None
        }
    };
    if errors.is_empty() {
        Ok(Changes {
            title,
            description,
            completed,
        })
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn title(members: &Map<String, Value>, kind: Kind, errors: &mut Vec<FieldError>) -> Option<String> {
    match members.get("title") {
        None if kind == Kind::Patch => None,
        None => {
            errors.push(FieldError::new("title", "is required"));
            None
        }
        Some(Value::String(text)) => {
            let trimmed = text.trim();
            let length = trimmed.chars().count();
            if !(1..=TITLE_MAX).contains(&length) {
                errors.push(FieldError::new(
                    "title",
                    format!("must be 1 to {TITLE_MAX} characters after trimming (got {length})"),
                ));
                None
            } else if trimmed.contains('\0') {
                errors.push(FieldError::new("title", "must not contain NUL characters"));
                None
            } else {
                Some(trimmed.to_owned())
            }
        }
        Some(_) => {
            errors.push(FieldError::new("title", "must be a string"));
            None
        }
    }
}

/// `None`: absent; `Some(None)`: null; `Some(Some(text))`: a description.
fn description(
    members: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match members.get("description") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(text)) => {
            let length = text.chars().count();
            if length > DESCRIPTION_MAX {
                errors.push(FieldError::new(
                    "description",
                    format!("must be at most {DESCRIPTION_MAX} characters (got {length})"),
                ));
                None
            } else if text.contains('\0') {
                errors.push(FieldError::new(
                    "description",
                    "must not contain NUL characters",
                ));
                None
            } else {
                Some(Some(text.clone()))
            }
        }
        Some(_) => {
            errors.push(FieldError::new("description", "must be a string or null"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(result: Result<impl std::fmt::Debug, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn title_is_trimmed_and_counted_in_characters() {
        let task = create(&json!({"title": format!("  {}  ", "é".repeat(200))})).expect("valid");
        assert_eq!(task.title.chars().count(), 200);
        assert!(create(&json!({"title": "é".repeat(201)})).is_err());
    }

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({"title": "   ", "description": 5, "colour": "red"});
        let mut named = fields(create(&body));
        named.sort();
        assert_eq!(named, ["colour", "description", "title"]);
    }

    #[test]
    fn create_refuses_completed_and_patch_accepts_it() {
        assert_eq!(
            fields(create(&json!({"title": "a", "completed": true}))),
            ["completed"]
        );
        let changes = patch(&json!({"completed": true})).expect("valid");
        assert_eq!(changes.completed, Some(true));
        assert!(changes.title.is_none());
    }

    #[test]
    fn patch_can_clear_the_description_and_put_clears_it_when_absent() {
        assert_eq!(
            patch(&json!({"description": null}))
                .expect("valid")
                .description,
            Some(None)
        );
        assert_eq!(patch(&json!({})).expect("valid").description, None);
        assert_eq!(
            replace(&json!({"title": "t"})).expect("valid").description,
            None
        );
    }

    #[test]
    fn completed_must_be_a_boolean() {
        assert_eq!(fields(patch(&json!({"completed": "yes"}))), ["completed"]);
        assert_eq!(fields(patch(&json!({"completed": null}))), ["completed"]);
    }

    /// Characters around the rules: white space per Rust but not per `\s` of other regex
    /// engines (U+0085, U+00A0, U+3000) and the reverse (U+FEFF, U+001C), NUL, multi-byte and
    /// astral characters (counted once each).
    const ALPHABET: [char; 12] = [
        'a', 'é', '😀', ' ', '\t', '\n', '\u{85}', '\u{a0}', '\u{3000}', '\u{feff}', '\u{1c}', '\0',
    ];

    /// The documented pattern, compiled once.
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(&title_pattern()).expect("the pattern compiles")
    });

    fn title_is_accepted(title: &str) -> bool {
        create(&json!({ "title": title })).is_ok()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(1000))]

        /// The documented pattern says exactly what the validation accepts.
        #[test]
        fn the_title_pattern_is_the_title_rule(
            chars in proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 0..=206),
            padding in 0usize..=198,
        ) {
            let pattern = &*PATTERN;
            let title: String = chars.iter().collect();
            proptest::prop_assert_eq!(pattern.is_match(&title), title_is_accepted(&title), "{:?}", title);
            // Lengths right at the limit, with white space around.
            let long = format!(" {}{} \n", "x".repeat(padding), title);
            proptest::prop_assert_eq!(pattern.is_match(&long), title_is_accepted(&long), "{:?}", long);
        }
    }

    #[test]
    fn the_title_pattern_knows_the_edges() {
        let pattern = &*PATTERN;
        for (title, valid) in [
            ("a", true),
            ("  a  ", true),
            ("", false),
            ("   ", false),
            ("\u{3000}a\u{85}", true),
            ("\u{feff}", true),
            ("a\0b", false),
        ] {
            assert_eq!(pattern.is_match(title), valid, "{title:?}");
            assert_eq!(title_is_accepted(title), valid, "{title:?}");
        }
        let edge = format!("\t{}\t", "😀".repeat(TITLE_MAX));
        assert!(pattern.is_match(&edge) && title_is_accepted(&edge));
        let over = "😀".repeat(TITLE_MAX + 1);
        assert!(!pattern.is_match(&over) && !title_is_accepted(&over));
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused() {
        assert_eq!(fields(patch(&json!([1, 2]))), ["body"]);
    }
}
