"""Schemathesis hooks for .ci/contract.sh: the two values that are valid per the OpenAPI
document yet refused by design, made unique or left out so that "schema-valid request
rejected" (positive_data_acceptance) keeps checking everything else on these operations.

Only values that already match the documented schema are touched; schema-invalid ones
(negative tests) are sent as generated.
"""

import re
import uuid

import schemathesis

# The documented patterns (crates/api/src/routes/tasks/params.rs).
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,2048}")
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")


@schemathesis.hook
def before_call(context, case, kwargs):
    label = f"{case.method.upper()} {case.path}"
    if label == "GET /api/{user_id}/tasks":
        # `cursor` is opaque: only a `next_cursor` this service issued (for the same `sort`) is
        # a cursor; any other well-formed string is refused with 422 `validation_failed`, as
        # documented. A generator cannot invent one, so a schema-valid cursor is left out.
        # Malformed ones (negative tests) are still sent.
        query = case.query or {}
        cursor = query.get("cursor")
        if isinstance(cursor, str) and CURSOR.fullmatch(cursor):
            del query["cursor"]
    elif label == "POST /api/{user_id}/tasks":
        # Reusing an `Idempotency-Key` with a different body is refused with 422
        # `idempotency_key_reused`, as documented; the generator reuses short keys ("0") across
        # different bodies. A schema-valid key is made unique per request; malformed keys
        # (negative tests) are still sent.
        headers = case.headers or {}
        key = headers.get("Idempotency-Key")
        if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
            headers["Idempotency-Key"] = f"st-{uuid.uuid4()}"
