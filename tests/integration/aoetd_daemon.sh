#!/usr/bin/env bash
# aoetd_daemon.sh - aoetd's daemon behaviour around the protocol: an
# announcement when a link comes up, sectors per frame following an MTU
# change at run time, SIGHUP while another export is busy (it is not
# disturbed), a disk that fills up (ATA error, aoetd survives), O_DIRECT on
# a 4096-byte-sector device (unaligned requests still served), and SIGTERM
# in the middle of writes and of O_DIRECT reads (exit 0, exports synced).
# timeout: 180
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
A=$NIMBUS_BIN/aoetd
C=$NIMBUS_BIN/aoetctl
B=$NIMBUS_BIN/aoe-bench
lab_need "$A" "$C" "$B" tcpdump losetup
D=$LAB_DIR
bench() { lab_in c "$B" "$@" -i eth0; }
field() { "$C" -s "$sock" status | awk -v k="$1" -v n="$2" -v f="$3" '$1==k && $2==n { for (i = 3; i < NF; i += 2) if ($i == f) print $(i+1) }'; }
write_verify() { bench write "$@" -q && bench verify "$@" -q; }
# stop_clean PID: SIGTERM, wait, succeed when it exited 0.
stop_clean() {
	local rc
	kill -TERM "$1" 2>/dev/null || return 1
	for _ in $(seq 150); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1"; rc=$?
	[ "$rc" = 0 ] || note "exit status $rc"
	[ "$rc" = 0 ]
}

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000
lab_veth t eth1 c eth1 1500
truncate -s 64M "$D/a.img"
truncate -s 16M "$D/b.img"
sock=$D/aoetd.sock
printf 'control %s\niface eth0\nexport 5.0 %s\n' "$sock" "$D/a.img" >"$D/aoetd.conf"
lab_bg t "$D/aoetd.log" "$A" -c "$D/aoetd.conf"
apid=$LAB_PID
lab_wait 10 "$C" -s "$sock" version || lab_fail "aoetd did not start: $(tail -3 "$D/aoetd.log")"

# --- announcement when the link comes up ----------------------------------
# --immediate-mode: without it libpcap's TPACKET_V3 ring may hold a lone
# frame in an unfinished block (see tests/vm/ipxe_sanboot.sh).
lab_bg c "$D/tcpdump.log" tcpdump -n -i eth0 -c 1 --immediate-mode \
	-w "$D/announce.pcap" 'ether proto 0x88a2 and ether dst ff:ff:ff:ff:ff:ff'
tpid=$LAB_PID
lab_wait 10 grep -q 'listening on' "$D/tcpdump.log" ||
	lab_fail "tcpdump did not start: $(cat "$D/tcpdump.log")"
ip -n "$(lab_ns t)" link set eth0 down
ip -n "$(lab_ns t)" link set eth0 up
lab_wait 10 bash -c "! kill -0 $tpid 2>/dev/null"
check "link up: aoetd broadcasts an announcement (captured on the peer)" \
	bash -c "tcpdump -n -r '$D/announce.pcap' 2>/dev/null | grep -q ."
check "link up: logged" grep -q "interface eth0: announced 1 export" "$D/aoetd.log"

# --- MTU change at run time -------------------------------------------------
ip -n "$(lab_ns t)" link set eth0 mtu 1500
ip -n "$(lab_ns c)" link set eth0 mtu 1500
spf_is() { [ "$(field iface eth0 sectors_per_frame)" = "$1" ]; }
lab_wait 5 spf_is 2
check "MTU 1500 at run time: 2 sectors per frame in status" test "$(field iface eth0 sectors_per_frame)" = 2
scnt_is() { bench config read -t 5.0 | grep -q "scnt=$1 "; }
check "MTU 1500 at run time: Query Config says scnt=2" scnt_is 2
ip -n "$(lab_ns t)" link set eth0 mtu 9000
ip -n "$(lab_ns c)" link set eth0 mtu 9000
lab_wait 5 spf_is 17
check "MTU 9000 again: 17 sectors per frame" spf_is 17

# --- SIGHUP while another export is busy -----------------------------------
bench write -t 5.0 --pattern 11 -q || not_ok "initial write to e5.0"
lab_bg c "$D/busy.log" "$B" seq-read -i eth0 -t 5.0 --seconds 4
busy=$LAB_PID
sleep 1
printf 'control %s\niface eth0\nexport 5.0 %s\nexport 5.1 %s iface=eth0,eth1\n' "$sock" "$D/a.img" "$D/b.img" >"$D/aoetd.conf"
kill -HUP "$apid"
lab_wait 10 bench identify -t 5.1 -q
check "SIGHUP during I/O: new export e5.1 answers" test $? = 0
wait "$busy"; rc=$?
note "$(cat "$D/busy.log")"
check "SIGHUP during I/O: the busy export's reader finished without error" test "$rc" = 0
check "SIGHUP during I/O: e5.0 data intact" bench verify -t 5.0 --pattern 11 -q
check "two interfaces: e5.1 written through eth0 (MTU 9000)" bench write -t 5.1 --pattern 6 -q
check "two interfaces: e5.1 verified through eth1 (MTU 1500)" \
	lab_in c "$B" verify -i eth1 -t 5.1 --pattern 6 -q
check "two interfaces: e5.0 (eth0 only) not visible on eth1" \
	bash -c "! ip netns exec '$(lab_ns c)' '$B' identify -i eth1 -t 5.0 --timeout 100 --retries 1 -q 2>/dev/null"
check "two interfaces: status lists eth1 at 2 sectors per frame" \
	test "$(field iface eth1 sectors_per_frame)" = 2

# --- SIGTERM in the middle of writes -----------------------------------------
lab_bg c "$D/w.log" "$B" seq-write -i eth0 -t 5.0 --seconds 10 --retries 1 --timeout 100
w=$LAB_PID
sleep 1.5
check "SIGTERM during writes: aoetd exits 0" stop_clean "$apid"
check "SIGTERM during writes: every export synced" grep -q "stopped: every export synced" "$D/aoetd.log"
lab_stop "$w"

# --- positional form: SIGHUP re-reads the backing file's size ----------------
truncate -s 1M "$D/grow.img"
sock=$D/grow.sock
lab_bg t "$D/grow.log" "$A" -C "$sock" 5 4 eth0 "$D/grow.img"
gpid=$LAB_PID
lab_wait 10 "$C" -s "$sock" version || lab_fail "positional aoetd did not start"
truncate -s 2M "$D/grow.img"
kill -HUP "$gpid"
sectors_is() { [ "$(field export 5.4 sectors)" = "$1" ]; }
lab_wait 5 sectors_is 4096
check "positional SIGHUP: grown file seen (4096 sectors)" sectors_is 4096
check "positional SIGHUP: IDENTIFY reports the new size" \
	bash -c "ip netns exec '$(lab_ns c)' '$B' identify -i eth0 -t 5.4 | grep -q 'sectors=4096 '"
check "positional SIGHUP: the new last sector is writable" \
	write_verify -t 5.4 --offset 4095 --count 1 --pattern 8
check "positional: clean stop" stop_clean "$gpid"

# --- a disk that fills up -----------------------------------------------------
mkdir "$D/small"
mount -t tmpfs -o size=1m nimbus-test "$D/small" || lab_fail "cannot mount a small tmpfs"
lab_on_exit umount "$D/small"
truncate -s 8M "$D/small/sparse.img"
sock=$D/full.sock
lab_bg t "$D/full.log" "$A" -C "$sock" 5 2 eth0 "$D/small/sparse.img"
fpid=$LAB_PID
lab_wait 10 "$C" -s "$sock" version || lab_fail "aoetd on the small tmpfs did not start"
bench write -t 5.2 --retries 1 --timeout 100 >"$D/full.out" 2>&1
rc=$?
check "disk full: the initiator gets an ATA error, not silence (exit $rc)" \
	grep -q "UNC" "$D/full.out"
check "disk full: aoetd still running" kill -0 "$fpid"
check "disk full: errors counted" test "$(field export 5.2 errors)" -gt 0
check "disk full: written data before the limit reads back" \
	bench verify -t 5.2 --count 256 --pattern 0 -q
check "disk full: clean stop" stop_clean "$fpid"

# --- O_DIRECT on a device with 4096-byte sectors --------------------------------
dd if=/dev/urandom of="$D/l.img" bs=1M count=8 status=none
loop=$(losetup --sector-size 4096 -f --show "$D/l.img") || lab_fail "cannot set up a loop device"
lab_on_exit losetup -d "$loop"
sock=$D/loop.sock
lab_bg t "$D/loop.log" "$A" -d -C "$sock" 5 3 eth0 "$loop"
lpid=$LAB_PID
lab_wait 10 "$C" -s "$sock" version || lab_fail "aoetd -d on $loop did not start"
bench read -t 5.3 --offset 1 --count 3 --output "$D/l.out" -q
check "4K-sector device, O_DIRECT: 3 sectors at LBA 1 read" \
	cmp <(dd if="$D/l.img" bs=512 skip=1 count=3 status=none) "$D/l.out"
check "4K-sector device, O_DIRECT: unaligned write then verify" \
	write_verify -t 5.3 --offset 5 --count 7 --pattern 4
check "4K-sector device: the fallback is logged once" \
	test "$(grep -c 'O_DIRECT refused' "$D/loop.log")" = 1

# --- SIGTERM in the middle of O_DIRECT reads ------------------------------------
lab_bg c "$D/r.log" "$B" rand-read -i eth0 -t 5.3 --qd 32 --seconds 10 --retries 1 --timeout 100
r=$LAB_PID
sleep 1.5
check "SIGTERM during O_DIRECT reads: aoetd exits 0" stop_clean "$lpid"
lab_stop "$r"
check "SIGTERM during O_DIRECT reads: every export synced" \
	grep -q "stopped: every export synced" "$D/loop.log"
