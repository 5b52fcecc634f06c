#!/usr/bin/env bash
# timeout: 120
# iPXE as an AoE client (issue 2): a QEMU machine network-boots with
# Debian's iPXE ROM (ipxe-qemu, -boot n), gets an address from the real
# isc-dhcpd, whose filename is an iPXE script served by in.tftpd; the script
# runs `sanboot aoe:e7.3`, and iPXE boots the disk aoetd exports. That disk
# is assembled here byte by byte (no assembler): a boot sector of 16-bit
# code that reads sector 1 through iPXE's INT 13h emulation (extended read,
# so over AoE again) and writes the text it finds there - a marker with a
# token fresh for this run - to COM1 (0x3F8) with `out`, then halts. The
# marker on the serial console proves the whole chain; a packet capture on
# the bridge proves aoetd answered iPXE's ATA IDENTIFY (aoetctl status counts
# requests and bytes, not commands) with the disk's size; aoetctl status shows
# the export served the reads.
#
#   config node "cn": isc-dhcpd + in.tftpd (tests/lib/cloud.sh) --veth--+
#   storage node "sn": aoetd 7 3 eth0 disk.img ---------------------veth-+- br0 in "sw"
#   machine "pc": QEMU, e1000 with the iPXE ROM, tap t-pc ---------------+
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
lab_init

lab_need "$CLOUD_TARGET" "$NIMBUS_TOP/scripts/provision-services" /usr/sbin/dhcpd \
	/usr/sbin/in.tftpd qemu-system-x86_64 tcpdump od
W=$LAB_DIR
SHELF=7 SLOT=3
# 16 MiB. iPXE's INT 13h guesses a geometry of 255 heads x 63 sectors for a
# disk without partitions and reads the boot sector by CHS: a disk smaller
# than one such cylinder (16065 sectors) has 0 cylinders and the read fails
# ("Boot from SAN device 0x80 failed: Input/output error", ipxe.org/1d852039).
SECTORS=32768
t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# --- the disk -----------------------------------------------------------------------
# hex FILE OFFSET HEX...: write bytes (given in hex) into FILE at OFFSET.
hex() {
	local f=$1 off=$2
	shift 2
	# shellcheck disable=SC2059 # the format is the bytes, made of \xHH only
	printf "$(printf '\\x%s' "$@")" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}
TOKEN=$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
MARKER="nimbus-sanboot: sector 1 of e$SHELF.$SLOT read by the boot sector, token $TOKEN"
disk=$W/disk.img
truncate -s $((SECTORS * 512)) "$disk" || lab_fail "cannot create $disk"
# The boot sector. iPXE loads it at 0000:7C00 and jumps there with the
# drive number (0x80) in DL. Offsets on the left are from 0x7C00.
hex "$disk" 0 \
	fa                 `# 00 cli` \
	31 c0              `# 01 xor ax, ax` \
	8e d8              `# 03 mov ds, ax` \
	8e c0              `# 05 mov es, ax` \
	8e d0              `# 07 mov ss, ax` \
	bc 00 7c           `# 09 mov sp, 0x7c00: a stack below the sector` \
	fb                 `# 0c sti: iPXE polls the NIC from the timer` \
	52                 `# 0d push dx (DL: the drive)` \
	be 47 7c           `# 0e mov si, 0x7c47 (first message)` \
	e8 17 00           `# 11 call 0x2b (print)` \
	5a                 `# 14 pop dx` \
	be 37 7c           `# 15 mov si, 0x7c37 (the disk address packet)` \
	b4 42              `# 18 mov ah, 0x42: extended read, drive DL` \
	cd 13              `# 1a int 0x13` \
	be 00 7e           `# 1c mov si, 0x7e00 (sector 1, as read)` \
	73 03              `# 1f jnc 0x24` \
	be 80 7c           `# 21 mov si, 0x7c80 (the failure message)` \
	e8 04 00           `# 24 call 0x2b (print)` \
	fa                 `# 27 cli` \
	f4                 `# 28 hlt` \
	eb fc              `# 29 jmp 0x27` \
	ba f8 03           `# 2b print: mov dx, 0x3f8 (COM1)` \
	ac                 `# 2e lodsb` \
	84 c0              `# 2f test al, al` \
	74 03              `# 31 jz 0x36` \
	ee                 `# 33 out dx, al` \
	eb f8              `# 34 jmp 0x2e` \
	c3                 `# 36 ret` \
	10 00 01 00        `# 37 disk address packet: 16 bytes, 1 sector` \
	00 7e 00 00        `# 3b to 0000:7e00` \
	01 00 00 00 00 00 00 00 `# 3f from LBA 1`
msg() { printf '%s\r\n\0' "$2" | dd of="$disk" bs=1 seek=$(($1)) conv=notrunc status=none; }
msg 0x47 "nimbus-sanboot: boot sector runs"        # up to 0x7f
msg 0x80 "nimbus-sanboot: INT 13h read of sector 1 failed"
hex "$disk" 510 55 aa
printf '%s\r\n\0' "$MARKER" | dd of="$disk" bs=512 seek=1 conv=notrunc status=none
disk_ok() {
	[ "$(od -An -tx1 -j510 -N2 "$disk" | tr -d ' \n')" = 55aa ] &&
		[ "$(head -c 1024 "$disk" | tail -c 512 | tr -d '\0\r\n')" = "$MARKER" ]
}
check "boot sector assembled: 512 bytes ending 55 aa, marker in sector 1" disk_ok

# --- the network: config node, storage node ------------------------------------------
lab_netns sw
lab_bridge sw br0
cloud_config_net cn sw br0
{ mkdir -p "$W/tftp" && chmod 755 "$W/tftp"; } || lab_fail "cannot create $W/tftp"
# in.tftpd drops to nobody: the script must be world-readable.
printf '#!ipxe\necho nimbus-ipxe: sanboot aoe:e%s.%s\nsanboot aoe:e%s.%s\n' \
	"$SHELF" "$SLOT" "$SHELF" "$SLOT" >"$W/tftp/sanboot.ipxe" && chmod 644 "$W/tftp/sanboot.ipxe"
# A minimal dhcpd.conf: every client of the subnet gets the script.
cat >"$W/dhcpd.conf" <<EOF
# tests/vm/ipxe_sanboot.sh
authoritative;
ddns-update-style none;
default-lease-time 600;
max-lease-time 600;
subnet $CLOUD_NET.0 netmask 255.255.255.0 {
	range $CLOUD_NET.100 $CLOUD_NET.199;
	next-server $CLOUD_SERVER;
	filename "sanboot.ipxe";
}
EOF
cloud_start_services
ok "isc-dhcpd and in.tftpd serve on $CLOUD_SERVER (filename sanboot.ipxe)"

cloud_storage_node sn sw br0 "$disk" "$SHELF" "$SLOT"
cloud_targets_alive sn
AOETD=0
[ "$(basename "$CLOUD_TARGET")" = aoetd ] && AOETD=1
status() { "$NIMBUS_BIN/aoetctl" -s "$W/sn.aoetd.sock" status; }
if [ "$AOETD" = 1 ]; then
	check "aoetd exports e$SHELF.$SLOT ($SECTORS sectors)" lab_wait 10 status
fi

# Every AoE and TFTP frame on the bridge, for the IDENTIFY check.
# --immediate-mode: libpcap's default TPACKET_V3 ring hands frames over a
# block at a time, and a capture this small may never fill or time out its
# first block before tcpdump is stopped (seen: 0 frames in about 1 run of
# 10 on kernel 6.18, the boot itself fine).
lab_bg sw "$W/tcpdump.log" tcpdump -i br0 -nn -U --immediate-mode -s 2048 \
	-w "$W/aoe.pcap" ether proto 0x88a2 or udp port 69
TCPDUMP=$LAB_PID
lab_wait 10 grep -q 'listening on' "$W/tcpdump.log" || lab_fail "tcpdump did not start: $(cat "$W/tcpdump.log")"

# --- the machine ----------------------------------------------------------------------
start=$(date +%s.%N)
GUEST_MEM=128 guest_start_pxe pc sw br0
if guest_wait_for pc '^nimbus-sanboot: (sector 1|INT 13h)' 60; then
	check "iPXE sanboot aoe:e$SHELF.$SLOT ran the boot sector" \
		guest_wait_for pc '^nimbus-sanboot: boot sector runs$' 0
	if guest_lines pc "^$MARKER\$" >/dev/null; then
		ok "the boot sector read sector 1 over AoE through INT 13h: its marker is on COM1 ($(since "$start") s after power-on)"
	else
		not_ok "the boot sector read sector 1 (console: $(guest_lines pc '^nimbus-sanboot: ' | tail -n 1))"
	fi
	note "power-on to the marker on COM1: $(since "$start") s"
else
	not_ok "iPXE sanboot aoe:e$SHELF.$SLOT ran the boot sector (no result on COM1 in 60 s)"
	# iPXE writes its messages to the VGA screen only: run QEMU with
	# -vga std and take a QMP screendump to read them.
	note "console: $(guest_text pc | tail -n 5)"
fi

mac=$(guest_mac pc)
lease_ip=$(grep -E "DHCPACK on [0-9.]+ to $mac" "$W/dhcpd.log" | tail -n 1 | awk '{print $3}')
check "dhcpd gave the machine an address ($mac -> ${lease_ip:-none})" test -n "$lease_ip"

# --- what the target saw --------------------------------------------------------------
sleep 0.5
lab_stop "$TCPDUMP" INT
# tcpdump's own count, printed as it stops, tells a blind capture from a
# quiet machine when the checks below fail.
note "capture: $(grep -E 'packets (captured|received|dropped)' "$W/tcpdump.log" | tr '\n' ' ')"
tftp_asked() { tcpdump -r "$W/aoe.pcap" -nn udp port 69 2>/dev/null | grep -q 'RRQ "sanboot.ipxe"'; }
check "in.tftpd was asked for the iPXE script" tftp_asked
# frames FILTER: the AoE frames matching a pcap FILTER, one per line, in hex.
frames() {
	tcpdump -r "$W/aoe.pcap" -nn -xx "ether proto 0x88a2${1:+ and ($1)}" 2>/dev/null |
		awk '/^[^\t ]/ { if (f != "") print f; f = ""; next }
		     { for (i = 2; i <= NF; i++) f = f $i } END { if (f != "") print f }'
}
# AoE ATA header: byte 14 version|flags (0x08 response), 19 command (0 ATA),
# 20-23 tag, 27 ATA command (status in a response); data from byte 36.
idreq=$(frames 'ether[14] & 0x08 = 0 and ether[19] = 0 and ether[27] = 0xec' | head -n 1)
if [ -n "$idreq" ]; then
	ok "iPXE sent ATA IDENTIFY DEVICE to e$SHELF.$SLOT"
	tag=${idreq:40:8}
	idrsp=$(frames "ether[14] & 0x08 != 0 and ether[15] = 0 and ether[20:4] = 0x$tag" | head -n 1)
	st="" lba28=""
	if [ "${#idrsp}" -ge $(( (36 + 512) * 2 )) ]; then
		st=$(( 16#${idrsp:54:2} ))
		# IDENTIFY words 60-61: the LBA28 sector count (16-bit words, little-endian).
		w=${idrsp:$(( (36 + 120) * 2 )):8}
		lba28=$(( 16#${w:6:2}${w:4:2}${w:2:2}${w:0:2} ))
	fi
	if [ -n "$st" ] && [ $((st & 0x01)) = 0 ] && [ "$lba28" = "$SECTORS" ]; then
		ok "$(basename "$CLOUD_TARGET") answered it: 512 bytes of IDENTIFY data, status 0x$(printf %02x "$st"), $lba28 sectors (tag $tag)"
	else
		not_ok "$(basename "$CLOUD_TARGET") answered the IDENTIFY (tag $tag: reply ${#idrsp} hex digits, status ${st:-?}, sectors ${lba28:-?})"
	fi
else
	not_ok "iPXE sent ATA IDENTIFY DEVICE to e$SHELF.$SLOT ($(frames '' | wc -l) AoE frames captured)"
fi
readreq='ether[14] & 0x08 = 0 and ether[19] = 0 and (ether[27] = 0x20 or ether[27] = 0x24)'
# The boot sector's INT 13h read of sector 1 goes out as its own AoE read
# (iPXE's own reads before the jump: sectors 64-67, its ISO 9660 probe, and 0).
read_lba1() { [ -n "$(frames "$readreq and ether[28] = 1 and ether[29:4] = 0 and ether[33] = 0")" ]; }
check "the boot sector's INT 13h read became an AoE read of LBA 1" read_lba1
# lba_list: each read request as LBA+COUNT (LBA bytes 28-33, little-endian).
lba_list() {
	local f lba i
	while read -r f; do
		lba=0
		for ((i = 5; i >= 0; i--)); do lba=$(( lba * 256 + 16#${f:$(( (28 + i) * 2 )):2} )); done
		printf '%s+%s ' "$lba" "$(( 16#${f:52:2} ))"
	done
}
note "AoE frames on the bridge: $(frames '' | wc -l); ATA reads from iPXE (LBA+sectors): $(frames "$readreq" | lba_list)"

if [ "$AOETD" = 1 ]; then
	status >"$W/status.txt" 2>&1
	exp=$(awk -v n="$SHELF.$SLOT" '$1 == "export" && $2 == n' "$W/status.txt")
	field() { echo "$exp" | awk -v k="$1" '{ for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }'; }
	note "aoetctl status: $exp"
	req=$(field requests) rb=$(field read_bytes) err=$(field errors)
	served() { [ "${req:-0}" -gt 0 ] && [ "${rb:-0}" -ge 1024 ] && [ "${err:-1}" = 0 ]; }
	check "aoetctl status: e$SHELF.$SLOT served requests (${req:-?}) and read >= 1024 bytes (${rb:-?}), no errors (${err:-?})" \
		served
fi
note "elapsed: $(since "$t0") s"
