# shellcheck shell=bash
# tests/lib/cloud.sh - the nimbus virtual cloud in pieces, shared by the VM
# tests (tests/vm/hwnode_*.sh, provision.sh) and scripts/lab: a config node
# (nimbusd with the real isc-dhcpd and in.tftpd), storage nodes (an AoE
# target each), the hardware-node image and hardware nodes (Xen-capable QEMU
# machines). Source it after tests/lib/lab.sh and tests/lib/guest.sh:
#
#   lab_netns sw; lab_bridge sw br0          # the network: one bridge
#   cloud_config_node cn sw br0              # nimbusd on 10.77.0.1 (cn may be sw)
#   cloud_hw_image hwnode                    # image with Xen from build/hwnode
#   cloud_nimbus role set-image hw hwnode    # the CLI against that nimbusd
#   cloud_start_services                     # isc-dhcpd and in.tftpd
#   cloud_storage_node sn1 sw br0 IMAGE 1 0 -r   # aoetd exporting IMAGE as e1.0
#   cloud_nimbus node add hw1 --mac "$(guest_mac hw1-0)" --role hw
#   cloud_hw_pxe hw1 sw br0                  # the machine PXE-boots
#   lab_wait 300 cloud_node_booted hw1
#
# The config node's steps, for tests that check between them:
#   cloud_config_net CN SW BR     namespace CN with CLOUD_SERVER/24 on a veth
#                                 into bridge BR of SW, or on BR itself when
#                                 CN is SW (the caller made SW and BR)
#   cloud_tftp_root [OPTION...]   $LAB_DIR/tftp by pxe/install-tftp-root
#   cloud_nimbusd_conf            $LAB_DIR/nimbusd.conf, an empty site.conf
#   cloud_start_nimbusd [LOG]     nimbusd, waits until it answers
#   cloud_start_dhcpd [LOG]       dhcpd on the generated dhcpd.conf (no wait)
#   cloud_start_tftpd [LOG]       in.tftpd on $LAB_DIR/tftp (no wait)
#   cloud_start_services          both, once nimbusd wrote dhcpd.conf; waits
#                                 until dhcpd serves
# Storage and hardware nodes:
#   cloud_hw_files                build (or reuse) build/hwnode/* (CLOUD_HW)
#   cloud_storage_node NAME SW BR IMAGE SHELF SLOT [TARGET-OPTION...]
#                                 namespace NAME, eth0 on a veth into BR of SW,
#                                 the target exporting IMAGE as eSHELF.SLOT
#   cloud_start_target NAME IMAGE SHELF SLOT [TARGET-OPTION...]
#                                 (re)start the target in namespace NAME
#   cloud_targets_alive NAME...   wait 0.5 s; fail the test if one exited
#   cloud_hw_qemu NAME NS BR QEMU-ARG...   a hardware node booting otherwise
#   cloud_hw_pxe NAME NS BR [QEMU-ARG...]  a hardware node that PXE-boots
#   cloud_node_booted NAME        nimbusd's node NAME is in state booted
#   cloud_report_listener NS PORT a recorder in place of nimbusd's POST
#                                 /v1/report: $LAB_DIR/reports.jsonl
#
# Hardware nodes are 1 GiB machines with a CPU that gives Xen HAP
# (qemu64,+svm,+npt: PVH instances need it to live-migrate),
# QEMU's code cache bounded (tb-size=256) and two e1000 NICs (MACs guest_mac
# NAME-0 and NAME-1; only the first has a boot ROM), on taps in the namespace
# holding the bridge; with CLOUD_INST_BR set, a third (NAME-2) on that bridge
# of the same namespace: the instance network. Console and PID where
# guest.sh's helpers look.
#
# Settings: CLOUD_NET (first three octets of the /24, default 10.77.0; the
# config node is .1, nodes get fixed addresses from .10-.49, unknown machines
# .100-.199), CLOUD_DISCOVERY_CMDLINE (the discovery image's kernel
# arguments), NIMBUS_AOE_TARGET (target program; default build/bin/aoetd, or
# vblade when aoetd is not built), CLOUD_MTU (the MTU of the config node's
# and the namespace storage nodes' veths, default 1500), CLOUD_DETACH=1
# (daemons in a session of their own, so they outlive the script that
# started them: scripts/lab).
# Files live in $LAB_DIR: nimbusd.conf, nimbusd.sock, nimbus.db, dhcpd.conf,
# dhcpd.leases, site.conf (dhcpd-include), tftp/, NAME.aoetd.sock (each
# aoetd's control socket) and the logs. PIDs: CLOUD_PID[nimbusd], [dhcpd],
# [tftpd] and [NAME] for each storage node, also in LAB_PID after each start.

: "${CLOUD_NET:=10.77.0}"
CLOUD_SERVER=$CLOUD_NET.1
CLOUD_HW="$NIMBUS_BUILD/hwnode"
CLOUD_CN=""
CLOUD_IF=""
CLOUD_OMAPI_SECRET=""
declare -gA CLOUD_PID
# Xen on the first serial port; dom0 512 MiB of the node's 1 GiB.
CLOUD_XEN_CMDLINE="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M loglvl=warning guest_loglvl=warning"
# dom0: its console is Xen's; root e1.0 over AoE.
CLOUD_DOM0_CMDLINE="console=hvc0 loglevel=4 nimbus.root=e1.0 nimbus.root_timeout=90"
# The hardware nodes' CPU (NIMBUS_HW_CPU overrides, for trying others):
# SVM and nested paging for Xen's HVM with HAP (PVH guests). QEMU's AMD
# model, as it is: with an Intel vendor string on this SVM CPU, PVH guests
# triple-fault in their first instructions (an Intel-only MSR); libvirt's
# need for "vme" or "sep" is met by a CPU model the dom0 image adds
# (docs/hwnode.md).
CLOUD_HW_CPU=${NIMBUS_HW_CPU:-"qemu64,+svm,+npt"}

# The target under test is ours; NIMBUS_AOE_TARGET=/usr/sbin/vblade runs the
# same tests against the reference target, to tell a test problem from an
# aoetd problem. A missing aoetd fails the test (lab_need), never silently
# falls back to another target.
CLOUD_TARGET=${NIMBUS_AOE_TARGET:-$NIMBUS_BIN/aoetd}

# _cloud_bg NS LOG COMMAND...: lab_bg, in a session of its own with CLOUD_DETACH=1.
_cloud_bg() {
	local ns=$1 log=$2
	shift 2
	if [ "${CLOUD_DETACH:-0}" = 1 ]; then
		lab_bg "$ns" "$log" setsid "$@"
	else
		lab_bg "$ns" "$log" "$@"
	fi
}

# --- hardware-node boot files -------------------------------------------------

cloud_hw_files() {
	"$NIMBUS_TOP/hwnode/mkinitramfs" --out "$CLOUD_HW/initrd.gz" >"$LAB_DIR/mkinitramfs.log" 2>&1 ||
		lab_fail "hwnode/mkinitramfs failed: $(tail -n 3 "$LAB_DIR/mkinitramfs.log")"
	# The instances' kernel and initramfs go into the dom0 image.
	"$NIMBUS_TOP/instances/mkinitramfs" --out "$NIMBUS_BUILD/instances/initrd.gz" \
		>"$LAB_DIR/guest-initramfs.log" 2>&1 ||
		lab_fail "instances/mkinitramfs failed: $(tail -n 3 "$LAB_DIR/guest-initramfs.log")"
	"$NIMBUS_TOP/hwnode/build-image" --out "$CLOUD_HW/dom0-root.img" \
		--guest-dir "$NIMBUS_BUILD/instances" \
		--report-bin "$NIMBUS_BIN/nimbus-report" >"$LAB_DIR/build-image.log" 2>&1 ||
		lab_fail "hwnode/build-image failed: $(tail -n 3 "$LAB_DIR/build-image.log")"
	"$NIMBUS_TOP/hwnode/boot-files" --out "$CLOUD_HW" >"$LAB_DIR/boot-files.log" 2>&1 ||
		lab_fail "hwnode/boot-files failed: $(tail -n 3 "$LAB_DIR/boot-files.log")"
}

# --- config node ----------------------------------------------------------------

cloud_config_net() {
	local cn=$1 sw=$2 br=$3
	CLOUD_CN=$cn
	if [ "$cn" = "$sw" ]; then
		CLOUD_IF=$br
	else
		lab_netns "$cn"
		lab_veth "$cn" eth0 "$sw" "v-$cn" "${CLOUD_MTU:-1500}"
		lab_bridge_port "$sw" "$br" "v-$cn"
		CLOUD_IF=eth0
	fi
	lab_addr "$cn" "$CLOUD_IF" "$CLOUD_SERVER/24" ||
		lab_fail "cannot add $CLOUD_SERVER/24 to $CLOUD_IF in $(lab_ns "$cn")"
}

cloud_tftp_root() {
	mkdir -p "$LAB_DIR/tftp" && chmod 755 "$LAB_DIR/tftp" ||
		lab_fail "cannot create $LAB_DIR/tftp"
	"$NIMBUS_TOP/pxe/install-tftp-root" "$@" "$LAB_DIR/tftp" >"$LAB_DIR/tftp-root.log" 2>&1 ||
		lab_fail "pxe/install-tftp-root failed: $(tail -n 3 "$LAB_DIR/tftp-root.log")"
}

cloud_nimbusd_conf() {
	local w=$LAB_DIR
	CLOUD_OMAPI_SECRET=$(head -c 32 /dev/urandom | base64)
	: >"$w/site.conf"
	cat >"$w/nimbusd.conf" <<EOF
# nimbusd for $(basename "$0") (tests/lib/cloud.sh)
subnet $CLOUD_NET.0/24
address $CLOUD_SERVER
pool $CLOUD_NET.10 $CLOUD_NET.49
dynamic-range $CLOUD_NET.100 $CLOUD_NET.199
listen-report $CLOUD_SERVER:8080
socket $w/nimbusd.sock
database $w/nimbus.db
tftp-root $w/tftp
dhcpd-conf $w/dhcpd.conf
dhcpd /usr/sbin/dhcpd
dhcpd-include $w/site.conf
dhcp-hook $NIMBUS_BIN/nimbus
omapi-port 7911
omapi-key omapi_key HMAC-MD5 $CLOUD_OMAPI_SECRET
discovery-kernel nimbus/discovery/vmlinuz
discovery-initrd nimbus/discovery/initrd.gz
discovery-cmdline ${CLOUD_DISCOVERY_CMDLINE:-console=ttyS0}
lost-after 900
${CLOUD_NIMBUSD_EXTRA:-}
EOF
}

cloud_nimbus() { lab_in "$CLOUD_CN" "$NIMBUS_BIN/nimbus" -s "$LAB_DIR/nimbusd.sock" "$@"; }

cloud_start_nimbusd() {
	local log=${1:-$LAB_DIR/nimbusd.log}
	_cloud_bg "$CLOUD_CN" "$log" "$NIMBUS_BIN/nimbusd" -d -c "$LAB_DIR/nimbusd.conf"
	CLOUD_PID[nimbusd]=$LAB_PID
	lab_wait 20 cloud_nimbus node list ||
		lab_fail "nimbusd does not answer: $(tail -n 5 "$log")"
	LAB_PID=${CLOUD_PID[nimbusd]}
}

# cloud_config_node CN SW BR [install-tftp-root OPTION...]: the config node
# up to a running nimbusd (dhcpd and in.tftpd come with cloud_start_services,
# once images and roles are set).
cloud_config_node() {
	cloud_config_net "$1" "$2" "$3"
	shift 3
	cloud_tftp_root "$@"
	cloud_nimbusd_conf
	cloud_start_nimbusd
}

cloud_start_dhcpd() {
	_cloud_bg "$CLOUD_CN" "${1:-$LAB_DIR/dhcpd.log}" "$NIMBUS_TOP/scripts/provision-services" dhcpd \
		--conf "$LAB_DIR/dhcpd.conf" --leases "$LAB_DIR/dhcpd.leases" --pid "$LAB_DIR/dhcpd.pid" \
		"$CLOUD_IF"
	CLOUD_PID[dhcpd]=$LAB_PID
}

cloud_start_tftpd() {
	_cloud_bg "$CLOUD_CN" "${1:-$LAB_DIR/tftpd.log}" "$NIMBUS_TOP/scripts/provision-services" tftpd \
		--root "$LAB_DIR/tftp" --address "$CLOUD_SERVER"
	CLOUD_PID[tftpd]=$LAB_PID
}

cloud_start_services() {
	# dhcpd runs on nimbusd's file; nodes are then added to it through OMAPI.
	lab_wait 10 test -s "$LAB_DIR/dhcpd.conf" || lab_fail "nimbusd wrote no $LAB_DIR/dhcpd.conf"
	cloud_start_dhcpd
	cloud_start_tftpd
	lab_wait 10 grep -q 'Server starting service' "$LAB_DIR/dhcpd.log" ||
		lab_fail "dhcpd did not start: $(tail -n 5 "$LAB_DIR/dhcpd.log")"
}

# cloud_hw_image NAME [DOM0-CMDLINE]: put build/hwnode's Xen, dom0 kernel
# and initramfs into the TFTP root (images/hw/; in.tftpd --secure chroots
# there and serves world-readable files only) and add them to nimbusd as
# image NAME, booted by pxelinux's mboot.c32.
cloud_hw_image() {
	mkdir -p "$LAB_DIR/tftp/images/hw" &&
		install -m 0644 "$CLOUD_HW/xen.gz" "$CLOUD_HW/vmlinuz" "$CLOUD_HW/initrd.gz" \
			"$LAB_DIR/tftp/images/hw/" || return 1
	cloud_nimbus image add "$1" \
		--xen images/hw/xen.gz --xen-cmdline "$CLOUD_XEN_CMDLINE" \
		--kernel images/hw/vmlinuz --initrd images/hw/initrd.gz \
		--cmdline "${2:-$CLOUD_DOM0_CMDLINE}"
}

cloud_node_booted() { cloud_nimbus -o json node show "$1" 2>/dev/null | grep -qE '"state": *"booted"'; }

# --- storage nodes --------------------------------------------------------------

cloud_start_target() {
	local name=$1 image=$2 shelf=$3 slot=$4 ctl=()
	shift 4
	lab_need "$CLOUD_TARGET"
	# Every target runs on this host's file system: one control socket each
	# (aoetd's default is named after the shelf.slot, which they share).
	[ "$(basename "$CLOUD_TARGET")" = aoetd ] && ctl=(-C "$LAB_DIR/$name.aoetd.sock")
	_cloud_bg "$name" "$LAB_DIR/$name.target.log" "$CLOUD_TARGET" "${ctl[@]}" "$@" \
		"$shelf" "$slot" eth0 "$image"
	CLOUD_PID[$name]=$LAB_PID
}

# cloud_storage_node NAME SW BR IMAGE SHELF SLOT [TARGET-ARGS...]: a storage
# node namespace on bridge BR (in namespace SW) whose eth0 has CLOUD_MTU
# (default 1500), running the target; its control socket (aoetd) is
# $LAB_DIR/NAME.aoetd.sock, its log $LAB_DIR/NAME.target.log, its PID
# CLOUD_PID[NAME].
cloud_storage_node() {
	local name=$1 sw=$2 br=$3
	shift 3
	lab_netns "$name"
	lab_veth "$name" eth0 "$sw" "v-$name" "${CLOUD_MTU:-1500}"
	lab_bridge_port "$sw" "$br" "v-$name"
	cloud_start_target "$name" "$@"
}

cloud_targets_alive() {
	local n
	sleep 0.5
	for n in "$@"; do
		kill -0 "${CLOUD_PID[$n]}" 2>/dev/null ||
			lab_fail "storage node $n: $CLOUD_TARGET exited: $(tail -n 2 "$LAB_DIR/$n.target.log")"
	done
}

# --- report listener ------------------------------------------------------------

# cloud_report_listener NS PORT: a stand-in for nimbusd's report endpoint
# (POST /v1/report, JSON body) in namespace NS: every body is recorded on a
# line of $LAB_DIR/reports.jsonl after its arrival time (date +%s), and
# answered 204. For tests of a node's own reporting without a config node.
# Sets LAB_PID.
cloud_report_listener() {
	local ns=$1 port=$2
	cat >"$LAB_DIR/listener.sh" <<LISTENER
#!/bin/bash
len=0
while IFS= read -r line; do
	line=\${line%\$'\r'}
	[ -z "\$line" ] && break
	case "\${line,,}" in content-length:*) len=\${line#*:}; len=\${len// /} ;; esac
done
body=\$(head -c "\$len")
printf '%s %s\n' "\$(date +%s)" "\$body" >>"$LAB_DIR/reports.jsonl"
printf 'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'
LISTENER
	chmod +x "$LAB_DIR/listener.sh"
	: >"$LAB_DIR/reports.jsonl"
	lab_bg "$ns" "$LAB_DIR/listener.log" socat -T 10 "TCP-LISTEN:$port,reuseaddr,fork" \
		"EXEC:$LAB_DIR/listener.sh"
}

# --- hardware nodes -------------------------------------------------------------

# _cloud_hw LAUNCHER NAME NS BR QEMU-ARG...: LAUNCHER is guest_qemu or
# guest_start_pxe; software emulation (no usable KVM here).
_cloud_hw() {
	local launch=$1 name=$2 ns=$3 br=$4
	shift 4
	local nics=2 bridges=""
	if [ -n "${CLOUD_INST_BR:-}" ]; then
		nics=3 bridges="$br $br $CLOUD_INST_BR"
	fi
	GUEST_MEM=1024 GUEST_ACCEL=tcg,tb-size=256 GUEST_NICS=$nics GUEST_BRIDGES=$bridges \
		GUEST_MAC=$(guest_mac "$name-0") \
		"$launch" "$name" "$ns" "$br" -cpu "$CLOUD_HW_CPU" "$@"
}
cloud_hw_qemu() { _cloud_hw guest_qemu "$@"; }
cloud_hw_pxe() { _cloud_hw guest_start_pxe "$@"; }
