"""A JWKS endpoint on loopback that counts its fetches, for the benchmark and the JWKS stress runs.

Runs in a thread of the benchmark process: the benchmark publishes keys (a rotation) and reads
the fetch count directly, with no admin protocol. Serves GET /api/auth/jwks, the Better Auth path.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWKS_PATH = "/api/auth/jwks"


class JwksServer:
    def __init__(self):
        self._lock = threading.Lock()
        self._keys: list[dict] = []
        self._fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if self.path.split("?")[0] != JWKS_PATH:
                    self.send_error(404)
                    return
                body = server._document()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self.jwks_url = self.url + JWKS_PATH
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def _document(self) -> bytes:
        with self._lock:
            self._fetches += 1
            return json.dumps({"keys": list(self._keys)}).encode()

    def publish(self, jwk: dict) -> None:
        """Adds a key to the set: from now on fetches return it."""
        with self._lock:
            self._keys.append(jwk)

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def close(self) -> None:
        self._httpd.shutdown()
