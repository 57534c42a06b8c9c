//! Decoder tests: greedy on hand cases, beam search against a brute-force sum over all paths,
//! pruning knobs, timestamps, LM fusion (n-gram at both levels, a counting mock LM), hotwords
//! and argument errors.

use std::collections::HashMap;

use super::*;
use crate::ngram::{Level, NgramModel, Smoothing, TrainOptions};
use crate::rng::Rng;

fn emissions<'a>(data: &'a [f32], shape: &'a [usize], kind: InputKind) -> Emissions<'a> {
    Emissions { data, shape, batch_first: false, lengths: None, kind, blank: 0 }
}

/// Log-probabilities `[T, C]` from probability rows.
fn log_rows(rows: &[&[f32]]) -> Vec<f32> {
    rows.iter().flat_map(|r| r.iter().map(|p| p.ln())).collect()
}

fn no_pruning(width: usize) -> BeamSearchOptions {
    BeamSearchOptions { beam_width: width, n_best: width, token_min_logp: f32::NEG_INFINITY, beam_prune_logp: f32::NEG_INFINITY, ..Default::default() }
}

#[test]
fn greedy_collapses_repeats_and_drops_blanks() {
    // Argmax path: a a _ a b b _ → "a a b" (the blank splits the two a's).
    let p = |k: usize| -> Vec<f32> { (0..3).map(|c| if c == k { 0.8 } else { 0.1 }).collect() };
    let rows: Vec<Vec<f32>> = [1, 1, 0, 1, 2, 2, 0].iter().map(|&k| p(k)).collect();
    let lp = log_rows(&rows.iter().map(|r| r.as_slice()).collect::<Vec<_>>());
    let h = greedy_decode(&emissions(&lp, &[7, 3], InputKind::LogProbs)).unwrap();
    assert_eq!(h[0].tokens, vec![1, 1, 2]);
    assert_eq!(h[0].timesteps, vec![0, 3, 4]);
    assert!((h[0].ctc_score - 7.0 * 0.8f64.ln()).abs() < 1e-5);
    // Logits and probabilities give the same tokens.
    let probs: Vec<f32> = rows.concat();
    assert_eq!(greedy_decode(&emissions(&probs, &[7, 3], InputKind::Probs)).unwrap()[0].tokens, vec![1, 1, 2]);
    let logits: Vec<f32> = lp.iter().map(|x| x * 3.0 + 1.0).collect();
    assert_eq!(greedy_decode(&emissions(&logits, &[7, 3], InputKind::Logits)).unwrap()[0].tokens, vec![1, 1, 2]);
}

#[test]
fn greedy_batches_with_lengths_in_both_layouts() {
    // Two items, T = 3, C = 2: item 0 argmax 1 1 0; item 1 argmax 0 1 1 (length 2 → [1]).
    let tm: Vec<f32> = vec![0.1, 0.9, 0.9, 0.1, /* t1 */ 0.2, 0.8, 0.3, 0.7, /* t2 */ 0.6, 0.4, 0.1, 0.9];
    let lengths = [3usize, 2];
    let e = Emissions { data: &tm, shape: &[3, 2, 2], batch_first: false, lengths: Some(&lengths), kind: InputKind::Probs, blank: 0 };
    let h = greedy_decode(&e).unwrap();
    assert_eq!((h[0].tokens.clone(), h[1].tokens.clone()), (vec![1], vec![1]));
    assert_eq!(h[1].timesteps, vec![1]);
    // The same data batch-first.
    let mut bf = vec![0.0f32; 12];
    for t in 0..3 {
        for n in 0..2 {
            for c in 0..2 {
                bf[(n * 3 + t) * 2 + c] = tm[(t * 2 + n) * 2 + c];
            }
        }
    }
    let e = Emissions { data: &bf, shape: &[2, 3, 2], batch_first: true, lengths: Some(&lengths), kind: InputKind::Probs, blank: 0 };
    assert_eq!(greedy_decode(&e).unwrap(), h);
}

/// Every labelling's probability by summing over all `C^T` paths.
fn brute_force(lp: &[f32], t: usize, c: usize, blank: u32) -> HashMap<Vec<u32>, f64> {
    let mut out: HashMap<Vec<u32>, f64> = HashMap::new();
    let mut path = vec![0usize; t];
    loop {
        let mut label = Vec::new();
        let mut prev = usize::MAX;
        let mut logp = 0.0f64;
        for (s, &k) in path.iter().enumerate() {
            logp += f64::from(lp[s * c + k]);
            if k != prev && k as u32 != blank {
                label.push(k as u32);
            }
            prev = k;
        }
        *out.entry(label).or_insert(0.0) += logp.exp();
        // Next path (odometer).
        let mut i = 0;
        loop {
            if i == t {
                return out;
            }
            path[i] += 1;
            if path[i] < c {
                break;
            }
            path[i] = 0;
            i += 1;
        }
    }
}

fn random_log_probs(rng: &mut Rng, t: usize, c: usize, sharpness: f32) -> Vec<f32> {
    let mut v = vec![0.0f32; t * c];
    for s in 0..t {
        let row = &mut v[s * c..(s + 1) * c];
        for x in row.iter_mut() {
            *x = rng.normal() * sharpness;
        }
        let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let lse = m + row.iter().map(|x| (x - m).exp()).sum::<f32>().ln();
        for x in row.iter_mut() {
            *x -= lse;
        }
    }
    v
}

#[test]
fn wide_beam_equals_brute_force_over_all_labellings() {
    let mut rng = Rng::new(3);
    for case in 0..12 {
        let (t, c) = [(4, 3), (5, 3), (6, 3), (5, 4), (6, 4), (7, 3)][case % 6];
        let blank = (case % c) as u32;
        let lp = random_log_probs(&mut rng, t, c, 1.5);
        let exact = brute_force(&lp, t, c, blank);
        let e = Emissions { data: &lp, shape: &[t, c], batch_first: false, lengths: None, kind: InputKind::LogProbs, blank: blank as usize };
        let width = exact.len();
        let hyps = &beam_search(&e, &no_pruning(width), None, None).unwrap()[0];
        // Exact search: every labelling with its exact probability, best first.
        assert_eq!(hyps.len(), width, "case {case}");
        for h in hyps {
            let want = exact[&h.tokens].ln();
            assert!((h.ctc_score - want).abs() < 2e-5, "case {case}: {:?} beam {} exact {want}", h.tokens, h.ctc_score);
            assert_eq!(h.score, h.ctc_score);
        }
        let best = exact.values().cloned().fold(0.0, f64::max);
        assert!((hyps[0].ctc_score - best.ln()).abs() < 2e-5, "case {case}: best");
        for w in hyps.windows(2) {
            assert!(w[0].score >= w[1].score);
        }
    }
}

#[test]
fn beam_with_top1_token_equals_greedy() {
    let mut rng = Rng::new(11);
    for _ in 0..20 {
        let lp = random_log_probs(&mut rng, 12, 5, 2.0);
        let e = emissions(&lp, &[12, 5], InputKind::LogProbs);
        let g = &greedy_decode(&e).unwrap()[0];
        let o = BeamSearchOptions { token_top_k: 1, ..no_pruning(8) };
        let b = &beam_search(&e, &o, None, None).unwrap()[0];
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].tokens, g.tokens);
        // One path only: the beam's labelling probability is the greedy path's.
        assert!((b[0].ctc_score - g.ctc_score).abs() < 1e-4);
    }
}

/// Peaky emissions: label frames with p = 0.9 separated by blank frames.
fn peaky(labels: &[(usize, usize)], t: usize, c: usize) -> Vec<f32> {
    let mut probs = vec![0.0f32; t * c];
    for s in 0..t {
        let k = labels.iter().find(|&&(a, _)| a == s).map_or(0, |&(_, k)| k);
        for j in 0..c {
            probs[s * c + j] = if j == k { 0.9 } else { 0.1 / (c - 1) as f32 };
        }
    }
    probs.iter().map(|p| p.ln()).collect()
}

#[test]
fn timestamps_match_greedy_on_peaky_emissions() {
    // Tokens 1 at frames 2–3 (a run), 2 at 6, 1 at 9, 1 at 12 (a blank between the two 1s).
    let lp = peaky(&[(2, 1), (3, 1), (6, 2), (9, 1), (12, 1)], 15, 4);
    let e = emissions(&lp, &[15, 4], InputKind::LogProbs);
    let g = &greedy_decode(&e).unwrap()[0];
    assert_eq!(g.tokens, vec![1, 2, 1, 1]);
    assert_eq!(g.timesteps, vec![2, 6, 9, 12]);
    let b = &beam_search(&e, &BeamSearchOptions { beam_width: 16, ..Default::default() }, None, None).unwrap()[0][0];
    assert_eq!(b.tokens, g.tokens);
    assert_eq!(b.timesteps, g.timesteps);
}

#[test]
fn pruning_knobs_do_what_they_say() {
    let mut rng = Rng::new(5);
    let lp = random_log_probs(&mut rng, 8, 4, 1.0);
    let e = emissions(&lp, &[8, 4], InputKind::LogProbs);
    let all = beam_search(&e, &no_pruning(64), None, None).unwrap().remove(0);
    // beamPruneLogp: nothing further than 0.5 below the best survives the last frame.
    let o = BeamSearchOptions { beam_prune_logp: -0.5, ..no_pruning(64) };
    let pruned = beam_search(&e, &o, None, None).unwrap().remove(0);
    assert!(pruned.len() < all.len());
    assert!(pruned.iter().all(|h| h.score >= pruned[0].score - 0.5 - 1e-6));
    // tokenMinLogp above every value: only the argmax extends (= greedy).
    let o = BeamSearchOptions { token_min_logp: 0.5, ..no_pruning(64) };
    let g = greedy_decode(&e).unwrap().remove(0);
    let only = beam_search(&e, &o, None, None).unwrap().remove(0);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].tokens, g.tokens);
    // beamWidth bounds the n-best list.
    let o = BeamSearchOptions { beam_width: 3, n_best: 3, ..no_pruning(3) };
    assert!(beam_search(&e, &o, None, None).unwrap()[0].len() <= 3);
}

#[test]
fn lengths_and_empty_items() {
    let mut rng = Rng::new(9);
    let lp = random_log_probs(&mut rng, 6 * 2, 3, 1.0); // [6, 2, 3]
    let lengths = [6usize, 0];
    let e = Emissions { data: &lp, shape: &[6, 2, 3], batch_first: false, lengths: Some(&lengths), kind: InputKind::LogProbs, blank: 0 };
    let r = beam_search_batch(&e, &no_pruning(10), None, None).unwrap();
    assert_eq!(r[1].len(), 1);
    assert!(r[1][0].tokens.is_empty() && r[1][0].score == 0.0);
    // Item 0 alone gives the same as in the batch.
    let mut item0 = Vec::new();
    for t in 0..6 {
        item0.extend_from_slice(&lp[(t * 2) * 3..(t * 2) * 3 + 3]);
    }
    let alone = beam_search(&emissions(&item0, &[6, 3], InputKind::LogProbs), &no_pruning(10), None, None).unwrap();
    assert_eq!(alone[0], r[0]);
}

fn labels(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

/// Frames that hesitate between two classes: `(frame, [(class, p)])`, the rest blank.
fn ambiguous(frames: &[(usize, &[(usize, f32)])], t: usize, c: usize) -> Vec<f32> {
    let mut probs = vec![0.0f32; t * c];
    for s in 0..t {
        let spec = frames.iter().find(|f| f.0 == s).map(|f| f.1);
        let row = &mut probs[s * c..(s + 1) * c];
        match spec {
            Some(ps) => {
                let used: f32 = ps.iter().map(|p| p.1).sum();
                for x in row.iter_mut() {
                    *x = (1.0 - used) / c as f32;
                }
                for &(k, p) in ps {
                    row[k] += p;
                }
            }
            None => {
                for (j, x) in row.iter_mut().enumerate() {
                    *x = if j == 0 { 0.96 } else { 0.04 / (c - 1) as f32 };
                }
            }
        }
    }
    probs.iter().map(|p| p.ln()).collect()
}

#[test]
fn char_lm_fusion_changes_the_decision_and_scores_decompose() {
    // Classes: blank, a, b. Acoustics slightly prefer "ba"; the LM only knows "ab".
    let lab = labels(&["_", "a", "b"]);
    let lp = ambiguous(&[(1, &[(2, 0.5), (1, 0.4)]), (3, &[(1, 0.5), (2, 0.4)])], 5, 3);
    let e = emissions(&lp, &[5, 3], InputKind::LogProbs);
    let plain = beam_search(&e, &no_pruning(16), None, None).unwrap().remove(0);
    assert_eq!(plain[0].tokens, vec![2, 1]);
    let corpus: Vec<&str> = vec!["ab"; 20];
    let lm = NgramModel::train(&corpus, &TrainOptions { order: 3, smoothing: Smoothing::WittenBell, level: Level::Char, min_count: 1 }).unwrap();
    let o = BeamSearchOptions { alpha: 1.0, beta: 0.0, ..no_pruning(16) };
    let fused = beam_search_batch(&e, &o, Some((&lm, &lab)), None).unwrap().remove(0);
    assert_eq!(fused[0].tokens, vec![1, 2]);
    for h in &fused {
        let text: String = h.tokens.iter().map(|&t| lab[t as usize].as_str()).collect();
        let (want_lm, _) = lm.sentence_log_prob(&text);
        assert!((h.lm_score - want_lm).abs() < 1e-4, "{text}: lm {} vs {want_lm}", h.lm_score);
        // No delimiter: every token is a word for β (0 here).
        assert!((h.score - (h.ctc_score + h.lm_score)).abs() < 1e-4);
        assert_eq!(h.word_count as usize, h.tokens.len());
    }
}

#[test]
fn word_lm_fusion_scores_words_at_delimiters_and_the_end() {
    // Classes: blank, c, a, t, b, space. Acoustics prefer "cab cab"; the LM knows "cat".
    let lab = labels(&["_", "c", "a", "t", "b", " "]);
    let lp = ambiguous(&[(1, &[(1, 0.9)]), (3, &[(2, 0.9)]), (5, &[(4, 0.5), (3, 0.4)]), (7, &[(5, 0.9)]), (9, &[(1, 0.9)]), (11, &[(2, 0.9)]), (13, &[(4, 0.5), (3, 0.4)])], 15, 6);
    let e = emissions(&lp, &[15, 6], InputKind::LogProbs);
    let o = BeamSearchOptions { word_delimiter: Some(5), ..no_pruning(32) };
    assert_eq!(beam_search(&e, &o, None, None).unwrap()[0][0].tokens, vec![1, 2, 4, 5, 1, 2, 4]);
    let lm = NgramModel::train(&["cat cat", "the cat", "a cat sat"], &TrainOptions { order: 2, ..Default::default() }).unwrap();
    let o = BeamSearchOptions { alpha: 1.0, beta: 0.5, word_delimiter: Some(5), ..no_pruning(32) };
    let fused = beam_search_batch(&e, &o, Some((&lm, &lab)), None).unwrap().remove(0);
    let best = &fused[0];
    assert_eq!(best.tokens, vec![1, 2, 3, 5, 1, 2, 3]);
    assert_eq!(best.word_count, 2);
    let (want_lm, _) = lm.sentence_log_prob("cat cat");
    assert!((best.lm_score - want_lm).abs() < 1e-4, "{} vs {want_lm}", best.lm_score);
    assert!((best.score - (best.ctc_score + best.lm_score + 0.5 * 2.0)).abs() < 1e-4);
}

#[test]
fn hotwords_boost_words_and_prefixes() {
    let lab = labels(&["_", "c", "a", "t", "b", " "]);
    let lp = ambiguous(&[(1, &[(1, 0.9)]), (3, &[(2, 0.9)]), (5, &[(3, 0.5), (4, 0.4)])], 7, 6);
    let e = emissions(&lp, &[7, 6], InputKind::LogProbs);
    let o = BeamSearchOptions { word_delimiter: Some(5), ..no_pruning(16) };
    assert_eq!(beam_search(&e, &o, None, None).unwrap()[0][0].tokens, vec![1, 2, 3]);
    let hot = Hotwords::new(&[vec![1, 2, 4]], 6, 0, Some(5), 2.0).unwrap();
    let boosted = beam_search(&e, &o, None, Some(&hot)).unwrap().remove(0);
    assert_eq!(boosted[0].tokens, vec![1, 2, 4]);
    // A completed hotword adds the weight once.
    assert!((boosted[0].score - (boosted[0].ctc_score + 2.0)).abs() < 1e-4);
    // Partial credit: "ca" after the first frames is worth 2·2/3.
    assert!((hot.partial(hot.child(hot.child(0, 1), 2)) - 4.0 / 3.0).abs() < 1e-6);
    let _ = lab;
}

/// A token-level LM that prefers class 1 and records its calls.
struct MockLm {
    calls: usize,
    asked: HashMap<(u32, u32), usize>,
    next_state: u32,
}

impl CtcLm for MockLm {
    fn level(&self) -> LmLevel {
        LmLevel::Token
    }
    fn start(&mut self) -> crate::Result<u32> {
        Ok(0)
    }
    fn score(&mut self, _words: &WordTrie, queries: &[LmQuery], out: &mut Vec<LmScore>) -> crate::Result<()> {
        self.calls += 1;
        out.clear();
        for q in queries {
            *self.asked.entry((q.state, q.unit.code())).or_insert(0) += 1;
            self.next_state += 1;
            let logp = match q.unit {
                LmUnit::Token(1) => -0.1,
                _ => -3.0,
            };
            out.push(LmScore { logp, next: self.next_state, oov: false });
        }
        Ok(())
    }
}

#[test]
fn callback_lms_are_asked_each_query_once_in_one_batch_per_frame() {
    let mut rng = Rng::new(21);
    let lp = random_log_probs(&mut rng, 10, 4, 1.0);
    let e = emissions(&lp, &[10, 4], InputKind::LogProbs);
    let mut lm = MockLm { calls: 0, asked: HashMap::new(), next_state: 0 };
    let o = BeamSearchOptions { alpha: 1.0, ..no_pruning(8) };
    let r = beam_search(&e, &o, Some(&mut lm), None).unwrap();
    assert!(lm.calls <= 10 + 1, "{} calls for 10 frames", lm.calls);
    assert!(lm.asked.values().all(|&n| n == 1), "a query was asked twice");
    // The LM's preference shows: more 1s than without it.
    let plain = beam_search(&e, &no_pruning(8), None, None).unwrap();
    let ones = |h: &Hypothesis| h.tokens.iter().filter(|&&t| t == 1).count();
    assert!(ones(&r[0][0]) >= ones(&plain[0][0]));
}

#[test]
fn bad_arguments_name_the_argument() {
    let lp = vec![0.0f32; 12];
    let err = |e: Emissions<'_>, o: BeamSearchOptions| beam_search(&e, &o, None, None).unwrap_err().to_string();
    let base = emissions(&lp, &[2, 2, 3], InputKind::LogProbs);
    assert!(err(Emissions { blank: 3, ..base }, Default::default()).starts_with("blank: expected a class index in 0..3"));
    assert!(err(Emissions { lengths: Some(&[2, 3]), ..base }, Default::default()).starts_with("lengths[1]: expected an integer in 0..=2"));
    assert!(err(Emissions { lengths: Some(&[2]), ..base }, Default::default()).starts_with("lengths: expected 2 lengths"));
    assert!(err(Emissions { shape: &[12], ..base }, Default::default()).starts_with("emissions: expected rank 3"));
    assert!(err(Emissions { shape: &[2, 2, 2], ..base }, Default::default()).starts_with("emissions: shape [2, 2, 2] needs 8 values, got 12"));
    assert!(err(base, BeamSearchOptions { beam_width: 0, ..Default::default() }).starts_with("beamWidth: expected an integer ≥ 1, got 0"));
    assert!(err(base, BeamSearchOptions { beam_width: 2, n_best: 3, ..Default::default() }).starts_with("nBest:"));
    assert!(err(base, BeamSearchOptions { beam_prune_logp: 1.0, ..Default::default() }).starts_with("beamPruneLogp:"));
    assert!(err(base, BeamSearchOptions { word_delimiter: Some(0), ..Default::default() }).starts_with("wordDelimiter:"));
    assert!(err(base, BeamSearchOptions { token_top_k: 4, ..Default::default() }).starts_with("tokenTopK:"));
    let mut nan = lp.clone();
    nan[7] = f32::NAN;
    let e = emissions(&nan, &[2, 2, 3], InputKind::Logits);
    assert_eq!(err(e, Default::default()), "emissions: expected finite logits, got NaN at [1, 0, 1]");
    assert_eq!(greedy_decode(&e).unwrap_err().to_string(), "emissions: expected finite logits, got NaN at [1, 0, 1]");
    let neg = vec![-0.5f32; 6];
    assert!(greedy_decode(&emissions(&neg, &[2, 3], InputKind::Probs)).unwrap_err().to_string().contains("probabilities (finite, ≥ 0), got -0.5 at [0, 0]"));
    let lm = NgramModel::train(&["ab"], &TrainOptions { level: Level::Char, ..Default::default() }).unwrap();
    let l2 = labels(&["_", "a"]);
    let e = beam_search_batch(&base, &Default::default(), Some((&lm, &l2)), None).unwrap_err().to_string();
    assert!(e.starts_with("labels: expected 3 labels"), "{e}");
    assert!(Hotwords::new(&[vec![1, 0]], 3, 0, None, 1.0).unwrap_err().to_string().starts_with("hotwords[0]: token 1 is class 0, the blank"));
}

#[test]
fn parallel_batch_equals_one_by_one() {
    let mut rng = Rng::new(4);
    let (t, n, c) = (30, 5, 6);
    let lp = random_log_probs(&mut rng, t * n, c, 2.0);
    let shape = [t, n, c];
    let e = emissions(&lp, &shape, InputKind::LogProbs);
    let o = BeamSearchOptions { beam_width: 8, n_best: 3, ..Default::default() };
    let corpus = ["abc abd", "bca", "ddd ab"];
    let lm = NgramModel::train(&corpus, &TrainOptions { order: 4, level: Level::Char, ..Default::default() }).unwrap();
    let lab = labels(&["_", "a", "b", "c", "d", " "]);
    let o_lm = BeamSearchOptions { word_delimiter: Some(5), alpha: 0.7, beta: 0.3, ..o };
    let batch = beam_search_batch(&e, &o_lm, Some((&lm, &lab)), None).unwrap();
    let mut scorer = NgramScorer::new(&lm, &lab, c, 0, Some(5)).unwrap();
    let seq = beam_search(&e, &o_lm, Some(&mut scorer), None);
    // The sequential path shares one scorer across items: same results.
    assert_eq!(batch, seq.unwrap());
}
