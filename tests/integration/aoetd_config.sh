#!/usr/bin/env bash
# aoetd_config.sh - the AoE config string through Query Config: read, set
# when empty, error 4 when already set, exact and prefix tests (a mismatch
# gets no answer), force set, the 1024-byte limit, discovery showing it.
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"

bench() { lab_in c "$B" "$@" -i eth0; }
quick="--timeout 100 --retries 2"

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 1500
truncate -s 1M "$LAB_DIR/disk.img"
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/aoetd.sock" 4 7 eth0 "$LAB_DIR/disk.img"
apid=$LAB_PID
lab_wait 10 bench config read -t 4.7 --timeout 100 --retries 0 -q ||
	lab_fail "aoetd e4.7 did not answer (log: $(tail -3 "$LAB_DIR/aoetd.log"))"

check "config read: empty string, buffer count and version 1" \
	expect 0 "e4.7 .*bufcnt=[0-9]+ .*aoever=1 cfg=''" bench config read -t 4.7
check "config set on an empty string" \
	expect 0 "cfg='nimbus pool=a'" bench config set -t 4.7 "nimbus pool=a"
check "config read returns it" expect 0 "cfg='nimbus pool=a'" bench config read -t 4.7
check "config set again: AoE error 4 (config string present)" \
	expect 3 "AoE error 4" bench config set -t 4.7 "other"
check "string unchanged after error 4" expect 0 "cfg='nimbus pool=a'" bench config read -t 4.7
check "config test, exact match: answered" \
	expect 0 "cfg='nimbus pool=a'" bench config test -t 4.7 "nimbus pool=a" $quick
check "config test, mismatch: no answer" \
	expect 5 "no answer" bench config test -t 4.7 "nimbus" $quick
check "config prefix, matching prefix: answered" \
	expect 0 "cfg='nimbus pool=a'" bench config prefix -t 4.7 "nimbus p" $quick
check "config prefix, not a prefix: no answer" \
	expect 5 "no answer" bench config prefix -t 4.7 "pool" $quick
check "config force set replaces it" \
	expect 0 "cfg='forced'" bench config force -t 4.7 "forced"
check "broadcast discovery shows the string" \
	expect 0 "^e4.7 .*cfg='forced'" bench discover --wait 500
long=$(head -c 1024 /dev/zero | tr '\0' x)
check "force set of a 1024-byte string" expect 0 "" bench config force -t 4.7 "$long"
check "read returns all 1024 bytes" expect 0 "cfg='$long'" bench config read -t 4.7
check "force set of an empty string clears it" expect 0 "cfg=''" bench config force -t 4.7 ""
check "set works again once empty" expect 0 "cfg='again'" bench config set -t 4.7 "again"
check "aoetd still running" kill -0 "$apid"
