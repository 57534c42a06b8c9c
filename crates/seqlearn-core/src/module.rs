//! What every trainable layer shares: its parameters live in one flat `f32` buffer and their
//! gradients in another of the same layout, so optimizers and gradient clipping are kernels over
//! flat slices that know nothing about the layer they update.

/// A layer (or any trainable object) with flat parameter and gradient buffers of equal length.
pub trait HasParameters: Send {
    /// Parameter values and their accumulated gradients (same length, same layout).
    fn parameters_mut(&mut self) -> (&mut [f32], &mut [f32]);

    /// Parameter values.
    fn parameters(&self) -> &[f32];

    /// Number of scalar parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().len()
    }

    /// Sets every gradient to zero.
    fn zero_grad(&mut self) {
        self.parameters_mut().1.fill(0.0);
    }
}

impl HasParameters for crate::recurrent::RecurrentNet {
    fn parameters_mut(&mut self) -> (&mut [f32], &mut [f32]) {
        let p = &mut self.params;
        (&mut p.data, &mut p.grad)
    }
    fn parameters(&self) -> &[f32] {
        &self.params.data
    }
}
