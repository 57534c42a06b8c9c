//! Element-wise activations with `torch.nn.functional` semantics: forward `y = f(x)` and
//! backward `dx = f'(x) · dy`. Each kernel is one vectorisable loop compiled for SSE2, AVX2 and
//! AVX-512 by [`crate::dispatch!`] (no libm calls: `exp`, `erf`, `log1p` are polynomial), checks
//! finiteness in the same pass, and runs over the pool in chunks when the tensor is large.
//!
//! Accuracy (asserted by the tests against f64 references on [−30, 30] and at extreme values):
//! forward and derivative within `6e-7 · (1 + |y|)` for every activation (ReLU exact, LeakyReLU
//! one rounding); Sigmoid and Tanh are the shared kernels of [`crate::activation`].
//!
//! What backward needs: Tanh and Sigmoid take the forward **output** (`1 − y²`, `y (1 − y)`);
//! every other activation takes the forward **input** ([`Activation::saves_output`]).

use std::sync::atomic::{AtomicBool, Ordering};

use super::{chunks_for, for_each_piece, non_finite, OwnedTensor};
use crate::activation::{exp, sigmoid, tanh};
use crate::error::{Error, Result};
use crate::recurrent::TensorRef;

/// The GELU formula (`torch.nn.GELU(approximate=…)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeluApproximation {
    /// Exact: `x Φ(x) = ½ x (1 + erf(x / √2))` (PyTorch's default, `'none'`).
    None,
    /// `½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))` (`'tanh'`).
    Tanh,
}

/// An element-wise activation and its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `max(0, x)`.
    Relu,
    /// `x` if `x > 0`, else `negative_slope · x` (PyTorch default slope 0.01).
    LeakyRelu {
        /// Slope for negative inputs.
        negative_slope: f32,
    },
    /// `x` if `x > 0`, else `alpha (eˣ − 1)` (PyTorch default alpha 1).
    Elu {
        /// Scale of the negative part.
        alpha: f32,
    },
    /// Gaussian error linear unit.
    Gelu {
        /// Exact (erf) or tanh approximation.
        approximate: GeluApproximation,
    },
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid `1 / (1 + e⁻ˣ)`.
    Sigmoid,
    /// `log(1 + e^{βx}) / β`, and `x` where `βx > threshold` (PyTorch defaults β = 1, threshold 20).
    Softplus {
        /// β (> 0).
        beta: f32,
        /// Above `βx > threshold` the function is the identity.
        threshold: f32,
    },
    /// `x · sigmoid(x)` (also called swish).
    Silu,
}

/// Optional parameters of [`Activation::parse`], by PyTorch's names.
#[derive(Clone, Debug, Default)]
pub struct ActivationOptions {
    /// `leaky_relu`: slope for negative inputs (default 0.01).
    pub negative_slope: Option<f64>,
    /// `elu`: scale of the negative part (default 1).
    pub alpha: Option<f64>,
    /// `softplus`: β (default 1).
    pub beta: Option<f64>,
    /// `softplus`: threshold (default 20).
    pub threshold: Option<f64>,
    /// `gelu`: `"none"` (default) or `"tanh"`.
    pub approximate: Option<String>,
}

/// The names [`Activation::parse`] accepts.
pub const ACTIVATION_NAMES: [&str; 8] = ["relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid", "softplus", "silu"];

fn finite_param(arg: &str, v: f64) -> Result<f32> {
    if !v.is_finite() || v.abs() > f32::MAX as f64 {
        return Err(Error::invalid(arg, format!("expected a finite number, got {v}")));
    }
    Ok(v as f32)
}

impl Activation {
    /// The activation called `kind` (`"relu"`, `"leaky_relu"`, `"elu"`, `"gelu"`, `"tanh"`,
    /// `"sigmoid"`, `"softplus"`, `"silu"`) with `opts`; an option that does not belong to
    /// `kind` is an error naming it.
    pub fn parse(kind: &str, opts: &ActivationOptions) -> Result<Self> {
        let allowed: &[&str] = match kind {
            "leaky_relu" => &["negativeSlope"],
            "elu" => &["alpha"],
            "gelu" => &["approximate"],
            "softplus" => &["beta", "threshold"],
            _ => &[],
        };
        let given =
            [("negativeSlope", opts.negative_slope.is_some()), ("alpha", opts.alpha.is_some()), ("beta", opts.beta.is_some()), ("threshold", opts.threshold.is_some()), ("approximate", opts.approximate.is_some())];
        if ACTIVATION_NAMES.contains(&kind) {
            if let Some((name, _)) = given.iter().find(|(n, g)| *g && !allowed.contains(n)) {
                let belongs = match *name {
                    "negativeSlope" => "'leaky_relu'",
                    "alpha" => "'elu'",
                    "approximate" => "'gelu'",
                    _ => "'softplus'",
                };
                return Err(Error::invalid(*name, format!("only applies to {belongs}, not to '{kind}'")));
            }
        }
        Ok(match kind {
            "relu" => Activation::Relu,
            "leaky_relu" => Activation::LeakyRelu { negative_slope: finite_param("negativeSlope", opts.negative_slope.unwrap_or(0.01))? },
            "elu" => Activation::Elu { alpha: finite_param("alpha", opts.alpha.unwrap_or(1.0))? },
            "gelu" => Activation::Gelu {
                approximate: match opts.approximate.as_deref() {
                    None | Some("none") => GeluApproximation::None,
                    Some("tanh") => GeluApproximation::Tanh,
                    Some(o) => return Err(Error::invalid("approximate", format!("expected 'none' or 'tanh', got '{o}'"))),
                },
            },
            "tanh" => Activation::Tanh,
            "sigmoid" => Activation::Sigmoid,
            "softplus" => {
                let beta = finite_param("beta", opts.beta.unwrap_or(1.0))?;
                if beta <= 0.0 {
                    return Err(Error::invalid("beta", format!("expected a number > 0, got {beta}")));
                }
                Activation::Softplus { beta, threshold: finite_param("threshold", opts.threshold.unwrap_or(20.0))? }
            }
            "silu" => Activation::Silu,
            other => return Err(Error::invalid("kind", format!("expected one of {}, got '{other}'", ACTIVATION_NAMES.map(|n| format!("'{n}'")).join(", ")))),
        })
    }

    /// PyTorch's functional name (`"leaky_relu"`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Gelu { .. } => "gelu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus { .. } => "softplus",
            Activation::Silu => "silu",
        }
    }

    /// True if [`Activation::backward`] takes the forward output (Tanh, Sigmoid), false if it
    /// takes the forward input (all others).
    pub fn saves_output(&self) -> bool {
        matches!(self, Activation::Tanh | Activation::Sigmoid)
    }

    /// `y = f(x)`, shaped like `input`. Non-finite inputs are an error naming `input`.
    pub fn forward(&self, input: TensorRef<'_>) -> Result<OwnedTensor> {
        super::check_len("input", &input)?;
        let x = input.data;
        let mut out = vec![0.0f32; x.len()];
        let ok = AtomicBool::new(true);
        for_each_piece(&mut out, chunks_for(x.len()), |off, y| {
            let mut good = true;
            self.forward_kernel(&x[off..off + y.len()], y, &mut good);
            if !good {
                ok.store(false, Ordering::Relaxed);
            }
        });
        if !ok.into_inner() {
            return Err(non_finite("input", x));
        }
        Ok(OwnedTensor { data: out, shape: input.shape.to_vec() })
    }

    /// `dx = f'(x) · gradOutput`. `saved` is the forward output for Tanh and Sigmoid and the
    /// forward input otherwise ([`Activation::saves_output`]); both tensors have the same shape.
    pub fn backward(&self, saved: TensorRef<'_>, grad_output: TensorRef<'_>) -> Result<OwnedTensor> {
        let saved_arg = if self.saves_output() { "output" } else { "input" };
        super::check_len(saved_arg, &saved)?;
        super::check_len("gradOutput", &grad_output)?;
        if saved.shape != grad_output.shape {
            return Err(Error::shape("gradOutput", saved.shape, grad_output.shape));
        }
        let (s, g) = (saved.data, grad_output.data);
        let mut out = vec![0.0f32; s.len()];
        let ok = AtomicBool::new(true);
        for_each_piece(&mut out, chunks_for(s.len()), |off, dx| {
            let mut good = true;
            let r = off..off + dx.len();
            self.backward_kernel(&s[r.clone()], &g[r], dx, &mut good);
            if !good {
                ok.store(false, Ordering::Relaxed);
            }
        });
        if !ok.into_inner() {
            super::check_finite(saved_arg, s)?;
            return Err(non_finite("gradOutput", g));
        }
        Ok(OwnedTensor { data: out, shape: saved.shape.to_vec() })
    }

    /// `y = f(x)` on one chunk; `ok` is cleared if an input is not finite.
    fn forward_kernel(&self, x: &[f32], y: &mut [f32], ok: &mut bool) {
        match *self {
            Activation::Relu => relu_fwd(x, y, ok),
            Activation::LeakyRelu { negative_slope } => leaky_relu_fwd(x, y, ok, negative_slope),
            Activation::Elu { alpha } => elu_fwd(x, y, ok, alpha),
            Activation::Gelu { approximate: GeluApproximation::None } => gelu_fwd(x, y, ok),
            Activation::Gelu { approximate: GeluApproximation::Tanh } => gelu_tanh_fwd(x, y, ok),
            Activation::Tanh => tanh_fwd(x, y, ok),
            Activation::Sigmoid => sigmoid_fwd(x, y, ok),
            Activation::Softplus { beta, threshold } => softplus_fwd(x, y, ok, beta, threshold),
            Activation::Silu => silu_fwd(x, y, ok),
        }
    }

    /// `dx = f'(·) g` on one chunk; `ok` is cleared if a value is not finite.
    fn backward_kernel(&self, s: &[f32], g: &[f32], dx: &mut [f32], ok: &mut bool) {
        match *self {
            Activation::Relu => relu_bwd(s, g, dx, ok),
            Activation::LeakyRelu { negative_slope } => leaky_relu_bwd(s, g, dx, ok, negative_slope),
            Activation::Elu { alpha } => elu_bwd(s, g, dx, ok, alpha),
            Activation::Gelu { approximate: GeluApproximation::None } => gelu_bwd(s, g, dx, ok),
            Activation::Gelu { approximate: GeluApproximation::Tanh } => gelu_tanh_bwd(s, g, dx, ok),
            Activation::Tanh => tanh_bwd(s, g, dx, ok),
            Activation::Sigmoid => sigmoid_bwd(s, g, dx, ok),
            Activation::Softplus { beta, threshold } => softplus_bwd(s, g, dx, ok, beta, threshold),
            Activation::Silu => silu_bwd(s, g, dx, ok),
        }
    }
}

// ---- scalar building blocks (inline(always): compiled into every SIMD copy) ----------------

const FRAC_1_SQRT_2PI: f32 = 0.398_942_3;
const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_TANH_C: f32 = 0.044_715;
/// Beyond this magnitude the Gaussian factors below are 0 in f32; clamping keeps `x²` finite.
const GAUSS_CLAMP: f32 = 1.0e4;

/// `Φ(x) = ½ erfc(−x / √2)`, the standard normal CDF. `erfc` is Numerical Recipes' `erfcc`
/// (a Chebyshev fit with relative error < 1.2e-7 everywhere), so the left tail keeps its
/// relative accuracy (no cancellation in `1 + erf`): GELU is within 1e-7 of f64 everywhere.
#[inline(always)]
#[allow(clippy::excessive_precision)] // published coefficients
fn normal_cdf(x: f32) -> f32 {
    let z = -x * std::f32::consts::FRAC_1_SQRT_2;
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let mut p = 0.170_872_77_f32;
    p = p * t - 0.822_152_23;
    p = p * t + 1.488_515_87;
    p = p * t - 1.135_203_98;
    p = p * t + 0.278_868_07;
    p = p * t - 0.186_288_06;
    p = p * t + 0.096_784_18;
    p = p * t + 0.374_091_96;
    p = p * t + 1.000_023_68;
    p = p * t - 1.265_512_23;
    // erfc(10) < 1e-43: exactly 0 beyond, so `x · Φ(x)` stays 0 for huge negative x.
    let r = if a > 10.0 { 0.0 } else { t * exp(p - a * a) };
    0.5 * if z >= 0.0 { r } else { 2.0 - r }
}

/// `log(1 + u)` for `u` in [0, 1]: `2 atanh(s)` with `s = u / (2 + u)` ≤ 1/3, as its odd series
/// to `s¹⁵` (truncation < 1e-9); relative error ≈ 1 ulp, also for tiny `u`.
#[inline(always)]
fn log1p_unit(u: f32) -> f32 {
    let s = u / (2.0 + u);
    let s2 = s * s;
    let mut p = 1.0 / 15.0;
    p = p * s2 + 1.0 / 13.0;
    p = p * s2 + 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    2.0 * s * p
}

/// `log(1 + eᵗ)` without overflow: `max(t, 0) + log1p(e^{−|t|})`.
#[inline(always)]
fn log1p_exp(t: f32) -> f32 {
    let pos = if t > 0.0 { t } else { 0.0 };
    pos + log1p_unit(exp(-t.abs()))
}

/// For `u = √(2/π) (x + 0.044715 x³)`: `(1 + tanh u, sech²(u) · du/dx)`, both from
/// `e = e^{−2|u|}` so neither cancels (`1 + tanh u = 2e / (1 + e)` for `u < 0`, `sech² u =
/// 4e / (1 + e)²`).
#[inline(always)]
fn gelu_tanh_parts(x: f32) -> (f32, f32) {
    let xs = x.clamp(-GAUSS_CLAMP, GAUSS_CLAMP);
    let x2 = xs * xs;
    let u = SQRT_2_OVER_PI * (xs + GELU_TANH_C * x2 * xs);
    // Past |u| = 43, e < 1e-37: exactly 0, so `x · e` stays 0 for huge |x| too.
    let e = if u.abs() > 43.0 { 0.0 } else { exp(-2.0 * u.abs()) };
    let r = 1.0 / (1.0 + e);
    let one_plus_t = if u >= 0.0 { 2.0 * r } else { 2.0 * e * r };
    let sech2 = 4.0 * e * r * r;
    (one_plus_t, sech2 * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x2))
}

/// Sigmoid that is exactly 0 far left (keeps `x · σ(x)` right for huge negative `x`).
#[inline(always)]
fn sigmoid_far(x: f32) -> f32 {
    if x < -87.0 {
        0.0
    } else {
        sigmoid(x)
    }
}

/// One kernel per activation and direction, each a single pass that also checks finiteness.
macro_rules! unary_kernel {
    ($(#[$m:meta])* $name:ident($($p:ident: $t:ty),*) |$x:ident| $e:expr) => {
        crate::dispatch! {
            $(#[$m])*
            fn $name(src: &[f32], dst: &mut [f32], ok_out: &mut bool $(, $p: $t)*) {
                let mut ok = true;
                for (d, &$x) in dst.iter_mut().zip(src) {
                    ok &= $x.is_finite();
                    *d = $e;
                }
                *ok_out &= ok;
            }
        }
    };
}

macro_rules! binary_kernel {
    ($(#[$m:meta])* $name:ident($($p:ident: $t:ty),*) |$s:ident, $g:ident| $e:expr) => {
        crate::dispatch! {
            $(#[$m])*
            fn $name(saved: &[f32], grad: &[f32], dst: &mut [f32], ok_out: &mut bool $(, $p: $t)*) {
                // Indexed over equal-length reslices: no bounds checks, one vectorised loop.
                let n = dst.len().min(saved.len()).min(grad.len());
                let (saved, grad, dst) = (&saved[..n], &grad[..n], &mut dst[..n]);
                let mut ok = true;
                for i in 0..n {
                    let ($s, $g) = (saved[i], grad[i]);
                    ok &= $s.is_finite() & $g.is_finite();
                    dst[i] = $e;
                }
                *ok_out &= ok;
            }
        }
    };
}

unary_kernel!(
    /// ReLU forward (NaN-preserving select).
    relu_fwd() |x| if x < 0.0 { 0.0 } else { x }
);
binary_kernel!(
    /// ReLU backward from the input: `g` where `x > 0`.
    relu_bwd() |x, g| if x > 0.0 { g } else { 0.0 }
);
unary_kernel!(
    /// LeakyReLU forward.
    leaky_relu_fwd(slope: f32) |x| if x > 0.0 { x } else { slope * x }
);
binary_kernel!(
    /// LeakyReLU backward from the input.
    leaky_relu_bwd(slope: f32) |x, g| if x > 0.0 { g } else { slope * g }
);
unary_kernel!(
    /// ELU forward.
    elu_fwd(alpha: f32) |x| if x > 0.0 { x } else { alpha * (exp(x) - 1.0) }
);
binary_kernel!(
    /// ELU backward from the input: `g · α eˣ` for `x ≤ 0`.
    elu_bwd(alpha: f32) |x, g| if x > 0.0 { g } else { g * alpha * exp(x) }
);
unary_kernel!(
    /// Exact GELU forward.
    gelu_fwd() |x| x * normal_cdf(x)
);
binary_kernel!(
    /// Exact GELU backward: `Φ(x) + x φ(x)`.
    gelu_bwd() |x, g| {
        let xs = x.clamp(-GAUSS_CLAMP, GAUSS_CLAMP);
        let cdf = normal_cdf(x);
        let pdf = FRAC_1_SQRT_2PI * exp(-0.5 * xs * xs);
        g * (cdf + xs * pdf)
    }
);
unary_kernel!(
    /// Tanh-approximated GELU forward.
    gelu_tanh_fwd() |x| 0.5 * x * gelu_tanh_parts(x).0
);
binary_kernel!(
    /// Tanh-approximated GELU backward: `½ (1 + t) + ½ x sech²(u) u'`.
    gelu_tanh_bwd() |x, g| {
        let (one_plus_t, dt) = gelu_tanh_parts(x);
        g * (0.5 * one_plus_t + 0.5 * x.clamp(-GAUSS_CLAMP, GAUSS_CLAMP) * dt)
    }
);
unary_kernel!(
    /// Tanh forward.
    tanh_fwd() |x| tanh(x)
);
binary_kernel!(
    /// Tanh backward from the output: `g (1 − y²)`.
    tanh_bwd() |y, g| g * (1.0 - y * y)
);
unary_kernel!(
    /// Sigmoid forward.
    sigmoid_fwd() |x| sigmoid(x)
);
binary_kernel!(
    /// Sigmoid backward from the output: `g y (1 − y)`.
    sigmoid_bwd() |y, g| g * y * (1.0 - y)
);
unary_kernel!(
    /// Softplus forward.
    softplus_fwd(beta: f32, threshold: f32) |x| {
        let t = beta * x;
        if t > threshold { x } else { log1p_exp(t) / beta }
    }
);
binary_kernel!(
    /// Softplus backward from the input: `g σ(βx)` (`g` above the threshold).
    softplus_bwd(beta: f32, threshold: f32) |x, g| {
        let t = beta * x;
        if t > threshold { g } else { g * sigmoid_far(t) }
    }
);
unary_kernel!(
    /// SiLU forward.
    silu_fwd() |x| x * sigmoid_far(x)
);
binary_kernel!(
    /// SiLU backward from the input: `g σ (1 + x (1 − σ))`.
    silu_bwd() |x, g| {
        let s = sigmoid_far(x);
        g * s * (1.0 + x * (1.0 - s))
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// erf in f64: Taylor series for |x| ≤ 3, continued fraction of erfc beyond.
    fn erf64(x: f64) -> f64 {
        let a = x.abs();
        let r = if a <= 3.0 {
            let (mut term, mut sum, mut n) = (a, a, 0.0f64);
            while term.abs() > 1e-17 * sum.abs() {
                n += 1.0;
                term *= -a * a / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(a) = e^{−a²}/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + …)))).
            let mut f = a;
            for k in (1..60).rev() {
                f = a + (k as f64 / 2.0) / f;
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
        };
        r.copysign(x)
    }

    fn sig64(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }

    fn softplus64(x: f64, beta: f64, th: f64) -> f64 {
        if beta * x > th {
            x
        } else {
            (beta * x).exp().ln_1p() / beta
        }
    }

    /// f64 reference of forward and derivative.
    fn reference(a: Activation, x: f64) -> (f64, f64) {
        match a {
            Activation::Relu => (x.max(0.0), if x > 0.0 { 1.0 } else { 0.0 }),
            Activation::LeakyRelu { negative_slope: s } => (if x > 0.0 { x } else { s as f64 * x }, if x > 0.0 { 1.0 } else { s as f64 }),
            Activation::Elu { alpha } => (if x > 0.0 { x } else { alpha as f64 * x.exp_m1() }, if x > 0.0 { 1.0 } else { alpha as f64 * x.exp() }),
            Activation::Gelu { approximate: GeluApproximation::None } => {
                let cdf = 0.5 * (1.0 + erf64(x / std::f64::consts::SQRT_2));
                let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
                (x * cdf, cdf + x * pdf)
            }
            Activation::Gelu { approximate: GeluApproximation::Tanh } => {
                let k = (2.0 / std::f64::consts::PI).sqrt();
                let t = (k * (x + 0.044715 * x * x * x)).tanh();
                (0.5 * x * (1.0 + t), 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3.0 * 0.044715 * x * x))
            }
            Activation::Tanh => (x.tanh(), 1.0 - x.tanh().powi(2)),
            Activation::Sigmoid => (sig64(x), sig64(x) * (1.0 - sig64(x))),
            Activation::Softplus { beta, threshold } => {
                let (b, t) = (beta as f64, threshold as f64);
                (softplus64(x, b, t), if b * x > t { 1.0 } else { sig64(b * x) })
            }
            Activation::Silu => (x * sig64(x), sig64(x) * (1.0 + x * (1.0 - sig64(x)))),
        }
    }

    fn all() -> Vec<Activation> {
        vec![
            Activation::Relu,
            Activation::LeakyRelu { negative_slope: 0.1 },
            Activation::Elu { alpha: 1.3 },
            Activation::Gelu { approximate: GeluApproximation::None },
            Activation::Gelu { approximate: GeluApproximation::Tanh },
            Activation::Tanh,
            Activation::Sigmoid,
            Activation::Softplus { beta: 1.0, threshold: 20.0 },
            Activation::Softplus { beta: 2.0, threshold: 5.0 },
            Activation::Silu,
        ]
    }

    fn sweep() -> Vec<f32> {
        let mut v: Vec<f32> = (-30_000..=30_000).map(|i| i as f32 * 1e-3).collect();
        v.extend([-1e30f32, -3e38, -100.0, -87.5, -1e-30, 0.0, -0.0, 1e-30, 87.5, 100.0, 1e30, 3e38]);
        v
    }

    fn run_fwd(a: Activation, x: &[f32]) -> Vec<f32> {
        a.forward(TensorRef { data: x, shape: &[x.len()] }).unwrap().data
    }

    fn run_bwd(a: Activation, x: &[f32], y: &[f32], g: &[f32]) -> Vec<f32> {
        let s = if a.saves_output() { y } else { x };
        a.backward(TensorRef { data: s, shape: &[s.len()] }, TensorRef { data: g, shape: &[g.len()] }).unwrap().data
    }

    #[test]
    fn forward_and_derivative_match_f64_references() {
        let x = sweep();
        let ones = vec![1.0f32; x.len()];
        for a in all() {
            let y = run_fwd(a, &x);
            let d = run_bwd(a, &x, &y, &ones);
            let (mut wf, mut wd) = (0.0f64, 0.0f64);
            for i in 0..x.len() {
                let (rf, rd) = reference(a, x[i] as f64);
                // Absolute + relative: the linear parts grow with x.
                wf = wf.max((y[i] as f64 - rf).abs() / (1.0 + rf.abs()));
                wd = wd.max((d[i] as f64 - rd).abs() / (1.0 + rd.abs()));
                assert!(y[i].is_finite() && d[i].is_finite(), "{a:?} at x = {}: y = {}, dy = {}", x[i], y[i], d[i]);
            }
            let bound = match a {
                Activation::Relu => 0.0,
                // One f32 rounding of `slope · x`.
                Activation::LeakyRelu { .. } => 6e-8,
                _ => 6e-7,
            };
            assert!(wf <= bound && wd <= bound, "{a:?}: forward error {wf:e}, derivative error {wd:e} (bound {bound:e})");
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let mut rng = Rng::new(3);
        for a in all() {
            // Points away from kinks (0 for the piecewise ones; the softplus threshold).
            let x: Vec<f32> = (0..400)
                .map(|_| loop {
                    let v = rng.uniform(-6.0, 6.0);
                    let near_kink = v.abs() < 0.02 || matches!(a, Activation::Softplus { beta, threshold } if (beta * v - threshold).abs() < 0.05);
                    if !near_kink {
                        break v;
                    }
                })
                .collect();
            let g: Vec<f32> = (0..x.len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let y = run_fwd(a, &x);
            let dx = run_bwd(a, &x, &y, &g);
            let h = 1e-2f32;
            let xp: Vec<f32> = x.iter().map(|v| v + h).collect();
            let xm: Vec<f32> = x.iter().map(|v| v - h).collect();
            let (yp, ym) = (run_fwd(a, &xp), run_fwd(a, &xm));
            for i in 0..x.len() {
                let fd = g[i] as f64 * (yp[i] as f64 - ym[i] as f64) / ((xp[i] - xm[i]) as f64);
                assert!((dx[i] as f64 - fd).abs() <= 2e-3 * (1.0 + fd.abs()), "{a:?} at x = {}: analytic {} vs numeric {fd}", x[i], dx[i]);
            }
        }
    }

    #[test]
    fn chunked_passes_equal_one_pass_bitwise() {
        // Large enough to be split over the pool; compare with a one-chunk pass of each piece.
        let mut rng = Rng::new(5);
        let x: Vec<f32> = (0..200_003).map(|_| rng.uniform(-8.0, 8.0)).collect();
        let g: Vec<f32> = (0..x.len()).map(|_| rng.uniform(-1.0, 1.0)).collect();
        for a in all() {
            let y = run_fwd(a, &x);
            let dx = run_bwd(a, &x, &y, &g);
            let (mut y1, mut d1, mut ok) = (vec![0.0f32; 1000], vec![0.0f32; 1000], true);
            a.forward_kernel(&x[777..1777], &mut y1, &mut ok);
            let s = if a.saves_output() { &y[777..1777] } else { &x[777..1777] };
            a.backward_kernel(s, &g[777..1777], &mut d1, &mut ok);
            assert!(ok);
            assert!(y1.iter().zip(&y[777..1777]).all(|(p, q)| p.to_bits() == q.to_bits()), "{a:?} forward");
            assert!(d1.iter().zip(&dx[777..1777]).all(|(p, q)| p.to_bits() == q.to_bits()), "{a:?} backward");
        }
    }

    #[test]
    fn non_finite_and_mismatched_arguments_are_errors() {
        for a in all() {
            let e = a.forward(TensorRef { data: &[0.0, 1.0, f32::NAN, 2.0], shape: &[4] }).unwrap_err().to_string();
            assert!(e.contains("input") && e.contains("NaN") && e.contains("index 2"), "{a:?}: {e}");
            let e = a.backward(TensorRef { data: &[0.0; 4], shape: &[4] }, TensorRef { data: &[0.0, f32::INFINITY, 0.0, 0.0], shape: &[4] }).unwrap_err().to_string();
            assert!(e.contains("gradOutput") && e.contains("inf") && e.contains("index 1"), "{a:?}: {e}");
            let e = a.backward(TensorRef { data: &[0.0; 4], shape: &[2, 2] }, TensorRef { data: &[0.0; 4], shape: &[4] }).unwrap_err().to_string();
            assert!(e.contains("gradOutput") && e.contains("[2, 2]") && e.contains("[4]"), "{a:?}: {e}");
            let e = a.forward(TensorRef { data: &[0.0; 3], shape: &[2, 2] }).unwrap_err().to_string();
            assert!(e.contains("input") && e.contains("needs 4"), "{e}");
        }
        let y = Activation::Relu.forward(TensorRef { data: &[], shape: &[0, 3] }).unwrap();
        assert_eq!(y.shape, vec![0, 3]);
    }

    #[test]
    fn parse_validates_kind_and_options() {
        let o = ActivationOptions::default();
        assert_eq!(Activation::parse("leaky_relu", &o).unwrap(), Activation::LeakyRelu { negative_slope: 0.01 });
        assert_eq!(Activation::parse("softplus", &o).unwrap(), Activation::Softplus { beta: 1.0, threshold: 20.0 });
        assert_eq!(Activation::parse("gelu", &ActivationOptions { approximate: Some("tanh".into()), ..o.clone() }).unwrap(), Activation::Gelu { approximate: GeluApproximation::Tanh });
        let err = |k: &str, o: ActivationOptions| Activation::parse(k, &o).unwrap_err().to_string();
        let e = err("swish", o.clone());
        assert!(e.starts_with("kind:") && e.contains("'silu'") && e.contains("'swish'"), "{e}");
        let e = err("relu", ActivationOptions { alpha: Some(1.0), ..o.clone() });
        assert!(e.starts_with("alpha:") && e.contains("'elu'") && e.contains("'relu'"), "{e}");
        let e = err("softplus", ActivationOptions { beta: Some(0.0), ..o.clone() });
        assert!(e.starts_with("beta:") && e.contains("> 0"), "{e}");
        let e = err("elu", ActivationOptions { alpha: Some(f64::NAN), ..o.clone() });
        assert!(e.starts_with("alpha:") && e.contains("NaN"), "{e}");
        let e = err("gelu", ActivationOptions { approximate: Some("fast".into()), ..o });
        assert!(e.starts_with("approximate:") && e.contains("'tanh'") && e.contains("fast"), "{e}");
    }
}
