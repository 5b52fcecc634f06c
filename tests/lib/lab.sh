# tests/lib/lab.sh - the nimbus test lab: network namespaces, bridges, veth
# pairs, tap devices and background processes, all torn down on exit (also
# on failure or when the test is killed). Source it from a bash test:
#
#   . "$NIMBUS_TOP/tests/lib/lab.sh"
#   lab_init                      # once; installs the cleanup trap
#   lab_netns a; lab_netns b      # namespaces "$LAB_ID-a", "$LAB_ID-b"
#   lab_veth a eth0 b eth0 9000   # veth pair between them (optional MTU)
#   lab_bg a aoetd ...            # background process in a namespace
#   check "target answers" lab_in b aoe-bench ...
#
# Every object is named after LAB_ID (unique per test run), and cleanup only
# touches what this run created: namespaces it made and PIDs it started.
# Output follows the TAP-style lines tests/run-all counts.

: "${NIMBUS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${NIMBUS_BUILD:=$NIMBUS_TOP/build}"
: "${NIMBUS_BIN:=$NIMBUS_BUILD/bin}"
export NIMBUS_TOP NIMBUS_BUILD NIMBUS_BIN

LAB_ID=""
LAB_DIR=""
LAB_NETNS=()
LAB_PIDS=()
LAB_CLEANUPS=()
LAB_FAILED=0

# --- results -----------------------------------------------------------------

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; LAB_FAILED=$((LAB_FAILED + 1)); }
skip()   { echo "ok - $1 # SKIP ${2:-}"; }
note()   { echo "# $*"; }

# check DESCRIPTION COMMAND...: runs the command, reports ok/not ok.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc (command: $*)"; fi
}

# expect RC PATTERN COMMAND...: COMMAND exits with RC and its output matches
# PATTERN (an extended regex; '' matches anything); on a mismatch the output
# is shown as notes. For use with check: check "what" expect 0 "" cmd...
expect() {
	local want=$1 pat=$2 rc; shift 2
	"$@" >"$LAB_DIR/out" 2>&1; rc=$?
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -Eq -- "$pat" "$LAB_DIR/out"; }; then
		return 0
	fi
	note "exit $rc (want $want), output:"; sed 's/^/#   /' "$LAB_DIR/out"
	return 1
}

# lab_fail MESSAGE: a setup step failed; report it and stop the test.
lab_fail() { not_ok "$*"; exit 1; }

# --- life cycle --------------------------------------------------------------

lab_init() {
	[ "$(id -u)" = 0 ] || lab_fail "lab tests need root (network namespaces)"
	LAB_ID=$(printf 'n%x' $$)
	LAB_DIR=$(mktemp -d "/tmp/nimbus-lab.$LAB_ID.XXXXXX")
	trap lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# lab_on_exit COMMAND...: run at cleanup, newest first.
lab_on_exit() { LAB_CLEANUPS+=("$*"); }

lab_cleanup() {
	local rc=$? i pid ns
	trap - EXIT
	for ((i = ${#LAB_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${LAB_CLEANUPS[$i]}" >/dev/null 2>&1 || true
	done
	for pid in "${LAB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${LAB_PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	for ns in "${LAB_NETNS[@]}"; do
		ip netns delete "$ns" 2>/dev/null || true
	done
	[ -n "$LAB_DIR" ] && [ -z "${LAB_KEEP:-}" ] && rm -rf "$LAB_DIR"
	[ "$rc" = 0 ] && [ "$LAB_FAILED" -gt 0 ] && rc=1
	exit "$rc"
}

# --- namespaces and links ----------------------------------------------------

lab_ns() { echo "$LAB_ID-$1"; }

# lab_netns NAME: a fresh namespace with loopback up.
lab_netns() {
	local ns; ns=$(lab_ns "$1")
	ip netns add "$ns" || lab_fail "cannot create namespace $ns"
	LAB_NETNS+=("$ns")
	ip -n "$ns" link set lo up
}

# lab_in NAME COMMAND...: run a command inside namespace NAME.
lab_in() { local ns; ns=$(lab_ns "$1"); shift; ip netns exec "$ns" "$@"; }

# lab_veth NS1 IF1 NS2 IF2 [MTU]: a veth pair, both ends up.
lab_veth() {
	local a b tmp_a tmp_b mtu=${5:-1500}
	a=$(lab_ns "$1"); b=$(lab_ns "$3")
	tmp_a="${LAB_ID}v$RANDOM"; tmp_b="${LAB_ID}w$RANDOM"
	ip link add "$tmp_a" mtu "$mtu" type veth peer name "$tmp_b" mtu "$mtu" ||
		lab_fail "cannot create veth pair"
	ip link set "$tmp_a" netns "$a" name "$2" || lab_fail "veth into $a"
	ip link set "$tmp_b" netns "$b" name "$4" || lab_fail "veth into $b"
	ip -n "$a" link set "$2" up
	ip -n "$b" link set "$4" up
}

# lab_bridge NS BR: a bridge inside a namespace, no STP, forwarding at once.
lab_bridge() {
	local ns; ns=$(lab_ns "$1")
	ip -n "$ns" link add "$2" type bridge forward_delay 0 stp_state 0 ||
		lab_fail "cannot create bridge $2 in $ns"
	ip -n "$ns" link set "$2" up
}

# lab_bridge_port NS BR IF: enslave IF (already in NS) to BR.
lab_bridge_port() {
	local ns; ns=$(lab_ns "$1")
	ip -n "$ns" link set "$3" master "$2" && ip -n "$ns" link set "$3" up
}

# lab_tap NS TAP BR: a tap device for a QEMU guest, in NS, on bridge BR.
lab_tap() {
	local ns; ns=$(lab_ns "$1")
	ip -n "$ns" tuntap add dev "$2" mode tap || lab_fail "cannot create tap $2"
	lab_bridge_port "$1" "$3" "$2"
}

# lab_addr NS IF CIDR: add an address.
lab_addr() { ip -n "$(lab_ns "$1")" addr add "$3" dev "$2"; }

# lab_mac NS IF: print an interface's MAC.
lab_mac() { cat "/sys/class/net/$2/address" 2>/dev/null ||
	ip -n "$(lab_ns "$1")" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# --- processes ---------------------------------------------------------------

# lab_bg NS LOG COMMAND...: start COMMAND in namespace NS (or "-" for the
# host), output to LOG; sets LAB_PID. Stopped at cleanup.
lab_bg() {
	local ns=$1 log=$2; shift 2
	if [ "$ns" = - ]; then
		"$@" >"$log" 2>&1 &
	else
		ip netns exec "$(lab_ns "$ns")" "$@" >"$log" 2>&1 &
	fi
	LAB_PID=$!
	LAB_PIDS+=("$LAB_PID")
}

# lab_stop PID [SIGNAL]: signal one of our processes and wait for it.
lab_stop() {
	local pid=$1 sig=${2:-TERM}
	kill "-$sig" "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	return 0
}

# lab_wait SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
lab_wait() {
	local limit=$1 end; shift
	end=$(( $(date +%s%N) / 1000000 + limit * 1000 ))
	until "$@" >/dev/null 2>&1; do
		[ $(( $(date +%s%N) / 1000000 )) -ge "$end" ] && return 1
		sleep 0.1
	done
}

# lab_need PROGRAM...: fail the test (not skip) when a program is missing:
# scripts/install-deps is supposed to have installed it.
lab_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] ||
			lab_fail "missing $p (scripts/install-deps should install it)"
	done
}
