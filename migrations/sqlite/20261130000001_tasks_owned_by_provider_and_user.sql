-- Same change as migrations/postgres: tasks are owned by (provider, user_id); rows written
-- before get provider '' ("unassigned"), which the service gives to its identity provider when
-- exactly one is configured. SQLite cannot drop a table constraint, so the table is rebuilt
-- (inside the migration's transaction) with the same ids.
CREATE TABLE tasks_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    provider            TEXT NOT NULL DEFAULT '',
    user_id             TEXT NOT NULL,
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description         TEXT CHECK (description IS NULL OR length(description) <= 1000),
    completed           BOOLEAN NOT NULL DEFAULT 0 CHECK (completed IN (0, 1)),
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    idempotency_key     TEXT,
    request_fingerprint TEXT,
    CONSTRAINT tasks_owner_idempotency_key UNIQUE (provider, user_id, idempotency_key)
);

INSERT INTO tasks_new (id, provider, user_id, title, description, completed, created_at, updated_at,
                       idempotency_key, request_fingerprint)
SELECT id, '', user_id, title, description, completed, created_at, updated_at,
       idempotency_key, request_fingerprint
FROM tasks;

-- AUTOINCREMENT never reuses the id of a deleted task; carry its high-water mark over (the
-- rename below moves this row to the new name).
DELETE FROM sqlite_sequence WHERE name = 'tasks_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'tasks_new', seq FROM sqlite_sequence WHERE name = 'tasks';

DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;

CREATE INDEX tasks_owner_created ON tasks (provider, user_id, created_at, id);
CREATE INDEX tasks_owner_updated ON tasks (provider, user_id, updated_at, id);
CREATE INDEX tasks_owner_title ON tasks (provider, user_id, title, id);
