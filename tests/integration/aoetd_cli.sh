#!/usr/bin/env bash
# aoetd_cli.sh - aoetd's command line, configuration checks and control
# socket: bad command lines and files fail at start with one line naming the
# problem, -t says "configuration OK" for a good file, and aoetctl status /
# status -o json / reload work against a running aoetd in a namespace, whose
# SIGTERM stop is clean (exit 0, exports synced, socket removed).
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
A=$NIMBUS_BIN/aoetd
C=$NIMBUS_BIN/aoetctl
B=$NIMBUS_BIN/aoe-bench
lab_need "$A" "$C" "$B" jq socat

# expect_line RC MESSAGE COMMAND...: exit status RC and stderr+stdout exactly
# MESSAGE (one line).
expect_line() {
	local want=$1 msg=$2 rc out; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" = "$want" ] && [ "$out" = "$msg" ]; then
		return 0
	fi
	note "exit $rc (want $want)"
	note "got:  $out"
	note "want: $msg"
	return 1
}

D=$LAB_DIR
truncate -s 1M "$D/small.img"        # 2048 sectors
truncate -s 4M "$D/disk.img"
noif=nimbusnoif0                     # an interface that exists nowhere

# --- command line ---------------------------------------------------------
check "--help prints the usage and exits 0" \
	bash -c "'$A' --help >'$D/help' && grep -q '^Usage: aoetd' '$D/help' && grep -q 'SHELF SLOT IFACE' '$D/help'"
check "-V prints the version" bash -c "'$A' -V | grep -q '^aoetd [0-9]'"
check "no arguments: one line, exit 2" \
	expect_line 2 "aoetd: want SHELF SLOT IFACE PATH or -c FILE (got 0 arguments); see 'aoetd --help'" "$A"
check "shelf 65535 refused" \
	expect_line 2 "aoetd: shelf '65535' out of range 0..65534" "$A" 65535 0 lo "$D/disk.img"
check "slot 255 refused" \
	expect_line 2 "aoetd: slot '255' out of range 0..254" "$A" 1 255 lo "$D/disk.img"
check "non-numeric shelf refused" \
	expect_line 2 "aoetd: bad shelf 'one' (want a number 0..65534)" "$A" one 0 lo "$D/disk.img"
check "missing backing file named" \
	expect_line 2 "aoetd: export 1.0: $D/nope.img: No such file or directory" "$A" -t 1 0 lo "$D/nope.img"
check "unknown interface named" \
	expect_line 2 "aoetd: export 1.0: unknown interface '$noif'" "$A" -t 1 0 "$noif" "$D/disk.img"
check "offset past the end named" \
	expect_line 2 "aoetd: export 1.0: offset 4096 is past the end of $D/small.img (2048 sectors)" \
	"$A" -t -o 4096 1 0 lo "$D/small.img"
check "offset + length past the end named" \
	expect_line 2 "aoetd: export 1.0: offset 1024 + length 2048 is past the end of $D/small.img (2048 sectors)" \
	"$A" -t -o 1024 -l 2048 1 0 lo "$D/small.img"
check "bad -m MAC named" \
	expect_line 2 "aoetd: bad MAC address 'zz:zz'" "$A" -m 52:54:00:aa:00:01,zz:zz 1 0 lo "$D/disk.img"
check "buffer count 1 refused" \
	expect_line 2 "aoetd: buffer count '1' out of range 2..16384" "$A" -b 1 1 0 lo "$D/disk.img"
check "-t on a good command line" \
	expect_line 0 "configuration OK" "$A" -t -r -d -o 8 -l 16 1 0 lo "$D/disk.img"
check "positional options with -c refused" \
	expect_line 2 "aoetd: -b/-d/-s/-r/-m/-o/-l belong to the positional form; use export options in the file with -c" \
	"$A" -r -c "$D/x.conf"

# --- configuration files (-t) --------------------------------------------
conf() { printf '%b' "$2" >"$D/$1"; }
conf good.conf "# two exports\ncontrol $D/unused.sock\niface lo\nexport 1.0 $D/disk.img\nexport 1.1 $D/small.img ro offset=8 length=8 mac=52:54:00:aa:00:01 config=\"pool a\"\n"
check "-t on a good file: configuration OK" expect_line 0 "configuration OK" "$A" -t -c "$D/good.conf"
check "missing configuration file" \
	expect_line 2 "aoetd: $D/none.conf: No such file or directory" "$A" -t -c "$D/none.conf"
conf dup.conf "export 1.0 $D/disk.img iface=lo\n\nexport 1.0 $D/small.img iface=lo\n"
check "duplicate shelf.slot with both lines" \
	expect_line 2 "aoetd: $D/dup.conf:3: duplicate export 1.0 (first at line 1)" "$A" -t -c "$D/dup.conf"
conf shelf.conf "iface lo\nexport 70000.0 $D/disk.img\n"
check "shelf out of range with its line" \
	expect_line 2 "aoetd: $D/shelf.conf:2: shelf '70000' out of range 0..65534" "$A" -t -c "$D/shelf.conf"
conf slot.conf "export 1.255 $D/disk.img iface=lo\n"
check "slot out of range with its line" \
	expect_line 2 "aoetd: $D/slot.conf:1: slot '255' out of range 0..254" "$A" -t -c "$D/slot.conf"
conf iface.conf "export 1.0 $D/disk.img iface=lo\nexport 1.1 $D/disk.img iface=lo,$noif\n"
check "unknown interface with its line" \
	expect_line 2 "aoetd: $D/iface.conf:2: export 1.1: unknown interface '$noif'" "$A" -t -c "$D/iface.conf"
conf file.conf "iface lo\nexport 1.0 $D/disk.img\nexport 2.0 $D/gone.img\n"
check "missing backing file with its line" \
	expect_line 2 "aoetd: $D/file.conf:3: export 2.0: $D/gone.img: No such file or directory" "$A" -t -c "$D/file.conf"
conf off.conf "export 1.0 $D/small.img iface=lo offset=2048\n"
check "offset past the end with its line" \
	expect_line 2 "aoetd: $D/off.conf:1: export 1.0: offset 2048 is past the end of $D/small.img (2048 sectors)" "$A" -t -c "$D/off.conf"
conf opt.conf "export 1.0 $D/disk.img iface=lo readonly\n"
check "unknown option with its line" \
	expect_line 2 "aoetd: $D/opt.conf:1: unknown export option 'readonly'" "$A" -t -c "$D/opt.conf"
check "a bad file does not start aoetd either (same line, exit 2)" \
	expect_line 2 "aoetd: $D/dup.conf:3: duplicate export 1.0 (first at line 1)" "$A" -c "$D/dup.conf"

# --- a running aoetd and aoetctl --------------------------------------------
lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000
sock=$D/aoetd.sock
conf run.conf "control $sock\niface eth0\nexport 3.0 $D/disk.img\nexport 3.1 $D/small.img ro config=\"cli test\"\n"
lab_bg t "$D/aoetd.log" "$A" -c "$D/run.conf"
apid=$LAB_PID
lab_wait 10 "$C" -s "$sock" version ||
	lab_fail "aoetd did not open its control socket (log: $(tail -3 "$D/aoetd.log"))"
ok "aoetd -c runs and answers on its control socket"

check "aoetctl version" expect_line 0 "aoetd 0.1" "$C" -s "$sock" version
lab_in c "$B" write -i eth0 -t 3.0 --count 64 --pattern 5 -q
check "initiator writes 64 sectors to e3.0" test $? = 0
lab_in c "$B" verify -i eth0 -t 3.0 --count 64 --pattern 5 -q
check "initiator reads them back" test $? = 0

"$C" -s "$sock" status >"$D/status.txt"
check "status exits 0" test $? = 0
note "$(cat "$D/status.txt")"
field() { awk -v k="$1" -v n="$2" -v f="$3" '$1==k && $2==n { for (i = 3; i < NF; i += 2) if ($i == f) print $(i+1) }' "$D/status.txt"; }
check "status: e3.0 wrote 32768 bytes" test "$(field export 3.0 write_bytes)" = 32768
check "status: e3.0 read 32768 bytes" test "$(field export 3.0 read_bytes)" = 32768
check "status: e3.0 counts its requests" test "$(field export 3.0 requests)" -ge 8
check "status: e3.0 path, size and flags" \
	test "$(field export 3.0 path) $(field export 3.0 sectors) $(field export 3.0 flags)" = "$D/disk.img 8192 rw"
check "status: e3.1 read-only with its config string" \
	test "$(field export 3.1 flags) $(field export 3.1 config_len)" = "ro 8"
check "status: no errors, nothing dropped on e3.0" \
	test "$(field export 3.0 errors) $(field export 3.0 dropped)" = "0 0"
check "status: interface eth0 at mtu 9000, 17 sectors per frame" \
	test "$(field iface eth0 mtu) $(field iface eth0 sectors_per_frame) $(field iface eth0 up)" = "9000 17 1"

"$C" -s "$sock" status -o json >"$D/status.json"
check "status -o json is valid JSON" jq -e . "$D/status.json"
check "json: two exports, counters agree with the text" \
	test "$(jq -r '[.exports[].name] | join(",")' "$D/status.json") $(jq '.exports[0].write_bytes' "$D/status.json")" = "3.0,3.1 32768"
check "json: interfaces listed" test "$(jq -r '.interfaces[0].name' "$D/status.json")" = eth0

check "unknown control command answered with an error line" \
	expect_line 0 "error: unknown command 'frob' (want status, status json, reload or version)" \
	bash -c "printf 'frob\\n' | socat - 'UNIX-CONNECT:$sock'"
check "aoetctl: unknown subcommand refused (exit 2)" \
	expect_line 2 "aoetctl: unknown command 'frob' (want status, reload or version)" "$C" -s "$sock" frob
check "aoetctl: no aoetd at the socket (exit 1, names it)" \
	expect_line 1 "aoetctl: $D/none.sock: No such file or directory" "$C" -s "$D/none.sock" status
check "aoetctl: bad timeout refused, naming it (exit 2)" \
	expect_line 2 "aoetctl: bad timeout '5s' (want whole seconds, 0 to 86400)" "$C" -s "$sock" -t 5s status
# A listener that takes the connection and never answers, as a stuck aoetd
# does: aoetctl gives up after -t and says so, instead of hanging its caller.
socat -t 30 "UNIX-LISTEN:$D/mute.sock" EXEC:"sleep 29" 2>/dev/null &
mute=$!
lab_wait 5 test -S "$D/mute.sock"
t0=$(date +%s)
check "aoetctl: a silent aoetd: exit 1 after -t 1, naming the socket and the command" \
	expect_line 1 "aoetctl: $D/mute.sock: aoetd did not answer 'status' within 1 s (its loop is stuck or it is overloaded; see its log)" \
	"$C" -s "$D/mute.sock" -t 1 status
check "aoetctl: ... within a few seconds, not the listener's 20" [ $(($(date +%s) - t0)) -le 5 ]
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null

# reload through the control socket: a broken file is refused, named, and
# the running exports stay.
cp "$D/run.conf" "$D/run.good"
conf run.conf "control $sock\niface eth0\nexport 3.0 $D/disk.img\nexport 3.0 $D/small.img\n"
check "reload of a broken file refused with its line (exit 1)" \
	expect_line 1 "aoetctl: $D/run.conf:4: duplicate export 3.0 (first at line 3)" "$C" -s "$sock" reload
check "after the refused reload both exports still listed" \
	bash -c "'$C' -s '$sock' status | grep -c '^export 3\.[01] ' | grep -qx 2"
conf run.conf "control $sock\niface eth0\nexport 3.0 $D/disk.img\nexport 3.2 $D/small.img\n"
check "reload of a good file: ok" expect_line 0 "ok" "$C" -s "$sock" reload
"$C" -s "$sock" status >"$D/status.txt"
check "reload: e3.1 removed, e3.2 added" \
	test "$(awk '$1=="export" {print $2}' "$D/status.txt" | tr '\n' ' ')" = "3.0 3.2 "
check "reload: unchanged e3.0 kept its counters" test "$(field export 3.0 write_bytes)" = 32768

# SIGTERM: clean stop.
kill -TERM "$apid"
rc=0
for _ in $(seq 100); do kill -0 "$apid" 2>/dev/null || break; sleep 0.1; done
wait "$apid"; rc=$?
check "SIGTERM: aoetd exits 0" test "$rc" = 0
check "SIGTERM: every export synced (logged)" grep -q "stopped: every export synced" "$D/aoetd.log"
check "SIGTERM: control socket removed" test ! -e "$sock"
