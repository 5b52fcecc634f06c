#!/usr/bin/env bash
# aoetd_mtu.sh - sectors per frame follow the interface MTU: 2 at 1500 and
# 17 at 9000 in Query Config, large transfers verify at both, and the
# initiator's request count shows full frames were used.
# timeout: 180
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"


SECT=65536                         # 32 MiB
for mtu in 1500 9000; do
	t=t$mtu c=c$mtu
	lab_netns $t
	lab_netns $c
	lab_veth $t eth0 $c eth0 $mtu
	truncate -s $((SECT * 512)) "$LAB_DIR/disk$mtu"
	lab_bg $t "$LAB_DIR/aoetd$mtu.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/$mtu.sock" 2 0 eth0 "$LAB_DIR/disk$mtu"
	lab_wait 10 lab_in $c "$B" config read -i eth0 -t 2.0 --timeout 100 --retries 0 -q ||
		lab_fail "aoetd at MTU $mtu did not answer"
	spf=$([ $mtu = 1500 ] && echo 2 || echo 17)
	check "MTU $mtu: Query Config reports $spf sectors per frame" \
		expect 0 " scnt=$spf " lab_in $c "$B" config read -i eth0 -t 2.0
	reqs=$(( (SECT + spf - 1) / spf ))
	check "MTU $mtu: write 32 MiB in $reqs full frames" \
		expect 0 "\\($reqs requests" lab_in $c "$B" write -i eth0 -t 2.0 --pattern $mtu
	check "MTU $mtu: verify 32 MiB" \
		expect 0 "\\($reqs requests" lab_in $c "$B" verify -i eth0 -t 2.0 --pattern $mtu
	lab_in $c "$B" read -i eth0 -t 2.0 --output "$LAB_DIR/read$mtu" -q
	check "MTU $mtu: data read equals the backing file" cmp "$LAB_DIR/read$mtu" "$LAB_DIR/disk$mtu"
done
