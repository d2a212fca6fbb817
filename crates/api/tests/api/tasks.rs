//! The task contract (routes, statuses, bodies), run against PostgreSQL and SQLite alike: every route and
//! status, ownership across two users, validation, filters, sort, pagination under concurrent
//! inserts, and idempotent creates.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, assert_problem, assert_validation_failed, header};

crate::on_both_backends!(
    create_returns_201_with_location_and_the_trimmed_task,
    read_replace_patch_and_delete_a_task,
    complete_toggles_back_and_forth,
    list_filters_by_completed_and_sorts,
    pagination_visits_every_task_once_while_tasks_are_added,
    user_cannot_read_change_or_delete_another_users_task,
    unknown_or_malformed_task_ids_are_404,
    invalid_fields_are_all_named_in_one_422,
    malformed_json_is_400_wrong_type_415_and_oversized_413,
    idempotency_key_returns_the_first_task_on_retry,
    concurrent_retries_with_one_key_create_one_task,
);

async fn create_returns_201_with_location_and_the_trimmed_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .as_user("alice", Method::POST, "/api/alice/tasks")
        .json(&json!({"title": "  Buy milk  ", "description": "2 litres"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header(&response, "location");
    let task: Value = response.json().await.expect("json");
    assert_eq!(location, format!("/api/alice/tasks/{}", task["id"]));
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["description"], "2 litres");
    assert_eq!(task["completed"], false);
    assert_eq!(task["user_id"], "alice");
    assert_eq!(task["created_at"], task["updated_at"]);
    let created = task["created_at"].as_str().expect("timestamp");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'),
        "{created}"
    );

    let fetched = app.get_json_as("alice", &location).await;
    assert_eq!(fetched, task);
}

async fn read_replace_patch_and_delete_a_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let task = app.create_task("alice", "draft").await;
    let path = format!("/api/alice/tasks/{}", task["id"]);

    let replaced = app
        .as_user("alice", Method::PUT, &path)
        .json(&json!({"title": "final", "description": "text", "completed": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(replaced.status(), StatusCode::OK);
    let replaced: Value = replaced.json().await.expect("json");
    assert_eq!(
        (replaced["title"].as_str(), replaced["description"].as_str()),
        (Some("final"), Some("text"))
    );
    assert_eq!(replaced["completed"], true);
    assert!(replaced["updated_at"].as_str() >= task["updated_at"].as_str());

    // PUT without description clears it; completed stays as it was.
    let cleared: Value = app
        .as_user("alice", Method::PUT, &path)
        .json(&json!({"title": "final"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["completed"], true);

    let patched = app
        .as_user("alice", Method::PATCH, &path)
        .json(&json!({"description": "only this"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), StatusCode::OK);
    let patched: Value = patched.json().await.expect("json");
    assert_eq!(patched["title"], "final");
    assert_eq!(patched["description"], "only this");

    let deleted = app
        .as_user("alice", Method::DELETE, &path)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(deleted.bytes().await.expect("body").is_empty());
    let gone = app.get_as("alice", &path).await;
    assert_problem(gone, StatusCode::NOT_FOUND, "task_not_found").await;
    let again = app
        .as_user("alice", Method::DELETE, &path)
        .send()
        .await
        .expect("sent");
    assert_problem(again, StatusCode::NOT_FOUND, "task_not_found").await;
}

async fn complete_toggles_back_and_forth(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let task = app.create_task("alice", "toggle me").await;
    let path = format!("/api/alice/tasks/{}/complete", task["id"]);
    for expected in [true, false, true] {
        let response = app
            .as_user("alice", Method::PATCH, &path)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["completed"], expected);
    }
}

async fn list(app: &TestApp, user: &str, query: &str) -> Value {
    let response = app.get_as(user, &format!("/api/{user}/tasks{query}")).await;
    assert_eq!(response.status(), StatusCode::OK, "{query}");
    response.json().await.expect("json")
}

fn titles(page: &Value) -> Vec<String> {
    page["tasks"]
        .as_array()
        .expect("tasks array")
        .iter()
        .map(|t| t["title"].as_str().expect("title").to_owned())
        .collect()
}

async fn list_filters_by_completed_and_sorts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for title in ["b", "c", "a", "B"] {
        app.create_task("alice", title).await;
    }
    let page = list(&app, "alice", "").await;
    assert_eq!(
        titles(&page),
        ["b", "c", "a", "B"],
        "default: creation order"
    );
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(
        titles(&list(&app, "alice", "?sort=-created_at").await),
        ["B", "a", "c", "b"]
    );
    // Byte order on both engines: upper case before lower case.
    assert_eq!(
        titles(&list(&app, "alice", "?sort=title").await),
        ["B", "a", "b", "c"]
    );

    let c_id = list(&app, "alice", "?sort=title").await["tasks"][3]["id"].clone();
    let toggled = app
        .as_user(
            "alice",
            Method::PATCH,
            &format!("/api/alice/tasks/{c_id}/complete"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(toggled.status(), StatusCode::OK);
    assert_eq!(titles(&list(&app, "alice", "?completed=true").await), ["c"]);
    assert_eq!(
        titles(&list(&app, "alice", "?completed=false&sort=title").await),
        ["B", "a", "b"]
    );
    assert_eq!(
        titles(&list(&app, "alice", "?sort=updated_at").await)
            .last()
            .map(String::as_str),
        Some("c")
    );
    assert_eq!(titles(&list(&app, "alice", "?limit=2").await), ["b", "c"]);
}

async fn pagination_visits_every_task_once_while_tasks_are_added(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut before = HashSet::new();
    for n in 0..25 {
        before.insert(
            app.create_task("alice", &format!("task {n:02}")).await["id"]
                .as_i64()
                .expect("id"),
        );
    }
    for sort in ["created_at", "-created_at", "title", "updated_at"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("?limit=4&sort={sort}&cursor={cursor}"),
                None => format!("?limit=4&sort={sort}"),
            };
            // Another client keeps adding tasks while we page.
            let late = format!("late {sort} {pages}");
            let (page, _) =
                tokio::join!(list(&app, "alice", &query), app.create_task("alice", &late));
            pages += 1;
            let tasks = page["tasks"].as_array().expect("tasks");
            assert!(tasks.len() <= 4);
            seen.extend(tasks.iter().map(|t| t["id"].as_i64().expect("id")));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
            assert!(pages < 100, "pagination does not end");
        }
        let unique: HashSet<_> = seen.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seen.len(),
            "sort={sort}: a task appeared twice"
        );
        assert!(
            before.is_subset(&unique),
            "sort={sort}: a task that existed before paging was skipped"
        );
    }
}

async fn user_cannot_read_change_or_delete_another_users_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let bobs = app.create_task("bob", "bob's secret").await;
    app.create_task("alice", "alice's").await;
    let id = &bobs["id"];
    // Alice, with her own valid token, on her own path, naming Bob's task id.
    let attempts = [
        (Method::GET, format!("/api/alice/tasks/{id}"), None),
        (
            Method::PUT,
            format!("/api/alice/tasks/{id}"),
            Some(json!({"title": "pwned"})),
        ),
        (
            Method::PATCH,
            format!("/api/alice/tasks/{id}"),
            Some(json!({"title": "pwned"})),
        ),
        (
            Method::PATCH,
            format!("/api/alice/tasks/{id}/complete"),
            None,
        ),
        (Method::DELETE, format!("/api/alice/tasks/{id}"), None),
    ];
    for (method, path, body) in attempts {
        let mut request = app.as_user("alice", method.clone(), &path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("sent");
        assert_problem(response, StatusCode::NOT_FOUND, "task_not_found").await;
    }
    assert_eq!(titles(&list(&app, "alice", "").await), ["alice's"]);
    // Alice on Bob's path: 403, whatever the route.
    let response = app.get_as("alice", "/api/bob/tasks").await;
    assert_problem(response, StatusCode::FORBIDDEN, "user_mismatch").await;
    let response = app
        .as_user("alice", Method::DELETE, &format!("/api/bob/tasks/{id}"))
        .send()
        .await
        .expect("sent");
    assert_problem(response, StatusCode::FORBIDDEN, "user_mismatch").await;
    // Bob's task is untouched.
    let bob_view = app
        .get_json_as("bob", &format!("/api/bob/tasks/{id}"))
        .await;
    assert_eq!(bob_view, bobs);
}

async fn unknown_or_malformed_task_ids_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for id in ["999999", "0", "-1", "abc", "1.5", "99999999999999999999"] {
        let response = app.get_as("alice", &format!("/api/alice/tasks/{id}")).await;
        assert_problem(response, StatusCode::NOT_FOUND, "task_not_found").await;
    }
}

async fn invalid_fields_are_all_named_in_one_422(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        (
            json!({"title": "   ", "description": "x".repeat(1001), "priority": 1}),
            vec!["description", "priority", "title"],
        ),
        (json!({"description": "no title"}), vec!["title"]),
        (json!({"title": "t".repeat(201)}), vec!["title"]),
        (
            json!({"title": 5, "description": false}),
            vec!["description", "title"],
        ),
        (json!(["not", "an", "object"]), vec!["body"]),
    ];
    for (body, expected) in cases {
        let response = app
            .as_user("alice", Method::POST, "/api/alice/tasks")
            .json(&body)
            .send()
            .await
            .expect("sent");
        let mut fields = assert_validation_failed(response).await;
        fields.sort();
        assert_eq!(fields, expected, "{body}");
    }
    // Exactly at the limits is fine.
    let response = app
        .as_user("alice", Method::POST, "/api/alice/tasks")
        .json(&json!({"title": "t".repeat(200), "description": "d".repeat(1000)}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);

    let task = app.create_task("alice", "x").await;
    let response = app
        .as_user(
            "alice",
            Method::PATCH,
            &format!("/api/alice/tasks/{}", task["id"]),
        )
        .json(&json!({"completed": "yes", "title": ""}))
        .send()
        .await
        .expect("sent");
    let mut fields = assert_validation_failed(response).await;
    fields.sort();
    assert_eq!(fields, ["completed", "title"]);

    let response = app
        .get_as(
            "alice",
            "/api/alice/tasks?limit=0&completed=maybe&sort=priority&cursor=garbage",
        )
        .await;
    assert_eq!(
        assert_validation_failed(response).await,
        ["limit", "completed", "sort", "cursor"]
    );
}

async fn malformed_json_is_400_wrong_type_415_and_oversized_413(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let post = |body: Vec<u8>, content_type: &str| {
        app.as_user("alice", Method::POST, "/api/alice/tasks")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let response = post(b"{\"title\": \"unterminated".to_vec(), "application/json")
        .await
        .expect("sent");
    assert_problem(response, StatusCode::BAD_REQUEST, "malformed_json").await;
    let response = post(b"title=form".to_vec(), "application/x-www-form-urlencoded")
        .await
        .expect("sent");
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let huge = format!(
        "{{\"title\": \"t\", \"description\": \"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let response = post(huge.into_bytes(), "application/json")
        .await
        .expect("sent");
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    // A `+json` media type is JSON too.
    let response = post(
        br#"{"title": "ok"}"#.to_vec(),
        "application/merge-patch+json",
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
}

async fn idempotency_key_returns_the_first_task_on_retry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let send = |key: &'static str, title: &'static str| {
        app.as_user("alice", Method::POST, "/api/alice/tasks")
            .header("idempotency-key", key)
            .json(&json!({"title": title}))
            .send()
    };
    let first = send("retry-1", "pay rent").await.expect("sent");
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.expect("json");
    let retry = send("retry-1", "pay rent").await.expect("sent");
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let retry: Value = retry.json().await.expect("json");
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(titles(&list(&app, "alice", "").await), ["pay rent"]);

    let reused = send("retry-1", "something else").await.expect("sent");
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    // Keys are per user: Bob may use the same key.
    let bobs = app
        .as_user("bob", Method::POST, "/api/bob/tasks")
        .header("idempotency-key", "retry-1")
        .json(&json!({"title": "pay rent"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(bobs.status(), StatusCode::CREATED);
    assert!(bobs.headers().get("idempotent-replayed").is_none());
}

async fn concurrent_retries_with_one_key_create_one_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let attempts = (0..8).map(|_| {
        app.as_user("alice", Method::POST, "/api/alice/tasks")
            .header("idempotency-key", "burst")
            .json(&json!({"title": "once"}))
            .send()
    });
    let responses = futures_join_all(attempts).await;
    let mut ids = HashSet::new();
    for response in responses {
        let response = response.expect("sent");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.expect("json");
        ids.insert(body["id"].as_i64().expect("id"));
    }
    assert_eq!(ids.len(), 1, "one task for one key");
    assert_eq!(titles(&list(&app, "alice", "").await), ["once"]);
}

/// Runs futures concurrently on this task (no extra dependency for `join_all`).
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("task did not panic"));
    }
    outputs
}

#[tokio::test]
async fn user_ids_with_url_special_characters_work_end_to_end() {
    // Auth0 subjects look like `auth0|5f…`; e-mail-like ids and spaces must survive too.
    let app = TestApp::spawn(Backend::Sqlite).await;
    for user in ["auth0|5f7c8ec7", "alice@example.com", "name with space"] {
        let encoded: String = url::form_urlencoded::byte_serialize(user.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        let response = app
            .as_user(user, Method::POST, &format!("/api/{encoded}/tasks"))
            .json(&json!({"title": "mine"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::CREATED, "{user}");
        let location = header(&response, "location");
        let task: Value = response.json().await.expect("json");
        assert_eq!(task["user_id"], user);
        let fetched = app.get_as(user, &location).await;
        assert_eq!(fetched.status(), StatusCode::OK, "{location}");
    }
}
