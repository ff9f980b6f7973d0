// The official MCP TypeScript SDK client drives `pcf-mcp serve` over stdio
// through the protocol itself: initialize, tools/list with pagination, a
// tool call, bad calls, cancellation of a slow call, and a server that keeps
// serving afterwards. The tools test (stdio-tools.mjs) covers every tool.
import assert from "node:assert/strict";

import { McpError } from "@modelcontextprotocol/sdk/types.js";

import { connect, MAIN_EMAIL, MAIN_PASSWORD, startFake } from "./tools-harness.mjs";

let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}\n  ${e && e.stack ? e.stack.split("\n").slice(0, 4).join("\n  ") : e}`);
  }
}

const fake = await startFake({ seed: "demo" });
const env = {
  PCF_MCP_PCF_URL: fake.url,
  PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
  PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD,
  PCF_MCP_MCP_PAGE_SIZE: "7",
};
const s = await connect(env, { name: "stdio-protocol" });
const c = s.client;

try {
  await check("initialize negotiated the SDK's protocol revision", async () => {
    const info = c.getServerVersion();
    assert.equal(info.name, "pcf-mcp");
    const caps = c.getServerCapabilities();
    assert.ok(caps.tools, "tools capability");
    assert.ok(caps.resources, "resources capability");
    assert.ok(caps.prompts, "prompts capability");
    assert.ok(caps.logging, "logging capability");
  });

  let all = [];
  await check("tools/list pages with opaque cursors until the end", async () => {
    let cursor;
    let pages = 0;
    do {
      const r = await c.listTools(cursor ? { cursor } : {});
      assert.ok(r.tools.length <= 7, `page of ${r.tools.length} > page size`);
      all.push(...r.tools);
      cursor = r.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    assert.ok(pages >= 3, `expected several pages, got ${pages}`);
    assert.equal(new Set(all.map((t) => t.name)).size, all.length, "no tool listed twice");
    assert.ok(all.some((t) => t.name === "list_projects"));
  });

  await check("an invalid cursor is a JSON-RPC invalid-params error", async () => {
    await assert.rejects(c.listTools({ cursor: "not-a-cursor" }),
      (e) => e instanceof McpError && e.code === -32602);
  });

  await check("a tool call returns text and structured content", async () => {
    const r = await c.callTool({ name: "list_projects", arguments: {} });
    assert.ok(!r.isError, JSON.stringify(r.content));
    assert.ok(r.structuredContent, "structuredContent");
    assert.ok(r.content.some((b) => b.type === "text"));
  });

  await check("an unknown tool is a JSON-RPC invalid-params error", async () => {
    await assert.rejects(c.callTool({ name: "no_such_tool", arguments: {} }),
      (e) => e instanceof McpError && e.code === -32602);
  });

  await check("invalid arguments come back as a tool error the model can read", async () => {
    const r = await c.callTool({ name: "get_host", arguments: { project: 42 } });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /argument|must|project/i);
  });

  await check("a cancelled call gets no response and the server keeps serving", async () => {
    // PCF answers slowly; the client gives up and sends notifications/cancelled.
    await fake.control("/__fake__/faults", { mode: "latency", latency_ms: 3000, path: "/api/v1/projects", count: 0 });
    const ac = new AbortController();
    const started = Date.now();
    const pending = c.callTool({ name: "list_projects", arguments: {} }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort("cancelled by the test"), 300);
    await assert.rejects(pending, (e) => /abort|cancel/i.test(String(e && (e.message || e))));
    assert.ok(Date.now() - started < 2500, "the abort returned promptly");
    await fake.control("/__fake__/faults/clear", {});
    const r = await c.ping();
    assert.deepEqual(r, {});
    const after = await c.callTool({ name: "whoami", arguments: {} });
    assert.ok(!after.isError, JSON.stringify(after.content));
  });

  await check("ping answers an empty object", async () => {
    assert.deepEqual(await c.ping(), {});
  });
} finally {
  await s.close();
  await fake.stop();
}

if (failures) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all protocol checks passed");
