// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! What the Rust boundary costs: the same SPSC handle written from C
//! (mcr_log() inline in a C loop; the shim's mcrrs_log() called from a C
//! loop) and from Rust (`SpscWriter::log_bytes`,
//! the level check inline, one call into the shim), 128-byte records,
//! into a shared-memory set drained between timed batches.
//!
//! `make rust-bench` (host only: timings never come from the VM or a
//! unit test). Prints one table row per writer and their difference.

use std::time::Instant;

use mcrring::{Facility, Set, Severity};

extern "C" {
    fn mcrrs_bench_c_log(w: *mut std::ffi::c_void, pri: u32, msg: *const u8, len: usize,
                         n: u32) -> i32;
    fn mcrrs_bench_c_shim(w: *mut std::ffi::c_void, pri: u32, msg: *const u8, len: usize,
                          n: u32) -> i32;
}

const BATCH: u32 = 4096;
const ROUNDS: usize = 400;
const LEN: usize = 128;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let set = Set::shm(2, 16384, 1 << 22).expect("shm set");
    let mut w = set.spsc(0).expect("spsc writer");
    let mut rd = set.reader().expect("reader");
    let msg = [b'x'; LEN];
    let fac = Facility::LOCAL0;
    let pri = (fac.number() as u32) << 3 | Severity::Info as u32;
    let (mut c, mut rs, mut shim) = (Vec::new(), Vec::new(), Vec::new());

    for round in 0..ROUNDS + 20 {
        let t = Instant::now();
        let bad = unsafe { mcrrs_bench_c_log(w.as_raw(), pri, msg.as_ptr(), LEN, BATCH) };
        let c_ns = t.elapsed().as_nanos() as f64 / BATCH as f64;
        assert_eq!(0, bad);
        assert_eq!(BATCH as usize, rd.by_ref().count());

        let t = Instant::now();
        let mut bad = 0;
        for _ in 0..BATCH {
            bad += w.log_bytes(Severity::Info, fac, &msg).is_err() as u32;
        }
        let rs_ns = t.elapsed().as_nanos() as f64 / BATCH as f64;
        assert_eq!(0, bad);
        assert_eq!(BATCH as usize, rd.by_ref().count());
        let t = Instant::now();
        let bad = unsafe { mcrrs_bench_c_shim(w.as_raw(), pri, msg.as_ptr(), LEN, BATCH) };
        let shim_ns = t.elapsed().as_nanos() as f64 / BATCH as f64;
        assert_eq!(0, bad);
        assert_eq!(BATCH as usize, rd.by_ref().count());
        if round >= 20 {
            // the first rounds warm the caches and the TSC map
            c.push(c_ns);
            rs.push(rs_ns);
            shim.push(shim_ns);
        }
    }
    let (c, rs, shim) = (median(&mut c), median(&mut rs), median(&mut shim));

    // Muted at run time: the level check alone, inline on both sides.
    set.shm_set_mute(1, fac, 1 << Severity::Info as u8).unwrap();
    let (mut cm, mut rm) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let bad = unsafe { mcrrs_bench_c_log(w.as_raw(), pri, msg.as_ptr(), LEN, BATCH) };
        cm.push(t.elapsed().as_nanos() as f64 / BATCH as f64);
        assert_eq!(BATCH as i32, bad);
        let t = Instant::now();
        let mut bad = 0;
        for _ in 0..BATCH {
            bad += (w.log_bytes(Severity::Info, fac, &msg) == Err(mcrring::Error::Muted)) as u32;
        }
        rm.push(t.elapsed().as_nanos() as f64 / BATCH as f64);
        assert_eq!(BATCH, bad);
    }
    assert_eq!(0, rd.by_ref().count());
    let (cm, rm) = (median(&mut cm), median(&mut rm));
    println!("| 128-byte records, SPSC, one thread, median of {} batches of {} | ns per write |", ROUNDS, BATCH);
    println!("| --- | --- |");
    println!("| C, mcr_log() inline | {:.1} |", c);
    println!("| C, the shim's mcrrs_log() out of line | {:.1} |", shim);
    println!("| Rust, SpscWriter::log_bytes() | {:.1} |", rs);
    println!("| Rust - C (the FFI boundary) | {:+.1} ns ({:.2}x) |", rs - c, rs / c);
    println!("| muted: C, mcr_log() inline | {:.2} |", cm);
    println!("| muted: Rust, SpscWriter::log_bytes() | {:.2} |", rm);
}
