// ONNX → Document: translation node by node (one function per operator), then the module structure
// recovered from the scopes in the node names.
#include "onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "analysis.h"
#include "files.h"
#include "flatten.h"
#include "registry.h"
#include "weights.h"

namespace nw {
namespace {

constexpr uint64_t kMaxOnnxBytes = uint64_t{2} << 30;  // protobuf's own message limit
constexpr int64_t kMaxElements = int64_t{1} << 31;     // per constant tensor
constexpr int kMinOpset = 7, kMaxOpset = 17;

// A layer the importer makes from one ONNX node (or two: MatMul + Add).
struct Op {
    std::string kind;
    RawAttrs attrs;
    std::vector<std::string> inputs;                      // ONNX value names of its data inputs, in port order
    std::string output;                                   // the value it produces
    std::vector<std::pair<std::string, Tensor>> weights;  // by the kind's weight name
    std::string onnxName, opType;
    std::string weightPrefix;         // "layer1.0.conv1" when its weights are named "layer1.0.conv1.weight"
    std::vector<std::string> scopes;  // qualified module names from the node name, outermost first
    std::vector<std::string> chain;   // the scopes that contain it (its own, for a one-layer module, not)
    std::string leaf;                 // its qualified name
};

// A constant Pad waiting for the convolution or pooling it is folded into.
struct PendingPad {
    std::string source, node;
    int64_t t = 0, l = 0, b = 0, r = 0;
    float value = 0;
};

// A Slice keeping every stride-th row and column, waiting for the channel Pad after it (the two are
// one ZeroPadChannels, ResNet's option-A shortcut, as Netwright's exporter writes it).
struct PendingSubsample {
    std::string source, node;
    int64_t stride = 1;
};

using Attrs = std::map<std::string, const onnx::AttributeProto*>;

bool parseDims(const onnx::TensorProto& t, Shape& shape, int64_t& numel, std::string& error) {
    numel = 1;
    for (int64_t d : t.dims()) {
        if (d < 0 || (d > 0 && numel > kMaxElements / d)) {
            error = "has dimensions that are negative or larger than 2³¹ elements";
            return false;
        }
        shape.push_back(d);
        numel *= d;
    }
    return true;
}

float halfToFloat(uint16_t h) {
    const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) bits = sign;
        else {  // subnormal
            float f = std::ldexp(static_cast<float>(mant), -24);
            return sign ? -f : f;
        }
    } else if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
    else bits = sign | ((exp + 112) << 23) | (mant << 13);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// A float tensor from an initializer or Constant (FLOAT, DOUBLE and FLOAT16 are converted).
bool toFloatTensor(const onnx::TensorProto& t, Tensor& out, std::string& error) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
        error =
            "keeps its data in an external file, which Netwright does not read; save the model with its "
            "weights inside (onnx.save(model, path, save_as_external_data=False))";
        return false;
    }
    Shape shape;
    int64_t n = 0;
    if (!parseDims(t, shape, n, error)) return false;
    out.shape = shape;
    out.data.assign(static_cast<size_t>(n), 0.0f);
    const std::string& raw = t.raw_data();
    auto sized = [&](size_t elem) {
        if (raw.size() == static_cast<size_t>(n) * elem) return true;
        error = "holds " + std::to_string(raw.size()) + " bytes of data for " + std::to_string(n) + " elements";
        return false;
    };
    switch (t.data_type()) {
        case onnx::TensorProto::FLOAT:
            if (!raw.empty() || t.float_data_size() == 0) {
                if (!sized(4)) return false;
                std::memcpy(out.data.data(), raw.data(), raw.size());
            } else if (t.float_data_size() == n)
                std::copy(t.float_data().begin(), t.float_data().end(), out.data.begin());
            else return sized(4);
            return true;
        case onnx::TensorProto::DOUBLE:
            if (!raw.empty() || t.double_data_size() == 0) {
                if (!sized(8)) return false;
                for (int64_t i = 0; i < n; ++i) {
                    double v;
                    std::memcpy(&v, raw.data() + i * 8, 8);
                    out.data[static_cast<size_t>(i)] = static_cast<float>(v);
                }
            } else if (t.double_data_size() == n)
                for (int64_t i = 0; i < n; ++i)
                    out.data[static_cast<size_t>(i)] = static_cast<float>(t.double_data(static_cast<int>(i)));
            else return sized(8);
            return true;
        case onnx::TensorProto::FLOAT16:
            if (!raw.empty() || t.int32_data_size() == 0) {
                if (!sized(2)) return false;
                for (int64_t i = 0; i < n; ++i) {
                    uint16_t h;
                    std::memcpy(&h, raw.data() + i * 2, 2);
                    out.data[static_cast<size_t>(i)] = halfToFloat(h);
                }
            } else if (t.int32_data_size() == n)
                for (int64_t i = 0; i < n; ++i)
                    out.data[static_cast<size_t>(i)] =
                        halfToFloat(static_cast<uint16_t>(t.int32_data(static_cast<int>(i))));
            else return sized(2);
            return true;
        default:
            error = "is of ONNX data type " + std::to_string(t.data_type()) + "; weights must be floating point";
            return false;
    }
}

// Integers (shapes, pads, axes) from an INT64 or INT32 constant.
bool toInts(const onnx::TensorProto& t, std::vector<int64_t>& out, std::string& error) {
    Shape shape;
    int64_t n = 0;
    if (!parseDims(t, shape, n, error)) return false;
    if (n > 64) {
        error = "has " + std::to_string(n) + " elements where a short list of integers is expected";
        return false;
    }
    out.clear();
    const std::string& raw = t.raw_data();
    // Little-endian raw bytes of `Int` values, or the typed field when there are none.
    auto read = [&](auto zero, const auto& typed) {
        using Int = decltype(zero);
        if (raw.empty()) return out.assign(typed.begin(), typed.end()), true;
        if (raw.size() != static_cast<size_t>(n) * sizeof(Int)) return error = "holds the wrong number of bytes", false;
        for (int64_t i = 0; i < n; ++i) {
            Int v;
            std::memcpy(&v, raw.data() + i * static_cast<int64_t>(sizeof(Int)), sizeof(Int));
            out.push_back(static_cast<int64_t>(v));
        }
        return true;
    };
    if (t.data_type() == onnx::TensorProto::INT64) {
        if (!read(int64_t{0}, t.int64_data())) return false;
    } else if (t.data_type() == onnx::TensorProto::INT32) {
        if (!read(int32_t{0}, t.int32_data())) return false;
    } else if (t.data_type() == onnx::TensorProto::BOOL) {
        if (!read(uint8_t{0}, t.int32_data())) return false;
        for (int64_t& v : out) v = v != 0;
    } else return error = "is not an integer tensor", false;
    if (static_cast<int64_t>(out.size()) != n) return error = "holds the wrong number of integers", false;
    return true;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A Netwright node id from any name: letters, digits, '_', '-' and '.' kept, the rest '_'.
std::string sanitize(const std::string& name) {
    std::string out;
    for (char c : name)
        out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ? c : '_';
    while (!out.empty() && out.front() == '.') out.erase(out.begin());
    while (!out.empty() && out.back() == '.') out.pop_back();
    return out;
}

bool startsWith(const std::string& s, const std::string& prefix) {
    return s.size() > prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// The module names a PyTorch export writes into node names: "/layer1/layer1.0/conv1/Conv" →
// layer1, layer1.0, layer1.0.conv1 (each component is either the full name or the part after its parent's).
std::vector<std::string> scopesOf(const std::string& nodeName) {
    std::vector<std::string> out;
    if (nodeName.size() < 2 || nodeName[0] != '/') return out;
    std::vector<std::string> parts;
    size_t pos = 1;
    while (pos <= nodeName.size()) {
        size_t slash = nodeName.find('/', pos);
        if (slash == std::string::npos) break;  // the last part is the operator, not a scope
        parts.push_back(nodeName.substr(pos, slash - pos));
        pos = slash + 1;
    }
    for (const std::string& p : parts) {
        const std::string q = sanitize(p);
        if (q.empty()) return {};
        if (out.empty() || startsWith(q, out.back() + ".")) out.push_back(q);
        else out.push_back(out.back() + "." + q);
    }
    return out;
}

class OnnxReader {
public:
    // `path` names the model in messages (and the document).
    explicit OnnxReader(std::string path) : path_(std::move(path)) {}

    Imported read(std::string_view bytes) {
        onnx::ModelProto model;
        if (bytes.size() > std::numeric_limits<int>::max() ||
            !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
            return fail("", path_ + " is not an ONNX model: its contents do not parse as an ONNX ModelProto");
        for (const auto& o : model.opset_import())
            if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = static_cast<int>(o.version());
        if (opset_ < 0) return fail("", path_ + " imports no version of the default ONNX operator set");
        if (opset_ < kMinOpset || opset_ > kMaxOpset)
            return fail("", path_ + " uses ONNX opset " + std::to_string(opset_) + "; Netwright reads opsets " +
                                std::to_string(kMinOpset) + "–" + std::to_string(kMaxOpset));
        try {
            onnx::checker::check_model(model);
        } catch (const std::exception& e) {
            return fail("", path_ + " is not a valid ONNX model (the ONNX checker says: " + firstLine(e.what()) + ")");
        }
        // ONNX's own shape inference is not run: libonnx 1.12's crashes on some hostile models (found by
        // fuzzing, in convTransposeShapeInference). Ranks are tracked here; declared shapes are used.
        graph_ = &model.graph();
        collectShapes();
        for (const auto& t : graph_->initializer()) consts_[t.name()] = &t;
        for (const auto& n : graph_->node())
            for (const auto& in : n.input()) ++uses_[in];
        for (const auto& out : graph_->output()) ++uses_[out.name()];
        readInputs();
        for (const auto& n : graph_->node()) translate(n);
        readOutputs();
        if (!unsupported_.empty()) problems_.insert(problems_.begin(), unsupportedError());
        if (!problems_.empty()) {
            result_.errors = std::move(problems_);
            return std::move(result_);
        }
        build(model);
        return std::move(result_);
    }

private:
    static std::string firstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

    Imported fail(const std::string& node, std::string message) {
        result_.errors.push_back({Severity::Error, node, "", std::move(message)});
        return std::move(result_);
    }
    void problem(const onnx::NodeProto& n, const std::string& message) {
        const std::string what = n.name().empty() ? n.op_type() + " node (unnamed, output '" +
                                                        (n.output_size() ? n.output(0) : std::string()) + "')"
                                                  : n.op_type() + " node '" + n.name() + "'";
        problems_.push_back({Severity::Error, n.name(), "", path_ + ": " + what + ": " + message});
    }
    // A configuration of a supported operator that no Netwright layer expresses.
    bool unsupported(const onnx::NodeProto& n, const std::string& what) {
        problem(n, what + " is not supported");
        return false;
    }

    void collectShapes() {
        auto add = [&](const onnx::ValueInfoProto& v) {
            if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
            Shape s;
            for (const auto& d : v.type().tensor_type().shape().dim())
                s.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
            shapes_[v.name()] = s;
        };
        for (const auto& v : graph_->input()) add(v);
        for (const auto& v : graph_->value_info()) add(v);
        for (const auto& v : graph_->output()) add(v);
    }
    const Shape* shapeOf(const std::string& value) const {
        auto it = shapes_.find(value);
        return it == shapes_.end() ? nullptr : &it->second;
    }
    int rankOf(const std::string& value) const {
        if (auto it = rank_.find(value); it != rank_.end()) return it->second;
        const Shape* s = shapeOf(value);
        return s ? static_cast<int>(s->size()) : -1;
    }

    void readInputs() {
        for (const auto& v : graph_->input()) {
            if (consts_.count(v.name())) continue;  // older exports list the initializers as inputs too
            const auto& type = v.type();
            if (!type.has_tensor_type()) {
                problems_.push_back({Severity::Error, v.name(), "", "input '" + v.name() + "' is not a tensor"});
                continue;
            }
            if (type.tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
                problems_.push_back({Severity::Error, v.name(), "",
                                     "input '" + v.name() + "' is of ONNX data type " +
                                         std::to_string(type.tensor_type().elem_type()) +
                                         "; Netwright networks take float32 inputs"});
                continue;
            }
            const auto& dims = type.tensor_type().shape().dim();
            if (dims.size() != 4 && dims.size() != 2) {
                problems_.push_back({Severity::Error, v.name(), "",
                                     "input '" + v.name() + "' has " + std::to_string(dims.size()) +
                                         " dimensions; Netwright's Input nodes are N×C×H×W images or N×F vectors"});
                continue;
            }
            Shape chw;
            for (int i = 1; i < dims.size(); ++i) {
                if (!dims[i].has_dim_value() || dims[i].dim_value() <= 0) {
                    problems_.push_back({Severity::Error, v.name(), "",
                                         "input '" + v.name() + "' has a dynamic " +
                                             std::string(i == 1 ? "channel count" : "spatial size") + " ('" +
                                             dims[i].dim_param() +
                                             "'); Netwright needs fixed C, H and W (only the batch may vary)"});
                    break;
                }
                if (dims[i].dim_value() > 1'000'000) {
                    problems_.push_back({Severity::Error, v.name(), "",
                                         "input '" + v.name() + "' has a dimension of " +
                                             std::to_string(dims[i].dim_value()) + ", more than 1,000,000"});
                    break;
                }
                chw.push_back(dims[i].dim_value());
            }
            if (chw.size() == 1) chw.insert(chw.end(), {0, 0});  // N×F: a flat Input
            if (chw.size() != 3) continue;
            Op op;
            op.kind = "Input";
            op.attrs = {{"channels", chw[0]}, {"height", chw[1]}, {"width", chw[2]}};
            op.output = v.name();
            op.leaf = sanitize(v.name()).empty() ? "input" : sanitize(v.name());
            addOp(std::move(op));
        }
    }

    void readOutputs() {
        for (const auto& v : graph_->output()) {
            const std::string value = resolve(v.name());
            if (auto p = pads_.find(value); p != pads_.end()) {
                problems_.push_back(
                    {Severity::Error, p->second.node, "",
                     "Pad node '" + p->second.node +
                         "': a Pad that gives a graph output is not supported "
                         "(Netwright folds constant Pad into the Conv, MaxPool or AveragePool after it)"});
                continue;
            }
            if (!producer_.count(value)) {
                if (!problems_.empty() || !unsupported_.empty()) continue;  // its cause is already reported
                problems_.push_back({Severity::Error, v.name(), "",
                                     "output '" + v.name() + "' is not computed by a layer Netwright can import"});
                continue;
            }
            Op op;
            op.kind = "Output";
            op.inputs = {value};
            op.leaf = sanitize(v.name()).empty() ? "output" : sanitize(v.name());
            addOp(std::move(op));
        }
    }

    int addOp(Op op) {
        const int i = static_cast<int>(ops_.size());
        if (!op.output.empty()) {
            producer_[op.output] = i;
            // The rank of what it makes: N×F after Flatten and Linear, the input's for everything else.
            int rank = op.inputs.empty() ? -1 : rankOf(op.inputs[0]);
            if (op.kind == "Input") rank = std::get<int64_t>(op.attrs.at("height")) == 0 ? 2 : 4;
            else if (op.kind == "Flatten" || op.kind == "Linear") rank = 2;
            if (rank > 0) rank_[op.output] = rank;
        }
        ops_.push_back(std::move(op));
        return i;
    }

    std::string resolve(std::string value) const {
        for (int hops = 0; hops < 1'000'000; ++hops) {
            auto it = alias_.find(value);
            if (it == alias_.end()) break;
            value = it->second;
        }
        return value;
    }
    const onnx::TensorProto* constant(const std::string& value) const {
        auto it = consts_.find(resolve(value));
        return it == consts_.end() ? nullptr : it->second;
    }

    // The data value input `i` of `n` reads; false after reporting when it is missing, a constant,
    // or a Pad no layer takes.
    bool data(const onnx::NodeProto& n, int i, std::string& value) {
        if (i >= n.input_size() || n.input(i).empty())
            return problem(n, "input " + std::to_string(i) + " is missing"), false;
        value = resolve(n.input(i));
        if (consts_.count(value))
            return problem(n, "input '" + n.input(i) + "' is a constant where Netwright expects computed data"), false;
        if (auto p = pads_.find(value); p != pads_.end())
            return problem(n, "a Pad (node '" + p->second.node + "') before " + n.op_type() +
                                  " is not supported: Netwright folds constant Pad only into Conv, MaxPool and "
                                  "AveragePool"),
                   false;
        if (auto p = subsamples_.find(value); p != subsamples_.end())
            return problem(n, "a Slice (node '" + p->second.node + "') before " + n.op_type() +
                                  " is not supported: Netwright reads a Slice only as the subsampling before a "
                                  "channel Pad (ZeroPadChannels)"),
                   false;
        if (!producer_.count(value))
            return problem(n, "input '" + n.input(i) + "' is computed by a node Netwright could not import"), false;
        return true;
    }
    bool weight(const onnx::NodeProto& n, int i, Tensor& t) {
        if (i >= n.input_size() || n.input(i).empty())
            return problem(n, "input " + std::to_string(i) + " is missing"), false;
        const onnx::TensorProto* c = constant(n.input(i));
        if (!c) return problem(n, "its weights '" + n.input(i) + "' are computed, not an initializer"), false;
        std::string error;
        if (!toFloatTensor(*c, t, error)) return problem(n, "initializer '" + n.input(i) + "' " + error), false;
        return true;
    }
    bool ints(const onnx::NodeProto& n, int i, std::vector<int64_t>& out) {
        const onnx::TensorProto* c = i < n.input_size() ? constant(n.input(i)) : nullptr;
        if (!c) return problem(n, "input " + std::to_string(i) + " must be a constant"), false;
        std::string error;
        if (!toInts(*c, out, error)) return problem(n, "input '" + n.input(i) + "' " + error), false;
        return true;
    }
    // A constant scalar input (Clip's bounds, Dropout's ratio); `def` when absent.
    bool scalar(const onnx::NodeProto& n, int i, double def, double& out) {
        out = def;
        if (i >= n.input_size() || n.input(i).empty()) return true;
        Tensor t;
        if (!weight(n, i, t)) return false;
        if (t.numel() != 1) return problem(n, "input '" + n.input(i) + "' must be a single number"), false;
        out = t.data[0];
        return true;
    }

    static Attrs attrsOf(const onnx::NodeProto& n) {
        Attrs a;
        for (const auto& at : n.attribute()) a[at.name()] = &at;
        return a;
    }
    static int64_t attrInt(const Attrs& a, const char* name, int64_t def) {
        auto it = a.find(name);
        return it == a.end() ? def : it->second->i();
    }
    static double attrFloat(const Attrs& a, const char* name, double def) {
        auto it = a.find(name);
        return it == a.end() ? def : it->second->f();
    }
    static std::string attrString(const Attrs& a, const char* name, const char* def) {
        auto it = a.find(name);
        return it == a.end() ? def : it->second->s();
    }
    static std::vector<int64_t> attrInts(const Attrs& a, const char* name, std::vector<int64_t> def) {
        auto it = a.find(name);
        if (it == a.end()) return def;
        return {it->second->ints().begin(), it->second->ints().end()};
    }

    // One Netwright layer for node `n`, reading `inputs`.
    Op& emit(const onnx::NodeProto& n, std::string kind, RawAttrs attrs, std::vector<std::string> inputs) {
        Op op;
        op.kind = std::move(kind);
        op.attrs = std::move(attrs);
        op.inputs = std::move(inputs);
        op.output = n.output_size() ? n.output(0) : "";
        op.onnxName = n.name();
        op.opType = n.op_type();
        op.scopes = scopesOf(n.name());
        return ops_[static_cast<size_t>(addOp(std::move(op)))];
    }
    void nameWeights(Op& op, const onnx::NodeProto& n) {
        if (n.input_size() < 2) return;
        const std::string& w = n.input(1);
        for (const char* suffix : {".weight", ".bias"}) {
            const size_t len = std::strlen(suffix);
            if (w.size() > len && w.compare(w.size() - len, len, suffix) == 0) {
                std::string prefix = sanitize(w.substr(0, w.size() - len));
                if (!prefix.empty()) op.weightPrefix = prefix;
            }
        }
    }
    // Only the first output may be used (MaxPool's indices, BatchNormalization's training outputs...).
    bool singleOutput(const onnx::NodeProto& n, const char* what) {
        for (int i = 1; i < n.output_size(); ++i)
            if (!n.output(i).empty() && uses_[n.output(i)] > 0) return unsupported(n, what);
        return true;
    }

    // kernel_size, stride, padding and dilation of a 2-D window, with a preceding constant Pad folded in.
    bool window(const onnx::NodeProto& n, const Attrs& a, std::vector<int64_t> kernel, std::string& x, RawAttrs& out,
                float padValue, bool withDilation) {
        if (kernel.size() != 2)
            return unsupported(n, std::to_string(kernel.size()) + "-D windows (Netwright's layers are 2-D)");
        auto strides = attrInts(a, "strides", {1, 1});
        auto dil = attrInts(a, "dilations", {1, 1});
        auto pads = attrInts(a, "pads", {0, 0, 0, 0});
        if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4)
            return problem(n, "strides, dilations or pads do not match a 2-D window"), false;
        for (int64_t v : strides)
            if (v < 1) return problem(n, "a stride is below 1"), false;
        for (int64_t v : dil)
            if (v < 1) return problem(n, "a dilation is below 1"), false;
        for (int64_t v : pads)
            if (v < 0) return unsupported(n, "negative padding");
        if (!withDilation && (dil[0] != 1 || dil[1] != 1)) return unsupported(n, "dilation");
        const std::string autoPad = attrString(a, "auto_pad", "NOTSET");
        bool same = false;  // Netwright's "same" is SAME_UPPER, resolved for whatever input size comes
        if (autoPad == "VALID") pads = {0, 0, 0, 0};
        else if (autoPad == "SAME_UPPER" && !pads_.count(x)) same = true;
        else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
            const Shape* s = shapeOf(x);
            if (!s || s->size() != 4 || (*s)[2] <= 0 || (*s)[3] <= 0)
                return problem(n, "auto_pad " + autoPad +
                                      " needs the input's height and width, which the model does not give"),
                       false;
            for (int i = 0; i < 2; ++i) {
                const int64_t size = (*s)[2 + static_cast<size_t>(i)], out = (size + strides[i] - 1) / strides[i];
                const int64_t total =
                    std::max<int64_t>((out - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - size, 0);
                const int64_t small = total / 2, big = total - small;
                pads[i] = autoPad == "SAME_UPPER" ? small : big;
                pads[i + 2] = autoPad == "SAME_UPPER" ? big : small;
            }
        } else if (autoPad != "NOTSET" && !autoPad.empty()) return unsupported(n, "auto_pad " + autoPad);
        if (auto p = pads_.find(x); p != pads_.end()) {
            if (p->second.value != padValue && !(std::isinf(padValue) && p->second.value <= -3.4e38f))
                return problem(n, "Pad node '" + p->second.node + "' pads with " + std::to_string(p->second.value) +
                                      ", which this layer cannot take into its own padding"),
                       false;
            pads[0] += p->second.t, pads[1] += p->second.l, pads[2] += p->second.b, pads[3] += p->second.r;
            x = p->second.source;
        }
        out["kernel_size"] = kernel;
        out["stride"] = strides;
        if (same) out["padding"] = std::string("same");
        else out["padding"] = std::vector<int64_t>{pads[0], pads[1], pads[2], pads[3]};
        if (withDilation) out["dilation"] = dil;
        return true;
    }
    // The data input of a window layer, which may be a pending Pad.
    bool windowInput(const onnx::NodeProto& n, std::string& x) {
        if (n.input_size() < 1 || n.input(0).empty()) return problem(n, "input 0 is missing"), false;
        x = resolve(n.input(0));
        if (pads_.count(x)) return true;
        return data(n, 0, x);
    }

    bool conv(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::string x;
        Tensor w, b;
        if (!windowInput(n, x) || !weight(n, 1, w)) return false;
        if (w.shape.size() != 4) return unsupported(n, std::to_string(w.shape.size() - 2) + "-D convolution");
        const bool bias = n.input_size() > 2 && !n.input(2).empty();
        if (bias && !weight(n, 2, b)) return false;
        RawAttrs attrs;
        if (!window(n, a, attrInts(a, "kernel_shape", {w.shape[2], w.shape[3]}), x, attrs, 0.0f, true)) return false;
        const int64_t groups = attrInt(a, "group", 1);
        if (groups < 1) return problem(n, "group is below 1"), false;
        attrs["out_channels"] = w.shape[0];
        attrs["groups"] = groups;
        attrs["bias"] = bias;
        Op& op = emit(n, "Conv2d", std::move(attrs), {x});
        op.weights.emplace_back("weight", std::move(w));
        if (bias) op.weights.emplace_back("bias", std::move(b));
        nameWeights(op, n);
        return true;
    }

    bool convTranspose(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::string x;
        Tensor w, b;
        if (!data(n, 0, x) || !weight(n, 1, w)) return false;
        if (w.shape.size() != 4)
            return unsupported(n, std::to_string(w.shape.size() - 2) + "-D transposed convolution");
        if (a.count("output_shape")) return unsupported(n, "output_shape");
        if (attrString(a, "auto_pad", "NOTSET") != "NOTSET") return unsupported(n, "auto_pad");
        auto pads = attrInts(a, "pads", {0, 0, 0, 0});
        if (pads.size() != 4 || pads[0] != pads[2] || pads[1] != pads[3])
            return unsupported(n, "asymmetric padding of a transposed convolution");
        const bool bias = n.input_size() > 2 && !n.input(2).empty();
        if (bias && !weight(n, 2, b)) return false;
        const int64_t groups = attrInt(a, "group", 1);
        if (groups < 1) return problem(n, "group is below 1"), false;
        RawAttrs attrs{{"out_channels", w.shape[1] * groups},
                       {"kernel_size", attrInts(a, "kernel_shape", {w.shape[2], w.shape[3]})},
                       {"stride", attrInts(a, "strides", {1, 1})},
                       {"padding", std::vector<int64_t>{pads[0], pads[1]}},
                       {"output_padding", attrInts(a, "output_padding", {0, 0})},
                       {"dilation", attrInts(a, "dilations", {1, 1})},
                       {"groups", groups},
                       {"bias", bias}};
        Op& op = emit(n, "ConvTranspose2d", std::move(attrs), {x});
        op.weights.emplace_back("weight", std::move(w));
        if (bias) op.weights.emplace_back("bias", std::move(b));
        nameWeights(op, n);
        return true;
    }

    bool pool(const onnx::NodeProto& n, bool max) {
        Attrs a = attrsOf(n);
        std::string x;
        if (!windowInput(n, x) || !singleOutput(n, "MaxPool's second output (indices)")) return false;
        RawAttrs attrs;
        if (!a.count("kernel_shape")) return problem(n, "kernel_shape is missing"), false;
        const bool ownPadding = attrInts(a, "pads", {0, 0, 0, 0}) != std::vector<int64_t>{0, 0, 0, 0};
        const bool countPad = attrInt(a, "count_include_pad", 0) != 0;
        // Zeros a Pad adds count in the mean, so folding one needs count_include_pad (or no padding of its own).
        float padValue = max ? -INFINITY : 0.0f;
        if (!max && !countPad && pads_.count(x) && ownPadding)
            return problem(n, "a Pad before an AveragePool that excludes its own padding cannot be folded"), false;
        const bool foldedPad = pads_.count(x) > 0;
        if (!window(n, a, attrInts(a, "kernel_shape", {}), x, attrs, padValue, max)) return false;
        attrs["ceil_mode"] = attrInt(a, "ceil_mode", 0) != 0;
        if (!max) attrs["count_include_pad"] = countPad || foldedPad;
        emit(n, max ? "MaxPool2d" : "AvgPool2d", std::move(attrs), {x});
        return true;
    }

    bool gemm(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::string x;
        Tensor w, c;
        if (!data(n, 0, x) || !weight(n, 1, w)) return false;
        if (attrInt(a, "transA", 0) != 0) return unsupported(n, "transA = 1");
        if (w.shape.size() != 2) return problem(n, "B is not a matrix"), false;
        if (attrInt(a, "transB", 0) == 0) w = transpose(w);
        const double alpha = attrFloat(a, "alpha", 1.0), beta = attrFloat(a, "beta", 1.0);
        if (alpha != 1.0)
            for (float& v : w.data) v = static_cast<float>(v * alpha);
        const int64_t out = w.shape[0];
        const bool bias = n.input_size() > 2 && !n.input(2).empty() && beta != 0.0;
        Tensor b({out});
        if (bias) {
            if (!weight(n, 2, c)) return false;
            if (c.numel() == 1) std::fill(b.data.begin(), b.data.end(), c.data[0]);
            else if (c.numel() == out && (c.shape.size() == 1 || (c.shape.size() == 2 && c.shape[0] == 1)))
                b.data = c.data;
            else return unsupported(n, "a C that is not one value per output");
            for (float& v : b.data) v = static_cast<float>(v * beta);
        }
        Op& op = emit(n, "Linear", {{"out_features", out}, {"bias", bias}}, {x});
        op.weights.emplace_back("weight", std::move(w));
        if (bias) op.weights.emplace_back("bias", std::move(b));
        nameWeights(op, n);
        return true;
    }
    static Tensor transpose(const Tensor& m) {
        Tensor t({m.shape[1], m.shape[0]});
        for (int64_t i = 0; i < m.shape[0]; ++i)
            for (int64_t j = 0; j < m.shape[1]; ++j)
                t.data[static_cast<size_t>(j * m.shape[0] + i)] = m.data[static_cast<size_t>(i * m.shape[1] + j)];
        return t;
    }

    // MatMul by a constant matrix is a Linear layer; an Add of a constant that follows gives its bias.
    bool matmul(const onnx::NodeProto& n) {
        std::string x;
        Tensor w;
        if (!data(n, 0, x)) return false;
        if (!constant(n.input(1))) return unsupported(n, "MatMul of two computed tensors");
        if (!weight(n, 1, w)) return false;
        if (w.shape.size() != 2) return unsupported(n, "MatMul by a tensor that is not a matrix");
        if (int r = rankOf(x); r != -1 && r != 2)
            return unsupported(n, "MatMul of a " + std::to_string(r) + "-D input");
        Op& op = emit(n, "Linear", {{"out_features", w.shape[1]}, {"bias", false}}, {x});
        op.weights.emplace_back("weight", transpose(w));
        nameWeights(op, n);
        unbiasedLinear_[op.output] = static_cast<int>(ops_.size()) - 1;
        return true;
    }

    bool add(const onnx::NodeProto& n) {
        if (n.input_size() != 2) return problem(n, "Add takes two inputs"), false;
        const int constIndex = constant(n.input(0)) ? 0 : constant(n.input(1)) ? 1 : -1;
        if (constIndex >= 0) {
            const std::string x = resolve(n.input(1 - constIndex));
            auto it = unbiasedLinear_.find(x);
            if (it == unbiasedLinear_.end() || uses_[x] != 1)
                return unsupported(n, "Add of a constant (except a MatMul's bias)");
            Op& linear = ops_[static_cast<size_t>(it->second)];
            Tensor b;
            if (!weight(n, constIndex, b)) return false;
            const int64_t out = std::get<int64_t>(linear.attrs["out_features"]);
            if (b.numel() != out) return unsupported(n, "a bias that is not one value per output");
            b.shape = {out};
            linear.weights.emplace_back("bias", std::move(b));
            linear.attrs["bias"] = true;
            if (linear.weightPrefix.empty() && n.input(constIndex).size() > 5 &&
                n.input(constIndex).compare(n.input(constIndex).size() - 5, 5, ".bias") == 0)
                linear.weightPrefix = sanitize(n.input(constIndex).substr(0, n.input(constIndex).size() - 5));
            unbiasedLinear_.erase(it);
            alias_[n.output(0)] = x;
            return true;
        }
        return merge(n, "Add");
    }
    bool merge(const onnx::NodeProto& n, const char* kind) {
        std::vector<std::string> xs(2);
        if (!data(n, 0, xs[0]) || !data(n, 1, xs[1])) return false;
        const Shape* a = shapeOf(xs[0]);
        const Shape* b = shapeOf(xs[1]);
        if (std::string(kind) == "Add" && a && b && *a != *b) return unsupported(n, "broadcasting Add");
        if (std::string(kind) == "Mul") emit(n, kind, {}, xs);
        else emit(n, kind, {{"num_inputs", int64_t{2}}}, xs);
        return true;
    }

    bool batchNorm(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::string x;
        if (!data(n, 0, x) || !singleOutput(n, "training-mode BatchNormalization (its running statistics outputs)"))
            return false;
        if (attrInt(a, "training_mode", 0) != 0) return unsupported(n, "training_mode = 1");
        if (opset_ < 9 && attrInt(a, "spatial", 1) != 1) return unsupported(n, "spatial = 0");
        Tensor t[4];
        for (int i = 0; i < 4; ++i)
            if (!weight(n, i + 1, t[i])) return false;
        Op& op = emit(n, "BatchNorm2d",
                      {{"eps", attrFloat(a, "epsilon", 1e-5)},
                       {"momentum", std::round((1.0 - attrFloat(a, "momentum", 0.9)) * 1e6) / 1e6}},
                      {x});
        const char* names[4] = {"weight", "bias", "running_mean", "running_var"};
        for (int i = 0; i < 4; ++i) {
            t[i].shape = {t[i].numel()};
            op.weights.emplace_back(names[i], std::move(t[i]));
        }
        nameWeights(op, n);
        return true;
    }

    bool unary(const onnx::NodeProto& n, const char* kind, RawAttrs attrs = {}) {
        std::string x;
        if (!data(n, 0, x)) return false;
        emit(n, kind, std::move(attrs), {x});
        return true;
    }

    bool clip(const onnx::NodeProto& n) {
        double lo = -INFINITY, hi = INFINITY;
        if (opset_ < 11) {
            Attrs a = attrsOf(n);
            lo = attrFloat(a, "min", -3.4028234663852886e38);
            hi = attrFloat(a, "max", 3.4028234663852886e38);
        } else if (!scalar(n, 1, -INFINITY, lo) || !scalar(n, 2, INFINITY, hi)) return false;
        if (lo == 0 && hi == 6) return unary(n, "ReLU6");
        if (lo == 0 && hi >= 3.4e38) return unary(n, "ReLU");
        return unsupported(n,
                           "Clip to [" + std::to_string(lo) + ", " + std::to_string(hi) + "] (only [0, 6] and [0, ∞))");
    }

    bool softmax(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::string x;
        if (!data(n, 0, x)) return false;
        const int rank = rankOf(x);
        if (rank < 2) return problem(n, "the rank of its input is not known"), false;
        int64_t axis = attrInt(a, "axis", opset_ < 13 ? 1 : -1);
        if (axis < 0) axis += rank;
        // Before opset 13 the input is seen as 2-D around `axis`: the same as one axis only for the last.
        if (opset_ < 13 && axis != rank - 1)
            return unsupported(n, "Softmax over all axes from " + std::to_string(axis));
        if (axis < 1 || axis >= rank) return unsupported(n, "Softmax along axis " + std::to_string(axis));
        emit(n, "Softmax", {{"dim", axis}}, {x});
        return true;
    }

    bool concat(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        std::vector<std::string> xs;
        for (int i = 0; i < n.input_size(); ++i) {
            std::string x;
            if (!data(n, i, x)) return false;
            xs.push_back(x);
        }
        const int rank = rankOf(xs.front());
        int64_t axis = attrInt(a, "axis", 1);
        if (axis < 0 && rank > 0) axis += rank;
        if (axis != 1) return unsupported(n, "Concat along axis " + std::to_string(axis) + " (only channels, axis 1)");
        if (xs.size() == 1) {
            alias_[n.output(0)] = xs[0];
            return true;
        }
        if (xs.size() > 64) return unsupported(n, "Concat of more than 64 inputs");
        emit(n, "Concat", {{"num_inputs", static_cast<int64_t>(xs.size())}}, xs);
        return true;
    }

    bool flatten(const onnx::NodeProto& n) {
        std::string x;
        if (!data(n, 0, x)) return false;
        if (attrInt(attrsOf(n), "axis", 1) != 1) return unsupported(n, "Flatten at an axis other than 1");
        emit(n, "Flatten", {}, {x});
        return true;
    }
    // Reshape and Squeeze that make an N×C×H×W (or N×C×1×1) tensor N×F: Flatten.
    bool toMatrix(const onnx::NodeProto& n) {
        std::string x;
        if (!data(n, 0, x)) return false;
        const Shape* out = shapeOf(n.output(0));
        bool flat = out && out->size() == 2;
        if (!out && n.op_type() == "Reshape") {
            std::vector<int64_t> shape;
            if (!ints(n, 1, shape)) return false;
            flat = shape.size() == 2 && (shape[1] == -1 || shape[0] == 0 || shape[0] == -1);
        } else if (!out) {  // Squeeze of the 1×1 of an N×C×1×1
            std::vector<int64_t> axes = attrInts(attrsOf(n), "axes", {});
            if (opset_ >= 13 && n.input_size() > 1 && !ints(n, 1, axes)) return false;
            for (int64_t& ax : axes) ax = ax < 0 ? ax + 4 : ax;
            std::sort(axes.begin(), axes.end());
            flat = rankOf(x) == 4 && axes == std::vector<int64_t>{2, 3};
        }
        if (!flat) return unsupported(n, n.op_type() + " to anything but N × features");
        emit(n, "Flatten", {}, {x});
        return true;
    }

    bool dropout(const onnx::NodeProto& n) {
        double ratio = attrFloat(attrsOf(n), "ratio", 0.5);
        if (opset_ >= 12 && !scalar(n, 1, 0.5, ratio)) return false;
        if (opset_ >= 12 && n.input_size() > 2 && !n.input(2).empty()) {
            std::vector<int64_t> training;
            if (!ints(n, 2, training)) return false;
            if (training.size() == 1 && training[0]) return unsupported(n, "Dropout in training mode");
        }
        if (attrInt(attrsOf(n), "is_test", 1) == 0 && opset_ < 7) return unsupported(n, "Dropout in training mode");
        if (!singleOutput(n, "Dropout's mask output")) return false;
        return unary(n, "Dropout", {{"p", ratio}});
    }

    bool lrn(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        const int64_t size = attrInt(a, "size", 0);
        if (size < 1 || size % 2 == 0) return unsupported(n, "an even LRN size");
        return unary(n, "LRN",
                     {{"size", size},
                      {"alpha", attrFloat(a, "alpha", 1e-4)},
                      {"beta", attrFloat(a, "beta", 0.75)},
                      {"k", attrFloat(a, "bias", 1.0)}});
    }

    bool pad(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        if (attrString(a, "mode", "constant") != "constant")
            return unsupported(n, attrString(a, "mode", "") + " padding");
        std::string x;
        const bool subsampled = n.input_size() > 0 && subsamples_.count(resolve(n.input(0)));
        if (subsampled) x = resolve(n.input(0));
        else if (!data(n, 0, x)) return false;
        std::vector<int64_t> p;
        double value = 0;
        if (opset_ < 11) {
            p = attrInts(a, "pads", {});
            value = attrFloat(a, "value", 0.0);
        } else {
            if (!ints(n, 1, p) || !scalar(n, 2, 0.0, value)) return false;
            if (n.input_size() > 3 && !n.input(3).empty()) return unsupported(n, "Pad with axes");
        }
        if (p.size() != 8) return unsupported(n, "padding of a tensor that is not N×C×H×W");
        if (!p[0] && !p[1] && !p[2] && !p[3] && !p[4] && p[5] > 0 && !p[6] && !p[7] && value == 0)
            return channelPad(n, x, p[5]);
        if (subsampled) return unsupported(n, "a Pad after a Slice other than of channels");
        if (p[0] || p[1] || p[4] || p[5]) return unsupported(n, "padding of the batch or channel axes");
        for (int64_t v : p)
            if (v < 0) return unsupported(n, "negative padding (cropping)");
        pads_[n.output(0)] = PendingPad{x, n.name(), p[2], p[3], p[6], p[7], static_cast<float>(value)};
        return true;
    }

    // Zero channels appended (after a subsampling Slice, or alone): ZeroPadChannels, which needs the
    // channel count the model declares for its input (value_info).
    bool channelPad(const onnx::NodeProto& n, std::string x, int64_t extra) {
        int64_t stride = 1;
        if (auto s = subsamples_.find(x); s != subsamples_.end()) {
            stride = s->second.stride;
            x = s->second.source;
        }
        const Shape* shape = shapeOf(x);
        if (!shape || shape->size() != 4 || (*shape)[1] <= 0)
            return unsupported(n, "channel padding of a value whose channel count the model does not declare");
        emit(n, "ZeroPadChannels", {{"out_channels", (*shape)[1] + extra}, {"stride", stride}}, {x});
        return true;
    }

    // Only the subsampling x[:, :, ::s, ::s] before a channel Pad.
    bool slice(const onnx::NodeProto& n) {
        std::string x;
        std::vector<int64_t> starts, ends, axes, steps;
        if (opset_ < 10) return unsupported(n, "Slice before opset 10");
        if (!data(n, 0, x) || !ints(n, 1, starts) || !ints(n, 2, ends)) return false;
        if (n.input_size() > 3 && !n.input(3).empty() && !ints(n, 3, axes)) return false;
        if (n.input_size() > 4 && !n.input(4).empty() && !ints(n, 4, steps)) return false;
        const bool spatial = axes == std::vector<int64_t>{2, 3} || axes == std::vector<int64_t>{-2, -1};
        const bool whole = starts == std::vector<int64_t>{0, 0} && ends.size() == 2 &&
                           ends[0] >= std::numeric_limits<int32_t>::max() &&
                           ends[1] >= std::numeric_limits<int32_t>::max();
        if (!spatial || !whole || steps.size() != 2 || steps[0] != steps[1] || steps[0] < 1 || rankOf(x) != 4)
            return unsupported(n, "Slice other than every stride-th row and column of an N×C×H×W tensor");
        subsamples_[n.output(0)] = PendingSubsample{x, n.name(), steps[0]};
        return true;
    }

    bool constantNode(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        auto it = a.find("value");
        if (it == a.end() || !it->second->has_t()) return unsupported(n, "a Constant that is not a tensor");
        owned_.push_back(it->second->t());
        consts_[n.output(0)] = &owned_.back();
        return true;
    }

    void translate(const onnx::NodeProto& n) {
        const std::string& t = n.op_type();
        if (!n.domain().empty() && n.domain() != "ai.onnx") {
            unsupported_[t + " (domain " + n.domain() + ")"].push_back(n.name());
            return;
        }
        if (n.output_size() < 1) return;
        if (t == "Identity") {
            alias_[n.output(0)] = resolve(n.input(0));
            return;
        }
        static const std::map<std::string, bool (OnnxReader::*)(const onnx::NodeProto&)> table{
            {"Conv", &OnnxReader::conv},
            {"ConvTranspose", &OnnxReader::convTranspose},
            {"Gemm", &OnnxReader::gemm},
            {"MatMul", &OnnxReader::matmul},
            {"Add", &OnnxReader::add},
            {"Mul", &OnnxReader::mul},
            {"BatchNormalization", &OnnxReader::batchNorm},
            {"Relu", &OnnxReader::relu},
            {"LeakyRelu", &OnnxReader::leakyRelu},
            {"Clip", &OnnxReader::clip},
            {"Sigmoid", &OnnxReader::sigmoid},
            {"Tanh", &OnnxReader::tanh},
            {"HardSigmoid", &OnnxReader::hardSigmoid},
            {"HardSwish", &OnnxReader::hardSwish},
            {"Softmax", &OnnxReader::softmax},
            {"MaxPool", &OnnxReader::maxPool},
            {"AveragePool", &OnnxReader::avgPool},
            {"GlobalAveragePool", &OnnxReader::globalAvgPool},
            {"GlobalMaxPool", &OnnxReader::globalMaxPool},
            {"Concat", &OnnxReader::concat},
            {"Flatten", &OnnxReader::flatten},
            {"Reshape", &OnnxReader::toMatrix},
            {"Squeeze", &OnnxReader::toMatrix},
            {"Dropout", &OnnxReader::dropout},
            {"LRN", &OnnxReader::lrn},
            {"Pad", &OnnxReader::pad},
            {"Slice", &OnnxReader::slice},
            {"Constant", &OnnxReader::constantNode},
        };
        auto it = table.find(t);
        if (it == table.end()) unsupported_[t].push_back(n.name());
        else (this->*(it->second))(n);
    }
    bool mul(const onnx::NodeProto& n) {
        if (n.input_size() != 2) return problem(n, "Mul takes two inputs"), false;
        if (constant(n.input(0)) || constant(n.input(1))) return unsupported(n, "Mul by a constant");
        return merge(n, "Mul");
    }
    bool relu(const onnx::NodeProto& n) { return unary(n, "ReLU"); }
    bool sigmoid(const onnx::NodeProto& n) { return unary(n, "Sigmoid"); }
    bool tanh(const onnx::NodeProto& n) { return unary(n, "Tanh"); }
    bool hardSwish(const onnx::NodeProto& n) { return unary(n, "HardSwish"); }
    bool leakyRelu(const onnx::NodeProto& n) {
        return unary(n, "LeakyReLU", {{"negative_slope", attrFloat(attrsOf(n), "alpha", 0.01)}});
    }
    bool hardSigmoid(const onnx::NodeProto& n) {
        Attrs a = attrsOf(n);
        return unary(n, "HardSigmoid", {{"alpha", attrFloat(a, "alpha", 0.2)}, {"beta", attrFloat(a, "beta", 0.5)}});
    }
    bool maxPool(const onnx::NodeProto& n) { return pool(n, true); }
    bool avgPool(const onnx::NodeProto& n) { return pool(n, false); }
    bool globalAvgPool(const onnx::NodeProto& n) { return unary(n, "GlobalAvgPool", {{"keepdims", true}}); }
    bool globalMaxPool(const onnx::NodeProto& n) { return unary(n, "GlobalMaxPool", {{"keepdims", true}}); }

    Diagnostic unsupportedError() const {
        std::string m = path_ + " uses operators Netwright cannot import (opset " + std::to_string(opset_) + "):";
        for (const auto& [op, nodes] : unsupported_) {
            m += "\n  " + op + " (" + std::to_string(nodes.size()) + "×):";
            for (size_t i = 0; i < nodes.size() && i < 5; ++i) m += std::string(i ? ", " : " ") + "'" + nodes[i] + "'";
            if (nodes.size() > 5) m += " and " + std::to_string(nodes.size() - 5) + " more";
        }
        m += "\nSupported: Conv, ConvTranspose, Gemm, MatMul (+ Add) as Linear, BatchNormalization, Relu, LeakyRelu, "
             "Clip(0, 6), Sigmoid, Tanh, HardSigmoid, HardSwish, Softmax, MaxPool, AveragePool, GlobalAveragePool, "
             "GlobalMaxPool, Concat, Add, Mul, Flatten, Reshape/Squeeze to N×F, Dropout, LRN, Identity, Constant, "
             "constant Pad (folded into the next Conv or pooling; of channels, after a subsampling Slice: "
             "ZeroPadChannels)";
        return {Severity::Error, "", "", m};
    }

    // ---- structure -------------------------------------------------------------------------------

    struct Scope {
        std::string q, local;
        int parent = -1;
        std::vector<int> children, ops;  // in order of first appearance
        int first = std::numeric_limits<int>::max(), last = -1, total = 0;
        bool module = false;
        std::vector<std::string> inputs, outputs;  // values crossing its boundary, in order
        std::vector<std::string> inputNames;       // its definition's names for `inputs`
        std::string def;                           // its module definition's name
    };
    struct Item {
        std::string id;
        int op = -1, scope = -1;
    };

    // Which scopes hold each layer, and its qualified name.
    void placeOps() {
        std::map<std::string, int> opsIn;  // ops whose innermost scope this is
        std::set<std::string> parents;     // scopes that contain other scopes
        for (const Op& op : ops_) {
            if (!op.scopes.empty()) ++opsIn[op.scopes.back()];
            for (size_t i = 0; i + 1 < op.scopes.size(); ++i) parents.insert(op.scopes[i]);
        }
        std::set<std::string> used;
        for (Op& op : ops_) {
            if (op.kind == "Input" || op.kind == "Output") {
                // leaf set already
            } else if (!op.weightPrefix.empty()) {
                op.leaf = op.weightPrefix;
                for (const std::string& s : op.scopes)
                    if (startsWith(op.leaf, s + ".")) op.chain.push_back(s);
            } else if (!op.scopes.empty()) {
                const std::string& inner = op.scopes.back();
                if (opsIn[inner] == 1 && !parents.count(inner)) {  // a one-layer module: the layer is named after it
                    op.chain.assign(op.scopes.begin(), op.scopes.end() - 1);
                    op.leaf = inner;
                } else {
                    op.chain = op.scopes;
                    op.leaf = inner + "." + lower(op.opType);
                }
            } else {  // a name without scopes ("/Flatten" from a functional call at the top, or any other tool's)
                const bool scoped = !op.onnxName.empty() && op.onnxName[0] == '/';
                op.leaf = scoped || sanitize(op.onnxName).empty() ? lower(op.opType) : sanitize(op.onnxName);
            }
            std::string unique = op.leaf;
            for (int k = 1; used.count(unique); ++k) unique = op.leaf + "_" + std::to_string(k);
            op.leaf = unique;
            used.insert(unique);
        }
        scopes_.push_back(Scope{});  // the root
        std::map<std::string, int> byName;
        for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
            Op& op = ops_[static_cast<size_t>(i)];
            int at = 0;
            for (const std::string& q : op.chain) {
                auto it = byName.find(q);
                if (it == byName.end()) {
                    Scope s;
                    s.q = q;
                    const std::string& pq = scopes_[static_cast<size_t>(at)].q;
                    s.local = !pq.empty() && startsWith(q, pq + ".") ? q.substr(pq.size() + 1) : q;
                    s.parent = at;
                    scopes_.push_back(std::move(s));
                    const int idx = static_cast<int>(scopes_.size()) - 1;
                    scopes_[static_cast<size_t>(at)].children.push_back(idx);
                    it = byName.emplace(q, idx).first;
                }
                at = it->second;
            }
            scopes_[static_cast<size_t>(at)].ops.push_back(i);
            opScope_.push_back(at);
            for (int s = at; s >= 0; s = scopes_[static_cast<size_t>(s)].parent) {
                Scope& sc = scopes_[static_cast<size_t>(s)];
                sc.first = std::min(sc.first, i);
                sc.last = std::max(sc.last, i);
                ++sc.total;
            }
        }
        // A scope is a module when it holds two or more layers run one after another (a module call);
        // otherwise its layers join its parent's.
        for (size_t s = 1; s < scopes_.size(); ++s) {
            Scope& sc = scopes_[s];
            sc.module = sc.total >= 2 && sc.last - sc.first + 1 == sc.total;
        }
    }
    bool inside(int op, int scope) const {
        for (int s = opScope_[static_cast<size_t>(op)]; s >= 0; s = scopes_[static_cast<size_t>(s)].parent)
            if (s == scope) return true;
        return false;
    }

    // The items of a module scope's body (or the root's): its layers and module instances, with the
    // layers of the scopes that are not modules brought up, their ids prefixed.
    void collect(int scope, const std::string& prefix, std::vector<Item>& items) const {
        const Scope& sc = scopes_[static_cast<size_t>(scope)];
        // Interleave layers and sub-scopes in the order they run.
        std::vector<std::pair<int, int>> order;  // (first op, op or -scope-1)
        for (int op : sc.ops) order.emplace_back(op, op);
        for (int c : sc.children) order.emplace_back(scopes_[static_cast<size_t>(c)].first, -c - 1);
        std::sort(order.begin(), order.end());
        for (auto [first, what] : order) {
            if (what >= 0) {
                const Op& op = ops_[static_cast<size_t>(what)];
                const std::string& q = sc.q;
                std::string local = !q.empty() && startsWith(op.leaf, q + ".") ? op.leaf.substr(q.size() + 1) : op.leaf;
                items.push_back({prefix + local, what, -1});
            } else {
                const int c = -what - 1;
                const Scope& child = scopes_[static_cast<size_t>(c)];
                if (child.module) items.push_back({prefix + child.local, -1, c});
                else collect(c, prefix + child.local + ".", items);
            }
        }
    }

    static std::string portName(const char* base, size_t i, size_t n) {
        return n == 1 ? std::string(base) : std::string(base) + std::to_string(i);
    }

    // A graph (a module body, or the document's) from its items; values from outside come in by
    // `inputNames`, and `outputValues` leave by `outputs`.
    Graph body(const std::vector<Item>& items, std::map<std::string, std::string>& inputNames,
               std::vector<ModuleOutput>* outputs, std::vector<std::string>* outputValues) {
        Graph g;
        std::unordered_map<int, size_t> owner;  // op → item
        for (size_t i = 0; i < items.size(); ++i) {
            if (items[i].op >= 0) owner[items[i].op] = i;
            else
                for (int op = scopes_[static_cast<size_t>(items[i].scope)].first;
                     op <= scopes_[static_cast<size_t>(items[i].scope)].last; ++op)
                    owner[op] = i;
        }
        auto source = [&](const std::string& value, std::string& from, std::string& port) {
            const int p = producer_.at(value);
            if (auto it = owner.find(p); it != owner.end()) {
                const Item& item = items[it->second];
                from = item.id;
                port.clear();
                if (item.scope >= 0) {
                    const auto& outs = scopes_[static_cast<size_t>(item.scope)].outputs;
                    const size_t k = static_cast<size_t>(std::find(outs.begin(), outs.end(), value) - outs.begin());
                    port = outs.size() > 1 ? portName("out", k, outs.size()) : "";
                }
                return;
            }
            from = inputNames.at(value);
            port.clear();
        };
        for (const Item& item : items) {
            Node node;
            node.id = item.id;
            std::vector<std::pair<std::string, std::string>> ins;  // value, port
            if (item.op >= 0) {
                const Op& op = ops_[static_cast<size_t>(item.op)];
                node.kind = op.kind;
                node.attrs = op.attrs;
                const bool ported = op.inputs.size() > 1;
                for (size_t k = 0; k < op.inputs.size(); ++k)
                    ins.emplace_back(op.inputs[k], ported ? "in" + std::to_string(k) : "");
            } else {
                const Scope& child = scopes_[static_cast<size_t>(item.scope)];
                node.kind = child.def;
                for (size_t k = 0; k < child.inputs.size(); ++k)
                    ins.emplace_back(child.inputs[k], child.inputs.size() > 1 ? child.inputNames[k] : "");
            }
            for (const auto& [value, port] : ins) {
                Edge e;
                source(value, e.from, e.fromPort);
                e.to = item.id;
                e.toPort = port;
                g.edges.push_back(std::move(e));
            }
            g.nodes.push_back(std::move(node));
        }
        if (outputs)
            for (size_t k = 0; k < outputValues->size(); ++k) {
                ModuleOutput o;
                o.name = portName("out", k, outputValues->size());
                source((*outputValues)[k], o.node, o.port);
                outputs->push_back(std::move(o));
            }
        return g;
    }

    // The values crossing a module scope's boundary.
    void interface(int scope) {
        Scope& sc = scopes_[static_cast<size_t>(scope)];
        std::set<std::string> seen;
        for (int op = sc.first; op <= sc.last; ++op)
            for (const std::string& v : ops_[static_cast<size_t>(op)].inputs)
                if (!inside(producer_.at(v), scope) && seen.insert(v).second) sc.inputs.push_back(v);
        for (int op = sc.first; op <= sc.last; ++op) {
            const std::string& v = ops_[static_cast<size_t>(op)].output;
            if (v.empty()) continue;
            bool out = false;
            for (int c : consumers_[v]) out = out || !inside(c, scope);
            if (out) sc.outputs.push_back(v);
        }
    }

    static std::string signature(const ModuleDef& m) {
        std::string s;
        for (const auto& i : m.inputs) s += "i:" + i + ";";
        for (const auto& o : m.outputs) s += "o:" + o.name + "=" + o.node + "." + o.port + ";";
        for (const auto& n : m.body.nodes) {
            s += "n:" + n.id + ":" + n.kind;
            for (const auto& [k, v] : n.attrs) s += "," + k + "=" + formatAttrValue(v);
            s += ";";
        }
        for (const auto& e : m.body.edges) s += "e:" + e.from + "." + e.fromPort + ">" + e.to + "." + e.toPort + ";";
        return s;
    }

    static std::string camel(const std::string& s) {
        std::string out;
        bool up = true;
        for (char c : s) {
            if (!std::isalnum(static_cast<unsigned char>(c))) {
                up = true;
                continue;
            }
            out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            up = false;
        }
        return out;
    }

    void build(const onnx::ModelProto& model) {
        for (int i = 0; i < static_cast<int>(ops_.size()); ++i)
            for (const std::string& v : ops_[static_cast<size_t>(i)].inputs) consumers_[v].push_back(i);
        placeOps();
        Document doc;
        const std::string file = path_.substr(path_.find_last_of('/') + 1);
        // PyTorch calls every graph "torch_jit" (or "main_graph"): the file says more.
        const std::string& graphName = model.graph().name();
        doc.name = graphName.empty() || graphName == "torch_jit" || graphName == "main_graph"
                       ? file.substr(0, file.size() - std::min<size_t>(file.size(), 5))
                       : graphName;
        doc.description =
            "Imported from " + file + " (ONNX opset " + std::to_string(opset_) +
            (model.producer_name().empty() ? ""
                                           : ", written by " + model.producer_name() + " " + model.producer_version()) +
            ").";
        // Module definitions, innermost first; identical ones share a definition.
        std::vector<int> post;
        std::function<void(int)> visit = [&](int s) {
            for (int c : scopes_[static_cast<size_t>(s)].children) visit(c);
            post.push_back(s);
        };
        visit(0);
        std::map<std::string, size_t> bySignature;
        std::vector<std::vector<std::string>> instanceNames;  // per definition: the scopes using it
        for (int s : post) {
            Scope& sc = scopes_[static_cast<size_t>(s)];
            if (s == 0 || !sc.module) continue;
            interface(s);
            std::vector<Item> items;
            collect(s, "", items);
            ModuleDef def;
            std::map<std::string, std::string> inputNames;
            std::set<std::string> ids;
            for (const Item& it : items) ids.insert(it.id);
            for (size_t k = 0; k < sc.inputs.size(); ++k) {
                std::string name = portName("x", k, sc.inputs.size());
                while (ids.count(name)) name += "_";
                def.inputs.push_back(name);
                inputNames[sc.inputs[k]] = name;
            }
            sc.inputNames = def.inputs;
            def.body = body(items, inputNames, &def.outputs, &sc.outputs);
            const std::string sig = signature(def);
            auto it = bySignature.find(sig);
            if (it == bySignature.end()) {
                def.name = "M" + std::to_string(doc.modules.size());
                it = bySignature.emplace(sig, doc.modules.size()).first;
                doc.modules.push_back(std::move(def));
                instanceNames.emplace_back();
            }
            sc.def = doc.modules[it->second].name;
            instanceNames[it->second].push_back(s == 0 ? "" : sc.q);
        }
        std::vector<Item> items;
        collect(0, "", items);
        std::map<std::string, std::string> none;
        doc.graph = body(items, none, nullptr, nullptr);
        nameModules(doc, instanceNames);
        result_.document = std::move(doc);
        attachWeights();
        if (!result_.errors.empty()) result_.document.reset();
    }

    // Definitions are named after the scopes that use them: `layer1` → Layer1, `layer1.0` → Layer1Block,
    // `denselayer1` … `denselayer6` sharing one → Denselayer.
    void nameModules(Document& doc, const std::vector<std::vector<std::string>>& instances) {
        std::map<std::string, std::string> rename;
        std::set<std::string> taken;
        const Registry& reg = Registry::instance();
        for (size_t d = 0; d < doc.modules.size(); ++d) {
            const std::string& q = instances[d].front();
            const size_t dot = q.find_last_of('.');
            std::string local = dot == std::string::npos ? q : q.substr(dot + 1);
            std::string base;
            if (!local.empty() && std::isdigit(static_cast<unsigned char>(local[0])))
                base =
                    camel(dot == std::string::npos ? ""
                                                   : q.substr(0, dot).substr(q.substr(0, dot).find_last_of('.') + 1)) +
                    "Block";
            else {
                base = camel(local);
                if (instances[d].size() > 1)
                    while (base.size() > 1 && std::isdigit(static_cast<unsigned char>(base.back()))) base.pop_back();
            }
            if (base.empty() || std::isdigit(static_cast<unsigned char>(base[0]))) base = "Block" + base;
            if (reg.find(base)) base += "Block";
            std::string name = base;
            for (int k = 2; taken.count(name); ++k) name = base + std::to_string(k);
            taken.insert(name);
            rename[doc.modules[d].name] = name;
        }
        auto apply = [&](Graph& g) {
            for (Node& n : g.nodes)
                if (auto it = rename.find(n.kind); it != rename.end()) n.kind = it->second;
        };
        for (ModuleDef& m : doc.modules) {
            m.name = rename[m.name];
            apply(m.body);
        }
        apply(doc.graph);
    }

    // The weights by the names the flattened document gives its layers, checked against what the
    // layers need: a mismatch is a model Netwright's layers read differently, said as such.
    void attachWeights() {
        Document& doc = *result_.document;
        FlatGraph flat = nw::flatten(doc);
        std::unordered_map<std::string, const FlatNode*> byName;
        for (const FlatNode& n : flat.nodes) byName[n.name] = &n;
        // Flattened names are the items' paths; recompute each op's path the same way.
        std::unordered_map<int, std::string> path;
        std::function<void(int, const std::string&)> walk = [&](int scope, const std::string& prefix) {
            std::vector<Item> items;
            collect(scope, "", items);
            for (const Item& it : items) {
                if (it.op >= 0) path[it.op] = prefix + it.id;
                else walk(it.scope, prefix + it.id + ".");
            }
        };
        walk(0, "");
        for (size_t i = 0; i < ops_.size(); ++i)
            for (auto& [name, t] : ops_[i].weights)
                result_.weights[path[static_cast<int>(i)] + "." + name] = std::move(t);
        Analysis analysis = nw::analyze(flat);
        if (analysis.errorCount() > 0) {
            for (const Diagnostic& d : analysis.diagnostics)
                if (d.severity == Severity::Error) result_.errors.push_back(d);
            return;
        }
        for (const std::string& p : checkWeights(flat, analysis, result_.weights))
            result_.errors.push_back({Severity::Error, "", "", "the model's weights do not fit its layers: " + p});
    }

    std::string path_;
    const onnx::GraphProto* graph_ = nullptr;
    int opset_ = -1;
    Imported result_;
    std::vector<Diagnostic> problems_;
    std::map<std::string, std::vector<std::string>> unsupported_;
    std::unordered_map<std::string, const onnx::TensorProto*> consts_;
    std::deque<onnx::TensorProto> owned_;
    std::unordered_map<std::string, std::string> alias_;
    std::unordered_map<std::string, PendingPad> pads_;
    std::unordered_map<std::string, PendingSubsample> subsamples_;
    std::unordered_map<std::string, int> producer_, unbiasedLinear_;
    std::unordered_map<std::string, int> uses_;
    std::unordered_map<std::string, std::vector<int>> consumers_;
    std::unordered_map<std::string, Shape> shapes_;  // as the model declares them
    std::unordered_map<std::string, int> rank_;      // of each layer's output
    std::vector<Op> ops_;
    std::vector<Scope> scopes_;
    std::vector<int> opScope_;
};

class OnnxImporter final : public Importer {
public:
    const char* name() const override { return "ONNX"; }
    const char* extension() const override { return ".onnx"; }
    Imported open(const std::string& path) const override {
        std::string bytes;
        if (std::string e = readFile(path, bytes, kMaxOnnxBytes); !e.empty()) {
            Imported out;
            out.errors.push_back({Severity::Error, "", "", e});
            return out;
        }
        return parseOnnx(bytes, path);
    }
};

}  // namespace

Imported parseOnnx(std::string_view bytes, const std::string& name) {
    try {
        return OnnxReader(name).read(bytes);
    } catch (const std::exception& e) {  // protobuf, the checker or an allocation on a model it cannot take
        Imported out;
        out.errors.push_back({Severity::Error, "", "", name + " cannot be imported: " + std::string(e.what())});
        return out;
    }
}

const Importer& onnxImporter() {
    static const OnnxImporter importer;
    return importer;
}

}  // namespace nw
