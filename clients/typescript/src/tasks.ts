// A typed client of backend-api the way a Next.js frontend would write it (a server action or a
// route handler calling the API with the user's token), using only the types that
// openapi-typescript generated from the served /openapi.json (generated/api.d.ts).
// `tsc --noEmit` checks it against those types: a change that breaks the contract (a renamed
// member, a member that turns nullable, an error code removed) stops this file compiling.

import type { components, operations, paths } from "../generated/api";

type Task = components["schemas"]["Task"];
type TaskList = operations["list_tasks"]["responses"][200]["content"]["application/json"];
type ListQuery = NonNullable<operations["list_tasks"]["parameters"]["query"]>;
type CreateBody = operations["create_task"]["requestBody"]["content"]["application/json"];
type PatchBody = operations["patch_task"]["requestBody"]["content"]["application/json"];
type Unauthorized = components["schemas"]["UnauthorizedProblem"];
type Invalid = components["schemas"]["InvalidCreateProblem"];
type Unavailable = components["schemas"]["UnavailableProblem"];
/** Any error body an operation of this API documents. */
type Problem = components["schemas"]["Problem"];

// The paths a frontend calls: a typo here fails the check too.
const LIST: keyof paths = "/api/{user_id}/tasks";
const ONE: keyof paths = "/api/{user_id}/tasks/{id}";
const TOGGLE: keyof paths = "/api/{user_id}/tasks/{id}/complete";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

/** Where the frontend reaches the API (in Next.js: from the server's environment). */
export const config = { baseUrl: "http://localhost:8000" };

function url(path: string, userId: string, id?: number): string {
  const base = config.baseUrl;
  let filled = path.replace("{user_id}", encodeURIComponent(userId));
  if (id !== undefined) filled = filled.replace("{id}", String(id));
  return base + filled;
}

async function call<T>(method: string, target: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<T | undefined> {
  const init: RequestInit = {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", ...headers },
    cache: "no-store",
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(target, init);
  if (!response.ok) {
    throw new ApiError(response.status, (await response.json()) as Problem);
  }
  return response.status === 204 ? undefined : ((await response.json()) as T);
}

export async function listTasks(userId: string, token: string, query: ListQuery = {}): Promise<TaskList> {
  const params = new URLSearchParams();
  if (query.completed !== undefined) params.set("completed", String(query.completed));
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  if (query.sort !== undefined) params.set("sort", query.sort);
  if (query.cursor !== undefined) params.set("cursor", query.cursor);
  const page = await call<TaskList>("GET", `${url(LIST, userId)}?${params}`, token);
  return page!;
}

/** Every page, following `next_cursor` (null on the last page). */
export async function allTasks(userId: string, token: string): Promise<Task[]> {
  const tasks: Task[] = [];
  let cursor: string | null = null;
  do {
    const page: TaskList = await listTasks(userId, token, cursor === null ? { sort: "-created_at", limit: 100 } : { sort: "-created_at", limit: 100, cursor });
    tasks.push(...page.tasks);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return tasks;
}

export async function createTask(userId: string, token: string, title: string, description?: string): Promise<Task> {
  const body: CreateBody = description === undefined ? { title } : { title, description };
  const task = await call<Task>("POST", url(LIST, userId), token, body, { "Idempotency-Key": crypto.randomUUID() });
  return task!;
}

export async function renameTask(userId: string, token: string, task: Task, title: string): Promise<Task> {
  const body: PatchBody = { title };
  return (await call<Task>("PATCH", url(ONE, userId, task.id), token, body))!;
}

export async function toggleTask(userId: string, token: string, task: Task): Promise<Task> {
  const toggled = (await call<Task>("PATCH", url(TOGGLE, userId, task.id), token))!;
  const done: boolean = toggled.completed;
  return { ...toggled, completed: done };
}

export async function deleteTask(userId: string, token: string, task: Task): Promise<void> {
  await call<undefined>("DELETE", url(ONE, userId, task.id), token);
}

/** What the UI shows for a failed call, keyed on the problem's stable `code`. */
export function message(error: ApiError): string {
  const code: Problem["code"] = error.problem.code;
  if (error.status === 401) {
    const reason = code as Unauthorized["code"];
    if (reason === "token_missing" || reason === "expired") return "Please sign in again.";
    return `Your session was refused (${reason}).`;
  }
  if (error.status === 422) {
    const invalid = error.problem as Invalid;
    if (invalid.code === "idempotency_key_reused") return "This request was already sent with other content.";
    const fields = (invalid.errors ?? []).map((e) => `${e.field}: ${e.message}`);
    return `Please fix: ${fields.join("; ")}`;
  }
  if (error.status === 503) {
    const unavailable = error.problem as Unavailable;
    switch (unavailable.code) {
      case "keys_unavailable":
      case "database_unavailable":
      case "request_timeout":
        return "The service is busy; try again in a moment.";
    }
  }
  return error.problem.detail;
}

/** A task list row: `description` may be null, `title` never is. */
export function row(task: Task): string {
  const title: string = task.title;
  const description: string = task.description ?? "";
  const when: string = new Date(task.updated_at).toLocaleString();
  return `${task.completed ? "✓" : "○"} ${title} ${description} (${when})`;
}
