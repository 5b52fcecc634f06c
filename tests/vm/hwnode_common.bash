# tests/vm/hwnode_common.bash - pieces shared by the hardware-node VM tests
# (tests/vm/hwnode_*.sh), as names over tests/lib/cloud.sh (which scripts/lab
# uses too). Source it after tests/lib/lab.sh and tests/lib/guest.sh and
# lab_init. Not a test itself (run-all runs *.sh).
#
#   hw_boot_files                  build (or reuse) build/hwnode/*; sets HW
#   hw_storage_nodes NS BR         st1, st2: aoetd -r exporting the image as
#                                  e1.0, on veths into bridge BR of NS;
#                                  PIDs in TPID[st1], TPID[st2]
#   hw_qemu NAME NS BR QEMU_ARGS...  a 1 GiB Xen-capable machine with two
#                                  e1000 NICs on BR; console and PID where
#                                  guest.sh's helpers look for them
#   hw_heartbeats NAME             number of good heartbeat lines so far
#   hw_instance_disk               build (or reuse) the instance image; a
#                                  copy as $LAB_DIR/inst1.img
#   hw_instance_targets            e1.1 = that copy, a second target on st1
#                                  and st2; PIDs in IPID[st1], IPID[st2]
#   hw_user_net NS BR ADDR         namespace "user" on bridge BR of NS at
#                                  ADDR/24; uping ARGS (ping from it),
#                                  answers ADDR (three pings answered)
#   hw_serve PORT FILE             FILE to whoever connects to PORT in "cfg"
#   hw_inst_xml NAME MAC BRIDGE ADDR MIB  libvirt XML of a PVH instance on
#                                  /dev/etherd/e1.1, vif through vif-nimbus
#   since START                    seconds since START (date +%s.%N)
#   show_console NAME [LINES]      the console's tail, as notes

. "$NIMBUS_TOP/tests/lib/cloud.sh"
HW=$CLOUD_HW
declare -A TPID IPID

hw_boot_files() { cloud_hw_files; }

hw_storage_nodes() {
	local ns=$1 br=$2 n
	note "storage nodes st1 and st2 run $CLOUD_TARGET, exporting $HW/dom0-root.img read-only as e1.0"
	for n in st1 st2; do
		cloud_storage_node "$n" "$ns" "$br" "$HW/dom0-root.img" 1 0 -r
		TPID[$n]=$LAB_PID
	done
	cloud_targets_alive st1 st2
}

hw_qemu() { cloud_hw_qemu "$@"; }

hw_instance_disk() {
	"$NIMBUS_TOP/instances/build-image" --out "$NIMBUS_BUILD/instances/guest-root.img" \
		>"$LAB_DIR/instance-image.log" 2>&1 ||
		lab_fail "instances/build-image failed: $(tail -n 3 "$LAB_DIR/instance-image.log")"
	cp --sparse=always "$NIMBUS_BUILD/instances/guest-root.img" "$LAB_DIR/inst1.img"
}

# Read-write, one file behind both targets, as the lab's two-path exports are.
hw_instance_targets() {
	local n ctl
	for n in st1 st2; do
		ctl=()
		[ "$(basename "$CLOUD_TARGET")" = aoetd ] && ctl=(-C "$LAB_DIR/$n-inst.aoetd.sock")
		lab_bg "$n" "$LAB_DIR/$n.inst.log" "$CLOUD_TARGET" "${ctl[@]}" 1 1 eth0 "$LAB_DIR/inst1.img"
		IPID[$n]=$LAB_PID
	done
}

hw_user_net() {
	lab_netns user
	lab_veth user eth0 "$1" v-user
	lab_bridge_port "$1" "$2" v-user
	lab_addr user eth0 "$3/24"
}
uping() { ip netns exec "$(lab_ns user)" ping "$@"; }
answers() { uping -q -c 3 -W 2 "$1" >/dev/null 2>&1; }

hw_serve() { lab_bg cfg "$LAB_DIR/serve-$1.log" socat -U "TCP-LISTEN:$1,reuseaddr,fork" "OPEN:$2,rdonly"; }

hw_heartbeats() { guest_lines "$1" 'nimbus-heartbeat [0-9]+: root .* read ok' | wc -l; }

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }

show_console() {
	note "last console lines of $1:"
	tr -d '\r' <"$(guest_console "$1")" | tail -n "${2:-40}" | sed 's/^/#   /'
}

# The text confignode/gen_domain.c makes for such an instance
# (tests/unit/test_gen_domain.c holds it): the VM tests prove libvirt's
# libxl driver takes it.
hw_inst_xml() {
	cat <<XML
<domain type='xen'>
  <name>$1</name>
  <memory unit='MiB'>$5</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='xenpvh'>xenpvh</type>
    <kernel>/usr/lib/nimbus/guest/vmlinuz</kernel>
    <initrd>/usr/lib/nimbus/guest/initrd.gz</initrd>
    <cmdline>console=hvc0 root=/dev/xvda nimbus.ip=$4/24 nimbus.hostname=$1</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='block' device='disk'>
      <driver name='phy'/>
      <source dev='/dev/etherd/e1.1'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <interface type='bridge'>
      <source bridge='$3'/>
      <mac address='$2'/>
      <script path='vif-nimbus'/>
    </interface>
    <console type='pty'>
      <target type='xen' port='0'/>
    </console>
  </devices>
</domain>
XML
}
