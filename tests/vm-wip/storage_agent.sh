#!/usr/bin/env bash
# timeout: 900
# The storage agent end to end: nimbusd (with isc-dhcpd giving the nodes
# their fixed addresses), two storage nodes booted from the storage image
# (-kernel/-initrd with pxelinux's command line; each a blank disk and a
# replication link on a bridge of its own) running nimbus-storaged run.
# `nimbus pair add p1 sn1 sn2` and `nimbus volume create vol1 --size 64M
# --wait`: the agents create the thin LVs, resource files, meta-data, bring
# DRBD up, skip the initial sync, go primary and export; measured from
# create to ready. A client guest (Debian's kernel aoe driver) sees two
# paths, writes and reads back a pattern with O_DIRECT; then, while it
# writes, sn2's QEMU is killed (SIGKILL): the writes go on through sn1 (the
# longest write is the stall), every acknowledged write reads back. sn2 is
# started again: it resyncs (nimbus volume show: resyncing, percent) and
# exports again.
#
# Topology (namespaces): "sw" holds br0 (management and AoE) and br1
# (replication); "cn" is the config node on a veth into br0.
set -u
. "$NIMBUS_TOP/tests/lib/lab.sh"
. "$NIMBUS_TOP/tests/lib/guest.sh"
. "$NIMBUS_TOP/tests/lib/cloud.sh"
. "$NIMBUS_TOP/tests/lib/storage.sh"
lab_init
lab_need "$NIMBUS_BIN/nimbusd" "$NIMBUS_BIN/nimbus" /usr/sbin/dhcpd /usr/sbin/in.tftpd \
	qemu-system-x86_64 socat busybox

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
quiet() { "$@" >>"$LAB_DIR/commands.log" 2>&1; }
t_all=$(date +%s.%N)

storage_image
lab_netns sw; lab_bridge sw br0; lab_bridge sw br1
cloud_config_node cn sw br0
mkdir -p "$LAB_DIR/tftp/images/storage"
install -m 0644 "$STORAGE_IMG/vmlinuz" "$STORAGE_IMG/initrd.gz" "$LAB_DIR/tftp/images/storage/"
quiet cloud_nimbus image add storage --kernel images/storage/vmlinuz \
	--initrd images/storage/initrd.gz --cmdline "console=ttyS0 panic=5"
quiet cloud_nimbus role set-image storage storage
cloud_start_services
for n in sn1 sn2; do
	check "node add $n --role storage" quiet cloud_nimbus node add "$n" --mac "$(guest_mac "$n")" --role storage
done
# The nodes speak to nimbusd's report listener.
STORAGE_CFG_ADDR=$CLOUD_SERVER
STORAGE_REPORT_PORT=8080

boot() {
	storage_boot "$1" sw br0 "$LAB_DIR/$1-disk.img"
	storage_second_nic "$1" sw br1
}
start=$(date +%s.%N)
for n in sn1 sn2; do
	truncate -s 512M "$LAB_DIR/$n-disk.img"
	boot "$n"
done
for n in sn1 sn2; do
	if guest_wait_for "$n" 'nimbus-storage: agent started' 300; then
		ok "$n: agent started $(since "$start") s after power-on"
	else
		not_ok "$n: agent started"; storage_console_tail "$n"; exit 1
	fi
done
for n in sn1 sn2; do
	lab_wait 120 cloud_node_booted "$n" || { not_ok "nimbusd: $n booted"; exit 1; }
done
ok "nimbusd: both nodes booted ($(since "$start") s after power-on)"
check "pair add p1 sn1 sn2" quiet cloud_nimbus pair add p1 sn1 sn2
lab_wait 60 guest_wait_for sn1 'agent: .*replication link' 1 || note "sn1 did not log its replication address"

t0=$(date +%s.%N)
if cloud_nimbus volume create vol1 --size 64M --wait 240 >"$LAB_DIR/create.out" 2>&1; then
	t_create=$(since "$t0")
	ok "volume create vol1 --size 64M --wait: ready (exported by both) in $t_create s"
else
	not_ok "volume vol1 ready within 240 s"
	sed 's/^/#   /' "$LAB_DIR/create.out"
	for n in sn1 sn2; do guest_lines "$n" 'agent:' | tail -n 25 | sed "s/^/# $n: /"; done
	exit 1
fi
sed 's/^/#   /' "$LAB_DIR/create.out"
for n in sn1 sn2; do guest_lines "$n" 'agent: .*volume vol1' | sed "s/^/# $n: /"; done
cloud_nimbus -o json volume show vol1 >"$LAB_DIR/vol1.json" 2>&1
AOE=$(sed -n 's/.*"aoe": *"\(e[0-9.]*\)".*/\1/p' "$LAB_DIR/vol1.json" | head -n 1)
note "vol1 is $AOE"
[ -n "$AOE" ] || { not_ok "vol1 has an AoE address"; exit 1; }

# --- the client ------------------------------------------------------------------
CHUNKS=24
cat >"$LAB_DIR/client.sh" <<CLIENT
. /lib/nimbus-guest.sh
D=/dev/etherd/$AOE
aoe_discover
if aoe_wait_dev \$D 60; then ok "client: $AOE appeared"; else not_ok "client: $AOE appeared"; exit 1; fi
sleep 2; aoe_discover; sleep 2
note "paths to $AOE: \$(aoe_paths $AOE)"
check "two paths to $AOE (one per storage node)" [ "\$(aoe_paths $AOE)" -ge 2 ]
dd if=/dev/urandom of=/tmp/pat bs=1M count=8 2>/dev/null
want=\$(md5sum </tmp/pat | cut -d' ' -f1)
check "wrote 8 MiB (O_DIRECT)" dd if=/tmp/pat of=\$D bs=1M oflag=direct 2>/dev/null
got=\$(dd if=\$D bs=1M count=8 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
check "read the pattern back" [ "\$got" = "\$want" ]
# While writing chunk by chunk, the host kills sn2 after chunk 3.
dd if=/dev/urandom of=/tmp/big bs=1M count=$CHUNKS 2>/dev/null
max=0 acked=0
for i in \$(seq 0 $((CHUNKS - 1))); do
	t0=\$(uptime_ms)
	dd if=/tmp/big of=\$D bs=1M skip=\$i seek=\$((8 + i)) count=1 oflag=direct conv=notrunc 2>/dev/null || break
	t1=\$(uptime_ms)
	acked=\$((i + 1))
	echo "chunk \$i written in \$((t1 - t0)) ms"
	[ \$((t1 - t0)) -gt \$max ] && max=\$((t1 - t0))
	[ \$i = 3 ] && { echo "kill-now"; sleep 3; }
done
echo "stall-ms: \$max"
check "all $CHUNKS chunks acknowledged" [ "\$acked" = $CHUNKS ]
want=\$(head -c \$((acked << 20)) /tmp/big | md5sum | cut -d' ' -f1)
got=\$(dd if=\$D bs=1M skip=8 count=\$acked iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1)
check "every acknowledged write reads back (through sn1 alone)" [ "\$got" = "\$want" ]
echo "client-done"
CLIENT
GUEST_APPEND="nimbus.modopt.aoe=aoe_deadsecs=60" guest_start cl sw br0 "$LAB_DIR/client.sh"
if guest_wait_for cl '^kill-now' 300; then
	kill -9 "$(guest_pid sn2)"
	t_kill=$(date +%s.%N)
	ok "sn2's QEMU killed (SIGKILL) while the client writes"
else
	not_ok "client reached the kill point"; storage_console_tail cl 30; exit 1
fi
if guest_wait_exit cl 400; then
	guest_report cl
else
	not_ok "client finished within 400 s"; storage_console_tail cl 30
fi
stall=$(guest_lines cl '^stall-ms: ' | awk '{ print $2 }')
note "longest 1 MiB write (the stall on node loss): ${stall:-?} ms"
guest_lines sn1 'agent: .*(fence|granted|refused)' | sed 's/^/# sn1: /'
cloud_nimbus volume show vol1 2>&1 | sed 's/^/#   /'

# --- sn2 comes back --------------------------------------------------------------
cp "$(guest_console sn2)" "$LAB_DIR/sn2.console.1"
t_back=$(date +%s.%N)
boot sn2
seen_sync=""
for _ in $(seq 1 300); do
	cloud_nimbus volume show vol1 >"$LAB_DIR/show.out" 2>&1
	if grep -qiE 'resync|SyncTarget|SyncSource' "$LAB_DIR/show.out" && [ -z "$seen_sync" ]; then
		seen_sync=$(grep -iE 'resync|%' "$LAB_DIR/show.out" | head -n 3 | tr '\n' ' ')
		note "during the resync: $seen_sync"
	fi
	cloud_nimbus -o json volume show vol1 >"$LAB_DIR/vol1.json" 2>&1
	grep -qE '"state": *"ready"' "$LAB_DIR/vol1.json" && break
	sleep 1
done
if grep -qE '"state": *"ready"' "$LAB_DIR/vol1.json"; then
	ok "sn2 back: resynced and both export vol1 again, $(since "$t_back") s after its restart"
else
	not_ok "vol1 ready again after sn2's restart"
	sed 's/^/#   /' "$LAB_DIR/show.out"
	guest_lines sn2 'agent:' | tail -n 25 | sed 's/^/# sn2: /'
fi
check "nimbus volume show vol1 showed the resync" [ -n "$seen_sync" ]
guest_lines sn2 'agent: .*volume vol1' | sed 's/^/# sn2: /'
note "create-to-ready ${t_create} s; stall ${stall:-?} ms; whole test $(since "$t_all") s"
exit 0
