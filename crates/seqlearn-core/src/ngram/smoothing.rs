//! Probabilities of a counted trie: interpolated modified Kneser–Ney (Chen & Goodman 1998, three
//! discounts per order, KenLM's adjusted counts) and interpolated Witten–Bell. Both are written in
//! backoff form: a node's probability is the full interpolated `p(w | h)` and a context's backoff
//! weight is its interpolation weight `γ(h)`, so an n-gram absent after `h` gets
//! `γ(h) · p(w | h′)` — exactly what an ARPA reader computes.
//!
//! Kneser–Ney, for a context `h` and the adjusted count `a` of each n-gram `hw`:
//! `p(w|h) = (a(hw) − D(a(hw))) / Σ_v a(hv) + γ(h) p(w|h′)`,
//! `γ(h) = (D₁ N₁(h•) + D₂ N₂(h•) + D₃ N₃₊(h•)) / Σ_v a(hv)`, where `a` is the raw count at the
//! highest order and for n-grams starting with `<s>`, and the number of distinct left extensions
//! `N₁₊(•hw)` otherwise. The discounts of each order come from the counts-of-counts `n₁…n₄` of the
//! adjusted counts: `Y = n₁/(n₁+2n₂)`, `D₁ = 1−2Y n₂/n₁`, `D₂ = 2−3Y n₃/n₂`, `D₃ = 3−4Y n₄/n₃`; when
//! some `nⱼ` is 0 or a discount falls outside `[0, j]` (tiny corpora) the order uses KenLM's
//! `--discount_fallback` values 0.5, 1, 1.5.
//!
//! Witten–Bell, with raw counts `c` and `T(h)` distinct followers of `h`:
//! `p(w|h) = (c(hw) + T(h) p(w|h′)) / (Σ_v c(hv) + T(h))`, i.e. `γ(h) = T / (Σc + T)`.
//!
//! The unigram level interpolates with the uniform distribution over every token but `<s>`
//! (`<unk>` and `</s>` included), so every context's distribution sums to 1 over those tokens.

use super::trie::Trie;
use super::vocab::BOS;
use crate::error::{Error, Result};

/// The smoothing of a trained model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Smoothing {
    /// Interpolated modified Kneser–Ney (three discounts per order).
    KneserNey,
    /// Interpolated Witten–Bell.
    WittenBell,
}

impl Smoothing {
    /// Parses `'kneser-ney'` or `'witten-bell'`; the error names `smoothing`.
    pub fn parse(s: &str) -> Result<Smoothing> {
        match s {
            "kneser-ney" => Ok(Smoothing::KneserNey),
            "witten-bell" => Ok(Smoothing::WittenBell),
            _ => Err(Error::invalid("smoothing", format!("expected 'kneser-ney' or 'witten-bell', got '{s}'"))),
        }
    }

    /// `'kneser-ney'` or `'witten-bell'`.
    pub fn name(self) -> &'static str {
        match self {
            Smoothing::KneserNey => "kneser-ney",
            Smoothing::WittenBell => "witten-bell",
        }
    }
}

/// KenLM's `--discount_fallback` discounts.
pub const FALLBACK_DISCOUNTS: [f64; 3] = [0.5, 1.0, 1.5];

/// Modified Kneser–Ney discounts from the counts-of-counts `n[0..4]` = `n₁…n₄`, or the fallback.
pub fn kn_discounts(n: [u64; 4]) -> [f64; 3] {
    if n.contains(&0) {
        return FALLBACK_DISCOUNTS;
    }
    let [n1, n2, n3, n4] = n.map(|v| v as f64);
    let y = n1 / (n1 + 2.0 * n2);
    let d = [1.0 - 2.0 * y * n2 / n1, 2.0 - 3.0 * y * n3 / n2, 3.0 - 4.0 * y * n4 / n3];
    if d.iter().enumerate().any(|(j, &v)| !(0.0..=(j + 1) as f64).contains(&v)) {
        return FALLBACK_DISCOUNTS;
    }
    d
}

/// Fills `trie.prob` and `trie.bow` from the node counts; returns the discounts used per order
/// (Kneser–Ney; empty for Witten–Bell).
pub fn estimate(trie: &mut Trie, counts: &[u64], smoothing: Smoothing) -> Vec<[f64; 3]> {
    let n = trie.len();
    let order = trie.order;
    // The counts each level is estimated from.
    let adjusted: Vec<u64> = match smoothing {
        Smoothing::WittenBell => counts.to_vec(),
        Smoothing::KneserNey => {
            let mut starts_bos = vec![false; n];
            let mut cont = vec![0u64; n];
            for x in 1..n {
                starts_bos[x] = if trie.depth[x] == 1 { trie.word[x] == BOS } else { starts_bos[trie.parent[x] as usize] };
                if trie.depth[x] >= 2 {
                    cont[trie.suffix[x] as usize] += 1;
                }
            }
            (0..n).map(|x| if x == 0 || trie.depth[x] as usize == order || starts_bos[x] { counts[x] } else { cont[x] }).collect()
        }
    };
    let bos_node = (BOS + 1) as usize;
    let predictable = (trie.vocab_size - 1) as f64; // every token but <s>
    let mut discounts = Vec::new();
    for k in 1..=order {
        let (a, b) = (trie.level_start[k] as usize, trie.level_start[k + 1] as usize);
        let d = match smoothing {
            Smoothing::KneserNey => {
                let mut cc = [0u64; 4];
                for x in a..b {
                    if x != bos_node && (1..=4).contains(&adjusted[x]) {
                        cc[adjusted[x] as usize - 1] += 1;
                    }
                }
                let d = kn_discounts(cc);
                discounts.push(d);
                d
            }
            Smoothing::WittenBell => [0.0; 3],
        };
        // Contexts of this level: the nodes of depth k − 1.
        let (ca, cb) = (trie.level_start[k - 1] as usize, trie.level_start[k] as usize);
        for h in ca..cb {
            let (fa, fb) = (trie.first_child[h] as usize, trie.first_child[h + 1] as usize);
            if fa == fb {
                continue;
            }
            let mut total = 0u64;
            let mut nj = [0u64; 3];
            for (x, &c) in adjusted.iter().enumerate().take(fb).skip(fa) {
                if x == bos_node || c == 0 {
                    continue;
                }
                total += c;
                nj[(c.min(3) - 1) as usize] += 1;
            }
            let types = (nj[0] + nj[1] + nj[2]) as f64;
            let total_f = total as f64;
            let (denominator, gamma) = match smoothing {
                Smoothing::KneserNey => (total_f, (d[0] * nj[0] as f64 + d[1] * nj[1] as f64 + d[2] * nj[2] as f64) / total_f),
                Smoothing::WittenBell => (total_f + types, types / (total_f + types)),
            };
            if total == 0 {
                // Only unseen unigrams (an empty corpus cannot get here): uniform.
                for x in fa..fb {
                    trie.prob[x] = if x == bos_node { f64::NEG_INFINITY } else { -predictable.ln() };
                }
                continue;
            }
            trie.bow[h] = gamma.ln();
            for (x, &c) in adjusted.iter().enumerate().take(fb).skip(fa) {
                if x == bos_node {
                    trie.prob[x] = f64::NEG_INFINITY;
                    continue;
                }
                let lower = if k == 1 { 1.0 / predictable } else { trie.prob[trie.suffix[x] as usize].exp() };
                let own = match smoothing {
                    Smoothing::KneserNey if c > 0 => (c as f64 - d[(c.min(3) - 1) as usize]).max(0.0) / denominator,
                    Smoothing::KneserNey => 0.0,
                    Smoothing::WittenBell => c as f64 / denominator,
                };
                trie.prob[x] = (own + gamma * lower).ln();
            }
        }
    }
    discounts
}
