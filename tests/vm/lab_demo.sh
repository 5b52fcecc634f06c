#!/usr/bin/env bash
# The `make lab` demo, end to end: `scripts/lab up` brings up two storage
# nodes and a guest that mounts their disk; the guest's console answers
# commands; with one storage node stopped the guest still writes to its disk;
# `scripts/lab down` leaves no namespace, process or file behind. Runs as a
# lab of its own (NIMBUS_LAB_ID, NIMBUS_LAB_RUN), beside any lab a developer
# has up.
# timeout: 300
set -u
. "$(dirname "$0")/../lib/lab.sh"

lab_need "${NIMBUS_AOE_TARGET:-$NIMBUS_BIN/aoetd}" socat
lab_init
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }
NIMBUS_LAB_ID=$(printf 'd%x' $$)
export NIMBUS_LAB_ID NIMBUS_LAB_RUN="$LAB_DIR/run"
lab=("$NIMBUS_TOP/scripts/lab")
# Whatever happens, take the demo down again.
lab_on_exit "${lab[0]} down"

# console_run COMMAND MARKER SECONDS: type COMMAND on the guest's console and
# wait for MARKER in its console log.
console_run() {
	printf '%s\r' "$1" | timeout 5 socat - "UNIX-CONNECT:$NIMBUS_LAB_RUN/vm.sock" >/dev/null 2>&1
	lab_wait "$3" grep -q -- "$2" "$NIMBUS_LAB_RUN/vm.console"
}

"${lab[@]}" up >"$LAB_DIR/up.log" 2>&1
rc=$?
sed 's/^/# up| /' "$LAB_DIR/up.log"
check "scripts/lab up succeeds ($(elapsed))" [ $rc = 0 ]
check "it says the lab is up and how to reach the console" \
	grep -q 'scripts/lab console' "$LAB_DIR/up.log"
check "the guest mounted the disk through two paths" \
	grep -q 'found e1.1 (256 MiB) through 2 paths' "$LAB_DIR/up.log"

"${lab[@]}" status >"$LAB_DIR/status.log" 2>&1
check "scripts/lab status shows two targets and the guest running" \
	[ "$(grep -c ': running, pid ' "$LAB_DIR/status.log")" = 3 ]

check "the guest's console runs a command" \
	console_run 'echo MARK-$((6 * 7)); cat /mnt/aoe/hello.txt' 'MARK-42' 20
check "the guest's disk holds hello.txt" \
	grep -q 'written by the nimbus lab guest' "$NIMBUS_LAB_RUN/vm.console"

"${lab[@]}" stop-node sn1 >"$LAB_DIR/stop.log" 2>&1
check "scripts/lab stop-node sn1" grep -q 'stopped' "$LAB_DIR/stop.log"
check "with sn1 stopped the guest writes 4 MiB to its disk and syncs ($(elapsed))" \
	console_run 'dd if=/dev/urandom of=/mnt/aoe/after-stop bs=1M count=4 conv=fsync 2>/dev/null && echo WROTE-$((40 + 2))' 'WROTE-42' 60
note "written after $(elapsed)"

"${lab[@]}" down >"$LAB_DIR/down.log" 2>&1
check "scripts/lab down succeeds" [ $? = 0 ]
sed 's/^/# down| /' "$LAB_DIR/down.log"
left=$(ip netns list | grep -c "^$NIMBUS_LAB_ID-")
check "no namespace of the demo is left ($left)" [ "$left" = 0 ]
check "its files are gone" [ ! -e "$NIMBUS_LAB_RUN" ]
left=0
for pid in $(grep -o 'pid [0-9]*' "$LAB_DIR/up.log" | awk '{print $2}'); do
	kill -0 "$pid" 2>/dev/null && left=$((left + 1))
done
check "no process of the demo is left ($left)" [ "$left" = 0 ]
note "elapsed $(elapsed)"
