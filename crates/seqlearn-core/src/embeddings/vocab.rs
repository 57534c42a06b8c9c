//! The vocabulary of a streamed corpus, shared by word2vec and GloVe: tokens as the C word2vec
//! tool reads them (see [`WordReader`]), counted with bounded memory, `</s>` at id 0, then words
//! by decreasing count (ties: first occurrence first), `min_count` and `max_vocab` applied, and
//! the C tool's `-save-vocab` / `-read-vocab` text format.
//!
//! Words are bytes in the corpus. A word that is not valid UTF-8 is stored as its lossy UTF-8
//! string (invalid sequences become U+FFFD); [`Vocab::id_bytes`] still finds it by its original
//! bytes, [`Vocab::id`] by the lossy string, and two byte strings with the same lossy form are
//! one word (their counts add up).

use std::io::Read;
use std::path::Path;

use super::corpus::{open_range, parallel_parts, token_ranges, WordReader};
use super::progress::{ByteProgress, JobProgress, Phase};
use crate::error::{Error, Result};

/// The C tool's sentence-end token: a newline in the corpus reads as this word; always id 0.
pub const EOS: &str = "</s>";

/// Longest word the C tool's `ReadWord` keeps (bytes): longer words are cut to their first 98
/// bytes (`MAX_STRING` is 100; its truncation rule leaves 98 bytes before the terminator).
pub const MAX_WORD_BYTES: usize = 98;

/// Default bound on distinct words held while counting (see [`VocabCounter`]): at most about
/// 550 MB of table (about twice that while the parts of a parallel count are merged); the C
/// tool's bound is 21 M words in about 1 GB.
pub const DEFAULT_MAX_DISTINCT: usize = 8_000_000;

/// Options of a vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VocabOptions {
    /// Words seen fewer times are dropped (`</s>` is always kept). The C tool's `-min-count`; default 5.
    pub min_count: u64,
    /// Keep at most this many entries (`</s>` included), the most frequent ones; `None` = no limit.
    pub max_vocab: Option<usize>,
}

impl Default for VocabOptions {
    fn default() -> Self {
        VocabOptions { min_count: 5, max_vocab: None }
    }
}

impl VocabOptions {
    fn validate(&self) -> Result<()> {
        if self.max_vocab == Some(0) {
            return Err(Error::invalid("maxVocab", "expected at least 1 (the vocabulary always holds </s>), got 0"));
        }
        Ok(())
    }
}

/// A vocabulary: `</s>` at id 0 (kept even with count 0, as the C tool), then words by count
/// descending, ties by first occurrence in the corpus (or order of the input list).
#[derive(Clone, Debug)]
pub struct Vocab {
    words: Vec<String>,
    counts: Vec<u64>,
    train_words: u64,
    index: WordIndex,
}

impl Vocab {
    /// Counts the words of the file at `path` in one streamed pass (files larger than memory are
    /// fine). Progress: [`Phase::Vocab`] in bytes; an abort request ends it with an error on
    /// argument `signal`. An empty corpus is an error naming the file.
    /// Large files are counted in parallel (one byte range per pool thread, at least 4 MiB each)
    /// with the same result as one sequential pass.
    pub fn from_file(path: &Path, opts: &VocabOptions, progress: Option<&JobProgress>) -> Result<Vocab> {
        Self::from_file_in_parts(path, opts, progress, None)
    }

    /// [`from_file`](Self::from_file) with `parts` byte ranges (`None`: from the file size and pool).
    pub(crate) fn from_file_in_parts(path: &Path, opts: &VocabOptions, progress: Option<&JobProgress>, parts: Option<usize>) -> Result<Vocab> {
        let name = path.display().to_string();
        count_file(path, progress, parts, false)?.finish(opts, &name)
    }

    /// Counts the words of a stream (see [`from_file`](Self::from_file)); progress total is unknown (0).
    pub fn from_reader<R: Read>(r: R, opts: &VocabOptions, progress: Option<&JobProgress>) -> Result<Vocab> {
        if let Some(p) = progress {
            p.start_phase(Phase::Vocab, 0);
        }
        VocabCounter::new(DEFAULT_MAX_DISTINCT).count(r, "corpus", progress)?.finish(opts, "corpus")
    }

    /// A vocabulary from `(word, count)` pairs (order = tie order). A missing `</s>` is added with
    /// count 0. Duplicate words are an error.
    pub fn from_counts(counts: Vec<(String, u64)>, opts: &VocabOptions) -> Result<Vocab> {
        let mut c = VocabCounter::new(usize::MAX);
        for (i, (word, count)) in counts.iter().enumerate() {
            if word.is_empty() {
                return Err(Error::invalid("counts", format!("entry {i}: empty word")));
            }
            if !c.table.insert_new(word.as_bytes(), *count) && word != EOS {
                return Err(Error::invalid("counts", format!("entry {i}: word '{word}' appears twice")));
            }
        }
        c.words = counts.len() as u64;
        c.finish(opts, "counts")
    }

    /// Number of entries (`</s>` included).
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Never true: `</s>` is always there.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word of `id` (panics when out of range).
    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    /// All words, index = id.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Count of `id` in the corpus (panics when out of range).
    pub fn count(&self, id: u32) -> u64 {
        self.counts[id as usize]
    }

    /// All counts, index = id.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Id of `word`, if it is in the vocabulary.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word.as_bytes())
    }

    /// Id of a token's bytes as read from the corpus (the tokenizer's hot path).
    #[inline]
    pub fn id_bytes(&self, word: &[u8]) -> Option<u32> {
        self.index.get(word)
    }

    /// Sum of the counts of all kept words, `</s>` included: the C tool's `train_words`, the
    /// number of in-vocabulary tokens of one pass over the corpus.
    pub fn train_words(&self) -> u64 {
        self.train_words
    }

    /// Writes the C tool's `-save-vocab` format (`word count\n` per entry, id order), atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut out = Vec::with_capacity(self.words.iter().map(|w| w.len() + 12).sum());
        for (w, c) in self.words.iter().zip(&self.counts) {
            out.extend_from_slice(w.as_bytes());
            out.push(b' ');
            out.extend_from_slice(c.to_string().as_bytes());
            out.push(b'\n');
        }
        crate::io::atomic::write_atomic(path, &out)
    }

    /// Reads the C tool's `-read-vocab` format (`word count` per line; `\r` ignored; blank lines
    /// skipped), then sorts and filters with `opts` as the C tool does. Errors name the line and
    /// its byte offset.
    pub fn load(path: &Path, opts: &VocabOptions) -> Result<Vocab> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::Io { path: name.clone(), source: e })?;
        Self::parse_saved(&bytes, opts, &name)
    }

    /// Parses the `-save-vocab` format from memory; `name` labels errors.
    pub fn parse_saved(bytes: &[u8], opts: &VocabOptions, name: &str) -> Result<Vocab> {
        let fmt = |line: usize, offset: usize, message: String| Error::Format {
            path: name.to_string(),
            message: format!("line {line} (byte offset {offset}): {message}"),
        };
        let mut c = VocabCounter::new(usize::MAX);
        let mut offset = 0usize;
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line_start = offset;
            offset += raw.len() + 1;
            let line: Vec<u8> = raw.iter().copied().filter(|&b| b != b'\r').collect();
            if line.iter().all(|&b| b == b' ' || b == b'\t') {
                continue;
            }
            let mut fields = line.split(|&b| b == b' ' || b == b'\t').filter(|f| !f.is_empty());
            let word = fields.next().expect("non-blank line has a field");
            let Some(count) = fields.next() else {
                return Err(fmt(i + 1, line_start, format!("expected 'word count', found only '{}'", String::from_utf8_lossy(word))));
            };
            if let Some(extra) = fields.next() {
                return Err(fmt(i + 1, line_start, format!("expected 'word count', found an extra field '{}'", String::from_utf8_lossy(extra))));
            }
            let count: u64 = std::str::from_utf8(count)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| fmt(i + 1, line_start, format!("count '{}' is not a non-negative integer", String::from_utf8_lossy(count))))?;
            let word = &word[..word.len().min(MAX_WORD_BYTES)];
            if !c.table.insert_new(word, count) && word != EOS.as_bytes() {
                return Err(fmt(i + 1, line_start, format!("word '{}' appears twice", String::from_utf8_lossy(word))));
            }
            c.words += 1;
        }
        c.finish(opts, name)
    }
}

/// Counts the file at `path` ([`Phase::Vocab`] in bytes), in `parts` byte ranges between token
/// boundaries counted in parallel and merged in file order (so first occurrences, the tie order,
/// are those of the whole file). With `record`, the counter also keeps every token's entry (see
/// [`VocabCounter::recording`]).
pub(crate) fn count_file(path: &Path, progress: Option<&JobProgress>, parts: Option<usize>, record: bool) -> Result<VocabCounter> {
    let name = path.display().to_string();
    let io = |e| Error::Io { path: name.clone(), source: e };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if let Some(p) = progress {
        p.start_phase(Phase::Vocab, size);
    }
    let new = |max| if record { VocabCounter::recording(max) } else { VocabCounter::new(max) };
    let parts = parts.unwrap_or_else(|| parallel_parts(size)).max(1);
    if parts == 1 {
        return new(DEFAULT_MAX_DISTINCT).count(file, &name, progress);
    }
    let bounds = token_ranges(&mut file, size, parts).map_err(io)?;
    let counters: Vec<Result<VocabCounter>> = crate::parallel::install(|| {
        use rayon::prelude::*;
        (0..parts)
            .into_par_iter()
            .map(|k| {
                let range = open_range(path, bounds[k], bounds[k + 1]).map_err(io)?;
                new(DEFAULT_MAX_DISTINCT / parts).count(range, &name, progress)
            })
            .collect()
    });
    let mut total = new(DEFAULT_MAX_DISTINCT);
    for c in counters {
        total.merge(c?);
    }
    Ok(total)
}

/// Streamed word counting with bounded memory: when more than `max_distinct` distinct words are
/// held, the rarest are pruned as the C tool's `ReduceVocab` does (drop words seen at most
/// `min_reduce` times, then raise `min_reduce`), until at most 3/4 of the bound is left. Counts
/// of words that were pruned and seen again later restart from 0, so pruning is approximate for
/// rare words only; `</s>` is never pruned.
#[derive(Debug)]
pub struct VocabCounter {
    table: CountTable,
    max_distinct: usize,
    min_reduce: u64,
    words: u64,
    /// Entry of every token so far, when recording and no pruning happened yet.
    record: Option<Vec<u32>>,
}

impl VocabCounter {
    /// A counter holding at most `max_distinct` distinct words (at least 16), with `</s>` already
    /// at position 0 (count 0).
    pub fn new(max_distinct: usize) -> Self {
        let mut table = CountTable::with_capacity(1024);
        table.add(EOS.as_bytes(), 0);
        VocabCounter { table, max_distinct: max_distinct.max(16), min_reduce: 1, words: 0, record: None }
    }

    /// A counter that also records the entry of every token (4 bytes per token), so that
    /// [`finish_encoded`](Self::finish_encoded) gives the corpus as word ids without a second
    /// pass. Pruning (more than `max_distinct` distinct words) drops the record.
    pub fn recording(max_distinct: usize) -> Self {
        VocabCounter { record: Some(Vec::new()), ..Self::new(max_distinct) }
    }

    /// True while every token's entry is recorded.
    pub fn is_recording(&self) -> bool {
        self.record.is_some()
    }

    /// Counts one token.
    #[inline]
    pub fn add(&mut self, word: &[u8]) {
        let entry = self.table.add(word, 1);
        if let Some(r) = &mut self.record {
            r.push(entry);
        }
        self.words += 1;
        if self.table.len() > self.max_distinct {
            self.reduce();
        }
    }

    /// Tokens counted so far (all of them, pruned or not).
    pub fn tokens(&self) -> u64 {
        self.words
    }

    /// Distinct words held now (`</s>` included).
    pub fn distinct(&self) -> usize {
        self.table.len()
    }

    /// Counts every token of `r` (`name` labels errors), advancing `progress` (already in its
    /// phase) by the bytes read and stopping with an error on argument `signal` when it is aborted.
    pub fn count<R: Read>(mut self, r: R, name: &str, progress: Option<&JobProgress>) -> Result<Self> {
        let mut reader = WordReader::new(r);
        let io = |e| Error::Io { path: name.to_string(), source: e };
        let mut progress = ByteProgress::new(progress, "the vocabulary count");
        while let Some(tok) = reader.next_token().map_err(io)? {
            self.add(tok.bytes);
            progress.tick(|| reader.bytes_read())?;
        }
        progress.report(reader.bytes_read())?;
        Ok(self)
    }

    /// Adds the counts of `other` (counted on text that follows this counter's text): words new
    /// to this counter are appended in `other`'s first-occurrence order.
    pub fn merge(&mut self, other: VocabCounter) {
        let map: Vec<u32> = (0..other.table.len()).map(|i| self.table.add(other.table.key(i), other.table.count(i))).collect();
        match (&mut self.record, other.record) {
            (Some(mine), Some(theirs)) => mine.extend(theirs.iter().map(|&e| map[e as usize])),
            _ => self.record = None,
        }
        self.words += other.words;
        self.min_reduce = self.min_reduce.max(other.min_reduce);
        if self.table.len() > self.max_distinct {
            self.reduce();
        }
    }

    fn reduce(&mut self) {
        self.record = None; // entry indices change
        while self.table.len() > self.max_distinct / 4 * 3 {
            let min = self.min_reduce;
            self.table.retain(|i, count| i == 0 || count > min);
            self.min_reduce += 1;
        }
    }

    /// The vocabulary of what was counted: sorted, `opts` applied. `name` labels the
    /// "no words" error (`corpus` argument) and the "nothing left after min_count" error.
    pub fn finish(self, opts: &VocabOptions, name: &str) -> Result<Vocab> {
        self.finish_with_map(opts, name).map(|(v, _, _)| v)
    }

    /// [`finish`](Self::finish), and the corpus as word ids (`</s>` = 0, words outside the
    /// vocabulary left out) when every token was recorded ([`recording`](Self::recording) and
    /// no pruning); `None` otherwise.
    pub fn finish_encoded(self, opts: &VocabOptions, name: &str) -> Result<(Vocab, Option<Vec<u32>>)> {
        let (vocab, map, record) = self.finish_with_map(opts, name)?;
        let ids = record.map(|mut ids| {
            let mut n = 0;
            for k in 0..ids.len() {
                let id = map[ids[k] as usize];
                if id != u32::MAX {
                    ids[n] = id;
                    n += 1;
                }
            }
            ids.truncate(n);
            ids.shrink_to_fit();
            ids
        });
        Ok((vocab, ids))
    }

    /// The vocabulary, the final id of every entry (`u32::MAX`: dropped) and the record.
    fn finish_with_map(mut self, opts: &VocabOptions, name: &str) -> Result<(Vocab, Vec<u32>, Option<Vec<u32>>)> {
        opts.validate()?;
        let record = self.record.take();
        let mut table = self.table;
        if table.len() <= 1 {
            return Err(Error::invalid("corpus", format!("{name} contains no words")));
        }
        // Lossy UTF-8: words whose lossy strings coincide become one entry (the first one).
        let n = table.len();
        let mut strings: Vec<Option<String>> = vec![None; n];
        let mut alias_of: Vec<u32> = (0..n as u32).collect();
        let mut lossy_first: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for i in 0..n {
            let bytes = table.key(i);
            if std::str::from_utf8(bytes).is_err() {
                let s = String::from_utf8_lossy(bytes).into_owned();
                let canonical = match table.find(s.as_bytes()) {
                    Some(j) => Some(j),
                    None => lossy_first.get(&s).copied(),
                };
                match canonical {
                    Some(j) => {
                        let c = table.count(i);
                        table.set_count(j as usize, table.count(j as usize) + c);
                        table.set_count(i, 0);
                        alias_of[i] = j;
                    }
                    None => {
                        lossy_first.insert(s.clone(), i as u32);
                        strings[i] = Some(s);
                    }
                }
            }
        }
        let min_count = opts.min_count;
        let mut order: Vec<u32> = (1..n as u32).filter(|&i| alias_of[i as usize] == i && table.count(i as usize) >= min_count).collect();
        order.sort_unstable_by(|&a, &b| table.count(b as usize).cmp(&table.count(a as usize)).then(a.cmp(&b)));
        if let Some(max) = opts.max_vocab {
            order.truncate(max - 1);
        }
        if order.is_empty() {
            let best = (1..n).filter(|&i| alias_of[i] == i as u32).max_by_key(|&i| (table.count(i), std::cmp::Reverse(i)));
            let (w, c) = best.map(|i| (String::from_utf8_lossy(table.key(i)).into_owned(), table.count(i))).unwrap_or_default();
            let why = if opts.max_vocab == Some(1) {
                "maxVocab 1 leaves only </s>".to_string()
            } else {
                format!("no word of {name} occurs at least {min_count} times (the most frequent, '{w}', occurs {c} times)")
            };
            return Err(Error::invalid("minCount", why));
        }
        order.insert(0, 0);
        let mut new_id = vec![u32::MAX; n];
        for (id, &i) in order.iter().enumerate() {
            new_id[i as usize] = id as u32;
        }
        let mut words = Vec::with_capacity(order.len());
        let mut counts = Vec::with_capacity(order.len());
        let mut index = WordIndex::with_capacity(order.len());
        for (id, &i) in order.iter().enumerate() {
            let i = i as usize;
            let bytes = table.key(i);
            let word = match strings[i].take() {
                Some(s) => {
                    index.insert(s.as_bytes(), id as u32);
                    s
                }
                None => std::str::from_utf8(bytes).expect("valid UTF-8 checked above").to_owned(),
            };
            index.insert(bytes, id as u32);
            words.push(word);
            counts.push(table.count(i));
        }
        for (i, &j) in alias_of.iter().enumerate() {
            let j = j as usize;
            if j != i && new_id[j] != u32::MAX {
                index.insert(table.key(i), new_id[j]);
            }
        }
        let train_words = counts.iter().sum();
        let map = alias_of.iter().map(|&j| new_id[j as usize]).collect();
        Ok((Vocab { words, counts, train_words, index }, map, record))
    }
}

/// A key as one integer: a key of at most 7 bytes is its bytes (little-endian) with its length in
/// the top byte, so equal integers mean equal keys; a longer key gives its first 7 bytes with
/// 0xFF on top, a filter before comparing the bytes. Only the empty key gives 0.
#[inline(always)]
fn key_word(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 8 {
        return (u64::from_le_bytes(b[..8].try_into().unwrap()) & 0x00FF_FFFF_FFFF_FFFF) | (0xFF << 56);
    }
    let v = if n >= 4 {
        let lo = u32::from_le_bytes(b[..4].try_into().unwrap()) as u64;
        let hi = u32::from_le_bytes(b[n - 4..].try_into().unwrap()) as u64;
        lo | (hi << (8 * (n - 4)))
    } else if n > 0 {
        b[0] as u64 | ((b[n / 2] as u64) << (8 * (n / 2))) | ((b[n - 1] as u64) << (8 * (n - 1)))
    } else {
        0
    };
    v | ((n as u64) << 56)
}

/// Hash of a byte string (an Fx/wy-style multiply-mix over 8-byte loads; not for adversaries).
#[inline]
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let n = b.len();
    let mix = |h: u64, v: u64| (h ^ v).wrapping_mul(K).rotate_left(26);
    let mut h = if n < 8 {
        mix(K, key_word(b))
    } else {
        let mut h = (n as u64).wrapping_mul(K);
        let mut i = 0;
        while i + 8 < n {
            h = mix(h, u64::from_le_bytes(b[i..i + 8].try_into().unwrap()));
            i += 8;
        }
        mix(h, u64::from_le_bytes(b[n - 8..].try_into().unwrap()))
    };
    h ^= h >> 32;
    h = h.wrapping_mul(0xD6E8_FEB8_6659_FD93);
    h ^ (h >> 32)
}

/// Equality of two byte strings of the same length (at least 8), inlined for the short words
/// corpora are made of (two overlapping loads instead of a `memcmp` call up to 16 bytes).
#[inline(always)]
fn eq_long(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert!(n == b.len() && n >= 8);
    if n <= 16 {
        let (a0, b0) = (u64::from_le_bytes(a[..8].try_into().unwrap()), u64::from_le_bytes(b[..8].try_into().unwrap()));
        let (a1, b1) = (u64::from_le_bytes(a[n - 8..].try_into().unwrap()), u64::from_le_bytes(b[n - 8..].try_into().unwrap()));
        (a0 ^ b0) | (a1 ^ b1) == 0
    } else {
        a == b
    }
}

/// Marks an unused entry index.
const NONE: u32 = u32::MAX;

/// One slot of [`CountTable`]: the key word and the count (16 bytes, four per cache line), so
/// counting a word of at most 7 bytes touches one cache line. `key == 0`: empty.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(16))]
struct CountSlot {
    key: u64,
    count: u64,
}

/// Open-addressing byte-string → count table (insertion order kept; entry 0 is `</s>`). About
/// 16·2..4 bytes of slots + 16 bytes of entry + the word's bytes per distinct word.
#[derive(Debug)]
struct CountTable {
    slots: Vec<CountSlot>,
    /// Entry of each slot (read only for keys of 8 bytes or more).
    slot_entry: Vec<u32>,
    entries: Vec<CountEntry>,
    arena: Vec<u8>,
}

/// A key in insertion order: its bytes in the arena and its slot.
#[derive(Clone, Copy, Debug)]
struct CountEntry {
    off: usize,
    len: u32,
    slot: u32,
}

impl CountTable {
    fn with_capacity(n: usize) -> Self {
        let slots = (n * 2).next_power_of_two().max(64);
        CountTable { slots: vec![CountSlot::default(); slots], slot_entry: vec![NONE; slots], entries: Vec::with_capacity(n), arena: Vec::with_capacity(n * 8) }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn key(&self, i: usize) -> &[u8] {
        let e = &self.entries[i];
        &self.arena[e.off..e.off + e.len as usize]
    }

    fn count(&self, i: usize) -> u64 {
        self.slots[self.entries[i].slot as usize].count
    }

    fn set_count(&mut self, i: usize, c: u64) {
        self.slots[self.entries[i].slot as usize].count = c;
    }

    /// Slot index of `key` (found: `Ok`, absent: `Err(empty slot)`).
    #[inline(always)]
    fn probe(&self, key: &[u8], hash: u64) -> std::result::Result<usize, usize> {
        let mask = self.slots.len() - 1;
        let word = key_word(key);
        let mut s = hash as usize & mask;
        loop {
            let k = self.slots[s].key;
            if k == 0 {
                return Err(s);
            }
            if k == word {
                if key.len() < 8 {
                    return Ok(s);
                }
                let e = &self.entries[self.slot_entry[s] as usize];
                if e.len as usize == key.len() && eq_long(&self.arena[e.off..e.off + key.len()], key) {
                    return Ok(s);
                }
            }
            s = (s + 1) & mask;
        }
    }

    fn find(&self, key: &[u8]) -> Option<u32> {
        self.probe(key, hash_bytes(key)).ok().map(|s| self.slot_entry[s])
    }

    /// Adds `n` to `key`'s count (inserting it first if absent); returns its entry index.
    #[inline(always)]
    fn add(&mut self, key: &[u8], n: u64) -> u32 {
        let hash = hash_bytes(key);
        match self.probe(key, hash) {
            Ok(s) => {
                self.slots[s].count += n;
                self.slot_entry[s]
            }
            Err(s) => self.push(key, n, s),
        }
    }

    /// Inserts `key` with count `n` if absent; returns false (and adds nothing) if present.
    fn insert_new(&mut self, key: &[u8], n: u64) -> bool {
        match self.probe(key, hash_bytes(key)) {
            Ok(s) => {
                // `</s>` is pre-inserted with count 0: a listed count replaces it once.
                if key == EOS.as_bytes() && self.slots[s].count == 0 {
                    self.slots[s].count = n;
                }
                false
            }
            Err(s) => {
                self.push(key, n, s);
                true
            }
        }
    }

    #[cold]
    fn push(&mut self, key: &[u8], n: u64, slot: usize) -> u32 {
        debug_assert!(!key.is_empty());
        let entry = self.entries.len() as u32;
        self.entries.push(CountEntry { off: self.arena.len(), len: key.len() as u32, slot: slot as u32 });
        self.arena.extend_from_slice(key);
        self.slots[slot] = CountSlot { key: key_word(key), count: n };
        self.slot_entry[slot] = entry;
        if self.entries.len() * 2 > self.slots.len() {
            self.rehash(self.slots.len() * 2);
        }
        entry
    }

    /// Rebuilds the slots at `size` from the entries (whose `slot` fields index `old`).
    fn rehash(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![CountSlot::default(); size]);
        self.slot_entry = vec![NONE; size];
        let mask = size - 1;
        for (i, e) in self.entries.iter_mut().enumerate() {
            let key = &self.arena[e.off..e.off + e.len as usize];
            let mut s = hash_bytes(key) as usize & mask;
            while self.slots[s].key != 0 {
                s = (s + 1) & mask;
            }
            self.slots[s] = old[e.slot as usize];
            self.slot_entry[s] = i as u32;
            e.slot = s as u32;
        }
    }

    /// Keeps the entries for which `keep(index, count)` holds (order kept), compacting the arena.
    fn retain(&mut self, mut keep: impl FnMut(usize, u64) -> bool) {
        let mut arena = Vec::with_capacity(self.arena.len() / 2);
        let mut kept = Vec::with_capacity(self.entries.len() / 2);
        let mut slots = Vec::with_capacity(self.entries.len() / 2);
        for (i, e) in self.entries.iter().enumerate() {
            let slot = self.slots[e.slot as usize];
            if keep(i, slot.count) {
                kept.push(CountEntry { off: arena.len(), len: e.len, slot: slots.len() as u32 });
                slots.push(slot);
                arena.extend_from_slice(&self.arena[e.off..e.off + e.len as usize]);
            }
        }
        // `slots` temporarily holds the kept slots in entry order; rehash places them.
        self.slots = slots;
        self.entries = kept;
        self.arena = arena;
        let size = (self.entries.len() * 2).next_power_of_two().max(64);
        self.rehash(size);
    }
}

/// One slot of [`WordIndex`]: key word and id (16 bytes). `key == 0`: empty.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C, align(16))]
struct IndexSlot {
    key: u64,
    id: u32,
}

/// The final word → id index (read-only after construction; several keys may share an id).
/// A lookup of a word of at most 7 bytes reads one slot; longer words also compare the bytes
/// stored at the slot's arena range.
#[derive(Clone, Debug)]
struct WordIndex {
    slots: Vec<IndexSlot>,
    ranges: Vec<(usize, u32)>,
    arena: Vec<u8>,
    keys: usize,
}

impl WordIndex {
    fn with_capacity(n: usize) -> Self {
        // Load factor ≤ 1/4 (a few extra keys for lossy words are fine): short probe chains.
        let slots = (n * 4).next_power_of_two().max(16);
        WordIndex { slots: vec![IndexSlot::default(); slots], ranges: vec![(0, 0); slots], arena: Vec::with_capacity(n * 8), keys: 0 }
    }

    fn insert(&mut self, key: &[u8], id: u32) {
        debug_assert!(!key.is_empty());
        if self.get(key).is_some() {
            return;
        }
        if (self.keys + 1) * 2 > self.slots.len() {
            let mut bigger = WordIndex::with_capacity(self.slots.len());
            for (slot, &(off, len)) in self.slots.iter().zip(&self.ranges) {
                if slot.key != 0 {
                    bigger.insert(&self.arena[off..off + len as usize], slot.id);
                }
            }
            *self = bigger;
        }
        let mask = self.slots.len() - 1;
        let mut s = hash_bytes(key) as usize & mask;
        while self.slots[s].key != 0 {
            s = (s + 1) & mask;
        }
        self.slots[s] = IndexSlot { key: key_word(key), id };
        self.ranges[s] = (self.arena.len(), key.len() as u32);
        self.arena.extend_from_slice(key);
        self.keys += 1;
    }

    #[inline(always)]
    fn get(&self, key: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let word = key_word(key);
        let mut s = hash_bytes(key) as usize & mask;
        loop {
            let slot = &self.slots[s];
            if slot.key == 0 {
                return None;
            }
            if slot.key == word {
                if key.len() < 8 {
                    return Some(slot.id);
                }
                let (off, len) = self.ranges[s];
                if len as usize == key.len() && eq_long(&self.arena[off..off + key.len()], key) {
                    return Some(slot.id);
                }
            }
            s = (s + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(min_count: u64, max_vocab: Option<usize>) -> VocabOptions {
        VocabOptions { min_count, max_vocab }
    }

    #[test]
    fn counts_sorts_and_filters_like_the_c_tool() {
        // Tokens: b a c a b a \n d c  →  a 3, b 2, c 2, d 1, </s> 1; ties b/c by first occurrence.
        let v = Vocab::from_reader("b a c a b a\nd c".as_bytes(), &opts(1, None), None).unwrap();
        assert_eq!(v.words(), ["</s>", "a", "b", "c", "d"]);
        assert_eq!(v.counts(), [1, 3, 2, 2, 1]);
        assert_eq!(v.train_words(), 9);
        assert_eq!((v.id("c"), v.id("zz"), v.id_bytes(b"d")), (Some(3), None, Some(4)));
        let v2 = Vocab::from_reader("b a c a b a\nd c".as_bytes(), &opts(2, None), None).unwrap();
        assert_eq!(v2.words(), ["</s>", "a", "b", "c"]);
        assert_eq!(v2.train_words(), 1 + 3 + 2 + 2);
        let v3 = Vocab::from_reader("b a c a b a\nd c".as_bytes(), &opts(1, Some(3)), None).unwrap();
        assert_eq!(v3.words(), ["</s>", "a", "b"]);
        // </s> is kept with count 0 when there is no newline.
        let v4 = Vocab::from_reader("x y x".as_bytes(), &opts(1, None), None).unwrap();
        assert_eq!((v4.words(), v4.counts()), (&["</s>".to_string(), "x".into(), "y".into()][..], &[0u64, 2, 1][..]));
    }

    #[test]
    fn tokenisation_is_the_c_read_word() {
        // Tabs and spaces separate, \r vanishes (also inside words), each newline is a </s>, the
        // last word without a newline counts, words are cut to 98 bytes.
        let long = "x".repeat(150);
        let text = format!("\t a\r\rb  c\n\n{long} {}\r\nc", "x".repeat(98));
        let v = Vocab::from_reader(text.as_bytes(), &opts(1, None), None).unwrap();
        let cut = "x".repeat(98);
        assert_eq!(v.words(), ["</s>", "c", &cut, "ab"]);
        assert_eq!(v.counts(), [3, 2, 2, 1]);
    }

    #[test]
    fn errors_name_the_argument() {
        let e = Vocab::from_reader(" \n\t ".as_bytes(), &opts(1, None), None).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { arg, message } if arg == "corpus" && message.contains("no words")), "{e}");
        let e = Vocab::from_reader("a b".as_bytes(), &opts(5, None), None).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { arg, .. } if arg == "minCount"), "{e}");
        let e = Vocab::from_reader("a b".as_bytes(), &opts(1, Some(0)), None).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { arg, .. } if arg == "maxVocab"), "{e}");
        let e = Vocab::from_file(Path::new("/nonexistent/corpus.txt"), &opts(1, None), None).unwrap_err();
        assert!(matches!(&e, Error::Io { path, .. } if path == "/nonexistent/corpus.txt"), "{e}");
        let e = Vocab::from_counts(vec![("a".into(), 3), ("a".into(), 2)], &opts(1, None)).unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
    }

    #[test]
    fn from_counts_and_save_load_round_trip() {
        let v = Vocab::from_counts(vec![("b".into(), 4), ("a".into(), 9), ("c".into(), 4), ("rare".into(), 1)], &opts(2, None)).unwrap();
        assert_eq!(v.words(), ["</s>", "a", "b", "c"]);
        assert_eq!(v.counts(), [0, 9, 4, 4]);
        let dir = std::env::temp_dir().join(format!("seqlearn-vocab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vocab.txt");
        v.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "</s> 0\na 9\nb 4\nc 4\n");
        let w = Vocab::load(&path, &opts(1, None)).unwrap();
        assert_eq!((w.words(), w.counts()), (v.words(), v.counts()));
        let w5 = Vocab::load(&path, &opts(5, None)).unwrap();
        assert_eq!(w5.words(), ["</s>", "a"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_errors_name_line_and_offset() {
        let e = Vocab::parse_saved(b"</s> 0\na 9\nb x\n", &opts(1, None), "v.txt").unwrap_err();
        assert_eq!(e.to_string(), "v.txt: line 3 (byte offset 11): count 'x' is not a non-negative integer");
        let e = Vocab::parse_saved(b"a 9\nb\n", &opts(1, None), "v.txt").unwrap_err();
        assert_eq!(e.to_string(), "v.txt: line 2 (byte offset 4): expected 'word count', found only 'b'");
        let e = Vocab::parse_saved(b"a 9\r\na 3\r\n", &opts(1, None), "v.txt").unwrap_err();
        assert_eq!(e.to_string(), "v.txt: line 2 (byte offset 5): word 'a' appears twice");
        let ok = Vocab::parse_saved(b"a 9\r\n\r\nb 3\r\n", &opts(1, None), "v.txt").unwrap();
        assert_eq!(ok.words(), ["</s>", "a", "b"]);
    }

    #[test]
    fn non_utf8_words_are_lossy_and_merged() {
        // \xff and \xfe both read as U+FFFD: one word "a\u{FFFD}" with count 3, found by either byte form.
        let v = Vocab::from_reader(&b"a\xff a\xfe a\xff z"[..], &opts(1, None), None).unwrap();
        assert_eq!(v.words(), ["</s>", "a\u{FFFD}", "z"]);
        assert_eq!(v.counts(), [0, 3, 1]);
        assert_eq!((v.id_bytes(b"a\xff"), v.id_bytes(b"a\xfe"), v.id("a\u{FFFD}")), (Some(1), Some(1), Some(1)));
    }

    #[test]
    fn bounded_memory_prunes_rare_words() {
        // 1000 distinct singletons interleaved with frequent words; at most 64 distinct held.
        let mut c = VocabCounter::recording(64);
        for i in 0..1000 {
            c.add(format!("rare{i}").as_bytes());
            c.add(b"the");
            if i % 2 == 0 {
                c.add(b"of");
            }
            assert!(c.distinct() <= 64);
        }
        assert_eq!(c.tokens(), 2500);
        assert!(!c.is_recording(), "pruning renumbers entries: the record is dropped");
        let (v, ids) = c.finish_encoded(&opts(5, None), "t").unwrap();
        assert!(ids.is_none());
        assert_eq!(v.words(), ["</s>", "the", "of"]);
        assert_eq!(v.counts(), [0, 1000, 500]);
    }

    #[test]
    fn progress_and_abort() {
        let p = JobProgress::new();
        let text = "a b c\n".repeat(50_000);
        let v = Vocab::from_reader(text.as_bytes(), &opts(1, None), Some(&p)).unwrap();
        assert_eq!(v.train_words(), 200_000);
        let s = p.snapshot();
        assert_eq!((s.phase, s.done), (Phase::Vocab, text.len() as u64));
        p.request_abort();
        let e = Vocab::from_reader(text.as_bytes(), &opts(1, None), Some(&p)).unwrap_err();
        assert!(matches!(&e, Error::InvalidArgument { arg, .. } if arg == "signal"), "{e}");
    }

    #[test]
    fn parallel_counting_equals_one_pass() {
        let dir = std::env::temp_dir().join(format!("seqlearn-vocab-par-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.txt");
        let mut text = String::new();
        for i in 0..3000u32 {
            text.push_str(&format!("w{} x{} the\tend{}", i % 97, i % 13, i % 5));
            text.push(if i % 7 == 0 { '\n' } else { ' ' });
        }
        std::fs::write(&path, &text).unwrap();
        let one = Vocab::from_reader(text.as_bytes(), &opts(1, None), None).unwrap();
        for parts in 1..6 {
            let p = JobProgress::new();
            let v = Vocab::from_file_in_parts(&path, &opts(1, None), Some(&p), Some(parts)).unwrap();
            assert_eq!((v.words(), v.counts()), (one.words(), one.counts()), "{parts} parts");
            assert_eq!(p.snapshot().done, text.len() as u64);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hash_table_survives_growth() {
        let mut t = CountTable::with_capacity(4);
        for i in 0..10_000u32 {
            t.add(format!("w{i}").as_bytes(), i as u64);
        }
        for i in (0..10_000u32).step_by(97) {
            let j = t.find(format!("w{i}").as_bytes()).unwrap() as usize;
            assert_eq!(t.count(j), i as u64);
        }
        assert!(t.find(b"w10000").is_none());
    }
}
