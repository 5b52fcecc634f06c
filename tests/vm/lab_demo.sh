#!/usr/bin/env bash
# `make lab` end to end: `scripts/lab up` brings up the virtual cloud - a
# config node (nimbusd, isc-dhcpd, in.tftpd), two storage nodes (QEMU
# machines PXE-booted into role storage, pair p1; the hardware-node image
# imported into volume dom0-base and shared read-only as its snapshot
# dom0-root) and hardware nodes hw1 and hw2, which PXE-boot Xen and dom0
# with their root on dom0-root - then imports template debian12 and starts
# instance inst1 on hw1 (its disk a clone of the template, created through
# nimbusd and hw1's agent nimbus-hostd), and returns once inst1 answers
# ping. `nimbus instance migrate` moves inst1 live to hw2 and back (the
# agents' libvirt certificates from nimbusd's CA), with the ping gap at
# 10 ms pings printed. The commands it prints work (the nimbus CLI on its
# socket, scripts/lab status, the console); with storage machine sn1
# powered off dom0's root and inst1 keep
# answering, and sn1 powered on again boots and serves dom0-root again;
# `scripts/lab down` leaves no namespace, process or file behind. Then the
# small storage demo (`up --storage-only`: a guest mounts a disk through two
# aoetd) comes up and goes down. Runs as a lab of its own (NIMBUS_LAB_ID,
# NIMBUS_LAB_RUN), beside any lab a developer has up.
# timeout: 1800
set -u
. "$(dirname "$0")/../lib/lab.sh"

lab_need "${NIMBUS_AOE_TARGET:-$NIMBUS_BIN/aoetd}" "$NIMBUS_BIN/nimbus" socat jq
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }
NIMBUS_LAB_ID=$(printf 'd%x' $$)
RUN=$LAB_DIR/run
export NIMBUS_LAB_ID NIMBUS_LAB_RUN=$RUN
lab=("$NIMBUS_TOP/scripts/lab")
# Whatever happens, take the lab down again.
lab_on_exit "${lab[0]} down"
nimbus() { "$NIMBUS_BIN/nimbus" --socket "$RUN/nimbusd.sock" "$@"; }
vol() { nimbus -o json volume show "$1" 2>/dev/null | jq -r "$2"; }
inst() { nimbus -o json instance show inst1 2>/dev/null | jq -r "$1"; }
inst_pings() { ip netns exec "$NIMBUS_LAB_ID-user" ping -q -c 3 -W 2 10.78.0.10 >/dev/null 2>&1; }
heartbeats() { tr -d '\r' <"$RUN/hw1.console" | grep -cE 'nimbus-heartbeat [0-9]+: root .* read ok'; }

# down_leaves_nothing WHAT: `scripts/lab down` and the checks that it ended
# every process of the state file and removed the namespaces and files.
down_leaves_nothing() {
	local what=$1 pids pid left rc
	pids=$(awk '$1 == "pid" { print $2 }' "$RUN/state" 2>/dev/null)
	"${lab[@]}" down >"$LAB_DIR/down.$what.log" 2>&1
	rc=$?
	sed "s/^/# down| /" "$LAB_DIR/down.$what.log"
	check "$what: scripts/lab down succeeds" [ $rc = 0 ]
	left=$(ip netns list | grep -c "^$NIMBUS_LAB_ID-")
	check "$what: no namespace of the lab is left ($left)" [ "$left" = 0 ]
	check "$what: its files are gone" [ ! -e "$RUN" ]
	left=0
	for pid in $pids; do kill -0 "$pid" 2>/dev/null && left=$((left + 1)); done
	check "$what: none of its $(wc -w <<<"$pids") processes is left ($left)" [ "$left" = 0 ]
}

# --- make lab: the cloud -----------------------------------------------------------

"${lab[@]}" up >"$LAB_DIR/up.log" 2>&1
rc=$?
sed 's/^/# up| /' "$LAB_DIR/up.log"
check "scripts/lab up succeeds ($(elapsed))" [ $rc = 0 ]
[ $rc = 0 ] || exit 1
t_boot=$(sed -n 's/.*\[\([0-9]*\) s\] nimbusd: hw1 reported booted.*/\1/p' "$LAB_DIR/up.log")
check "it measured hw1's boot, power-on to booted (${t_boot:-?} s)" [ -n "$t_boot" ]
note "make lab: scripts/lab up took $(elapsed); hw1 booted ${t_boot:-?} s after power-on"
for how in "nimbus --socket $RUN/nimbusd.sock" 'scripts/lab console' \
	'volume show dom0-root' 'scripts/lab stop-node sn1' 'scripts/lab start-node sn1' 'scripts/lab down'; do
	check "it says how to use the lab: $how" grep -qF -- "$how" "$LAB_DIR/up.log"
done

nimbus -o json node show hw1 >"$LAB_DIR/hw1.json" 2>&1
check "nimbus node show hw1 says booted" grep -qE '"state": *"booted"' "$LAB_DIR/hw1.json"
check "nimbus node show hw1 has both AoE paths" grep -qE '"aoe_path_count": *"2"' "$LAB_DIR/hw1.json"
check "nimbus node show hw1 has the Xen version from dom0's report" \
	grep -qE '"xen_version": *"4\.[0-9]+' "$LAB_DIR/hw1.json"
mac=$(sed -n 's/.*"mac": *"\([0-9a-f:]*\)".*/\1/p' "$LAB_DIR/hw1.json" | head -n 1)
check "dhcpd (real isc-dhcpd) answered hw1's MAC ${mac:-?}" \
	grep -q "DHCPACK on .* to ${mac:-none}" "$RUN/dhcpd.log"
check "role hw boots image hwnode" eval 'nimbus role list | grep -qE "hw .*hwnode"'

"${lab[@]}" status >"$LAB_DIR/status.log" 2>&1
sed 's/^/# status| /' "$LAB_DIR/status.log"
check "scripts/lab status shows nimbusd, dhcpd, in.tftpd and the QEMU of sn1, sn2, hw1 and hw2 running" \
	[ "$(grep -cE '^(nimbusd|dhcpd|in\.tftpd|qemu-system-x86_64) .*: running, pid ' "$LAB_DIR/status.log")" = 7 ]
note "volumes: $(nimbus volume list 2>&1 | tr '\n' ';')"
check "volume dom0-base (the imported image) is ready on pair p1" [ "$(vol dom0-base .state)/$(vol dom0-base .pair)" = ready/p1 ]
check "its snapshot dom0-root is exported by both storage nodes" \
	[ "$(vol dom0-root '[.nodes[] | select(.exported)] | length')" = 2 ]
root=$(vol dom0-root .aoe)
check "role hw's image boots dom0-root ($root)" eval 'nimbus image show hwnode | grep -q "nimbus.root=$root"'
check "volume show dom0-root says image hwnode uses it" eval 'nimbus volume show dom0-root | grep -q hwnode'
check "hw1's dom0 bridged its third NIC as the instance network, without AoE" \
	grep -qE 'nimbus-dom0-network: instbr0 on eth2 .*AoE only on xenbr0 eth0 eth1\)' "$RUN/hw1.console"
check "hw1's console socket streams dom0's root heartbeats" \
	eval 'timeout 12 socat -u "UNIX-CONNECT:$RUN/hw1.sock" - 2>/dev/null | grep -q -m 1 nimbus-heartbeat'

# --- the instance make lab started ---------------------------------------------------
for step in "template debian12 imported" "instance inst1 created on hw1" "instance inst1 runs on hw1" \
	"answers ping from"; do
	check "scripts/lab up says: $step ($(grep -F "$step" "$LAB_DIR/up.log" | head -n 1 | sed 's/^lab: *//'))" \
		grep -qF "$step" "$LAB_DIR/up.log"
done
note "instances: $(nimbus instance list 2>&1 | tr '\n' ';')"
check "nimbus node show hw1: its agent reports, libvirt answers, it can run instances, domain inst1 running" \
	[ "$(nimbus -o json node show hw1 | jq -r '[.host.reporting, .host.libvirt, .host.can_run_instances, (.host.domains[] | select(.name == "inst1") | .state)] | join(" ")')" = "true true yes running" ]
check "nimbus instance show inst1: running on hw1, observed there" \
	[ "$(inst '.state + " " + .node + " " + .observed.node + " " + .observed.domain')" = "running hw1 hw1 running" ]
check "its disk inst1-disk is a clone of template debian12's volume, ready" \
	[ "$(vol inst1-disk '.kind + " " + .origin + " " + .state')" = "clone debian12 ready" ]
check "its history has its creation and start" \
	eval 'nimbus instance show inst1 | grep -qE "created, to start" && nimbus instance show inst1 | grep -qE "started"'
check "inst1 answers ping from the instance network's host" inst_pings
check "template debian12 says inst1 was cloned from it" \
	eval 'nimbus template show debian12 | grep -qE "instances: 1: inst1"'
check "template remove debian12 is refused while inst1 exists, naming it" \
	eval '! nimbus template remove debian12 2>&1 | grep -q "^removed" && nimbus template remove debian12 2>&1 | grep -q "instance inst1"'

# --- live migration through nimbusd and the agents -------------------------------------
# migrate NAME ARGS...: `nimbus instance migrate inst1 ARGS --wait` while
# the instance network's host pings inst1 every 10 ms; RC, TOOK (s), GAP
# (the longest time between two answers, ms) and LOST (%).
migrate() {
	local name=$1 log=$LAB_DIR/ping-$1.log pid t0
	shift
	ip netns exec "$NIMBUS_LAB_ID-user" ping -D -i 0.01 10.78.0.10 >"$log" 2>&1 &
	pid=$!
	sleep 2
	t0=$(date +%s.%N)
	nimbus instance migrate inst1 "$@" --wait 600 >"$LAB_DIR/migrate-$name.log" 2>&1
	RC=$?
	TOOK=$(awk -v s="$t0" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }')
	sleep 2
	kill -INT "$pid"; wait "$pid"
	GAP=$(awk -F'[][]' '/bytes from/ { t = $2 + 0; if (p && t - p > g) g = t - p; p = t }
		END { printf "%.0f", g * 1000 }' "$log")
	LOST=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$log")
	sed 's/^/# migrate| /' "$LAB_DIR/migrate-$name.log"
}
hw_has_inst1() { nimbus -o json node show "$1" | jq -e '.host.domains[] | select(.name == "inst1")' >/dev/null; }
for leg in "hw1 hw2 --to hw2" "hw2 hw1"; do
	set -- $leg
	from=$1 to=$2
	shift 2
	migrate "$from-$to" "$@"
	note "migration $from -> $to (nimbus instance migrate $*): ${TOOK} s in all, longest ping gap ${GAP} ms at 10 ms pings, ${LOST:-?}% lost"
	check "nimbus instance migrate inst1 $* --wait: done ($from -> $to)" [ "$RC" = 0 ]
	check "inst1 runs on $to, observed there" \
		[ "$(inst '.node + " " + .observed.node + " " + .observed.domain + " " + .state')" = "$to $to running running" ]
	check "$from's agent no longer has inst1" eval '! hw_has_inst1 $from'
	check "inst1 answers ping on $to" inst_pings
	check "instance show inst1: migration $from -> $to done, with its time" \
		[ "$(inst '.migrations[0] | .from + " " + .to + " " + .state + " " + (.total_ms > 0 | tostring)')" = "$from $to done true" ]
done
check "the history has both migrations" eval '[ "$(nimbus instance show inst1 | grep -c "migrated to")" = 2 ]'
check "a migration to the node it runs on is refused (same-node)" \
	eval 'nimbus -o json instance migrate inst1 --to hw1 2>/dev/null | jq -e ".reason == \"same-node\"" >/dev/null'

# --- maintenance: one storage node stops --------------------------------------------

before=$(heartbeats)
stopped=$(date +%s)
"${lab[@]}" stop-node sn1 >"$LAB_DIR/stop.log" 2>&1
check "scripts/lab stop-node sn1 powers it off" grep -q 'powered sn1 off' "$LAB_DIR/stop.log"
if lab_wait 90 eval '[ "$(heartbeats)" -ge $((before + 4)) ]'; then
	ok "dom0's root keeps answering with sn1 off (4 heartbeats in $(( $(date +%s) - stopped )) s)"
else
	not_ok "dom0's root keeps answering with sn1 off ($(( $(heartbeats) - before )) heartbeats in 90 s)"
	# What dom0 (aoe driver, reports) and the surviving storage node said.
	for n in hw1 sn2; do
		note "$n's console, last lines:"
		tr -cd '\11\12\40-\176' <"$RUN/$n.console" | tail -n 25 | cut -c1-200 | sed 's/^/#   /'
	done
fi
check "nimbusd still has hw1 booted" eval 'nimbus -o json node show hw1 | grep -qE "\"state\": *\"booted\""'
check "inst1 still answers ping with sn1 off" inst_pings
started=$(date +%s)
"${lab[@]}" start-node sn1 >"$LAB_DIR/start.log" 2>&1
check "scripts/lab start-node sn1 powers it on" grep -q 'powered sn1 on' "$LAB_DIR/start.log"
"${lab[@]}" status >"$LAB_DIR/status2.log" 2>&1
check "sn1's QEMU runs again" grep -q '^qemu-system-x86_64 (sn1): running' "$LAB_DIR/status2.log"
# The node PXE-boots, its agent brings dom0-base and dom0-root up from its
# disk and exports them again.
exported_both() { [ "$(vol dom0-root '[.nodes[] | select(.exported)] | length')" = 2 ] && [ "$(vol dom0-base .state)" = ready ]; }
if lab_wait 400 exported_both; then
	ok "sn1 serves again: dom0-base ready, dom0-root exported by both, $(( $(date +%s) - started )) s after power-on"
else
	not_ok "sn1 serves again after power-on"; nimbus volume show dom0-base 2>&1 | sed 's/^/#   /'
fi
check "dom0's root still answers" eval '[ "$(heartbeats)" -gt "$before" ]'
check "inst1 still answers ping" inst_pings

down_leaves_nothing cloud
note "cloud lab: up, checks, maintenance and down in $(elapsed)"

# --- the storage demo ----------------------------------------------------------------

t1=$(date +%s)
"${lab[@]}" up --storage-only >"$LAB_DIR/up-storage.log" 2>&1
rc=$?
sed 's/^/# up --storage-only| /' "$LAB_DIR/up-storage.log"
check "scripts/lab up --storage-only succeeds ($(( $(date +%s) - t1 )) s)" [ $rc = 0 ]
check "its guest mounted the disk through two paths" \
	grep -q 'found e1.1 (256 MiB) through 2 paths' "$LAB_DIR/up-storage.log"
down_leaves_nothing storage-only
note "elapsed $(elapsed)"
