#!/usr/bin/env bash
# aoetd_rw.sh - read/write/verify across a whole aoetd export with the
# userspace initiator: every sector including the last one, one past the end
# (ATA IDNF, nothing written outside the export), the data really landing in
# the backing file at the right place (also with -o/-l), LBA28 commands,
# FLUSH, and a read-only export refusing writes.
# timeout: 180
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"

bench() { lab_in c "$B" "$@" -i eth0; }
ready() { bench config read -t "$1" --timeout 100 --retries 0 -q; }

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000

# 16387 sectors: not a multiple of 17 (or 2), so the last frame is short.
SECT=16387
disk=$LAB_DIR/disk.img
truncate -s $((SECT * 512)) "$disk"
lab_bg t "$LAB_DIR/aoetd-rw.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/rw.sock" 1 2 eth0 "$disk"
rw_pid=$LAB_PID
lab_wait 10 ready 1.2 || lab_fail "aoetd e1.2 did not answer Query Config (log: $(tail -3 "$LAB_DIR/aoetd-rw.log"))"
ok "aoetd e1.2 answers Query Config"

check "IDENTIFY reports $SECT sectors and LBA48" \
	expect 0 "sectors=$SECT .*lba48=1" bench identify -t 1.2
check "write the whole export (pattern 11)" \
	expect 0 "$SECT sectors from 0 ok" bench write -t 1.2 --pattern 11
check "verify the whole export" expect 0 "" bench verify -t 1.2 --pattern 11
check "verify with another seed fails at LBA 0" \
	expect 6 "LBA 0 differs" bench verify -t 1.2 --pattern 12
check "read the whole export with 28-bit commands" \
	expect 0 "" bench verify -t 1.2 --pattern 11 --lba28

# What the initiator reads is byte for byte what is in the file.
bench read -t 1.2 --output "$LAB_DIR/readback" -q
check "data read over AoE equals the backing file" cmp "$disk" "$LAB_DIR/readback"

last=$((SECT - 1))
check "write the last sector alone" \
	expect 0 "" bench write -t 1.2 --offset $last --count 1 --pattern 99
check "verify the last sector" \
	expect 0 "" bench verify -t 1.2 --offset $last --count 1 --pattern 99
check "the sector before the last is untouched" \
	expect 0 "" bench verify -t 1.2 --offset $((last - 1)) --count 1 --pattern 11
check "read of the last sector and one past it: ATA IDNF" \
	expect 4 "LBA $last \\(\\+2\\): ATA status 0x[0-9a-f]+ error 0x[0-9a-f]*1[0-9a-f] \\(IDNF" \
	bench read -t 1.2 --offset $last --count 2 --retries 1
check "read entirely past the end: ATA IDNF" \
	expect 4 "IDNF" bench read -t 1.2 --offset $SECT --count 1 --retries 1
check "write of the last sector and one past it: ATA IDNF" \
	expect 4 "IDNF" bench write -t 1.2 --offset $last --count 2 --pattern 5 --retries 1
check "write at LBA 2^47: ATA IDNF" \
	expect 4 "IDNF" bench write -t 1.2 --offset $((1 << 47)) --count 1 --retries 1
check "backing file did not grow" test "$(stat -c %s "$disk")" = $((SECT * 512))
check "failed write left the last sector as it was" \
	expect 0 "" bench verify -t 1.2 --offset $last --count 1 --pattern 99
check "FLUSH CACHE EXT succeeds" expect 0 "" bench flush -t 1.2

# An export inside the file: -o 8 -l 100.
part=$LAB_DIR/part.img
head -c $((200 * 512)) /dev/zero >"$part"
lab_bg t "$LAB_DIR/aoetd-part.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/part.sock" -o 8 -l 100 1 4 eth0 "$part"
lab_wait 10 ready 1.4 || lab_fail "aoetd e1.4 (-o 8 -l 100) did not answer"
check "-o 8 -l 100: IDENTIFY reports 100 sectors" \
	expect 0 "sectors=100 " bench identify -t 1.4
check "-o 8 -l 100: write all 100 sectors" expect 0 "" bench write -t 1.4 --pattern 3
bench read -t 1.4 --output "$LAB_DIR/part-read" -q
dd if="$part" of="$LAB_DIR/part-file" bs=512 skip=8 count=100 status=none
check "-o 8 -l 100: data lands at sector 8 of the file" cmp "$LAB_DIR/part-read" "$LAB_DIR/part-file"
check "-o 8 -l 100: sectors 0-7 and 108-199 of the file stay zero" \
	test "$(dd if="$part" bs=512 count=8 status=none | tr -d '\0' | wc -c)$(dd if="$part" bs=512 skip=108 status=none | tr -d '\0' | wc -c)" = 00
check "-o 8 -l 100: sector 100 is out of range" \
	expect 4 "IDNF" bench read -t 1.4 --offset 100 --count 1 --retries 1

# Read-only export.
ro=$LAB_DIR/ro.img
head -c $((64 * 512)) /dev/urandom >"$ro"
sum=$(md5sum <"$ro")
lab_bg t "$LAB_DIR/aoetd-ro.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/ro.sock" -r 1 3 eth0 "$ro"
lab_wait 10 ready 1.3 || lab_fail "aoetd -r e1.3 did not answer"
bench read -t 1.3 --output "$LAB_DIR/ro-read" -q
check "read-only export reads" cmp "$ro" "$LAB_DIR/ro-read"
check "read-only export refuses writes with an ATA error" \
	expect 4 "ATA status" bench write -t 1.3 --count 1 --pattern 1 --retries 1
check "read-only backing file unchanged" test "$(md5sum <"$ro")" = "$sum"

# Both targets alive at the end (no crash on the error paths above).
check "aoetd e1.2 still running after the error cases" kill -0 "$rw_pid"

# aoe-bench's own command line: usage errors exit 2 naming the bad value.
check "aoe-bench: bad target is a usage error naming it" \
	expect 2 "bad target '70000.1'" bench read -t 70000.1
check "aoe-bench: bad --size is a usage error naming it" \
	expect 2 "bad --size '3x'" bench read -t 1.2 --size 3x
check "aoe-bench: a data command without -t is a usage error" \
	expect 2 "read needs -t SHELF.SLOT" bench read
check "aoe-bench: unknown interface named" \
	expect 1 "interface 'nosuch0'" lab_in c "$B" identify -i nosuch0 -t 1.2
check "aoe-bench --help describes the exit statuses" \
	expect 0 "Exit status: 0 ok" "$B" --help
