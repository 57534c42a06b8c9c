//! In-process recurrent benchmark (no Node.js; for profilers such as `perf record`):
//!
//!     cargo run --release -p seqlearn-core --example recurrent_bench -- lstm|gru [threads] [reps] [config 0-3] [infer|train|both]
//!
//! Prints the best-of-`reps` tokens/s of inference and of a training step (forward + backward +
//! zeroGrad) on the four benchmark configurations (B, T, I, H).

use seqlearn_core::recurrent::{CellKind, ForwardOptions, RecurrentConfig, RecurrentNet, SequenceBatch, TensorRef};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = if args.get(1).map(|s| s.as_str()) == Some("gru") { CellKind::Gru } else { CellKind::Lstm };
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let reps: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let only: Option<usize> = args.get(4).and_then(|s| s.parse().ok());
    let mode = args.get(5).cloned().unwrap_or_else(|| "both".into());
    seqlearn_core::parallel::set_num_threads(threads).unwrap();
    let cfgs = [(32usize, 50usize, 128usize, 128usize), (32, 50, 256, 256), (64, 100, 512, 512), (1, 50, 256, 256)];
    for (ci, &(b, t, i, h)) in cfgs.iter().enumerate() {
        if only.is_some_and(|o| o != ci) {
            continue;
        }
        let mut cfg = RecurrentConfig::new(kind, i, h);
        cfg.seed = 1;
        let mut net = RecurrentNet::new(cfg).unwrap();
        let mut rng = seqlearn_core::rng::Rng::new(1);
        let mut x = vec![0.0f32; t * b * i];
        rng.fill_normal(&mut x);
        let mut g = vec![0.0f32; t * b * h];
        rng.fill_normal(&mut g);
        let shape = [t, b, i];
        let gshape = [t, b, h];
        let inp = SequenceBatch { data: &x, shape: &shape, batch_first: false };
        let time = |f: &mut dyn FnMut()| {
            f();
            let mut ts: Vec<f64> = (0..reps)
                .map(|_| {
                    let s = Instant::now();
                    f();
                    s.elapsed().as_secs_f64()
                })
                .collect();
            ts.sort_by(|a, b| a.partial_cmp(b).unwrap());
            ts[0]
        };
        let inf = if mode != "train" { time(&mut || { net.forward_sequence(inp, ForwardOptions::default()).unwrap(); }) } else { f64::NAN };
        let tr = if mode != "infer" {
            time(&mut || {
                net.forward_sequence(inp, ForwardOptions { training: true, requires_grad: true, ..Default::default() }).unwrap();
                net.backward_sequence(Some(TensorRef { data: &g, shape: &gshape }), None, None).unwrap();
                net.zero_grad();
            })
        } else {
            f64::NAN
        };
        let tok = (b * t) as f64;
        println!("{kind:?} B={b} T={t} I={i} H={h} thr={threads}: infer {:.1}k tok/s ({:.2} ms)  train {:.1}k tok/s ({:.2} ms)", tok / inf / 1e3, inf * 1e3, tok / tr / 1e3, tr * 1e3);
    }
}
