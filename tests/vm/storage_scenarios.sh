#!/usr/bin/env bash
# timeout: 1500
# The storage agent end to end, issue 9's scenarios on one cloud, one after
# another: nimbusd (with isc-dhcpd giving the nodes their fixed addresses),
# two storage nodes booted from the storage image (-kernel/-initrd with
# pxelinux's command line; each a blank disk and a replication link on a
# bridge of its own) running nimbus-storaged run, and one client guest
# (Debian's kernel aoe driver, O_DIRECT writes) that holds every pattern it
# wrote and reads them all back after each scenario.
#  - create: `nimbus pair add p1 sn1 sn2`, `nimbus volume create vol1 --size
#    64M --wait`: thin LVs, resource files, meta-data, DRBD up without an
#    initial sync, primary, exported by both (create-to-ready measured); the
#    client sees two paths.
#  - (a) sn2's QEMU killed (SIGKILL) mid-write: the writes go on through sn1
#    (the longest write is the stall), every acknowledged write reads back;
#    sn2 started again resyncs (nimbus volume show: resyncing) and exports.
#  - (b) only the replication link cut mid-write (sn2's replication tap
#    down on the host side; a second volume, idle, on the pair as well):
#    nimbusd grants the fence to one node and
#    refuses the other (its message), the loser stops exporting (time from
#    the cut measured), the winner serves on; the link back, the resync
#    ends, both halves are byte-identical (md5 of each node's backing LV over
#    the DRBD device's size, typed on its console) and equal what the
#    client reads; every acknowledged write reads back.
#  - (c) nimbusd stopped and started on the same database, then sn1
#    rebooted: same shelf.slot, minor and port, no lv-create/create-md/
#    new-current-uuid on either node, vol1 ready again, the data reads back.
#  - grow to 96M: the client sees the new size after its next discovery and
#    writes beyond the old end; snapshot s1: its own shelf.slot, two paths,
#    read-only (a write fails), content the volume's at that instant while
#    the volume is written after it; import of a file with holes (both
#    nodes' halves hold its bytes), refused for a missing file and a taken
#    name; refusals with their messages (delete
#    of a volume with a snapshot, of a volume an image names as its root,
#    pair remove with volumes, shrinking); delete: s1 and vol1 gone from both
#    nodes' LVs and aoetd exports.
#
# Topology (namespaces): "sw" holds br0 (management and AoE) and br1
# (replication); "cn" is the config node on a veth into br0.
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
. "$NIMBUS_TOP/tests/lib/storage.sh"
lab_init
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" /usr/sbin/dhcpd /usr/sbin/in.tftpd \
	qemu-system-x86_64 socat busybox jq
declare -A half

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
quiet() { "$@" >>"$LAB_DIR/commands.log" 2>&1; }
t_all=$(date +%s.%N)

storage_pair_cloud 512M || exit 1
boot() { storage_pair_boot "$1"; }

t0=$(date +%s.%N)
if cloud_nimbus volume create vol1 --size 64M --wait 240 >"$LAB_DIR/create.out" 2>&1; then
	t_create=$(since "$t0")
	ok "volume create vol1 --size 64M --wait: ready (exported by both) in $t_create s"
else
	not_ok "volume vol1 ready within 240 s"
	sed 's/^/#   /' "$LAB_DIR/create.out"
	for n in sn1 sn2; do guest_lines "$n" 'agent:' | tail -n 25 | sed "s/^/# $n: /"; done
	exit 1
fi
sed 's/^/#   /' "$LAB_DIR/create.out"
for n in sn1 sn2; do guest_lines "$n" 'agent: .*volume vol1' | sed "s/^/# $n: /"; done
cloud_nimbus -o json volume show vol1 >"$LAB_DIR/vol1.json" 2>&1
AOE=$(sed -n 's/.*"aoe": *"\(e[0-9.]*\)".*/\1/p' "$LAB_DIR/vol1.json" | head -n 1)
note "vol1 is $AOE"
[ -n "$AOE" ] || { not_ok "vol1 has an AoE address"; exit 1; }

# --- the client ------------------------------------------------------------------
# One guest for every scenario: it waits on its console for the host's
# "go-..." lines between them. Regions of vol1 (MiB): 0-8 the first pattern,
# 8-32 written during (a), 32-56 during (b), 80-81 after the grow.
CHUNKS=24
{
	echo "AOE=$AOE CHUNKS=$CHUNKS"
	cat <<'CLIENT'
. /lib/nimbus-guest.sh
D=/dev/etherd/$AOE
md5() { md5sum | cut -d' ' -f1; }
# chunks FILE BASE-MIB WORD: FILE written 1 MiB at a time from BASE; after
# chunk 3 prints WORD (the host acts on it). Sets ACKED and MAX (ms).
chunks() {
	ACKED=0 MAX=0
	for i in $(seq 0 $((CHUNKS - 1))); do
		t0=$(uptime_ms)
		dd if=$1 of=$D bs=1M skip=$i seek=$(($2 + i)) count=1 oflag=direct conv=notrunc 2>/dev/null || break
		t1=$(uptime_ms)
		ACKED=$((i + 1))
		echo "chunk $i written in $((t1 - t0)) ms"
		[ $((t1 - t0)) -gt $MAX ] && MAX=$((t1 - t0))
		[ $i = 3 ] && { echo "$3"; sleep 3; }
	done
}
# readback WHAT: every region written so far reads back.
readback() {
	got=$(dd if=$D bs=1M count=8 iflag=direct 2>/dev/null | md5)
	[ "$got" = "$(md5 </tmp/pat)" ] || { echo "mismatch in 0-8 MiB"; return 1; }
	if [ -f /tmp/a ]; then
		got=$(dd if=$D bs=1M skip=8 count=$CHUNKS iflag=direct 2>/dev/null | md5)
		[ "$got" = "$(md5 </tmp/a)" ] || { echo "mismatch in 8-32 MiB"; return 1; }
	fi
	if [ -f /tmp/b ]; then
		got=$(dd if=$D bs=1M skip=32 count=$CHUNKS iflag=direct 2>/dev/null | md5)
		[ "$got" = "$(md5 </tmp/b)" ] || { echo "mismatch in 32-56 MiB"; return 1; }
	fi
	return 0
}
rediscover() { aoe_discover; sleep 2; aoe_discover; sleep 2; }
sectors() { cat "/sys/block/etherd!$1/size"; }

aoe_discover
if aoe_wait_dev $D 60; then ok "client: $AOE appeared"; else not_ok "client: $AOE appeared"; exit 1; fi
rediscover
note "paths to $AOE: $(aoe_paths $AOE)"
check "two paths to $AOE (one per storage node)" [ "$(aoe_paths $AOE)" -ge 2 ]
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
check "wrote 8 MiB (O_DIRECT)" dd if=/tmp/pat of=$D bs=1M oflag=direct 2>/dev/null
check "read the pattern back" readback

# (a) the host kills sn2 after chunk 3.
dd if=/dev/urandom of=/tmp/a.all bs=1M count=$CHUNKS 2>/dev/null
chunks /tmp/a.all 8 kill-now
echo "stall-a-ms: $MAX"
check "(a) all $CHUNKS chunks acknowledged with sn2 killed" [ "$ACKED" = $CHUNKS ]
head -c $((ACKED << 20)) /tmp/a.all >/tmp/a
check "(a) every acknowledged write reads back (through sn1 alone)" readback
echo "a-done"

# (b) sn2 is back; the host cuts the replication link after chunk 3.
wait_go go-b
rediscover
note "(b) paths to $AOE before the cut: $(aoe_paths $AOE)"
check "(b) two paths again after sn2's restart" [ "$(aoe_paths $AOE)" -ge 2 ]
dd if=/dev/urandom of=/tmp/b.all bs=1M count=$CHUNKS 2>/dev/null
chunks /tmp/b.all 32 cut-now
echo "stall-b-ms: $MAX"
check "(b) all $CHUNKS chunks acknowledged with the replication link cut" [ "$ACKED" = $CHUNKS ]
head -c $((ACKED << 20)) /tmp/b.all >/tmp/b
check "(b) every acknowledged write reads back (through the fence's winner)" readback
echo "b-done"

# After the resync: the whole device as the client reads it, to compare
# with each node's half.
wait_go go-c
rediscover
check "(b) every acknowledged write reads back after the resync" readback
echo "WHOLE $(dd if=$D bs=1M iflag=direct 2>/dev/null | md5)"
echo "c-done"

# (c) after nimbusd's restart and sn1's reboot.
wait_go go-d
rediscover
check "(c) every acknowledged write reads back after nimbusd's restart and sn1's reboot" readback
check "(c) two paths after sn1's reboot" [ "$(aoe_paths $AOE)" -ge 2 ]
# The size before the grow: the driver may learn the new one from any
# discovery response before go-grow arrives.
old=$(sectors $AOE)
echo "d-done"

# grow: the host has grown vol1; the new size after a discovery.
wait_go go-grow
aoe_discover
for _ in $(seq 1 30); do [ "$(sectors $AOE)" != "$old" ] && break; sleep 1; aoe_discover; done
new=$(sectors $AOE)
echo "SIZE $old $new"
check "grow: $AOE larger after a discovery ($old -> $new sectors)" [ "$new" -gt "$old" ]
dd if=/dev/urandom of=/tmp/g bs=1M count=1 2>/dev/null
check "grow: 1 MiB written at 80 MiB, beyond the old end" dd if=/tmp/g of=$D bs=1M seek=80 oflag=direct conv=notrunc 2>/dev/null
check "grow: it reads back" [ "$(dd if=$D bs=1M skip=80 count=1 iflag=direct 2>/dev/null | md5)" = "$(md5 </tmp/g)" ]
check "grow: the earlier regions read back" readback
want=$(dd if=$D bs=1M iflag=direct 2>/dev/null | md5)
echo "pre-snap"

# snapshot: the host has made s1 and says its address.
wait_go go-snap
SNAP=$arg
dd if=/dev/urandom of=/tmp/n bs=1M count=4 2>/dev/null
check "snapshot: vol1 written after the snapshot (4 MiB at 0)" dd if=/tmp/n of=$D bs=1M oflag=direct conv=notrunc 2>/dev/null
rediscover
if aoe_wait_dev /dev/etherd/$SNAP 60; then ok "snapshot: $SNAP appeared"; else not_ok "snapshot: $SNAP appeared"; fi
rediscover
note "snapshot: paths to $SNAP: $(aoe_paths $SNAP)"
check "snapshot: two paths to $SNAP" [ "$(aoe_paths $SNAP)" -ge 2 ]
n=$(sectors $AOE)
snapsum() { dd if=/dev/etherd/$SNAP bs=1M iflag=direct 2>/dev/null | head -c $((n * 512)) | md5; }
snap=$(snapsum)
check "snapshot: $SNAP holds vol1 as it was at the snapshot" [ "$snap" = "$want" ]
check "snapshot: vol1 holds the later write" [ "$(dd if=$D bs=1M count=4 iflag=direct 2>/dev/null | md5)" = "$(md5 </tmp/n)" ]
if dd if=/tmp/n of=/dev/etherd/$SNAP bs=4k count=1 oflag=direct 2>/dev/null; then
	not_ok "snapshot: a write to $SNAP is refused (read-only)"
else
	ok "snapshot: a write to $SNAP is refused (read-only)"
fi
snap2=$(snapsum)
check "snapshot: $SNAP unchanged after the refused write" [ "$snap2" = "$want" ]
echo "client-done"
CLIENT
} >"$LAB_DIR/client.sh"

# count NAME REGEX: how many console lines of NAME match.
count() { guest_lines "$1" "$2" | wc -l; }
state() { cloud_nimbus -o json volume show "$1" 2>/dev/null | jq -r .state; }
field() { cloud_nimbus -o json volume show "$1" 2>/dev/null | jq -r "$2"; }
# wait_state VOL STATE SECONDS
wait_state() {
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -lt "$end" ]; do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 1
	done
	return 1
}
# node_out NODE TAG COMMAND: type COMMAND on NODE's console with its output
# on one line "TAG-N output"; prints the output. Called in $(...), so the
# tags are random, not counted. A console that does not answer (a command
# stuck, or typed characters lost while the guest was busy: the shell then
# waits for the rest of a quote or parenthesis and swallows every later
# line) gets a Ctrl-C, which ends either, and the command once more; what
# the console showed goes to the log.
node_out() { guest_out "$@"; }
# wait_resynced TAG: poll volume show (at most 300 s) until vol1 is ready,
# noting what it said of the resync when it first showed one (seen_sync).
wait_resynced() {
	seen_sync=""
	for _ in $(seq 1 300); do
		cloud_nimbus volume show vol1 >"$LAB_DIR/show.out" 2>&1
		if grep -qiE 'resync|SyncTarget|SyncSource' "$LAB_DIR/show.out" && [ -z "$seen_sync" ]; then
			seen_sync=$(grep -iE 'resync|%' "$LAB_DIR/show.out" | head -n 3 | tr '\n' ' ')
			note "$1 during the resync: $seen_sync"
		fi
		[ "$(state vol1)" = ready ] && return 0
		sleep 1
	done
	return 1
}
# Typed slowly (storage_type): the client's UART drops what comes faster
# under load ("go-snap e10.1" once arrived as "go-snap " and the client
# waited for ever).
go() { storage_type cl "$1"; }
fail_dump() {
	cloud_nimbus volume show vol1 2>&1 | sed 's/^/#   /'
	for n in sn1 sn2; do guest_lines "$n" 'agent:|fence|drbd' | tail -n 30 | sed "s/^/# $n: /"; done
	storage_console_tail cl 20
}
# must_refuse WHAT PATTERN COMMAND...: the CLI fails and says PATTERN.
must_refuse() {
	local what=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1); rc=$?
	note "$what: exit $rc: $out"
	check "$what: refused with its reason" test "$rc" != 0 -a -n "$(grep -E -- "$pat" <<<"$out")"
}

GUEST_MEM=384 GUEST_APPEND="nimbus.modopt.aoe=aoe_deadsecs=60" guest_start cl sw br0 "$LAB_DIR/client.sh"

# --- (a) sn2 killed mid-write ---------------------------------------------------
if guest_wait_for cl '^kill-now' 300; then
	kill -9 "$(guest_pid sn2)"
	ok "(a) sn2's QEMU killed (SIGKILL) while the client writes"
else
	not_ok "client reached the kill point"; fail_dump; exit 1
fi
guest_wait_for cl '^a-done' 400 || { not_ok "client finished (a)"; fail_dump; exit 1; }
stall_a=$(guest_lines cl '^stall-a-ms: ' | awk '{ print $2 }')
note "(a) longest 1 MiB write (the stall on node loss): ${stall_a:-?} ms"
guest_lines sn1 'agent: .*(fence|granted|refused)' | sed 's/^/# sn1: /'
cloud_nimbus volume show vol1 2>&1 | sed 's/^/#   /'

cp "$(guest_console sn2)" "$LAB_DIR/sn2.console.1"
t_back=$(date +%s.%N)
boot sn2
wait_resynced "(a)"
if [ "$(state vol1)" = ready ]; then
	t_resync_a=$(since "$t_back")
	ok "(a) sn2 back: resynced and both export vol1 again, $t_resync_a s after its restart"
else
	not_ok "(a) vol1 ready again after sn2's restart"; fail_dump; exit 1
fi
# A resync of a few MiB can end between two 1 s polls of volume show; the
# agent's log of it is the other witness.
[ -n "$seen_sync" ] || note "(a) the resync ended between two polls of volume show"
check "(a) sn2 resynced (volume show, or its agent: 'resync finished')" \
	test -n "$seen_sync" -o -n "$(guest_lines sn2 'agent: .*volume vol1: resync finished')"
guest_lines sn2 'agent: .*volume vol1' | sed 's/^/# sn2: /'

# --- (b) the replication link cut mid-write -----------------------------------
# idle1 gets no client I/O: when the link goes, the loser unexports a
# volume whose DRBD device holds every I/O (frozen by the fencing) and
# nothing of it is in flight in aoetd, so aoetd closes it at once (its
# closing fdatasync once blocked aoetd's loop, and every later reload:
# the loser then never stepped down).
check "volume create idle1 --size 16M --wait (no client I/O)" quiet cloud_nimbus volume create idle1 --size 16M --wait 240
# sn2 was started again by a new QEMU: its console log starts afresh.
RE_GONE='agent: .*volume vol1: no longer exported'
RE_IDLE_GONE='agent: .*volume idle1: no longer exported'
c_idle1=$(count sn1 "$RE_IDLE_GONE") c_idle2=$(count sn2 "$RE_IDLE_GONE")
c_gone1=$(count sn1 "$RE_GONE") c_gone2=$(count sn2 "$RE_GONE")
c_fence1=$(count sn1 'fence-peer vol1: (granted|refused)') c_fence2=$(count sn2 'fence-peer vol1: (granted|refused)')
go go-b
if guest_wait_for cl '^cut-now' 300; then
	ip -n "$(lab_ns sw)" link set t1-sn2 down
	t_cut=$(date +%s.%N)
	ok "(b) replication link cut (sn2's tap t1-sn2 down) while the client writes"
else
	not_ok "(b) client reached the cut"; fail_dump; exit 1
fi
loser="" t_loser=""
end=$(($(date +%s) + 120))
while [ -z "$loser" ] && [ "$(date +%s)" -lt "$end" ]; do
	[ "$(count sn1 "$RE_GONE")" -gt "$c_gone1" ] && loser=sn1
	[ "$(count sn2 "$RE_GONE")" -gt "$c_gone2" ] && loser=${loser:+both}${loser:-sn2}
	[ -n "$loser" ] && t_loser=$(since "$t_cut") || sleep 0.2
done
if [ -n "$loser" ] && [ "$loser" != both ]; then
	ok "(b) $loser stopped exporting vol1 $t_loser s after the cut"
else
	not_ok "(b) exactly one node stopped exporting (got: '${loser:-none}')"; fail_dump
fi
winner=$([ "$loser" = sn1 ] && echo sn2 || echo sn1)
# Each volume has its own fence: idle1's may go to the other node.
idle_loser() {
	local a b
	a=$([ "$(count sn1 "$RE_IDLE_GONE")" -gt "$c_idle1" ] && echo 1 || echo 0)
	b=$([ "$(count sn2 "$RE_IDLE_GONE")" -gt "$c_idle2" ] && echo 1 || echo 0)
	case $a$b in 10) echo sn1 ;; 01) echo sn2 ;; 11) echo both ;; esac
}
idle_gone() { [ -n "$(idle_loser)" ]; }
lab_wait 60 idle_gone
iloser=$(idle_loser)
note "(b) idle1's fence: $(guest_lines sn1 'fence-peer idle1: (granted|refused)' | tail -n 1 | sed 's/.*fence-peer/sn1: fence-peer/'); $(guest_lines sn2 'fence-peer idle1: (granted|refused)' | tail -n 1 | sed 's/.*fence-peer/sn2: fence-peer/')"
check "(b) exactly one node stopped exporting the idle volume idle1 (${iloser:-none})" \
	[ "$iloser" = sn1 -o "$iloser" = sn2 ]
check "(b) ${iloser:-its loser}'s aoetd answers (aoetctl status)" \
	test "$(node_out "${iloser:-sn1}" AOETD "aoetctl -s /run/aoetd.sock status >/dev/null 2>&1 && echo answers")" = answers
guest_wait_for cl '^b-done' 400 || { not_ok "(b) client finished"; fail_dump; exit 1; }
stall_b=$(guest_lines cl '^stall-b-ms: ' | awk '{ print $2 }')
note "(b) longest 1 MiB write across the cut: ${stall_b:-?} ms"
sleep 2
for n in sn1 sn2; do guest_lines "$n" 'fence-peer vol1' | tail -n 2 | sed "s/^/# $n: /"; done
f1=$(guest_lines sn1 'fence-peer vol1: (granted|refused)' | tail -n +$((c_fence1 + 1)))
f2=$(guest_lines sn2 'fence-peer vol1: (granted|refused)' | tail -n +$((c_fence2 + 1)))
fw=$([ "$winner" = sn1 ] && echo "$f1" || echo "$f2")
fl=$([ "$winner" = sn1 ] && echo "$f2" || echo "$f1")
check "(b) the fence granted to $winner" grep -q 'granted' <<<"$fw"
# The console may drop characters of a line while the kernel prints (seen:
# "holds  lock drbd0: ..."): the handler's line is read from the node's log
# file.
refusal=$(node_out "$loser" REFUSAL "grep 'fence-peer vol1: refused: ' /var/log/nimbus-storaged.log | tail -n 1 | sed 's/.*refused: //'")
check "(b) the fence refused to $loser, naming the holder (its log: $refusal)" \
	grep -qE "^$winner holds vol1" <<<"$refusal"
check "(b) $loser's console shows the refusal" grep -q 'refused' <<<"$fl"
check "(b) nimbusd logged the refusal" grep -qE "fence: volume vol1 refused to $loser: $winner holds vol1" "$LAB_DIR/nimbusd.log"
check "(b) $winner kept exporting vol1" [ "$(count "$winner" "$RE_GONE")" -eq "$([ "$winner" = sn1 ] && echo "$c_gone1" || echo "$c_gone2")" ]
check "(b) volume show: degraded while the link is down" [ "$(state vol1)" = degraded ]
cloud_nimbus volume show vol1 2>&1 | sed 's/^/#   /'

ip -n "$(lab_ns sw)" link set t1-sn2 up
t_link=$(date +%s.%N)
wait_resynced "(b)"
if [ "$(state vol1)" = ready ]; then
	t_resync_b=$(since "$t_link")
	ok "(b) link back: resynced, fence released, both export vol1, $t_resync_b s after the link returned"
else
	not_ok "(b) vol1 ready again after the link returned"; fail_dump; exit 1
fi
check "(b) the fence is released" [ "$(field vol1 .fence)" = null ]
check "(b) idle1 ready again (both export it)" wait_state idle1 ready 120
check "volume delete idle1" quiet cloud_nimbus volume delete idle1
go go-c
guest_wait_for cl '^c-done' 300 || { not_ok "(b) client read back after the resync"; fail_dump; exit 1; }
whole=$(guest_lines cl '^WHOLE ' | awk '{ print $2 }')
MINOR=$(field vol1 .minor)
for n in sn1 sn2; do
	half[$n]=$(node_out "$n" HALF "head -c \$((\$(cat /sys/block/drbd$MINOR/size) * 512)) /dev/nimbus/vol1 | md5sum")
	note "(b) $n's half (backing LV over /dev/drbd$MINOR's size): ${half[$n]}"
done
check "(b) both halves byte-identical after the resync" [ "${half[sn1]%% *}" = "${half[sn2]%% *}" ]
check "(b) and equal to what the client reads ($whole)" [ "${half[sn1]%% *}" = "$whole" ]

# --- (c) nimbusd restarted, sn1 rebooted ---------------------------------------
RE_MAKE='agent: .*volume vol1: (lv-create|create-md|new-current-uuid)'
before=$(field vol1 '"\(.aoe) \(.minor) \(.port)"')
m1=$(count sn1 "$RE_MAKE") m2=$(count sn2 "$RE_MAKE")
lab_stop "${CLOUD_PID[nimbusd]}"
check "(c) nimbusd stopped (SIGTERM, by its PID)" bash -c "! kill -0 ${CLOUD_PID[nimbusd]} 2>/dev/null"
cloud_start_nimbusd "$LAB_DIR/nimbusd-2.log"
ok "(c) nimbusd started again on the same database"
sleep 5
check "(c) vol1 still ready after nimbusd's restart" wait_state vol1 ready 60
check "(c) same AoE address, minor and port after nimbusd's restart ($before)" \
	[ "$(field vol1 '"\(.aoe) \(.minor) \(.port)"')" = "$before" ]
cp "$(guest_console sn1)" "$LAB_DIR/sn1.console.1"
nboot=$(guest_lines sn1 'nimbus-storage: starting' | wc -l)
storage_type sn1 "sync; reboot -f"
t_reboot=$(date +%s.%N)
if lab_wait 300 storage_boot_has sn1 $((nboot + 1)) 'nimbus-storage: agent started'; then
	ok "(c) sn1 rebooted, its agent started $(since "$t_reboot") s after the reboot"
else
	not_ok "(c) sn1's agent started after its reboot"; fail_dump; exit 1
fi
sleep 3
if wait_state vol1 ready 300; then
	t_ready_c=$(since "$t_reboot")
	ok "(c) vol1 ready again $t_ready_c s after sn1's reboot"
else
	not_ok "(c) vol1 ready again after sn1's reboot"; fail_dump; exit 1
fi
storage_boot_lines sn1 $((nboot + 1)) 'agent: .*volume vol1' | sed 's/^/# sn1 after its reboot: /'
check "(c) sn1 brought vol1 up again from its LV ('up' after the reboot)" \
	storage_boot_has sn1 $((nboot + 1)) 'agent: .*volume vol1: up '
check "(c) nothing recreated: no lv-create, create-md or new-current-uuid on either node" \
	[ "$(count sn1 "$RE_MAKE")" = "$m1" -a "$(count sn2 "$RE_MAKE")" = "$m2" ]
check "(c) same AoE address, minor and port after the reboot ($before)" \
	[ "$(field vol1 '"\(.aoe) \(.minor) \(.port)"')" = "$before" ]
go go-d
guest_wait_for cl '^d-done' 300 || { not_ok "(c) client read back"; fail_dump; exit 1; }

# --- grow --------------------------------------------------------------------
g1=$(count sn1 'agent: .*volume vol1: device now') g2=$(count sn2 'agent: .*volume vol1: device now')
t0=$(date +%s.%N)
check "grow vol1 --size 96M" quiet cloud_nimbus volume grow vol1 --size 96M
grown() { [ "$(count sn1 'agent: .*volume vol1: device now')" -gt "$g1" ] &&
	  [ "$(count sn2 'agent: .*volume vol1: device now')" -gt "$g2" ]; }
if lab_wait 180 grown; then
	ok "grow: both nodes serve the larger device $(since "$t0") s after the grow"
else
	not_ok "grow: both nodes serve the larger device"; fail_dump
fi
for n in sn1 sn2; do guest_lines "$n" 'agent: .*volume vol1: (lv-extend|resize|device now)' | sed "s/^/# $n: /"; done
check "grow: vol1 ready at 96M" wait_state vol1 ready 60
go go-grow
guest_wait_for cl '^pre-snap' 200 || { not_ok "grow: client done"; fail_dump; exit 1; }
note "grow: client's sectors before/after: $(guest_lines cl '^SIZE ' | cut -d' ' -f2-)"

# --- snapshot ----------------------------------------------------------------
t0=$(date +%s.%N)
check "volume snapshot vol1 s1" quiet cloud_nimbus volume snapshot vol1 s1
if wait_state s1 ready 180; then
	ok "snapshot: s1 exported by both nodes $(since "$t0") s after the request"
else
	not_ok "snapshot: s1 ready"; fail_dump
fi
SNAP=$(field s1 .aoe)
note "s1 is $SNAP (vol1 is $AOE)"
check "snapshot: its own shelf.slot" [ -n "$SNAP" -a "$SNAP" != "$AOE" ]
go "go-snap $SNAP"
if guest_wait_exit cl 400; then
	guest_report cl
else
	not_ok "client finished within 400 s"; storage_console_tail cl 30
fi
check "client ran every step" guest_wait_for cl '^client-done' 1

# --- import ------------------------------------------------------------------
# 6 MiB of random data, a 2 MiB hole, 1 MiB more, a hole to 10 MiB: the
# volume must hold exactly these bytes on both nodes (the holes as zeros).
IMG=$LAB_DIR/import.img
head -c 6M /dev/urandom >"$IMG"
dd if=/dev/urandom of="$IMG" bs=1M seek=8 count=1 conv=notrunc 2>/dev/null
truncate -s 10M "$IMG"
want=$(md5sum <"$IMG" | cut -d' ' -f1)
t0=$(date +%s.%N)
if cloud_nimbus volume import imp1 "$IMG" --pair p1 --wait 300 >"$LAB_DIR/import.out" 2>&1; then
	ok "volume import imp1 (10 MiB, holes) --wait: imported $(since "$t0") s after the request"
else
	not_ok "volume import imp1 --wait"; sed 's/^/#   /' "$LAB_DIR/import.out"; fail_dump
fi
grep -E 'importing|imported' "$LAB_DIR/import.out" | tail -n 3 | sed 's/^/#   /'
check "import: imp1 ready" wait_state imp1 ready 60
IMINOR=$(field imp1 .minor)
for n in sn1 sn2; do
	got=$(node_out "$n" IMP "head -c 10485760 /dev/drbd$IMINOR | md5sum")
	check "import: $n's imp1 holds the file's bytes ($want)" [ "${got%% *}" = "$want" ]
done
must_refuse "import of a missing file" 'No such file' cloud_nimbus volume import imp2 "$LAB_DIR/no-such.img"
must_refuse "import under a taken name" 'imp1' cloud_nimbus volume import imp1 "$IMG"

# --- refusals and delete -------------------------------------------------------
must_refuse "delete vol1 (it has a snapshot)" 'in use by snapshot s1' cloud_nimbus volume delete vol1
quiet cloud_nimbus image add rootimg --kernel images/storage/vmlinuz --initrd images/storage/initrd.gz \
	--cmdline "nimbus.root=$SNAP"
must_refuse "delete s1 (an image names it as its root)" 'image rootimg names it as its root' \
	cloud_nimbus volume delete s1
quiet cloud_nimbus image remove rootimg
must_refuse "grow vol1 to 32M (smaller)" '.' cloud_nimbus volume grow vol1 --size 32M
must_refuse "grow s1 (a snapshot)" '.' cloud_nimbus volume grow s1 --size 128M
must_refuse "pair remove p1 (it holds volumes)" 'vol1' cloud_nimbus pair remove p1
RE_RM='agent: .*volume (vol1|s1|imp1): lv-remove'
r1=$(count sn1 "$RE_RM") r2=$(count sn2 "$RE_RM")
t0=$(date +%s.%N)
check "volume delete s1" quiet cloud_nimbus volume delete s1
check "volume delete vol1 (no snapshot left)" quiet cloud_nimbus volume delete vol1
check "volume delete imp1" quiet cloud_nimbus volume delete imp1
removed() { [ "$(count sn1 "$RE_RM")" -ge $((r1 + 3)) ] && [ "$(count sn2 "$RE_RM")" -ge $((r2 + 3)) ]; }
if lab_wait 180 removed; then
	ok "delete: both nodes removed vol1's, s1's and imp1's LVs $(since "$t0") s after the delete"
else
	not_ok "delete: both nodes removed the LVs"; fail_dump
fi
sleep 2
for n in sn1 sn2; do
	lvs=$(node_out "$n" LVS "lvs --noheadings -o lv_name nimbus | tr -d ' ' | tr '\n' ,")
	ex=$(node_out "$n" EXPORTS "aoetctl -s /run/aoetd.sock status | grep -c '^export'")
	note "delete: $n's LVs: $lvs; aoetd exports: $ex"
	check "delete: $n has none of vol1, s1, imp1 as LV" test -z "$(grep -E '(^|,)(vol1|s1|imp1),' <<<"$lvs")" -a "$lvs" != "(no answer)"
	check "delete: $n's aoetd exports nothing" [ "$ex" = 0 ]
done
check "delete: volume list is empty" test -z "$(cloud_nimbus -o json volume list | jq -r '.volumes[]?.name')"
note "create-to-ready ${t_create} s; (a) stall ${stall_a:-?} ms, resync-to-ready ${t_resync_a:-?} s; (b) stall ${stall_b:-?} ms, loser ($loser) stopped exporting ${t_loser:-?} s after the cut, resync-to-ready ${t_resync_b:-?} s after the link returned; (c) ready ${t_ready_c:-?} s after sn1's reboot; whole test $(since "$t_all") s; load $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
