#!/usr/bin/env bash
# timeout: 720
# A diskless hardware node boots Xen and a dom0 whose root is the hwnode
# image, exported read-only by two storage nodes (aoetd, same shelf.slot):
# our initramfs finds it over both paths, mounts it under a tmpfs overlay,
# dom0 starts Xen's daemons (`xl info` works) and reports in. Then one
# storage node is stopped and dom0 keeps running on the other. Bad path: a
# root device that never appears gives a clear console message and a
# failure report within the timeout.
#
# Xen and dom0 are loaded directly by QEMU (-kernel/-initrd), and the report
# goes to a listener that records it: tests/vm/hwnode_pxe.sh does the same
# boot through DHCP, TFTP, pxelinux and nimbusd.
#
# Topology (namespaces): "sw" holds bridge br0 with the node's two taps (two
# NICs) and veths to "st1" and "st2" (a target each) and "cfg" (the report
# listener, 10.77.0.1).
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/vm/hwnode_common.bash"
lab_init
lab_need qemu-system-x86_64 socat

REPORT_ADDR=10.77.0.1
REPORT_PORT=8080
ROOT=e1.0
BAD_ROOT=e9.9
BAD_TIMEOUT=15
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M loglvl=warning guest_loglvl=warning"

hw_boot_files
ok "hardware-node boot files built (initramfs, dom0 image, Xen, kernel)"

lab_netns sw; lab_bridge sw br0
hw_storage_nodes sw br0
lab_netns cfg
lab_veth cfg eth0 sw v-cfg
lab_bridge_port sw br0 v-cfg
lab_addr cfg eth0 "$REPORT_ADDR/24"

# --- report listener ------------------------------------------------------------
# nimbusd's report contract (POST /v1/report, JSON body), each body recorded
# on a line of reports.jsonl after its arrival time.
cloud_report_listener cfg "$REPORT_PORT"
reports() { grep -F "\"state\":\"$1\"" "$LAB_DIR/reports.jsonl"; }

# hw_direct NAME DOM0_ARGS: Xen as a multiboot kernel; -initrd lists the
# modules, "file args,file args" (a comma inside would have to be doubled).
hw_direct() {
	hw_qemu "$1" sw br0 -kernel "$HW/xen" -append "$XEN_ARGS" \
		-initrd "$HW/vmlinuz console=hvc0 loglevel=4 $2,$HW/initrd.gz"
}

# --- boot -----------------------------------------------------------------------
start=$(date +%s.%N)
hw_direct hw1 "nimbus.root=$ROOT nimbus.report=$REPORT_ADDR:$REPORT_PORT nimbus.node=hw1 nimbus.ip=10.77.0.50/24 nimbus.root_timeout=90 nimbus.on_fail=halt"

if guest_wait_for hw1 "nimbus-initramfs: found /dev/etherd/$ROOT" 240; then
	t_root=$(since "$start")
	ok "initramfs found the AoE root /dev/etherd/$ROOT (${t_root} s after power-on)"
	guest_lines hw1 'nimbus-initramfs: (NICs|found)' | sed 's/^/# /'
else
	not_ok "initramfs found the AoE root /dev/etherd/$ROOT"
	show_console hw1; exit 1
fi
check "dom0 switched root to the overlay" guest_wait_for hw1 'nimbus-initramfs: switching root' 30
if guest_wait_for hw1 'nimbus-dom0-xen: xl info: ok' 240; then
	t_xl=$(since "$start")
	ok "xl info succeeds in dom0 (${t_xl} s after power-on)"
	guest_lines hw1 'xen_version|free_memory|nr_cpus|virt_caps' | sed 's/^/#   /'
else
	not_ok "xl info succeeds in dom0"
	show_console hw1 60; exit 1
fi
if lab_wait 120 reports booted; then
	t_rep=$(since "$start")
	ok "node reported booted (${t_rep} s after power-on)"
	body=$(reports booted | head -n 1 | cut -d' ' -f2-)
	note "report: $body"
	check "report carries the Xen version from xl info" \
		grep -qE '"xen_version":"4\.[0-9]+' <<<"$body"
	check "report says xl info ok" grep -qF '"xl_info":"ok"' <<<"$body"
	npaths=$(sed -n 's/.*"aoe_path_count":"\([0-9]*\)".*/\1/p' <<<"$body")
	check "both storage nodes are paths to the root (report lists ${npaths:-no} targets)" \
		[ "${npaths:-0}" -ge 2 ]
	check "report names the boot NIC's MAC" grep -qF "\"mac\":\"$(guest_mac hw1-0)\"" <<<"$body"
	note "boot time (power-on to dom0 reporting in, Xen + dom0 under emulation): ${t_rep} s; root found at ${t_root} s, xl info at ${t_xl} s"
else
	not_ok "node reported booted"
	show_console hw1 60; exit 1
fi
check "libvirtd started" guest_wait_for hw1 'Started .*nimbus-libvirtd' 60
# Started is not enough: libvirtd exits 0 when a driver fails.
# nimbus-libvirt-check says on the console whether the libxl driver
# answers (virsh version, domains listed).
if guest_wait_for hw1 'nimbus-dom0-libvirt: (libxl driver answers|FAILED)' 240 &&
	guest_lines hw1 'nimbus-dom0-libvirt: libxl driver answers' | grep -q .; then
	ok "libvirt's libxl driver answers ($(guest_lines hw1 'nimbus-dom0-libvirt: libxl driver answers' | sed 's/.*answers on //' | head -n 1))"
else
	not_ok "libvirt's libxl driver answers (virsh -c xen:///system version)"
	guest_lines hw1 'nimbus-dom0-libvirt|libvirtd\[' | tail -n 8 | cut -c1-300 | sed 's/^/# /'
fi
check "guest bridge xenbr0 on the boot NIC" guest_lines hw1 'nimbus-dom0-network: xenbr0 on eth0'

# --- one storage node goes away ----------------------------------------------
guest_wait_for hw1 'nimbus-heartbeat [0-9]+: root .* read ok' 60 ||
	not_ok "console heartbeat running"
before=$(hw_heartbeats hw1)
nrep=$(reports booted | wc -l)
stopped=$(date +%s.%N)
lab_stop "${TPID[st1]}"
note "stopped storage node st1 (PID ${TPID[st1]}) after $before heartbeats"
# The aoe driver abandons a silent target after ~10 s; the root must keep
# answering through that and after.
if lab_wait 90 eval '[ "$(hw_heartbeats hw1)" -ge $((before + 4)) ]'; then
	ok "dom0's root keeps answering with one storage node stopped (4 heartbeats in $(since "$stopped") s)"
else
	not_ok "dom0's root keeps answering with one storage node stopped"
	show_console hw1 30
fi
check "no heartbeat read failed" eval '! guest_lines hw1 "read FAILED" >/dev/null'
guest_lines hw1 'nimbus-heartbeat' | tail -n 5 | sed 's/^/#   /'
check "node still reports booted after the storage node stopped" \
	lab_wait 60 eval '[ "$(reports booted | wc -l)" -gt '"$nrep"' ]'
check "dom0 still running" guest_running hw1
lab_stop "$(guest_pid hw1)"

# --- bad path: the root never appears -------------------------------------------
start=$(date +%s.%N)
hw_direct hw2 "nimbus.root=$BAD_ROOT nimbus.report=$REPORT_ADDR:$REPORT_PORT nimbus.ip=10.77.0.51/24 nimbus.root_timeout=$BAD_TIMEOUT nimbus.on_fail=halt"
if guest_wait_for hw2 "nimbus-initramfs: looking for root" 240 &&
   guest_wait_for hw2 "nimbus-initramfs: FATAL: root device /dev/etherd/$BAD_ROOT did not appear within $BAD_TIMEOUT s" $((BAD_TIMEOUT + 30)); then
	ok "missing root: clear console message after the ${BAD_TIMEOUT} s timeout ($(since "$start") s after power-on)"
	msg=$(guest_lines hw2 'FATAL:' | head -n 1)
	note "$msg"
	check "the message names the NICs tried" grep -qE 'NICs tried: eth0 .*eth1' <<<"$msg"
else
	not_ok "missing root: clear console message after the ${BAD_TIMEOUT} s timeout"
	show_console hw2
fi
check "missing root: failure report sent" lab_wait 30 \
	eval 'reports failed | grep -qF "did not appear"'
check "missing root: node halts (nimbus.on_fail=halt)" guest_wait_exit hw2 60
exit 0
