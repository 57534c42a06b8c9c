//! CTC prefix beam search (Hannun et al. 2014) in log space, with shallow fusion.
//!
//! Each hypothesis is a prefix ℓ with the log-probabilities of its alignments ending in a blank
//! (`p_b`) and in a label (`p_nb`). Per frame, for every selected class `c` with log-prob `y`:
//! blank: `p_b(ℓ) ⊕= (p_b ⊕ p_nb)(ℓ) + y`; `c = last(ℓ)`: `p_nb(ℓ) ⊕= p_nb(ℓ) + y` and
//! `p_nb(ℓc) ⊕= p_b(ℓ) + y`; otherwise `p_nb(ℓc) ⊕= (p_b ⊕ p_nb)(ℓ) + y`. Hypotheses are ranked by
//! `(p_b ⊕ p_nb)(ℓ) + fusion(ℓ)`, `fusion = α·ln p_lm + β·|completed words| + unk·|oov words| +
//! hotwords + partial-word term` (pyctcdecode's scheme: a word's LM score and β count when a
//! delimiter closes it; the last word and `</s>` at the end of the utterance).
//!
//! Pruning: per frame only classes with `y ≥ token_min_logp` (the frame's argmax always) and at
//! most `token_top_k` of them extend beams — the blank and repeats included, as in pyctcdecode;
//! hypotheses below `best + beam_prune_logp` are dropped, then the best `beam_width` kept.
//!
//! Prefixes are nodes of a trie (parent pointer + class), so extending a hypothesis copies
//! nothing; each node stores what the fusion needs (LM state and score, word and hotword
//! progress), computed once when the node is created, the LM queries of one frame in one batch.
//!
//! Timestamps: a token's frame is the frame at which the extension into its prefix carried more
//! probability than the prefix already had — the first frame of the token along the dominant
//! path (on peaky emissions, greedy's frame). Timesteps of a hypothesis are made non-decreasing.
//!
//! With `beam_width = 1` and no pruning the search keeps the single most probable prefix at each
//! frame: close to, but not always equal to, greedy decoding (which follows the single most
//! probable path instead of the most probable prefix).

use rayon::prelude::*;

use super::super::ngram::hash::{edge, FastMap};
use super::super::ngram::NgramModel;
use super::hotwords::{Hotwords, NONE};
use super::lm::{CtcLm, LmLevel, LmQuery, LmScore, LmUnit, NgramScorer, WordTrie};
use super::{Emissions, Hypothesis};
use crate::error::{Error, Result};
use crate::parallel;

/// Options of the beam search (defaults are pyctcdecode's where it has the knob).
#[derive(Clone, Copy, Debug)]
pub struct BeamSearchOptions {
    /// Hypotheses kept per frame (≥ 1; default 100).
    pub beam_width: usize,
    /// Hypotheses returned per item (1..=beam_width; default 1).
    pub n_best: usize,
    /// At most this many classes extend beams per frame (0 = all; default 0).
    pub token_top_k: usize,
    /// Classes below this log-prob are skipped unless they are the frame's argmax (default −5;
    /// `−∞` = off).
    pub token_min_logp: f32,
    /// Hypotheses scoring below `best + beam_prune_logp` are dropped (≤ 0; default −10; `−∞` = off).
    pub beam_prune_logp: f32,
    /// LM weight α (default 0.5).
    pub alpha: f32,
    /// Word insertion bonus β (default 0).
    pub beta: f32,
    /// Added per word outside the LM's vocabulary, and to partial words that start no known word
    /// (× len/6 when longer than 6 tokens) — word-level n-gram LMs only (default −10).
    pub unk_score: f32,
    /// The class that separates words (`None`: every token is a word).
    pub word_delimiter: Option<usize>,
}

impl Default for BeamSearchOptions {
    fn default() -> Self {
        BeamSearchOptions { beam_width: 100, n_best: 1, token_top_k: 0, token_min_logp: -5.0, beam_prune_logp: -10.0, alpha: 0.5, beta: 0.0, unk_score: -10.0, word_delimiter: None }
    }
}

impl BeamSearchOptions {
    /// Checks the options against `classes` and `blank`; errors name the option.
    pub fn validate(&self, classes: usize, blank: usize) -> Result<()> {
        if self.beam_width == 0 {
            return Err(Error::invalid("beamWidth", "expected an integer ≥ 1, got 0"));
        }
        if self.n_best == 0 || self.n_best > self.beam_width {
            return Err(Error::invalid("nBest", format!("expected an integer in 1..={} (beamWidth), got {}", self.beam_width, self.n_best)));
        }
        if self.token_top_k > classes {
            return Err(Error::invalid("tokenTopK", format!("expected an integer in 0..={classes} (0 = all classes), got {}", self.token_top_k)));
        }
        if self.token_min_logp.is_nan() || self.token_min_logp == f32::INFINITY {
            return Err(Error::invalid("tokenMinLogp", format!("expected a number < +∞ (−∞ = off), got {}", self.token_min_logp)));
        }
        if self.beam_prune_logp.is_nan() || self.beam_prune_logp > 0.0 {
            return Err(Error::invalid("beamPruneLogp", format!("expected a number ≤ 0 (−∞ = off), got {}", self.beam_prune_logp)));
        }
        for (name, v) in [("alpha", self.alpha), ("beta", self.beta), ("unkScore", self.unk_score)] {
            if !v.is_finite() {
                return Err(Error::invalid(name, format!("expected a finite number, got {v}")));
            }
        }
        if let Some(d) = self.word_delimiter {
            if d >= classes || d == blank {
                return Err(Error::invalid("wordDelimiter", format!("expected a class in 0..{classes} other than the blank ({blank}), got {d}")));
            }
        }
        Ok(())
    }
}

const NO_TOKEN: u32 = u32::MAX;

/// `ln(eᵃ + eᵇ)`, exact at `−∞`.
#[inline(always)]
fn lae(a: f32, b: f32) -> f32 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f32::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// A hypothesis of the beam.
#[derive(Clone, Copy)]
struct Entry {
    node: u32,
    pb: f32,
    pnb: f32,
}

/// A hypothesis of the next frame, being accumulated.
#[derive(Clone, Copy)]
struct Cand {
    node: u32,
    pb: f32,
    pnb_rep: f32,
    pnb_ext: f32,
    score: f32,
}

/// A prefix: one node of the trie, with the bookkeeping of its fusion term.
#[derive(Clone, Copy)]
struct Node {
    parent: u32,
    token: u32,
    /// Timestamp of `token`.
    frame: u32,
    /// The fusion term (see the module doc), partial-word term included.
    fusion: f32,
    /// The partial-word term alone (hotword credit or unknown-prefix penalty).
    partial: f32,
    lm_state: u32,
    lm_logp: f32,
    /// The open (partial) word: a [`WordTrie`] node with a word-level LM, else 1 (0 = none).
    word: u32,
    /// Completed words.
    words: u32,
    /// Completed words outside the LM vocabulary.
    oov: u32,
    /// Hotword trie node of the open word ([`NONE`]: it starts no hotword).
    hw: u32,
    /// Completed hotwords.
    hw_count: u32,
    /// Frame stamp and slot of the node's candidate this frame.
    stamp: u32,
    slot: u32,
}

/// The per-utterance fusion context.
struct Fusion<'a, 'l> {
    lm: Option<&'l mut (dyn CtcLm + 'a)>,
    level: Option<LmLevel>,
    hot: Option<&'l Hotwords>,
    o: BeamSearchOptions,
    /// Upper bound of `fusion(child) − fusion(parent) + min(0, partial(parent))` (`None`: no
    /// bound, e.g. with α < 0), used to skip extensions that cannot survive the frame.
    gain: Option<f32>,
}

/// Reusable buffers of the search (one per thread).
#[derive(Default)]
pub struct Decoder {
    nodes: Vec<Node>,
    children: FastMap<u64, u32>,
    word_trie: WordTrie,
    // Per frame.
    beam: Vec<Entry>,
    cands: Vec<Cand>,
    toks: Vec<(u32, f32)>,
    lower: Vec<f32>,
    fresh: Vec<u32>,
    now: u32,
    // Batched LM queries.
    cache: FastMap<u64, LmScore>,
    in_flight: FastMap<u64, u32>,
    queries: Vec<LmQuery>,
    pending: Vec<(u32, u32)>,
    answers: Vec<LmScore>,
    logp: Vec<f32>,
}

impl Decoder {
    /// Empty buffers.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    fn reset(&mut self) {
        self.nodes.clear();
        self.children.clear();
        self.word_trie.clear();
        self.beam.clear();
        self.cands.clear();
        self.cache.clear();
        self.in_flight.clear();
        self.queries.clear();
        self.pending.clear();
        self.now = 0;
    }

    /// Asks `unit` after `state` for node `x` (answered now from the cache, or at the end of the
    /// frame with the batch).
    fn ask(&mut self, x: u32, state: u32, unit: LmUnit) {
        let key = edge(state, unit.code());
        if let Some(&a) = self.cache.get(&key) {
            self.apply(x, a);
            return;
        }
        let q = match self.in_flight.get(&key) {
            Some(&q) => q,
            None => {
                let q = self.queries.len() as u32;
                self.queries.push(LmQuery { state, unit });
                self.in_flight.insert(key, q);
                q
            }
        };
        self.pending.push((x, q));
    }

    #[inline]
    fn apply(&mut self, x: u32, a: LmScore) {
        let n = &mut self.nodes[x as usize];
        n.lm_state = a.next;
        n.lm_logp += a.logp;
        n.oov += u32::from(a.oov);
    }

    /// Sends the frame's queries to the LM and applies the answers.
    fn flush(&mut self, f: &mut Fusion<'_, '_>) -> Result<()> {
        if self.queries.is_empty() {
            return Ok(());
        }
        let lm = f.lm.as_deref_mut().expect("queries exist only with an LM");
        lm.score(&self.word_trie, &self.queries, &mut self.answers)?;
        if self.answers.len() != self.queries.len() {
            return Err(Error::State(format!("lm: {} queries got {} answers", self.queries.len(), self.answers.len())));
        }
        for (q, a) in self.queries.iter().zip(&self.answers) {
            self.cache.insert(edge(q.state, q.unit.code()), *a);
        }
        for k in 0..self.pending.len() {
            let (x, q) = self.pending[k];
            let a = self.answers[q as usize];
            self.apply(x, a);
        }
        self.pending.clear();
        self.queries.clear();
        self.in_flight.clear();
        Ok(())
    }

    /// The fusion term of node `n` (after its LM answer) and its partial-word part.
    fn fusion_of(&self, n: &Node, f: &mut Fusion<'_, '_>) -> (f32, f32) {
        let o = &f.o;
        let mut s = o.alpha * n.lm_logp + o.beta * n.words as f32 + o.unk_score * n.oov as f32;
        if let Some(h) = f.hot {
            s += h.weight() * n.hw_count as f32;
        }
        let mut partial = 0.0;
        if n.word != 0 {
            if n.hw != NONE && n.hw != 0 {
                partial = f.hot.map_or(0.0, |h| h.partial(n.hw));
            } else if f.level == Some(LmLevel::Word) {
                let lm = f.lm.as_deref_mut().expect("a word level implies an LM");
                if !lm.is_word_prefix(&self.word_trie, n.word) {
                    let len = self.word_trie.len_of(n.word) as f32;
                    partial = o.unk_score * if len > 6.0 { len / 6.0 } else { 1.0 };
                }
            }
        }
        (s + partial, partial)
    }

    /// The child of `p` by class `c` (not stored yet): word and hotword bookkeeping done, the LM
    /// query it needs (if any) returned, not applied.
    fn child_node(&mut self, p: u32, c: u32, t: u32, f: &Fusion<'_, '_>) -> (Node, Option<LmQuery>) {
        let pn = self.nodes[p as usize];
        let mut n = Node { parent: p, token: c, frame: t, fusion: 0.0, partial: 0.0, stamp: 0, slot: 0, ..pn };
        let hot = f.hot;
        let mut ask: Option<LmQuery> = None;
        match f.o.word_delimiter {
            Some(d) if c as usize == d => {
                if pn.word != 0 {
                    n.words += 1;
                    if hot.is_some_and(|h| h.is_complete(pn.hw)) {
                        n.hw_count += 1;
                    }
                    if f.level == Some(LmLevel::Word) {
                        ask = Some(LmQuery { state: pn.lm_state, unit: LmUnit::Word(pn.word) });
                    }
                }
                n.word = 0;
                n.hw = if hot.is_some() { 0 } else { NONE };
            }
            Some(_) => {
                // Only a word-level LM needs the spelling; otherwise 1 just marks an open word.
                n.word = if f.level == Some(LmLevel::Word) { self.word_trie.child(pn.word, c) } else { 1 };
                n.hw = hot.map_or(NONE, |h| h.child(pn.hw, c));
            }
            None => {
                n.words += 1;
                if let Some(h) = hot {
                    if h.is_complete(h.child(0, c)) {
                        n.hw_count += 1;
                    }
                }
                if f.level == Some(LmLevel::Word) {
                    ask = Some(LmQuery { state: pn.lm_state, unit: LmUnit::Word(self.word_trie.child(0, c)) });
                }
            }
        }
        if f.level == Some(LmLevel::Token) {
            ask = Some(LmQuery { state: pn.lm_state, unit: LmUnit::Token(c) });
        }
        (n, ask)
    }

    /// The LM answer to `q` if it is known now: from the cache, or asked at once when the LM
    /// answers immediately (in-process models; a JavaScript callback waits for the frame's batch).
    fn answer_now(&mut self, q: LmQuery, f: &mut Fusion<'_, '_>) -> Result<Option<LmScore>> {
        let key = edge(q.state, q.unit.code());
        if let Some(&a) = self.cache.get(&key) {
            return Ok(Some(a));
        }
        let lm = f.lm.as_deref_mut().expect("queries exist only with an LM");
        if !lm.answers_immediately() {
            return Ok(None);
        }
        lm.score(&self.word_trie, std::slice::from_ref(&q), &mut self.answers)?;
        let a = *self.answers.first().ok_or_else(|| Error::State("lm: a query got no answer".into()))?;
        self.cache.insert(key, a);
        Ok(Some(a))
    }

    /// Creates the child of `p` by class `c` unless it cannot reach `threshold` with `mass`;
    /// returns its node, or `None` when it was not worth creating.
    fn create_child(&mut self, p: u32, c: u32, t: u32, mass: f32, threshold: f32, f: &mut Fusion<'_, '_>) -> Result<Option<u32>> {
        let (mut n, ask) = self.child_node(p, c, t, f);
        let mut pending = None;
        if let Some(q) = ask {
            match self.answer_now(q, f)? {
                Some(a) => {
                    n.lm_state = a.next;
                    n.lm_logp += a.logp;
                    n.oov += u32::from(a.oov);
                }
                None => pending = Some(q),
            }
        }
        let x = self.nodes.len() as u32;
        if pending.is_none() {
            let (fusion, partial) = self.fusion_of(&n, f);
            if mass + fusion < threshold {
                return Ok(None);
            }
            n.fusion = fusion;
            n.partial = partial;
        }
        self.nodes.push(n);
        self.children.insert(edge(p, c), x);
        if let Some(q) = pending {
            self.ask(x, q.state, q.unit);
            self.fresh.push(x);
        }
        Ok(Some(x))
    }

    /// The candidate slot of node `x` this frame.
    #[inline]
    fn cand(&mut self, x: u32) -> usize {
        let now = self.now;
        let n = &mut self.nodes[x as usize];
        if n.stamp == now {
            return n.slot as usize;
        }
        n.stamp = now;
        let k = self.cands.len();
        n.slot = k as u32;
        self.cands.push(Cand { node: x, pb: f32::NEG_INFINITY, pnb_rep: f32::NEG_INFINITY, pnb_ext: f32::NEG_INFINITY, score: f32::NEG_INFINITY });
        k
    }

    /// Selects the classes that extend beams at one frame.
    fn select_tokens(&mut self, row: &[f32], o: &BeamSearchOptions) {
        self.toks.clear();
        let mut best = 0;
        for (c, &y) in row.iter().enumerate() {
            if y > row[best] {
                best = c;
            }
        }
        for (c, &y) in row.iter().enumerate() {
            if (y >= o.token_min_logp && y > f32::NEG_INFINITY) || c == best {
                self.toks.push((c as u32, y));
            }
        }
        if o.token_top_k > 0 && self.toks.len() > o.token_top_k {
            let k = o.token_top_k;
            self.toks.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            self.toks.truncate(k);
        }
    }

    /// Decodes one utterance of natural-log probabilities `logp` (`[frames, classes]`).
    pub fn decode(&mut self, logp: &[f32], classes: usize, blank: usize, o: &BeamSearchOptions, lm: Option<&mut dyn CtcLm>, hot: Option<&Hotwords>) -> Result<Vec<Hypothesis>> {
        self.reset();
        let level = lm.as_ref().map(|l| l.level());
        // A child's fusion exceeds its parent's (minus the parent's partial-word penalty) by at
        // most β, a positive unknown-word score and two hotword weights; α ≥ 0 keeps LM terms ≤ 0.
        let gain = (level.is_none() || o.alpha >= 0.0).then(|| o.beta.max(0.0) + o.unk_score.max(0.0) + hot.map_or(0.0, |h| 2.0 * h.weight().abs()));
        let mut f = Fusion { lm, level, hot, o: *o, gain };
        let frames = logp.len() / classes.max(1);
        let start = match f.lm.as_deref_mut() {
            Some(lm) => lm.start()?,
            None => 0,
        };
        self.nodes.push(Node {
            parent: 0,
            token: NO_TOKEN,
            frame: 0,
            fusion: 0.0,
            partial: 0.0,
            lm_state: start,
            lm_logp: 0.0,
            word: 0,
            words: 0,
            oov: 0,
            hw: if hot.is_some() { 0 } else { NONE },
            hw_count: 0,
            stamp: 0,
            slot: 0,
        });
        self.beam.push(Entry { node: 0, pb: 0.0, pnb: f32::NEG_INFINITY });
        let blank = blank as u32;
        for t in 0..frames {
            let row = &logp[t * classes..(t + 1) * classes];
            self.select_tokens(row, o);
            self.step(t as u32, blank, &mut f)?;
            if self.beam.is_empty() {
                break;
            }
        }
        self.finish(&mut f)
    }

    /// One frame: extend, score, prune.
    fn step(&mut self, t: u32, blank: u32, f: &mut Fusion<'_, '_>) -> Result<()> {
        self.now += 1;
        self.cands.clear();
        self.fresh.clear();
        let o = f.o;
        let y_blank = self.toks.iter().find(|&&(c, _)| c == blank).map(|&(_, y)| y);
        // Pass 1: hypotheses that stay themselves (blank, repeated last label). Their scores so
        // far are lower bounds of their final ones.
        for bi in 0..self.beam.len() {
            let e = self.beam[bi];
            let last = self.nodes[e.node as usize].token;
            let y_last = if last == NO_TOKEN { None } else { self.toks.iter().find(|&&(c, _)| c == last).map(|&(_, y)| y) };
            if y_blank.is_none() && y_last.is_none() {
                continue;
            }
            let k = self.cand(e.node);
            if let Some(y) = y_blank {
                self.cands[k].pb = lae(self.cands[k].pb, lae(e.pb, e.pnb) + y);
            }
            if let Some(y) = y_last {
                self.cands[k].pnb_rep = lae(self.cands[k].pnb_rep, e.pnb + y);
            }
        }
        // The threshold an extension must reach to possibly survive: within beamPruneLogp of the
        // best lower bound, and above the beamWidth-th best lower bound.
        self.lower.clear();
        for c in &self.cands {
            self.lower.push(lae(c.pb, c.pnb_rep) + self.nodes[c.node as usize].fusion);
        }
        let mut threshold = f32::NEG_INFINITY;
        if let Some(&best) = self.lower.iter().max_by(|a, b| a.total_cmp(b)) {
            threshold = best + o.beam_prune_logp;
            if self.lower.len() >= o.beam_width {
                let k = o.beam_width - 1;
                let (_, kth, _) = self.lower.select_nth_unstable_by(k, |a, b| b.total_cmp(a));
                threshold = threshold.max(*kth);
            }
        }
        if f.gain.is_none() {
            threshold = f32::NEG_INFINITY;
        }
        let gain = f.gain.unwrap_or(0.0);
        // Pass 2: extensions by a label.
        for bi in 0..self.beam.len() {
            let e = self.beam[bi];
            let pn = self.nodes[e.node as usize];
            let ptot = lae(e.pb, e.pnb);
            let bound_fusion = pn.fusion - pn.partial.min(0.0) + gain;
            for ti in 0..self.toks.len() {
                let (c, y) = self.toks[ti];
                if c == blank {
                    continue;
                }
                let mass = if c == pn.token { e.pb + y } else { ptot + y };
                if mass == f32::NEG_INFINITY || mass + bound_fusion < threshold {
                    continue;
                }
                let x = match self.children.get(&edge(e.node, c)) {
                    Some(&x) => {
                        let n = &self.nodes[x as usize];
                        if n.stamp != self.now && mass + n.fusion < threshold {
                            continue;
                        }
                        x
                    }
                    None => match self.create_child(e.node, c, t, mass, threshold, f)? {
                        Some(x) => x,
                        None => continue,
                    },
                };
                let k = self.cand(x);
                self.cands[k].pnb_ext = lae(self.cands[k].pnb_ext, mass);
            }
        }
        self.flush(f)?;
        for i in 0..self.fresh.len() {
            let x = self.fresh[i];
            let n = self.nodes[x as usize];
            let (fusion, partial) = self.fusion_of(&n, f);
            let node = &mut self.nodes[x as usize];
            node.fusion = fusion;
            node.partial = partial;
        }
        // Score, stamp timestamps, prune.
        let mut best = f32::NEG_INFINITY;
        for k in 0..self.cands.len() {
            let c = self.cands[k];
            let rest = lae(c.pb, c.pnb_rep);
            let node = &mut self.nodes[c.node as usize];
            if c.pnb_ext > rest {
                node.frame = t;
            }
            let score = lae(rest, c.pnb_ext) + node.fusion;
            self.cands[k].score = score;
            best = best.max(score);
        }
        self.beam.clear();
        if best == f32::NEG_INFINITY {
            return Ok(());
        }
        let floor = best + o.beam_prune_logp;
        self.cands.retain(|c| c.score >= floor && c.score > f32::NEG_INFINITY);
        if self.cands.len() > o.beam_width {
            self.cands.select_nth_unstable_by(o.beam_width - 1, |a, b| b.score.total_cmp(&a.score).then(a.node.cmp(&b.node)));
            self.cands.truncate(o.beam_width);
        }
        for c in &self.cands {
            self.beam.push(Entry { node: c.node, pb: c.pb, pnb: lae(c.pnb_rep, c.pnb_ext) });
        }
        Ok(())
    }

    /// Closes the last word, adds `</s>`, ranks and returns the n best.
    fn finish(&mut self, f: &mut Fusion<'_, '_>) -> Result<Vec<Hypothesis>> {
        struct Final {
            node: u32,
            ctc: f32,
            lm: f32,
            state: u32,
            words: u32,
            oov: u32,
            hw: u32,
        }
        let mut finals: Vec<Final> = Vec::with_capacity(self.beam.len());
        let delimited = f.o.word_delimiter.is_some();
        for e in &self.beam {
            let n = self.nodes[e.node as usize];
            let open = delimited && n.word != 0;
            let hw = n.hw_count + u32::from(open && f.hot.is_some_and(|h| h.is_complete(n.hw)));
            finals.push(Final { node: e.node, ctc: lae(e.pb, e.pnb), lm: n.lm_logp, state: n.lm_state, words: n.words + u32::from(open), oov: n.oov, hw });
        }
        if let Some(level) = f.level {
            // Round 1 (word level): the open word. Round 2: </s>.
            for round in 0..2 {
                let mut asked: Vec<(usize, u32)> = Vec::new();
                for (k, fin) in finals.iter().enumerate() {
                    let unit = if round == 0 {
                        let w = self.nodes[fin.node as usize].word;
                        if level != LmLevel::Word || !delimited || w == 0 {
                            continue;
                        }
                        LmUnit::Word(w)
                    } else {
                        LmUnit::End
                    };
                    let key = edge(fin.state, unit.code());
                    let q = match self.in_flight.get(&key) {
                        Some(&q) => q,
                        None => {
                            let q = self.queries.len() as u32;
                            self.queries.push(LmQuery { state: fin.state, unit });
                            self.in_flight.insert(key, q);
                            q
                        }
                    };
                    asked.push((k, q));
                }
                if self.queries.is_empty() {
                    continue;
                }
                // Answers from the cache where possible, the rest in one batch.
                let mut missing: Vec<LmQuery> = Vec::new();
                let mut index: Vec<Option<LmScore>> = Vec::with_capacity(self.queries.len());
                for q in &self.queries {
                    let a = self.cache.get(&edge(q.state, q.unit.code())).copied();
                    if a.is_none() {
                        missing.push(*q);
                    }
                    index.push(a);
                }
                if !missing.is_empty() {
                    let lm = f.lm.as_deref_mut().expect("a level implies an LM");
                    lm.score(&self.word_trie, &missing, &mut self.answers)?;
                    if self.answers.len() != missing.len() {
                        return Err(Error::State(format!("lm: {} queries got {} answers", missing.len(), self.answers.len())));
                    }
                    let mut it = self.answers.iter();
                    for a in index.iter_mut().filter(|a| a.is_none()) {
                        *a = it.next().copied();
                    }
                }
                for (k, q) in asked {
                    let a = index[q as usize].expect("every query answered");
                    let fin = &mut finals[k];
                    fin.lm += a.logp;
                    fin.state = a.next;
                    fin.oov += u32::from(a.oov);
                }
                self.queries.clear();
                self.in_flight.clear();
            }
        }
        let o = &f.o;
        let hw_weight = f.hot.map_or(0.0, |h| h.weight());
        let mut ranked: Vec<(f64, usize)> = finals
            .iter()
            .enumerate()
            .map(|(k, fin)| {
                let s = f64::from(fin.ctc)
                    + f64::from(o.alpha) * f64::from(fin.lm)
                    + f64::from(o.beta) * f64::from(fin.words)
                    + f64::from(o.unk_score) * f64::from(fin.oov)
                    + f64::from(hw_weight) * f64::from(fin.hw);
                (s, k)
            })
            .filter(|(s, _)| !s.is_nan())
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        ranked.truncate(o.n_best);
        Ok(ranked
            .into_iter()
            .map(|(score, k)| {
                let fin = &finals[k];
                let (tokens, timesteps) = self.read_out(fin.node);
                Hypothesis { tokens, timesteps, score, ctc_score: f64::from(fin.ctc), lm_score: if f.level.is_some() { f64::from(fin.lm) } else { 0.0 }, word_count: fin.words }
            })
            .collect())
    }

    /// Tokens and (non-decreasing) timesteps of node `x`'s prefix.
    fn read_out(&self, x: u32) -> (Vec<u32>, Vec<u32>) {
        let mut tokens = Vec::new();
        let mut frames = Vec::new();
        let mut n = x;
        while self.nodes[n as usize].token != NO_TOKEN {
            let node = &self.nodes[n as usize];
            tokens.push(node.token);
            frames.push(node.frame);
            n = node.parent;
        }
        tokens.reverse();
        frames.reverse();
        for i in (0..frames.len().saturating_sub(1)).rev() {
            frames[i] = frames[i].min(frames[i + 1]);
        }
        (tokens, frames)
    }
}

thread_local! {
    /// One decoder per thread, reused across utterances and calls (its buffers keep their size).
    static DECODER: std::cell::RefCell<Decoder> = std::cell::RefCell::new(Decoder::new());
}

/// Beam search over every item, one after the other, with any LM (e.g. a JavaScript callback).
pub fn beam_search(e: &Emissions<'_>, o: &BeamSearchOptions, mut lm: Option<&mut dyn CtcLm>, hot: Option<&Hotwords>) -> Result<Vec<Vec<Hypothesis>>> {
    let d = e.dims()?;
    o.validate(d.classes, e.blank)?;
    let mut dec = Decoder::new();
    let mut lp = Vec::new();
    let mut out = Vec::with_capacity(d.batch);
    for n in 0..d.batch {
        e.log_probs(&d, n, &mut lp)?;
        let lm_n: Option<&mut dyn CtcLm> = match lm {
            Some(ref mut l) => Some(&mut **l),
            None => None,
        };
        out.push(dec.decode(&lp, d.classes, e.blank, o, lm_n, hot)?);
    }
    Ok(out)
}

/// Beam search over every item in parallel on the seqlearn pool, without an LM or with an
/// n-gram model (`labels`: the text of each class, see [`NgramScorer::new`]).
pub fn beam_search_batch(e: &Emissions<'_>, o: &BeamSearchOptions, ngram: Option<(&NgramModel, &[String])>, hot: Option<&Hotwords>) -> Result<Vec<Vec<Hypothesis>>> {
    let d = e.dims()?;
    o.validate(d.classes, e.blank)?;
    if let Some((m, labels)) = ngram {
        NgramScorer::new(m, labels, d.classes, e.blank, o.word_delimiter)?;
    }
    let one = |n: usize| -> Result<Vec<Hypothesis>> {
        DECODER.with(|cell| {
            let mut dec = cell.borrow_mut();
            let mut lp = std::mem::take(&mut dec.logp);
            let r = (|| {
                e.log_probs(&d, n, &mut lp)?;
                match ngram {
                    Some((m, labels)) => {
                        let mut scorer = NgramScorer::new(m, labels, d.classes, e.blank, o.word_delimiter)?;
                        dec.decode(&lp, d.classes, e.blank, o, Some(&mut scorer), hot)
                    }
                    None => dec.decode(&lp, d.classes, e.blank, o, None, hot),
                }
            })();
            dec.logp = lp;
            r
        })
    };
    let results: Vec<Result<Vec<Hypothesis>>> = if d.batch > 1 { parallel::install(|| (0..d.batch).into_par_iter().with_max_len(1).map(one).collect()) } else { (0..d.batch).map(one).collect() };
    results.into_iter().collect()
}
