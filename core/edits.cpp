#include "edits.h"

#include "attr.h"

namespace nw {

void SetAttribute::set(Document& doc, const std::optional<AttrValue>& v) {
    Node* n = doc.graph.find(node_);
    if (!n) return;  // the node went away with an edit that was undone first; nothing to do
    if (v) n->attrs[attr_] = *v;
    else n->attrs.erase(attr_);
}

void SetAttribute::apply(Document& doc) {
    if (const Node* n = doc.graph.find(node_)) {
        auto it = n->attrs.find(attr_);
        before_ = it == n->attrs.end() ? std::nullopt : std::optional<AttrValue>(it->second);
    }
    set(doc, value_);
}

void SetAttribute::revert(Document& doc) { set(doc, before_); }

std::string SetAttribute::text() const {
    return "Set " + node_ + "." + attr_ + (value_ ? " = " + formatAttrValue(*value_) : " to its default");
}

}  // namespace nw
