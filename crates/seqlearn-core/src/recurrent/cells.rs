//! Fused element-wise gate math of the recurrent cells, one row segment (a range of hidden units
//! of one batch row) at a time. Each kernel is compiled for baseline x86-64 and AVX2+FMA
//! ([`crate::dispatch!`]). Forward kernels overwrite the gate pre-activations with the activated
//! gates (kept for backward); backward kernels overwrite them with the gate gradients
//! (pre-activation), which then feed the weight-gradient GEMMs.
//!
//! Conventions (PyTorch): LSTM rows i, f, g, o; GRU rows r, z, n with
//! `h = n + z ⊙ (h_prev − n)`.

use crate::activation::{relu, sigmoid, tanh};

crate::dispatch! {
    /// Elman forward: `h = f(pre)`; `g` holds the pre-activation and receives `h`.
    pub fn rnn_forward(g: &mut [f32], h_out: &mut [f32], use_relu: bool) {
        let len = g.len();
        let h_out = &mut h_out[..len];
        if use_relu {
            for j in 0..len {
                let v = relu(g[j]);
                g[j] = v;
                h_out[j] = v;
            }
        } else {
            for j in 0..len {
                let v = tanh(g[j]);
                g[j] = v;
                h_out[j] = v;
            }
        }
    }
}

crate::dispatch! {
    /// Elman backward: `g` holds `h` and receives `dpre = dh ⊙ f'(·)`.
    pub fn rnn_backward(g: &mut [f32], dh: &[f32], use_relu: bool) {
        let len = g.len();
        let dh = &dh[..len];
        if use_relu {
            for j in 0..len {
                g[j] = if g[j] > 0.0 { dh[j] } else { 0.0 };
            }
        } else {
            for j in 0..len {
                let h = g[j];
                g[j] = dh[j] * (1.0 - h * h);
            }
        }
    }
}

crate::dispatch! {
    /// LSTM forward: gates i, f, g, o (pre-activations in, activations out);
    /// `c = f ⊙ c_prev + i ⊙ g`, `h = o ⊙ tanh(c)`.
    pub fn lstm_forward(gi: &mut [f32], gf: &mut [f32], gg: &mut [f32], go: &mut [f32], c_prev: &[f32], c_out: &mut [f32], h_out: &mut [f32]) {
        let len = gi.len();
        let (gf, gg, go) = (&mut gf[..len], &mut gg[..len], &mut go[..len]);
        let (c_prev, c_out, h_out) = (&c_prev[..len], &mut c_out[..len], &mut h_out[..len]);
        for j in 0..len {
            let i = sigmoid(gi[j]);
            let f = sigmoid(gf[j]);
            let g = tanh(gg[j]);
            let o = sigmoid(go[j]);
            let c = f * c_prev[j] + i * g;
            gi[j] = i;
            gf[j] = f;
            gg[j] = g;
            go[j] = o;
            c_out[j] = c;
            h_out[j] = o * tanh(c);
        }
    }
}

crate::dispatch! {
    /// LSTM backward. In: activated gates, `c_prev`, `dh` (gradient of `o ⊙ tanh(c)`), `dc`
    /// (gradient of `c` from the next step). Out: gate gradients (pre-activation) in place of the
    /// gates, `dc` replaced by the gradient of `c_prev`.
    pub fn lstm_backward(gi: &mut [f32], gf: &mut [f32], gg: &mut [f32], go: &mut [f32], c_prev: &[f32], dh: &[f32], dc: &mut [f32]) {
        let len = gi.len();
        let (gf, gg, go) = (&mut gf[..len], &mut gg[..len], &mut go[..len]);
        let (c_prev, dh, dc) = (&c_prev[..len], &dh[..len], &mut dc[..len]);
        for j in 0..len {
            let (i, f, g, o) = (gi[j], gf[j], gg[j], go[j]);
            let c = f * c_prev[j] + i * g;
            let tc = tanh(c);
            let dct = dc[j] + dh[j] * o * (1.0 - tc * tc);
            let d_o = dh[j] * tc;
            gi[j] = dct * g * i * (1.0 - i);
            gf[j] = dct * c_prev[j] * f * (1.0 - f);
            gg[j] = dct * i * (1.0 - g * g);
            go[j] = d_o * o * (1.0 - o);
            dc[j] = dct * f;
        }
    }
}

crate::dispatch! {
    /// GRU (reset after the matmul) forward. In: `gr`, `gz`, `gn` = input projections (+ folded
    /// biases, + recurrent projections for r and z); `hn` = `W_hn h_prev` (recurrent n projection),
    /// to which `b_hn` (if any) is added.
    /// Out: activated r, z, n in place; `hn` + `b_hn` kept in `hn`; new state in `h_out`.
    pub fn gru_forward(gr: &mut [f32], gz: &mut [f32], gn: &mut [f32], hn: &mut [f32], b_hn: Option<&[f32]>, h_prev: &[f32], h_out: &mut [f32]) {
        let len = gr.len();
        let (gz, gn, hn) = (&mut gz[..len], &mut gn[..len], &mut hn[..len]);
        let (h_prev, h_out) = (&h_prev[..len], &mut h_out[..len]);
        if let Some(b) = b_hn {
            for (h, v) in hn.iter_mut().zip(&b[..len]) {
                *h += *v;
            }
        }
        for j in 0..len {
            let r = sigmoid(gr[j]);
            let z = sigmoid(gz[j]);
            let hl = hn[j];
            let n = tanh(gn[j] + r * hl);
            gr[j] = r;
            gz[j] = z;
            gn[j] = n;
            hn[j] = hl;
            h_out[j] = n + z * (h_prev[j] - n);
        }
    }
}

crate::dispatch! {
    /// GRU (reset after) backward. Out: `gr`, `gz`, `gn` = gradients of the input-side
    /// pre-activations; `hn` = gradient of the recurrent n projection (`dn_pre ⊙ r`);
    /// `dh_prev` = the direct part `dh ⊙ z` of the gradient of `h_prev`.
    pub fn gru_backward(gr: &mut [f32], gz: &mut [f32], gn: &mut [f32], hn: &mut [f32], h_prev: &[f32], dh: &[f32], dh_prev: &mut [f32]) {
        let len = gr.len();
        let (gz, gn, hn) = (&mut gz[..len], &mut gn[..len], &mut hn[..len]);
        let (h_prev, dh, dh_prev) = (&h_prev[..len], &dh[..len], &mut dh_prev[..len]);
        for j in 0..len {
            let (r, z, n) = (gr[j], gz[j], gn[j]);
            let d = dh[j];
            let dn_pre = d * (1.0 - z) * (1.0 - n * n);
            let dz_pre = d * (h_prev[j] - n) * z * (1.0 - z);
            let dr_pre = dn_pre * hn[j] * r * (1.0 - r);
            gr[j] = dr_pre;
            gz[j] = dz_pre;
            gn[j] = dn_pre;
            hn[j] = dn_pre * r;
            dh_prev[j] = d * z;
        }
    }
}

crate::dispatch! {
    /// GRU (reset before) forward, first half: activates r and z and forms `rh = r ⊙ h_prev`.
    pub fn gru_before_rz_forward(gr: &mut [f32], gz: &mut [f32], h_prev: &[f32], rh: &mut [f32]) {
        let len = gr.len();
        let (gz, h_prev, rh) = (&mut gz[..len], &h_prev[..len], &mut rh[..len]);
        for j in 0..len {
            let r = sigmoid(gr[j]);
            gr[j] = r;
            gz[j] = sigmoid(gz[j]);
            rh[j] = r * h_prev[j];
        }
    }
}

crate::dispatch! {
    /// GRU (reset before) forward, second half: `n = tanh(pre)`, new state.
    pub fn gru_before_n_forward(gz: &[f32], gn: &mut [f32], h_prev: &[f32], h_out: &mut [f32]) {
        let len = gn.len();
        let (gz, h_prev, h_out) = (&gz[..len], &h_prev[..len], &mut h_out[..len]);
        for j in 0..len {
            let n = tanh(gn[j]);
            gn[j] = n;
            h_out[j] = n + gz[j] * (h_prev[j] - n);
        }
    }
}

crate::dispatch! {
    /// GRU (reset before) backward, first half: gradients of the z and n pre-activations, and the
    /// direct part `dh ⊙ z` of the gradient of `h_prev`.
    pub fn gru_before_zn_backward(gz: &mut [f32], gn: &mut [f32], h_prev: &[f32], dh: &[f32], dh_prev: &mut [f32]) {
        let len = gz.len();
        let (gn, h_prev, dh, dh_prev) = (&mut gn[..len], &h_prev[..len], &dh[..len], &mut dh_prev[..len]);
        for j in 0..len {
            let (z, n) = (gz[j], gn[j]);
            let d = dh[j];
            gn[j] = d * (1.0 - z) * (1.0 - n * n);
            gz[j] = d * (h_prev[j] - n) * z * (1.0 - z);
            dh_prev[j] = d * z;
        }
    }
}

crate::dispatch! {
    /// GRU (reset before) backward, second half: from `drh` (gradient of `r ⊙ h_prev`), the r
    /// pre-activation gradient and the `drh ⊙ r` part of the gradient of `h_prev`.
    pub fn gru_before_r_backward(gr: &mut [f32], drh: &[f32], h_prev: &[f32], dh_prev: &mut [f32]) {
        let len = gr.len();
        let (drh, h_prev, dh_prev) = (&drh[..len], &h_prev[..len], &mut dh_prev[..len]);
        for j in 0..len {
            let r = gr[j];
            gr[j] = drh[j] * h_prev[j] * r * (1.0 - r);
            dh_prev[j] += drh[j] * r;
        }
    }
}
