// SPDX-License-Identifier: GPL-2.0
//! orderd — a small multi-threaded "order service" that hangs in known places.
//! It is the Rust test victim of tests/integration: std only, release build
//! (opt-level 3), no frame pointers. Every thread reaches its blocking point
//! through two or three `#[inline(never)]` functions of its own, so the
//! expected stack is known.
//!
//!   main       joins the first teller forever              (JoinHandle::join)
//!   dl-a, dl-b two tellers in a lock-order deadlock         (std::sync::Mutex)
//!   cv-wait    a dispatcher waiting for jobs nobody posts   (std::sync::Condvar)
//!   sock-rd    reads requests from a connection that stays silent (UnixStream)
//!   epoll      a reactor on an empty epoll set               (epoll_wait)
//!   sleeper    a janitor sleeping for an hour                (thread::sleep)
//!   spin       walks a tree: recursion depth 10, then a busy loop at the leaf
//!   heartbeat  wakes every 1 ms and records the gaps between its wake-ups
//!   stats      writes the state file every 100 ms
//!
//! `--threads N` adds N more waiters in the same places (x-cv-1, x-sock-2, ...).
//! The state file (`--state FILE`) has the same format as the C victim's
//! (tests/victims/ledger.c), and source lines the tests check carry markers
//! "@L:<label>" (keep each marked call on one line).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

const NSEC_PER_MSEC: u64 = 1_000_000;
const HB_PERIOD_NS: u64 = NSEC_PER_MSEC;
const HB_SLOT_NS: u64 = 20 * NSEC_PER_MSEC;
const HB_SLOTS: u64 = 512;
const TREE_DEPTH: u32 = 10;

mod sys {
    //! The few libc calls std does not wrap.
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }

    #[repr(C, packed)]
    pub struct EpollEvent {
        pub events: u32,
        pub data: u64,
    }

    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        fn gettid() -> i32;
        fn epoll_create1(flags: i32) -> i32;
        fn epoll_wait(epfd: i32, events: *mut EpollEvent, max: i32, timeout: i32) -> i32;
    }

    pub fn mono_ns() -> u64 {
        let mut ts = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: ts is a valid out-parameter; CLOCK_MONOTONIC is 1.
        unsafe { clock_gettime(1, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }

    pub fn tid() -> i32 {
        // SAFETY: no arguments, cannot fail.
        unsafe { gettid() }
    }

    pub fn epoll_new() -> std::io::Result<i32> {
        // SAFETY: plain syscall wrapper; EPOLL_CLOEXEC is 0o2000000.
        let fd = unsafe { epoll_create1(0o2000000) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(fd)
    }

    #[inline(always)]
    pub fn epoll_wait_forever(epfd: i32, events: &mut [EpollEvent]) -> std::io::Result<usize> {
        // SAFETY: events is a valid buffer of events.len() entries.
        let n = unsafe { epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, -1) }; // @L:epoll-sys
        if n < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(n as usize)
    }
}

mod registry {
    //! Who is where, for the state file the tests read.
    use super::*;

    pub struct Worker {
        pub name: String,
        pub tid: AtomicI32,
        pub block_start_ns: AtomicU64,
        pub eintr: AtomicU64,
        pub spurious: AtomicU64,
    }

    pub static ARRIVED: AtomicUsize = AtomicUsize::new(0);
    pub static READY: AtomicUsize = AtomicUsize::new(0);

    impl Worker {
        pub fn new(name: &str) -> Arc<Worker> {
            Arc::new(Worker {
                name: name.to_string(),
                tid: AtomicI32::new(0),
                block_start_ns: AtomicU64::new(0),
                eintr: AtomicU64::new(0),
                spurious: AtomicU64::new(0),
            })
        }

        /// The thread is about to block: record when, and count it as arrived.
        pub fn mark_blocked(&self) {
            self.tid.store(sys::tid(), Relaxed);
            self.block_start_ns.store(sys::mono_ns(), Relaxed);
            ARRIVED.fetch_add(1, Relaxed);
        }

        /// The thread is about to run forever without blocking.
        pub fn mark_running(&self) {
            self.tid.store(sys::tid(), Relaxed);
            ARRIVED.fetch_add(1, Relaxed);
        }
    }
}

use registry::Worker;

mod ledger {
    //! Two tellers transfer in opposite directions: a lock-order deadlock.
    use super::*;

    pub struct Account {
        pub balance: Mutex<i64>,
    }

    #[inline(never)]
    fn lock_pair<'a>(
        w: &Worker,
        from: &'a Account,
        to: &'a Account,
        both_hold_first: &Barrier,
    ) -> (MutexGuard<'a, i64>, MutexGuard<'a, i64>) {
        let first = from.balance.lock().unwrap_or_else(|e| e.into_inner());
        // Both tellers hold their first lock before taking the second, every run.
        both_hold_first.wait();
        w.mark_blocked();
        let second = to.balance.lock().unwrap_or_else(|e| e.into_inner()); // @L:dl-lock
        (first, second)
    }

    #[inline(never)]
    pub fn post_transfer(
        w: &Worker,
        from: &Account,
        to: &Account,
        amount: i64,
        b: &Barrier,
    ) -> i64 {
        let (mut src, mut dst) = lock_pair(w, from, to, b); // @L:dl-post
        *src -= amount;
        *dst += amount;
        *src
    }

    #[inline(never)]
    pub fn run_teller(w: Arc<Worker>, accounts: Arc<[Account; 2]>, index: usize, b: Arc<Barrier>) {
        let left = post_transfer(&w, &accounts[index], &accounts[1 - index], 100, &b); // @L:dl-entry
        if left < 0 {
            eprintln!("orderd: {} overdrawn", w.name);
        }
    }
}

mod jobs {
    //! A dispatcher waiting on a job queue.
    use super::*;

    pub struct Job {
        pub amount: i64,
    }

    pub struct Queue {
        pub items: Mutex<VecDeque<Job>>,
        pub nonempty: Condvar,
    }

    impl Queue {
        #[inline(never)]
        pub fn pop_blocking(&self, w: &Worker) -> Job {
            let mut items = self.items.lock().unwrap_or_else(|e| e.into_inner());
            w.mark_blocked();
            loop {
                if let Some(job) = items.pop_front() {
                    return job;
                }
                items = self.nonempty.wait(items).unwrap_or_else(|e| e.into_inner()); // @L:cv-wait
                if items.is_empty() {
                    w.spurious.fetch_add(1, Relaxed);
                }
            }
        }
    }

    #[inline(never)]
    pub fn next_job(w: &Worker, q: &Queue) -> i64 {
        let job = q.pop_blocking(w); // @L:cv-next
        job.amount * 2
    }

    #[inline(never)]
    pub fn run_dispatcher(w: Arc<Worker>, q: Arc<Queue>) {
        let mut total = 0i64;
        loop {
            let amount = next_job(&w, &q); // @L:cv-entry
            if amount < 0 {
                break;
            }
            total += amount;
        }
        eprintln!("orderd: dispatched {}", total);
    }
}

mod server {
    //! Serves a client connection that never sends a request.
    use super::*;

    #[inline(never)]
    fn read_request(w: &Worker, conn: &mut UnixStream, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut got = 0;
        w.mark_blocked();
        while got < buf.len() {
            let r = conn.read(&mut buf[got..]); // @L:sock-read
            match r {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    w.eintr.fetch_add(1, Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }

    #[inline(never)]
    pub fn handle_connection(w: &Worker, conn: &mut UnixStream) -> std::io::Result<u64> {
        let mut handled = 0u64;
        let mut buf = [0u8; 64];
        loop {
            let n = read_request(w, conn, &mut buf)?; // @L:sock-handle
            if n < buf.len() {
                return Ok(handled);
            }
            handled += 1;
            conn.write_all(b"ok\n")?;
        }
    }

    #[inline(never)]
    pub fn serve_client(w: Arc<Worker>, conn: Arc<Mutex<Option<UnixStream>>>) {
        let mut conn = match conn.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(c) => c,
            None => return,
        };
        let r = handle_connection(&w, &mut conn); // @L:sock-entry
        match r {
            Ok(n) => eprintln!("orderd: connection closed after {} requests", n),
            Err(e) => eprintln!("orderd: connection failed: {}", e),
        }
    }
}

mod reactor {
    //! An event loop on an epoll set nothing is registered with.
    use super::*;

    #[inline(never)]
    fn poll_events(
        w: &Worker,
        epfd: i32,
        events: &mut [sys::EpollEvent],
    ) -> std::io::Result<usize> {
        w.mark_blocked();
        loop {
            let r = sys::epoll_wait_forever(epfd, events); // @L:epoll-wait
            match r {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                    w.eintr.fetch_add(1, Relaxed);
                }
                r => return r,
            }
        }
    }

    #[inline(never)]
    pub fn run_loop(w: &Worker, epfd: i32) -> std::io::Result<u64> {
        let mut events: Vec<sys::EpollEvent> = (0..16)
            .map(|_| sys::EpollEvent { events: 0, data: 0 })
            .collect();
        let mut seen = 0u64;
        loop {
            let n = poll_events(w, epfd, &mut events)?; // @L:epoll-loop
            seen += n as u64;
            if seen == u64::MAX {
                return Ok(seen);
            }
        }
    }

    #[inline(never)]
    pub fn run_reactor(w: Arc<Worker>, epfd: i32) {
        let r = run_loop(&w, epfd); // @L:epoll-entry
        if let Err(e) = r {
            eprintln!("orderd: epoll_wait: {}", e);
        }
    }
}

mod janitor {
    //! Compacts the order book once an hour.
    use super::*;

    #[inline(never)]
    fn nap(w: &Worker, secs: u64) -> u64 {
        w.mark_blocked();
        let start = sys::mono_ns();
        thread::sleep(Duration::from_secs(secs)); // @L:sleep
        sys::mono_ns() - start
    }

    #[inline(never)]
    pub fn cycle(w: &Worker) -> u64 {
        let slept_ns = nap(w, 3600); // @L:sleep-cycle
        slept_ns / 1_000_000_000
    }

    #[inline(never)]
    pub fn run_janitor(w: Arc<Worker>) {
        let mut cycles = 0u64;
        loop {
            let slept = cycle(&w); // @L:sleep-entry
            if slept == 0 {
                break;
            }
            cycles += 1;
        }
        eprintln!("orderd: janitor stopped after {}", cycles);
    }
}

mod compute {
    //! CPU-bound: a recursive tree walk with a busy loop at the leaf.
    use super::*;

    static STOP: AtomicUsize = AtomicUsize::new(0);
    pub static SINK: AtomicU64 = AtomicU64::new(0);

    #[inline(never)]
    fn mix_leaf(w: &Worker, mut x: u64) -> u64 {
        w.mark_running();
        // @L:spin-leaf-begin
        while STOP.load(Relaxed) == 0 {
            let mut i = 0;
            while i < 4096 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                i += 1;
            }
            SINK.store(x, Relaxed);
        } // @L:spin-leaf-end
        x
    }

    #[inline(never)]
    pub fn walk_tree(w: &Worker, depth: u32, seed: u64) -> u64 {
        if depth == 0 {
            return mix_leaf(w, seed) ^ seed; // @L:spin-leaf-call
        }
        let next = seed.wrapping_mul(31).wrapping_add(depth as u64);
        // black_box: the optimizer must not turn the recursion into a loop.
        let h = std::hint::black_box(walk_tree(w, depth - 1, next)); // @L:spin-recurse
        h ^ depth as u64
    }

    #[inline(never)]
    pub fn run_hasher(w: Arc<Worker>) {
        let h = walk_tree(&w, TREE_DEPTH - 1, 0x9e3779b97f4a7c15); // @L:spin-entry
        SINK.store(h, Relaxed);
    }
}

mod heartbeat {
    //! Wakes every 1 ms and records the gaps between wake-ups.
    use super::*;

    pub struct Slot {
        pub id: AtomicU64,
        pub max_gap_ns: AtomicU64,
        pub wakeups: AtomicU64,
    }

    pub static COUNT: AtomicU64 = AtomicU64::new(0);
    pub static MAX_GAP_NS: AtomicU64 = AtomicU64::new(0);
    pub static LATE_1MS: AtomicU64 = AtomicU64::new(0);
    pub static LATE_10MS: AtomicU64 = AtomicU64::new(0);

    fn record(slots: &[Slot], now: u64, gap: u64) {
        let id = now / HB_SLOT_NS;
        let s = &slots[(id % HB_SLOTS) as usize];
        if s.id.load(Relaxed) != id {
            s.max_gap_ns.store(0, Relaxed);
            s.wakeups.store(0, Relaxed);
            s.id.store(id, std::sync::atomic::Ordering::Release);
        }
        if gap > s.max_gap_ns.load(Relaxed) {
            s.max_gap_ns.store(gap, Relaxed);
        }
        s.wakeups.fetch_add(1, Relaxed);
        if registry::READY.load(Relaxed) == 0 {
            return;
        }
        COUNT.fetch_add(1, Relaxed);
        if gap > MAX_GAP_NS.load(Relaxed) {
            MAX_GAP_NS.store(gap, Relaxed);
        }
        if gap > HB_PERIOD_NS + NSEC_PER_MSEC {
            LATE_1MS.fetch_add(1, Relaxed);
        }
        if gap > HB_PERIOD_NS + 10 * NSEC_PER_MSEC {
            LATE_10MS.fetch_add(1, Relaxed);
        }
    }

    #[inline(never)]
    pub fn run_heartbeat(w: Arc<Worker>, slots: Arc<Vec<Slot>>) {
        let mut prev = sys::mono_ns();
        let mut next = prev;
        w.mark_running();
        loop {
            next += HB_PERIOD_NS;
            let now = sys::mono_ns();
            if next > now {
                thread::sleep(Duration::from_nanos(next - now)); // @L:hb-sleep
            }
            let now = sys::mono_ns();
            record(&slots, now, now - prev);
            prev = now;
            if now > next {
                next = now; // late: no burst of catch-up wake-ups
            }
        }
    }
}

mod stats {
    //! The state file the tests read, rewritten atomically every 100 ms.
    use super::*;
    use std::fmt::Write as _;

    fn render(workers: &[Arc<Worker>], slots: &[heartbeat::Slot]) -> String {
        let now = sys::mono_ns();
        let eintr: u64 = workers
            .iter()
            .map(|w| w.eintr.load(Relaxed) + w.spurious.load(Relaxed))
            .sum();
        let mut s = String::new();
        let _ = write!(
            s,
            "pid {}\nthreads {}\nready {}\nnow {}\nhb_count {}\nhb_max_gap_ns {}\nhb_late_1ms {}\nhb_late_10ms {}\neintr_total {}\n",
            std::process::id(),
            workers.len(),
            registry::READY.load(Relaxed),
            now,
            heartbeat::COUNT.load(Relaxed),
            heartbeat::MAX_GAP_NS.load(Relaxed),
            heartbeat::LATE_1MS.load(Relaxed),
            heartbeat::LATE_10MS.load(Relaxed),
            eintr
        );
        for w in workers {
            let _ = writeln!(
                s,
                "thread {} {} {} {} {}",
                w.name,
                w.tid.load(Relaxed),
                w.block_start_ns.load(Relaxed),
                w.eintr.load(Relaxed),
                w.spurious.load(Relaxed)
            );
        }
        let last = now / HB_SLOT_NS;
        for id in last - (HB_SLOTS - 8)..=last {
            let sl = &slots[(id % HB_SLOTS) as usize];
            if sl.id.load(std::sync::atomic::Ordering::Acquire) == id {
                let _ = writeln!(
                    s,
                    "slot {} {} {}",
                    id * HB_SLOT_NS,
                    sl.max_gap_ns.load(Relaxed),
                    sl.wakeups.load(Relaxed)
                );
            }
        }
        s
    }

    fn write_state(
        path: &str,
        workers: &[Arc<Worker>],
        slots: &[heartbeat::Slot],
    ) -> std::io::Result<()> {
        let tmp = format!("{}.tmp", path);
        std::fs::write(&tmp, render(workers, slots))?;
        std::fs::rename(&tmp, path)
    }

    #[inline(never)]
    pub fn run_stats(
        w: Arc<Worker>,
        path: String,
        workers: Arc<Vec<Arc<Worker>>>,
        slots: Arc<Vec<heartbeat::Slot>>,
    ) {
        w.mark_running();
        loop {
            if let Err(e) = write_state(&path, &workers, &slots) {
                eprintln!("orderd: cannot write '{}': {}", path, e);
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

struct Shared {
    accounts: Arc<[ledger::Account; 2]>,
    barrier: Arc<Barrier>,
    queue: Arc<jobs::Queue>,
    conn: Arc<Mutex<Option<UnixStream>>>,
    epfd: i32,
}

#[inline(never)]
fn audit_account(w: &Worker, a: &ledger::Account) -> bool {
    w.mark_blocked();
    let balance = a.balance.lock().unwrap_or_else(|e| e.into_inner()); // @L:x-mutex
    *balance < 0
}

/// Extra waiters for --threads N, spread over the same blocking points.
#[inline(never)]
fn run_extra(w: Arc<Worker>, kind: usize, sh: &Shared, peer: Option<UnixStream>) {
    let failed = match kind {
        0 => jobs::next_job(&w, &sh.queue) < 0,
        1 => match peer {
            Some(mut c) => server::handle_connection(&w, &mut c).is_err(),
            None => true,
        },
        2 => reactor::run_loop(&w, sh.epfd).is_err(),
        3 => janitor::cycle(&w) == 0,
        _ => audit_account(&w, &sh.accounts[0]),
    };
    if failed {
        eprintln!("orderd: {} stopped", w.name);
    }
}

fn spawn(
    w: &Arc<Worker>,
    stack: Option<usize>,
    f: impl FnOnce() + Send + 'static,
) -> thread::JoinHandle<()> {
    let mut b = thread::Builder::new().name(w.name.clone());
    if let Some(sz) = stack {
        b = b.stack_size(sz);
    }
    b.spawn(f).unwrap_or_else(|e| {
        eprintln!("orderd: cannot spawn {}: {}", w.name, e);
        std::process::exit(1)
    })
}

fn wait_arrived(n: usize) {
    let deadline = sys::mono_ns() + 30_000 * NSEC_PER_MSEC;
    while registry::ARRIVED.load(Relaxed) < n {
        if sys::mono_ns() > deadline {
            eprintln!(
                "orderd: only {} of {} threads arrived",
                registry::ARRIVED.load(Relaxed),
                n
            );
            std::process::exit(1);
        }
        thread::sleep(Duration::from_millis(1));
    }
}

#[inline(never)]
fn wait_workers(me: &Worker, first: thread::JoinHandle<()>) -> bool {
    me.tid.store(sys::tid(), Relaxed);
    me.block_start_ns.store(sys::mono_ns(), Relaxed);
    registry::READY.store(1, Relaxed);
    let joined = first.join(); // @L:main-join
    joined.is_ok()
}

#[inline(never)]
fn serve(workers: Arc<Vec<Arc<Worker>>>, n_core: usize, state: String, exit_after_ms: u64) -> bool {
    let slots: Arc<Vec<heartbeat::Slot>> = Arc::new(
        (0..HB_SLOTS)
            .map(|_| heartbeat::Slot {
                id: AtomicU64::new(0),
                max_gap_ns: AtomicU64::new(0),
                wakeups: AtomicU64::new(0),
            })
            .collect(),
    );
    let (client, server_end) = UnixStream::pair().unwrap_or_else(|e| {
        eprintln!("orderd: socketpair: {}", e);
        std::process::exit(1)
    });
    let sh = Arc::new(Shared {
        accounts: Arc::new([
            ledger::Account {
                balance: Mutex::new(1000),
            },
            ledger::Account {
                balance: Mutex::new(1000),
            },
        ]),
        barrier: Arc::new(Barrier::new(2)),
        queue: Arc::new(jobs::Queue {
            items: Mutex::new(VecDeque::new()),
            nonempty: Condvar::new(),
        }),
        conn: Arc::new(Mutex::new(Some(server_end))),
        epfd: sys::epoll_new().unwrap_or_else(|e| {
            eprintln!("orderd: epoll_create1: {}", e);
            std::process::exit(1)
        }),
    });
    // The extra connection readers each get a socket pair whose other end stays open.
    let mut keep_open = vec![client];
    let mut handles = Vec::new();

    for (i, w) in workers.iter().enumerate().skip(1) {
        let w = w.clone();
        let sh = sh.clone();
        if i == n_core {
            wait_arrived(n_core - 1);
        }
        let h = match i {
            1 | 2 => {
                let (acc, b) = (sh.accounts.clone(), sh.barrier.clone());
                spawn(&w.clone(), None, move || {
                    ledger::run_teller(w, acc, i - 1, b)
                })
            }
            3 => spawn(&w.clone(), None, move || {
                jobs::run_dispatcher(w, sh.queue.clone())
            }),
            4 => spawn(&w.clone(), None, move || {
                server::serve_client(w, sh.conn.clone())
            }),
            5 => spawn(&w.clone(), None, move || reactor::run_reactor(w, sh.epfd)),
            6 => spawn(&w.clone(), None, move || janitor::run_janitor(w)),
            7 => spawn(&w.clone(), None, move || compute::run_hasher(w)),
            8 => {
                let slots = slots.clone();
                spawn(&w.clone(), None, move || heartbeat::run_heartbeat(w, slots))
            }
            9 => {
                let (state, workers, slots) = (state.clone(), workers.clone(), slots.clone());
                spawn(&w.clone(), None, move || {
                    stats::run_stats(w, state, workers, slots)
                })
            }
            _ => {
                let kind = (i - n_core) % 5;
                let peer = if kind == 1 {
                    let (a, b) = UnixStream::pair().ok().unzip();
                    if let Some(a) = a {
                        keep_open.push(a);
                    }
                    b
                } else {
                    None
                };
                spawn(&w.clone(), Some(256 * 1024), move || {
                    run_extra(w, kind, &sh, peer)
                })
            }
        };
        handles.push(h);
    }
    if exit_after_ms > 0 {
        thread::sleep(Duration::from_millis(exit_after_ms));
        std::process::exit(0);
    }
    wait_arrived(workers.len() - 1);
    thread::sleep(Duration::from_millis(200));
    let first = handles.remove(0);
    let ok = wait_workers(&workers[0], first); // @L:main-serve
    drop(keep_open);
    ok
}

fn usage() -> ! {
    eprintln!("usage: orderd --state FILE [--threads N] [--exit-after MS]");
    std::process::exit(64)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (mut state, mut extra, mut exit_after_ms) = (None, 0usize, 0u64);
    let mut i = 1;
    while i < args.len() {
        let val = args.get(i + 1).cloned().unwrap_or_else(|| usage());
        match args[i].as_str() {
            "--state" => state = Some(val),
            "--threads" => extra = val.parse().unwrap_or_else(|_| usage()),
            "--exit-after" => exit_after_ms = val.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
        i += 2;
    }
    let state = state.unwrap_or_else(|| usage());
    let exe = args[0].rsplit('/').next().unwrap_or("orderd");
    let core = [
        "dl-a",
        "dl-b",
        "cv-wait",
        "sock-rd",
        "epoll",
        "sleeper",
        "spin",
        "heartbeat",
        "stats",
    ];
    let extra_names = ["cv", "sock", "epoll", "sleep", "mutex"];
    let mut workers = vec![Worker::new(&exe.chars().take(15).collect::<String>())];
    workers.extend(core.iter().map(|n| Worker::new(n)));
    workers.extend((0..extra).map(|i| Worker::new(&format!("x-{}-{}", extra_names[i % 5], i + 1))));
    let n_core = 1 + core.len();
    let ok = serve(Arc::new(workers), n_core, state, exit_after_ms); // @L:main-entry
    std::process::exit(if ok { 0 } else { 1 });
}
