//! N-gram model tests: hand-computed probabilities of a tiny corpus for both smoothings, every
//! context summing to 1, ARPA round trips and ARPA errors with line numbers.

use super::*;
use crate::rng::Rng;

const TINY: [&str; 3] = ["a b", "b a", "a"];

fn train(sentences: &[&str], order: usize, smoothing: Smoothing, level: Level) -> NgramModel {
    NgramModel::train(sentences, &TrainOptions { order, smoothing, level, min_count: 1 }).unwrap()
}

fn p(m: &NgramModel, context: &[&str], token: &str) -> f64 {
    let ids: Vec<u32> = context.iter().map(|t| m.token_id(t)).collect();
    m.log_prob(&ids, m.token_id(token)).unwrap().exp()
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-12, "{what}: got {a}, expected {b}");
}

// The tiny corpus `<s> a b </s>`, `<s> b a </s>`, `<s> a </s>`; predictable tokens
// {<unk>, </s>, a, b}, so the uniform floor is 1/4. Every expected value below is worked out by
// hand from the formulas in `smoothing.rs` (comments give the steps).

#[test]
fn witten_bell_matches_hand_computed_values() {
    let m = train(&TINY, 2, Smoothing::WittenBell, Level::Word);
    // Unigrams: c(a)=3, c(b)=2, c(</s>)=3, Σc=8, T=3 types → p(w) = (c + 3/4) / 11.
    close(p(&m, &[], "a"), 3.75 / 11.0, "p(a)");
    close(p(&m, &[], "b"), 2.75 / 11.0, "p(b)");
    close(p(&m, &[], "</s>"), 3.75 / 11.0, "p(</s>)");
    close(p(&m, &[], "<unk>"), 0.75 / 11.0, "p(<unk>)");
    // After <s>: a×2, b×1 → Σc=3, T=2: p(w|<s>) = (c + 2 p(w)) / 5.
    close(p(&m, &["<s>"], "a"), 59.0 / 110.0, "p(a|<s>)");
    close(p(&m, &["<s>"], "b"), 0.3, "p(b|<s>)");
    close(p(&m, &["<s>"], "</s>"), 0.4 * 3.75 / 11.0, "p(</s>|<s>)");
    // After b: a×1, </s>×1 → (c + 2 p(w)) / 4.
    close(p(&m, &["b"], "a"), 37.0 / 88.0, "p(a|b)");
    // After a: b×1, </s>×2.
    close(p(&m, &["a"], "</s>"), (2.0 + 7.5 / 11.0) / 5.0, "p(</s>|a)");
    // An unknown word is <unk>.
    close(p(&m, &["zebra"], "a"), 3.75 / 11.0, "p(a|<unk>) = p(a) (no bigram after <unk>)");
}

#[test]
fn kneser_ney_matches_hand_computed_values() {
    let m = train(&TINY, 2, Smoothing::KneserNey, Level::Word);
    // Counts-of-counts have zeros at both orders → fallback discounts 0.5, 1, 1.5.
    assert_eq!(m.discounts(), &[smoothing::FALLBACK_DISCOUNTS, smoothing::FALLBACK_DISCOUNTS]);
    // Unigrams from continuation counts: N1+(•a) = |{<s>, b}| = 2, N1+(•b) = |{a, <s>}| = 2,
    // N1+(•</s>) = |{b, a}| = 2; Σ=6; all counts 2 → γ = D₂·3/6 = 1/2;
    // p(w) = (2 − 1)/6 + (1/2)(1/4) = 7/24; p(<unk>) = 1/8.
    close(p(&m, &[], "a"), 7.0 / 24.0, "p(a)");
    close(p(&m, &[], "</s>"), 7.0 / 24.0, "p(</s>)");
    close(p(&m, &[], "<unk>"), 1.0 / 8.0, "p(<unk>)");
    // Bigrams (raw counts, highest order). After <s>: a×2, b×1, Σ=3, γ = (0.5 + 1)/3 = 1/2.
    close(p(&m, &["<s>"], "a"), (2.0 - 1.0) / 3.0 + 0.5 * 7.0 / 24.0, "p(a|<s>)");
    close(p(&m, &["<s>"], "b"), (1.0 - 0.5) / 3.0 + 0.5 * 7.0 / 24.0, "p(b|<s>)");
    close(p(&m, &["<s>"], "</s>"), 0.5 * 7.0 / 24.0, "p(</s>|<s>)");
    // After b: a×1, </s>×1: Σ=2, γ = (0.5 + 0.5)/2.
    close(p(&m, &["b"], "a"), 0.5 / 2.0 + 0.5 * 7.0 / 24.0, "p(a|b)");

    // Trigram model: middle-order counts are continuation counts except after <s>.
    let m3 = train(&TINY, 3, Smoothing::KneserNey, Level::Word);
    // p₂(</s>|a): adjusted N1+(•a b) = 1, N1+(•a </s>) = |{b, <s>}| = 2 → Σ=3,
    // γ = (0.5·1 + 1·1)/3 = 1/2 → (2 − 1)/3 + (1/2)(7/24) = 23/48.
    close(p(&m3, &["a"], "</s>"), 23.0 / 48.0, "p(</s>|a), order 3");
    // p₃(</s>|<s> a): raw counts b×1, </s>×1 → Σ=2, γ = 0.5·2/2 = 1/2 → 0.5/2 + (1/2)(23/48).
    close(p(&m3, &["<s>", "a"], "</s>"), 47.0 / 96.0, "p(</s>|<s> a)");
    // p₂(a|<s>) keeps the raw count 2 (nothing precedes <s>): after <s>, a=2, b=1, Σ=3,
    // γ = (0.5 + 1)/3 → (2 − 1)/3 + (1/2)(7/24).
    close(p(&m3, &["<s>"], "a"), 23.0 / 48.0, "p(a|<s>), order 3");
}

#[test]
fn kneser_ney_discounts_follow_chen_goodman() {
    let d = smoothing::kn_discounts([10, 5, 3, 2]);
    let y = 10.0 / 20.0;
    close(d[0], 1.0 - 2.0 * y * 5.0 / 10.0, "D1");
    close(d[1], 2.0 - 3.0 * y * 3.0 / 5.0, "D2");
    close(d[2], 3.0 - 4.0 * y * 2.0 / 3.0, "D3");
    assert_eq!(smoothing::kn_discounts([3, 0, 1, 1]), smoothing::FALLBACK_DISCOUNTS);
}

/// Every state's distribution over the predictable tokens (all but `<s>`).
fn assert_normalised(m: &NgramModel, what: &str) {
    let v = m.vocab().len() as u32;
    for state in 0..m.trie.len() as u32 {
        let mut sum = 0.0;
        for w in (0..v).filter(|&w| w != BOS) {
            sum += m.score(state, w).0.exp();
        }
        assert!((sum - 1.0).abs() < 1e-6, "{what}: Σ p(·|{:?}) = {sum}", m.trie.ngram(state));
    }
}

fn random_corpus(rng: &mut Rng, n: usize, alphabet: &[&str], max_len: usize, sep: &str) -> Vec<String> {
    (0..n)
        .map(|_| {
            let len = (rng.next_u64() % max_len as u64) as usize;
            (0..len).map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize]).collect::<Vec<_>>().join(sep)
        })
        .collect()
}

#[test]
fn every_context_sums_to_one() {
    let mut rng = Rng::new(7);
    for smoothing in [Smoothing::KneserNey, Smoothing::WittenBell] {
        for order in [1, 2, 3, 5] {
            let words = random_corpus(&mut rng, 60, &["the", "cat", "sat", "on", "a", "mat", "dog"], 9, " ");
            let m = train(&words.iter().map(|s| s.as_str()).collect::<Vec<_>>(), order, smoothing, Level::Word);
            assert_normalised(&m, &format!("word {} order {order}", smoothing.name()));
            let chars = random_corpus(&mut rng, 40, &["a", "b", "c", " ", "d"], 20, "");
            let m = train(&chars.iter().map(|s| s.as_str()).collect::<Vec<_>>(), order, smoothing, Level::Char);
            assert_normalised(&m, &format!("char {} order {order}", smoothing.name()));
            // The same after an ARPA round trip.
            let back = NgramModel::from_arpa(&m.to_arpa(), "arpa", Level::Char).unwrap();
            assert_normalised(&back, &format!("char {} order {order} from ARPA", smoothing.name()));
        }
    }
}

#[test]
fn unseen_contexts_back_off_and_sum_to_one() {
    let m = train(&["a b c", "c b a", "b b"], 3, Smoothing::KneserNey, Level::Word);
    for ctx in [&["c", "c"][..], &["<s>", "c"], &["zzz", "a"], &["a", "a"]] {
        let ids: Vec<u32> = ctx.iter().map(|t| m.token_id(t)).collect();
        let sum: f64 = (0..m.vocab().len() as u32).filter(|&w| w != BOS).map(|w| m.log_prob(&ids, w).unwrap().exp()).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{ctx:?}: {sum}");
    }
    // p(w | c c) with "c c" unseen = γ(c)·… = p(w | c) since the bigram context "c c" is absent.
    close(p(&m, &["c", "c"], "b"), p(&m, &["c"], "b"), "backoff to the bigram");
}

#[test]
fn min_count_maps_rare_tokens_to_unk() {
    let m = NgramModel::train(&["a a b", "a c"], &TrainOptions { order: 2, min_count: 2, ..Default::default() }).unwrap();
    assert_eq!(m.vocab().tokens(), &["<unk>", "<s>", "</s>", "a"]);
    // "<unk>" now has counts of its own: after a, <unk> was seen twice (b and c).
    assert!(p(&m, &["a"], "<unk>") > p(&m, &["a"], "</s>") * 0.9);
    assert_eq!(m.token_id("zebra"), UNK);
}

#[test]
fn perplexity_is_exp_of_mean_negative_log_prob() {
    let m = train(&TINY, 2, Smoothing::WittenBell, Level::Word);
    let (lp, n) = m.sentence_log_prob("a b");
    assert_eq!(n, 3);
    let manual = p(&m, &["<s>"], "a").ln() + p(&m, &["a"], "b").ln() + p(&m, &["b"], "</s>").ln();
    close(lp, manual, "ln p(a b)");
    let ppl = m.perplexity(&["a b", "a"]).unwrap();
    let (lp2, n2) = m.sentence_log_prob("a");
    close(ppl, (-(lp + lp2) / (n + n2) as f64).exp(), "perplexity");
}

#[test]
fn char_models_count_spaces_and_round_trip_through_arpa() {
    let m = train(&["ab a", "b\tab"], 3, Smoothing::KneserNey, Level::Char);
    let arpa = m.to_arpa();
    assert!(arpa.contains("<space>") && arpa.contains("<U+0009>"), "{arpa}");
    let back = NgramModel::from_arpa(&arpa, "arpa", Level::Char).unwrap();
    assert_eq!(back.vocab().tokens(), m.vocab().tokens());
    assert_eq!(back.counts(), m.counts());
    for ctx in [&["<s>", "a"][..], &["a", " "], &["\t"], &[]] {
        for w in ["a", "b", " ", "\t", "</s>", "<unk>"] {
            let (x, y) = (p(&m, ctx, w), p(&back, ctx, w));
            assert!((x - y).abs() < 1e-12 * x.max(1e-300), "{ctx:?} {w}: {x} vs {y}");
        }
    }
}

const SMALL_ARPA: &str = "\\data\\
ngram 1=4
ngram 2=2

\\1-grams:
-0.5\t<s>\t-0.3
-0.6\ta\t-0.2
-0.7\tb
-0.8\t</s>

\\2-grams:
-0.1\t<s> a
-0.2\ta b

\\end\\
";

#[test]
fn arpa_backoff_arithmetic() {
    let m = NgramModel::from_arpa(SMALL_ARPA, "small.arpa", Level::Word).unwrap();
    let ln10 = std::f64::consts::LN_10;
    // Listed bigram.
    close(m.log_prob(&[BOS], m.token_id("a")).unwrap(), -0.1 * ln10, "p(a|<s>)");
    // Unlisted bigram: bow(<s>) + p(b).
    close(m.log_prob(&[BOS], m.token_id("b")).unwrap(), (-0.3 - 0.7) * ln10, "p(b|<s>)");
    // <unk> was missing: −100 as KenLM substitutes.
    close(m.log_prob(&[], UNK).unwrap(), -100.0 * ln10, "p(<unk>)");
    // A context without a backoff weight backs off for free.
    close(m.log_prob(&[m.token_id("b")], m.token_id("a")).unwrap(), -0.6 * ln10, "p(a|b)");
}

#[test]
fn arpa_missing_prefixes_become_context_only_nodes() {
    let text = "\\data\\\nngram 1=3\nngram 2=1\nngram 3=1\n\n\\1-grams:\n-1\t<s>\t-0.5\n-0.5\ta\t-0.25\n-0.5\t</s>\n\n\\2-grams:\n-0.3\ta a\n\n\\3-grams:\n-0.1\t<s> a a\n\n\\end\\\n";
    let m = NgramModel::from_arpa(text, "t.arpa", Level::Word).unwrap();
    let a = m.token_id("a");
    let ln10 = std::f64::consts::LN_10;
    // The trigram is reachable through the context-only bigram "<s> a".
    close(m.log_prob(&[BOS, a], a).unwrap(), -0.1 * ln10, "p(a|<s> a)");
    // p(a | <s>): "<s> a" has no probability of its own → bow(<s>) + p(a).
    close(m.log_prob(&[BOS], a).unwrap(), (-0.5 - 0.5) * ln10, "p(a|<s>)");
    // Written back without the context-only node.
    assert!(m.to_arpa().contains("ngram 2=1"));
}

#[test]
fn arpa_errors_name_the_line() {
    let cases: [(&str, &str); 7] = [
        ("hello\n", "line 1: no '\\data\\' header"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-x\t</s>\n\n\\end\\\n", "line 6: expected a probability"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-1\t</s>\n\\end\\\n", ""),
        ("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\t</s>\n\n\\end\\\n", "declares 3 1-grams, the section has 2"),
        ("\\data\\\nngram 1=2\nngram 2=1\n\n\\1-grams:\n-1\ta\n-1\t</s>\n\n\\2-grams:\n-1\ta b\n\n\\end\\\n", "line 10: 'b' is not among the 1-grams"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n-1\t</s>\n", "missing '\\end\\'"),
        ("\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n1.5\t</s>\n\n\\end\\\n", "line 6: a log10 probability must be ≤ 0"),
    ];
    for (text, want) in cases {
        let r = NgramModel::from_arpa(text, "bad.arpa", Level::Word);
        if want.is_empty() {
            assert!(r.is_ok(), "{text}: {r:?}");
            continue;
        }
        let e = r.expect_err(text).to_string();
        assert!(e.starts_with("bad.arpa: ") && e.contains(want), "{e} (wanted {want})");
    }
    let dup = "\\data\\\nngram 1=3\n\n\\1-grams:\n-1\ta\n-1\t</s>\n-1\ta\n\n\\end\\\n";
    let e = NgramModel::from_arpa(dup, "d.arpa", Level::Word).unwrap_err().to_string();
    assert!(e.contains("line 7") && e.contains("listed twice (first on line 5)"), "{e}");
    let no_eos = "\\data\\\nngram 1=1\n\n\\1-grams:\n-1\ta\n\n\\end\\\n";
    assert!(NgramModel::from_arpa(no_eos, "e.arpa", Level::Word).unwrap_err().to_string().contains("no '</s>'"));
    let bad_char = "\\data\\\nngram 1=2\n\n\\1-grams:\n-1\tab\n-1\t</s>\n\n\\end\\\n";
    assert!(NgramModel::from_arpa(bad_char, "c.arpa", Level::Char).unwrap_err().to_string().contains("line 5: 'ab' is not a token of a character model"));
}

#[test]
fn training_errors_name_the_argument() {
    let e = |o: TrainOptions, s: &[&str]| NgramModel::train(s, &o).unwrap_err().to_string();
    assert!(e(TrainOptions { order: 0, ..Default::default() }, &["a"]).starts_with("order: expected an integer in 1..=16, got 0"));
    assert!(e(TrainOptions { min_count: 0, ..Default::default() }, &["a"]).starts_with("minCount:"));
    assert!(e(TrainOptions::default(), &[]).starts_with("sentences: expected at least one sentence"));
    assert!(e(TrainOptions::default(), &["a", "b </s> c"]).starts_with("sentences[1]: contains the reserved token '</s>'"));
    assert!(Smoothing::parse("good-turing").unwrap_err().to_string().starts_with("smoothing: expected 'kneser-ney' or 'witten-bell'"));
    assert!(Level::parse("byte").unwrap_err().to_string().starts_with("level:"));
}

#[test]
fn word_prefix_queries() {
    let m = train(&["cat cab dog"], 1, Smoothing::WittenBell, Level::Word);
    assert!(m.is_token_prefix("ca") && m.is_token_prefix("cab") && m.is_token_prefix("d"));
    assert!(!m.is_token_prefix("cx") && !m.is_token_prefix("dogs") && !m.is_token_prefix("<s"));
}
