#!/bin/sh
# tests/demo/test.sh - `make demo`, run non-interactively: it must end by
# itself, show the findings of the broken domains and a converged track,
# and leave nothing behind (processes, namespaces, files in /tmp).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/harness.sh"
out=$(mktemp /tmp/vantage-demo-test.XXXXXX)
before=$(ls -d /tmp/vdemo.* 2>/dev/null | wc -l)
VANTAGE_BIN=${VANTAGE_BIN:-$ROOT/bin} timeout 300 "$ROOT/tests/demo/demo.sh" >"$out" 2>&1
rc=$?
check "the demo ends by itself, exit 0" test "$rc" = 0
check "the agents are shown" grep -q "^eu-1 .*europe .*up" "$out"
check "the broken domain's finding is shown" grep -q "MX_TARGET_CNAME" "$out"
check "the one-shot check's finding is shown" grep -q "PTR_MISMATCH" "$out"
check "status shows the monitored names" grep -q "good.test. MX" "$out"
check "the MX change converged" grep -q "converged: the whole world took" "$out"
check "nothing of the demo is left running" \
	sh -c "! pgrep -f '/tmp/vdemo\.' >/dev/null"
check "no demo folder is left in /tmp" test "$(ls -d /tmp/vdemo.* 2>/dev/null | wc -l)" -le "$before"
[ "$fails" = 0 ] && rm -f "$out" || echo "demo output kept in $out"
echo "demo tests: $pass passed, $fails failed"
[ "$fails" = 0 ]
