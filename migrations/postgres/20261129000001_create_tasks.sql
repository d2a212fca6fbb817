-- Tasks owned by one user each. Every query filters on user_id, so the
-- (user_id, sort key, id) indexes below serve both ownership and keyset pagination.
CREATE TABLE tasks (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             TEXT NOT NULL,
    -- "C" collation: byte order, the same order SQLite's BINARY collation gives.
    title               TEXT COLLATE "C" NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description         TEXT CHECK (description IS NULL OR char_length(description) <= 1000),
    completed           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    -- Optional client-chosen key of the POST that created the task, so a retried
    -- POST returns this task instead of creating a second one.
    idempotency_key     TEXT,
    request_fingerprint TEXT,
    CONSTRAINT tasks_user_idempotency_key UNIQUE (user_id, idempotency_key)
);

CREATE INDEX tasks_user_created ON tasks (user_id, created_at, id);
CREATE INDEX tasks_user_updated ON tasks (user_id, updated_at, id);
CREATE INDEX tasks_user_title ON tasks (user_id, title, id);
