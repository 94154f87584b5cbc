// fold.cuh: the layer table of fold_weights (weights.cu), one row of F_FIELDS int32 fields per
// conv, linear or stand-alone batch-norm layer. Offsets index the raw parameter vector θ/δ/η
// and one weight set's folded vector. This enum is the only definition of the row: cuda2go
// generates the Go side from it (kernels/fold_gen.go: FoldField constants, FoldFields and the
// FoldRow accessors used by gpu/layout.go and gpu/hostfold.go), and kernels/emu includes it.
// A pair F_X_LO, F_X_HI holds a double's low and high 32-bit words (Go: FoldRow.X, SetX).
#pragma once

enum FoldField {
    F_W,       // raw offset of W [cout][per]
    F_BIAS,    // raw offset of the conv/linear bias, or −1
    F_GAMMA,   // raw offsets of the batch norm's weight, bias, running_mean, running_var, or −1
    F_BETA,
    F_MEAN,
    F_VAR,
    F_PER,     // weights per output channel
    F_COUT,    // output channels
    F_WOUT,    // folded offset of W'
    F_BOUT,    // folded offset of b'
    F_FIRST,   // index of the layer's first channel among all layers' channels
    F_TAPS,    // > 0: write W' tap-major for the fast kernels: W'[c][i = ci·taps + tap] goes to
               // [c][tap·(per/taps) + ci] (conv_fast.cu); 0: PyTorch's order
    F_EPS_LO,  // the batch norm's ε of σ² + ε, a double (the node's own; 1e-5 by default)
    F_EPS_HI,
    F_FIELDS
};
