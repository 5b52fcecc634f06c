#!/usr/bin/env bash
# timeout: 720
# The hardware node end to end (issue 4): the config node runs the real
# nimbusd, isc-dhcpd and in.tftpd; the hwnode image is registered as an
# image with Xen and added as the hw role's; a machine added as node hw1
# (role hw) PXE-boots: iPXE -> dhcpd -> in.tftpd -> pxelinux.0 ->
# pxelinux.cfg/01-<mac> -> mboot.c32 -> Xen + dom0 kernel + our initramfs ->
# root over AoE from two storage nodes (aoetd) -> dom0 gets its fixed
# address by DHCP, runs `xl info` and reports booted to nimbusd;
# `nimbus node show hw1` says booted. Then one storage node is stopped:
# dom0 keeps running and the node stays booted. Bad path: node hw2's image
# names a root device that never appears; its initramfs says so on the
# console, gets an address by DHCP and reports the failure to nimbusd.
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
nimbus -o json node show hw1 >"$W/hw1.json" 2>&1
IP=$(sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' "$W/hw1.json" | head -n 1)
PXEFILE=$W/tftp/pxelinux.cfg/01-${MAC//:/-}
check "pxelinux.cfg/01-<mac> loads Xen through mboot.c32" grep -q 'KERNEL mboot.c32' "$PXEFILE"
sed 's/^/#   /' "$PXEFILE"


hw_storage_nodes cn br0

# --- the machine ------------------------------------------------------------------
start=$(date +%s.%N)
# -boot n: the first NIC's iPXE ROM (the second NIC has none).
cloud_hw_pxe hw1 cn br0
if guest_wait_for hw1 'nimbus-initramfs: found /dev/etherd/e1.0' 300; then
	ok "PXE -> pxelinux -> Xen -> dom0 initramfs found the AoE root ($(since "$start") s)"
	guest_lines hw1 'nimbus-initramfs: (NICs|found)' | sed 's/^/# /'
else
	not_ok "PXE -> pxelinux -> Xen -> dom0 initramfs found the AoE root"
	show_console hw1; exit 1
fi
if guest_wait_for hw1 'nimbus-dom0-xen: xl info: ok' 240; then
	ok "xl info succeeds in dom0 ($(since "$start") s)"
else
	not_ok "xl info succeeds in dom0"
	show_console hw1 60; exit 1
fi
check "dom0 got its fixed address $IP by DHCP" \
	guest_wait_for hw1 "nimbus-dom0-network: xenbr0 on eth0, address by DHCP: ${IP//./\\.}/" 60
booted() { cloud_node_booted hw1; }
if lab_wait 120 booted; then
	t_boot=$(since "$start")
	ok "nimbus node show hw1 says booted (${t_boot} s after power-on)"
	note "boot time, power-on to booted in nimbusd (PXE + Xen + dom0, emulated): ${t_boot} s"
else
	not_ok "nimbus node show hw1 says booted"
	guest_lines hw1 'nimbus-report' | tail -n 5 | sed 's/^/#   /'
	tail -n 5 "$W/nimbusd.log" | sed 's/^/#   /'
fi
nimbus -o json node show hw1 >"$W/hw1.json" 2>&1
check "nimbus node show hw1 has the Xen version from dom0's report" \
	grep -qE '"xen_version": *"4\.[0-9]+' "$W/hw1.json"
check "nimbus node show hw1 has both AoE paths" grep -qE '"aoe_path_count": *"2"' "$W/hw1.json"

# --- one storage node goes away ---------------------------------------------------
guest_wait_for hw1 'nimbus-heartbeat [0-9]+: root .* read ok' 60 || not_ok "console heartbeat running"
before=$(hw_heartbeats hw1)
stopped=$(date +%s.%N)
lab_stop "${TPID[st1]}"
if lab_wait 90 eval '[ "$(hw_heartbeats hw1)" -ge $((before + 4)) ]'; then
	ok "dom0's root keeps answering with storage node st1 stopped (4 heartbeats in $(since "$stopped") s)"
else
	not_ok "dom0's root keeps answering with storage node st1 stopped"
	show_console hw1 30
fi
# The next periodic report (every 30 s) refreshes the node.
sleep 35
check "node hw1 still booted in nimbusd" booted
check "dom0 still running" guest_running hw1
lab_stop "$(guest_pid hw1)"

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
