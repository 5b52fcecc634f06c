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
#                                  the command line in STORAGE_CMDLINE;
#                                  STORAGE_MTU=N: the taps and the node's
#                                  management NIC (nimbus.mtu=N) at MTU N
#   storage_second_nic NAME NS BR2 the node's second NIC onto bridge BR2
#   storage_type NAME COMMAND      type a command line on the node's console
#   storage_interrupt NAME         Ctrl-C on the node's console
#   storage_boot_lines NAME N RE   console lines of the Nth boot matching RE
#   storage_boot_has NAME N RE     ... whether there is one
#   storage_console_tail NAME [N]  the console's last lines, as notes
#   storage_pair_cloud DISK_SIZE   the cloud of the agent's VM tests (below):
#                                  sn1 and sn2 running nimbus-storaged, each a
#                                  blank disk of DISK_SIZE, pair p1
#   storage_pair_boot NAME         (re)start sn1 or sn2 of that cloud

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
	[ -n "${STORAGE_MTU:-}" ] && STORAGE_CMDLINE="$STORAGE_CMDLINE nimbus.mtu=$STORAGE_MTU"
	GUEST_MTU=${STORAGE_MTU:-} GUEST_MEM=512 GUEST_NICS=2 GUEST_REBOOT=1 GUEST_MAC=$mac guest_qemu "$name" "$ns" "$br" \
		-kernel "$STORAGE_IMG/vmlinuz" -initrd "$STORAGE_IMG/initrd.gz" -append "$STORAGE_CMDLINE" \
		"${drives[@]}"
}

storage_second_nic() {
	local tap="t1-$1"
	ip -n "$(lab_ns "$2")" link set "${tap:0:15}" master "$3"
}

# storage_type NAME LINE, storage_interrupt NAME: guest_type and
# guest_interrupt (tests/lib/guest.sh) on a storage node's console shell.
storage_type() { guest_type "$@"; }
storage_interrupt() { guest_interrupt "$@"; }

storage_boot_lines() {
	guest_text "$1" | awk -v n="$2" '/nimbus-storage: starting/ { b++ } b == n' | grep -E -- "$3"
}
storage_boot_has() { storage_boot_lines "$@" >/dev/null; }

storage_console_tail() {
	note "last console lines of $1:"
	guest_text "$1" | tail -n "${2:-40}" | sed 's/^/#   /'
}

# The cloud of the storage agent's VM tests and benchmarks: namespace "sw"
# with br0 (management and AoE) and br1 (replication, as a crossover
# cable would be), the config node "cn" (nimbusd, isc-dhcpd, in.tftpd;
# volume import writes through its eth0), role storage booting the storage
# image, sn1 and sn2 booted with a blank disk each ($LAB_DIR/NAME-disk.img)
# and their second NIC on br1, pair p1 made once both run their agent.
# Prints ok / not ok lines with the times; returns 1 (after not ok) when
# the nodes do not come up.
storage_pair_cloud() {
	local n start
	storage_image
	lab_netns sw; lab_bridge sw br0; lab_bridge sw br1
	CLOUD_NIMBUSD_EXTRA="aoe-interface eth0
aoe-bench $NIMBUS_BIN/aoe-bench"
	# volume import's frames as big as the nodes take
	CLOUD_MTU=${STORAGE_MTU:-1500} cloud_config_node cn sw br0
	mkdir -p "$LAB_DIR/tftp/images/storage"
	install -m 0644 "$STORAGE_IMG/vmlinuz" "$STORAGE_IMG/initrd.gz" "$LAB_DIR/tftp/images/storage/"
	_storage_quiet cloud_nimbus image add storage --kernel images/storage/vmlinuz \
		--initrd images/storage/initrd.gz --cmdline "console=ttyS0 panic=5"
	_storage_quiet cloud_nimbus role set-image storage storage
	cloud_start_services
	for n in sn1 sn2; do
		check "node add $n --role storage" _storage_quiet cloud_nimbus node add "$n" \
			--mac "$(guest_mac "$n")" --role storage
	done
	# The nodes speak to nimbusd's report listener.
	STORAGE_CFG_ADDR=$CLOUD_SERVER
	STORAGE_REPORT_PORT=8080
	start=$(date +%s.%N)
	for n in sn1 sn2; do
		truncate -s "$1" "$LAB_DIR/$n-disk.img"
		storage_pair_boot "$n"
	done
	for n in sn1 sn2; do
		if guest_wait_for "$n" 'nimbus-storage: agent started' 300; then
			ok "$n: agent started $(_storage_since "$start") s after power-on"
		else
			not_ok "$n: agent started"; storage_console_tail "$n"; return 1
		fi
	done
	for n in sn1 sn2; do
		lab_wait 120 cloud_node_booted "$n" || { not_ok "nimbusd: $n booted"; return 1; }
	done
	ok "nimbusd: both nodes booted ($(_storage_since "$start") s after power-on)"
	check "pair add p1 sn1 sn2" _storage_quiet cloud_nimbus pair add p1 sn1 sn2
	lab_wait 60 guest_wait_for sn1 'agent: .*replication link' 1 || note "sn1 did not log its replication address"
}

storage_pair_boot() {
	storage_boot "$1" sw br0 "$LAB_DIR/$1-disk.img"
	storage_second_nic "$1" sw br1
}

_storage_quiet() { "$@" >>"$LAB_DIR/commands.log" 2>&1; }
_storage_since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
