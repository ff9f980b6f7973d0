-- wrk script: POSTs one JSON-RPC request per call. Environment:
--   MCP_BODY  the request body;  MCP_SID  session id (omit: stateless)
--   MCP_VERSION  MCP-Protocol-Version header (default 2025-11-25)
wrk.method = "POST"
wrk.body = os.getenv("MCP_BODY") or '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = os.getenv("MCP_VERSION") or "2025-11-25"
local sid = os.getenv("MCP_SID")
if sid and sid ~= "" then wrk.headers["Mcp-Session-Id"] = sid end

local bad = 0
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT rps=%.0f p50_us=%d p99_us=%d errors=%d non200=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    non2xx))
end
