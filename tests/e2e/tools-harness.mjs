// Shared by the stdio tool tests and scripts/demo.mjs: starts the fake PCF
// and `pcf-mcp serve` under the official MCP SDK client over stdio.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const srcdir = process.env.top_srcdir || path.resolve(here, "../..");
export const builddir = process.env.top_builddir || srcdir;

export const MAIN_EMAIL = "pcf-tester@example.com";
export const MAIN_PASSWORD = "pcf-tester-pass";

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Starts tests/fakepcf/fake_pcf.py on an ephemeral loopback port.
export async function startFake({ seed = "demo", token = null, extra = [] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcf-fake-"));
  const portFile = path.join(dir, "port");
  const args = [path.join(srcdir, "tests/fakepcf/fake_pcf.py"), "--seed", seed, "--port", "0",
    "--port-file", portFile, ...extra];
  if (token) args.push("--token", token);
  const proc = spawn("python3", args, { stdio: ["ignore", "ignore", "inherit"] });
  const deadline = Date.now() + 15000;
  while (!fs.existsSync(portFile)) {
    if (proc.exitCode !== null) throw new Error(`fake PCF exited with ${proc.exitCode}`);
    if (Date.now() > deadline) {
      proc.kill();
      throw new Error("fake PCF did not start");
    }
    await sleep(25);
  }
  const port = Number(fs.readFileSync(portFile, "utf8").trim());
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    proc,
    async control(p, body) {
      const r = await fetch(url + p, {
        method: body === undefined ? "GET" : "POST",
        headers: { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return r.json();
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => proc.once("exit", r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Connects an SDK client to `pcf-mcp serve` with the given PCF_MCP_* settings.
export async function connect(env, { name = "pcf-mcp-e2e", args = [] } = {}) {
  const bin = process.env.PCF_MCP_BIN || path.join(builddir, "pcf-mcp");
  // The suites call tools back to back on purpose; the production rate
  // limits (tested on their own in tests/hardening) would only slow them.
  const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME || "/tmp",
    PCF_MCP_LOG_LEVEL: "error",
    PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND: "1000", PCF_MCP_RATE_LIMIT_BURST: "1000",
    PCF_MCP_RATE_LIMIT_WRITE_REQUESTS_PER_SECOND: "1000", PCF_MCP_RATE_LIMIT_WRITE_BURST: "1000",
    ...env };
  if (process.env.LD_LIBRARY_PATH) childEnv.LD_LIBRARY_PATH = process.env.LD_LIBRARY_PATH;
  const transport = new StdioClientTransport({ command: bin, args: ["serve", ...args], env: childEnv,
    stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d) => { stderr += d.toString(); });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr, async close() { await client.close(); } };
}

// TAP-like test cases for the suites: check(name, fn) runs one, report(title)
// prints the tally and exits non-zero when a case failed.
export function checker() {
  const t = { passed: 0, failed: 0, failures: [] };
  t.check = async (name, fn) => {
    try {
      await fn();
      t.passed++;
      if (process.env.VERBOSE) console.log(`ok - ${name}`);
    } catch (e) {
      t.failed++;
      t.failures.push(name);
      console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split("\n").slice(0, 8).join("\n  ")}`);
    }
  };
  t.report = (title) => {
    console.log(`# ${title}: ${t.passed} passed, ${t.failed} failed`);
    console.log(`${t.passed} passed, ${t.failed} failed`);
    if (t.failed) {
      console.log("failed:\n  " + t.failures.join("\n  "));
      process.exit(1);
    }
  };
  return t;
}

// The text content blocks of a tool result, joined.
export function textOf(r) {
  return (r.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}
