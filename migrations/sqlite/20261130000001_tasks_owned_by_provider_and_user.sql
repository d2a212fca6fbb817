-- Same change as migrations/postgres: tasks are owned by (provider, user_id), rows written
-- before get provider '' ("unassigned", given by the service to its identity provider when
-- exactly one is configured), and Idempotency-Keys are unique per owner in
-- owner_idempotency_key. The previous version's column and constraint stay for its replicas
-- during a rolling update.
ALTER TABLE tasks ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN owner_idempotency_key TEXT;

CREATE UNIQUE INDEX tasks_owner_idempotency_key ON tasks (provider, user_id, owner_idempotency_key);

DROP INDEX tasks_user_created;
DROP INDEX tasks_user_updated;
DROP INDEX tasks_user_title;
CREATE INDEX tasks_owner_created ON tasks (provider, user_id, created_at, id);
CREATE INDEX tasks_owner_updated ON tasks (provider, user_id, updated_at, id);
CREATE INDEX tasks_owner_title ON tasks (provider, user_id, title, id);
