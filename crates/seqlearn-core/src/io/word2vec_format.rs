//! The word2vec vector formats of the C tool and gensim (`save_word2vec_format`), text and
//! binary, read and written byte-compatibly:
//!
//! * header `"<count> <dim>\n"`;
//! * binary: per word, the word's bytes, one space, `dim` little-endian f32, then `'\n'` (the C
//!   tool writes it, gensim does not; the reader accepts both, and skips `'\n'` before a word);
//! * text: per word, `word v1 … vdim\n` (the C tool adds a space before the newline, which the
//!   reader accepts; we write gensim's form with shortest round-trip floats).
//!
//! Corrupt or truncated files are [`Error::Format`] errors naming the file, the byte offset and
//! the word index. Words that are not valid UTF-8 (the C tool cuts long words at a byte, possibly
//! inside a character) are read as lossy UTF-8 (U+FFFD), like gensim's `unicode_errors='replace'`.
//! Duplicate words are returned as they are (gensim keeps the last one).

use std::io::{self, Read, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Vectors as stored in a word2vec file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WordVectors {
    /// Words in file order.
    pub words: Vec<String>,
    /// Vector dimension.
    pub dim: usize,
    /// Row-major `[words.len(), dim]`.
    pub data: Vec<f32>,
}

/// Which variant of the format to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorFormat {
    /// Decide from the first record: text when the rest of its line is exactly `dim` numbers.
    Auto,
    /// The binary variant (`-binary 1`, gensim `binary=True`).
    Binary,
    /// The text variant (`-binary 0`, gensim `binary=False`).
    Text,
}

const MAX_HEADER: usize = 4096;
const MAX_WORD: usize = 1 << 20;
const CHUNK: usize = 1 << 20;

/// Buffered input that tracks the byte offset and can look ahead as far as a record needs.
struct Input<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    offset: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn new(inner: R) -> Self {
        Input { inner, buf: Vec::with_capacity(CHUNK), pos: 0, offset: 0, eof: false }
    }

    fn avail(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Makes at least `want` bytes available unless the stream ends first; returns what is available.
    fn fill(&mut self, want: usize) -> io::Result<usize> {
        while self.buf.len() - self.pos < want && !self.eof {
            if self.pos > 0 {
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            let have = self.buf.len();
            let grow = (want - have).max(CHUNK);
            self.buf.resize(have + grow, 0);
            let mut filled = have;
            while filled < self.buf.len() {
                match self.inner.read(&mut self.buf[filled..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.buf.truncate(filled);
                        return Err(e);
                    }
                }
            }
            self.buf.truncate(filled);
        }
        Ok(self.buf.len() - self.pos)
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.offset += n as u64;
    }

    /// Position of the first `byte` in the available data, filling up to `max` bytes to find it.
    fn find(&mut self, byte: u8, max: usize) -> io::Result<Option<usize>> {
        let mut searched = 0;
        loop {
            if let Some(k) = self.avail()[searched..].iter().position(|&b| b == byte) {
                return Ok(Some(searched + k));
            }
            searched = self.avail().len();
            if self.eof || searched >= max {
                return Ok(None);
            }
            self.fill(searched + CHUNK)?;
        }
    }
}

/// Reads a word2vec file (`limit`: at most that many vectors, from the start).
pub fn read_word2vec(path: &Path, format: VectorFormat, limit: Option<usize>) -> Result<WordVectors> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::Io { path: name.clone(), source: e })?;
    read_word2vec_from(io::BufReader::with_capacity(1 << 16, file), format, limit, &name)
}

/// Reads the word2vec format from a stream; `name` labels errors (a path or a description).
pub fn read_word2vec_from<R: io::BufRead>(r: R, format: VectorFormat, limit: Option<usize>, name: &str) -> Result<WordVectors> {
    let mut input = Input::new(r);
    let err = Errors { name };

    // Header.
    input.fill(MAX_HEADER).map_err(|e| err.io(e))?;
    let Some(nl) = input.avail()[..input.avail().len().min(MAX_HEADER)].iter().position(|&b| b == b'\n') else {
        let what = if input.avail().is_empty() { "empty file".to_string() } else { "truncated or missing header line '<count> <dim>'".to_string() };
        return Err(err.at(0, what));
    };
    let header = String::from_utf8_lossy(&input.avail()[..nl]).into_owned();
    let fields: Vec<&str> = header.split_whitespace().collect();
    let parsed: Option<(usize, usize)> = match fields.as_slice() {
        [n, d] => n.parse().ok().zip(d.parse().ok()),
        _ => None,
    };
    let Some((count, dim)) = parsed else {
        return Err(err.at(0, format!("header: expected '<count> <dim>', found '{}'", header.trim_end())));
    };
    if dim == 0 {
        return Err(err.at(0, "header: the vector dimension is 0".into()));
    }
    input.consume(nl + 1);
    let n = limit.map_or(count, |l| l.min(count));

    let binary = match format {
        VectorFormat::Binary => true,
        VectorFormat::Text => false,
        VectorFormat::Auto => n > 0 && !sniff_text(&mut input, dim).map_err(|e| err.io(e))?,
    };
    let mut out = WordVectors { words: Vec::with_capacity(n.min(1 << 22)), dim, data: Vec::with_capacity(n.min(1 << 22) * dim) };
    if binary {
        read_binary(&mut input, n, count, &mut out, &err)?;
    } else {
        read_text(&mut input, n, count, &mut out, &err)?;
    }
    Ok(out)
}

/// Whether the first record is a text line: after the word, exactly `dim` numbers up to '\n'.
fn sniff_text<R: Read>(input: &mut Input<R>, dim: usize) -> io::Result<bool> {
    input.fill(dim.saturating_mul(48).saturating_add(4096))?;
    let a = input.avail();
    let a = &a[a.iter().position(|&b| b != b'\n').unwrap_or(a.len())..];
    let Some(sp) = a.iter().position(|&b| b == b' ') else { return Ok(false) };
    let rest = &a[sp + 1..];
    let line = match rest.iter().position(|&b| b == b'\n') {
        Some(k) => &rest[..k],
        None if input.eof => rest,
        None => return Ok(false),
    };
    let Ok(line) = std::str::from_utf8(line) else { return Ok(false) };
    let mut k = 0;
    for f in line.split([' ', '\t', '\r']).filter(|f| !f.is_empty()) {
        if k == dim || f.parse::<f32>().is_err() {
            return Ok(false);
        }
        k += 1;
    }
    Ok(k == dim)
}

fn word_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Names the file in errors.
struct Errors<'a> {
    name: &'a str,
}

impl Errors<'_> {
    fn io(&self, e: io::Error) -> Error {
        Error::Io { path: self.name.to_string(), source: e }
    }

    fn at(&self, offset: u64, message: String) -> Error {
        Error::Format { path: self.name.to_string(), message: format!("byte offset {offset}: {message}") }
    }
}

fn read_binary<R: Read>(input: &mut Input<R>, n: usize, count: usize, out: &mut WordVectors, err: &Errors) -> Result<()> {
    let dim = out.dim;
    let vec_bytes = dim * 4;
    for i in 0..n {
        // Skip the '\n' the C tool writes after each vector (gensim writes none).
        loop {
            input.fill(1).map_err(|e| err.io(e))?;
            match input.avail().first() {
                Some(b'\n') => input.consume(1),
                _ => break,
            }
        }
        let start = input.offset;
        if input.avail().is_empty() {
            return Err(err.at(start, format!("truncated: the header announces {count} vectors, the file ends after {i}")));
        }
        let sp = match input.find(b' ', MAX_WORD).map_err(|e| err.io(e))? {
            Some(sp) => sp,
            None if input.eof => return Err(err.at(start, format!("word {i}: truncated inside the word (no space before the end of the file)"))),
            None => return Err(err.at(start, format!("word {i}: no space within {MAX_WORD} bytes (not a binary word2vec file?)"))),
        };
        if sp == 0 {
            return Err(err.at(start, format!("word {i}: empty word")));
        }
        let need = sp + 1 + vec_bytes;
        let have = input.fill(need).map_err(|e| err.io(e))?;
        let word = word_string(&input.avail()[..sp]);
        if have < need {
            return Err(err.at(
                start + sp as u64 + 1,
                format!("word {i} ('{word}'): truncated vector: expected {vec_bytes} bytes ({dim} floats), the file ends after {}", have - sp - 1),
            ));
        }
        let bytes = &input.avail()[sp + 1..need];
        let row = out.data.len();
        out.data.extend(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])));
        if let Some(j) = out.data[row..].iter().position(|v| !v.is_finite()) {
            let at = start + (sp + 1 + 4 * j) as u64;
            return Err(err.at(at, format!("word {i} ('{word}'): component {j} is {} (corrupt file?)", out.data[row + j])));
        }
        out.words.push(word);
        input.consume(need);
    }
    Ok(())
}

fn read_text<R: Read>(input: &mut Input<R>, n: usize, count: usize, out: &mut WordVectors, err: &Errors) -> Result<()> {
    let dim = out.dim;
    let mut i = 0;
    while i < n {
        let start = input.offset;
        let line_len = match input.find(b'\n', usize::MAX).map_err(|e| err.io(e))? {
            Some(k) => k,
            None => input.avail().len(),
        };
        if input.avail().is_empty() {
            return Err(err.at(start, format!("truncated: the header announces {count} vectors, the file ends after {i}")));
        }
        let line = &input.avail()[..line_len];
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            input.consume((line_len + 1).min(input.avail().len()));
            continue; // a blank line
        }
        let mut fields = line.split(|&b| b == b' ' || b == b'\t' || b == b'\r').filter(|f| !f.is_empty());
        let word = word_string(fields.next().expect("non-blank line"));
        let mut k = 0;
        for f in fields {
            if k == dim {
                out.data.truncate(out.words.len() * dim);
                return Err(err.at(start, format!("word {i} ('{word}'): more than {dim} values on the line (dimension mismatch)")));
            }
            match std::str::from_utf8(f).ok().and_then(|s| s.parse::<f32>().ok()) {
                Some(v) if v.is_finite() => out.data.push(v),
                _ => {
                    let at = start + (f.as_ptr() as usize - line.as_ptr() as usize) as u64;
                    let what = String::from_utf8_lossy(f);
                    return Err(err.at(at, format!("word {i} ('{word}'): value {k} '{what}' is not a finite number")));
                }
            }
            k += 1;
        }
        if k != dim {
            let what = if input.eof && line_len == input.avail().len() { "truncated line at the end of the file" } else { "dimension mismatch" };
            return Err(err.at(start, format!("word {i} ('{word}'): expected {dim} values, found {k} ({what})")));
        }
        out.words.push(word);
        input.consume((line_len + 1).min(input.avail().len()));
        i += 1;
    }
    Ok(())
}

fn check_vectors(words: &[String], dim: usize, data: &[f32]) -> Result<()> {
    if dim == 0 {
        return Err(Error::invalid("dim", "expected at least 1, got 0"));
    }
    if data.len() != words.len() * dim {
        return Err(Error::shape("data", &[words.len(), dim], &[data.len() / dim, data.len() % dim]));
    }
    for (i, w) in words.iter().enumerate() {
        if w.is_empty() || w.bytes().any(|b| b == b' ' || b == b'\t' || b == b'\n' || b == b'\r') {
            return Err(Error::invalid(format!("words[{i}]"), format!("'{w}' cannot be written: words must be non-empty and hold no space, tab or newline")));
        }
    }
    if let Some(k) = data.iter().position(|v| !v.is_finite()) {
        return Err(Error::invalid("data", format!("row {} ('{}'), component {} is {}", k / dim, words[k / dim], k % dim, data[k])));
    }
    Ok(())
}

/// Writes vectors in the C tool's binary layout (with the '\n' after each vector) or gensim's
/// text layout, atomically (temporary file, fsync, rename).
pub fn write_word2vec(path: &Path, words: &[String], dim: usize, data: &[f32], binary: bool) -> Result<()> {
    check_vectors(words, dim, data)?;
    let per_word = if binary { 4 * dim + 2 } else { 12 * dim + 1 };
    let mut bytes = Vec::with_capacity(words.iter().map(|w| w.len() + per_word).sum::<usize>() + 32);
    write_word2vec_to(&mut bytes, words, dim, data, binary)?;
    crate::io::atomic::write_atomic(path, &bytes)
}

/// Writes vectors to a stream (see [`write_word2vec`]).
pub fn write_word2vec_to<W: Write>(w: W, words: &[String], dim: usize, data: &[f32], binary: bool) -> Result<()> {
    check_vectors(words, dim, data)?;
    let mut w = io::BufWriter::with_capacity(1 << 16, w);
    let io_err = |e| Error::Io { path: "output".into(), source: e };
    writeln!(w, "{} {}", words.len(), dim).map_err(io_err)?;
    if binary {
        let mut line = Vec::with_capacity(dim * 4 + 64);
        for (word, row) in words.iter().zip(data.chunks_exact(dim)) {
            line.clear();
            line.extend_from_slice(word.as_bytes());
            line.push(b' ');
            for v in row {
                line.extend_from_slice(&v.to_le_bytes());
            }
            line.push(b'\n');
            w.write_all(&line).map_err(io_err)?;
        }
    } else {
        // Formatting floats dominates: rows are formatted in parallel, a batch at a time.
        const CHUNK: usize = 512;
        const BATCH: usize = 64 * CHUNK;
        for batch in (0..words.len()).step_by(BATCH) {
            let end = (batch + BATCH).min(words.len());
            let parts: Vec<Vec<u8>> = crate::parallel::install(|| {
                use rayon::prelude::*;
                (batch..end)
                    .step_by(CHUNK)
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(|start| {
                        let stop = (start + CHUNK).min(end);
                        let mut out = Vec::with_capacity((stop - start) * (dim * 12 + 16));
                        for i in start..stop {
                            out.extend_from_slice(words[i].as_bytes());
                            for v in &data[i * dim..(i + 1) * dim] {
                                // Debug = shortest round-trip digits (like Python's repr), exponent for tiny/huge values.
                                write!(out, " {v:?}").expect("writing to a Vec cannot fail");
                            }
                            out.push(b'\n');
                        }
                        out
                    })
                    .collect()
            });
            for part in parts {
                w.write_all(&part).map_err(io_err)?;
            }
        }
    }
    w.flush().map_err(io_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Vec<String>, usize, Vec<f32>) {
        let words = vec!["</s>".to_string(), "the".into(), "naïve".into(), "x".into()];
        let data = vec![0.0, -0.5, 1.25, 1e-7, -3.4e38, 0.1, 2.0, -0.000_123, 7.0, 8.5, -9.75, 0.333_333_34];
        (words, 3, data)
    }

    fn bytes_of(binary: bool) -> Vec<u8> {
        let (w, d, v) = sample();
        let mut out = Vec::new();
        write_word2vec_to(&mut out, &w, d, &v, binary).unwrap();
        out
    }

    fn read(bytes: &[u8], format: VectorFormat) -> Result<WordVectors> {
        read_word2vec_from(bytes, format, None, "t.bin")
    }

    #[test]
    fn round_trips_exactly_in_both_layouts() {
        let (w, d, v) = sample();
        for binary in [true, false] {
            let bytes = bytes_of(binary);
            for format in [VectorFormat::Auto, if binary { VectorFormat::Binary } else { VectorFormat::Text }] {
                let got = read(&bytes, format).unwrap();
                assert_eq!((got.words.clone(), got.dim), (w.clone(), d));
                assert_eq!(got.data.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), v.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
            }
            let two = read_word2vec_from(&bytes[..], VectorFormat::Auto, Some(2), "t").unwrap();
            assert_eq!((two.words.len(), two.data.len()), (2, 6));
        }
    }

    #[test]
    fn writes_the_c_and_gensim_layouts() {
        let bin = bytes_of(true);
        assert!(bin.starts_with(b"4 3\n</s> \0\0\0\0"));
        assert_eq!(bin.len(), 4 + 4 * (1 + 1 + 12) + "</s>".len() + "the".len() + "naïve".len() + 1);
        let text = String::from_utf8(bytes_of(false)).unwrap();
        assert_eq!(text.lines().next(), Some("4 3"));
        assert_eq!(text.lines().nth(1), Some("</s> 0.0 -0.5 1.25"));
        assert_eq!(text.lines().nth(2), Some("the 1e-7 -3.4e38 0.1"));
    }

    #[test]
    fn reads_the_other_writers_variants() {
        // C text: "%lf " per value (trailing space); gensim binary: no '\n' after vectors; CRLF text.
        let c_text = b"2 2\n</s> 0.001000 -0.002000 \nab 1.500000 2.000000 \n";
        let got = read(c_text, VectorFormat::Auto).unwrap();
        assert_eq!((got.words, got.data), (vec!["</s>".to_string(), "ab".into()], vec![0.001, -0.002, 1.5, 2.0]));
        let mut g = b"2 1\n".to_vec();
        g.extend_from_slice(b"a ");
        g.extend_from_slice(&1.5f32.to_le_bytes());
        g.extend_from_slice(b"b ");
        g.extend_from_slice(&(-2.0f32).to_le_bytes());
        let got = read(&g, VectorFormat::Binary).unwrap();
        assert_eq!((got.words, got.data), (vec!["a".to_string(), "b".into()], vec![1.5, -2.0]));
        let crlf = b"1 2\r\nw 1 2\r\n";
        assert_eq!(read(crlf, VectorFormat::Auto).unwrap().data, vec![1.0, 2.0]);
        // Invalid UTF-8 in a word (a C-truncated multi-byte character) reads as U+FFFD.
        let mut bad = b"1 1\nab\xc3 ".to_vec();
        bad.extend_from_slice(&0.5f32.to_le_bytes());
        assert_eq!(read(&bad, VectorFormat::Binary).unwrap().words, vec!["ab\u{FFFD}".to_string()]);
    }

    #[test]
    fn every_corruption_names_the_byte_offset() {
        let msg = |b: &[u8], f| read(b, f).unwrap_err().to_string();
        assert_eq!(msg(b"", VectorFormat::Auto), "t.bin: byte offset 0: empty file");
        assert_eq!(msg(b"3 4", VectorFormat::Auto), "t.bin: byte offset 0: truncated or missing header line '<count> <dim>'");
        assert_eq!(msg(b"3 x\n", VectorFormat::Auto), "t.bin: byte offset 0: header: expected '<count> <dim>', found '3 x'");
        assert_eq!(msg(b"3 0\n", VectorFormat::Auto), "t.bin: byte offset 0: header: the vector dimension is 0");
        let bin = bytes_of(true);
        // Header "4 3\n" (4 bytes); record 0 = "</s> " + 12 bytes + "\n" = 18 bytes; record 1 starts at 22.
        assert_eq!(
            msg(&bin[..30], VectorFormat::Binary),
            "t.bin: byte offset 26: word 1 ('the'): truncated vector: expected 12 bytes (3 floats), the file ends after 4"
        );
        assert_eq!(msg(&bin[..24], VectorFormat::Binary), "t.bin: byte offset 22: word 1: truncated inside the word (no space before the end of the file)");
        assert_eq!(msg(&bin[..22], VectorFormat::Binary), "t.bin: byte offset 22: truncated: the header announces 4 vectors, the file ends after 1");
        let mut nan = bin.clone();
        nan[26 + 4..26 + 8].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(msg(&nan, VectorFormat::Binary), "t.bin: byte offset 30: word 1 ('the'): component 1 is NaN (corrupt file?)");
        let text = b"2 2\nab 1 2\ncd 1 x\n";
        assert_eq!(msg(text, VectorFormat::Text), "t.bin: byte offset 16: word 1 ('cd'): value 1 'x' is not a finite number");
        assert_eq!(msg(b"2 2\nab 1 2\ncd 1\n", VectorFormat::Text), "t.bin: byte offset 11: word 1 ('cd'): expected 2 values, found 1 (dimension mismatch)");
        assert_eq!(msg(b"2 2\nab 1 2 3\n", VectorFormat::Text), "t.bin: byte offset 4: word 0 ('ab'): more than 2 values on the line (dimension mismatch)");
        assert_eq!(
            msg(b"2 2\nab 1 2\ncd 1", VectorFormat::Text),
            "t.bin: byte offset 11: word 1 ('cd'): expected 2 values, found 1 (truncated line at the end of the file)"
        );
        assert_eq!(
            msg(b"3 2\nab 1 2\ncd 1 2\n", VectorFormat::Text),
            "t.bin: byte offset 18: truncated: the header announces 3 vectors, the file ends after 2"
        );
        let e = read_word2vec(Path::new("/nonexistent/v.bin"), VectorFormat::Auto, None).unwrap_err();
        assert!(matches!(e, Error::Io { ref path, .. } if path == "/nonexistent/v.bin"));
    }

    #[test]
    fn writer_rejects_what_cannot_be_read_back() {
        let e = write_word2vec_to(Vec::new(), &["a b".into()], 1, &[1.0], true).unwrap_err();
        assert!(e.to_string().starts_with("words[0]:"), "{e}");
        let e = write_word2vec_to(Vec::new(), &["a".into()], 2, &[1.0], true).unwrap_err();
        assert!(e.to_string().starts_with("data: expected shape [1, 2]"), "{e}");
        let e = write_word2vec_to(Vec::new(), &["a".into()], 1, &[f32::INFINITY], false).unwrap_err();
        assert_eq!(e.to_string(), "data: row 0 ('a'), component 0 is inf");
        let e = write_word2vec_to(Vec::new(), &["a".into()], 0, &[], false).unwrap_err();
        assert!(e.to_string().starts_with("dim:"), "{e}");
    }

    #[test]
    fn atomic_file_round_trip() {
        let (w, d, v) = sample();
        let dir = std::env::temp_dir().join(format!("seqlearn-w2vfmt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for binary in [true, false] {
            let p = dir.join(if binary { "v.bin" } else { "v.txt" });
            write_word2vec(&p, &w, d, &v, binary).unwrap();
            let got = read_word2vec(&p, VectorFormat::Auto, None).unwrap();
            assert_eq!((got.words, got.data), (w.clone(), v.clone()));
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2, "no temporary files left");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
