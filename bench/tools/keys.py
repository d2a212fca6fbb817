"""Signing keys and tokens for the benchmark: Ed25519 keys, their public JWKs, EdDSA tokens.

Tokens carry what both services check (iss, aud, exp, iat, sub, user_id) and a unique jti, so
a pool of tokens is a pool of distinct strings that no cache can fold together.
"""

import base64
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

TOKEN_TTL_SECONDS = 4 * 3600  # outlives the longest benchmark run


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SigningKey:
    """One Ed25519 key pair and the kid it is published under."""

    def __init__(self, kid: str):
        self.kid = kid
        self._private = Ed25519PrivateKey.generate()

    def public_jwk(self) -> dict:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        x = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(x), "kid": self.kid, "alg": "EdDSA", "use": "sig"}

    def mint(self, issuer: str, audience: str, user: str, kid: str | None = None) -> str:
        """A valid EdDSA token for `user`; `kid` overrides the header kid (for unknown-kid tests)."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience,
            "sub": user,
            "user_id": user,
            "iat": now,
            "exp": now + TOKEN_TTL_SECONDS,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._private, algorithm="EdDSA", headers={"kid": kid or self.kid, "typ": "JWT"})
