// The Node peer of `bench/run --hot-path`: what a Better Auth user would write for the same
// routes. Fastify 5, jose 6 (createRemoteJWKSet + jwtVerify on every request), better-sqlite3 12
// with prepared statements, one process. GET and POST /api/:userId/tasks answer with
// backend-api's bodies ({"tasks": [...], "next_cursor": null} and the created task).
// Environment: PEER_PORT, PEER_DB (SQLite file), PEER_JWKS_URL, PEER_ISSUER, PEER_AUDIENCE.
import Database from "better-sqlite3";
import Fastify from "fastify";
import { createRemoteJWKSet, jwtVerify } from "jose";

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

const db = new Database(env("PEER_DB"));
db.pragma("journal_mode = WAL");
// better-sqlite3 is built with synchronous=NORMAL for WAL (no fsync per commit); backend-api and
// the Rust sketch use FULL, so a 201 survives power loss. Same durability, same work.
db.pragma("synchronous = FULL");
db.exec(`CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
  user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT, completed BOOLEAN NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS tasks_owner_created ON tasks (provider, user_id, created_at, id);`);
const list = db.prepare(`SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks
  WHERE provider = ? AND user_id = ? ORDER BY created_at, id LIMIT 51`);
const insert = db.prepare(`INSERT INTO tasks (provider, user_id, title, description, completed, created_at, updated_at)
  VALUES (?, ?, ?, ?, 0, ?, ?)`);
const PROVIDER = "better-auth";

const jwks = createRemoteJWKSet(new URL(env("PEER_JWKS_URL")));
const verifyOptions = { issuer: env("PEER_ISSUER"), audience: env("PEER_AUDIENCE"), algorithms: ["EdDSA"] };

const app = Fastify({ logger: false });

// The owner of the path, or a reply already sent (401 without a valid token, 403 for another user).
async function owner(request, reply) {
  const auth = request.headers.authorization ?? "";
  if (!auth.startsWith("Bearer ")) return reply.code(401).send({ code: "unauthorized" });
  try {
    const { payload } = await jwtVerify(auth.slice(7), jwks, verifyOptions);
    if (payload.sub !== request.params.userId) return reply.code(403).send({ code: "forbidden" });
    return payload.sub;
  } catch {
    return reply.code(401).send({ code: "unauthorized" });
  }
}

const stamp = () => new Date().toISOString().replace("Z", "000Z");

app.get("/api/:userId/tasks", async (request, reply) => {
  const user = await owner(request, reply);
  if (typeof user !== "string") return reply;
  const tasks = list.all(PROVIDER, user).map((t) => ({ ...t, completed: t.completed === 1 }));
  return { tasks, next_cursor: null };
});

app.post("/api/:userId/tasks", async (request, reply) => {
  const user = await owner(request, reply);
  if (typeof user !== "string") return reply;
  const title = String(request.body?.title ?? "").trim();
  if (title.length < 1 || title.length > 200) return reply.code(422).send({ code: "validation_failed" });
  const description = request.body?.description ?? null;
  const at = stamp();
  const { lastInsertRowid } = insert.run(PROVIDER, user, title, description, at, at);
  return reply.code(201).send({ id: Number(lastInsertRowid), user_id: user, title, description, completed: false, created_at: at, updated_at: at });
});

app.get("/health", async () => "ok");

await app.listen({ host: "127.0.0.1", port: Number(env("PEER_PORT")) });
