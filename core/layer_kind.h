// The declaration of a layer kind: everything the core knows about it, in one place.
// Each kind is defined once in core/layers/ and listed once in registry.cpp.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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
        diagnostics.push_back({Severity::Error, node, std::move(port), std::move(message), std::nullopt, std::move(insert)});
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

// How the receptive field passes through a kind.
enum class FieldRule { Pointwise, Windowed, Global, Merge };

struct Tensor;

// What a kernel derives from its weights once per plan (packed GEMM panels), handed back to it in
// KernelArgs::prepared on every run.
struct Prepared {
    virtual ~Prepared() = default;
};

// What a forward kernel sees: the node's attributes, its input tensors (one per input port), its
// weights in the order `weights` lists them, and the output tensor, already shaped by the analysis.
struct KernelArgs {
    const NodeAttrs& attrs;
    const std::vector<const Tensor*>& inputs;
    const std::vector<const Tensor*>& weights;
    Tensor& out;
    bool relu = false;  // a ReLU fused into this node by the executor (kinds that set `fusesRelu`)
    const Prepared* prepared = nullptr;  // from LayerKind::prepare, when the executor made it
    // `out` already holds a tensor the result is added to, before the ReLU: a residual Add the
    // executor fused into this Conv2d (groups = 1 only).
    bool accumulate = false;
    // LayerKind::workspace floats for the forward pass, from the plan's buffers (null when the
    // kernel is called without a plan: it then allocates its own).
    float* workspace = nullptr;
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
    FieldRule field = FieldRule::Pointwise;
    Window (*window)(const NodeAttrs&, const Shape& in) = nullptr;  // for FieldRule::Windowed
    // Inference-mode forward pass (dropout off, batch-norm on running statistics).
    void (*forward)(const KernelArgs&) = nullptr;
    // The executor may fold a following BatchNorm2d into this node's weight and bias (weights then
    // become [weight, bias]) and fuse a following ReLU (KernelArgs::relu).
    bool foldsBatchNorm = false;
    bool fusesRelu = false;
    // Weight preparation at plan time (BN already folded). A kernel given the result reads only the
    // Bias-role tensors from KernelArgs::weights, so a plan that owns the weights frees the others.
    std::unique_ptr<Prepared> (*prepare)(const NodeAttrs&, const Shape& in, const std::vector<const Tensor*>& weights) =
        nullptr;
    // Floats of scratch `forward` needs beside its output (a separable conv's depthwise result), for
    // the input and output shapes with their batch; the plan counts them in its memory peak.
    int64_t (*workspace)(const NodeAttrs&, const Shape& in, const Shape& out) = nullptr;
    // A plain-loop version for tests to check a fast `forward` against; null when `forward` is plain.
    void (*reference)(const KernelArgs&) = nullptr;
    KindFormulas formulas;  // for the help

    int attrIndex(std::string_view attr) const;
    const AttrSpec* attr(std::string_view attr) const {
        int i = attrIndex(attr);
        return i < 0 ? nullptr : &attrs[static_cast<size_t>(i)];
    }
    // Port names of a node of this kind with the given attribute values.
    std::vector<std::string> inputPorts(const std::vector<AttrValue>& values) const;
};

}  // namespace nw
