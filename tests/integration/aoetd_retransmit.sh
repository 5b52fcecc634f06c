#!/usr/bin/env bash
# aoetd_retransmit.sh - the initiator's retransmission against a real aoetd:
# a target frozen (SIGSTOP) in the middle of a transfer, and a target link
# that is down while requests go out, both recover with every sector
# intact (late duplicate replies are recognised by tag and ignored); a
# target silent for longer than the retry budget makes aoe-bench fail with
# a line naming the tag and the LBA.
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"

bench() { lab_in c "$B" "$@" -i eth0; }
# retransmitted FILE: the run in FILE succeeded with at least one retransmit.
retransmitted() {
	grep -Eq ' ok \([0-9]+ requests, [1-9][0-9]* retransmits\)' "$1" && return 0
	note "output:"; sed 's/^/#   /' "$1"
	return 1
}

# matches FILE REGEX: some line of FILE matches.
matches() {
	grep -Eq -- "$2" "$1" && return 0
	note "no line matches '$2' in:"; sed 's/^/#   /' "$1"
	return 1
}

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000
SECT=65536
truncate -s $((SECT * 512)) "$LAB_DIR/disk.img"
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/aoetd.sock" 7 1 eth0 "$LAB_DIR/disk.img"
apid=$LAB_PID
lab_wait 10 bench config read -t 7.1 --timeout 100 --retries 0 -q ||
	lab_fail "aoetd e7.1 did not answer (log: $(tail -3 "$LAB_DIR/aoetd.log"))"
tmac=$(lab_in t cat /sys/class/net/eth0/address)
# --mac and --count: no lookup, no IDENTIFY, so the first data requests are
# the ones that meet the frozen or unplugged target.
xfer="-t 7.1 --mac $tmac --count $SECT --timeout 100 --retries 8"

# 1. Target frozen for 0.7 s: requests queue in its socket and time out at
#    the client; after SIGCONT it answers originals and retransmits alike.
kill -STOP "$apid"
bench write $xfer --pattern 21 >"$LAB_DIR/w1" 2>&1 &
w=$!
sleep 0.7
kill -CONT "$apid"
wait "$w"; rc=$?
check "write across a 0.7 s target freeze succeeds" test "$rc" = 0
check "... and needed retransmits" retransmitted "$LAB_DIR/w1"
check "every sector verifies after the freeze" bench verify -t 7.1 --pattern 21 -q

# 2. Target link down: frames are dropped on the wire until it comes back.
ip -n "$(lab_ns t)" link set eth0 down
bench write $xfer --pattern 22 >"$LAB_DIR/w2" 2>&1 &
w=$!
sleep 0.7
ip -n "$(lab_ns t)" link set eth0 up
wait "$w"; rc=$?
check "write across a 0.7 s link outage succeeds" test "$rc" = 0
check "... and needed retransmits" retransmitted "$LAB_DIR/w2"
check "every sector verifies after the outage" bench verify -t 7.1 --pattern 22 -q

# 3. Silent longer than the budget (50+100+200 ms): exit 5, tag and LBA named.
kill -STOP "$apid"
bench read -t 7.1 --mac "$tmac" --offset 1000 --count 17 --timeout 50 --retries 2 >"$LAB_DIR/r3" 2>&1
rc=$?
kill -CONT "$apid"
check "a target silent past the retry budget: exit 5" test "$rc" = 5
check "... with one line naming tag and LBA" \
	matches "$LAB_DIR/r3" '^aoe-bench: e7\.1 on eth0: read tag 0x[89a-f][0-9a-f]{7} LBA 1000 \(\+17\): no answer after 3 tries$' 
check "aoetd still serves afterwards" bench verify -t 7.1 --pattern 22 -q
