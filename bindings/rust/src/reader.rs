// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! Readers: the consumer of a set's rings, and the archive's text.

use std::ffi::CString;

use crate::ffi;
use crate::{check, Error, Facility, Result, Set, Severity};

/// A message's `KEY=value` fields, in order: `(key, value)` pairs.
pub struct Fields<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest?;
        let (field, next) = match rest.iter().position(|&c| c == 0) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        self.rest = next;
        let eq = field.iter().position(|&c| c == b'=').unwrap_or(field.len());
        Some((&field[..eq], field.get(eq + 1..).unwrap_or(&[])))
    }
}

/// Splits a text at its first NUL: the message, and the fields after it
/// when `has_fields`.
fn split(text: &[u8], has_fields: bool) -> (&[u8], Fields<'_>) {
    if !has_fields {
        return (text, Fields { rest: None });
    }
    match text.iter().position(|&c| c == 0) {
        Some(i) => (&text[..i], Fields { rest: Some(&text[i + 1..]) }),
        None => (text, Fields { rest: None }),
    }
}

/// One record drained from a ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Its sequence within its ring.
    pub seq: u64,
    /// CLOCK_MONOTONIC, in ns (the writer's claim).
    pub ts_ns: u64,
    /// The writer's process and thread (its claim).
    pub pid: u32,
    #[allow(missing_docs)]
    pub tid: u32,
    /// The CPU the writer ran on (its claim).
    pub cpu: u32,
    /// 0: the MPSC ring, 1 + n: the SPSC ring of CPU n.
    pub ring: u32,
    #[allow(missing_docs)]
    pub severity: Severity,
    #[allow(missing_docs)]
    pub facility: Facility,
    /// Whether the text holds `\0KEY=value` fields.
    pub has_fields: bool,
    /// The text as written: the message, then the fields.
    pub text: Vec<u8>,
}

impl Record {
    /// The message, without its fields.
    pub fn message(&self) -> &[u8] {
        split(&self.text, self.has_fields).0
    }

    /// The fields, `(key, value)`.
    pub fn fields(&self) -> Fields<'_> {
        split(&self.text, self.has_fields).1
    }
}

/// A ring's accounting: written = drained + abandoned + invalid +
/// discarded, and `dropped_full` records the writers were refused.
pub type RingStats = ffi::mcr_ring_stats;

/// The consumer of every ring of a set, merging them by timestamp; an
/// iterator of [`Record`]s that ends, for now, when none is available
/// (call `next()` again later for more).
pub struct Reader {
    rd: *mut ffi::mcr_reader,
    text: Box<[u8; ffi::TEXT_MAX]>,
    set: Set,
}

// The reader is used by one thread at a time; nothing in it is shared.
unsafe impl Send for Reader {}

impl Reader {
    pub(crate) fn new(set: Set) -> Result<Reader> {
        let mut rd = std::ptr::null_mut();
        check(unsafe { ffi::mcr_reader_open(set.raw(), &mut rd) })?;
        Ok(Reader { rd, text: Box::new([0; ffi::TEXT_MAX]), set })
    }

    /// The accounting of `ring`.
    pub fn stats(&self, ring: u32) -> Result<RingStats> {
        let mut st = RingStats::default();
        check(unsafe { ffi::mcr_reader_stats(self.rd, ring, &mut st) })?;
        Ok(st)
    }

    /// After how long (ns) an in-flight MPSC record is abandoned, and its
    /// memory reclaimed.
    pub fn set_bounds(&mut self, abandon_ns: u64, reclaim_ns: u64) {
        unsafe { ffi::mcr_reader_set_bounds(self.rd, abandon_ns, reclaim_ns) }
    }

    /// The writer of SPSC ring `ring` is dead: its in-flight record, if
    /// any, is abandoned at once.
    pub fn writer_gone(&mut self, ring: u32) {
        unsafe { ffi::mcr_reader_writer_gone(self.rd, ring) }
    }
}

impl Iterator for Reader {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let mut rec = ffi::mcr_record::default();
        if unsafe { ffi::mcr_read(self.rd, &mut rec, self.text.as_mut_ptr()) } != 1 {
            return None;
        }
        let len = (rec.len as usize).min(ffi::TEXT_MAX);
        Some(Record {
            seq: rec.seq,
            ts_ns: rec.ts_ns,
            pid: rec.pid,
            tid: rec.tid,
            cpu: rec.cpu,
            ring: rec.ring as u32,
            severity: Severity::from_u8(rec.pri & 7).unwrap_or(Severity::Debug),
            facility: Facility::new(rec.pri >> 3).unwrap_or(Facility::USER),
            has_fields: rec.flags & ffi::FLAG_FIELDS != 0,
            text: self.text[..len].to_vec(),
        })
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        unsafe { ffi::mcr_reader_close(self.rd) }
        self.set.reader_closed();
    }
}

/// One record of the archive, as `/dev/mcrlog` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArchiveRecord {
    /// The archive's sequence.
    pub seq: u64,
    /// CLOCK_MONOTONIC, in ns (the writer's claim).
    pub ts_ns: u64,
    /// Records lost to overwriting just before this one.
    pub lost: u64,
    /// 0: the MPSC ring, 1 + n: the SPSC ring of CPU n.
    pub ring: u32,
    /// The writer's claims.
    pub cpu: u32,
    #[allow(missing_docs)]
    pub pid: u32,
    #[allow(missing_docs)]
    pub tid: u32,
    /// `(pid, uid)` of the process holding the ring's claim, attested by
    /// the kernel; `None` for the MPSC ring.
    pub owner: Option<(i32, u32)>,
    #[allow(missing_docs)]
    pub severity: Severity,
    #[allow(missing_docs)]
    pub facility: Facility,
    /// Whether the text holds `\0KEY=value` fields.
    pub has_fields: bool,
    /// The text, unescaped.
    pub text: Vec<u8>,
}

impl ArchiveRecord {
    /// The message, without its fields.
    pub fn message(&self) -> &[u8] {
        split(&self.text, self.has_fields).0
    }

    /// The fields, `(key, value)`.
    pub fn fields(&self) -> Fields<'_> {
        split(&self.text, self.has_fields).1
    }
}

/// The archive: `/dev/mcrlog`'s text (or a file holding it) parsed back
/// into records; each `Archive` has its own cursor, from the oldest
/// record kept. An iterator of `Result<ArchiveRecord>`: it ends when
/// nothing is new (non-blocking) or at the end of a file.
pub struct Archive {
    a: *mut ffi::mcr_archive,
    text: Box<[u8; ffi::TEXT_MAX]>,
}

unsafe impl Send for Archive {}

impl Archive {
    /// Opens `/dev/mcrlog` (`path` None) or `path`; `nonblock`: when
    /// nothing is new, end the iteration rather than wait.
    pub fn open(path: Option<&str>, nonblock: bool) -> Result<Archive> {
        let path = match path {
            Some(p) => Some(CString::new(p).map_err(|_| Error::Invalid)?),
            None => None,
        };
        let mut a = std::ptr::null_mut();
        let p = path.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        check(unsafe { ffi::mcr_archive_open(p, nonblock, &mut a) })?;
        Ok(Archive { a, text: Box::new([0; ffi::TEXT_MAX]) })
    }

    /// The file descriptor, for poll(2): readable when a record is there.
    pub fn fd(&self) -> i32 {
        unsafe { ffi::mcr_archive_fd(self.a) }
    }
}

impl Iterator for Archive {
    type Item = Result<ArchiveRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = ffi::mcr_arecord::default();
        let ret = unsafe { ffi::mcr_archive_next(self.a, &mut rec, self.text.as_mut_ptr()) };
        if ret < 0 {
            return Some(Err(Error::from_ret(ret)));
        }
        if ret == 0 {
            return None;
        }
        let len = (rec.len as usize).min(ffi::TEXT_MAX);
        Some(Ok(ArchiveRecord {
            seq: rec.seq,
            ts_ns: rec.ts_ns,
            lost: rec.lost,
            ring: rec.ring,
            cpu: rec.cpu,
            pid: rec.pid,
            tid: rec.tid,
            owner: if rec.owner_pid == -1 { None } else { Some((rec.owner_pid, rec.owner_uid)) },
            severity: Severity::from_u8(rec.severity).unwrap_or(Severity::Debug),
            facility: Facility::new(rec.facility).unwrap_or(Facility::USER),
            has_fields: rec.flags & ffi::FLAG_FIELDS != 0,
            text: self.text[..len].to_vec(),
        }))
    }
}

impl Drop for Archive {
    fn drop(&mut self) {
        unsafe { ffi::mcr_archive_close(self.a) }
    }
}
