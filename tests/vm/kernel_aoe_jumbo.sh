#!/usr/bin/env bash
# The real client over jumbo frames: the guest's kernel aoe driver and aoetd
# on an MTU 9000 network must agree on 17-sector (8704-byte) data frames -
# aoetd advertises sectors per frame from its interface MTU in Query Config -
# and move data byte-exact with them. The guest writes 32 MiB of a random
# pattern with O_DIRECT, reads it back, and the host finds it in the backing
# file. Also prints the guest's sequential throughput at this MTU.
#
#   storage node "sn" (aoetd, eth0 MTU 9000) --veth-- bridge br0 in "sw" -- tap -- guest (eth0 MTU 9000)
#
# NIMBUS_AOE_TARGET=/usr/sbin/vblade runs it against vblade; the default is aoetd.
# timeout: 240
set -u
. "$(dirname "$0")/../lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"

target=$CLOUD_TARGET
mtu=9000
mib=32
lab_need "$target" md5sum
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

guest_initramfs
disk="$LAB_DIR/disk.img"
truncate -s 64M "$disk" || lab_fail "cannot create $disk"

lab_netns sw
lab_bridge sw br0
ip -n "$(lab_ns sw)" link set br0 mtu $mtu || lab_fail "cannot set MTU $mtu on br0"
CLOUD_MTU=$mtu cloud_storage_node sn sw br0 "$disk" 1 1
cloud_targets_alive sn
ok "$(basename "$target") exports e1.1 on an MTU $mtu interface"

cat >"$LAB_DIR/guest-script.sh" <<GUEST
MIB=$mib
GUEST
cat >>"$LAB_DIR/guest-script.sh" <<'GUEST'
. /lib/nimbus-guest.sh
D=/dev/etherd/e1.1
check "guest eth0 has MTU 9000" [ "$(cat /sys/class/net/eth0/mtu)" = 9000 ]
aoe_discover
if ! aoe_wait_dev $D 30; then
	not_ok "kernel aoe driver discovers e1.1"
	dmesg | grep -i aoe | sed 's/^/# /'
	exit 1
fi
ok "kernel aoe driver discovers e1.1"
frames=$(dmesg | sed -n 's/.*e1\.1: setting \([0-9]*\) byte data frames.*/\1/p' | tail -n 1)
check "the driver uses 8704-byte (17-sector) data frames: ${frames:-none}" [ "${frames:-0}" = 8704 ]
dd if=/dev/urandom of=/tmp/pattern bs=1M count=$MIB 2>/dev/null
sum=$(md5sum </tmp/pattern | cut -d' ' -f1)
echo "PATTERN $sum"
t=$(uptime_ms)
check "write $MIB MiB with O_DIRECT" dd if=/tmp/pattern of=$D bs=1M count=$MIB oflag=direct 2>/dev/null
w=$(( $(uptime_ms) - t ))
echo 3 >/proc/sys/vm/drop_caches
t=$(uptime_ms)
back=$(dd if=$D bs=1M count=$MIB iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
r=$(( $(uptime_ms) - t ))
check "read back the same $MIB MiB" [ "$back" = "$sum" ]
note "MTU 9000, software-emulated guest: wrote $MIB MiB in $w ms, read it (and md5sum) in $r ms"
GUEST

GUEST_MTU=$mtu guest_start vm sw br0 "$LAB_DIR/guest-script.sh"
note "guest booting, qemu pid $GUEST_PID ($(elapsed))"
check "guest powers off by itself within 180 s" guest_wait_exit vm 180
note "guest done ($(elapsed))"
guest_report vm

sum=$(guest_lines vm '^PATTERN ' | awk '{print $2}')
host=$(head -c $((mib << 20)) "$disk" | md5sum | cut -d' ' -f1)
check "the backing file holds the guest's pattern (guest ${sum:-none}, host $host)" [ "$host" = "${sum:-none}" ]
if [ ${#ctl[@]} -gt 0 ]; then
	"$NIMBUS_BIN/aoetctl" -s "$LAB_DIR/sn.aoetd.sock" status 2>&1 | grep -E '^(export|iface)' | sed 's/^/# aoetctl: /'
fi
note "elapsed $(elapsed)"
