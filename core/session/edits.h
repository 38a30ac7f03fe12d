// Changes to a Document as values that can be applied and reverted: the UI wraps each in one undo
// step, so undo logic is testable without a display.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "diagnostic.h"
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

// Several edits as one step: applied in order, reverted in reverse.
class EditGroup : public Edit {
public:
    EditGroup(std::vector<std::unique_ptr<Edit>> edits, std::string text)
        : edits_(std::move(edits)), text_(std::move(text)) {}
    void apply(Document& doc) override {
        for (auto& e : edits_) e->apply(doc);
    }
    void revert(Document& doc) override {
        for (auto it = edits_.rbegin(); it != edits_.rend(); ++it) (*it)->revert(doc);
    }
    std::string text() const override { return text_; }

private:
    std::vector<std::unique_ptr<Edit>> edits_;
    std::string text_;
};

// Sets a top-level node's condition (`when`; empty: always there).
class SetCondition : public Edit {
public:
    SetCondition(std::string node, std::string when)
        : node_(std::move(node)),
          when_(std::move(when)),
          text_(when_.empty() ? "Always keep " + node_ : "Keep " + node_ + " when " + when_) {}
    void apply(Document& doc) override { swap(doc); }
    void revert(Document& doc) override { swap(doc); }
    std::string text() const override { return text_; }

private:
    std::string node_, when_, text_;  // when_ holds the other value while applied
    void swap(Document& doc) {
        if (Node* n = doc.graph.find(node_)) std::swap(n->when, when_);
    }
};

// Adds a top-level node (a layer or a module instance).
class AddNode : public Edit {
public:
    explicit AddNode(Node node) : node_(std::move(node)) {}
    void apply(Document& doc) override { doc.graph.nodes.push_back(node_); }
    void revert(Document& doc) override;
    std::string text() const override { return "Add " + node_.id; }

private:
    Node node_;
};

// Removes top-level nodes and every edge that touches them; revert puts all back where they were.
class RemoveNodes : public Edit {
public:
    explicit RemoveNodes(std::vector<std::string> ids) : ids_(std::move(ids)) {}
    void apply(Document& doc) override;
    void revert(Document& doc) override;
    std::string text() const override;

private:
    std::vector<std::string> ids_;
    std::vector<std::pair<size_t, Node>> nodes_;  // removed, with their former positions
    std::vector<std::pair<size_t, Edge>> edges_;
};

// Connects two top-level nodes.
class AddEdge : public Edit {
public:
    explicit AddEdge(Edge edge) : edge_(std::move(edge)) {}
    void apply(Document& doc) override { doc.graph.edges.push_back(edge_); }
    void revert(Document& doc) override;
    std::string text() const override { return "Connect " + edge_.from + " → " + edge_.to; }

private:
    Edge edge_;
};

// Disconnects wires; revert puts them back where they were.
class RemoveEdges : public Edit {
public:
    explicit RemoveEdges(std::vector<Edge> edges) : edges_(std::move(edges)) {}
    void apply(Document& doc) override;
    void revert(Document& doc) override;
    std::string text() const override;

private:
    std::vector<Edge> edges_;
    std::vector<std::pair<size_t, Edge>> removed_;
};

// Replaces edges by others in place (their order in the file kept): a wire's end moved to another
// input, two inputs swapped. `before[i]` becomes `after[i]`.
class ReplaceEdges : public Edit {
public:
    ReplaceEdges(std::vector<Edge> before, std::vector<Edge> after, std::string text)
        : before_(std::move(before)), after_(std::move(after)), text_(std::move(text)) {}
    void apply(Document& doc) override { replace(doc, before_, after_); }
    void revert(Document& doc) override { replace(doc, after_, before_); }
    std::string text() const override { return text_; }

private:
    std::vector<Edge> before_, after_;
    std::string text_;
    static void replace(Document& doc, const std::vector<Edge>& from, const std::vector<Edge>& to);
};

// Moves top-level nodes (a drag, an auto-layout): one step however many nodes move.
class SetPositions : public Edit {
public:
    SetPositions(std::vector<std::pair<std::string, Point>> positions, std::string text)
        : positions_(std::move(positions)), text_(std::move(text)) {}
    void apply(Document& doc) override;
    void revert(Document& doc) override;
    std::string text() const override { return text_; }

private:
    std::vector<std::pair<std::string, Point>> positions_;
    std::vector<std::pair<std::string, std::optional<Point>>> before_;
    std::string text_;
};

// Renames the network and sets its description (the inspector on the empty canvas).
class SetDocumentInfo : public Edit {
public:
    SetDocumentInfo(std::string name, std::string description)
        : name_(std::move(name)), description_(std::move(description)) {}
    void apply(Document& doc) override {
        before_ = {doc.name, doc.description};
        doc.name = name_;
        doc.description = description_;
    }
    void revert(Document& doc) override { std::tie(doc.name, doc.description) = before_; }
    std::string text() const override { return "Rename the network " + name_; }

private:
    std::string name_, description_;
    std::pair<std::string, std::string> before_;
};

// Why `from` → `to` cannot be wired in `doc` (unknown node, no inputs, the same node, already
// connected, or a cycle), or empty when it can.
std::string whyNotConnect(const Document& doc, const std::string& from, const std::string& to);

struct FlatGraph;
// The edit that applies diagnostic `d`'s fix (in_features = 1408; a projection inserted before an
// input) to `doc`, whose flattening `flat` reported it; null when it has none, or when the node is inside a module instance (its body is
// shared: the fix would change every instance, which the person should decide in the module).
std::unique_ptr<Edit> fixEdit(const Document& doc, const FlatGraph& flat, const Diagnostic& d);

// An id not used by any top-level node: `base`, else base2, base3, …
std::string freshId(const Document& doc, const std::string& base);

}  // namespace nw
