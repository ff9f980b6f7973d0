// Red-team regressions for issue #10: other instances of its defect classes
// than the ones the issue listed, each found against main and each checked
// in the fake PCF's own state (never only through pcf-mcp's answer).
//
//  - a write that answers ok while PCF stored nothing (notes edited or
//    deleted through an id of another project, an unknown id, or an
//    archived project: PCF's notes/edit redirects for all of them);
//  - a write whose stored value differs from the one sent (network names
//    PCF passes through int(): "007" became "7", and a 20-digit name hung
//    PCF);
//  - Markdown that still links (GFM's www. autolinks).
import assert from "node:assert/strict";

import { checker, connect, MAIN_EMAIL, MAIN_PASSWORD, startFake, textOf } from "./tools-harness.mjs";

const T = checker();
const check = T.check;

const EXT = "ACME external pentest";
const AD = "ACME internal AD assessment";

async function main() {
  const fake = await startFake();
  const s = await connect({ PCF_MCP_PCF_URL: fake.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
    PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_TOOLS_TOOLSETS: "all", PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE: "true",
    PCF_MCP_TOOLS_VALIDATE_OUTPUT: "true" });
  const row = async (id) => (await fake.control(`/__fake__/object/${id}`)).record;
  const call = (name, args) => s.client.callTool({ name, arguments: args });
  const ok = async (name, args) => {
    const r = await call(name, args);
    assert.ok(!r.isError, `${name}(${JSON.stringify(args)}) failed: ${textOf(r)}`);
    return r.structuredContent;
  };
  try {
    const projects = (await ok("list_projects", { limit: 100 })).projects;
    const ext = projects.find((p) => p.name === EXT).id;
    const ad = projects.find((p) => p.name === AD).id;
    const adNote = (await ok("list_notes", { project: ad })).notes[0];
    const extNote = (await ok("list_notes", { project: ext })).notes[0];

    await check("edit_note: a note of another project is not found, and stays as it was", async () => {
      const before = await row(adNote.id);
      for (const args of [{ text: "<p>overwritten</p>" }, { name: "renamed" }]) {
        const r = await call("edit_note", { project: ext, note_id: adNote.id, ...args });
        assert.ok(r.isError, `edit_note answered ok for a note of another project: ${textOf(r)}`);
        assert.match(textOf(r), /not found|not in this project/i);
      }
      assert.deepEqual(await row(adNote.id), before);
    });

    await check("edit_note: an unknown note id is not found", async () => {
      const r = await call("edit_note", { project: ext, note_id: "0b9f2c1e-5d1a-4c3e-9a6f-2e7d8c9b0a1f",
        name: "renamed" });
      assert.ok(r.isError, `edit_note answered ok for a note that does not exist: ${textOf(r)}`);
    });

    await check("delete_note: a note of another project is not reported deleted", async () => {
      const r = await call("delete_note", { project: ext, note_id: adNote.id, confirm: adNote.id });
      assert.ok(r.isError, `delete_note answered ok for a note of another project: ${textOf(r)}`);
      assert.ok(await row(adNote.id), "the other project's note is gone");
    });

    await check("edit_note in an archived project: an error, not ok", async () => {
      // Archive the project the way PCF's auto-archive does (end date past).
      await fake.control(`/__fake__/object/${ext}`, { set: { auto_archive: 1, end_date: 1000 } });
      try {
        const before = await row(extNote.id);
        const r = await call("edit_note", { project: ext, note_id: extNote.id, text: "<p>lost</p>" });
        assert.ok(r.isError, `edit_note answered ok but PCF stored nothing: ${textOf(r)}`);
        assert.deepEqual(await row(extNote.id), before);
        const d = await call("delete_note", { project: ext, note_id: extNote.id, confirm: extNote.id });
        assert.ok(d.isError, `delete_note answered ok in an archived project: ${textOf(d)}`);
        assert.ok(await row(extNote.id), "the note is gone");
      } finally {
        await fake.control(`/__fake__/object/${ext}`, { set: { auto_archive: 0, status: 1,
          end_date: Math.floor(Date.now() / 1000) + 86400 * 30 } });
      }
    });

    await check("create_issue and update_issue: a custom field value PCF would drop is refused", async () => {
      const bad = [["number", "3.5"], ["number", "1e3"], ["number", "1_000"], ["boolean", "true"],
        ["boolean", "yes"], ["float", "abc"], ["float", "1e400"], ["float", "nan"], ["number", " 7"]];
      for (const [type, value] of bad) {
        const r = await call("create_issue", { project: ext, name: `fields ${type} ${value}`,
          fields: { f: { type, value }, keep: { type: "text", value: "kept" } } });
        const made = (await fake.control("/__fake__/ids")).issues.length;
        assert.ok(r.isError, `create_issue answered ok for ${type} ${JSON.stringify(value)}, ` +
          `which PCF does not store as given: ${textOf(r)}`);
        assert.match(textOf(r), /custom field/i);
        assert.ok(made > 0);
      }
      const issue = (await ok("list_issues", { project: ext })).issues[0];
      const before = await row(issue.id);
      const r = await call("update_issue", { project: ext, issue_id: issue.id, name: "renamed too",
        fields: { f: { type: "number", value: "3.5" } } });
      assert.ok(r.isError, textOf(r));
      assert.deepEqual(await row(issue.id), before, "update_issue changed the issue before refusing");
      const good = await ok("create_issue", { project: ext, name: "fields fine",
        fields: { n: { type: "number", value: "-42" }, x: { type: "float", value: "2.5e-3" },
          b: { type: "boolean", value: "0" }, t: { type: "text", value: " any text " } } });
      const stored = (await row(good.issue_id)).fields;
      assert.deepEqual(stored, { n: { type: "number", value: -42 }, x: { type: "float", value: 0.0025 },
        b: { type: "boolean", value: false }, t: { type: "text", value: " any text " } });
    });

    await check("add_hostname does not silently replace an existing hostname's description", async () => {
      const host = (await ok("list_hosts", { project: ext, with_ports: true })).hosts
        .find((h) => h.hostnames && h.hostnames.length);
      const info = (await ok("get_host", { project: ext, host: host.id })).host;
      const hn = info.hostnames[0];
      await fake.control(`/__fake__/object/${hn.id}`, { set: { description: "from the client's DNS export" } });
      const r = await call("add_hostname", { project: ext, host: host.id, hostname: hn.hostname,
        description: "from crt.sh" });
      assert.ok(r.isError, `add_hostname replaced a description without saying so: ${textOf(r)}`);
      assert.match(textOf(r), /from the client's DNS export/);
      assert.equal((await row(hn.id)).description, "from the client's DNS export");
      // Asked for explicitly, it is replaced; the same description, or none, changes nothing.
      await ok("add_hostname", { project: ext, host: host.id, hostname: hn.hostname,
        description: "from the client's DNS export" });
      await ok("add_hostname", { project: ext, host: host.id, hostname: hn.hostname });
      assert.equal((await row(hn.id)).description, "from the client's DNS export");
      const sc = await ok("add_hostname", { project: ext, host: host.id, hostname: hn.hostname,
        description: "from crt.sh", replace_description: true });
      assert.equal(sc.hostname_id, hn.id);
      assert.equal((await row(hn.id)).description, "from crt.sh");
    });

    await check("edit_note and delete_note still work on the project's own notes", async () => {
      const sc = await ok("edit_note", { project: ext, note_id: extNote.id, text: "<p>new text</p>",
        name: "Recon 2" });
      assert.equal(sc.ok, true);
      const r = await row(extNote.id);
      assert.equal(r.html, "<p>new text</p>");
      assert.equal(r.name, "Recon 2");
      await ok("delete_note", { project: ext, note_id: extNote.id, confirm: extNote.id });
      assert.equal(await row(extNote.id), undefined);
    });
  } finally {
    await s.close();
    await fake.stop();
  }

  // With the read cache on, the read half of a read-modify-write must still
  // see what other PCF users stored meanwhile.
  const cf = await startFake();
  const cs = await connect({ PCF_MCP_PCF_URL: cf.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
    PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_TOOLS_TOOLSETS: "all", PCF_MCP_CACHE_ENABLED: "true", PCF_MCP_CACHE_TTL: "10m" });
  try {
    const callc = async (name, args) => {
      const r = await cs.client.callTool({ name, arguments: args });
      assert.ok(!r.isError, `${name}: ${textOf(r)}`);
      return r.structuredContent;
    };
    const ext = (await callc("list_projects", {})).projects.find((p) => p.name === EXT).id;
    await check("update_issue with the cache on keeps a custom field another user added", async () => {
      const issue = (await callc("list_issues", { project: ext })).issues[0];
      await callc("get_issue", { project: ext, issue_id: issue.id }); // cached now
      const row = (await cf.control(`/__fake__/object/${issue.id}`)).record;
      const fields = { ...row.fields, added_meanwhile: { type: "text", value: "by a colleague in PCF" } };
      await cf.control(`/__fake__/object/${issue.id}`, { set: { fields } });
      await callc("update_issue", { project: ext, issue_id: issue.id,
        fields: { ticket: { type: "text", value: "ACME-42" } } });
      const after = (await cf.control(`/__fake__/object/${issue.id}`)).record.fields;
      assert.ok(after.added_meanwhile, `the colleague's field is gone: ${JSON.stringify(after)}`);
      assert.equal(after.ticket.value, "ACME-42");
    });
    await check("update_credential with the cache on keeps hostnames another user tied to a port", async () => {
      const cred = (await callc("list_credentials", { project: ext })).credentials
        .find((x) => x.services.length > 0);
      assert.ok(cred, "a seeded credential with a service");
      const port = cred.services[0];
      const portRow = (await cf.control(`/__fake__/object/${port}`)).record;
      const hostRow = (await cf.control(`/__fake__/object/${portRow.host_id}`)).record;
      const ids = await cf.control("/__fake__/ids");
      let hn = null;
      for (const id of ids.hostnames) {
        const h = (await cf.control(`/__fake__/object/${id}`)).record;
        if (h.host_id === hostRow.id) hn = id;
      }
      assert.ok(hn, "a hostname on the credential's host");
      const row = (await cf.control(`/__fake__/object/${cred.id}`)).record;
      await cf.control(`/__fake__/object/${cred.id}`, { set: { services: { ...row.services, [port]: ["0", hn] } } });
      await callc("update_credential", { project: ext, credential_id: cred.id, port_ids: cred.services });
      const after = (await cf.control(`/__fake__/object/${cred.id}`)).record.services;
      assert.deepEqual([...after[port]].sort(), ["0", hn].sort(),
        `the hostname tied meanwhile is gone: ${JSON.stringify(after)}`);
    });
    await check("import_scan with the cache on counts from PCF, not from a cached export", async () => {
      await callc("get_project_snapshot", { project: ext }); // the export is cached now
      // Another client adds a host straight through PCF's API meanwhile.
      const api = async (route, body) => (await fetch(`${cf.url}/api/v1${route}`, { method: "POST",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).json();
      const tok = (await api("/create_token", { email: MAIN_EMAIL, password: MAIN_PASSWORD,
        name: "colleague", duration: 3600 })).access_token;
      assert.ok((await api(`/project/${ext}/host/new`, { access_token: tok, ip: "192.0.2.201",
        description: "" })).host_id);
      const nmap = `<?xml version="1.0"?><nmaprun scanner="nmap"><host><status state="up"/>
<address addr="192.0.2.202" addrtype="ipv4"/><ports><port protocol="tcp" portid="22">
<state state="open"/><service name="ssh"/></port></ports></host></nmaprun>`;
      const sc = await callc("import_scan", { project: ext, format: "nmap", content: nmap });
      assert.equal(sc.after.hosts - sc.before.hosts, 1,
        `the import added 1 host, the answer says ${sc.after.hosts - sc.before.hosts}`);
    });
  } finally {
    await cs.close();
    await cf.stop();
  }

  // PCF as it really is: network/create does int(name).
  const buggy = await startFake({ extra: ["--bugs"] });
  const b = await connect({ PCF_MCP_PCF_URL: buggy.url, PCF_MCP_PCF_EMAIL: MAIN_EMAIL,
    PCF_MCP_PCF_PASSWORD: MAIN_PASSWORD, PCF_MCP_TOOLS_TOOLSETS: "all", PCF_MCP_TOOLS_VALIDATE_OUTPUT: "true" });
  try {
    await check("create_network: names int() would change or choke on are stored as given", async () => {
      const ext = (await b.client.callTool({ name: "list_projects", arguments: {} }))
        .structuredContent.projects.find((p) => p.name === EXT).id;
      let k = 0;
      for (const name of ["007", "-0", "00", "99999999999999999999", "-12", "12"]) {
        const r = await b.client.callTool({ name: "create_network", arguments: {
          project: ext, ip: `10.77.${k++}.0`, mask: 24, name } });
        assert.ok(!r.isError, `create_network ${name}: ${textOf(r)}`);
        const stored = (await buggy.control(`/__fake__/object/${r.structuredContent.network_id}`)).record;
        assert.equal(stored.name, name, `network name ${JSON.stringify(name)} stored as ${JSON.stringify(stored.name)}`);
      }
    });
  } finally {
    await b.close();
    await buggy.stop();
  }
  T.report("red team");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
