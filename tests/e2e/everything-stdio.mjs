// examples/everything-server in its default mode (stdio) under the official
// MCP TypeScript SDK client: initialize, a tool call, a resource read (static
// and templated), a prompt and a completion. The HTTP mode is the conformance
// suite's target; this keeps the stdio path of the example honest.
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const builddir = process.env.top_builddir || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const bin = process.env.EVERYTHING_SERVER_BIN || path.join(builddir, "examples/everything-server");

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

const env = { PATH: process.env.PATH, HOME: process.env.HOME || "/tmp" };
if (process.env.LD_LIBRARY_PATH) env.LD_LIBRARY_PATH = process.env.LD_LIBRARY_PATH;
const transport = new StdioClientTransport({ command: bin, args: [], env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (d) => { stderr += d.toString(); });
const client = new Client({ name: "everything-stdio", version: "1.0.0" });
await client.connect(transport);

try {
  await check("initialize offers tools, resources, prompts and completions", async () => {
    const caps = client.getServerCapabilities();
    for (const c of ["tools", "resources", "prompts", "completions"]) assert.ok(caps[c], c);
  });

  await check("tools/call test_simple_text returns its text", async () => {
    const r = await client.callTool({ name: "test_simple_text", arguments: {} });
    assert.ok(!r.isError, JSON.stringify(r));
    assert.deepEqual(r.content, [{ type: "text", text: "This is a simple text response for testing." }]);
  });

  await check("resources/read of test://static-text and of a template", async () => {
    const r = await client.readResource({ uri: "test://static-text" });
    assert.equal(r.contents.length, 1);
    assert.equal(r.contents[0].uri, "test://static-text");
    assert.equal(r.contents[0].text, "This is the content of the static text resource.");
    const t = await client.readResource({ uri: "test://template/42/data" });
    assert.equal(JSON.parse(t.contents[0].text).id, "42");
  });

  await check("prompts/get with and without arguments", async () => {
    const p = await client.getPrompt({ name: "test_simple_prompt" });
    assert.equal(p.messages[0].content.text, "This is a simple prompt for testing.");
    const a = await client.getPrompt({ name: "test_prompt_with_arguments",
      arguments: { arg1: "x", arg2: "y" } });
    assert.equal(a.messages[0].content.text, "Prompt with arguments: arg1='x', arg2='y'");
  });

  await check("completion/complete narrows a prompt argument by prefix", async () => {
    const c = await client.complete({ ref: { type: "ref/prompt", name: "test_prompt_with_arguments" },
      argument: { name: "arg1", value: "par" } });
    assert.deepEqual(c.completion.values, ["paris", "park", "party"]);
    assert.equal(c.completion.total, 3);
  });

  await check("an unknown tool is refused, and the server keeps serving", async () => {
    await assert.rejects(client.callTool({ name: "no_such_tool", arguments: {} }), /no_such_tool/);
    await client.ping();
  });
} finally {
  await client.close();
}

if (failures) {
  console.log(`# everything-server stderr:\n${stderr}`);
  process.exit(1);
}
console.log("everything-server answers the SDK client over stdio");
