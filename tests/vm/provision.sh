#!/bin/bash
# End to end provisioning on the real servers (issue 3): in a network
# namespace holding a bridge, the config node runs nimbusd, isc-dhcpd and
# in.tftpd (scripts/provision-services); a QEMU guest with an unknown MAC
# PXE-boots (iPXE ROM -> dhcpd -> in.tftpd -> pxelinux.0) the discovery
# image and reports in; the operator adopts it with `nimbus node add
# --discovered` while dhcpd keeps running (same PID, host added by OMAPI);
# the guest's next DHCP answer is its fixed address, so it reboots, fetches
# its own pxelinux.cfg/01-<mac> and boots the storage role's image, which
# reports "booted". nimbusd is restarted twice in the middle and loses
# nothing; a dhcpd.conf that `dhcpd -t` refuses is never installed; removing
# the node sends the machine back to the discovery image.
# timeout: 900
set -u

. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
lab_init

NIMBUSD=$NIMBUS_BIN/nimbusd
NIMBUS=$NIMBUS_BIN/nimbus
SERVICES=$NIMBUS_TOP/scripts/provision-services
lab_need "$NIMBUSD" "$NIMBUS" /usr/sbin/dhcpd /usr/sbin/in.tftpd /usr/bin/omshell \
	qemu-system-x86_64 cpio gzip
[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || lab_fail "no iPXE ROM for e1000 (package ipxe-qemu)"

W=$LAB_DIR
SERVER=10.77.0.1
OMAPI_SECRET=$(head -c 32 /dev/urandom | base64)
MAC=$(guest_mac pxe1)
PXEFILE=$W/tftp/pxelinux.cfg/01-${MAC//:/-}

# --- the config node ----------------------------------------------------------

lab_netns cn
lab_bridge cn br0
lab_addr cn br0 $SERVER/24

mkdir -p "$W/tftp" && chmod 755 "$W/tftp"
"$NIMBUS_TOP/pxe/install-tftp-root" --role-test "$W/tftp" >"$W/tftp-root.log" 2>&1 ||
	lab_fail "pxe/install-tftp-root failed: $(tail -n 3 "$W/tftp-root.log")"
: >"$W/site.conf"
cat >"$W/nimbusd.conf" <<EOF
# nimbusd for tests/vm/provision.sh
subnet 10.77.0.0/24
address $SERVER
pool 10.77.0.10 10.77.0.49
dynamic-range 10.77.0.100 10.77.0.199
listen-report $SERVER:8080
socket $W/nimbusd.sock
database $W/nimbus.db
tftp-root $W/tftp
dhcpd-conf $W/dhcpd.conf
dhcpd /usr/sbin/dhcpd
dhcpd-include $W/site.conf
dhcp-hook $NIMBUS
omapi-port 7911
omapi-key omapi_key HMAC-MD5 $OMAPI_SECRET
discovery-kernel nimbus/discovery/vmlinuz
discovery-initrd nimbus/discovery/initrd.gz
discovery-cmdline console=ttyS0 nimbus.recheck=5
lost-after 900
EOF
check "nimbusd -t accepts the configuration" "$NIMBUSD" -t -c "$W/nimbusd.conf"

nimbus() { lab_in cn "$NIMBUS" -s "$W/nimbusd.sock" "$@"; }
NIMBUSD_PID=""
start_nimbusd() {
	lab_bg cn "$W/nimbusd.$1.log" "$NIMBUSD" -d -c "$W/nimbusd.conf"
	NIMBUSD_PID=$LAB_PID
	lab_wait 20 nimbus node list || lab_fail "nimbusd ($1) does not answer: $(tail -n 5 "$W/nimbusd.$1.log")"
}
restart_nimbusd() {
	lab_stop "$NIMBUSD_PID"
	start_nimbusd "$1"
}
start_nimbusd first

check "image add role-test" nimbus image add role-test \
	--kernel images/role-test/vmlinuz --initrd images/role-test/initrd.gz \
	--cmdline "console=ttyS0"
check "role storage boots role-test by default" nimbus role set-image storage role-test

lab_wait 10 test -s "$W/dhcpd.conf" || lab_fail "nimbusd wrote no $W/dhcpd.conf"
check "generated dhcpd.conf passes dhcpd -t" /usr/sbin/dhcpd -t -q -cf "$W/dhcpd.conf"
check "pxelinux.cfg/default boots the discovery image" \
	grep -q 'KERNEL nimbus/discovery/vmlinuz' "$W/tftp/pxelinux.cfg/default"

lab_bg cn "$W/dhcpd.log" "$SERVICES" dhcpd --conf "$W/dhcpd.conf" --leases "$W/dhcpd.leases" \
	--pid "$W/dhcpd.pid" br0
DHCPD_PID=$LAB_PID
lab_bg cn "$W/tftpd.log" "$SERVICES" tftpd --root "$W/tftp" --address $SERVER
lab_wait 10 grep -q 'Server starting service' "$W/dhcpd.log" ||
	lab_fail "dhcpd did not start: $(tail -n 5 "$W/dhcpd.log")"
dhcpd_same() { kill -0 "$DHCPD_PID" 2>/dev/null && [ "$(cat "$W/dhcpd.pid")" = "$DHCPD_PID" ]; }

# --- the machine ----------------------------------------------------------------

# pxe_guest NAME: a QEMU guest that network-boots (-boot n: the iPXE ROM of
# ipxe-qemu) with MAC on a tap on br0; reboots stay in the same QEMU (no
# -no-reboot). Console and PID where tests/lib/guest.sh's helpers expect them.
pxe_guest() {
	local name=$1 tap="p$1"
	mkdir -p "$W/$name.d"
	: >"$(guest_console "$name")"
	ip -n "$(lab_ns cn)" link show "$tap" >/dev/null 2>&1 || lab_tap cn "$tap" br0
	lab_bg cn "$W/$name.qemu.log" qemu-system-x86_64 -accel tcg -name "nimbus-$name" \
		-m 256 -smp 1 -nodefaults -no-user-config -display none -monitor none \
		-serial "file:$(guest_console "$name")" -boot n \
		-netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
		-device "e1000,netdev=n0,mac=$MAC"
	echo "$LAB_PID" >"$W/$name.d/pid"
}

t0=$(date +%s)
pxe_guest pxe1
if guest_wait_for pxe1 'nimbus-discovery: reported discovered' 240; then
	ok "unknown MAC PXE-booted the discovery image and reported ($(( $(date +%s) - t0 )) s)"
else
	not_ok "unknown MAC PXE-booted the discovery image and reported"
	tail -n 20 "$(guest_console pxe1)" | sed 's/^/#   /'
fi
check "guest got a pool address" guest_lines pxe1 'nimbus-discovery: address 10\.77\.0\.(1[0-9][0-9])$'
discovered() { nimbus -o json node discovered | grep -qi "$MAC"; }
check "nimbus node discovered lists $MAC" lab_wait 20 discovered

restart_nimbusd second
check "after a nimbusd restart the discovered machine is still listed" discovered

# --- adoption -------------------------------------------------------------------

t1=$(date +%s)
check "node add --discovered $MAC --role storage" \
	nimbus node add st1 --discovered "$MAC" --role storage
nimbus -o json node show st1 >"$W/st1.json" 2>&1
IP=$(sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' "$W/st1.json" | head -n 1)
check "node st1 has a fixed address from the pool ($IP)" \
	grep -qE '^10\.77\.0\.([1-4][0-9])$' <<<"$IP"
check "dhcpd kept running through the add (pid $DHCPD_PID)" dhcpd_same
check "dhcpd.conf holds host st1 with its fixed address" \
	grep -qzE "host st1 \{[^}]*$MAC;[^}]*fixed-address $IP;" "$W/dhcpd.conf"
check "pxelinux.cfg/01-<mac> boots the role's image" \
	grep -q 'KERNEL images/role-test/vmlinuz' "$PXEFILE"
check "its command line carries nimbus.report and the node's name" \
	grep -q "APPEND console=ttyS0 nimbus.report=$SERVER:8080 nimbus.node=st1" "$PXEFILE"

if guest_wait_for pxe1 'nimbus-role-test: reported booted' 300; then
	ok "adopted machine rebooted into its role and reported booted ($(( $(date +%s) - t1 )) s)"
else
	not_ok "adopted machine rebooted into its role and reported booted"
	tail -n 20 "$(guest_console pxe1)" | sed 's/^/#   /'
fi
check "discovery image saw the adoption in DHCP and rebooted" \
	guest_lines pxe1 "nimbus-discovery: DHCP now offers ${IP//./\\.} .*adopted, rebooting"
check "role image got the fixed address $IP" guest_lines pxe1 "nimbus-role-test: address ${IP//./\\.}\$"
check "dhcpd answered $MAC with $IP" grep -q "DHCPACK on $IP to $MAC" "$W/dhcpd.log"
booted() { nimbus -o json node show st1 | grep -qE '"state": *"booted"'; }
check "nimbus node show st1 says booted" lab_wait 20 booted
nimbus -o json node show st1 >"$W/st1.json" 2>&1
for ev in dhcp config-fetched booted; do
	check "history of st1 records '$ev'" grep -qE "\"event\": *\"$ev\"" "$W/st1.json"
done
check "dhcpd kept running through the boot (pid $DHCPD_PID)" dhcpd_same

restart_nimbusd third
check "after a nimbusd restart st1 is still booted" booted
nimbus -o json node show st1 >"$W/st1.after.json" 2>&1
check "after a nimbusd restart st1's history is intact" \
	test "$(grep -c '"event"' "$W/st1.after.json")" -ge "$(grep -c '"event"' "$W/st1.json")"

# --- a dhcpd.conf that dhcpd -t refuses is never installed ------------------------

cp "$W/dhcpd.conf" "$W/dhcpd.conf.good"
echo "this is not dhcpd syntax" >"$W/site.conf"
if nimbus node add st2 --mac 52:54:00:ee:00:02 --role storage >"$W/st2.out" 2>&1; then
	not_ok "node add refused while the included site.conf is broken"
else
	ok "node add refused while the included site.conf is broken: $(head -n 1 "$W/st2.out")"
fi
check "dhcpd.conf unchanged" cmp -s "$W/dhcpd.conf" "$W/dhcpd.conf.good"
check "no pxelinux file for st2" test ! -e "$W/tftp/pxelinux.cfg/01-52-54-00-ee-00-02"
check "st2 not in the database" eval "! nimbus node show st2 >/dev/null 2>&1"
check "no temporary dhcpd.conf left behind" eval "! ls '$W'/dhcpd.conf.tmp.* >/dev/null 2>&1"
check "nimbusd logged dhcpd's verdict" grep -q 'dhcpd -t: .*line 1' "$W"/nimbusd.third.log
: >"$W/site.conf"

# --- dhcpd restart: the generated file holds every node ----------------------------

# omapi_lookup_st1: what the running dhcpd answers to "open host st1"
omapi_lookup_st1() {
	printf 'server 127.0.0.1\nport 7911\nkey omapi_key %s\nconnect\nnew host\nset name = "st1"\nopen\n' \
		"$OMAPI_SECRET" | lab_in cn omshell
}
omapi_has_st1() { omapi_lookup_st1 | grep -q "hardware-address = $MAC"; }
omapi_lacks_st1() { omapi_lookup_st1 | grep -q "can't open object: not found"; }
check "running dhcpd has host st1 (OMAPI lookup)" omapi_has_st1
lab_stop "$DHCPD_PID"
lab_bg cn "$W/dhcpd2.log" "$SERVICES" dhcpd --conf "$W/dhcpd.conf" --leases "$W/dhcpd.leases" \
	--pid "$W/dhcpd.pid" br0
DHCPD_PID=$LAB_PID
check "dhcpd restarts on the generated file" lab_wait 10 grep -q 'Server starting service' "$W/dhcpd2.log"
check "restarted dhcpd has host st1" lab_wait 10 omapi_has_st1

# --- removal: the machine boots discovery again ----------------------------------

check "node remove st1" nimbus node remove st1
check "its pxelinux file is gone" test ! -e "$PXEFILE"
check "its host entry is gone from dhcpd.conf" eval "! grep -q 'host st1 ' '$W/dhcpd.conf'"
check "dhcpd forgot host st1 without a restart (OMAPI: not found)" omapi_lacks_st1
check "dhcpd kept running through the removal (pid $DHCPD_PID)" dhcpd_same
lab_stop "$(guest_pid pxe1)"
t2=$(date +%s)
pxe_guest pxe1b
if guest_wait_for pxe1b 'nimbus-discovery: reported discovered' 240; then
	ok "removed machine boots the discovery image again ($(( $(date +%s) - t2 )) s)"
else
	not_ok "removed machine boots the discovery image again"
	tail -n 20 "$(guest_console pxe1b)" | sed 's/^/#   /'
fi
check "and gets a pool address, not $IP" \
	guest_lines pxe1b 'nimbus-discovery: address 10\.77\.0\.(1[0-9][0-9])$'
check "nimbus node discovered lists it again" lab_wait 20 discovered
