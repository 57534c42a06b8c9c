//! Tests of `OptimizerState` and clipping against the PyTorch fixtures
//! (`test/fixtures/optim/optimizers.safetensors`, made by `make_optim_fixtures.py`), exact
//! resumption from a saved state, parallel = serial, argument checks, and an ignored timing
//! test (`cargo test -p seqlearn-core --release optim::tests::time_adam_10m -- --ignored --nocapture`).

use std::collections::HashMap;
use std::path::PathBuf;

use super::*;
use crate::io::safetensors::{self, TensorData};
use crate::rng::Rng;

struct Fixture {
    config: serde_json::Value,
    t: HashMap<String, Vec<f32>>,
}

fn fixture() -> Fixture {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test/fixtures/optim/optimizers.safetensors");
    let f = safetensors::load(&path).unwrap();
    let config = serde_json::from_str(&f.metadata["config"]).unwrap();
    let t = f
        .tensors
        .into_iter()
        .map(|x| match x.data {
            TensorData::F32(v) => (x.name, v),
            TensorData::I32(_) => panic!("{}: unexpected integer tensor", x.name),
        })
        .collect();
    Fixture { config, t }
}

/// The core config of a fixture case (`kind` + camelCase options).
fn config_of(kind: &str, o: &serde_json::Value) -> OptimizerConfig {
    let f = |k: &str| o.get(k).and_then(|v| v.as_f64());
    let b = |k: &str| o.get(k).and_then(|v| v.as_bool()).unwrap_or(false);
    let mut c = OptimizerConfig::default_for(kind).unwrap();
    match &mut c {
        OptimizerConfig::Sgd(c) => {
            c.lr = f("lr").unwrap_or(c.lr);
            c.momentum = f("momentum").unwrap_or(0.0);
            c.dampening = f("dampening").unwrap_or(0.0);
            c.weight_decay = f("weightDecay").unwrap_or(0.0);
            c.nesterov = b("nesterov");
            c.maximize = b("maximize");
        }
        OptimizerConfig::Adam(c) => {
            c.lr = f("lr").unwrap_or(c.lr);
            if let Some(betas) = o.get("betas") {
                c.beta1 = betas[0].as_f64().unwrap();
                c.beta2 = betas[1].as_f64().unwrap();
            }
            c.eps = f("eps").unwrap_or(c.eps);
            c.weight_decay = f("weightDecay").unwrap_or(c.weight_decay);
            c.amsgrad = b("amsgrad");
            c.maximize = b("maximize");
        }
        OptimizerConfig::Adagrad(c) => {
            c.lr = f("lr").unwrap_or(c.lr);
            c.lr_decay = f("lrDecay").unwrap_or(0.0);
            c.weight_decay = f("weightDecay").unwrap_or(0.0);
            c.initial_accumulator_value = f("initialAccumulatorValue").unwrap_or(0.0);
            c.eps = f("eps").unwrap_or(c.eps);
            c.maximize = b("maximize");
        }
        OptimizerConfig::RmsProp(c) => {
            c.lr = f("lr").unwrap_or(c.lr);
            c.alpha = f("alpha").unwrap_or(c.alpha);
            c.eps = f("eps").unwrap_or(c.eps);
            c.weight_decay = f("weightDecay").unwrap_or(0.0);
            c.momentum = f("momentum").unwrap_or(0.0);
            c.centered = b("centered");
            c.maximize = b("maximize");
        }
    }
    c
}

fn assert_close(what: &str, got: &[f32], want: &[f32], atol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!((a - b).abs() <= atol, "{what}[{i}]: got {a}, want {b} (diff {})", (a - b).abs());
    }
}

#[test]
fn optimizers_match_torch_fixtures() {
    let fx = fixture();
    let n_layers = fx.config["layers"].as_array().unwrap().len();
    let steps = fx.config["steps"].as_u64().unwrap() as usize;
    let cases = fx.config["cases"].as_array().unwrap();
    assert!(cases.len() >= 15, "expected the committed cases, found {}", cases.len());
    let mut kinds_seen = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let kind = case["kind"].as_str().unwrap();
        kinds_seen.insert(kind);
        let config = config_of(kind, &case["options"]);
        let mut params: Vec<Vec<f32>> = (0..n_layers).map(|l| fx.t[&format!("init.{l}")].clone()).collect();
        let sizes: Vec<usize> = params.iter().map(|p| p.len()).collect();
        let scales: Option<Vec<f64>> = case.get("lrScales").map(|s| s.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect());
        let mut opt = OptimizerState::new(config, &sizes, scales.as_deref()).unwrap();
        let frozen = |l: usize, s: usize| {
            case.get("frozen").and_then(|f| f.get(l.to_string())).is_some_and(|v| v.as_array().unwrap().iter().any(|x| x.as_u64() == Some(s as u64)))
        };
        for s in 0..steps {
            if let Some(lrs) = case.get("lrs") {
                let mut c = opt.config().clone();
                c.set_lr(lrs[s].as_f64().unwrap());
                opt.set_config(c).unwrap();
            }
            let grads: Vec<&Vec<f32>> = (0..n_layers).map(|l| &fx.t[&format!("grad.{s}.{l}")]).collect();
            let mut layers: Vec<Option<(&mut [f32], &[f32])>> =
                params.iter_mut().zip(&grads).enumerate().map(|(l, (p, g))| if frozen(l, s) { None } else { Some((p.as_mut_slice(), g.as_slice())) }).collect();
            opt.step(&mut layers).unwrap();
            for (l, p) in params.iter().enumerate() {
                assert_close(&format!("{name} step {s} layer {l}"), p, &fx.t[&format!("expected.{name}.{s}.{l}")], 1e-6);
            }
        }
    }
    assert_eq!(kinds_seen.len(), KINDS.len(), "every kind has fixture cases");
}

#[test]
fn clipping_matches_torch_fixtures() {
    let fx = fixture();
    let n_layers = fx.config["layers"].as_array().unwrap().len();
    for case in fx.config["clip"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut grads: Vec<Vec<f32>> = (0..n_layers).map(|l| fx.t[&format!("grad.0.{l}")].clone()).collect();
        let mut views: Vec<&mut [f32]> = grads.iter_mut().map(|g| g.as_mut_slice()).collect();
        if let Some(v) = case.get("clipValue") {
            clip_grad_value(&mut views, v.as_f64().unwrap()).unwrap();
        } else {
            let norm_type = if case["normType"] == "inf" { f64::INFINITY } else { case["normType"].as_f64().unwrap() };
            let n = clip_grad_norm(&mut views, case["maxNorm"].as_f64().unwrap(), norm_type).unwrap();
            let want = fx.t[&format!("clip.{name}.total")][0] as f64;
            assert!((n.total - want).abs() <= 1e-6 * want, "{name}: total {} vs {want}", n.total);
        }
        for (l, g) in grads.iter().enumerate() {
            assert_close(&format!("clip {name} layer {l}"), g, &fx.t[&format!("clip.{name}.{l}")], 1e-6);
        }
    }
}

/// Configurations that exercise every buffer of every kind.
fn resume_configs() -> Vec<OptimizerConfig> {
    vec![
        OptimizerConfig::Sgd(SgdConfig { lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01, ..Default::default() }),
        OptimizerConfig::Sgd(SgdConfig { lr: 0.05, momentum: 0.9, nesterov: true, ..Default::default() }),
        OptimizerConfig::Adam(AdamConfig { lr: 0.01, amsgrad: true, weight_decay: 0.01, ..Default::default() }),
        OptimizerConfig::Adam(AdamConfig { lr: 0.01, ..AdamConfig::adamw() }),
        OptimizerConfig::Adagrad(AdagradConfig { lr: 0.05, lr_decay: 0.01, initial_accumulator_value: 0.1, ..Default::default() }),
        OptimizerConfig::RmsProp(RmsPropConfig { lr: 0.01, momentum: 0.5, centered: true, ..Default::default() }),
    ]
}

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut v = vec![0.0; n];
    Rng::new(seed).fill_normal(&mut v);
    v
}

/// Steps `opt` over `params` with gradient set `k0 + k` for `k in 0..n`; layer 1 frozen on odd
/// gradient sets so per-layer step counts differ.
fn run(opt: &mut OptimizerState, params: &mut [Vec<f32>], k0: u64, n: u64) {
    for k in k0..k0 + n {
        let grads: Vec<Vec<f32>> = params.iter().enumerate().map(|(l, p)| random(p.len(), 1000 * k + l as u64)).collect();
        let mut layers: Vec<Option<(&mut [f32], &[f32])>> = params
            .iter_mut()
            .zip(&grads)
            .enumerate()
            .map(|(l, (p, g))| if l == 1 && k % 2 == 1 { None } else { Some((p.as_mut_slice(), g.as_slice())) })
            .collect();
        opt.step(&mut layers).unwrap();
    }
}

#[test]
fn resumed_training_is_bit_identical() {
    // Layer 0 spans several chunks and the parallel path; layer 1 is small; layer 2 is empty.
    let sizes = [100_003usize, 37, 0];
    for config in resume_configs() {
        let init: Vec<Vec<f32>> = sizes.iter().enumerate().map(|(l, &n)| random(n, 7 + l as u64)).collect();
        let mut straight = init.clone();
        let mut a = OptimizerState::new(config.clone(), &sizes, Some(&[1.0, 0.5, 2.0])).unwrap();
        run(&mut a, &mut straight, 0, 6);

        let mut resumed = init.clone();
        let mut b = OptimizerState::new(config.clone(), &sizes, Some(&[1.0, 0.5, 2.0])).unwrap();
        run(&mut b, &mut resumed, 0, 3);
        let saved: Vec<(String, Vec<f32>)> = b.tensors().into_iter().map(|(n, v)| (n, v.to_vec())).collect();
        let layer_steps: Vec<u64> = (0..sizes.len()).map(|i| b.layer_step(i)).collect();
        assert_eq!(layer_steps, vec![3, 2, 3], "{}: frozen steps are not counted", config.kind());
        let mut c = OptimizerState::new(config.clone(), &sizes, Some(&[1.0, 0.5, 2.0])).unwrap();
        c.load(StateSnapshot {
            config: b.config().clone(),
            steps: b.steps(),
            layer_steps,
            tensors: saved.iter().map(|(n, v)| (n.clone(), vec![v.len()], v.as_slice())).collect(),
        })
        .unwrap();
        run(&mut c, &mut resumed, 3, 3);
        for (l, (x, y)) in straight.iter().zip(&resumed).enumerate() {
            assert!(x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()), "{} layer {l}: resumed run differs", config.kind());
        }
        let (sa, sc) = (a.tensors(), c.tensors());
        assert_eq!(sa.len(), sc.len());
        for ((na, va), (nc, vc)) in sa.iter().zip(&sc) {
            assert_eq!(na, nc);
            assert!(va.iter().zip(vc.iter()).all(|(p, q)| p.to_bits() == q.to_bits()), "{}: state {na} differs", config.kind());
        }
    }
}

/// The chunked parallel update equals one serial pass of the kernel (they are element-wise).
#[test]
fn parallel_chunks_equal_one_serial_pass() {
    let n = 300_017;
    let (p0, g) = (random(n, 1), random(n, 2));
    let cfg = AdamConfig { lr: 0.01, amsgrad: true, ..Default::default() };
    let mut big = p0.clone();
    let mut opt = OptimizerState::new(OptimizerConfig::Adam(cfg.clone()), &[n], None).unwrap();
    crate::parallel::install(|| opt.step(&mut [Some((big.as_mut_slice(), g.as_slice()))])).unwrap();
    let mut serial = p0;
    let (mut m, mut v, mut vmax) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    super::adam::adam_chunk(&cfg.scalars(cfg.lr, 1), &mut serial, &g, &mut m, &mut v, &mut vmax);
    assert!(big.iter().zip(&serial).all(|(a, b)| a.to_bits() == b.to_bits()));
}

#[test]
fn step_checks_layers_before_changing_anything() {
    let mut opt = OptimizerState::new(OptimizerConfig::default_for("adam").unwrap(), &[3, 2], None).unwrap();
    let (mut p, mut q) = (vec![1.0f32; 3], vec![1.0f32; 2]);
    let g = [1.0f32; 3];
    let e = opt.step(&mut [Some((p.as_mut_slice(), &g[..]))]).unwrap_err().to_string();
    assert!(e.starts_with("layers:") && e.contains("2 layers, got 1"), "{e}");
    // Layers swapped: layer 0 now has 2 parameters.
    let e = opt.step(&mut [Some((q.as_mut_slice(), &g[..2])), Some((p.as_mut_slice(), &g[..]))]).unwrap_err().to_string();
    assert!(e.starts_with("layers[0]:") && e.contains("3 parameters, got one with 2"), "{e}");
    let e = opt.step(&mut [Some((p.as_mut_slice(), &g[..2])), Some((q.as_mut_slice(), &g[..2]))]).unwrap_err().to_string();
    assert!(e.starts_with("layers[0]:") && e.contains("3 parameters but 2 gradients"), "{e}");
    assert_eq!((opt.steps(), p.as_slice(), q.as_slice()), (0, &[1.0f32; 3][..], &[1.0f32; 2][..]));
    let e = OptimizerState::new(OptimizerConfig::default_for("sgd").unwrap(), &[1, 1], Some(&[1.0, -1.0])).unwrap_err().to_string();
    assert!(e.starts_with("layers[1].lrScale:"), "{e}");
}

#[test]
fn set_config_keeps_kind_and_buffer_options() {
    let mut opt = OptimizerState::new(OptimizerConfig::Adam(AdamConfig { amsgrad: true, ..Default::default() }), &[4], None).unwrap();
    let e = opt.set_config(OptimizerConfig::Adam(AdamConfig::default())).unwrap_err().to_string();
    assert!(e.starts_with("amsgrad:") && e.contains("cannot change"), "{e}");
    let e = opt.set_config(OptimizerConfig::default_for("sgd").unwrap()).unwrap_err().to_string();
    assert!(e.starts_with("kind:") && e.contains("'adam'") && e.contains("'sgd'"), "{e}");
    let e = opt.set_config(OptimizerConfig::Adam(AdamConfig { amsgrad: true, beta1: 1.5, ..Default::default() })).unwrap_err().to_string();
    assert!(e.starts_with("betas[0]:"), "{e}");
    opt.set_config(OptimizerConfig::Adam(AdamConfig { amsgrad: true, lr: 0.5, beta1: 0.5, ..Default::default() })).unwrap();
    assert_eq!(opt.config().lr(), 0.5);
}

/// Momentum switched on later: RMSprop creates its buffer then (zeros), SGD starts its buffer
/// from the gradient, as PyTorch does for a missing `momentum_buffer`.
#[test]
fn momentum_turned_on_later_creates_its_buffer() {
    let mut opt = OptimizerState::new(OptimizerConfig::Sgd(SgdConfig { lr: 0.1, ..Default::default() }), &[1], None).unwrap();
    let mut p = vec![1.0f32];
    opt.step(&mut [Some((p.as_mut_slice(), &[1.0][..]))]).unwrap();
    assert!(opt.tensors().is_empty());
    opt.set_config(OptimizerConfig::Sgd(SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() })).unwrap();
    opt.step(&mut [Some((p.as_mut_slice(), &[1.0][..]))]).unwrap();
    assert_eq!(opt.tensors(), vec![("layers.0.momentum_buffer".to_string(), &[1.0f32][..])]);
    assert!((p[0] - 0.8).abs() < 1e-7);
    let mut r = OptimizerState::new(OptimizerConfig::RmsProp(RmsPropConfig::default()), &[2], None).unwrap();
    let mut c = r.config().clone();
    if let OptimizerConfig::RmsProp(c) = &mut c {
        c.momentum = 0.5;
    }
    r.set_config(c).unwrap();
    r.step(&mut [Some((&mut [0.0, 0.0][..], &[1.0, -1.0][..]))]).unwrap();
    assert_eq!(r.tensors().iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["layers.0.square_avg", "layers.0.momentum_buffer"]);
}

#[test]
fn load_validates_everything_before_changing_anything() {
    let cfg = OptimizerConfig::Adam(AdamConfig { amsgrad: true, ..Default::default() });
    let mut opt = OptimizerState::new(cfg.clone(), &[3, 2], None).unwrap();
    let mut p = [vec![0.5f32; 3], vec![0.5f32; 2]];
    let [a, b] = &mut p;
    opt.step(&mut [Some((a.as_mut_slice(), &[1.0, 2.0, 3.0][..])), Some((b.as_mut_slice(), &[1.0, 2.0][..]))]).unwrap();
    let saved: Vec<(String, Vec<f32>)> = opt.tensors().into_iter().map(|(n, v)| (n, v.to_vec())).collect();
    let good = || StateSnapshot {
        config: cfg.clone(),
        steps: 1,
        layer_steps: vec![1, 1],
        tensors: saved.iter().map(|(n, v)| (n.clone(), vec![v.len()], v.as_slice())).collect(),
    };
    let before: Vec<(String, Vec<f32>)> = saved.clone();
    let check = |opt: &mut OptimizerState, snap: StateSnapshot<'_>, starts: &str, contains: &str| {
        let e = opt.load(snap).unwrap_err().to_string();
        assert!(e.starts_with(starts) && e.contains(contains), "expected '{starts}…{contains}', got: {e}");
        let now: Vec<(String, Vec<f32>)> = opt.tensors().into_iter().map(|(n, v)| (n, v.to_vec())).collect();
        assert_eq!(now, before, "state changed by a failed load");
        assert_eq!((opt.steps(), opt.layer_step(0), opt.config()), (1, 1, &cfg));
    };
    check(&mut opt, StateSnapshot { config: OptimizerConfig::default_for("sgd").unwrap(), ..good() }, "state.kind:", "'sgd'");
    check(&mut opt, StateSnapshot { config: OptimizerConfig::default_for("adamw").unwrap(), ..good() }, "state.kind:", "'adamw'");
    check(
        &mut opt,
        StateSnapshot { config: OptimizerConfig::Adam(AdamConfig { lr: -1.0, amsgrad: true, ..Default::default() }), ..good() },
        "state.options.lr:",
        "-1",
    );
    check(&mut opt, StateSnapshot { layer_steps: vec![1], ..good() }, "state.layerSteps:", "expected 2");
    check(&mut opt, StateSnapshot { layer_steps: vec![1, 2], ..good() }, "state.layerSteps[1]:", "at most 1");
    let mut s = good();
    s.tensors[0].0 = "layers.0.exp_avgg".into();
    check(&mut opt, s, "state.tensors['layers.0.exp_avgg']:", "exp_avg, exp_avg_sq, max_exp_avg_sq");
    let mut s = good();
    s.tensors[0].0 = "layers.2.exp_avg".into();
    check(&mut opt, s, "state.tensors['layers.2.exp_avg']:", "i in 0..2");
    let mut s = good();
    s.tensors[0].1 = vec![1, 3];
    check(&mut opt, s, "state.tensors['layers.0.exp_avg']:", "expected shape [3], got [1, 3]");
    let mut s = good();
    s.tensors[0].1 = vec![2];
    check(&mut opt, s, "state.tensors['layers.0.exp_avg']:", "expected shape [3], got [2]");
    let nan = [0.0f32, f32::NAN, 0.0];
    let mut s = good();
    s.tensors[0].2 = &nan;
    check(&mut opt, s, "state.tensors['layers.0.exp_avg']:", "index 1 is NaN");
    let neg = [0.0f32, 0.0, -1.0];
    let mut s = good();
    s.tensors[1].2 = &neg;
    check(&mut opt, s, "state.tensors['layers.0.exp_avg_sq']:", "index 2 is -1 (expected finite and ≥ 0)");
    let mut s = good();
    let dup = s.tensors[0].clone();
    s.tensors.push(dup);
    check(&mut opt, s, "state.tensors['layers.0.exp_avg']:", "given twice");
    let mut s = good();
    s.tensors.retain(|t| t.0 != "layers.1.max_exp_avg_sq");
    check(&mut opt, s, "state.tensors:", "missing 'layers.1.max_exp_avg_sq'");
    // A layer that never stepped may come without buffers; they start fresh.
    let mut s = good();
    s.layer_steps = vec![1, 0];
    s.tensors.retain(|t| !t.0.starts_with("layers.1."));
    opt.load(s).unwrap();
    assert_eq!(opt.tensors().iter().filter(|(n, v)| n.starts_with("layers.1.") && v.iter().all(|x| *x == 0.0)).count(), 3);
}

/// Timing of one Adam step over 10M parameters (two layers of 5M) on the seqlearn pool.
#[test]
#[ignore]
fn time_adam_10m() {
    let n = 5_000_000;
    let mut p = [random(n, 1), random(n, 2)];
    let g = [random(n, 3), random(n, 4)];
    for (kind, cfg) in [("adam", AdamConfig::default()), ("adam amsgrad", AdamConfig { amsgrad: true, ..Default::default() })] {
        let mut opt = OptimizerState::new(OptimizerConfig::Adam(cfg), &[n, n], None).unwrap();
        let mut times = Vec::new();
        for _ in 0..30 {
            let [a, b] = &mut p;
            let t = std::time::Instant::now();
            opt.step(&mut [Some((a.as_mut_slice(), g[0].as_slice())), Some((b.as_mut_slice(), g[1].as_slice()))]).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{kind}, 10M parameters, {} threads: median {:.2} ms, min {:.2} ms per step",
            crate::parallel::num_threads(),
            times[times.len() / 2],
            times[0]
        );
    }
}
