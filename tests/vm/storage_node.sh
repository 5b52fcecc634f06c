#!/usr/bin/env bash
# timeout: 600
# A storage node boots the storage image (build/images/storage: Debian's
# kernel and our RAM-root initramfs) the way pxelinux starts it - the same
# kernel command line, BOOTIF included, loaded directly by QEMU - with three
# local disks: one blank, one with a partition table, one with an ext4 file
# system. The node gets its address by DHCP and reports to a listener in
# nimbusd's place. Checked: the blank disk becomes VG nimbus with a thin
# pool; the other two are reported foreign and not one of their bytes
# changes; a thin LV written on the node keeps its data across a reboot,
# after which the VG is activated, not created again.
#
# Topology (namespaces): "sw" holds bridge br0 with the node's two taps (two
# NICs: management and, later, replication) and a veth to "cfg" (udhcpd and
# the report listener on 10.77.0.1).
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
. "$NIMBUS_TOP/tests/lib/storage.sh"
lab_init
lab_need qemu-system-x86_64 socat sfdisk mke2fs busybox in.tftpd

IMG=$STORAGE_IMG
CFG_ADDR=$STORAGE_CFG_ADDR
NODE=st1
MARKER=nimbus-marker-4711

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
show_console() { storage_console_tail "$@"; }
boot_lines() { storage_boot_lines "$NODE" "$@"; }
boot_has() { storage_boot_has "$NODE" "$@"; }
reports() { grep -F "\"state\":\"booted\"" "$LAB_DIR/reports.jsonl"; }

# --- the image, DHCP and the report listener ------------------------------------------
storage_image
note "image size: vmlinuz $(du -k "$IMG/vmlinuz" | cut -f1) KiB, initrd.gz $(du -k "$IMG/initrd.gz" | cut -f1) KiB"
lab_netns sw; lab_bridge sw br0
storage_services cfg sw br0

# How long the image takes over TFTP (in.tftpd, the config node's server),
# fetched from the switch namespace: 512-byte blocks as plain TFTP, and the
# 1408-byte blocks iPXE and pxelinux negotiate.
mkdir -p "$LAB_DIR/tftp/images/storage"
cp "$IMG/vmlinuz" "$IMG/initrd.gz" "$LAB_DIR/tftp/images/storage/"
lab_bg cfg "$LAB_DIR/tftpd.log" in.tftpd -L -a "$CFG_ADDR:69" -s "$LAB_DIR/tftp"
sleep 0.5
lab_addr sw br0 10.77.0.2/24
size_kib=$(du -k "$IMG/initrd.gz" | cut -f1)
for bs in 512 1408; do
	times=""
	for run in 1 2 3; do
		rm -f "$LAB_DIR/fetched"
		t=$(date +%s.%N)
		lab_in sw busybox tftp -g -b "$bs" -r images/storage/initrd.gz -l "$LAB_DIR/fetched" "$CFG_ADDR" ||
			break
		times="$times $(since "$t")"
	done
	if cmp -s "$LAB_DIR/fetched" "$IMG/initrd.gz"; then
		ok "initrd.gz ($size_kib KiB) over TFTP, ${bs}-byte blocks: seconds per fetch:$times"
	else
		not_ok "initrd.gz over TFTP with ${bs}-byte blocks arrives intact"
	fi
done
ip -n "$(lab_ns sw)" addr del 10.77.0.2/24 dev br0

# --- the node's disks ------------------------------------------------------------------
blank=$LAB_DIR/disk-blank.img parted=$LAB_DIR/disk-parted.img fs=$LAB_DIR/disk-ext4.img
truncate -s 1G "$blank"
truncate -s 128M "$parted" "$fs"
printf 'label: dos\n,64M,83\n' | sfdisk -q "$parted" || lab_fail "sfdisk on $parted"
echo "somebody else's data" | dd of="$parted" bs=1M seek=1 conv=notrunc status=none
mke2fs -q -t ext4 -F "$fs" || lab_fail "mke2fs on $fs"
sum_before=$(sha256sum "$parted" "$fs" | cut -c1-64 | tr '\n' ' ')

# --- first boot ----------------------------------------------------------------------
mac=$(guest_mac "$NODE")
start=$(date +%s.%N)
storage_boot "$NODE" sw br0 "$blank" "$parted" "$fs"
note "kernel command line (as pxelinux gives it): $STORAGE_CMDLINE"

if guest_wait_for "$NODE" 'nimbus-storage: ready' 300; then
	t1=$(since "$start")
	ok "node ready ${t1} s after power-on (first boot)"
	boot_lines 1 'nimbus-storage: (ready|disks|management|other NICs)' | sed 's/^/# /'
else
	not_ok "node ready (first boot)"
	show_console "$NODE"; exit 1
fi
check "blank disk classified blank" boot_has 1 'disk vda size=1073741824 class=blank'
check "partitioned disk classified foreign (partition table)" \
	boot_has 1 'disk vdb size=[0-9]+ class=foreign: partition table \(dos\)'
check "ext4 disk classified foreign (signature)" \
	boot_has 1 'disk vdc size=[0-9]+ class=foreign: signature ext4'
check "first boot creates VG nimbus on vda" boot_has 1 'running: lvm vgcreate nimbus /dev/vda$'
check "first boot creates the thin pool" boot_has 1 'running: lvm lvcreate --type thin-pool .* -n pool nimbus'
check "disks prepared: VG created, pool exists" boot_has 1 'disks prepared: VG nimbus created, thin pool nimbus/pool'
check "no LVM command names the foreign disks" eval '! boot_has 1 "running: lvm .*/dev/vd[bc]"'
if lab_wait 60 eval 'reports | grep -qF "\"vg_action\":\"created\""'; then
	body=$(reports | grep -F '"vg_action":"created"' | head -n 1 | cut -d' ' -f2-)
	ok "report received (VG created)"
	note "report: $body"
	check "report names the boot NIC's MAC" grep -qF "\"mac\":\"$mac\"" <<<"$body"
	check "report lists both NICs" grep -qF "\"nics\":[\"$mac\",\"$(guest_mac "$NODE-1")\"]" <<<"$body"
	check "report: disks ok, vda claimed" grep -qF '"disks":"ok"' <<<"$body"
	check "report: vda claimed" grep -qF '"disks_claimed":"vda"' <<<"$body"
	check "report: vdb and vdc foreign, with reasons" \
		grep -qF '"disks_foreign":"vdb: partition table (dos); vdc: signature ext4 (blkid)"' <<<"$body"
	check "report carries a DHCP address" grep -qE '"ip":"10\.77\.0\.1[0-9][0-9]"' <<<"$body"
	check "report: aoetd running, no exports yet" grep -qF '"aoetd":"0 exports"' <<<"$body"
else
	not_ok "report received (VG created)"
	show_console "$NODE"
fi

# A thin volume with a marker, written through to the disk.
node_cmd() { storage_type "$NODE" "$1"; }
node_cmd "lvcreate -V 64M -T nimbus/pool -n t1"
check "thin LV nimbus/t1 created" guest_wait_for "$NODE" 'Logical volume "t1" created' 60
node_cmd "echo $MARKER >/tmp/m"
node_cmd "dd if=/tmp/m of=/dev/nimbus/t1 conv=fsync"
node_cmd 'echo "wrote: $(head -c '"${#MARKER}"' /dev/nimbus/t1)"'
check "marker written to nimbus/t1" guest_wait_for "$NODE" "^wrote: $MARKER" 60

# --- reboot ---------------------------------------------------------------------------
start=$(date +%s.%N)
node_cmd "sync; reboot -f"
if lab_wait 300 eval '[ "$(guest_lines "$NODE" "nimbus-storage: ready" | wc -l)" -ge 2 ]'; then
	t2=$(since "$start")
	ok "node ready again ${t2} s after the reboot"
	boot_lines 2 'nimbus-storage: (ready|disks)' | sed 's/^/# /'
else
	not_ok "node ready again after the reboot"
	show_console "$NODE"; exit 1
fi
check "second boot: vda is ours" boot_has 2 'disk vda size=1073741824 class=ours'
check "second boot: VG activated" boot_has 2 'running: lvm vgchange -ay nimbus'
check "second boot: no vgcreate, no new pool" eval '! boot_has 2 "running: lvm (vgcreate|lvcreate)"'
check "second boot: disks prepared, VG activated" boot_has 2 'disks prepared: VG nimbus activated'
check "second boot: vdb and vdc still foreign" boot_has 2 'foreign disks left alone: vdb: partition table \(dos\); vdc: signature ext4'
node_cmd 'echo "read: $(head -c '"${#MARKER}"' /dev/nimbus/t1)"'
check "the marker in nimbus/t1 survived the reboot" guest_wait_for "$NODE" "^read: $MARKER" 60
check "report after the reboot says activated" \
	lab_wait 60 eval 'reports | grep -qF "\"vg_action\":\"activated\""'
note "boot-to-ready (QEMU start or reboot to 'nimbus-storage: ready', TCG): first ${t1} s, reboot ${t2} s"
guest_lines "$NODE" 'nimbus-storage: ready' | sed 's/^/# /'

node_cmd "poweroff -f"
guest_wait_exit "$NODE" 60 || note "node did not power off in 60 s; stopped"
sum_after=$(sha256sum "$parted" "$fs" | cut -c1-64 | tr '\n' ' ')
if [ "$sum_before" = "$sum_after" ]; then
	ok "foreign disks unchanged, byte for byte (sha256 before and after both boots)"
else
	not_ok "foreign disks unchanged (sha256 before: $sum_before; after: $sum_after)"
fi
exit 0
