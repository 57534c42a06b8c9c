//! The weight tables of a word2vec run, shared without locks between the training threads
//! (Hogwild, as the C tool and every fast implementation do).
//!
//! Three tables of `f32` rows, each row starting on a 64-byte boundary and padded to a multiple
//! of 16 floats ([`SharedWeights::stride`]) so SIMD loads never split a cache line:
//! - `syn0`: input vectors, one per word (the embeddings that are exported);
//! - `syn1neg`: output vectors, one per word (negative sampling, and the full-softmax mode);
//! - `syn1`: hierarchical-softmax vectors, one per inner node of the Huffman tree.
//!
//! Initialisation is the C tool's: `syn0[w][k] = (u − 0.5) / dim` with `u = (r & 0xFFFF) / 65536`
//! drawn from one [`Lcg`] seeded with the run's seed, row-major over the words (bit-identical to
//! the C tool for seed 1); `syn1neg`/`syn1` are zero. The padding floats stay zero (no kernel
//! writes past `dim`).
//!
//! Concurrency contract: [`row0`](SharedWeights::row0) and friends hand out raw pointers from
//! `&self`; threads may read and write rows concurrently. Those races are the Hogwild algorithm
//! (lost or torn updates of individual floats are tolerated, as in the C tool); they never touch
//! memory outside the tables. Safe slice views need `&mut self`, i.e. no training in flight.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;

use crate::embeddings::sampling::Lcg;
use crate::error::{Error, Result};

/// Row alignment in bytes (one cache line; one AVX-512 vector).
pub const ROW_ALIGN_BYTES: usize = 64;
/// Row stride granularity in floats.
pub const ROW_ALIGN_FLOATS: usize = ROW_ALIGN_BYTES / 4;

/// A zeroed, 64-byte aligned heap buffer of `f32` that hands out raw pointers from `&self`.
struct AlignedBuf {
    ptr: NonNull<f32>,
    len: usize,
}

impl AlignedBuf {
    fn zeroed(len: usize, what: &str) -> Result<Self> {
        if len == 0 {
            return Ok(AlignedBuf { ptr: NonNull::dangling(), len: 0 });
        }
        let bytes = len.checked_mul(4).ok_or_else(|| Error::State(format!("{what}: {len} floats overflow the address space")))?;
        let layout =
            Layout::from_size_align(bytes, ROW_ALIGN_BYTES).map_err(|_| Error::State(format!("{what}: {bytes} bytes cannot be allocated")))?;
        // SAFETY: `layout` has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) } as *mut f32;
        let ptr = NonNull::new(raw).ok_or_else(|| Error::State(format!("{what}: out of memory allocating {bytes} bytes")))?;
        Ok(AlignedBuf { ptr, len })
    }

    #[inline(always)]
    fn as_ptr(&self) -> *mut f32 {
        self.ptr.as_ptr()
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: allocated in `zeroed` with exactly this layout.
            unsafe { dealloc(self.ptr.as_ptr() as *mut u8, Layout::from_size_align_unchecked(self.len * 4, ROW_ALIGN_BYTES)) }
        }
    }
}

// SAFETY: the buffer is a plain heap allocation owned by this value; concurrent access goes
// through raw pointers under the Hogwild contract documented at the module level.
unsafe impl Send for AlignedBuf {}
// SAFETY: as above.
unsafe impl Sync for AlignedBuf {}

/// The weight tables of one training run (see the module documentation).
pub struct SharedWeights {
    syn0: AlignedBuf,
    syn1neg: Option<AlignedBuf>,
    syn1: Option<AlignedBuf>,
    words: usize,
    inner_nodes: usize,
    dim: usize,
    stride: usize,
}

impl std::fmt::Debug for SharedWeights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedWeights")
            .field("words", &self.words)
            .field("inner_nodes", &self.inner_nodes)
            .field("dim", &self.dim)
            .field("stride", &self.stride)
            .field("syn1neg", &self.syn1neg.is_some())
            .field("syn1", &self.syn1.is_some())
            .finish()
    }
}

/// Rounds `dim` up to a multiple of [`ROW_ALIGN_FLOATS`].
pub fn padded_stride(dim: usize) -> usize {
    dim.div_ceil(ROW_ALIGN_FLOATS) * ROW_ALIGN_FLOATS
}

impl SharedWeights {
    /// Tables for `words` words of dimension `dim`: `syn0` initialised as the C tool does from
    /// `seed`, a zero `syn1neg` when `output_vectors` (negative sampling or full softmax), and a
    /// zero `syn1` of `inner_nodes` rows when `inner_nodes > 0` (hierarchical softmax).
    pub fn new(words: usize, dim: usize, output_vectors: bool, inner_nodes: usize, seed: u64) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("size", "expected an integer >= 1, got 0"));
        }
        let stride = padded_stride(dim);
        let floats = |rows: usize, what: &str| {
            rows.checked_mul(stride).ok_or_else(|| Error::State(format!("{what}: {rows} rows of {stride} floats overflow")))
        };
        let syn0 = AlignedBuf::zeroed(floats(words, "syn0")?, "syn0")?;
        let syn1neg = if output_vectors { Some(AlignedBuf::zeroed(floats(words, "syn1neg")?, "syn1neg")?) } else { None };
        let syn1 = if inner_nodes > 0 { Some(AlignedBuf::zeroed(floats(inner_nodes, "syn1")?, "syn1")?) } else { None };
        let mut w = SharedWeights { syn0, syn1neg, syn1, words, inner_nodes, dim, stride };
        w.init_syn0(seed);
        Ok(w)
    }

    /// The C tool's `InitNet` for `syn0` (f32 arithmetic as in C: `((r & 0xFFFF) / 65536.f − 0.5) / dim`).
    fn init_syn0(&mut self, seed: u64) {
        let mut rng = Lcg::new(seed);
        let dim_f = self.dim as f32;
        for id in 0..self.words {
            let row = self.row_slice_mut(Table::Syn0, id);
            for x in row.iter_mut() {
                let r = rng.next();
                *x = ((r & 0xFFFF) as f32 / 65536.0 - 0.5) / dim_f;
            }
        }
    }

    /// Vector dimension (floats of a row that hold data).
    #[inline(always)]
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Floats between the starts of consecutive rows (`dim` rounded up to a multiple of 16).
    #[inline(always)]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Words (rows of `syn0` and `syn1neg`).
    #[inline(always)]
    pub fn words(&self) -> usize {
        self.words
    }

    /// Rows of `syn1` (Huffman inner nodes; 0 without hierarchical softmax).
    #[inline(always)]
    pub fn inner_nodes(&self) -> usize {
        self.inner_nodes
    }

    /// Whether `syn1neg` exists.
    pub fn has_syn1neg(&self) -> bool {
        self.syn1neg.is_some()
    }

    /// Whether `syn1` exists.
    pub fn has_syn1(&self) -> bool {
        self.syn1.is_some()
    }

    /// Input vector of word `id` (`dim` valid floats, 64-byte aligned). Hogwild: see the module docs.
    #[inline(always)]
    pub fn row0(&self, id: u32) -> *mut f32 {
        debug_assert!((id as usize) < self.words, "row0: id {id} >= {}", self.words);
        self.syn0.as_ptr().wrapping_add(id as usize * self.stride)
    }

    /// Output vector of word `id` (negative sampling / full softmax). Panics in debug builds
    /// when the table does not exist; in release, callers only ask when it exists.
    #[inline(always)]
    pub fn row1neg(&self, id: u32) -> *mut f32 {
        debug_assert!((id as usize) < self.words, "row1neg: id {id} >= {}", self.words);
        match &self.syn1neg {
            Some(b) => b.as_ptr().wrapping_add(id as usize * self.stride),
            None => panic!("row1neg: no syn1neg table (negative sampling is off)"),
        }
    }

    /// Hierarchical-softmax vector of inner node `node` (a Huffman `point`).
    #[inline(always)]
    pub fn row1(&self, node: u32) -> *mut f32 {
        debug_assert!((node as usize) < self.inner_nodes, "row1: node {node} >= {}", self.inner_nodes);
        match &self.syn1 {
            Some(b) => b.as_ptr().wrapping_add(node as usize * self.stride),
            None => panic!("row1: no syn1 table (hierarchical softmax is off)"),
        }
    }

    /// Base pointer of `syn1neg` (rows at `stride` floats), for kernels that index it themselves.
    pub fn syn1neg_ptr(&self) -> Option<*mut f32> {
        self.syn1neg.as_ref().map(|b| b.as_ptr())
    }

    fn table(&self, t: Table) -> (&AlignedBuf, usize) {
        match t {
            Table::Syn0 => (&self.syn0, self.words),
            Table::Syn1neg => (self.syn1neg.as_ref().expect("no syn1neg table"), self.words),
            Table::Syn1 => (self.syn1.as_ref().expect("no syn1 table"), self.inner_nodes),
        }
    }

    /// Row `row` of table `t` as a mutable slice of `dim` floats (exclusive access, no training
    /// in flight). Panics when the table does not exist or `row` is out of range.
    pub fn row_slice_mut(&mut self, t: Table, row: usize) -> &mut [f32] {
        let (buf, rows) = self.table(t);
        assert!(row < rows, "{t:?}: row {row} out of range 0..{rows}");
        let p = buf.as_ptr().wrapping_add(row * self.stride);
        // SAFETY: in bounds (checked above); `&mut self` excludes every other access.
        unsafe { std::slice::from_raw_parts_mut(p, self.dim) }
    }

    /// Table `t` without padding, row-major `[rows, dim]` (exclusive access: `&mut self`).
    pub fn export(&mut self, t: Table) -> Vec<f32> {
        let (buf, rows) = self.table(t);
        let mut out = Vec::with_capacity(rows * self.dim);
        for r in 0..rows {
            // SAFETY: row `r` is in bounds; `&mut self` excludes concurrent writers.
            let row = unsafe { std::slice::from_raw_parts(buf.as_ptr().wrapping_add(r * self.stride), self.dim) };
            out.extend_from_slice(row);
        }
        out
    }

    /// Bytes held by the tables (for memory reports).
    pub fn bytes(&self) -> usize {
        4 * (self.syn0.len + self.syn1neg.as_ref().map_or(0, |b| b.len) + self.syn1.as_ref().map_or(0, |b| b.len))
    }
}

/// Which table of [`SharedWeights`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Input vectors (per word).
    Syn0,
    /// Output vectors (per word).
    Syn1neg,
    /// Hierarchical-softmax inner-node vectors.
    Syn1,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_aligned_and_padded() {
        let mut w = SharedWeights::new(7, 100, true, 6, 1).unwrap();
        assert_eq!(w.stride(), 112);
        for id in 0..7u32 {
            assert_eq!(w.row0(id) as usize % ROW_ALIGN_BYTES, 0);
            assert_eq!(w.row1neg(id) as usize % ROW_ALIGN_BYTES, 0);
        }
        assert_eq!(w.row1(5) as usize % ROW_ALIGN_BYTES, 0);
        assert_eq!(w.export(Table::Syn0).len(), 700);
        assert!(w.export(Table::Syn1neg).iter().all(|&x| x == 0.0));
        assert_eq!(w.export(Table::Syn1).len(), 600);
        // padding stays zero
        // SAFETY: single-threaded; the padding floats are inside the allocation.
        let pad = unsafe { std::slice::from_raw_parts(w.row0(0).add(100), 12) };
        assert!(pad.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn init_matches_the_c_tool() {
        // C: next_random = 1; for each a, b: next = next*25214903917+11;
        //    syn0[a*size+b] = (((next & 0xFFFF) / (real)65536) - 0.5) / size
        let (words, dim) = (3, 5);
        let mut w = SharedWeights::new(words, dim, false, 0, 1).unwrap();
        let got = w.export(Table::Syn0);
        let mut next: u64 = 1;
        for (i, &g) in got.iter().enumerate() {
            next = next.wrapping_mul(25214903917).wrapping_add(11);
            let want = ((next & 0xFFFF) as f32 / 65536.0 - 0.5) / dim as f32;
            assert_eq!(g.to_bits(), want.to_bits(), "element {i}");
            assert!(g.abs() <= 0.5 / dim as f32);
        }
        let other = SharedWeights::new(words, dim, false, 0, 2).unwrap().export(Table::Syn0);
        assert_ne!(got, other);
    }
}
