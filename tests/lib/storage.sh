# shellcheck shell=bash
# tests/lib/storage.sh - storage nodes booted from the storage image
# (build/images/storage, docs/storage.md) for the VM tests. Source it after
# tests/lib/lab.sh, tests/lib/guest.sh and tests/lib/cloud.sh and lab_init:
#
#   storage_image                  build (or reuse) the image; sets STORAGE_IMG
#   storage_services CFG SW BR     namespace CFG on a veth into bridge BR of
#                                  SW: 10.77.0.1 with busybox udhcpd and the
#                                  report listener (cloud_report_listener)
#   storage_boot NAME NS BR DISK...  a storage node: the image by -kernel and
#                                  -initrd with pxelinux's command line
#                                  (BOOTIF included), 512 MiB, two e1000 NICs
#                                  (both on BR; move the second with
#                                  storage_second_nic), one virtio disk per
#                                  DISK file; reboots stay in the same QEMU;
#                                  the command line in STORAGE_CMDLINE
#   storage_second_nic NAME NS BR2 the node's second NIC onto bridge BR2
#   storage_type NAME COMMAND      type a command line on the node's console
#   storage_boot_lines NAME N RE   console lines of the Nth boot matching RE
#   storage_boot_has NAME N RE     ... whether there is one
#   storage_console_tail NAME [N]  the console's last lines, as notes

STORAGE_IMG=$NIMBUS_BUILD/images/storage
STORAGE_CFG_ADDR=10.77.0.1
STORAGE_REPORT_PORT=8080

storage_image() {
	local t
	t=$(date +%s.%N)
	if "$NIMBUS_TOP/storagenode/image/build-image" --out "$STORAGE_IMG" --bin "$NIMBUS_BIN" \
		>"$LAB_DIR/build-image.log" 2>&1; then
		ok "storage image built or up to date ($(awk -v s="$t" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }') s): $(tail -n 1 "$LAB_DIR/build-image.log")"
	else
		sed 's/^/# /' "$LAB_DIR/build-image.log" | tail -n 20
		lab_fail "storage image builds (storagenode/image/build-image)"
	fi
}

storage_services() {
	local cfg=$1 sw=$2 br=$3
	lab_need busybox socat
	lab_netns "$cfg"
	lab_veth "$cfg" eth0 "$sw" "v-$cfg"
	lab_bridge_port "$sw" "$br" "v-$cfg"
	lab_addr "$cfg" eth0 "$STORAGE_CFG_ADDR/24"
	cat >"$LAB_DIR/udhcpd.conf" <<CONF
start 10.77.0.100
end 10.77.0.150
interface eth0
lease_file $LAB_DIR/udhcpd.leases
pidfile $LAB_DIR/udhcpd.pid
option subnet 255.255.255.0
option lease 600
CONF
	: >"$LAB_DIR/udhcpd.leases"
	lab_bg "$cfg" "$LAB_DIR/udhcpd.log" busybox udhcpd -f "$LAB_DIR/udhcpd.conf"
	cloud_report_listener "$cfg" "$STORAGE_REPORT_PORT"
}

storage_boot() {
	local name=$1 ns=$2 br=$3 mac d drives=()
	shift 3
	for d in "$@"; do drives+=(-drive "file=$d,if=virtio,format=raw"); done
	mac=$(guest_mac "$name")
	# What pxelinux gives (tests/unit/data/pxe-storage.expected, IPAPPEND 2);
	# a report every 10 s instead of 60 so the tests see changes quickly.
	STORAGE_CMDLINE="console=ttyS0 panic=5 nimbus.report=$STORAGE_CFG_ADDR:$STORAGE_REPORT_PORT nimbus.node=$name nimbus.report_every=10 BOOTIF=01-${mac//:/-}"
	GUEST_MEM=512 GUEST_NICS=2 GUEST_REBOOT=1 GUEST_MAC=$mac guest_qemu "$name" "$ns" "$br" \
		-kernel "$STORAGE_IMG/vmlinuz" -initrd "$STORAGE_IMG/initrd.gz" -append "$STORAGE_CMDLINE" \
		"${drives[@]}"
}

storage_second_nic() {
	local tap="t1-$1"
	ip -n "$(lab_ns "$2")" link set "${tap:0:15}" master "$3"
}

# Typed a few characters at a time: the emulated UART has a 16-byte FIFO
# and no flow control, and a guest busy under TCG loses what arrives faster
# than it empties it. Then a second to let the shell start on it.
storage_type() {
	local name=$1 s=$2 i sock="$LAB_DIR/$1.sock"
	for ((i = 0; i < ${#s}; i += 4)); do
		printf '%s' "${s:i:4}"
		sleep 0.05
	done | timeout 60 socat -u - "UNIX-CONNECT:$sock" 2>/dev/null
	printf '\r' | timeout 10 socat -u - "UNIX-CONNECT:$sock" 2>/dev/null
	sleep 1
}

storage_boot_lines() {
	guest_text "$1" | awk -v n="$2" '/nimbus-storage: starting/ { b++ } b == n' | grep -E -- "$3"
}
storage_boot_has() { storage_boot_lines "$@" >/dev/null; }

storage_console_tail() {
	note "last console lines of $1:"
	guest_text "$1" | tail -n "${2:-40}" | sed 's/^/#   /'
}
