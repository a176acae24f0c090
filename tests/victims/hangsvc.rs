// SPDX-License-Identifier: GPL-2.0
//! hangsvc.c in Rust, std only (the watch tests): pool workers idle on a
//! std Condvar, woken in turn every 200 ms; a parked thread; a worker that
//! works every 50 ms and, after HANG seconds, hangs reading a pipe nobody
//! writes (pipe) or locking a std Mutex another thread holds while it
//! sleeps (mutex). The state file as hangsvc.c writes it; RECOVER > 0 ends
//! the hang that many seconds later.
//!
//! usage: hangsvc-rs --state FILE pipe|mutex HANG RECOVER

use std::fs;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

extern "C" {
    fn pipe(fds: *mut i32) -> i32;
    fn read(fd: i32, buf: *mut u8, n: usize) -> isize;
    fn write(fd: i32, buf: *const u8, n: usize) -> isize;
}

static STATE: Mutex<u64> = Mutex::new(0);
static MARKS: Mutex<(i128, i128)> = Mutex::new((0, 0));

fn mark(path: &str, what: &str) {
    let ns = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as i128;
    let mut m = MARKS.lock().unwrap();
    if what == "hang" {
        m.0 = ns;
    } else if what == "recovered" {
        m.1 = ns;
    }
    let mut text = String::from("ready 1\n");
    if m.0 != 0 {
        text += &format!("hang_ns {}\n", m.0);
    }
    if m.1 != 0 {
        text += &format!("recovered_ns {}\n", m.1);
    }
    let tmp = format!("{}.tmp", path);
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, path).unwrap();
}

fn pool_worker(pool: Arc<(Mutex<u32>, Condvar)>) {
    let (lock, cv) = &*pool;
    loop {
        let mut jobs = lock.lock().unwrap();
        while *jobs == 0 {
            jobs = cv.wait(jobs).unwrap();
        }
        *jobs -= 1;
    }
}

fn worker(state: String, mutex_mode: bool, hang_s: u64, recover_s: u64) {
    let t0 = Instant::now();
    let mut hang = hang_s;
    let mut fds = [0i32; 2];
    unsafe { pipe(fds.as_mut_ptr()) };
    loop {
        thread::sleep(Duration::from_millis(50));
        *STATE.lock().unwrap() += 1;
        if hang == 0 || t0.elapsed() < Duration::from_secs(hang) {
            continue;
        }
        hang = 0;
        if mutex_mode {
            let (tx, rx) = std::sync::mpsc::channel();
            let st = state.clone();
            thread::Builder::new()
                .name("holder".into())
                .spawn(move || {
                    let g = STATE.lock().unwrap();
                    tx.send(()).unwrap();
                    mark(&st, "hang");
                    if recover_s > 0 {
                        thread::sleep(Duration::from_secs(recover_s));
                        drop(g);
                        mark(&st, "recovered");
                    } else {
                        loop {
                            thread::sleep(Duration::from_secs(3600));
                        }
                    }
                })
                .unwrap();
            rx.recv().unwrap();
            *STATE.lock().unwrap() += 1; // the hang
        } else {
            if recover_s > 0 {
                let w = fds[1];
                thread::Builder::new()
                    .name("rescuer".into())
                    .spawn(move || {
                        thread::sleep(Duration::from_secs(recover_s));
                        unsafe { write(w, b"x".as_ptr(), 1) };
                    })
                    .unwrap();
            }
            mark(&state, "hang");
            let mut c = 0u8;
            unsafe { read(fds[0], &mut c, 1) }; // the hang
            mark(&state, "recovered");
        }
    }
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 6 || a[1] != "--state" || (a[3] != "pipe" && a[3] != "mutex") {
        eprintln!("usage: hangsvc-rs --state FILE pipe|mutex HANG RECOVER");
        std::process::exit(64);
    }
    let state = a[2].clone();
    let mutex_mode = a[3] == "mutex";
    let hang_s: u64 = a[4].parse().unwrap();
    let recover_s: u64 = a[5].parse().unwrap();
    let pool = Arc::new((Mutex::new(0u32), Condvar::new()));
    for i in 0..2 {
        let p = pool.clone();
        thread::Builder::new().name(format!("pool-{}", i)).spawn(move || pool_worker(p)).unwrap();
    }
    thread::Builder::new()
        .name("parked".into())
        .spawn(|| loop {
            thread::park();
        })
        .unwrap();
    let st = state.clone();
    thread::Builder::new()
        .name("worker".into())
        .spawn(move || worker(st, mutex_mode, hang_s, recover_s))
        .unwrap();
    mark(&state, "ready");
    loop {
        thread::sleep(Duration::from_millis(200));
        let (lock, cv) = &*pool;
        *lock.lock().unwrap() += 1;
        cv.notify_one();
    }
}
