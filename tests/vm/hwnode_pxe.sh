#!/usr/bin/env bash
# timeout: 480
# The hardware node's PXE path where it fails (issue 4): the config node
# runs the real nimbusd, isc-dhcpd and in.tftpd; the hwnode image is
# registered with Xen and made the hw role's; node hw1's
# pxelinux.cfg/01-<mac> loads Xen through mboot.c32. Node hw2's image
# names a root device that never appears: the machine PXE-boots (iPXE ->
# dhcpd -> in.tftpd -> pxelinux.0 -> mboot.c32 -> Xen + dom0 kernel + our
# initramfs), the initramfs says so on the console, gets an address by
# DHCP, reports the failure to nimbusd (`nimbus node show hw2` explains it)
# and halts. The path that works - hw1 booting dom0 from its root volume
# on the storage pair, one storage node powered off under it - is
# tests/vm/lab_demo.sh's (make lab), and hwnode_boot.sh's with two aoetd.
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/vm/hwnode_common.bash"
lab_init

lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" "$NIMBUS_TOP/scripts/provision-services" \
	/usr/sbin/dhcpd /usr/sbin/in.tftpd qemu-system-x86_64
[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || lab_fail "no iPXE ROM for e1000 (package ipxe-qemu)"

W=$LAB_DIR
MAC=$(guest_mac hw1-0)

hw_boot_files
ok "hardware-node boot files built (initramfs, dom0 image, Xen, kernel)"

# --- config node ------------------------------------------------------------------
lab_netns cn
lab_bridge cn br0
cloud_config_node cn cn br0
nimbus() { cloud_nimbus "$@"; }
# quiet COMMAND...: its output into the log directory, not the TAP stream.
quiet() { "$@" >>"$W/commands.log" 2>&1; }

check "image add hwnode (Xen + dom0 kernel + our initramfs)" quiet cloud_hw_image hwnode
check "role hw boots hwnode" quiet nimbus role set-image hw hwnode
cloud_start_services
check "node add hw1 --role hw" quiet nimbus node add hw1 --mac "$MAC" --role hw
PXEFILE=$W/tftp/pxelinux.cfg/01-${MAC//:/-}
check "pxelinux.cfg/01-<mac> loads Xen through mboot.c32" grep -q 'KERNEL mboot.c32' "$PXEFILE"
sed 's/^/#   /' "$PXEFILE"


# --- bad path: the root never appears ---------------------------------------------
check "image add hwnode-missing (root e9.9, 15 s timeout)" quiet cloud_hw_image hwnode-missing \
	"console=hvc0 loglevel=4 nimbus.root=e9.9 nimbus.root_timeout=15 nimbus.on_fail=halt"
check "node add hw2 --image hwnode-missing" \
	quiet nimbus node add hw2 --mac "$(guest_mac hw2-0)" --role hw --image hwnode-missing
start=$(date +%s.%N)
cloud_hw_pxe hw2 cn br0
if guest_wait_for hw2 'nimbus-initramfs: FATAL: root device /dev/etherd/e9.9 did not appear within 15 s' 240; then
	ok "missing root: clear console message ($(since "$start") s after power-on)"
	guest_lines hw2 'nimbus-initramfs: (FATAL|failure|could not)' | sed 's/^/# /'
else
	not_ok "missing root: clear console message"
	show_console hw2
fi
# The initramfs got an address by DHCP and nimbusd answered: accepted, or
# refused with a status (nimbusd may not take "failed" reports).
check "missing root: the failure report reached nimbusd" guest_wait_for hw2 \
	"nimbus-initramfs: (failure reported to|could not report the failure to .*answer: 'HTTP/1\.[01] [0-9]{3})" 30
if nimbus -o json node show hw2 2>/dev/null | grep -q 'did not appear'; then
	ok "nimbus node show hw2 explains the failure"
else
	note "nimbus node show hw2 does not show the failure: nimbusd answered '$(guest_lines hw2 'could not report' | sed -n "s/.*answer: '\(.*\)')/\1/p" | head -n 1)'"
fi
check "missing root: node halts (nimbus.on_fail=halt)" guest_wait_exit hw2 60
exit 0
