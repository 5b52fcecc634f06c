#!/usr/bin/env bash
# The real client: a QEMU guest running Debian's kernel with aoe.ko, on a
# bridge with aoetd in a "storage node" namespace. The guest discovers the
# export, makes an ext4 file system on it, writes files, unmounts, checks it
# with e2fsck, remounts and verifies its checksums, then powers off; the host
# then reads the same files out of the backing file with debugfs and their
# checksums must match the guest's.
#
#   storage node "sn" (aoetd 1 1 eth0 disk.img) --veth-- bridge br0 in "sw"
#   guest "vm" (e1000 on tap t-vm) ------------------- bridge br0 in "sw"
#
# NIMBUS_AOE_TARGET=/usr/sbin/vblade runs it against vblade, to check the
# test itself against the reference target; the default is aoetd.
# timeout: 300
set -u
. "$(dirname "$0")/../lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"

target=$CLOUD_TARGET
lab_need "$target" debugfs e2fsck md5sum
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

guest_initramfs
disk="$LAB_DIR/disk.img"
truncate -s 128M "$disk" || lab_fail "cannot create $disk"

lab_netns sw
lab_bridge sw br0
cloud_storage_node sn sw br0 "$disk" 1 1
cloud_targets_alive sn
target_pid=${CLOUD_PID[sn]}
ok "$(basename "$target") exports e1.1 from a 128 MiB file"

cat >"$LAB_DIR/guest-script.sh" <<'GUEST'
. /lib/nimbus-guest.sh
D=/dev/etherd/e1.1
M=/mnt/aoe
aoe_discover
if ! aoe_wait_dev $D 30; then
	not_ok "kernel aoe driver discovers e1.1"
	dmesg | grep -i aoe | sed 's/^/# /'
	exit 1
fi
ok "kernel aoe driver discovers e1.1 ($(blockdev --getsize64 $D) bytes)"
dmesg | grep 'aoe: .*e1\.1' | sed 's/^/# /'
check "mkfs.ext4 on e1.1" $MKE2FS -q -F -t ext4 -L nimbus $D || exit 1
mkdir -p $M
check "mount the new file system" mount -t ext4 $D $M || exit 1
mounted() { grep -q " $M ext4 " /proc/mounts; }
mounted || { not_ok "e1.1 is mounted on $M"; exit 1; }
t=$(uptime_ms)
dd if=/dev/urandom of=$M/random.bin bs=1M count=16 2>/dev/null &&
	seq 1 50000 >$M/numbers.txt &&
	mkdir $M/dir &&
	for i in $(seq 1 100); do echo "file $i of the nimbus lab" >$M/dir/f$i; done &&
	sync
check "write 16 MiB of random data, a text file and 100 small files" [ $? = 0 ]
note "writing took $(( $(uptime_ms) - t )) ms"
(cd $M && md5sum random.bin numbers.txt dir/f1 dir/f37 dir/f100) >/tmp/sums
check "unmount" umount $M
check "e2fsck -fn finds the file system clean" $E2FSCK -fn $D
echo 3 >/proc/sys/vm/drop_caches
check "mount it again" mount -t ext4 -o ro $D $M || exit 1
mounted || { not_ok "e1.1 is mounted on $M again"; exit 1; }
check "checksums match after remount" sh -c "cd $M && md5sum -c -s /tmp/sums"
sed 's/^/SUM /' /tmp/sums
check "final unmount" umount $M
sync
GUEST

guest_start vm sw br0 "$LAB_DIR/guest-script.sh"
note "guest booting, qemu pid $GUEST_PID ($(elapsed))"
check "guest powers off by itself within 200 s" guest_wait_exit vm 200
note "guest done ($(elapsed))"
guest_report vm

# The host reads the files back from the backing file, not through AoE.
host_fsck() { e2fsck -fn "$disk" >"$LAB_DIR/host-fsck.log" 2>&1 ||
	{ sed 's/^/# /' "$LAB_DIR/host-fsck.log"; return 1; }; }
check "host e2fsck -fn of the backing file is clean" host_fsck
sums=$(guest_lines vm '^SUM [0-9a-f]{32} ' | sed 's/^SUM //')
n=0 bad=0
while read -r sum path; do
	[ -n "$path" ] || continue
	n=$((n + 1))
	rm -f "$LAB_DIR/dump"
	debugfs -R "dump /$path $LAB_DIR/dump" "$disk" >/dev/null 2>&1
	host=$(md5sum <"$LAB_DIR/dump" 2>/dev/null | cut -d' ' -f1)
	if [ "$host" != "$sum" ]; then
		bad=$((bad + 1))
		note "$path: guest $sum, host ${host:-unreadable}"
	fi
done <<<"$sums"
check "host reads the guest's 5 files from the backing file with matching checksums ($n compared, $bad differ)" \
	[ "$n" = 5 -a "$bad" = 0 ]
kill -0 "$target_pid" 2>/dev/null
check "$(basename "$target") still running" [ $? = 0 ]
if [ ${#ctl[@]} -gt 0 ]; then
	"$NIMBUS_BIN/aoetctl" -s "$LAB_DIR/sn.aoetd.sock" status 2>&1 | grep '^export' | sed 's/^/# aoetctl: /'
fi
note "elapsed $(elapsed)"
