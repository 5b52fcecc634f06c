#!/usr/bin/env bash
# aoetd_reload.sh - SIGHUP re-reads the configuration file: a new export
# appears, a removed one goes silent, and the unchanged one keeps serving
# during the reload (a verify loop runs across it without a failure) and
# keeps its run-time state. A changed line takes effect; an unchanged line
# whose backing file grew serves the new size; a broken file is refused and
# the running exports stay.
# timeout: 180
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$NIMBUS_BIN/aoetctl" "$B"

bench() { lab_in c "$B" "$@" -i eth0; }
ready() { bench config read -t "$1" --timeout 100 --retries 0 -q; }
quick="--timeout 100 --retries 2"

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000
for n in 0 1 2; do truncate -s 8M "$LAB_DIR/d$n.img"; done
conf=$LAB_DIR/aoetd.conf
sock=$LAB_DIR/aoetd.sock
cat >"$conf" <<CONF
# reload test, generation 1
control $sock
iface eth0
export 6.0 $LAB_DIR/d0.img
export 6.1 $LAB_DIR/d1.img
CONF
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -c "$conf"
apid=$LAB_PID
lab_wait 10 ready 6.0 || lab_fail "aoetd -c: e6.0 did not answer (log: $(tail -3 "$LAB_DIR/aoetd.log"))"
lab_wait 10 ready 6.1 || lab_fail "aoetd -c: e6.1 did not answer"
ok "aoetd -c serves e6.0 and e6.1"

check "e6.0 write" expect 0 "" bench write -t 6.0 --pattern 60
check "e6.1 write" expect 0 "" bench write -t 6.1 --pattern 61
check "e6.0 config string set before reload" expect 0 "" bench config set -t 6.0 "keep-me"

# Keep e6.0 busy across the reload: a verify loop with a short retransmit
# budget (about 1.5 s), so a stall or a lost request fails it.
(
	end=$(( $(date +%s) + 5 )) runs=0
	while [ "$(date +%s)" -lt "$end" ]; do
		lab_in c "$B" verify -i eth0 -t 6.0 --pattern 60 --timeout 100 --retries 3 -q ||
			{ echo "fail after $runs runs"; exit 1; }
		runs=$((runs + 1))
	done
	echo "runs $runs"
) >"$LAB_DIR/loop.out" 2>&1 &
loop=$!
sleep 1

cat >"$conf" <<CONF
# reload test, generation 2: 6.1 removed, 6.2 added
control $sock
iface eth0
export 6.0 $LAB_DIR/d0.img
export 6.2 $LAB_DIR/d2.img
CONF
kill -HUP "$apid"
check "new export e6.2 answers after SIGHUP" lab_wait 10 ready 6.2
check "removed export e6.1 is silent" expect 5 "no answer" bench config read -t 6.1 $quick
wait "$loop"; rc=$?
note "verify loop: $(cat "$LAB_DIR/loop.out")"
check "e6.0 kept serving during the reload (verify loop passed)" \
	test "$rc" = 0 -a -n "$(grep '^runs [1-9]' "$LAB_DIR/loop.out")"
check "e6.0 kept its config string" expect 0 "cfg='keep-me'" bench config read -t 6.0
check "e6.2 write and verify" expect 0 "" bench write -t 6.2 --pattern 62
check "e6.2 verify" expect 0 "" bench verify -t 6.2 --pattern 62
check "aoetctl status lists e6.0 and e6.2, not e6.1" \
	bash -c "s=\$('$NIMBUS_BIN/aoetctl' -s '$sock' status) && grep -q '^export 6.0 ' <<<\"\$s\" && grep -q '^export 6.2 ' <<<\"\$s\" && ! grep -q '^export 6.1 ' <<<\"\$s\""

# A changed line replaces that export: 6.2 becomes read-only.
sed -i "s|^export 6.2 .*|export 6.2 $LAB_DIR/d2.img ro|" "$conf"
kill -HUP "$apid"
changed() { bench write -t 6.2 --count 1 --pattern 1 --retries 1 -q; [ $? = 4 ]; }
check "changed line: e6.2 now refuses writes" lab_wait 10 changed
check "changed line: e6.2 data intact" expect 0 "" bench verify -t 6.2 --pattern 62

# A broken file is refused as a whole.
cp "$conf" "$conf.good"
echo "export 70000.1 $LAB_DIR/d1.img" >>"$conf"
echo "export 6.1 $LAB_DIR/d1.img" >>"$conf"
kill -HUP "$apid"
sleep 1
check "broken file: aoetd still running" kill -0 "$apid"
check "broken file: e6.1 was not added" expect 5 "no answer" bench config read -t 6.1 $quick
check "broken file: e6.0 still serves" expect 0 "" bench verify -t 6.0 --pattern 60
check "broken file: the error is logged with its line" grep -q "70000" "$LAB_DIR/aoetd.log"

cp "$conf.good" "$conf"
# An unchanged line whose backing file grew (a volume grown under its
# export): the reload takes the new size, the data stays.
truncate -s 12M "$LAB_DIR/d0.img"
kill -HUP "$apid"
grown() { bench identify -t 6.0 | grep -q ' sectors=24576 '; }
check "grown backing file: e6.0 identifies with the new size after the reload" lab_wait 10 grown
check "grown backing file: the size change is logged" grep -q "export 6.0: size now 24576 sectors" "$LAB_DIR/aoetd.log"
check "grown backing file: e6.0 data intact" expect 0 "" bench verify -t 6.0 --pattern 60 --count 16384
