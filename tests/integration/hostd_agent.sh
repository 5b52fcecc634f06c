#!/usr/bin/env bash
# hostd_agent.sh - nimbus-hostd run against a fake nimbusd (socat + a bash
# handler) and a fake libvirt (virsh and xl scripts first on PATH, keeping
# domains as directories), in a network namespace of its own, loopback
# only. No Xen needed. Checked: nimbusd unreachable is logged once, not
# every 2 s; without virsh the node reports libvirt false with a clear
# libvirt_error; an instance is defined and started, a second one too; a
# domain nimbusd does not name is never touched; a clean shutdown is
# reported with its time, a guest that ignores it is destroyed after
# stop_timeout_s; absent means undefined; reboot_seq reboots once; a failed
# start is the instance's error and an event, cleared once it starts; a
# live migration runs the exact virsh command, is reported done in a
# pseudo-entry (shut off, not persistent) until nimbusd stops asking, and
# its files leave the state directory; a failed one keeps the domain and is
# not run again; libvirt going away is libvirt false;
# SIGTERM stops the agent with status 0. The libvirt certificate: nimbusd
# unreachable is logged once; at start the agent asks the fake nimbusd
# (which signs with a throwaway openssl CA) for one, writes the five files
# with their modes (the key the certificate's), restarts libvirtd through
# a fake systemctl and says so in an event; a certificate for another key
# is not taken (the old files stay); one that expires within 7 days is
# renewed when the agent starts again, libvirtd restarted only once no
# instance is incoming; a good one is not asked for again.
# timeout: 120
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init
H=$NIMBUS_BIN/nimbus-hostd
lab_need "$H" jq socat openssl
export LC_ALL=C

D=$LAB_DIR
mkdir -p "$D/bin" "$D/virt/doms" "$D/nimbusd" "$D/state"

# --- a throwaway CA for the fake nimbusd, and a certificate for another key -
N=$D/nimbusd
{
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$N/ca.key" -out "$N/ca.pem" -subj "/CN=hostd_agent test CA" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=hw1" \
		-keyout "$N/other.key" -out "$N/other.csr" &&
	openssl x509 -req -in "$N/other.csr" -CA "$N/ca.pem" -CAkey "$N/ca.key" \
		-CAserial "$N/ca.srl" -CAcreateserial -days 30 -out "$N/other.pem"
} >"$N/openssl.log" 2>&1 || lab_fail "openssl: no test CA ($(tail -n 2 "$N/openssl.log"))"

# --- a fake libvirt: one directory per domain (state, id, persistent) ------
cat >"$D/bin/virsh" <<'EOF'
#!/bin/bash
set -u
V=${FAKE_VIRT:?}
[ "${1:-}" = -c ] && shift 2
echo "$*" >>"$V/virsh.log"
if [ -e "$V/libvirt-down" ]; then
	echo "error: failed to connect to the hypervisor" >&2
	echo "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Connection refused" >&2
	exit 1
fi
now() { date +%s%N; }
off() { if [ -e "$1/persistent" ]; then echo "shut off" >"$1/state"; rm -f "$1/id"; else rm -rf "$1"; fi; }
dom() { d="$V/doms/$1"; [ -d "$d" ] || { echo "error: failed to get domain '$1'" >&2; exit 1; }; }
fail_if() {
	[ -e "$V/fail-$1" ] || return 0
	echo "error: Failed to $1 domain '$2'" >&2
	echo "error: internal error: fake $1 failure" >&2
	exit 1
}
# a guest asked to shut down is off a second later, unless it ignores it
for d in "$V"/doms/*/; do
	[ -d "$d" ] || continue
	if [ "$(cat "$d/state")" = "in shutdown" ] && [ ! -e "$d/ignore-shutdown" ] &&
	   [ $(( $(now) - $(cat "$d/since") )) -gt 1000000000 ]; then
		off "$d"
	fi
done
case "$1" in
"list --all; echo @@nimbus-hostd-persistent; list --all --persistent --name")
	printf ' Id   Name       State\n---------------------------\n 0    Domain-0   running\n'
	for d in "$V"/doms/*/; do
		[ -d "$d" ] || continue
		printf ' %-4s %-10s %s\n' "$(cat "$d/id" 2>/dev/null || echo -)" "$(basename "$d")" "$(cat "$d/state")"
	done
	printf '\n@@nimbus-hostd-persistent\n'
	for d in "$V"/doms/*/; do [ -e "$d/persistent" ] && basename "$d"; done
	echo ;;
define)
	n=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$2" | head -1)
	d="$V/doms/$n"
	mkdir -p "$d"
	touch "$d/persistent"
	cp "$2" "$d/xml"
	[ -e "$d/state" ] || echo "shut off" >"$d/state"
	echo "Domain '$n' defined from $2" ;;
start)
	dom "$2"; fail_if start "$2"
	[ "$(cat "$d/state")" = "shut off" ] || { echo "error: Requested operation is not valid: domain is already running" >&2; exit 1; }
	echo running >"$d/state"
	id=$(( $(cat "$V/nextid" 2>/dev/null || echo 1) + 1 )); echo "$id" >"$V/nextid"; echo "$id" >"$d/id"
	echo "Domain '$2' started" ;;
shutdown) dom "$2"; echo "in shutdown" >"$d/state"; now >"$d/since"; echo "Domain '$2' is being shutdown" ;;
destroy) dom "$2"; off "$d"; echo "Domain '$2' destroyed" ;;
undefine)
	dom "$2"
	if [ "$(cat "$d/state")" = "shut off" ]; then rm -rf "$d"; else rm -f "$d/persistent"; fi
	echo "Domain '$2' has been undefined" ;;
reboot) dom "$2"; echo "Domain '$2' is being rebooted" ;;
migrate)   # migrate --live --p2p --persistent --undefinesource NAME DESTURI MIGRATEURI
	dom "$6"; sleep "${FAKE_MIGRATE_S:-1}"; fail_if migrate "$6"; rm -rf "$d" ;;
*) echo "error: unknown command '$1'" >&2; exit 1 ;;
esac
EOF
cat >"$D/bin/xl" <<'EOF'
#!/bin/bash
V=${FAKE_VIRT:?}
case "$1" in
list)
	printf 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n'
	printf '%-40s %5s %5s %5s     r-----     1.0\n' Domain-0 0 512 1
	for d in "$V"/doms/*/; do
		[ -e "$d/id" ] && printf '%-40s %5s %5s %5s     -b----     1.0\n' "$(basename "$d")" "$(cat "$d/id")" 256 1
	done ;;
info)
	printf 'host                   : fake\nnr_cpus                : 4\ntotal_memory           : 8192\n'
	printf 'free_memory            : 4096\nxen_major              : 4\nxen_minor              : 17\n'
	printf 'xen_extra              : .5\nxen_version            : 4.17.5\n' ;;
*) exit 1 ;;
esac
EOF
# --- a fake nimbusd: one request per connection (socat forks a handler) ----
cat >"$D/bin/fake-nimbusd" <<'EOF'
#!/bin/bash
dir=$1
export LC_ALL=C
read -r method path _
len=0
while IFS= read -r line; do
	line=${line%$'\r'}
	[ -z "$line" ] && break
	case "${line,,}" in content-length:*) len=${line#*:}; len=${len// /} ;; esac
done
body=""
[ "$len" -gt 0 ] && IFS= read -r -N "$len" body
case "$method $path" in
"GET /v1/host/desired/"*)
	echo "$path" >>"$dir/gets"; resp=$(cat "$dir/desired.json"); code=200 ;;
"POST /v1/host/observed")
	printf '%s' "$body" >"$dir/obs.$$"; mv "$dir/obs.$$" "$dir/observed.json"
	resp='{"ok":true}'; code=200 ;;
"POST /v1/host/certificate")
	# as nimbusd: the CSR's key, the name and address from "the database"
	jq -r '"\(.mac) \(.node)"' <<<"$body" >>"$dir/certreqs"
	jq -r .csr <<<"$body" >"$dir/csr.$$"
	printf 'subjectAltName=IP:127.0.0.1,DNS:hw1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$dir/ext.$$"
	if [ -e "$dir/cert-other-key" ]; then
		cp "$dir/other.pem" "$dir/cert.$$"
	else
		openssl x509 -req -in "$dir/csr.$$" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAserial "$dir/ca.srl" -days 30 -extfile "$dir/ext.$$" -out "$dir/cert.$$" \
			>>"$dir/openssl.log" 2>&1
	fi
	if [ -s "$dir/cert.$$" ]; then
		na=$(date -d "$(openssl x509 -noout -enddate -in "$dir/cert.$$" | cut -d= -f2)" +%s)
		resp=$(jq -nc --rawfile ca "$dir/ca.pem" --rawfile cert "$dir/cert.$$" --argjson na "$na" \
			'{ca: $ca, cert: $cert, not_after: $na}'); code=200
	else
		resp='{"error":"certificate request not signed"}'; code=400
	fi
	rm -f "$dir/csr.$$" "$dir/ext.$$" "$dir/cert.$$" ;;
*) resp='{"error":"no such endpoint"}'; code=404 ;;
esac
printf 'HTTP/1.0 %s X\r\nContent-Type: application/json\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' \
	"$code" "${#resp}" "$resp"
EOF
# systemctl: what the agent asked of it, nothing more
cat >"$D/bin/systemctl" <<'EOF'
#!/bin/bash
echo "$*" >>"${FAKE_VIRT:?}/systemctl.log"
EOF
chmod +x "$D/bin/virsh" "$D/bin/xl" "$D/bin/fake-nimbusd" "$D/bin/systemctl"
mkdir -p "$D/nobin"
ln -s "$D/bin/xl" "$D/nobin/xl"   # xl but no virsh
ln -s "$D/bin/systemctl" "$D/nobin/systemctl"

# inst NAME STATE [JSON merged in]: one instance of the desired state
inst() {
	jq -nc --arg n "$1" --arg s "$2" --argjson e "${3:-{\}}" \
		'{name: $n, state: $s, stop: "shutdown", stop_timeout_s: 30, reboot_seq: 0,
		  memory_mib: 256, vcpus: 1, shelf: 1, slot: 1, migrate: null,
		  domain_xml: (if $s == "running" or $s == "stopped"
			       then "<domain type=\u0027xen\u0027><name>\($n)</name></domain>\n" else "" end)} + $e'
}
# desired GEN INSTANCE...: what the fake nimbusd answers from now on
desired() {
	local g=$1; shift
	jq -nc --argjson g "$g" '{node: "hw1", generation: $g, instances: $ARGS.positional}' \
		--jsonargs "$@" >"$D/nimbusd/desired.tmp" && mv "$D/nimbusd/desired.tmp" "$D/nimbusd/desired.json"
}
obs() { jq -e "$1" "$D/nimbusd/observed.json" >/dev/null 2>&1; }
# wait_obs SECONDS WHAT JQ: until the last observed state posted satisfies JQ
wait_obs() {
	if lab_wait "$1" obs "$3"; then
		ok "$2"
	else
		not_ok "$2 (jq: $3)"
		note "last observed state: $(cat "$D/nimbusd/observed.json" 2>/dev/null | head -c 3000)"
		note "agent log: $(tail -n 15 "$D/hostd.log" | tr '\n' '|')"
	fi
}
ev() { printf '([.events[] | select(.instance == "%s" and (.text | test("%s")))] | length > 0)' "$1" "$2"; }
in_obs() { printf '((.instances[] | select(.name == "%s") | %s) // false)' "$1" "$2"; }

MAC=52:54:00:4e:00:99
printf 'NIMBUS_NODE=hw1\nNIMBUS_REPORT=127.0.0.1:8099\n' >"$D/boot.env"
lab_netns n
desired 1 "$(inst inst1 running)" "$(inst inst2 running)"
# a domain made by hand, which nimbusd never names
mkdir -p "$D/virt/doms/manual"; touch "$D/virt/doms/manual/persistent"
echo running >"$D/virt/doms/manual/state"; echo 1 >"$D/virt/doms/manual/id"

# --- 1. the brief's smoke: no virsh at all, nimbusd late --------------------
check "probe without virsh: libvirt false, libvirt_error says why" \
	bash -c "PATH='$D/nobin:/usr/bin:/bin' FAKE_VIRT='$D/virt' '$H' probe --mac $MAC --boot-env '$D/boot.env' 2>/dev/null |
		jq -e '.libvirt == false and (.libvirt_error | test(\"cannot run virsh\")) and .xen_version == \"4.17.5\" and .instances == []' >/dev/null"
lab_bg n "$D/hostd-novirsh.log" env PATH="$D/nobin:/usr/bin:/bin" FAKE_VIRT="$D/virt" \
	"$H" run --boot-env "$D/boot.env" --mac $MAC --state-dir "$D/state-novirsh" --probe-interval 1 \
	--pki-dir "$D/pki-novirsh"
novirsh=$LAB_PID
sleep 3     # two GETs (0 s, 2 s) refused by nobody
lab_bg n "$D/socat.log" socat TCP-LISTEN:8099,bind=127.0.0.1,reuseaddr,fork EXEC:"$D/bin/fake-nimbusd $D/nimbusd"
wait_obs 10 "without virsh: observed posted with libvirt false" \
	'.libvirt == false and (.libvirt_error | test("not installed")) and .node == "hw1" and .mac == "'$MAC'"'
refused=$(grep -c 'GET desired state from nimbusd' "$D/hostd-novirsh.log")
if [ "$refused" = 1 ] && grep -q 'nimbusd answers again' "$D/hostd-novirsh.log"; then
	ok "nimbusd unreachable for 3 s: logged once, and once when it answers"
else
	not_ok "nimbusd unreachable logged $refused times: $(grep 'desired' "$D/hostd-novirsh.log" | tr '\n' '|')"
fi
check "without virsh the agent changed nothing" bash -c "! grep -qv '^list' '$D/virt/virsh.log' 2>/dev/null"
refused=$(grep -c 'libvirt certificate from nimbusd: Connection refused' "$D/hostd-novirsh.log")
check "certificate request to an unreachable nimbusd: logged once ($refused), nothing written" \
	bash -c "[ '$refused' = 1 ] && [ ! -e '$D/pki-novirsh/libvirt/servercert.pem' ]"
lab_stop "$novirsh"

# --- 2. the agent with a (fake) libvirt ------------------------------------
rm -f "$N/certreqs"
lab_bg n "$D/hostd.log" env PATH="$D/bin:/usr/bin:/bin" FAKE_VIRT="$D/virt" \
	"$H" run --boot-env "$D/boot.env" --mac $MAC --state-dir "$D/state" --probe-interval 1 \
	--pki-dir "$D/pki"
hostd=$LAB_PID
wait_obs 10 "generation 1: inst1 and inst2 defined and started" \
	"$(in_obs inst1 '.state == "running" and .persistent and .memory_mib == 256 and .vcpus == 1') and
	 $(in_obs inst2 '.state == "running"') and .generation == 1 and .libvirt and
	 $(ev inst1 '^defined$') and $(ev inst1 '^started$') and .cpus == 4 and .memory_free_mib == 4096"
check "the XML defined is nimbusd's, kept in the state directory" \
	bash -c "grep -q '<name>inst1</name>' '$D/state/inst1.xml' && cmp -s '$D/state/inst1.xml' '$D/virt/doms/inst1/xml'"
check "a domain nimbusd does not name is reported, never touched" \
	bash -c "jq -e '$(in_obs manual '.state == "running"')' '$D/nimbusd/observed.json' >/dev/null &&
		 ! grep -v '^list' '$D/virt/virsh.log' | grep -qw manual"
check "dom0 is not reported" bash -c "! jq -e '.instances[] | select(.name | test(\"Domain\"))' '$D/nimbusd/observed.json'"

# --- the libvirt certificate, asked for at start ---------------------------
CERT_EV='^libvirt certificate from nimbusd, valid until [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC; libvirtd restarted$'
wait_obs 10 "libvirt certificate: an event of the node once libvirtd restarted" "$(ev '' "$CERT_EV")"
P=$D/pki
modes() { stat -c '%a %n' "$P/CA" "$P/CA/cacert.pem" "$P/libvirt" "$P/libvirt/servercert.pem" \
	"$P/libvirt/clientcert.pem" "$P/libvirt/private" "$P/libvirt/private/serverkey.pem" \
	"$P/libvirt/private/clientkey.pem" 2>&1 | sed "s:$P/::" | tr '\n' ' '; }
check "the five files and their directories, with libvirt's modes" \
	[ "$(modes)" = "755 CA 644 CA/cacert.pem 755 libvirt 644 libvirt/servercert.pem 644 libvirt/clientcert.pem 700 libvirt/private 600 libvirt/private/serverkey.pem 600 libvirt/private/clientkey.pem " ]
check "the key is the certificate's (server and client)" \
	bash -c "cmp -s <(openssl x509 -noout -pubkey -in '$P/libvirt/servercert.pem') <(openssl pkey -pubout -in '$P/libvirt/private/serverkey.pem') &&
		 cmp -s '$P/libvirt/servercert.pem' '$P/libvirt/clientcert.pem' &&
		 cmp -s '$P/libvirt/private/serverkey.pem' '$P/libvirt/private/clientkey.pem' &&
		 openssl pkey -noout -text -in '$P/libvirt/private/serverkey.pem' | grep -q 'NIST CURVE: P-256'"
check "the CA is nimbusd's, and it signed the certificate for hw1" \
	bash -c "cmp -s '$P/CA/cacert.pem' '$N/ca.pem' &&
		 openssl verify -CAfile '$P/CA/cacert.pem' '$P/libvirt/servercert.pem' >/dev/null &&
		 openssl x509 -noout -subject -in '$P/libvirt/servercert.pem' | grep -q 'CN *= *hw1'"
check "the request came with the agent's MAC and node name" [ "$(cat "$N/certreqs")" = "$MAC hw1" ]
check "libvirtd restarted through systemctl, once" \
	[ "$(cat "$D/virt/systemctl.log")" = "restart nimbus-libvirtd.service" ]
check "the agent logged the certificate and the restart" \
	grep -Eq 'libvirt certificate for hw1 from nimbusd, valid until [0-9-]+ [0-9:]+ UTC; libvirtd restarted$' "$D/hostd.log"

touch "$D/virt/doms/inst2/ignore-shutdown"
desired 2 "$(inst inst1 stopped)" "$(inst inst2 stopped '{"stop_timeout_s": 2}')"
wait_obs 10 "generation 2: a clean shutdown, and a destroy after stop_timeout_s" \
	"$(in_obs inst1 '.state == "shutoff" and .persistent') and $(in_obs inst2 '.state == "shutoff"') and
	 $(ev inst1 '^stopped cleanly after [0-9.]+ s$') and
	 $(ev inst2 '^destroyed: no clean shutdown within 2 s$') and .generation == 2"

desired 3 "$(inst inst1 running)" "$(inst inst2 absent)"
wait_obs 10 "generation 3: inst1 started again, inst2 (absent) undefined" \
	"$(in_obs inst1 '.state == "running"') and ([.instances[] | select(.name == \"inst2\")] | length == 0) and
	 $(ev inst2 '^undefined$') and .generation == 3"
check "inst2's files left the state directory" bash -c "[ ! -e '$D/state/inst2.xml' ] && [ ! -e '$D/state/inst2.state' ]"

desired 4 "$(inst inst1 running '{"reboot_seq": 1}')"
wait_obs 10 "generation 4: reboot_seq 1 reboots inst1 once" "$(ev inst1 '^rebooted$') and .generation == 4"
check "exactly one virsh reboot" bash -c "[ \$(grep -c '^reboot inst1' '$D/virt/virsh.log') = 1 ]"

# a start that fails, then works; and inst1 migrates meanwhile
touch "$D/virt/fail-start"
desired 5 "$(inst inst1 running '{"reboot_seq": 1, "migrate": {"id": 7, "to": "hw2", "to_addr": "10.77.0.2"}}')" \
	"$(inst inst3 running)"
wait_obs 10 "a failed start: the instance's error and an event" \
	"$(in_obs inst3 '.error == "start failed: internal error: fake start failure"') and
	 $(ev inst3 '^start failed: internal error: fake start failure$')"
wait_obs 10 "migration 7 done: reported in a pseudo-entry (shut off, not persistent)" \
	"$(in_obs inst1 '.state == "shutoff" and (.persistent | not) and .migration.id == 7 and
		.migration.phase == "done" and .migration.elapsed_ms >= 900 and .migration.started_ms > 0') and
	 $(ev inst1 '^migrated to hw2 in [0-9.]+ s$')"
check "the migration ran the documented virsh command" \
	grep -qx 'migrate --live --p2p --persistent --undefinesource inst1 xen+tls://10.77.0.2/system tcp://10.77.0.2' "$D/virt/virsh.log"
rm -f "$D/virt/fail-start"
wait_obs 15 "the start retried after its back-off: running, error cleared" \
	"$(in_obs inst3 '.state == "running" and .error == ""') and .generation == 5"
check "nothing started or defined inst1 again while nimbusd still asks for the migration" \
	bash -c "! grep -qE '^(define .*inst1|start inst1)' <(sed -n '/^migrate /,\$p' '$D/virt/virsh.log')"

desired 6 "$(inst inst3 running)"
wait_obs 10 "generation 6: nimbusd no longer asks for inst1: its pseudo-entry is gone" \
	"([.instances[] | select(.name == \"inst1\")] | length == 0) and .generation == 6"
check "inst1's files left the state directory" bash -c "[ ! -e '$D/state/inst1.state' ] && [ ! -e '$D/state/inst1.xml' ]"
check "events count from 1 and stay at most 32" \
	bash -c "jq -e '(.events | length) <= 32 and .events[-1].seq >= (.events | length)' '$D/nimbusd/observed.json' >/dev/null"

touch "$D/virt/libvirt-down"
wait_obs 10 "libvirt gone: libvirt false, its error, no instances claimed" \
	'.libvirt == false and (.libvirt_error | test("Connection refused")) and .instances == []'
rm -f "$D/virt/libvirt-down"
wait_obs 10 "libvirt back: instances again" "$(in_obs inst3 '.state == "running"') and .libvirt"

touch "$D/virt/fail-migrate"
desired 7 "$(inst inst3 running '{"migrate": {"id": 8, "to": "hw2", "to_addr": "10.77.0.2"}}')"
wait_obs 10 "a failed migration: phase failed with virsh's error, the domain still here and running" \
	"$(in_obs inst3 '.state == "running" and .persistent and .migration.id == 8 and .migration.phase == "failed" and
		.migration.error == "internal error: fake migrate failure"') and
	 $(ev inst3 '^migration to hw2 failed after [0-9.]+ s: internal error: fake migrate failure$') and .generation == 7"
check "a failed migration is not run again for the same id" \
	bash -c "sleep 2; [ \$(grep -c '^migrate .* inst3 ' '$D/virt/virsh.log') = 1 ]"

check "a good certificate is not asked for again" [ "$(wc -l <"$N/certreqs")" = 1 ]

kill -TERM "$hostd"
wait "$hostd"; rc=$?
check "SIGTERM: exit status 0" [ "$rc" = 0 ]
check "SIGTERM left the domains as they were" [ "$(cat "$D/virt/doms/inst3/state")" = running ]

# --- a certificate that expires within 7 days: a new one at the next start -
desired 8 "$(inst inst3 running)"
{
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=hw1" \
		-keyout "$D/soon.key" -out "$D/soon.csr" &&
	openssl x509 -req -in "$D/soon.csr" -CA "$N/ca.pem" -CAkey "$N/ca.key" -CAserial "$N/ca.srl" \
		-days 3 -out "$D/soon.pem"
} >>"$N/openssl.log" 2>&1 || lab_fail "openssl: no short certificate"
for f in libvirt/servercert.pem libvirt/clientcert.pem; do cp "$D/soon.pem" "$P/$f"; done
for f in libvirt/private/serverkey.pem libvirt/private/clientkey.pem; do cp "$D/soon.key" "$P/$f"; done
# first nimbusd answers with a certificate for another key: not taken
touch "$N/cert-other-key"
lab_bg n "$D/hostd-renew1.log" env PATH="$D/bin:/usr/bin:/bin" FAKE_VIRT="$D/virt" \
	"$H" run --boot-env "$D/boot.env" --mac $MAC --state-dir "$D/state" --probe-interval 1 \
	--pki-dir "$P"
renew=$LAB_PID
wait_obs 10 "a certificate for another key: refused, the agent goes on (generation 8)" \
	".generation == 8 and $(in_obs inst3 '.state == "running"')"
check "... logged why, and left the old files and libvirtd alone" \
	bash -c "grep -q 'expires .* UTC, within 7 days: asking nimbusd for one' '$D/hostd-renew1.log' &&
		 grep -q \"libvirt certificate from nimbusd: not taken: cert: not for the key of this node's request\" '$D/hostd-renew1.log' &&
		 cmp -s '$D/soon.pem' '$P/libvirt/servercert.pem' && cmp -s '$D/soon.key' '$P/libvirt/private/serverkey.pem' &&
		 [ \$(wc -l <'$D/virt/systemctl.log') = 1 ]"
lab_stop "$renew"
rm -f "$N/cert-other-key"
# an instance arriving here: the renewal's restart waits for it (without spinning)
desired 9 "$(inst inst3 running)" "$(inst inst9 incoming)"
lab_bg n "$D/hostd-renew2.log" env PATH="$D/bin:/usr/bin:/bin" FAKE_VIRT="$D/virt" \
	"$H" run --boot-env "$D/boot.env" --mac $MAC --state-dir "$D/state" --probe-interval 1 \
	--pki-dir "$P"
renew=$LAB_PID
cpu() { awk '{ print $14 + $15 }' "/proc/$renew/stat"; }
if lab_wait 10 grep -q 'restarting libvirtd waits for the live migration under way' "$D/hostd-renew2.log"; then
	c0=$(cpu); sleep 2; c1=$(cpu)
	check "while instance inst9 is incoming: new files, libvirtd not restarted, the agent idle ($((c1 - c0)) ticks in 2 s)" \
		bash -c "! cmp -s '$D/soon.key' '$P/libvirt/private/serverkey.pem' &&
			 [ \$(wc -l <'$D/virt/systemctl.log') = 1 ] && [ $((c1 - c0)) -lt 50 ]"
else
	not_ok "no renewal waiting for the incoming instance: $(tail -n 5 "$D/hostd-renew2.log" | tr '\n' '|')"
fi
desired 10 "$(inst inst3 running)"
if lab_wait 10 grep -q 'libvirtd restarted$' "$D/hostd-renew2.log"; then
	na=$(date -d "$(openssl x509 -noout -enddate -in "$P/libvirt/servercert.pem" | cut -d= -f2)" +%s)
	check "renewed at start: a new key and a certificate for 30 days, libvirtd restarted once inst9 no longer comes" \
		bash -c "[ $na -gt $(( $(date +%s) + 20 * 86400 )) ] && ! cmp -s '$D/soon.key' '$P/libvirt/private/serverkey.pem' &&
			 cmp -s <(openssl x509 -noout -pubkey -in '$P/libvirt/clientcert.pem') <(openssl pkey -pubout -in '$P/libvirt/private/clientkey.pem') &&
			 [ \$(grep -c '^restart nimbus-libvirtd.service\$' '$D/virt/systemctl.log') = 2 ]"
else
	not_ok "no renewal: $(tail -n 5 "$D/hostd-renew2.log" | tr '\n' '|')"
fi
lab_stop "$renew"
note "virsh commands run: $(grep -vc '^list' "$D/virt/virsh.log") actions, $(grep -c '^list' "$D/virt/virsh.log") probes"
