// The official TypeScript MCP SDK doing pcf-mcp's list_projects against the
// same PCF, for bench/run.sh: the peer pcf-mcp is compared with. It follows
// the SDK's own examples (stateless Streamable HTTP: a server and a
// transport per request; or stdio) and does what list_projects does in
// outline: one PCF read, the projects normalised, text and structured
// content. Not a test, not a product.
//   node bench/ts_peer.mjs http PORT     (prints "listening on http://127.0.0.1:PORT")
//   node bench/ts_peer.mjs stdio
// Environment: PCF_MCP_PCF_URL, PCF_MCP_PCF_TOKEN; NODE_PATH or
// PCFMCP_E2E_MODULES pointing at a node_modules with @modelcontextprotocol/sdk.
import http from "node:http";
import path from "node:path";
import { createRequire } from "node:module";

const modules = process.env.PCFMCP_E2E_MODULES || "/work/main/tests/e2e/node_modules";
const require = createRequire(path.join(modules, "x.js"));
const load = (m) => import(require.resolve(m));
const { McpServer } = await load("@modelcontextprotocol/sdk/server/mcp.js");
const { StreamableHTTPServerTransport } = await load("@modelcontextprotocol/sdk/server/streamableHttp.js");
const { StdioServerTransport } = await load("@modelcontextprotocol/sdk/server/stdio.js");
const { z } = await load("zod");

const pcfUrl = process.env.PCF_MCP_PCF_URL;
const token = process.env.PCF_MCP_PCF_TOKEN;

function norm(p) {
  const iso = (t) => new Date((t || 0) * 1000).toISOString().slice(0, 10);
  return {
    id: p.id || "", name: p.name || "", description: p.description || "", type: p.type || "",
    scope: p.scope || "", folder: p.folder || "", report_title: p.report_title || "",
    status: p.status || "", admin_id: p.admin_id || "",
    start_date: p.start_date || 0, start_iso: iso(p.start_date),
    end_date: p.end_date || 0, end_iso: iso(p.end_date),
    testers: (p.testers || []).map((t) => ({ id: t.id || "", name: `${t.fname || ""} ${t.lname || ""}`.trim() })),
    teams: (p.teams || []).map((t) => ({ id: t.id || "", name: t.name || "" })),
  };
}

function makeServer() {
  const server = new McpServer({ name: "ts-peer", version: "1.0.0" });
  server.registerTool("list_projects", {
    title: "List projects",
    description: "Lists the PCF projects you can work on.",
    inputSchema: { text: z.string().max(200).optional(), status: z.enum(["active", "archived"]).optional() },
  }, async ({ text, status }) => {
    const r = await fetch(`${pcfUrl}/api/v1/projects`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ access_token: token }),
    });
    const doc = await r.json();
    let projects = (doc.projects || []).map(norm);
    if (status) projects = projects.filter((p) => p.status === status);
    if (text) projects = projects.filter((p) => `${p.name} ${p.description} ${p.scope}`.toLowerCase().includes(text.toLowerCase()));
    const out = { projects, total: projects.length, offset: 0, returned: projects.length, truncated: false };
    return {
      content: [{ type: "text", text: `${projects.length} project(s) visible.\n${JSON.stringify(projects, null, 1)}` }],
      structuredContent: out,
    };
  });
  return server;
}

if (process.argv[2] === "stdio") {
  await makeServer().connect(new StdioServerTransport());
} else {
  const port = Number(process.argv[3] || 0);
  const srv = http.createServer(async (req, res) => {
    if (req.method !== "POST") { res.writeHead(405).end(); return; }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    let body;
    try { body = JSON.parse(Buffer.concat(chunks).toString("utf8")); } catch { res.writeHead(400).end(); return; }
    // Stateless, as the SDK's example does it: a server and transport per request.
    const server = makeServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => { transport.close(); server.close(); });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  srv.keepAliveTimeout = 60000;
  srv.listen(port, "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${srv.address().port}`);
  });
}
