#!/usr/bin/env bash
# aoe_write_file.sh - aoe-bench write --input FILE, the writer of a volume
# import: the range is FILE's size (tail sector zero-filled), --sparse skips
# all-zero requests (a fresh sparse backing file stays sparse and still reads
# FILE's bytes back, md5), --progress prints 'progress DONE TOTAL' lines
# ending at 100%, and a FILE larger than the export is refused naming both.
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

# An 8 MiB export on a sparse file, as a new thin volume reads zeros.
disk=$LAB_DIR/disk.img
truncate -s 8M "$disk"
lab_bg t "$LAB_DIR/aoetd.log" "$NIMBUS_BIN/aoetd" -C "$LAB_DIR/t.sock" 1 7 eth0 "$disk"
lab_wait 10 ready 1.7 || lab_fail "aoetd e1.7 did not answer Query Config (log: $(tail -3 "$LAB_DIR/aoetd.log"))"

# FILE: 1 MiB of data, a 4 MiB hole, 1 MiB of data, then 1000 bytes (not
# a sector multiple): 6 MiB + 1000 bytes. With 4 KiB requests the hole is
# exactly 1024 of them (8192 sectors) skipped.
img=$LAB_DIR/file.img
head -c 1M /dev/urandom >"$img"
truncate -s 5M "$img"
head -c 1M /dev/urandom >>"$img"
head -c 1000 /dev/urandom >>"$img"
fsize=$(stat -c %s "$img")
fsect=$(( (fsize + 511) / 512 ))

check "write --input --sparse --progress: FILE's $fsect sectors, zeros skipped" \
	expect 0 "write e1.7: $fsect sectors from 0 ok .*, 8192 zero sectors skipped\\)" \
	bench write -t 1.7 --input "$img" --sparse --progress --size 4k
cp "$LAB_DIR/out" "$LAB_DIR/write.out"
check "--progress: lines grow and end at $((fsect * 512)) of $((fsect * 512))" \
	awk -v t=$((fsect * 512)) '$1 == "progress" { if ($2 < last || $3 != t) bad = 1; last = $2; n++ }
		END { exit !(n >= 2 && !bad && last == t) }' "$LAB_DIR/write.out"
check "--sparse: the 4 MiB hole was not written (backing file allocates < 3 MiB)" \
	test "$(stat -c %b "$disk")" -lt $((3 * 2048))
bench read -t 1.7 --count $fsect --output "$LAB_DIR/back" -q
truncate -s "$fsize" "$LAB_DIR/back"
check "read back through AoE: md5 equals FILE's" \
	test "$(md5sum <"$LAB_DIR/back")" = "$(md5sum <"$img")"
check "the tail of the last sector is zero-filled" \
	test "$(dd if="$disk" bs=1 skip="$fsize" count=$((fsect * 512 - fsize)) status=none | tr -d '\0' | wc -c)" = 0

# Without --sparse every sector is written (zeros over the old data).
bench write -t 1.7 --pattern 4 -q
check "write --input without --sparse overwrites the hole with zeros" \
	expect 0 "write e1.7: $fsect sectors from 0 ok" bench write -t 1.7 --input "$img"
bench read -t 1.7 --count $fsect --output "$LAB_DIR/back2" -q
truncate -s "$fsize" "$LAB_DIR/back2"
check "read back after a full write: md5 equals FILE's" \
	test "$(md5sum <"$LAB_DIR/back2")" = "$(md5sum <"$img")"

big=$LAB_DIR/big.img
truncate -s 9M "$big"
check "a FILE larger than the export is refused, naming both" \
	expect 2 "--input $big: 18432 sectors, e1.7 has 16384" bench write -t 1.7 --input "$big"
check "--sparse without --input is a usage error" \
	expect 2 "--sparse is for write --input FILE" bench write -t 1.7 --sparse
check "a missing FILE is named" \
	expect 1 "--input $LAB_DIR/nosuch: No such file" bench write -t 1.7 --input "$LAB_DIR/nosuch"
