// The .netw loader and everything behind it (netw_checks.h) under JSON-aware mutations
// (json_mutator.h): well-formed files with one hostile value each reach the validator, the
// flattener and the formula evaluator instead of stopping at the parser.
#include <cstdint>

#include "json_mutator.h"
#include "netw_checks.h"

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
    return nw::fuzz::mutateJson(data, size, maxSize, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (auto doc = nw::fuzz::load({reinterpret_cast<const char*>(data), size})) nw::fuzz::checkDocument(*doc);
    return 0;
}
