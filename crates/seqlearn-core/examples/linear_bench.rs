//! GFLOP/s of `Linear` forward + backward (three GEMMs: `x·Wᵀ + b`, `dy·W`, `dyᵀ·x`, i.e.
//! 6·rows·in·out flops per step) on the packed-GEMM path, and of the same three products through
//! the `gemm` crate (`matmul_nt/nn/tn`) for comparison:
//!
//!     SEQLEARN_NUM_THREADS=2 cargo run --release -p seqlearn-core --example linear_bench [-- "rows,in,out;…"]

use seqlearn_core::layers::{Linear, LinearConfig};
use seqlearn_core::linalg::{matmul_nn, matmul_nt, matmul_tn};
use seqlearn_core::recurrent::TensorRef;
use seqlearn_core::{parallel, HasParameters};
use std::time::Instant;

/// The fastest of `reps` timed runs after one warm-up (the machine is shared: slower runs
/// measure other processes).
fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let shapes: Vec<(usize, usize, usize)> = match std::env::args().nth(1) {
        Some(s) => s
            .split(';')
            .map(|t| {
                let v: Vec<usize> = t.split(',').map(|x| x.trim().parse().expect("rows,in,out")).collect();
                (v[0], v[1], v[2])
            })
            .collect(),
        None => vec![(6400, 512, 80), (6400, 512, 10000)],
    };
    let threads = parallel::num_threads();
    println!("threads: {threads}");
    let mut rng = seqlearn_core::rng::Rng::new(1);
    for (rows, fi, fo) in shapes {
        let mut x = vec![0.0f32; rows * fi];
        let mut g = vec![0.0f32; rows * fo];
        rng.fill_uniform(&mut x, -1.0, 1.0);
        rng.fill_uniform(&mut g, -1e-3, 1e-3);
        let mut layer = Linear::new(LinearConfig::new(fi, fo)).expect("valid sizes");
        let flops = 2.0 * (rows * fi * fo) as f64;
        let reps = ((2e11 / flops) as usize).clamp(3, 50);
        let (xs, gs) = ([rows, fi], [rows, fo]);
        // As in training: the optimizer touches the parameters between steps (packs go stale).
        let t_fwd = best(reps, || {
            layer.parameters_mut();
            std::hint::black_box(layer.forward(TensorRef { data: &x, shape: &xs }, true).unwrap());
        });
        let t_step = best(reps, || {
            layer.parameters_mut();
            std::hint::black_box(layer.forward(TensorRef { data: &x, shape: &xs }, true).unwrap());
            std::hint::black_box(layer.backward(TensorRef { data: &g, shape: &gs }).unwrap());
        });
        let t_infer = best(reps, || {
            std::hint::black_box(layer.forward(TensorRef { data: &x, shape: &xs }, false).unwrap());
        });
        println!(
            "Linear [{rows}, {fi}] → {fo}: forward+backward {:.1} ms = {:.1} GFLOP/s (forward {:.1} ms = {:.1} GFLOP/s, backward {:.1} ms = {:.1} GFLOP/s; inference forward, packed W cached: {:.1} ms = {:.1} GFLOP/s)",
            t_step * 1e3,
            3.0 * flops / t_step / 1e9,
            t_fwd * 1e3,
            flops / t_fwd / 1e9,
            (t_step - t_fwd) * 1e3,
            2.0 * flops / (t_step - t_fwd) / 1e9,
            t_infer * 1e3,
            flops / t_infer / 1e9,
        );
        // The same three products through the `gemm` crate, on the same pool.
        let w = layer.weight().to_vec();
        let mut y = vec![0.0f32; rows * fo];
        let mut dx = vec![0.0f32; rows * fi];
        let mut dw = vec![0.0f32; fo * fi];
        parallel::install(|| {
            let t_nt = best(reps, || matmul_nt(rows, fo, fi, &x, &w, &mut y, false, threads));
            let t_nn = best(reps, || matmul_nn(rows, fi, fo, &g, &w, &mut dx, false, threads));
            let t_tn = best(reps, || matmul_tn(fo, fi, rows, &g, &x, &mut dw, true, threads));
            println!(
                "  gemm crate: x·Wᵀ {:.1} GFLOP/s, dy·W {:.1} GFLOP/s, dyᵀ·x {:.1} GFLOP/s; all three {:.1} ms = {:.1} GFLOP/s",
                flops / t_nt / 1e9,
                flops / t_nn / 1e9,
                flops / t_tn / 1e9,
                (t_nt + t_nn + t_tn) * 1e3,
                3.0 * flops / (t_nt + t_nn + t_tn) / 1e9
            );
        });
    }
}
