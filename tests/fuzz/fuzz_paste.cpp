// The clipboard paste path, as the window takes it (MainWindow::paste): any text → parseNetw →
// pasteNodes into a real network (ResNet-18, whose modules a clip may clash with) → the result
// flattens, analyses and round-trips (netw_checks.h). JSON-aware mutations (json_mutator.h).
#include <cstdint>

#include "json_mutator.h"
#include "netw_checks.h"
#include "restructure.h"

#ifndef NETWRIGHT_SOURCE_DIR
#error "NETWRIGHT_SOURCE_DIR must name the source tree (for the preset pasted into)"
#endif

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t maxSize, unsigned seed) {
    return nw::fuzz::mutateJson(data, size, maxSize, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const nw::Document target = *nw::loadNetw(NETWRIGHT_SOURCE_DIR "/presets/resnet18.netw").document;
    auto clip = nw::fuzz::load({reinterpret_cast<const char*>(data), size});
    if (!clip) return 0;
    nw::Restructured pasted = nw::pasteNodes(target, *clip, {40, 40});
    if (pasted.doc) nw::fuzz::checkDocument(*pasted.doc);
    else if (pasted.error.empty()) std::abort();  // a refused paste says why
    return 0;
}
