#!/bin/bash
# mcrcat -o json through a real JSON parser (Python's json module) over
# every input of the fuzz corpora taken as a record's text: each line
# parses, the output is valid UTF-8, and each message reads back as its
# bytes (valid UTF-8 as characters, any other byte 0xNN as U+00NN).
# TAP on standard output.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mcrcat=${MCR_TOOLS:-$top/build/tools}/mcrcat
echo "1..3"
if ! command -v python3 >/dev/null; then
	for i in 1 2 3; do
		echo "ok $i # SKIP python3 not installed (make deps installs it)"
	done
	exit 0
fi
if [ ! -x "$mcrcat" ]; then
	for i in 1 2 3; do echo "ok $i # SKIP $mcrcat not built (make tools)"; done
	exit 0
fi
exec python3 - "$mcrcat" "$top/selftests/fuzz/corpus" <<'PY'
import codecs, json, os, subprocess, sys, tempfile

mcrcat, corpus = sys.argv[1], sys.argv[2]
codecs.register_error("bytes_as_latin1",
                      lambda e: (e.object[e.start:e.end].decode("latin-1"), e.end))

texts = []
for d in sorted(os.listdir(corpus)):
    for f in sorted(os.listdir(os.path.join(corpus, d))):
        with open(os.path.join(corpus, d, f), "rb") as fh:
            texts.append(fh.read()[:4096])
# And what the corpora may lack: every byte, and UTF-8 edge cases.
texts.append(bytes(range(256)))
texts.append("→ é 𝄞 \u2028".encode() + b"\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xe2\x86")

def escape(b):
    return "".join("\\x%02x" % c if c < 0x20 or c >= 0x7f or c == 0x5c else chr(c)
                   for c in b)

with tempfile.NamedTemporaryFile("w", delete=False) as arc:
    for i, t in enumerate(texts):
        arc.write("%d,%d,0,0,1,1,1,6,-;%s\n" % (i, i + 1, escape(t)))
out = subprocess.run([mcrcat, "-o", "json", "-d", arc.name],
                     capture_output=True).stdout
os.unlink(arc.name)

n = 0
def check(name, ok, why=""):
    global n
    n += 1
    print(("ok %d %s" if ok else "not ok %d %s # " + why) % (n, name))

try:
    out.decode("utf-8")
    check("output is valid UTF-8", True)
except UnicodeDecodeError as e:
    check("output is valid UTF-8", False, str(e))
lines = out.splitlines()
check("one object per record", len(lines) == len(texts),
      "%d lines for %d records" % (len(lines), len(texts)))
bad = []
for line, t in zip(lines, texts):
    try:
        msg = json.loads(line)["message"]
    except Exception as e:
        bad.append("%r: %s" % (line[:60], e))
        continue
    if msg != t.decode("utf-8", "bytes_as_latin1"):
        bad.append("seq %s: message differs" % json.loads(line)["seq"])
check("every line parses and its message reads back (%d records)" % len(texts),
      not bad, "; ".join(bad[:3]))
sys.exit(1 if bad else 0)
PY
