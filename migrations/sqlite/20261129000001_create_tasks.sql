-- Same table as migrations/postgres. Timestamps are fixed-width RFC 3339 UTC text
-- with microseconds ("2026-11-29T00:49:25.123456Z") so that text order is time order.
CREATE TABLE tasks (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id             TEXT NOT NULL,
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         TEXT CHECK (description IS NULL OR length(description) <= 1000),
    completed           BOOLEAN NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    idempotency_key     TEXT,
    request_fingerprint TEXT,
    CONSTRAINT tasks_user_idempotency_key UNIQUE (user_id, idempotency_key)
);

CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_title ON tasks (user_id, title, id);
