#!/usr/bin/env bash
# aoetools_peer.sh - aoetools (Coraid's own tools) as peers of aoetd:
# aoeping finds the target (it drops replies shorter than 60 bytes, so this
# also proves padding) and reads IDENTIFY, and aoecfg drives the config
# string through read/set/test/prefix/fset, cross-checked with aoe-bench.
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B" aoeping aoecfg

# outputs PATTERN COMMAND...: COMMAND's output matches PATTERN (aoecfg exits
# 0 whatever happens, so its output is what counts).
outputs() {
	local pat=$1; shift
	"$@" >"$LAB_DIR/out" 2>&1
	grep -Eq -- "$pat" "$LAB_DIR/out" && return 0
	note "output did not match '$pat':"; sed 's/^/#   /' "$LAB_DIR/out"
	return 1
}
silent() {
	"$@" >"$LAB_DIR/out" 2>&1
	[ ! -s "$LAB_DIR/out" ] && return 0
	note "expected no output, got:"; sed 's/^/#   /' "$LAB_DIR/out"
	return 1
}
c() { lab_in c "$@"; }

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 1500
truncate -s 16M "$LAB_DIR/disk.img"
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/aoetd.sock" 9 4 eth0 "$LAB_DIR/disk.img"
lab_wait 10 c "$B" config read -i eth0 -t 9.4 --timeout 100 --retries 0 -q ||
	lab_fail "aoetd e9.4 did not answer (log: $(tail -3 "$LAB_DIR/aoetd.log"))"
tmac=$(lab_in t cat /sys/class/net/eth0/address | tr -d :)

# aoeping waits forever without -s; its own timeout turns silence into a
# non-zero exit.
check "aoeping finds e9.4" c aoeping -s 5 9 4 eth0
check "aoeping -v shows the target's MAC" outputs "found e9.4 with mac $tmac" c aoeping -v -s 5 9 4 eth0
model=$(c "$B" identify -i eth0 -t 9.4 | sed -n "s/.* model='\\([^']*\\)'.*/\\1/p")
check "aoeping -I reads IDENTIFY (model '$model' as aoe-bench sees it)" \
	outputs "^model: $model *\$" c aoeping -I -s 5 9 4 eth0
check "aoeping -i dumps the 512-byte IDENTIFY block" \
	bash -c "[ \$(ip netns exec '$(lab_ns c)' aoeping -i -s 5 9 4 eth0 | wc -w) -ge 256 ]"
check "aoeping on a slot nobody exports fails" bash -c "exec 2>/dev/null; ! ip netns exec '$(lab_ns c)' aoeping -s 1 9 5 eth0 >/dev/null 2>&1"

check "aoecfg read by broadcast lists e9.4 with an empty string" \
	outputs "^9\\.4" c aoecfg -t 1 eth0
check "aoecfg set on an empty string" outputs "^pool-a\$" c aoecfg -c set -s pool-a -t 1 9 4 eth0
check "aoe-bench sees the string aoecfg set" \
	outputs "cfg='pool-a'" c "$B" config read -i eth0 -t 9.4
check "aoecfg set again is refused (error 4)" outputs "badcfg" c aoecfg -c set -s other -t 1 9 4 eth0
check "aoecfg read" outputs "^pool-a\$" c aoecfg -t 1 9 4 eth0
check "aoecfg test, exact match" outputs "^pool-a\$" c aoecfg -c test -s pool-a -t 1 9 4 eth0
check "aoecfg test, mismatch: no answer" silent c aoecfg -c test -s pool -t 1 9 4 eth0
check "aoecfg prefix, match" outputs "^pool-a\$" c aoecfg -c prefix -s pool -t 1 9 4 eth0
check "aoecfg prefix, mismatch: no answer" silent c aoecfg -c prefix -s xpool -t 1 9 4 eth0
check "aoecfg fset forces a new string" outputs "^pool-b\$" c aoecfg -c fset -s pool-b -t 1 9 4 eth0
check "aoecfg broadcast read shows it" outputs "^9\\.4[[:space:]]+pool-b\$" c aoecfg -t 1 eth0
check "aoe-bench sees the forced string" outputs "cfg='pool-b'" c "$B" config read -i eth0 -t 9.4
