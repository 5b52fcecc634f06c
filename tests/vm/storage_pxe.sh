#!/usr/bin/env bash
# timeout: 600
# A storage node boots over PXE from the lab's config node: the storage
# image registered in nimbusd (kernel and initrd under the TFTP root's
# images/storage/, docs/storage.md), made role storage's image, node st1
# added with role storage. The machine (iPXE, -boot n) gets its fixed
# address from isc-dhcpd, pxelinux.0 and its pxelinux.cfg/01-<mac> from
# in.tftpd, the kernel and initramfs over TFTP; the node prepares its blank
# disk and reports booted to nimbusd, whose `node show` then carries the
# node's disk state. Measures power-on to ready and to booted in nimbusd.
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
. "$NIMBUS_TOP/tests/lib/storage.sh"
lab_init
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" /usr/sbin/dhcpd /usr/sbin/in.tftpd qemu-system-x86_64
[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || lab_fail "no iPXE ROM for e1000 (package ipxe-qemu)"

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
quiet() { "$@" >>"$LAB_DIR/commands.log" 2>&1; }
NODE=st1
MAC=$(guest_mac "$NODE")

storage_image
lab_netns cn
lab_bridge cn br0
cloud_config_node cn cn br0
mkdir -p "$LAB_DIR/tftp/images/storage"
install -m 0644 "$STORAGE_IMG/vmlinuz" "$STORAGE_IMG/initrd.gz" "$LAB_DIR/tftp/images/storage/"
check "image add storage (our kernel and RAM-root initramfs)" quiet cloud_nimbus image add storage \
	--kernel images/storage/vmlinuz --initrd images/storage/initrd.gz --cmdline "console=ttyS0 panic=5"
check "role storage boots it" quiet cloud_nimbus role set-image storage storage
cloud_start_services
check "node add $NODE --role storage" quiet cloud_nimbus node add "$NODE" --mac "$MAC" --role storage
PXEFILE=$LAB_DIR/tftp/pxelinux.cfg/01-${MAC//:/-}
check "pxelinux.cfg/01-<mac> boots images/storage/" grep -q 'KERNEL images/storage/vmlinuz' "$PXEFILE"
sed 's/^/#   /' "$PXEFILE"

# Every TFTP packet's time, to tell the transfer of the image from the rest
# of the boot.
lab_need tcpdump
lab_bg cn "$LAB_DIR/tftp.pkts" tcpdump -i br0 -n -tt -l --immediate-mode \
	"udp and host $CLOUD_SERVER and not port 67 and not port 68"
lab_wait 10 grep -q 'listening on' "$LAB_DIR/tftp.pkts" || note "tcpdump did not say it listens"

truncate -s 512M "$LAB_DIR/disk.img"
start=$(date +%s.%N)
GUEST_MEM=512 GUEST_NICS=2 GUEST_MAC=$MAC guest_start_pxe "$NODE" cn br0 \
	-drive "file=$LAB_DIR/disk.img,if=virtio,format=raw"
if guest_wait_for "$NODE" 'nimbus-storage: starting' 300; then
	ok "PXE -> pxelinux -> kernel and initramfs over TFTP: /init runs $(since "$start") s after power-on"
else
	not_ok "PXE boot reaches the storage image's /init"
	storage_console_tail "$NODE"; exit 1
fi
# tftp_times: "FILE: SECONDS" for each file fetched, from its read request
# to the last packet before the next request (or the end).
tftp_times() {
	awk '
	/RRQ "/ { if (f != "") printf "%s %.1f s; ", f, last - t0
		  f = $0; sub(/.*RRQ "/, "", f); sub(/".*/, "", f); t0 = $1; bs = $0 }
	/UDP, length/ { last = $1 }
	END { if (f != "") printf "%s %.1f s", f, last - t0 }' "$LAB_DIR/tftp.pkts"
}
note "TFTP fetches (request to last packet): $(tftp_times)"
note "TFTP from $(awk -v s="$start" '/RRQ "/ { printf "%.1f", $1 - s; exit }' "$LAB_DIR/tftp.pkts") s to $(awk -v s="$start" '/UDP, length/ { l = $1 } END { printf "%.1f", l - s }' "$LAB_DIR/tftp.pkts") s after power-on (the rest before it: iPXE and DHCP)"
note "blksize asked for the kernel: $(grep -m1 -o 'RRQ "images/storage/vmlinuz".*' "$LAB_DIR/tftp.pkts")"
if guest_wait_for "$NODE" 'nimbus-storage: ready' 240; then
	ok "node ready $(since "$start") s after power-on: $(guest_lines "$NODE" 'nimbus-storage: ready')"
else
	not_ok "node ready"
	storage_console_tail "$NODE"; exit 1
fi
check "the command line carries BOOTIF, nimbus.report and nimbus.node" \
	guest_wait_for "$NODE" "management NIC eth0 \\($MAC\\): DHCP" 5
check "disks prepared" storage_boot_has "$NODE" 1 'disks prepared: VG nimbus created'
if lab_wait 120 cloud_node_booted "$NODE"; then
	ok "nimbusd: node $NODE booted ($(since "$start") s after power-on)"
	cloud_nimbus -o json node show "$NODE" >"$LAB_DIR/node.json" 2>&1
	check "nimbusd keeps the node's disk state (vg_action created)" \
		grep -qE '"vg_action": *"created"' "$LAB_DIR/node.json"
	check "nimbusd keeps the node's pool size" grep -qE '"pool_size_mb": *"[0-9.]+"' "$LAB_DIR/node.json"
else
	not_ok "nimbusd: node $NODE booted"
	sed 's/^/#   /' "$LAB_DIR"/nimbusd*.log 2>/dev/null | tail -n 20
fi
exit 0
