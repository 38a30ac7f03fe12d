// libFuzzer target for the ONNX importer: any bytes give a document (whose analysis then runs) or
// errors, never a crash, a hang or unbounded memory. Seeded from libonnx-testdata's models.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "analysis.h"
#include "flatten.h"
#include "onnx_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    nw::Imported r = nw::parseOnnx(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx");
    if (r.document.has_value() == !r.errors.empty()) std::abort();  // a document, or why not
    if (r.document) {
        nw::Analysis a = nw::analyze(nw::flatten(*r.document));
        if (a.errorCount() > 0) std::abort();  // the importer checks its own translation
    }
    return 0;
}
