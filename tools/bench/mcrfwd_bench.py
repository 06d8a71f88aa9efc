#!/usr/bin/env python3
# How fast mcrfwd forwards, beside how fast the archive fills: records
# forwarded per second to each real server (rsyslogd over TCP and RELP,
# systemd-journal-remote over HTTP), all arrived, divided by the rate at
# which mcrring's consumer drains a ring flat out (mcrbench spsc-flat-128,
# same run), an upper bound of the drain thread's archiving rate, which
# also formats each record. Timed on the host.
#
# usage: mcrfwd_bench.py MCRFWD MCRBENCH OUTDIR [RECORDS] [ROUNDS]
import json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../scripts"))
from logservers import Rsyslog, JournalRemote, wait_for  # noqa: E402

mcrfwd, mcrbench, out = sys.argv[1:4]
records = int(sys.argv[4]) if len(sys.argv) > 4 else 200000
rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
tmp = tempfile.mkdtemp(prefix="mcrfwd-bench.")
procs = []


def archive_rate():
    d = tmp + "/mcrbench"
    subprocess.run([mcrbench, "--only", "spsc-flat-128", "--rounds",
                    str(rounds), "--quiet", "--out", d],
                   stdout=subprocess.DEVNULL, check=True)
    res = json.load(open(d + "/results.json"))["results"]
    return [r for r in res if r["ring"] == "mcrring"][0]["consumed_per_s"]


def input_file():
    path = tmp + "/in.txt"
    msg = "GET /api/v1/items?id=%08d 200 OK bytes=4096 peer=10.0.0.1:443 " \
          "upstream=backend-3 took=1234us cache=hit"
    with open(path, "w") as f:
        for i in range(records):
            f.write("%d,%d,1,0,4242,4243,1,6,4242/1000;%s\tSYSLOG_IDENTIFIER"
                    "=web\tREQ=%d\n" % (i, 1000 + i, (msg % i)[:128], i))
    return path


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


def journal_count():
    """Entries in the journal files: journalctl -o cat, a line each."""
    if not jr.files():
        return 0
    out = subprocess.run(["journalctl", "--no-pager", "-o", "cat"] +
                         ["--file=" + f for f in jr.files()],
                         capture_output=True).stdout
    return out.count(b"\n")


def forward(sink, arrived, reset):
    rates = []
    for _ in range(rounds):
        reset()
        t0 = time.monotonic()
        subprocess.run([mcrfwd, "-d", src, "-s", "none", "-b", "1024", sink],
                       check=True, stderr=subprocess.DEVNULL)
        if not wait_for(lambda: arrived() >= records, 120):
            raise RuntimeError("%s: %d of %d arrived" % (sink, arrived(),
                                                         records))
        rates.append(records / (time.monotonic() - t0))
    return statistics.median(rates), min(rates), max(rates)


rs = Rsyslog(tmp + "/rsyslog", procs)
jr = JournalRemote(tmp + "/journal", procs)
try:
    src = input_file()
    rs.start()
    jr.start()
    arch = archive_rate()

    def trunc(name):
        return lambda: open(rs.d + "/%s.out" % name, "w").close()

    def journal_reset():
        jr.stop()
        for f in jr.files():
            os.unlink(f)
        jr.start()

    rows = [
        ("rsyslogd, RFC 5424 over TCP", "tcp://127.0.0.1:%d" % rs.tcp,
         lambda: count_lines(rs.d + "/tcp.out"), trunc("tcp")),
        ("rsyslogd, RELP", "relp://127.0.0.1:%d" % rs.relp,
         lambda: count_lines(rs.d + "/relp.out"), trunc("relp")),
        ("systemd-journal-remote, export format over HTTP",
         "http://127.0.0.1:%d" % jr.port,
         lambda: journal_count(), journal_reset),
    ]
    lines = ["# mcrfwd: forwarding beside archiving", "",
             "%d records of 128 B + 2 fields, %d rounds, medians (min-max); "
             "batch 1024; servers on 127.0.0.1 writing files." %
             (records, rounds), "",
             "Archiving, upper bound (mcrring's consumer draining a ring "
             "flat out, mcrbench spsc-flat-128): **%.2f M/s**" % (arch / 1e6),
             "", "| sink | forwarded/s | ratio to archiving |",
             "| --- | --- | --- |"]
    for name, sink, arrived, reset in rows:
        med, lo, hi = forward(sink, arrived, reset)
        lines.append("| %s | %.0f k/s (%.0f-%.0f) | %.3f |" %
                     (name, med / 1e3, lo / 1e3, hi / 1e3, med / arch))
    os.makedirs(out, exist_ok=True)
    with open(out + "/mcrfwd.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(tmp, ignore_errors=True)
