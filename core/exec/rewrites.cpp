#include "rewrites.h"

#include "weights.h"

namespace nw {

RewriteInput rewriteInput(const FlatGraph& graph, const Analysis& analysis, const std::vector<int>& consumers,
                          const std::vector<char>& keep) {
    RewriteInput in{graph, analysis, consumers, keep, std::vector<size_t>(graph.nodes.size(), 0)};
    for (size_t p = 0; p < analysis.order.size(); ++p) in.position[static_cast<size_t>(analysis.order[p])] = p;
    return in;
}

// The single input of `node` when it reads one producer's output, else -1.
static int soleInput(const FlatNode& node) { return node.inputs.size() == 1 ? node.inputs[0].node : -1; }

void foldAffinePass(const RewriteInput& in, const TensorMap& weights, TensorMap* owned, Rewrites& r) {
    for (int idx : in.analysis.order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = in.graph.nodes[i];
        const int source = soleInput(node);
        if (!node.kind->affine || source < 0) continue;
        const auto src = static_cast<size_t>(source);
        const FlatNode& producer = in.graph.nodes[src];
        if (r.root(src) != src || !producer.kind->foldAffine || !in.onlyFeeds(src) || r.weights.count(src)) continue;
        std::vector<const Tensor*> own;
        for (const WeightSpec& spec : in.analysis.nodes[i].weights)
            own.push_back(&weights.find(weightName(node, spec))->second);
        const ChannelAffine affine = node.kind->affine(node.view(), own);
        // The producer's last kernel is the one scaled (a separable conv's pointwise one); its bias is
        // replaced by the folded one, or one is added.
        std::vector<const Tensor*> folded;
        Tensor* kernel = nullptr;
        const Tensor* bias = nullptr;
        for (const WeightSpec& spec : in.analysis.nodes[src].weights) {
            const std::string name = weightName(producer, spec);
            if (spec.role == WeightRole::Bias) bias = &weights.find(name)->second;
            else if (spec.role != WeightRole::Weight) folded.push_back(&weights.find(name)->second);
            else {
                kernel = owned ? &owned->find(name)->second : &r.storage.emplace_back(weights.find(name)->second);
                folded.push_back(kernel);
            }
        }
        if (!kernel || kernel->shape.empty() || static_cast<size_t>(kernel->shape[0]) != affine.scale.size()) continue;
        Tensor& foldedBias = r.storage.emplace_back(Shape{kernel->shape[0]});
        producer.kind->foldAffine(affine, *kernel, bias, foldedBias);
        folded.push_back(&foldedBias);
        r.weights[src] = std::move(folded);
        r.fuse(i, src, src);
    }
}

void fuseResidualPass(const RewriteInput& in, Rewrites& r) {
    for (int idx : in.analysis.order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = in.graph.nodes[i];
        if (node.kind->epilogue != Epilogue::ResidualAdd || node.inputs.size() != 2 || node.inputs[0].node < 0 ||
            node.inputs[1].node < 0)
            continue;
        for (size_t side = 0; side < 2; ++side) {
            const auto src = static_cast<size_t>(node.inputs[side].node);
            const auto other = static_cast<size_t>(node.inputs[1 - side].node);
            const size_t producer = r.root(src);
            const FlatNode& p = in.graph.nodes[producer];
            // The producer must run after the other input exists, and add onto nothing else yet.
            if (!p.kind->fusesResidual || !p.kind->fusesResidual(p.view()) || !in.onlyFeeds(src) || r.relu[producer] ||
                r.residual[producer] >= 0 || r.root(other) == producer || in.position[other] >= in.position[producer])
                continue;
            r.fuse(i, producer, src);
            r.residual[producer] = static_cast<int>(other);
            // Its buffer can be reused when nothing else reads it after the producer has run.
            bool later = in.keep[other] != 0 || in.graph.nodes[other].kind->role == KindRole::Input;
            for (int reader : in.analysis.order)
                for (const PortRef& input : in.graph.nodes[static_cast<size_t>(reader)].inputs)
                    if (static_cast<size_t>(input.node) == other && static_cast<size_t>(reader) != i &&
                        in.position[static_cast<size_t>(reader)] >= in.position[producer])  // the producer itself too
                        later = true;
            r.stealResidual[producer] = !later;
            break;
        }
    }
}

void fuseReluPass(const RewriteInput& in, Rewrites& r) {
    for (int idx : in.analysis.order) {
        const auto i = static_cast<size_t>(idx);
        const FlatNode& node = in.graph.nodes[i];
        const int source = soleInput(node);
        if (node.kind->epilogue != Epilogue::Relu || source < 0) continue;
        const auto src = static_cast<size_t>(source);
        const size_t producer = r.root(src);
        if (!in.graph.nodes[producer].kind->fusesRelu || !in.onlyFeeds(src) || r.relu[producer] ||
            in.graph.nodes[src].kind->outputs.size() != 1)
            continue;
        r.relu[producer] = 1;
        r.fuse(i, producer, src);
    }
}

Rewrites planRewrites(const FlatGraph& graph, const Analysis& analysis, const TensorMap& weights, TensorMap* owned,
                      const std::vector<int>& consumers, const std::vector<char>& keep) {
    const RewriteInput in = rewriteInput(graph, analysis, consumers, keep);
    Rewrites r(graph.nodes.size());
    foldAffinePass(in, weights, owned, r);
    fuseResidualPass(in, r);
    fuseReluPass(in, r);
    return r;
}

}  // namespace nw
