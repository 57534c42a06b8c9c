//! Measures the two pure-Rust GEMM candidates on the shapes the recurrent kernels run:
//! the `gemm` crate (our backend) and `matrixmultiply` (ndarray's backend), single-threaded
//! (`matrixmultiply` has no rayon mode; its own thread pool would fight ours).
//!
//!     cargo run --release -p seqlearn-core --example gemm_backends

use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let shapes = [
        ("step  B=32 H=128 (LSTM)", 32, 512, 128),
        ("step  B=32 H=256 (LSTM)", 32, 1024, 256),
        ("step  B=64 H=512 (LSTM)", 64, 2048, 512),
        ("step  B=1  H=256 (LSTM)", 1, 1024, 256),
        ("input T·B=1600 I=256", 1600, 1024, 256),
        ("input T·B=6400 I=512", 6400, 2048, 512),
    ];
    println!("{:<26} {:>12} {:>16} {:>8}", "shape (m, n, k)", "gemm GF/s", "matrixmult GF/s", "ratio");
    for (name, m, n, k) in shapes {
        let mut rng = seqlearn_core::rng::Rng::new(1);
        let mut a = vec![0.0f32; m * k];
        let mut b = vec![0.0f32; k * n];
        rng.fill_uniform(&mut a, -1.0, 1.0);
        rng.fill_uniform(&mut b, -1.0, 1.0);
        let mut c = vec![0.0f32; m * n];
        let reps = (2e9 / (2.0 * (m * n * k) as f64)).clamp(5.0, 2000.0) as usize;
        let flops = 2.0 * (m * n * k) as f64;
        let time = |f: &mut dyn FnMut()| {
            f();
            median((0..reps).map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            }).collect())
        };
        // x · Wᵀ with W row-major [n, k], as the input projection and the recurrence use it.
        let t_gemm = time(&mut || seqlearn_core::linalg::matmul_nt(m, n, k, &a, &b, &mut c, false, 1));
        let t_mm = time(&mut || unsafe {
            matrixmultiply::sgemm(m, k, n, 1.0, a.as_ptr(), k as isize, 1, b.as_ptr(), 1, k as isize, 0.0, c.as_mut_ptr(), n as isize, 1)
        });
        println!("{:<26} {:>12.1} {:>16.1} {:>7.2}×", format!("{name} ({m},{n},{k})"), flops / t_gemm / 1e9, flops / t_mm / 1e9, t_mm / t_gemm);
    }
}
