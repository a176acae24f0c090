// SPDX-License-Identifier: GPL-2.0
//! bigrs — the "big binary" victim of the snapshot benchmarks (tests/bench/).
//!
//! A Rust service whose executable is large: tests/bench/gen_bigrs.py appends
//! a generated module tree (`mod gen`) with many distinct types, generic
//! collections and closures, built with full debug info (-C debuginfo=2), so
//! the binary carries tens of MB of DWARF the way a real service with many
//! dependencies does. This file is the hand-written part; the build
//! concatenates it with the generated part in $(OUT), never in git.
//!
//!   main       joins the heartbeat thread forever
//!   w-<k>      N workers, each blocked at the bottom of a call chain that runs
//!              through `gen::DEPTH` generated modules (different modules per
//!              worker), in a Condvar wait, a pipe read or a sleep
//!   heartbeat  wakes every 1 ms and records the gaps between its wake-ups
//!   stats      writes the state file every 100 ms
//!
//! `--dlopen LIB` maps a shared library (e.g. Debian's libLLVM-15.so.1) into the
//! process before the threads start, so tools that load every module's
//! symbols pay for it. The state file (`--state FILE`) has the format of
//! tests/victims/ledger.c (pid, threads, ready, now, hb_*, slot lines).

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Read;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::Duration;

const NSEC_PER_MSEC: u64 = 1_000_000;
const HB_PERIOD_NS: u64 = NSEC_PER_MSEC;
const HB_SLOT_NS: u64 = 20 * NSEC_PER_MSEC;
const HB_SLOTS: usize = 512;

mod sys {
    //! The few libc calls std does not wrap.
    #[repr(C)]
    pub struct Timespec {
        pub tv_sec: i64,
        pub tv_nsec: i64,
    }

    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        fn clock_nanosleep(clock: i32, flags: i32, req: *const Timespec, rem: *mut Timespec)
            -> i32;
        fn dlopen(path: *const std::os::raw::c_char, flags: i32) -> *mut u8;
        fn dlerror() -> *const std::os::raw::c_char;
    }

    pub fn mono_ns() -> u64 {
        let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: ts is a valid out-parameter; CLOCK_MONOTONIC is 1.
        unsafe { clock_gettime(1, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    /// Sleeps until CLOCK_MONOTONIC reaches `at_ns`.
    pub fn sleep_until(at_ns: u64) {
        let ts = Timespec { tv_sec: (at_ns / 1_000_000_000) as i64,
                            tv_nsec: (at_ns % 1_000_000_000) as i64 };
        // SAFETY: ts is valid; TIMER_ABSTIME is 1; rem is unused with TIMER_ABSTIME.
        unsafe { clock_nanosleep(1, 1, &ts, std::ptr::null_mut()) };
    }

    /// dlopen(path, RTLD_NOW | RTLD_GLOBAL); the handle is never closed.
    pub fn load(path: &str) -> Result<(), String> {
        let c = std::ffi::CString::new(path).map_err(|e| e.to_string())?;
        // SAFETY: c is a valid C string; RTLD_NOW 2 | RTLD_GLOBAL 0x100.
        let h = unsafe { dlopen(c.as_ptr(), 0x102) };
        if h.is_null() {
            // SAFETY: dlerror returns a valid C string after a failed dlopen.
            let e = unsafe { std::ffi::CStr::from_ptr(dlerror()) };
            return Err(e.to_string_lossy().into_owned());
        }
        Ok(())
    }
}

struct Slot {
    id: AtomicU64,
    max_gap_ns: AtomicU64,
    wakeups: AtomicU64,
}

struct Heartbeat {
    slots: Vec<Slot>,
    count: AtomicU64,
    max_gap_ns: AtomicU64,
    late_1ms: AtomicU64,
    late_10ms: AtomicU64,
}

static READY: AtomicBool = AtomicBool::new(false);

impl Heartbeat {
    fn new() -> Self {
        let slots = (0..HB_SLOTS)
            .map(|_| Slot { id: AtomicU64::new(0), max_gap_ns: AtomicU64::new(0),
                            wakeups: AtomicU64::new(0) })
            .collect();
        Heartbeat { slots, count: AtomicU64::new(0), max_gap_ns: AtomicU64::new(0),
                    late_1ms: AtomicU64::new(0), late_10ms: AtomicU64::new(0) }
    }

    fn record(&self, now: u64, gap: u64) {
        let id = now / HB_SLOT_NS;
        let s = &self.slots[(id % HB_SLOTS as u64) as usize];
        if s.id.load(Relaxed) != id {
            s.max_gap_ns.store(0, Relaxed);
            s.wakeups.store(0, Relaxed);
            s.id.store(id, std::sync::atomic::Ordering::Release);
        }
        s.max_gap_ns.fetch_max(gap, Relaxed);
        s.wakeups.fetch_add(1, Relaxed);
        if !READY.load(Relaxed) {
            return;
        }
        self.count.fetch_add(1, Relaxed);
        self.max_gap_ns.fetch_max(gap, Relaxed);
        if gap > HB_PERIOD_NS + NSEC_PER_MSEC {
            self.late_1ms.fetch_add(1, Relaxed);
        }
        if gap > HB_PERIOD_NS + 10 * NSEC_PER_MSEC {
            self.late_10ms.fetch_add(1, Relaxed);
        }
    }
}

#[inline(never)]
fn heartbeat_loop(hb: &Heartbeat) {
    let mut prev = sys::mono_ns();
    let mut next = prev;
    loop {
        next += HB_PERIOD_NS;
        sys::sleep_until(next);
        let now = sys::mono_ns();
        hb.record(now, now - prev);
        prev = now;
        if now > next {
            next = now;
        }
    }
}

fn write_state(path: &str, hb: &Heartbeat, threads: usize) -> std::io::Result<()> {
    let now = sys::mono_ns();
    let mut s = String::new();
    let _ = write!(s, "pid {}\nthreads {}\nready {}\nnow {}\n", std::process::id(), threads,
                   READY.load(Relaxed) as u8, now);
    let _ = write!(s, "hb_count {}\nhb_max_gap_ns {}\nhb_late_1ms {}\nhb_late_10ms {}\n",
                   hb.count.load(Relaxed), hb.max_gap_ns.load(Relaxed),
                   hb.late_1ms.load(Relaxed), hb.late_10ms.load(Relaxed));
    s.push_str("eintr_total 0\n");
    let last = now / HB_SLOT_NS;
    for id in last.saturating_sub(HB_SLOTS as u64 - 8)..=last {
        let sl = &hb.slots[(id % HB_SLOTS as u64) as usize];
        if sl.id.load(std::sync::atomic::Ordering::Acquire) != id {
            continue;
        }
        let _ = writeln!(s, "slot {} {} {}", id * HB_SLOT_NS, sl.max_gap_ns.load(Relaxed),
                         sl.wakeups.load(Relaxed));
    }
    let tmp = format!("{}.tmp", path);
    std::fs::write(&tmp, s)?;
    std::fs::rename(&tmp, path)
}

/// Where the workers block, in turn.
struct Blockers {
    lock: Mutex<bool>,
    cv: Condvar,
    arrived: AtomicU64,
}

#[inline(never)]
fn block_cv(b: &Blockers) -> u64 {
    let mut g = b.lock.lock().unwrap();
    b.arrived.fetch_add(1, Relaxed);
    while !*g {
        g = b.cv.wait(g).unwrap();
    }
    1
}

#[inline(never)]
fn block_read(b: &Blockers, mut s: &UnixStream) -> u64 {
    let mut buf = [0u8; 8];
    b.arrived.fetch_add(1, Relaxed);
    s.read(&mut buf).unwrap_or(0) as u64
}

#[inline(never)]
fn block_sleep(b: &Blockers) -> u64 {
    b.arrived.fetch_add(1, Relaxed);
    loop {
        thread::sleep(Duration::from_secs(3600));
    }
}

fn usage() -> ! {
    eprintln!("usage: bigrs --state FILE [--threads N] [--dlopen LIB]");
    std::process::exit(64);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut state, mut n, mut lib) = (None, 10usize, None);
    let mut i = 1;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--state" => state = Some(val),
            "--threads" => n = val.parse().unwrap_or_else(|_| usage()),
            "--dlopen" => lib = Some(val),
            _ => usage(),
        }
        i += 2;
    }
    let state = state.unwrap_or_else(|| usage());
    if let Some(l) = lib {
        if let Err(e) = sys::load(&l) {
            eprintln!("bigrs: cannot load '{}': {}", l, e);
            std::process::exit(1);
        }
    }
    // Reference every generated module so the linker keeps all of them.
    black_box(gen::touch(black_box(0)));

    let hb: &'static Heartbeat = Box::leak(Box::new(Heartbeat::new()));
    let bl: &'static Blockers = Box::leak(Box::new(Blockers {
        lock: Mutex::new(false), cv: Condvar::new(), arrived: AtomicU64::new(0) }));
    let mut keep = Vec::new(); // the write ends stay open and silent
    let total = n + 3;
    let stats_path = state.clone();
    thread::Builder::new().name("stats".into()).spawn(move || loop {
        if let Err(e) = write_state(&stats_path, hb, total) {
            eprintln!("bigrs: cannot write the state file: {}", e);
        }
        thread::sleep(Duration::from_millis(100));
    }).unwrap();
    let beat = thread::Builder::new().name("heartbeat".into())
        .spawn(move || heartbeat_loop(hb)).unwrap();
    for k in 0..n {
        let entry = gen::ENTRIES[(k * 7) % gen::ENTRIES.len()];
        let name = format!("w-{}", k);
        let stream = if k % 3 == 1 {
            let (a, b) = UnixStream::pair().expect("socketpair");
            keep.push(a);
            Some(b)
        } else {
            None
        };
        let kind = k % 3;
        thread::Builder::new().name(name).stack_size(256 * 1024).spawn(move || {
            let block = move || match (kind, &stream) {
                (1, Some(s)) => block_read(bl, s),
                (0, _) => block_cv(bl),
                _ => block_sleep(bl),
            };
            black_box(entry(gen::DEPTH, &block))
        }).unwrap();
    }
    while bl.arrived.load(Relaxed) < n as u64 {
        thread::sleep(Duration::from_millis(1));
    }
    thread::sleep(Duration::from_millis(200));
    READY.store(true, Relaxed);
    black_box(&keep);
    beat.join().unwrap();
}
