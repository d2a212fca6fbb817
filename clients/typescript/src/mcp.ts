// A typed MCP caller the way a frontend's server code or an agent would write it: find the
// authorization servers from the protected resource metadata, then call a tool over POST /mcp
// with one JSON-RPC message. Only types generated from /openapi.json are used, so a change of
// the message, the answer or the metadata breaks `tsc --noEmit`.

import type { components, operations, paths } from "../generated/api";

type Message = components["schemas"]["JsonRpcMessage"];
type Answer = operations["mcp"]["responses"][200]["content"]["application/json"];
type Refusal = components["schemas"]["JsonRpcInvalidMessage"];
type Metadata = operations["protected_resource_metadata"]["responses"][200]["content"]["application/json"];
type Unauthorized = operations["mcp"]["responses"][401]["content"]["application/problem+json"];
type ProtocolVersion = NonNullable<NonNullable<operations["mcp"]["parameters"]["header"]>["MCP-Protocol-Version"]>;

const MCP: keyof paths = "/mcp";
const METADATA: keyof paths = "/.well-known/oauth-protected-resource";
const VERSION: ProtocolVersion = "2025-06-18";

/** The issuers a client signs its user in with, to get a token for this API. */
export async function authorizationServers(baseUrl: string): Promise<string[]> {
  const metadata = (await (await fetch(baseUrl + METADATA)).json()) as Metadata;
  const bearer: "header"[] = metadata.bearer_methods_supported;
  return bearer.length > 0 ? metadata.authorization_servers : [];
}

/** Calls one tool; the tool's result, or an Error saying why not. */
export async function callTool(baseUrl: string, token: string, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const message: Message = { jsonrpc: "2.0", id: crypto.randomUUID(), method: "tools/call", params: { name, arguments: args } };
  const response = await fetch(baseUrl + MCP, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json", "MCP-Protocol-Version": VERSION },
    body: JSON.stringify(message),
  });
  if (response.status === 401) {
    const problem = (await response.json()) as Unauthorized;
    // Where to sign in: the challenge names the metadata document.
    const challenge = response.headers.get("WWW-Authenticate") ?? "";
    throw new Error(`sign in again (${problem.code}); ${challenge}`);
  }
  if (response.status !== 200) {
    const refusal = (await response.json()) as Refusal;
    throw new Error(`refused: ${refusal.error.code} ${refusal.error.message}`);
  }
  const answer = (await response.json()) as Answer;
  if ("error" in answer) {
    const code: -32601 | -32602 | -32603 = answer.error.code;
    throw new Error(`JSON-RPC error ${code}: ${answer.error.message}`);
  }
  return answer.result;
}
