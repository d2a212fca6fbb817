-- A user is the pair (identity provider, user id): the same user id issued by two providers is
-- two users. Tasks get the provider that verified their owner's token; every index serving
-- ownership starts with (provider, user_id), and Idempotency-Keys are unique per such owner.
--
-- Rows written before this migration have no provider: they get '' ("unassigned"). The service
-- gives them to the identity provider it is configured with when that is exactly one (what a
-- deployment with one Better Auth provider expects: its users keep their tasks); with several
-- providers they stay unassigned, visible to nobody, until the operator names their provider
-- (see the README's upgrade note).
--
-- Expand only, so that replicas of the previous version keep working during a rolling update:
-- they insert with `ON CONFLICT (user_id, idempotency_key)`, so that column and its constraint
-- stay (new rows leave it NULL) and their rows get the default provider '', which the service
-- assigns like the rows above. The per-owner key lives in owner_idempotency_key.
ALTER TABLE tasks ADD COLUMN provider TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN owner_idempotency_key TEXT;

CREATE UNIQUE INDEX tasks_owner_idempotency_key ON tasks (provider, user_id, owner_idempotency_key);

DROP INDEX tasks_user_created;
DROP INDEX tasks_user_updated;
DROP INDEX tasks_user_title;
CREATE INDEX tasks_owner_created ON tasks (provider, user_id, created_at, id);
CREATE INDEX tasks_owner_updated ON tasks (provider, user_id, updated_at, id);
CREATE INDEX tasks_owner_title ON tasks (provider, user_id, title, id);
