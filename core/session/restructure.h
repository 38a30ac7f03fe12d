// Structural changes to a document that touch many nodes, edges and module definitions at once:
// group a selection into a module, expand an instance back into layers, copy and paste, repeat.
// Each returns the new document (or why not); the UI applies it as one ReplaceDocument undo step.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "edits.h"
#include "graph.h"

namespace nw {

struct Restructured {
    std::optional<Document> doc;     // the changed document, or nullopt
    std::string error;               // why not, naming the node or module
    std::vector<std::string> nodes;  // the top-level nodes made (the instance, the expanded or pasted nodes)
};

// Moves top-level nodes `ids` into a new module `name` used once in their place. The module's inputs
// are the distinct sources of wires entering the selection ("in", "in2", …), its outputs the distinct
// selected ports wires leave from ("out", "out2", …). Refused for Input/Output nodes and for a
// selection a path leaves and re-enters (the instance would sit in a cycle). Grouping inside module
// `enclosing` (doc is its moduleView): parameters the selection's formulas use become parameters of
// the new module, passed through by the instance ("=planes").
Restructured groupIntoModule(const Document& doc, const std::vector<std::string>& ids, const std::string& name,
                             const ModuleDef* enclosing = nullptr);

// Replaces module instance `id` by its body's nodes, named `id.<node>` as the flattener names them
// (so weight names do not change): parameters and formulas evaluated, false conditions bypassed,
// wires reconnected through the module's ports. The body is laid out where the instance was.
// A repeated instance is split into its copies instead (splitRepeat); expanding one of those then
// expands its body.
Restructured expandInstance(const Document& doc, const std::string& id);
// Replaces an instance repeated N times by N instances in sequence, `id.0` … `id.N-1` as the
// flattener names the copies (weight names unchanged), copies 1 … N-1 with the repeat_attrs.
Restructured splitRepeat(const Document& doc, const std::string& id);

// Sets how many copies in sequence a module instance stands for (1 = a single instance).
Restructured setRepeat(const Document& doc, const std::string& id, int64_t copies);

// A document holding `ids`, the wires among them and the module definitions they use: what the
// clipboard carries (serialised as .netw).
Document copyNodes(const Document& doc, const std::vector<std::string>& ids);
// Adds the clip's nodes with fresh ids, moved by `offset`, and the modules they need (a module of the
// same name and a different definition is renamed).
Restructured pasteNodes(const Document& doc, const Document& clip, Point offset);

// `doc` as seen from inside module `name`: its graph is the module's body (the modules stay). Edits
// and restructurings written for the top-level graph then work inside a module unchanged.
Document moduleView(const Document& doc, const std::string& name);
// Puts a changed module view back: its graph becomes module `name`'s body, its modules the document's.
Document fromModuleView(const Document& doc, const std::string& name, const Document& view);

// An edit applied inside module `name`'s body (the inner edit sees the body as the graph). Every
// instance of the module changes with it.
class InModule : public Edit {
public:
    InModule(std::string name, std::unique_ptr<Edit> inner) : name_(std::move(name)), inner_(std::move(inner)) {}
    void apply(Document& doc) override {
        swapped(doc, [&] { inner_->apply(doc); });
    }
    void revert(Document& doc) override {
        swapped(doc, [&] { inner_->revert(doc); });
    }
    std::string text() const override { return inner_->text() + " in " + name_; }

private:
    std::string name_;
    std::unique_ptr<Edit> inner_;
    template <typename F>
    void swapped(Document& doc, F f) {
        for (ModuleDef& m : doc.modules)
            if (m.name == name_) {
                std::swap(doc.graph, m.body);
                f();
                std::swap(doc.graph, m.body);
                return;
            }
    }
};

// One undo step that swaps whole documents: exact for any structural change.
class ReplaceDocument : public Edit {
public:
    ReplaceDocument(Document after, std::string text) : after_(std::move(after)), text_(std::move(text)) {}
    void apply(Document& doc) override {
        before_ = std::move(doc);
        doc = after_;
    }
    void revert(Document& doc) override { doc = before_; }
    std::string text() const override { return text_; }

private:
    Document after_, before_;
    std::string text_;
};

}  // namespace nw
