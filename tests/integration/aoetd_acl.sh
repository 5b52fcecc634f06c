#!/usr/bin/env bash
# aoetd_acl.sh - access control with two initiators on one switch: the MAC
# ACL (-m: the listed client is served, another gets no answer at all) and
# its run-time edits through Mac Mask List; Reserve/Release (the other
# initiator gets AoE error 6 until a force set or a release).
# timeout: 180
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"

# c1/c2 ARGS...: aoe-bench from initiator 1 or 2. Silence is expected in
# some checks, so those use a short timeout.
c1() { lab_in c1 "$B" "$@" -i eth0; }
c2() { lab_in c2 "$B" "$@" -i eth0; }
quick="--timeout 100 --retries 2"

# One switch (a bridge in its own namespace), the target and two initiators.
lab_netns s
lab_bridge s br0
for n in t c1 c2; do
	lab_netns $n
	lab_veth $n eth0 s p$n 1500
	lab_bridge_port s br0 p$n
done
mac1=$(lab_in c1 cat /sys/class/net/eth0/address)
mac2=$(lab_in c2 cat /sys/class/net/eth0/address)
note "initiator 1 $mac1, initiator 2 $mac2"

truncate -s 4M "$LAB_DIR/acl.img" "$LAB_DIR/resv.img"
lab_bg t "$LAB_DIR/aoetd-acl.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/acl.sock" -m "$mac1" 3 1 eth0 "$LAB_DIR/acl.img"
lab_bg t "$LAB_DIR/aoetd-resv.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/resv.sock" 3 2 eth0 "$LAB_DIR/resv.img"
lab_wait 10 c1 config read -t 3.1 --timeout 100 --retries 0 -q ||
	lab_fail "aoetd e3.1 did not answer the allowed initiator"
lab_wait 10 c2 config read -t 3.2 --timeout 100 --retries 0 -q ||
	lab_fail "aoetd e3.2 did not answer"

# --- MAC ACL ---------------------------------------------------------------
check "ACL: allowed initiator writes and verifies" \
	expect 0 "" c1 write -t 3.1 --pattern 1 --count 512
check "ACL: allowed initiator verifies" expect 0 "" c1 verify -t 3.1 --pattern 1 --count 512
check "ACL: other initiator's Query Config gets no answer" \
	expect 5 "no answer" c2 config read -t 3.1 $quick
check "ACL: other initiator's read gets no answer" \
	expect 5 "no answer" c2 read -t 3.1 --mac "$(lab_in t cat /sys/class/net/eth0/address)" --count 2 $quick
check "ACL: other initiator's discovery finds nothing" \
	expect 5 "no target" c2 discover -t 3.1 --wait 500
check "ACL: Mac Mask List read shows the -m MAC" \
	expect 0 "count=1 $mac1" c1 mask read -t 3.1
check "ACL: mask add of initiator 2" \
	expect 0 "count=2 .*$mac2|count=2 $mac2" c1 mask add -t 3.1 "$mac2"
check "ACL: initiator 2 now served" expect 0 "" c2 verify -t 3.1 --pattern 1 --count 512
check "ACL: mask del of initiator 2" \
	expect 0 "count=1 $mac1\$" c1 mask del -t 3.1 "$mac2"
check "ACL: initiator 2 silent again" \
	expect 5 "no answer" c2 config read -t 3.1 $quick
check "ACL: allowed initiator still served" expect 0 "" c1 verify -t 3.1 --pattern 1 --count 512

# --- Reserve/Release -------------------------------------------------------
check "reserve: list empty at start" expect 0 "count=0" c1 reserve read -t 3.2
check "reserve: initiator 1 reserves for itself" \
	expect 0 "count=1 $mac1" c1 reserve set -t 3.2 "$mac1"
check "reserve: initiator 1 writes" expect 0 "" c1 write -t 3.2 --pattern 7 --count 256
check "reserve: initiator 2 read refused with AoE error 6" \
	expect 3 "AoE error 6" c2 read -t 3.2 --count 2 --mac "$(lab_in t cat /sys/class/net/eth0/address)"
check "reserve: initiator 2 write refused with AoE error 6" \
	expect 3 "AoE error 6" c2 write -t 3.2 --count 2 --mac "$(lab_in t cat /sys/class/net/eth0/address)"
check "reserve: initiator 2 set refused with AoE error 6" \
	expect 3 "AoE error 6" c2 reserve set -t 3.2 "$mac2"
check "reserve: refused write changed nothing" expect 0 "" c1 verify -t 3.2 --pattern 7 --count 256
check "reserve: initiator 1 releases" expect 0 "count=0" c1 reserve release -t 3.2
check "reserve: initiator 2 served after release" \
	expect 0 "" c2 verify -t 3.2 --pattern 7 --count 256
check "reserve: initiator 1 reserves again" \
	expect 0 "count=1 $mac1" c1 reserve set -t 3.2 "$mac1"
check "reserve: initiator 2 force-sets itself" \
	expect 0 "count=1 $mac2" c2 reserve force -t 3.2 "$mac2"
check "reserve: now initiator 1 is refused with AoE error 6" \
	expect 3 "AoE error 6" c1 read -t 3.2 --count 2
check "reserve: initiator 2 reads" expect 0 "" c2 verify -t 3.2 --pattern 7 --count 256
check "reserve: a list of two serves both" \
	expect 0 "count=2" c2 reserve set -t 3.2 "$mac2" "$mac1"
check "reserve: initiator 1 reads with the list of two" \
	expect 0 "" c1 verify -t 3.2 --pattern 7 --count 256
check "reserve: force release (empty force set)" expect 0 "count=0" c1 reserve force -t 3.2
