// netwright-cli: the core, headless. Exit 0 on success, 1 on invalid input, 2 on usage errors.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <omp.h>
#include <map>
#include <random>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <QApplication>

#include "analysis.h"
#include "backprop.h"
#include "optimizer.h"
#include "session.h"
#include "canvas_render.h"
#include "compare.h"
#include "executor.h"
#include "inference.h"
#include "files.h"
#include "image.h"
#include "importer.h"
#include "layout.h"
#include "netw_format.h"
#include "onnx_export.h"
#include "pytorch_export.h"
#include "registry.h"
#include "report.h"

namespace {

const char* kUsage = R"(usage: netwright-cli <command> [options]

commands:
  summary FILE [--input-shape N,C,H,W] [--depth D]
                                         per-layer table (shapes, params, MACs, memory, receptive field) and totals;
                                         --depth 1: a row per top-level node (module instances with subtotals), 2: their blocks…
  validate FILE [--input-shape N,C,H,W]  diagnostics only
  layout FILE -o OUT.netw [--direction TB|LR]
                                         Graphviz positions written into a copy
  render FILE -o OUT.png|OUT.svg [--expand NODE]... [--direction TB|LR] [--scale S] [--dark]
                                         the whole network as the designer draws it (laid out again
                                         when --direction is given or the file has no positions)
  import MODEL.onnx -o NET.netw          an ONNX model as a document (modules recovered from its scopes),
                                         laid out, its weights beside it as NET.safetensors
  export FILE --onnx OUT.onnx [--weights W.safetensors] [--opset 13…17] [--fold-bn] [--seed S]
                                         the network as an ONNX model (default opset 17): initializers
                                         named as Netwright's weights, node names carrying the module
                                         path; seeded PyTorch-default weights when it has none;
                                         --fold-bn folds batch norms into the convolutions before them
  export FILE --pytorch DIR [--weights W.safetensors] [--seed S] [--force]
                                         a PyTorch project: model.py (a class per module, state_dict
                                         names = weight names), train.py (Fashion-MNIST, idx or image
                                         folders; one process or torchrun/DDP), README.md and the
                                         weights as DIR/weights.safetensors (--force: replace those
                                         files when DIR already holds them)
  compare A.netw B.netw                  per-layer and total differences of two files
  compare FILE --nodes X Y               ... of two top-level nodes (module instances) of one file
  kinds                                  the layer kinds and their attributes
  run FILE (--image IMG | --input X.npy) [--weights W.safetensors] [--top K] [--output Y.npy]
          [--input NAME=X.npy ...: one per Input node of a graph with several]
          [--dump NODE]... [--dump-dir DIR] [--profile] [--seed S] [--threads T]
                                         runs the network (random weights unless --weights);
                                         X.npy is N×C×H×W (or C×H×W for one sample) float32;
                                         IMG (PNG, JPEG, BMP) is prepared as the Input node says
  grad FILE --input X.npy --labels L.npy -o GRADS.safetensors [--weights W.safetensors] [--seed S]
          [--label-smoothing E]
                                         one training-mode forward and backward pass (batch norm on batch
                                         statistics, dropout masks seeded by S): the gradient of the mean
                                         cross-entropy loss with respect to every trainable weight, named
                                         like the weights, and to the input, named as the Input node;
                                         L.npy holds N int64 or int32 class indices
  train FILE --data fashion-mnist|idx:IMAGES,LABELS|DIR -o WEIGHTS.safetensors [--epochs E] [--batch B]
          [--optimizer sgd|adam|adamw] [--lr X] [--momentum M] [--nesterov] [--weight-decay W]
          [--schedule constant|cosine|step] [--warmup-steps S] [--label-smoothing E] [--augment crop|flip|crop,flip]
          [--val-split F] [--seed S] [--threads T] [--weights START] [--log LOG.csv] [--resume CKPT] [--max-steps N]
                                         trains the network (defaults: 5 epochs, batch 64, SGD lr 0.01
                                         momentum 0.9, as the exported train.py); a progress bar on a
                                         terminal; after each epoch the accuracy on the held-out data
                                         (--val-split of the training data, else the test set), WEIGHTS and
                                         a checkpoint beside it (WEIGHTS.checkpoint.safetensors, for --resume)
  evaluate FILE --weights W --data ...   accuracy, per-class accuracy and the confusion matrix on the
                                         test set (Fashion-MNIST's 10,000 images; all of an idx pair or folder)
  bench FILE [--batch N] [--threads T] [--runs R] [--warmup W] [--profile] [--train]
                                         executor latency: median, min, max ms and GFLOP/s;
                                         --profile adds the mean time per layer kind; --train times
                                         a whole training step (forward, loss, backward, SGD update)

run and bench take --memory-budget SIZE (16G, 512M; default NETWRIGHT_MEMORY_BUDGET, else 80 % of
the memory): a network whose weights, packed weights and activations need more is refused at once.
--threads is 1 to 256.

FILE may be a .netw document or an .onnx model (opsets 7–17; its initializers are its weights
unless --weights is given). A .netw that names a weights file uses it unless --weights is given.
every command takes --json for machine-readable output.
exit status: 0 success, 1 invalid input (diagnostics printed), 2 usage error.
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    bool json = false;
    std::string inputShape, output, direction = "TB";
    bool directionGiven = false, dark = false;
    std::vector<std::string> expand;
    double scale = 1.0;
    std::vector<std::string> nodes;
    std::vector<std::string> inputs;  // X.npy, or NAME=X.npy for a graph with several Input nodes
    std::string weights, image, dumpDir = ".";
    std::vector<std::string> dumps;
    int64_t top = 5, batch = 1, threads = 0, runs = 10, warmup = 2, depth = 0;
    int64_t memoryBudget = nw::defaultMemoryBudget();
    uint64_t seed = 0;
    bool profile = false;
    std::string onnx, pytorch;  // export --onnx OUT.onnx, --pytorch DIR
    std::string labels;         // grad --labels L.npy
    double labelSmoothing = 0;
    bool train = false;  // bench --train
    // train / evaluate
    std::string data, log, resume, optimizer = "sgd", schedule = "constant", augment;
    int64_t epochs = 5, warmupSteps = 0, maxSteps = 0;
    bool batchGiven = false, nesterov = false;
    double lr = 0.01, momentum = 0.9, weightDecay = 0, valSplit = 0;
    int64_t opset = 17;
    bool foldBn = false;
    bool force = false;  // export --pytorch into a folder that holds a project already
};

int usage(const std::string& why) {
    std::fprintf(stderr, "netwright-cli: %s\n\n%s", why.c_str(), kUsage);
    return 2;
}

// A failure of a command that runs the network (run, bench, layout): with --json an object with
// "error" (and the diagnostics) on stdout, else the message on stderr. Returns exit status 1.
int failure(const Args& a, const std::string& message, const std::vector<nw::Diagnostic>& diagnostics = {}) {
    if (a.json) {
        nlohmann::ordered_json j{{"error", message}};
        if (!diagnostics.empty()) j["diagnostics"] = nw::diagnosticsJson(diagnostics);
        std::cout << j.dump(2) << "\n";
    } else {
        if (!message.empty()) std::cerr << "netwright-cli: " << message << "\n";
        std::cerr << nw::diagnosticsText(diagnostics);
    }
    return 1;
}

std::optional<nw::Shape> parseShape(const std::string& text) {
    nw::Shape s;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (part.empty() || part.size() > 9 || part.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        s.push_back(std::stoll(part));
        if (s.back() <= 0) return std::nullopt;
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    if (s.size() != 4 && s.size() != 2) return std::nullopt;
    return s;
}

struct Loaded {
    nw::Document doc;
    nw::FlatGraph flat;
    nw::Analysis analysis;
    nw::TensorMap weights;    // the file's own (an ONNX model's initializers)
    std::string weightsPath;  // the safetensors file a .netw names, beside it
};

// Loads and analyses FILE; prints load errors and returns nullopt when it cannot be read. summary,
// validate and compare report diagnostics as their result (`toStdout`); the commands that run
// something report why they cannot on stderr (failure()).
std::optional<Loaded> load(const std::string& path, const nw::AnalyzeOptions& options, bool json, bool toStdout) {
    nw::Imported r = nw::openNetwork(path);
    if (!r.document) {
        if (json)
            std::cout << nlohmann::ordered_json{{"error", "cannot read " + path},
                                                {"diagnostics", nw::diagnosticsJson(r.errors)}}
                             .dump(2)
                      << "\n";
        else (toStdout ? std::cout : std::cerr) << nw::diagnosticsText(r.errors);
        return std::nullopt;
    }
    Loaded l{std::move(*r.document), {}, {}, std::move(r.weights), {}};
    if (!l.doc.weights.empty()) {
        const size_t slash = path.find_last_of('/');
        l.weightsPath = l.doc.weights[0] == '/' || slash == std::string::npos
                            ? l.doc.weights
                            : path.substr(0, slash + 1) + l.doc.weights;
    }
    l.flat = nw::flatten(l.doc);
    l.analysis = nw::analyze(l.flat, options);
    return l;
}

int cmdSummary(const Args& a, bool diagnosticsOnly) {
    if (a.positional.size() != 1) return usage(a.command + " takes one FILE");
    nw::AnalyzeOptions options;
    if (!a.inputShape.empty()) {
        options.inputShape = parseShape(a.inputShape);
        if (!options.inputShape) return usage("--input-shape wants N,C,H,W or N,F with positive integers");
    }
    auto l = load(a.positional[0], options, a.json, true);
    if (!l) return 1;
    std::string name = l->doc.name.empty() ? a.positional[0] : l->doc.name;
    bool ok = l->analysis.errorCount() == 0;
    if (diagnosticsOnly) {
        if (a.json)
            std::cout << nlohmann::ordered_json{{"valid", ok},
                                                {"diagnostics", nw::diagnosticsJson(l->analysis.diagnostics)}}
                             .dump(2)
                      << "\n";
        else if (ok && l->analysis.diagnostics.empty()) std::cout << name << ": valid\n";
        else std::cout << nw::diagnosticsText(l->analysis.diagnostics);
    } else {
        if (a.depth > 0)
            std::cout << (a.json ? nw::groupedJson(name, l->doc, l->flat, l->analysis, static_cast<int>(a.depth))
                                 : nw::groupedTable(name, l->doc, l->flat, l->analysis, static_cast<int>(a.depth)));
        else
            std::cout << (a.json ? nw::summaryJson(name, l->flat, l->analysis)
                                 : nw::summaryTable(name, l->flat, l->analysis));
    }
    return ok ? 0 : 1;
}

int cmdLayout(const Args& a) {
    if (a.positional.size() != 1 || a.output.empty()) return usage("layout takes FILE -o OUT.netw");
    if (a.direction != "TB" && a.direction != "LR") return usage("--direction is TB or LR");
    nw::Imported r = nw::openNetwork(a.positional[0]);
    if (!r.document) return failure(a, "cannot read " + a.positional[0], r.errors);
    nw::LayoutOptions options;
    options.direction = a.direction == "TB" ? nw::LayoutDirection::TopToBottom : nw::LayoutDirection::LeftToRight;
    nw::LayoutResult lr = nw::layoutDocument(*r.document, options);
    if (std::string err = nw::saveNetwAtomic(*r.document, a.output); !err.empty()) return failure(a, err);
    if (a.json)
        std::cout << nlohmann::ordered_json{{"output", a.output},
                                            {"nodes", r.document->graph.nodes.size()},
                                            {"graphviz", lr.usedGraphviz},
                                            {"warning", lr.warning}}
                         .dump(2)
                  << "\n";
    else
        std::cout << "laid out " << r.document->graph.nodes.size() << " nodes with "
                  << (lr.usedGraphviz ? "Graphviz dot"
                                      : "the layered layout" + (lr.warning.empty() ? "" : " (" + lr.warning + ")"))
                  << " → " << a.output << "\n";
    return 0;
}

int cmdCompare(const Args& a) {
    bool byNodes = !a.nodes.empty();
    if (byNodes ? (a.positional.size() != 1 || a.nodes.size() != 2) : a.positional.size() != 2)
        return usage("compare takes A.netw B.netw, or FILE --nodes X Y");
    auto la = load(a.positional[0], {}, a.json, true);
    if (!la) return 1;
    std::optional<Loaded> lb;
    if (!byNodes && !(lb = load(a.positional[1], {}, a.json, true))) return 1;
    const Loaded& second = byNodes ? *la : *lb;
    nw::Selection sa{byNodes ? a.nodes[0] : a.positional[0], &la->flat, &la->analysis, byNodes ? a.nodes[0] : ""};
    nw::Selection sb{byNodes ? a.nodes[1] : a.positional[1], &second.flat, &second.analysis, byNodes ? a.nodes[1] : ""};
    if (byNodes)
        for (const auto& n : a.nodes)
            if (!la->doc.graph.find(n)) {
                std::cerr << "netwright-cli: " << a.positional[0] << " has no top-level node '" << n << "'\n";
                return 1;
            }
    nw::Comparison c = nw::compare(sa, sb);
    std::cout << (a.json ? nw::compareJson(c) : nw::compareTable(c));
    return la->analysis.errorCount() + second.analysis.errorCount() == 0 ? 0 : 1;
}

// import MODEL.onnx -o NET.netw: the document, laid out, with its weights beside it as
// NET.safetensors (which the document names, so `run NET.netw` uses them).
int cmdImport(const Args& a) {
    if (a.positional.size() != 1 || a.output.empty()) return usage("import takes MODEL.onnx -o NET.netw");
    if (!nw::importerFor(a.positional[0])) return usage("import reads .onnx files");
    const std::string suffix = ".netw";
    if (a.output.size() <= suffix.size() ||
        a.output.compare(a.output.size() - suffix.size(), suffix.size(), suffix) != 0)
        return usage("import writes a .netw file (-o NET.netw)");
    nw::Imported r = nw::openNetwork(a.positional[0]);
    if (!r.document || !r.errors.empty()) return failure(a, "cannot import " + a.positional[0], r.errors);
    const std::string weightsFile = a.output.substr(0, a.output.size() - suffix.size()) + ".safetensors";
    r.document->weights = weightsFile.substr(weightsFile.find_last_of('/') + 1);
    nw::layoutDocument(*r.document);
    if (std::string e = nw::writeSafetensors(weightsFile, r.weights); !e.empty()) return failure(a, e);
    if (std::string e = nw::saveNetwAtomic(*r.document, a.output); !e.empty()) return failure(a, e);
    if (a.json)
        std::cout << nlohmann::ordered_json{{"output", a.output},
                                            {"weights", weightsFile},
                                            {"nodes", r.document->graph.nodes.size()},
                                            {"modules", r.document->modules.size()},
                                            {"tensors", r.weights.size()}}
                         .dump(2)
                  << "\n";
    else
        std::cout << "imported " << a.positional[0] << ": " << r.document->graph.nodes.size() << " top-level nodes, "
                  << r.document->modules.size() << " module definitions → " << a.output << "; " << r.weights.size()
                  << " weight tensors → " << weightsFile << "\n";
    return 0;
}

int cmdKinds(const Args& a) {
    const auto& kinds = nw::Registry::instance().kinds();
    if (a.json) {
        nlohmann::ordered_json out = nlohmann::ordered_json::array();
        auto hexColor = [](uint32_t rgb) {
            char text[8];
            std::snprintf(text, sizeof text, "#%06x", static_cast<unsigned>(rgb & 0xffffff));
            return std::string(text);
        };
        for (const auto& k : kinds) {
            nlohmann::ordered_json attrs = nlohmann::ordered_json::array();
            for (const auto& s : k.attrs) {
                nlohmann::ordered_json a{{"name", s.name},
                                         {"type", nw::attrTypeName(s.type)},
                                         {"default", nw::formatAttrValue(s.def)},
                                         {"doc", s.doc}};
                // What a value may be: the range of numbers (each element of a pair) or the choices.
                if (s.type == nw::AttrType::Float) a["range"] = {s.fmin, s.fmax};
                else if (s.type == nw::AttrType::Choice) a["choices"] = s.choices;
                else if (s.type != nw::AttrType::Bool) a["range"] = {s.min, s.max};
                attrs.push_back(std::move(a));
            }
            out.push_back({{"kind", k.name},
                           {"category", k.category},
                           {"doc", k.doc},
                           {"inputs", k.inputs},
                           {"variadic", k.variadic},
                           {"outputs", k.outputs},
                           {"color", hexColor(nw::kindColor(k))},
                           {"attrs", attrs},
                           {"formulas",
                            {{"shape", k.formulas.shape}, {"params", k.formulas.params}, {"macs", k.formulas.macs}}}});
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }
    for (const auto& k : kinds) {
        std::cout << k.name << " (" << k.category << "): " << k.doc << "\n";
        std::cout << "    output shape: " << k.formulas.shape << "\n    parameters: " << k.formulas.params
                  << "\n    MACs: " << k.formulas.macs << "\n";
        for (const auto& s : k.attrs)
            std::cout << "    " << s.name << " : " << nw::attrTypeName(s.type) << " = " << nw::formatAttrValue(s.def)
                      << "  — " << s.doc << "\n";
    }
    return 0;
}

}  // namespace

// Loads FILE analysed for `inputShape` (the file's own when empty) and the weights to run it with.
struct Runnable {
    Loaded net;
    nw::TensorMap weights;
};
std::optional<Runnable> loadRunnable(const Args& a, const nw::Shape& inputShape,
                                     const std::map<std::string, nw::Shape, std::less<>>& inputShapes = {}) {
    nw::AnalyzeOptions options;
    if (!inputShape.empty()) options.inputShape = inputShape;
    options.inputShapes = inputShapes;
    auto l = load(a.positional[0], options, a.json, false);
    if (!l) return std::nullopt;
    if (l->analysis.errorCount() > 0) {
        failure(a, a.positional[0] + " has " + std::to_string(l->analysis.errorCount()) + " error(s)",
                l->analysis.diagnostics);
        return std::nullopt;
    }
    // Refused before the weights are made or read, so a network too large for the machine is told so
    // at once instead of being killed for lack of memory.
    if (std::string e = nw::checkMemory(nw::memoryNeeds(l->flat, l->analysis, a.dumps), a.memoryBudget); !e.empty()) {
        failure(a, e);
        return std::nullopt;
    }
    Runnable r{std::move(*l), {}};
    const std::string weightsPath = a.weights.empty() ? r.net.weightsPath : a.weights;
    if (weightsPath.empty() && !r.net.weights.empty()) r.weights = std::move(r.net.weights);
    else if (weightsPath.empty()) r.weights = nw::initWeights(r.net.flat, r.net.analysis, a.seed);
    else {
        nw::WeightsResult w = nw::loadWeights(r.net.flat, r.net.analysis, weightsPath);
        if (!w.error.empty() || !w.problems.empty()) {
            std::string message = w.error;
            if (message.empty()) {
                message = weightsPath + " does not fit the network:";
                for (const auto& p : w.problems) message += "\n  " + p;
            }
            failure(a, message);
            return std::nullopt;
        }
        r.weights = std::move(w.tensors);
        if (!a.json)
            for (const std::string& note : w.notes)
                std::cerr << "netwright-cli: " << weightsPath << ": " << note << "\n";
    }
    return r;
}

std::string safeFileName(std::string name) {
    for (char& c : name)
        if (c == '/' || c == '\\') c = '_';
    return name;
}

// The --input NAME=X.npy tensors (by Input node; "" for the only one), or the error shown.
std::optional<nw::TensorMap> readInputs(const Args& a, std::string& error) {
    nw::TensorMap inputs;
    for (const std::string& spec : a.inputs) {
        const size_t eq = spec.find('=');
        const std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
        if (name.empty() != (a.inputs.size() == 1)) {
            error = "give --input NAME=X.npy for each Input node";
            return std::nullopt;
        }
        const std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
        nw::TensorResult in = nw::readNpy(file);
        error = in.error;
        if (in.integers())
            error = file + ": dtype '" + in.dtype + "' holds integers; an input is float16, float32 or float64";
        if (error.empty() && in.tensor.shape.empty())
            error = file + ": holds an array of shape " + nw::formatShape(in.tensor.shape) +
                    "; an input has at least one dimension";
        if (!error.empty()) return std::nullopt;
        inputs.emplace(name, std::move(in.tensor));
    }
    return inputs;
}

void printRun(const Args& a, const nw::InferenceResult& r) {
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const auto& sample : r.top) {
        nlohmann::ordered_json entries = nlohmann::ordered_json::array();
        for (const nw::Prediction& p : sample) {
            nlohmann::ordered_json entry{{"index", p.index}, {"value", p.value}, {"probability", p.probability}};
            if (!p.label.empty()) entry["label"] = p.label;
            entries.push_back(entry);
        }
        top.push_back(entries);
    }
    if (a.json) {
        nlohmann::ordered_json j{{"output_node", r.outputNode},
                                 {"output_shape", r.output.shape},
                                 {"top", top},
                                 {"softmax_applied", r.softmaxApplied},
                                 {"notes", r.notes},
                                 {"peak_activation_bytes", r.peakActivationBytes}};
        if (a.profile) {
            nlohmann::ordered_json prof = nlohmann::ordered_json::array();
            for (const auto& [name, ms] : r.nodeMs) prof.push_back({{"node", name}, {"ms", ms}});
            j["profile"] = prof;
        }
        std::cout << j.dump(2) << "\n";
        return;
    }
    std::cout << "output " << nw::formatShape(r.output.shape) << " from " << r.outputNode << "\n";
    for (size_t n = 0; n < r.top.size(); ++n) {
        std::cout << "sample " << n << ":";
        for (const nw::Prediction& p : r.top[n]) {
            std::printf("\n  %lld%s%s  %g  (%.1f %%)", static_cast<long long>(p.index), p.label.empty() ? "" : " ",
                        p.label.c_str(), static_cast<double>(p.value), 100.0 * p.probability);
        }
        std::cout << "\n";
    }
    if (a.profile)
        for (const auto& [name, ms] : r.nodeMs) std::printf("%10.3f ms  %s\n", ms, name.c_str());
}

int cmdRun(const Args& a) {
    if (a.positional.size() != 1) return usage("run takes one FILE");
    if (a.inputs.empty() == a.image.empty()) return usage("run needs --image IMG or --input X.npy");
    nw::InferenceRequest request;
    std::string error;
    std::optional<nw::TensorMap> inputs = readInputs(a, error);
    if (!inputs) return error.rfind("give --input", 0) == 0 ? usage(error) : failure(a, error);
    request.inputs = std::move(*inputs);
    request.image = a.image;
    request.weightsPath = a.weights;
    request.seed = a.seed;
    request.top = static_cast<int>(a.top);
    request.run.keep = a.dumps;
    request.run.profile = a.profile;
    request.run.memoryBudgetBytes = a.memoryBudget;
    auto net = load(a.positional[0], {}, a.json, false);
    if (!net) return 1;
    if (a.weights.empty()) {
        request.weightsPath = net->weightsPath;
        if (net->weightsPath.empty() && !net->weights.empty())
            request.weights = std::make_shared<const nw::TensorMap>(std::move(net->weights));
    }
    const nw::InferenceResult r = nw::infer(net->doc, request);
    if (!r.diagnostics.empty())
        return failure(a, a.positional[0] + " has " + std::to_string(r.analysis.errorCount()) + " error(s)",
                       r.diagnostics);
    if (!r.error.empty()) return failure(a, r.error);
    if (!a.json)
        for (const std::string& note : r.notes) std::cerr << "netwright-cli: " << note << "\n";
    if (!a.output.empty())
        if (std::string e = nw::writeNpy(a.output, r.output); !e.empty()) return failure(a, e);
    for (const auto& [name, t] : r.kept)
        if (std::string e = nw::writeNpy(a.dumpDir + "/" + safeFileName(name) + ".npy", t); !e.empty())
            return failure(a, e);
    printRun(a, r);
    return 0;
}

// Prints (or --json) the median, min and max of `ms` and the GFLOP/s of `flopsPerSample` at that
// median; `what` names what was timed ("" for inference).
void reportBench(const Args& a, const std::string& what, std::vector<double>& ms, double flopsPerSample) {
    std::sort(ms.begin(), ms.end());
    const double median = ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
    const double gflops = flopsPerSample * static_cast<double>(a.batch) / (median * 1e6);
    const int threads = omp_get_max_threads();
    if (a.json) {
        nlohmann::ordered_json out{{"file", a.positional[0]}, {"batch", a.batch},    {"threads", threads},
                                   {"runs", a.runs},          {"median_ms", median}, {"min_ms", ms.front()},
                                   {"max_ms", ms.back()},     {"gflops", gflops}};
        if (!what.empty()) out["timed"] = what;
        std::cout << out.dump(2) << "\n";
    } else {
        std::printf("%s  %sbatch %lld  threads %d  median %.3f ms  min %.3f  max %.3f  %.2f GFLOP/s\n",
                    a.positional[0].c_str(), what.empty() ? "" : (what + "  ").c_str(), static_cast<long long>(a.batch),
                    threads, median, ms.front(), ms.back(), gflops);
    }
}

// bench --train: a whole training step (training-mode forward, loss, backward, SGD with momentum)
// on a random batch and labels; GFLOP/s counts the forward's MACs three times (forward, dX, dW).
int benchTraining(const Args& a, Runnable& r, const nw::Tensor& input) {
    if (a.profile) return usage("--profile times inference layers; it does not apply to --train");
    nw::Backprop backprop(r.net.flat, r.net.analysis);
    if (!backprop.error().empty()) return failure(a, backprop.error());
    const nw::MemoryNeeds needs{3 * nw::weightBytes(r.net.analysis), 0, backprop.activationBytes()};
    if (std::string e = nw::checkMemory(needs, a.memoryBudget); !e.empty()) return failure(a, e);
    const int64_t classes =
        r.net.analysis.nodes[static_cast<size_t>(nw::networkOutput(r.net.flat, r.net.analysis))].outputs.at(0).back();
    std::mt19937 rng(static_cast<unsigned>(a.seed));
    std::vector<int64_t> labels(static_cast<size_t>(a.batch));
    for (int64_t& l : labels) l = std::uniform_int_distribution<int64_t>(0, classes - 1)(rng);
    nw::Optimizer optimizer(nw::OptimizerOptions{});
    nw::TensorMap gradients;
    std::vector<double> ms;
    for (int64_t i = 0; i < a.warmup + a.runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        nw::BackpropResult step = backprop.run(r.weights, input, labels, gradients, {});
        if (!step.error.empty()) return failure(a, step.error);
        optimizer.step(r.weights, gradients, optimizer.options().lr);
        if (i >= a.warmup)
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    reportBench(a, "train step", ms, 6.0 * static_cast<double>(r.net.analysis.totals.macs));
    return 0;
}

int cmdBench(const Args& a) {
    if (a.positional.size() != 1) return usage("bench takes one FILE");
    if (a.batch < 1 || a.runs < 1 || a.warmup < 0) return usage("--batch and --runs must be positive");
    // The file's input shape with the requested batch.
    auto probe = load(a.positional[0], {}, a.json, false);
    if (!probe) return 1;
    nw::Shape shape = probe->analysis.inputShape;
    if (shape.empty())
        return failure(a, a.positional[0] + ": no input shape to bench with", probe->analysis.diagnostics);
    shape[0] = a.batch;
    auto r = loadRunnable(a, shape);
    if (!r) return 1;
    nw::Tensor input(shape);
    std::mt19937 rng(static_cast<unsigned>(a.seed));
    std::normal_distribution<float> normal;
    for (float& v : input.data) v = normal(rng);
    if (a.train) return benchTraining(a, *r, input);
    nw::RunOptions options;
    options.profile = a.profile;
    options.memoryBudgetBytes = a.memoryBudget;
    const nw::Plan plan(r->net.flat, r->net.analysis, r->weights, options);  // once: inference runs reuse it
    if (!plan.error().empty()) return failure(a, plan.error());
    std::vector<double> ms;
    std::map<std::string, double> kindMs, nodeMs;  // --profile: mean time per layer kind and per node
    for (int64_t i = 0; i < a.warmup + a.runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        nw::RunResult out = plan.run(input);
        double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!out.error.empty()) return failure(a, out.error);
        if (i < a.warmup) continue;
        ms.push_back(elapsed);
        for (const auto& [node, t] : out.nodeMs) {
            kindMs[r->net.flat.nodes[static_cast<size_t>(r->net.flat.find(node))].kind->name] +=
                t / static_cast<double>(a.runs);
            nodeMs[node] += t / static_cast<double>(a.runs);
        }
    }
    reportBench(a, "", ms, 2.0 * static_cast<double>(r->net.analysis.totals.macs));
    if (a.profile && !a.json) {
        std::vector<std::pair<double, std::string>> byTime;
        byTime.reserve(kindMs.size());
        for (const auto& [kind, t] : kindMs) byTime.emplace_back(t, kind);
        std::sort(byTime.rbegin(), byTime.rend());
        for (const auto& [t, kind] : byTime) std::printf("  %9.3f ms  %s\n", t, kind.c_str());
        byTime.clear();
        for (const auto& [node, t] : nodeMs) byTime.emplace_back(t, node);
        std::sort(byTime.rbegin(), byTime.rend());
        std::printf("slowest layers:\n");
        for (size_t i = 0; i < std::min<size_t>(10, byTime.size()); ++i) {
            const auto& [t, node] = byTime[i];
            const auto& counts = r->net.analysis.nodes[static_cast<size_t>(r->net.flat.find(node))].counts;
            std::printf("  %9.3f ms  %6.2f GFLOP/s  %s\n", t,
                        2.0 * static_cast<double>(counts.macs) * static_cast<double>(a.batch) / (t * 1e6),
                        node.c_str());
        }
    }
    return 0;
}

// Draws with the designer's canvas, on Qt's offscreen platform unless a display is asked for.
// export NET --onnx OUT.onnx / --pytorch DIR: the network with its weights (--weights, the file's
// own, or seeded PyTorch-default ones) as one ONNX model, or as a PyTorch project.
// Class indices from a .npy of N integers (read as float, exact below 2^24).
std::optional<std::vector<int64_t>> readLabels(const std::string& path, std::string& error) {
    nw::TensorResult t = nw::readNpy(path);
    if (!t.error.empty()) {
        error = t.error;
        return std::nullopt;
    }
    if (t.tensor.shape.size() != 1) {
        error = path + ": holds an array of shape " + nw::formatShape(t.tensor.shape) + "; labels are N class indices";
        return std::nullopt;
    }
    std::vector<int64_t> labels;
    for (float v : t.tensor.data) {
        if (!(v >= 0 && v < 16777216.0f) || v != std::floor(v)) {
            error = path + ": label " + std::to_string(v) + " at index " + std::to_string(labels.size()) +
                    " is not a class index (a non-negative integer)";
            return std::nullopt;
        }
        labels.push_back(static_cast<int64_t>(v));
    }
    return labels;
}

int cmdGrad(const Args& a) {
    if (a.positional.size() != 1 || a.inputs.size() != 1 || a.labels.empty() || a.output.empty())
        return usage("grad takes FILE --input X.npy --labels L.npy -o GRADS.safetensors");
    nw::TensorResult x = nw::readNpy(a.inputs[0]);
    if (!x.error.empty()) return failure(a, x.error);
    if (x.integers())
        return failure(
            a, a.inputs[0] + ": dtype '" + x.dtype + "' holds integers; an input is float16, float32 or float64");
    if (x.tensor.shape.size() != 2 && x.tensor.shape.size() != 4)
        return failure(a, a.inputs[0] + ": holds an array of shape " + nw::formatShape(x.tensor.shape) +
                              "; a batch is N×C×H×W (or N×F for a flat input)");
    std::string error;
    auto labels = readLabels(a.labels, error);
    if (!labels) return failure(a, error);
    if (static_cast<int64_t>(labels->size()) != x.tensor.shape[0])
        return failure(a, a.labels + " holds " + std::to_string(labels->size()) + " labels but " + a.inputs[0] +
                              " holds " + std::to_string(x.tensor.shape[0]) + " samples");
    auto r = loadRunnable(a, x.tensor.shape);
    if (!r) return 1;
    nw::Backprop backprop(r->net.flat, r->net.analysis);
    if (!backprop.error().empty()) return failure(a, backprop.error());
    // Training keeps every activation and a gradient per weight: checked before anything is computed.
    const nw::MemoryNeeds needs{2 * nw::weightBytes(r->net.analysis), 0, backprop.activationBytes()};
    if (std::string e = nw::checkMemory(needs, a.memoryBudget); !e.empty()) return failure(a, e);
    nw::TensorMap gradients;
    nw::BackpropOptions options;
    options.inputGradient = true;
    options.seed = a.seed;
    options.labelSmoothing = a.labelSmoothing;
    nw::BackpropResult result = backprop.run(r->weights, x.tensor, *labels, gradients, options);
    if (!result.error.empty()) return failure(a, result.error);
    for (const nw::FlatNode& node : r->net.flat.nodes)
        if (node.kind->role == nw::KindRole::Input) gradients.emplace(node.name, std::move(result.inputGradient));
    if (std::string e = nw::writeSafetensors(a.output, gradients); !e.empty()) return failure(a, e);
    if (a.json) {
        nlohmann::json out{{"loss", result.loss},
                           {"correct", result.correct},
                           {"samples", labels->size()},
                           {"gradients", gradients.size()},
                           {"output", a.output}};
        std::cout << out.dump(2) << "\n";
    } else {
        std::printf("loss %.6f, %lld of %zu right; %zu gradients written to %s\n", result.loss,
                    static_cast<long long>(result.correct), labels->size(), gradients.size(), a.output.c_str());
    }
    return 0;
}

// The network's Input node, for preparing data; null without one.
const nw::FlatNode* inputOf(const Runnable& r) {
    const int i = r.net.flat.firstInput();
    return i < 0 ? nullptr : &r.net.flat.nodes[static_cast<size_t>(i)];
}

// "WEIGHTS.safetensors" → "WEIGHTS.checkpoint.safetensors".
std::string checkpointPath(const std::string& weights) {
    const std::string ext = ".safetensors";
    const bool has = weights.size() > ext.size() && weights.compare(weights.size() - ext.size(), ext.size(), ext) == 0;
    return (has ? weights.substr(0, weights.size() - ext.size()) : weights) + ".checkpoint" + ext;
}

std::string duration(double seconds) {
    const long long s = std::llround(std::max(0.0, seconds));
    char buf[32];
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%lld:%02lld", s / 60, s % 60);
    return buf;
}

int cmdTrain(const Args& a) {
    if (a.positional.size() != 1 || a.data.empty() || a.output.empty())
        return usage("train takes FILE --data fashion-mnist|idx:IMAGES,LABELS|DIR -o WEIGHTS.safetensors");
    nw::TrainOptions options;
    auto optimizer = nw::parseOptimizer(a.optimizer);
    if (!optimizer) return usage("--optimizer is sgd, adam or adamw");
    auto schedule = nw::parseSchedule(a.schedule);
    if (!schedule) return usage("--schedule is constant, cosine or step");
    options.optimizer = {*optimizer, a.lr, a.momentum, a.nesterov, a.weightDecay};
    options.schedule = {*schedule, a.warmupSteps};
    options.epochs = a.epochs;
    options.batch = a.batchGiven ? a.batch : 64;
    options.maxSteps = a.maxSteps;
    options.labelSmoothing = a.labelSmoothing;
    options.seed = a.seed;
    options.memoryBudgetBytes = a.memoryBudget;
    options.checkpoint = checkpointPath(a.output);
    for (size_t at = 0; !a.augment.empty() && at <= a.augment.size();) {
        const size_t comma = std::min(a.augment.find(',', at), a.augment.size());
        const std::string part = a.augment.substr(at, comma - at);
        if (part == "crop") options.augment.cropPadding = 4;
        else if (part == "flip") options.augment.flip = true;
        else return usage("--augment is crop, flip or crop,flip");
        at = comma + 1;
    }
    if (options.epochs < 1 || options.batch < 1) return usage("--epochs and --batch must be at least 1");
    auto r = loadRunnable(a, {});
    if (!r) return 1;
    const nw::FlatNode* input = inputOf(*r);
    if (!input) return failure(a, a.positional[0] + " has no Input node to train on");
    nw::DataResult data = nw::loadData(a.data, input->view());
    if (!data.error.empty()) return failure(a, data.error);
    // Held-out data: --val-split of the training set, else the test set (Fashion-MNIST's), else 10 % of a folder.
    const double split =
        a.valSplit > 0 ? a.valSplit : (data.test.size() == 0 && !data.train.prepared.empty() ? 0.1 : 0);
    nw::Dataset held = split > 0 ? nw::splitOff(data.train, split, a.seed) : std::move(data.test);
    nw::Trainer trainer(r->net.flat, std::move(r->weights), options);
    if (!trainer.error().empty()) return failure(a, trainer.error());
    if (!a.resume.empty())
        if (std::string e = trainer.resume(a.resume); !e.empty()) return failure(a, e);
    std::FILE* log = nullptr;
    if (!a.log.empty()) {
        log = std::fopen(a.log.c_str(), a.resume.empty() ? "w" : "a");
        if (!log) return failure(a, a.log + ": cannot be written (" + std::strerror(errno) + ")");
        if (a.resume.empty())
            std::fputs("kind,epoch,step,loss,accuracy,val_accuracy,learning_rate,samples_per_s\n", log);
    }
    const bool terminal = !a.json && isatty(fileno(stderr));
    if (!a.json)
        std::printf("training %s on %s (%lld samples; held out: %lld) for %lld epochs, batch %lld\n",
                    a.positional[0].c_str(), data.train.source.c_str(), static_cast<long long>(data.train.size()),
                    static_cast<long long>(held.size()), static_cast<long long>(options.epochs),
                    static_cast<long long>(options.batch));
    std::fflush(stdout);
    nw::TrainEvents events;
    events.onStep = [&](const nw::StepReport& s) {
        if (log)
            std::fprintf(log, "step,%lld,%lld,%.6f,%.6f,,%.6g,%.1f\n", static_cast<long long>(s.epoch),
                         static_cast<long long>(s.globalStep), s.loss, s.accuracy, s.learningRate, s.samplesPerSecond);
        char line[256];
        std::snprintf(line, sizeof line,
                      "epoch %lld/%lld  step %lld/%lld  loss %.4f  accuracy %.2f %%  %.0f samples/s  ETA %s",
                      static_cast<long long>(s.epoch), static_cast<long long>(s.epochs), static_cast<long long>(s.step),
                      static_cast<long long>(s.stepsPerEpoch), s.loss, 100 * s.accuracy, s.samplesPerSecond,
                      duration(s.etaSeconds).c_str());
        if (terminal) {
            const int width = 24, filled = static_cast<int>(width * s.step / std::max<int64_t>(s.stepsPerEpoch, 1));
            std::fprintf(stderr, "\r[%s%s] %s\033[K", std::string(static_cast<size_t>(filled), '#').c_str(),
                         std::string(static_cast<size_t>(width - filled), '.').c_str(), line);
        } else if (!a.json && (s.step % 100 == 0 || s.step == 1)) {
            std::printf("%s\n", line);
            std::fflush(stdout);
        }
        return true;
    };
    std::string writeError;
    events.onEpoch = [&](const nw::EpochReport& e) {
        if (log) {
            std::fprintf(log, "epoch,%lld,,%.6f,%.6f,%.6f,,\n", static_cast<long long>(e.epoch), e.loss, e.accuracy,
                         e.validationAccuracy);
            std::fflush(log);
        }
        if (writeError.empty()) writeError = nw::writeSafetensors(a.output, trainer.weights());
        if (terminal) std::fputs("\r\033[K", stderr);
        if (!a.json) {
            std::printf("epoch %lld: loss %.4f, training accuracy %.2f %%", static_cast<long long>(e.epoch), e.loss,
                        100 * e.accuracy);
            if (e.validationAccuracy >= 0) std::printf(", held-out accuracy %.2f %%", 100 * e.validationAccuracy);
            std::printf(" (%s)\n", duration(e.seconds).c_str());
            std::fflush(stdout);
        }
    };
    nw::TrainResult result = trainer.run(data.train, held, events);
    if (log) std::fclose(log);
    if (terminal) std::fputs("\r\033[K", stderr);
    if (!result.error.empty()) return failure(a, result.error);
    if (writeError.empty()) writeError = nw::writeSafetensors(a.output, trainer.weights());
    if (!writeError.empty()) return failure(a, writeError);
    if (a.json) {
        nlohmann::ordered_json epochs = nlohmann::json::array();
        for (const nw::EpochReport& e : result.epochs)
            epochs.push_back({{"epoch", e.epoch},
                              {"loss", e.loss},
                              {"accuracy", e.accuracy},
                              {"validation_accuracy",
                               e.validationAccuracy >= 0 ? nlohmann::json(e.validationAccuracy) : nlohmann::json()},
                              {"seconds", e.seconds}});
        std::cout << nlohmann::ordered_json{{"output", a.output},
                                            {"checkpoint", options.checkpoint},
                                            {"epochs_done", trainer.epochsDone()},
                                            {"epochs", epochs}}
                         .dump(2)
                  << "\n";
    } else {
        std::printf("wrote %s after %lld epochs (checkpoint %s)\n", a.output.c_str(),
                    static_cast<long long>(trainer.epochsDone()), options.checkpoint.c_str());
    }
    return 0;
}

int cmdEvaluate(const Args& a) {
    if (a.positional.size() != 1 || a.data.empty())
        return usage("evaluate takes FILE --weights W.safetensors --data fashion-mnist|idx:IMAGES,LABELS|DIR");
    auto r = loadRunnable(a, {});
    if (!r) return 1;
    const nw::FlatNode* input = inputOf(*r);
    if (!input) return failure(a, a.positional[0] + " has no Input node");
    nw::DataResult data = nw::loadData(a.data, input->view());
    if (!data.error.empty()) return failure(a, data.error);
    const nw::Dataset& test = data.test.size() > 0 ? data.test : data.train;
    nw::Evaluation e = nw::evaluate(r->net.flat, r->weights, test, a.batchGiven ? a.batch : 256);
    if (!e.error.empty()) return failure(a, e.error);
    const size_t classes = e.confusion.size();
    std::vector<double> perClass(classes, 0);
    for (size_t c = 0; c < classes; ++c) {
        int64_t total = 0;
        for (int64_t v : e.confusion[c]) total += v;
        perClass[c] = total ? static_cast<double>(e.confusion[c][c]) / static_cast<double>(total) : 0;
    }
    auto name = [&](size_t c) { return c < test.classes.size() ? test.classes[c] : std::to_string(c); };
    if (a.json) {
        nlohmann::ordered_json names = nlohmann::json::array();
        for (size_t c = 0; c < classes; ++c) names.push_back(name(c));
        std::cout << nlohmann::ordered_json{{"data", test.source},     {"samples", e.samples},
                                            {"correct", e.correct},    {"accuracy", e.accuracy()},
                                            {"classes", names},        {"per_class_accuracy", perClass},
                                            {"confusion", e.confusion}}
                         .dump(2)
                  << "\n";
        return 0;
    }
    std::printf("%s: accuracy %.2f %% (%lld of %lld)\n\nper class:\n", test.source.c_str(), 100 * e.accuracy(),
                static_cast<long long>(e.correct), static_cast<long long>(e.samples));
    for (size_t c = 0; c < classes; ++c) std::printf("  %-14s %6.2f %%\n", name(c).c_str(), 100 * perClass[c]);
    std::printf("\nconfusion (rows: true class, columns: predicted):\n      ");
    for (size_t c = 0; c < classes; ++c) std::printf("%6zu", c);
    std::printf("\n");
    for (size_t t = 0; t < classes; ++t) {
        std::printf("%6zu", t);
        for (int64_t v : e.confusion[t]) std::printf("%6lld", static_cast<long long>(v));
        std::printf("\n");
    }
    return 0;
}

int exportOnnx(const Args& a, const Runnable& r) {
    nw::OnnxExportOptions options;
    options.opset = static_cast<int>(a.opset);
    options.foldBatchNorm = a.foldBn;
    const std::string name = r.net.doc.name.empty() ? a.positional[0] : r.net.doc.name;
    nw::OnnxModel m = nw::buildOnnx(name, r.net.flat, r.net.analysis, r.weights, options);
    if (!m.errors.empty()) {
        std::string message = "cannot export " + a.positional[0] + " to ONNX:";
        for (const auto& e : m.errors) message += "\n  " + e;
        return failure(a, message);
    }
    if (std::string e = nw::writeFileAtomic(a.onnx, m.bytes); !e.empty()) return failure(a, e);
    if (a.json)
        std::cout << nlohmann::ordered_json{{"output", a.onnx},        {"opset", a.opset},
                                            {"nodes", m.nodes},        {"initializers", m.initializers},
                                            {"bytes", m.bytes.size()}, {"notes", m.notes}}
                         .dump(2)
                  << "\n";
    else {
        std::cout << "exported " << a.positional[0] << " → " << a.onnx << " (opset " << a.opset << ", " << m.nodes
                  << " nodes, " << m.initializers << " initializers, "
                  << nw::formatBytes(static_cast<int64_t>(m.bytes.size())) << ")\n";
        for (const auto& n : m.notes) std::cout << "  " << n << "\n";
    }
    return 0;
}

int exportPytorch(const Args& a, const Runnable& r) {
    const std::string source = a.positional[0].substr(a.positional[0].find_last_of('/') + 1);
    nw::PytorchProject p = nw::buildPytorchProject(r.net.doc, r.net.flat, r.net.analysis, source);
    if (!p.errors.empty()) {
        std::string message = "cannot export " + a.positional[0] + " to PyTorch:";
        for (const auto& e : p.errors) message += "\n  " + e;
        return failure(a, message);
    }
    if (std::string e = nw::writePytorchProject(a.pytorch, p, r.weights, a.force); !e.empty()) return failure(a, e);
    nlohmann::ordered_json files = nlohmann::ordered_json::array();
    for (const auto& [file, text] : p.files) files.push_back(file);
    files.push_back("weights.safetensors");
    if (a.json) std::cout << nlohmann::ordered_json{{"output", a.pytorch}, {"files", files}}.dump(2) << "\n";
    else
        std::cout << "exported " << a.positional[0] << " → " << a.pytorch
                  << "/ (model.py, train.py, README.md, weights.safetensors)\n";
    return 0;
}

int cmdExport(const Args& a) {
    if (a.positional.size() != 1 || (a.onnx.empty() && a.pytorch.empty()))
        return usage("export takes FILE --onnx OUT.onnx and/or --pytorch DIR");
    if (a.opset < 13 || a.opset > 17) return usage("--opset is 13 to 17");
    auto r = loadRunnable(a, {});
    if (!r) return 1;
    if (!a.onnx.empty())
        if (int status = exportOnnx(a, *r)) return status;
    if (!a.pytorch.empty()) return exportPytorch(a, *r);
    return 0;
}

int cmdRender(const Args& a, int argc, char** argv) {
    if (a.positional.size() != 1) return usage("render takes one FILE");
    if (a.output.empty()) return usage("render needs -o OUT.png or -o OUT.svg");
    if (a.direction != "TB" && a.direction != "LR") return usage("--direction is TB or LR");
    auto net = load(a.positional[0], {}, a.json, false);
    if (!net) return 1;
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    if (qEnvironmentVariableIsEmpty(
            "XDG_RUNTIME_DIR")) {  // Qt wants one (and says so on stderr); a private one will do
        const std::string dir = "/tmp/netwright-runtime-" + std::to_string(getuid());
        if (mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST)
            qputenv("XDG_RUNTIME_DIR", QByteArray::fromStdString(dir));
    }
    QApplication app(argc, argv);
    nw::ui::RenderOptions options;
    options.expand = a.expand;
    options.relayout = a.directionGiven;
    options.direction = a.direction == "LR" ? nw::LayoutDirection::LeftToRight : nw::LayoutDirection::TopToBottom;
    options.scale = a.scale;
    options.dark = a.dark;
    if (std::string e = nw::ui::renderNetwork(std::move(net->doc), a.output, options); !e.empty()) return failure(a, e);
    if (a.json) std::cout << nlohmann::ordered_json{{"output", a.output}}.dump(2) << "\n";
    return 0;
}

constexpr int64_t kMaxThreads = 256;

// A positive integer option value, or nullopt.
std::optional<int64_t> positiveInt(const std::string& text) {
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoll(text);
}

int main(int argc, char** argv) {
    Args a;
    if (argc < 2) return usage("no command given");
    a.command = argv[1];
    if (a.command == "--help" || a.command == "-h" || a.command == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= argc) return false;
            out = argv[++i];
            return true;
        };
        if (arg == "--json") a.json = true;
        else if (arg == "--input-shape") {
            if (!value(a.inputShape)) return usage("--input-shape needs a value");
        } else if (arg == "-o" || arg == "--output") {
            if (!value(a.output)) return usage(arg + " needs a value");
        } else if (arg == "--direction") {
            if (!value(a.direction)) return usage("--direction needs TB or LR");
            a.directionGiven = true;
        } else if (arg == "--expand") {
            std::string v;
            if (!value(v)) return usage("--expand needs a node id");
            a.expand.push_back(v);
        } else if (arg == "--scale") {
            std::string v;
            char* end = nullptr;
            if (value(v)) a.scale = std::strtod(v.c_str(), &end);
            if (v.empty() || !end || *end || !(a.scale > 0 && a.scale <= 16))
                return usage("--scale needs a number above 0, at most 16");
        } else if (arg == "--onnx") {
            if (!value(a.onnx)) return usage("--onnx needs an output file");
        } else if (arg == "--pytorch") {
            if (!value(a.pytorch)) return usage("--pytorch needs an output directory");
        } else if (arg == "--data" || arg == "--log" || arg == "--resume" || arg == "--optimizer" ||
                   arg == "--schedule" || arg == "--augment") {
            std::string v;
            if (!value(v)) return usage(arg + " needs a value");
            if (arg == "--data") a.data = v;
            else if (arg == "--log") a.log = v;
            else if (arg == "--resume") a.resume = v;
            else if (arg == "--optimizer") a.optimizer = v;
            else if (arg == "--schedule") a.schedule = v;
            else a.augment = v;
        } else if (arg == "--lr" || arg == "--momentum" || arg == "--weight-decay" || arg == "--val-split") {
            std::string v;
            char* end = nullptr;
            double d = 0;
            if (value(v)) d = std::strtod(v.c_str(), &end);
            const bool fraction = arg == "--val-split" || arg == "--momentum";
            if (v.empty() || !end || *end || !(d >= 0) || (fraction && d >= 1) ||
                (arg == "--lr" && !(d > 0 && d <= 100)))
                return usage(arg + (fraction ? " needs a number from 0 to below 1" : " needs a positive number"));
            if (arg == "--lr") a.lr = d;
            else if (arg == "--momentum") a.momentum = d;
            else if (arg == "--weight-decay") a.weightDecay = d;
            else a.valSplit = d;
        } else if (arg == "--nesterov") {
            a.nesterov = true;
        } else if (arg == "--labels") {
            if (!value(a.labels)) return usage("--labels needs a .npy file");
        } else if (arg == "--label-smoothing") {
            std::string v;
            char* end = nullptr;
            if (value(v)) a.labelSmoothing = std::strtod(v.c_str(), &end);
            if (v.empty() || !end || *end || !(a.labelSmoothing >= 0 && a.labelSmoothing < 1))
                return usage("--label-smoothing needs a number from 0 to below 1");
        } else if (arg == "--force") {
            a.force = true;
        } else if (arg == "--fold-bn") {
            a.foldBn = true;
        } else if (arg == "--dark") {
            a.dark = true;
        } else if (arg == "--input" || arg == "--image" || arg == "--weights" || arg == "--dump" ||
                   arg == "--dump-dir") {
            std::string v;
            if (!value(v)) return usage(arg + " needs a value");
            if (arg == "--input") a.inputs.push_back(v);
            else if (arg == "--image") a.image = v;
            else if (arg == "--weights") a.weights = v;
            else if (arg == "--dump") a.dumps.push_back(v);
            else a.dumpDir = v;
        } else if (arg == "--memory-budget") {
            std::string v;
            auto bytes = value(v) ? nw::parseByteSize(v) : std::nullopt;
            if (!bytes) return usage("--memory-budget needs a size such as 16G, 512M or a number of bytes");
            a.memoryBudget = *bytes;
        } else if (arg == "--top" || arg == "--batch" || arg == "--threads" || arg == "--runs" || arg == "--warmup" ||
                   arg == "--seed" || arg == "--depth" || arg == "--opset" || arg == "--epochs" ||
                   arg == "--warmup-steps" || arg == "--max-steps") {
            std::string v;
            auto n = value(v) ? positiveInt(v) : std::nullopt;
            if (!n) return usage(arg + " needs a non-negative integer");
            // Bounds that keep a typo from hanging or crashing the run: OpenMP cannot start 10^5
            // threads, and a million timed runs is already hours.
            const std::map<std::string, int64_t> most{
                {"--threads", kMaxThreads}, {"--runs", 1'000'000}, {"--warmup", 1'000'000}, {"--top", 1'000'000'000},
                {"--batch", 1'000'000'000}, {"--depth", 64},       {"--epochs", 100'000}};
            if (auto m = most.find(arg); m != most.end() && *n > m->second)
                return usage(arg + " is at most " + nw::formatInt(m->second) + ", got " + v);
            if (arg == "--top") a.top = *n;
            else if (arg == "--batch") a.batch = *n, a.batchGiven = true;
            else if (arg == "--epochs") a.epochs = *n;
            else if (arg == "--warmup-steps") a.warmupSteps = *n;
            else if (arg == "--max-steps") a.maxSteps = *n;
            else if (arg == "--threads") a.threads = *n;
            else if (arg == "--runs") a.runs = *n;
            else if (arg == "--warmup") a.warmup = *n;
            else if (arg == "--depth") a.depth = *n;
            else if (arg == "--opset") a.opset = *n;
            else a.seed = static_cast<uint64_t>(*n);
        } else if (arg == "--profile") a.profile = true;
        else if (arg == "--train") a.train = true;
        else if (arg == "--nodes") {
            while (i + 1 < argc && argv[i + 1][0] != '-') a.nodes.push_back(argv[++i]);
        } else if (arg.size() > 1 && arg[0] == '-') return usage("unknown option " + arg);
        else a.positional.push_back(arg);
    }
    if (a.threads > 0) omp_set_num_threads(static_cast<int>(a.threads));
    try {
        if (a.command == "run") return cmdRun(a);
        if (a.command == "bench") return cmdBench(a);
        if (a.command == "grad") return cmdGrad(a);
        if (a.command == "train") return cmdTrain(a);
        if (a.command == "evaluate") return cmdEvaluate(a);
        if (a.command == "summary") return cmdSummary(a, false);
        if (a.command == "validate") return cmdSummary(a, true);
        if (a.command == "layout") return cmdLayout(a);
        if (a.command == "compare") return cmdCompare(a);
        if (a.command == "kinds") return cmdKinds(a);
        if (a.command == "import") return cmdImport(a);
        if (a.command == "export") return cmdExport(a);
        if (a.command == "render") return cmdRender(a, argc, argv);
    } catch (const std::bad_alloc&) {
        return failure(a, "out of memory; the memory budget is " + nw::formatBytes(a.memoryBudget) +
                              " — lower it with --memory-budget SIZE so such a network is refused up front");
    } catch (const std::exception& e) {
        return failure(a, std::string("internal error: ") + e.what());
    }
    return usage("unknown command '" + a.command + "'");
}
