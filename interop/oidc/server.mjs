// A standard OpenID Connect provider (npm `oidc-provider`) for the interop tests, issuing JWT access
// tokens for the resource server backend-api through the client_credentials grant (no browser needed).
//
// Listens on 127.0.0.1 only and prints one JSON line on stdout once listening:
//   {"event":"listening","port":<port>,"url":"http://127.0.0.1:<port>","issuer":"...","alg":"...",
//    "token_endpoint":"<loopback URL of the token endpoint>","client_id":"...","client_secret":"..."}
//
// Environment:
//   OIDC_PORT       port to listen on (default 0 = any free port)
//   OIDC_ALG        signing algorithm of the access tokens: RS256 (default), PS256, ES256, ES384, ES512, EdDSA
//   OIDC_ISSUER     public issuer (default: the loopback URL). May name a host that does not resolve,
//                   e.g. https://id.example.invalid/realms/app: it goes into `iss` and discovery, while the
//                   provider is served on loopback under the issuer's path (/realms/app/...).
//   OIDC_ADVERTISE  "request" (default): discovery advertises endpoints on the host the request came in on,
//                   as oidc-provider does; "issuer": on the public issuer's origin, as Keycloak does.
//   OIDC_AUDIENCE   `aud` of the access tokens (default backend-api)
//   INTEROP_EXIT_WITH_PARENT=1 exit when stdin closes, so a killed test run cannot leave this server behind
//
// Test-only control routes (loopback only):
//   GET  /__interop/stats          -> {"jwks_requests": n, "discovery_requests": n}
//   POST /__interop/rotate         new signing key; the previous keys stay published -> {"keys": n}
//   POST /__interop/retire-oldest  stops publishing the oldest key -> {"keys": n}
import crypto from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

// node:crypto key generation per JOSE algorithm.
const KEY_GENERATION = {
  RS256: ["rsa", { modulusLength: 2048 }],
  PS256: ["rsa", { modulusLength: 2048 }],
  ES256: ["ec", { namedCurve: "P-256" }],
  ES384: ["ec", { namedCurve: "P-384" }],
  ES512: ["ec", { namedCurve: "P-521" }],
  EdDSA: ["ed25519", {}],
};
// Resource indicators must be absolute URIs; the audience put into tokens is configured separately.
const RESOURCE = "urn:backend-api";
const CLIENT_ID = "interop-client";
const CLIENT_SECRET = "interop-client-secret-0123456789";

function fail(message) {
  process.stderr.write(`oidc interop server: ${message}\n`);
  process.exit(2);
}

const alg = process.env.OIDC_ALG || "RS256";
if (!KEY_GENERATION[alg]) fail(`OIDC_ALG=${alg} is not one of ${Object.keys(KEY_GENERATION).join(", ")}`);
const advertise = process.env.OIDC_ADVERTISE || "request";
if (!["request", "issuer"].includes(advertise)) fail(`OIDC_ADVERTISE=${advertise} is not "request" or "issuer"`);
const audience = process.env.OIDC_AUDIENCE || "backend-api";
const port = Number(process.env.OIDC_PORT || 0);

function newSigningKey() {
  const [type, options] = KEY_GENERATION[alg];
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: "jwk" }), alg, use: "sig" };
}

const server = http.createServer();
await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
const listenUrl = `http://127.0.0.1:${server.address().port}`;
const issuer = process.env.OIDC_ISSUER || listenUrl;
// The provider answers under the issuer's path, like Keycloak under /realms/<realm>.
const mountPath = new URL(issuer).pathname.replace(/\/$/, "");

const stats = { jwks_requests: 0, discovery_requests: 0 };

// oidc-provider reads its keys only when constructed: a rotation builds a new instance behind the same port.
function buildProvider(keys) {
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ["client_credentials"],
        redirect_uris: [],
        response_types: [],
        // The client validation insists on a signing key for ID tokens even though none are issued here.
        id_token_signed_response_alg: alg,
      },
    ],
    // The first key signs; the others are only published.
    jwks: { keys },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== RESOURCE) throw new Provider.errors.InvalidTarget();
          return {
            scope: "tasks",
            audience,
            accessTokenFormat: "jwt",
            accessTokenTTL: 900,
            jwt: { sign: { alg } },
          };
        },
      },
    },
  });
  // Keycloak-style discovery: endpoints on the public issuer's origin, whatever host was asked.
  if (advertise === "issuer") {
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path.endsWith("/.well-known/openid-configuration") && ctx.body) {
        const requestOrigin = `${ctx.protocol}://${ctx.host}`;
        const publicOrigin = new URL(issuer).origin;
        ctx.body = JSON.parse(JSON.stringify(ctx.body).replaceAll(requestOrigin, publicOrigin));
      }
    });
  }
  return provider.callback();
}

let keys = [newSigningKey()];
let callback = buildProvider(keys);

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function control(req, res, url) {
  if (req.method === "GET" && url.pathname === "/__interop/stats") return sendJson(res, 200, stats);
  if (req.method === "POST" && url.pathname === "/__interop/rotate") {
    keys = [newSigningKey(), ...keys];
    callback = buildProvider(keys);
    return sendJson(res, 200, { keys: keys.length });
  }
  if (req.method === "POST" && url.pathname === "/__interop/retire-oldest") {
    if (keys.length < 2) return sendJson(res, 409, { error: "the only key cannot be retired" });
    keys = keys.slice(0, -1);
    callback = buildProvider(keys);
    return sendJson(res, 200, { keys: keys.length });
  }
  return sendJson(res, 404, { error: "unknown control route" });
}

server.on("request", (req, res) => {
  const url = new URL(req.url, listenUrl);
  const path = url.pathname;
  if (path.startsWith("/__interop/")) return control(req, res, url);
  if (mountPath && !(path === mountPath || path.startsWith(`${mountPath}/`))) {
    return sendJson(res, 404, { error: "not_found", hint: `the provider is mounted under ${mountPath}` });
  }
  const routePath = path.slice(mountPath.length) || "/";
  if (routePath === "/jwks") stats.jwks_requests += 1;
  if (routePath === "/.well-known/openid-configuration") stats.discovery_requests += 1;
  // Mount the way Express does, so that oidc-provider builds its URLs with the mount path.
  req.originalUrl = req.url;
  req.url = req.url.slice(mountPath.length) || "/";
  return callback(req, res);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
if (process.env.INTEROP_EXIT_WITH_PARENT === "1") {
  // The test holds our stdin open; it closes when the test process ends, however it ends.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}
process.stdout.write(
  `${JSON.stringify({
    event: "listening",
    port: server.address().port,
    url: listenUrl,
    issuer,
    alg,
    token_endpoint: `${listenUrl}${mountPath}/token`,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  })}\n`,
);
