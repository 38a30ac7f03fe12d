// The layer-kind registry: every kind the core knows, in palette order.
#pragma once
#include <string_view>
#include <vector>

#include "layer_kind.h"
#include "name_index.h"

namespace nw {

class Registry {
public:
    static const Registry& instance();
    const LayerKind* find(std::string_view name) const;
    const std::vector<LayerKind>& kinds() const { return kinds_; }

private:
    Registry();
    std::vector<LayerKind> kinds_;
    NameIndex byName_;  // views the kinds' names; kinds_ never changes after construction
};

}  // namespace nw
