// The official TypeScript SDK client (StreamableHTTPClientTransport) against
// the real `pcf-mcp serve --transport http`, backed by the fake PCF:
//   * API keys (made with `pcf-mcp keys new`), with sessions and stateless:
//     the right key calls a tool that reaches PCF, a wrong or missing key is
//     a 401 the SDK reports;
//   * OAuth resource-server mode: an ES256 key pair made here, its JWKS
//     served from loopback, tokens signed here; a good token works, an
//     expired one or one for another audience is a 401 whose
//     WWW-Authenticate names the resource metadata;
//   * HTTPS with a certificate from a CA made by the runner (certtool): the
//     SDK trusts it through NODE_EXTRA_CA_CERTS, curl through --cacert;
//   * neither the key nor the token is ever sent on to PCF, and
//     pcf_mcp_identity_requests_total counts key:NAME and oauth.
// Usage: node sdk-auth.mjs PCF_MCP FAKE_PCF_PY WORKDIR TLSDIR
//   TLSDIR holds ca.pem, cert.pem and key.pem; NODE_EXTRA_CA_CERTS must name
//   its ca.pem (Node reads it only at start-up). Exit 0 = every check passed.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const [bin, fakePy, work, tlsDir] = process.argv.slice(2);
if (!tlsDir) {
  console.error('usage: sdk-auth.mjs PCF_MCP FAKE_PCF_PY WORKDIR TLSDIR');
  process.exit(2);
}
fs.mkdirSync(work, { recursive: true });
const PCF_TOKEN = '11111111-2222-4333-8444-555555555555';
let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${ok ? '' : ': ' + detail}`);
  if (!ok) failures++;
}
const children = [];
process.on('exit', () => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); });

// Waits until @p file's text matches @p re; the child must stay alive.
async function waitFor(child, file, re, what) {
  for (let i = 0; i < 150; i++) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const m = text.match(re);
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`${what} exited: ${text.slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

// ------------------------------------------------------------ fake PCF
const portFile = path.join(work, 'fake.port');
fs.rmSync(portFile, { force: true });
const fake = spawn('python3', [fakePy, '--port', '0', '--port-file', portFile, '--seed', 'demo',
                               '--token', PCF_TOKEN],
                   { stdio: ['ignore', 'ignore', fs.openSync(path.join(work, 'fake.log'), 'w')],
                     env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
children.push(fake);
await waitFor(fake, portFile, /^(\d+)/, 'fake PCF');
const fakeUrl = `http://127.0.0.1:${fs.readFileSync(portFile, 'utf8').trim()}`;
async function fakeRequests() {
  const r = await fetch(`${fakeUrl}/__fake__/requests`);
  return (await r.json()).requests;
}

// --------------------------------------------------------------- pcf-mcp
let serial = 0;
async function startServer(args, scheme = 'http') {
  const log = path.join(work, `pcf-mcp-${++serial}.log`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PCF_MCP_')));
  const child = spawn(bin, ['serve', '--transport', 'http', '--log-format', 'text', ...args],
                      { stdio: ['ignore', 'ignore', fs.openSync(log, 'w')],
                        env: { ...env, PCF_MCP_PCF_URL: fakeUrl, PCF_MCP_PCF_TOKEN: PCF_TOKEN } });
  children.push(child);
  const m = await waitFor(child, log, new RegExp(`listening on (${scheme}://[^ ]+/mcp)`), 'pcf-mcp');
  return { child, url: new URL(m[1]), log };
}
async function stopServer(s) {
  if (s.child.exitCode !== null) return;
  const done = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await done;
}

// A fetch that remembers the last response, so a test can see the status
// and WWW-Authenticate behind an error the SDK raises.
function recordingFetch() {
  const f = async (input, init) => {
    const r = await fetch(input, init);
    f.last = { status: r.status, wwwAuth: r.headers.get('www-authenticate') || '' };
    return r;
  };
  return f;
}

// Connects with @p token (or none), calls whoami; returns what happened.
async function session(url, token) {
  const fetchFn = recordingFetch();
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: fetchFn });
  const client = new Client({ name: 'sdk-auth-e2e', version: '1.0.0' });
  try {
    await client.connect(transport);
    const sessionId = transport.sessionId;
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    return { ok: !r.isError && !!r.structuredContent?.user, result: r, sessionId };
  } catch (err) {
    return { ok: false, err, code: err?.code, last: fetchFn.last };
  } finally {
    await client.close().catch(() => {});
  }
}

function expect401(name, r, wantAuthParam) {
  check(`${name}: the SDK reports 401`, !r.ok && r.code === 401,
        r.ok ? 'the call succeeded' : `${r.err?.name} code=${r.code} ${r.err?.message}`);
  check(`${name}: WWW-Authenticate Bearer${wantAuthParam ? ' ' + wantAuthParam : ''}`,
        r.last?.wwwAuth.startsWith('Bearer') && (!wantAuthParam || r.last.wwwAuth.includes(wantAuthParam)),
        JSON.stringify(r.last));
}

async function metric(url, series) {
  const r = await fetch(new URL('/metrics', url));
  const line = (await r.text()).split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.split(' ')[1]) : 0;
}

const secrets = [];
try {
  // ------------------------------------------------------------ API keys
  const keysFile = path.join(work, 'keys');
  const keys = {};
  let lines = '';
  for (const name of ['alice', 'bob']) {
    const r = spawnSync(bin, ['keys', 'new', name], { encoding: 'utf8' });
    const key = r.stderr.trim().split('\n').pop();
    check(`keys new ${name}`, r.status === 0 && /^\S+ sha256:[0-9a-f]{64}$/.test(r.stdout.trim()) &&
          key.length >= 32, `${r.status} ${r.stdout} ${r.stderr}`);
    keys[name] = key;
    lines += r.stdout;
    secrets.push(key);
  }
  fs.writeFileSync(keysFile, lines, { mode: 0o600 });

  for (const stateless of [false, true]) {
    const mode = stateless ? 'stateless' : 'stateful';
    const s = await startServer(['--server-port', '0', '--auth-api-keys-file', keysFile,
                                 ...(stateless ? ['--stateless'] : [])]);
    try {
      const good = await session(s.url, keys.alice);
      check(`api key ${mode}: whoami reaches PCF`, good.ok, good.err?.stack || JSON.stringify(good.result));
      check(`api key ${mode}: ${stateless ? 'no session id' : 'session id'}`,
            stateless ? good.sessionId === undefined : !!good.sessionId, String(good.sessionId));
      const bob = await session(s.url, keys.bob);
      check(`api key ${mode}: a second key works too`, bob.ok, bob.err?.message);
      expect401(`api key ${mode}, wrong key`, await session(s.url, 'pcfmcp_' + crypto.randomBytes(24).toString('hex')),
                'invalid_token');
      expect401(`api key ${mode}, no key`, await session(s.url, null));
      const n = await metric(s.url, 'pcf_mcp_identity_requests_total{identity="key:alice"}');
      check(`api key ${mode}: pcf_mcp_identity_requests_total{identity="key:alice"}`, n >= 2, n);
    } finally {
      await stopServer(s);
    }
  }

  // --------------------------------------------------------------- OAuth
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = 'e2e-' + crypto.randomBytes(4).toString('hex');
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' }] });
  let jwksFetches = 0;
  const jwksServer = http.createServer((req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(jwks);
  });
  await new Promise((r) => jwksServer.listen(0, '127.0.0.1', r));
  // pcf-mcp accepts an http JWKS URL only for a loopback host (otherwise
  // https, with auth.oauth_jwks_ca_file for a private CA).
  const jwksUrl = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;
  const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const sign = (claims) => {
    const input = `${b64u({ alg: 'ES256', typ: 'JWT', kid })}.${b64u(claims)}`;
    const sig = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${sig.toString('base64url')}`;
  };
  const issuer = 'https://auth.e2e.test';
  // The audience is the server's canonical URL: as behind a proxy, the
  // public URL (so the listener can take any free port).
  const audience = 'https://mcp.e2e.test/mcp';
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: issuer, aud: audience, sub: 'ada@example.com', iat: now, nbf: now - 5, exp: now + 300 };
  const good = sign(claims);
  const expired = sign({ ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
  const elsewhere = sign({ ...claims, aud: 'https://other.e2e.test/mcp' });
  secrets.push(good, good.split('.')[2]);
  for (const stateless of [false, true]) {
    const mode = stateless ? 'stateless' : 'stateful';
    const s = await startServer(['--server-port', '0', '--server-public-url', audience,
                                 '--auth-oauth-issuer', issuer,
                                 '--auth-oauth-audience', audience, '--auth-oauth-jwks-url', jwksUrl,
                                 ...(stateless ? ['--stateless'] : [])]);
    try {
      const ok = await session(s.url, good);
      check(`jwt ${mode}: good token, whoami reaches PCF`, ok.ok, ok.err?.stack || JSON.stringify(ok.result));
      for (const [what, tok] of [['expired', expired], ['wrong audience', elsewhere]])
        expect401(`jwt ${mode}, ${what}`, await session(s.url, tok),
                  'resource_metadata="https://mcp.e2e.test/.well-known/oauth-protected-resource');
      // A signature by the right key, but over other claims.
      const forged = good.slice(0, good.lastIndexOf('.') + 1) + elsewhere.split('.')[2];
      expect401(`jwt ${mode}, bad signature`, await session(s.url, forged), 'invalid_token');
      const n = await metric(s.url, 'pcf_mcp_identity_requests_total{identity="oauth"}');
      check(`jwt ${mode}: pcf_mcp_identity_requests_total{identity="oauth"}`, n >= 2, n);
      const subj = await (await fetch(new URL('/metrics', s.url))).text();
      check(`jwt ${mode}: no subject in metrics`, !subj.includes('ada@example.com'), 'subject is a label');
    } finally {
      await stopServer(s);
    }
  }
  check('jwt: JWKS fetched from the loopback server', jwksFetches > 0, jwksFetches);
  jwksServer.close();

  // ------------------------------------------------------------ TLS
  const ca = path.join(tlsDir, 'ca.pem');
  check('NODE_EXTRA_CA_CERTS names the test CA', process.env.NODE_EXTRA_CA_CERTS === ca,
        process.env.NODE_EXTRA_CA_CERTS);
  const t = await startServer(['--server-port', '0', '--auth-api-keys-file', keysFile,
                               '--server-tls-cert', path.join(tlsDir, 'cert.pem'),
                               '--server-tls-key', path.join(tlsDir, 'key.pem')], 'https');
  try {
    const r = await session(t.url, keys.alice);
    check('https: the SDK trusts the CA, whoami works', r.ok, r.err?.stack || JSON.stringify(r.result));
    expect401('https, no key', await session(t.url, null));
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {
      protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } });
    const curl = (extra) => spawnSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', ...extra,
      '-H', 'Content-Type: application/json', '-H', 'Accept: application/json, text/event-stream',
      '-H', `Authorization: Bearer ${keys.alice}`, '--data', init, t.url.href], { encoding: 'utf8' });
    const c1 = curl(['--cacert', ca]);
    check('https: curl --cacert initializes', c1.status === 0 && c1.stdout === '200', `${c1.status} ${c1.stdout} ${c1.stderr}`);
    const c2 = curl([]);
    check('https: curl without the CA refuses the certificate', c2.status === 60, `${c2.status} ${c2.stderr}`);
  } finally {
    await stopServer(t);
  }

  // ----------------------------------------- nothing of the client's to PCF
  const seen = await fakeRequests();
  // Everything PCF received: the path with its query, each header, the body.
  const values = seen.flatMap((r) => [r.path, r.body, ...r.headers.map(([, v]) => v)]);
  check('fake PCF recorded the calls, with the server\'s own PCF token',
        seen.length > 0 && values.some((v) => v.includes(PCF_TOKEN)), `${seen.length} requests`);
  const leaked = secrets.filter((sec) => values.some((v) => v.includes(sec)));
  check('no API key or JWT of a client reached PCF', leaked.length === 0, `${leaked.length} leaked`);
} catch (err) {
  check('no exception', false, err?.stack || String(err));
}
for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
