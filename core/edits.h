// Changes to a Document as values that can be applied and reverted: the UI wraps each in one undo
// step, so undo logic is testable without a display.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "graph.h"

namespace nw {

class Edit {
public:
    virtual ~Edit() = default;
    virtual void apply(Document& doc) = 0;
    virtual void revert(Document& doc) = 0;
    virtual std::string text() const = 0;  // for the Edit menu: "Set conv1.out_channels = 12"
};

// Sets (or, with nullopt, clears back to the default) one attribute of a top-level node — a layer's
// attribute or a module instance's parameter.
class SetAttribute : public Edit {
public:
    SetAttribute(std::string node, std::string attr, std::optional<AttrValue> value)
        : node_(std::move(node)), attr_(std::move(attr)), value_(std::move(value)) {}
    void apply(Document& doc) override;
    void revert(Document& doc) override;
    std::string text() const override;

private:
    std::string node_, attr_;
    std::optional<AttrValue> value_, before_;
    void set(Document& doc, const std::optional<AttrValue>& v);
};

}  // namespace nw
