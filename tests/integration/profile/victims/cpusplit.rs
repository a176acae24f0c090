// SPDX-License-Identifier: GPL-2.0
//! On-CPU accuracy victim in Rust (std only, opt-level 3, no frame pointers):
//! burn_three() and burn_one() burn CPU at a 3:1 split through the same
//! leaf spin(). Prints "ready" once running; runs until killed.
use std::hint::black_box;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

static SINK: AtomicU64 = AtomicU64::new(0);

#[inline(never)]
fn spin(n: u64) -> u64 {
    let mut x = n;
    for i in 0..n {
        x = x.wrapping_add(i.wrapping_mul(2654435761));
        x ^= x >> 13;
        x = black_box(x);
    }
    x
}

#[inline(never)]
fn burn_three(unit: u64) {
    SINK.fetch_add(spin(3 * unit), Ordering::Relaxed);
}

#[inline(never)]
fn burn_one(unit: u64) {
    SINK.fetch_add(spin(unit), Ordering::Relaxed);
}

fn main() {
    let unit = black_box(10_000_000u64);
    println!("ready");
    std::io::stdout().flush().unwrap();
    loop {
        burn_three(unit);
        burn_one(unit);
    }
}
