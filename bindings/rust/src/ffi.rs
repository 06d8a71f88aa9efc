// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! libmcrring's C interface and the shim's, declared by hand.
//!
//! The structures mirror lib/mcrring.h and proto/mcrring/ring.h; the shim
//! (shim/mcrrs_shim.c) pins their sizes and offsets with static_assert,
//! so a change on the C side fails the build rather than the program.

#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_uint, c_void};

/// The longest text of a record, in bytes (MCR_TEXT_MAX).
pub const TEXT_MAX: usize = 4096;
pub const FAC_MAX: u8 = 23;
pub const FLAG_FIELDS: u8 = 1;

/// Opaque: `struct mcr_set`, `struct mcr_writer` (its layout is the C
/// side's business: the shim allocates it), the two readers.
#[repr(C)]
pub struct mcr_set {
    _p: [u8; 0],
}
#[repr(C)]
pub struct mcr_writer {
    _p: [u8; 0],
}
#[repr(C)]
pub struct mcr_reader {
    _p: [u8; 0],
}
#[repr(C)]
pub struct mcr_archive {
    _p: [u8; 0],
}

/// `struct mcr_resv`: a reservation.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mcr_resv {
    pub text: *mut u8,
    pub desc: *mut c_void,
    pub prev_head: u64,
    pub seq: u32,
    pub begin: u32,
    pub cap: u32,
    pub hint: u32,
}

impl mcr_resv {
    pub const fn empty() -> Self {
        mcr_resv {
            text: std::ptr::null_mut(),
            desc: std::ptr::null_mut(),
            prev_head: 0,
            seq: 0,
            begin: 0,
            cap: 0,
            hint: 0,
        }
    }
}

/// `struct mcr_record`: a record read from a ring.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct mcr_record {
    pub seq: u64,
    pub ts_ns: u64,
    pub pid: u32,
    pub tid: u32,
    pub cpu: u32,
    pub len: u32,
    pub pri: u8,
    pub flags: u8,
    pub ring: u16,
}

/// `struct mcr_arecord`: a record read back from the archive's text.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct mcr_arecord {
    pub seq: u64,
    pub ts_ns: u64,
    pub lost: u64,
    pub ring: u32,
    pub cpu: u32,
    pub pid: u32,
    pub tid: u32,
    pub owner_pid: i32,
    pub owner_uid: u32,
    pub len: u32,
    pub facility: u8,
    pub severity: u8,
    pub flags: u8,
    pub pad: u8,
}

/// `struct mcr_ring_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct mcr_ring_stats {
    pub drained: u64,
    pub abandoned: u64,
    pub invalid: u64,
    pub discarded: u64,
    pub reclaimed: u64,
    pub dropped_full: u64,
}

extern "C" {
    pub fn mcr_open(path: *const c_char, out: *mut *mut mcr_set) -> c_int;
    pub fn mcr_shm_create(nr_rings: c_uint, ndesc: u32, data_size: u32,
                          out: *mut *mut mcr_set) -> c_int;
    pub fn mcr_set_close(set: *mut mcr_set);
    pub fn mcr_set_fd(set: *const mcr_set) -> c_int;
    pub fn mcr_set_nr_rings(set: *const mcr_set) -> c_uint;
    pub fn mcr_gettid() -> c_int;
    pub fn mcr_getpid() -> c_int;
    pub fn mcr_cpu() -> c_uint;

    pub fn mcr_reader_open(set: *mut mcr_set, out: *mut *mut mcr_reader) -> c_int;
    pub fn mcr_reader_close(rd: *mut mcr_reader);
    pub fn mcr_reader_set_bounds(rd: *mut mcr_reader, abandon_ns: u64, reclaim_ns: u64);
    pub fn mcr_reader_writer_gone(rd: *mut mcr_reader, ring: c_uint);
    pub fn mcr_read(rd: *mut mcr_reader, rec: *mut mcr_record, text: *mut u8) -> c_int;
    pub fn mcr_reader_stats(rd: *const mcr_reader, ring: c_uint,
                            st: *mut mcr_ring_stats) -> c_int;

    pub fn mcr_archive_open(path: *const c_char, nonblock: bool,
                            out: *mut *mut mcr_archive) -> c_int;
    pub fn mcr_archive_close(a: *mut mcr_archive);
    pub fn mcr_archive_fd(a: *const mcr_archive) -> c_int;
    pub fn mcr_archive_next(a: *mut mcr_archive, rec: *mut mcr_arecord,
                            text: *mut u8) -> c_int;

    // shim/mcrrs_shim.c
    pub fn mcrrs_writer_new(set: *mut mcr_set, cpu: c_int, out: *mut *mut mcr_writer) -> c_int;
    pub fn mcrrs_writer_free(w: *mut mcr_writer);
    pub fn mcrrs_mute(w: *const mcr_writer) -> *const u8;
    pub fn mcrrs_dropped(w: *const mcr_writer) -> u64;
    pub fn mcrrs_reserve(w: *mut mcr_writer, len: usize, resv: *mut mcr_resv) -> c_int;
    pub fn mcrrs_commit(w: *mut mcr_writer, resv: *mut mcr_resv, len: usize,
                        pri: c_uint, flags: c_uint) -> c_int;
    pub fn mcrrs_grow(w: *mut mcr_writer, resv: *mut mcr_resv, len: usize) -> c_int;
    pub fn mcrrs_discard(w: *mut mcr_writer, resv: *mut mcr_resv);
    pub fn mcrrs_log_spsc(w: *mut mcr_writer, pri: c_uint, msg: *const u8, len: usize) -> c_int;
    pub fn mcrrs_log_mpsc(w: *mut mcr_writer, pri: c_uint, msg: *const u8, len: usize) -> c_int;
    pub fn mcrrs_shm_set_mute(set: *mut mcr_set, ring: c_uint, fac: c_uint, mask: u8) -> c_int;
}

// Linux errno values (asm-generic), the ones the API names.
pub const EPERM: i32 = 1;
pub const EBUSY: i32 = 16;
pub const EINVAL: i32 = 22;
pub const ENOMSG: i32 = 42;
pub const EMSGSIZE: i32 = 90;
pub const ENOBUFS: i32 = 105;
