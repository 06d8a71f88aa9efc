#!/bin/sh
# Run the libFuzzer targets of selftests/fuzz (built by selftests/fuzz/fuzz.mk
# as build/fuzz/<target>_fuzz), one at a time, single process.
#
# usage: scripts/fuzz.sh smoke SECONDS TARGET:MAXLEN...
#          each target at most SECONDS from its seeds in a scratch corpus;
#          TAP on stdout, one line per target
#        scripts/fuzz.sh run SECONDS TARGET:MAXLEN...
#          each target SECONDS, growing build/fuzz/corpus/<target>; prints
#          libFuzzer's final stats per target, fails if any target did
#        scripts/fuzz.sh corpus 0 TARGET:MAXLEN...
#          minimize the seeds and build/fuzz/corpus/<target> (-merge=1)
#          into selftests/fuzz/corpus/<target>: hand-named seeds are kept
#          as they are, the rest is what adds coverage to them (every
#          feature, or only edges where that is too many files)
#
# "Done N runs" is libFuzzer's last word on a clean run; without it the
# run failed (a crash, a leak, a timeout).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mode=$1 secs=$2
shift 2
fdir=build/fuzz
# What the in-tree corpus of one target may hold.
max_files=200
max_bytes=$((1024 * 1024))
status=0

# Common options; per target -max_len, its dictionary if it has one
# (selftests/fuzz/<target>.dict) and where crashes go.
opts() {	# opts TARGET MAXLEN
	echo "-max_len=$2 -timeout=10 -print_final_stats=1 -artifact_prefix=$fdir/artifacts/$1-"
	dict=selftests/fuzz/$1.dict
	[ -e "$dict" ] && echo "-dict=$dict"
}

stat() {	# stat NAME LOG
	sed -n "s/^stat::$1: *\([0-9]*\)$/\1/p" "$2" | tail -n 1
}

# Named seeds: anything whose name is not the sha1 libFuzzer gives.
named() {	# named DIR
	find "$1" -maxdepth 1 -type f ! -regex '.*/[0-9a-f]\{40\}$'
}

mkdir -p "$fdir/artifacts"
for arg in "$@"; do
	t=${arg%%:*} max=${arg#*:}
	bin=$fdir/${t}_fuzz seeds=selftests/fuzz/corpus/$t
	case $mode in
	smoke)
		log=$fdir/smoke/$t.log
		rm -rf "$fdir/smoke/$t"
		mkdir -p "$fdir/smoke/$t"
		# shellcheck disable=SC2046 # opts is a list of words
		"$bin" $(opts "$t" "$max") -runs=200000 -max_total_time="$secs" \
			"$fdir/smoke/$t" "$seeds" >"$log" 2>&1
		n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
		if [ -n "$n" ]; then
			echo "ok - fuzz: $t $n execs"
		else
			echo "not ok - fuzz: $t failed, see $log"
			tail -n 40 "$log" >&2
			status=1
		fi
		;;
	run)
		log=$fdir/$t.log
		mkdir -p "$fdir/corpus/$t"
		echo "fuzz: $t for $secs s, log in $log"
		# shellcheck disable=SC2046
		"$bin" $(opts "$t" "$max") -max_total_time="$secs" \
			"$fdir/corpus/$t" "$seeds" >"$log" 2>&1
		if grep -q '^Done [0-9]* runs' "$log"; then
			echo "fuzz: $t: $(stat number_of_executed_units "$log") execs, $(stat average_exec_per_sec "$log")/s, $(stat new_units_added "$log") new inputs, peak $(stat peak_rss_mb "$log") MB"
			sed -n 's/^#[0-9]*[[:space:]]*DONE *\(cov: [0-9]* ft: [0-9]* corp: [^ ]*\).*/fuzz: \1/p' "$log"
		else
			echo "fuzz: $t FAILED:"
			grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit)' "$log"
			status=1
		fi
		;;
	corpus)
		# Every feature (edges and hit counts) if that fits the limits,
		# else edges only.
		for how in "" -use_counters=0; do
			out=$fdir/merge/$t
			rm -rf "$out"
			mkdir -p "$out" "$fdir/corpus/$t"
			named "$seeds" | while read -r f; do cp "$f" "$out/"; done
			# shellcheck disable=SC2046
			if ! "$bin" $(opts "$t" "$max") -merge=1 $how "$out" \
				"$seeds" "$fdir/corpus/$t" >"$fdir/merge/$t.log" 2>&1; then
				echo "corpus $t: merge failed, see $fdir/merge/$t.log"
				files=
				break
			fi
			files=$(find "$out" -type f | wc -l)
			bytes=$(find "$out" -type f -exec cat {} + | wc -c)
			[ "$files" -le "$max_files" ] && [ "$bytes" -le "$max_bytes" ] &&
				break
			echo "corpus $t: $files files, $bytes bytes${how:+ ($how)}: over $max_files files or $max_bytes bytes"
			files=
		done
		if [ -z "$files" ]; then
			echo "corpus $t: $seeds left alone"
			status=1
			continue
		fi
		find "$seeds" -maxdepth 1 -type f -delete
		cp "$out"/* "$seeds/"
		echo "corpus $t: $files files, $bytes bytes${how:+ ($how)} in $seeds"
		;;
	*)
		echo "usage: $0 smoke|run|corpus SECONDS TARGET:MAXLEN..." >&2
		exit 2
		;;
	esac
done
exit $status
