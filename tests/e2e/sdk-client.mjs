// The official TypeScript SDK client (StreamableHTTPClientTransport) against
// a server over Streamable HTTP: initialize, list, call, progress,
// cancellation and, with sessions, sampling and elicitation round trips.
// Usage: node sdk-client.mjs URL [--stateless]   (exit 0 = every check passed)
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  CallToolResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

const url = new URL(process.argv[2]);
const stateless = process.argv.includes('--stateless');
let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${stateless ? 'stateless' : 'stateful'} ${name}${ok ? '' : ': ' + detail}`);
  if (!ok) failures++;
}

const client = new Client({ name: 'sdk-e2e', version: '1.0.0' },
                          { capabilities: { sampling: {}, elicitation: {} } });
client.setRequestHandler(CreateMessageRequestSchema, async () => ({
  role: 'assistant', content: { type: 'text', text: 'sdk says hi' }, model: 'e2e',
}));
client.setRequestHandler(ElicitRequestSchema, async () => ({
  action: 'accept', content: { username: 'ada', email: 'ada@example.com' },
}));
const transport = new StreamableHTTPClientTransport(url);
try {
  await client.connect(transport);
  check('initialize', client.getServerVersion()?.name === 'everything-server',
        JSON.stringify(client.getServerVersion()));
  check('session id', stateless ? transport.sessionId === undefined : !!transport.sessionId,
        String(transport.sessionId));

  const tools = await client.listTools();
  check('tools/list', tools.tools.some((t) => t.name === 'test_simple_text'), tools.tools.length);

  const r = await client.callTool({ name: 'test_simple_text', arguments: {} });
  check('tools/call', r.content?.[0]?.text?.startsWith('This is a simple text'), JSON.stringify(r));

  const seen = [];
  const p = await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, CallToolResultSchema,
                                  { onprogress: (n) => seen.push(n.progress) });
  check('progress', seen.length === 3 && seen[2] === 100 && p.content?.[0]?.text === 'Progress tool completed',
        JSON.stringify(seen));

  const res = await client.readResource({ uri: 'test://static-text' });
  check('resources/read', res.contents?.[0]?.text?.includes('static text'), JSON.stringify(res));

  const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
  check('prompts/get', JSON.stringify(prompt).includes("arg1='a'"), JSON.stringify(prompt));

  // Cancellation: abort a running call; the SDK sends notifications/cancelled
  // (and closes the stream). The call must reject and the server keep serving.
  const ac = new AbortController();
  const pending = client.callTool({ name: 'test_tool_with_progress', arguments: {} }, CallToolResultSchema,
                                  { signal: ac.signal, onprogress: () => ac.abort('user gave up') });
  let aborted = false;
  try { await pending; } catch { aborted = true; }
  check('cancellation', aborted, 'call was not aborted');
  const after = await client.callTool({ name: 'test_simple_text', arguments: {} });
  check('serves after cancellation', !after.isError, JSON.stringify(after));

  if (!stateless) {
    const s = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hello?' } });
    check('sampling round trip', s.content?.[0]?.text === 'LLM response: ' + JSON.stringify({
      role: 'assistant', content: { type: 'text', text: 'sdk says hi' }, model: 'e2e' }) ||
          s.content?.[0]?.text?.includes('sdk says hi'), JSON.stringify(s));
    const e = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } });
    check('elicitation round trip', e.content?.[0]?.text?.includes('ada@example.com'), JSON.stringify(e));
    await transport.terminateSession();
    check('session terminated', transport.sessionId === undefined, String(transport.sessionId));
  }
} catch (err) {
  check('no exception', false, err?.stack || String(err));
}
await client.close().catch(() => {});
console.log(failures ? `${failures} failed` : 'all passed');
process.exit(failures ? 1 : 0);
