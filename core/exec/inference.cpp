#include "inference.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "flatten.h"
#include "image.h"
#include "weights.h"

namespace nw {

std::string dataDir() {
    const char* env = std::getenv("NETWRIGHT_DATA");
    return env && *env ? env : NETWRIGHT_DATA_DIR;
}

std::vector<std::vector<Prediction>> topClasses(const Tensor& output, int k, const std::vector<std::string>& labels,
                                                bool& softmaxApplied) {
    std::vector<std::vector<Prediction>> top;
    softmaxApplied = false;
    const Shape& s = output.shape;
    if (s.size() != 2 || s[1] <= 0 || k <= 0) return top;
    for (int64_t n = 0; n < s[0]; ++n) {
        const float* v = output.ptr() + n * s[1];
        std::vector<float> p(v, v + s[1]);
        // Logits are shown as their softmax; an output that already is a distribution as it is.
        const float lo = *std::min_element(p.begin(), p.end());
        const float sum = std::accumulate(p.begin(), p.end(), 0.0f);
        if (lo < 0 || std::abs(sum - 1.0f) > 1e-3f) {
            const float m = *std::max_element(p.begin(), p.end());
            float total = 0;
            for (float& x : p) total += (x = std::exp(x - m));
            for (float& x : p) x /= total;
            softmaxApplied = true;
        }
        std::vector<int64_t> idx(static_cast<size_t>(s[1]));
        std::iota(idx.begin(), idx.end(), int64_t{0});
        const auto count = static_cast<std::ptrdiff_t>(std::min<int64_t>(k, s[1]));
        std::partial_sort(idx.begin(), idx.begin() + count, idx.end(),
                          [&](int64_t a, int64_t b) { return v[a] > v[b] || (v[a] == v[b] && a < b); });
        std::vector<Prediction> sample;
        for (std::ptrdiff_t i = 0; i < count; ++i) {
            const auto c = static_cast<size_t>(idx[static_cast<size_t>(i)]);
            sample.push_back({static_cast<int64_t>(c), c < labels.size() ? labels[c] : "", v[c], p[c]});
        }
        top.push_back(std::move(sample));
    }
    return top;
}

ImageResult prepareImage(const FlatGraph& flat, const std::string& path, const FlatNode** input) {
    const FlatNode* in = nullptr;
    for (const FlatNode& n : flat.nodes)
        if (n.kind->role == KindRole::Input && n.attrsValid && !in) in = &n;
    if (input) *input = in;
    if (!in) return {{}, "the network has no Input node to take an image"};
    return loadImage(path, in->view());
}

namespace {

void runUnguarded(const Document& doc, const InferenceRequest& request, InferenceResult& out) {
    const auto started = std::chrono::steady_clock::now();
    out.flat = flatten(doc);
    TensorMap inputs = request.inputs;
    AnalyzeOptions options;
    if (!request.image.empty()) {  // prepared as the Input node says: its size, channels, normalisation
        const FlatNode* in = nullptr;
        ImageResult img = prepareImage(out.flat, request.image, &in);
        if (!in) {
            out.analysis = analyze(out.flat);
            if (out.analysis.errorCount()) {
                out.diagnostics = out.analysis.diagnostics;
                out.error = "the network has " + std::to_string(out.analysis.errorCount()) + " error(s)";
                return;
            }
        }
        if (!img.error.empty()) {
            out.error = img.error;
            return;
        }
        inputs[""] = std::move(img.tensor);
    }
    for (auto& [name, t] : inputs) {
        if (t.shape.empty()) {
            out.error = "an input of shape " + formatShape(t.shape) + " has no dimensions; an input has at least one";
            return;
        }
        if (t.shape.size() == 3) t.shape.insert(t.shape.begin(), 1);  // one sample
        if (name.empty()) options.inputShape = t.shape;
        else options.inputShapes[name] = t.shape;
    }
    out.analysis = analyze(out.flat, options);
    if (out.analysis.errorCount() > 0) {
        out.diagnostics = out.analysis.diagnostics;
        out.error = "the network has " + std::to_string(out.analysis.errorCount()) + " error(s)";
        return;
    }
    RunOptions run = request.run;
    // Each top-level node's output is its last layer's, in run order.
    std::map<std::string, std::string> lastLayer;
    if (request.keepNodeOutputs)
        for (int idx : out.analysis.order) {
            const FlatNode& n = out.flat.nodes[static_cast<size_t>(idx)];
            if (!n.kind->outputs.empty()) lastLayer[n.origin] = n.name;
        }
    for (const auto& [origin, layer] : lastLayer) run.keep.push_back(layer);
    // Refused before the weights are made or read: a network too large for the machine says so at once.
    if (std::string e = checkMemory(memoryNeeds(out.flat, out.analysis, run.keep), run.memoryBudgetBytes); !e.empty()) {
        out.error = e;
        return;
    }
    TensorMap owned;
    const TensorMap* weights = request.weights.get();
    if (!request.weightsPath.empty()) {
        WeightsResult w = loadWeights(out.flat, out.analysis, request.weightsPath);
        if (!w.error.empty() || !w.problems.empty()) {
            out.error = w.error;
            if (out.error.empty()) {
                out.error = request.weightsPath + " does not fit the network:";
                for (const auto& p : w.problems) out.error += "\n  " + p;
            }
            return;
        }
        owned = std::move(w.tensors);
        out.notes = std::move(w.notes);
        weights = &owned;
    } else if (!weights) {
        owned = initWeights(out.flat, out.analysis, request.seed);
        weights = &owned;
    }
    // A plan may fold batch-norm into weights it owns; shared tensors are copied by the plan instead.
    std::unique_ptr<Plan> plan = weights == &owned
                                     ? std::make_unique<Plan>(out.flat, out.analysis, std::move(owned), run)
                                     : std::make_unique<Plan>(out.flat, out.analysis, *weights, run);
    if (!plan->error().empty()) {
        out.error = plan->error();
        return;
    }
    RunResult r = inputs.size() == 1 && inputs.count("") ? plan->run(inputs.at("")) : plan->run(inputs);
    out.totalMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    if (!r.error.empty()) {
        out.error = r.error;
        return;
    }
    for (const auto& [origin, layer] : lastLayer)
        if (auto it = r.kept.find(layer); it != r.kept.end()) out.nodeOutputs[origin] = it->second;
    for (const std::string& name : request.run.keep)
        if (auto it = r.kept.find(name); it != r.kept.end()) out.kept[name] = std::move(it->second);
    out.output = std::move(r.output);
    out.outputNode = std::move(r.outputNode);
    out.nodeMs = std::move(r.nodeMs);
    out.peakActivationBytes = r.peakActivationBytes;
    std::vector<std::string> labels;  // class names from the Output node's `labels`
    for (const FlatNode& n : out.flat.nodes)
        if (n.kind->role == KindRole::Output && n.attrsValid) {
            labels = loadLabels(dataDir() + "/resources", n.view().s("labels"));
            break;
        }
    out.top = topClasses(out.output, request.top, labels, out.softmaxApplied);
}

}  // namespace

InferenceResult infer(const Document& doc, const InferenceRequest& request) {
    InferenceResult out;
    try {
        runUnguarded(doc, request, out);
    } catch (const std::bad_alloc&) {
        out.error =
            "out of memory while running; lower the memory budget (--memory-budget, NETWRIGHT_MEMORY_BUDGET) so "
            "such a network is refused before it starts";
    } catch (const std::exception& e) {
        out.error = std::string("the run failed: ") + e.what();
    }
    return out;
}

}  // namespace nw
