#!/bin/bash
# Provisioning against the real isc-dhcpd, without VMs: nimbusd and dhcpd
# (scripts/provision-services) in a namespace with a bridge, machines as
# busybox udhcpc clients in other namespaces with chosen MACs. Checks that a
# node added with `nimbus node add` gets its fixed address from the running
# dhcpd (OMAPI, same PID), that dhcpd's on-commit hook reaches nimbusd (the
# node's "dhcp" event, with MAC and address), that a host dhcpd already
# holds under another name is refused by OMAPI and rolled back, that a
# restarted dhcpd knows every node from the generated file, and that
# removed nodes are unknown again.
# timeout: 180
set -u

. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
NIMBUS=$NIMBUS_BIN/nimbus
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS" /usr/sbin/dhcpd /usr/bin/omshell busybox
W=$LAB_DIR
SERVICES=$NIMBUS_TOP/scripts/provision-services
M1=52:54:00:5a:00:01 M2=52:54:00:5a:00:02 M3=52:54:00:5a:00:03

lab_netns cn
lab_bridge cn br0
lab_addr cn br0 10.77.0.1/24
i=0
for m in $M1 $M2 $M3; do
	i=$((i + 1))
	lab_netns "m$i"
	lab_veth cn "v$i" "m$i" eth0
	lab_bridge_port cn br0 "v$i"
	ip -n "$(lab_ns "m$i")" link set eth0 address "$m"
done

mkdir -p "$W/tftp/images/t"
: >"$W/tftp/images/t/vmlinuz"
: >"$W/site.conf"
cat >"$W/nimbusd.conf" <<EOF
subnet 10.77.0.0/24
address 10.77.0.1
pool 10.77.0.10 10.77.0.49
dynamic-range 10.77.0.100 10.77.0.199
listen-report 10.77.0.1:8080
socket $W/nimbusd.sock
database $W/nimbus.db
tftp-root $W/tftp
dhcpd-conf $W/dhcpd.conf
dhcpd /usr/sbin/dhcpd
dhcpd-include $W/site.conf
dhcp-hook $NIMBUS
omapi-port 7911
omapi-key omapi_key HMAC-MD5 $(head -c 24 /dev/urandom | base64)
discovery-kernel nimbus/discovery/vmlinuz
lost-after 600
EOF
nimbus() { lab_in cn "$NIMBUS" -s "$W/nimbusd.sock" "$@"; }
lab_bg cn "$W/nimbusd.log" "$NIMBUS_BIN/nimbusd" -d -c "$W/nimbusd.conf"
lab_wait 20 nimbus node list || lab_fail "nimbusd does not answer: $(tail -n 5 "$W/nimbusd.log")"
nimbus image add t --kernel images/t/vmlinuz --cmdline console=ttyS0 >/dev/null &&
	nimbus role set-image storage t >/dev/null || lab_fail "cannot register the image"
lab_wait 10 test -s "$W/dhcpd.conf" || lab_fail "nimbusd wrote no dhcpd.conf"

start_dhcpd() {
	lab_bg cn "$W/dhcpd.$1.log" "$SERVICES" dhcpd --conf "$W/dhcpd.conf" \
		--leases "$W/dhcpd.leases" --pid "$W/dhcpd.pid" br0
	DHCPD_PID=$LAB_PID
	lab_wait 10 grep -q 'Server starting service' "$W/dhcpd.$1.log" ||
		lab_fail "dhcpd did not start: $(tail -n 5 "$W/dhcpd.$1.log")"
}
start_dhcpd first

# lease NS: the address dhcpd gives that machine now (a fresh DISCOVER)
lease() {
	lab_in "$1" busybox udhcpc -i eth0 -n -q -f -t 4 -T 1 -s /bin/true 2>&1 |
		sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p'
}
in_pool() { [[ "$1" =~ ^10\.77\.0\.1[0-9][0-9]$ ]]; }

a=$(lease m1)
check "unknown machine gets a dynamic address ($a)" in_pool "$a"

check "node add n1 --mac $M1" nimbus node add n1 --mac $M1 --role storage
ip1=$(nimbus -o json node show n1 | sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' | head -n 1)
a=$(lease m1)
check "running dhcpd now answers $M1 with its fixed address $ip1 (got $a)" test "$a" = "$ip1"
check "dhcpd was not restarted" test "$(cat "$W/dhcpd.pid")" = "$DHCPD_PID"
dhcp_event() { nimbus -o json node show n1 | grep -qE '"event": *"dhcp"'; }
check "dhcpd's on-commit hook reached nimbusd (event dhcp)" lab_wait 10 dhcp_event
check "the hook passed a normalized MAC (dhcpd's execute line)" \
	grep -q "execute_statement argv\[.*\] = $M1" "$W/dhcpd.first.log"

# a host dhcpd holds under another name (the operator's include): OMAPI
# refuses the MAC; nimbusd rolls the node back
printf 'host legacy {\n\thardware ethernet %s;\n\tfixed-address 10.77.0.60;\n}\n' $M2 >"$W/site.conf"
lab_stop "$DHCPD_PID"
start_dhcpd second
if out=$(nimbus node add n2 --mac $M2 --role storage 2>&1); then
	not_ok "node add of a MAC dhcpd holds as another host is refused (it said: $out)"
else
	ok "node add of a MAC dhcpd holds as another host is refused: $out"
fi
check "n2 is not in the database" eval "! nimbus node show n2 >/dev/null 2>&1"
check "nimbusd logged OMAPI's answer" grep -q 'OMAPI add .*key conflict' "$W/nimbusd.log"
check "dhcpd.conf does not hold n2" eval "! grep -q 'host n2 ' '$W/dhcpd.conf'"
: >"$W/site.conf"

# the node survives a dhcpd restart through the generated file
check "node add n3 --mac $M3" nimbus node add n3 --mac $M3 --role storage
ip3=$(nimbus -o json node show n3 | sed -n 's/.*"ip": *"\([0-9.]*\)".*/\1/p' | head -n 1)
lab_stop "$DHCPD_PID"
start_dhcpd third
a=$(lease m3)
check "restarted dhcpd answers $M3 with $ip3 (got $a)" test "$a" = "$ip3"
a=$(lease m1)
check "and $M1 with $ip1 (got $a)" test "$a" = "$ip1"

# removal: the machine is unknown again, without a dhcpd restart
check "node remove n1" nimbus node remove n1
a=$(lease m1)
check "removed $M1 gets a dynamic address again ($a)" in_pool "$a"
check "dhcpd was not restarted by the removal" test "$(cat "$W/dhcpd.pid")" = "$DHCPD_PID"
