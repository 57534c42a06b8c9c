//! Single-thread GFLOP/s of the packed-weight GEMM (`gemm_packed`, every kernel path) against
//! the `gemm` crate (`gemm_raw`) on the recurrent shapes, and the packing cost:
//!
//!     cargo run --release -p seqlearn-core --example packed_gemm [-- "m,k,n;m,k,n"]
//!
//! With `A_T=1` the left operand is stored transposed (the weight-gradient case).

use seqlearn_core::linalg::{gemm_packed, gemm_raw, with_path, KernelPath, MatMut, MatRef, PackedWeights};
use std::time::Instant;

fn best(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let ts: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    // The fastest run: the machine is shared, slower runs measure other processes.
    ts.iter().cloned().fold(f64::INFINITY, f64::min)
}

fn main() {
    let shapes: Vec<(usize, usize, usize)> = match std::env::args().nth(1) {
        Some(s) => s.split(';').map(|t| { let v: Vec<usize> = t.split(',').map(|x| x.parse().unwrap()).collect(); (v[0], v[1], v[2]) }).collect(),
        None => vec![(32, 256, 1024), (1, 256, 1024), (64, 512, 2048), (32, 128, 512), (1600, 256, 1024)],
    };
    let a_t = std::env::var_os("A_T").is_some();
    let mut rng = seqlearn_core::rng::Rng::new(1);
    for (m, k, n) in shapes {
        let mut a = vec![0.0f32; m * k];
        let mut w = vec![0.0f32; n * k];
        rng.fill_uniform(&mut a, -1.0, 1.0);
        rng.fill_uniform(&mut w, -1.0, 1.0);
        let mut c = vec![0.0f32; m * n];
        let flops = 2.0 * (m * n * k) as f64;
        let reps = ((2e9 / flops) as usize).clamp(5, 2000);
        let t_pack = best(20, || { std::hint::black_box(PackedWeights::pack(&w, n, k, k)); });
        let pw = PackedWeights::pack(&w, n, k, k);
        // A_T: A stored transposed ([k, m]), the weight-gradient case.
        let ar = if a_t { MatRef::transposed(&a, m) } else { MatRef::row_major(&a, k) };
        let t_gemm = best(reps, || unsafe {
            gemm_raw(m, n, k, MatMut::row_major(&mut c, n), true, ar, MatRef::transposed(&w, k), 1)
        });
        print!("m={m:5} k={k:4} n={n:5}: gemm crate {:6.1} GF/s", flops / t_gemm / 1e9);
        for p in [KernelPath::Avx512, KernelPath::Avx2, KernelPath::Portable] {
            if !p.supported() { continue; }
            let t = with_path(p, || best(reps, || unsafe {
                gemm_packed(m, 0..n, ar, &pw, MatMut::row_major(&mut c, n), true)
            }));
            print!(" | {p:?} {:6.1}", flops / t / 1e9);
        }
        println!(" | pack {:.1} us ({:.1} GB/s)", t_pack * 1e6, (n * k * 8) as f64 / t_pack / 1e9);
    }
}
