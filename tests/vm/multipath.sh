#!/usr/bin/env bash
# Multipath, the core of storage-node maintenance: two aoetd in two
# namespaces ("storage nodes") export the same shelf.slot from the same
# backing file, and a QEMU guest running Debian's kernel aoe driver must see
# two paths to e1.1. A rolling maintenance, as an operator would do it:
#
#   1. the guest writes 48 MiB of a random pattern through the device (1 MiB
#      O_DIRECT writes, each timestamped); after 8 MiB the host stops sn1's
#      aoetd (SIGTERM, by PID). The copy must complete through sn2.
#   2. sn1's aoetd starts again; the guest rediscovers it and writes another
#      24 MiB; after 4 MiB sn2's aoetd is killed (SIGKILL: a crash). The copy
#      must complete through sn1.
#
# Each time the guest reads its pattern back, and at the end the host checks
# that the backing file holds both patterns. The longest gap between two
# consecutive writes is the I/O stall the guest saw; the Linux driver
# abandons a silent path only after about 10 s.
#
#   sn1 (aoetd 1 1 eth0 disk.img) --veth--+
#                                          bridge br0 in "sw" -- tap -- guest
#   sn2 (aoetd 1 1 eth0 disk.img) --veth--+
#
# NIMBUS_AOE_TARGET=/usr/sbin/vblade runs it against vblade (to check the
# test itself); the default is aoetd.
# timeout: 360
set -u
. "$(dirname "$0")/../lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"

target=$CLOUD_TARGET
mib1=48 stop1=8     # phase 1: MiB copied, MiB written before sn1 stops
mib2=24 stop2=4     # phase 2: the same, written after phase 1's, sn2 crashes
lab_need "$target" md5sum socat
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

guest_initramfs
disk="$LAB_DIR/disk.img"
truncate -s 96M "$disk" || lab_fail "cannot create $disk"

lab_netns sw
lab_bridge sw br0
declare -A pid
# aoetctl can read the targets' counters only when they are aoetd.
aoetd=0
[ "$(basename "$CLOUD_TARGET")" = aoetd ] && aoetd=1
# start_node NODE: the target on NODE again (after a stop).
start_node() {
	cloud_start_target "$1" "$disk" 1 1
	cloud_targets_alive "$1"
	pid[$1]=${CLOUD_PID[$1]}
}
for sn in sn1 sn2; do
	cloud_storage_node $sn sw br0 "$disk" 1 1
	cloud_targets_alive $sn
	pid[$sn]=${CLOUD_PID[$sn]}
done
ok "two storage nodes export e1.1 from the same file ($(basename "$target"), pids ${pid[sn1]} ${pid[sn2]})"

cat >"$LAB_DIR/guest-script.sh" <<GUEST
MIB1=$mib1 MIB2=$mib2
GUEST
cat >>"$LAB_DIR/guest-script.sh" <<'GUEST'
. /lib/nimbus-guest.sh
D=/dev/etherd/e1.1

# copy PHASE PATTERN FIRST-MIB: write PATTERN to the device from FIRST-MIB on
# in 1 MiB O_DIRECT writes, timestamp each ("COPYn i ms"), report the longest
# gap ("STALLn max median") and read the pattern back.
copy() {
	phase=$1 pat=$2 first=$3
	n=$(( $(stat -c %s $pat) >> 20 ))
	sum=$(md5sum <$pat | cut -d' ' -f1)
	echo "PATTERN$phase $first $n $sum"
	start=$(uptime_ms); last=$start; max=0; i=0
	: >/tmp/gaps
	while [ $i -lt $n ]; do
		if ! dd if=$pat of=$D bs=1M skip=$i seek=$((first + i)) count=1 oflag=direct 2>/tmp/dd.err; then
			not_ok "phase $phase: write MiB $((first + i)) through e1.1: $(cat /tmp/dd.err)"
			break
		fi
		now=$(uptime_ms); gap=$((now - last)); last=$now
		echo $gap >>/tmp/gaps
		[ $gap -gt $max ] && max=$gap
		echo "COPY$phase $i $now"
		i=$((i + 1))
	done
	check "phase $phase: all $n MiB written while a storage node went away" [ $i = $n ]
	median=$(sort -n /tmp/gaps | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "STALL$phase $max $median"
	note "phase $phase: copy took $((last - start)) ms; longest gap between two 1 MiB writes $max ms (median $median ms)"
	echo 3 >/proc/sys/vm/drop_caches
	back=$(dd if=$D bs=1M skip=$first count=$n iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
	check "phase $phase: the guest reads its pattern back through the remaining path" [ "$back" = "$sum" ]
}

# wait_paths N SECONDS: until the driver lists N targets for e1.1.
wait_paths() {
	n=0
	while [ "$(aoe_paths e1.1)" -lt $1 ] && [ $n -lt $(($2 * 10)) ]; do
		n=$((n + 1)); sleep 0.1
		[ $((n % 20)) = 0 ] && aoe_discover
	done
	[ "$(aoe_paths e1.1)" -ge $1 ]
}

aoe_discover
if ! aoe_wait_dev $D 30; then
	not_ok "kernel aoe driver discovers e1.1"
	dmesg | grep -i aoe | sed 's/^/# /'
	exit 1
fi
ok "kernel aoe driver discovers e1.1"
wait_paths 2 10
p=$(aoe_paths e1.1)
check "the driver has two paths (targets) for e1.1: found $p" [ "$p" = 2 ]
grep -E '^[0-9a-f]{12}' /sys/kernel/debug/aoe/e1.1 | sed 's/^/# path /'

dd if=/dev/urandom of=/tmp/pattern1 bs=1M count=$MIB1 2>/dev/null
dd if=/dev/urandom of=/tmp/pattern2 bs=1M count=$MIB2 2>/dev/null
copy 1 /tmp/pattern1 0

# The host restarts sn1 and says "go" on the console.
echo "WAITING 2"
read -r go
aoe_discover
sleep 2
note "after sn1's restart: $(grep -A2 -E '^[0-9a-f]{12}' /sys/kernel/debug/aoe/e1.1 | tr '\n\t' '  ')"
copy 2 /tmp/pattern2 $MIB1
GUEST

GUEST_MEM=384 guest_start vm sw br0 "$LAB_DIR/guest-script.sh"
note "guest booting, qemu pid $GUEST_PID ($(elapsed))"
# Bytes the bridge sent towards a storage node: the writes it received.
to_node() { lab_in sw cat "/sys/class/net/v-$1/statistics/tx_bytes"; }
# written_by NODE: bytes aoetd says it wrote for e1.1 (aoetctl status).
written_by() {
	"$NIMBUS_BIN/aoetctl" -s "$LAB_DIR/$1.aoetd.sock" status 2>/dev/null |
		sed -n 's/^export 1\.1 .* write_bytes \([0-9]*\).*/\1/p'
}
# copied PHASE: MiB the guest has written in that phase so far.
copied() { guest_lines vm "^COPY$1 [0-9]+ " | tail -n 1 | awk '{print $2 + 1}'; }

# --- phase 1: sn1 stops for maintenance ------------------------------------
if ! guest_wait_for vm "^COPY1 $((stop1 - 1)) " 150; then
	not_ok "the guest starts its first copy ($(elapsed))"
	guest_report vm
	exit 1
fi
sent1=$(to_node sn1); sent2=$(to_node sn2)
[ $aoetd = 1 ] && wrote1=$(written_by sn1)
ms0=$(( $(date +%s%N) / 1000000 ))
lab_stop "${pid[sn1]}" TERM
note "phase 1: sn1's $(basename "$target") took $(( $(date +%s%N) / 1000000 - ms0 )) ms to exit on SIGTERM"
done1=$(copied 1)
ok "phase 1: stopped sn1 (SIGTERM to pid ${pid[sn1]}) with $done1 of $mib1 MiB written ($(elapsed))"
[ "$done1" -lt "$mib1" ] || not_ok "phase 1: sn1 stopped in the middle of the copy (it had already finished)"
# The driver spreads frames over its paths: each node must have received a
# real share of the writes before the stop.
check "phase 1: both paths carried writes before the stop (to sn1 $((sent1 >> 20)) MiB, to sn2 $((sent2 >> 20)) MiB)" \
	[ "$sent1" -gt $((1 << 20)) -a "$sent2" -gt $((1 << 20)) ]
kill -0 "${pid[sn1]}" 2>/dev/null && not_ok "phase 1: sn1's aoetd is still running"

if ! guest_wait_for vm '^WAITING 2' 150; then
	not_ok "phase 1: the guest finishes its first copy ($(elapsed))"
	guest_report vm
	exit 1
fi
more=$(( $(to_node sn2) - sent2 ))
check "phase 1: sn2 received the rest of the copy ($((more >> 20)) MiB after the stop)" \
	[ "$more" -ge $(( (mib1 - done1) << 20 )) ]
if [ $aoetd = 1 ]; then
	wrote2=$(written_by sn2)
	note "phase 1: aoetd's counters: sn1 wrote ${wrote1:-?} bytes before its stop, sn2 ${wrote2:-?} bytes"
	check "phase 1: aoetctl: sn1 wrote part of the copy, sn2 at least the rest" \
		[ "${wrote1:-0}" -gt 0 -a "${wrote2:-0}" -ge $(( (mib1 - done1) << 20 )) ]
fi

# --- phase 2: sn1 is back, sn2 crashes -------------------------------------
start_node sn1
ok "phase 2: sn1's aoetd started again (pid ${pid[sn1]}) ($(elapsed))"
check "phase 2: told the guest to go on" guest_send vm go
if ! guest_wait_for vm "^COPY2 $((stop2 - 1)) " 150; then
	not_ok "phase 2: the guest starts its second copy ($(elapsed))"
else
	sent1=$(to_node sn1)
	lab_stop "${pid[sn2]}" KILL
	done2=$(copied 2)
	ok "phase 2: killed sn2 (SIGKILL to pid ${pid[sn2]}) with $done2 of $mib2 MiB written ($(elapsed))"
	[ "$done2" -lt "$mib2" ] || not_ok "phase 2: sn2 died in the middle of the copy (it had already finished)"
fi

check "guest powers off by itself within 200 s" guest_wait_exit vm 200
note "guest done ($(elapsed))"
guest_report vm

if [ -n "${done2:-}" ]; then
	more=$(( $(to_node sn1) - sent1 ))
	check "phase 2: sn1 received the rest of the copy ($((more >> 20)) MiB after the crash)" \
		[ "$more" -ge $(( (mib2 - done2) << 20 )) ]
fi
for phase in 1 2; do
	read -r first n sum < <(guest_lines vm "^PATTERN$phase " | awk '{print $2, $3, $4}')
	host=$(dd if="$disk" bs=1M skip="${first:-0}" count="${n:-0}" 2>/dev/null | md5sum | cut -d' ' -f1)
	check "phase $phase: the backing file holds the guest's pattern (guest ${sum:-none}, host $host)" \
		[ "$host" = "${sum:-none}" ]
done
for phase in 1 2; do
	stall=$(guest_lines vm "^STALL$phase " | awk '{print $2}')
	note "measured: phase $phase, I/O stalled ${stall:-?} ms when one of two storage nodes $( [ $phase = 1 ] && echo stopped || echo crashed)"
done
note "elapsed $(elapsed)"
