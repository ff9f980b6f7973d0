// The README's demo: the fake PCF with the demo engagement, `pcf-mcp serve`
// over stdio under an MCP client session (the official TypeScript SDK), and
// a readable transcript of what an assistant would do: list the projects,
// hosts and issues, record a finding, and produce a report.
// Run it with scripts/demo.sh (which builds nothing and installs the SDK).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { connect, MAIN_EMAIL, MAIN_PASSWORD, startFake } from "../tests/e2e/tools-harness.mjs";

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function show(text, max = 1400) {
  const t = text.length > max ? text.slice(0, max) + `\n... (${text.length - max} more characters)` : text;
  console.log(t.split("\n").map((l) => "    " + l).join("\n"));
}

async function call(client, name, args) {
  console.log(`\n${bold("assistant ->")} ${name} ${dim(JSON.stringify(args))}`);
  const r = await client.callTool({ name, arguments: args });
  const text = (r.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  console.log(`${bold(r.isError ? "pcf-mcp (error) <-" : "pcf-mcp <-")}`);
  show(text);
  if (r.isError) throw new Error(`${name} failed`);
  return r;
}

const fake = await startFake({ seed: "demo" });
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "pcf-mcp-demo-"));
console.log(bold(`Fake PCF (demo engagement) at ${fake.url}`));
const s = await connect({ PCF_MCP_PCF_URL: fake.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
  PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_REPORTS_OUTPUT_DIR: outDir }, { name: "pcf-mcp-demo" });
let status = 0;
try {
  const info = s.client.getServerVersion();
  const { tools } = await s.client.listTools();
  console.log(bold(`MCP session with ${info.name} ${info.version}: ${tools.length} tools`));
  console.log(dim("    " + tools.map((t) => t.name).join(", ")));

  const projects = await call(s.client, "list_projects", {});
  const ext = projects.structuredContent.projects.find((p) => p.name === "ACME external pentest");
  await call(s.client, "list_hosts", { project: ext.name, with_ports: true, limit: 5 });
  await call(s.client, "list_issues", { project: ext.name, summary: true });
  await call(s.client, "list_issues", { project: ext.name, criticality: ["critical", "high"], limit: 5 });
  await call(s.client, "create_issue", {
    project: ext.name, name: "Exposed .git directory on www.acme.example", criticality: "high",
    status: "Confirmed", cwe: 538,
    description: "The web root serves /.git/, so the site's source and history can be downloaded.",
    fix: "Remove .git from the web root or deny access to it in the web server.",
    services: [{ host: "203.0.113.10", port: 443, hostname: "www.acme.example" }],
    poc: { text: "$ curl -s https://www.acme.example/.git/HEAD\nref: refs/heads/main", description: "HEAD is readable" },
  });
  const rep = await call(s.client, "generate_report", { project: ext.name, format: "html",
    output_path: "acme-external.html" });
  console.log(bold(`\nReport: ${path.join(outDir, rep.structuredContent.written_to)} ` +
    `(${rep.structuredContent.bytes} bytes, ${rep.structuredContent.issues} findings)`));
  const md = await s.client.readResource({ uri: `pcf://projects/${ext.id}/issues.md` });
  console.log(bold("\nResource pcf://projects/<id>/issues.md:"));
  show(md.contents[0].text, 1200);
} catch (e) {
  console.error(`demo failed: ${e.message}`);
  status = 1;
} finally {
  await s.close();
  await fake.stop();
}
process.exit(status);
