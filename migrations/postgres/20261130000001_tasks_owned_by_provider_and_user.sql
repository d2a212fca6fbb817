-- A user is the pair (identity provider, user id): the same user id issued by two providers is
-- two users. Tasks get the provider that verified their owner's token, and every index that
-- serves ownership starts with (provider, user_id).
--
-- Rows written before this migration have no provider: they get '' ("unassigned"). The service
-- gives them to the identity provider it is configured with when that is exactly one (what a
-- deployment with one Better Auth provider expects: its users keep their tasks); with several
-- providers they stay unassigned, visible to nobody, until the operator names their provider
-- (see the README's upgrade note). The default also covers a replica of the previous version
-- still inserting during a rolling upgrade; the service adopts those rows the same way.
ALTER TABLE tasks ADD COLUMN provider TEXT NOT NULL DEFAULT '';

ALTER TABLE tasks DROP CONSTRAINT tasks_user_idempotency_key;
ALTER TABLE tasks
    ADD CONSTRAINT tasks_owner_idempotency_key UNIQUE (provider, user_id, idempotency_key);

DROP INDEX tasks_user_created;
DROP INDEX tasks_user_updated;
DROP INDEX tasks_user_title;
CREATE INDEX tasks_owner_created ON tasks (provider, user_id, created_at, id);
CREATE INDEX tasks_owner_updated ON tasks (provider, user_id, updated_at, id);
CREATE INDEX tasks_owner_title ON tasks (provider, user_id, title, id);
