// Property: a write loses nothing (issue #10 §1).
//
// For every write tool pcf-mcp advertises (create_*, add_*, update_*, edit_*),
// every parameter of its inputSchema is written through the tool and read
// back from the fake PCF's own state (GET /__fake__/object/<id>, never
// through pcf-mcp); then every update tool changes one parameter at a time
// and every other stored field must stay as it was. The tools and their
// parameters come from tools/list, so a new writable field is covered
// without touching this file: its value must show up in PCF's row (or the
// test fails and says which parameter went missing).
//
// How a parameter is stored is PCF's business; the few places where PCF
// keeps a value in another shape (protocol as is_tcp, dates as seconds,
// criticality as a score, port_ids as the services map...) are listed in
// STORED below. Anything not listed must appear verbatim in the row.
import assert from "node:assert/strict";

import { checker, connect, MAIN_EMAIL, MAIN_PASSWORD, startFake, textOf } from "./tools-harness.mjs";

const T = checker();
const check = T.check;

const EXT = "ACME external pentest";

const clone = (x) => JSON.parse(JSON.stringify(x));
const CRIT_CVSS = { info: 0, low: 2, medium: 5, high: 8, critical: 9.5 };
const dateSecs = (d) => Date.parse(d + "T00:00:00Z") / 1000;

// Parameter -> how PCF stores it: a function of (value, row, ctx) that says
// whether the row holds the value. Keys are "tool.param" or "param".
const STORED = {
  protocol: (v, row) => row.is_tcp === (v !== "udp"),
  start_date: (v, row) => row.start_date === dateSecs(v),
  end_date: (v, row) => row.end_date === dateSecs(v),
  auto_archive: (v, row) => Number(row.auto_archive) === Number(v),
  "update_project.status": (v, row) => row.status === (v === "active" ? 1 : 0),
  criticality: (v, row) => row.cvss === CRIT_CVSS[v],
  port_ids: (v, row) => v.every((p) => p in row.services) && Object.keys(row.services).length === v.length,
  services: (v, row) => v.every((s) => s.port_id in row.services),
  access_from: (v, row) => v.every((s) => s.port_id in row.access_from),
  // A switch for how to write (merge into an existing duplicate), not a value.
  "create_issue.dedupe": () => true,
  fields: (v, row) => Object.entries(v).every(([k, f]) => row.fields[k] && row.fields[k].type === f.type &&
    String(row.fields[k].value === true ? 1 : row.fields[k].value === false ? 0 : row.fields[k].value) ===
      String(f.type === "float" || f.type === "number" ? Number(f.value) : f.value)),
  remove_fields: (v, row) => v.every((k) => !(k in row.fields)),
  // PoCs: the content is the file PCF keeps.
  "add_poc.text": (v, row) => row.content && row.content.text === v,
  "add_poc.content_base64": (v, row) => row.content && (row.content.base64 === v ||
    Buffer.from(row.content.text || "", "utf8").toString("base64") === v),
  // Children written by a composite tool live in their own rows.
  "add_host.hostnames": (v, row, ctx) => v.every((h) => ctx.children.some((c) => c.hostname === h)),
  "add_host.ports": (v, row, ctx) => v.every((p) => ctx.children.some((c) => c.port === p.port &&
    c.is_tcp === (p.protocol !== "udp") && c.service === (p.service ?? c.service) &&
    c.description === (p.description ?? c.description))),
  "create_issue.poc": (v, row, ctx) => ctx.children.some((c) => c.content && c.content.text === v.text &&
    c.description === v.description),
  // PCF stores a note's text as HTML.
  "add_note.text": (v, row) => row.html === v,
  "edit_note.text": (v, row) => row.html === v,
  host: (v, row) => row.host_id === v || row.id === v,
};
// Parameters that select what to write to, or how, not values.
const SELECTORS = new Set(["project", "issue_id", "port_id", "network_id", "credential_id",
  "note_id", "host", "confirm", "replace_description"]);
// Alternatives: only one of each group per call (the others get a call of their own).
const ALTERNATIVES = [["cvss", "criticality"], ["text", "content_base64"]];

function storedAs(tool, param, value, row, ctx) {
  const f = STORED[`${tool}.${param}`] || STORED[param];
  if (f) return f(value, row, ctx);
  // Anything else must be in the row as it was given.
  return Object.values(row).some((x) => JSON.stringify(x) === JSON.stringify(value) ||
    (typeof value === "number" && x === value));
}

async function main() {
  const fake = await startFake();
  const s = await connect({ PCF_MCP_PCF_URL: fake.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
    PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_TOOLS_VALIDATE_OUTPUT: "true",
    // The toolsets whose write tools each store one object; the workspace
    // toolsets (tasks, services, paths, teams admin...) write across
    // objects and have their own suite (stdio-workspace.mjs).
    PCF_MCP_TOOLS_TOOLSETS: "default,networks,credentials,teams" });
  const row = async (id) => {
    const r = await fake.control(`/__fake__/object/${id}`);
    assert.equal(r.status, "ok", `no object ${id} in the fake`);
    return r.record;
  };
  const call = async (name, args) => {
    const r = await s.client.callTool({ name, arguments: args });
    assert.ok(!r.isError, `${name}(${JSON.stringify(args).slice(0, 300)}) failed: ${textOf(r)}`);
    return r.structuredContent;
  };
  try {
    const { tools } = await s.client.listTools();
    const writers = tools.filter((t) => /^(create|add|update|edit)_/.test(t.name));
    const projects = (await call("list_projects", {})).projects;
    const ext = projects.find((p) => p.name === EXT).id;
    const me = (await call("whoami", {})).user.id;
    const team = (await call("list_teams", {})).teams[0];
    const members = (await call("get_team", { team_id: team.id, logs: 0 })).members.map((m) => m.id);
    const hosts = (await call("list_hosts", { project: ext, with_ports: true, limit: 500 })).hosts;
    const withName = hosts.find((h) => h.hostnames.length && h.ports.length);
    const hostInfo = (await call("get_host", { project: ext, host: withName.id })).host;
    const port = hostInfo.ports[0];
    const hostname = hostInfo.hostnames[0];

    let n = 0;
    const ctx = { project: ext, ids: {} };
    // A fresh value for a parameter, from its schema.
    const value = (tool, name, sch, prev) => {
      n++;
      if (name === "teams") return [team.id];
      if (name === "testers") return prev && prev.length === 1 ? members : [me];
      if (name === "port_ids") return prev && prev.length === 1 ? [port.id, ctx.ids.port_id || port.id]
        .filter((x, i, a) => a.indexOf(x) === i) : [port.id];
      if (name === "services") return [{ port_id: port.id, hostname: hostname.hostname }];
      if (name === "access_from") return [{ port_id: port.id }];
      // PCF 6c83154's issue types (older releases have others).
      if (name === "type" && /_issue$/.test(tool)) return prev === "remark" ? "vulnerability" : "remark";
      if (name === "fields") return prev
        ? { ticket: { type: "text", value: `ACME-${9000 + n}` } }
        : { priority: { type: "number", value: "3" }, exploited: { type: "boolean", value: "1" },
            ticket: { type: "text", value: "ACME-1" } };
      if (name === "remove_fields") return ["exploited"];
      if (name === "hostnames") return [`h${n}.prop.example`];
      if (name === "ports") return [{ port: 40000 + n, protocol: "udp", service: `svc${n}`,
        description: `banner ${n}` }];
      if (name === "poc") return { text: `poc text ${n}`, description: `poc ${n}` };
      if (name === "content_base64") return Buffer.from(`b64 poc ${n}`).toString("base64");
      if (name === "hostname_id") return hostname.id;
      if (name === "mask") return 8 + n % 24; // PCF refuses IPv4 masks over 32
      if (name === "cvss") return prev === undefined ? 7.3 : 3.95;
      if (name === "criticality") return prev === "critical" ? "low" : "critical";
      if (sch.anyOf && JSON.stringify(sch.anyOf).includes("ipv4")) return `198.51.${100 + (n >> 8) % 100}.${n % 250 + 1}`;
      if (sch.format === "hostname") return `n${n}.prop.example`;
      if (sch.format === "date") return `20${31 + n % 9}-0${1 + n % 9}-1${n % 10}`;
      if (sch.enum) {
        const opts = sch.enum.filter((e) => e !== prev);
        return name === "status" && tool === "update_project" ? (prev === "archived" ? "active" : "archived")
          : opts[n % opts.length];
      }
      if (sch.type === "array" && sch.items && sch.items.enum)
        return [sch.items.enum[n % sch.items.enum.length], sch.items.enum[(n + 3) % sch.items.enum.length]];
      if (sch.type === "integer") {
        const lo = sch.minimum ?? 0, hi = Math.min(sch.maximum ?? 100000, lo + 60000);
        return lo + 1 + (n * 7) % Math.max(1, hi - lo - 1);
      }
      if (sch.type === "number") return Math.round(((n % 90) / 10 + 0.5) * 10) / 10;
      if (sch.type === "boolean") return prev === undefined ? true : !prev;
      if (sch.type === "string") return `v-${tool}-${name}-${n}`.slice(0, sch.maxLength || 100);
      throw new Error(`${tool}.${name}: no value generator for schema ${JSON.stringify(sch)}`);
    };
    // Which object a tool wrote: the *_id it answers, or the one it was given.
    const target = (tool, args, sc) => {
      const noun = tool.replace(/^(create|add|update|edit)_/, "");
      const key = `${noun}_id`;
      if (sc[key]) return sc[key];
      if (noun === "project") return args.project;
      if (noun === "host") return args.host;
      return args[key];
    };
    const selectors = (tool, props) => {
      const a = {};
      if (props.project && tool !== "create_project") a.project = ctx.project;
      if (props.host) a.host = ctx.ids.host_id;
      for (const k of ["issue_id", "port_id", "network_id", "credential_id", "note_id"])
        if (props[k] && (tool.startsWith("update_") || tool.startsWith("edit_") || tool === "add_poc"))
          a[k] = ctx.ids[k];
      if (tool === "add_poc") a.port_id = port.id;
      if (tool === "update_project") a.project = ctx.ids.project_id;
      return a;
    };
    // Children of an object written by a composite tool (add_host, create_issue).
    const children = async (id) => {
      const ids = await fake.control("/__fake__/ids");
      const out = [];
      for (const t of ["ports", "hostnames", "pocs"])
        for (const cid of ids[t]) {
          const r = await row(cid);
          if (r.host_id === id || r.issue_id === id) out.push(r);
        }
      return out;
    };

    // Creates first (they make the objects the updates work on), in the
    // order their dependencies need.
    const order = ["create_project", "add_host", "add_port", "add_hostname", "create_network",
      "create_issue", "add_poc", "add_credential", "add_note"];
    const creates = writers.filter((t) => !/^(update|edit)_/.test(t.name))
      .sort((a, b) => (order.indexOf(a.name) + 99) % 100 - (order.indexOf(b.name) + 99) % 100);
    const updates = writers.filter((t) => /^(update|edit)_/.test(t.name));
    ctx.ids.host_id = withName.id;
    for (const t of creates) {
      const props = t.inputSchema.properties;
      const groups = ALTERNATIVES.filter((g) => g.every((p) => p in props));
      const rounds = Math.max(1, ...groups.map((g) => g.length));
      for (let k = 0; k < rounds; k++) {
        await check(`${t.name}: every parameter is stored${k ? ` (alternative ${k})` : ""}`, async () => {
          const args = selectors(t.name, props);
          for (const [p, sch] of Object.entries(props)) {
            if (SELECTORS.has(p) || p === "remove_fields" || p in args) continue;
            const g = groups.find((x) => x.includes(p));
            if (g && g[k % g.length] !== p) continue;
            args[p] = value(t.name, p, sch);
          }
          const sc = await call(t.name, args);
          const id = target(t.name, args, sc);
          assert.ok(id, `${t.name}: no id in ${JSON.stringify(sc)}`);
          const stored = await row(id);
          const kids = await children(id);
          for (const [p, v] of Object.entries(args)) {
            if (SELECTORS.has(p)) continue;
            assert.ok(storedAs(t.name, p, v, stored, { children: kids }),
              `${t.name}: parameter ${p} = ${JSON.stringify(v)} is not in PCF's row ${JSON.stringify(stored)}`);
          }
          if (k === 0) {
            const noun = t.name.replace(/^(create|add)_/, "");
            ctx.ids[`${noun}_id`] = id;
            ctx.last = ctx.last || {};
            ctx.last[noun] = args;
          }
        });
      }
    }

    // Updates: one parameter at a time; every other stored field stays.
    for (const t of updates) {
      const props = t.inputSchema.properties;
      const params = Object.keys(props).filter((p) => !SELECTORS.has(p))
        .sort((a, b) => (a === "status") - (b === "status"));
      const noun = t.name.replace(/^(update|edit)_/, "");
      for (const p of params) {
        await check(`${t.name}: changing ${p} alone keeps every other field`, async () => {
          const args = selectors(t.name, props);
          const id = target(t.name, args, {});
          assert.ok(id, `${t.name}: nothing to update (its create failed?)`);
          const before = await row(id);
          const prevArgs = (ctx.last && ctx.last[noun]) || {};
          args[p] = value(t.name, p, props[p], prevArgs[p] ?? (p === "status" ? "active" : undefined));
          await call(t.name, args);
          const after = await row(id);
          assert.ok(storedAs(t.name, p, args[p], after, { children: [] }),
            `${t.name}: ${p} = ${JSON.stringify(args[p])} not stored: ${JSON.stringify(after)}`);
          // Every member that changed must be the one this parameter writes.
          for (const k of Object.keys(before)) {
            if (JSON.stringify(before[k]) === JSON.stringify(after[k])) continue;
            if (p === "fields" || p === "remove_fields") {
              assert.equal(k, "fields", `${t.name}: ${p} changed ${k}`);
              const named = p === "fields" ? Object.keys(args[p]) : args[p];
              for (const f of Object.keys(before.fields))
                if (!named.includes(f))
                  assert.deepEqual(after.fields[f], before.fields[f],
                    `${t.name}: ${p} ${JSON.stringify(args[p])} lost custom field ${f}`);
              continue;
            }
            const alone = clone(before);
            alone[k] = after[k];
            const writes = storedAs(t.name, p, args[p], { [k]: after[k] }, { children: [] }) ||
              (p === "status" && k === "auto_archive") || (p === "criticality" && k === "cvss");
            assert.ok(writes, `${t.name}: changing ${p} also changed ${k}: ` +
              `${JSON.stringify(before[k])} -> ${JSON.stringify(after[k])}`);
          }
          ctx.last = ctx.last || {};
          ctx.last[noun] = { ...prevArgs, [p]: args[p] };
        });
      }
    }
    await check("every write tool was exercised", async () => {
      assert.ok(creates.length >= 9 && updates.length >= 7,
        `only ${creates.map((t) => t.name)} / ${updates.map((t) => t.name)}`);
    });
  } finally {
    await s.close();
    await fake.stop();
  }
  T.report("write property");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
