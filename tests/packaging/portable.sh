#!/bin/sh
# Linux-only interfaces are behind configure checks: a build configured
# with --enable-portable (CI makes one and runs the transport tests in it)
# links no pipe2 and runs libmicrohttpd on poll(); a default Linux build
# uses both, which shows this check can tell them apart.
set -eu
: "${top_builddir:?}"
lib="$top_builddir/.libs/libpcfmcp.so"
hdr="$top_builddir/config.h"
imports=$(nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//')
if grep -q '^#define PCFMCP_PORTABLE 1' "$hdr"; then
    if echo "$imports" | grep -qx 'pipe2'; then
        echo "FAIL: a --enable-portable build imports pipe2"; exit 1
    fi
    echo "portable build: no pipe2 import"
elif grep -q '^#define HAVE_PIPE2 1' "$hdr"; then
    echo "$imports" | grep -qx 'pipe2' || { echo "FAIL: pipe2 found by configure but not used"; exit 1; }
    echo "default build: pipe2 used where configure found it"
fi
