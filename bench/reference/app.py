"""The FastAPI backend the seed documents describe, rebuilt as the benchmark's reference.

It follows the seeds' own design, piece by piece, so the comparison is against what users run
today and not against a straw man:

* keys come from a ``PyJWKClient`` kept for one hour (``get_jwks_client`` of the seeds'
  "Intermittent 401 Errors" fix), the client itself caching the JWK set;
* ``verify_token`` calls ``get_signing_key_from_jwt`` then ``jwt.decode`` with
  ``algorithms=["EdDSA", "ES256", "RS256"]`` and returns ``user_id`` or ``sub``;
* the ``JWTBearer(HTTPBearer)`` dependency puts the user into ``request.state``;
* ``GET /api/{user_id}/tasks`` compares the path user with the token user (403 otherwise)
  and reads the user's tasks from SQLite, the same store backend-api uses in the benchmark.

One deliberate addition: ``jwt.decode`` is given the expected issuer and audience. The seeds
omit them, but backend-api checks both, and the reference must do the same work per request.

Run by bench/run as ``uvicorn app:app`` with REFERENCE_DB, BETTER_AUTH_JWKS_URL,
BETTER_AUTH_ISSUER and BETTER_AUTH_AUDIENCE set.
"""

import os
import sqlite3
import time

import jwt
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPBearer
from jwt import PyJWKClient

BETTER_AUTH_URL = os.getenv("BETTER_AUTH_URL", "http://localhost:3000")
JWKS_URL = os.getenv("BETTER_AUTH_JWKS_URL") or f"{BETTER_AUTH_URL}/api/auth/jwks"
ISSUER = os.environ["BETTER_AUTH_ISSUER"]
AUDIENCE = os.environ["BETTER_AUTH_AUDIENCE"]
DATABASE = os.environ["REFERENCE_DB"]

JWKS_CACHE_TTL = 3600  # one hour, as in the seeds
_jwks_cache = {"client": None, "fetched_at": 0.0}


def get_jwks_client() -> PyJWKClient:
    """The seeds' cached client: a new PyJWKClient at most once an hour."""
    now = time.time()
    if _jwks_cache["client"] is None or (now - _jwks_cache["fetched_at"]) > JWKS_CACHE_TTL:
        _jwks_cache["client"] = PyJWKClient(JWKS_URL, lifespan=JWKS_CACHE_TTL)
        _jwks_cache["fetched_at"] = now
    return _jwks_cache["client"]


def verify_token(token: str) -> str | None:
    try:
        signing_key = get_jwks_client().get_signing_key_from_jwt(token)
        payload = jwt.decode(
            token,
            signing_key.key,
            algorithms=["EdDSA", "ES256", "RS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
        )
        return payload.get("user_id") or payload.get("sub")
    except jwt.PyJWTError:
        return None


class JWTBearer(HTTPBearer):
    async def __call__(self, request: Request):
        credentials = await super().__call__(request)
        if not credentials or credentials.scheme != "Bearer":
            raise HTTPException(status_code=401, detail="Invalid auth scheme")
        user_id = verify_token(credentials.credentials)
        if not user_id:
            raise HTTPException(status_code=401, detail="Invalid token")
        request.state.user_id = user_id
        request.state.authenticated = True
        return credentials.credentials


async def get_current_user(request: Request) -> str:
    if not hasattr(request.state, "user_id"):
        raise HTTPException(status_code=401, detail="Not authenticated")
    return request.state.user_id


# One connection per worker process; each uvicorn worker imports this module on its own.
_db = sqlite3.connect(DATABASE, check_same_thread=False)
_db.row_factory = sqlite3.Row

app = FastAPI()


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/api/{user_id}/tasks", dependencies=[Depends(JWTBearer())])
async def get_tasks(user_id: str, current_user: str = Depends(get_current_user)):
    if user_id != current_user:
        raise HTTPException(status_code=403, detail="Forbidden")
    rows = _db.execute(
        "SELECT id, user_id, title, description, completed, created_at, updated_at "
        "FROM tasks WHERE user_id = ? ORDER BY created_at DESC LIMIT 50",
        (user_id,),
    ).fetchall()
    tasks = [dict(row, completed=bool(row["completed"])) for row in rows]
    return {"tasks": tasks, "next_cursor": None}
