/** Losses computed in Rust: value and gradient in one call. */
import native = require('../native');
import { callNative } from '../errors';
import { fromNativeTensor, tensorArg, type Tensor, type TensorLike } from '../tensor';

/** A loss value and its gradient with respect to the prediction. */
export interface LossOutput {
  /** The scalar loss. */
  loss: number;
  /** d loss / d prediction, shaped like the prediction. */
  grad: Tensor;
}

/** Mean squared error `mean((pred − target)²)` (PyTorch `MSELoss`); `target` must have `pred`'s shape. */
export function mseLoss(pred: TensorLike, target: TensorLike): LossOutput {
  const p = tensorArg('pred', pred);
  const t = tensorArg('target', target);
  const r = callNative(() => native.mseLoss(p, t));
  return { loss: r.loss, grad: fromNativeTensor(r.grad) };
}
