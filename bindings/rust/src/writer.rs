// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! The writers: libmcrring's inline write path through the shim, the
//! runtime level check inline here, formatting into reserved ring space.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::ffi;
use crate::{check, pri, Error, Facility, Result, Set, Severity};

/// A C writer handle and what it needs to stay valid.
struct Handle {
    w: *mut ffi::mcr_writer,
    /// The ring's runtime levels, `mute[facility]`, in its read-only page.
    mute: *const AtomicU8,
    set: Set,
}

impl Drop for Handle {
    fn drop(&mut self) {
        unsafe { ffi::mcrrs_writer_free(self.w) }
    }
}

/// Formats into a reservation's text: copies while the output fits,
/// counts its length always (and, for fields, the NUL bytes it carries).
struct Text {
    buf: *mut u8,
    cap: usize,
    need: usize,
    nuls: Option<usize>,
}

impl fmt::Write for Text {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let b = s.as_bytes();
        let at = self.need;

        self.need = at.saturating_add(b.len());
        if self.need > ffi::TEXT_MAX {
            return Err(fmt::Error); // refused below as TooLong
        }
        if self.need <= self.cap {
            // SAFETY: at + len <= cap, the reservation's bytes.
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), self.buf.add(at), b.len()) }
        }
        if let Some(n) = self.nuls.as_mut() {
            *n += b.iter().filter(|&&c| c == 0).count();
        }
        Ok(())
    }
}

/// A key of a `KEY=value` field: `[A-Za-z0-9_]+`.
fn key_ok(k: &str) -> bool {
    !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

impl Handle {
    fn new(set: Set, cpu: i32) -> Result<Handle> {
        let mut w = std::ptr::null_mut();
        check(unsafe { ffi::mcrrs_writer_new(set.raw(), cpu, &mut w) })?;
        let mute = unsafe { ffi::mcrrs_mute(w) } as *const AtomicU8;
        Ok(Handle { w, mute, set })
    }

    /// mcr_enabled(): one byte of the ring's read-only page.
    #[inline(always)]
    fn enabled(&self, fac: Facility, sev: Severity) -> bool {
        // SAFETY: fac <= MCR_FAC_MAX, mute has MCR_FAC_MAX + 1 bytes,
        // mapped as long as the set is open (self.set).
        let m = unsafe { (*self.mute.add(fac.number() as usize)).load(Ordering::Relaxed) };
        (m >> sev as u8) & 1 == 0
    }

    /// `SPSC`: what kind of handle this is, known to the caller's type,
    /// so that the C side compiles the other kind's branches out.
    #[inline]
    fn log<const SPSC: bool>(&self, sev: Severity, fac: Facility, msg: &[u8]) -> Result<()> {
        if !self.enabled(fac, sev) {
            return Err(Error::Muted);
        }
        let (w, pri, p, n) = (self.w, pri(fac, sev), msg.as_ptr(), msg.len());
        check(unsafe {
            if SPSC {
                ffi::mcrrs_log_spsc(w, pri, p, n)
            } else {
                ffi::mcrrs_log_mpsc(w, pri, p, n)
            }
        })
    }

    fn reserve(&self, len: usize) -> Result<Reservation<'_>> {
        let mut resv = ffi::mcr_resv::empty();
        check(unsafe { ffi::mcrrs_reserve(self.w, len, &mut resv) })?;
        Ok(Reservation { h: self, resv, len, done: false, _not_send: PhantomData })
    }

    /// Runs `f` over the reservation's text: the output's length, and
    /// whether it fit.
    fn fill(r: &Reservation<'_>, nuls: Option<usize>,
            f: &mut dyn FnMut(&mut Text) -> fmt::Result) -> Result<(usize, bool)> {
        let mut t = Text { buf: r.resv.text, cap: r.resv.cap as usize, need: 0,
                           nuls: nuls.map(|_| 0) };
        if f(&mut t).is_err() {
            return Err(if t.need > ffi::TEXT_MAX { Error::TooLong } else { Error::Invalid });
        }
        if t.nuls != nuls {
            return Err(Error::Invalid);
        }
        Ok((t.need, t.need <= t.cap))
    }

    /// Formats straight into the ring, as mcr_vlogf(): a small
    /// reservation first, grown in place (or made again at the right
    /// size) when the output is longer. No allocation, no intermediate
    /// buffer. `nuls`: the NUL bytes the output must hold, no more
    /// (fields: one before each), or None (a plain message, any).
    fn format(&self, sev: Severity, fac: Facility, flags: u8, nuls: Option<usize>,
              f: &mut dyn FnMut(&mut Text) -> fmt::Result) -> Result<usize> {
        if !self.enabled(fac, sev) {
            return Err(Error::Muted);
        }
        let mut r = self.reserve(256)?;
        let (mut len, fit) = Self::fill(&r, nuls, f)?;
        if !fit {
            // Longer than 256: grow in place if nobody reserved after
            // us, else start over at the length the first pass counted.
            if r.grow(len).is_err() {
                drop(r);
                r = self.reserve(len)?;
            }
            let (again, fit) = Self::fill(&r, nuls, f)?;
            if !fit {
                return Err(Error::TooLong); // the output grew: refused, as C
            }
            len = again;
        }
        r.commit_flags(len, sev, fac, flags).map(|_| len)
    }

    fn logf<const SPSC: bool>(&self, sev: Severity, fac: Facility,
                              args: fmt::Arguments<'_>) -> Result<usize> {
        if let Some(s) = args.as_str() {
            return self.log::<SPSC>(sev, fac, s.as_bytes()).map(|_| s.len());
        }
        self.format(sev, fac, 0, None, &mut |t| fmt::Write::write_fmt(t, args))
    }

    fn log_kv(&self, sev: Severity, fac: Facility, msg: &str,
              fields: &[(&str, &dyn fmt::Display)]) -> Result<usize> {
        if !self.enabled(fac, sev) {
            return Err(Error::Muted);
        }
        if msg.as_bytes().contains(&0) || !fields.iter().all(|(k, _)| key_ok(k)) {
            return Err(Error::Invalid);
        }
        let flags = if fields.is_empty() { 0 } else { ffi::FLAG_FIELDS };
        self.format(sev, fac, flags, Some(fields.len()), &mut |t| {
            use fmt::Write;
            t.write_str(msg)?;
            for (k, v) in fields {
                t.write_str("\0")?;
                t.write_str(k)?;
                t.write_str("=")?;
                write!(t, "{}", v)?;
            }
            Ok(())
        })
    }

    fn dropped(&self) -> u64 {
        unsafe { ffi::mcrrs_dropped(self.w) }
    }
}

/// Room reserved in a ring for one record's text: write it, then
/// [`commit`](Reservation::commit). Dropped uncommitted (an early return,
/// a `?`, a panic), the reservation is discarded: the reader skips it
/// and counts it as discarded, nothing is published.
pub struct Reservation<'w> {
    h: &'w Handle,
    resv: ffi::mcr_resv,
    len: usize,
    done: bool,
    // Committed by the thread that reserved (raw pointers: neither Send
    // nor Sync already; said here too).
    _not_send: PhantomData<*mut u8>,
}

impl<'w> Reservation<'w> {
    /// The bytes reserved, as many as asked for.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: the ring reserved at least len bytes at text for us.
        unsafe { std::slice::from_raw_parts_mut(self.resv.text, self.len) }
    }

    /// Bytes that may be committed: the length asked for, rounded up.
    pub fn capacity(&self) -> usize {
        self.resv.cap as usize
    }

    /// Makes the reservation hold `len` bytes; the text written stays.
    /// `Full` when there is no room after it or (MPSC) another writer
    /// reserved after it: the reservation is still valid as it was.
    pub fn grow(&mut self, len: usize) -> Result<()> {
        check(unsafe { ffi::mcrrs_grow(self.h.w, &mut self.resv, len) })?;
        self.len = self.len.max(len);
        Ok(())
    }

    fn commit_flags(mut self, len: usize, sev: Severity, fac: Facility, flags: u8) -> Result<()> {
        if !self.h.enabled(fac, sev) {
            return Err(Error::Muted); // discarded when dropped
        }
        self.done = true; // the C side publishes or discards it now
        check(unsafe {
            ffi::mcrrs_commit(self.h.w, &mut self.resv, len, pri(fac, sev), flags as u32)
        })
    }

    /// Publishes the first `len` bytes written.
    ///
    /// Errors: `Invalid` when `len` exceeds [`capacity`](Self::capacity),
    /// `Muted` when the severity is muted now; either way the
    /// reservation is discarded.
    pub fn commit(self, len: usize, sev: Severity, fac: Facility) -> Result<()> {
        self.commit_flags(len, sev, fac, 0)
    }

    /// As [`commit`](Self::commit), for a text that is a message followed
    /// by `\0KEY=value` fields (flagged so readers split them).
    pub fn commit_fields(self, len: usize, sev: Severity, fac: Facility) -> Result<()> {
        self.commit_flags(len, sev, fac, ffi::FLAG_FIELDS)
    }

    /// Gives the room back unpublished (what dropping it does).
    pub fn discard(self) {}
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.done {
            unsafe { ffi::mcrrs_discard(self.h.w, &mut self.resv) }
        }
    }
}

/// The API both writers share; `$spsc` says which one, `$m` is `mut` for
/// the SPSC writer, whose methods need the handle to themselves.
macro_rules! writer_api {
    ($spsc:literal $(, $m:ident)?) => {
        /// Logs `msg` as it is: one reservation, one copy, one commit.
        ///
        /// Errors: `Muted` (nothing written, no counter moved), `TooLong`,
        /// `Full` (dropped and counted), `WrongThread`.
        #[inline]
        pub fn log(&$($m)? self, sev: Severity, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(sev, fac, msg.as_bytes())
        }

        /// As [`log`](Self::log), for text that need not be UTF-8.
        #[inline]
        pub fn log_bytes(&$($m)? self, sev: Severity, fac: Facility, msg: &[u8]) -> Result<()> {
            self.h.log::<$spsc>(sev, fac, msg)
        }

        /// Formats `args` (`format_args!`) straight into the ring, without
        /// allocating; the [`mcr_log!`](crate::mcr_log) macros call it.
        /// Returns the text's length. Output over 4096 bytes is refused
        /// (`TooLong`), never truncated; a failing `Display` is `Invalid`.
        pub fn logf(&$($m)? self, sev: Severity, fac: Facility,
                    args: fmt::Arguments<'_>) -> Result<usize> {
            self.h.logf::<$spsc>(sev, fac, args)
        }

        /// Logs `msg` with `KEY=value` fields (KEY of `[A-Za-z0-9_]+`),
        /// formatted into the ring as `msg\0KEY=value\0...`, the way
        /// `/dev/kmsg` dictionaries are; `/dev/mcrlog` shows them after
        /// tabs. Returns the text's length.
        ///
        /// Errors: `Invalid` for a bad key or a NUL byte in the message or
        /// a value; the rest as [`logf`](Self::logf).
        pub fn log_kv(&$($m)? self, sev: Severity, fac: Facility, msg: &str,
                      fields: &[(&str, &dyn fmt::Display)]) -> Result<usize> {
            self.h.log_kv(sev, fac, msg, fields)
        }

        /// Reserves `len` bytes of text (at most 4096) for zero-copy
        /// writing; see [`Reservation`].
        pub fn reserve(&$($m)? self, len: usize) -> Result<Reservation<'_>> {
            self.h.reserve(len)
        }

        /// Whether records of `sev` for `fac` are wanted now: the
        /// runtime level check the writes make themselves, for a caller
        /// that would rather skip building its message.
        #[inline(always)]
        pub fn enabled(&self, fac: Facility, sev: Severity) -> bool {
            self.h.enabled(fac, sev)
        }

        /// Records this writer lost to a full ring.
        pub fn dropped(&self) -> u64 {
            self.h.dropped()
        }

        /// [`log`](Self::log) at emerg.
        #[inline]
        pub fn emerg(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Emerg, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at alert.
        #[inline]
        pub fn alert(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Alert, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at crit.
        #[inline]
        pub fn crit(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Crit, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at err.
        #[inline]
        pub fn err(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Err, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at warning.
        #[inline]
        pub fn warning(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Warning, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at notice.
        #[inline]
        pub fn notice(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Notice, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at info.
        #[inline]
        pub fn info(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Info, fac, msg.as_bytes())
        }
        /// [`log`](Self::log) at debug.
        #[inline]
        pub fn debug(&$($m)? self, fac: Facility, msg: &str) -> Result<()> {
            self.h.log::<$spsc>(Severity::Debug, fac, msg.as_bytes())
        }
    };
}

/// A writer on one CPU's SPSC ring, bound to the thread that made it.
///
/// The ring has one producer: the C handle accepts writes only from the
/// thread that made it (`-EPERM` otherwise), and this type is neither
/// `Send` nor `Sync`, so safe code cannot hand it to another thread:
///
/// ```compile_fail
/// let set = mcrring::Set::shm(2, 1024, 1 << 16).unwrap();
/// let mut w = set.spsc(0).unwrap();
/// std::thread::spawn(move || w.info(mcrring::Facility::USER, "moved"));
/// ```
///
/// After `fork()` the child's thread is another one: its writes fail
/// with [`Error::WrongThread`] until it makes its own writer.
///
/// ```
/// use mcrring::{Facility, Set, Severity};
///
/// # fn main() -> Result<(), mcrring::Error> {
/// let set = Set::open().or_else(|_| Set::shm(2, 1024, 1 << 16))?;
/// let mut w = set.spsc(0)?;
/// w.log(Severity::Info, Facility::LOCAL0, "rx burst")?;
/// mcrring::log_debug!(w, Facility::LOCAL0, "queue {} depth {}", 3, 17)?;
/// # Ok(())
/// # }
/// ```
pub struct SpscWriter {
    h: Handle,
    cpu: u32,
}

impl Drop for SpscWriter {
    fn drop(&mut self) {
        self.h.set.spsc_gone(self.cpu);
    }
}

impl SpscWriter {
    pub(crate) fn new(set: Set, cpu: i32) -> Result<SpscWriter> {
        Ok(SpscWriter { h: Handle::new(set, cpu)?, cpu: cpu as u32 })
    }

    writer_api!(true, mut);

    /// The C handle, for the write-cost benchmark's C loop.
    #[cfg(feature = "bench")]
    #[doc(hidden)]
    pub fn as_raw(&mut self) -> *mut std::ffi::c_void {
        self.h.w as *mut std::ffi::c_void
    }
}

/// A writer on the MPSC ring: lock-free, any number of threads at once
/// (`Send + Sync`; share it in an `Arc`, or make one per task).
///
/// ```
/// use std::sync::Arc;
/// use mcrring::{Facility, Set};
///
/// # fn main() -> Result<(), mcrring::Error> {
/// let set = Set::open().or_else(|_| Set::shm(2, 1024, 1 << 16))?;
/// let w = Arc::new(set.mpsc()?);
/// let w2 = Arc::clone(&w);
/// std::thread::spawn(move || w2.notice(Facility::DAEMON, "from a thread"))
///     .join()
///     .unwrap()?;
/// w.log_kv(mcrring::Severity::Info, Facility::DAEMON, "request done",
///          &[("REQ_ID", &42), ("PEER", &"10.0.0.1")])?;
/// # Ok(())
/// # }
/// ```
pub struct MpscWriter {
    h: Handle,
}

// The MPSC protocol is for any number of writers at once; the handle is
// read-only after setup but for its drop and wake-up counts, which the
// shim updates atomically.
unsafe impl Send for MpscWriter {}
unsafe impl Sync for MpscWriter {}

impl MpscWriter {
    pub(crate) fn new(set: Set) -> Result<MpscWriter> {
        Ok(MpscWriter { h: Handle::new(set, -1)? })
    }

    writer_api!(false);
}
