// libFuzzer target for the .netw loader and everything behind it (netw_checks.h), with byte-level
// mutations: malformed JSON, truncation, deep nesting, odd encodings.
#include <cstdint>

#include "netw_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (auto doc = nw::fuzz::load({reinterpret_cast<const char*>(data), size})) nw::fuzz::checkDocument(*doc);
    return 0;
}
