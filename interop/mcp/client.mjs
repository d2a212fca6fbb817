// An MCP client built on the official TypeScript SDK (@modelcontextprotocol/sdk, pinned in
// ../package-lock.json), driven by the interop tests of backend-api.
//
// Input (environment):
//   MCP_URL    the server's Streamable HTTP endpoint, e.g. http://127.0.0.1:8000/mcp
//   MCP_TOKEN  bearer token; unset = connect without one
//   MCP_STEPS  JSON array of tool calls, e.g. [{"tool":"create_task","arguments":{"title":"a"}}]
//   MCP_MODE   "session" (default): connect, list the tools, run the steps;
//              "discover": POST without a token and follow the SDK's own OAuth discovery
//              (WWW-Authenticate resource_metadata -> protected resource metadata -> resource).
// Output: exactly one JSON line on stdout, {"event":"done",…} or {"event":"error",…}; exit 0 either way
// unless the script itself is broken.
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  selectResourceURL,
} from '@modelcontextprotocol/sdk/client/auth.js';

const sdkVersion = JSON.parse(
  readFileSync(new URL('../node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url)),
).version;
const url = new URL(process.env.MCP_URL);
const token = process.env.MCP_TOKEN;
const steps = JSON.parse(process.env.MCP_STEPS ?? '[]');

function print(object) {
  process.stdout.write(JSON.stringify({ sdk_version: sdkVersion, ...object }) + '\n');
}

async function session() {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers } });
  const client = new Client({ name: 'backend-api-interop', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (error) {
    print({ event: 'error', stage: 'connect', status: error.code ?? null, message: String(error.message) });
    return;
  }
  const listed = await client.listTools();
  const results = [];
  for (const step of steps) {
    try {
      // callTool checks structuredContent against the tool's outputSchema.
      results.push(await client.callTool({ name: step.tool, arguments: step.arguments ?? {} }));
    } catch (error) {
      results.push({ rpc_error: { code: error.code ?? null, message: String(error.message) } });
    }
  }
  print({
    event: 'done',
    protocol_version: transport.protocolVersion ?? null,
    session_id: transport.sessionId ?? null,
    server: client.getServerVersion(),
    tools: listed.tools,
    results,
  });
  await client.close();
}

async function discover() {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  const challenge = response.headers.get('www-authenticate');
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(response);
  const metadata = await discoverOAuthProtectedResourceMetadata(url, { resourceMetadataUrl });
  const resource = await selectResourceURL(url, {}, metadata);
  print({
    event: 'done',
    status: response.status,
    challenge,
    resource_metadata_url: resourceMetadataUrl?.href ?? null,
    metadata,
    selected_resource: resource?.href ?? null,
  });
}

try {
  await (process.env.MCP_MODE === 'discover' ? discover() : session());
} catch (error) {
  print({ event: 'error', stage: 'run', message: String(error?.stack ?? error) });
}
