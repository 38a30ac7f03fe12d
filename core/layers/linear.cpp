// Linear (dense, fully connected) layer.
#include "common.h"
#include "kinds.h"

#include <omp.h>

#include <Eigen/Core>

#include "tensor.h"

namespace nw::layers {

// y[n, o] = b[o] + Σ_i x[n, i] · W[o, i]: Eigen's GEMM (GEMV at batch 1) on each thread's share
// of the output features, so the weight matrix, usually the largest tensor, is read once in parallel.
static void linearForward(const KernelArgs& k) {
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Tensor& x = *k.inputs[0];
    const int64_t N = x.shape[0], in = x.shape[1], out = k.out.shape[1];
    Eigen::Map<const RowMatrix> X(x.ptr(), N, in), W(k.weights[0]->ptr(), out, in);
    Eigen::Map<RowMatrix> Y(k.out.ptr(), N, out);
    const float* b = k.weights.size() > 1 ? k.weights[1]->ptr() : nullptr;  // [weight] or [weight, bias]
#pragma omp parallel if (N * in * out >= 4 * kParallelWork)
    {
        const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
        const int64_t o0 = out * t / threads, o1 = out * (t + 1) / threads;
        if (o1 > o0) {
            Y.middleCols(o0, o1 - o0).noalias() = X * W.middleRows(o0, o1 - o0).transpose();
            if (b)
                for (int64_t n = 0; n < N; ++n)
                    for (int64_t o = o0; o < o1; ++o) Y(n, o) += b[o];
        }
    }
}

// dX += dY · W, dW += dYᵀ · X, db += Σ_n dY: Eigen's GEMMs, which share the work among threads.
static void linearBackward(const BackwardArgs& b) {
    using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Tensor& x = *b.inputs[0];
    const int64_t N = x.shape[0], in = x.shape[1], out = b.out.shape[1];
    Eigen::Map<const RowMatrix> X(x.ptr(), N, in), W(b.weights[0]->ptr(), out, in), dY(b.dOut.ptr(), N, out);
    if (b.dInputs[0]) Eigen::Map<RowMatrix>(b.dInputs[0]->ptr(), N, in).noalias() += dY * W;
    if (b.dWeights[0]) Eigen::Map<RowMatrix>(b.dWeights[0]->ptr(), out, in).noalias() += dY.transpose() * X;
    // The bias by a plain loop: Eigen's vectorised column sums start where the data is aligned, so
    // their order (and the last bits) would depend on where the allocator put the tensor.
    if (b.dWeights.size() > 1 && b.dWeights[1])
        for (int64_t o = 0; o < out; ++o) {
            double sum = 0;
            for (int64_t n = 0; n < N; ++n) sum += dY(n, o);
            b.dWeights[1]->ptr()[o] += static_cast<float>(sum);
        }
}

static std::string factorText(const Shape* factors) {
    if (!factors || factors->empty()) return "";
    return " = " + formatShape(*factors);
}

LayerKind linear() {
    LayerKind k{"Linear", "Dense", "y = x Wᵀ + b (PyTorch nn.Linear, Keras Dense) on an N×F input."};
    k.attrs = {intAttr("in_features", 0, 0, int64_t{1} << 40, "input features; 0 takes them from the input"),
               intAttr("out_features", 10, 1, kMaxChannels, "output features"),
               boolAttr("bias", true, "add a learned bias")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        const Shape& in = ctx.in();
        int64_t declared = ctx.attrs.i("in_features");
        if (in.size() != 2) {
            auto n = checkedProduct(Shape(in.begin() + 1, in.end()));
            ctx.error("in", "Linear expects an N×F input, got " + formatShape(in) + "; insert a Flatten before it" +
                                (n ? " (in_features would be " + std::to_string(*n) + " = " +
                                         formatShape(Shape(in.begin() + 1, in.end())) + ")"
                                   : ""));
            return std::nullopt;
        }
        if (declared != 0 && declared != in[1]) {
            ctx.error("in",
                      "expects in_features = " + std::to_string(in[1]) + factorText(ctx.inputFactors[0]) + ", got " +
                          std::to_string(declared),
                      AttrFix{"in_features", in[1]});
            return std::nullopt;
        }
        return std::vector<Shape>{{in[0], ctx.attrs.i("out_features")}};
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        int64_t out = a.i("out_features");
        std::vector<WeightSpec> w{{"weight", {out, in[1]}, WeightRole::Weight}};
        if (a.b("bias")) w.push_back({"bias", {out}, WeightRole::Bias});
        return w;
    };
    k.forward = linearForward;
    k.backward = linearBackward;
    k.macs = [](const NodeAttrs&, const Shape& in, const Shape& out) { return checkedMul(in[1], out[1]); };
    k.field = wholeField;
    k.formulas = {"N × out_features (the input N × in_features)",
                  "out_features · in_features, + out_features with bias", "in_features · out_features"};
    return k;
}

}  // namespace nw::layers
