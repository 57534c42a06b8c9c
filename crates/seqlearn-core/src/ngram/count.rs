//! Counting the n-grams of a corpus (every order up to `order`, each sentence as
//! `<s> tokens… </s>`) into the breadth-first trie layout of [`Trie`].

use super::hash::{edge, FastMap};
use super::trie::{Level, Trie};

/// The counted trie (probabilities still zero) and the count of each node.
pub struct Counted {
    /// The trie of every n-gram seen (plus all unigrams of the vocabulary).
    pub trie: Trie,
    /// Occurrences of each node's n-gram (0 for the root and unseen unigrams).
    pub counts: Vec<u64>,
}

/// Counts the n-grams of `sentences` (token ids, each already wrapped in `<s> … </s>`).
pub fn count_ngrams(sentences: &[Vec<u32>], order: usize, vocab_size: usize) -> Counted {
    // A hash trie first: node ids in insertion order; unigram nodes are 1 + token id.
    let mut parent: Vec<u32> = Vec::with_capacity(1 + vocab_size);
    let mut word: Vec<u32> = Vec::with_capacity(1 + vocab_size);
    let mut depth: Vec<u8> = Vec::with_capacity(1 + vocab_size);
    let mut count: Vec<u64> = vec![0; 1 + vocab_size];
    parent.push(0);
    word.push(u32::MAX);
    depth.push(0);
    for w in 0..vocab_size as u32 {
        parent.push(0);
        word.push(w);
        depth.push(1);
    }
    let mut children: FastMap<u64, u32> = FastMap::default();
    for ids in sentences {
        for j in 0..ids.len() {
            let first = ids[j] + 1;
            count[first as usize] += 1;
            let mut node = first;
            for (k, &w) in ids[j + 1..].iter().take(order - 1).enumerate() {
                let key = edge(node, w);
                node = match children.get(&key) {
                    Some(&c) => c,
                    None => {
                        let c = parent.len() as u32;
                        children.insert(key, c);
                        parent.push(node);
                        word.push(w);
                        depth.push((k + 2) as u8);
                        count.push(0);
                        c
                    }
                };
                count[node as usize] += 1;
            }
        }
    }
    drop(children);
    // Breadth-first renumbering, each level sorted by (new parent, word).
    let total = parent.len();
    let mut by_depth: Vec<Vec<u32>> = vec![Vec::new(); order + 1];
    for x in (1 + vocab_size)..total {
        by_depth[depth[x] as usize].push(x as u32);
    }
    let mut remap: Vec<u32> = vec![0; total];
    for (x, r) in remap.iter_mut().enumerate().take(1 + vocab_size) {
        *r = x as u32;
    }
    let mut levels: Vec<Level> = Vec::with_capacity(order);
    let mut new_counts: Vec<u64> = Vec::with_capacity(total);
    new_counts.extend_from_slice(&count[..1 + vocab_size]);
    levels.push(Level { parent: vec![0; vocab_size], word: (0..vocab_size as u32).collect(), prob: vec![0.0; vocab_size], bow: vec![0.0; vocab_size] });
    let mut next_id = 1 + vocab_size as u32;
    for nodes in by_depth.iter_mut().skip(2) {
        let mut keyed: Vec<(u64, u32)> = nodes.iter().map(|&x| (edge(remap[parent[x as usize] as usize], word[x as usize]), x)).collect();
        keyed.sort_unstable();
        let n = keyed.len();
        let mut l = Level { parent: Vec::with_capacity(n), word: Vec::with_capacity(n), prob: vec![0.0; n], bow: vec![0.0; n] };
        for &(key, x) in &keyed {
            l.parent.push((key >> 32) as u32);
            l.word.push(key as u32);
            remap[x as usize] = next_id;
            next_id += 1;
            new_counts.push(count[x as usize]);
        }
        levels.push(l);
    }
    Counted { trie: Trie::from_levels(order, vocab_size, levels), counts: new_counts }
}
