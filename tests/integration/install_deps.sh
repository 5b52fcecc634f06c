#!/usr/bin/env bash
# install_deps.sh - scripts/install-deps against stand-ins for dpkg-query and
# apt-get placed first on PATH, so every branch runs without touching the
# machine's packages. The policy-rc.d it creates and removes is moved into
# the test's directory with NIMBUS_POLICY_RC. Cases: every package present;
# some missing and no policy-rc.d (created for apt-get, removed after); some
# missing with a policy-rc.d already there (left exactly as it was); apt-get
# failing (non-zero, the message names the missing packages). The exit
# status is checked in every case.
# timeout: 60
. "${NIMBUS_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/lab.sh"
lab_init

script=${INSTALL_DEPS:-$NIMBUS_TOP/scripts/install-deps}
stubs=$LAB_DIR/stubs
calls=$LAB_DIR/calls
policy=$LAB_DIR/policy-rc.d
mkdir -p "$stubs"

# dpkg-query -W -f='${Status}' PKG: installed unless PKG is in $STUB_MISSING.
cat >"$stubs/dpkg-query" <<'EOF'
#!/bin/sh
pkg=$(eval echo "\${$#}")
for m in $STUB_MISSING; do
	[ "$m" = "$pkg" ] && { echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; }
done
printf 'install ok installed'
EOF
# apt-get: records its arguments and whether policy-rc.d exists while it
# runs (with its content), and fails with $STUB_APT_FAIL for that subcommand.
cat >"$stubs/apt-get" <<'EOF'
#!/bin/sh
echo "apt-get $*" >>"$STUB_CALLS"
if [ -e "$NIMBUS_POLICY_RC" ]; then
	echo "policy present: $(tr '\n' ' ' <"$NIMBUS_POLICY_RC")" >>"$STUB_CALLS"
else
	echo "policy absent" >>"$STUB_CALLS"
fi
case " $* " in
*" $STUB_APT_FAIL "*) echo "E: stand-in apt-get fails for '$STUB_APT_FAIL'" >&2; exit 100 ;;
esac
exit 0
EOF
chmod 755 "$stubs/dpkg-query" "$stubs/apt-get"

# run_deps MISSING APT_FAIL: runs install-deps, leaves its exit status in
# $rc and its output in $LAB_DIR/out.
run_deps() {
	: >"$calls"
	STUB_MISSING=$1 STUB_APT_FAIL=$2 STUB_CALLS=$calls NIMBUS_POLICY_RC=$policy \
		PATH="$stubs:$PATH" sh "$script" >"$LAB_DIR/out" 2>&1 </dev/null
	rc=$?
	sed 's/^/#   /' "$LAB_DIR/out"
}
called() { grep -Fq -- "$1" "$calls"; }
said() { grep -Eq -- "$1" "$LAB_DIR/out"; }

# --- every package present ----------------------------------------------------
rm -f "$policy"
run_deps "" ""
check "all present: exit 0" [ "$rc" = 0 ]
check "all present: says so" said "all packages present"
check "all present: apt-get not run" [ ! -s "$calls" ]
check "all present: no policy-rc.d left" [ ! -e "$policy" ]

# --- some missing, no policy-rc.d -------------------------------------------
rm -f "$policy"
run_deps "vblade fio" ""
check "missing, no policy-rc.d: exit 0" [ "$rc" = 0 ]
check "missing: installs exactly the missing packages" \
	grep -Eq -- '^apt-get install .* vblade fio$' "$calls"
check "missing: apt-get update first" \
	bash -c '[ "$(head -1 "$1")" = "apt-get update -q" ]' _ "$calls"
check "missing, no policy-rc.d: one denying services exists while apt-get runs" \
	called "policy present: #!/bin/sh exit 101"
check "missing, no policy-rc.d: removed afterwards" [ ! -e "$policy" ]
check "missing: says what it installed" said "installed: vblade fio"

# --- some missing, policy-rc.d already there ------------------------------------
printf '#!/bin/sh\n# the machine'"'"'s own\nexit 0\n' >"$policy"
chmod 700 "$policy"
touch -d '2020-01-02 03:04:05' "$policy"
before=$(stat -c '%a %s %Y' "$policy"; sha256sum <"$policy")
run_deps "tcpdump" ""
after=$(stat -c '%a %s %Y' "$policy" 2>/dev/null; sha256sum <"$policy" 2>/dev/null)
check "missing, policy-rc.d present: exit 0" [ "$rc" = 0 ]
check "missing, policy-rc.d present: apt-get saw the machine's own" \
	called "policy present: #!/bin/sh # the machine's own exit 0"
check "missing, policy-rc.d present: left exactly as it was (mode, size, mtime, content)" \
	[ "$before" = "$after" ]

# --- apt-get failing ------------------------------------------------------------------
rm -f "$policy"
run_deps "vblade aoetools" "install"
check "apt-get install fails: non-zero exit" [ "$rc" != 0 ]
check "apt-get install fails: message names the step and the packages" \
	said "apt-get install failed.*vblade aoetools"
check "apt-get install fails: policy-rc.d it made is removed" [ ! -e "$policy" ]

rm -f "$policy"
run_deps "vblade" "update"
check "apt-get update fails: non-zero exit" [ "$rc" != 0 ]
check "apt-get update fails: install not attempted" bash -c '! grep -q "^apt-get install" "$1"' _ "$calls"
check "apt-get update fails: message names the step and the packages" \
	said "apt-get update failed.*vblade"
