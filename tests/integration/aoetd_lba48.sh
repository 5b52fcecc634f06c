#!/usr/bin/env bash
# aoetd_lba48.sh - an export larger than 2^28 sectors (a sparse file):
# IDENTIFY reports the 48-bit capacity, writes across the 2^28 boundary and
# at the very end verify, land at the right byte offset of the file, and one
# past the end is an ATA error.
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
B=$NIMBUS_BIN/aoe-bench
lab_need "$NIMBUS_BIN/aoetd" "$B"

bench() { lab_in c "$B" "$@" -i eth0; }
ready() { bench config read -t "$1" --timeout 100 --retries 0 -q; }

lab_netns t
lab_netns c
lab_veth t eth0 c eth0 9000

L28=$((1 << 28))
SECT=$((L28 + 4096))          # 128 GiB + 2 MiB, sparse
disk=$LAB_DIR/big.img
truncate -s $((SECT * 512)) "$disk" || lab_fail "cannot create a sparse $((SECT / 2048)) MiB file"
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/aoetd.sock" 5 1 eth0 "$disk"
lab_wait 10 ready 5.1 || lab_fail "aoetd e5.1 did not answer (log: $(tail -3 "$LAB_DIR/aoetd.log"))"

check "IDENTIFY: LBA48 capacity $SECT sectors" \
	expect 0 "sectors=$SECT .*lba48=1" bench identify -t 5.1
start=$((L28 - 40))
check "write 80 sectors across the 2^28 boundary" \
	expect 0 "" bench write -t 5.1 --offset $start --count 80 --pattern 48
check "verify them" expect 0 "" bench verify -t 5.1 --offset $start --count 80 --pattern 48
check "sector 2^28 alone verifies (LBA48 high bits decoded)" \
	expect 0 "" bench verify -t 5.1 --offset $L28 --count 1 --pattern 48
# The sector at 2^28 must be at byte 2^37 of the file, not wrapped to 0.
bench read -t 5.1 --offset $L28 --count 1 --output "$LAB_DIR/s28" -q
dd if="$disk" of="$LAB_DIR/f28" bs=512 skip=$L28 count=1 status=none
check "sector 2^28 is at byte offset 2^37 of the backing file" cmp "$LAB_DIR/s28" "$LAB_DIR/f28"
check "sector 0 of the file is still zero (no wrap-around)" \
	test "$(dd if="$disk" bs=512 count=1 status=none | tr -d '\0' | wc -c)" = 0
last=$((SECT - 1))
check "write the last 17 sectors" \
	expect 0 "" bench write -t 5.1 --offset $((SECT - 17)) --count 17 --pattern 49
check "verify the last sector" expect 0 "" bench verify -t 5.1 --offset $last --count 1 --pattern 49
check "the last sector plus one: ATA IDNF" \
	expect 4 "IDNF" bench read -t 5.1 --offset $last --count 2 --retries 1
check "LBA 2^40: ATA IDNF" \
	expect 4 "IDNF" bench read -t 5.1 --offset $((1 << 40)) --count 1 --retries 1
check "backing file size unchanged" test "$(stat -c %s "$disk")" = $((SECT * 512))
