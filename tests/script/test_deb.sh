#!/bin/bash
# test_deb.sh: the Debian packages that `make deb` builds.
#
# Runs `make deb` (incremental: a tree built before recompiles only what
# changed) and checks the three .deb files: file lists, owners and modes,
# conffiles, maintainer scripts (run with stub systemd tools that record what
# they are asked), that the binaries run and the units name files that
# exist; installs them into a scratch root with `dpkg --root=DIR
# --force-script-chrootless --force-depends` (the maintainer scripts run on
# this host with DPKG_ROOT=DIR, which systemd-sysusers, systemd-tmpfiles and
# deb-systemd-helper honour: nothing outside DIR is touched), upgrades to a
# repacked higher version after the conffiles were edited, purges the agent,
# and runs lintian. Needs root (dpkg --root installs root-owned files).
set -u
export LC_ALL=C

src=${POSTROUTE_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib/shtest.sh
. "$src/tests/lib/shtest.sh"

version=$(cat "$src/VERSION")
arch=$(dpkg --print-architecture)
newversion="$version+1"
work=$(mktemp -d "${POSTROUTE_TMP:-/tmp}/deb.XXXXXX")
trap '[ -n "${KEEP_TMP:-}" ] || rm -rf "$work"' EXIT
root=$work/root
debdir=$src/build/deb

deb_of() { echo "$debdir/${1}_${version}_$arch.deb"; }
pkgs="postroute-controller postroute-agent postroute"

# dpkg into the scratch root; maintainer scripts run here with DPKG_ROOT set.
rdpkg()
{
	dpkg --root="$root" --force-script-chrootless --force-depends \
	    --log="$work/dpkg.log" "$@" </dev/null
}

# Files (not directories) of a .deb: "MODE OWNER PATH" per line, sorted.
deb_files()
{
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ { p = $6; sub(/^\.\//, "/", p); print $1, $2, p }' | sort
}

# ---------------------------------------------------------------- build once
build_log=$work/build.log
git -C "$src" status --porcelain --ignored=no >"$work/tree.before" 2>&1
if [ "$(id -u)" != 0 ]; then
	echo "test_deb: dpkg --root needs root" >"$build_log"
	built=0
elif env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$src" deb >"$build_log" 2>&1; then
	built=1
else
	built=0
fi
git -C "$src" status --porcelain --ignored=no >"$work/tree.after" 2>&1
need_build()
{
	[ "$built" = 1 ] || { tail -40 "$build_log" | sed 's/^/      | /'; st_fail "make deb failed"; }
}

# ------------------------------------------------------------------ versions
t_version()
{
	need_build
	st_eq "debian/changelog version" "$version" \
	    "$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)"
	for p in $pkgs; do
		[ -f "$(deb_of "$p")" ] || st_fail "no $(deb_of "$p")"
		st_eq "$p Version" "$version" "$(dpkg-deb -f "$(deb_of "$p")" Version)"
		st_eq "$p Package" "$p" "$(dpkg-deb -f "$(deb_of "$p")" Package)"
	done
	n=$(find "$debdir" -maxdepth 1 -name '*.deb' | wc -l)
	st_eq "number of .deb files in build/deb" 3 "$n"
	# make deb refuses a VERSION the changelog does not have
	if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$src" deb VERSION=99.0.0 \
	    >"$work/mismatch.log" 2>&1; then
		st_fail "make deb VERSION=99.0.0 succeeded with a changelog at $version"
	fi
	st_contains "make deb on a version mismatch" "$work/mismatch.log" \
	    "debian/changelog says $version, VERSION says 99.0.0"
}

# make deb builds in a copy: the tree has no new or changed file
t_tree_untouched()
{
	need_build
	diff -u "$work/tree.before" "$work/tree.after" >"$work/tree.diff" ||
	    { sed 's/^/      | /' "$work/tree.diff"; st_fail "make deb changed the source tree (git status)"; }
}

# ------------------------------------------------------------- file lists
check_files()
{
	local pkg=$1 expected=$2 got=$work/$1.files
	deb_files "$(deb_of "$pkg")" >"$got"
	awk '{ print $3 }' "$got" | sort >"$got.paths"
	sort "$expected" >"$expected.sorted"
	if ! diff -u "$expected.sorted" "$got.paths" >"$work/$pkg.diff"; then
		sed 's/^/      | /' "$work/$pkg.diff"
		st_fail "$pkg: file list differs (- expected, + in the .deb)"
	fi
	awk '$2 != "root/root" { print }' "$got" >"$work/$pkg.owners"
	[ ! -s "$work/$pkg.owners" ] || { cat "$work/$pkg.owners"; st_fail "$pkg: files not root/root"; }
	awk '$3 ~ /\/s?bin\// && $1 != "-rwxr-xr-x" { print } $3 !~ /\/s?bin\// && $1 != "-rw-r--r--" { print }' \
	    "$got" >"$work/$pkg.modes"
	[ ! -s "$work/$pkg.modes" ] || { cat "$work/$pkg.modes"; st_fail "$pkg: unexpected modes"; }
}

t_files_controller()
{
	need_build
	local e=$work/controller.expected d=/usr/share/doc/postroute-controller
	{
		echo /usr/sbin/postrouted
		echo /lib/systemd/system/postrouted.service
		echo /etc/postroute/postrouted.ini
		echo /usr/lib/sysusers.d/postroute-controller.conf
		echo /usr/lib/tmpfiles.d/postroute-controller.conf
		echo /usr/share/man/man8/postrouted.8.gz
		for f in "$src"/schema/*.sql; do echo "/usr/share/postroute/schema/${f##*/}"; done
		for f in README.md.gz api.md.gz audit.md.gz deploy.md.gz security.md.gz changelog.gz copyright \
		    examples/postrouted.ini examples/prometheus-alerts.yml \
		    examples/grafana-dashboard.json; do
			echo "$d/$f"
		done
	} >"$e"
	check_files postroute-controller "$e"
}

t_files_agent()
{
	need_build
	local e=$work/agent.expected d=/usr/share/doc/postroute-agent
	{
		echo /usr/sbin/postroute-agent
		echo /lib/systemd/system/postroute-agent.service
		echo /etc/postroute/agent.ini
		echo /usr/lib/sysusers.d/postroute-agent.conf
		echo /usr/lib/tmpfiles.d/postroute-agent.conf
		echo /usr/share/man/man8/postroute-agent.8.gz
		echo /usr/share/postroute/rules.conf
		echo /usr/share/postroute/providers.conf
		for f in README.md.gz deploy.md.gz security.md.gz detector.md.gz changelog.gz copyright \
		    examples/agent.ini; do
			echo "$d/$f"
		done
	} >"$e"
	check_files postroute-agent "$e"
}

t_files_cli()
{
	need_build
	local e=$work/cli.expected d=/usr/share/doc/postroute
	{
		echo /usr/bin/postroute
		echo /etc/postroute/cli.ini
		echo /usr/share/man/man1/postroute.1.gz
		echo /usr/share/bash-completion/completions/postroute
		for f in README.md.gz changelog.gz copyright examples/cli.ini; do echo "$d/$f"; done
	} >"$e"
	check_files postroute "$e"
}

# The data files and examples are the tree's, byte for byte.
t_files_content()
{
	need_build
	for p in $pkgs; do
		dpkg-deb -x "$(deb_of "$p")" "$work/x" || st_fail "dpkg-deb -x $p"
	done
	local x=$work/x pair
	for pair in deploy/rules.conf:usr/share/postroute/rules.conf \
	    deploy/providers.conf:usr/share/postroute/providers.conf \
	    deploy/postrouted.service:lib/systemd/system/postrouted.service \
	    deploy/postroute-agent.service:lib/systemd/system/postroute-agent.service \
	    deploy/postrouted.ini:usr/share/doc/postroute-controller/examples/postrouted.ini \
	    deploy/agent.ini:usr/share/doc/postroute-agent/examples/agent.ini \
	    deploy/cli.ini:usr/share/doc/postroute/examples/cli.ini \
	    deploy/bash-completion/postroute:usr/share/bash-completion/completions/postroute \
	    debian/conf/postrouted.ini:etc/postroute/postrouted.ini \
	    debian/conf/agent.ini:etc/postroute/agent.ini \
	    debian/conf/cli.ini:etc/postroute/cli.ini; do
		cmp -s "$src/${pair%%:*}" "$x/${pair#*:}" || st_fail "/${pair#*:} is not ${pair%%:*}"
	done
	for f in "$src"/schema/*.sql; do
		cmp -s "$f" "$x/usr/share/postroute/schema/${f##*/}" || st_fail "schema ${f##*/} differs"
	done
}

# ------------------------------------------------------------ conffiles
t_conffiles()
{
	need_build
	local pair p
	for pair in postroute-controller:postrouted.ini postroute-agent:agent.ini postroute:cli.ini; do
		p=${pair%%:*}
		rm -rf "$work/ctl"
		dpkg-deb -e "$(deb_of "$p")" "$work/ctl" || st_fail "dpkg-deb -e $p"
		[ -f "$work/ctl/conffiles" ] || st_fail "$p has no conffiles"
		st_eq "$p conffiles" "/etc/postroute/${pair#*:}" "$(cat "$work/ctl/conffiles")"
	done
}

# The shipped conffiles make the daemons refuse to start, naming the key;
# the lines they suggest, uncommented, are a valid configuration.
t_shipped_config()
{
	need_build
	local x=$work/xc out=$work/out
	for p in $pkgs; do dpkg-deb -x "$(deb_of "$p")" "$x" || st_fail "dpkg-deb -x $p"; done
	if "$x/usr/sbin/postrouted" -n -c "$x/etc/postroute/postrouted.ini" >"$out" 2>&1; then
		st_fail "postrouted accepts the shipped postrouted.ini"
	fi
	st_contains "postrouted -n, shipped file" "$out" "[database] conninfo: required key is missing"
	sed 's/^;\(conninfo\|migrate_conninfo\) = /\1 = /' "$x/etc/postroute/postrouted.ini" >"$work/p.ini"
	"$x/usr/sbin/postrouted" -n -c "$work/p.ini" >"$out" 2>&1 ||
	    { cat "$out"; st_fail "postrouted refuses the shipped file's suggested keys"; }
	st_contains "postrouted -n, keys uncommented" "$out" "configuration ok"

	if "$x/usr/sbin/postroute-agent" -n -c "$x/etc/postroute/agent.ini" >"$out" 2>&1; then
		st_fail "postroute-agent accepts the shipped agent.ini"
	fi
	st_contains "postroute-agent -n, shipped file" "$out" "[agent] node: required key is missing"
	st_contains "postroute-agent -n, shipped file" "$out" "[agent] controller: required key is missing"
	echo prt_test >"$work/agent.token" && chmod 600 "$work/agent.token"
	sed -e 's/^;\(node\|controller\|token_file\) = /\1 = /' \
	    -e "s|= /etc/postroute/agent.token|= $work/agent.token|" \
	    "$x/etc/postroute/agent.ini" >"$work/a.ini"
	grep -q '^user = postroute$' "$work/a.ini" || st_fail "agent.ini does not set user = postroute"
	"$x/usr/sbin/postroute-agent" -n -c "$work/a.ini" >"$out" 2>&1 ||
	    { cat "$out"; st_fail "postroute-agent refuses the shipped file's suggested keys"; }
	st_contains "postroute-agent -n, keys uncommented" "$out" "configuration ok"

	if env -u POSTROUTE_URL -u POSTROUTE_TOKEN "$x/usr/bin/postroute" status \
	    --config "$x/etc/postroute/cli.ini" >"$out" 2>&1; then
		st_fail "postroute status ran with the shipped cli.ini, which names no controller"
	fi
	st_contains "postroute status, shipped cli.ini" "$out" "no controller URL"
}

# ------------------------------------------------------- maintainer scripts
# Stub systemd tools that log their argv; deb-systemd-helper says the unit
# was installed before and, with STUB_WAS_ENABLED=1, enabled.
make_stubs()
{
	local s=$work/stubs t
	mkdir -p "$s" "$work/run-systemd"
	for t in systemd-sysusers systemd-tmpfiles systemctl deb-systemd-invoke deb-systemd-helper; do
		cat >"$s/$t" <<EOF
#!/bin/sh
echo "$t \$*" >>"$work/calls"
case "$t \$*" in
"deb-systemd-helper debian-installed"*) exit 0 ;;
"deb-systemd-helper --quiet was-enabled"*) [ "\${STUB_WAS_ENABLED:-0}" = 1 ]; exit \$? ;;
esac
exit 0
EOF
		chmod +x "$s/$t"
	done
}

# run_script PKG SCRIPT ARGS...: runs the package's maintainer script with
# the stubs first in PATH, as on a host booted with systemd.
run_script()
{
	local p=$1 s=$2
	shift 2
	rm -rf "$work/ctl-$p"
	dpkg-deb -e "$(deb_of "$p")" "$work/ctl-$p" || st_fail "dpkg-deb -e $p"
	[ -f "$work/ctl-$p/$s" ] || st_fail "$p has no $s"
	sed "s|/run/systemd/system|$work/run-systemd|g" "$work/ctl-$p/$s" >"$work/$p.$s"
	: >"$work/calls"
	env -u DPKG_ROOT PATH="$work/stubs:$PATH" sh "$work/$p.$s" "$@" >"$work/script.out" 2>&1 ||
	    { cat "$work/script.out"; st_fail "$p $s $* exited non-zero"; }
}

check_service_scripts()
{
	local p=$1 unit=$2 c=$work/calls
	make_stubs
	run_script "$p" postinst configure
	st_contains "$p postinst on install" "$c" "systemd-sysusers $p.conf"
	st_contains "$p postinst on install" "$c" "systemd-tmpfiles --create $p.conf"
	st_lacks "$p postinst on install (starts nothing)" "$c" "deb-systemd-invoke"
	st_lacks "$p postinst on install (enables nothing)" "$c" "deb-systemd-helper enable"
	st_contains "$p postinst on install" "$c" "deb-systemd-helper update-state $unit"

	run_script "$p" postinst configure 0.0.1
	st_contains "$p postinst on upgrade" "$c" "deb-systemd-invoke try-restart $unit"
	st_lacks "$p postinst on upgrade (no start of a stopped service)" "$c" "deb-systemd-invoke start"
	st_lacks "$p postinst on upgrade (not enabled)" "$c" "deb-systemd-helper enable"
	st_contains "$p postinst on upgrade" "$c" "systemd-sysusers $p.conf"

	STUB_WAS_ENABLED=1 run_script "$p" postinst configure 0.0.1
	st_contains "$p postinst on upgrade of an enabled unit" "$c" "deb-systemd-helper enable $unit"

	run_script "$p" prerm remove
	st_contains "$p prerm remove" "$c" "deb-systemd-invoke stop $unit"
	run_script "$p" prerm upgrade "$version"
	st_lacks "$p prerm upgrade (keeps running until the new postinst)" "$c" "deb-systemd-invoke"

	run_script "$p" postrm purge
	st_contains "$p postrm purge" "$c" "deb-systemd-helper purge $unit"

	dpkg-deb --fsys-tarfile "$(deb_of "$p")" | tar -xOf - "./usr/lib/sysusers.d/$p.conf" >"$work/sysusers"
	grep -qx 'u postroute - "postroute daemons" /nonexistent' "$work/sysusers" ||
	    { cat "$work/sysusers"; st_fail "$p: sysusers.d does not declare the postroute user"; }
}

t_scripts_controller()
{
	need_build
	check_service_scripts postroute-controller postrouted.service
}

t_scripts_agent()
{
	need_build
	check_service_scripts postroute-agent postroute-agent.service
	dpkg-deb --fsys-tarfile "$(deb_of postroute-agent)" |
	    tar -xOf - ./usr/lib/tmpfiles.d/postroute-agent.conf >"$work/tmpfiles"
	st_contains "agent tmpfiles.d" "$work/tmpfiles" "d /var/lib/postroute-agent 0711 root root -"
	# the unprivileged side reads the journal ([logwatch] source = journal)
	dpkg-deb --fsys-tarfile "$(deb_of postroute-agent)" |
	    tar -xOf - ./usr/lib/sysusers.d/postroute-agent.conf >"$work/sysusers-agent"
	grep -qx 'm postroute systemd-journal' "$work/sysusers-agent" ||
	    st_fail "agent sysusers.d does not put postroute in group systemd-journal"
	# purge removes the state, wherever DPKG_ROOT points
	mkdir -p "$work/purge/var/lib/postroute-agent/user"
	echo 7 >"$work/purge/var/lib/postroute-agent/user/version"
	DPKG_ROOT=$work/purge PATH="$work/stubs:$PATH" sh "$work/ctl-postroute-agent/postrm" purge \
	    >"$work/script.out" 2>&1 || { cat "$work/script.out"; st_fail "agent postrm purge failed"; }
	[ ! -e "$work/purge/var/lib/postroute-agent" ] ||
	    st_fail "agent postrm purge left /var/lib/postroute-agent"
}

t_scripts_cli()
{
	need_build
	rm -rf "$work/ctl-cli"
	dpkg-deb -e "$(deb_of postroute)" "$work/ctl-cli"
	for s in preinst postinst prerm postrm; do
		[ ! -e "$work/ctl-cli/$s" ] || st_fail "the CLI package has a $s script, it needs none"
	done
}

# ------------------------------------------------------ binaries and units
t_binaries_run()
{
	need_build
	local x=$work/xb out=$work/out b
	for p in $pkgs; do dpkg-deb -x "$(deb_of "$p")" "$x" || st_fail "dpkg-deb -x $p"; done
	for b in usr/sbin/postrouted usr/sbin/postroute-agent usr/bin/postroute; do
		ldd "$x/$b" >"$out" 2>&1 || st_fail "ldd $b"
		st_lacks "$b libraries" "$out" "not found"
	done
	"$x/usr/sbin/postrouted" --version >"$out" 2>&1 || st_fail "postrouted --version failed"
	st_eq "postrouted --version" "postrouted $version" "$(cat "$out")"
	"$x/usr/bin/postroute" --version >"$out" 2>&1 || st_fail "postroute --version failed"
	st_eq "postroute --version" "postroute $version" "$(cat "$out")"
	"$x/usr/sbin/postroute-agent" --help >"$out" 2>&1 || st_fail "postroute-agent --help failed"
	st_contains "postroute-agent --help" "$out" "usage: postroute-agent"
	# the agent finds its rules and catalogue next to itself when installed
	: >"$work/empty.log"
	env -u POSTROUTE_DATADIR "$x/usr/sbin/postroute-agent" scan "$work/empty.log" >"$out" 2>&1 ||
	    { cat "$out"; st_fail "postroute-agent scan does not find its data files"; }
}

check_unit()
{
	local p=$1 unit=$2 x=$work/xu/$1 u cmd path
	mkdir -p "$x"
	dpkg-deb -x "$(deb_of "$p")" "$x" || st_fail "dpkg-deb -x $p"
	u=$x/lib/systemd/system/$unit
	[ -f "$u" ] || st_fail "$p has no /lib/systemd/system/$unit"
	# systemd's own parser: an unknown key or a bad value is "FILE:LINE: ..."
	# (it also says the binaries are missing here: they are checked below)
	systemd-analyze verify --man=no "$u" >"$work/verify" 2>&1
	if grep -F "$u:" "$work/verify" >"$work/verify.bad"; then
		sed 's/^/      | /' "$work/verify.bad"
		st_fail "$unit: systemd does not parse it cleanly"
	fi
	grep -v '^#' "$u" >"$work/unit.nocomment"
	st_lacks "$unit" "$work/unit.nocomment" "/usr/local"
	grep -q '^ExecStart=/usr/sbin/' "$u" || st_fail "$unit: ExecStart is not in /usr/sbin"
	grep -E '^Exec[A-Za-z]*=' "$u" >"$work/exec" || st_fail "$unit has no Exec lines"
	while IFS= read -r cmd; do
		path=${cmd#*=}
		path=${path#[-@:+!]}
		path=${path%% *}
		case $path in
		/usr/sbin/* | /usr/bin/*) [ -x "$x$path" ] || st_fail "$unit: $path is not in $p" ;;
		/*) [ -x "$path" ] || st_fail "$unit: $path does not exist" ;;
		*) st_fail "$unit: $path is not an absolute path" ;;
		esac
		# -c FILE names the conffile the package ships
		case $cmd in
		*" -c /etc/"*)
			path=${cmd##* -c }
			path=${path%% *}
			[ -f "$x$path" ] || st_fail "$unit: $path is not in $p"
			;;
		esac
	done <"$work/exec"
	grep -o '^Documentation=man:[a-z-]*([0-9])' "$u" | sed 's/.*man:\(.*\)(\(.\))/\1 \2/' >"$work/man"
	read -r name sec <"$work/man" || st_fail "$unit names no man page"
	[ -f "$x/usr/share/man/man$sec/$name.$sec.gz" ] || st_fail "$unit: man page $name($sec) not in $p"
	if grep -q '^User=' "$u"; then
		st_eq "$unit User=" "User=postroute" "$(grep '^User=' "$u")"
	fi
}

t_units()
{
	need_build
	check_unit postroute-controller postrouted.service
	check_unit postroute-agent postroute-agent.service
	grep -q '^StateDirectoryMode=0711$' "$work/xu/postroute-agent/lib/systemd/system/postroute-agent.service" ||
	    st_fail "postroute-agent.service: StateDirectoryMode is not 0711"
}

# ------------------------------------------------- install, upgrade, purge
t_install_root()
{
	need_build
	local out=$work/out p f
	local host_passwd host_group host_state
	host_passwd=$(md5sum </etc/passwd) host_group=$(md5sum </etc/group)
	host_state=$(ls -ld /var/lib/postroute-agent 2>&1)
	rm -rf "$root"
	mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
	: >"$root/var/lib/dpkg/status"
	rdpkg -i "$(deb_of postroute-controller)" "$(deb_of postroute-agent)" "$(deb_of postroute)" \
	    >"$out" 2>&1 || { cat "$out"; st_fail "dpkg --root -i failed"; }
	for p in $pkgs; do
		st_eq "$p status" "install ok installed" \
		    "$(dpkg-query --root="$root" -W -f='${Status}' "$p" 2>&1)"
	done
	for f in postrouted.ini agent.ini cli.ini; do
		cmp -s "$src/debian/conf/$f" "$root/etc/postroute/$f" ||
		    st_fail "$root/etc/postroute/$f is not debian/conf/$f"
	done
	for f in postroute-controller:postrouted.ini postroute-agent:agent.ini postroute:cli.ini; do
		dpkg-query --root="$root" -W -f='${Conffiles}\n' "${f%%:*}" >"$out"
		st_contains "${f%%:*} conffiles in the dpkg database" "$out" "/etc/postroute/${f#*:} "
	done
	grep -q '^postroute:x:[0-9]*:[0-9]*:postroute daemons:/nonexistent:/usr/sbin/nologin$' \
	    "$root/etc/passwd" || { cat "$root/etc/passwd"; st_fail "no postroute user in $root/etc/passwd"; }
	grep -q '^postroute:' "$root/etc/group" || st_fail "no postroute group in $root/etc/group"
	st_eq "/var/lib/postroute-agent" "711 root root" \
	    "$(stat -c '%a %U %G' "$root/var/lib/postroute-agent" 2>&1)"
	st_eq "/etc/postroute" "755 root root" "$(stat -c '%a %U %G' "$root/etc/postroute" 2>&1)"
	for f in "$root"/etc/systemd/system/*.wants/*; do
		[ ! -e "$f" ] || st_fail "a unit is enabled on install: $f"
	done
	# nothing outside the scratch root changed
	st_eq "this host's /etc/passwd" "$host_passwd" "$(md5sum </etc/passwd)"
	st_eq "this host's /etc/group" "$host_group" "$(md5sum </etc/group)"
	st_eq "this host's /var/lib/postroute-agent" "$host_state" "$(ls -ld /var/lib/postroute-agent 2>&1)"
}

# Higher version of a built .deb: same files, conffile optionally changed.
repack()
{
	local p=$1 change=${2:-} d=$work/repack-$1
	rm -rf "$d"
	dpkg-deb -R "$(deb_of "$p")" "$d" || st_fail "dpkg-deb -R $p"
	sed -i "s/^Version: .*/Version: $newversion/" "$d/DEBIAN/control"
	[ -z "$change" ] || echo "; a line the new version adds" >>"$d$change"
	dpkg-deb --root-owner-group -b "$d" "$work/${p}_$newversion.deb" >/dev/null ||
	    st_fail "dpkg-deb -b $p"
}

t_upgrade_keeps_edits()
{
	need_build
	local out=$work/out uid f
	[ -f "$root/etc/postroute/agent.ini" ] || st_fail "nothing installed (t_install_root failed)"
	dpkg --compare-versions "$newversion" gt "$version" || st_fail "$newversion is not above $version"
	for f in postrouted.ini agent.ini cli.ini; do
		echo "; edited by the administrator" >>"$root/etc/postroute/$f"
	done
	echo prt_secret >"$root/etc/postroute/agent.token"
	mkdir -p "$root/var/lib/postroute-agent/user"
	echo 42 >"$root/var/lib/postroute-agent/user/version"
	uid=$(grep '^postroute:' "$root/etc/passwd" | cut -d: -f3)
	repack postroute-controller
	repack postroute-agent
	repack postroute /etc/postroute/cli.ini
	# conffile unchanged by the package, edited here: kept without a question
	rdpkg -i "$work/postroute-controller_$newversion.deb" "$work/postroute-agent_$newversion.deb" \
	    >"$out" 2>&1 || { cat "$out"; st_fail "upgrade of controller and agent failed"; }
	# changed on both sides: what an unattended upgrade does (apt -o Dpkg::Options::=--force-confold)
	rdpkg --force-confdef --force-confold -i "$work/postroute_$newversion.deb" >"$out" 2>&1 ||
	    { cat "$out"; st_fail "upgrade of the CLI failed"; }
	for p in $pkgs; do
		st_eq "$p version after upgrade" "$newversion" \
		    "$(dpkg-query --root="$root" -W -f='${Version}' "$p")"
	done
	for f in postrouted.ini agent.ini cli.ini; do
		st_contains "/etc/postroute/$f after upgrade" "$root/etc/postroute/$f" "; edited by the administrator"
	done
	[ -f "$root/etc/postroute/cli.ini.dpkg-dist" ] || st_fail "no cli.ini.dpkg-dist with the new version's file"
	st_contains "cli.ini.dpkg-dist" "$root/etc/postroute/cli.ini.dpkg-dist" "; a line the new version adds"
	st_eq "agent token after upgrade" prt_secret "$(cat "$root/etc/postroute/agent.token")"
	st_eq "agent state after upgrade" 42 "$(cat "$root/var/lib/postroute-agent/user/version")"
	st_eq "postroute uid after upgrade" "$uid" "$(grep '^postroute:' "$root/etc/passwd" | cut -d: -f3)"
	st_eq "/var/lib/postroute-agent after upgrade" "711 root" \
	    "$(stat -c '%a %U' "$root/var/lib/postroute-agent")"
}

t_remove_and_purge()
{
	need_build
	local out=$work/out
	[ -f "$root/etc/postroute/agent.ini" ] || st_fail "nothing installed (t_install_root failed)"
	rdpkg --remove postroute-controller >"$out" 2>&1 || { cat "$out"; st_fail "remove failed"; }
	[ ! -e "$root/usr/sbin/postrouted" ] || st_fail "remove left /usr/sbin/postrouted"
	[ -f "$root/etc/postroute/postrouted.ini" ] || st_fail "remove deleted the conffile postrouted.ini"
	rdpkg --purge postroute-agent >"$out" 2>&1 || { cat "$out"; st_fail "purge failed"; }
	[ ! -e "$root/etc/postroute/agent.ini" ] || st_fail "purge left /etc/postroute/agent.ini"
	[ ! -e "$root/var/lib/postroute-agent" ] || st_fail "purge left /var/lib/postroute-agent"
	[ -f "$root/etc/postroute/agent.token" ] || st_fail "purge removed the administrator's token file"
	[ -f "$root/etc/postroute/cli.ini" ] || st_fail "purging the agent removed the CLI's cli.ini"
	[ -x "$root/usr/bin/postroute" ] || st_fail "purging the agent removed the CLI"
}

# ---------------------------------------------------------------- lintian
t_lintian()
{
	need_build
	local rc out=$work/lintian.out changes="$debdir/postroute_${version}_$arch.changes"
	[ -f "$changes" ] || st_fail "no $changes"
	lintian --fail-on error,warning "$changes" >"$out" 2>&1
	rc=$?
	if grep -E '^[EW]: ' "$out" >"$work/lintian.bad"; then
		sed 's/^/      | /' "$work/lintian.bad"
		st_fail "lintian reports errors or warnings"
	fi
	[ "$rc" -eq 0 ] || { cat "$out"; st_fail "lintian exited $rc"; }
}

st_case t_version
st_case t_tree_untouched
st_case t_files_controller
st_case t_files_agent
st_case t_files_cli
st_case t_files_content
st_case t_conffiles
st_case t_shipped_config
st_case t_scripts_controller
st_case t_scripts_agent
st_case t_scripts_cli
st_case t_binaries_run
st_case t_units
st_case t_install_root
st_case t_upgrade_keeps_edits
st_case t_remove_and_purge
st_case t_lintian
st_done
