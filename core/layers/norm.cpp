// Normalisation: BatchNorm2d and LRN (local response normalisation, original AlexNet).
#include "common.h"
#include "kinds.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "simd.h"
#include "tensor.h"

namespace nw::layers {
namespace {

struct BatchNormParams final : KernelParams {
    bool affine;
    double eps, momentum;
    explicit BatchNormParams(const NodeAttrs& a) : affine(a.b("affine")), eps(a.f("eps")), momentum(a.f("momentum")) {}
};

struct LrnParams final : KernelParams {
    int64_t size;
    double alpha, beta, bias;
    explicit LrnParams(const NodeAttrs& a)
        : size(a.i("size")), alpha(a.f("alpha")), beta(a.f("beta")), bias(a.f("k")) {}
};

// Inference mode: y = (x − running_mean) / sqrt(running_var + eps) · gamma + beta.
void batchNormForward(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const BatchNormParams& params = k.params<BatchNormParams>();
    const bool affine = params.affine;
    const double eps = params.eps;
    const size_t stats = affine ? 2 : 0;
    const float* mean = k.weights[stats]->ptr();
    const float* var = k.weights[stats + 1]->ptr();
    const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
            float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + eps));
            float shift = -mean[c] * scale;
            if (affine) {
                scale *= k.weights[0]->ptr()[c];
                shift = shift * k.weights[0]->ptr()[c] + k.weights[1]->ptr()[c];
            }
            const float* xi = x.ptr() + (n * C + c) * HW;
            float* yo = k.out.ptr() + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; ++i) yo[i] = xi[i] * scale + shift;
        }
}

// The same as a per-channel affine, for the executor to fold into the convolution before it:
// scale = γ/√(σ²+ε), shift = β − μ · scale (γ = 1, β = 0 without affine).
ChannelAffine batchNormAffine(const NodeAttrs& a, const std::vector<const Tensor*>& w) {
    const bool affine = a.b("affine");
    const Tensor& mean = *w[affine ? 2 : 0];
    const Tensor& var = *w[affine ? 3 : 1];
    const double eps = a.f("eps");
    ChannelAffine f;
    for (size_t c = 0; c < mean.data.size(); ++c) {
        const double gamma = affine ? w[0]->data[c] : 1.0, beta = affine ? w[1]->data[c] : 0.0;
        const double scale = gamma / std::sqrt(static_cast<double>(var.data[c]) + eps);
        f.scale.push_back(scale);
        f.shift.push_back(beta - mean.data[c] * scale);
    }
    return f;
}

// Training: each channel normalised with its batch mean and biased variance over N·H·W; the running
// statistics move by `momentum` towards the batch's (the variance unbiased), as PyTorch's. `saved`
// holds the batch mean and 1/√(σ²+ε) per channel for the backward.
void batchNormTrain(const TrainArgs& t) {
    const Tensor& x = *t.inputs[0];
    const BatchNormParams& params = t.params<BatchNormParams>();
    const bool affine = params.affine;
    const double eps = params.eps, momentum = params.momentum;
    const size_t stats = affine ? 2 : 0;
    float* runningMean = t.weights[stats]->ptr();
    float* runningVar = t.weights[stats + 1]->ptr();
    const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3], M = N * HW;
    t.saved = Tensor({2, C});
    float* savedMean = t.saved.ptr();
    float* savedInvStd = savedMean + C;
#pragma omp parallel for schedule(static) if (N * C * HW >= kParallelWork)
    for (int64_t c = 0; c < C; ++c) {
        double total = 0;
        for (int64_t n = 0; n < N; ++n) total += simd::sum(x.ptr() + (n * C + c) * HW, HW);
        const double mean = total / static_cast<double>(M);
        double squares = 0;  // about the mean: no cancellation
        for (int64_t n = 0; n < N; ++n)
            squares += simd::sumSquaresAbout(x.ptr() + (n * C + c) * HW, HW, static_cast<float>(mean));
        const double var = squares / static_cast<double>(M);
        const double invStd = 1.0 / std::sqrt(var + eps);
        const double unbiased = M > 1 ? squares / static_cast<double>(M - 1) : var;
        runningMean[c] = static_cast<float>((1 - momentum) * runningMean[c] + momentum * mean);
        runningVar[c] = static_cast<float>((1 - momentum) * runningVar[c] + momentum * unbiased);
        savedMean[c] = static_cast<float>(mean);
        savedInvStd[c] = static_cast<float>(invStd);
        const double gamma = affine ? t.weights[0]->ptr()[c] : 1.0, beta = affine ? t.weights[1]->ptr()[c] : 0.0;
        // (x − μ) first: x·scale + shift would cancel digits when |μ| is large against σ.
        const auto centre = static_cast<float>(mean), scale = static_cast<float>(invStd * gamma);
        const auto shift = static_cast<float>(beta);
        for (int64_t n = 0; n < N; ++n) {
            const float* xi = x.ptr() + (n * C + c) * HW;
            float* yo = t.out.ptr() + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; ++i) yo[i] = (xi[i] - centre) * scale + shift;
        }
    }
}

// With x̂ = (x − μ)·r (r = 1/√(σ²+ε)), over the channel's M = N·H·W values: dγ = Σ dy·x̂, dβ = Σ dy,
// dx = γ·r · (dy − Σdy / M − x̂ · Σ(dy·x̂) / M).
void batchNormBackward(const BackwardArgs& b) {
    const Tensor& x = *b.inputs[0];
    const bool affine = b.params<BatchNormParams>().affine;
    const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3], M = N * HW;
    const float* mean = b.saved.ptr();
    const float* invStd = mean + C;
    const float* dy = b.dOut.ptr();
#pragma omp parallel for schedule(static) if (N * C * HW >= kParallelWork)
    for (int64_t c = 0; c < C; ++c) {
        double sumDy = 0, sumDyXhat = 0;
        for (int64_t n = 0; n < N; ++n) {
            const int64_t at = (n * C + c) * HW;
            sumDy += simd::sum(dy + at, HW);
            sumDyXhat += simd::dotAbout(dy + at, x.ptr() + at, HW, mean[c]) * invStd[c];
        }
        if (affine) {
            if (b.dWeights[0]) b.dWeights[0]->ptr()[c] += static_cast<float>(sumDyXhat);
            if (b.dWeights[1]) b.dWeights[1]->ptr()[c] += static_cast<float>(sumDy);
        }
        if (!b.dInputs[0]) continue;
        const double gamma = affine ? b.weights[0]->ptr()[c] : 1.0, r = invStd[c];
        const double meanDy = sumDy / static_cast<double>(M), meanDyXhat = sumDyXhat / static_cast<double>(M);
        // dx = a·dy + b·(x − μ) + k, per element in float ((x − μ) first, as in the forward).
        const auto a = static_cast<float>(gamma * r), bx = static_cast<float>(-gamma * r * r * meanDyXhat);
        const auto k = static_cast<float>(-gamma * r * meanDy);
        const float centre = mean[c];
        float* dx = b.dInputs[0]->ptr();
        for (int64_t n = 0; n < N; ++n) {
            const int64_t at = (n * C + c) * HW;
            for (int64_t i = 0; i < HW; ++i) dx[at + i] += a * dy[at + i] + bx * (x.ptr()[at + i] - centre) + k;
        }
    }
}

// PyTorch's LocalResponseNorm: the window covers channels [c − size/2, c + (size−1)/2], and the
// sum of squares is divided by `size` whether or not the window runs past the edge.
void lrnForward(const KernelArgs& k) {
    const Tensor& x = *k.inputs[0];
    const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
    const LrnParams& params = k.params<LrnParams>();
    const int64_t size = params.size;
    const double alpha = params.alpha, beta = params.beta, bias = params.bias;
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
            const int64_t lo = std::max<int64_t>(c - size / 2, 0), hi = std::min<int64_t>(c + (size - 1) / 2, C - 1);
            const float* xc = x.ptr() + (n * C + c) * HW;
            float* yo = k.out.ptr() + (n * C + c) * HW;
            for (int64_t i = 0; i < HW; ++i) {
                double sum = 0;
                for (int64_t j = lo; j <= hi; ++j) {
                    double v = x.ptr()[(n * C + j) * HW + i];
                    sum += v * v;
                }
                yo[i] = static_cast<float>(xc[i] / std::pow(bias + alpha * sum / static_cast<double>(size), beta));
            }
        }
}

// With s_c = k + α/size · Σ_{j in window(c)} x_j² and y_c = x_c · s_c^−β:
// dx_j = dy_j · s_j^−β − 2αβ/size · x_j · Σ_{c whose window holds j} dy_c · x_c · s_c^(−β−1).
void lrnBackward(const BackwardArgs& b) {
    if (!b.dInputs[0]) return;
    const Tensor& x = *b.inputs[0];
    const int64_t N = x.shape[0], C = x.shape[1], HW = x.shape[2] * x.shape[3];
    const LrnParams& params = b.params<LrnParams>();
    const int64_t size = params.size;
    const double alpha = params.alpha, beta = params.beta, bias = params.bias;
    const double per = alpha / static_cast<double>(size);
#pragma omp parallel if (N * C * HW >= kParallelWork)
    {
        std::vector<double> s(static_cast<size_t>(C)), t(static_cast<size_t>(C));
#pragma omp for collapse(2) schedule(static)
        for (int64_t n = 0; n < N; ++n)
            for (int64_t i = 0; i < HW; ++i) {
                auto at = [&](int64_t c) { return (n * C + c) * HW + i; };
                for (int64_t c = 0; c < C; ++c) {
                    const int64_t lo = std::max<int64_t>(c - size / 2, 0), hi = std::min(c + (size - 1) / 2, C - 1);
                    double sum = 0;
                    for (int64_t j = lo; j <= hi; ++j) sum += static_cast<double>(x.ptr()[at(j)]) * x.ptr()[at(j)];
                    const auto ci = static_cast<size_t>(c);
                    s[ci] = bias + per * sum;
                    t[ci] = b.dOut.ptr()[at(c)] * x.ptr()[at(c)] * std::pow(s[ci], -beta - 1);
                }
                for (int64_t j = 0; j < C; ++j) {
                    // c's window [c − size/2, c + (size−1)/2] holds j for c in [j − (size−1)/2, j + size/2].
                    const int64_t lo = std::max<int64_t>(j - (size - 1) / 2, 0), hi = std::min(j + size / 2, C - 1);
                    double sum = 0;
                    for (int64_t c = lo; c <= hi; ++c) sum += t[static_cast<size_t>(c)];
                    const double g = b.dOut.ptr()[at(j)] * std::pow(s[static_cast<size_t>(j)], -beta) -
                                     2 * per * beta * x.ptr()[at(j)] * sum;
                    b.dInputs[0]->ptr()[at(j)] += static_cast<float>(g);
                }
            }
    }
}

}  // namespace

LayerKind batchNorm2d() {
    LayerKind k{"BatchNorm2d", "Normalization",
                "Batch normalisation per channel (PyTorch nn.BatchNorm2d). gamma and beta are trained; the "
                "running mean and variance are not (non-trainable parameters)."};
    k.attrs = {intAttr("num_features", 0, 0, kMaxChannels, "channels; 0 takes them from the input"),
               floatAttr("eps", 1e-5, 0, 1, "added to the variance"),
               floatAttr("momentum", 0.1, 0, 1, "running-statistics update rate (PyTorch convention)"),
               boolAttr("affine", true, "learn gamma (weight) and beta (bias)")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        if (!checkInChannels(ctx, "num_features")) return std::nullopt;
        return std::vector<Shape>{ctx.in()};
    };
    k.weights = [](const NodeAttrs& a, const Shape& in) {
        std::vector<WeightSpec> w;
        if (a.b("affine")) {
            w.push_back({"weight", {in[1]}, WeightRole::NormAffine});
            w.push_back({"bias", {in[1]}, WeightRole::NormAffine});
        }
        w.push_back({"running_mean", {in[1]}, WeightRole::NormStatistic});
        w.push_back({"running_var", {in[1]}, WeightRole::NormStatistic});
        return w;
    };
    k.parse = parseInto<BatchNormParams>;
    k.forward = batchNormForward;
    k.trainForward = batchNormTrain;
    k.mixesBatch = true;
    k.backward = batchNormBackward;
    k.affine = batchNormAffine;
    k.formulas = {"same as the input", "4 · C: weight and bias trained, running mean and variance not", "none"};
    return k;
}

LayerKind lrn() {
    LayerKind k{"LRN", "Normalization",
                "Local response normalisation across channels (AlexNet 2012; PyTorch nn.LocalResponseNorm): "
                "x / (k + alpha/size · Σ x²)^beta over `size` neighbouring channels."};
    k.attrs = {intAttr("size", 5, 1, 1024, "channels in the window"), floatAttr("alpha", 1e-4, 0, 1e6, "scale"),
               floatAttr("beta", 0.75, 0, 1e6, "exponent"),
               floatAttr("k", 1.0, 0, 1e6, "additive constant (AlexNet paper: 2)")};
    k.inputs = {"in"};
    k.infer = [](ShapeContext& ctx) -> std::optional<std::vector<Shape>> {
        if (!ctx.requireRank(0, 4, "an N×C×H×W feature map")) return std::nullopt;
        return std::vector<Shape>{ctx.in()};
    };
    k.parse = parseInto<LrnParams>;
    k.forward = lrnForward;
    k.backward = lrnBackward;
    k.formulas = {"same as the input", "none", "none"};
    return k;
}

}  // namespace nw::layers
