//! Sampling tables of word2vec, shared by every training path: the C tool's linear congruential
//! generator, frequent-word subsampling (the C tool's keep test, bit for bit), the noise
//! distribution for negative sampling (an alias table over count^0.75, O(1) per draw instead of
//! the C tool's 400 MB unigram table) and the Huffman tree of hierarchical softmax (built exactly
//! as the C tool's `CreateBinaryTree`).

use super::vocab::Vocab;
use crate::error::{Error, Result};

/// The C tool's generator: `next = next · 25214903917 + 11` (wrapping, 64 bits). Its low bits are
/// weak (bit k has period 2^(k+1)); the C tool uses the low 16 bits for subsampling and
/// `(next >> 16)` for noise sampling, and so do our tables (see [`Subsampler::keep`] and
/// [`NoiseSampler::sample`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lcg(pub u64);

impl Lcg {
    /// Multiplier of the C tool's generator.
    pub const MULTIPLIER: u64 = 25_214_903_917;
    /// Increment of the C tool's generator.
    pub const INCREMENT: u64 = 11;

    /// A generator whose state is `seed` (the C tool seeds thread `i` with `i`).
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    /// Advances the state and returns it (the C tool's `next_random` after the update).
    #[inline]
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(Self::MULTIPLIER).wrapping_add(Self::INCREMENT);
        self.0
    }
}

/// The C tool's subsampling keep probability of a word seen `count` times among `train_words`:
/// `(sqrt(count / (sample·T)) + 1) · (sample·T) / count`, computed in f64. Values above 1 mean
/// "always keep"; `count == 0` gives +inf. [`Subsampler`] reproduces the C tool's f32 rounding of
/// this value exactly; this function is the exact-arithmetic reference.
pub fn keep_probability(count: u64, sample: f64, train_words: u64) -> f64 {
    let st = sample * train_words as f64;
    ((count as f64 / st).sqrt() + 1.0) * st / count as f64
}

/// Frequent-word subsampling as the C tool does it: a word is kept iff
/// `ran >= (next_random & 0xFFFF) / 65536` with `ran` its keep probability rounded as the C tool
/// rounds it (f32 `sample`, f32 `sample · train_words`, f64 square root, result stored in f32).
/// Each word gets a precomputed integer threshold so that [`keep`](Self::keep) is one integer
/// compare giving bit-for-bit the C tool's decision.
#[derive(Clone, Debug)]
pub struct Subsampler {
    /// Per word: number of 16-bit values `u` for which the word is kept (0..=65536); keep iff `u < threshold`.
    thresholds: Vec<u32>,
    identity: bool,
}

impl Subsampler {
    /// Thresholds for every word of `vocab`. `sample <= 0` (or NaN) disables subsampling, as in the
    /// C tool (`if (sample > 0)`): every word is kept and [`is_identity`](Self::is_identity) is true.
    pub fn new(vocab: &Vocab, sample: f64) -> Self {
        Self::from_counts(vocab.counts(), sample, vocab.train_words())
    }

    /// Thresholds from raw counts (`counts[id]`) and the corpus size `train_words`.
    pub fn from_counts(counts: &[u64], sample: f64, train_words: u64) -> Self {
        let identity = sample.is_nan() || sample <= 0.0;
        let thresholds = if identity {
            vec![65_536; counts.len()]
        } else {
            let sample = sample as f32;
            counts.iter().map(|&c| c_threshold(c, sample, train_words)).collect()
        };
        Subsampler { thresholds, identity }
    }

    /// Whether word `word` is kept for the random value `r` (the generator's state after one
    /// [`Lcg::next`]; only its low 16 bits are used, as in the C tool).
    #[inline]
    pub fn keep(&self, word: u32, r: u64) -> bool {
        ((r & 0xFFFF) as u32) < self.thresholds[word as usize]
    }

    /// True when subsampling is disabled (`sample <= 0`): every word is kept and callers may
    /// skip drawing random numbers for it (the C tool draws none then either).
    pub fn is_identity(&self) -> bool {
        self.identity
    }

    /// The integer threshold of `word` (0..=65536): it is kept iff `(r & 0xFFFF) < threshold`.
    pub fn threshold(&self, word: u32) -> u32 {
        self.thresholds[word as usize]
    }
}

/// The C tool's `ran` in its own precision (see [`Subsampler`]).
fn c_ran(count: u64, sample: f32, train_words: u64) -> f32 {
    let st = sample * train_words as f32; // float * long long → float
    let ratio = count as f32 / st; // long long / float → float
    (((ratio as f64).sqrt() + 1.0) * st as f64 / count as f64) as f32 // double, stored in a float
}

/// Number of `u` in 0..65536 with `u / 65536 <= ran` (the C tool keeps unless `ran < u / 65536`;
/// `u / 65536` and `ran · 65536` are exact in f32).
fn c_threshold(count: u64, sample: f32, train_words: u64) -> u32 {
    let ran = c_ran(count, sample, train_words);
    if ran.is_nan() || ran >= 1.0 {
        65_536 // NaN: the C compare `ran < x` is false, so the word is kept
    } else if ran < 0.0 {
        0
    } else {
        (ran * 65_536.0).floor() as u32 + 1
    }
}

/// One column of the alias table: the column's own word is drawn iff `coin < threshold`, else `alias`.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(8))]
struct AliasEntry {
    threshold: u32,
    alias: u32,
}

/// The noise distribution of negative sampling: `P(id) = count[id]^power / Σ count^power` over
/// ids 1.. (id 0, `</s>`, is never drawn; the C tool's table includes it but redraws it
/// uniformly). Walker/Vose alias table built in exact integer arithmetic: column `j` (word `j+1`)
/// holds a 32-bit threshold and an alias, so a draw is one multiply, one load and one compare.
#[derive(Clone, Debug)]
pub struct NoiseSampler {
    table: Vec<AliasEntry>,
    probabilities: Vec<f64>,
}

impl NoiseSampler {
    /// Table over `counts[1..]` raised to `power` (0.75 in word2vec). Errors when there is no
    /// word besides id 0, when every weight is 0, or when `power` is not finite.
    pub fn new(counts: &[u64], power: f64) -> Result<Self> {
        if !power.is_finite() {
            return Err(Error::invalid("power", format!("expected a finite exponent, got {power}")));
        }
        let n = counts.len().saturating_sub(1);
        if n == 0 {
            return Err(Error::invalid("counts", "the noise distribution needs at least one word besides </s> (id 0)"));
        }
        if n as u64 >= 1 << 32 {
            return Err(Error::invalid("counts", format!("at most 2^32 - 1 words, got {n}")));
        }
        let weights: Vec<f64> = counts[1..].iter().map(|&c| if c == 0 { 0.0 } else { (c as f64).powf(power) }).collect();
        let total: f64 = weights.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::invalid("counts", "every word besides </s> has count 0; nothing to sample"));
        }
        let mut probabilities = Vec::with_capacity(n + 1);
        probabilities.push(0.0);
        probabilities.extend(weights.iter().map(|w| w / total));

        // Integer masses summing to exactly n · 2^32: column capacity is 2^32.
        const CAP: u64 = 1 << 32;
        let target = n as u64 * CAP;
        let scale = target as f64 / total;
        // Largest-remainder rounding: every mass is the floor or the ceiling of its exact value.
        let exact: Vec<f64> = weights.iter().map(|&w| w * scale).collect();
        let mut mass: Vec<u64> = exact.iter().map(|&x| x.floor() as u64).collect();
        let sum: u64 = mass.iter().sum();
        let mut by_remainder: Vec<usize> = (0..n).collect();
        by_remainder.sort_unstable_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
        if sum <= target {
            for k in 0..(target - sum) as usize {
                mass[by_remainder[k % n]] += 1;
            }
        } else {
            // Only from f64 rounding in `total` (a few units): take them from the largest mass.
            let (largest, _) = mass.iter().enumerate().max_by_key(|&(_, &m)| m).expect("n > 0");
            mass[largest] -= sum - target;
        }

        // Vose: pair each under-full column with an over-full one.
        let mut table = vec![AliasEntry::default(); n];
        let mut small = Vec::new();
        let mut large = Vec::new();
        for (j, &m) in mass.iter().enumerate() {
            if m < CAP {
                small.push(j);
            } else {
                large.push(j);
            }
        }
        while let Some(s) = small.pop() {
            let Some(&l) = large.last() else { break };
            table[s] = AliasEntry { threshold: mass[s] as u32, alias: l as u32 + 1 };
            mass[l] -= CAP - mass[s];
            if mass[l] < CAP {
                large.pop();
                small.push(l);
            }
        }
        // What is left is exactly full (integer arithmetic): the column always yields its own word.
        for j in large.into_iter().chain(small) {
            table[j] = AliasEntry { threshold: u32::MAX, alias: j as u32 + 1 };
        }
        Ok(NoiseSampler { table, probabilities })
    }

    /// A word id (never 0) drawn from the noise distribution with one 64-bit random value: the
    /// high 32 bits pick the column (multiply-shift, no division), the low 32 bits are the coin.
    #[inline]
    pub fn sample(&self, r: u64) -> u32 {
        let column = (((r >> 32) * self.table.len() as u64) >> 32) as usize;
        // SAFETY-free bound: column < len because (r >> 32) < 2^32.
        let e = self.table[column];
        let own = column as u32 + 1;
        if (r as u32) < e.threshold {
            own
        } else {
            e.alias
        }
    }

    /// The exact target probability of drawing `id` (0 for id 0 and out-of-range ids).
    pub fn probability(&self, id: u32) -> f64 {
        self.probabilities.get(id as usize).copied().unwrap_or(0.0)
    }

    /// The probability the table actually realises for every id (index = id), reconstructed
    /// from thresholds and aliases; equals [`probability`](Self::probability) up to the
    /// rounding of each word's mass to a multiple of 2^-32 / n.
    pub fn table_probabilities(&self) -> Vec<f64> {
        let n = self.table.len();
        let mut p = vec![0.0f64; n + 1];
        let col = 1.0 / n as f64;
        let cap = (1u64 << 32) as f64;
        for (j, e) in self.table.iter().enumerate() {
            let own = if e.alias as usize == j + 1 { 1.0 } else { e.threshold as f64 / cap };
            p[j + 1] += own * col;
            if e.alias as usize != j + 1 {
                p[e.alias as usize] += (1.0 - own) * col;
            }
        }
        p
    }

    /// Number of words that can be drawn (vocabulary size − 1).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Never true for a constructed table (kept for the `len`/`is_empty` convention).
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// The Huffman tree of hierarchical softmax, built exactly as the C tool's `CreateBinaryTree`
/// (same two-queue merge, same tie rule, so the same codes and points for the same counts).
/// For word `id`, `code(id)[d]` is the bit (0/1) at depth `d` and `points(id)[d]` the inner
/// node (a row of `syn1`, in `0..inner_nodes()`) whose output predicts it; `points(id)[0]` is the
/// root, `V − 2`.
#[derive(Clone, Debug)]
pub struct HuffmanTree {
    codes: Vec<u8>,
    points: Vec<u32>,
    offsets: Vec<usize>,
    inner: usize,
}

impl HuffmanTree {
    /// Tree over `counts` (index = word id). The C tool expects counts sorted in decreasing order
    /// after id 0, as a [`Vocab`] is; other orders give a valid but not optimal tree, as in C.
    /// One word gives an empty tree (no inner node, empty codes).
    pub fn new(counts: &[u64]) -> Self {
        let v = counts.len();
        if v < 2 {
            return HuffmanTree { codes: Vec::new(), points: Vec::new(), offsets: vec![0; v + 1], inner: 0 };
        }
        let mut count = vec![u64::MAX; 2 * v]; // C's 1e15 sentinel for nodes not created yet
        count[..v].copy_from_slice(counts);
        let mut binary = vec![0u8; 2 * v];
        let mut parent = vec![0usize; 2 * v];
        let mut pos1 = v as isize - 1;
        let mut pos2 = v;
        fn pick(count: &[u64], pos1: &mut isize, pos2: &mut usize) -> usize {
            if *pos1 >= 0 && count[*pos1 as usize] < count[*pos2] {
                *pos1 -= 1;
                (*pos1 + 1) as usize
            } else {
                *pos2 += 1;
                *pos2 - 1
            }
        }
        for a in 0..v - 1 {
            let min1 = pick(&count, &mut pos1, &mut pos2);
            let min2 = pick(&count, &mut pos1, &mut pos2);
            count[v + a] = count[min1].saturating_add(count[min2]);
            parent[min1] = v + a;
            parent[min2] = v + a;
            binary[min2] = 1;
        }
        let root = 2 * v - 2;
        let mut codes = Vec::new();
        let mut points = Vec::new();
        let mut offsets = Vec::with_capacity(v + 1);
        offsets.push(0);
        let mut path_codes = Vec::new();
        let mut path_nodes = Vec::new();
        for a in 0..v {
            path_codes.clear();
            path_nodes.clear();
            let mut b = a;
            while b != root {
                path_codes.push(binary[b]);
                path_nodes.push(b);
                b = parent[b];
            }
            // Root first: code bits from the top down; points are the inner nodes above each bit.
            codes.extend(path_codes.iter().rev());
            points.push((v - 2) as u32);
            points.extend(path_nodes[1..].iter().rev().map(|&n| (n - v) as u32));
            offsets.push(codes.len());
        }
        HuffmanTree { codes, points, offsets, inner: v - 1 }
    }

    /// The code of word `id` (bits 0/1 from the root down).
    pub fn code(&self, id: u32) -> &[u8] {
        &self.codes[self.offsets[id as usize]..self.offsets[id as usize + 1]]
    }

    /// The inner nodes (rows of `syn1`) on the path of word `id`, root first; same length as its code.
    pub fn points(&self, id: u32) -> &[u32] {
        &self.points[self.offsets[id as usize]..self.offsets[id as usize + 1]]
    }

    /// Number of inner nodes (`V − 1`): the rows `syn1` needs.
    pub fn inner_nodes(&self) -> usize {
        self.inner
    }

    /// Longest code length.
    pub fn max_code_len(&self) -> usize {
        self.offsets.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcg_matches_the_c_recurrence() {
        // next = next * 25214903917 + 11 (mod 2^64), from 1 (the C tool's InitNet seed):
        // 1 * 25214903917 + 11 = 25214903928
        // 25214903928 * 25214903917 + 11 = 635791379820905885987, mod 2^64 = 635791379820905885987 - 34 * 2^64
        //   = 635791379820905885987 - 627189298506124754944 = 8602081314781131043
        let mut g = Lcg::new(1);
        assert_eq!(g.next(), 25_214_903_928);
        assert_eq!(g.next(), 8_602_081_314_781_131_043);
        assert_eq!(g.0, 8_602_081_314_781_131_043);
        let mut z = Lcg::new(0);
        assert_eq!(z.next(), 11);
        assert_eq!(z.next(), 11 * 25_214_903_917 + 11);
    }

    #[test]
    fn keep_probability_hand_values() {
        // sample 1e-3, T = 100 000 → s·T = 100.
        // count 1000: (sqrt(10) + 1) · 100 / 1000 = 4.16227766… / 10 = 0.416227766…
        assert!((keep_probability(1000, 1e-3, 100_000) - 0.416_227_766_016_837_9).abs() < 1e-15);
        // count 100: (1 + 1) · 100 / 100 = 2 (always kept)
        assert!((keep_probability(100, 1e-3, 100_000) - 2.0).abs() < 1e-15);
        // count 10 000: (sqrt(100) + 1) · 100 / 10 000 = 0.11
        assert!((keep_probability(10_000, 1e-3, 100_000) - 0.11).abs() < 1e-15);
        assert_eq!(keep_probability(0, 1e-3, 100_000), f64::INFINITY);
    }

    #[test]
    fn subsampler_thresholds_hand_values() {
        // ran(1000) = 0.41622776… → f32 0.41622776; · 65536 = 27277.90… → keep u in 0..=27277 → 27278.
        // ran(10000) = 0.11 → f32 0.11000000 (0.10999999940395355) · 65536 = 7208.96 → 7209.
        // ran(100) = 2 → always (65536). </s> with count 0 → inf → always.
        let s = Subsampler::from_counts(&[0, 10_000, 1000, 100], 1e-3, 100_000);
        assert!(!s.is_identity());
        assert_eq!(s.threshold(0), 65_536);
        assert_eq!(s.threshold(1), 7209);
        assert_eq!(s.threshold(2), 27_278);
        assert_eq!(s.threshold(3), 65_536);
        assert!(s.keep(2, 27_277) && !s.keep(2, 27_278));
        // Only the low 16 bits count.
        assert!(s.keep(2, (123 << 16) | 27_277) && !s.keep(2, (123 << 16) | 27_278));
        let off = Subsampler::from_counts(&[0, 10_000], 0.0, 100_000);
        assert!(off.is_identity() && off.keep(1, 0xFFFF));
    }

    #[test]
    fn subsampler_is_the_c_float_compare_bit_for_bit() {
        // The C tool: keep unless `ran < (next_random & 0xFFFF) / (real)65536` with ran in f32.
        let train_words = 17_005_207u64;
        for &sample in &[1e-3, 1e-4, 1e-5, 3.7e-4] {
            let counts: Vec<u64> = (0..200u64).map(|i| 1 + i * i * i * 37 + i * 1013).collect();
            let s = Subsampler::from_counts(&counts, sample, train_words);
            for (w, &c) in counts.iter().enumerate() {
                let ran = c_ran(c, sample as f32, train_words);
                for u in 0..65_536u64 {
                    let c_drops = ran < u as f32 / 65_536.0;
                    assert_eq!(s.keep(w as u32, u), !c_drops, "count {c} sample {sample} u {u}");
                }
            }
        }
    }

    #[test]
    fn alias_table_realises_the_unigram_power_distribution() {
        let counts = [7u64, 100, 50, 50, 10, 3, 1, 0, 1];
        let ns = NoiseSampler::new(&counts, 0.75).unwrap();
        let total: f64 = counts[1..].iter().map(|&c| (c as f64).powf(0.75)).sum();
        let realised = ns.table_probabilities();
        assert_eq!(realised[0], 0.0);
        assert_eq!(ns.probability(0), 0.0);
        for id in 1..counts.len() {
            let want = (counts[id] as f64).powf(0.75) / total;
            assert!((ns.probability(id as u32) - want).abs() < 1e-15);
            // Masses are rounded to multiples of 1/(n·2^32) (n = 8 columns): |error| < 1/(n·2^32).
            assert!((realised[id] - want).abs() <= 1.0 / (8.0 * 4_294_967_296.0), "id {id}: {} vs {want}", realised[id]);
        }
        assert_eq!(realised[7], 0.0, "a count-0 word is never drawn");
        // Equal counts (ids 2 and 3) get equal probability.
        assert_eq!(ns.probability(2), ns.probability(3));
    }

    #[test]
    fn alias_table_empirical_frequencies() {
        let counts = [0u64, 1000, 400, 100, 30, 5];
        let ns = NoiseSampler::new(&counts, 0.75).unwrap();
        let mut hist = [0u64; 6];
        let mut g = Lcg::new(12_345);
        let draws = 1_000_000u64;
        for _ in 0..draws {
            hist[ns.sample(g.next()) as usize] += 1;
        }
        assert_eq!(hist[0], 0);
        for (id, &h) in hist.iter().enumerate().skip(1) {
            let p = ns.probability(id as u32);
            let sd = (p * (1.0 - p) / draws as f64).sqrt();
            let f = h as f64 / draws as f64;
            assert!((f - p).abs() < 5.0 * sd, "id {id}: frequency {f} vs probability {p}");
        }
    }

    #[test]
    fn noise_sampler_errors() {
        assert!(NoiseSampler::new(&[5], 0.75).is_err());
        assert!(NoiseSampler::new(&[5, 0, 0], 0.75).is_err());
        assert!(NoiseSampler::new(&[5, 1], f64::NAN).is_err());
        let one = NoiseSampler::new(&[0, 9], 0.75).unwrap();
        assert_eq!(one.sample(u64::MAX), 1);
        assert_eq!(one.sample(0), 1);
    }

    #[test]
    fn huffman_codes_match_a_hand_built_c_tree() {
        // counts [10, 8, 5, 3, 2, 1], V = 6; nodes 6.. are inner (row = node − 6).
        // C's merge (two queues, ties go to the inner-node queue):
        //   node 6  = 5(1) + 4(2)   = 3   binary[4] = 1
        //   node 7  = 6(3) + 3(3)   = 6   (tie 3 vs 3: inner node first) binary[3] = 1
        //   node 8  = 2(5) + 7(6)   = 11  binary[7] = 1
        //   node 9  = 1(8) + 0(10)  = 18  binary[0] = 1
        //   node 10 = 8(11) + 9(18) = 29  binary[9] = 1   (root = 2V − 2)
        // Codes root-down and points (rows) root-first:
        //   0: 10→9→0        code 1 1      points 4 3
        //   1: 10→9→1        code 1 0      points 4 3
        //   2: 10→8→2        code 0 0      points 4 2
        //   3: 10→8→7→3      code 0 1 1    points 4 2 1
        //   4: 10→8→7→6→4    code 0 1 0 1  points 4 2 1 0
        //   5: 10→8→7→6→5    code 0 1 0 0  points 4 2 1 0
        let t = HuffmanTree::new(&[10, 8, 5, 3, 2, 1]);
        assert_eq!(t.inner_nodes(), 5);
        let want: [(&[u8], &[u32]); 6] = [
            (&[1, 1], &[4, 3]),
            (&[1, 0], &[4, 3]),
            (&[0, 0], &[4, 2]),
            (&[0, 1, 1], &[4, 2, 1]),
            (&[0, 1, 0, 1], &[4, 2, 1, 0]),
            (&[0, 1, 0, 0], &[4, 2, 1, 0]),
        ];
        for (id, (code, points)) in want.iter().enumerate() {
            assert_eq!(t.code(id as u32), *code, "code of {id}");
            assert_eq!(t.points(id as u32), *points, "points of {id}");
        }
        assert_eq!(t.max_code_len(), 4);
        // Weighted code length = 67 = the optimal Huffman cost (3 + 6 + 11 + 18 + 29).
        let cost: usize = [10, 8, 5, 3, 2, 1].iter().enumerate().map(|(i, &c)| c * t.code(i as u32).len()).sum();
        assert_eq!(cost, 67);
    }

    #[test]
    fn huffman_small_cases() {
        let t = HuffmanTree::new(&[4, 3]);
        assert_eq!(t.inner_nodes(), 1);
        // node 2 = 1(3) + 0(4): binary[0] = 1.
        assert_eq!((t.code(0), t.points(0)), (&[1u8][..], &[0u32][..]));
        assert_eq!((t.code(1), t.points(1)), (&[0u8][..], &[0u32][..]));
        let one = HuffmanTree::new(&[4]);
        assert_eq!((one.inner_nodes(), one.code(0).len()), (0, 0));
        // A larger tree is prefix-free and every point is a valid row.
        let counts: Vec<u64> = (0..500u64).map(|i| 1 + (500 - i) * (500 - i)).collect();
        let t = HuffmanTree::new(&counts);
        let mut seen = std::collections::HashSet::new();
        for id in 0..500u32 {
            assert!(t.points(id).iter().all(|&p| (p as usize) < t.inner_nodes()));
            assert_eq!(t.points(id)[0], 498);
            assert!(seen.insert(t.code(id).to_vec()));
        }
        for a in 0..500u32 {
            for b in 0..500u32 {
                if a != b {
                    assert!(!t.code(b).starts_with(t.code(a)), "{a} is a prefix of {b}");
                }
            }
        }
    }
}
