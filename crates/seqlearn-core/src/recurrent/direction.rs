//! One direction of one layer over a whole batch of sequences: the recurrent time loop forward
//! and backward. The input projection (one large GEMM over all steps) and the weight gradients
//! (large GEMMs after the backward loop) are done by the caller in `net.rs`; here each step does
//! one recurrent GEMM per gate block and the fused gate math, split into chunks of hidden units
//! that run on different threads (each thread owns a slice of `W_hh` and of the state).
//!
//! Batch rows are sorted by length (longest first) by the caller, so at step `t` the active rows
//! are the prefix `0..active[t]`: padded steps cost nothing, their outputs stay zero and the state
//! of a finished (or, in the reverse direction, not yet started) sequence stays frozen — exactly
//! PyTorch's packed-sequence semantics.

use super::cells;
use super::config::CellKind;
use crate::linalg::{gemm_packed, MatMut, MatRef, PackedWeights};
use crate::parallel::{for_each_chunk, split_range};

/// Sizes and layout of one direction's run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub kind: CellKind,
    pub reset_after: bool,
    pub steps: usize,
    pub batch: usize,
    pub hidden: usize,
    /// Width of `h` (projection size or hidden size).
    pub out: usize,
    pub proj: bool,
    pub reverse: bool,
    /// Row stride of the layer output (directions × out).
    pub out_stride: usize,
    /// First column of this direction in the layer output.
    pub out_col: usize,
}

impl Dims {
    fn gh(&self) -> usize {
        self.kind.gates() * self.hidden
    }
    fn lstm(&self) -> bool {
        self.kind == CellKind::Lstm
    }
    fn gru_after(&self) -> bool {
        self.kind == CellKind::Gru && self.reset_after
    }
    fn gru_before(&self) -> bool {
        self.kind == CellKind::Gru && !self.reset_after
    }
    /// Whether the cell keeps a per-step `[B, H]` side buffer (projection input m, GRU `W_hn h`
    /// or GRU `r ⊙ h`).
    pub fn has_extra(&self) -> bool {
        self.proj || self.kind == CellKind::Gru
    }
    fn time(&self, step: usize) -> usize {
        if self.reverse {
            self.steps - 1 - step
        } else {
            step
        }
    }
}

/// Weights of one layer-direction (slices of the flat parameter buffer).
pub(crate) struct DirWeights<'a> {
    pub w_hh: &'a [f32],
    /// `b_hn` (GRU reset-after with bias only: the bias that stays inside `r ⊙ (…)`).
    pub b_hn: Option<&'a [f32]>,
    pub w_hr: Option<&'a [f32]>,
}

/// `W_hh` (and `W_hr`) packed for the forward time loop: `gates += h · W_hhᵀ` over all G·H
/// columns, `h = m · W_hrᵀ`.
pub(crate) struct FwdPacked {
    hh: PackedWeights,
    hr: Option<PackedWeights>,
}

/// Packs `w[n_rows, k]` (element `(r, kk)` at `w[r·rs + kk·cs]`), possibly into a reused buffer.
pub(crate) type PackFn<'p> = &'p (dyn Fn(&[f32], usize, usize, usize, usize) -> PackedWeights + Sync);

impl FwdPacked {
    pub fn new(d: &Dims, w: &DirWeights, pack: PackFn) -> Self {
        let (hid, ho) = (d.hidden, d.out);
        FwdPacked { hh: pack(w.w_hh, d.gh(), ho, ho, 1), hr: w.w_hr.map(|w_hr| pack(w_hr, ho, hid, hid, 1)) }
    }
    /// The buffers, for reuse.
    pub fn into_buffers(self) -> impl Iterator<Item = PackedWeights> {
        std::iter::once(self.hh).chain(self.hr)
    }
}

/// The transposed packings for the backward loop: `dh = dG · W_hh` is `dG · (W_hhᵀ)ᵀ`, so the
/// packed matrix is `W_hhᵀ` (`[out, G·H]`; GRU: its r,z part `[out, 2H]` and n part `[out, H]`
/// separately, since their left operands differ), and `dm = dh · W_hr` packs `W_hrᵀ`.
pub(crate) struct BwdPacked {
    hh: PackedWeights,
    hn: Option<PackedWeights>,
    hr: Option<PackedWeights>,
}

impl BwdPacked {
    pub fn new(d: &Dims, w: &DirWeights, pack: PackFn) -> Self {
        let (hid, ho) = (d.hidden, d.out);
        let gru = d.kind == CellKind::Gru;
        let k_hh = if gru { 2 * hid } else { d.gh() };
        BwdPacked {
            hh: pack(w.w_hh, ho, k_hh, 1, ho),
            hn: gru.then(|| pack(&w.w_hh[2 * hid * ho..], ho, hid, 1, ho)),
            hr: w.w_hr.map(|w_hr| pack(w_hr, hid, ho, 1, hid)),
        }
    }
    /// The buffers, for reuse.
    pub fn into_buffers(self) -> impl Iterator<Item = PackedWeights> {
        std::iter::once(self.hh).chain(self.hn).chain(self.hr)
    }
}

/// What the forward pass keeps for the backward pass of one layer-direction.
#[derive(Default, Debug)]
pub(crate) struct DirCache {
    /// `[T·B, G·H]`: activated gates; after backward, the gate gradients (input side).
    pub gates: Vec<f32>,
    /// `[T·B, out]`: the state each step started from.
    pub hprev: Vec<f32>,
    /// LSTM `[T·B, H]`: the cell state each step started from.
    pub cprev: Vec<f32>,
    /// `[T·B, H]`: projection input `m`, GRU `W_hn h + b_hn` (after backward: its gradient), or
    /// GRU-before `r ⊙ h`.
    pub extra: Vec<f32>,
    /// Projection only, `[T·B, P]`: gradient of `h` per step (filled by backward).
    pub dh: Vec<f32>,
}

/// A raw pointer to a buffer whose disjoint parts different threads write.
#[derive(Clone, Copy)]
pub(crate) struct Ptr(pub(crate) *mut f32);
// SAFETY: used only to hand disjoint segments of one buffer to different threads.
unsafe impl Send for Ptr {}
unsafe impl Sync for Ptr {}
impl Ptr {
    pub(crate) fn of(v: &mut [f32]) -> Self {
        Ptr(v.as_mut_ptr())
    }
    /// # Safety
    /// `off..off+len` must be in bounds and not accessed by anyone else meanwhile.
    #[allow(clippy::mut_from_ref)]
    unsafe fn seg<'a>(self, off: usize, len: usize) -> &'a mut [f32] {
        std::slice::from_raw_parts_mut(self.0.add(off), len)
    }
    fn mat(self, off: usize, rs: usize) -> MatMut {
        MatMut { ptr: self.0.wrapping_add(off), rs: rs as isize, cs: 1 }
    }
    fn mat_ref(self, off: usize, rs: usize) -> MatRef {
        MatRef { ptr: self.0.wrapping_add(off) as *const f32, rs: rs as isize, cs: 1 }
    }
}

/// How many chunks to split `units` columns into for a step with `work` multiply-adds. A
/// split costs a round trip through the pool (~1 µs when idle) and saves half the step, so it
/// pays from ~10⁵ multiply-adds (the packed kernels do ~50 per ns, memory-bound GEMV included).
/// The result never depends on the split: every column is summed in the same order.
pub(crate) fn plan_chunks(threads: usize, units: usize, work: usize) -> usize {
    if threads <= 1 || work < (1 << 17) {
        return 1;
    }
    threads.min(units / ALIGN).max(1)
}

/// Chunk bounds are multiples of this (one SIMD vector of the packed GEMM).
const ALIGN: usize = 16;

/// Forward time loop. `gates` holds `x·W_ihᵀ + folded biases` for all steps (`[T·B, G·H]`) and
/// is consumed. Writes this direction's columns of `out` (`[T·B, out_stride]`, zero-initialised),
/// the final states into `h` / `c` (which hold the initial states on entry), and returns the
/// cache (complete when `keep`; otherwise just the consumed gate buffer, for reuse).
///
/// `out` must address `steps · batch · out_stride` elements; the caller guarantees that no one
/// else writes this direction's columns meanwhile.
#[allow(clippy::too_many_arguments)]
pub(crate) fn forward(
    d: &Dims,
    w: &DirWeights,
    pk: &FwdPacked,
    mut gates: Vec<f32>,
    active: &[usize],
    h: &mut [f32],
    c: &mut [f32],
    out: Ptr,
    keep: bool,
    threads: usize,
    zeros: &dyn Fn(usize) -> Vec<f32>,
) -> DirCache {
    let (bsz, hid, ho, gh) = (d.batch, d.hidden, d.out, d.gh());
    let slots = if keep { d.steps } else { 1 };
    let mut hprev = zeros(slots * bsz * ho);
    let mut cprev = if d.lstm() { zeros(slots * bsz * hid) } else { Vec::new() };
    let mut extra = if d.has_extra() { zeros(slots * bsz * hid) } else { Vec::new() };
    let (hp_all, cp_all, ex_all, g_all) = (Ptr::of(&mut hprev), Ptr::of(&mut cprev), Ptr::of(&mut extra), Ptr::of(&mut gates));
    let (h_ptr, c_ptr, out_ptr) = (Ptr::of(h), Ptr::of(c), out);

    for step in 0..d.steps {
        let t = d.time(step);
        let n = active[t];
        if n == 0 {
            continue;
        }
        let s = if keep { t } else { 0 };
        let hp_off = s * bsz * ho;
        let x_off = s * bsz * hid;
        let g_off = t * bsz * gh;
        // SAFETY: serial section; the state rows are copied before any thread writes them.
        unsafe {
            hp_all.seg(hp_off, n * ho).copy_from_slice(&h[..n * ho]);
            if d.lstm() {
                cp_all.seg(x_off, n * hid).copy_from_slice(&c[..n * hid]);
            }
        }
        let hp = hp_all.mat_ref(hp_off, ho);
        let chunks = plan_chunks(threads, hid, n * gh * ho);
        for_each_chunk(chunks, |k| {
            let (u0, u1) = split_range(hid, chunks, ALIGN, k);
            let len = u1 - u0;
            if len == 0 {
                return;
            }
            // SAFETY (whole closure): chunk k only writes columns u0..u1 (of every gate block,
            // of c, of the side buffer) and reads `hp`, which no thread writes in this phase.
            unsafe {
                for gb in 0..d.kind.gates() {
                    if d.gru_before() && gb == 2 {
                        continue;
                    }
                    let cols = gb * hid + u0..gb * hid + u1;
                    if d.gru_after() && gb == 2 {
                        // Column 2H + u of the product goes to the side buffer's column u.
                        let dst = MatMut { ptr: ex_all.0.wrapping_add(x_off).wrapping_sub(2 * hid), rs: hid as isize, cs: 1 };
                        gemm_packed(n, cols, hp, &pk.hh, dst, false);
                    } else {
                        gemm_packed(n, cols, hp, &pk.hh, g_all.mat(g_off, gh), true);
                    }
                }
                for b in 0..n {
                    let g = g_off + b * gh;
                    let hprev_row = &*hp_all.seg(hp_off + b * ho + u0, len);
                    match d.kind {
                        CellKind::RnnTanh | CellKind::RnnRelu => {
                            let hrow = h_ptr.seg(b * ho + u0, len);
                            cells::rnn_forward(g_all.seg(g + u0, len), hrow, d.kind == CellKind::RnnRelu);
                            out_ptr.seg((t * bsz + b) * d.out_stride + d.out_col + u0, len).copy_from_slice(hrow);
                        }
                        CellKind::Lstm => {
                            let target = if d.proj { ex_all.seg(x_off + b * hid + u0, len) } else { h_ptr.seg(b * ho + u0, len) };
                            cells::lstm_forward(
                                g_all.seg(g + u0, len),
                                g_all.seg(g + hid + u0, len),
                                g_all.seg(g + 2 * hid + u0, len),
                                g_all.seg(g + 3 * hid + u0, len),
                                cp_all.seg(x_off + b * hid + u0, len),
                                c_ptr.seg(b * hid + u0, len),
                                target,
                            );
                            if !d.proj {
                                out_ptr.seg((t * bsz + b) * d.out_stride + d.out_col + u0, len).copy_from_slice(target);
                            }
                        }
                        CellKind::Gru if d.reset_after => {
                            let hrow = h_ptr.seg(b * ho + u0, len);
                            cells::gru_forward(
                                g_all.seg(g + u0, len),
                                g_all.seg(g + hid + u0, len),
                                g_all.seg(g + 2 * hid + u0, len),
                                ex_all.seg(x_off + b * hid + u0, len),
                                w.b_hn.map(|b| &b[u0..u1]),
                                hprev_row,
                                hrow,
                            );
                            out_ptr.seg((t * bsz + b) * d.out_stride + d.out_col + u0, len).copy_from_slice(hrow);
                        }
                        CellKind::Gru => {
                            cells::gru_before_rz_forward(
                                g_all.seg(g + u0, len),
                                g_all.seg(g + hid + u0, len),
                                hprev_row,
                                ex_all.seg(x_off + b * hid + u0, len),
                            );
                        }
                    }
                }
            }
        });
        if d.proj {
            // h = m · W_hrᵀ, split over the P output columns.
            let pw_hr = pk.hr.as_ref().expect("projection weights");
            let pchunks = plan_chunks(threads, ho, n * ho * hid);
            for_each_chunk(pchunks, |k| {
                let (p0, p1) = split_range(ho, pchunks, ALIGN, k);
                if p1 == p0 {
                    return;
                }
                // SAFETY: chunk k writes columns p0..p1 of h and of the output only.
                unsafe {
                    gemm_packed(n, p0..p1, ex_all.mat_ref(x_off, hid), pw_hr, h_ptr.mat(0, ho), false);
                    for b in 0..n {
                        out_ptr.seg((t * bsz + b) * d.out_stride + d.out_col + p0, p1 - p0).copy_from_slice(h_ptr.seg(b * ho + p0, p1 - p0));
                    }
                }
            });
        }
        if d.gru_before() {
            // n = tanh(x·W_inᵀ + b_in + b_hn + (r ⊙ h)·W_hnᵀ): needs r of every unit first.
            for_each_chunk(chunks, |k| {
                let (u0, u1) = split_range(hid, chunks, ALIGN, k);
                let len = u1 - u0;
                if len == 0 {
                    return;
                }
                // SAFETY: chunk k writes columns u0..u1 of the n block, of h and of the output.
                unsafe {
                    gemm_packed(n, 2 * hid + u0..2 * hid + u1, ex_all.mat_ref(x_off, hid), &pk.hh, g_all.mat(g_off, gh), true);
                    for b in 0..n {
                        let g = g_off + b * gh;
                        let hrow = h_ptr.seg(b * ho + u0, len);
                        cells::gru_before_n_forward(g_all.seg(g + hid + u0, len), g_all.seg(g + 2 * hid + u0, len), hp_all.seg(hp_off + b * ho + u0, len), hrow);
                        out_ptr.seg((t * bsz + b) * d.out_stride + d.out_col + u0, len).copy_from_slice(hrow);
                    }
                }
            });
        }
    }
    // Without `keep` only the gate buffer is of any size; the caller may reuse it.
    DirCache { gates, hprev, cprev, extra, dh: Vec::new() }
}

/// Backward time loop. `dout` is the gradient of the layer output (`[T·B, out_stride]`, this
/// direction's columns are read) or `None`; `dh` / `dc` hold the gradients of the final states
/// on entry and those of the initial states on return. Leaves the gate gradients in the cache
/// for the weight-gradient GEMMs.
#[allow(clippy::too_many_arguments)]
pub(crate) fn backward(
    d: &Dims,
    pk: &BwdPacked,
    cache: &mut DirCache,
    active: &[usize],
    dout: Option<&[f32]>,
    dh: &mut [f32],
    dc: &mut [f32],
    threads: usize,
) {
    let (bsz, hid, ho, gh) = (d.batch, d.hidden, d.out, d.gh());
    let mut dht = vec![0.0f32; bsz * ho];
    let mut scratch = if d.proj || d.gru_before() { vec![0.0f32; bsz * hid] } else { Vec::new() };
    if d.proj {
        cache.dh = vec![0.0f32; d.steps * bsz * ho];
    }
    let (g_all, hp_all, cp_all, ex_all) = (Ptr::of(&mut cache.gates), Ptr::of(&mut cache.hprev), Ptr::of(&mut cache.cprev), Ptr::of(&mut cache.extra));
    let (dht_p, sc_p, dh_p, dc_p) = (Ptr::of(&mut dht), Ptr::of(&mut scratch), Ptr::of(dh), Ptr::of(dc));

    for step in (0..d.steps).rev() {
        let t = d.time(step);
        let n = active[t];
        let g_off = t * bsz * gh;
        let x_off = t * bsz * hid;
        let hp_off = t * bsz * ho;
        // SAFETY: serial section.
        unsafe {
            // Inactive rows contribute nothing to the weight gradients.
            g_all.seg(g_off + n * gh, (bsz - n) * gh).fill(0.0);
            if d.gru_after() {
                ex_all.seg(x_off + n * hid, (bsz - n) * hid).fill(0.0);
            }
            if n == 0 {
                continue;
            }
            let dht_s = dht_p.seg(0, n * ho);
            dht_s.copy_from_slice(&dh_p.seg(0, n * ho)[..]);
            if let Some(go) = dout {
                for b in 0..n {
                    let src = &go[(t * bsz + b) * d.out_stride + d.out_col..][..ho];
                    for (x, y) in dht_s[b * ho..(b + 1) * ho].iter_mut().zip(src) {
                        *x += *y;
                    }
                }
            }
            if d.proj {
                cache.dh[t * bsz * ho..][..n * ho].copy_from_slice(dht_s);
            }
        }
        let chunks = plan_chunks(threads, hid, n * gh * ho);
        for_each_chunk(chunks, |k| {
            let (u0, u1) = split_range(hid, chunks, ALIGN, k);
            let len = u1 - u0;
            if len == 0 {
                return;
            }
            // SAFETY (whole closure): chunk k writes only columns u0..u1 of the gate blocks, of
            // dc, of the side buffers and (GRU) of dh; it reads dht, which no one writes now.
            unsafe {
                if d.proj {
                    let pw_hr = pk.hr.as_ref().expect("projection weights");
                    gemm_packed(n, u0..u1, dht_p.mat_ref(0, ho), pw_hr, sc_p.mat(0, hid), false);
                }
                for b in 0..n {
                    let g = g_off + b * gh;
                    match d.kind {
                        CellKind::RnnTanh | CellKind::RnnRelu => {
                            cells::rnn_backward(g_all.seg(g + u0, len), dht_p.seg(b * ho + u0, len), d.kind == CellKind::RnnRelu);
                        }
                        CellKind::Lstm => {
                            let dm = if d.proj { sc_p.seg(b * hid + u0, len) } else { dht_p.seg(b * ho + u0, len) };
                            cells::lstm_backward(
                                g_all.seg(g + u0, len),
                                g_all.seg(g + hid + u0, len),
                                g_all.seg(g + 2 * hid + u0, len),
                                g_all.seg(g + 3 * hid + u0, len),
                                cp_all.seg(x_off + b * hid + u0, len),
                                dm,
                                dc_p.seg(b * hid + u0, len),
                            );
                        }
                        CellKind::Gru if d.reset_after => {
                            cells::gru_backward(
                                g_all.seg(g + u0, len),
                                g_all.seg(g + hid + u0, len),
                                g_all.seg(g + 2 * hid + u0, len),
                                ex_all.seg(x_off + b * hid + u0, len),
                                hp_all.seg(hp_off + b * ho + u0, len),
                                dht_p.seg(b * ho + u0, len),
                                dh_p.seg(b * ho + u0, len),
                            );
                        }
                        CellKind::Gru => {
                            cells::gru_before_zn_backward(
                                g_all.seg(g + hid + u0, len),
                                g_all.seg(g + 2 * hid + u0, len),
                                hp_all.seg(hp_off + b * ho + u0, len),
                                dht_p.seg(b * ho + u0, len),
                                dh_p.seg(b * ho + u0, len),
                            );
                        }
                    }
                }
            }
        });
        if d.gru_before() {
            // d(r ⊙ h) = dn_pre · W_hn, then the r gradient and the r ⊙ d(rh) part of dh_prev.
            for_each_chunk(chunks, |k| {
                let (u0, u1) = split_range(hid, chunks, ALIGN, k);
                let len = u1 - u0;
                if len == 0 {
                    return;
                }
                // SAFETY: chunk k writes columns u0..u1 of the scratch, the r block and dh.
                unsafe {
                    let pw_hn = pk.hn.as_ref().expect("GRU packing");
                    gemm_packed(n, u0..u1, g_all.mat_ref(g_off + 2 * hid, gh), pw_hn, sc_p.mat(0, hid), false);
                    for b in 0..n {
                        cells::gru_before_r_backward(
                            g_all.seg(g_off + b * gh + u0, len),
                            sc_p.seg(b * hid + u0, len),
                            hp_all.seg(hp_off + b * ho + u0, len),
                            dh_p.seg(b * ho + u0, len),
                        );
                    }
                }
            });
        }
        // dh_prev (+)= dG · W_hh, split over the columns of h.
        let pchunks = plan_chunks(threads, ho, n * gh * ho);
        for_each_chunk(pchunks, |k| {
            let (c0, c1) = split_range(ho, pchunks, ALIGN, k);
            if c1 == c0 {
                return;
            }
            let dst = dh_p.mat(0, ho);
            // SAFETY: chunk k writes columns c0..c1 of dh (rows 0..n) only.
            unsafe {
                match d.kind {
                    CellKind::Gru => {
                        gemm_packed(n, c0..c1, g_all.mat_ref(g_off, gh), &pk.hh, dst, true);
                        if d.reset_after {
                            let pw_hn = pk.hn.as_ref().expect("GRU packing");
                            gemm_packed(n, c0..c1, ex_all.mat_ref(x_off, hid), pw_hn, dst, true);
                        }
                    }
                    _ => gemm_packed(n, c0..c1, g_all.mat_ref(g_off, gh), &pk.hh, dst, false),
                }
            }
        });
    }
}
