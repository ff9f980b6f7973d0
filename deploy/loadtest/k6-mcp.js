// k6 load test for pcf-mcp over Streamable HTTP (stateless mode).
//
//   k6 run -e BASE_URL=https://pcf-mcp.example.com -e API_KEY=... \
//          -e SCENARIO=load -e TOOL=list_projects deploy/loadtest/k6-mcp.js
//
// SCENARIO: baseline (5 users, 5 min), load (ramp to 50), stress (ramp to
// 200, find the knee), soak (20 users, 2 h). Thresholds are the SLOs of
// docs/operations.md: < 1% failed requests, P99 < 5 s. Rate-limit refusals
// (429) count as failures here, so size rate_limit.* for the test or run
// with one API key per virtual user (API_KEYS=comma,separated).
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const PATH = __ENV.MCP_PATH || '/mcp';
const TOOL = __ENV.TOOL || '';
const ARGS = JSON.parse(__ENV.TOOL_ARGS || '{}');
const KEYS = (__ENV.API_KEYS || __ENV.API_KEY || '').split(',').filter((k) => k);
const rateLimited = new Counter('pcf_mcp_rate_limited');

const scenarios = {
  baseline: { executor: 'constant-vus', vus: 5, duration: '5m' },
  load: {
    executor: 'ramping-vus',
    stages: [
      { duration: '2m', target: 50 },
      { duration: '10m', target: 50 },
      { duration: '2m', target: 0 },
    ],
  },
  stress: {
    executor: 'ramping-vus',
    stages: [
      { duration: '5m', target: 100 },
      { duration: '5m', target: 200 },
      { duration: '5m', target: 0 },
    ],
  },
  soak: { executor: 'constant-vus', vus: 20, duration: '2h' },
};

export const options = {
  scenarios: { main: scenarios[__ENV.SCENARIO || 'baseline'] },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{kind:tool}': ['p(99)<5000'],
    'http_req_duration{kind:list}': ['p(99)<1000'],
  },
};

let nextId = 1;

function rpc(method, params, kind) {
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    'MCP-Protocol-Version': '2025-11-25',
  };
  if (KEYS.length) headers.Authorization = 'Bearer ' + KEYS[(__VU - 1) % KEYS.length];
  const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params });
  const res = http.post(BASE + PATH, body, { headers, tags: { kind } });
  if (res.status === 429) rateLimited.add(1);
  check(res, {
    'status 200': (r) => r.status === 200,
    'no JSON-RPC error': (r) => r.status !== 200 || !String(r.body).includes('"error":{'),
  });
  return res;
}

export default function () {
  rpc('tools/list', {}, 'list');
  if (TOOL) {
    const res = rpc('tools/call', { name: TOOL, arguments: ARGS }, 'tool');
    check(res, { 'tool succeeded': (r) => !String(r.body).includes('"isError":true') });
  }
}
