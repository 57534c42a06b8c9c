//! The forward–backward pass of one item, in three phases around a split frame `h = ⌈T/2⌉`:
//!
//! 1. **A**: frames `0..h`: dense work (see `frames.rs`), then α rows `0..h`, stored.
//!    **B**: frames `T−1 … h`: dense work, then β rows `T−1 … h`, stored.
//! 2. `ln p(l|x)` where the halves meet: `Σ_s α_{h−1}(s) · Σ_{s' after s} β_h(s')`.
//! 3. **A**: α continued over frames `h..T` on two rolling rows, each frame's γ taken with the
//!    stored β row and subtracted from the gradient. **B**: β continued over frames `h−1 … 0`
//!    likewise against the stored α rows.
//!
//! A and B of a phase are independent. When an item has the pool to itself (fewer items than
//! threads) they run on two threads (`split`); otherwise on one thread with their row steps
//! interleaved chunk by chunk, which gives the out-of-order core two dependency chains. Either
//! way every row is computed by the same arithmetic, so results are the same bits whatever the
//! thread count or batch. The workspace is one `[T, 2·w]` matrix (α in rows `< h`, β in rows
//! `≥ h`), the gathered label emissions `[T, w]`, the blank emissions `[T]` and four rolling
//! rows: never α *and* β for all frames, never anything `[T, C]`.
//!
//! Rows are kept in log space relative to an offset (`off[t]`, f64): each row is computed minus
//! the previous row's band maximum, so its values stay near 0 and keep f32 precision over any
//! sequence length (PyTorch's f32 α reaches `−T·|lp|`, where an ulp is large).
//!
//! Band pruning (warp-ctc's window): at frame `t` only states `s ∈ [S − 2(T − t), 2t + 1]` can
//! be on a complete path. Rows are computed over the 16-lane chunks covering that band. Cells
//! above the band of an α row (below the band of a β row) are unreachable and must read as
//! `−inf`: they do, because rows start as `−inf`, the label emissions of cells that are no state
//! are `−inf`, and such cells are only ever computed from such cells. Cells on the other side of
//! the band may hold anything (they cannot reach the end, or cannot be reached): no in-band cell
//! reads them, and maxima, γ and the likelihood are taken over the band only.

use super::frames::{log_probs_frame, logits_frame, zero_frame};
use super::logspace::{alpha_beta_rows, alpha_row, band_max, beta_row, gamma_row, lse_f64, Band, Step, NEG_INF, PAD};
use super::targets::{extend, row_width, ItemPlan};
use super::CtcInputKind;
use crate::parallel;

/// The gradient buffer, written by several threads at disjoint frames.
#[derive(Clone, Copy)]
pub(crate) struct GradRows {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: every user writes frames no other thread touches at the same time: items own their
// frames, and the two halves of a split item write the frames `0..h` and `h..T` (see `run`).
unsafe impl Send for GradRows {}
unsafe impl Sync for GradRows {}

impl GradRows {
    /// Wraps the whole gradient buffer.
    pub fn new(grad: &mut [f32]) -> Self {
        GradRows { ptr: grad.as_mut_ptr(), len: grad.len() }
    }

    /// The `len` values at `off`.
    ///
    /// # Safety
    /// No other reference to these values may be alive while the returned one is.
    #[allow(clippy::mut_from_ref)]
    unsafe fn row(&self, off: usize, len: usize) -> &mut [f32] {
        assert!(off + len <= self.len, "gradient row {off}+{len} out of {}", self.len);
        std::slice::from_raw_parts_mut(self.ptr.add(off), len)
    }
}

/// What the phases of one item read.
pub(crate) struct Item<'a> {
    /// The whole input.
    pub input: &'a [f32],
    /// The whole gradient.
    pub grad: GradRows,
    /// Flat offset of the item's frame 0.
    pub base: usize,
    /// Flat distance between consecutive frames of the item.
    pub stride: usize,
    /// `C`.
    pub classes: usize,
    /// `T` of the tensor (frames `input_length..T` get a zero gradient).
    pub frames: usize,
    /// The item's lengths and labels.
    pub plan: ItemPlan,
    /// The item's labels.
    pub labels: &'a [i32],
    /// The blank class.
    pub blank: usize,
    /// The gradient's scale for this item (reduction, upstream gradient).
    pub scale: f32,
    /// Logits or log-probabilities.
    pub kind: CtcInputKind,
}

impl Item<'_> {
    fn frame(&self, t: usize) -> &[f32] {
        let o = self.base + t * self.stride;
        &self.input[o..o + self.classes]
    }

    /// # Safety
    /// As [`GradRows::row`]: the caller owns frame `t` of this item.
    #[allow(clippy::mut_from_ref)]
    unsafe fn grad_row(&self, t: usize) -> &mut [f32] {
        self.grad.row(self.base + t * self.stride, self.classes)
    }

    /// Checks the used frames and zeroes the whole gradient of the item (no alignment, or an
    /// infinite loss). Returns false if a used frame is not finite.
    pub fn zero(&self) -> bool {
        let mut ok = true;
        for t in 0..self.frames {
            // SAFETY: the item owns its frames; nothing else of it runs now.
            let g = unsafe { self.grad_row(t) };
            if t < self.plan.input_length {
                ok &= zero_frame(self.frame(t), g);
            } else {
                g.fill(0.0);
            }
        }
        ok
    }
}

/// Rolling rows and the γ sub-row of one phase-3 sweep.
#[derive(Default)]
struct Scratch {
    roll: Vec<f32>,
    gamma: Vec<f32>,
}

/// Reusable buffers of the items one task processes.
#[derive(Default)]
pub(crate) struct Workspace {
    classes: Vec<u32>,
    skip: Vec<f32>,
    lpa: Vec<f32>,
    lpb: Vec<f32>,
    mat: Vec<f32>,
    off: Vec<f64>,
    scratch: [Scratch; 2],
}

/// How an item ended.
pub(crate) enum Outcome {
    /// `ln p(l|x)` (`−inf` if it underflowed; the gradient is then zero).
    LogLikelihood(f64),
    /// A used frame holds a NaN or ±inf.
    NonFinite,
}

/// What every phase of an item reads: the item, its label classes, skip mask and sub-row width.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    item: &'a Item<'a>,
    classes: &'a [u32],
    skip: &'a [f32],
    /// Sub-row width; a row is `2 · w` (blank sub-row, then label sub-row).
    w: usize,
}

impl Ctx<'_> {
    fn frames(&self) -> usize {
        self.item.plan.input_length
    }

    /// The band of frame `t`: states in `[S − 2(T − t), 2t + 1]` can be on a complete path.
    #[inline(always)]
    fn band(&self, t: usize) -> Band {
        let states = 2 * self.classes.len() + 1;
        Band::new(states.saturating_sub(2 * (self.frames() - t)), (2 * t + 1).min(states - 1))
    }

    /// Subtracts `scale · γ` from frame `t`'s gradient: `blank` (the blank states' total) and
    /// the in-band label states' `ga`.
    #[inline(always)]
    fn subtract_gamma(&self, t: usize, blank: f32, ga: &[f32], band: Band) {
        // SAFETY: the calling phase owns frame `t` (see `run`).
        let grad = unsafe { self.item.grad_row(t) };
        let scale = self.item.scale;
        let (first, last) = (band.label.0.max(PAD as i32) as usize, (band.label.1 + 1).max(PAD as i32) as usize);
        for (&c, &g) in self.classes[first - PAD..last.max(first) - PAD].iter().zip(&ga[first..last.max(first)]) {
            grad[c as usize] -= scale * g;
        }
        grad[self.item.blank] -= scale * blank;
    }
}

/// A row maximum usable as a shift (0 when the row is all `−inf`, so no `−inf − (−inf)`).
#[inline(always)]
fn shift_of(m: f32) -> f32 {
    if m.is_finite() {
        m
    } else {
        0.0
    }
}

/// Phase 1 of one half: the dense work of its frames and its stored rows (A: α over frames
/// `0..h`; B: β over frames `T−1 … h`). `lpa`, `lpb`, `mat`, `off` are the half's rows, in
/// frame order; step `j` is frame `j` (A) or `T − 1 − j` (B).
struct Store<'a> {
    forward: bool,
    /// The half's first frame.
    first: usize,
    lpa: &'a mut [f32],
    lpb: &'a mut [f32],
    mat: &'a mut [f32],
    off: &'a mut [f64],
    /// The last row's band maximum.
    m: f32,
    /// The frames' offsets, summed.
    lambda: f64,
}

/// (frame, row) of step `j` of a half that covers `steps` frames from `first`: forward halves
/// walk up from `first`, backward halves down from the last frame (rows indexed by frame order).
#[inline(always)]
fn step_at(forward: bool, first: usize, steps: usize, j: usize) -> (usize, usize) {
    if forward {
        (first + j, j)
    } else {
        (first + steps - 1 - j, steps - 1 - j)
    }
}

impl Store<'_> {
    fn steps(&self) -> usize {
        self.off.len()
    }

    /// (frame, row in this half) of step `j`.
    #[inline(always)]
    fn at(&self, j: usize) -> (usize, usize) {
        step_at(self.forward, self.first, self.steps(), j)
    }

    /// Dense work of step `j`'s frame; false if the frame is not finite.
    #[inline(always)]
    fn dense(&mut self, cx: &Ctx<'_>, j: usize) -> bool {
        let (t, r) = self.at(j);
        let w = cx.w;
        let item = cx.item;
        // SAFETY: this half owns its frames (see `run`).
        let g = unsafe { item.grad_row(t) };
        let lpa = &mut self.lpa[r * w..(r + 1) * w];
        let e = match item.kind {
            CtcInputKind::Logits => logits_frame(item.frame(t), g, item.scale, item.blank, cx.classes, lpa),
            CtcInputKind::LogProbs => log_probs_frame(item.frame(t), g, item.scale, item.blank, cx.classes, lpa),
        };
        match e {
            Some(e) => {
                self.lpb[r] = e.blank;
                self.lambda += e.offset;
                true
            }
            None => false,
        }
    }

    /// Step 0: α starts at the first two states, β at the last two.
    #[inline(always)]
    fn init(&mut self, cx: &Ctx<'_>) {
        let (t, r) = self.at(0);
        let w = cx.w;
        let labels = cx.classes.len();
        let (cb, ca) = self.mat[r * 2 * w..(r + 1) * 2 * w].split_at_mut(w);
        let la = &self.lpa[r * w..(r + 1) * w];
        if self.forward {
            cb[PAD] = self.lpb[r];
            ca[PAD] = la[PAD];
        } else {
            cb[PAD + labels] = self.lpb[r];
            if labels > 0 {
                ca[PAD + labels - 1] = la[PAD + labels - 1];
            }
        }
        self.off[r] = 0.0;
        self.m = band_max(cb, ca, cx.band(t));
    }

    /// The recursion step `j ≥ 1` (from the row of step `j − 1`).
    #[inline(always)]
    fn step<'s>(&'s mut self, cx: &Ctx<'_>, j: usize) -> Step<'s> {
        let (t, r) = self.at(j);
        let w = cx.w;
        let shift = shift_of(self.m);
        // The neighbour row: r − 1 (α) or r + 1 (β).
        let (cur, nbr) = if self.forward {
            let (done, rest) = self.mat.split_at_mut(r * 2 * w);
            self.off[r] = self.off[r - 1] + shift as f64;
            (&mut rest[..2 * w], &done[(r - 1) * 2 * w..])
        } else {
            let (rest, later) = self.mat.split_at_mut((r + 1) * 2 * w);
            self.off[r] = self.off[r + 1] + shift as f64;
            (&mut rest[r * 2 * w..], &later[..2 * w])
        };
        let (cb, ca) = cur.split_at_mut(w);
        let (nb, na) = nbr.split_at(w);
        Step { nb, na, shift, lpb: self.lpb[r], lpa: &self.lpa[r * w..(r + 1) * w], cb, ca, band: cx.band(t) }
    }
}

/// Phase 3 of one half: the recursion continued over the other half's frames on two rolling
/// rows, each frame's γ taken with the stored row of the other direction and subtracted from the
/// gradient (A: α over frames `h..T` against stored β; B: β over frames `h−1 … 0` against
/// stored α). `lpa`, `lpb`, `stored`, `off` are those frames' rows, in frame order.
struct Sweep<'a> {
    forward: bool,
    first: usize,
    lpa: &'a [f32],
    lpb: &'a [f32],
    stored: &'a [f32],
    off: &'a [f64],
    /// The row the sweep starts from (α row `h − 1`; β row `h`, or none when `h = T`).
    start: Option<&'a [f32]>,
    /// The current row's offset.
    r: f64,
    m: f32,
    log_p: f64,
    scratch: &'a mut Scratch,
}

impl<'a> Sweep<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        cx: &Ctx<'_>,
        forward: bool,
        first: usize,
        lpa: &'a [f32],
        lpb: &'a [f32],
        stored: &'a [f32],
        off: &'a [f64],
        start: Option<(&'a [f32], f64, usize)>,
        log_p: f64,
        scratch: &'a mut Scratch,
    ) -> Self {
        let w = cx.w;
        scratch.roll.clear();
        scratch.roll.resize(4 * w, NEG_INF);
        scratch.gamma.resize(w, 0.0);
        let (m, r) = match start {
            Some((row, off, t)) => {
                let (b, a) = row[..2 * w].split_at(w);
                (band_max(b, a, cx.band(t)), off)
            }
            None => (NEG_INF, 0.0),
        };
        Sweep { forward, first, lpa, lpb, stored, off, start: start.map(|s| s.0), r, m, log_p, scratch }
    }

    fn steps(&self) -> usize {
        self.off.len()
    }

    #[inline(always)]
    fn at(&self, j: usize) -> (usize, usize) {
        step_at(self.forward, self.first, self.steps(), j)
    }

    /// True when step `j` has no neighbour row: β at the last frame (`h = T`).
    fn is_init(&self, j: usize) -> bool {
        j == 0 && self.start.is_none()
    }

    /// Step 0 without a neighbour: β starts at the last two states.
    #[inline(always)]
    fn init(&mut self, cx: &Ctx<'_>) {
        let (t, r) = self.at(0);
        let w = cx.w;
        let labels = cx.classes.len();
        let (cb, ca) = self.scratch.roll[..2 * w].split_at_mut(w);
        cb[PAD + labels] = self.lpb[r];
        if labels > 0 {
            ca[PAD + labels - 1] = self.lpa[r * w + PAD + labels - 1];
        }
        self.r = 0.0;
        self.m = band_max(cb, ca, cx.band(t));
    }

    /// The recursion step `j` into rolling row `j mod 2` (from the start row or row `j − 1`).
    #[inline(always)]
    fn step<'s>(&'s mut self, cx: &Ctx<'_>, j: usize) -> Step<'s> {
        let (t, r) = self.at(j);
        let w = cx.w;
        let shift = shift_of(self.m);
        self.r += shift as f64;
        let (r0, r1) = self.scratch.roll.split_at_mut(2 * w);
        let (nbr, cur): (&[f32], &mut [f32]) = match (j, j % 2) {
            (0, _) => (self.start.unwrap_or(&[]), r0),
            (_, 1) => (r0, r1),
            _ => (r1, r0),
        };
        let (cb, ca) = cur.split_at_mut(w);
        let (nb, na) = nbr[..2 * w].split_at(w);
        Step { nb, na, shift, lpb: self.lpb[r], lpa: &self.lpa[r * w..(r + 1) * w], cb, ca, band: cx.band(t) }
    }

    /// γ of step `j`'s frame (the rolling row just computed, with band maximum `m`) against the
    /// stored row; subtracted from the gradient.
    #[inline(always)]
    fn gamma(&mut self, cx: &Ctx<'_>, j: usize, m: f32) {
        self.m = m;
        let (t, r) = self.at(j);
        let w = cx.w;
        let cur = &self.scratch.roll[(j % 2) * 2 * w..(j % 2 + 1) * 2 * w];
        let stored = &self.stored[r * 2 * w..(r + 1) * 2 * w];
        let ((cb, ca), (sb, sa)) = (cur.split_at(w), stored.split_at(w));
        let ((ab, aa), (bb, ba)) = if self.forward { ((cb, ca), (sb, sa)) } else { ((sb, sa), (cb, ca)) };
        let k = (self.r + self.off[r] - self.log_p) as f32;
        let band = cx.band(t);
        let blank = gamma_row(ab, aa, bb, ba, self.lpb[r], &self.lpa[r * w..(r + 1) * w], k, &mut self.scratch.gamma, band);
        cx.subtract_gamma(t, blank, &self.scratch.gamma, band);
    }
}

crate::dispatch! {
    /// Phase 1 of both halves on this thread, their steps interleaved (two independent chains
    /// for the out-of-order core). `ok` false on a non-finite frame.
    fn store_both(cx: &Ctx<'_>, a: &mut Store<'_>, b: &mut Store<'_>, ok: &mut bool) {
        for j in 0..a.steps().max(b.steps()) {
            let (in_a, in_b) = (j < a.steps(), j < b.steps());
            if (in_a && !a.dense(cx, j)) || (in_b && !b.dense(cx, j)) {
                *ok = false;
                return;
            }
            if j == 0 {
                a.init(cx);
                if in_b {
                    b.init(cx);
                }
            } else if in_a && in_b {
                let (ma, mb) = alpha_beta_rows(a.step(cx, j), b.step(cx, j), cx.skip);
                a.m = ma;
                b.m = mb;
            } else if in_a {
                a.m = alpha_row(a.step(cx, j), cx.skip);
            } else {
                b.m = beta_row(b.step(cx, j), cx.skip);
            }
        }
    }
}

crate::dispatch! {
    /// Phase 1 of one half (the other runs on another thread).
    fn store_one(cx: &Ctx<'_>, x: &mut Store<'_>, ok: &mut bool) {
        for j in 0..x.steps() {
            if !x.dense(cx, j) {
                *ok = false;
                return;
            }
            if j == 0 {
                x.init(cx);
            } else if x.forward {
                x.m = alpha_row(x.step(cx, j), cx.skip);
            } else {
                x.m = beta_row(x.step(cx, j), cx.skip);
            }
        }
    }
}

crate::dispatch! {
    /// Phase 3 of both halves on this thread, interleaved (`a` forward, `b` backward).
    fn sweep_both(cx: &Ctx<'_>, a: &mut Sweep<'_>, b: &mut Sweep<'_>) {
        for j in 0..a.steps().max(b.steps()) {
            let (in_a, in_b) = (j < a.steps(), j < b.steps());
            if in_b && b.is_init(j) {
                b.init(cx);
                let m = b.m;
                b.gamma(cx, j, m);
                if in_a {
                    let m = alpha_row(a.step(cx, j), cx.skip);
                    a.gamma(cx, j, m);
                }
                continue;
            }
            if in_a && in_b {
                let (ma, mb) = alpha_beta_rows(a.step(cx, j), b.step(cx, j), cx.skip);
                a.gamma(cx, j, ma);
                b.gamma(cx, j, mb);
            } else if in_a {
                let m = alpha_row(a.step(cx, j), cx.skip);
                a.gamma(cx, j, m);
            } else {
                let m = beta_row(b.step(cx, j), cx.skip);
                b.gamma(cx, j, m);
            }
        }
    }
}

crate::dispatch! {
    /// Phase 3 of one half.
    fn sweep_one(cx: &Ctx<'_>, x: &mut Sweep<'_>) {
        for j in 0..x.steps() {
            if x.is_init(j) {
                x.init(cx);
                let m = x.m;
                x.gamma(cx, j, m);
            } else if x.forward {
                let m = alpha_row(x.step(cx, j), cx.skip);
                x.gamma(cx, j, m);
            } else {
                let m = beta_row(x.step(cx, j), cx.skip);
                x.gamma(cx, j, m);
            }
        }
    }
}

/// `ln p(l|x)` (without the frames' offsets) from the stored α row `h − 1` and β row `h`, or
/// from the last α row when `h = T`.
fn log_likelihood(cx: &Ctx<'_>, mat: &[f32], off: &[f64], h: usize) -> f64 {
    let (w, labels) = (cx.w, cx.classes.len());
    let (ab, aa) = mat[(h - 1) * 2 * w..h * 2 * w].split_at(w);
    let f = |v: f32| v as f64;
    if h == cx.frames() {
        let before = if labels > 0 { f(aa[PAD + labels - 1]) } else { f64::NEG_INFINITY };
        return off[h - 1] + lse_f64(&[f(ab[PAD + labels]), before]);
    }
    let (bb, ba) = mat[h * 2 * w..(h + 1) * 2 * w].split_at(w);
    let band = cx.band(h - 1);
    // Σ_s α(s) · Σ_{s' after s} β(s'), in log space.
    let mut terms = Vec::with_capacity(2 * (labels + 1));
    for p in band.blank.0..=band.blank.1 {
        let p = p as usize;
        terms.push(f(ab[p]) + lse_f64(&[f(bb[p]), f(ba[p])]));
    }
    for p in band.label.0..=band.label.1 {
        let p = p as usize;
        terms.push(f(aa[p]) + lse_f64(&[f(ba[p]), f(bb[p + 1]), f(ba[p + 1]) + f(cx.skip[p + 1])]));
    }
    off[h - 1] + off[h] + lse_f64(&terms)
}

/// Runs the item (feasible, `T_b ≥ 1`) with `ws`; `split` runs the A and B halves of each
/// phase on two threads (only inside the pool), otherwise they run interleaved on this one.
pub(crate) fn run(item: &Item<'_>, ws: &mut Workspace, split: bool) -> Outcome {
    let (t_len, labels) = (item.plan.input_length, item.plan.target_length);
    debug_assert!(t_len >= 1 && item.plan.feasible());
    let w = row_width(labels);
    // Frames past the item's length: zero gradient (their values are never read).
    for t in t_len..item.frames {
        // SAFETY: the item owns its frames; nothing else of it runs now.
        unsafe { item.grad_row(t) }.fill(0.0);
    }
    extend(item.labels, w, &mut ws.classes, &mut ws.skip);
    ws.lpa.resize(t_len * w, 0.0);
    ws.lpb.resize(t_len, 0.0);
    ws.mat.clear();
    ws.mat.resize(t_len * 2 * w, NEG_INF);
    ws.off.resize(t_len, 0.0);
    let h = t_len.div_ceil(2);
    let Workspace { classes, skip, lpa, lpb, mat, off, scratch } = ws;
    let cx = Ctx { item, classes, skip, w };

    // Phase 1: dense work and stored rows (α for frames 0..h, β for h..T).
    let (lpa_lo, lpa_hi) = lpa[..t_len * w].split_at_mut(h * w);
    let (lpb_lo, lpb_hi) = lpb[..t_len].split_at_mut(h);
    let (mat_lo, mat_hi) = mat[..t_len * 2 * w].split_at_mut(h * 2 * w);
    let (off_lo, off_hi) = off[..t_len].split_at_mut(h);
    let mut a = Store { forward: true, first: 0, lpa: lpa_lo, lpb: lpb_lo, mat: mat_lo, off: off_lo, m: NEG_INF, lambda: 0.0 };
    let mut b = Store { forward: false, first: h, lpa: lpa_hi, lpb: lpb_hi, mat: mat_hi, off: off_hi, m: NEG_INF, lambda: 0.0 };
    let (mut ok_a, mut ok_b) = (true, true);
    if split {
        parallel::join(|| store_one(&cx, &mut a, &mut ok_a), || store_one(&cx, &mut b, &mut ok_b));
    } else {
        store_both(&cx, &mut a, &mut b, &mut ok_a);
    }
    if !(ok_a && ok_b) {
        return Outcome::NonFinite;
    }
    // The frames' offsets, summed in a fixed order (the same bits whatever the schedule).
    let lambda = a.lambda + b.lambda;

    // Phase 2: where the halves meet.
    let log_p = log_likelihood(&cx, mat, off, h);
    if !log_p.is_finite() {
        // Underflow to probability 0 (only with extreme inputs): no gradient to give.
        item.zero();
        return Outcome::LogLikelihood(f64::NEG_INFINITY);
    }

    // Phase 3: each half's recursion continued over the other half's frames, with γ.
    let (lpa_lo, lpa_hi) = lpa[..t_len * w].split_at(h * w);
    let (lpb_lo, lpb_hi) = lpb[..t_len].split_at(h);
    let (mat_lo, mat_hi) = mat[..t_len * 2 * w].split_at(h * 2 * w);
    let (off_lo, off_hi) = off[..t_len].split_at(h);
    let [s_a, s_b] = scratch;
    let alpha_start = Some((&mat_lo[(h - 1) * 2 * w..], off_lo[h - 1], h - 1));
    let beta_start = if h < t_len { Some((&mat_hi[..2 * w], off_hi[0], h)) } else { None };
    let mut a = Sweep::new(&cx, true, h, lpa_hi, lpb_hi, mat_hi, off_hi, alpha_start, log_p, s_a);
    let mut b = Sweep::new(&cx, false, 0, lpa_lo, lpb_lo, mat_lo, off_lo, beta_start, log_p, s_b);
    if split {
        parallel::join(|| sweep_one(&cx, &mut a), || sweep_one(&cx, &mut b));
    } else {
        sweep_both(&cx, &mut a, &mut b);
    }
    Outcome::LogLikelihood(log_p + lambda)
}
