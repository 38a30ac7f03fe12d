// Document → ONNX, one function per layer kind (the table in `layer`), on libonnx's protobuf classes.
#include "onnx_export.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <climits>
#include <cstring>
#include <map>
#include <set>

#include "common.h"
#include "files.h"
#include "rewrites.h"
#include "weights.h"

namespace nw {
namespace {

constexpr int kMinOpset = 13, kMaxOpset = 17;
constexpr uint64_t kMaxModelBytes =
    (uint64_t{2} << 30) - (uint64_t{64} << 20);  // protobuf's 2 GB, less room for the graph

class OnnxWriter {
public:
    OnnxWriter(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights,
               const OnnxExportOptions& options)
        : graph_(graph), analysis_(analysis), weights_(weights), options_(options), value_(graph.nodes.size()) {}

    OnnxModel write(const std::string& name) {
        OnnxModel out;
        if (options_.opset < kMinOpset || options_.opset > kMaxOpset) {
            out.errors.push_back("opset " + std::to_string(options_.opset) +
                                 " is not offered; Netwright writes opsets " + std::to_string(kMinOpset) + " to " +
                                 std::to_string(kMaxOpset));
            return out;
        }
        if (size_t n = analysis_.errorCount()) {
            out.errors.push_back("the network has " + std::to_string(n) + " error(s); fix them before exporting");
            return out;
        }
        if (auto problems = checkWeights(graph_, analysis_, weights_); !problems.empty()) {
            out.errors = std::move(problems);
            return out;
        }
        model_.set_ir_version(onnx::IR_VERSION);
        model_.set_producer_name("Netwright");
        model_.set_model_version(1);
        auto* opset = model_.add_opset_import();
        opset->set_domain("");
        opset->set_version(options_.opset);
        g_ = model_.mutable_graph();
        g_->set_name(name.empty() ? "network" : name);
        if (options_.foldBatchNorm) foldBatchNorms();
        for (int idx : analysis_.order) {
            const auto i = static_cast<size_t>(idx);
            if (rewrites_.alias[i] >= 0) {  // a folded batch norm: its value is its producer's
                value_[i] = value_[rewrites_.root(i)];
                continue;
            }
            node(i);
        }
        if (!errors_.empty()) {
            out.errors = std::move(errors_);
            return out;
        }
        // Every layer's output shape, as shape inference would give it: readers that need a channel
        // count (the importer's ZeroPadChannels) find it, and viewers show it.
        for (size_t i = 0; i < graph_.nodes.size(); ++i)
            if (at(i).kind->role == KindRole::Layer && rewrites_.alias[i] < 0 && !value_[i].empty() &&
                !outputs_.count(value_[i]))
                valueInfo(g_->add_value_info(), value_[i], outShape(i));
        if (bytes_ > kMaxModelBytes) {
            out.errors.push_back("the weights take " + formatBytes(static_cast<int64_t>(bytes_)) +
                                 ", more than one ONNX file holds (2 GB; external data files are not written)");
            return out;
        }
        try {
            onnx::checker::check_model(model_);
        } catch (const std::exception& e) {
            out.errors.push_back(std::string("the ONNX checker refuses the model: ") + e.what());
            return out;
        }
        out.nodes = g_->node_size();
        out.initializers = g_->initializer_size();
        out.notes = std::move(notes_);
        model_.SerializeToString(&out.bytes);
        return out;
    }

private:
    const FlatGraph& graph_;
    const Analysis& analysis_;
    const TensorMap& weights_;
    const OnnxExportOptions& options_;
    onnx::ModelProto model_;
    onnx::GraphProto* g_ = nullptr;
    std::vector<std::string> value_;  // per flat node: the ONNX value holding its output
    std::vector<std::string> errors_, notes_;
    std::set<std::string> outputs_, names_;
    Rewrites rewrites_{graph_.nodes.size()};
    uint64_t bytes_ = 0;

    // ---- building blocks -------------------------------------------------------------------------

    const FlatNode& at(size_t i) const { return graph_.nodes[i]; }
    const Shape& inShape(size_t i, size_t port = 0) const {
        const PortRef& r = at(i).inputs[port];
        return analysis_.nodes[static_cast<size_t>(r.node)].outputs[static_cast<size_t>(r.port)];
    }
    const Shape& outShape(size_t i) const { return analysis_.nodes[i].outputs[0]; }
    std::string input(size_t i, size_t port = 0) const { return value_[static_cast<size_t>(at(i).inputs[port].node)]; }

    // The node name a PyTorch export would write: the module scopes around the layer, the layer,
    // the operator ("/layer1/layer1.0/conv1/Conv"); `part` > 0 numbers a layer's further operators.
    std::string nodeName(size_t i, const std::string& op, int part) const {
        const FlatNode& n = at(i);
        std::vector<std::string> scopes;
        std::string inner;
        for (int k = n.instance; k >= 0; k = graph_.instances[static_cast<size_t>(k)].parent) {
            const FlatInstance& inst = graph_.instances[static_cast<size_t>(k)];
            if (inner.empty()) inner = inst.name;
            scopes.insert(scopes.begin(), inst.name);
            // A repeated node's copies sit in a scope named after it, as nn.Sequential's children do.
            if (inst.copy >= 0) scopes.insert(scopes.begin(), inst.name.substr(0, inst.name.find_last_of('.')));
        }
        std::string out;
        for (const std::string& s : scopes) out += "/" + s;
        out += "/" + (inner.empty() ? n.name : n.name.substr(inner.size() + 1)) + "/" + op;
        if (part > 0) out += "_" + std::to_string(part);
        return out;
    }

    // A value name not taken yet, from `base`.
    std::string fresh(const std::string& base) {
        std::string name = base;
        for (int k = 1; !names_.insert(name).second; ++k) name = base + "_" + std::to_string(k);
        return name;
    }

    using Attr = onnx::AttributeProto;
    Attr intsAttr(const char* name, const std::vector<int64_t>& v) {
        Attr a;
        a.set_name(name);
        a.set_type(Attr::INTS);
        for (int64_t x : v) a.add_ints(x);
        return a;
    }
    Attr intAttr(const char* name, int64_t v) {
        Attr a;
        a.set_name(name);
        a.set_type(Attr::INT);
        a.set_i(v);
        return a;
    }
    Attr floatAttr(const char* name, double v) {
        Attr a;
        a.set_name(name);
        a.set_type(Attr::FLOAT);
        a.set_f(static_cast<float>(v));
        return a;
    }

    // Adds an operator of layer `i`; returns its output value (the layer's own name for its last part).
    std::string op(size_t i, const std::string& type, const std::vector<std::string>& inputs,
                   std::vector<Attr> attrs = {}, bool last = true) {
        auto* n = g_->add_node();
        int& part = parts_[i];
        n->set_name(nodeName(i, type, part++));
        n->set_op_type(type);
        for (const auto& in : inputs) n->add_input(in);
        std::string out = fresh(last ? at(i).name : at(i).name + "/" + type);
        n->add_output(out);
        for (auto& a : attrs) *n->add_attribute() = std::move(a);
        if (last) value_[i] = out;
        return out;
    }
    std::map<size_t, int> parts_;

    std::string initializer(const std::string& name, const Tensor& t) {
        auto* init = g_->add_initializer();
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::FLOAT);
        for (int64_t d : t.shape) init->add_dims(d);
        init->set_raw_data(t.data.data(), t.data.size() * sizeof(float));
        bytes_ += t.data.size() * sizeof(float);
        names_.insert(name);
        return name;
    }
    std::string constInts(size_t i, const std::string& what, const std::vector<int64_t>& v) {
        auto* init = g_->add_initializer();
        std::string name = fresh(at(i).name + "." + what);
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::INT64);
        init->add_dims(static_cast<int64_t>(v.size()));
        for (int64_t x : v) init->add_int64_data(x);
        return name;
    }
    std::string constFloat(size_t i, const std::string& what, float v) {
        auto* init = g_->add_initializer();
        std::string name = fresh(at(i).name + "." + what);
        init->set_name(name);
        init->set_data_type(onnx::TensorProto::FLOAT);
        init->add_float_data(v);
        return name;
    }

    // The layer's weights as initializers, in its kind's order: the folded ones when a batch norm
    // was folded into it (kernels, then the bias).
    std::vector<std::string> weightInputs(size_t i) {
        std::vector<std::string> names;
        const FlatNode& n = at(i);
        const auto& specs = analysis_.nodes[i].weights;
        if (auto f = rewrites_.weights.find(i); f != rewrites_.weights.end()) {
            size_t k = 0;
            std::string bias = n.name + ".bias";
            for (const WeightSpec& s : specs)
                if (s.role == WeightRole::Bias) bias = weightName(n, s);
                else names.push_back(initializer(weightName(n, s), *f->second[k++]));
            names.push_back(initializer(bias, *f->second.back()));
            return names;
        }
        for (const WeightSpec& s : specs) {
            const std::string w = weightName(n, s);
            names.push_back(initializer(w, weights_.find(w)->second));
        }
        return names;
    }

    void valueInfo(onnx::ValueInfoProto* v, const std::string& name, const Shape& shape) {
        v->set_name(name);
        auto* t = v->mutable_type()->mutable_tensor_type();
        t->set_elem_type(onnx::TensorProto::FLOAT);
        auto* s = t->mutable_shape();
        for (size_t d = 0; d < shape.size(); ++d) {
            if (d == 0) s->add_dim()->set_dim_param("N");
            else s->add_dim()->set_dim_value(shape[d]);
        }
    }

    void refuse(size_t i, const std::string& why) {
        errors_.push_back(at(i).kind->name + " '" + at(i).name + "': " + why);
    }

    void foldBatchNorms() {
        std::vector<int> consumers(graph_.nodes.size(), 0);
        for (const FlatNode& n : graph_.nodes)
            for (const PortRef& r : n.inputs)
                if (r.node >= 0) ++consumers[static_cast<size_t>(r.node)];
        const std::vector<char> keep(graph_.nodes.size(), 0);
        foldAffinePass(rewriteInput(graph_, analysis_, consumers, keep), weights_, nullptr, rewrites_);
        size_t folded = 0;
        for (int a : rewrites_.alias) folded += a >= 0;
        notes_.push_back(std::to_string(folded) + " batch norm(s) folded into the convolutions before them");
    }

    // ---- layers ------------------------------------------------------------------------------------

    void node(size_t i) {
        const FlatNode& n = at(i);
        if (n.kind->role == KindRole::Input) {
            value_[i] = fresh(n.name);
            valueInfo(g_->add_input(), value_[i], outShape(i));
            return;
        }
        if (n.kind->role == KindRole::Output) {
            const std::string v = input(i);
            const PortRef& r = n.inputs[0];
            if (outputs_.insert(v).second)
                valueInfo(g_->add_output(), v,
                          analysis_.nodes[static_cast<size_t>(r.node)].outputs[static_cast<size_t>(r.port)]);
            return;
        }
        using Layer = void (OnnxWriter::*)(size_t);
        static const std::map<std::string, Layer, std::less<>> table{
            {"Conv2d", &OnnxWriter::conv},
            {"DepthwiseConv2d", &OnnxWriter::conv},
            {"SeparableConv2d", &OnnxWriter::separable},
            {"ConvTranspose2d", &OnnxWriter::convTranspose},
            {"MaxPool2d", &OnnxWriter::maxPool},
            {"AvgPool2d", &OnnxWriter::avgPool},
            {"AdaptiveAvgPool2d", &OnnxWriter::adaptiveAvgPool},
            {"GlobalAvgPool", &OnnxWriter::globalAvgPool},
            {"GlobalMaxPool", &OnnxWriter::globalMaxPool},
            {"BatchNorm2d", &OnnxWriter::batchNorm},
            {"LRN", &OnnxWriter::lrn},
            {"ReLU", &OnnxWriter::relu},
            {"LeakyReLU", &OnnxWriter::leakyRelu},
            {"ReLU6", &OnnxWriter::relu6},
            {"HardSigmoid", &OnnxWriter::hardSigmoid},
            {"HardSwish", &OnnxWriter::hardSwish},
            {"Sigmoid", &OnnxWriter::sigmoid},
            {"Tanh", &OnnxWriter::tanh},
            {"Softmax", &OnnxWriter::softmax},
            {"Dropout", &OnnxWriter::dropout},
            {"Flatten", &OnnxWriter::flatten},
            {"Linear", &OnnxWriter::linear},
            {"Concat", &OnnxWriter::concat},
            {"Add", &OnnxWriter::add},
            {"Mul", &OnnxWriter::mul},
            {"ZeroPadChannels", &OnnxWriter::zeroPadChannels},
        };
        auto f = table.find(n.kind->name);
        if (f == table.end()) return refuse(i, "has no ONNX translation");
        (this->*(f->second))(i);
    }

    // Explicit pads [top, left, bottom, right] ("same" resolved for this input), as ONNX orders them.
    std::vector<int64_t> pads(size_t i, const Window& w) const {
        const Shape& in = inShape(i);
        Pad4 p = layers::resolvePadding(at(i).view(), w, in[2], in[3]);
        return {p.top, p.left, p.bottom, p.right};
    }
    static Window window(const NodeAttrs& a) {
        auto [kh, kw] = a.i2("kernel_size");
        auto [sh, sw] = a.i2("stride");
        auto [dh, dw] = a.i2("dilation");
        return {kh, kw, sh, sw, dh, dw};
    }
    std::vector<Attr> convAttrs(size_t i, const Window& w, int64_t groups) {
        return {intsAttr("kernel_shape", {w.kh, w.kw}), intsAttr("strides", {w.sh, w.sw}), intsAttr("pads", pads(i, w)),
                intsAttr("dilations", {w.dh, w.dw}), intAttr("group", groups)};
    }

    void conv(size_t i) {
        const Window w = window(at(i).view());
        const Shape& kernel = analysis_.nodes[i].weights[0].shape;  // C_out × C_in/groups × kh × kw
        std::vector<std::string> inputs{input(i)};
        for (auto& name : weightInputs(i)) inputs.push_back(name);
        op(i, "Conv", inputs, convAttrs(i, w, inShape(i)[1] / kernel[1]));
    }

    void separable(size_t i) {
        const Window w = window(at(i).view());
        const int64_t channels = inShape(i)[1];
        std::vector<std::string> ws = weightInputs(i);  // depthwise, pointwise (, bias)
        const std::string depthwise = op(i, "Conv", {input(i), ws[0]}, convAttrs(i, w, channels), false);
        std::vector<std::string> inputs{depthwise, ws[1]};
        if (ws.size() > 2) inputs.push_back(ws[2]);
        op(i, "Conv", inputs, {intsAttr("kernel_shape", {1, 1})});
    }

    void convTranspose(size_t i) {
        const NodeAttrs a = at(i).view();
        const Window w = window(a);
        auto [ph, pw] = a.i2("padding");
        auto [oph, opw] = a.i2("output_padding");
        std::vector<std::string> inputs{input(i)};
        for (auto& name : weightInputs(i)) inputs.push_back(name);
        op(i, "ConvTranspose", inputs,
           {intsAttr("kernel_shape", {w.kh, w.kw}), intsAttr("strides", {w.sh, w.sw}),
            intsAttr("pads", {ph, pw, ph, pw}), intsAttr("dilations", {w.dh, w.dw}),
            intsAttr("output_padding", {oph, opw}), intAttr("group", a.i("groups"))});
    }

    // MaxPool / AveragePool attributes; refuses where ONNX's ceil_mode would size the output
    // differently from PyTorch's rule (the last window must start inside the input).
    std::optional<std::vector<Attr>> poolAttrs(size_t i, bool dilated) {
        const NodeAttrs a = at(i).view();
        auto [kh, kw] = a.i2("kernel_size");
        auto [sh, sw] = a.i2("stride");
        if (sh == 0) sh = kh;
        if (sw == 0) sw = kw;
        auto [dh, dw] = dilated ? a.i2("dilation") : std::pair<int64_t, int64_t>{1, 1};
        const Window w{kh, kw, sh, sw, dh, dw};
        const std::vector<int64_t> p = pads(i, w);
        const bool ceil = a.b("ceil_mode");
        if (ceil) {
            const Shape &in = inShape(i), &out = outShape(i);
            auto onnxSize = [&](int64_t size, int64_t pad, int64_t k, int64_t d, int64_t s) {
                const int64_t span = size + pad - d * (k - 1) - 1;
                return (span + s - 1) / s + 1;
            };
            if (onnxSize(in[2], p[0] + p[2], kh, dh, sh) != out[2] ||
                onnxSize(in[3], p[1] + p[3], kw, dw, sw) != out[3]) {
                refuse(i, "with ceil_mode its last window starts in the padding, which PyTorch drops and ONNX keeps");
                return std::nullopt;
            }
        }
        std::vector<Attr> attrs{intsAttr("kernel_shape", {kh, kw}), intsAttr("strides", {sh, sw}), intsAttr("pads", p),
                                intAttr("ceil_mode", ceil)};
        if (dilated) attrs.push_back(intsAttr("dilations", {dh, dw}));
        return attrs;
    }

    void maxPool(size_t i) {
        if (auto attrs = poolAttrs(i, true)) op(i, "MaxPool", {input(i)}, std::move(*attrs));
    }
    // Padding that counts in the mean is written as a zero Pad before an unpadded AveragePool: the
    // same numbers (PyTorch's divisor, ceil_mode included), and OpenCV DNN 4.6 ignores
    // count_include_pad on a padded AveragePool.
    void avgPool(size_t i) {
        auto attrs = poolAttrs(i, false);
        if (!attrs) return;
        std::string x = input(i);
        const std::vector<int64_t> p((*attrs)[2].ints().begin(), (*attrs)[2].ints().end());  // t, l, b, r
        if (at(i).view().b("count_include_pad") && p != std::vector<int64_t>{0, 0, 0, 0}) {
            x = op(i, "Pad", {x, constInts(i, "pads", {0, 0, p[0], p[1], 0, 0, p[2], p[3]})}, {}, false);
            (*attrs)[2] = intsAttr("pads", {0, 0, 0, 0});
        }
        attrs->push_back(intAttr("count_include_pad", 0));
        op(i, "AveragePool", {x}, std::move(*attrs));
    }

    // ONNX has no adaptive pooling: 1×1 is a global average, an output that divides the input is
    // an average pool with equal windows (what torch.onnx writes); other sizes cannot be expressed.
    void adaptiveAvgPool(size_t i) {
        const Shape &in = inShape(i), &out = outShape(i);
        if (out[2] == 1 && out[3] == 1) {
            op(i, "GlobalAveragePool", {input(i)});
            return;
        }
        if (in[2] % out[2] || in[3] % out[3])
            return refuse(i, "output " + std::to_string(out[2]) + "×" + std::to_string(out[3]) + " from " +
                                 std::to_string(in[2]) + "×" + std::to_string(in[3]) +
                                 " needs windows of unequal sizes, which no ONNX operator computes");
        const int64_t kh = in[2] / out[2], kw = in[3] / out[3];
        op(i, "AveragePool", {input(i)},
           {intsAttr("kernel_shape", {kh, kw}), intsAttr("strides", {kh, kw}), intsAttr("pads", {0, 0, 0, 0})});
    }

    void globalPool(size_t i, const char* type) {
        const bool keep = at(i).view().b("keepdims");
        const std::string pooled = op(i, type, {input(i)}, {}, keep);
        if (!keep) op(i, "Flatten", {pooled}, {intAttr("axis", 1)});
    }
    void globalAvgPool(size_t i) { globalPool(i, "GlobalAveragePool"); }
    void globalMaxPool(size_t i) { globalPool(i, "GlobalMaxPool"); }

    void batchNorm(size_t i) {
        const NodeAttrs a = at(i).view();
        std::vector<std::string> ws = weightInputs(i);
        if (!a.b("affine")) {  // ONNX's BatchNormalization always scales and shifts: γ = 1, β = 0
            Tensor ones(Shape{inShape(i)[1]}), zeros(Shape{inShape(i)[1]});
            std::fill(ones.data.begin(), ones.data.end(), 1.0f);
            ws.insert(ws.begin(), {initializer(fresh(at(i).name + ".weight"), ones),
                                   initializer(fresh(at(i).name + ".bias"), zeros)});
            notes_.push_back("BatchNorm2d '" + at(i).name + "' has no affine weights; ONNX's gets γ = 1, β = 0");
        }
        std::vector<std::string> inputs{input(i)};
        inputs.insert(inputs.end(), ws.begin(), ws.end());
        op(i, "BatchNormalization", inputs,
           {floatAttr("epsilon", a.f("eps")), floatAttr("momentum", 1 - a.f("momentum"))});
    }

    void lrn(size_t i) {
        const NodeAttrs a = at(i).view();
        op(i, "LRN", {input(i)},
           {intAttr("size", a.i("size")), floatAttr("alpha", a.f("alpha")), floatAttr("beta", a.f("beta")),
            floatAttr("bias", a.f("k"))});
    }

    void relu(size_t i) { op(i, "Relu", {input(i)}); }
    void sigmoid(size_t i) { op(i, "Sigmoid", {input(i)}); }
    void tanh(size_t i) { op(i, "Tanh", {input(i)}); }
    void leakyRelu(size_t i) { op(i, "LeakyRelu", {input(i)}, {floatAttr("alpha", at(i).view().f("negative_slope"))}); }
    void relu6(size_t i) { op(i, "Clip", {input(i), constFloat(i, "min", 0), constFloat(i, "max", 6)}); }
    void hardSigmoid(size_t i) {
        const NodeAttrs a = at(i).view();
        op(i, "HardSigmoid", {input(i)}, {floatAttr("alpha", a.f("alpha")), floatAttr("beta", a.f("beta"))});
    }
    // HardSwish is an operator from opset 14; before, x · HardSigmoid(x) with its α = 1/6, β = 1/2.
    void hardSwish(size_t i) {
        if (options_.opset >= 14) return (void)op(i, "HardSwish", {input(i)});
        const std::string gate =
            op(i, "HardSigmoid", {input(i)}, {floatAttr("alpha", 1.0 / 6.0), floatAttr("beta", 0.5)}, false);
        op(i, "Mul", {input(i), gate});
    }
    void softmax(size_t i) { op(i, "Softmax", {input(i)}, {intAttr("axis", at(i).view().i("dim"))}); }
    void dropout(size_t i) {
        op(i, "Dropout", {input(i), constFloat(i, "ratio", static_cast<float>(at(i).view().f("p")))});
    }
    void flatten(size_t i) { op(i, "Flatten", {input(i)}, {intAttr("axis", 1)}); }

    void linear(size_t i) {
        std::vector<std::string> inputs{input(i)};
        for (auto& name : weightInputs(i)) inputs.push_back(name);
        op(i, "Gemm", inputs, {intAttr("transB", 1)});
    }

    std::vector<std::string> allInputs(size_t i) const {
        std::vector<std::string> v;
        for (size_t p = 0; p < at(i).inputs.size(); ++p) v.push_back(input(i, p));
        return v;
    }
    void concat(size_t i) { op(i, "Concat", allInputs(i), {intAttr("axis", 1)}); }
    // ONNX's Add takes two inputs; more are summed in a chain.
    void add(size_t i) {
        const std::vector<std::string> in = allInputs(i);
        std::string sum = in[0];
        for (size_t k = 1; k < in.size(); ++k) sum = op(i, "Add", {sum, in[k]}, {}, k + 1 == in.size());
    }
    void mul(size_t i) { op(i, "Mul", allInputs(i)); }

    // Every stride-th row and column (Slice), then zero channels appended (Pad).
    void zeroPadChannels(size_t i) {
        const NodeAttrs a = at(i).view();
        const int64_t s = a.i("stride"), extra = outShape(i)[1] - inShape(i)[1];
        std::string x = input(i);
        if (s > 1)
            x = op(i, "Slice",
                   {x, constInts(i, "starts", {0, 0}), constInts(i, "ends", {INT64_MAX, INT64_MAX}),
                    constInts(i, "axes", {2, 3}), constInts(i, "steps", {s, s})},
                   {}, false);
        op(i, "Pad", {x, constInts(i, "pads", {0, 0, 0, 0, 0, extra, 0, 0})}, {});
    }
};

}  // namespace

OnnxModel buildOnnx(const std::string& name, const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights,
                    const OnnxExportOptions& options) {
    try {
        return OnnxWriter(graph, analysis, weights, options).write(name);
    } catch (const std::bad_alloc&) {
        OnnxModel out;
        out.errors.push_back("out of memory while writing the ONNX model");
        return out;
    }
}

}  // namespace nw
