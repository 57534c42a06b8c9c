//! Corpus readers shared by word2vec and GloVe: the C tool's tokenizer ([`WordReader`]), and
//! corpora split into shards that training threads read sentence by sentence — in memory as
//! `u32` ids ([`MemoryCorpus`], 4 bytes per word, one pass over the file) or re-read from disk each
//! epoch ([`FileCorpus`], for corpora larger than memory).
//!
//! A sentence is what the C tool's training loop reads: in-vocabulary word ids up to a newline
//! (`</s>`, id 0, never part of a sentence) or up to `max_len` ids (its `MAX_SENTENCE_LENGTH`,
//! 1000). Words absent from the vocabulary are skipped and not counted.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::progress::{ByteProgress, JobProgress, Phase};
use super::vocab::{count_file, Vocab, VocabCounter, VocabOptions, DEFAULT_MAX_DISTINCT, EOS, MAX_WORD_BYTES};
use crate::error::{Error, Result};

/// The C tool's `MAX_SENTENCE_LENGTH`: longest sentence (in ids) the trainer reads at once.
pub const MAX_SENTENCE_LENGTH: usize = 1000;

const WORD: u8 = 0;
const BLANK: u8 = 1; // ' ', '\t', '\r' (the C tool skips '\r' everywhere)
const NEWLINE: u8 = 2;
const CR: u8 = 3;

static CLASS: [u8; 256] = {
    let mut t = [WORD; 256];
    t[b' ' as usize] = BLANK;
    t[b'\t' as usize] = BLANK;
    t[b'\n' as usize] = NEWLINE;
    t[b'\r' as usize] = CR;
    t
};

/// One token read from a corpus: a word's bytes (or `</s>` for a newline) and the byte offset
/// where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// The word (at most [`MAX_WORD_BYTES`] bytes), or `b"</s>"` for a newline.
    pub bytes: &'a [u8],
    /// Byte offset of its first byte in the stream.
    pub offset: u64,
}

/// The C tool's `ReadWord` over any byte stream: words are separated by ' ', '\t' and '\n';
/// '\r' is ignored everywhere (also inside a word); each '\n' is the token `</s>`; words are cut to
/// their first [`MAX_WORD_BYTES`] bytes. Unlike the C tool, a last word not followed by a
/// newline is returned too. Reads through a 1 MiB buffer; most tokens are returned as slices of
/// it without copying.
pub struct WordReader<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    base: u64,
    word: Vec<u8>,
}

impl<R: Read> WordReader<R> {
    /// A reader with a 1 MiB buffer.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(inner, 1 << 20)
    }

    /// A reader with a buffer of `capacity` bytes (at least 1).
    pub fn with_capacity(inner: R, capacity: usize) -> Self {
        WordReader { inner, buf: vec![0u8; capacity.max(1)].into_boxed_slice(), start: 0, end: 0, base: 0, word: Vec::with_capacity(MAX_WORD_BYTES) }
    }

    /// Bytes pulled from the stream so far.
    pub fn bytes_read(&self) -> u64 {
        self.base + self.end as u64
    }

    fn refill(&mut self) -> io::Result<bool> {
        self.base += self.end as u64;
        self.start = 0;
        self.end = 0;
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next token, or `None` at the end of the stream.
    #[inline]
    pub fn next_token(&mut self) -> io::Result<Option<Token<'_>>> {
        loop {
            while self.start < self.end {
                let c = CLASS[self.buf[self.start] as usize];
                if c != BLANK && c != CR {
                    break;
                }
                self.start += 1;
            }
            if self.start < self.end {
                break;
            }
            if !self.refill()? {
                return Ok(None);
            }
        }
        let ws = self.start;
        let offset = self.base + ws as u64;
        if self.buf[ws] == b'\n' {
            self.start += 1;
            return Ok(Some(Token { bytes: EOS.as_bytes(), offset }));
        }
        let mut i = ws + 1;
        while i < self.end && CLASS[self.buf[i] as usize] == WORD {
            i += 1;
        }
        if i < self.end && self.buf[i] != b'\r' && i - ws <= MAX_WORD_BYTES {
            self.start = i;
            return Ok(Some(Token { bytes: &self.buf[ws..i], offset }));
        }
        self.slow_word(offset)
    }

    /// A word that crosses the buffer's end, holds '\r' or is too long: copied with the C rules.
    #[cold]
    fn slow_word(&mut self, offset: u64) -> io::Result<Option<Token<'_>>> {
        self.word.clear();
        loop {
            while self.start < self.end {
                let b = self.buf[self.start];
                match CLASS[b as usize] {
                    WORD => {
                        if self.word.len() < MAX_WORD_BYTES {
                            self.word.push(b);
                        }
                    }
                    CR => {}
                    _ => return Ok(Some(Token { bytes: &self.word, offset })),
                }
                self.start += 1;
            }
            if !self.refill()? {
                return Ok(Some(Token { bytes: &self.word, offset }));
            }
        }
    }
}

/// The smallest token boundary at or after byte `raw` of a file of `size` bytes: a position just
/// after ' ', '\t' or '\n', or at a '\n' (or `size`). No token spans a boundary, so byte ranges
/// between boundaries partition the tokens of a file exactly (as [`WordReader`] reads them).
pub fn next_token_boundary(file: &mut File, raw: u64, size: u64) -> io::Result<u64> {
    if raw == 0 || raw >= size {
        return Ok(raw.min(size));
    }
    file.seek(SeekFrom::Start(raw - 1))?;
    let mut buf = [0u8; 4096];
    let mut at = raw - 1;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(size);
        }
        for (k, &b) in buf[..n].iter().enumerate() {
            if b == b' ' || b == b'\t' || b == b'\n' {
                let j = at + k as u64;
                return Ok(if b == b'\n' && j >= raw { j } else { j + 1 });
            }
        }
        at += n as u64;
    }
}

/// Splits a file of `size` bytes into `parts` byte ranges between token boundaries (see
/// [`next_token_boundary`]): `parts + 1` increasing offsets from 0 to `size`.
pub fn token_ranges(file: &mut File, size: u64, parts: usize) -> io::Result<Vec<u64>> {
    let parts = parts.max(1);
    let mut bounds = Vec::with_capacity(parts + 1);
    for i in 0..=parts {
        let raw = (size as u128 * i as u128 / parts as u128) as u64;
        let b = next_token_boundary(file, raw, size)?;
        bounds.push(b.max(bounds.last().copied().unwrap_or(0)));
    }
    Ok(bounds)
}

/// How many byte ranges to read a file of `size` bytes in, in parallel: one per pool thread,
/// but none smaller than 4 MiB.
pub(crate) fn parallel_parts(size: u64) -> usize {
    let threads = crate::parallel::install(crate::parallel::current_threads);
    (size / (4 << 20)).clamp(1, threads.max(1) as u64) as usize
}

/// A reader over bytes `[start, end)` of the file at `path`.
pub(crate) fn open_range(path: &Path, start: u64, end: u64) -> io::Result<io::Take<File>> {
    let mut f = File::open(path)?;
    f.seek(SeekFrom::Start(start))?;
    Ok(f.take(end - start))
}

/// A training thread's view of one shard of a corpus.
pub trait ShardReader: Send {
    /// Clears `out`, then fills it with the next sentence's in-vocabulary ids (never `</s>`): up
    /// to `max_len` ids (C's `MAX_SENTENCE_LENGTH` = 1000), ending early at a newline. Returns
    /// `Some(n)` with `n` = words consumed as the C tool counts them for progress/alpha
    /// (in-vocabulary words including a `</s>`), or `None` at the end of the shard. A sentence may
    /// be empty (two newlines in a row) with `n = 1`.
    fn next_sentence(&mut self, out: &mut Vec<u32>, max_len: usize) -> Result<Option<u64>>;
}

/// A corpus that training threads read in disjoint shards, once per epoch.
pub trait Corpus: Sync {
    /// Reader over shard `index` of `count` (disjoint, together the whole corpus, each read
    /// start-to-end once per epoch).
    fn shard(&self, index: usize, count: usize) -> Result<Box<dyn ShardReader + '_>>;
    /// In-vocabulary words per epoch as counted by `next_sentence` (= vocab.train_words() for a
    /// file corpus).
    fn words_per_epoch(&self) -> u64;
}

fn check_shard(index: usize, count: usize) -> Result<()> {
    if count == 0 || index >= count {
        return Err(Error::invalid("shard", format!("expected index < count with count ≥ 1, got index {index} of {count}")));
    }
    Ok(())
}

/// The corpus as `u32` word ids in memory (4 bytes per in-vocabulary word, `</s>` kept as 0).
/// Shards are equal ranges of ids; a sentence cut by a shard boundary becomes two sentences
/// (the C tool's byte-offset shards cut sentences the same way).
#[derive(Clone, Debug, Default)]
pub struct MemoryCorpus {
    ids: Vec<u32>,
}

impl MemoryCorpus {
    /// Encodes the file at `path` with `vocab` in one streamed pass. Progress:
    /// [`Phase::Reading`] in bytes; an abort request ends it with an error on argument `signal`.
    /// Large files are encoded in parallel (one byte range per pool thread, at least 4 MiB each).
    pub fn from_file(path: &Path, vocab: &Vocab, progress: Option<&JobProgress>) -> Result<Self> {
        Self::from_file_in_parts(path, vocab, progress, None)
    }

    /// [`from_file`](Self::from_file) with `parts` byte ranges (`None`: from the file size and pool).
    pub(crate) fn from_file_in_parts(path: &Path, vocab: &Vocab, progress: Option<&JobProgress>, parts: Option<usize>) -> Result<Self> {
        let name = path.display().to_string();
        let io = |e| Error::Io { path: name.clone(), source: e };
        let mut file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if let Some(p) = progress {
            p.start_phase(Phase::Reading, size);
        }
        let parts = parts.unwrap_or_else(|| parallel_parts(size)).max(1);
        if parts == 1 {
            return Self::encode(file, vocab, &name, progress);
        }
        // Byte ranges between token boundaries, encoded in parallel and concatenated in order.
        let bounds = token_ranges(&mut file, size, parts).map_err(io)?;
        let pieces: Vec<Result<MemoryCorpus>> = crate::parallel::install(|| {
            use rayon::prelude::*;
            (0..parts).into_par_iter().map(|k| Self::encode(open_range(path, bounds[k], bounds[k + 1]).map_err(io)?, vocab, &name, progress)).collect()
        });
        let mut ids = Vec::with_capacity(pieces.iter().map(|p| p.as_ref().map_or(0, |c| c.ids.len())).sum());
        for piece in pieces {
            ids.extend_from_slice(&piece?.ids);
        }
        Ok(MemoryCorpus { ids })
    }

    /// Counts the vocabulary of the file at `path` and encodes it in the same pass (one read of
    /// the file instead of two; the tokens' entries are kept while counting, 4 bytes per token).
    /// Progress: [`Phase::Vocab`] in bytes; if the count had to prune rare words (more than
    /// [`DEFAULT_MAX_DISTINCT`] distinct words), the file is read again ([`Phase::Reading`]).
    pub fn with_vocab_from_file(path: &Path, opts: &VocabOptions, progress: Option<&JobProgress>) -> Result<(Vocab, Self)> {
        Self::with_vocab_from_file_in_parts(path, opts, progress, None)
    }

    pub(crate) fn with_vocab_from_file_in_parts(
        path: &Path,
        opts: &VocabOptions,
        progress: Option<&JobProgress>,
        parts: Option<usize>,
    ) -> Result<(Vocab, Self)> {
        let name = path.display().to_string();
        let (vocab, ids) = count_file(path, progress, parts, true)?.finish_encoded(opts, &name)?;
        match ids {
            Some(ids) => Ok((vocab, MemoryCorpus { ids })),
            None => {
                let corpus = Self::from_file_in_parts(path, &vocab, progress, parts)?;
                Ok((vocab, corpus))
            }
        }
    }

    /// [`with_vocab_from_file`](Self::with_vocab_from_file) for a stream (`name` labels errors).
    pub fn with_vocab_from_reader<R: Read>(r: R, opts: &VocabOptions, progress: Option<&JobProgress>) -> Result<(Vocab, Self)> {
        if let Some(p) = progress {
            p.start_phase(Phase::Vocab, 0);
        }
        let counter = VocabCounter::recording(DEFAULT_MAX_DISTINCT).count(r, "corpus", progress)?;
        match counter.finish_encoded(opts, "corpus")? {
            (vocab, Some(ids)) => Ok((vocab, MemoryCorpus { ids })),
            (_, None) => Err(Error::invalid("corpus", format!("more than {DEFAULT_MAX_DISTINCT} distinct words in a stream; count from a file"))),
        }
    }

    /// Encodes a stream with `vocab`.
    pub fn from_reader<R: Read>(r: R, vocab: &Vocab) -> Result<Self> {
        Self::encode(r, vocab, "corpus", None)
    }

    /// A corpus of ids already encoded (`0` = sentence end); ids must be valid for the
    /// vocabulary the trainer uses.
    pub fn from_ids(ids: Vec<u32>) -> Self {
        MemoryCorpus { ids }
    }

    /// Encodes a stream; advances `progress` (already in its phase) by the bytes read.
    fn encode<R: Read>(r: R, vocab: &Vocab, name: &str, progress: Option<&JobProgress>) -> Result<Self> {
        let io = |e| Error::Io { path: name.to_string(), source: e };
        let mut reader = WordReader::new(r);
        let mut ids = Vec::new();
        let mut progress = ByteProgress::new(progress, "reading the corpus");
        while let Some(tok) = reader.next_token().map_err(io)? {
            if let Some(id) = vocab.id_bytes(tok.bytes) {
                ids.push(id);
            }
            progress.tick(|| reader.bytes_read())?;
        }
        progress.report(reader.bytes_read())?;
        ids.shrink_to_fit();
        Ok(MemoryCorpus { ids })
    }

    /// Ids stored (in-vocabulary words including `</s>` markers).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when no id is stored.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The encoded corpus (`0` = sentence end).
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}

struct MemoryShard<'a> {
    ids: &'a [u32],
    pos: usize,
}

impl ShardReader for MemoryShard<'_> {
    #[inline]
    fn next_sentence(&mut self, out: &mut Vec<u32>, max_len: usize) -> Result<Option<u64>> {
        out.clear();
        if self.pos >= self.ids.len() {
            return Ok(None);
        }
        let rest = &self.ids[self.pos..];
        let window = &rest[..rest.len().min(max_len.max(1))];
        match window.iter().position(|&id| id == 0) {
            Some(k) => {
                out.extend_from_slice(&window[..k]);
                self.pos += k + 1;
                Ok(Some(k as u64 + 1))
            }
            None => {
                out.extend_from_slice(window);
                self.pos += window.len();
                Ok(Some(window.len() as u64))
            }
        }
    }
}

impl Corpus for MemoryCorpus {
    fn shard(&self, index: usize, count: usize) -> Result<Box<dyn ShardReader + '_>> {
        check_shard(index, count)?;
        let n = self.ids.len();
        let (a, b) = (index * n / count, (index + 1) * n / count);
        Ok(Box::new(MemoryShard { ids: &self.ids[a..b], pos: 0 }))
    }

    fn words_per_epoch(&self) -> u64 {
        self.ids.len() as u64
    }
}

/// A corpus re-read from its file every epoch (memory independent of its size). Shard `i` of
/// `n` reads the tokens starting in the byte range `[i·size/n, (i+1)·size/n)`, both ends moved
/// forward to the next token boundary (after a ' ', '\t' or '\n', or at a '\n'), so shards
/// partition the tokens exactly.
#[derive(Clone, Debug)]
pub struct FileCorpus {
    path: PathBuf,
    size: u64,
    vocab: Arc<Vocab>,
}

impl FileCorpus {
    /// A corpus over the file at `path`, encoded with `vocab` while reading.
    pub fn new(path: &Path, vocab: Arc<Vocab>) -> Result<Self> {
        let size = std::fs::metadata(path).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?.len();
        Ok(FileCorpus { path: path.to_path_buf(), size, vocab })
    }

    fn io(&self, e: io::Error) -> Error {
        Error::Io { path: self.path.display().to_string(), source: e }
    }

    /// Byte range `[start, end)` of shard `index` of `count`.
    pub fn shard_range(&self, index: usize, count: usize) -> Result<(u64, u64)> {
        check_shard(index, count)?;
        let mut f = File::open(&self.path).map_err(|e| self.io(e))?;
        let raw = |i: usize| (self.size as u128 * i as u128 / count as u128) as u64;
        let start = next_token_boundary(&mut f, raw(index), self.size).map_err(|e| self.io(e))?;
        let end = next_token_boundary(&mut f, raw(index + 1), self.size).map_err(|e| self.io(e))?;
        Ok((start, end.max(start)))
    }
}

struct FileShard<'a> {
    reader: WordReader<io::Take<File>>,
    vocab: &'a Vocab,
    path: &'a Path,
}

impl ShardReader for FileShard<'_> {
    fn next_sentence(&mut self, out: &mut Vec<u32>, max_len: usize) -> Result<Option<u64>> {
        out.clear();
        let max_len = max_len.max(1);
        let mut n = 0u64;
        loop {
            let tok = self.reader.next_token().map_err(|e| Error::Io { path: self.path.display().to_string(), source: e })?;
            let Some(tok) = tok else {
                return Ok(if n == 0 { None } else { Some(n) });
            };
            if let Some(id) = self.vocab.id_bytes(tok.bytes) {
                n += 1;
                if id == 0 {
                    return Ok(Some(n));
                }
                out.push(id);
                if out.len() >= max_len {
                    return Ok(Some(n));
                }
            }
        }
    }
}

impl Corpus for FileCorpus {
    fn shard(&self, index: usize, count: usize) -> Result<Box<dyn ShardReader + '_>> {
        let (start, end) = self.shard_range(index, count)?;
        let f = open_range(&self.path, start, end).map_err(|e| self.io(e))?;
        Ok(Box::new(FileShard { reader: WordReader::new(f), vocab: &self.vocab, path: &self.path }))
    }

    fn words_per_epoch(&self) -> u64 {
        self.vocab.train_words()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embeddings::vocab::VocabOptions;

    fn tokens(text: &[u8], cap: usize) -> Vec<(Vec<u8>, u64)> {
        let mut r = WordReader::with_capacity(text, cap);
        let mut out = Vec::new();
        while let Some(t) = r.next_token().unwrap() {
            out.push((t.bytes.to_vec(), t.offset));
        }
        out
    }

    #[test]
    fn word_reader_follows_read_word_at_any_buffer_size() {
        let long = "y".repeat(120);
        let text = format!(" ab\tc\r\nd\r\re\n\n {long}\tlast");
        let want: Vec<(Vec<u8>, u64)> = vec![
            (b"ab".to_vec(), 1),
            (b"c".to_vec(), 4),
            (b"</s>".to_vec(), 6),
            (b"de".to_vec(), 7),
            (b"</s>".to_vec(), 11),
            (b"</s>".to_vec(), 12),
            ("y".repeat(98).into_bytes(), 14),
            (b"last".to_vec(), 135),
        ];
        for cap in [1, 2, 3, 7, 64, 1 << 20] {
            assert_eq!(tokens(text.as_bytes(), cap), want, "buffer {cap}");
        }
        assert!(tokens(b"", 8).is_empty());
        assert!(tokens(b" \t\r ", 8).is_empty());
    }

    fn sentences(c: &dyn Corpus, shards: usize, max_len: usize) -> (Vec<Vec<u32>>, u64) {
        let mut all = Vec::new();
        let mut words = 0;
        let mut buf = Vec::new();
        for i in 0..shards {
            let mut r = c.shard(i, shards).unwrap();
            while let Some(n) = r.next_sentence(&mut buf, max_len).unwrap() {
                words += n;
                all.push(buf.clone());
            }
        }
        (all, words)
    }

    fn sample_text() -> String {
        let mut s = String::new();
        let words = ["the", "cat", "sat", "on", "a", "mat", "rare1", "dog", "the", "end"];
        for i in 0..400 {
            for j in 0..(i % 13) {
                s.push_str(words[(i * 7 + j * 3) % words.len()]);
                s.push(if j % 5 == 4 { '\t' } else { ' ' });
            }
            s.push('\n');
            if i % 37 == 0 {
                s.push('\n');
            }
        }
        s.push_str("the last line without newline");
        s
    }

    #[test]
    fn memory_and_file_corpora_agree_and_shards_partition() {
        let text = sample_text();
        let dir = std::env::temp_dir().join(format!("seqlearn-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("corpus.txt");
        std::fs::write(&path, &text).unwrap();
        let vocab = Arc::new(Vocab::from_file(&path, &VocabOptions { min_count: 2, max_vocab: None }, None).unwrap());
        assert!(vocab.id("rare1").is_some() && vocab.id("without").is_none());
        let mem = MemoryCorpus::from_file(&path, &vocab, None).unwrap();
        for parts in 2..5 {
            let p = JobProgress::new();
            assert_eq!(MemoryCorpus::from_file_in_parts(&path, &vocab, Some(&p), Some(parts)).unwrap().ids(), mem.ids());
            assert_eq!(p.snapshot().done, text.len() as u64);
        }
        for parts in [None, Some(1), Some(3)] {
            let p = JobProgress::new();
            let opts = VocabOptions { min_count: 2, max_vocab: None };
            let (v, m) = MemoryCorpus::with_vocab_from_file_in_parts(&path, &opts, Some(&p), parts).unwrap();
            assert_eq!((v.words(), v.counts()), (vocab.words(), vocab.counts()));
            assert_eq!(m.ids(), mem.ids(), "one pass = two passes ({parts:?} parts)");
            assert_eq!((p.snapshot().phase, p.snapshot().done), (Phase::Vocab, text.len() as u64));
        }
        let (v, m) = MemoryCorpus::with_vocab_from_reader(text.as_bytes(), &VocabOptions { min_count: 2, max_vocab: Some(5) }, None).unwrap();
        assert_eq!(v.len(), 5);
        assert_eq!(m.ids(), MemoryCorpus::from_reader(text.as_bytes(), &v).unwrap().ids());
        let file = FileCorpus::new(&path, vocab.clone()).unwrap();
        assert_eq!(mem.words_per_epoch(), vocab.train_words());
        assert_eq!(file.words_per_epoch(), vocab.train_words());
        for max_len in [3, 1000] {
            let (s_mem, w_mem) = sentences(&mem, 1, max_len);
            let (s_file, w_file) = sentences(&file, 1, max_len);
            assert_eq!(s_mem, s_file);
            assert_eq!((w_mem, w_file), (vocab.train_words(), vocab.train_words()));
            assert!(s_mem.iter().all(|s| s.len() <= max_len && !s.contains(&0)));
            let flat: Vec<u32> = s_mem.concat();
            for shards in [2, 3, 7, 64] {
                for c in [&mem as &dyn Corpus, &file] {
                    let (s, w) = sentences(c, shards, max_len);
                    assert_eq!(w, vocab.train_words(), "{shards} shards");
                    assert_eq!(s.concat(), flat, "{shards} shards: ids in order, none lost or repeated");
                }
            }
        }
        // The ids are the tokens of the text, in order.
        let want: Vec<u32> = text.split([' ', '\t', '\n']).filter(|w| !w.is_empty()).filter_map(|w| vocab.id(w)).filter(|&id| id != 0).collect();
        assert_eq!(sentences(&mem, 1, 1000).0.concat(), want);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn file_shard_boundaries_are_token_starts() {
        let text = "aa bb\ncc  dd\t\nee";
        let dir = std::env::temp_dir().join(format!("seqlearn-snap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.txt");
        std::fs::write(&path, text).unwrap();
        let vocab = Arc::new(Vocab::from_file(&path, &VocabOptions { min_count: 1, max_vocab: None }, None).unwrap());
        let fc = FileCorpus::new(&path, vocab).unwrap();
        let mut f = File::open(&path).unwrap();
        assert_eq!(fc.shard_range(1, 3).unwrap(), (5, 10)); // raw 16·1/3 = 5 (a newline), 16·2/3 = 10 (after a space)
        assert_eq!(token_ranges(&mut f, 16, 3).unwrap(), [0, 5, 10, 16]);
        // raw offset → first boundary (after ' ', '\t', '\n', or at '\n'): 1 (inside aa) → 3;
        // 4 (inside bb) → 5 (the '\n'); 7 (inside cc) → 9; 9 → 9 (after ' '); 11 → 13; 15 → 16 (end).
        let want = [(0, 0), (1, 3), (3, 3), (4, 5), (5, 5), (6, 6), (7, 9), (8, 9), (9, 9), (10, 10), (11, 13), (13, 13), (15, 16)];
        for (raw, snapped) in want {
            assert_eq!(next_token_boundary(&mut f, raw, 16).unwrap(), snapped, "raw {raw}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shard_arguments_are_checked() {
        let c = MemoryCorpus::from_ids(vec![1, 2, 0, 3]);
        assert!(c.shard(2, 2).is_err());
        assert!(c.shard(0, 0).is_err());
        let mut r = c.shard(0, 1).unwrap();
        let mut out = Vec::new();
        assert_eq!(r.next_sentence(&mut out, 10).unwrap(), Some(3));
        assert_eq!(out, [1, 2]);
        assert_eq!(r.next_sentence(&mut out, 10).unwrap(), Some(1));
        assert_eq!(out, [3]);
        assert_eq!(r.next_sentence(&mut out, 10).unwrap(), None);
        assert!(out.is_empty());
    }
}
