# tests/vm/hwnode_common.bash - pieces shared by the hardware-node VM tests
# (tests/vm/hwnode_*.sh). Source it after tests/lib/lab.sh and
# tests/lib/guest.sh and lab_init. Not a test itself (run-all runs *.sh).
#
#   hw_boot_files                  build (or reuse) build/hwnode/*; sets HW
#   hw_storage_nodes NS BR         st1, st2: aoetd -r exporting the image as
#                                  e1.0, on veths into bridge BR of NS;
#                                  PIDs in TPID[st1], TPID[st2]
#   hw_qemu NAME NS BR QEMU_ARGS...  a 1 GiB Xen-capable machine with two
#                                  e1000 NICs on BR; console and PID where
#                                  guest.sh's helpers look for them
#   hw_heartbeats NAME             number of good heartbeat lines so far
#   since START                    seconds since START (date +%s.%N)
#   show_console NAME [LINES]      the console's tail, as notes

HW="$NIMBUS_BUILD/hwnode"
declare -A TPID

hw_boot_files() {
	"$NIMBUS_TOP/hwnode/mkinitramfs" --out "$HW/initrd.gz" >"$LAB_DIR/mkinitramfs.log" 2>&1 ||
		lab_fail "hwnode/mkinitramfs failed: $(tail -n 3 "$LAB_DIR/mkinitramfs.log")"
	"$NIMBUS_TOP/hwnode/build-image" --out "$HW/dom0-root.img" \
		--report-bin "$NIMBUS_BIN/nimbus-report" >"$LAB_DIR/build-image.log" 2>&1 ||
		lab_fail "hwnode/build-image failed: $(tail -n 3 "$LAB_DIR/build-image.log")"
	"$NIMBUS_TOP/hwnode/boot-files" --out "$HW" >"$LAB_DIR/boot-files.log" 2>&1 ||
		lab_fail "hwnode/boot-files failed: $(tail -n 3 "$LAB_DIR/boot-files.log")"
}

hw_storage_nodes() {
	local ns=$1 br=$2 n target sock
	# aoetd when it is built; otherwise vblade, the reference target, so
	# that the boot chain is tested either way (the note says which ran).
	if [ -x "$NIMBUS_BIN/aoetd" ]; then
		target=$NIMBUS_BIN/aoetd
	else
		lab_need vblade
		target=vblade
	fi
	note "storage nodes st1 and st2 run $target, exporting $HW/dom0-root.img read-only as e1.0"
	for n in st1 st2; do
		lab_netns "$n"
		lab_veth "$n" eth0 "$ns" "v-$n"
		lab_bridge_port "$ns" "$br" "v-$n"
		sock=()
		# Both run on this host's file system: one control socket each.
		[ "$target" = vblade ] || sock=(-C "$LAB_DIR/$n.aoetd.sock")
		lab_bg "$n" "$LAB_DIR/$n.target.log" "$target" "${sock[@]}" -r 1 0 eth0 "$HW/dom0-root.img"
		TPID[$n]=$LAB_PID
	done
	sleep 0.5
	for n in st1 st2; do
		kill -0 "${TPID[$n]}" 2>/dev/null ||
			lab_fail "storage node $n: $target exited: $(tail -n 2 "$LAB_DIR/$n.target.log")"
	done
}

# Software emulation (no usable KVM); +svm,+npt gives Xen HAP, which PVH
# instances need to live-migrate. tb-size bounds QEMU's code cache.
hw_qemu() {
	local name=$1 ns=$2 br=$3 dir="$LAB_DIR/$1.d" t0 t1
	shift 3
	mkdir -p "$dir"
	t0="t${name}0"; t0=${t0:0:15}
	t1="t${name}1"; t1=${t1:0:15}
	lab_tap "$ns" "$t0" "$br"
	lab_tap "$ns" "$t1" "$br"
	: >"$(guest_console "$name")"
	lab_bg "$ns" "$LAB_DIR/$name.qemu.log" \
		qemu-system-x86_64 -accel tcg,tb-size=256 -name "nimbus-$name" \
		-cpu qemu64,+svm,+npt,+nrip-save -m 1024 -smp 1 \
		-nodefaults -no-user-config -display none -no-reboot -monitor none \
		-chardev "socket,id=con0,path=$LAB_DIR/$name.sock,server=on,wait=off,logfile=$(guest_console "$name")" \
		-serial chardev:con0 \
		-netdev "tap,id=n0,ifname=$t0,script=no,downscript=no" \
		-device "e1000,netdev=n0,mac=$(guest_mac "$name-0")" \
		-netdev "tap,id=n1,ifname=$t1,script=no,downscript=no" \
		-device "e1000,netdev=n1,mac=$(guest_mac "$name-1"),romfile=" \
		"$@"
	echo "$LAB_PID" >"$dir/pid"
}

hw_heartbeats() { guest_lines "$1" 'nimbus-heartbeat [0-9]+: root .* read ok' | wc -l; }

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }

show_console() {
	note "last console lines of $1:"
	tr -d '\r' <"$(guest_console "$1")" | tail -n "${2:-40}" | sed 's/^/#   /'
}
