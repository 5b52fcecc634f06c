#!/usr/bin/env bash
# Multipath, the core of storage-node maintenance: two aoetd in two
# namespaces ("storage nodes") export the same shelf.slot from the same
# backing file. A QEMU guest running Debian's kernel aoe driver must see two
# paths to e1.1; it writes 48 MiB of a known pattern through the device
# (1 MiB O_DIRECT writes, each timestamped), and the host stops one target
# (by PID) after the 8th MiB. The copy must complete, the guest must read the
# pattern back, and the backing file must hold it. The longest gap between
# two consecutive writes is the I/O stall the guest saw (the driver abandons
# a silent path after about 10 s).
#
#   sn1 (aoetd 1 1 eth0 disk.img) --veth--+
#                                          bridge br0 in "sw" -- tap -- guest
#   sn2 (aoetd 1 1 eth0 disk.img) --veth--+
#
# NIMBUS_AOE_TARGET=/usr/sbin/vblade runs it against vblade (to check the
# test itself); the default is aoetd.
# timeout: 300
set -u
. "$(dirname "$0")/../lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"

target=${NIMBUS_AOE_TARGET:-$NIMBUS_BIN/aoetd}
mib=48          # size of the copy
stop_after=8    # MiB written before one storage node stops
lab_need "$target" md5sum
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

guest_initramfs
disk="$LAB_DIR/disk.img"
truncate -s 64M "$disk" || lab_fail "cannot create $disk"

lab_netns sw
lab_bridge sw br0
declare -A pid
for sn in sn1 sn2; do
	lab_netns $sn
	lab_veth $sn eth0 sw p-$sn
	lab_bridge_port sw br0 p-$sn
	# Each aoetd gets its own control socket: the default one, named
	# after the shelf.slot, would be shared by both nodes.
	ctl=()
	[ "$(basename "$target")" = aoetd ] && ctl=(-C "$LAB_DIR/$sn.sock")
	lab_bg $sn "$LAB_DIR/$sn.log" "$target" "${ctl[@]}" 1 1 eth0 "$disk"
	pid[$sn]=$LAB_PID
done
sleep 0.3
for sn in sn1 sn2; do
	kill -0 "${pid[$sn]}" 2>/dev/null ||
		lab_fail "$target on $sn did not start: $(head -c 300 "$LAB_DIR/$sn.log")"
done
ok "two storage nodes export e1.1 from the same file ($(basename "$target"), pids ${pid[sn1]} ${pid[sn2]})"

cat >"$LAB_DIR/guest-script.sh" <<GUEST
MIB=$mib
GUEST
cat >>"$LAB_DIR/guest-script.sh" <<'GUEST'
. /lib/nimbus-guest.sh
D=/dev/etherd/e1.1
aoe_discover
if ! aoe_wait_dev $D 30; then
	not_ok "kernel aoe driver discovers e1.1"
	dmesg | grep -i aoe | sed 's/^/# /'
	exit 1
fi
ok "kernel aoe driver discovers e1.1"
# Both storage nodes answer the same discovery; give the second a moment.
n=0
while [ "$(aoe_paths e1.1)" -lt 2 ] && [ $n -lt 100 ]; do
	n=$((n + 1)); sleep 0.1
	[ $((n % 20)) = 0 ] && aoe_discover
done
p=$(aoe_paths e1.1)
check "the driver has two paths (targets) for e1.1: found $p" [ "$p" = 2 ]
grep -E '^[0-9a-f]{12}' /sys/kernel/debug/aoe/e1.1 | sed 's/^/# path /'

dd if=/dev/urandom of=/tmp/pattern bs=1M count=$MIB 2>/dev/null
sum=$(md5sum </tmp/pattern | cut -d' ' -f1)
echo "PATTERN $sum"
start=$(uptime_ms); last=$start; max=0; i=0
: >/tmp/gaps
while [ $i -lt $MIB ]; do
	if ! dd if=/tmp/pattern of=$D bs=1M skip=$i seek=$i count=1 oflag=direct 2>/tmp/dd.err; then
		not_ok "write MiB $i through e1.1: $(cat /tmp/dd.err)"
		break
	fi
	now=$(uptime_ms); gap=$((now - last)); last=$now
	echo $gap >>/tmp/gaps
	[ $gap -gt $max ] && max=$gap
	echo "COPY $i $now"
	i=$((i + 1))
done
check "all $MIB MiB written while a storage node stopped" [ $i = $MIB ]
median=$(sort -n /tmp/gaps | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
note "copy took $((last - start)) ms; 1 MiB writes took $median ms (median)"
echo "STALL $max $median"
note "I/O stall: longest gap between two 1 MiB writes $max ms (median $median ms)"
echo 3 >/proc/sys/vm/drop_caches
back=$(dd if=$D bs=1M count=$MIB iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
check "the guest reads the pattern back through the remaining path" [ "$back" = "$sum" ]
p=$(aoe_paths e1.1)
note "paths after the copy: $p"
GUEST

GUEST_MEM=384 guest_start vm sw br0 "$LAB_DIR/guest-script.sh"
note "guest booting, qemu pid $GUEST_PID ($(elapsed))"
# Bytes the bridge sent towards a storage node: the writes it received.
to_node() { lab_in sw cat "/sys/class/net/p-$1/statistics/tx_bytes"; }
# written_by NODE: bytes aoetd says it wrote for e1.1 (aoetctl status).
written_by() {
	"$NIMBUS_BIN/aoetctl" -s "$LAB_DIR/$1.sock" status 2>/dev/null |
		sed -n 's/^export 1\.1 .* write_bytes \([0-9]*\).*/\1/p'
}
if guest_wait_for vm "^COPY $((stop_after - 1)) " 150; then
	sent1=$(to_node sn1); sent2=$(to_node sn2)
	[ ${#ctl[@]} -gt 0 ] && wrote1=$(written_by sn1)
	lab_stop "${pid[sn1]}" TERM
	done_mib=$(guest_lines vm '^COPY [0-9]+ ' | tail -n 1 | awk '{print $2 + 1}')
	ok "stopped storage node sn1 (pid ${pid[sn1]}) with $done_mib of $mib MiB written ($(elapsed))"
	[ "$done_mib" -lt "$mib" ] || not_ok "sn1 stopped in the middle of the copy (it had already finished)"
	# The driver spreads frames over its paths: each node must have
	# received a real share of the writes before the stop.
	check "both paths carried writes before the stop (to sn1 $((sent1 >> 20)) MiB, to sn2 $((sent2 >> 20)) MiB)" \
		[ "$sent1" -gt $((1 << 20)) -a "$sent2" -gt $((1 << 20)) ]
	kill -0 "${pid[sn1]}" 2>/dev/null && not_ok "sn1's target is still running"
else
	not_ok "the guest starts the copy ($(elapsed))"
fi
check "guest powers off by itself within 200 s" guest_wait_exit vm 200
note "guest done ($(elapsed))"
guest_report vm

sum=$(guest_lines vm '^PATTERN ' | awk '{print $2}')
host=$(head -c $((mib * 1024 * 1024)) "$disk" | md5sum | cut -d' ' -f1)
check "the backing file holds the guest's pattern (guest ${sum:-none}, host $host)" [ "$host" = "${sum:-none}" ]
if [ -n "${sent2:-}" ]; then
	more=$(( $(to_node sn2) - sent2 ))
	check "sn2 received the rest of the copy ($((more >> 20)) MiB after the stop)" \
		[ "$more" -ge $(( (mib - done_mib) << 20 )) ]
fi
kill -0 "${pid[sn2]}" 2>/dev/null
check "sn2's target still running" [ $? = 0 ]
if [ ${#ctl[@]} -gt 0 ] && [ -n "${done_mib:-}" ]; then
	wrote2=$(written_by sn2)
	note "aoetd's counters: sn1 wrote ${wrote1:-?} bytes before its stop, sn2 ${wrote2:-?} bytes in all"
	check "aoetctl: sn1 wrote part of the copy, sn2 at least the rest" \
		[ "${wrote1:-0}" -gt 0 -a "${wrote2:-0}" -ge $(( (mib - done_mib) << 20 )) ]
fi
stall=$(guest_lines vm '^STALL ' | awk '{print $2}')
note "measured: I/O stalled ${stall:-?} ms when one of two storage nodes stopped"
note "elapsed $(elapsed)"
