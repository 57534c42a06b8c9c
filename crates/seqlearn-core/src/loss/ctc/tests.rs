//! Tests of the CTC loss against the f64 reference (`reference.rs`), finite differences, the
//! invariants of the posteriors, thread independence, precision on long sequences, and the
//! argument errors.

use super::reference::{self, RefOut};
use super::*;
use crate::loss::testing::{check_gradient, randn};
use crate::rng::Rng;

/// A random batch: the input and each item's labels and input length.
struct Case {
    input: Vec<f32>,
    shape: [usize; 3],
    labels: Vec<Vec<i32>>,
    input_lengths: Vec<usize>,
}

impl Case {
    /// `n` items of up to `t` frames over `c` classes; labels of up to `lmax` (some empty, some
    /// with repeats), never `blank`.
    #[allow(clippy::too_many_arguments)]
    fn random(seed: u64, t: usize, n: usize, c: usize, lmax: usize, blank: usize, batch_first: bool, scale: f32) -> Case {
        let mut rng = Rng::new(seed);
        let shape = if batch_first { [n, t, c] } else { [t, n, c] };
        let input = randn(t * n * c, seed ^ 0x5eed, scale);
        let mut labels = Vec::new();
        let mut input_lengths = Vec::new();
        for b in 0..n {
            let l = if b == 1 { 0 } else { (rng.next_u64() as usize) % (lmax + 1) };
            let mut v: Vec<i32> = Vec::new();
            for k in 0..l {
                // Every third label repeats its predecessor.
                if k > 0 && rng.next_u64().is_multiple_of(3) {
                    v.push(v[k - 1]);
                    continue;
                }
                let mut x = (rng.next_u64() as usize) % (c - 1);
                if x >= blank {
                    x += 1;
                }
                v.push(x as i32);
            }
            let repeats = v.windows(2).filter(|w| w[0] == w[1]).count();
            let need = v.len() + repeats;
            // Item 0 uses every frame; others a random length that fits (or exactly fits).
            let tb = if b == 0 {
                t
            } else if b == 2 {
                need.min(t)
            } else {
                need + (rng.next_u64() as usize) % (t - need.min(t) + 1)
            };
            labels.push(v);
            input_lengths.push(tb.min(t));
        }
        Case { input, shape, labels, input_lengths }
    }

    fn target_lengths(&self) -> Vec<usize> {
        self.labels.iter().map(|l| l.len()).collect()
    }

    fn concatenated(&self) -> Vec<i32> {
        self.labels.concat()
    }

    fn padded(&self) -> (Vec<i32>, usize) {
        let width = self.labels.iter().map(|l| l.len()).max().unwrap_or(0) + 2;
        let mut out = vec![-7; self.labels.len() * width];
        for (b, l) in self.labels.iter().enumerate() {
            out[b * width..b * width + l.len()].copy_from_slice(l);
        }
        (out, width)
    }

    fn run(&self, o: &CtcLossOptions, padded: bool) -> CtcLossOutput {
        let (p, width) = self.padded();
        let cat = self.concatenated();
        let targets = if padded { CtcTargets::Padded { labels: &p, width } } else { CtcTargets::Concatenated(&cat) };
        ctc_loss(&self.input, &self.shape, targets, &self.input_lengths, &self.target_lengths(), o).unwrap()
    }

    fn reference(&self, o: &CtcLossOptions) -> RefOut {
        reference::batch(&self.input, self.shape, &self.labels, &self.input_lengths, o)
    }
}

fn close(a: f64, b: f64, atol: f64, rtol: f64) -> bool {
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= atol + rtol * b.abs()
}

fn assert_matches(label: &str, got: &CtcLossOutput, want: &RefOut) {
    assert!(close(got.loss, want.loss, 1e-5, 1e-5), "{label}: loss {} vs {}", got.loss, want.loss);
    for (b, (&g, &w)) in got.losses.iter().zip(&want.losses).enumerate() {
        assert!(close(g as f64, w, 1e-5, 1e-5), "{label}: losses[{b}] {g} vs {w}");
    }
    for (i, (&g, &w)) in got.grad.iter().zip(&want.grad).enumerate() {
        assert!(close(g as f64, w, 1e-5, 1e-5), "{label}: grad[{i}] {g} vs {w}");
    }
}

fn options(reduction: Reduction, kind: CtcInputKind, blank: usize, batch_first: bool, zero_infinity: bool) -> CtcLossOptions {
    CtcLossOptions { blank, reduction, zero_infinity, input_kind: kind, batch_first }
}

#[test]
fn matches_the_f64_reference() {
    let mut seed = 1;
    for &(t, n, c, lmax) in &[(1usize, 3usize, 3usize, 1usize), (6, 4, 5, 3), (12, 5, 7, 5), (40, 3, 6, 17), (70, 2, 4, 33)] {
        for reduction in [Reduction::None, Reduction::Sum, Reduction::Mean] {
            for kind in [CtcInputKind::Logits, CtcInputKind::LogProbs] {
                for (blank, batch_first, padded) in [(0, false, true), (c - 1, true, false), (c / 2, false, false)] {
                    seed += 1;
                    let mut case = Case::random(seed, t, n, c, lmax, blank, batch_first, 2.0);
                    if kind == CtcInputKind::LogProbs {
                        // Log-probabilities: log-softmax of the random scores.
                        for row in case.input.chunks_mut(c) {
                            let m = row.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
                            let l = m + row.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
                            row.iter_mut().for_each(|v| *v = (*v as f64 - l) as f32);
                        }
                    }
                    let o = options(reduction, kind, blank, batch_first, false);
                    let label = format!("T={t} N={n} C={c} L≤{lmax} {reduction:?} {kind:?} blank={blank} batchFirst={batch_first} padded={padded}");
                    assert_matches(&label, &case.run(&o, padded), &case.reference(&o));
                }
            }
        }
    }
}

#[test]
fn gradient_matches_finite_differences() {
    for reduction in [Reduction::Sum, Reduction::Mean] {
        let case = Case::random(77, 7, 3, 4, 3, 0, false, 1.5);
        let o = options(reduction, CtcInputKind::Logits, 0, false, false);
        let got = case.run(&o, true);
        let f = |x: &[f32]| reference::batch(x, case.shape, &case.labels, &case.input_lengths, &o).loss;
        check_gradient("ctc logits", &case.input, &got.grad, 1e-3, 2e-5, f);
    }
}

#[test]
fn log_probs_gradient_equals_the_logits_gradient() {
    // PyTorch's convention exp(lp) − γ at lp = log_softmax(x) is softmax(x) − γ.
    let case = Case::random(5, 30, 4, 9, 8, 0, false, 3.0);
    let o = options(Reduction::Mean, CtcInputKind::Logits, 0, false, false);
    let from_logits = case.run(&o, true);
    let mut lp_case = Case { input: crate::loss::log_softmax(&case.input, 9, 1.0).unwrap(), ..case };
    lp_case.shape = [30, 4, 9];
    let from_lp = lp_case.run(&CtcLossOptions { input_kind: CtcInputKind::LogProbs, ..o }, true);
    for (i, (a, b)) in from_logits.grad.iter().zip(&from_lp.grad).enumerate() {
        assert!((a - b).abs() < 2e-6, "grad[{i}]: {a} vs {b}");
    }
    assert!((from_logits.loss - from_lp.loss).abs() < 1e-6 * from_lp.loss);
}

#[test]
fn posteriors_sum_to_one_per_frame() {
    // With logits and 'sum', Σ_c grad = Σ softmax − Σ γ = 1 − 1 on every used frame.
    let case = Case::random(9, 50, 6, 12, 20, 3, false, 2.0);
    let o = options(Reduction::Sum, CtcInputKind::Logits, 3, false, false);
    let got = case.run(&o, false);
    for t in 0..50 {
        for b in 0..6 {
            let row = &got.grad[(t * 6 + b) * 12..(t * 6 + b + 1) * 12];
            let s: f64 = row.iter().map(|&g| g as f64).sum();
            assert!(s.abs() < 1e-5, "frame {t} item {b}: Σ grad = {s}");
            if t >= case.input_lengths[b] {
                assert!(row.iter().all(|&g| g == 0.0), "padded frame {t} of item {b} has a gradient");
            }
        }
    }
}

#[test]
fn exact_fit_has_one_path() {
    // T = L + repeats: a single alignment; the loss is −Σ lp along it, γ is one-hot.
    let labels = [1i32, 1, 2, 2, 2, 3];
    let t = labels.len() + 3;
    let c = 4;
    let x = randn(t * c, 3, 1.0);
    let o = options(Reduction::Sum, CtcInputKind::LogProbs, 0, false, false);
    let out = ctc_loss(&x, &[t, 1, c], CtcTargets::Concatenated(&labels), &[t], &[labels.len()], &o).unwrap();
    let path = [1usize, 0, 1, 2, 0, 2, 0, 2, 3];
    let want: f64 = -path.iter().enumerate().map(|(t, &k)| x[t * c + k] as f64).sum::<f64>();
    assert!((out.loss - want).abs() < 1e-5 * want.abs(), "{} vs {want}", out.loss);
    for (t, &k) in path.iter().enumerate() {
        for j in 0..c {
            let g = out.grad[t * c + j] as f64;
            let e = (x[t * c + j] as f64).exp() - if j == k { 1.0 } else { 0.0 };
            assert!((g - e).abs() < 1e-6, "grad[{t}, {j}] {g} vs {e}");
        }
    }
    assert!(out.infeasible.is_empty());
}

#[test]
fn infeasible_items_are_reported_and_isolated() {
    let (t, c) = (6usize, 5usize);
    let x = randn(t * 4 * c, 11, 1.0);
    // Items: fine; "1 1 1" needs 5 frames but has 4; empty target with 0 frames (loss 0);
    // "2" with 0 frames (infeasible).
    let labels = [3i32, 4, 1, 1, 1, 2];
    let il = [6usize, 4, 0, 0];
    let tl = [2usize, 3, 0, 1];
    for zero_infinity in [false, true] {
        for reduction in [Reduction::None, Reduction::Sum, Reduction::Mean] {
            let o = options(reduction, CtcInputKind::Logits, 0, false, zero_infinity);
            let out = ctc_loss(&x, &[t, 4, c], CtcTargets::Concatenated(&labels), &il, &tl, &o).unwrap();
            assert_eq!(
                out.infeasible,
                vec![
                    CtcInfeasible { index: 1, input_length: 4, target_length: 3, repeats: 2, required: 5 },
                    CtcInfeasible { index: 3, input_length: 0, target_length: 1, repeats: 0, required: 1 }
                ]
            );
            let inf_or_zero = if zero_infinity { 0.0 } else { f32::INFINITY };
            assert_eq!(&out.losses[1..], &[inf_or_zero, 0.0, inf_or_zero]);
            assert!(out.grad.iter().all(|g| g.is_finite()), "no NaN/inf gradient");
            for tt in 0..t {
                for b in 1..4 {
                    assert!(out.grad[(tt * 4 + b) * c..(tt * 4 + b + 1) * c].iter().all(|&g| g == 0.0));
                }
            }
            assert_eq!(out.loss.is_infinite(), !zero_infinity);
            // Item 0 is unaffected: the same as alone (up to the mean's 1/N).
            let alone = ctc_loss(
                &x.chunks(c).step_by(4).flatten().copied().collect::<Vec<_>>(),
                &[t, 1, c],
                CtcTargets::Concatenated(&labels[..2]),
                &[6],
                &[2],
                &CtcLossOptions { reduction: Reduction::Sum, ..o },
            )
            .unwrap();
            assert_eq!(out.losses[0], alone.losses[0]);
            let k = if reduction == Reduction::Mean { 1.0 / (4.0 * 2.0) } else { 1.0 };
            for tt in 0..t {
                for j in 0..c {
                    let (a, b) = (out.grad[(tt * 4) * c + j], alone.grad[tt * c + j] * k);
                    assert!((a - b).abs() <= 1e-7, "item 0 grad[{tt}, {j}] {a} vs {b}");
                }
            }
        }
    }
}

#[test]
fn results_do_not_depend_on_threads_or_batch() {
    // One long item alone (its halves on two threads) and inside a batch (one thread per item),
    // and a small batch on the calling thread: identical bits.
    let (t, c) = (300usize, 29usize);
    let labels: Vec<i32> = (0..80).map(|k: i32| 1 + k * 7 % 28).collect();
    let x = randn(t * c, 21, 2.0);
    let o = options(Reduction::Sum, CtcInputKind::Logits, 0, false, false);
    let alone = ctc_loss(&x, &[t, 1, c], CtcTargets::Concatenated(&labels), &[t], &[80], &o).unwrap();
    let n = 6;
    let mut xb = randn(t * n * c, 22, 2.0);
    for tt in 0..t {
        xb[(tt * n + 4) * c..(tt * n + 5) * c].copy_from_slice(&x[tt * c..(tt + 1) * c]);
    }
    let mut all = Vec::new();
    for b in 0..n {
        all.extend(labels.iter().map(|&l| if b == 4 { l } else { 1 + (l + b as i32) % 28 }));
    }
    let batch = ctc_loss(&xb, &[t, n, c], CtcTargets::Concatenated(&all), &vec![t; n], &vec![80; n], &o).unwrap();
    assert_eq!(batch.losses[4], alone.losses[0]);
    for tt in 0..t {
        assert_eq!(&batch.grad[(tt * n + 4) * c..(tt * n + 5) * c], &alone.grad[tt * c..(tt + 1) * c]);
    }
    let small = ctc_loss(&x[..8 * c], &[8, 1, c], CtcTargets::Concatenated(&labels[..3]), &[8], &[3], &o).unwrap();
    let big_t: Vec<f32> = (0..6).flat_map(|_| x[..8 * c].to_vec()).collect();
    let in_batch = ctc_loss(&big_t, &[6, 8, c], CtcTargets::Concatenated(&labels[..3].repeat(6)), &[8; 6], &[3; 6], &CtcLossOptions { batch_first: true, ..o }).unwrap();
    assert_eq!(in_batch.losses[5], small.losses[0]);
    assert_eq!(&in_batch.grad[5 * 8 * c..], &small.grad[..]);
}

#[test]
fn long_sequences_keep_f32_precision() {
    // T = 3000: PyTorch's f32 α reaches ≈ −T·|lp|, where an ulp is ≈ 5e-4; measured on this
    // shape its float32 loss is off by ≈ 3e-6 (relative) and its gradient by ≈ 1e-2 from
    // float64. The rows kept relative to their maxima do ≥ 5× better.
    let (t, c) = (3000usize, 6usize);
    let case = Case { input: randn(t * c, 4, 2.0), shape: [t, 1, c], labels: vec![(0..400).map(|k: i32| 1 + k % 5).collect()], input_lengths: vec![t] };
    let o = options(Reduction::Sum, CtcInputKind::Logits, 0, false, false);
    let got = case.run(&o, false);
    let want = case.reference(&o);
    assert!(((got.loss - want.loss) / want.loss).abs() < 5e-7, "loss {} vs {}", got.loss, want.loss);
    let worst = got.grad.iter().zip(&want.grad).map(|(&a, &b)| (a as f64 - b).abs()).fold(0.0, f64::max);
    assert!(worst < 2e-3, "max |grad − f64| = {worst}");
}

#[test]
fn extreme_inputs_give_no_nan() {
    let (t, c) = (10usize, 4usize);
    let mut x = randn(t * 2 * c, 8, 50.0);
    x[3] = 1e30;
    x[9] = -1e30;
    x[17] = 3e38;
    x[20] = -3e38;
    let labels = [1i32, 2, 3, 3, 1, 2];
    for kind in [CtcInputKind::Logits, CtcInputKind::LogProbs] {
        let o = options(Reduction::Mean, kind, 0, false, false);
        let out = ctc_loss(&x, &[t, 2, c], CtcTargets::Concatenated(&labels), &[10, 9], &[3, 3], &o).unwrap();
        assert!(out.grad.iter().all(|g| g.is_finite()), "{kind:?}: non-finite gradient");
        assert!(out.losses.iter().all(|l| !l.is_nan()), "{kind:?}: NaN loss");
    }
    // A frame whose scores differ by ~f32::MAX: the needed classes have log-probability ≈ −3e38.
    let mut x = randn(6 * 2 * 4, 5, 100.0);
    x[1] = 1e30;
    x[6] = -1e30;
    x[11] = 3e38;
    for kind in [CtcInputKind::Logits, CtcInputKind::LogProbs] {
        let o = options(Reduction::Mean, kind, 0, false, false);
        let out = ctc_loss(&x, &[6, 2, 4], CtcTargets::Concatenated(&[1, 2, 3, 3]), &[6, 5], &[2, 2], &o).unwrap();
        assert!(out.grad.iter().all(|g| g.is_finite()), "{kind:?}: non-finite gradient {:?}", out.grad);
        assert!(out.losses.iter().all(|l| !l.is_nan()), "{kind:?}: {:?}", out.losses);
        if kind == CtcInputKind::Logits {
            assert!(out.losses[0] > 1e38, "{:?}", out.losses);
        }
    }
}

#[test]
fn errors_name_the_argument() {
    let x = vec![0.0f32; 5 * 2 * 4];
    let o = CtcLossOptions::default();
    let cat = CtcTargets::Concatenated(&[1, 2, 3]);
    let err = |r: Result<CtcLossOutput>| r.unwrap_err().to_string();
    let e = err(ctc_loss(&x, &[5, 8], cat, &[5, 5], &[2, 1], &o));
    assert!(e.starts_with("input:") && e.contains("3 dimensions"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], cat, &[5, 5], &[2, 1], &CtcLossOptions { blank: 4, ..o }));
    assert!(e.starts_with("blank:") && e.contains("0..4"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], cat, &[5], &[2, 1], &o));
    assert!(e.starts_with("inputLengths:") && e.contains("[2]"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], cat, &[5, 6], &[2, 1], &o));
    assert!(e.starts_with("inputLengths[1]:") && e.contains("at most T = 5") && e.contains("6"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], cat, &[5, 5], &[2, 2], &o));
    assert!(e.starts_with("targets:") && e.contains("need 4 labels") && e.contains("got 3"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], CtcTargets::Padded { labels: &[1, 2, 3, 1, 2, 3], width: 3 }, &[5, 5], &[2, 4], &o));
    assert!(e.starts_with("targetLengths[1]:") && e.contains("at most S = 3"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], CtcTargets::Padded { labels: &[1, 2, 3, 1, 2], width: 3 }, &[5, 5], &[2, 2], &o));
    assert!(e.starts_with("targets:") && e.contains("[2, 3]"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], CtcTargets::Padded { labels: &[1, 2, 3, 1, 0, 3], width: 3 }, &[5, 5], &[2, 2], &o));
    assert!(e.starts_with("targets:") && e.contains("targets[1, 1] is 0, the blank"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], CtcTargets::Concatenated(&[1, 4, 3]), &[5, 5], &[2, 1], &o));
    assert!(e.starts_with("targets:") && e.contains("targets[1] (item 0, label 1) is 4, outside 0..4"), "{e}");
    let e = err(ctc_loss(&x, &[5, 2, 4], CtcTargets::Concatenated(&[1, 2, -1]), &[5, 5], &[2, 1], &o));
    assert!(e.contains("is -1, outside"), "{e}");
    let mut bad = x.clone();
    bad[(3 * 2 + 1) * 4 + 2] = f32::NAN;
    bad[(4 * 2 + 1) * 4] = f32::INFINITY;
    let e = err(ctc_loss(&bad, &[5, 2, 4], cat, &[5, 5], &[2, 1], &o));
    assert!(e.starts_with("input:") && e.contains("NaN at flat index 30"), "{e}");
    // Frames past an item's length are not read.
    let ok = ctc_loss(&bad, &[5, 2, 4], cat, &[5, 3], &[2, 1], &o).unwrap();
    assert!(ok.loss.is_finite());
    // Also for an item with no alignment.
    let e = err(ctc_loss(&bad, &[5, 2, 4], CtcTargets::Concatenated(&[1, 1, 1, 1, 1, 1]), &[5, 5], &[3, 3], &o));
    assert!(e.contains("NaN at flat index 30"), "{e}");
    let mut g = vec![0.0; 3];
    let e = ctc_loss_into(&x, &[5, 2, 4], cat, &[5, 5], &[2, 1], &o, &mut g).unwrap_err().to_string();
    assert!(e.starts_with("grad:"), "{e}");
    assert!(CtcInputKind::parse("probs").unwrap_err().to_string().starts_with("inputKind:"));
}

#[test]
fn empty_batch_and_empty_targets() {
    let o = CtcLossOptions { reduction: Reduction::Sum, ..Default::default() };
    let out = ctc_loss(&[], &[7, 0, 3], CtcTargets::Concatenated(&[]), &[], &[], &o).unwrap();
    assert_eq!(out.loss, 0.0);
    assert!(out.losses.is_empty());
    let mean = ctc_loss(&[], &[7, 0, 3], CtcTargets::Concatenated(&[]), &[], &[], &CtcLossOptions::default()).unwrap();
    assert!(mean.loss.is_nan(), "PyTorch's mean of nothing is NaN");
    // Only blanks: −Σ_t log softmax(x_t)[blank].
    let x = randn(4 * 3, 1, 1.0);
    let out = ctc_loss(&x, &[4, 1, 3], CtcTargets::Concatenated(&[]), &[4], &[0], &o).unwrap();
    let want: f64 = x.chunks(3).map(|r| -(r[0] as f64 - r.iter().map(|&v| (v as f64).exp()).sum::<f64>().ln())).sum();
    assert!((out.loss - want).abs() < 1e-5, "{} vs {want}", out.loss);
}
