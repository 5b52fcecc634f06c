#!/usr/bin/env bash
# Pairs and replicated volumes end to end without VMs: nimbusd in a network
# namespace on a bridge, the real CLI over its admin socket for every pair
# and volume command and refusal (text and -o json), the storage nodes'
# endpoints spoken with curl from namespaces whose addresses are the nodes'
# (observed state moves a volume creating -> degraded -> ready -> resyncing;
# the fence: first asker granted, second refused, the loser's desired state
# stops exporting), and the generated DRBD resource files checked by the
# real drbdadm (8.4 syntax) in a namespace with the node's hostname and
# replication address.
# timeout: 300
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
lab_init
DRBDADM=/lib/drbd/drbdadm-84
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" /usr/sbin/dhcpd curl jq unshare "$DRBDADM"

D=$LAB_DIR
SOCK=$D/nimbusd.sock
N() { "$NIMBUS_BIN/nimbus" -s "$SOCK" "$@"; }

# --- the provisioning network: cfg (10.77.0.1) <- bridge -> sn1 sn2 sn3 rogue
lab_netns cfg
lab_bridge cfg br0
lab_addr cfg br0 10.77.0.1/24
i=0
for spec in sn1:10.77.0.11 sn2:10.77.0.12 sn3:10.77.0.13 rogue:10.77.0.77; do
	ns=${spec%%:*}; ip=${spec#*:}; i=$((i + 1))
	lab_netns "$ns"
	lab_veth cfg "p$i" "$ns" eth0
	lab_bridge_port cfg br0 "p$i"
	lab_addr "$ns" eth0 "$ip/24"
done

mkdir -p "$D/tftp" "$D/db"
cat >"$D/nimbusd.conf" <<CONF
subnet 10.77.0.0/24
address 10.77.0.1
pool 10.77.0.10 10.77.0.99
dynamic-range 10.77.0.100 10.77.0.199
listen-report 10.77.0.1:8080
socket $SOCK
database $D/db/nimbus.db
tftp-root $D/tftp
dhcpd-conf $D/dhcpd.conf
dhcpd /usr/sbin/dhcpd
omapi-port 0
lost-after 600
discovery-kernel nimbus/discovery/vmlinuz
discovery-initrd nimbus/discovery/initrd.gz
replication-network 10.78.0.0/24
volume-shelves 20-21
drbd-port-base 7789
CONF
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/nimbusd.conf" 2>&1)
check "nimbusd -t accepts the storage keys" grep -q "configuration OK" <<<"$out"
sed 's|^volume-shelves .*|volume-shelves 30-20|' "$D/nimbusd.conf" >"$D/bad.conf"
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/bad.conf" 2>&1)
check "nimbusd -t refuses a reversed volume-shelves, naming it" grep -q "bad range '30-20'" <<<"$out"
sed 's|^replication-network .*|replication-network 10.77.0.0/16|' "$D/nimbusd.conf" >"$D/bad.conf"
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/bad.conf" 2>&1)
check "nimbusd -t refuses a replication network overlapping the subnet" \
	grep -q "replication-network overlaps subnet" <<<"$out"

lab_bg cfg "$D/nimbusd.log" "$NIMBUS_BIN/nimbusd" -c "$D/nimbusd.conf"
lab_wait 10 N role list || lab_fail "nimbusd did not come up (log: $(tail -5 "$D/nimbusd.log"))"
ok "nimbusd is up"

# expect_fail DESC EXPECTED CLI-ARGS...: fails (exit 1) naming EXPECTED.
expect_fail() {
	local desc=$1 want=$2 msg rc; shift 2
	msg=$(N "$@" 2>&1); rc=$?
	if [ "$rc" = 0 ]; then
		not_ok "$desc: command succeeded: $*"
	elif grep -qF -- "$want" <<<"$msg"; then
		ok "$desc (exit $rc)"
	else
		not_ok "$desc: message '$msg' does not contain '$want'"
	fi
}

# --- --help everywhere -----------------------------------------------------
for cmd in pair volume "pair add" "pair list" "pair show" "pair remove" "volume create" \
	"volume list" "volume show" "volume grow" "volume snapshot" "volume clone" "volume delete"; do
	# shellcheck disable=SC2086
	out=$(N $cmd --help 2>&1)
	check "nimbus $cmd --help prints its usage" grep -q "^usage: nimbus" <<<"$out"
done
check "volume create --help explains --wait and has an example" \
	bash -c 'grep -q -- "--wait \[SECONDS\]" <<<"$1" && grep -q "nimbus volume create web-root" <<<"$1"' _ "$(N volume create --help)"

# --- nodes -----------------------------------------------------------------
check "image add st1" N image add st1 --kernel images/st1/vmlinuz
check "image add xen1" N image add xen1 --kernel images/hw/vmlinuz --xen images/hw/xen.gz
check "role set-image storage st1" N role set-image storage st1
check "role set-image hw xen1" N role set-image hw xen1
for n in 1 2 3; do
	check "node add sn$n" N node add "sn$n" --mac "52:54:00:aa:00:1$n" --role storage --ip "10.77.0.1$n"
done
check "node add hw1" N node add hw1 --mac 52:54:00:aa:00:21 --role hw --ip 10.77.0.21

# --- pairs -----------------------------------------------------------------
expect_fail "pair add with the same node twice refused" "node sn1 given twice" pair add p1 sn1 sn1
expect_fail "pair add with a hw node refused, naming it" "node hw1 has role hw, not storage" \
	pair add p1 sn1 hw1
expect_fail "pair add with an unknown node refused, naming it" "node sn9 does not exist" \
	pair add p1 sn1 sn9
expect_fail "pair add with a bad name refused, naming it" "bad pair name 'P1'" pair add P1 sn1 sn2
out=$(N pair add p1 sn1 sn2)
check "pair add p1 sn1 sn2" grep -q "replication address: 10.78.0.2" <<<"$out"
expect_fail "a node already in a pair refused, naming the pair" "node sn2 is already in pair p1" \
	pair add p2 sn3 sn2
# (api_nodes.c does not name the pair yet: the database's foreign key and
# trigger refuse, and the message is the generic one.)
expect_fail "a pair member cannot be removed (pair remove first)" "cannot remove node sn1: it is a member of pair p1" node remove sn1
expect_fail "a pair member cannot change role" "cannot change the role of node sn1: it is a member of pair p1" node set sn1 --role hw
check "sn1 is still a storage node" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' node show sn1 | grep -q 'role: *storage'"
check "pair list shows p1" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' pair list | grep -q '^p1 *sn1 *sn2'"
check "pair list -o json" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' pair list -o json | jq -e '.pairs[0].nodes[1].name == \"sn2\"'"

# --- the storage nodes' endpoints ------------------------------------------------
# nodepost NS PATH JSON: POST from a namespace; prints "STATUS BODY".
nodepost() {
	lab_in "$1" curl -s -m 5 -o "$D/reply" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "$3" "http://10.77.0.1:8080$2"
	printf ' %s\n' "$(cat "$D/reply")"
}
desired() { # desired NS MAC -> the desired state JSON
	lab_in "$1" curl -s -m 5 "http://10.77.0.1:8080/v1/storage/desired/$2"
}
# observed N VOLUMES-JSON: sn N reports a 100G pool with 10G used.
# GEN_N: the generation sn N says it converged to (default 1); sn1 has a
# disk of its VG and a foreign one.
DISKS_1='{"dev":"/dev/vdb","state":"claimed","size_bytes":128849018880,"detail":""},{"dev":"/dev/vdc","state":"foreign","size_bytes":1073741824,"detail":"partition table (dos)"}'
observed() {
	local g d; eval "g=\${GEN_$1:-1} d=\${DISKS_$1:-}"
	printf '{"mac":"52:54:00:aa:00:1%s","node":"sn%s","generation":'"$g"',"vg":true,"vg_size":128849018880,"vg_free":0,"pool_size":107374182400,"pool_used":10737418240,"disks":[%s],"volumes":[%s]}' "$1" "$1" "$d" "$2"
}
vol() { # vol NAME EXPORTED DISK CONN PERCENT
	printf '{"name":"%s","lv":true,"size_bytes":10737418240,"drbd":true,"role":"Primary","peer_role":"Primary","disk":"%s","peer_disk":"%s","conn":"%s","sync_percent":%s,"sync_eta_s":%s,"exported":%s,"error":""}' \
		"$1" "$3" "$([ "$4" = Connected ] && echo UpToDate || echo DUnknown)" "$4" "$5" \
		"$([ "$5" = 100 ] && echo -1 || echo 42)" "$2"
}
report_ok() { # report_ok N VOLUMES-JSON
	local r
	r=$(nodepost "sn$1" /v1/storage/observed "$(observed "$1" "$2")")
	[ "${r%% *}" = 200 ] || { echo "$r" >&2; return 1; }
}

r=$(nodepost rogue /v1/storage/observed "$(observed 1 "")")
check "observed state from another address refused (403), naming the node's" \
	bash -c '[ "${1%% *}" = 403 ] && grep -q "belongs to node sn1 at 10.77.0.11, not 10.77.0.77" <<<"$1"' _ "$r"
r=$(nodepost sn1 /v1/storage/observed '{"mac":"52:54:00:aa:00:11"}')
check "a malformed observed state refused (400), naming the field" \
	bash -c '[ "${1%% *}" = 400 ] && grep -q "bad observed state" <<<"$1"' _ "$r"
r=$(lab_in rogue curl -s -m 5 -o /dev/null -w '%{http_code}' http://10.77.0.1:8080/v1/storage/desired/52:54:00:aa:00:11)
check "desired state for another address refused (403)" test "$r" = 403
r=$(lab_in sn1 curl -s -m 5 -o /dev/null -w '%{http_code}' http://10.77.0.1:8080/v1/volumes)
check "the admin API is not on the report listener (404)" test "$r" = 404

# 100 volumes make a 23 KB observed state, more than a node report's 16 KiB.
many=$(for k in $(seq -w 1 100); do printf '%s,' "$(vol "v$k" true UpToDate Connected 100)"; done)
r=$(nodepost sn1 /v1/storage/observed "$(observed 1 "${many%,}")")
check "an observed state of 100 volumes (23 KB) is taken over HTTP ($r)" test "${r%% *}" = 200

expect_fail "volume create with nothing observed: no space, naming the most free" \
	"no pair has 10G free: the most is 0, on pair p1" volume create vol1 --size 10G
check "sn1 reports its storage" report_ok 1 ""
check "sn2 reports its storage" report_ok 2 ""
check "pair show has both thin pools" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' pair show p1 | grep -c 'thin pool: 100G, 10G used, 90G free' | grep -q 2"
out=$(N pair show p1)
check "pair show lists sn1's disk of its VG" grep -qE '^    /dev/vdb +120G  in the node.s volume group$' <<<"$out"
check "pair show lists sn1's foreign disk, left alone with its reason" \
	grep -qE '^    /dev/vdc +1G  left alone: partition table \(dos\)$' <<<"$out"
check "pair show says sn2 reported no disk" grep -q '^  disks:    none reported$' <<<"$out"
check "pair show says how old each report is" bash -c '[ "$(grep -cE "observed: .* UTC \([0-9]+ s ago\)" <<<"$1")" = 2 ]' _ "$out"
check "pair show -o json has sn1's disks" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' pair show p1 -o json | jq -e '.nodes[0].disks | length == 2 and .[1].state == \"foreign\" and .[1].size == 1073741824'"

# --- volumes ----------------------------------------------------------------
expect_fail "a bad size refused, naming it" "bad size '10X'" volume create vol1 --size 10X
expect_fail "create without --size is a usage error" "--size SIZE is required" volume create vol1
expect_fail "an unknown pair refused, naming it" "pair p9 does not exist" volume create vol1 --size 1G --pair p9
expect_fail "no space: the largest free amount named" "no pair has 200G free: the most is 90G, on pair p1" \
	volume create vol1 --size 200G
out=$(N volume create vol1 --size 10G -o json)
check "volume create vol1 returns at once: creating, aoe e20.0, minor 0, port 7789" \
	jq -e '.state == "creating" and .aoe == "e20.0" and .minor == 0 and .port == 7789 and .size_h == "10G"' <<<"$out"
expect_fail "a taken volume name refused" "volume vol1 already exists" volume create vol1 --size 1G
check "volume create vol2 --pair p1" N volume create vol2 --size 1G --pair p1
check "volume list: one line per volume" bash -c "[ \$('$NIMBUS_BIN/nimbus' -s '$SOCK' volume list | grep -c '^vol') = 2 ]"

# The resources nimbusd generated, checked by the real drbdadm as the
# node sees them: hostname and replication address set in a namespace.
desired sn1 52:54:00:aa:00:11 >"$D/desired1.json"
check "sn1's desired state has both volumes, exported" \
	jq -e '.pair.name == "p1" and (.volumes | length) == 2 and all(.volumes[]; .export)' "$D/desired1.json"
jq -r '.volumes[] | select(.name == "vol1") | .resource' "$D/desired1.json" >"$D/vol1.res"
jq -r '.volumes[] | select(.name == "vol2") | .resource' "$D/desired1.json" >"$D/vol2.res"
lab_netns drbd1
drbd_check() { # drbd_check HOST ADDR FILE RESOURCE: drbdadm dump, then a dry-run up
	lab_in drbd1 unshare --uts sh -c "hostname $1 && ip link set lo up &&
		(ip addr add $2/24 dev lo 2>/dev/null || true) &&
		$DRBDADM -c $3 dump $4 >/dev/null && $DRBDADM -c $3 -d up $4" 2>&1
}
out=$(drbd_check sn1 10.78.0.1 "$D/vol1.res" vol1)
check "drbdadm (8.4) accepts vol1's resource on sn1 and would connect with protocol C, two primaries" \
	grep -q "connect vol1 ipv4:10.78.0.1:7789 ipv4:10.78.0.2:7789 --protocol=C --allow-two-primaries=yes" <<<"$out"
check "drbdadm would attach /dev/nimbus/vol1 with fencing resource-and-stonith" \
	grep -q "attach 0 /dev/nimbus/vol1 /dev/nimbus/vol1 internal .*--fencing=resource-and-stonith" <<<"$out"
check "no warning from drbdadm about the host's address" bash -c '! grep -q "not found on this host" <<<"$1"' _ "$out"
desired sn2 52:54:00:aa:00:12 | jq -r '.volumes[] | select(.name == "vol2") | .resource' >"$D/vol2-sn2.res"
out=$(drbd_check sn2 10.78.0.2 "$D/vol2-sn2.res" vol2)
check "drbdadm accepts vol2's resource on sn2 (minor 1, port 7790)" \
	grep -q "connect vol2 ipv4:10.78.0.2:7790 ipv4:10.78.0.1:7789\|connect vol2 ipv4:10.78.0.2:7790 ipv4:10.78.0.1:7790" <<<"$out"
# Unique minors matter: drbdadm refuses two resources with one minor.
cat "$D/vol1.res" "$D/vol2.res" | sed '/^resource vol2/,$ s/drbd1 minor 1/drbd0 minor 0/' >"$D/clash.res"
out=$(drbd_check sn1 10.78.0.1 "$D/clash.res" all); rc=$?
check "drbdadm refuses the same minor twice (what nimbusd's allocation prevents)" \
	bash -c '[ "$1" != 0 ] && grep -qi "minor" <<<"$2"' _ "$rc" "$out"

# creating -> degraded -> ready -> resyncing, as the nodes report
state() { N volume show "$1" -o json | jq -r .state; }
check "vol1 is creating" test "$(state vol1)" = creating
check "sn1 exports vol1 (peer not connected yet)" report_ok 1 "$(vol vol1 true UpToDate WFConnection 100)"
check "vol1 is degraded: one node serving" test "$(state vol1)" = degraded
check "sn2 exports vol1, connected" report_ok 2 "$(vol vol1 true UpToDate Connected 100)"
check "sn1 connected" report_ok 1 "$(vol vol1 true UpToDate Connected 100)"
check "vol1 is ready: both nodes export it" test "$(state vol1)" = ready
out=$(N volume show vol1)
check "volume show tells per node: LV, DRBD state, exported" \
	bash -c 'grep -q "drbd:     Primary UpToDate, peer Primary UpToDate, Connected" <<<"$1" && [ $(grep -c "exported: yes" <<<"$1") = 2 ]' _ "$out"
check "sn1 resyncs vol1 to sn2" report_ok 1 "$(vol vol1 true UpToDate SyncSource 37.5)"
check "sn2 is the sync target" report_ok 2 "$(vol vol1 false Inconsistent SyncTarget 37.5)"
check "volume list says resyncing 37.5%" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume list | grep -q '^vol1 .*resyncing 37.5%'"
check "volume show gives the resync's percent and time left" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol1 | grep -q 'resync:   37.5%, 42 s left'"
report_ok 1 "$(vol vol1 true UpToDate Connected 100)"; report_ok 2 "$(vol vol1 true UpToDate Connected 100)"
check "vol1 ready again" test "$(state vol1)" = ready

# --- fencing ----------------------------------------------------------------
FENCE1='{"mac":"52:54:00:aa:00:11","node":"sn1","volume":"vol1"}'
FENCE2='{"mac":"52:54:00:aa:00:12","node":"sn2","volume":"vol1"}'
gen2_before=$(desired sn2 52:54:00:aa:00:12 | jq .generation)
report_ok 1 "$(vol vol1 true UpToDate WFConnection 100)"
report_ok 2 "$(vol vol1 true UpToDate WFConnection 100)"
r=$(nodepost sn1 /v1/storage/fence "$FENCE1")
check "sn1 asks first for vol1's fence: granted" jq -e '.granted == true' <<<"${r#* }"
r=$(nodepost sn2 /v1/storage/fence "$FENCE2")
check "sn2 asks second: refused, naming sn1" \
	bash -c 'jq -e ".granted == false" <<<"$1" >/dev/null && grep -q "sn1 holds vol1" <<<"$1"' _ "${r#* }"
r=$(nodepost rogue /v1/storage/fence "$FENCE2")
check "a fence request from another address refused (403)" test "${r%% *}" = 403
desired sn2 52:54:00:aa:00:12 >"$D/desired2.json"
check "the loser's desired state: vol1 export=false, generation grown" \
	jq -e --argjson g "$gen2_before" '.generation > $g and (.volumes[] | select(.name == "vol1") | .export) == false' "$D/desired2.json"
check "its other volumes stay exported" jq -e '(.volumes[] | select(.name == "vol2") | .export) == true' "$D/desired2.json"
desired sn1 52:54:00:aa:00:11 | jq -e '(.volumes[] | select(.name == "vol1") | .export) == true' >/dev/null &&
	ok "the winner's desired state keeps vol1 exported" || not_ok "the winner's desired state keeps vol1 exported"
check "volume show names the fence holder" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol1 | grep -q 'fence:    held by sn1'"
report_ok 2 "$(vol vol1 false Outdated WFConnection 100)"
check "vol1 degraded while sn2 is outdated" test "$(state vol1)" = degraded
# Connected reports that have not converged to the generation the grant
# bumped (taken before it, arriving late) must not release the fence.
report_ok 1 "$(vol vol1 true UpToDate Connected 100)"; report_ok 2 "$(vol vol1 false UpToDate Connected 100)"
desired sn2 52:54:00:aa:00:12 | jq -e '(.volumes[] | select(.name == "vol1") | .export) == false' >/dev/null &&
	ok "stale Connected reports (generation 1) keep the fence" ||
	not_ok "stale Connected reports (generation 1) keep the fence"
GEN_1=$(desired sn1 52:54:00:aa:00:11 | jq .generation)
GEN_2=$(desired sn2 52:54:00:aa:00:12 | jq .generation)
report_ok 1 "$(vol vol1 true UpToDate Connected 100)"; report_ok 2 "$(vol vol1 false UpToDate Connected 100)"
GEN_1=1 GEN_2=1
if desired sn2 52:54:00:aa:00:12 | jq -e '(.volumes[] | select(.name == "vol1") | .export) == true' >/dev/null; then
	ok "after the resync the fence is released and sn2 exports vol1 again"
else
	not_ok "after the resync the fence is released and sn2 exports vol1 again"
fi
check "fence gone from volume show" bash -c "! '$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol1 | grep -q '^fence:'"

# --- grow, snapshot, delete, remove ------------------------------------------------
expect_fail "growing smaller refused, naming both sizes" "volume vol1 is 10G: it can only grow (asked 5G)" \
	volume grow vol1 --size 5G
check "volume grow vol1 --size 20G" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume grow vol1 --size 20G | grep -q '^size:     20G'"
out=$(N volume snapshot vol1 snap1 -o json)
check "volume snapshot vol1 snap1: read-only, its own shelf.slot" \
	jq -e '.kind == "snapshot" and .origin == "vol1" and .aoe == "e20.2"' <<<"$out"
expect_fail "a taken snapshot name refused" "volume snap1 already exists" volume snapshot vol1 snap1
expect_fail "delete while a snapshot depends on it refused, naming it" \
	"volume vol1 is in use by snapshot snap1" volume delete vol1
check "volume show says who uses it" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol1 | grep -q '^used by:  snapshot snap1'"

# clones: a replicated copy of a volume both nodes report Connected UpToDate
expect_fail "clone of a volume the nodes do not report refused, naming the node" \
	"volume vol2 cannot be cloned now: sn1 does not report it" volume clone c1 vol2
expect_fail "clone of a snapshot refused" "snap1 is a snapshot (of vol1): clone the volume itself" \
	volume clone c1 snap1
expect_fail "clone smaller than its origin refused, naming both sizes" \
	"a clone of vol1 is at least its size, 20G (asked 1G)" volume clone c1 vol1 --size 1G
expect_fail "clone larger than the pair's free space refused" "pair p1 has 69G free, 70G asked" \
	volume clone c1 vol1 --size 70G
expect_fail "clone of an unknown volume refused, naming it" "volume nosuch does not exist" \
	volume clone c1 nosuch
expect_fail "clone without its origin is a usage error" "missing argument" volume clone c1
report_ok 2 "$(vol vol1 false Outdated WFConnection 100)"
expect_fail "clone of a volume not in sync refused, naming the node and what it reports" \
	"sn2 reports it Outdated/DUnknown, WFConnection" volume clone c1 vol1
report_ok 2 "$(vol vol1 true UpToDate Connected 100)"
out=$(N volume clone c1 vol1 -o json)
check "volume clone c1 vol1: a clone of vol1, its own shelf.slot, minor and port, creating" \
	jq -e '.kind == "clone" and .origin == "vol1" and .aoe == "e20.3" and .minor == 3 and .port == 7792 and .size_h == "20G" and .state == "creating"' <<<"$out"
expect_fail "a taken name refused, saying what it is" "volume c1 already exists (a clone on pair p1)" \
	volume clone c1 vol1
check "volume show c1 names its origin" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show c1 | grep -q '^name:     c1 (clone of vol1)'"
check "volume list says clone" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume list | grep -qE '^c1 +p1 +clone +20G +e20.3 +creating'"
desired sn1 52:54:00:aa:00:11 >"$D/desired-c1.json"
check "sn1's desired state has c1 as a clone of vol1 with its own resource" \
	jq -e '.volumes[] | select(.name == "c1") | .kind == "clone" and .origin == "vol1" and .port == 7792 and (.resource | test("resource c1 "))' "$D/desired-c1.json"
jq -r '.volumes[] | select(.name == "c1") | .resource' "$D/desired-c1.json" >"$D/c1.res"
out=$(drbd_check sn1 10.78.0.1 "$D/c1.res" c1)
check "drbdadm accepts the clone's resource: /dev/nimbus/c1, minor 3, port 7792" \
	bash -c 'grep -q "attach 3 /dev/nimbus/c1 /dev/nimbus/c1 internal" <<<"$1" && grep -q "connect c1 ipv4:10.78.0.1:7792 ipv4:10.78.0.2:7792" <<<"$1"' _ "$out"
check "volume show says the clone uses vol1" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol1 | grep -q '^used by:  clone c1, snapshot snap1'"
expect_fail "delete while a clone and a snapshot depend on it refused, naming both" \
	"volume vol1 is in use by clone c1 and snapshot snap1: delete them first" volume delete vol1
expect_fail "pair remove while it holds volumes refused, naming them" \
	"pair p1 holds 4 volumes (c1, snap1, vol1, vol2)" pair remove p1
check "volume delete c1" N volume delete c1
out=$(N volume delete nosuch -o json 2>/dev/null)
check "-o json on a refusal prints nimbusd's error object" jq -e '.error | test("volume nosuch does not exist")' <<<"$out"
check "image xen1 names vol2 (e20.1) as the hw root" N image set xen1 --cmdline "console=hvc0 nimbus.root=e20.1"
expect_fail "delete of a volume an image boots from refused, naming image and nodes" \
	"volume vol2 is in use: image xen1 names it as its root (nimbus.root=e20.1), booted by: hw1" volume delete vol2
check "volume show says vol2 is hw1's root" \
	bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show vol2 | grep -q '^used by:  root of image xen1 (booted by: hw1)'"
check "image xen1 no longer names a root" N image set xen1 --cmdline "console=hvc0"
check "volume delete snap1" N volume delete snap1
check "volume delete vol1" N volume delete vol1
check "volume delete vol2" N volume delete vol2
check "pair remove p1" N pair remove p1
desired sn1 52:54:00:aa:00:11 | jq -e '.pair == null and (.volumes | length) == 0' >/dev/null &&
	ok "sn1's desired state: no pair, no volumes" || not_ok "sn1's desired state: no pair, no volumes"

# --- create: --wait, latency (nimbusd's part only: the agent is not built yet) -----
N pair add p1 sn1 sn2 >/dev/null
report_ok 1 ""; report_ok 2 ""

# --- create --wait ----------------------------------------------------------------
out=$(N volume create waiting --size 1G --pair p1 --wait 2 2>&1); rc=$?
check "create --wait gives up after its time, exit 1, saying the state" \
	bash -c '[ "$1" = 1 ] && grep -q "volume waiting is still creating after 2 s" <<<"$2"' _ "$rc" "$out"
N volume delete waiting >/dev/null
( sleep 1; report_ok 1 "$(vol soon true UpToDate Connected 100)"
  report_ok 2 "$(vol soon true UpToDate Connected 100)" ) &
bg=$!
out=$(N volume create soon --size 1G --wait 30); rc=$?
wait "$bg"
check "create --wait returns once both nodes export it, saying how long it took" \
	bash -c '[ "$1" = 0 ] && grep -q "^state:    ready" <<<"$2" && grep -q "^ready after [0-9.]* s" <<<"$2"' _ "$rc" "$out"
note "create --wait: $(grep '^ready after' <<<"$out") (the observed state was posted 1 s after the create)"
N volume delete soon >/dev/null
report_ok 1 ""; report_ok 2 ""

times=()
for k in $(seq 1 20); do
	t0=$(date +%s%N)
	N volume create "lat$k" --size 1G >/dev/null || not_ok "volume create lat$k"
	times+=($(( ($(date +%s%N) - t0) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
note "volume create through the CLI, 20 runs: min $(head -1 <<<"$sorted") us, median $(sed -n 10p <<<"$sorted") us, max $(tail -1 <<<"$sorted") us"
times=()
for k in $(seq 1 20); do
	t0=$(date +%s%N)
	desired sn1 52:54:00:aa:00:11 >"$D/d.json"
	times+=($(( ($(date +%s%N) - t0) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
note "GET desired state with 20 volumes ($(wc -c <"$D/d.json") bytes), curl from sn1, 20 runs: min $(head -1 <<<"$sorted") us, median $(sed -n 10p <<<"$sorted") us, max $(tail -1 <<<"$sorted") us"
check "the desired state holds all 20 volumes with their resources" \
	jq -e '(.volumes | length) == 20 and all(.volumes[]; .resource | test("^# Generated by nimbusd"))' "$D/d.json"
check "20 volumes took 20 distinct shelf.slots" \
	bash -c "[ \$('$NIMBUS_BIN/nimbus' -s '$SOCK' volume list -o json | jq '[.volumes[].aoe] | unique | length') = 20 ]"
check "no sanitizer report in nimbusd's log" bash -c "! grep -E 'Sanitizer|runtime error' '$D/nimbusd.log'"
