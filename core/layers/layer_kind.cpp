// LayerKind's own methods, and the rules kinds share for receptive fields and colours.
#include "layer_kind.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

namespace nw {

namespace {
thread_local int callerThreadOnly = 0;
}
CallerThreadOnly::CallerThreadOnly() { ++callerThreadOnly; }
CallerThreadOnly::~CallerThreadOnly() { --callerThreadOnly; }
bool onCallerThreadOnly() { return callerThreadOnly > 0 || omp_in_parallel(); }

bool ShapeContext::requireRank(size_t i, size_t rank, const char* what) const {
    const Shape& s = *inputs[i];
    if (s.size() == rank) return true;
    error(inputPorts[i], std::string(attrs.kind().name) + " expects " + what + " (" + std::to_string(rank) +
                             " dimensions), got " + formatShape(s) +
                             (rank == 4 && s.size() == 2 ? "; it cannot follow a Flatten or Linear" : "") +
                             (rank == 2 && s.size() == 4 ? "; insert a Flatten or a GlobalAvgPool before it" : ""));
    return false;
}

int LayerKind::attrIndex(std::string_view attr) const {
    for (size_t i = 0; i < attrs.size(); ++i)
        if (attrs[i].name == attr) return static_cast<int>(i);
    return -1;
}

std::vector<std::string> LayerKind::inputPorts(const std::vector<AttrValue>& values) const {
    if (!variadic) return inputs;
    int64_t n = std::get<int64_t>(values[static_cast<size_t>(attrIndex("num_inputs"))]);
    std::vector<std::string> ports;
    for (int64_t i = 0; i < n; ++i) ports.push_back("in" + std::to_string(i));
    return ports;
}

void missingParams(const char* wanted) {
    throw std::logic_error(std::string("a kernel was called without its parsed attributes (") + wanted +
                           "): its caller must pass LayerKind::parseParams");
}

const AttrValue& NodeAttrs::get(std::string_view name) const {
    int i = kind_->attrIndex(name);
    if (i < 0) throw std::logic_error(kind_->name + " has no attribute " + std::string(name));
    return (*values_)[static_cast<size_t>(i)];
}

std::string Field::text() const {
    if (global) return "whole input";
    std::string s = size_h == size_w ? std::to_string(size_h) : std::to_string(size_h) + "×" + std::to_string(size_w);
    std::string j = jump_h == jump_w ? std::to_string(jump_h) : std::to_string(jump_h) + "×" + std::to_string(jump_w);
    return s + " step " + j;
}

Field slideField(const Field& in, const Window& w) {
    Field f = in;
    if (f.global) return f;
    f.size_h = saturatingAdd(f.size_h, saturatingMul(saturatingMul(w.kh - 1, w.dh), f.jump_h));
    f.size_w = saturatingAdd(f.size_w, saturatingMul(saturatingMul(w.kw - 1, w.dw), f.jump_w));
    f.jump_h = checkedMul(f.jump_h, w.sh).value_or(std::numeric_limits<int64_t>::max());
    f.jump_w = checkedMul(f.jump_w, w.sw).value_or(std::numeric_limits<int64_t>::max());
    return f;
}

Field globalField(const Field& in) {
    Field f = in;
    f.global = true;
    return f;
}

Field widestField(const std::vector<Field>& inputs) {
    if (inputs.empty()) return {};
    Field f = inputs[0];
    for (const Field& o : inputs) {
        f.global |= o.global;
        f.size_h = std::max(f.size_h, o.size_h), f.size_w = std::max(f.size_w, o.size_w);
        f.jump_h = std::max(f.jump_h, o.jump_h), f.jump_w = std::max(f.jump_w, o.jump_w);
    }
    return f;
}

uint32_t kindColor(const LayerKind& kind) {
    if (kind.color) return kind.color;
    static const std::map<std::string, uint32_t, std::less<>> byCategory{
        {"Input/Output", 0xe8e8e8},  {"Convolution", 0xcfe2f3}, {"Pooling", 0xd9ead3},
        {"Normalization", 0xfff2cc}, {"Activation", 0xfce5cd},  {"Regularization", 0xead1dc},
        {"Dense", 0xd9d2e9},         {"Reshape", 0xd0e0e3},     {"Merge", 0xf3f3f3}};
    auto it = byCategory.find(kind.category);
    return it == byCategory.end() ? 0xf3f3f3 : it->second;
}

}  // namespace nw
