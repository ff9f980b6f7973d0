// The project-workspace tools (issue templates, triage, tasks, files, chats,
// services, network paths, list imports, team membership, tokens) and the
// toolsets they live in, through the official MCP TypeScript SDK over stdio
// against the fake PCF: per tool a success case that checks the effect in
// PCF, a validation failure and a PCF error, every structuredContent checked
// against its outputSchema. Then the toolset selection, dynamic mode
// (list_toolsets / enable_toolset and notifications/tools/list_changed) and
// the context budget of the default tool list.
import assert from "node:assert/strict";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

import { connect, MAIN_EMAIL, MAIN_PASSWORD, startFake } from "./tools-harness.mjs";

const NOPE = "00000000-0000-4000-8000-000000000000";
const EXT = "ACME external pentest";
const SECOND = "pcf-second@example.com";
// The default tool list without output schemas, in bytes (tokens = bytes/4).
const BUDGET_BYTES = 8000 * 4;

let passed = 0, failed = 0;
const failures = [];
const covered = new Map();
let workspaceTools = [];

function mark(tool, kind) {
  if (!covered.has(tool)) covered.set(tool, new Set());
  covered.get(tool).add(kind);
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    if (process.env.VERBOSE) console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(`not ok - ${name}\n  ${String(e && e.stack || e).split("\n").slice(0, 8).join("\n  ")}`);
  }
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const validators = new Map();

function textOf(r) {
  return (r.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
}

function makeSession(s, tools) {
  for (const t of tools) if (t.outputSchema && !validators.has(t.name)) validators.set(t.name, ajv.compile(t.outputSchema));
  return {
    ...s,
    async ok(tool, args) {
      const r = await s.client.callTool({ name: tool, arguments: args });
      assert.ok(!r.isError, `${tool} failed: ${textOf(r)}`);
      const v = validators.get(tool);
      assert.ok(v, `${tool}: no outputSchema`);
      assert.ok(v(r.structuredContent), `${tool}: outputSchema violated: ${ajv.errorsText(v.errors)}`);
      mark(tool, "success");
      return r;
    },
    async err(tool, args, pattern, kind = "pcf-error") {
      const r = await s.client.callTool({ name: tool, arguments: args });
      assert.equal(r.isError, true, `${tool} should fail, got ${textOf(r).slice(0, 300)}`);
      if (pattern) assert.match(textOf(r), pattern, `${tool}: unexpected error text: ${textOf(r)}`);
      mark(tool, kind);
      return r;
    },
    async invalid(tool, args, pattern = /Invalid arguments/) {
      return this.err(tool, args, pattern, "validation");
    },
  };
}

const baseEnv = (fake) => ({ PCF_MCP_PCF_URL: fake.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
  PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_TOOLS_VALIDATE_OUTPUT: "true" });

async function session(fake, env = {}) {
  const s = await connect({ ...baseEnv(fake), ...env });
  const { tools } = await s.client.listTools();
  return makeSession(s, tools);
}

function bytesWithoutOutput(tools) {
  return JSON.stringify(tools.map(({ outputSchema, ...t }) => t)).length;
}

async function main() {
  const fake = await startFake();
  const all = await session(fake, { PCF_MCP_TOOLS_TOOLSETS: "all", PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE: "true" });
  try {
    await workspaceSuite(all, fake);
  } finally {
    await all.close();
  }
  await toolsetSuite(fake);
  await fake.stop();
  for (const t of workspaceTools) {
    await check(`coverage: ${t} has success, validation and error cases`, async () => {
      const k = covered.get(t) || new Set();
      for (const kind of ["success", "validation", "pcf-error"])
        assert.ok(k.has(kind), `${t} lacks a ${kind} case (has ${[...k].join(", ")})`);
    });
  }
  console.log(`# stdio workspace tests: ${passed} passed, ${failed} failed`);
  if (failed) {
    console.log("failed:\n  " + failures.join("\n  "));
    process.exit(1);
  }
}

async function workspaceSuite(s, fake) {
  const WS = ["issue_templates", "issue_triage", "tasks", "files", "chats", "services",
    "network_paths", "lists", "team_admin", "tokens"];
  await check("every workspace tool is listed under toolsets=all", async () => {
    const { tools } = await s.client.listTools();
    const names = tools.map((t) => t.name);
    workspaceTools = ["list_issue_templates", "create_issue_from_template", "update_issues",
      "merge_issues", "delete_issues", "set_main_poc", "get_issue_share_link", "list_tasks",
      "create_task", "update_task", "delete_task", "list_files", "upload_file", "download_file",
      "delete_file", "list_chats", "post_chat_message", "list_services", "add_service",
      "update_service", "list_network_paths", "add_network_path", "delete_network_path",
      "import_hosts", "import_credentials", "export_credentials", "add_team_member",
      "set_team_admin", "remove_team_member", "list_tokens", "disable_token"];
    for (const t of workspaceTools) assert.ok(names.includes(t), `${t} listed`);
    assert.ok(WS.length > 0);
    for (const t of tools.filter((x) => workspaceTools.includes(x.name))) {
      // Tools that replace values say destructiveHint too, without the delete gate.
      const del = t.annotations.destructiveHint === true && !/^(update_|set_)/.test(t.name);
      if (del) assert.ok(t.inputSchema.required.includes("confirm"), `${t.name}: confirm`);
    }
  });

  let hostA, hostB, port22;
  await check("issue templates: list and create an issue from one", async () => {
    const l = await s.ok("list_issue_templates", { project: EXT });
    const tpl = l.structuredContent.templates.find((t) => t.tpl_name === "Outdated __product__");
    assert.ok(tpl, "seeded personal template");
    assert.deepEqual(tpl.variables.map((v) => v.name).sort(), ["product", "version"]);
    assert.ok(l.structuredContent.templates.some((t) => t.owner.startsWith("Team: ")));
    const filtered = await s.ok("list_issue_templates", { project: EXT, text: "tls" });
    assert.equal(filtered.structuredContent.total, 1);
    await s.invalid("list_issue_templates", { project: EXT, limit: 0 });
    await s.err("list_issue_templates", { project: NOPE }, /project not found|Project not found/);
    const hosts = (await s.ok("list_issues", { project: EXT, limit: 1 })).structuredContent;
    assert.ok(hosts.total > 0);
    const r = await s.ok("create_issue_from_template", { project: EXT, template_id: tpl.id,
      variables: { product: "Apache httpd", version: "2.4.49" }, impact: "Majeur",
      services: [{ host: "203.0.113.10", port: 22 }] });
    assert.equal(r.structuredContent.name, "Outdated Apache httpd 2.4.49");
    const g = await s.ok("get_issue", { project: EXT, issue_id: r.structuredContent.issue_id });
    assert.equal(g.structuredContent.issue.cvss, 7.5);
    assert.match(g.structuredContent.issue.fix, /Upgrade Apache httpd/);
    assert.equal(g.structuredContent.issue.services.length, 1);
    const snap = await s.ok("get_project_snapshot", { project: EXT, sections: ["issues"] });
    const exp = snap.structuredContent.issues?.[r.structuredContent.issue_id];
    if (exp) assert.equal(exp.impact, "Majeur");
    await s.invalid("create_issue_from_template", { project: EXT, template_id: "nope" });
    await s.err("create_issue_from_template", { project: EXT, template_id: tpl.id,
      variables: { colour: "red" } }, /no variable \\?"colour\\?" \(it has: product, version\)/);
    const team = l.structuredContent.templates.find((t) => t.owner.startsWith("Team: "));
    await s.err("create_issue_from_template", { project: EXT, template_id: team.id,
      variables: { port: "https" } }, /type number; this value does not convert/);
    await s.err("create_issue_from_template", { project: EXT, template_id: NOPE },
      /no issue template with this id/);
  });

  await check("issue fields of newer PCF and the duplicate check on create", async () => {
    const r = await s.ok("create_issue", { project: EXT, name: "Weak JWT secret", cvss: 8.1,
      cvss_vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", impact: "Majeur",
      exploitability: "Difficile", risk: "Elevé", type: "vulnerability", url_path: "/api",
      services: [{ host: "203.0.113.10", port: 22 }] });
    const id = r.structuredContent.issue_id;
    const snap = await s.ok("get_project_snapshot", { project: EXT, sections: ["issues"] });
    const i = snap.structuredContent.issues[id];
    assert.equal(i.cvss_vector, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H");
    assert.equal(i.risk, "Elevé");
    const before = (await s.ok("list_issues", { project: EXT, limit: 500 })).structuredContent.total;
    const d = await s.ok("create_issue", { project: EXT, name: "weak jwt secret", cvss: 8.1,
      url_path: "/api", dedupe: true, services: [{ host: "203.0.113.11", port: 443 }],
      poc: { text: "HS256 secret: secret" } });
    assert.equal(d.structuredContent.issue_id, id);
    assert.equal(d.structuredContent.duplicate, true);
    const after = (await s.ok("list_issues", { project: EXT, limit: 500 })).structuredContent.total;
    assert.equal(after, before, "no second issue");
    const g = await s.ok("get_issue", { project: EXT, issue_id: id });
    assert.equal(g.structuredContent.issue.services.length, 2);
    assert.equal(g.structuredContent.issue.pocs.length, 1);
    const other = await s.ok("create_issue", { project: EXT, name: "Weak JWT secret", cvss: 8.1,
      url_path: "/other", dedupe: true });
    assert.notEqual(other.structuredContent.issue_id, id);
    await s.invalid("create_issue", { project: EXT, name: "x", dedupe: "yes" });
  });

  let i1, i2, i3;
  await check("issue triage: bulk edit, main PoC, share link, merge, bulk delete", async () => {
    const mk = async (name, extra) => (await s.ok("create_issue", { project: EXT, name,
      description: "Header missing.", cvss: 4.3, ...extra })).structuredContent.issue_id;
    i1 = await mk("Missing HSTS header", { services: [{ host: "203.0.113.10", port: 22 }] });
    i2 = await mk("Missing HSTS header", { services: [{ host: "203.0.113.11", port: 443 }] });
    i3 = await mk("Missing HSTS header", { description: "Other wording." });
    const u = await s.ok("update_issues", { project: EXT, issue_ids: [i1, i2, NOPE], status: "Confirmed" });
    assert.deepEqual(u.structuredContent.updated.sort(), [i1, i2].sort());
    assert.deepEqual(u.structuredContent.not_found, [NOPE]);
    const same = await s.ok("update_issues", { project: EXT, issue_ids: [i1], status: "Confirmed" });
    assert.deepEqual(same.structuredContent.unchanged, [i1]);
    // Only the score changes: the status set above stays (PCF's form would reset it).
    await s.ok("update_issues", { project: EXT, issue_ids: [i1, i2, i3], criticality: "medium" });
    const g1 = (await s.ok("get_issue", { project: EXT, issue_id: i1 })).structuredContent.issue;
    assert.equal(g1.status, "Confirmed");
    assert.equal(g1.cvss, 5);
    await s.invalid("update_issues", { project: EXT, issue_ids: [i1], cvss: 12 });
    await s.err("update_issues", { project: EXT, issue_ids: [i1] }, /nothing to change/, "validation");
    await s.err("update_issues", { project: EXT, issue_ids: [NOPE], status: "Fixed" },
      /none of the given issues/);

    // Main PoC.
    const pa = (await s.ok("add_poc", { project: EXT, issue_id: i3, text: "one" })).structuredContent.poc_id;
    const pb = (await s.ok("add_poc", { project: EXT, issue_id: i3, text: "two" })).structuredContent.poc_id;
    const m = await s.ok("set_main_poc", { project: EXT, issue_id: i3, poc_id: pb });
    assert.deepEqual(m.structuredContent.also_main, [pa]);
    assert.match(m.structuredContent.notice, /cannot unmark/);
    await s.invalid("set_main_poc", { project: EXT, issue_id: i3 });
    await s.err("set_main_poc", { project: EXT, issue_id: i3, poc_id: NOPE }, /has no PoC/);

    // Share link (no login needed to read it).
    const sh = await s.ok("get_issue_share_link", { project: EXT, issue_id: i1 });
    assert.equal(sh.structuredContent.url, `${fake.url}/share/issue/${i1}/`);
    const page = await fetch(sh.structuredContent.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Missing HSTS header/);
    await s.invalid("get_issue_share_link", { project: EXT });
    await s.err("get_issue_share_link", { project: EXT, issue_id: NOPE }, /Issue not found/);

    // Merge: i1 and i2 are exact duplicates; i3 differs in its description.
    // Whichever id is larger is removed: refused while that one has PoCs.
    await s.err("merge_issues", { project: EXT, issue_ids: [i1, i2, i3], confirm: "2" },
      /must repeat the number of `issue_ids`/, "validation");
    const mg = await s.ok("merge_issues", { project: EXT, issue_ids: [i1, i2, i3], confirm: "3" });
    assert.equal(mg.structuredContent.merged.length, 1);
    const kept = [i1, i2].sort()[0], gone = [i1, i2].sort()[1];
    assert.equal(mg.structuredContent.merged[0].kept, kept);
    assert.deepEqual(mg.structuredContent.merged[0].removed, [gone]);
    assert.equal(mg.structuredContent.merged[0].services, 2);
    assert.match(mg.structuredContent.not_merged[0].reason, /differs in: description/);
    await s.err("get_issue", { project: EXT, issue_id: gone }, /Issue not found/);
    // A duplicate with evidence is not merged away.
    const d1 = (await s.ok("create_issue", { project: EXT, name: "Dup with PoC", cvss: 3 })).structuredContent.issue_id;
    const d2 = (await s.ok("create_issue", { project: EXT, name: "Dup with PoC", cvss: 3 })).structuredContent.issue_id;
    const loser = [d1, d2].sort()[1];
    await s.ok("add_poc", { project: EXT, issue_id: loser, text: "evidence" });
    await s.err("merge_issues", { project: EXT, issue_ids: [d1, d2], confirm: "2" },
      /would be lost: .*1 PoC/);
    await s.ok("get_issue", { project: EXT, issue_id: loser });
    await s.invalid("merge_issues", { project: EXT, issue_ids: ["x"], confirm: "1" });
    await s.err("merge_issues", { project: EXT, issue_ids: [NOPE, gone], confirm: "2" },
      /none of the given issues/);

    const del = await s.ok("delete_issues", { project: EXT, issue_ids: [kept, i3, NOPE], confirm: "3" });
    assert.deepEqual(del.structuredContent.deleted.sort(), [kept, i3].sort());
    assert.deepEqual(del.structuredContent.not_found, [NOPE]);
    await s.invalid("delete_issues", { project: EXT, confirm: "1" });
    await s.err("delete_issues", { project: EXT, issue_ids: [kept], confirm: "1" }, /none of the given/);
  });

  let taskId;
  await check("tasks: create, list, move, edit, delete", async () => {
    const users = (await s.ok("whoami", {})).structuredContent.user.id;
    const c = await s.ok("create_task", { project: EXT, name: "Brute-force SSH", criticality: "high",
      start_date: "2026-03-01", end_date: "2026-03-02", user_ids: [users],
      services: [{ host: "203.0.113.10", port: 22 }] });
    taskId = c.structuredContent.task_id;
    const l = await s.ok("list_tasks", { project: EXT, status: "todo" });
    const t = l.structuredContent.tasks.find((x) => x.id === taskId);
    assert.equal(t.start_date, "2026-03-01");
    assert.deepEqual(t.user_ids, [users]);
    assert.equal(t.services.length, 1);
    const mv = await s.ok("update_task", { project: EXT, task_id: taskId, status: "progress" });
    assert.equal(mv.structuredContent.task.status, "progress");
    // A partial edit keeps everything it does not name (PCF's form would reset it).
    const ed = await s.ok("update_task", { project: EXT, task_id: taskId, description: "hydra top 100" });
    assert.equal(ed.structuredContent.task.status, "progress");
    assert.equal(ed.structuredContent.task.criticality, "high");
    assert.deepEqual(ed.structuredContent.task.user_ids, [users]);
    assert.equal(ed.structuredContent.task.services.length, 1);
    await s.invalid("create_task", { project: EXT, name: "x", status: "blocked" });
    await s.invalid("update_task", { project: EXT, task_id: taskId, criticality: "urgent" });
    await s.err("create_task", { project: EXT, name: "x", user_ids: [NOPE] }, /One of users was not found/);
    await s.err("update_task", { project: EXT, task_id: NOPE, status: "done" }, /Task was not found/);
    await s.err("update_task", { project: EXT, task_id: NOPE, name: "y" }, /no task/);
    await s.invalid("list_tasks", { project: EXT, status: "blocked" });
    await s.err("list_tasks", { project: NOPE }, /project not found|Project not found/);
    await s.ok("delete_task", { project: EXT, task_id: taskId, confirm: taskId });
    await s.invalid("delete_task", { project: EXT, task_id: taskId });
    await s.err("delete_task", { project: EXT, task_id: taskId, confirm: taskId }, /Task was not found/);
    assert.equal((await s.ok("list_tasks", { project: EXT })).structuredContent.total, 0);
  });

  await check("files: upload, list, download (with PCF's broken download route), delete", async () => {
    const text = "+ Server: Apache/2.4.49\n+ /admin/: <found> & \"open\"\n";
    const up = await s.ok("upload_file", { project: EXT, filename: "nikto.txt", text,
      description: "nikto output", services: [{ host: "203.0.113.10", port: 22 }] });
    const fid = up.structuredContent.file_id;
    const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex");
    const upb = await s.ok("upload_file", { project: EXT, filename: "shot.png",
      content_base64: png.toString("base64"), filetype: "image" });
    const bin = await s.ok("upload_file", { project: EXT, filename: "dump.bin",
      content_base64: Buffer.from([0, 1, 2, 255]).toString("base64") });
    const l = await s.ok("list_files", { project: EXT });
    const f = l.structuredContent.files.find((x) => x.id === fid);
    assert.deepEqual(f.services, ["203.0.113.10:22"]);
    assert.equal(l.structuredContent.files.find((x) => x.id === bin.structuredContent.file_id).type, "binary");
    const d = await s.ok("download_file", { project: EXT, file_id: fid });
    assert.equal(d.structuredContent.source, "viewer");
    assert.equal(d.structuredContent.content_text, text);
    assert.match(d.structuredContent.notice, /Flask 2\.2/);
    await s.err("download_file", { project: EXT, file_id: bin.structuredContent.file_id },
      /cannot serve this file.*attachment_filename/s);
    await s.invalid("upload_file", { project: EXT, filename: "x.txt", text: "a", filetype: "pdf" });
    await s.err("upload_file", { project: EXT, filename: "x.txt" }, /give the content/, "validation");
    await s.err("upload_file", { project: EXT, filename: "x.txt", text: "a",
      services: [{ port_id: NOPE }] }, /HTTP 500.*nothing was stored|not in the project/s);
    assert.equal((await s.ok("list_files", { project: EXT })).structuredContent.total, 3);
    await s.invalid("list_files", { project: EXT, text: 5 });
    await s.err("list_files", { project: NOPE }, /project not found|Project not found/);
    await s.invalid("download_file", { project: EXT });
    await s.err("download_file", { project: EXT, file_id: NOPE }, /no file/);
    await s.ok("delete_file", { project: EXT, file_id: upb.structuredContent.file_id,
      confirm: upb.structuredContent.file_id });
    await s.invalid("delete_file", { project: EXT, file_id: fid, confirm: 5 });
    await s.err("delete_file", { project: EXT, file_id: NOPE, confirm: NOPE }, /no file/);
    assert.equal((await s.ok("list_files", { project: EXT })).structuredContent.total, 2);
  });

  await check("chats: list, read, post (creating a chat by name)", async () => {
    const l = await s.ok("list_chats", { project: EXT });
    const general = l.structuredContent.chats.find((c) => c.name === "general").id;
    const p = await s.ok("post_chat_message", { project: EXT, chat: "general", message: "Found <b>admin</b>" });
    assert.equal(p.structuredContent.chat_id, general);
    const n = await s.ok("post_chat_message", { project: EXT, chat: "day-2", message: "start" });
    assert.equal(n.structuredContent.chat_created, true);
    const msgs = await s.ok("list_chats", { project: EXT, chat_id: general });
    assert.deepEqual(msgs.structuredContent.messages.map((m) => m.message), ["Kick-off done.", "Found <b>admin</b>"]);
    assert.equal(msgs.structuredContent.messages[1].from, MAIN_EMAIL);
    await s.invalid("post_chat_message", { project: EXT, chat: "general" });
    await s.err("post_chat_message", { project: EXT, chat: NOPE, message: "x" }, /no chat/);
    await s.invalid("list_chats", { project: EXT, chat_id: "general" });
    await s.err("list_chats", { project: EXT, chat_id: NOPE }, /no chat/);
  });

  await check("services: list, add to several hosts, rename everywhere", async () => {
    const hosts = (await s.ok("list_hosts", { project: EXT, limit: 500 })).structuredContent.hosts;
    hostA = hosts.find((h) => h.ip === "203.0.113.10").id;
    hostB = "203.0.113.11";
    const a = await s.ok("add_service", { project: EXT, port: 8443, service: "https-alt",
      description: "Tomcat", hosts: [hostA, hostB] });
    assert.equal(a.structuredContent.added.length, 2);
    const again = await s.ok("add_service", { project: EXT, port: 8443, hosts: [hostA] });
    assert.deepEqual(again.structuredContent.already_there, [hostA]);
    const l = await s.ok("list_services", { project: EXT, port: 8443 });
    assert.equal(l.structuredContent.services.length, 1);
    assert.equal(l.structuredContent.services[0].host_count, 2);
    const u = await s.ok("update_service", { project: EXT, port: 8443, service: "https-alt",
      new_service: "https", new_description: "Apache Tomcat 9" });
    assert.equal(u.structuredContent.updated, 2);
    const l2 = await s.ok("list_services", { project: EXT, port: 8443 });
    assert.equal(l2.structuredContent.services[0].service, "https");
    assert.equal(l2.structuredContent.services[0].host_count, 2, "no host lost its port");
    await s.invalid("add_service", { project: EXT, port: 70000, hosts: [hostA] });
    await s.err("add_service", { project: EXT, port: 8080, hosts: ["192.0.2.99"] }, /no host with IP/);
    await s.invalid("update_service", { project: EXT, port: 8443, new_protocol: "sctp" });
    await s.err("update_service", { project: EXT, port: 8443, service: "nothing", new_service: "x" },
      /no port 8443\/tcp with that service in this project/);
    await s.err("update_service", { project: EXT, port: 8443, service: "https", new_port: 22 },
      /already has port 22\/tcp/, "validation");
    await s.invalid("list_services", { project: EXT, port: "x" });
    await s.err("list_services", { project: NOPE }, /project not found|Project not found/);
  });

  await check("network paths and network access_from", async () => {
    const hosts = (await s.ok("get_host", { project: EXT, host: "203.0.113.10" })).structuredContent.host;
    port22 = hosts.ports.find((p) => p.port === 22).id;
    const net = await s.ok("create_network", { project: EXT, ip: "10.50.0.0", mask: 24, name: "backend",
      access_from: [{ port_id: port22 }] });
    const nid = net.structuredContent.network_id;
    const g = await s.ok("get_network", { project: EXT, network_id: nid });
    assert.ok(Object.keys(g.structuredContent.network.access_from).includes(port22));
    const a = await s.ok("add_network_path", { project: EXT, from: "203.0.113.10", to: "10.50.0.0/24",
      type: "attack", description: "pivot" });
    assert.equal(a.structuredContent.replaced_existing, false);
    const a2 = await s.ok("add_network_path", { project: EXT, from: hostA, to: nid, direction: "two_side" });
    assert.equal(a2.structuredContent.path_id, a.structuredContent.path_id);
    assert.equal(a2.structuredContent.replaced_existing, true);
    const l = await s.ok("list_network_paths", { project: EXT });
    const p = l.structuredContent.paths[0];
    assert.equal(p.from.label, "203.0.113.10");
    assert.match(p.to.label, /^10\.50\.0\.0\/24 backend$/);
    assert.equal(p.direction, "two_side");
    await s.invalid("add_network_path", { project: EXT, from: "203.0.113.10", to: nid, type: "tunnel" });
    await s.err("add_network_path", { project: EXT, from: "192.0.2.1", to: nid }, /neither a host/);
    await s.err("add_network_path", { project: EXT, from: nid, to: nid }, /two different ends/);
    await s.invalid("list_network_paths", { project: EXT, limit: -1 });
    await s.err("list_network_paths", { project: NOPE }, /project not found|Project not found/);
    await s.ok("delete_network_path", { project: EXT, path_id: p.id, confirm: p.id });
    await s.invalid("delete_network_path", { project: EXT, path_id: p.id });
    await s.err("delete_network_path", { project: EXT, path_id: p.id, confirm: p.id }, /no path/);
    await s.ok("update_network", { project: EXT, network_id: nid, access_from: [] });
    await s.invalid("update_network", { project: EXT, network_id: nid, access_from: [{ port_id: "x" }] });
  });

  await check("lists: hosts import keeps existing hosts, credentials import and export", async () => {
    const before = (await s.ok("get_host", { project: EXT, host: "203.0.113.10" })).structuredContent.host;
    const r = await s.ok("import_hosts", { project: EXT, threats: ["check"], hosts: [
      { ip: "198.18.0.5", hostname: "web1.acme.example", description: "front", os: "Linux" },
      { ip: "198.18.0.5", hostname: "web2.acme.example" },
      { ip: "198.18.0.6" },
      { ip: "not-an-ip" },
      { ip: "198.18.0.7", hostname: "bad_name" },
      { ip: "203.0.113.10", hostname: "added.acme.example", description: "would erase" }] });
    const sc = r.structuredContent;
    assert.equal(sc.created, 2);
    assert.equal(sc.existing, 1);
    assert.equal(sc.hostnames_added, 3);
    assert.equal(sc.rejected.length, 2);
    assert.deepEqual(sc.unchanged_existing, ["203.0.113.10"]);
    assert.equal(sc.hosts_after - sc.hosts_before, 2);
    const after = (await s.ok("get_host", { project: EXT, host: "203.0.113.10" })).structuredContent.host;
    assert.equal(after.description, before.description, "description kept");
    assert.equal(after.os, before.os, "OS kept");
    assert.ok(after.hostnames.some((h) => h.hostname === "added.acme.example"));
    const w1 = (await s.ok("get_host", { project: EXT, host: "198.18.0.5" })).structuredContent.host;
    assert.equal(w1.os, "Linux");
    assert.equal(w1.hostnames.length, 2);
    await s.invalid("import_hosts", { project: EXT, hosts: [] });
    await s.err("import_hosts", { project: NOPE, hosts: [{ ip: "198.18.0.9" }] }, /Project not found/);

    const creds = "alice;5f4dcc3b5aa765d61d8327deb882cf99;password\r\nbob;e10adc3949ba59abbe56e057f20f883e;\n\ncarol\n";
    const c = await s.ok("import_credentials", { project: EXT, text: creds, login_column: 1,
      hash_column: 2, cleartext_column: 3, hash_type: "md5_hex", source: "db.sql" });
    assert.equal(c.structuredContent.added, 2);
    assert.equal(c.structuredContent.blank_lines, 2);
    assert.equal(c.structuredContent.rejected.length, 1);
    const again = await s.ok("import_credentials", { project: EXT, text: creds, login_column: 1,
      hash_column: 2, cleartext_column: 3, hash_type: "md5_hex", source: "db.sql" });
    assert.equal(again.structuredContent.added, 0);
    assert.equal(again.structuredContent.skipped_duplicates, 2);
    const list = (await s.ok("list_credentials", { project: EXT, text: "alice" })).structuredContent;
    assert.equal(list.credentials[0].source, "db.sql");
    assert.equal(list.credentials[0].login, "alice");
    await s.invalid("import_credentials", { project: EXT, text: "x" });
    await s.err("import_credentials", { project: EXT, text: "x;y", login_column: 1, hash_column: 1 },
      /name the same column/);
    const e = await s.ok("export_credentials", { project: EXT, kind: "user_pass" });
    assert.ok(e.structuredContent.lines.includes("alice:password"));
    const users = await s.ok("export_credentials", { project: EXT, kind: "usernames" });
    assert.ok(users.structuredContent.lines.includes("bob"));
    await s.invalid("export_credentials", { project: EXT, kind: "hashes" });
    await s.err("export_credentials", { project: NOPE }, /project not found|Project not found/);
  });

  await check("team membership: add, admin, remove (also where PCF's API fails)", async () => {
    const teams = (await s.ok("list_teams", {})).structuredContent.teams;
    const team = teams.find((t) => t.is_admin).id;
    const members = async () => (await s.ok("get_team", { team_id: team, logs: 0 })).structuredContent.members;
    const second = (await members()).find((m) => m.email === SECOND);
    assert.ok(second, "seeded second member");
    await s.err("add_team_member", { team_id: team, email: SECOND }, /already in team/);
    await s.ok("set_team_admin", { team_id: team, user_id: second.id, admin: true });
    assert.equal((await members()).find((m) => m.id === second.id).is_admin, true);
    await s.ok("set_team_admin", { team_id: team, user_id: second.id, admin: false });
    assert.equal((await members()).find((m) => m.id === second.id).is_admin, false);
    await s.invalid("set_team_admin", { team_id: team });
    await s.err("set_team_admin", { team_id: team, user_id: NOPE }, /User is not in team/);
    // PCF 6c83154's API answers 500 to every removal: the web UI does it.
    await fake.control("/__fake__/config", { bugs: true });
    try {
      const r = await s.ok("remove_team_member", { team_id: team, user_id: second.id, confirm: second.id });
      assert.match(r.structuredContent.via, /team page/);
    } finally {
      await fake.control("/__fake__/config", { bugs: false });
    }
    assert.ok(!(await members()).some((m) => m.id === second.id));
    await s.err("remove_team_member", { team_id: team, user_id: second.id, confirm: second.id },
      /User is not in team/);
    await s.invalid("remove_team_member", { team_id: team, user_id: second.id });
    const add = await s.ok("add_team_member", { team_id: team, email: SECOND });
    assert.equal(add.structuredContent.email, SECOND);
    assert.ok((await members()).some((m) => m.id === second.id));
    await s.invalid("add_team_member", { team_id: team });
    await s.err("add_team_member", { team_id: team, email: "nobody@example.com" }, /Email does not exist/);
  });

  await check("tokens: show this server's token, disable it (renewed from pcf.email)", async () => {
    const l = await s.ok("list_tokens", {});
    const t = l.structuredContent.tokens[0];
    assert.equal(t.id_prefix.length, 8);
    assert.equal(t.renewable, true);
    await s.err("disable_token", { token_prefix: "ffffffff", confirm: "ffffffff" }, /is not this server's token/);
    await s.invalid("disable_token", { token_prefix: "short", confirm: "short" });
    const d = await s.ok("disable_token", { token_prefix: t.id_prefix, confirm: t.id_prefix });
    assert.equal(d.structuredContent.renewable, true);
    // The next call creates a new token from pcf.email.
    await fake.control("/__fake__/clock", { advance: 2 });
    const l2 = await s.ok("list_tokens", {});
    assert.notEqual(l2.structuredContent.tokens[0].id_prefix, t.id_prefix);
    await s.invalid("list_tokens", { extra: 1 });
    await fake.control("/__fake__/faults", { mode: "status", status: 503, count: 0,
      path: "^/api/v1/check_token$" });
    try {
      await s.err("list_tokens", {}, /503|unreachable|HTTP/);
    } finally {
      await fake.control("/__fake__/faults/clear", {});
    }
  });
}

async function toolsetSuite(fake) {
  await check("default toolsets: the daily loop within the context budget, the rest withheld with the setting that brings it", async () => {
    for (const destructive of ["false", "true"]) {
      const s = await session(fake, { PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE: destructive });
      try {
        const { tools } = await s.client.listTools();
        const names = tools.map((t) => t.name);
        for (const t of ["list_projects", "list_hosts", "create_issue", "add_poc", "add_note",
          "generate_report", "whoami", "check_token"])
          assert.ok(names.includes(t), `${t} by default`);
        for (const t of ["list_networks", "list_credentials", "import_scan", "list_tasks",
          "list_toolsets"])
          assert.ok(!names.includes(t), `${t} not by default`);
        const bytes = bytesWithoutOutput(tools);
        assert.ok(bytes <= BUDGET_BYTES, `default tool list is ${bytes} bytes (${bytes / 4} tokens)`);
        await assert.rejects(s.client.callTool({ name: "list_tasks", arguments: {} }), (e) => {
          assert.match(e.data?.reason, /toolset "tasks" is switched off \(tools\.toolsets\)/);
          return true;
        });
      } finally {
        await s.close();
      }
    }
  });
  await check("tools.toolsets picks toolsets; context always stays; unknown names stop the server", async () => {
    const s = await session(fake, { PCF_MCP_TOOLS_TOOLSETS: "tasks" });
    try {
      const names = (await s.client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(names, ["check_token", "create_task", "list_tasks", "update_task", "whoami"]);
    } finally {
      await s.close();
    }
    await assert.rejects(connect({ ...baseEnv(fake), PCF_MCP_TOOLS_TOOLSETS: "default,taks" }));
  });
  await check("dynamic mode: list_toolsets, enable_toolset, one list_changed, tools callable", async () => {
    const s = await session(fake, { PCF_MCP_TOOLS_DYNAMIC: "true" });
    let changed = 0;
    s.client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    try {
      const first = (await s.client.listTools()).tools.map((t) => t.name);
      assert.ok(first.includes("list_toolsets") && first.includes("enable_toolset"));
      assert.ok(!first.includes("list_tasks"));
      await assert.rejects(s.client.callTool({ name: "list_tasks", arguments: { project: EXT } }), (e) => {
        assert.match(e.data?.reason, /not enabled yet: call enable_toolset with toolset "tasks" first/);
        return true;
      });
      const ls = await s.ok("list_toolsets", {});
      const tasks = ls.structuredContent.toolsets.find((t) => t.name === "tasks");
      assert.equal(tasks.enabled, false);
      assert.deepEqual(tasks.tools.sort(), ["create_task", "list_tasks", "update_task"]);
      assert.equal(ls.structuredContent.toolsets.find((t) => t.name === "issues").enabled, true);
      const en = await s.ok("enable_toolset", { toolset: "tasks" });
      assert.equal(en.structuredContent.already_enabled, false);
      for (let i = 0; i < 100 && changed === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(changed, 1, "one notifications/tools/list_changed for the toolset");
      const now = (await s.client.listTools()).tools.map((t) => t.name);
      assert.ok(now.includes("list_tasks") && now.includes("create_task"));
      makeSession(s, (await s.client.listTools()).tools);
      await s.ok("list_tasks", { project: EXT });
      const again = await s.ok("enable_toolset", { toolset: "tasks" });
      assert.equal(again.structuredContent.already_enabled, true);
      await s.invalid("enable_toolset", {});
      await s.err("enable_toolset", { toolset: "nope" }, /unknown toolset "nope"/);
      // Gates still hold: destructive tools stay off, so delete_task is not added.
      assert.ok(!now.includes("delete_task"));
    } finally {
      await s.close();
    }
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
