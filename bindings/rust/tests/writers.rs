// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! The crate against a shared-memory set: every length, full rings,
//! thread binding, fields, the reservation guard, runtime levels, and
//! concurrent MPSC writers with exact accounting. Each test reads back
//! what it wrote through libmcrring's own consumer.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mcrring::{Archive, Error, Facility, Reader, Record, Set, Severity, TEXT_MAX};

const FAC: Facility = Facility::LOCAL3;
const MPSC: u32 = 0;
const SPSC0: u32 = 1;

fn set(ndesc: u32, data: u32) -> Set {
    Set::shm(5, ndesc, data).expect("shm set")
}

/// The one record available now, and proof that it is the only one.
fn only(rd: &mut Reader) -> Record {
    let rec = rd.next().expect("a record");
    assert_eq!(None, rd.next(), "one record only");
    rec
}

/// Bytes of every value, NUL and 0xff included, depending on `len`.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + len) as u8).collect()
}

#[test]
fn every_length_from_0_to_4096_on_both_writers_and_4097_refused() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();
    let me = (mcrring::getpid() as u32, mcrring::gettid() as u32);

    for len in 0..=TEXT_MAX {
        let msg = pattern(len);
        spsc.log_bytes(Severity::Info, FAC, &msg).unwrap();
        let rec = only(&mut rd);
        assert_eq!((rec.ring, rec.severity, rec.facility), (SPSC0, Severity::Info, FAC));
        assert_eq!((rec.pid, rec.tid), me);
        assert_eq!(rec.text, msg, "spsc, {} bytes", len);

        mpsc.log_bytes(Severity::Err, FAC, &msg).unwrap();
        let rec = only(&mut rd);
        assert_eq!((rec.ring, rec.severity, rec.facility), (MPSC, Severity::Err, FAC));
        assert_eq!((rec.pid, rec.tid), me);
        assert_eq!(rec.text, msg, "mpsc, {} bytes", len);

        // The same through a reservation.
        let mut r = spsc.reserve(len).unwrap();
        r.as_mut_slice().copy_from_slice(&msg);
        r.commit(len, Severity::Debug, FAC).unwrap();
        assert_eq!(only(&mut rd).text, msg, "reserved, {} bytes", len);
    }
    let long = pattern(TEXT_MAX + 1);
    assert_eq!(Err(Error::TooLong), spsc.log_bytes(Severity::Info, FAC, &long));
    assert_eq!(Err(Error::TooLong), mpsc.log_bytes(Severity::Info, FAC, &long));
    assert_eq!(Error::TooLong, spsc.reserve(TEXT_MAX + 1).err().unwrap());
    assert_eq!(None, rd.next());
    for ring in [MPSC, SPSC0] {
        let st = rd.stats(ring).unwrap();
        assert_eq!((st.discarded, st.dropped_full, st.abandoned, st.invalid), (0, 0, 0, 0));
    }
    assert_eq!(2 * (TEXT_MAX as u64 + 1), rd.stats(SPSC0).unwrap().drained);
    assert_eq!(TEXT_MAX as u64 + 1, rd.stats(MPSC).unwrap().drained);
}

#[test]
fn formatted_every_length_in_place_and_4097_refused() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();

    for len in 1..=TEXT_MAX {
        let want: Vec<u8> = std::iter::once(b'<').chain(std::iter::repeat(b'-').take(len - 1)).collect();
        // An argument: not the literal fast path, the formatting one.
        let n = mcrring::log_info!(spsc, FAC, "{}{:-<w$}", '<', "", w = len - 1).unwrap();
        assert_eq!(n, len);
        assert_eq!(only(&mut rd).text, want, "spsc, {} bytes", len);
        let n = mcrring::log_info!(mpsc, FAC, "{}{:-<w$}", '<', "", w = len - 1).unwrap();
        assert_eq!(n, len);
        assert_eq!(only(&mut rd).text, want, "mpsc, {} bytes", len);
    }
    // A reservation that could not grow (its text would cross the end of
    // the data ring) was discarded and made again at the right length.
    let before = [rd.stats(SPSC0).unwrap().discarded, rd.stats(MPSC).unwrap().discarded];
    assert_eq!(Err(Error::TooLong), mcrring::log_info!(spsc, FAC, "{:-<w$}", "", w = TEXT_MAX + 1));
    assert_eq!(Err(Error::TooLong), mcrring::log_info!(mpsc, FAC, "{:-<w$}", "", w = TEXT_MAX + 1));
    assert_eq!(None, rd.next());
    // Refused once formatting passed 4096 bytes: the 256-byte
    // reservation made first is discarded, nothing published.
    assert_eq!(before[0] + 1, rd.stats(SPSC0).unwrap().discarded);
    assert_eq!(before[1] + 1, rd.stats(MPSC).unwrap().discarded);
    // Every record drained: 2 * 4096 published.
    let drained = rd.stats(SPSC0).unwrap().drained + rd.stats(MPSC).unwrap().drained;
    assert_eq!(2 * TEXT_MAX as u64, drained);
    // A plain message may carry any byte, NUL too: not a field.
    assert_eq!(Ok(3), mcrring::log_info!(mpsc, FAC, "a{}b", '\0'));
    let rec = only(&mut rd);
    assert_eq!((rec.text.as_slice(), rec.has_fields), (&b"a\0b"[..], false));
    // A literal goes straight to mcr_log's path.
    assert_eq!(Ok(5), mcrring::log_debug!(spsc, FAC, "plain"));
    assert_eq!(only(&mut rd).text, b"plain");
}

/// A value that, the first time it is shown, logs a record of its own
/// through the same MPSC writer: the record being formatted can then no
/// longer grow in place.
struct Interloper<'a> {
    w: &'a mcrring::MpscWriter,
    done: std::cell::Cell<bool>,
}

impl fmt::Display for Interloper<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.done.replace(true) {
            self.w.info(FAC, "interloper").unwrap();
        }
        write!(f, "{:x<300}", "")
    }
}

#[test]
fn formatting_that_cannot_grow_in_place_starts_over_at_its_length() {
    let set = set(64, 1 << 16);
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();
    let v = Interloper { w: &mpsc, done: std::cell::Cell::new(false) };

    assert_eq!(Ok(302), mcrring::log_info!(mpsc, FAC, "a {}", v));
    assert_eq!(rd.next().unwrap().text, b"interloper");
    let want = format!("a {:x<300}", "");
    assert_eq!(rd.next().unwrap().text, want.as_bytes());
    assert_eq!(None, rd.next());
    // The first, 256-byte reservation was given back.
    assert_eq!(1, rd.stats(MPSC).unwrap().discarded);
    assert_eq!(2, rd.stats(MPSC).unwrap().drained);
}

/// A `Display` that fails: `Invalid`, and nothing published.
struct Broken;

impl fmt::Display for Broken {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Err(fmt::Error)
    }
}

#[test]
fn a_failing_display_is_invalid_and_publishes_nothing() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mut rd = set.reader().unwrap();

    assert_eq!(Err(Error::Invalid), mcrring::log_err!(spsc, FAC, "x {}", Broken));
    assert_eq!(None, rd.next());
    assert_eq!(1, rd.stats(SPSC0).unwrap().discarded);
}

/// Fills `log` until the ring refuses, reads everything back, and checks
/// the accounting: every record accepted is read back intact, in order,
/// every refusal is counted by the writer and by the ring.
fn fill_and_drain(rd: &mut Reader, ring: u32, dropped: &dyn Fn() -> u64,
                  log: &mut dyn FnMut(&str) -> mcrring::Result<()>) {
    let mut ok = 0u64;
    loop {
        match log(&format!("{:08} {:x<92}", ok, "")) {
            Ok(()) => ok += 1,
            Err(Error::Full) => break,
            Err(e) => panic!("{}", e),
        }
        assert!(ok <= 10_000, "the ring never filled");
    }
    for _ in 0..9 {
        assert_eq!(Err(Error::Full), log("still full"));
    }
    assert!(ok > 0);
    assert_eq!(10, dropped());
    for i in 0..ok {
        let rec = rd.next().expect("every accepted record");
        assert_eq!(rec.ring, ring);
        assert_eq!(rec.text, format!("{:08} {:x<92}", i, "").as_bytes());
    }
    assert_eq!(None, rd.next());
    let st = rd.stats(ring).unwrap();
    assert_eq!((st.drained, st.dropped_full), (ok, 10));
    assert_eq!((st.discarded, st.abandoned, st.invalid), (0, 0, 0));
    // Drained: room again, as much as before.
    for i in 0..ok {
        log(&format!("{:08} {:x<92}", i, "")).unwrap();
    }
    assert_eq!(Err(Error::Full), log("full again"));
    assert_eq!(ok, rd.by_ref().count() as u64);
    assert_eq!(11, dropped());
}

#[test]
fn a_full_ring_refuses_the_newest_and_counts_each_refusal() {
    let set = set(16, 8192);
    let mut rd = set.reader().unwrap();
    let mpsc = set.mpsc().unwrap();
    fill_and_drain(&mut rd, MPSC, &|| mpsc.dropped(),
                   &mut |m| mpsc.log(Severity::Info, FAC, m));

    let spsc = std::cell::RefCell::new(set.spsc(0).unwrap());
    fill_and_drain(&mut rd, SPSC0, &|| spsc.borrow().dropped(),
                   &mut |m| spsc.borrow_mut().log(Severity::Info, FAC, m));
}

#[test]
fn key_value_fields_are_written_as_kmsg_dictionaries() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();

    let n = spsc.log_kv(Severity::Notice, FAC, "request done",
                        &[("REQ_ID", &42), ("PEER", &"10.0.0.1"), ("x_9", &'\n')]).unwrap();
    let rec = only(&mut rd);
    assert_eq!(rec.text, b"request done\0REQ_ID=42\0PEER=10.0.0.1\0x_9=\n");
    assert_eq!(n, rec.text.len());
    assert!(rec.has_fields);
    assert_eq!(rec.message(), b"request done");
    let fields: Vec<_> = rec.fields().collect();
    assert_eq!(fields, vec![(&b"REQ_ID"[..], &b"42"[..]), (&b"PEER"[..], &b"10.0.0.1"[..]),
                            (&b"x_9"[..], &b"\n"[..])]);

    // No fields: a plain message, not flagged.
    mpsc.log_kv(Severity::Notice, FAC, "bare", &[]).unwrap();
    let rec = only(&mut rd);
    assert!(!rec.has_fields);
    assert_eq!(rec.text, b"bare");

    // Longer than the first reservation: grown in place.
    let big = "v".repeat(1000);
    mpsc.log_kv(Severity::Info, FAC, "big", &[("A", &big), ("B", &big)]).unwrap();
    let rec = only(&mut rd);
    assert_eq!(rec.text, format!("big\0A={}\0B={}", big, big).as_bytes());

    // Refused, and nothing published: bad keys (before reserving), a NUL
    // that would forge a field, more than 4096 bytes.
    for key in ["", "a-b", "A=B", "é"] {
        assert_eq!(Err(Error::Invalid), mpsc.log_kv(Severity::Info, FAC, "m", &[(key, &1)]));
    }
    assert_eq!(Err(Error::Invalid), mpsc.log_kv(Severity::Info, FAC, "m\0FORGED=1", &[("K", &1)]));
    assert_eq!(Err(Error::Invalid), spsc.log_kv(Severity::Info, FAC, "m", &[("K", &"1\0FORGED=1")]));
    let huge = "h".repeat(TEXT_MAX);
    assert_eq!(Err(Error::TooLong), spsc.log_kv(Severity::Info, FAC, "m", &[("K", &huge)]));
    assert_eq!(None, rd.next());
    assert_eq!(2, rd.stats(SPSC0).unwrap().discarded);
    assert_eq!(0, rd.stats(MPSC).unwrap().discarded);
}

#[test]
fn a_reservation_dropped_uncommitted_is_discarded() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();

    {
        let mut r = spsc.reserve(10).unwrap();
        r.as_mut_slice().copy_from_slice(b"never seen");
    }
    mpsc.reserve(10).unwrap().discard();
    let r = (|| -> mcrring::Result<()> {
        let _r = mpsc.reserve(10)?;
        Err(Error::Invalid)?; // a `?` between reserve and commit
        unreachable!()
    })();
    assert_eq!(Err(Error::Invalid), r);
    assert_eq!(None, rd.next());
    assert_eq!(1, rd.stats(SPSC0).unwrap().discarded);
    assert_eq!(2, rd.stats(MPSC).unwrap().discarded);

    // Committing more than reserved: refused, discarded.
    let r = spsc.reserve(10).unwrap();
    let cap = r.capacity();
    assert!(cap >= 10);
    assert_eq!(Err(Error::Invalid), r.commit(cap + 1, Severity::Info, FAC));
    assert_eq!(None, rd.next());
    assert_eq!(2, rd.stats(SPSC0).unwrap().discarded);

    // Grown, the text written stays; committed short, with fields.
    let mut r = mpsc.reserve(4).unwrap();
    r.as_mut_slice().copy_from_slice(b"grow");
    r.grow(2000).unwrap();
    assert_eq!(&r.as_mut_slice()[..4], b"grow");
    r.as_mut_slice()[4..10].copy_from_slice(b"\0K=val");
    r.commit_fields(10, Severity::Info, FAC).unwrap();
    let rec = only(&mut rd);
    assert_eq!(rec.message(), b"grow");
    assert_eq!(rec.fields().collect::<Vec<_>>(), vec![(&b"K"[..], &b"val"[..])]);
}

#[test]
fn a_muted_severity_writes_nothing_and_moves_no_counter() {
    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();
    let info = 1 << Severity::Info as u8;

    for ring in [MPSC, SPSC0] {
        set.shm_set_mute(ring, FAC, info).unwrap();
    }
    assert!(!spsc.enabled(FAC, Severity::Info) && !mpsc.enabled(FAC, Severity::Info));
    assert!(spsc.enabled(FAC, Severity::Err) && spsc.enabled(Facility::USER, Severity::Info));
    assert_eq!(Err(Error::Muted), spsc.info(FAC, "x"));
    assert_eq!(Err(Error::Muted), mpsc.info(FAC, "x"));
    assert_eq!(Err(Error::Muted), mcrring::log_info!(spsc, FAC, "{}", 1));
    assert_eq!(Err(Error::Muted), mpsc.log_kv(Severity::Info, FAC, "m", &[("K", &1)]));
    assert_eq!(None, rd.next());
    for ring in [MPSC, SPSC0] {
        assert_eq!(mcrring::RingStats::default(), rd.stats(ring).unwrap());
    }
    // Muted between reserve and commit: discarded.
    let r = mpsc.reserve(1).unwrap();
    assert_eq!(Err(Error::Muted), r.commit(1, Severity::Info, FAC));
    assert_eq!(None, rd.next());
    assert_eq!(1, rd.stats(MPSC).unwrap().discarded);

    spsc.err(FAC, "err passes").unwrap();
    assert_eq!(only(&mut rd).text, b"err passes");
    set.shm_set_mute(SPSC0, FAC, 0).unwrap();
    spsc.info(FAC, "info again").unwrap();
    assert_eq!(only(&mut rd).text, b"info again");
    assert_eq!(Err(Error::Invalid), set.shm_set_mute(99, FAC, 0));
}

#[test]
fn the_eight_severity_helpers_write_their_severity() {
    let set = set(64, 1 << 16);
    let mut w = set.spsc(0).unwrap();
    let mut rd = set.reader().unwrap();
    let calls: [(Severity, fn(&mut mcrring::SpscWriter, Facility, &str) -> mcrring::Result<()>); 8] = [
        (Severity::Emerg, mcrring::SpscWriter::emerg),
        (Severity::Alert, mcrring::SpscWriter::alert),
        (Severity::Crit, mcrring::SpscWriter::crit),
        (Severity::Err, mcrring::SpscWriter::err),
        (Severity::Warning, mcrring::SpscWriter::warning),
        (Severity::Notice, mcrring::SpscWriter::notice),
        (Severity::Info, mcrring::SpscWriter::info),
        (Severity::Debug, mcrring::SpscWriter::debug),
    ];
    for (sev, call) in calls {
        call(&mut w, FAC, sev.name()).unwrap();
        let rec = only(&mut rd);
        assert_eq!((rec.severity, rec.text.as_slice()), (sev, sev.name().as_bytes()));
    }
}

extern "C" {
    fn fork() -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn _exit(code: i32) -> !;
}

#[test]
fn an_spsc_writer_is_bound_to_its_thread_even_across_fork() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync::<mcrring::MpscWriter>();
    assert_send_sync::<Set>();
    assert_send::<Reader>();
    // (SpscWriter is neither: the compile_fail example on SpscWriter.)

    let set = set(64, 1 << 16);
    let mut spsc = set.spsc(0).unwrap();
    let mpsc = set.mpsc().unwrap();
    let mut rd = set.reader().unwrap();

    let pid = unsafe { fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // The child: its thread is not the one the writer is bound to.
        let code = match spsc.info(FAC, "from the child") {
            Err(Error::WrongThread) => match set.spsc(1) {
                Ok(mut own) => match (own.info(FAC, "child spsc"), mpsc.info(FAC, "child mpsc")) {
                    (Ok(()), Ok(())) => 0,
                    _ => 3,
                },
                Err(_) => 2,
            },
            _ => 1,
        };
        unsafe { _exit(code) }
    }
    let mut status = 0;
    assert_eq!(pid, unsafe { waitpid(pid, &mut status, 0) });
    assert_eq!(0, status, "child: 1 wrote through the parent's SPSC writer");
    let texts: Vec<(u32, u32, Vec<u8>)> = rd.by_ref().map(|r| (r.ring, r.pid, r.text)).collect();
    assert_eq!(texts.len(), 2);
    assert!(texts.contains(&(MPSC, pid as u32, b"child mpsc".to_vec())));
    assert!(texts.contains(&(SPSC0 + 1, pid as u32, b"child spsc".to_vec())));
    spsc.info(FAC, "parent").unwrap();
    assert_eq!(only(&mut rd).text, b"parent");
}

/// Four threads share one MPSC writer into a small ring while the reader
/// drains: every record accepted arrives once, intact and in its
/// thread's order, and written = drained, refused = dropped_full = the
/// handle's count.
#[test]
fn concurrent_mpsc_writers_account_for_every_record() {
    const THREADS: usize = 4;
    const PER: usize = 20_000;
    let set = set(256, 1 << 15);
    let w = Arc::new(set.mpsc().unwrap());
    let mut rd = set.reader().unwrap();
    // A preempted writer is never abandoned here: exact accounting.
    rd.set_bounds(600_000_000_000, 600_000_000_000);
    let done = Arc::new(AtomicBool::new(false));

    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let w = Arc::clone(&w);
            std::thread::spawn(move || {
                let mut accepted = vec![false; PER];
                for (n, ok) in accepted.iter_mut().enumerate() {
                    match mcrring::log_info!(w, FAC, "t{} {} {:z<w$}", t, n, "", w = n % 200) {
                        Ok(_) => *ok = true,
                        Err(Error::Full) => std::thread::yield_now(),
                        Err(e) => panic!("{}", e),
                    }
                }
                accepted
            })
        })
        .collect();

    let mut next = [0usize; THREADS];
    let mut seen: Vec<Vec<usize>> = vec![vec![]; THREADS];
    let mut drain = |rd: &mut Reader| {
        for rec in rd {
            let text = String::from_utf8(rec.text).unwrap();
            let mut it = text.splitn(3, ' ');
            let t: usize = it.next().unwrap()[1..].parse().unwrap();
            let n: usize = it.next().unwrap().parse().unwrap();
            assert_eq!(it.next().unwrap(), "z".repeat(n % 200));
            assert!(n >= next[t], "thread {}: {} after {}", t, n, next[t]);
            next[t] = n + 1;
            seen[t].push(n);
        }
    };
    let waiter = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let r: Vec<Vec<bool>> = writers.into_iter().map(|h| h.join().unwrap()).collect();
            done.store(true, Ordering::Release);
            r
        })
    };
    while !done.load(Ordering::Acquire) {
        drain(&mut rd);
        std::thread::yield_now();
    }
    drain(&mut rd); // all committed before `done`
    let accepted = waiter.join().unwrap();

    let mut total_ok = 0u64;
    for t in 0..THREADS {
        let want: Vec<usize> = (0..PER).filter(|&n| accepted[t][n]).collect();
        assert_eq!(seen[t], want, "thread {}", t);
        total_ok += want.len() as u64;
    }
    let refused = (THREADS * PER) as u64 - total_ok;
    eprintln!("{} accepted, {} refused (ring full)", total_ok, refused);
    let st = rd.stats(MPSC).unwrap();
    assert_eq!(st.drained, total_ok);
    assert_eq!(st.dropped_full, refused);
    assert_eq!(w.dropped(), refused);
    assert_eq!((st.abandoned, st.invalid, st.discarded), (0, 0, 0));
}

/// One SPSC writer per "core" (thread), as data-plane workers: each
/// ring's records arrive whole and in order.
#[test]
fn spsc_writers_one_per_thread_each_on_its_ring() {
    const PER: usize = 5_000;
    let set = set(8192, 1 << 20);
    let mut rd = set.reader().unwrap();
    let workers: Vec<_> = (0..4u32)
        .map(|cpu| {
            let set = set.clone();
            std::thread::spawn(move || {
                let mut w = set.spsc(cpu).unwrap();
                for n in 0..PER {
                    mcrring::log_info!(w, FAC, "cpu{} {}", cpu, n).unwrap();
                }
                mcrring::gettid() as u32
            })
        })
        .collect();
    let tids: Vec<u32> = workers.into_iter().map(|h| h.join().unwrap()).collect();
    let mut next = [0usize; 4];
    for rec in rd.by_ref() {
        let cpu = rec.ring - 1;
        assert_eq!(rec.tid, tids[cpu as usize]);
        assert_eq!(rec.text, format!("cpu{} {}", cpu, next[cpu as usize]).as_bytes());
        next[cpu as usize] += 1;
    }
    assert_eq!(next, [PER; 4]);
}

#[test]
fn errors_are_the_errno_values_and_back() {
    let cases = [(105, Error::Full), (90, Error::TooLong), (1, Error::WrongThread),
                 (42, Error::Muted), (22, Error::Invalid), (16, Error::Busy), (12, Error::Os(12))];
    for (errno, e) in cases {
        assert_eq!(Error::from_ret(-errno), e);
        assert_eq!(e.errno(), errno);
    }
    assert_eq!(Error::Invalid, Set::shm(2, 1000, 1 << 16).err().unwrap());
    assert_eq!(Error::Invalid, set(64, 1 << 16).spsc(4).err().unwrap());
    let s = set(64, 1 << 16);
    let _rd = s.reader().unwrap();
    assert_eq!(Error::Busy, s.reader().err().unwrap());
    // One writer per SPSC ring, from any clone of the set.
    let w = s.spsc(2).unwrap();
    assert_eq!(Error::Busy, s.clone().spsc(2).err().unwrap());
    drop(w);
    s.spsc(2).unwrap();
}

#[test]
fn the_archive_text_reads_back_as_records() {
    let path = std::env::temp_dir().join(format!("mcrring-rs-archive-{}", std::process::id()));
    std::fs::write(&path, "0,2939368317,1,0,103,104,16,4,103/0;request done\tREQ_ID=42\tPEER=10.0.0.1\n\
                           # mcrring: 5 records lost\n\
                           6,2939368400,0,1,7,8,1,6,-;a\\x0ab\\x5c\n").unwrap();
    let mut a = Archive::open(Some(path.to_str().unwrap()), true).unwrap();
    let r = a.next().unwrap().unwrap();
    assert_eq!((r.seq, r.ts_ns, r.ring, r.cpu, r.pid, r.tid), (0, 2939368317, 1, 0, 103, 104));
    assert_eq!((r.facility, r.severity, r.owner, r.lost), (Facility::LOCAL0, Severity::Warning, Some((103, 0)), 0));
    assert_eq!(r.message(), b"request done");
    assert_eq!(r.fields().collect::<Vec<_>>(),
               vec![(&b"REQ_ID"[..], &b"42"[..]), (&b"PEER"[..], &b"10.0.0.1"[..])]);
    let r = a.next().unwrap().unwrap();
    assert_eq!((r.seq, r.lost, r.owner, r.severity), (6, 5, None, Severity::Info));
    assert_eq!(r.text, b"a\nb\\");
    assert!(a.next().is_none());
    std::fs::remove_file(&path).unwrap();
}
