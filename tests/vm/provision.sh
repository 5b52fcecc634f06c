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
. "$NIMBUS_TOP/tests/lib/cloud.sh"
lab_init

NIMBUSD=$NIMBUS_BIN/nimbusd
NIMBUS=$NIMBUS_BIN/nimbus
lab_need "$NIMBUSD" "$NIMBUS" /usr/sbin/dhcpd /usr/sbin/in.tftpd /usr/bin/omshell \
	qemu-system-x86_64 cpio gzip
[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] || lab_fail "no iPXE ROM for e1000 (package ipxe-qemu)"

W=$LAB_DIR
SERVER=$CLOUD_SERVER
MAC=$(guest_mac pxe1)
PXEFILE=$W/tftp/pxelinux.cfg/01-${MAC//:/-}

# --- the config node ----------------------------------------------------------

lab_netns cn
lab_bridge cn br0
cloud_config_net cn cn br0
cloud_tftp_root --role-test
CLOUD_DISCOVERY_CMDLINE="console=ttyS0 nimbus.recheck=5" cloud_nimbusd_conf
OMAPI_SECRET=$CLOUD_OMAPI_SECRET
check "nimbusd -t accepts the configuration" "$NIMBUSD" -t -c "$W/nimbusd.conf"

nimbus() { cloud_nimbus "$@"; }
NIMBUSD_PID=""
start_nimbusd() {
	cloud_start_nimbusd "$W/nimbusd.$1.log"
	NIMBUSD_PID=$LAB_PID
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

cloud_start_services
DHCPD_PID=${CLOUD_PID[dhcpd]}
dhcpd_same() { kill -0 "$DHCPD_PID" 2>/dev/null && [ "$(cat "$W/dhcpd.pid")" = "$DHCPD_PID" ]; }

# --- the machine ----------------------------------------------------------------

# pxe_guest NAME: a QEMU guest that network-boots with MAC on br0; reboots
# stay in the same QEMU.
pxe_guest() { GUEST_MAC=$MAC GUEST_REBOOT=1 guest_start_pxe "$1" cn br0; }

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
cloud_start_dhcpd "$W/dhcpd2.log"
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
