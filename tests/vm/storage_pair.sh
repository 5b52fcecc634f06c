#!/usr/bin/env bash
# timeout: 900
# Two storage nodes booted from the storage image, with a replication link
# of their own (a second NIC on a second bridge), one DRBD 8.4 resource set
# up by hand on a thin LV of each: protocol C, allow-two-primaries, the
# initial sync of the blank volume skipped (new-current-uuid
# --clear-bitmap), both primary; each node's aoetd (running from boot with
# no exports) is given /dev/drbd0 as e1.0 with O_DIRECT by a reload. A
# third guest's kernel aoe driver sees two paths to e1.0, writes a random
# pattern through them and reads it back; each storage node then reads the
# same pattern from its own copy.
#
# Topology (namespaces): "sw" holds br0 (management and AoE: both nodes'
# first NIC, the client, a veth to "cfg" with udhcpd and the report
# listener) and br1 (replication: both nodes' second NIC, 10.88.0.0/24).
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
. "$NIMBUS_TOP/tests/lib/storage.sh"
lab_init
lab_need qemu-system-x86_64 socat busybox

PATTERN_MB=8
since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }

storage_image
lab_netns sw; lab_bridge sw br0; lab_bridge sw br1
storage_services cfg sw br0

start=$(date +%s.%N)
for n in st1 st2; do
	truncate -s 512M "$LAB_DIR/$n-disk.img"
	storage_boot "$n" sw br0 "$LAB_DIR/$n-disk.img"
	storage_second_nic "$n" sw br1
done
for n in st1 st2; do
	if guest_wait_for "$n" 'nimbus-storage: ready' 300; then
		ok "$n ready $(since "$start") s after power-on: $(guest_lines "$n" 'nimbus-storage: ready' | head -n 1)"
	else
		not_ok "$n ready"
		storage_console_tail "$n"; exit 1
	fi
	check "$n: disks prepared" storage_boot_has "$n" 1 'disks prepared: VG nimbus created'
done

# --- DRBD by hand ------------------------------------------------------------------
# The configuration, a short line at a time (see storage_type).
conf=(
	"global { usage-count no; }"
	"resource r0 {"
	" net { protocol C; allow-two-primaries yes; }"
	" device /dev/drbd0; disk /dev/nimbus/r0;"
	" meta-disk internal;"
	" on st1 { address 10.88.0.1:7789; }"
	" on st2 { address 10.88.0.2:7789; }"
	"}"
)
i=0
for n in st1 st2; do
	i=$((i + 1))
	storage_type "$n" "ip addr add 10.88.0.$i/24 dev eth1"
	storage_type "$n" "lvcreate -V 128M -T nimbus/pool -n r0"
	storage_type "$n" ": >/etc/drbd.conf"
	for l in "${conf[@]}"; do storage_type "$n" "echo '$l' >>/etc/drbd.conf"; done
	storage_type "$n" "drbdadm -- --force create-md r0"
done
for n in st1 st2; do
	check "$n: DRBD metadata created" guest_wait_for "$n" 'New drbd meta data block successfully created' 60
done
# drbd_state FIELD VALUE: on both nodes, wait (in the node's shell) until
# /proc/drbd shows FIELD:VALUE, then print "drbd-FIELD: FIELD:VALUE".
drbd_state() {
	local n
	for n in st1 st2; do
		storage_type "$n" "until grep -q $1:$2 /proc/drbd; do sleep 0.2; done; echo \"drbd-$1: \$(grep -o '$1:[A-Za-z/]*' /proc/drbd)\""
	done
}
# drbd_seen NODE FIELD VALUE SECONDS: that line on NODE's console.
drbd_seen() { guest_wait_for "$1" "^drbd-$2: $2:$3\$" "$4"; }

up=$(date +%s.%N)
for n in st1 st2; do storage_type "$n" "drbdadm up r0"; done
drbd_state cs Connected
if drbd_seen st1 cs Connected 240 && drbd_seen st2 cs Connected 60; then
	t_conn=$(since "$up")
	ok "DRBD connected over the replication link (${t_conn} s after drbdadm up on both, TCG)"
else
	not_ok "DRBD connected"
	storage_console_tail st1 20; storage_console_tail st2 20; exit 1
fi
# A blank volume needs no initial sync: both sides become UpToDate at once.
storage_type st1 "drbdadm -- --clear-bitmap new-current-uuid r0"
drbd_state ds UpToDate/UpToDate
for n in st1 st2; do
	check "$n: both disks UpToDate without a sync" drbd_seen "$n" ds UpToDate/UpToDate 60
done
for n in st1 st2; do storage_type "$n" "drbdadm primary r0"; done
drbd_state ro Primary/Primary
for n in st1 st2; do
	check "$n: both primary" drbd_seen "$n" ro Primary/Primary 60
done
# The node's aoetd runs from boot with no exports; an export line and a
# reload, as the agent will do.
for n in st1 st2; do
	storage_type "$n" "echo 'export 1.0 /dev/drbd0 iface=eth0 direct' >>/etc/nimbus/aoetd.conf"
	storage_type "$n" "aoetctl -s /run/aoetd.sock reload"
	storage_type "$n" 'echo "aoetd-exports: $(aoetctl -s /run/aoetd.sock status | grep -c "^export 1.0 ")"'
	check "$n: aoetd exports /dev/drbd0 as e1.0 after a reload" guest_wait_for "$n" '^aoetd-exports: [1-9]' 30
done

# --- the client -----------------------------------------------------------------
cat >"$LAB_DIR/client.sh" <<CLIENT
. /lib/nimbus-guest.sh
D=/dev/etherd/e1.0
aoe_discover
if aoe_wait_dev \$D 60; then ok "client: e1.0 appeared"; else not_ok "client: e1.0 appeared"; exit 1; fi
# Late answers from the second node become a second path.
sleep 2; aoe_discover; sleep 2
note "paths to e1.0: \$(aoe_paths e1.0)"
check "two paths to e1.0 (one per storage node)" [ "\$(aoe_paths e1.0)" -ge 2 ]
dd if=/dev/urandom of=/tmp/pat bs=1M count=$PATTERN_MB 2>/dev/null
want=\$(md5sum </tmp/pat | cut -d' ' -f1)
t0=\$(uptime_ms)
check "wrote $PATTERN_MB MiB (O_DIRECT)" dd if=/tmp/pat of=\$D bs=1M oflag=direct 2>/dev/null
t1=\$(uptime_ms)
got=\$(dd if=\$D bs=1M count=$PATTERN_MB iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
t2=\$(uptime_ms)
check "read the pattern back" [ "\$got" = "\$want" ]
note "write \$((t1 - t0)) ms, read \$((t2 - t1)) ms"
echo "pattern-md5: \$want"
CLIENT
tx() { lab_in sw cat "/sys/class/net/t-$1/statistics/tx_bytes"; }
tx1=$(tx st1) tx2=$(tx st2)
guest_start cl sw br0 "$LAB_DIR/client.sh"
if guest_wait_exit cl 300; then
	guest_report cl
else
	not_ok "client finished within 300 s"
	storage_console_tail cl 30
fi
d1=$(( $(tx st1) - tx1 )) d2=$(( $(tx st2) - tx2 ))
note "bytes toward the nodes during the client's run: st1 $d1, st2 $d2"
check "both storage nodes received write traffic (> 1 MiB each)" \
	eval '[ "$d1" -gt 1048576 ] && [ "$d2" -gt 1048576 ]'
want=$(guest_lines cl '^pattern-md5: ' | awk '{ print $2 }')
if [ -n "$want" ]; then
	for n in st1 st2; do
		storage_type "$n" "echo \"local-md5: \$(head -c $((PATTERN_MB << 20)) /dev/drbd0 | md5sum)\""
		check "$n's own copy holds the pattern" guest_wait_for "$n" "^local-md5: $want" 60
	done
fi
for n in st1 st2; do
	guest_lines "$n" '^drbd-[a-z]+: [a-z]+:|^local-md5' | sed "s/^/# $n: /"
done
note "DRBD connect time: ${t_conn} s"
exit 0
