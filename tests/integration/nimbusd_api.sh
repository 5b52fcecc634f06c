#!/usr/bin/env bash
# nimbusd + nimbus end to end without VMs: nimbusd in a network namespace
# with a bridge for the provisioning network, the CLI over its Unix socket,
# node reports over TCP with busybox wget (what the node images use) from
# other namespaces, and config-fetched seen when the real in.tftpd serves a
# node's pxelinux.cfg file to busybox tftp.
# timeout: 300
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
lab_init
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" busybox /usr/sbin/in.tftpd /usr/sbin/dhcpd

D=$LAB_DIR
SOCK=$D/nimbusd.sock
N() { "$NIMBUS_BIN/nimbus" -s "$SOCK" "$@"; }

# --- the provisioning network: cfg (10.77.0.1) <- bridge -> node, rogue, disc
lab_netns cfg
for ns in node rogue disc; do lab_netns $ns; done
lab_bridge cfg br0
lab_addr cfg br0 10.77.0.1/24
i=0
for spec in node:10.77.0.20 rogue:10.77.0.77 disc:10.77.0.150; do
	ns=${spec%%:*}; ip=${spec#*:}; i=$((i + 1))
	lab_veth cfg "p$i" "$ns" eth0
	lab_bridge_port cfg br0 "p$i"
	lab_addr "$ns" eth0 "$ip/24"
done

mkdir -p "$D/tftp"
write_conf() { # write_conf FILE LOST_AFTER [EXTRA LINE]
	cat >"$1" <<CONF
# nimbusd test configuration
subnet 10.77.0.0/24
address 10.77.0.1
pool 10.77.0.10 10.77.0.99          # node addresses
dynamic-range 10.77.0.100 10.77.0.199
listen-report 10.77.0.1:8080
socket $SOCK
socket-mode 0660
database $D/db/nimbus.db
tftp-root $D/tftp
dhcpd-conf $D/dhcpd.conf
dhcpd /usr/sbin/dhcpd
omapi-port 0
discovery-kernel nimbus/discovery/vmlinuz
discovery-initrd nimbus/discovery/initrd.gz
discovery-cmdline console=ttyS0 quiet
lost-after $2
${3:-}
CONF
}
write_conf "$D/nimbusd.conf" 600

# --- nimbusd -t ------------------------------------------------------------
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/nimbusd.conf" 2>&1)
check "nimbusd -t accepts a good configuration" grep -q "configuration OK" <<<"$out"

bad_conf() { # bad_conf DESC EXPECTED-IN-MESSAGE SED-EXPR
	sed "$3" "$D/nimbusd.conf" >"$D/bad.conf"
	local msg
	if msg=$("$NIMBUS_BIN/nimbusd" -t -c "$D/bad.conf" 2>&1); then
		not_ok "nimbusd -t refuses $1 (it said: $msg)"
	elif grep -qF -- "$2" <<<"$msg"; then
		ok "nimbusd -t refuses $1, naming '$2'"
	else
		not_ok "nimbusd -t refuses $1 but does not name '$2': $msg"
	fi
}
bad_conf "an unknown key" "frobnicate" '$a frobnicate yes'
bad_conf "a bad subnet" "10.77.0.1/24" 's|^subnet .*|subnet 10.77.0.1/24|'
bad_conf "a pool outside the subnet" "10.78.0.10" 's|^pool .*|pool 10.78.0.10 10.78.0.20|'
bad_conf "a dynamic range overlapping the pool" "overlaps pool" 's|^dynamic-range .*|dynamic-range 10.77.0.50 10.77.0.150|'
bad_conf "a path with .." "/srv/../etc" 's|^tftp-root .*|tftp-root /srv/../etc|'
bad_conf "a missing subnet" "subnet" '/^subnet/d'
bad_conf "a bad lost-after" "'soon'" 's|^lost-after .*|lost-after soon|'
bad_conf "an admin-group that does not exist" "admin-group: no group named 'nosuchgroupx'" \
	'$a admin-group nosuchgroupx'
bad_conf "a badly spelt admin-user" "admin-user: bad name 'Root!'" '$a admin-user Root!'

# --- start -------------------------------------------------------------------
start_nimbusd() {
	lab_bg cfg "$D/nimbusd.log.$1" "$NIMBUS_BIN/nimbusd" -c "$D/nimbusd.conf"
	NIMBUSD_PID=$LAB_PID
	lab_wait 10 N role list || lab_fail "nimbusd did not come up (log: $(tail -5 "$D/nimbusd.log.$1"))"
}
start_nimbusd 1
ok "nimbusd is up (pid $NIMBUSD_PID)"
check "admin socket has mode 660" test "$(stat -c %a "$SOCK")" = 660
# Socket permissions decide who administers: another user can reach the
# socket file (the directory is opened up for this) but not connect.
chmod 0711 "$D"
check "a non-root user can see the socket" setpriv --reuid=65534 --regid=65534 --clear-groups test -S "$SOCK"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$NIMBUS_BIN/nimbus" -s "$SOCK" node list 2>&1)
check "a non-root user cannot administer (the socket's mode refuses the connection)" \
	grep -q "Permission denied" <<<"$out"

# --- --help everywhere -------------------------------------------------------------
for cmd in "" node image role hook "node add" "node list" "node show" "node set" "node remove" \
	"node discovered" "image add" "image set" "image list" "image show" "image remove" \
	"role list" "role set-image" "hook dhcp"; do
	# shellcheck disable=SC2086
	out=$(N $cmd --help 2>&1)
	check "nimbus $cmd --help prints its usage" grep -q "^usage: nimbus" <<<"$out"
done
out=$(N node add --help)
check "node add --help explains every option" \
	bash -c 'for o in --mac --discovered --role --ip --image -o; do grep -q -- "^  $o" <<<"$1" || exit 1; done' _ "$out"
check "image set --help has an example" grep -q "nimbus image set st1" <<<"$(N image set --help)"
out=$(N node list --bogus 2>&1); rc=$?
check "an unknown option is a usage error (exit 2) naming it" \
	bash -c '[ "$1" = 2 ] && grep -q -- "--bogus" <<<"$2"' _ "$rc" "$out"

# expect_fail DESC EXPECTED-SUBSTRING CLI-ARGS...: the command fails and its
# message contains the expected text.
expect_fail() {
	local desc=$1 want=$2 msg; shift 2
	if msg=$(N "$@" 2>&1); then
		not_ok "$desc: command succeeded: $*"
	elif grep -qF -- "$want" <<<"$msg"; then
		ok "$desc"
	else
		not_ok "$desc: message '$msg' does not contain '$want'"
	fi
}

# --- images and roles ------------------------------------------------------
check "image add st1" N image add st1 --kernel images/st1/vmlinuz \
	--initrd images/st1/initrd.gz --cmdline "console=ttyS0 nimbus.role=storage"
check "image add xen1 (hw, Xen)" N image add xen1 --kernel images/hw/vmlinuz \
	--initrd images/hw/initrd.gz --xen images/hw/xen.gz --xen-cmdline "dom0_mem=512M" \
	--cmdline "console=hvc0"
expect_fail "image path escaping the TFTP root refused, naming it" "../etc/shadow" \
	image add bad --kernel ../etc/shadow
expect_fail "image cmdline with a quote refused, naming it" 'a"b' \
	image add bad --kernel k --cmdline 'a"b'
expect_fail "duplicate image refused" "image st1 already exists" image add st1 --kernel k
expect_fail "node add refused while role has no default image" "role storage has no default image" \
	node add web0 --mac 52:54:00:aa:00:09 --role storage
check "role set-image storage st1" N role set-image storage st1
check "role set-image hw xen1" N role set-image hw xen1
expect_fail "role set-image to a missing image refused, naming it" "image nosuch does not exist" \
	role set-image storage nosuch
expect_fail "role hw refuses an image without Xen, naming it" "image st1 has no Xen" \
	role set-image hw st1
check "image add st2" N image add st2 --kernel images/st2/vmlinuz

# --- nodes -----------------------------------------------------------------
check "node add web1 (MAC typed AA-BB form, IP from the pool)" \
	N node add web1 --mac 52-54-00-AA-00-01 --role storage
out=$(N -o json node show web1)
check "MAC stored normalized" grep -q '"mac": "52:54:00:aa:00:01"' <<<"$out"
check "IP assigned from the pool (first free: 10.77.0.10)" grep -q '"ip": "10.77.0.10"' <<<"$out"
check "node add web2 (Cisco MAC form, explicit IP, hw role)" \
	N node add web2 --mac 5254.00aa.0002 --role hw --ip 10.77.0.30
check "node add web3 with an image override" \
	N node add web3 --mac 52:54:00:aa:00:03 --role storage --image st2

expect_fail "duplicate MAC refused, naming the node holding it" \
	"mac 52:54:00:aa:00:01 is already used by node web1" \
	node add web9 --mac 52:54:00:AA:00:01 --role storage
expect_fail "duplicate name refused" "node web1 already exists" \
	node add web1 --mac 52:54:00:aa:00:19 --role storage
expect_fail "duplicate IP refused, naming the node holding it" \
	"ip 10.77.0.30 is already used by node web2" \
	node add web9 --mac 52:54:00:aa:00:09 --role storage --ip 10.77.0.30
expect_fail "IP outside the subnet refused, naming it" "ip 10.78.0.5 is outside subnet 10.77.0.0/24" \
	node add web9 --mac 52:54:00:aa:00:09 --role storage --ip 10.78.0.5
expect_fail "config node's own address refused" "ip 10.77.0.1 is the config node's own address" \
	node add web9 --mac 52:54:00:aa:00:09 --role storage --ip 10.77.0.1
expect_fail "broadcast MAC refused, naming it" "ff:ff:ff:ff:ff:ff" \
	node add web9 --mac ff:ff:ff:ff:ff:ff --role storage
expect_fail "multicast MAC refused, naming it" "01:00:5e:00:00:01" \
	node add web9 --mac 01:00:5e:00:00:01 --role storage
expect_fail "all-zero MAC refused" "all-zero" \
	node add web9 --mac 00:00:00:00:00:00 --role storage
expect_fail "malformed MAC refused, naming it" "52:54:00:zz:00:01" \
	node add web9 --mac 52:54:00:zz:00:01 --role storage
expect_fail "name that is not a DNS label refused, naming it" "Web_9" \
	node add Web_9 --mac 52:54:00:aa:00:09 --role storage
expect_fail "unknown role refused, naming it" "'db'" \
	node add web9 --mac 52:54:00:aa:00:09 --role db
expect_fail "missing image refused, naming it" "image nosuch does not exist" \
	node add web9 --mac 52:54:00:aa:00:09 --role storage --image nosuch
expect_fail "unknown node named in the error" "no node named ghost" node show ghost

list=$(N node list)
check "node list shows the three nodes" test "$(grep -c '^web[123] ' <<<"$list")" = 3
check "refused adds left nothing behind" bash -c "! grep -q web9 <<<'$list'"
P=$D/tftp/pxelinux.cfg
check "pxelinux.cfg/01-52-54-00-aa-00-01 written for web1" test -f "$P/01-52-54-00-aa-00-01"
check "web1's pxelinux file boots image st1" grep -q "images/st1/vmlinuz" "$P/01-52-54-00-aa-00-01"
check "web2's pxelinux file boots Xen through mboot.c32" grep -q "mboot.c32" "$P/01-52-54-00-aa-00-02"
check "web3's override boots st2" grep -q "images/st2/vmlinuz" "$P/01-52-54-00-aa-00-03"
# image set: the nodes booting the image get new pxelinux files at once
check "image set st2 --kernel (a new kernel for its nodes)" \
	N image set st2 --kernel images/st2b/vmlinuz --cmdline "console=ttyS0 v=2"
check "web3's pxelinux file boots the changed image" grep -q "images/st2b/vmlinuz" "$P/01-52-54-00-aa-00-03"
check "... with its new command line" grep -q "v=2" "$P/01-52-54-00-aa-00-03"
check "web1 (another image) is untouched" grep -q "images/st1/vmlinuz" "$P/01-52-54-00-aa-00-01"
expect_fail "image set with a bad path refused, naming it" "../x" image set st2 --kernel ../x
expect_fail "image set of a missing image refused, naming it" "image nosuch does not exist" \
	image set nosuch --kernel k
expect_fail "image set dropping Xen of the hw default refused" "default of role hw" \
	image set xen1 --xen ""
expect_fail "image remove refused while a node boots it, naming the node" \
	"image st2 is in use: booted by node web3" image remove st2
out=$(N image show st2 -o json)
check "-o json after the subcommand (image show st2 -o json)" grep -q '"kernel": "images/st2b/vmlinuz"' <<<"$out"
check "dhcpd.conf holds web1" grep -q "52:54:00:aa:00:01" "$D/dhcpd.conf"
check "no stray web9 pxelinux file" test ! -e "$P/01-52-54-00-aa-00-09"

check "node set web1 --ip 10.77.0.20" N node set web1 --ip 10.77.0.20
check "node show reports the new address" grep -q "ip:       10.77.0.20" <<<"$(N node show web1)"
expect_fail "node set to another node's MAC refused, naming it" \
	"mac 52:54:00:aa:00:02 is already used by node web2" node set web1 --mac 52:54:00:aa:00:02
check "node set web3 --default-image" N node set web3 --default-image
check "web3 boots the storage default (st1) again" grep -q "images/st1/vmlinuz" "$P/01-52-54-00-aa-00-03"
expect_fail "hw node with a non-Xen image refused, naming it" "image st2 has no Xen" \
	node set web3 --role hw --image st2
expect_fail "image in use cannot be removed, naming the role" \
	"image st1 is in use: default of role storage" image remove st1

# --- lifecycle: DHCP hook, TFTP fetch, reports ---------------------------------
check "DHCP hook accepted" N hook dhcp 52:54:00:aa:00:01 10.77.0.20
check "DHCP hook for an unknown MAC is harmless" N hook dhcp 52:54:00:ee:00:01 10.77.0.120
lab_bg cfg "$D/tftpd.log" /usr/sbin/in.tftpd -L -a 10.77.0.1:69 -s "$D/tftp"
echo "$LAB_PID" >"$D/tftpd.pid"
sleep 0.5
# hup: SIGHUP nimbusd and wait until it has re-read (or refused) its file.
hup() {
	local n
	n=$(grep -cE "SIGHUP: .*(re-read|keeping the running)" "$D/nimbusd.log.1")
	kill -HUP "$NIMBUSD_PID"
	lab_wait 5 bash -c "[ \$(grep -cE 'SIGHUP: .*(re-read|keeping the running)' '$D/nimbusd.log.1') -gt $n ]"
}
# Only in.tftpd's opens count (tftpd-pidfile, set by SIGHUP): a reader
# that is not in.tftpd or its child does not make web1 config-fetched.
write_conf "$D/nimbusd.conf" 600 "tftpd-pidfile $D/tftpd.pid"
check "SIGHUP applies tftpd-pidfile" hup
check "nimbusd logs what changed" grep -q "SIGHUP: .*changed: tftpd-pidfile" "$D/nimbusd.log.1"
check "the watcher knows the opener (fanotify)" grep -q "with fanotify, in.tftpd's pid from" "$D/nimbusd.log.1"
# The reader stays alive until nimbusd has looked at it: fanotify gives only
# a PID, and a reader that has already exited cannot be told apart from a
# short-lived in.tftpd child, so nimbusd counts those (docs/confignode.md).
sleep 2 <"$P/01-52-54-00-aa-00-01" &
reader=$!
check "an open by another process (a shell) is not a fetch, logged with its pid" \
	lab_wait 5 grep -q "01-52-54-00-aa-00-01 opened by pid [0-9]*, not in.tftpd (pid $LAB_PID)" "$D/nimbusd.log.1"
check "web1 is still at dhcp after that read" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show web1 | grep -q '^state: *dhcp'"
wait "$reader"
(cd "$D" && lab_in node busybox tftp -g -r pxelinux.cfg/01-52-54-00-aa-00-01 \
	-l "$D/fetched" 10.77.0.1) || not_ok "busybox tftp could not fetch web1's config"
check "in.tftpd served web1's pxelinux config" cmp -s "$D/fetched" "$P/01-52-54-00-aa-00-01"
check "config-fetched recorded from the TFTP read" \
	lab_wait 5 bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show web1 | grep -q '^state: *config-fetched'"
check "the history names in.tftpd's child as the reader" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show web1 | grep -q 'config-fetched *pxelinux.cfg read (pid '"

report() { # report NS JSON -> prints wget's output, returns its status
	lab_in "$1" busybox wget -q -O- --header 'Content-Type: application/json' \
		--post-data "$2" http://10.77.0.1:8080/v1/report 2>&1
}
# refused CODE NS JSON: the report fails with HTTP status CODE.
refused() {
	local out
	if out=$(report "$2" "$3"); then
		echo "accepted: $out"; return 1
	fi
	grep -q "HTTP/1.1 $1" <<<"$out" || { echo "wanted $1, got: $out"; return 1; }
}
BOOT1='{"mac":"52:54:00:aa:00:01","state":"booted","cpus":1,"memory_mb":256}'
check "booted report from a wrong address refused (403)" refused 403 rogue "$BOOT1"
check "web1 not booted by someone else's report" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show web1 | grep -q '^state: *config-fetched'"
out=$(report node "$BOOT1")
check "booted report from web1's own address accepted" grep -q '"state":"booted"' <<<"$out"
show=$(N node show web1)
check "node show says booted" grep -q '^state: *booted' <<<"$show"
for ev in added changed dhcp config-fetched booted; do
	check "history of web1 has '$ev' with a timestamp" \
		grep -qE "^  [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  $ev " <<<"$show"
done
check "node show has the booted system's report" grep -q "^report: .*1 cpus, 256 MiB" <<<"$show"
FAIL3='{"mac":"52:54:00:aa:00:03","state":"failed","info":{"error":"no AoE root","stage":"initramfs"}}'
check "failed report from another node's address refused (403)" refused 403 node "$FAIL3"
check "booted report for an unknown MAC refused (404)" \
	refused 404 node '{"mac":"52:54:00:aa:00:77","state":"booted"}'

DISC='{"mac":"52:54:00:bb:00:01","state":"discovered","cpus":2,"memory_mb":512,"nics":["52:54:00:bb:00:01","52:54:00:bb:00:02"],"info":{"vendor":"QEMU"}}'
check "discovered report from an unknown machine accepted" report disc "$DISC"
disc=$(N node discovered)
check "node discovered lists it with its CPUs and memory" \
	grep -qE '^52:54:00:bb:00:01 +10.77.0.150 +2 +512' <<<"$disc"
check "discovered report for a node's MAC refused (409)" \
	refused 409 disc '{"mac":"52:54:00:aa:00:02","state":"discovered"}'
check "malformed JSON report refused (400)" refused 400 disc '{"mac":'
check "report with an unknown field refused (400)" \
	refused 400 disc '{"mac":"52:54:00:bb:00:05","state":"discovered","root":"yes"}'
check "report with a bad state refused (400)" \
	refused 400 disc '{"mac":"52:54:00:bb:00:05","state":"owned"}'
big=$(head -c 20000 /dev/zero | tr '\0' a)
check "oversize report (20000 bytes) refused (413)" \
	refused 413 disc "{\"mac\":\"52:54:00:bb:00:03\",\"state\":\"discovered\",\"info\":{\"x\":\"$big\"}}"
check "TCP endpoint serves nothing but reports (GET /v1/nodes refused)" \
	bash -c "! ip netns exec $(lab_ns disc) busybox wget -q -O- http://10.77.0.1:8080/v1/nodes"
check "TCP endpoint refuses POST /v1/nodes" \
	bash -c "! ip netns exec $(lab_ns disc) busybox wget -q -O- --post-data '{}' http://10.77.0.1:8080/v1/nodes"

check "adopt the discovered machine: node add disc1 --discovered" \
	N node add disc1 --discovered 52:54:00:bb:00:01 --role storage
check "adopted machine left the discovered list" bash -c "! '$NIMBUS_BIN/nimbus' -s '$SOCK' node discovered | grep -q 52:54:00:bb:00:01"
check "adopted node has its pxelinux config" test -f "$P/01-52-54-00-bb-00-01"
expect_fail "adopting an undiscovered MAC refused, naming it" \
	"no discovered machine with mac 52:54:00:bb:00:99" \
	node add disc2 --discovered 52:54:00:bb:00:99 --role storage
# node discovered --clear [MAC]
for mac in 52:54:00:bb:00:02 52:54:00:bb:00:03 52:54:00:bb:00:04; do
	report disc "{\"mac\":\"$mac\",\"state\":\"discovered\"}" >/dev/null
done
check "three more machines discovered" test "$(N node discovered | grep -c '^52:54:00:bb:00:0[234] ')" = 3
check "node discovered --clear MAC forgets one" N node discovered --clear 52-54-00-BB-00-03
check "... only that one" test "$(N node discovered | grep -c '^52:54:00:bb:00:0[24] ')" = 2
expect_fail "clearing an unknown MAC refused, naming it" \
	"no discovered machine with mac 52:54:00:bb:00:03" node discovered --clear 52:54:00:bb:00:03
out=$(N node discovered --clear)
check "node discovered --clear forgets the rest" grep -q "cleared 2 discovered machines" <<<"$out"
check "the discovered list is empty" test "$(N node discovered | wc -l)" = 1

check "node remove web2" N node remove web2
check "web2's pxelinux config is gone" test ! -e "$P/01-52-54-00-aa-00-02"
check "dhcpd.conf no longer holds web2" bash -c "! grep -q 52:54:00:aa:00:02 '$D/dhcpd.conf'"
expect_fail "removed node is gone" "no node named web2" node show web2
json=$(N -o json node list)
check "-o json node list is JSON with the nodes" grep -q '"name": "disc1"' <<<"$json"
json=$(N node show disc1 -o json)
check "node show NAME -o json (the option after the subcommand)" grep -q '"name": "disc1"' <<<"$json"
json=$(N node list --output=json)
check "node list --output=json" grep -q '"nodes": \[' <<<"$json"

# --- SIGHUP: the configuration re-read, applied only when valid ------------------
# A socket opened to everyone by mistake does not open nimbusd: the caller's
# credentials (SO_PEERCRED) are checked as well.
write_conf "$D/nimbusd.conf" 600 "tftpd-pidfile $D/tftpd.pid
socket-mode 0666"
check "SIGHUP applies socket-mode" hup
check "the socket is now mode 666" test "$(stat -c %a "$SOCK")" = 666
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$NIMBUS_BIN/nimbus" -s "$SOCK" node list 2>&1)
check "nobody can connect but is refused by its credentials, naming its uid" \
	grep -q "permission denied: uid 65534 may not administer" <<<"$out"
check "the refusal is logged with uid and pid" \
	grep -qE "refused GET /v1/nodes from uid 65534 pid [0-9]+" "$D/nimbusd.log.1"
write_conf "$D/nimbusd.conf" 600 "tftpd-pidfile $D/tftpd.pid
socket-mode 0666
admin-group 4242"
check "SIGHUP applies admin-group" hup
check "a member of the admin group administers" \
	setpriv --reuid=65534 --regid=65534 --groups=4242 "$NIMBUS_BIN/nimbus" -s "$SOCK" node list
check "nobody outside the group is still refused" \
	bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups '$NIMBUS_BIN/nimbus' -s '$SOCK' node list"
# A broken file changes nothing.
cp "$D/nimbusd.conf" "$D/good.conf"
echo "frobnicate 1" >>"$D/nimbusd.conf"
check "SIGHUP with a bad file" hup
check "the error is logged, naming the key, and the old configuration kept" \
	grep -q "SIGHUP: .*unknown key 'frobnicate': keeping the running configuration" "$D/nimbusd.log.1"
check "the admin group still works after the refused reload" \
	setpriv --reuid=65534 --regid=65534 --groups=4242 "$NIMBUS_BIN/nimbus" -s "$SOCK" node list
# Start-up-only settings are reported, not applied.
sed "s|^database .*|database $D/db/other.db|" "$D/good.conf" >"$D/nimbusd.conf"
check "SIGHUP with a new database path" hup
check "a changed database is reported as needing a restart" \
	grep -q "SIGHUP: database changed in .*needs a restart" "$D/nimbusd.log.1"
check "... and the running database is still used" N node show web1
check "no other database was created" test ! -e "$D/db/other.db"
write_conf "$D/nimbusd.conf" 600
check "SIGHUP back to the test configuration" hup
check "the socket is mode 660 again" test "$(stat -c %a "$SOCK")" = 660

# --- restart in the middle: nothing lost ----------------------------------------
before=$(N node list; N image list; N role list; N node show web1)
lab_stop "$NIMBUSD_PID"
rm -f "$P"/01-*   # the files are regenerated from the database at start
write_conf "$D/nimbusd.conf" 2
start_nimbusd 2
after=$(N node list; N image list; N role list; N node show web1)
check "after a restart nodes, images, roles and history are the same" test "$before" = "$after"
check "after a restart pxelinux files are regenerated" test -f "$P/01-52-54-00-aa-00-01"
check "schema version recorded" grep -q "(schema 6)" "$D/nimbusd.log.2"

# --- lost: web1 (booted) says nothing for lost-after (2 s) ----------------------
check "a silent booted node becomes lost" \
	lab_wait 10 bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show web1 | grep -q '^state: *lost'"
# (disc1: the test never opened its pxelinux file, which any reader would
# turn into a config-fetched event.)
check "a node never seen (disc1) is not lost" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show disc1 | grep -q '^state: *added'"
out=$(report node "$BOOT1")
check "a lost node reporting again is booted" grep -q '"state":"booted"' <<<"$out"

check "logs name node and MAC" grep -q "node web1 added: mac 52:54:00:aa:00:01" "$D/nimbusd.log.1"

# --- clean stop (and, in an ASan build, no sanitizer reports) -------------------
lab_stop "$NIMBUSD_PID"
check "nimbusd removed its socket on SIGTERM" test ! -e "$SOCK"
check "no sanitizer report in nimbusd's logs" \
	bash -c "! grep -E 'Sanitizer|runtime error' '$D'/nimbusd.log.*"
