// SPDX-License-Identifier: GPL-2.0
//! The Rust crate in the VM, through mcrring.ko's rings (`rust_test` in
//! the guest; static, built by bindings/rust/rust.mk). Records written by
//! an SPSC and an MPSC writer come back from `cat /dev/mcrlog` byte for
//! byte: every column the writer knows (ring, CPU, pid, tid, facility,
//! severity, the owner the kernel attests) and the escaped text, with the
//! sequence rising and the timestamp within the writes. Prints TAP.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcrring::{Archive, Error, Facility, Set, Severity, SpscWriter, MpscWriter};

const FAC: Facility = Facility::LOCAL5;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    fn kill(pid: i32, sig: i32) -> i32;
    fn getuid() -> u32;
}

fn now_ns() -> u64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    unsafe { clock_gettime(1, &mut ts) }; // CLOCK_MONOTONIC
    ts.sec as u64 * 1_000_000_000 + ts.nsec as u64
}

fn time_scale() -> u64 {
    std::env::var("MCR_TIME_SCALE").ok().and_then(|s| s.parse().ok()).filter(|&s| s > 0).unwrap_or(1)
}

/// A record as written, and the line /dev/mcrlog must show for it.
struct Want {
    ring: u32,
    sev: Severity,
    text: Vec<u8>,
    fields: bool,
}

/// The text as /dev/mcrlog escapes it (proto/mcrring/text.h).
fn escape(text: &[u8], fields: bool) -> String {
    let mut s = String::new();
    for &b in text {
        if fields && b == 0 {
            s.push('\t');
        } else if b < 0x20 || b >= 0x7f || b == b'\\' {
            s.push_str(&format!("\\x{:02x}", b));
        } else {
            s.push(b as char);
        }
    }
    s
}

/// What a line shows after its SEQ and TS_NS columns.
fn tail(w: &Want, pid: u32, tid: u32, uid: u32) -> String {
    let owner = if w.ring == 0 { "-".to_string() } else { format!("{}/{}", pid, uid) };
    format!("{},0,{},{},{},{},{};{}", w.ring, pid, tid, FAC.number(), w.sev as u8, owner,
            escape(&w.text, w.fields))
}

fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// Writes the same kinds of record through either writer.
macro_rules! write_all {
    ($w:expr, $ring:expr, $name:expr, $want:expr) => {{
        let ring = $ring;
        let name: &str = $name;
        let want: &mut Vec<Want> = $want;
        let plain = format!("rust {} plain", name);
        $w.info(FAC, &plain).unwrap();
        want.push(Want { ring, sev: Severity::Info, text: plain.into_bytes(), fields: false });
        $w.log_bytes(Severity::Debug, FAC, &all_bytes()).unwrap();
        want.push(Want { ring, sev: Severity::Debug, text: all_bytes(), fields: false });
        $w.log_kv(Severity::Notice, FAC, name, &[("REQ_ID", &42), ("PEER", &"10.0.0.1\\x")]).unwrap();
        let kv = format!("{}\0REQ_ID=42\0PEER=10.0.0.1\\x", name).into_bytes();
        want.push(Want { ring, sev: Severity::Notice, text: kv, fields: true });
        let n = mcrring::log_err!($w, FAC, "{}{:y<w$}", name, "", w = 4096 - name.len()).unwrap();
        assert_eq!(n, 4096);
        let long = format!("{}{:y<w$}", name, "", w = 4096 - name.len()).into_bytes();
        want.push(Want { ring, sev: Severity::Err, text: long, fields: false });
        {
            let mut r = $w.reserve(8).unwrap();
            r.as_mut_slice().copy_from_slice(b"reserved");
            r.commit(8, Severity::Warning, FAC).unwrap();
        }
        want.push(Want { ring, sev: Severity::Warning, text: b"reserved".to_vec(), fields: false });
        drop($w.reserve(16).unwrap()); // discarded: never shown
    }};
}

/// Reads `cat /dev/mcrlog` until every line of this process's records
/// came, or the deadline passed (then cat is killed): the lines of
/// records whose PID column is ours.
fn cat_mcrlog(pid: u32, count: usize) -> Vec<String> {
    let mut cat = Command::new("cat").arg("/dev/mcrlog").stdout(Stdio::piped()).spawn().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        let cat_pid = cat.id() as i32;
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(20 * time_scale());
            while !done.load(Ordering::Acquire) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(50));
            }
            unsafe { kill(cat_pid, 9) };
        })
    };
    let mut ours = vec![];
    let mut out = BufReader::new(cat.stdout.take().unwrap());
    let mut line = Vec::new();
    while ours.len() < count {
        line.clear();
        if out.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            break; // killed: the deadline passed
        }
        let s = String::from_utf8_lossy(&line).into_owned();
        if s.split(',').nth(4) == Some(&pid.to_string()) {
            ours.push(s);
        }
    }
    done.store(true, Ordering::Release);
    watchdog.join().unwrap();
    let _ = cat.wait();
    ours
}

/// Checks the lines of one ring against what was written there.
fn check_ring(lines: &[String], want: &[&Want], pid: u32, tid: u32, uid: u32,
              t0: u64, t1: u64) -> Result<(), String> {
    if lines.len() != want.len() {
        return Err(format!("{} lines, {} records written", lines.len(), want.len()));
    }
    let mut last_seq = None;
    for (line, w) in lines.iter().zip(want) {
        let mut cols = line.splitn(3, ',');
        let seq: u64 = cols.next().unwrap().parse().map_err(|_| format!("seq: {}", line))?;
        let ts: u64 = cols.next().unwrap_or("").parse().map_err(|_| format!("ts: {}", line))?;
        let rest = cols.next().unwrap_or("");
        let expect = format!("{}\n", tail(w, pid, tid, uid));
        if rest != expect {
            return Err(format!("line\n#   {}# not\n#   {}", rest, expect));
        }
        if last_seq.map_or(false, |l| seq <= l) {
            return Err(format!("seq {} after {}", seq, last_seq.unwrap()));
        }
        last_seq = Some(seq);
        // The writers' clock (the TSC map) against clock_gettime: 1 ms.
        if ts + 1_000_000 < t0 || ts > t1 + 1_000_000 {
            return Err(format!("ts {} outside [{}, {}]", ts, t0, t1));
        }
    }
    Ok(())
}

struct Tap {
    n: u32,
    failed: u32,
}

impl Tap {
    fn report(&mut self, name: &str, r: Result<(), String>) {
        self.n += 1;
        match r {
            Ok(()) => println!("ok {} {}", self.n, name),
            Err(e) => {
                self.failed += 1;
                println!("not ok {} {}", self.n, name);
                for l in e.lines() {
                    println!("# {}", l);
                }
            }
        }
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.n += 1;
        println!("ok {} {} # SKIP {}", self.n, name, why);
    }
}

fn main() {
    let mut tap = Tap { n: 0, failed: 0 };
    println!("TAP version 13");
    println!("1..3");
    let names = ["spsc: cat /dev/mcrlog shows every record byte for byte",
                 "mpsc: cat /dev/mcrlog shows every record byte for byte",
                 "the archive reader gives the same records and fields back"];
    let set = match Set::open() {
        Ok(s) => s,
        Err(e) => {
            for n in names {
                tap.skip(n, &format!("/dev/mcrlog: {}", e));
            }
            return;
        }
    };
    let mut cpu0 = [0u64; 16]; // a cpu_set_t holding CPU 0
    cpu0[0] = 1;
    assert_eq!(0, unsafe { sched_setaffinity(0, std::mem::size_of_val(&cpu0), cpu0.as_ptr()) });

    let pid = mcrring::getpid() as u32;
    let tid = mcrring::gettid() as u32;
    let uid = unsafe { getuid() };
    let mut want = vec![];
    let t0 = now_ns();
    let mut spsc: SpscWriter = set.spsc(0).unwrap();
    let mpsc: MpscWriter = set.mpsc().unwrap();
    // The ring is claimed for this set's open file: a second is refused.
    assert_eq!(Error::Busy, Set::open().unwrap().spsc(0).err().unwrap());
    write_all!(spsc, 1, "spsc", &mut want);
    write_all!(mpsc, 0, "mpsc", &mut want);
    let t1 = now_ns();

    let lines = cat_mcrlog(pid, want.len());
    for (i, ring) in [1u32, 0].iter().enumerate() {
        let mine: Vec<String> = lines.iter().filter(|l| l.split(',').nth(2) == Some(&ring.to_string()))
            .cloned().collect();
        let w: Vec<&Want> = want.iter().filter(|w| w.ring == *ring).collect();
        tap.report(names[i], check_ring(&mine, &w, pid, tid, uid, t0, t1));
    }

    let archived = Archive::open(None, true).and_then(|a| {
        a.filter(|r| r.as_ref().map_or(true, |r| r.pid == pid)).collect::<Result<Vec<_>, _>>()
    });
    tap.report(names[2], match archived {
        Err(e) => Err(format!("archive: {}", e)),
        Ok(recs) => {
            let mut got: Vec<(u32, Vec<u8>, bool)> = recs.iter().map(|r| (r.ring, r.text.clone(), r.has_fields)).collect();
            let mut exp: Vec<(u32, Vec<u8>, bool)> = want.iter().map(|w| (w.ring, w.text.clone(), w.fields)).collect();
            got.sort();
            exp.sort();
            let kv = recs.iter().find(|r| r.has_fields && r.ring == 1);
            let fields: Vec<(Vec<u8>, Vec<u8>)> = kv.map(|r| r.fields().map(|(k, v)| (k.to_vec(), v.to_vec())).collect()).unwrap_or_default();
            if got != exp {
                Err(format!("{} records archived, {} written, or texts differ", got.len(), exp.len()))
            } else if fields != vec![(b"REQ_ID".to_vec(), b"42".to_vec()), (b"PEER".to_vec(), b"10.0.0.1\\x".to_vec())] {
                Err("fields differ".into())
            } else if kv.map(|r| r.owner) != Some(Some((pid as i32, uid))) {
                Err("owner differs".into())
            } else {
                Ok(())
            }
        }
    });
    drop(spsc);
    drop(mpsc);
    std::process::exit(if tap.failed > 0 { 1 } else { 0 });
}
