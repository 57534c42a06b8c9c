//! The storage of a backoff n-gram model: a trie in breadth-first order whose children are
//! contiguous and sorted by token (CSR), with per node the natural-log probability of the n-gram,
//! the natural-log backoff weight of the n-gram as a context, and a suffix link (the longest proper
//! suffix present). Node 0 is the empty context; nodes `1..=V` are the unigrams, node `1 + id` for
//! token `id`. A probability of NaN marks a context-only node: a prefix some longer n-gram needs
//! but that the model (an ARPA file) does not list itself.

/// One level (n-gram order) of nodes, sorted by `(parent, word)`.
#[derive(Clone, Debug, Default)]
pub struct Level {
    /// Parent node of each entry (a node of the level below; 0 for unigrams).
    pub parent: Vec<u32>,
    /// Last token of each entry.
    pub word: Vec<u32>,
    /// Natural-log probability (NaN: context only).
    pub prob: Vec<f64>,
    /// Natural-log backoff weight.
    pub bow: Vec<f64>,
}

/// The n-gram trie.
#[derive(Clone, Debug)]
pub struct Trie {
    /// Highest order.
    pub order: usize,
    /// Number of tokens (unigram nodes are `1..=vocab_size`).
    pub vocab_size: usize,
    /// Last token of each node (`u32::MAX` for the root).
    pub word: Vec<u32>,
    /// Parent of each node (the root is its own parent).
    pub parent: Vec<u32>,
    /// Children of node `i` are `first_child[i]..first_child[i + 1]` (length `nodes + 1`).
    pub first_child: Vec<u32>,
    /// Longest proper suffix present (0 for unigrams and the root).
    pub suffix: Vec<u32>,
    /// Number of tokens of each node's n-gram (0 for the root).
    pub depth: Vec<u8>,
    /// Natural-log probability (NaN: context only; −∞ for `<s>`).
    pub prob: Vec<f64>,
    /// Natural-log backoff weight (0 when the node is never a context).
    pub bow: Vec<f64>,
    /// First node of each depth (`level_start[k]`, `k = 0..=order + 1`).
    pub level_start: Vec<u32>,
}

impl Trie {
    /// Builds the trie from its levels (`levels[k - 1]` holds the k-grams, sorted by
    /// `(parent, word)`; level 1 must be the `vocab_size` unigrams in token order). Parents of
    /// level `k + 1` are node ids, i.e. `level_start[k] + index` of an entry of level `k`.
    pub fn from_levels(order: usize, vocab_size: usize, levels: Vec<Level>) -> Trie {
        debug_assert_eq!(levels.len(), order);
        debug_assert_eq!(levels[0].word.len(), vocab_size);
        let total = 1 + levels.iter().map(|l| l.word.len()).sum::<usize>();
        let mut t = Trie {
            order,
            vocab_size,
            word: Vec::with_capacity(total),
            parent: Vec::with_capacity(total),
            first_child: vec![0; total + 1],
            suffix: vec![0; total],
            depth: Vec::with_capacity(total),
            prob: Vec::with_capacity(total),
            bow: Vec::with_capacity(total),
            level_start: Vec::with_capacity(order + 2),
        };
        t.word.push(u32::MAX);
        t.parent.push(0);
        t.depth.push(0);
        t.prob.push(f64::NAN);
        t.bow.push(0.0);
        t.level_start.push(0);
        for (k, l) in levels.into_iter().enumerate() {
            t.level_start.push(t.word.len() as u32);
            t.word.extend_from_slice(&l.word);
            t.parent.extend_from_slice(&l.parent);
            t.prob.extend_from_slice(&l.prob);
            t.bow.extend_from_slice(&l.bow);
            t.depth.extend(std::iter::repeat_n((k + 1) as u8, l.word.len()));
        }
        t.level_start.push(t.word.len() as u32);
        // Children counts, then the exclusive prefix sum (children of lower ids come first).
        let mut counts = vec![0u32; total];
        for &p in &t.parent[1..] {
            counts[p as usize] += 1;
        }
        let mut pos = 1u32;
        for (i, c) in counts.iter().enumerate() {
            t.first_child[i] = pos;
            pos += c;
        }
        t.first_child[total] = pos;
        // Suffix links, level by level (a node's parent's link is known before the node's).
        for x in 1..total {
            if t.depth[x] <= 1 {
                continue;
            }
            let w = t.word[x];
            let mut s = t.suffix[t.parent[x] as usize];
            t.suffix[x] = loop {
                if let Some(c) = t.child(s, w) {
                    break c;
                }
                if s == 0 {
                    break 0;
                }
                s = t.suffix[s as usize];
            };
        }
        t
    }

    /// Number of nodes (the root included).
    pub fn len(&self) -> usize {
        self.word.len()
    }

    /// Whether the trie has only its root.
    pub fn is_empty(&self) -> bool {
        self.word.len() <= 1
    }

    /// The child of `node` by token `w`, if present.
    #[inline]
    pub fn child(&self, node: u32, w: u32) -> Option<u32> {
        if node == 0 {
            return ((w as usize) < self.vocab_size).then_some(w + 1);
        }
        let (a, b) = (self.first_child[node as usize] as usize, self.first_child[node as usize + 1] as usize);
        let words = &self.word[a..b];
        // Short child lists are scanned; longer ones binary-searched.
        if words.len() <= 8 {
            words.iter().position(|&x| x == w).map(|i| (a + i) as u32)
        } else {
            words.binary_search(&w).ok().map(|i| (a + i) as u32)
        }
    }

    /// `ln p(w | state)` and the state after `w`. A state is the node of the longest suffix of
    /// the history that is present (at most `order − 1` tokens); 0 is the empty history.
    #[inline]
    pub fn score(&self, state: u32, w: u32) -> (f64, u32) {
        let mut s = state;
        let mut backoff = 0.0;
        let mut next: Option<u32> = None;
        loop {
            if let Some(x) = self.child(s, w) {
                if next.is_none() {
                    next = Some(x);
                }
                let p = self.prob[x as usize];
                if !p.is_nan() {
                    let n = next.unwrap_or(x);
                    let n = if self.depth[n as usize] as usize >= self.order { self.suffix[n as usize] } else { n };
                    return (backoff + p, n);
                }
            }
            if s == 0 {
                // A token outside the unigrams (never for ids < vocab_size with probabilities).
                return (f64::NEG_INFINITY, 0);
            }
            backoff += self.bow[s as usize];
            s = self.suffix[s as usize];
        }
    }

    /// The token ids of node `x`'s n-gram, oldest first.
    pub fn ngram(&self, x: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.depth[x as usize] as usize);
        let mut n = x;
        while n != 0 {
            out.push(self.word[n as usize]);
            n = self.parent[n as usize];
        }
        out.reverse();
        out
    }

    /// Number of nodes of depth `k` (`1..=order`) that carry a probability.
    pub fn count(&self, k: usize) -> usize {
        let (a, b) = (self.level_start[k] as usize, self.level_start[k + 1] as usize);
        self.prob[a..b].iter().filter(|p| !p.is_nan()).count()
    }
}
