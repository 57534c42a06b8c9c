//! Hotword boosting as pyctcdecode does it: every completed word equal to a hotword adds
//! `weight`, and a partial word that starts some hotword adds `weight · len(partial) / len(the
//! shortest hotword it starts)` (which replaces the language model's partial-word penalty).
//! Hotwords are token sequences; multi-word hotwords split at the word delimiter into their words.

use super::super::ngram::hash::{edge, FastMap};
use crate::error::{Error, Result};

/// No hotword trie node: the partial word starts no hotword.
pub const NONE: u32 = u32::MAX;

/// A trie of hotwords over class ids.
#[derive(Clone, Debug)]
pub struct Hotwords {
    children: FastMap<u64, u32>,
    complete: Vec<bool>,
    depth: Vec<u32>,
    shortest: Vec<u32>,
    weight: f32,
}

impl Hotwords {
    /// Builds the trie. Errors name `hotwords[i]` (empty, a class outside `0..classes`, the
    /// blank) and `hotwordWeight` (not finite).
    pub fn new(words: &[Vec<u32>], classes: usize, blank: usize, word_delimiter: Option<usize>, weight: f32) -> Result<Hotwords> {
        if !weight.is_finite() {
            return Err(Error::invalid("hotwordWeight", format!("expected a finite number, got {weight}")));
        }
        let mut h = Hotwords { children: FastMap::default(), complete: vec![false], depth: vec![0], shortest: vec![u32::MAX], weight };
        for (i, w) in words.iter().enumerate() {
            let mut any = false;
            for piece in w.split(|&t| Some(t as usize) == word_delimiter) {
                if piece.is_empty() {
                    continue;
                }
                any = true;
                let mut node = 0u32;
                for (j, &t) in piece.iter().enumerate() {
                    if t as usize >= classes || t as usize == blank {
                        let why = if t as usize == blank { "the blank" } else { "outside the classes" };
                        return Err(Error::invalid(format!("hotwords[{i}]"), format!("token {j} is class {t}, {why} (expected a class in 0..{classes} other than the blank {blank})")));
                    }
                    let next = h.complete.len() as u32;
                    let c = *h.children.entry(edge(node, t)).or_insert(next);
                    if c == next {
                        h.complete.push(false);
                        h.depth.push(h.depth[node as usize] + 1);
                        h.shortest.push(u32::MAX);
                    }
                    node = c;
                }
                h.complete[node as usize] = true;
            }
            if !any {
                return Err(Error::invalid(format!("hotwords[{i}]"), "expected at least one token that is not the word delimiter, got none"));
            }
        }
        // Shortest hotword below each node: children are created after their parents, so a
        // reverse pass over node ids sees every child before its parent.
        let mut parent = vec![0u32; h.complete.len()];
        for (&k, &c) in &h.children {
            parent[c as usize] = (k >> 32) as u32;
        }
        for x in (0..h.complete.len()).rev() {
            if h.complete[x] {
                h.shortest[x] = h.shortest[x].min(h.depth[x]);
            }
            if x > 0 {
                let p = parent[x] as usize;
                h.shortest[p] = h.shortest[p].min(h.shortest[x]);
            }
        }
        Ok(h)
    }

    /// The root (the empty partial word).
    pub fn root(&self) -> u32 {
        0
    }

    /// The node after `token`, or [`NONE`].
    #[inline]
    pub fn child(&self, node: u32, token: u32) -> u32 {
        if node == NONE {
            return NONE;
        }
        self.children.get(&edge(node, token)).copied().unwrap_or(NONE)
    }

    /// Whether `node` spells a whole hotword.
    #[inline]
    pub fn is_complete(&self, node: u32) -> bool {
        node != NONE && self.complete[node as usize]
    }

    /// The partial-word credit of `node` (0 for the root and [`NONE`]).
    #[inline]
    pub fn partial(&self, node: u32) -> f32 {
        if node == NONE || node == 0 {
            return 0.0;
        }
        self.weight * self.depth[node as usize] as f32 / self.shortest[node as usize] as f32
    }

    /// The weight of a completed hotword.
    pub fn weight(&self) -> f32 {
        self.weight
    }
}
