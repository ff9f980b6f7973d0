#!/usr/bin/env python3
"""stdio benchmark: one client. tools/list one at a time (the round trip),
then pipelined tools/list and pipelined ping (throughput: the client writes
everything, a reader thread counts the answers).
Usage: stdio_bench.py 'SERVER [ARGS]' [N]
Prints one line: RESULT rps=<pipelined tools/list/s> p50_us= p99_us=
(tools/list round trip) ping_rps=<pipelined ping/s> anon_kib= rss_kib="""
import json, shlex, subprocess, sys, threading, time

cmd, n = shlex.split(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20000
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 16)
out = p.stdout
def send(obj):
    p.stdin.write((json.dumps(obj) + "\n").encode())
    p.stdin.flush()
send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": "2025-11-25",
      "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
out.readline()
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
req = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}) + "\n").encode()
lat = []
for _ in range(min(n, 2000)):
    t = time.perf_counter_ns(); p.stdin.write(req); p.stdin.flush(); out.readline(); lat.append(time.perf_counter_ns() - t)
lat.sort()

def pipelined(line, count):
    def reader():
        for _ in range(count): out.readline()
    th = threading.Thread(target=reader); t0 = time.perf_counter(); th.start()
    chunk = line * 100
    for _ in range(count // 100): p.stdin.write(chunk)
    p.stdin.flush()
    th.join()
    return (count // 100 * 100) / (time.perf_counter() - t0)

rps = pipelined(req, n)
ping = (json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}) + "\n").encode()
ping_rps = pipelined(ping, max(n, 100000))
rss = anon = 0
with open(f"/proc/{p.pid}/status") as f:
    for line in f:
        if line.startswith("VmHWM:"): rss = int(line.split()[1])
        if line.startswith("RssAnon:"): anon = int(line.split()[1])
p.stdin.close(); p.wait()
print(f"RESULT rps={rps:.0f} p50_us={lat[len(lat)//2]//1000} p99_us={lat[int(len(lat)*0.99)]//1000} "
      f"ping_rps={ping_rps:.0f} anon_kib={anon} rss_kib={rss}")
