// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! Log from hot paths into mcrring's rings: no system call, no lock, no
//! allocation per record.
//!
//! This crate is libmcrring for Rust. The write path is libmcrring's own
//! inline C (reserve, copy, commit), reached through a small shim that
//! `build.rs` compiles; the crate adds types, not a second protocol.
//!
//! - [`Set`]: `/dev/mcrlog` ([`Set::open`]) or the same rings in shared
//!   memory ([`Set::shm`]), for tests and programs without the module.
//! - [`SpscWriter`]: this CPU's ring, claimed; bound to the thread that
//!   made it (`!Send`), as the C handle is. One per core-pinned worker.
//! - [`MpscWriter`]: the shared ring, `Send + Sync`: any thread, any task.
//! - [`Reader`]: drains a shared-memory set (or the device in user drain
//!   mode); [`Archive`]: `/dev/mcrlog`'s text, parsed back into records.
//!
//! Every write returns `Result<_, Error>`; none panics or blocks. A full
//! ring drops the newest record ([`Error::Full`], counted), text over
//! 4096 bytes is refused ([`Error::TooLong`]), never truncated, and a
//! severity muted at run time costs one byte's load ([`Error::Muted`]).
//!
//! # A worker pinned to its core: the SPSC writer
//!
//! ```
//! use mcrring::{Facility, Set, Severity};
//!
//! # fn main() -> Result<(), mcrring::Error> {
//! // /dev/mcrlog where the module is loaded; here, shared memory.
//! let set = Set::open().or_else(|_| Set::shm(2, 1024, 1 << 16))?;
//! let cpu = if set.is_device() { mcrring::cpu() } else { 0 };
//! let mut w = set.spsc(cpu)?;                // claims the ring of `cpu`
//! const INGRESS: Facility = Facility::LOCAL0;
//!
//! w.info(INGRESS, "worker up")?;
//! mcrring::log_info!(w, INGRESS, "rx {} bytes from {}", 1500, "10.0.0.1")?;
//! w.log_kv(Severity::Warning, INGRESS, "drop", &[("PORT", &7), ("WHY", &"full")])?;
//! {
//!     let mut r = w.reserve(9)?;             // zero-copy
//!     r.as_mut_slice().copy_from_slice(b"zero-copy");
//!     r.commit(9, Severity::Debug, INGRESS)?;
//! }
//! let r = w.reserve(100)?;
//! drop(r);                                   // never committed: discarded
//! # Ok(())
//! # }
//! ```
//!
//! # A supervisor with many tasks: the MPSC writer
//!
//! ```
//! use std::sync::Arc;
//! use mcrring::{Facility, Set};
//!
//! # fn main() -> Result<(), mcrring::Error> {
//! let set = Set::open().or_else(|_| Set::shm(2, 1024, 1 << 16))?;
//! let log = Arc::new(set.mpsc()?);
//! let threads: Vec<_> = (0..4)
//!     .map(|i| {
//!         let log = Arc::clone(&log);
//!         std::thread::spawn(move || {
//!             mcrring::log_notice!(log, Facility::DAEMON, "task {} started", i)
//!         })
//!     })
//!     .collect();
//! for t in threads {
//!     t.join().unwrap()?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Reading a shared-memory set back
//!
//! ```
//! use mcrring::{Facility, Set};
//!
//! # fn main() -> Result<(), mcrring::Error> {
//! let set = Set::shm(2, 1024, 1 << 16)?;
//! let log = set.mpsc()?;
//! log.log_kv(mcrring::Severity::Info, Facility::USER, "done", &[("REQ_ID", &42)])?;
//! let mut reader = set.reader()?;
//! let rec = reader.next().unwrap();
//! assert_eq!(rec.message(), b"done");
//! assert_eq!(rec.fields().collect::<Vec<_>>(), vec![(&b"REQ_ID"[..], &b"42"[..])]);
//! # Ok(())
//! # }
//! ```
#![deny(warnings)]
#![deny(missing_docs)]

mod ffi;
mod reader;
mod writer;

use std::ffi::CString;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use reader::{Archive, ArchiveRecord, Fields, Reader, Record, RingStats};
pub use writer::{MpscWriter, Reservation, SpscWriter};

/// The longest text of a record, in bytes.
pub const TEXT_MAX: usize = ffi::TEXT_MAX;

/// Why a call failed: libmcrring's `-errno`, named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `-ENOBUFS`: the ring is full; the record was dropped and counted.
    Full,
    /// `-EMSGSIZE`: the text is longer than [`TEXT_MAX`] bytes.
    TooLong,
    /// `-EPERM`: an SPSC writer used from a thread it is not bound to
    /// (after `fork()`: the child's thread is another one).
    WrongThread,
    /// `-ENOMSG`: the severity is muted for the facility at run time;
    /// nothing was written and no counter moved.
    Muted,
    /// `-EINVAL`: a bad argument (a field key outside `[A-Za-z0-9_]+`, a
    /// NUL byte in a message with fields, a commit longer than reserved,
    /// a `Display` implementation that failed).
    Invalid,
    /// `-EBUSY`: the SPSC ring is claimed by another open file.
    Busy,
    /// Any other errno, positive.
    Os(i32),
}

impl Error {
    /// The error for libmcrring's return value `ret` (`-errno`).
    pub fn from_ret(ret: i32) -> Error {
        match -ret {
            ffi::ENOBUFS => Error::Full,
            ffi::EMSGSIZE => Error::TooLong,
            ffi::EPERM => Error::WrongThread,
            ffi::ENOMSG => Error::Muted,
            ffi::EINVAL => Error::Invalid,
            ffi::EBUSY => Error::Busy,
            e => Error::Os(e),
        }
    }

    /// The positive errno this error stands for.
    pub fn errno(self) -> i32 {
        match self {
            Error::Full => ffi::ENOBUFS,
            Error::TooLong => ffi::EMSGSIZE,
            Error::WrongThread => ffi::EPERM,
            Error::Muted => ffi::ENOMSG,
            Error::Invalid => ffi::EINVAL,
            Error::Busy => ffi::EBUSY,
            Error::Os(e) => e,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Full => f.write_str("ring full, record dropped"),
            Error::TooLong => f.write_str("text longer than 4096 bytes"),
            Error::WrongThread => f.write_str("SPSC writer used from another thread"),
            Error::Muted => f.write_str("severity muted for this facility"),
            Error::Invalid => f.write_str("invalid argument"),
            Error::Busy => f.write_str("ring claimed by another open file"),
            Error::Os(e) => write!(f, "{}", std::io::Error::from_raw_os_error(*e)),
        }
    }
}

impl std::error::Error for Error {}

/// A `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// 0 or a count on success, `-errno` on failure.
#[inline(always)]
fn check(ret: i32) -> Result<()> {
    if ret < 0 {
        Err(Error::from_ret(ret))
    } else {
        Ok(())
    }
}

/// Severity, as syslog(3): 0 (emerg) to 7 (debug).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Severity {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    /// The severity numbered `n`, 0 to 7.
    #[inline]
    pub fn from_u8(n: u8) -> Option<Severity> {
        use Severity::*;
        [Emerg, Alert, Crit, Err, Warning, Notice, Info, Debug].get(n as usize).copied()
    }

    /// syslog's name: "emerg" .. "debug".
    pub fn name(self) -> &'static str {
        ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"][self as usize]
    }
}

/// Facility, as syslog(3): 0 (kern) to 23 (local7). A program names its
/// own subsystems after them, e.g. `const INGRESS: Facility = Facility::LOCAL0;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Facility(u8);

#[allow(missing_docs)]
impl Facility {
    pub const KERN: Facility = Facility(0);
    pub const USER: Facility = Facility(1);
    pub const MAIL: Facility = Facility(2);
    pub const DAEMON: Facility = Facility(3);
    pub const AUTH: Facility = Facility(4);
    pub const SYSLOG: Facility = Facility(5);
    pub const LPR: Facility = Facility(6);
    pub const NEWS: Facility = Facility(7);
    pub const UUCP: Facility = Facility(8);
    pub const CRON: Facility = Facility(9);
    pub const AUTHPRIV: Facility = Facility(10);
    pub const FTP: Facility = Facility(11);
    pub const NTP: Facility = Facility(12);
    pub const SECURITY: Facility = Facility(13);
    pub const CONSOLE: Facility = Facility(14);
    pub const SOLARIS_CRON: Facility = Facility(15);
    pub const LOCAL0: Facility = Facility(16);
    pub const LOCAL1: Facility = Facility(17);
    pub const LOCAL2: Facility = Facility(18);
    pub const LOCAL3: Facility = Facility(19);
    pub const LOCAL4: Facility = Facility(20);
    pub const LOCAL5: Facility = Facility(21);
    pub const LOCAL6: Facility = Facility(22);
    pub const LOCAL7: Facility = Facility(23);

    /// The facility numbered `n`, 0 to 23.
    #[inline]
    pub const fn new(n: u8) -> Option<Facility> {
        if n <= ffi::FAC_MAX {
            Some(Facility(n))
        } else {
            None
        }
    }

    /// Its number, 0 to 23.
    #[inline]
    pub const fn number(self) -> u8 {
        self.0
    }
}

/// syslog's PRI: facility << 3 | severity.
#[inline(always)]
fn pri(fac: Facility, sev: Severity) -> u32 {
    (fac.0 as u32) << 3 | sev as u32
}

struct SetInner {
    set: *mut ffi::mcr_set,
    reading: AtomicBool,
    /// CPUs whose ring has an SpscWriter of this set now.
    writing: Mutex<Vec<u32>>,
}

// libmcrring serialises what a set shares (mapping rings on demand); a
// Reader, the one consumer, is made at most once at a time (`reading`).
unsafe impl Send for SetInner {}
unsafe impl Sync for SetInner {}

impl Drop for SetInner {
    fn drop(&mut self) {
        // Writers and readers hold a Set: they are gone.
        unsafe { ffi::mcr_set_close(self.set) }
    }
}

/// An open ring set: `/dev/mcrlog` or a shared-memory set. Cheap to
/// clone; writers and readers keep their set open.
#[derive(Clone)]
pub struct Set {
    inner: Arc<SetInner>,
}

impl Set {
    fn wrap(set: *mut ffi::mcr_set) -> Set {
        Set {
            inner: Arc::new(SetInner {
                set,
                reading: AtomicBool::new(false),
                writing: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Opens `/dev/mcrlog`.
    ///
    /// Errors: `Os(ENOENT)` when the module is not loaded, `Os(EACCES)`,
    /// `Os(ENODEV)`, `Os(EPROTO)` on an ABI mismatch, `Os(ENOMEM)`.
    pub fn open() -> Result<Set> {
        let mut set = std::ptr::null_mut();
        check(unsafe { ffi::mcr_open(std::ptr::null(), &mut set) })?;
        Ok(Set::wrap(set))
    }

    /// Opens the mcrring device at `path`.
    pub fn open_path(path: &str) -> Result<Set> {
        let path = CString::new(path).map_err(|_| Error::Invalid)?;
        let mut set = std::ptr::null_mut();
        check(unsafe { ffi::mcr_open(path.as_ptr(), &mut set) })?;
        Ok(Set::wrap(set))
    }

    /// A set in shared memory with the module's layout: `nr_rings` rings
    /// (ring 0 MPSC, ring 1 + n the SPSC ring of "CPU" n), each of
    /// `ndesc` records and `data_size` bytes of text (powers of two,
    /// `data_size` at least 8192). It stays shared across `fork()`.
    pub fn shm(nr_rings: u32, ndesc: u32, data_size: u32) -> Result<Set> {
        let mut set = std::ptr::null_mut();
        check(unsafe { ffi::mcr_shm_create(nr_rings, ndesc, data_size, &mut set) })?;
        Ok(Set::wrap(set))
    }

    fn raw(&self) -> *mut ffi::mcr_set {
        self.inner.set
    }

    /// Whether this is the device (else shared memory).
    pub fn is_device(&self) -> bool {
        unsafe { ffi::mcr_set_fd(self.raw()) >= 0 }
    }

    /// Rings in the set: the MPSC ring and one SPSC ring per CPU.
    pub fn nr_rings(&self) -> u32 {
        unsafe { ffi::mcr_set_nr_rings(self.raw()) }
    }

    /// An SPSC writer on the ring of `cpu`, bound to the calling thread.
    /// On the device the ring is claimed for this set's open file until
    /// the set is closed (the last clone, writer and reader dropped).
    /// The ring has one writer: while an `SpscWriter` of this set (or of
    /// a clone) writes there, another is refused, on a shared-memory set
    /// too, where nothing else would refuse it.
    ///
    /// Errors: `Invalid` for no such ring, `Busy` when claimed already.
    pub fn spsc(&self, cpu: u32) -> Result<SpscWriter> {
        if cpu > i32::MAX as u32 {
            return Err(Error::Invalid);
        }
        {
            let mut writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
            if writing.contains(&cpu) {
                return Err(Error::Busy);
            }
            writing.push(cpu);
        }
        SpscWriter::new(self.clone(), cpu as i32).map_err(|e| {
            self.spsc_gone(cpu);
            e
        })
    }

    fn spsc_gone(&self, cpu: u32) {
        let mut writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
        writing.retain(|&c| c != cpu);
    }

    /// A writer on the MPSC ring, for any number of threads.
    pub fn mpsc(&self) -> Result<MpscWriter> {
        MpscWriter::new(self.clone())
    }

    /// The consumer of every ring of the set: a shared-memory set, or
    /// the device in user drain mode (`user_drain=1`). One at a time:
    /// `Busy` while another reader of this set exists, `Os(EOPNOTSUPP)`
    /// on the device without user drain mode (read `/dev/mcrlog`: [`Archive`]).
    pub fn reader(&self) -> Result<Reader> {
        if self.inner.reading.swap(true, Ordering::AcqRel) {
            return Err(Error::Busy);
        }
        Reader::new(self.clone()).map_err(|e| {
            self.inner.reading.store(false, Ordering::Release);
            e
        })
    }

    fn reader_closed(&self) {
        self.inner.reading.store(false, Ordering::Release);
    }

    /// Sets the runtime level of `facility` on `ring` of a shared-memory
    /// set, whose consumer is this program: bit s of `mute` set mutes
    /// severity s. (On the device the module keeps the levels:
    /// `/sys/kernel/mcrring/levels`, `mcrctl level`.)
    pub fn shm_set_mute(&self, ring: u32, facility: Facility, mute: u8) -> Result<()> {
        check(unsafe { ffi::mcrrs_shm_set_mute(self.raw(), ring, facility.0 as u32, mute) })
    }
}

/// The CPU the caller runs on (`sched_getcpu()`, 0 if it fails).
pub fn cpu() -> u32 {
    unsafe { ffi::mcr_cpu() }
}

/// The calling thread's id, as records carry it.
pub fn gettid() -> i32 {
    unsafe { ffi::mcr_gettid() }
}

/// The process id, as records carry it.
pub fn getpid() -> i32 {
    unsafe { ffi::mcr_getpid() }
}

/// Logs a formatted message: `mcr_log!(writer, severity, facility, "fmt", args...)`.
/// Formats into the reserved ring space, without allocating.
#[macro_export]
macro_rules! mcr_log {
    ($w:expr, $sev:expr, $fac:expr, $($arg:tt)+) => {
        $w.logf($sev, $fac, ::std::format_args!($($arg)+))
    };
}

/// `log_emerg!(writer, facility, "fmt", args...)`: [`mcr_log!`] at emerg.
#[macro_export]
macro_rules! log_emerg {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Emerg, $fac, $($arg)+) };
}
/// [`mcr_log!`] at alert.
#[macro_export]
macro_rules! log_alert {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Alert, $fac, $($arg)+) };
}
/// [`mcr_log!`] at crit.
#[macro_export]
macro_rules! log_crit {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Crit, $fac, $($arg)+) };
}
/// [`mcr_log!`] at err.
#[macro_export]
macro_rules! log_err {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Err, $fac, $($arg)+) };
}
/// [`mcr_log!`] at warning.
#[macro_export]
macro_rules! log_warning {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Warning, $fac, $($arg)+) };
}
/// [`mcr_log!`] at notice.
#[macro_export]
macro_rules! log_notice {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Notice, $fac, $($arg)+) };
}
/// [`mcr_log!`] at info.
#[macro_export]
macro_rules! log_info {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Info, $fac, $($arg)+) };
}
/// [`mcr_log!`] at debug.
#[macro_export]
macro_rules! log_debug {
    ($w:expr, $fac:expr, $($arg:tt)+) => { $crate::mcr_log!($w, $crate::Severity::Debug, $fac, $($arg)+) };
}
