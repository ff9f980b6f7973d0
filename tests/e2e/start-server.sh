#!/bin/sh
# Starts a server that prints "listening on http://HOST:PORT/mcp" and waits
# for that line. Usage: start-server.sh LOGFILE PIDFILE -- COMMAND...
# Prints the URL. The caller kills the PID in PIDFILE.
set -eu
log=$1; pidfile=$2; shift 2
[ "$1" = "--" ] && shift
"$@" >"$log" 2>&1 &
echo $! >"$pidfile"
i=0
while [ $i -lt 100 ]; do
    url=$(grep -o 'https\?://[^ ]*/mcp' "$log" 2>/dev/null | head -n1 || true)
    if [ -n "$url" ]; then echo "$url"; exit 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then cat "$log" >&2; exit 1; fi
    i=$((i + 1)); sleep 0.1
done
echo "server did not start" >&2; cat "$log" >&2; exit 1
