//! Parameter storage: every tensor of a stack lives in one flat `Vec<f32>` (and its gradient in
//! another of the same layout), in PyTorch's `state_dict` order, so optimizers can update all
//! parameters in one pass and weights move to and from PyTorch by name.

use super::config::RecurrentConfig;
use crate::error::{Error, Result};
use crate::rng::Rng;

/// One named tensor inside the flat buffer.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamEntry {
    /// PyTorch name, e.g. `weight_hh_l1_reverse`.
    pub name: String,
    /// Shape, e.g. `[4 * H, H]`.
    pub shape: Vec<usize>,
    /// Offset of the first element in the flat buffer.
    pub offset: usize,
}

impl ParamEntry {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// True for an empty tensor.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The element range in the flat buffer.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// Where one layer-direction's tensors sit (indices into [`Parameters::entries`]).
#[derive(Clone, Copy, Debug)]
pub struct DirParamIndex {
    /// `weight_ih_l{k}{suffix}`.
    pub w_ih: usize,
    /// `weight_hh_l{k}{suffix}`.
    pub w_hh: usize,
    /// `bias_ih_l{k}{suffix}` when `bias`.
    pub b_ih: Option<usize>,
    /// `bias_hh_l{k}{suffix}` when `bias`.
    pub b_hh: Option<usize>,
    /// `weight_hr_l{k}{suffix}` when `proj_size > 0`.
    pub w_hr: Option<usize>,
}

/// All parameters of a stack and their gradients.
#[derive(Clone, Debug)]
pub struct Parameters {
    /// Values, flat.
    pub data: Vec<f32>,
    /// Gradients, same layout; accumulated by backward, cleared by `zero_grad`.
    pub grad: Vec<f32>,
    /// Named tensors in PyTorch `state_dict` order.
    pub entries: Vec<ParamEntry>,
    /// Per `layer * D + direction`.
    pub index: Vec<DirParamIndex>,
}

impl Parameters {
    /// Lays out the tensors of `cfg` and initialises them U(−1/√H, 1/√H) from `cfg.seed`
    /// (PyTorch's `reset_parameters`).
    pub fn new(cfg: &RecurrentConfig) -> Self {
        let g = cfg.kind.gates() * cfg.hidden_size;
        let mut entries = Vec::new();
        let mut index = Vec::new();
        let mut offset = 0;
        let mut push = |name: String, shape: Vec<usize>| {
            let e = ParamEntry { name, shape, offset };
            offset += e.len();
            entries.push(e);
            entries.len() - 1
        };
        for l in 0..cfg.num_layers {
            for d in 0..cfg.directions() {
                let sfx = if d == 1 { "_reverse" } else { "" };
                let w_ih = push(format!("weight_ih_l{l}{sfx}"), vec![g, cfg.layer_input_size(l)]);
                let w_hh = push(format!("weight_hh_l{l}{sfx}"), vec![g, cfg.out_size()]);
                let (b_ih, b_hh) = if cfg.bias {
                    (Some(push(format!("bias_ih_l{l}{sfx}"), vec![g])), Some(push(format!("bias_hh_l{l}{sfx}"), vec![g])))
                } else {
                    (None, None)
                };
                let w_hr = (cfg.proj_size > 0).then(|| push(format!("weight_hr_l{l}{sfx}"), vec![cfg.proj_size, cfg.hidden_size]));
                index.push(DirParamIndex { w_ih, w_hh, b_ih, b_hh, w_hr });
            }
        }
        let mut data = vec![0.0f32; offset];
        let k = 1.0 / (cfg.hidden_size as f32).sqrt();
        Rng::new(cfg.seed).fill_uniform(&mut data, -k, k);
        Parameters { grad: vec![0.0; data.len()], data, entries, index }
    }

    /// The entry called `name`.
    pub fn find(&self, name: &str) -> Option<&ParamEntry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Overwrites the named tensors. With `strict`, every parameter must be given exactly once.
    /// Shapes must match and values be finite; nothing changes unless all checks pass.
    pub fn load(&mut self, tensors: &[(String, Vec<usize>, &[f32])], strict: bool) -> Result<()> {
        let mut seen = vec![false; self.entries.len()];
        let mut plan = Vec::with_capacity(tensors.len());
        for (name, shape, values) in tensors {
            let Some(i) = self.entries.iter().position(|e| &e.name == name) else {
                let known: Vec<&str> = self.entries.iter().map(|e| e.name.as_str()).collect();
                return Err(Error::invalid(format!("stateDict['{name}']"), format!("unexpected key; expected one of {}", known.join(", "))));
            };
            let e = &self.entries[i];
            if shape != &e.shape {
                return Err(Error::shape(format!("stateDict['{name}']"), &e.shape, shape));
            }
            if values.len() != e.len() {
                return Err(Error::invalid(format!("stateDict['{name}']"), format!("expected {} values for shape {:?}, got {}", e.len(), e.shape, values.len())));
            }
            if let Some(p) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::invalid(format!("stateDict['{name}']"), format!("value at flat index {p} is {} (expected finite)", values[p])));
            }
            if seen[i] {
                return Err(Error::invalid(format!("stateDict['{name}']"), "given twice"));
            }
            seen[i] = true;
            plan.push((i, *values));
        }
        if strict {
            let missing: Vec<&str> = self.entries.iter().zip(&seen).filter(|(_, s)| !**s).map(|(e, _)| e.name.as_str()).collect();
            if !missing.is_empty() {
                return Err(Error::invalid("stateDict", format!("missing keys: {}", missing.join(", "))));
            }
        }
        for (i, values) in plan {
            let r = self.entries[i].range();
            self.data[r].copy_from_slice(values);
        }
        Ok(())
    }
}

