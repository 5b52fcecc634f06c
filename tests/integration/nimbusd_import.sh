#!/usr/bin/env bash
# volume import end to end without VMs: nimbusd in a namespace, the storage
# nodes' reports faked with curl (as nimbusd_volumes.sh does) to make the
# volume ready, and a real aoetd in another namespace exporting a file
# under the shelf.slot nimbusd assigned, reached over a veth that is
# nimbusd's aoe-interface. Imports a file of random data with holes and
# checks the aoetd backing file's bytes, the progress seen, --wait, and the
# refusals (missing file, file larger than --size, name taken, snapshot
# while importing, aoe-interface unset).
# timeout: 240
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
lab_init
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" "$NIMBUS_BIN/aoetd" "$NIMBUS_BIN/aoe-bench" \
	/usr/sbin/dhcpd curl jq md5sum

D=$LAB_DIR
SOCK=$D/nimbusd.sock
N() { "$NIMBUS_BIN/nimbus" -s "$SOCK" "$@"; }

lab_netns cfg
lab_bridge cfg br0
lab_addr cfg br0 10.77.0.1/24
i=0
for spec in sn1:10.77.0.11 sn2:10.77.0.12; do
	ns=${spec%%:*}; ip=${spec#*:}; i=$((i + 1))
	lab_netns "$ns"
	lab_veth cfg "p$i" "$ns" eth0
	lab_bridge_port cfg br0 "p$i"
	lab_addr "$ns" eth0 "$ip/24"
done
# the storage network as nimbusd's aoe-bench sees it: one aoetd behind aoe0
lab_netns tgt
lab_veth cfg aoe0 tgt eth0 9000

mkdir -p "$D/tftp" "$D/db"
conf() {
	cat <<CONF
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
aoe-bench $NIMBUS_BIN/aoe-bench
CONF
}
conf >"$D/noiface.conf"
{ conf; echo "aoe-interface aoe0"; } >"$D/nimbusd.conf"
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/nimbusd.conf" 2>&1)
check "nimbusd -t accepts aoe-interface and aoe-bench" grep -q "configuration OK" <<<"$out"
{ conf; echo "aoe-interface a/b"; } >"$D/bad.conf"
out=$("$NIMBUS_BIN/nimbusd" -t -c "$D/bad.conf" 2>&1)
check "nimbusd -t refuses a bad aoe-interface, naming it" grep -q "bad interface name 'a/b'" <<<"$out"

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
nodepost() {
	lab_in "$1" curl -s -m 5 -o "$D/reply" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "$3" "http://10.77.0.1:8080$2"
	printf ' %s\n' "$(cat "$D/reply")"
}
observed() {
	printf '{"mac":"52:54:00:aa:00:1%s","node":"sn%s","generation":%s,"vg":true,"vg_size":128849018880,"vg_free":0,"pool_size":107374182400,"pool_used":10737418240,"disks":[],"volumes":[%s]}' "$1" "$1" "${GEN:-1}" "$2"
}
vol() { # vol NAME SIZE
	printf '{"name":"%s","lv":true,"size_bytes":%s,"drbd":true,"role":"Primary","peer_role":"Primary","disk":"UpToDate","peer_disk":"UpToDate","conn":"Connected","sync_percent":100,"sync_eta_s":-1,"exported":true,"error":""}' "$1" "$2"
}
report_ok() {
	local r
	r=$(nodepost "sn$1" /v1/storage/observed "$(observed "$1" "$2")")
	[ "${r%% *}" = 200 ] || { echo "$r" >&2; return 1; }
}
state() { N volume show "$1" -o json | jq -r .state; }

start_nimbusd() {
	lab_bg cfg "$D/nimbusd.log" "$NIMBUS_BIN/nimbusd" -c "$1"
	NIMBUSD_PID=$LAB_PID
	lab_wait 10 N role list || lab_fail "nimbusd did not come up (log: $(tail -5 "$D/nimbusd.log"))"
}

# --- aoe-interface unset: import refused --------------------------------------
start_nimbusd "$D/noiface.conf"
N image add st1 --kernel images/st1/vmlinuz >/dev/null
N role set-image storage st1 >/dev/null
for n in 1 2; do
	N node add "sn$n" --mac "52:54:00:aa:00:1$n" --role storage --ip "10.77.0.1$n" >/dev/null
done
check "pair add p1" N pair add p1 sn1 sn2
check "sn1 reports" report_ok 1 ""
check "sn2 reports" report_ok 2 ""
# the source: 3 MiB + 1000 bytes of random data with a 1 MiB hole
src=$D/src.img
head -c 1048576 /dev/urandom >"$src"
head -c 1048576 /dev/zero >>"$src"
head -c 1049576 /dev/urandom >>"$src"
expect_fail "import refused while aoe-interface is unset" "volume import needs aoe-interface" \
	volume import img1 "$src"
lab_stop "$NIMBUSD_PID"
start_nimbusd "$D/nimbusd.conf"

# --- refusals -------------------------------------------------------------------
expect_fail "a missing file refused, naming it" "$D/nosuch: No such file" volume import img1 "$D/nosuch"
expect_fail "a directory refused" "is not a regular file" volume import img1 "$D"
expect_fail "a file larger than --size refused, naming both sizes" \
	"(3146728 bytes), larger than" volume import img1 "$src" --size 1M
msg=$(N volume import img1 "$src" --size 1M 2>&1)
check "... and the size asked" grep -q "larger than the size asked, 1M" <<<"$msg"
N volume create taken --size 1M >/dev/null
expect_fail "a taken name refused" "volume taken already exists" volume import taken "$src"

# --- the import ------------------------------------------------------------------
out=$(N volume import img1 "$src" -o json)
check "import answers at once" test "$(jq -r .import.state <<<"$out")" = importing
size=$(jq -r .size_bytes <<<"$out"); [ "$size" = null ] && size=$(jq -r .size <<<"$out")
shelf=$(jq -r .shelf <<<"$out"); slot=$(jq -r .slot <<<"$out")
check "its size is the file's rounded up to whole MiB (4M)" test "$(N volume show img1 | sed -n 's/^size: *//p')" = 4M
check "volume show says importing" test "$(state img1)" = importing
expect_fail "a volume being imported cannot be snapshotted" "is being imported" volume snapshot img1 snap1
disk=$D/backing
truncate -s 4M "$disk"
lab_bg tgt "$D/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$D/t.sock" "$shelf" "$slot" eth0 "$disk"
sleep 1
# both nodes export it: ready, so nimbusd starts aoe-bench
GEN=$(jq -r .generation <<<"$(lab_in sn1 curl -s -m 5 http://10.77.0.1:8080/v1/storage/desired/52:54:00:aa:00:11)")
v="$(vol img1 4194304),$(vol taken 1048576)"
check "sn1 exports img1" report_ok 1 "$v"
check "sn2 exports img1" report_ok 2 "$v"
out=$(N volume import img2 "$src" --wait 3 2>"$D/wait.err" </dev/null); rc=$?
# img2 waits for its volume to be ready: it is not (no node exports it)
check "--wait on a never-ready import exits non-zero" test "$rc" != 0
lab_wait 30 bash -c "[ \"\$('$NIMBUS_BIN/nimbus' -s '$SOCK' volume show img1 -o json | jq -r .import.state)\" != importing ]"
check "img1's import is done" test "$(N volume show img1 -o json | jq -r .import.state)" = done
check "img1 is ready again" test "$(state img1)" = ready
check "progress was saved (done = total)" test "$(N volume show img1 -o json | jq -r '.import.done == .import.total')" = true
check "aoe-bench's progress was logged by nimbusd" grep -q "volume img1: import done" "$D/nimbusd.log"
head -c "$(stat -c %s "$src")" "$disk" | md5sum >"$D/a"
md5sum <"$src" >"$D/b"
check "the exported bytes equal the file's" cmp -s "$D/a" "$D/b"
check "the rest of the volume reads zeros" bash -c "tail -c +$(( $(stat -c %s "$src") + 1 )) '$disk' | cmp -s - <(head -c $((4194304 - $(stat -c %s "$src"))) /dev/zero)"
check "a snapshot of the imported volume is allowed now" N volume snapshot img1 snap1

# --- --wait: progress printed until done -------------------------------------------
big=$D/big.img
head -c 16777216 /dev/urandom >"$big"
head -c 8388608 /dev/zero >>"$big"
head -c 8388608 /dev/urandom >>"$big"
N volume import img3 "$big" --wait 60 >"$D/wait3.out" 2>"$D/wait3.err" &
WAITER=$!
lab_wait 10 N volume show img3 >/dev/null || not_ok "img3 was not created"
a3=$(N volume show img3 -o json)
truncate -s 32M "$D/backing3"
lab_bg tgt "$D/aoetd3.log" "$NIMBUS_BIN/aoetd" -C "$D/t3.sock" "$(jq -r .shelf <<<"$a3")" \
	"$(jq -r .slot <<<"$a3")" eth0 "$D/backing3"
sleep 1
v="$v,$(vol img3 33554432)"
check "sn1 exports img3" report_ok 1 "$v"
check "sn2 exports img3" report_ok 2 "$v"
wait "$WAITER"; rc=$?
check "import --wait exits 0 when done" test "$rc" = 0
check "--wait printed the import's progress" grep -q "^importing img3: [0-9]*% (" "$D/wait3.err"
check "--wait said how long it took" grep -q "^imported after" "$D/wait3.out"
check "img3's exported bytes equal the file's" cmp -s "$big" "$D/backing3"
note "progress lines: $(grep -c importing "$D/wait3.err")"

# --- restart mid-import: failed, not ready ---------------------------------------
lab_stop "$NIMBUSD_PID"
start_nimbusd "$D/nimbusd.conf"
check "img2, importing at the restart, is import-failed" test "$(state img2)" = import-failed
check "show says nimbusd restarted" bash -c "'$NIMBUS_BIN/nimbus' -s '$SOCK' volume show img2 | grep -q 'nimbusd restarted during the import'"
check "the log says so" grep -q "marked failed" "$D/nimbusd.log"
check "the failed import can be deleted" N volume delete img2
