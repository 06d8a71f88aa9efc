// SPDX-License-Identifier: MIT
//! MCR's shape: data-plane workers pinned one per core, each with its
//! CPU's SPSC ring, and a supervisor whose tasks share the MPSC ring.
//! Logs into /dev/mcrlog: `cargo run --example mcr_style`.
use std::sync::Arc;

use mcrring::{log_info, Facility, Set, Severity};

const INGRESS: Facility = Facility::LOCAL0;

/// A worker pinned to `cpu`: no system call, no allocation per record.
fn worker(cpu: u32) -> mcrring::Result<()> {
    let mut log = Set::open()?.spsc(cpu)?; // claims the ring of `cpu`
    for burst in 0..3 {
        log_info!(log, INGRESS, "cpu {} burst {}: {} packets", cpu, burst, 32)?;
    }
    Ok(())
}

/// The supervisor: one MPSC writer, shared by its threads and tasks.
fn supervisor() -> mcrring::Result<()> {
    let log = Arc::new(Set::open()?.mpsc()?);
    log.log_kv(Severity::Notice, Facility::DAEMON, "worker up",
               &[("CPU", &0), ("PID", &std::process::id())])?;
    Ok(())
}

fn main() -> mcrring::Result<()> {
    supervisor()?;
    worker(mcrring::cpu()) // MCR pins it first; here, wherever it runs
}
