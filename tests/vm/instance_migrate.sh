#!/usr/bin/env bash
# timeout: 1200
# Live migration of a PVH instance between two hardware nodes through
# libvirt's libxl driver, peer to peer over TLS (the destination libvirtd
# accepts only certificates of the lab's CA), with a ping every 10 ms from
# the instance network: the ping gap and the migration's time, both ways.
#
# Two hardware nodes boot Xen + dom0 directly (as tests/vm/hwnode_boot.sh
# does) from two storage namespaces that export the dom0 image (e1.0) and
# the instance's disk (e1.1). Each dom0 gets its certificate (CA, node cert
# with its address as subject alternative name, for server and client use)
# over TCP from the config side and restarts libvirtd, which then listens
# for TLS (nimbus-libvirtd-start). inst1 starts on hw1, moves to hw2 and
# back; each time: one copy running, on the target, still pinging.
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/vm/hwnode_common.bash"
lab_init
lab_need qemu-system-x86_64 socat openssl ping

CFG_ADDR=10.77.0.1
REPORT_PORT=8080
USER_ADDR=10.78.0.1
INST_ADDR=10.78.0.10
declare -A HWADDR=([hw1]=10.77.0.50 [hw2]=10.77.0.51)
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M loglvl=warning guest_loglvl=warning"
VIRSH="virsh -c xen:///system"

hw_boot_files
hw_instance_disk
ok "boot files and instance image built or up to date"

# --- the lab's CA and the nodes' certificates -----------------------------------
pki=$LAB_DIR/pki
mkdir -p "$pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.pem" -days 2 \
	-subj "/O=nimbus-lab/CN=nimbus lab CA" >"$pki/log" 2>&1 || lab_fail "openssl: no CA ($(tail -n 2 "$pki/log"))"
for n in hw1 hw2; do
	openssl req -newkey rsa:2048 -nodes -keyout "$pki/$n.key" -out "$pki/$n.csr" \
		-subj "/O=nimbus-lab/CN=$n" >>"$pki/log" 2>&1 &&
	printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\nbasicConstraints=CA:FALSE\n' \
		"${HWADDR[$n]}" "$n" >"$pki/$n.ext" &&
	openssl x509 -req -in "$pki/$n.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/$n.pem" -days 2 -extfile "$pki/$n.ext" >>"$pki/log" 2>&1 ||
		lab_fail "openssl: no certificate for $n ($(tail -n 2 "$pki/log"))"
	mkdir -p "$pki/$n/CA" "$pki/$n/libvirt/private"
	cp "$pki/ca.pem" "$pki/$n/CA/cacert.pem"
	cp "$pki/$n.pem" "$pki/$n/libvirt/servercert.pem"
	cp "$pki/$n.pem" "$pki/$n/libvirt/clientcert.pem"
	cp "$pki/$n.key" "$pki/$n/libvirt/private/serverkey.pem"
	cp "$pki/$n.key" "$pki/$n/libvirt/private/clientkey.pem"
	tar -C "$pki/$n" -cf "$pki/$n.tar" .
done
ok "CA and certificates for hw1 and hw2 (IP subject alternative names)"

# --- topology -------------------------------------------------------------------
lab_netns sw; lab_bridge sw br0; lab_bridge sw br-inst
CLOUD_INST_BR=br-inst
hw_storage_nodes sw br0
hw_instance_targets
lab_netns cfg
lab_veth cfg eth0 sw v-cfg
lab_bridge_port sw br0 v-cfg
lab_addr cfg eth0 "$CFG_ADDR/24"
cloud_report_listener cfg "$REPORT_PORT"
hw_user_net sw br-inst "$USER_ADDR"
hw_serve 8091 "$pki/hw1.tar"
hw_serve 8092 "$pki/hw2.tar"
hw_inst_xml inst1 00:16:3e:4e:00:01 instbr0 "$INST_ADDR" 256 >"$LAB_DIR/inst1.xml"
hw_serve 8093 "$LAB_DIR/inst1.xml"

# --- two hardware nodes ---------------------------------------------------------
start=$(date +%s.%N)
for n in hw1 hw2; do
	hw_qemu "$n" sw br0 -kernel "$HW/xen" -append "$XEN_ARGS" \
		-initrd "$HW/vmlinuz console=hvc0 loglevel=4 nimbus.root=e1.0 nimbus.report=$CFG_ADDR:$REPORT_PORT nimbus.node=$n nimbus.ip=${HWADDR[$n]}/24 nimbus.root_timeout=90 nimbus.on_fail=halt,$HW/initrd.gz"
done
for n in hw1 hw2; do
	if guest_wait_for "$n" 'nimbus-dom0-libvirt: (libxl driver answers|FAILED)' 400 &&
		guest_lines "$n" 'nimbus-dom0-libvirt: libxl driver answers' >/dev/null; then
		ok "$n: libvirt's libxl driver answers ($(since "$start") s after power-on)"
	else
		not_ok "$n: libvirt's libxl driver answers"
		show_console "$n" 40; exit 1
	fi
done
guest_wait_for hw1 'login: root \(automatic login\)|root@hwnode' 60
guest_wait_for hw2 'login: root \(automatic login\)|root@hwnode' 60

# Certificates in, libvirtd restarted: it now listens for TLS.
port=8091
for n in hw1 hw2; do
	out=$(guest_out "$n" pki "mkdir -p /etc/pki && socat -u TCP:$CFG_ADDR:$port - | tar -x -C /etc/pki && systemctl restart nimbus-libvirtd && sleep 5 && ss -Hltn 'sport = :16514' | wc -l" 120)
	check "$n listens for libvirt TLS on 16514 after its certificates arrived ($out socket)" [ "$out" = 1 ]
	port=$((port + 1))
done
guest_lines hw1 'nimbus-libvirtd: ' | tail -n 1 | sed 's/^/# /'

out=$(guest_out hw1 create "socat -u TCP:$CFG_ADDR:8093 CREATE:/run/inst1.xml && $VIRSH create /run/inst1.xml 2>&1 | tr -s '\n' ' '" 180)
check "inst1 created on hw1 ($out)" grep -q "Domain 'inst1' created" <<<"$out"
if lab_wait 300 uping -c 1 -W 1 "$INST_ADDR"; then
	ok "inst1 answers ping on the instance network"
else
	not_ok "inst1 answers ping on the instance network"; exit 1
fi
# No wait for the guest's systemd (about 100 s under emulation, which
# make check cannot spare): the first migration moves a guest that is
# still booting, which dirties memory faster than an idle one.

# timed NAME NODE COMMAND: COMMAND typed on NODE's console (its output in
# OUT) while the user host pings the instance every 10 ms; TOOK is the time
# from typing to the answer, GAP the longest time between two ping answers
# (ms), LOST ping's loss in %, from $LAB_DIR/ping-NAME.log.
timed() {
	local log="$LAB_DIR/ping-$1.log" t0
	# lab_bg's PID is ping's (ip netns exec execs it): SIGINT ends it with
	# its summary, and cleanup stops it if the test dies first.
	lab_bg user "$log" ping -D -i 0.01 "$INST_ADDR"
	sleep 3
	t0=$(date +%s.%N)
	OUT=$(guest_out "$2" "$1" "$3" 600)
	TOOK=$(since "$t0")
	sleep 3
	lab_stop "$LAB_PID" INT
	GAP=$(awk -F'[][]' '/bytes from/ { t = $2 + 0; if (p && t - p > g) g = t - p; p = t }
		END { printf "%.0f", g * 1000 }' "$log")
	LOST=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$log")
}

# migrate FROM TO: virsh migrate on FROM's console while the user host pings
# every 10 ms; prints the result and the figures as notes.
migrate() {
	local from=$1 to=$2 where
	timed "$from-$to" "$from" "( time -p $VIRSH migrate --live --p2p inst1 xen+tls://${HWADDR[$to]}/system tcp://${HWADDR[$to]} ) 2>&1 | tr -s '\n' ' '"
	note "virsh migrate $from -> $to: $OUT"
	note "migration $from -> $to: ${TOOK} s in all (typed to answered), longest ping gap ${GAP} ms at 10 ms pings, ${LOST:-?}% lost"
	where=$(guest_out "$to" where "$VIRSH domstate inst1 2>&1" 60)
	check "$from -> $to: inst1 runs on $to ($where)" [ "$where" = running ]
	where=$(guest_out "$from" gone "$VIRSH list --all --name | grep -c inst1" 60)
	check "$from -> $to: no copy left on $from" [ "$where" = 0 ]
	check "$from -> $to: inst1 still answers ping" answers "$INST_ADDR"
}
migrate hw1 hw2
migrate hw2 hw1

# --- the reference: xl migrate with Debian's hotplug scripts ---------------------
# The same guest (memory, kernel, disk, address), made by xl with Debian's
# vif-bridge, moved by xl over a socat stream: what libvirt and
# vif-nimbus are compared with, on the same two nodes in the same run.
out=$(guest_out hw1 destroy "$VIRSH destroy inst1 2>&1 | tr -s '\n' ' '" 120)
note "inst1 destroyed on hw1 for the reference run: $out"
cat >"$LAB_DIR/ref1.cfg" <<CFG
name = "ref1"
type = "pvh"
memory = 256
vcpus = 1
kernel = "/usr/lib/nimbus/guest/vmlinuz"
ramdisk = "/usr/lib/nimbus/guest/initrd.gz"
cmdline = "console=hvc0 root=/dev/xvda nimbus.hostname=ref1 nimbus.ip=$INST_ADDR/24"
disk = [ "phy:/dev/etherd/e1.1,xvda,w" ]
vif = [ "mac=00:16:3e:4e:00:01,bridge=instbr0,script=vif-bridge" ]
CFG
hw_serve 8094 "$LAB_DIR/ref1.cfg"
out=$(guest_out hw1 xlcreate "socat -u TCP:$CFG_ADDR:8094 CREATE:/run/ref1.cfg && xl create /run/ref1.cfg 2>&1 | tail -n 1" 180)
note "xl create ref1 on hw1: $out"
if lab_wait 300 uping -c 1 -W 1 "$INST_ADDR"; then
	ok "reference guest ref1 (xl, Debian's vif-bridge) answers ping"
	out=$(guest_out hw2 recv "(socat TCP-LISTEN:9999,reuseaddr EXEC:'xl migrate-receive' >/run/migrate-receive.log 2>&1 &); sleep 1; ss -Hltn 'sport = :9999' | wc -l" 60)
	check "reference: hw2 waits for the xl migration stream on port 9999 ($out socket)" [ "$out" = 1 ]
	timed xl hw1 "( time -p xl migrate -s 'socat - TCP:${HWADDR[hw2]}:9999 #' ref1 ${HWADDR[hw2]} ) 2>&1 | tail -n 4 | tr -s '\n' ' '"
	note "xl migrate hw1 -> hw2: $OUT"
	note "reference (xl migrate, Debian's scripts) hw1 -> hw2: ${TOOK} s in all, longest ping gap ${GAP} ms at 10 ms pings, ${LOST:-?}% lost"
	where=$(guest_out hw2 xlwhere "xl list | grep -c '^ref1 '" 60)
	check "reference: ref1 runs on hw2 after xl migrate" [ "$where" = 1 ]
else
	not_ok "reference guest ref1 (xl, Debian's vif-bridge) answers ping"
fi
