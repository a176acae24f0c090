// SPDX-License-Identifier: GPL-2.0
//! verdictd — the Rust twin of verdicts.c (tests/integration/verdicts.py), std only:
//!
//!   spinner   busy-waits in `spin_on_flag` for an AtomicBool nobody sets: spinning
//!   reader    reads a UnixStream whose peer this process keeps and never writes: stuck
//!   holder    locks the static std Mutex LEDGER, then sleeps holding it: stuck
//!   waiter    locks LEDGER (contended, no owner recorded): stuck
//!   worker    `progress_loop`: ~10 ms of CPU in `burn_cpu`, 10 ms of sleep, forever:
//!             progressing
//!   pool-0/1  a worker loop waiting on a Condvar for jobs that never come: idle
//!   main      parks (std::thread::park) once the state file is written: idle
//!
//! The state file (`--state FILE`): "tid_<name> N" per thread as it sees its id,
//! then "ready 1". Nothing here is ever signalled.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

extern "C" {
    fn gettid() -> i32;
}

fn tid() -> i32 {
    // SAFETY: no arguments, cannot fail.
    unsafe { gettid() }
}

static LEDGER: Mutex<u64> = Mutex::new(0);
static STOP: AtomicBool = AtomicBool::new(false);
static SINK: AtomicU64 = AtomicU64::new(0);
static POOL: Mutex<Vec<u32>> = Mutex::new(Vec::new());
static POOL_CV: Condvar = Condvar::new();

const NAMES: [&str; 7] = ["spinner", "reader", "holder", "waiter", "worker", "pool-0", "pool-1"];
static TIDS: [AtomicI32; 7] = [const { AtomicI32::new(0) }; 7];

fn started(i: usize) {
    TIDS[i].store(tid(), SeqCst);
}

#[inline(never)]
fn spin_on_flag() {
    let mut n = 0u64;
    while !STOP.load(SeqCst) {
        n = n.wrapping_add(1);
    }
    SINK.store(n, SeqCst);
}

#[inline(never)]
fn blocked_on_socket(mut s: UnixStream) {
    let mut buf = [0u8; 1];
    while s.read(&mut buf).map(|n| n != 0).unwrap_or(false) {}
}

#[inline(never)]
fn hold_and_sleep() {
    let _g = LEDGER.lock().unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

#[inline(never)]
fn lock_waiter() {
    // the holder takes LEDGER first (main waits for it)
    let g = LEDGER.lock().unwrap();
    SINK.store(*g, SeqCst);
}

#[inline(never)]
fn burn_cpu() {
    let end = Instant::now() + Duration::from_millis(10);
    let mut x = 0u64;
    while Instant::now() < end {
        for i in 0..1000u64 {
            x = x.wrapping_add(i * 7);
        }
    }
    SINK.store(x, SeqCst);
}

#[inline(never)]
fn progress_loop() {
    loop {
        burn_cpu();
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[inline(never)]
fn pool_worker() {
    let mut q = POOL.lock().unwrap();
    while q.is_empty() {
        q = POOL_CV.wait(q).unwrap();
    }
}

fn spawn(i: usize, f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name(NAMES[i].to_string())
        .spawn(move || {
            started(i);
            f()
        })
        .expect("spawn");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 || args[1] != "--state" {
        eprintln!("usage: verdictd --state FILE");
        std::process::exit(64);
    }
    let (ours, theirs) = UnixStream::pair().expect("socketpair");
    spawn(0, spin_on_flag);
    spawn(1, move || blocked_on_socket(theirs));
    spawn(2, hold_and_sleep);
    while LEDGER.try_lock().is_ok() {
        std::thread::sleep(Duration::from_millis(10));
    }
    spawn(3, lock_waiter);
    spawn(4, progress_loop);
    spawn(5, pool_worker);
    spawn(6, pool_worker);
    while TIDS.iter().any(|t| t.load(SeqCst) == 0) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut s = String::new();
    for (name, t) in NAMES.iter().zip(TIDS.iter()) {
        s += &format!("tid_{} {}\n", name, t.load(SeqCst));
    }
    s += &format!("tid_main {}\nready 1\n", tid());
    let tmp = format!("{}.tmp", args[2]);
    if std::fs::write(&tmp, s).and_then(|_| std::fs::rename(&tmp, &args[2])).is_err() {
        std::process::exit(1);
    }
    let _keep = ours; // the peer stays open: the reader waits forever
    loop {
        std::thread::park();
    }
}
