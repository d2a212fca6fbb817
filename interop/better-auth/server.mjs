// Better Auth, as a Next.js frontend would run it, reduced to an HTTP server for the interop tests.
//
// Real `better-auth` from npm with its `jwt` plugin, email + password sign-up, in-memory adapter.
// Listens on 127.0.0.1 only and prints one JSON line on stdout once listening:
//   {"event":"listening","port":<port>,"url":"http://127.0.0.1:<port>","base_url":"<public base URL>","alg":"<alg>"}
//
// Environment:
//   BA_PORT               port to listen on (default 0 = any free port)
//   BA_ALG                signing algorithm: EdDSA (default), ES256, ES384, ES512, RS256, PS256
//   BA_BASE_URL           public base URL Better Auth believes it has (default: its own loopback URL);
//                         Better Auth puts its origin into `iss` and `aud`
//   BA_SECRET             BETTER_AUTH_SECRET of this frontend (only encrypts private keys at rest)
//   BA_ROTATION_INTERVAL  jwks.rotationInterval in seconds (Better Auth's own periodic rotation; default off)
//   BA_GRACE_PERIOD       jwks.gracePeriod in seconds (how long a rotated key stays published)
//   INTEROP_EXIT_WITH_PARENT=1 exit when stdin closes, so a killed test run cannot leave this server behind
//
// Test-only control routes (loopback only, never part of a real deployment):
//   POST /__interop/rotate           creates a new signing key through the jwt plugin's createJwk;
//                                    tokens signed afterwards use it. -> {"kid": "..."}
//   POST /__interop/retire?kid=K     back-dates key K's expiry beyond the grace period, so Better Auth's
//                                    own JWKS filter stops publishing it. -> {"kid": "...", "retired": true}
//   POST /__interop/sign             body = JWT claims; Better Auth signs them with its current key through the
//                                    plugin's server-only signJWT (tests forge cross-provider tokens). -> {"token"}
//   GET  /__interop/stats            -> {"jwks_requests": n}: GETs of the JWKS endpoint served so far
import http from "node:http";
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { toNodeHandler } from "better-auth/node";
import { createJwk, jwt } from "better-auth/plugins/jwt";

// generateKeyPair options per JOSE algorithm; jose needs the curve only for EdDSA.
const KEY_PAIR_CONFIGS = {
  EdDSA: { alg: "EdDSA", crv: "Ed25519" },
  ES256: { alg: "ES256" },
  ES384: { alg: "ES384" },
  ES512: { alg: "ES512" },
  RS256: { alg: "RS256", modulusLength: 2048 },
  PS256: { alg: "PS256", modulusLength: 2048 },
};

function fail(message) {
  process.stderr.write(`better-auth interop server: ${message}\n`);
  process.exit(2);
}

function optionalSeconds(name) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number of seconds, got ${raw}`);
  return value;
}

const alg = process.env.BA_ALG || "EdDSA";
const keyPairConfig = KEY_PAIR_CONFIGS[alg];
if (!keyPairConfig) fail(`BA_ALG=${alg} is not one of ${Object.keys(KEY_PAIR_CONFIGS).join(", ")}`);
const port = Number(process.env.BA_PORT || 0);
const secret = process.env.BA_SECRET || "interop-better-auth-secret-0123456789abcdef";
const rotationInterval = optionalSeconds("BA_ROTATION_INTERVAL");
const gracePeriod = optionalSeconds("BA_GRACE_PERIOD");
// Better Auth's default grace period, used when retiring a key by hand.
const effectiveGraceSeconds = gracePeriod ?? 30 * 24 * 3600;

const jwtOptions = {
  jwks: {
    keyPairConfig,
    ...(rotationInterval ? { rotationInterval } : {}),
    ...(gracePeriod ? { gracePeriod } : {}),
  },
};

// The in-memory database; kept here so the control routes can see the key rows.
const db = { user: [], session: [], account: [], verification: [], jwks: [] };

const server = http.createServer();
await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
const listenUrl = `http://127.0.0.1:${server.address().port}`;
const baseURL = process.env.BA_BASE_URL || listenUrl;

const auth = betterAuth({
  baseURL,
  secret,
  database: memoryAdapter(db),
  emailAndPassword: { enabled: true },
  // Browsers send the public origin; the tests send either that or the loopback URL.
  trustedOrigins: [new URL(baseURL).origin, listenUrl],
  plugins: [jwt(jwtOptions)],
  telemetry: { enabled: false },
});
const authHandler = toNodeHandler(auth);
let jwksRequests = 0;

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function control(req, res, url) {
  if (req.method === "POST" && url.pathname === "/__interop/rotate") {
    const key = await createJwk({ context: await auth.$context }, jwtOptions);
    return sendJson(res, 200, { kid: key.id });
  }
  if (req.method === "POST" && url.pathname === "/__interop/retire") {
    const kid = url.searchParams.get("kid");
    const row = db.jwks.find((k) => k.id === kid);
    if (!row) return sendJson(res, 404, { error: `no key ${kid}` });
    row.expiresAt = new Date(Date.now() - (effectiveGraceSeconds + 60) * 1000);
    return sendJson(res, 200, { kid, retired: true });
  }
  if (req.method === "POST" && url.pathname === "/__interop/sign") {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return sendJson(res, 200, await auth.api.signJWT({ body: { payload } }));
  }
  if (req.method === "GET" && url.pathname === "/__interop/stats") {
    return sendJson(res, 200, { jwks_requests: jwksRequests });
  }
  return sendJson(res, 404, { error: "unknown control route" });
}

server.on("request", (req, res) => {
  const url = new URL(req.url, listenUrl);
  if (url.pathname.startsWith("/__interop/")) {
    control(req, res, url).catch((error) => sendJson(res, 500, { error: String(error) }));
    return;
  }
  if (req.method === "GET" && url.pathname === "/api/auth/jwks") jwksRequests += 1;
  authHandler(req, res);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
if (process.env.INTEROP_EXIT_WITH_PARENT === "1") {
  // The test holds our stdin open; it closes when the test process ends, however it ends.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}
process.stdout.write(
  `${JSON.stringify({ event: "listening", port: server.address().port, url: listenUrl, base_url: baseURL, alg })}\n`,
);
