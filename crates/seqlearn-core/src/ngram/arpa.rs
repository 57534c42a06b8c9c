//! The ARPA text format of backoff n-gram models (SRILM, KenLM): a `\data\` header with the
//! number of n-grams per order, then one `\k-grams:` section per order whose lines are
//! `log10 p <tab> w1 … wk [<tab> log10 backoff]`, then `\end\`. Values are base 10 in the file and
//! natural logs in memory. Character models spell `' '` as `<space>` and other whitespace as
//! `<U+XXXX>` (fields are whitespace-separated). Reading is strict: every error names the line.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::trie::{Level as TrieLevel, Trie};
use super::vocab::{char_from_arpa, char_to_arpa, Level, Vocab, BOS, EOS, UNK};
use crate::error::{Error, Result};

const LN_10: f64 = std::f64::consts::LN_10;
/// The log10 probability written for "impossible" (`<s>`), as SRILM and KenLM do.
const LOG10_ZERO: f64 = -99.0;
/// KenLM's substitute log10 probability for a missing `<unk>`.
const LOG10_MISSING_UNK: f64 = -100.0;

/// Writes a log value (natural log in memory) in base 10, shortest round-trip form.
fn log10_field(out: &mut String, v: f64) {
    if v == f64::NEG_INFINITY {
        let _ = write!(out, "{LOG10_ZERO}");
    } else {
        let _ = write!(out, "{}", v / LN_10);
    }
}

/// The ARPA text of a model.
pub fn write(trie: &Trie, vocab: &Vocab, level: Level) -> String {
    let spell = |id: u32| -> String {
        let t = vocab.token(id);
        if level == Level::Char {
            char_to_arpa(t)
        } else {
            t.to_string()
        }
    };
    let mut out = String::with_capacity(64 * trie.len());
    out.push_str("\\data\\\n");
    for k in 1..=trie.order {
        let _ = writeln!(out, "ngram {k}={}", trie.count(k));
    }
    for k in 1..=trie.order {
        let _ = write!(out, "\n\\{k}-grams:\n");
        for x in trie.level_start[k] as usize..trie.level_start[k + 1] as usize {
            let p = trie.prob[x];
            if p.is_nan() {
                continue;
            }
            log10_field(&mut out, p);
            out.push('\t');
            let words: Vec<String> = trie.ngram(x as u32).into_iter().map(spell).collect();
            out.push_str(&words.join(" "));
            let has_children = trie.first_child[x] < trie.first_child[x + 1];
            if k < trie.order && (has_children || trie.bow[x] != 0.0) {
                out.push('\t');
                log10_field(&mut out, trie.bow[x]);
            }
            out.push('\n');
        }
    }
    out.push_str("\n\\end\\\n");
    out
}

/// One parsed n-gram line.
struct Entry {
    ids: Box<[u32]>,
    prob: f64,
    bow: f64,
    /// Line of the file (0 for a context-only entry added here).
    line: usize,
}

fn format_err(source: &str, line: usize, message: impl std::fmt::Display) -> Error {
    Error::Format { path: source.to_string(), message: format!("line {line}: {message}") }
}

/// Parses a log10 field into a natural log; `-inf`/`-99` or lower are kept as given (×ln 10).
fn parse_log(source: &str, line: usize, what: &str, field: &str) -> Result<f64> {
    let v: f64 = field.parse().map_err(|_| format_err(source, line, format!("expected a {what} (a base-10 log number), got '{field}'")))?;
    if v.is_nan() || v == f64::INFINITY {
        return Err(format_err(source, line, format!("expected a finite {what}, got '{field}'")));
    }
    Ok(v * LN_10)
}

/// Reads an ARPA model from its text. `source` names the file in errors; `level` says how to
/// read the tokens. Returns the trie and the vocabulary (`<unk>`, `<s>`, `</s>` first, then the
/// unigrams in file order). A missing `<unk>` gets log10 probability −100 (as KenLM does); a
/// missing `<s>` is added as a context-free start; a missing `</s>` is an error.
pub fn read(text: &str, source: &str, level: Level) -> Result<(Trie, Vocab)> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
    // Anything before \data\ is ignored (SRILM's habit); the header must be there.
    let mut last_line = 0;
    loop {
        match lines.next() {
            Some((_, "\\data\\")) => break,
            Some((n, _)) => last_line = n,
            None => return Err(format_err(source, last_line.max(1), "no '\\data\\' header: not an ARPA file")),
        }
    }
    // ngram k=count lines.
    let mut declared: Vec<usize> = Vec::new();
    let mut pending: Option<(usize, &str)> = None;
    for (n, l) in lines.by_ref() {
        if l.is_empty() {
            if declared.is_empty() {
                continue;
            }
            break;
        }
        let Some(rest) = l.strip_prefix("ngram ") else {
            pending = Some((n, l));
            break;
        };
        let (k, c) = rest.split_once('=').ok_or_else(|| format_err(source, n, format!("expected 'ngram k=count', got '{l}'")))?;
        let k: usize = k.trim().parse().map_err(|_| format_err(source, n, format!("expected an order in 'ngram k=count', got '{l}'")))?;
        let c: usize = c.trim().parse().map_err(|_| format_err(source, n, format!("expected a count in 'ngram k=count', got '{l}'")))?;
        if k != declared.len() + 1 {
            return Err(format_err(source, n, format!("expected 'ngram {}=…', got '{l}'", declared.len() + 1)));
        }
        declared.push(c);
    }
    let order = declared.len();
    if order == 0 {
        return Err(format_err(source, pending.map(|p| p.0).unwrap_or(last_line + 1), "the \\data\\ header declares no 'ngram k=count' line"));
    }
    if order > super::MAX_ORDER {
        return Err(format_err(source, last_line, format!("order {order} is above the supported maximum {}", super::MAX_ORDER)));
    }
    let mut vocab = Vocab::new();
    let mut unigram_seen: HashMap<u32, usize> = HashMap::new();
    let mut sections: Vec<Vec<Entry>> = Vec::with_capacity(order);
    let mut next_header = pending;
    let mut ended = false;
    for k in 1..=order {
        // The section header.
        let (n, l) = match next_header.take() {
            Some(h) => h,
            None => loop {
                match lines.next() {
                    Some((_, "")) => continue,
                    Some(h) => break h,
                    None => return Err(format_err(source, last_line + 1, format!("missing the '\\{k}-grams:' section"))),
                }
            },
        };
        if l != format!("\\{k}-grams:") {
            return Err(format_err(source, n, format!("expected '\\{k}-grams:', got '{l}'")));
        }
        let mut entries: Vec<Entry> = Vec::with_capacity(declared[k - 1]);
        for (n, l) in lines.by_ref() {
            last_line = n;
            if l.is_empty() {
                continue;
            }
            if l.starts_with('\\') {
                next_header = Some((n, l));
                break;
            }
            let fields: Vec<&str> = l.split_ascii_whitespace().collect();
            if fields.len() != k + 1 && fields.len() != k + 2 {
                return Err(format_err(
                    source,
                    n,
                    format!("a {k}-gram line needs {} or {} fields (log10 p, {k} token{}, optional backoff), got {}", k + 1, k + 2, if k == 1 { "" } else { "s" }, fields.len()),
                ));
            }
            let prob = parse_log(source, n, "probability", fields[0])?;
            if prob > 1e-6 {
                return Err(format_err(source, n, format!("a log10 probability must be ≤ 0, got {}", fields[0])));
            }
            let bow = if fields.len() == k + 2 { parse_log(source, n, "backoff weight", fields[k + 1])? } else { 0.0 };
            let mut ids = Vec::with_capacity(k);
            for &f in &fields[1..=k] {
                let token = match level {
                    Level::Word => f.to_string(),
                    Level::Char => {
                        char_from_arpa(f).ok_or_else(|| format_err(source, n, format!("'{f}' is not a token of a character model (one character, <space>, <U+XXXX>, <s>, </s> or <unk>)")))?
                    }
                };
                let id = if k == 1 {
                    let id = vocab.insert(&token);
                    if let Some(prev) = unigram_seen.insert(id, n) {
                        return Err(format_err(source, n, format!("the 1-gram '{f}' is listed twice (first on line {prev})")));
                    }
                    id
                } else {
                    vocab.get(&token).ok_or_else(|| format_err(source, n, format!("'{f}' is not among the 1-grams")))?
                };
                ids.push(id);
            }
            entries.push(Entry { ids: ids.into_boxed_slice(), prob, bow, line: n });
        }
        if entries.len() != declared[k - 1] {
            return Err(format_err(source, next_header.map(|h| h.0).unwrap_or(last_line), format!("the header declares {} {k}-grams, the section has {}", declared[k - 1], entries.len())));
        }
        sections.push(entries);
    }
    // \end\ must follow.
    let end = next_header.take().or_else(|| lines.by_ref().find(|(_, l)| !l.is_empty()));
    match end {
        Some((_, "\\end\\")) => ended = true,
        Some((n, l)) => return Err(format_err(source, n, format!("expected '\\end\\', got '{l}'"))),
        None => {}
    }
    if !ended {
        return Err(format_err(source, last_line + 1, "missing '\\end\\' (truncated file?)"));
    }
    if vocab.len() > u32::MAX as usize / 2 {
        return Err(format_err(source, 1, "too many 1-grams"));
    }
    // The specials: </s> is required; <s> and <unk> are supplied when missing.
    if !unigram_seen.contains_key(&EOS) {
        return Err(format_err(source, 1, "the 1-grams have no '</s>' (sentence end)"));
    }
    let v = vocab.len();
    let mut uni_prob = vec![f64::NAN; v];
    let mut uni_bow = vec![0.0; v];
    uni_prob[UNK as usize] = LOG10_MISSING_UNK * LN_10;
    uni_prob[BOS as usize] = f64::NEG_INFINITY;
    for e in &sections[0] {
        let id = e.ids[0] as usize;
        uni_prob[id] = if e.ids[0] == BOS { f64::NEG_INFINITY } else { e.prob };
        uni_bow[id] = e.bow;
    }
    // Higher orders: sort lexicographically, add missing prefixes as context-only entries.
    let mut higher: Vec<Vec<Entry>> = sections.drain(1..).collect();
    for k in (2..order).rev() {
        let have: std::collections::HashSet<Box<[u32]>> = higher[k - 2].iter().map(|e| e.ids.clone()).collect();
        let mut missing: std::collections::HashSet<Box<[u32]>> = std::collections::HashSet::new();
        for e in &higher[k - 1] {
            let prefix: Box<[u32]> = e.ids[..k].into();
            if !have.contains(&prefix) {
                missing.insert(prefix);
            }
        }
        higher[k - 2].extend(missing.into_iter().map(|ids| Entry { ids, prob: f64::NAN, bow: 0.0, line: 0 }));
    }
    let mut levels: Vec<TrieLevel> = Vec::with_capacity(order);
    levels.push(TrieLevel { parent: vec![0; v], word: (0..v as u32).collect(), prob: uni_prob, bow: uni_bow });
    let mut prev_sorted: Vec<Box<[u32]>> = Vec::new();
    let mut prev_start = 1 + v as u32;
    for (i, mut entries) in higher.into_iter().enumerate() {
        let k = i + 2;
        entries.sort_unstable_by(|a, b| a.ids.cmp(&b.ids));
        if let Some(w) = entries.windows(2).find(|w| w[0].ids == w[1].ids && w[0].line > 0 && w[1].line > 0) {
            let (first, second) = (w[0].line.min(w[1].line), w[0].line.max(w[1].line));
            let spelled = w[0].ids.iter().map(|&t| vocab.token(t)).collect::<Vec<_>>().join(" ");
            return Err(format_err(source, second, format!("the {k}-gram '{spelled}' is listed twice (first on line {first})")));
        }
        let mut l = TrieLevel { parent: Vec::with_capacity(entries.len()), word: Vec::with_capacity(entries.len()), prob: Vec::with_capacity(entries.len()), bow: Vec::with_capacity(entries.len()) };
        for e in &entries {
            let prefix = &e.ids[..k - 1];
            let parent = if k == 2 {
                prefix[0] + 1
            } else {
                let idx = prev_sorted.binary_search_by(|p| (**p).cmp(prefix)).expect("every prefix was added above");
                prev_start + idx as u32
            };
            l.parent.push(parent);
            l.word.push(e.ids[k - 1]);
            l.prob.push(e.prob);
            l.bow.push(e.bow);
        }
        if k > 2 {
            prev_start += prev_sorted.len() as u32;
        }
        prev_sorted = entries.into_iter().map(|e| e.ids).collect();
        levels.push(l);
    }
    Ok((Trie::from_levels(order, v, levels), vocab))
}
