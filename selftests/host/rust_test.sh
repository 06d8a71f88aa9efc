#!/bin/bash
# The Rust crate (bindings/rust): `cargo test --offline`, each of its
# tests (integration, unit, the rustdoc examples) one TAP line. A build
# that fails, or cargo failing without a failed test, is a "not ok". And
# the README shows bindings/rust/examples/mcr_style.rs as it is.
# Uses build/lib/libmcrring.a (check-host builds it) and build/rust/.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
# Debian's cargo, rustc and rustdoc together (bindings/rust/rust.mk says
# why), unless CARGO names another.
if [ -z "${CARGO:-}" ] && [ -x /usr/bin/cargo ]; then
	cargo=/usr/bin/cargo
	export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
else
	cargo=${CARGO:-cargo}
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! command -v "$cargo" >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 cargo test: no $cargo (scripts/deps.sh installs Debian's)"
	exit 0
fi
(cd "$top/bindings/rust" &&
 CARGO_TARGET_DIR="$top/build/rust" "$cargo" test --offline) >"$log" 2>&1
rc=$?

lines=$(sed -n 's/^test \(.*\) \.\.\. \(ok\|FAILED\|ignored\)$/\2 \1/p' "$log")
n=$(printf '%s' "$lines" | grep -c '^')
failed=$(printf '%s\n' "$lines" | grep -c '^FAILED ')
extra=0
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && extra=1
echo "1..$((n + extra + 1))"
i=0
printf '%s\n' "$lines" | while read -r verdict name; do
	[ -n "$verdict" ] || continue
	i=$((i + 1))
	case $verdict in
	ok) echo "ok $i $name" ;;
	ignored) echo "ok $i $name # SKIP ignored" ;;
	*) echo "not ok $i $name" ;;
	esac
done
if [ "$extra" -eq 1 ]; then
	echo "not ok $((n + 1)) cargo test exited $rc"
fi
ex=$top/bindings/rust/examples/mcr_style.rs
shown=$(awk '/^### Writing from Rust/ { s = 1 } s && /^```$/ { exit }
	     s == 2 { print } s && /^```rust$/ { s = 2 }' "$top/README.md")
if [ "$shown" = "$(cat "$ex")" ]; then
	echo "ok $((n + extra + 1)) README shows examples/mcr_style.rs as it is"
else
	echo "not ok $((n + extra + 1)) README shows examples/mcr_style.rs as it is"
	diff <(printf '%s\n' "$shown") "$ex" | sed 's/^/# /'
fi
if [ "$rc" -ne 0 ]; then
	tail -n 60 "$log" | sed 's/^/# /'
fi
exit 0
