#!/usr/bin/env python3
# The body of mcrfwd_test.sh: mcrfwd against rsyslogd and
# systemd-journal-remote on 127.0.0.1, the records compared field by
# field on arrival, then the faults. TAP on standard output.
import json, os, random, re, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../scripts"))
from logservers import Rsyslog, JournalRemote, Journald, wait_for  # noqa: E402

MCRFWD = sys.argv[1]
TMP = tempfile.mkdtemp(prefix="mcrfwd-test.")
n_test = 0
procs = []


def check(name, ok, why=""):
    global n_test
    n_test += 1
    print(("ok %d %s" if ok else "not ok %d %s # " + why) % (n_test, name),
          flush=True)


def note(msg):
    print("# " + msg, flush=True)


# --- records -----------------------------------------------------------------

def esc(b):
    """The archive's and syslog's escaping: \\xNN for control bytes, the
    backslash and (in the archive) every byte from 0x7f."""
    return "".join("\\x%02x" % c if c < 0x20 or c >= 0x7f or c == 0x5c
                   else chr(c) for c in b)


def utf8_len(b, i):
    try:
        for n in (2, 3, 4):
            if i + n <= len(b):
                b[i:i + n].decode("utf-8")
                return n
    except UnicodeDecodeError:
        pass
    return 1


def syslog_text(b):
    """What mcrfwd sends for bytes @b: valid UTF-8 sequences as they are,
    control bytes, the backslash and invalid bytes as \\xNN."""
    out, i = [], 0
    while i < len(b):
        c = b[i]
        n = 0
        if c >= 0x80:
            for k in (2, 3, 4):
                try:
                    b[i:i + k].decode("utf-8")
                    n = k
                    break
                except UnicodeDecodeError:
                    pass
        # C1 controls and bidi overrides go as bytes, like control bytes.
        if n and not re.match("[\u0080-\u009f\u202a-\u202e\u2066-\u2069]",
                              b[i:i + n].decode("utf-8")):
            out.append(b[i:i + n].decode("utf-8"))
            i += n
            continue
        if n:
            out.extend("\\x%02x" % c for c in b[i:i + n])
            i += n
            continue
        out.append("\\x%02x" % c if c < 0x20 or c >= 0x7f or c == 0x5c
                   else chr(c))
        i += 1
    return "".join(out)


ALPHABET = [b"a", b"Z", b" ", b"\n", b"\t", b"\r", b'"', b"]", b"[", b"\\",
            b"=", "\u2192".encode(), "\U0001d11e".encode(), b"\xff",
            "\u0085".encode(), "\u202e".encode(),
            b"\xc0\xaf", b"\xe2\x86", b"\x01", b"x" * 40]
FIELD_NAMES = [b"KEY", b"lower_case", b"_TRUSTED", b"MCR_SEQ", b"9DIGIT",
               b"sp ace", b"N" * 40, b"EMPTY", b"Mixed_1", b"priority",
               b"object_pid", b"MESSAGE"]


def rand_bytes(rng, n):
    return b"".join(rng.choice(ALPHABET) for _ in range(n))[:3000]


def make_records(rng, count, first_seq=0, gap_at=None, gap=0):
    """Records as dicts, and their archive text."""
    recs, lines, seq = [], [], first_seq
    for i in range(count):
        if gap_at is not None and i == gap_at:
            seq += gap
        ring = rng.choice([0, 0, 1, 2])
        owner = (1000 + ring, 4242) if ring else None
        fields = [(b"SYSLOG_IDENTIFIER", b"app%d" % rng.randrange(3))]
        if rng.random() < 0.5:
            fields.append((b"SYSLOG_PID", b"%d" % rng.randrange(1, 99999)))
        for k in rng.sample(FIELD_NAMES, rng.randrange(0, 4)):
            fields.append((k, rand_bytes(rng, rng.randrange(0, 6))))
        msg = rand_bytes(rng, rng.randrange(0, 12))
        if i == 10:	# escaped to four times its size: 15.6 KB of text
            msg = b"\x01" * 3900
        r = dict(seq=seq, ts=1000000 + seq, ring=ring, cpu=rng.randrange(4),
                 pid=100 + ring, tid=200 + ring, fac=rng.randrange(24),
                 sev=rng.randrange(8), owner=owner, msg=msg, fields=fields)
        text = esc(msg) + "".join(
            "\t" + esc(k + b"=" + v) for k, v in fields)
        lines.append("%d,%d,%d,%d,%d,%d,%d,%d,%s;%s\n" % (
            seq, r["ts"], ring, r["cpu"], r["pid"], r["tid"], r["fac"],
            r["sev"], "%d/%d" % owner if owner else "-", text))
        recs.append(r)
        seq += 1
    return recs, lines


def write_input(path, lines):
    with open(path, "w") as f:
        f.writelines(lines)


def sd_name_ok(k):
    return 0 < len(k) <= 32 and all(32 < c < 127 and c not in b'=]"'
                                    for c in k)


def journal_name(k):
    k = k.upper()
    ok = (0 < len(k) <= 64 and not k[:1].isdigit() and not k.startswith(b"_")
          and not k.startswith(b"MCR_")
          and k not in (b"MESSAGE", b"PRIORITY", b"SYSLOG_FACILITY",
                        b"OBJECT_PID")
          and all(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_" for c in k))
    return k.decode() if ok else None


def fwd(args, **kw):
    return subprocess.run([MCRFWD] + args, capture_output=True, **kw)


# --- what arrives, compared ---------------------------------------------------

SD_RE = re.compile(r'\[([^ \]]+)((?: [^=\]]+="(?:[^"\\]|\\.)*")*)\]')
PARAM_RE = re.compile(r' ([^=\]]+)="((?:[^"\\]|\\.)*)"')


def parse_sd(sd):
    out = {}
    if sd == "-":
        return out
    for m in SD_RE.finditer(sd):
        out[m.group(1)] = [(k, re.sub(r'\\(["\\\]])', r"\1", v))
                           for k, v in PARAM_RE.findall(m.group(2))]
    return out


def syslog_expect(r):
    tag = dict(r["fields"]).get(b"SYSLOG_IDENTIFIER")
    pid = dict(r["fields"]).get(b"SYSLOG_PID", b"%d" % r["pid"])
    fields = [(k.decode(), syslog_text(v)) for k, v in r["fields"]
              if sd_name_ok(k)]
    meta = [("seq", str(r["seq"])), ("ring", str(r["ring"])),
            ("cpu", str(r["cpu"])), ("pid", str(r["pid"])),
            ("tid", str(r["tid"])), ("ts_ns", str(r["ts"]))]
    sd = {"mcrring@32473": meta}
    if fields:
        sd["fields@32473"] = fields
    if r["owner"]:
        sd["owner@32473"] = [("pid", str(r["owner"][0])),
                             ("uid", str(r["owner"][1]))]
    return dict(pri=str(r["fac"] * 8 + r["sev"]),
                app=tag.decode() if tag else "-", procid=pid.decode(),
                sd=sd, msg=syslog_text(r["msg"]))


def syslog_got(j):
    return dict(pri=j["pri"], app=j["app-name"], procid=j["procid"],
                sd=parse_sd(j["structured-data"]), msg=j["msg"])


def compare_syslog(recs, got):
    """Records in order, field by field; the first difference, or None."""
    if len(got) != len(recs):
        return "%d records arrived, %d sent" % (len(got), len(recs))
    for r, j in zip(recs, got):
        e, g = syslog_expect(r), syslog_got(j)
        if e != g:
            return "seq %d: sent %r, got %r" % (r["seq"], e, g)
    return None


def jbytes(v):
    return bytes(v) if isinstance(v, list) else v.encode()


def compare_journal(recs, got):
    if len(got) != len(recs):
        return "%d entries arrived, %d sent" % (len(got), len(recs))
    for r, j in zip(recs, got):
        want = {"MESSAGE": r["msg"], "PRIORITY": b"%d" % r["sev"],
                "SYSLOG_FACILITY": b"%d" % r["fac"],
                "MCR_SEQ": b"%d" % r["seq"], "MCR_RING": b"%d" % r["ring"],
                "MCR_CPU": b"%d" % r["cpu"], "MCR_PID": b"%d" % r["pid"],
                "MCR_TID": b"%d" % r["tid"], "MCR_TS_NS": b"%d" % r["ts"]}
        dropped = 0
        for k, v in r["fields"]:
            name = journal_name(k)
            if name:
                want[name] = v
            else:
                dropped += 1
        if dropped:
            want["MCR_DROPPED_FIELDS"] = b"%d" % dropped
        if r["owner"]:
            want["MCR_OWNER_PID"] = b"%d" % r["owner"][0]
            want["MCR_OWNER_UID"] = b"%d" % r["owner"][1]
        gotf = {k: jbytes(v) for k, v in j.items()
                if not k.startswith("_")}
        if gotf != want:
            return "seq %d: sent %r, got %r" % (r["seq"], want, gotf)
    return None


def seqs_syslog(got, resent=False):
    """The sequences that arrived, in order; with @resent, each with
    whether it came marked resent."""
    out = []
    for j in got:
        meta = dict(parse_sd(j["structured-data"]).get("mcrring@32473", []))
        seq = int(meta["seq"]) if "seq" in meta else -1
        out.append((seq, meta.get("resent") == "1") if resent else seq)
    return out


def seqs_journal(got, resent=False):
    return [(int(jbytes(j["MCR_SEQ"])), "MCR_RESENT" in j) if resent
            else int(jbytes(j["MCR_SEQ"])) for j in got]


def repeats(arrived):
    """From (seq, resent) in arrival order: copies after the first, and
    those of them not marked resent (which a reader could not drop)."""
    seen, rep, unmarked = set(), 0, 0
    for seq, resent in arrived:
        if seq in seen:
            rep += 1
            unmarked += not resent
        seen.add(seq)
    return rep, unmarked


# --- the tests ------------------------------------------------------------------

def test_fields(rs, jr, jd):
    rng = random.Random(1)
    recs, lines = make_records(rng, 3000, gap_at=1500, gap=7)
    lines.insert(700, "this line is not a record\n")
    write_input(TMP + "/in.txt", lines)
    state = TMP + "/fields.state"
    p = fwd(["-d", TMP + "/in.txt", "-s", state, "-b", "256",
             "tcp://127.0.0.1:%d" % rs.tcp, "relp://127.0.0.1:%d" % rs.relp,
             "unix:" + rs.d + "/log.sock",
             "http://127.0.0.1:%d" % jr.port, "journal:" + jd.socket])
    err = p.stderr.decode(errors="replace")
    check("mcrfwd forwards a file to five sinks and exits 0",
          p.returncode == 0, "exit %d: %s" % (p.returncode, err))
    check("a line that is not a record is skipped and said",
          "not in the archive's format" in err, err)

    # The gap: a notice of mcrfwd's own where it was found.
    wait_for(lambda: len(rs.read("tcp")) >= 3001 and
             len(rs.read("relp")) >= 3001 and
             len(rs.read("unix")) >= 3001, 10)
    for name in ("tcp", "relp"):
        got = rs.read(name)
        own = [j for j in got if j["app-name"] == "mcrfwd"]
        got = [j for j in got if j["app-name"] != "mcrfwd"]
        why = compare_syslog(recs, got)
        meta = dict(parse_sd(own[0]["structured-data"])
                    .get("mcrring@32473", [])) if own else {}
        okl = (len(own) == 1 and "7 records, from archive sequence 1500 on"
               in own[0]["msg"] and meta.get("lost") == "7" and
               meta.get("from") == "1500" and "seq" not in meta)
        check("%s: every record arrives once, in order, field by field; "
              "the 7 overwritten are said once" % name,
              why is None and okl, why or repr(own))

    got = [j for j in rs.read("unix") if j.get("programname") != "mcrfwd"]
    why = None if len(got) == len(recs) else \
        "%d arrived, %d sent" % (len(got), len(recs))
    for r, j in zip(recs, got):
        if why:
            break
        tag = dict(r["fields"]).get(b"SYSLOG_IDENTIFIER").decode()
        want = (str(r["fac"] * 8 + r["sev"]), tag, syslog_text(r["msg"]))
        have = (j["pri"], j["programname"], j["msg"].lstrip(" "))
        if want[:2] != have[:2] or want[2].lstrip(" ") != have[2]:
            why = "seq %d: sent %r, got %r" % (r["seq"], want, have)
    check("unix:/dev/log-style socket: priority, tag and message of each",
          why is None, why or "")

    wait_for(lambda: len(jd.read()) >= 3001, 10)
    # journald's own entries (_TRANSPORT=driver) are not ours.
    native = [j for j in jd.read() if j.get("_TRANSPORT") == "journal"]
    for name, got in (("journal export", jr.read()),
                      ("journal native", native)):
        own = [j for j in got if jbytes(j.get("SYSLOG_IDENTIFIER", "")) ==
               b"mcrfwd"]
        got = [j for j in got if j not in own]
        why = compare_journal(recs, got)
        check("%s: every entry, its bytes and fields exact; refused names "
              "counted" % name,
              why is None and len(own) == 1 and
              jbytes(own[0]["MCR_LOST"]) == b"7" and
              jbytes(own[0]["MCR_LOST_FROM"]) == b"1500" and
              "MCR_SEQ" not in own[0], why or repr(own))
    st = open(state).read()
    check("the state file holds each sink's cursor and its loss",
          st.count(" %d 7 0\n" % (recs[-1]["seq"] + 1)) == 5, st)


def test_udp(rs):
    """UDP has no acknowledgement: a datagram the server's socket had no
    room for is gone unseen. What arrives must be exact and in order."""
    rng = random.Random(2)
    recs, lines = make_records(rng, 300)
    write_input(TMP + "/udp.txt", lines)
    p = fwd(["-d", TMP + "/udp.txt", "-s", "none", "-b", "16",
             "udp://127.0.0.1:%d" % rs.udp])
    wait_for(lambda: len(rs.read("udp")) >= len(recs), 5)
    got = rs.read("udp")
    seqs = seqs_syslog(got)
    by_seq = {r["seq"]: r for r in recs}
    sent = [by_seq[s] for s in seqs if s in by_seq]
    why = compare_syslog(sent, got) if got else "nothing arrived"
    if not why and seqs != sorted(seqs):
        why = "out of order: %r" % seqs
    note("udp: %d of %d datagrams arrived" % (len(got), len(recs)))
    check("udp: each record that arrives is exact, in order",
          p.returncode == 0 and why is None, why or p.stderr.decode())


def count_seqs(seqs):
    c = {}
    for s in seqs:
        c[s] = c.get(s, 0) + 1
    return c


def test_sigkill(rs, jr):
    """SIGKILL mcrfwd 20 times mid-stream; restart it each time."""
    rng = random.Random(3)
    total = 20000
    batch = 64
    recs, lines = make_records(rng, total, first_seq=100000)
    write_input(TMP + "/kill.txt", lines)
    state = TMP + "/kill.state"
    for f in ("tcp", "relp"):
        open(rs.d + "/%s.out" % f, "w").close()
    jr.stop()
    for f in jr.files():
        os.unlink(f)
    jr.start()
    args = ["-d", TMP + "/kill.txt", "-s", state, "-b", str(batch),
            "tcp://127.0.0.1:%d" % rs.tcp, "relp://127.0.0.1:%d" % rs.relp,
            "http://127.0.0.1:%d" % jr.port]
    kills = 0
    while kills < 20:
        p = subprocess.Popen([MCRFWD] + args, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, 0.15))
        if p.poll() is not None:
            break
        p.send_signal(signal.SIGKILL)
        p.wait()
        kills += 1
    p = fwd(args)
    want = set(r["seq"] for r in recs)
    res = []
    wait_for(lambda: len(set(seqs_syslog(rs.read("relp")))) >= total, 10)
    for name, arrived in (("tcp", seqs_syslog(rs.read("tcp"), True)),
                          ("relp", seqs_syslog(rs.read("relp"), True)),
                          ("journal", seqs_journal(jr.read(), True))):
        missing = len(want - set(seq for seq, _ in arrived))
        rep, unmarked = repeats(arrived)
        res.append((name, missing, rep, unmarked))
        note("%s: %d kills, %d records, %d missing, %d repeated (bound %d), "
             "%d of them not marked resent" % (name, kills, total, missing,
                                              rep, kills * batch, unmarked))
    check("SIGKILL x%d mid-stream: nothing lost; each repeat marked resent, "
          "at most a batch a kill" % kills,
          p.returncode == 0 and kills == 20 and
          all(m == 0 and rep <= kills * batch and u == 0
              for _, m, rep, u in res), repr(res))
    st = open(state).read()
    check("a clean stop leaves no \"running\" in the state", "running" not in st, st)


def test_server_restart(rs):
    """rsyslogd stopped and restarted, and stalled, while mcrfwd follows a
    growing file: RELP loses and repeats nothing."""
    rng = random.Random(4)
    recs, lines = make_records(rng, 6000, first_seq=200000)
    path = TMP + "/grow.txt"
    open(path, "w").close()
    open(rs.d + "/relp.out", "w").close()
    open(rs.d + "/tcp.out", "w").close()
    state = TMP + "/restart.state"
    p = subprocess.Popen([MCRFWD, "-d", path, "-f", "-s", state, "-b", "64",
                          "relp://127.0.0.1:%d" % rs.relp,
                          "tcp://127.0.0.1:%d" % rs.tcp],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    procs.append(p)
    chunk, stop_at = 100, 2000
    with open(path, "a") as f:
        for i in range(0, len(lines), chunk):
            f.writelines(lines[i:i + chunk])
            f.flush()
            time.sleep(0.01)
            if i == stop_at:
                rs.stop()
                time.sleep(0.5)
                rs.start()
            if i == 4000:
                rs.p.send_signal(signal.SIGSTOP)
                time.sleep(1)
                rs.p.send_signal(signal.SIGCONT)
    want = [r["seq"] for r in recs]
    # Plain TCP cannot know what a server that stops had not read yet
    # (README: mcrfwd's sinks): the records it had taken in, acknowledged
    # by its stack, die with it. Written after the restart, every one
    # must arrive.
    before_stop = set(want[:stop_at + chunk])
    wait_for(lambda: set(seqs_syslog(rs.read("relp"))) >= set(want) and
             set(seqs_syslog(rs.read("tcp"))) >= set(want) - before_stop,
             30)
    p.send_signal(signal.SIGTERM)
    err = p.communicate()[1].decode(errors="replace")
    relp = seqs_syslog(rs.read("relp"))
    tcp = seqs_syslog(rs.read("tcp"), True)
    rep, unmarked = repeats(tcp)
    lost = sorted(set(want) - set(s for s, _ in tcp))
    # What the stopped server took with it: one stretch, before the stop.
    one_stretch = not lost or (set(lost) <= before_stop and
                               lost == want[want.index(lost[0]):
                                            want.index(lost[0]) + len(lost)])
    note("relp: %d records, %d arrived; tcp: %d arrived, %d repeated, "
         "%d of them not marked resent, %d lost with the stopped server" %
         (len(want), len(relp), len(tcp), rep, unmarked, len(lost)))
    check("server restarted and stalled: RELP delivers each record once, "
          "in order", relp == want,
          "%d arrived of %d; %s" % (len(relp), len(want), err[-500:]))
    check("server restarted: TCP loses at most what the stopped server had "
          "not read (one stretch, before the stop), repeats at most a "
          "batch, each marked resent",
          set(s for s, _ in tcp) <= set(want) and one_stretch and
          rep <= 64 and unmarked == 0,
          "%d of %d arrived, lost %s, %d repeated, %d unmarked" % (
              len(set(s for s, _ in tcp) & set(want)), len(want),
              lost[:3] + ["..."] + lost[-3:] if len(lost) > 6 else lost,
              rep, unmarked))


def test_cursors(rs):
    """A sink added later starts where the others are; a gap is counted
    for the sinks that had a cursor before it, not for a new one."""
    rng = random.Random(5)
    recs, lines = make_records(rng, 200, first_seq=300000)
    for f in ("tcp", "relp"):
        open(rs.d + "/%s.out" % f, "w").close()
    state = TMP + "/cursors.state"
    tcp, relp = "tcp://127.0.0.1:%d" % rs.tcp, "relp://127.0.0.1:%d" % rs.relp
    write_input(TMP + "/c1.txt", lines[:100])
    p1 = fwd(["-d", TMP + "/c1.txt", "-s", state, tcp])
    # Then 50 records overwritten before the next run, and a new sink.
    write_input(TMP + "/c2.txt", lines[150:])
    p2 = fwd(["-d", TMP + "/c2.txt", "-s", state, tcp, relp])
    wait_for(lambda: len(rs.read("tcp")) >= 151 and
             len(rs.read("relp")) >= 50, 10)
    t = [j for j in rs.read("tcp") if j["app-name"] != "mcrfwd"]
    tn = [dict(parse_sd(j["structured-data"])["mcrring@32473"])
          for j in rs.read("tcp") if j["app-name"] == "mcrfwd"]
    r = rs.read("relp")
    want_t = [x["seq"] for x in recs[:100] + recs[150:]]
    ok = (p1.returncode == 0 and p2.returncode == 0 and
          seqs_syslog(t) == want_t and
          tn == [dict(lost="50", **{"from": "300100"})] and
          seqs_syslog(r) == [x["seq"] for x in recs[150:]])
    check("a new sink starts where the others are; a gap is counted for "
          "each sink that had a cursor before it",
          ok, "tcp %r..., notices %r, relp %d" % (seqs_syslog(t)[:3], tn,
                                                   len(r)))


def test_sigterm_stalled(rs):
    """A server that stops answering: SIGTERM still ends mcrfwd at once,
    and the next run delivers what was left, marked."""
    rng = random.Random(6)
    recs, lines = make_records(rng, 3000, first_seq=400000)
    write_input(TMP + "/stall.txt", lines)
    open(rs.d + "/relp.out", "w").close()
    state = TMP + "/stall.state"
    args = ["-d", TMP + "/stall.txt", "-s", state, "-b", "64",
            "relp://127.0.0.1:%d" % rs.relp]
    rs.p.send_signal(signal.SIGSTOP)
    p = subprocess.Popen([MCRFWD] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "hung"
    took = time.monotonic() - t0
    rs.p.send_signal(signal.SIGCONT)
    p2 = fwd(args)
    wait_for(lambda: len(rs.read("relp")) >= len(recs), 10)
    arrived = seqs_syslog(rs.read("relp"), True)
    rep, unmarked = repeats(arrived)
    note("SIGTERM with the server stopped: exit %r after %.2f s" % (rc, took))
    check("SIGTERM while the server is stopped ends mcrfwd within 3 s; the "
          "next run delivers the rest, repeats marked",
          rc == 0 and took < 3 and p2.returncode == 0 and
          set(s for s, _ in arrived) == set(x["seq"] for x in recs) and
          unmarked == 0, "exit %r after %.2f s; %d arrived, %d unmarked "
          "repeats" % (rc, took, len(set(arrived)), unmarked))


def main():
    print("# work directory " + TMP, flush=True)
    rs = Rsyslog(TMP + "/rsyslog", procs)
    jr = JournalRemote(TMP + "/journal", procs)
    jd = Journald("mcrfwdtest%d" % os.getpid(), procs)
    try:
        rs.start()
        jr.start()
        jd.start()
        test_fields(rs, jr, jd)
        test_udp(rs)
        test_sigkill(rs, jr)
        test_server_restart(rs)
        test_cursors(rs)
        test_sigterm_stalled(rs)
    finally:
        if jd.p:
            jd.stop()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    if os.environ.get("MCR_KEEP_TMP") is None:
        shutil.rmtree(TMP, ignore_errors=True)


main()
