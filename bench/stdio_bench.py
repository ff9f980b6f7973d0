#!/usr/bin/env python3
"""stdio round-trip benchmark: one client, requests one at a time (latency)
and pipelined (throughput). Usage: stdio_bench.py SERVER [N]"""
import json, os, subprocess, sys, threading, time

server, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20000
p = subprocess.Popen([server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=1 << 16)
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
for _ in range(min(n, 5000)):
    t = time.perf_counter_ns(); p.stdin.write(req); p.stdin.flush(); out.readline(); lat.append(time.perf_counter_ns() - t)
lat.sort()
def reader():
    for _ in range(n): out.readline()
th = threading.Thread(target=reader); t0 = time.perf_counter(); th.start()
chunk = req * 100
for _ in range(n // 100): p.stdin.write(chunk)
p.stdin.flush()
th.join(); dt = time.perf_counter() - t0
rss = anon = 0
with open(f"/proc/{p.pid}/status") as f:
    for line in f:
        if line.startswith("VmHWM:"): rss = int(line.split()[1])
        if line.startswith("RssAnon:"): anon = int(line.split()[1])
p.stdin.close(); p.wait()
print(f"RESULT rps={n/dt:.0f} p50_us={lat[len(lat)//2]//1000} p99_us={lat[int(len(lat)*0.99)]//1000} anon_kib={anon} rss_kib={rss}")
