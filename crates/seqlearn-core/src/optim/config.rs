//! `OptimizerConfig`: which optimizer and its hyper-parameters, plus the description of the
//! per-layer state buffers each kind keeps (their PyTorch names, start values, and which ones a
//! saved state must hold).

use super::{AdagradConfig, AdamConfig, RmsPropConfig, SgdConfig};
use crate::error::{Error, Result};

/// The kind of optimizer and its hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerConfig {
    /// `torch.optim.SGD`.
    Sgd(SgdConfig),
    /// `torch.optim.Adam` (`decoupled: false`) or `torch.optim.AdamW` (`decoupled: true`).
    Adam(AdamConfig),
    /// `torch.optim.Adagrad`.
    Adagrad(AdagradConfig),
    /// `torch.optim.RMSprop`.
    RmsProp(RmsPropConfig),
}

/// The optimizer kinds by name, as `OptimizerConfig::kind` spells them.
pub const KINDS: [&str; 5] = ["sgd", "adam", "adamw", "adagrad", "rmsprop"];

/// How a state buffer starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Init {
    /// Filled with this value when the optimizer is built.
    Value(f32),
    /// Copied from the gradient at the first update that uses it (SGD's momentum buffer).
    FirstGradient,
}

/// One of the (at most three) state buffers a layer keeps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Slot {
    /// The PyTorch state key (`exp_avg`, `momentum_buffer`, …); empty for a slot the kind lacks.
    pub name: &'static str,
    /// Whether the current hyper-parameters update this buffer.
    pub used: bool,
    /// Whether a saved state of a layer that has stepped must hold it.
    pub required: bool,
    /// Its start value.
    pub init: Init,
    /// Values must be ≥ 0 (sums and averages of squares).
    pub non_negative: bool,
}

/// Number of buffer slots per layer.
pub(crate) const SLOTS: usize = 3;

const NONE: Slot = Slot { name: "", used: false, required: false, init: Init::Value(0.0), non_negative: false };

fn slot(name: &'static str, used: bool, non_negative: bool) -> Slot {
    Slot { name, used, required: used, init: Init::Value(0.0), non_negative }
}

impl OptimizerConfig {
    /// The kind's name: `sgd`, `adam`, `adamw`, `adagrad` or `rmsprop`.
    pub fn kind(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd(_) => "sgd",
            OptimizerConfig::Adam(c) if c.decoupled => "adamw",
            OptimizerConfig::Adam(_) => "adam",
            OptimizerConfig::Adagrad(_) => "adagrad",
            OptimizerConfig::RmsProp(_) => "rmsprop",
        }
    }

    /// The default hyper-parameters of a kind (PyTorch's), or an error naming `kind`.
    pub fn default_for(kind: &str) -> Result<Self> {
        Ok(match kind {
            "sgd" => OptimizerConfig::Sgd(SgdConfig::default()),
            "adam" => OptimizerConfig::Adam(AdamConfig::default()),
            "adamw" => OptimizerConfig::Adam(AdamConfig::adamw()),
            "adagrad" => OptimizerConfig::Adagrad(AdagradConfig::default()),
            "rmsprop" => OptimizerConfig::RmsProp(RmsPropConfig::default()),
            _ => return Err(Error::invalid("kind", format!("expected one of {}, got '{kind}'", KINDS.join(", ")))),
        })
    }

    /// Checks every hyper-parameter, naming the one that is wrong.
    pub fn validate(&self) -> Result<()> {
        match self {
            OptimizerConfig::Sgd(c) => c.validate(),
            OptimizerConfig::Adam(c) => c.validate(),
            OptimizerConfig::Adagrad(c) => c.validate(),
            OptimizerConfig::RmsProp(c) => c.validate(),
        }
    }

    /// The base learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            OptimizerConfig::Sgd(c) => c.lr,
            OptimizerConfig::Adam(c) => c.lr,
            OptimizerConfig::Adagrad(c) => c.lr,
            OptimizerConfig::RmsProp(c) => c.lr,
        }
    }

    /// Sets the base learning rate (unchecked; see [`OptimizerConfig::validate`]).
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            OptimizerConfig::Sgd(c) => c.lr = lr,
            OptimizerConfig::Adam(c) => c.lr = lr,
            OptimizerConfig::Adagrad(c) => c.lr = lr,
            OptimizerConfig::RmsProp(c) => c.lr = lr,
        }
    }

    /// The options that size state buffers, which cannot change once the optimizer exists:
    /// `(name, value)` pairs.
    pub(crate) fn structural(&self) -> Vec<(&'static str, bool)> {
        match self {
            OptimizerConfig::Adam(c) => vec![("amsgrad", c.amsgrad)],
            OptimizerConfig::RmsProp(c) => vec![("centered", c.centered)],
            _ => Vec::new(),
        }
    }

    /// The buffer slots of this kind under these hyper-parameters.
    pub(crate) fn slots(&self) -> [Slot; SLOTS] {
        match self {
            OptimizerConfig::Sgd(c) => {
                [Slot { name: "momentum_buffer", used: c.momentum != 0.0, required: false, init: Init::FirstGradient, non_negative: false }, NONE, NONE]
            }
            OptimizerConfig::Adam(c) => [slot("exp_avg", true, false), slot("exp_avg_sq", true, true), slot("max_exp_avg_sq", c.amsgrad, true)],
            OptimizerConfig::Adagrad(c) => {
                [Slot { name: "sum", used: true, required: true, init: Init::Value(c.initial_accumulator_value as f32), non_negative: true }, NONE, NONE]
            }
            OptimizerConfig::RmsProp(c) => [
                slot("square_avg", true, true),
                // Created when momentum turns positive, so a saved state may lack it.
                Slot { required: false, ..slot("momentum_buffer", c.momentum > 0.0, false) },
                slot("grad_avg", c.centered, false),
            ],
        }
    }
}

/// Checks that `v` is finite and ≥ 0, naming `arg`.
pub(crate) fn check_non_negative(arg: &str, v: f64) -> Result<()> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(arg, format!("expected a finite value ≥ 0, got {v}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_kinds_are_named() {
        for k in KINDS {
            assert_eq!(OptimizerConfig::default_for(k).unwrap().kind(), k);
        }
        let e = OptimizerConfig::default_for("adamax").unwrap_err().to_string();
        assert!(e.starts_with("kind:") && e.contains("'adamax'") && e.contains("rmsprop"), "{e}");
    }

    #[test]
    fn slots_follow_the_options() {
        let ams = OptimizerConfig::Adam(AdamConfig { amsgrad: true, ..Default::default() });
        assert!(ams.slots()[2].used);
        assert!(!OptimizerConfig::default_for("adam").unwrap().slots()[2].used);
        let sgd = OptimizerConfig::Sgd(SgdConfig { momentum: 0.9, ..Default::default() });
        assert!(sgd.slots()[0].used && !sgd.slots()[0].required && sgd.slots()[0].init == Init::FirstGradient);
    }
}
