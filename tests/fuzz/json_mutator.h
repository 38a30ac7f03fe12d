// A structure-aware mutator for libFuzzer (LLVMFuzzerCustomMutator): the input is parsed as JSON and
// one value in the tree is changed the way a hostile or careless file would change it — a number
// pushed to an extreme (1e308, -1, 2^31, 2^63-1, 0.5), a string swapped for another kind, a formula,
// another node's id or a very long one, an element dropped or duplicated, a value replaced by one
// of another type. Bytes that are not JSON fall back to libFuzzer's own byte mutations, so the
// parser's error paths are fuzzed too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t maxSize);

namespace nw::fuzz {

using Json = nlohmann::ordered_json;

inline void collect(Json& j, std::vector<Json*>& out) {
    out.push_back(&j);
    if (j.is_structured())
        for (auto& child : j) collect(child, out);
}

inline Json extremeValue(std::mt19937& rng) {
    static const char* strings[] = {
        "Conv2d",      "Concat", "Add", "Linear", "Input", "Output", "BatchNorm2d", "ReLU", "=planes * 4", "=1/0",
        "stride != 1", "in0",    "in1", "x",      "",      "b.0",    "../../etc",   "same", "valid",       "imagenet"};
    switch (rng() % 12) {
        case 0: return 1e308;
        case 1: return -1;
        case 2: return 0;
        case 3: return int64_t{1} << 31;
        case 4: return INT64_MAX;
        case 5: return 0.5;
        case 6: return int64_t{100000};
        case 7: return strings[rng() % (sizeof strings / sizeof *strings)];
        case 8: return std::string(300, 'n');
        case 9: return Json::array({3, 3});
        case 10: return Json::object();
        default: return true;
    }
}

inline size_t mutateJson(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
    std::mt19937 rng(seed);
    Json root = Json::parse(data, data + size, nullptr, false);
    if (root.is_discarded() || !root.is_structured() || rng() % 8 == 0) return LLVMFuzzerMutate(data, size, maxSize);
    std::vector<Json*> values;
    collect(root, values);
    Json& target = *values[rng() % values.size()];
    switch (rng() % 4) {
        case 0:  // drop an element
            if (target.is_array() && !target.empty())
                target.erase(target.begin() + static_cast<long>(rng() % target.size()));
            else if (target.is_object() && !target.empty()) {
                auto it = target.begin();
                std::advance(it, static_cast<long>(rng() % target.size()));
                target.erase(it);
            }
            break;
        case 1:  // duplicate an element (two nodes with one id, an edge twice)
            if (target.is_array() && !target.empty()) target.push_back(target[rng() % target.size()]);
            break;
        case 2:  // another node's value in this place (ids, kinds, ports)
            target = *values[rng() % values.size()];
            break;
        default: target = extremeValue(rng);
    }
    const std::string text = root.dump();
    if (text.size() > maxSize) return LLVMFuzzerMutate(data, size, maxSize);
    std::memcpy(data, text.data(), text.size());
    return text.size();
}

}  // namespace nw::fuzz
