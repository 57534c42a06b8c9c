//! Times the CTC loss with its gradient (logits in, `reduction: 'mean'`, every item using all
//! `T` frames and `L` random labels) on the benchmark's settings, best and median of repeated
//! runs after a warm-up:
//!
//!     cargo run --release -p seqlearn-core --example ctc_bench [-- "T,N,C,L;…"]
//!
//! `SEQLEARN_NUM_THREADS` sets the threads (default: all cores). The first columns reuse one
//! gradient buffer (the kernel alone); the last writes every call's gradient into a fresh zeroed
//! allocation, as the JavaScript binding does (a new V8 `ArrayBuffer` per call, whose pages are
//! first touched by the kernel: for T = 500, N = 16, C = 5000 that is 160 MB of page faults).

use seqlearn_core::loss::ctc::{ctc_loss_into, CtcLossOptions, CtcTargets};
use seqlearn_core::parallel;
use seqlearn_core::rng::Rng;
use std::time::Instant;

fn main() {
    let settings: Vec<[usize; 4]> = match std::env::args().nth(1) {
        Some(s) => s
            .split(';')
            .map(|t| {
                let v: Vec<usize> = t.split(',').map(|x| x.trim().parse().expect("T,N,C,L")).collect();
                [v[0], v[1], v[2], v[3]]
            })
            .collect(),
        None => vec![[150, 32, 29, 40], [150, 1, 29, 40], [500, 16, 5000, 100]],
    };
    println!("threads: {}", parallel::num_threads());
    println!("{:<28} {:>10} {:>10} {:>14} {:>8}", "setting", "best ms", "median ms", "fresh grad ms", "runs");
    for [t, n, c, l] in settings {
        let mut rng = Rng::new(0);
        let mut x = vec![0.0f32; t * n * c];
        rng.fill_normal(&mut x);
        let targets: Vec<i32> = (0..n * l).map(|_| 1 + (rng.next_u64() % (c as u64 - 1)) as i32).collect();
        let mut grad = vec![0.0f32; x.len()];
        let (il, tl) = (vec![t; n], vec![l; n]);
        let opts = CtcLossOptions::default();
        let mut run = || {
            let s = ctc_loss_into(&x, &[t, n, c], CtcTargets::Padded { labels: &targets, width: l }, &il, &tl, &opts, &mut grad).unwrap();
            std::hint::black_box(s.loss);
        };
        let kernel = time(&mut run);
        let mut fresh = || {
            let mut g = vec![0.0f32; x.len()];
            let s = ctc_loss_into(&x, &[t, n, c], CtcTargets::Padded { labels: &targets, width: l }, &il, &tl, &opts, &mut g).unwrap();
            std::hint::black_box((s.loss, g.as_ptr()));
        };
        let with_alloc = time(&mut fresh);
        println!("{:<28} {:>10.3} {:>10.3} {:>14.3} {:>8}", format!("T={t} N={n} C={c} L={l}"), kernel.0, kernel.1, with_alloc.1, kernel.2);
    }
}

/// Best and median milliseconds of `f` (after a warm-up; at least 5 runs, up to 2 s), and the
/// number of runs.
fn time(f: &mut dyn FnMut()) -> (f64, f64, usize) {
    f();
    let start = Instant::now();
    let mut times = Vec::new();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 2.0 && times.len() < 2000) {
        let t0 = Instant::now();
        f();
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[0], times[times.len() / 2], times.len())
}
