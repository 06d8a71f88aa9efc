# The real log servers mcrfwd is tested and measured against, started on
# 127.0.0.1 with a config written here: rsyslogd (imtcp, imudp, imrelp,
# imuxsock, each into its own file as JSON), systemd-journal-remote and
# systemd-journald in a namespace of its own.
# Used by selftests/host/mcrfwd_test.py and tools/bench/mcrfwd_bench.py.
import glob, json, os, signal, socket, subprocess, time

SCALE = int(os.environ.get("MCR_TIME_SCALE", "1"))


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, seconds):
    """Poll @cond until it holds or @seconds (times MCR_TIME_SCALE) pass."""
    end = time.monotonic() + seconds * SCALE
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


RSYSLOG_CONF = """
global(workDirectory="{d}" maxMessageSize="64k")
main_queue(queue.type="Direct")
module(load="imtcp")
module(load="imudp")
module(load="imrelp")
module(load="imuxsock" SysSock.Use="off")
template(name="j" type="list") {{ property(name="jsonmesg") constant(value="\\n") }}
ruleset(name="tcp") {{ action(type="omfile" file="{d}/tcp.out" template="j") }}
ruleset(name="udp") {{ action(type="omfile" file="{d}/udp.out" template="j") }}
ruleset(name="relp") {{ action(type="omfile" file="{d}/relp.out" template="j") }}
ruleset(name="unix") {{ action(type="omfile" file="{d}/unix.out" template="j") }}
input(type="imtcp" port="{tcp}" address="127.0.0.1" ruleset="tcp")
input(type="imudp" port="{udp}" address="127.0.0.1" ruleset="udp")
input(type="imrelp" port="{relp}" address="127.0.0.1" ruleset="relp")
input(type="imuxsock" Socket="{d}/log.sock" ruleset="unix"
      RateLimit.Interval="0" CreatePath="on")
"""


class Rsyslog:
    def __init__(self, d, procs):
        self.d, self.procs = d, procs
        os.makedirs(d, exist_ok=True)
        self.tcp = free_port(socket.SOCK_STREAM)
        self.udp = free_port(socket.SOCK_DGRAM)
        self.relp = free_port(socket.SOCK_STREAM)
        with open(d + "/rsyslog.conf", "w") as f:
            f.write(RSYSLOG_CONF.format(d=d, tcp=self.tcp, udp=self.udp,
                                        relp=self.relp))
        self.p = None

    def start(self):
        log = open(self.d + "/rsyslogd.log", "a")
        self.p = subprocess.Popen(
            ["rsyslogd", "-n", "-f", self.d + "/rsyslog.conf",
             "-i", self.d + "/rsyslogd.pid"], stdout=log, stderr=log)
        self.procs.append(self.p)
        ok = wait_for(lambda: self.listening(), 10)
        if not ok:
            raise RuntimeError("rsyslogd did not start: " +
                               open(self.d + "/rsyslogd.log").read())

    def listening(self):
        for port in (self.tcp, self.relp):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
            except OSError:
                return False
        return os.path.exists(self.d + "/log.sock")

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        self.p.wait()
        try:
            os.unlink(self.d + "/rsyslogd.pid")
        except FileNotFoundError:
            pass

    def read(self, name):
        try:
            with open(self.d + "/" + name + ".out", encoding="utf-8") as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []


class JournalRemote:
    def __init__(self, d, procs):
        self.d, self.procs = d, procs
        os.makedirs(d, exist_ok=True)
        self.port = free_port(socket.SOCK_STREAM)
        self.file = d + "/remote.journal"
        self.p = None

    def start(self):
        log = open(self.d + "/journal-remote.log", "a")
        self.p = subprocess.Popen(
            ["/lib/systemd/systemd-journal-remote",
             "--listen-http=127.0.0.1:%d" % self.port, "--split-mode=none",
             "--output=" + self.file], stdout=log, stderr=log)
        self.procs.append(self.p)
        if not wait_for(self.listening, 10):
            raise RuntimeError("systemd-journal-remote did not start")

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), 0.2).close()
            return True
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        self.p.wait()

    def files(self):
        """The output file and those it was rotated into."""
        return sorted(glob.glob(self.d + "/remote*.journal"))

    def read(self):
        if not self.files():
            return []
        out = subprocess.run(["journalctl", "--no-pager", "-o", "json"] +
                             ["--file=" + f for f in self.files()],
                             capture_output=True).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]


class Journald:
    """systemd-journald in a namespace of its own (journald's argument):
    its socket is /run/systemd/journal.NS/socket and `journalctl
    --namespace=NS` reads what it stored; the machine's journal is not
    touched."""

    def __init__(self, ns, procs):
        self.ns, self.procs = ns, procs
        self.socket = "/run/systemd/journal.%s/socket" % ns
        self.p = None

    def start(self):
        self.p = subprocess.Popen(["/lib/systemd/systemd-journald", self.ns],
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        self.procs.append(self.p)
        if not wait_for(lambda: os.path.exists(self.socket), 10):
            raise RuntimeError("systemd-journald did not start")

    def read(self):
        out = subprocess.run(["journalctl", "--no-pager", "-o", "json",
                              "--namespace=" + self.ns],
                             capture_output=True).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def stop(self):
        """Stop it and remove what it stored."""
        self.p.send_signal(signal.SIGTERM)
        self.p.wait()
        for d in glob.glob("/var/log/journal/*.%s" % self.ns) + \
                glob.glob("/run/log/journal/*.%s" % self.ns) + \
                [os.path.dirname(self.socket)]:
            subprocess.run(["rm", "-rf", d])
