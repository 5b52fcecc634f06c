#!/usr/bin/env bash
# timeout: 900
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
USER_ADDR=10.78.0.1
INST_ADDR=10.78.0.10
INST_MAC=00:16:3e:4e:00:01
XML_PORT=8081
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M loglvl=warning guest_loglvl=warning"

hw_boot_files
ok "hardware-node boot files built (initramfs, dom0 image, Xen, kernel)"
t=$(date +%s.%N)
hw_instance_disk
ok "instance image built or up to date ($(since "$t") s)"

lab_netns sw; lab_bridge sw br0
hw_storage_nodes sw br0
# The instance's disk: a copy of the instance image, e1.1 on both storage
# nodes (a second target process each).
hw_instance_targets
lab_netns cfg
lab_veth cfg eth0 sw v-cfg
lab_bridge_port sw br0 v-cfg
lab_addr cfg eth0 "$REPORT_ADDR/24"
# The instance network: bridge br-inst (the hardware node's third NIC) and
# "user", a host on it that pings the instances.
lab_bridge sw br-inst
CLOUD_INST_BR=br-inst
hw_user_net sw br-inst "$USER_ADDR"

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
check "instance bridge instbr0 on the third NIC, AoE not on it" \
	guest_lines hw1 'nimbus-dom0-network: instbr0 on eth2 .*AoE only on xenbr0 eth0 eth1\)'

# --- an instance: a PVH guest through libvirt's libxl driver ---------------------
# Its disk is e1.1 (both storage nodes), its vif on instbr0 through
# vif-nimbus; dom0 fetches the domain XML from the config side over TCP, as
# an agent fetches its desired state, and virsh creates it. inst1's text is
# what confignode/gen_domain.c makes for it (tests/unit/test_gen_domain.c
# holds the same text, with a UUID): here libvirt proves it accepts it.
hw_inst_xml inst1 "$INST_MAC" instbr0 "$INST_ADDR" 256 >"$LAB_DIR/inst1.xml"
hw_inst_xml bad1 00:16:3e:4e:00:02 xenbr0 10.78.0.11 128 >"$LAB_DIR/bad1.xml"
hw_serve "$XML_PORT" "$LAB_DIR/inst1.xml"
hw_serve "$((XML_PORT + 1))" "$LAB_DIR/bad1.xml"
VIRSH="virsh -c xen:///system"

guest_wait_for hw1 'login: root \(automatic login\)|root@hwnode' 60 ||
	note "no sign of the console's autologin shell yet; typing anyway"
check "dom0 has no address on the instance bridge" \
	eval '[ "$(guest_out hw1 addr "ip -o addr show dev instbr0 | wc -l")" = 0 ]'
# First an instance whose vif names xenbr0, the storage network: refused
# when its vif is attached (before inst1, which would hold the disk they
# share: Debian's block script refuses a disk another guest writes to).
out=$(guest_out hw1 bad "socat -u TCP:$REPORT_ADDR:$((XML_PORT + 1)) CREATE:/run/bad1.xml && $VIRSH create /run/bad1.xml >/run/bad1.out 2>&1; echo rc=\$? \$($VIRSH list --all --name | grep -c bad1) \$(journalctl -t vif-nimbus -o cat | grep -o 'refusing bridge .xenbr0.' | head -n 1) / \$(tail -c 300 /run/bad1.out)" 180)
note "instance on xenbr0: $out"
check "an instance vif on the storage network (xenbr0) is refused by vif-nimbus" \
	grep -qE "^rc=[1-9][0-9]* 0 refusing bridge .xenbr0. /" <<<"$out"
t_create=$(date +%s.%N)
out=$(guest_out hw1 create "socat -u TCP:$REPORT_ADDR:$XML_PORT CREATE:/run/inst1.xml && $VIRSH create /run/inst1.xml 2>&1 | tr -s '\n' ' '" 180)
note "virsh create: $out"
if grep -q "Domain 'inst1' created" <<<"$out"; then
	ok "libvirt created PVH instance inst1 ($(since "$t_create") s)"
else
	not_ok "libvirt created PVH instance inst1"
	show_console hw1 30
fi
if lab_wait 300 uping -c 1 -W 1 "$INST_ADDR"; then
	t_ping=$(since "$t_create")
	ok "instance answers ping on the instance network (${t_ping} s after virsh create was typed)"
	note "create-to-first-ping (virsh create of a PVH guest on an AoE disk, under emulation): ${t_ping} s"
else
	not_ok "instance answers ping on the instance network"
	guest_out hw1 conlog "tail -n 20 /var/log/xen/console/guest-inst1.log | tr -s '\r\n' ' '" 60 | cut -c1-1500 | sed 's/^/# /'
fi
loss=$(uping -c 300 -i 0.01 -q "$INST_ADDR" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
check "300 pings at 10 ms: ${loss:-?}% lost" [ "${loss:-100}" = 0 ]
# The guest answers ping from its initramfs; systemd reaching multi-user
# (its ready line in the console log xenconsoled keeps) takes longer.
out=$(guest_out hw1 conlog "timeout 240 sh -c 'until grep -q \"nimbus-guest: up inst1\" /var/log/xen/console/guest-inst1.log; do sleep 2; done'; grep -c 'nimbus-guest: up inst1' /var/log/xen/console/guest-inst1.log" 300)
check "the instance booted to multi-user ($(since "$t_create") s after virsh create; console log: $out ready line)" \
	[ "$out" = 1 ]

# --- one storage node goes away ----------------------------------------------
guest_wait_for hw1 'nimbus-heartbeat [0-9]+: root .* read ok' 60 ||
	not_ok "console heartbeat running"
before=$(hw_heartbeats hw1)
nrep=$(reports booted | wc -l)
stopped=$(date +%s.%N)
lab_stop "${TPID[st1]}"
lab_stop "${IPID[st1]}"
note "stopped storage node st1 (PIDs ${TPID[st1]} ${IPID[st1]}) after $before heartbeats"
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
check "instance still answers ping with one storage node stopped" answers "$INST_ADDR"
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
