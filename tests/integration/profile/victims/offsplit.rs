// SPDX-License-Identifier: GPL-2.0
//! Off-CPU accuracy victim in Rust (std only, opt-level 3, no frame
//! pointers): three "worker" threads loop 200 ms in block_x() and 100 ms in
//! block_y(), worker i starting i * 100 ms late; "stuck" blocks for ever in wait_forever(); "late" sleeps LATE_S
//! seconds then blocks for ever in wait_late(). Prints "ready" when running.
use std::hint::black_box;
use std::io::Write;
use std::sync::mpsc::{channel, Receiver};
use std::thread;
use std::time::Duration;

// black_box after the call: no tail call, so the function keeps its frame while blocked.
#[inline(never)]
fn block_x() {
    thread::sleep(Duration::from_millis(200));
    black_box(1u32);
}

#[inline(never)]
fn block_y() {
    thread::sleep(Duration::from_millis(100));
    black_box(2u32);
}

// Distinct bodies: identical functions would be merged into one symbol.
#[inline(never)]
fn wait_forever(rx: Receiver<()>) {
    let _ = rx.recv();
    black_box(3u32);
}

#[inline(never)]
fn wait_late(rx: Receiver<()>) {
    let _ = rx.recv();
    black_box(4u32);
}

fn main() {
    let late_s: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let mut handles = Vec::new();
    for i in 0..3u64 {
        handles.push(thread::Builder::new().name("worker".into()).spawn(move || {
            thread::sleep(Duration::from_millis(100 * i));
            loop {
                block_x();
                block_y();
            }
        }).unwrap());
    }
    let (stuck_tx, stuck_rx) = channel::<()>();
    let (late_tx, late_rx) = channel::<()>();
    handles.push(thread::Builder::new().name("stuck".into()).spawn(move || wait_forever(stuck_rx)).unwrap());
    handles.push(thread::Builder::new().name("late".into()).spawn(move || {
        thread::sleep(Duration::from_secs(late_s));
        wait_late(late_rx);
    }).unwrap());
    println!("ready");
    std::io::stdout().flush().unwrap();
    for h in handles {
        let _ = h.join();
    }
    drop((stuck_tx, late_tx));
}
