// SPDX-License-Identifier: GPL-2.0
//! asyncd — a small async service that hangs the way real ones do: one task
//! holds a std::sync::Mutex across a blocking call, and the service looks
//! idle everywhere else. It is the victim of the suspicion-ranking tests
//! (tests/integration/rank.py): std only, release build, no frame pointers.
//!
//!   exec-0..exec-5  the executor's workers: a queue (Mutex + Condvar) of
//!                   futures, each polled on a worker thread
//!     holder        the task `checkout` locks the static STATE, then takes a
//!                   connection from POOL, which is empty: it blocks in the
//!                   pool's Condvar::wait inside the future's poll, STATE held
//!     waiter-1, -2  tasks `audit(&STATE)`: block on STATE (state 2, contended)
//!     waiter-heap   the same `audit` on CACHE, a Mutex on the heap that the
//!                   holder holds too: the same stack, another lock address
//!     idle          the other workers wait for tasks (Condvar::wait in their loop)
//!   reactor         epoll_wait on an eventfd nobody writes (nothing is ready)
//!   main            parks (std::thread::park) once the state file is written
//!
//! The state file (`--state FILE`) has the format tests/integration/launch.py
//! reads: "pid", "ready", and "thread ROLE NS_TID 0 0 0" lines.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};
use std::task::{Context, Waker};
use std::thread;
use std::time::{Duration, Instant};

const WORKERS: usize = 6;

mod sys {
    //! The few libc calls std does not wrap.
    #[repr(C, packed)]
    pub struct EpollEvent {
        pub events: u32,
        pub data: u64,
    }

    extern "C" {
        fn gettid() -> i32;
        fn eventfd(initval: u32, flags: i32) -> i32;
        fn epoll_create1(flags: i32) -> i32;
        fn epoll_ctl(epfd: i32, op: i32, fd: i32, ev: *mut EpollEvent) -> i32;
        fn epoll_wait(epfd: i32, events: *mut EpollEvent, max: i32, timeout: i32) -> i32;
    }

    pub fn tid() -> i32 {
        // SAFETY: no arguments, cannot fail.
        unsafe { gettid() }
    }

    /// An epoll set watching one eventfd for input (EPOLL_CTL_ADD = 1, EPOLLIN = 1).
    pub fn epoll_with_eventfd() -> std::io::Result<i32> {
        // SAFETY: plain syscall wrappers; the flags are EFD_CLOEXEC / EPOLL_CLOEXEC.
        let (efd, epfd) = unsafe { (eventfd(0, 0o2000000), epoll_create1(0o2000000)) };
        let mut ev = EpollEvent { events: 1, data: 7 };
        // SAFETY: ev is a valid event for the duration of the call.
        if efd < 0 || epfd < 0 || unsafe { epoll_ctl(epfd, 1, efd, &mut ev) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(epfd)
    }

    pub fn wait(epfd: i32, events: &mut [EpollEvent]) -> i32 {
        // SAFETY: events is a valid buffer of events.len() entries.
        unsafe { epoll_wait(epfd, events.as_mut_ptr(), events.len() as i32, -1) }
    }
}

/// The service's shared state: what every request locks first.
static STATE: Mutex<u64> = Mutex::new(0);

/// Who runs where, for the state file.
static ROLES: [AtomicI32; 5] = [const { AtomicI32::new(0) }; 5];
const HOLDER: usize = 0;
const WAITER_1: usize = 1;
const WAITER_2: usize = 2;
const WAITER_HEAP: usize = 3;
const REACTOR: usize = 4;
static WORKER_TIDS: [AtomicI32; WORKERS] = [const { AtomicI32::new(0) }; WORKERS];
static BUSY: AtomicUsize = AtomicUsize::new(0);

mod pool {
    //! A blocking connection pool, like r2d2's: get() waits until one is returned.
    use super::*;

    pub struct Pool {
        pub idle: Mutex<Vec<u32>>,
        pub returned: Condvar,
    }

    /// Every connection is checked out and never comes back.
    pub static POOL: Pool = Pool {
        idle: Mutex::new(Vec::new()),
        returned: Condvar::new(),
    };

    impl Pool {
        #[inline(never)]
        pub fn get(&self) -> u32 {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(c) = idle.pop() {
                    return c;
                }
                idle = self.returned.wait(idle).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
}

mod exec {
    //! A minimal executor: futures in a queue, polled by a fixed set of workers.
    use super::*;

    pub type Task = Pin<Box<dyn Future<Output = ()> + Send>>;

    pub struct Executor {
        pub queue: Mutex<VecDeque<Task>>,
        pub ready: Condvar,
    }

    pub static EXEC: Executor = Executor {
        queue: Mutex::new(VecDeque::new()),
        ready: Condvar::new(),
    };

    impl Executor {
        pub fn spawn(&self, t: impl Future<Output = ()> + Send + 'static) {
            self.queue.lock().unwrap_or_else(|e| e.into_inner()).push_back(Box::pin(t));
            self.ready.notify_one();
        }

        #[inline(never)]
        fn next_task(&self) -> Task {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                if let Some(t) = q.pop_front() {
                    return t;
                }
                q = self.ready.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        }
    }

    #[inline(never)]
    fn poll_task(mut t: Task) {
        let mut cx = Context::from_waker(Waker::noop());
        BUSY.fetch_add(1, SeqCst);
        let _ = t.as_mut().poll(&mut cx);
        BUSY.fetch_sub(1, SeqCst);
    }

    #[inline(never)]
    pub fn worker_loop(index: usize) {
        WORKER_TIDS[index].store(sys::tid(), SeqCst);
        loop {
            let t = EXEC.next_task();
            poll_task(t);
        }
    }
}

mod handlers {
    //! The requests: async code that calls blocking code.
    use super::*;

    /// Locks the state, then waits for a pool connection, the lock still held.
    pub async fn checkout(cache: &'static Mutex<u64>) {
        let mut st = STATE.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
        ROLES[HOLDER].store(sys::tid(), SeqCst);
        let conn = pool::POOL.get();
        *st += conn as u64;
        *c += 1;
    }

    /// Reads a counter under its lock.
    pub async fn audit(lock: &'static Mutex<u64>, role: usize) {
        ROLES[role].store(sys::tid(), SeqCst);
        let v = lock.lock().unwrap_or_else(|e| e.into_inner());
        if *v == u64::MAX {
            eprintln!("asyncd: counter overflow");
        }
    }
}

#[inline(never)]
fn reactor_loop(epfd: i32) {
    let mut events: Vec<sys::EpollEvent> = (0..16).map(|_| sys::EpollEvent { events: 0, data: 0 }).collect();
    ROLES[REACTOR].store(sys::tid(), SeqCst);
    loop {
        let n = sys::wait(epfd, &mut events);
        if n > 0 {
            eprintln!("asyncd: {} events on an eventfd nobody writes", n);
        }
    }
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        if Instant::now() > deadline {
            eprintln!("asyncd: timed out waiting for {}", what);
            std::process::exit(1);
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn write_state(path: &str) -> std::io::Result<()> {
    let mut s = format!("pid {}\nready 1\n", std::process::id());
    let names = ["holder", "waiter-1", "waiter-2", "waiter-heap", "reactor"];
    for (name, tid) in names.iter().zip(ROLES.iter()) {
        s += &format!("thread {} {} 0 0 0\n", name, tid.load(SeqCst));
    }
    for (i, tid) in WORKER_TIDS.iter().enumerate() {
        s += &format!("thread exec-{} {} 0 0 0\n", i, tid.load(SeqCst));
    }
    s += &format!("thread main {} 0 0 0\n", sys::tid());
    let tmp = format!("{}.tmp", path);
    std::fs::write(&tmp, s)?;
    std::fs::rename(&tmp, path)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 || args[1] != "--state" {
        eprintln!("usage: asyncd --state FILE");
        std::process::exit(64);
    }
    // Allocated by the main thread before any other starts: in the [heap].
    let cache: &'static Mutex<u64> = Box::leak(Box::new(Mutex::new(0)));
    let epfd = sys::epoll_with_eventfd().unwrap_or_else(|e| {
        eprintln!("asyncd: epoll: {}", e);
        std::process::exit(1)
    });
    for i in 0..WORKERS {
        thread::Builder::new()
            .name(format!("exec-{}", i))
            .spawn(move || exec::worker_loop(i))
            .expect("spawn worker");
    }
    thread::Builder::new()
        .name("reactor".into())
        .spawn(move || reactor_loop(epfd))
        .expect("spawn reactor");
    wait_until("the workers", || WORKER_TIDS.iter().all(|t| t.load(SeqCst) != 0));
    exec::EXEC.spawn(handlers::checkout(cache));
    wait_until("the holder", || ROLES[HOLDER].load(SeqCst) != 0);
    exec::EXEC.spawn(handlers::audit(&STATE, WAITER_1));
    exec::EXEC.spawn(handlers::audit(&STATE, WAITER_2));
    exec::EXEC.spawn(handlers::audit(cache, WAITER_HEAP));
    wait_until("the waiters and the reactor", || ROLES.iter().all(|t| t.load(SeqCst) != 0));
    wait_until("the busy workers", || BUSY.load(SeqCst) == 4);
    // Let every thread reach its blocking call before the tests look.
    thread::sleep(Duration::from_millis(300));
    if let Err(e) = write_state(&args[2]) {
        eprintln!("asyncd: cannot write '{}': {}", args[2], e);
        std::process::exit(1);
    }
    loop {
        thread::park();
    }
}
