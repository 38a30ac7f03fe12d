// The canvas drawn without a window: a network as the designer shows it, to PNG or SVG. Used by
// `netwright-cli render` (and tests); needs a QApplication (the offscreen platform will do).
#pragma once
#include <string>
#include <vector>

#include "graph.h"
#include "layout.h"

namespace nw::ui {

struct RenderOptions {
    std::vector<std::string> expand;  // module instances drawn as their layers (expandInstance), in order
    bool relayout = false;            // lay the graph out again, in `direction` (else only when unplaced)
    LayoutDirection direction = LayoutDirection::TopToBottom;
    double scale = 1.0;  // PNG pixels per scene unit (bounded, as File › Export canvas)
    bool dark = false;
};

// Writes `doc`'s canvas to `path` (.png or .svg by its extension); returns the error, or empty.
std::string renderNetwork(Document doc, const std::string& path, const RenderOptions& options);

}  // namespace nw::ui
