#!/bin/sh
# Build (once) a small debug kernel from Debian's linux-source-6.1 and print
# the path of its tree: arch/x86/boot/bzImage is there, and it builds
# external modules (make -C TREE M=...).
#
# usage: scripts/debug-kernel.sh FLAVOUR      (kasan or kcsan)
#
# The config is `make allnoconfig` with scripts/debug-kernel/base.config
# and FLAVOUR.config merged over it, then olddefconfig; every option the
# fragments ask for is checked to have stuck. The tree is cached outside
# the clone, in $MCR_KERNEL_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/mcrring/debug-kernel), under
# FLAVOUR-KEY where KEY hashes the fragments, this script, the source
# package's version and the compiler: a run that finds it builds nothing.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
flavour=${1:?usage: debug-kernel.sh kasan|kcsan}
frags="$top/scripts/debug-kernel/base.config $top/scripts/debug-kernel/$flavour.config"
src=/usr/src/linux-source-6.1.tar.xz
cache=${MCR_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcrring/debug-kernel}

for f in $frags "$src"; do
	[ -r "$f" ] || { echo "debug-kernel: $f is missing" >&2; exit 1; }
done

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
# shellcheck disable=SC2086 # $frags is a list of paths without blanks
key=$( (cat "$0" $frags; echo "$srcver"; gcc --version | head -n 1) |
	sha256sum | cut -c1-16)
tree=$cache/$flavour-$key
done_stamp=$tree/.mcr-built

if [ -f "$done_stamp" ]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$cache"
# One build per key at a time; a second caller waits and reuses it.
exec 9>"$tree.lock"
flock 9
if [ -f "$done_stamp" ]; then
	echo "$tree"
	exit 0
fi

log=$tree.log
echo "debug-kernel: building $flavour kernel in $tree (log: $log)" >&2
start=$(date +%s)
rm -rf "$tree"
mkdir -p "$tree"
tar -xJf "$src" -C "$tree" --strip-components=1

cd "$tree"
# KCSAN instruments the modules only (make -C TREE M=... compiles them
# with it): KCSAN_SANITIZE=n keeps it out of the kernel's own objects.
# The module's races with itself (the drain thread against read(), an
# interrupt's mcr_printk() against the drain) are what the tier is for,
# and one access in kcsan.skip_watch is then one of the module's, not
# of the whole kernel's. The core's own strict-mode races were only
# counted, and an instrumented core made a fork cost seconds (kill_test:
# 5 s a kill). The lock functions keep their barriers instrumented, as
# mm/ and kernel/sched/ do upstream: otherwise the weak-memory model
# never sees spin_unlock()'s release, and a plain access made under a
# lock looks reordered out of it.
sanitize=
if [ "$flavour" = kcsan ]; then
	sanitize=KCSAN_SANITIZE=n
	echo 'KCSAN_INSTRUMENT_BARRIERS := y' >>kernel/locking/Makefile
fi
# shellcheck disable=SC2086
if ! scripts/kconfig/merge_config.sh -n $frags >"$log" 2>&1 ||
   ! make olddefconfig >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "debug-kernel: configuring failed (log: $log)" >&2
	exit 1
fi

# Each requested value must be in the final .config: Kconfig drops what
# an unmet dependency forbids, and merge_config.sh only warns about it.
bad=0
# shellcheck disable=SC2086
sed -n -e 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' \
       -e 's/^# \(CONFIG_[A-Za-z0-9_]*\) is not set$/\1=n/p' $frags >.mcr-want
while IFS= read -r want; do
	opt=${want%%=*}
	if [ "${want#*=}" = n ]; then
		grep -q "^$opt=" .config || continue
	else
		grep -qxF "$want" .config && continue
	fi
	got=$(grep -E "^$opt=|^# $opt is not set" .config || echo "absent")
	echo "debug-kernel: $want did not stick: .config has $got" >&2
	bad=1
done <.mcr-want
if [ $bad -ne 0 ]; then
	echo "debug-kernel: $flavour config is not what the fragments ask" >&2
	exit 1
fi

# bzImage, not vmlinux: PVH's entry code in 6.1 runs KASAN-instrumented
# before KASAN is set up, and faults. "modules" (there are none) is what
# writes Module.symvers, the exported symbols modules are checked against.
# shellcheck disable=SC2086 # $sanitize is one word or none
if ! make -j"$(nproc)" $sanitize bzImage modules_prepare modules \
	>>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "debug-kernel: build failed (log: $log)" >&2
	exit 1
fi
# External modules need headers, scripts, .config and Module.symvers, not
# the kernel's objects: drop those (over 1 GiB with the sanitizers).
find . -name '*.o' ! -path './scripts/*' ! -path './tools/*' -delete
msg="$flavour kernel $(cat include/config/kernel.release) built in $(($(date +%s) - start)) s"
echo "$msg" >"$done_stamp"
echo "debug-kernel: $msg" >&2
echo "$tree"
