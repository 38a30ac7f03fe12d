// The declaration of a layer kind: everything the core knows about it, in one place.
// Each kind is defined once in core/layers/ and listed once in registry.cpp.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "attr.h"
#include "diagnostic.h"
#include "shape.h"

namespace nw {

struct LayerKind;

// Read access to one node's attribute values, stored in the order of its kind's specs.
class NodeAttrs {
public:
    NodeAttrs(const LayerKind& kind, const std::vector<AttrValue>& values) : kind_(&kind), values_(&values) {}
    const AttrValue& get(std::string_view name) const;
    int64_t i(std::string_view name) const { return std::get<int64_t>(get(name)); }
    double f(std::string_view name) const { return std::get<double>(get(name)); }
    bool b(std::string_view name) const { return std::get<bool>(get(name)); }
    const std::string& s(std::string_view name) const { return std::get<std::string>(get(name)); }
    std::pair<int64_t, int64_t> i2(std::string_view name) const {
        const auto& v = std::get<std::vector<int64_t>>(get(name));
        return {v[0], v[1]};
    }
    const LayerKind& kind() const { return *kind_; }

private:
    const LayerKind* kind_;
    const std::vector<AttrValue>* values_;
};

// What a shape rule sees: the node, its input shapes (one per input port, all known), and a
// place to report problems. Rules say what is wrong and, where they can, how to fix it.
struct ShapeContext {
    const NodeAttrs& attrs;
    const std::string& node;
    const std::vector<std::string>& inputPorts;
    std::vector<const Shape*> inputs;
    std::vector<Diagnostic>& diagnostics;
    int64_t batch = 1;
    const Shape* inputOverride = nullptr;  // --input-shape, for Input nodes
    // Where a flat input came from: the C×H×W a Flatten folded (empty if not from one).
    std::vector<const Shape*> inputFactors;
    Shape outputFactors;  // set by Flatten

    const Shape& in(size_t i = 0) const { return *inputs[i]; }
    void error(std::string port, std::string message, std::optional<AttrFix> fix = std::nullopt) const {
        diagnostics.push_back({Severity::Error, node, std::move(port), std::move(message), std::move(fix)});
    }
    void error(std::string port, std::string message, InsertFix insert) const {
        diagnostics.push_back(
            {Severity::Error, node, std::move(port), std::move(message), std::nullopt, std::move(insert)});
    }
    void warning(std::string port, std::string message) const {
        diagnostics.push_back({Severity::Warning, node, std::move(port), std::move(message)});
    }
    // Checks that input `i` has `rank` dimensions; reports and returns false otherwise.
    bool requireRank(size_t i, size_t rank, const char* what) const;
};

// Weight tensors; the parameter counts are derived from these shapes, never written twice.
enum class WeightRole { Weight, Bias, NormAffine, NormStatistic };
struct WeightSpec {
    std::string name;  // parameter name within the node: "weight", "running_mean", ...
    Shape shape;
    WeightRole role;
    bool trainable() const { return role != WeightRole::NormStatistic; }
};

// A sliding window over H and W, for output sizes and receptive fields.
struct Window {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
};

// Receptive field of one output position on the network input, per spatial axis.
struct Field {
    int64_t size_h = 1, size_w = 1, jump_h = 1, jump_w = 1;
    bool global = false;  // sees the whole input (after global pooling or a dense layer)
    bool operator==(const Field&) const = default;
    std::string text() const;  // "11 step 4" (size, stride on the input) or "whole input"
};
// The usual rules, for kinds' `field` callbacks: a sliding window, the whole input, the widest input.
Field slideField(const Field& in, const Window& w);
Field globalField(const Field& in);
Field widestField(const std::vector<Field>& inputs);

// What a kind is to the rest of the core beyond its arithmetic: where data enters a network and
// where it leaves (an Output computes nothing; the result is what feeds it).
enum class KindRole { Layer, Input, Output };

// What a node can be when the executor runs it inside its producer's kernel instead of on its own.
enum class Epilogue {
    None,
    Relu,         // max(x, 0) on the producer's output (producers that set `fusesRelu`)
    ResidualAdd,  // the producer's result added onto the other input (producers with `fusesResidual`)
};

struct Tensor;

// y = x · scale[c] + shift[c] per channel: what an inference-mode batch norm computes, which a
// producer with `foldAffine` can take into its own weights.
struct ChannelAffine {
    std::vector<double> scale, shift;
};

// What a kernel derives from its weights once per plan (packed GEMM panels), handed back to it in
// KernelArgs::prepared on every run.
struct Prepared {
    virtual ~Prepared() = default;
};

// While one lives, kernels on this thread run on it alone and choose the algorithms they choose
// inside another parallel region, whatever the thread count: a caller that runs kernels side by side
// on its own threads (a training step's halves) then gets the same result with one thread or two.
class CallerThreadOnly {
public:
    CallerThreadOnly();
    ~CallerThreadOnly();
    CallerThreadOnly(const CallerThreadOnly&) = delete;
    CallerThreadOnly& operator=(const CallerThreadOnly&) = delete;
};
// Inside a CallerThreadOnly or an OpenMP parallel region: no threads of its own for a kernel.
bool onCallerThreadOnly();

// A node's attributes as its kernels read them, parsed once per plan by its kind's `parse` from its
// NodeAttrs and first input shape (padding resolved, defaults applied), as ncnn's load_param fills a
// layer's typed members: kernels never look an attribute up by name. Kinds derive their own.
struct KernelParams {
    virtual ~KernelParams() = default;
};
[[noreturn]] void missingParams(const char* wanted);
// The parsed attributes a kernel of a kind with `parse` is given (a logic error when they are not).
template <class P>
const P& paramsAs(const KernelParams* parsed) {
    const auto* p = dynamic_cast<const P*>(parsed);
    if (!p) missingParams(typeid(P).name());
    return *p;
}

// What a forward kernel sees: the node's parsed attributes (null for a kind without `parse`), its
// input tensors (one per input port), its weights in the order `weights` lists them, and the output
// tensor, already shaped by the analysis.
struct KernelArgs {
    const KernelParams* parsed;
    const std::vector<const Tensor*>& inputs;
    const std::vector<const Tensor*>& weights;
    Tensor& out;
    bool relu = false;                   // a ReLU fused into this node by the executor (kinds that set `fusesRelu`)
    const Prepared* prepared = nullptr;  // from LayerKind::prepare, when the executor made it
    // `out` already holds a tensor the result is added to, before the ReLU: a residual Add the
    // executor fused into this Conv2d (groups = 1 only).
    bool accumulate = false;
    // LayerKind::workspace floats for the forward pass, from the plan's buffers (null when the
    // kernel is called without a plan: it then allocates its own).
    float* workspace = nullptr;
    template <class P>
    const P& params() const {
        return paramsAs<P>(parsed);
    }
};

// Training. A forward pass in training mode (dropout draws its mask, batch norm normalises with the
// batch's statistics and updates the running ones) leaves in `saved` what its backward needs beyond
// its inputs and output.
struct TrainArgs {
    const KernelParams* parsed;
    const std::vector<const Tensor*>& inputs;
    const std::vector<Tensor*>& weights;  // in `weights` order; running statistics are updated in place
    Tensor& out;
    Tensor& saved;
    uint64_t seed;  // this node's for this step: the same seed draws the same mask
    template <class P>
    const P& params() const {
        return paramsAs<P>(parsed);
    }
};

// A backward pass: the forward's tensors and dOut, the gradient of the loss with respect to the
// output. It adds (+=) the gradients with respect to its inputs and trainable weights into dInputs
// and dWeights, so a tensor read twice sums both; null where none is wanted (a network input, a
// running statistic).
struct BackwardArgs {
    const KernelParams* parsed;
    const std::vector<const Tensor*>& inputs;
    const std::vector<const Tensor*>& weights;
    const Tensor& out;
    const Tensor& saved;
    const Tensor& dOut;
    const std::vector<Tensor*>& dInputs;
    const std::vector<Tensor*>& dWeights;
    template <class P>
    const P& params() const {
        return paramsAs<P>(parsed);
    }
};

// What the help says of a kind's arithmetic (F1 in the window, `netwright-cli kinds`), as the
// counting conventions define it: its output shape, its parameters and its multiply-accumulates.
struct KindFormulas {
    std::string shape = "same as the input";
    std::string params = "none";
    std::string macs = "none (only convolutions and dense layers count MACs)";
};

struct LayerKind {
    std::string name;      // "Conv2d"
    std::string category;  // palette group: "Convolution", "Pooling", ...
    std::string doc;
    std::vector<AttrSpec> attrs;
    // Input port names. A variadic kind has one declared name "in" that expands to
    // in0..in{n-1}, n = attribute "num_inputs".
    std::vector<std::string> inputs;
    bool variadic = false;
    std::vector<std::string> outputs = {"out"};

    // Output shapes, one per output port, or nullopt after reporting why not.
    std::optional<std::vector<Shape>> (*infer)(ShapeContext&) = nullptr;
    // Weight tensors for the given first input shape.
    std::vector<WeightSpec> (*weights)(const NodeAttrs&, const Shape& in) = nullptr;
    // Multiply-accumulates per sample (batch 1); nullopt on overflow.
    std::optional<int64_t> (*macs)(const NodeAttrs&, const Shape& in, const Shape& out) = nullptr;
    // The receptive field of the output, from the inputs' (one per port) and the first input's
    // shape; null: the first input's, unchanged (elementwise kinds).
    Field (*field)(const NodeAttrs&, const Shape& in, const std::vector<Field>& inputs) = nullptr;
    KindRole role = KindRole::Layer;
    // The attributes its kernels read, typed, for the first input's shape; null: they read none.
    std::unique_ptr<KernelParams> (*parse)(const NodeAttrs&, const Shape& in) = nullptr;
    // Inference-mode forward pass (dropout off, batch-norm on running statistics).
    void (*forward)(const KernelArgs&) = nullptr;
    // What the executor may fuse (each rewrite is a pass in rewrites.h over these properties).
    // As a consumer: the epilogue this kind is when it runs inside its producer.
    Epilogue epilogue = Epilogue::None;
    // As a consumer that is a per-channel affine at inference (batch norm): its scale and shift
    // from its attributes and weights (in `weights` order).
    ChannelAffine (*affine)(const NodeAttrs&, const std::vector<const Tensor*>& weights) = nullptr;
    // As a producer: takes a following affine into its last kernel (scaled per output channel,
    // dimension 0, in place) and writes the bias that results (`bias`: its own, or null).
    void (*foldAffine)(const ChannelAffine&, Tensor& kernel, const Tensor* bias, Tensor& foldedBias) = nullptr;
    bool fusesRelu = false;  // applies KernelArgs::relu
    // Can add its result onto an existing output (KernelArgs::accumulate) with these attributes.
    bool (*fusesResidual)(const NodeAttrs&) = nullptr;
    // Weight preparation at plan time (affine already folded), for the input and output shapes. A
    // kernel given the result reads only the Bias-role tensors from KernelArgs::weights, so a plan
    // that owns the weights frees the others.
    std::unique_ptr<Prepared> (*prepare)(const NodeAttrs&, const Shape& in, const Shape& out,
                                         const std::vector<const Tensor*>& weights) = nullptr;
    // Floats of scratch `forward` needs beside its output (a separable conv's depthwise result), for
    // the input and output shapes with their batch; the plan counts them in its memory peak.
    int64_t (*workspace)(const NodeAttrs&, const Shape& in, const Shape& out) = nullptr;
    // A plain-loop version for tests to check a fast `forward` against; null when `forward` is plain.
    void (*reference)(const KernelArgs&) = nullptr;
    // Training-mode forward, where it differs from `forward` (null: `forward`, unfused).
    void (*trainForward)(const TrainArgs&) = nullptr;
    // Its training forward mixes the batch's samples (batch statistics): a training step cannot then
    // split the batch into parts computed apart.
    bool mixesBatch = false;
    // Gradients, as PyTorch's autograd defines them; null only for kinds that compute nothing (Input,
    // Output). `backwardReference`: a plain-loop version for tests, where `backward` is a fast path.
    void (*backward)(const BackwardArgs&) = nullptr;
    void (*backwardReference)(const BackwardArgs&) = nullptr;
    // Its output is a probability distribution over dimension 1 (a softmax): a cross-entropy loss
    // then takes the log of it, as PyTorch's NLLLoss on log-probabilities does.
    bool outputsProbabilities = false;
    KindFormulas formulas;  // for the help
    // Its colour on the canvas and in the palette (0xRRGGBB); 0: its category's (kindColor).
    uint32_t color = 0;

    int attrIndex(std::string_view attr) const;
    const AttrSpec* attr(std::string_view attr) const {
        int i = attrIndex(attr);
        return i < 0 ? nullptr : &attrs[static_cast<size_t>(i)];
    }
    // `parse`'s result, or null for a kind without one: what every caller of a kernel hands it.
    std::unique_ptr<KernelParams> parseParams(const NodeAttrs& a, const Shape& in) const {
        return parse ? parse(a, in) : nullptr;
    }
    // Port names of a node of this kind with the given attribute values.
    std::vector<std::string> inputPorts(const std::vector<AttrValue>& values) const;
};

// The colour a kind is drawn in: its own, else its category's. Module instances use kModuleColor.
uint32_t kindColor(const LayerKind& kind);
constexpr uint32_t kModuleColor = 0xc9daf8;

}  // namespace nw
