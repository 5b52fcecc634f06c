# tests/lib/guest.sh - QEMU guests for the nimbus test lab. Source it after
# tests/lib/lab.sh and lab_init:
#
#   . "$NIMBUS_TOP/tests/lib/lab.sh"; . "$NIMBUS_TOP/tests/lib/guest.sh"
#   lab_init
#   lab_netns sw; lab_bridge sw br0
#   guest_start vm1 sw br0 my-script.sh [FILE...]   # sets GUEST_PID
#   guest_qemu xen1 sw br0 -kernel ...              # any other QEMU boot
#   guest_start_pxe pxe1 sw br0                     # network boot (iPXE)
#   guest_wait_for vm1 'some marker' 60             # poll the serial console
#   guest_send vm1 go                               # type a line on it
#   guest_wait_exit vm1 180                         # guest powers itself off
#   guest_report vm1                                # its "ok -" lines, prefixed
#
# A guest is Debian's kernel (/boot/vmlinuz-*, or NIMBUS_GUEST_KERNEL) with a
# busybox initramfs built once and cached under $NIMBUS_BUILD/lab-cache/,
# keyed by kernel version and every input (this file, busybox, e2fsprogs).
# It holds the modules the lab needs (e1000, aoe, ext4 and their
# dependencies, found with modinfo), mke2fs/e2fsck with their libraries
# (found with ldd), and an /init that mounts proc, sys, devtmpfs and debugfs,
# loads the modules, brings eth0 up, waits for its link and runs /test.sh.
#
# The test script (and any extra files, placed in /files/) travel in a second
# small cpio archive appended to the cached one - the kernel unpacks
# concatenated archives in order - so nothing is rebuilt per test. The script
# runs under busybox sh and can use the helpers in /lib/nimbus-guest.sh
# (ok, not_ok, check, note, uptime_ms, aoe_discover, aoe_wait_dev, aoe_paths;
# $MKE2FS and $E2FSCK name e2fsprogs' programs, since busybox sh prefers its
# own reduced applets to anything on PATH). When it returns, /init prints
# "nimbus-guest: script exit N" and powers off; with GUEST_SHELL=1 it starts
# a shell on the console instead (the demo).
#
# QEMU runs with -accel tcg (no usable KVM here) inside the namespace that
# holds the bridge, with an e1000 NIC on a tap enslaved to that bridge
# (lab_tap). The serial console is a Unix socket ($LAB_DIR/NAME.sock; attach
# with `socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:SOCK`, Ctrl-] leaves) and
# everything it prints is also logged to $LAB_DIR/NAME.console. QEMU's PID is
# recorded with the lab, so cleanup stops it like any other process.
#
# Settings (environment, read by guest_start): GUEST_MEM (MiB, default 256),
# GUEST_MAC (default derived from the name), GUEST_APPEND (more kernel
# arguments; nimbus.modopt.MODULE=OPT=VAL[,OPT=VAL] sets module options, e.g.
# nimbus.modopt.aoe=aoe_deadsecs=15), GUEST_MTU (MTU of the tap and the guest's eth0; the bridge and
# its other ports are the caller's), GUEST_SHELL=1 (shell instead of
# power-off), GUEST_REBOOT=1 (let the guest reboot instead of ending QEMU),
# GUEST_ACCEL (QEMU's -accel, default tcg; e.g. tcg,tb-size=256 to bound the
# code cache of a big guest), GUEST_NICS (number of e1000 NICs, default 1;
# the others have no boot ROM), GUEST_DETACH=1
# (QEMU in its own session, so it outlives the script that started it: the
# demo's `scripts/lab up`).

GUEST_PID=""
GUEST_KVER=""
GUEST_KERNEL=""
GUEST_INITRAMFS=""
GUEST_LIB_FILE=${BASH_SOURCE[0]}

# Kernel modules every guest gets; dependencies are added by modinfo.
# crc32c_generic: ext4 and jbd2 ask the crypto API for "crc32c" at mount
# time, which modinfo does not list as a dependency.
GUEST_MODULES="e1000 aoe crc32c_generic ext4"
GUEST_PROGRAMS="/usr/sbin/mke2fs /usr/sbin/e2fsck"

# guest_kernel: choose the kernel image; sets GUEST_KERNEL and GUEST_KVER.
guest_kernel() {
	local k=${NIMBUS_GUEST_KERNEL:-}
	if [ -z "$k" ]; then
		k=$(ls -1 /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -n 1)
	fi
	[ -n "$k" ] && [ -r "$k" ] ||
		lab_fail "no guest kernel: /boot/vmlinuz-*-amd64 missing (linux-image-amd64) and NIMBUS_GUEST_KERNEL unset"
	GUEST_KERNEL=$k
	GUEST_KVER=${k##*/vmlinuz-}
	[ -d "/lib/modules/$GUEST_KVER" ] ||
		lab_fail "guest kernel $k has no /lib/modules/$GUEST_KVER"
}

# _guest_mod_files KVER MODULE...: module files, dependencies first.
_guest_mod_seen=""
_guest_mod_files() {
	local kver=$1 m deps f; shift
	for m in "$@"; do
		m=${m//-/_}
		case " $_guest_mod_seen " in *" $m "*) continue ;; esac
		_guest_mod_seen="$_guest_mod_seen $m"
		deps=$(modinfo -k "$kver" -F depends "$m" 2>/dev/null) || return 1
		# shellcheck disable=SC2086
		[ -n "$deps" ] && { _guest_mod_files "$kver" ${deps//,/ } || return 1; }
		f=$(modinfo -k "$kver" -F filename "$m" 2>/dev/null) || return 1
		case "$f" in
		/*) echo "$f" ;;
		*) ;;   # "(builtin)": in the kernel image, nothing to load
		esac
	done
}

# _guest_copy_elf ROOT FILE: copy an executable and the libraries ldd names,
# at the same paths, so the dynamic loader finds them in the guest.
_guest_copy_elf() {
	local root=$1 f=$2 lib
	mkdir -p "$root$(dirname "$f")" && cp -L "$f" "$root$f" || return 1
	for lib in $(ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || return 1
	done
}

# guest_initramfs: build (or reuse) the base initramfs; sets GUEST_INITRAMFS.
guest_initramfs() {
	local cache key root tmp mods m base out p
	[ -n "$GUEST_KVER" ] || guest_kernel
	lab_need /bin/busybox modinfo ldd cpio gzip qemu-system-x86_64
	cache="$NIMBUS_BUILD/lab-cache"
	mkdir -p "$cache" || lab_fail "cannot create $cache"
	_guest_mod_seen=""
	mods=$(_guest_mod_files "$GUEST_KVER" $GUEST_MODULES) ||
		lab_fail "cannot resolve guest modules '$GUEST_MODULES' for kernel $GUEST_KVER"
	key=$( {
		echo "$GUEST_KVER $GUEST_MODULES"
		cat "$GUEST_LIB_FILE"
		# shellcheck disable=SC2086
		sha256sum /bin/busybox $mods $GUEST_PROGRAMS
	} | sha256sum | cut -c1-16)
	out="$cache/initramfs-$GUEST_KVER-$key.cpio.gz"
	GUEST_INITRAMFS=$out
	[ -s "$out" ] && return 0

	tmp=$(mktemp -d "$cache/build.XXXXXX") || lab_fail "mktemp in $cache"
	root="$tmp/root"
	mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,run,lib/modules,usr/bin,usr/sbin}
	cp /bin/busybox "$root/bin/busybox"
	for m in $mods; do
		base=$(basename "$m")
		case "$base" in
		*.ko) cp "$m" "$root/lib/modules/$base" ;;
		*.ko.xz) xz -dc "$m" >"$root/lib/modules/${base%.xz}" ;;
		*.ko.zst) zstd -qdc "$m" >"$root/lib/modules/${base%.zst}" ;;
		*) rm -rf "$tmp"; lab_fail "unknown module format $m" ;;
		esac
		echo "${base%%.ko*}" >>"$root/etc/modules"
	done
	for p in $GUEST_PROGRAMS; do
		_guest_copy_elf "$root" "$p" || { rm -rf "$tmp"; lab_fail "cannot copy $p into the initramfs"; }
	done
	ln -s mke2fs "$root/usr/sbin/mkfs.ext4"
	[ -r /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
	_guest_write_init >"$root/init"
	_guest_write_helpers >"$root/lib/nimbus-guest.sh"
	chmod 755 "$root/init"
	# Pad to a 512-byte multiple: the kernel only looks for a following
	# archive (the per-guest one) at a 4-byte-aligned offset.
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) >"$tmp/initramfs" &&
		truncate -s %512 "$tmp/initramfs" &&
		mv "$tmp/initramfs" "$out" || { rm -rf "$tmp"; lab_fail "cannot build $out"; }
	rm -rf "$tmp"
	# Older builds for this kernel are stale; spare recent ones, which a
	# test started before an edit of this file may still be about to use.
	find "$cache" -maxdepth 1 -name "initramfs-$GUEST_KVER-*.cpio.gz" \
		! -name "${out##*/}" -mmin +30 -delete 2>/dev/null
	note "built guest initramfs $out ($(du -k "$out" | cut -f1) KiB, kernel $GUEST_KVER)"
}

_guest_write_init() {
	cat <<'EOF'
#!/bin/busybox sh
# nimbus lab guest /init (generated by tests/lib/guest.sh)
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Module options come from the kernel command line as
# nimbus.modopt.MODULE=NAME=VALUE[,NAME=VALUE...] (GUEST_APPEND).
for m in $(cat /etc/modules); do
	opts=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^nimbus\.modopt\.$m=//p" | tr ',' ' ')
	# shellcheck disable=SC2086
	insmod "/lib/modules/$m.ko" $opts || echo "nimbus-guest: cannot load $m $opts"
done
ip link set lo up
mtu=$(sed -n 's/.*nimbus\.mtu=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$mtu" ] && { ip link set eth0 mtu "$mtu" || echo "nimbus-guest: cannot set MTU $mtu"; }
ip link set eth0 up
# The e1000 link comes up a moment after "up"; AoE discovery sent before
# that is lost.
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
echo "nimbus-guest: ready eth0 $(cat /sys/class/net/eth0/address) mtu $(cat /sys/class/net/eth0/mtu) carrier=$(cat /sys/class/net/eth0/carrier 2>/dev/null)"
rc=none
if [ -f /test.sh ]; then
	cd /tmp
	sh /test.sh
	rc=$?
	cd /
fi
echo "nimbus-guest: script exit $rc"
if grep -q 'nimbus.shell=1' /proc/cmdline; then
	while :; do
		setsid cttyhack sh -l
		sleep 1
	done
fi
sync
poweroff -f
EOF
}

_guest_write_helpers() {
	cat <<'EOF'
# /lib/nimbus-guest.sh - helpers for lab guest scripts (busybox sh).
# busybox sh runs its own applets before anything on PATH, and it has a
# reduced mke2fs: name e2fsprogs' programs by their full paths.
MKE2FS=/usr/sbin/mke2fs
E2FSCK=/usr/sbin/e2fsck
FAILED=0
ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }
note()   { echo "# $*"; }
check()  { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d (command: $*)"; fi; }
# uptime_ms: milliseconds since boot (the guest's clock, 10 ms resolution).
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# aoe_discover: ask the aoe driver to query every target on eth0.
aoe_discover() { echo eth0 > /dev/etherd/discover; }
# aoe_wait_dev DEV SECONDS: wait until the block device DEV is usable
# (its node exists and has a non-zero size).
aoe_wait_dev() {
	n=0
	while [ $n -lt $(($2 * 10)) ]; do
		if [ -b "$1" ] && [ "$(blockdev --getsize64 "$1" 2>/dev/null || echo 0)" -gt 0 ]; then
			return 0
		fi
		n=$((n + 1)); sleep 0.1
		[ $((n % 20)) = 0 ] && aoe_discover
	done
	return 1
}
# wait_go WORD: block until the host types the line "WORD [ARG]" on the
# console (storage_type); ARG in $arg. Lines ending in \r from the UART
# are cleaned.
wait_go() {
	go=""
	while [ "$go" != "$1" ]; do
		read -r go arg || sleep 1
		go=$(echo "$go" | tr -d '\r') arg=$(echo "$arg" | tr -d '\r')
	done
}
# aoe_paths eX.Y: the number of targets (MAC addresses) the driver uses for
# the device, from its debugfs file (one line per target starting with a MAC).
aoe_paths() {
	c=$(grep -cE '^[0-9a-f]{12}' "/sys/kernel/debug/aoe/$1" 2>/dev/null)
	echo "${c:-0}"
}
EOF
}

# guest_console NAME: path of the guest's serial console log.
guest_console() { echo "$LAB_DIR/$1.console"; }

# guest_mac NAME: a locally administered MAC derived from the name.
guest_mac() {
	local h; h=$(printf '%s' "$1" | md5sum | cut -c1-6)
	echo "52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
}

# guest_start NAME NS BRIDGE SCRIPT [FILE...]: boot a lab guest (Debian's
# kernel, the cached initramfs) that runs SCRIPT, with the FILEs in /files/,
# its NIC on bridge BRIDGE in namespace NS. Sets GUEST_PID.
guest_start() {
	local name=$1 ns=$2 br=$3 script=$4 dir f append
	shift 4
	[ -n "$GUEST_INITRAMFS" ] || guest_initramfs
	[ -r "$script" ] || lab_fail "guest $name: cannot read script $script"
	dir="$LAB_DIR/$name.d"
	rm -rf "$dir"; mkdir -p "$dir/root/files"
	cp "$script" "$dir/root/test.sh"
	for f in "$@"; do
		cp "$f" "$dir/root/files/" || lab_fail "guest $name: cannot copy $f"
	done
	(cd "$dir/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/extra.cpio.gz" ||
		lab_fail "guest $name: cannot pack its script"
	cat "$GUEST_INITRAMFS" "$dir/extra.cpio.gz" >"$dir/initrd" ||
		lab_fail "guest $name: cannot write its initrd"
	append="console=ttyS0 loglevel=4 panic=-1 rdinit=/init"
	[ "${GUEST_SHELL:-0}" = 1 ] && append="$append nimbus.shell=1"
	[ -n "${GUEST_MTU:-}" ] && append="$append nimbus.mtu=$GUEST_MTU"
	append="$append ${GUEST_APPEND:-}"
	guest_qemu "$name" "$ns" "$br" \
		-kernel "$GUEST_KERNEL" -initrd "$dir/initrd" -append "$append"
}

# guest_qemu NAME NS BRIDGE QEMU-ARGS...: the launcher under guest_start,
# for guests that boot otherwise (PXE with "-boot n", Xen with its own
# -kernel/-initrd, a disk image): QEMU under TCG in namespace NS, an e1000 NIC
# on a tap "t-NAME" enslaved to BRIDGE (GUEST_NICS=N: N NICs, the others on
# taps "tI-NAME" with MACs guest_mac NAME-I and no boot ROM; GUEST_BRIDGES=
# "BR0 BR1 ...": NIC I's tap on the I-th bridge of NS instead), the serial
# console on $LAB_DIR/NAME.sock and logged to $LAB_DIR/NAME.console,
# -no-reboot (unless GUEST_REBOOT=1: a guest that reboots into what it
# installed), the PID recorded for cleanup. QEMU-ARGS come last and may add
# devices or override -m. Starting a stopped guest again under its name
# reuses its taps and truncates its console log. Sets GUEST_PID.
guest_qemu() {
	local name=$1 ns=$2 br=$3 tap taps=() nics=() i detach=() noreboot=(-no-reboot) nic_br
	shift 3
	mkdir -p "$LAB_DIR/$name.d"
	taps=("t-$name")
	for ((i = 1; i < ${GUEST_NICS:-1}; i++)); do taps+=("t$i-$name"); done
	for i in "${!taps[@]}"; do
		tap=${taps[$i]:0:15}
		# A guest started again under the same name keeps its taps.
		nic_br=$br
		[ -n "${GUEST_BRIDGES:-}" ] && nic_br=$(echo $GUEST_BRIDGES | cut -d' ' -f$((i + 1)))
		ip -n "$(lab_ns "$ns")" link show "$tap" >/dev/null 2>&1 || lab_tap "$ns" "$tap" "${nic_br:-$br}"
		if [ -n "${GUEST_MTU:-}" ]; then
			ip -n "$(lab_ns "$ns")" link set "$tap" mtu "$GUEST_MTU" ||
				lab_fail "guest $name: cannot set MTU $GUEST_MTU on $tap"
		fi
		nics+=(-netdev "tap,id=net$i,ifname=$tap,script=no,downscript=no")
		if [ "$i" = 0 ]; then
			nics+=(-device "e1000,netdev=net0,mac=${GUEST_MAC:-$(guest_mac "$name")}")
		else
			nics+=(-device "e1000,netdev=net$i,mac=$(guest_mac "$name-$i"),romfile=")
		fi
	done
	: >"$(guest_console "$name")"
	[ "${GUEST_DETACH:-0}" = 1 ] && detach=(setsid)
	[ "${GUEST_REBOOT:-0}" = 1 ] && noreboot=()
	lab_bg "$ns" "$LAB_DIR/$name.qemu.log" "${detach[@]}" \
		qemu-system-x86_64 -accel "${GUEST_ACCEL:-tcg}" -name "nimbus-$name" \
		-m "${GUEST_MEM:-256}" -smp 1 -nodefaults -no-user-config \
		-display none "${noreboot[@]}" -monitor none \
		-chardev "socket,id=con0,path=$LAB_DIR/$name.sock,server=on,wait=off,logfile=$(guest_console "$name")" \
		-serial chardev:con0 \
		"${nics[@]}" \
		"$@"
	GUEST_PID=$LAB_PID
	echo "$GUEST_PID" >"$LAB_DIR/$name.d/pid"
}

# guest_start_pxe NAME NS BRIDGE [QEMU-ARGS...]: a machine that network-boots
# (-boot n: the first NIC's iPXE ROM, from Debian's ipxe-qemu), otherwise as
# guest_qemu (the same GUEST_* settings; GUEST_REBOOT=1 keeps a machine that
# reboots, say into its role after discovery, in the same QEMU). Sets
# GUEST_PID.
guest_start_pxe() {
	local name=$1 ns=$2 br=$3
	shift 3
	[ -r /usr/lib/ipxe/qemu/efi-e1000.rom ] ||
		lab_fail "guest $name: no iPXE ROM for e1000 (package ipxe-qemu)"
	guest_qemu "$name" "$ns" "$br" -boot n "$@"
}

# guest_pid NAME: the QEMU PID of a guest started by this run.
guest_pid() { cat "$LAB_DIR/$1.d/pid" 2>/dev/null; }

# guest_running NAME: true while its QEMU runs.
guest_running() { local p; p=$(guest_pid "$1") && kill -0 "$p" 2>/dev/null; }

# guest_wait_for NAME REGEX SECONDS: wait until a console line matches the
# extended REGEX; fails at the time limit or when the guest stops first.
guest_wait_for() {
	local name=$1 re=$2 limit=$3 end
	end=$(( $(date +%s) + limit ))
	while :; do
		guest_lines "$name" "$re" >/dev/null && return 0
		if ! guest_running "$name"; then
			guest_lines "$name" "$re" >/dev/null && return 0
			return 1
		fi
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# guest_wait_exit NAME SECONDS: wait for the guest to power off; at the
# time limit QEMU is stopped and this fails.
guest_wait_exit() {
	local name=$1 limit=$2 pid end
	pid=$(guest_pid "$name") || return 1
	end=$(( $(date +%s) + limit ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			lab_stop "$pid"
			return 1
		fi
		sleep 0.2
	done
	wait "$pid" 2>/dev/null
	return 0
}

# guest_send NAME TEXT: type TEXT and Enter on the guest's serial console -
# how a host test tells a waiting guest script to go on (it reads its stdin,
# the console). Nobody else may be attached to the console at that moment.
guest_send() {
	printf '%s\r' "$2" | timeout 10 socat -u - "UNIX-CONNECT:$LAB_DIR/$1.sock" 2>/dev/null
}

# guest_type NAME LINE: LINE typed on the console, then Enter. A few
# characters at a time: the emulated UART has a 16-byte FIFO and no flow
# control, and a guest busy under TCG loses what arrives faster than it
# empties it. Then a second to let the shell start on it.
guest_type() {
	local s=$2 i sock="$LAB_DIR/$1.sock"
	for ((i = 0; i < ${#s}; i += 4)); do
		printf '%s' "${s:i:4}"
		sleep 0.05
	done | timeout 60 socat -u - "UNIX-CONNECT:$sock" 2>/dev/null
	printf '\r' | timeout 10 socat -u - "UNIX-CONNECT:$sock" 2>/dev/null
	sleep 1
}

# guest_interrupt NAME: Ctrl-C on the console (ends the command running
# there, or a half-typed line).
guest_interrupt() {
	printf '\003' | timeout 10 socat -u - "UNIX-CONNECT:$LAB_DIR/$1.sock" 2>/dev/null
	sleep 1
}

# guest_out NAME TAG COMMAND [WAIT]: what COMMAND prints (as one line: $(...)
# flattens it) when typed on a console shell, found by a random tag; on no
# answer within WAIT s (default 90) the console's tail goes to stderr,
# Ctrl-C (a stuck command, or a line that lost a character), typed once more
# (60 s). Prints "(no answer)" and returns 1 when the second try fails too.
guest_out() {
	local try tag wait=${4:-90}
	for try in 1 2; do
		tag="$2-$RANDOM$RANDOM"
		guest_type "$1" "echo $tag \$($3)"
		if guest_wait_for "$1" "^$tag " "$wait"; then
			guest_lines "$1" "^$tag " | tail -n 1 | cut -d' ' -f2-
			return 0
		fi
		{
			echo "# last console lines of $1:"
			guest_text "$1" | tail -n 15 | sed 's/^/#   /'
			[ "$try" = 1 ] && echo "# $1 did not answer '$3' in $wait s: Ctrl-C, typed again"
		} >&2
		guest_interrupt "$1"
		wait=60
	done
	echo "(no answer)"
	return 1
}

# guest_text NAME: the console log as plain text: no CRs, no terminal
# escapes, nothing but printable ASCII, tabs and newlines - so test logs stay
# text that grep (and tests/run-all) reads as such.
guest_text() {
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g' <"$(guest_console "$1")" | tr -cd '\11\12\40-\176'
}

# guest_lines NAME REGEX: console lines matching REGEX (as guest_text).
guest_lines() { guest_text "$1" | grep -E -- "$2"; }

# guest_report NAME: repeat the guest's TAP lines ("ok - ..."/"not ok - ...")
# and notes ("# ...") as this test's own, prefixed with the guest's name, and
# check that its script ran to the end (a non-zero exit status is a failure
# unless the guest already reported one).
guest_report() {
	local name=$1 line rc fails=0
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) echo "ok - $name: ${line#ok - }" ;;
		"not ok - "*) not_ok "$name: ${line#not ok - }"; fails=$((fails + 1)) ;;
		"# "*) echo "# $name: ${line#\# }" ;;
		esac
	done < <(guest_lines "$name" '^(ok - |not ok - |# )')
	rc=$(guest_lines "$name" '^nimbus-guest: script exit ' | tail -n 1 | awk '{print $4}')
	if [ "$rc" = 0 ] || { [ -n "$rc" ] && [ "$rc" != none ] && [ "$fails" -gt 0 ]; }; then
		ok "$name: guest script ran to the end"
	else
		not_ok "$name: guest script ran to the end (exit status '${rc:-none}')"
	fi
	if [ "$rc" != 0 ] || [ "$fails" -gt 0 ]; then
		note "last console lines of $name ($(guest_console "$name")):"
		guest_text "$name" | tail -n 30 | sed 's/^/#   /'
	fi
}
