//! Configuration of a recurrent stack (the options of `torch.nn.RNN/LSTM/GRU`).

use crate::error::{Error, Result};

/// Which recurrent cell a layer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// Elman RNN with `tanh`.
    RnnTanh,
    /// Elman RNN with `relu`.
    RnnRelu,
    /// LSTM (gates i, f, g, o), optionally with a projection.
    Lstm,
    /// GRU (gates r, z, n); see [`RecurrentConfig::reset_after`].
    Gru,
}

impl CellKind {
    /// Number of gate blocks stacked in the weight rows (1, 4 or 3).
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// Parses `rnn_tanh`, `rnn_relu`, `lstm` or `gru`.
    pub fn parse(mode: &str) -> Result<Self> {
        match mode {
            "rnn_tanh" => Ok(CellKind::RnnTanh),
            "rnn_relu" => Ok(CellKind::RnnRelu),
            "lstm" => Ok(CellKind::Lstm),
            "gru" => Ok(CellKind::Gru),
            other => Err(Error::invalid("mode", format!("expected 'rnn_tanh', 'rnn_relu', 'lstm' or 'gru', got '{other}'"))),
        }
    }

    /// The inverse of [`CellKind::parse`].
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "rnn_tanh",
            CellKind::RnnRelu => "rnn_relu",
            CellKind::Lstm => "lstm",
            CellKind::Gru => "gru",
        }
    }
}

/// Options of a recurrent stack. Defaults follow PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentConfig {
    /// Cell type.
    pub kind: CellKind,
    /// Features per input step.
    pub input_size: usize,
    /// Hidden units per direction (H).
    pub hidden_size: usize,
    /// Stacked layers (default 1).
    pub num_layers: usize,
    /// Two directions per layer, outputs concatenated (default false).
    pub bidirectional: bool,
    /// Use `b_ih` and `b_hh` (default true).
    pub bias: bool,
    /// LSTM projection size P (0 = none; requires 0 < P < H).
    pub proj_size: usize,
    /// Dropout probability on the outputs of every layer but the last, in training (default 0).
    pub dropout: f32,
    /// GRU only: `true` = reset after the matmul (PyTorch/cuDNN), `false` = reset before
    /// (`n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)`, the lecture notes' form).
    pub reset_after: bool,
    /// Seed for the initial weights and the dropout masks.
    pub seed: u64,
}

impl RecurrentConfig {
    /// A config with PyTorch's defaults for the given cell and sizes.
    pub fn new(kind: CellKind, input_size: usize, hidden_size: usize) -> Self {
        RecurrentConfig {
            kind,
            input_size,
            hidden_size,
            num_layers: 1,
            bidirectional: false,
            bias: true,
            proj_size: 0,
            dropout: 0.0,
            reset_after: true,
            seed: 0,
        }
    }

    /// Number of directions (1 or 2).
    pub fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// Width of a direction's output and of `h` (P with a projection, else H).
    pub fn out_size(&self) -> usize {
        if self.proj_size > 0 {
            self.proj_size
        } else {
            self.hidden_size
        }
    }

    /// Input width of layer `l`.
    pub fn layer_input_size(&self, l: usize) -> usize {
        if l == 0 {
            self.input_size
        } else {
            self.directions() * self.out_size()
        }
    }

    /// Checks every option, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        let limit = 1 << 24;
        for (name, v) in [("inputSize", self.input_size), ("hiddenSize", self.hidden_size), ("numLayers", self.num_layers)] {
            if v == 0 || v > limit {
                return Err(Error::invalid(name, format!("expected an integer in 1..={limit}, got {v}")));
            }
        }
        if self.proj_size > 0 {
            if self.kind != CellKind::Lstm {
                return Err(Error::invalid("projSize", format!("only LSTM supports a projection, got projSize {} for {}", self.proj_size, self.kind.name())));
            }
            if self.proj_size >= self.hidden_size {
                return Err(Error::invalid("projSize", format!("expected 0 < projSize < hiddenSize ({}), got {}", self.hidden_size, self.proj_size)));
            }
        }
        if !(self.dropout.is_finite() && (0.0..1.0).contains(&self.dropout)) {
            return Err(Error::invalid("dropout", format!("expected a probability in [0, 1), got {}", self.dropout)));
        }
        if !self.reset_after && self.kind != CellKind::Gru {
            return Err(Error::invalid("resetAfter", "only GRU has a reset-before variant"));
        }
        Ok(())
    }
}
