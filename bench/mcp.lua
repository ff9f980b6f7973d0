-- wrk script: POSTs one JSON-RPC request per call. Environment:
--   MCP_BODY  the request body;  MCP_SID  session id (omit: stateless)
--   MCP_VERSION  MCP-Protocol-Version header (default 2025-11-25)
--   MCP_ENCODING Accept-Encoding header (omit: none)
wrk.method = "POST"
wrk.body = os.getenv("MCP_BODY") or '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = os.getenv("MCP_VERSION") or "2025-11-25"
local sid = os.getenv("MCP_SID")
if sid and sid ~= "" then wrk.headers["Mcp-Session-Id"] = sid end
local enc = os.getenv("MCP_ENCODING")
if enc and enc ~= "" then wrk.headers["Accept-Encoding"] = enc end

-- No response() hook: it makes wrk parse every reply in Lua, and wrk shares
-- the two cores with the server. Non-2xx/3xx replies are counted by wrk.
function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT rps=%.0f requests=%d p50_us=%d p99_us=%d errors=%d non200=%d\n",
    summary.requests / (summary.duration / 1e6), summary.requests, latency:percentile(50),
    latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    non2xx))
end
