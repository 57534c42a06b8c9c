//! Core-only word2vec timing on a corpus file (wiki8 by default): builds the vocabulary, reads
//! the corpus into memory as word ids, trains with the C tool's flags, prints training words/s
//! (words as the C tool counts them / training seconds) and writes the vectors. Optionally
//! scores them on an analogy file (restrict 30 000, compute-accuracy's protocol) and a
//! word-pair file (Spearman).
//!
//! Build it in its own target directory, without RUSTFLAGS (the kernels dispatch at run time):
//!
//! ```text
//! CARGO_TARGET_DIR=/tmp/w2v-release cargo run --release -p seqlearn-core --example word2vec_bench -- \
//!   -train ../shared/data/wiki8/wiki8 -output /tmp/sg.bin -cbow 0 -size 200 -window 5 -negative 5 \
//!   -sample 1e-4 -threads 2 -iter 1 -min-count 5 -binary 1 [-method batched|hogwild|auto] \
//!   [-batch-size N] [-seed S] [-repeat N] [-analogies questions-words.txt] [-word-pairs wordsim353.tsv]
//! ```
//!
//! `-repeat N` trains N times on the same in-memory corpus (seeds `seed..seed+N`) and prints each
//! run, then the best and the spread of the words/s; the vectors of the last run are written and
//! scored.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use seqlearn_core::embeddings::corpus::MemoryCorpus;
use seqlearn_core::embeddings::evaluate::{AnalogyOptions, WordPairOptions};
use seqlearn_core::embeddings::keyed_vectors::KeyedVectors;
use seqlearn_core::embeddings::progress::JobProgress;
use seqlearn_core::embeddings::vocab::{Vocab, VocabOptions};
use seqlearn_core::embeddings::word2vec::{train, Architecture, Method, Word2VecConfig};
use seqlearn_core::io::word2vec_format::write_word2vec;

struct Args {
    train: PathBuf,
    output: Option<PathBuf>,
    binary: bool,
    min_count: u64,
    cfg: Word2VecConfig,
    repeat: usize,
    analogies: Option<PathBuf>,
    word_pairs: Option<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        train: PathBuf::from("../shared/data/wiki8/wiki8"),
        output: None,
        binary: true,
        min_count: 5,
        cfg: Word2VecConfig {
            dim: 200,
            window: 5,
            negative: 5,
            sample: 1e-4,
            iter: 1,
            architecture: Architecture::SkipGram,
            ..Default::default()
        },
        repeat: 1,
        analogies: None,
        word_pairs: None,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let flag = argv[i].as_str();
        let v = argv.get(i + 1).ok_or_else(|| format!("{flag}: missing value"))?.clone();
        let num = |what: &str| -> Result<f64, String> { v.parse::<f64>().map_err(|_| format!("{what}: not a number: {v}")) };
        match flag {
            "-train" => a.train = PathBuf::from(&v),
            "-output" => a.output = Some(PathBuf::from(&v)),
            "-binary" => a.binary = num(flag)? != 0.0,
            "-min-count" => a.min_count = num(flag)? as u64,
            "-cbow" => a.cfg.architecture = if num(flag)? != 0.0 { Architecture::Cbow } else { Architecture::SkipGram },
            "-size" => a.cfg.dim = num(flag)? as usize,
            "-window" => a.cfg.window = num(flag)? as usize,
            "-negative" => a.cfg.negative = num(flag)? as usize,
            "-hs" => a.cfg.hs = num(flag)? != 0.0,
            "-sample" => a.cfg.sample = num(flag)?,
            "-threads" => a.cfg.threads = num(flag)? as usize,
            "-iter" => a.cfg.iter = num(flag)? as usize,
            "-alpha" => a.cfg.alpha = Some(num(flag)? as f32),
            "-seed" => a.cfg.seed = num(flag)? as u64,
            "-batch-size" => a.cfg.batch_size = num(flag)? as usize,
            "-method" => a.cfg.method = Method::from_name(&v).map_err(|e| e.to_string())?,
            "-repeat" => a.repeat = (num(flag)? as usize).max(1),
            "-analogies" => a.analogies = Some(PathBuf::from(&v)),
            "-word-pairs" => a.word_pairs = Some(PathBuf::from(&v)),
            _ => return Err(format!("unknown flag {flag}")),
        }
        i += 2;
    }
    Ok(a)
}

fn run() -> Result<(), String> {
    let args = parse()?;
    let err = |e: seqlearn_core::Error| e.to_string();
    let t = Instant::now();
    let vocab = Vocab::from_file(&args.train, &VocabOptions { min_count: args.min_count, max_vocab: None }, None).map_err(err)?;
    let vocab_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let corpus = MemoryCorpus::from_file(&args.train, &vocab, None).map_err(err)?;
    let read_s = t.elapsed().as_secs_f64();
    println!(
        "vocab {} words ({} train words) in {vocab_s:.2}s; corpus {} ids in {read_s:.2}s",
        vocab.len(),
        vocab.train_words(),
        corpus.len()
    );
    let vocab = Arc::new(vocab);
    let mut rates = Vec::new();
    let mut model = None;
    for r in 0..args.repeat {
        let cfg = Word2VecConfig { seed: args.cfg.seed + r as u64, ..args.cfg.clone() };
        let progress = JobProgress::new();
        let m = train(&corpus, vocab.clone(), &cfg, &progress).map_err(err)?;
        let rate = m.stats.words as f64 / m.stats.seconds;
        println!(
            "run {}: {} {} threads={} shards={} seed={}: {} words in {:.2}s = {:.0}k words/s ({:.0}k/thread)",
            r + 1,
            if cfg.architecture == Architecture::Cbow { "cbow" } else { "sg" },
            m.stats.method.name(),
            m.stats.threads,
            m.stats.shards,
            cfg.seed,
            m.stats.words,
            m.stats.seconds,
            rate / 1e3,
            rate / 1e3 / m.stats.threads as f64
        );
        rates.push(rate);
        model = Some(m);
    }
    if rates.len() > 1 {
        let best = rates.iter().cloned().fold(f64::MIN, f64::max);
        let worst = rates.iter().cloned().fold(f64::MAX, f64::min);
        println!("best {:.0}k words/s, worst {:.0}k, spread {:.1}%", best / 1e3, worst / 1e3, 100.0 * (best - worst) / best);
    }
    let model = model.expect("at least one run");
    if let Some(out) = &args.output {
        write_word2vec(out, vocab.words(), model.dim, &model.syn0, args.binary).map_err(err)?;
        println!("wrote {}", out.display());
    }
    if args.analogies.is_some() || args.word_pairs.is_some() {
        let kv = KeyedVectors::new(vocab.words().to_vec(), model.dim, model.syn0).map_err(err)?;
        if let Some(path) = &args.analogies {
            let t = Instant::now();
            let rep = kv.evaluate_analogies(path, &AnalogyOptions::default()).map_err(err)?;
            let pct = |(c, s): (usize, usize)| if s == 0 { 0.0 } else { 100.0 * c as f64 / s as f64 };
            println!(
                "analogies @30k: {:.2}% (semantic {:.2}%, syntactic {:.2}%), seen {}/{} ({:.1}s)",
                100.0 * rep.accuracy(),
                pct(rep.semantic),
                pct(rep.syntactic),
                rep.seen,
                rep.questions,
                t.elapsed().as_secs_f64()
            );
        }
        if let Some(path) = &args.word_pairs {
            let rep = kv.evaluate_word_pairs(path, &WordPairOptions::default()).map_err(err)?;
            println!(
                "word pairs: Spearman {:.3}, Pearson {:.3}, {} pairs, {:.2}% OOV",
                rep.spearman,
                rep.pearson,
                rep.pairs,
                100.0 * rep.oov_ratio
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("word2vec_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
