/** Connectionist temporal classification: loss, decoders, n-gram language models. */
export { ctcLoss, ctcLossAsync, CTCLoss, type CtcReduction, type CtcLossInputKind, type CtcLossOptions, type CtcInfeasibleItem, type CtcLossResult } from './loss';
