// SPDX-License-Identifier: GPL-2.0
// A small Rust service for compare.py: a loopback TCP listener, worker threads
// blocked on a channel, a mutex and a condition variable, and one sleeper.
use std::io::Read;
use std::net::TcpListener;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

struct Pool {
    jobs: Mutex<Vec<u64>>,
    ready: Condvar,
}

#[inline(never)]
fn wait_job(p: &Pool) -> u64 {
    let mut g = p.jobs.lock().unwrap();
    while g.is_empty() {
        g = p.ready.wait(g).unwrap();
    }
    g.pop().unwrap()
}

fn serve(l: TcpListener) {
    for s in l.incoming() {
        let mut buf = [0u8; 64];
        if let Ok(mut s) = s {
            let _ = s.read(&mut buf);
        }
    }
}

fn main() {
    let port = std::env::args().nth(1).unwrap_or("18083".into());
    let l = TcpListener::bind(format!("127.0.0.1:{}", port)).unwrap();
    let pool = Arc::new(Pool { jobs: Mutex::new(Vec::new()), ready: Condvar::new() });
    let mut hs = Vec::new();
    for i in 0..2 {
        let p = pool.clone();
        hs.push(thread::Builder::new().name(format!("worker-{}", i)).spawn(move || loop {
            let j = wait_job(&p);
            println!("{}", j);
        }).unwrap());
    }
    let (tx, rx) = mpsc::channel::<u64>();
    thread::Builder::new().name("chan".into()).spawn(move || {
        for v in rx {
            println!("{}", v);
        }
    }).unwrap();
    thread::Builder::new().name("sleeper".into()).spawn(|| loop {
        thread::sleep(Duration::from_secs(3600));
    }).unwrap();
    thread::Builder::new().name("acceptor".into()).spawn(move || serve(l)).unwrap();
    let _keep = tx;
    for h in hs {
        h.join().unwrap();
    }
}
