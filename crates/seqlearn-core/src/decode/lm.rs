//! Language models as CTC prefix beam search sees them. An LM scores *units* — every emitted
//! token ([`LmLevel::Token`], e.g. a character LM) or every completed word ([`LmLevel::Word`]) —
//! from integer *states*, and answers a whole frame's queries in one call (a JavaScript callback
//! is called once per frame, not once per query). The search caches every answer per
//! `(state, unit)`, so each distinct query is asked once per utterance.
//!
//! A word is a run of tokens between word delimiters; partial words live in a [`WordTrie`] shared
//! by all hypotheses of an utterance, so a word's identity is a trie node and its spelling (token
//! ids) can be read back. Without a word delimiter every token is a word.

use super::super::ngram::hash::{edge, FastMap};
use super::super::ngram::{Level, NgramModel, EOS, UNK};
use crate::error::{Error, Result};

/// What a language model scores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LmLevel {
    /// Every emitted token (the word delimiter included).
    Token,
    /// Every completed word (when the delimiter closes it, and the last word at the end).
    Word,
}

/// One scored unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LmUnit {
    /// A CTC class id (token level).
    Token(u32),
    /// A word: its [`WordTrie`] node (word level).
    Word(u32),
    /// The end of the sentence (`</s>`).
    End,
}

impl LmUnit {
    /// A compact code for cache keys.
    #[inline]
    pub fn code(self) -> u32 {
        match self {
            LmUnit::Token(t) => t,
            LmUnit::Word(w) => w | 0x8000_0000,
            LmUnit::End => u32::MAX,
        }
    }
}

/// One query: `ln p(unit | state)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LmQuery {
    /// State of the history.
    pub state: u32,
    /// What comes next.
    pub unit: LmUnit,
}

/// The answer to one [`LmQuery`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LmScore {
    /// Natural-log probability.
    pub logp: f32,
    /// The state after the unit.
    pub next: u32,
    /// The word is outside the LM's vocabulary (word level; adds the unknown-word score).
    pub oov: bool,
}

/// A language model for shallow fusion.
pub trait CtcLm {
    /// Token or word level.
    fn level(&self) -> LmLevel;

    /// The state of a sentence start. Called at the start of every utterance: word units are
    /// nodes of that utterance's [`WordTrie`], so caches keyed by them must be forgotten here.
    fn start(&mut self) -> Result<u32>;

    /// Answers `queries` in order into `out` (cleared first). `words` spells word units.
    fn score(&mut self, words: &WordTrie, queries: &[LmQuery], out: &mut Vec<LmScore>) -> Result<()>;

    /// Whether [`CtcLm::score`] is cheap enough to call for a single query at once (in-process
    /// models). Then the search can score a new hypothesis before deciding to keep it; otherwise
    /// (a JavaScript callback) queries wait for the frame's batch.
    fn answers_immediately(&self) -> bool {
        false
    }

    /// Whether a partial word can still become an in-vocabulary word (word level; `true` when
    /// the LM has no vocabulary to tell).
    fn is_word_prefix(&mut self, _words: &WordTrie, _word: u32) -> bool {
        true
    }
}

/// Partial words of an utterance: token sequences shared by prefix, node 0 = the empty word.
#[derive(Clone, Debug, Default)]
pub struct WordTrie {
    parent: Vec<u32>,
    token: Vec<u32>,
    depth: Vec<u32>,
    children: FastMap<u64, u32>,
}

impl WordTrie {
    /// An empty trie (just the empty word).
    pub fn new() -> WordTrie {
        let mut w = WordTrie::default();
        w.clear();
        w
    }

    /// Forgets every word.
    pub fn clear(&mut self) {
        self.parent.clear();
        self.token.clear();
        self.depth.clear();
        self.children.clear();
        self.parent.push(0);
        self.token.push(u32::MAX);
        self.depth.push(0);
    }

    /// The word `word` followed by `token` (created when new).
    #[inline]
    pub fn child(&mut self, word: u32, token: u32) -> u32 {
        let next = self.parent.len() as u32;
        let c = *self.children.entry(edge(word, token)).or_insert(next);
        if c == next {
            self.parent.push(word);
            self.token.push(token);
            self.depth.push(self.depth[word as usize] + 1);
        }
        c
    }

    /// Number of tokens of `word`.
    #[inline]
    pub fn len_of(&self, word: u32) -> u32 {
        self.depth[word as usize]
    }

    /// The tokens of `word`, first first.
    pub fn spell(&self, word: u32, out: &mut Vec<u32>) {
        out.clear();
        let mut w = word;
        while w != 0 {
            out.push(self.token[w as usize]);
            w = self.parent[w as usize];
        }
        out.reverse();
    }

    /// Number of words known.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether only the empty word is known.
    pub fn is_empty(&self) -> bool {
        self.parent.len() <= 1
    }
}

/// The n-gram model of [`crate::ngram`] as a CTC language model. A character model scores every
/// token (the characters of its label; the word delimiter as `' '`); a word model scores words
/// spelled by concatenating labels. `labels[c]` is the text of class `c` (the blank's is unused).
pub struct NgramScorer<'m> {
    model: &'m NgramModel,
    level: LmLevel,
    /// Character level: the LM ids of each class's characters.
    class_ids: Vec<Vec<u32>>,
    labels: Vec<String>,
    /// Word level: per word node, `(lm id, oov, is a prefix)`, filled on demand.
    words: Vec<Option<(u32, bool, bool)>>,
    spelled: Vec<u32>,
    text: String,
}

impl<'m> NgramScorer<'m> {
    /// A scorer of `model` for classes spelled `labels` (one per class; the blank's is unused;
    /// a character model reads the delimiter as `' '` whatever its label). Errors name `labels`
    /// (count ≠ `classes`).
    pub fn new(model: &'m NgramModel, labels: &[String], classes: usize, blank: usize, word_delimiter: Option<usize>) -> Result<NgramScorer<'m>> {
        if labels.len() != classes {
            return Err(Error::invalid("labels", format!("expected {classes} labels (one per class, the emissions' last dimension), got {}", labels.len())));
        }
        let level = match model.level() {
            Level::Char => LmLevel::Token,
            Level::Word => LmLevel::Word,
        };
        let mut class_ids = vec![Vec::new(); classes];
        if level == LmLevel::Token {
            let vocab = model.vocab();
            for (c, label) in labels.iter().enumerate() {
                if c == blank {
                    continue;
                }
                class_ids[c] = if Some(c) == word_delimiter { vec![vocab.id(" ")] } else { label.chars().map(|ch| vocab.id(ch.encode_utf8(&mut [0; 4]))).collect() };
            }
        }
        Ok(NgramScorer { model, level, class_ids, labels: labels.to_vec(), words: Vec::new(), spelled: Vec::new(), text: String::new() })
    }

    /// `(lm id, oov, prefix)` of a word node.
    fn word_info(&mut self, words: &WordTrie, w: u32) -> (u32, bool, bool) {
        if let Some(Some(info)) = self.words.get(w as usize) {
            return *info;
        }
        words.spell(w, &mut self.spelled);
        self.text.clear();
        for &t in &self.spelled {
            self.text.push_str(&self.labels[t as usize]);
        }
        let id = self.model.vocab().get(&self.text).filter(|&i| i > EOS);
        let info = (id.unwrap_or(UNK), id.is_none(), id.is_some() || self.model.is_token_prefix(&self.text));
        if self.words.len() <= w as usize {
            self.words.resize(w as usize + 1, None);
        }
        self.words[w as usize] = Some(info);
        info
    }
}

impl CtcLm for NgramScorer<'_> {
    fn level(&self) -> LmLevel {
        self.level
    }

    fn answers_immediately(&self) -> bool {
        true
    }

    fn start(&mut self) -> Result<u32> {
        self.words.clear();
        Ok(self.model.start_state())
    }

    fn score(&mut self, words: &WordTrie, queries: &[LmQuery], out: &mut Vec<LmScore>) -> Result<()> {
        out.clear();
        for q in queries {
            let s = match q.unit {
                LmUnit::End => {
                    let (lp, next) = self.model.score(q.state, EOS);
                    LmScore { logp: lp as f32, next, oov: false }
                }
                LmUnit::Token(c) => {
                    let mut state = q.state;
                    let mut total = 0.0;
                    for &id in &self.class_ids[c as usize] {
                        let (lp, next) = self.model.score(state, id);
                        total += lp;
                        state = next;
                    }
                    LmScore { logp: total as f32, next: state, oov: false }
                }
                LmUnit::Word(w) => {
                    let (id, oov, _) = self.word_info(words, w);
                    let (lp, next) = self.model.score(q.state, id);
                    LmScore { logp: lp as f32, next, oov }
                }
            };
            out.push(s);
        }
        Ok(())
    }

    fn is_word_prefix(&mut self, words: &WordTrie, word: u32) -> bool {
        self.word_info(words, word).2
    }
}
