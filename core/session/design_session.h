// A design session: the document a person edits, its undo history, its flat graph and analysis, the
// module open for editing, and what the canvas should draw. Front ends (the window, the CLI, tests)
// are its clients: they apply edits and listen to the changes, and never re-derive what it knows.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <set>
#include <unordered_map>
#include <vector>

#include "analysis.h"
#include "edits.h"
#include "graph.h"
#include "layout.h"

namespace nw {

// What the canvas shows for one node of the shown graph, from the flattened analysis.
struct NodeFacts {
    std::string kind, category, shape;  // shape: output of the node (a module: of its last layer)
    uint32_t color = kModuleColor;      // 0xRRGGBB: its kind's (kindColor)
    std::string attrs;                  // the attributes the person set, briefly
    std::string counts;                 // "75.3K params · 115.6M MACs" (a module instance: its own totals)
    std::vector<std::string> inputs;    // its input port names (a Concat: in0 … in{n-1}; a module: its inputs)
    std::vector<std::string> outputs;   // its output port names
    int errors = 0, warnings = 0;
    std::string problems;              // the messages, for the tooltip
    Counts totals;                     // what `counts` reads, as numbers
    std::optional<Shape> outputShape;  // what `shape` reads, when known
    bool operator==(const NodeFacts&) const = default;
};

// What an edit, undo or redo changed, in terms of the shown graph's node ids.
struct SessionChange {
    bool everything = false;           // another document or module scope: redraw it all
    std::vector<std::string> added;    // nodes now shown that were not
    std::vector<std::string> removed;  // nodes no longer shown
    std::vector<std::string> updated;  // nodes whose facts, attributes, position, repeat or condition changed
    bool wires = false;                // the shown edges changed
    bool diagnostics = false;          // the list of problems changed
    bool info = false;                 // the network's name or description changed
    // What the network computes changed (FlatGraph::computesAs): a layer, an attribute or a wire, not
    // a position, a route, the name or the module scope shown. A run or a training stops being current.
    bool network = false;
    bool empty() const {
        return !everything && added.empty() && removed.empty() && updated.empty() && !wires && !diagnostics && !info &&
               !network;
    }
};

class DesignSession {
public:
    // The id prefix of a module's outputs drawn as end nodes while the module is open ("output:out").
    static constexpr const char* kOutputPrefix = "output:";

    explicit DesignSession(Document doc = {});
    using Listener = std::function<void(const SessionChange&)>;
    void setListener(Listener listener) { listener_ = std::move(listener); }

    // A new document: the history is cleared and the session is clean.
    void reset(Document doc);
    const Document& document() const { return doc_; }

    // History. An edit applies to the open module's body when one is open (every instance changes),
    // unless it is written for the whole document (ReplaceDocument of a restructuring).
    void apply(std::unique_ptr<Edit> edit, bool wholeDocument = false);
    bool canUndo() const { return position_ > 0; }
    bool canRedo() const { return position_ < history_.size(); }
    void undo();
    void redo();
    size_t historySize() const { return history_.size(); }
    size_t position() const { return position_; }  // edits applied (the rest can be redone)
    std::string undoText() const { return canUndo() ? history_[position_ - 1]->text() : ""; }
    std::string redoText() const { return canRedo() ? history_[position_]->text() : ""; }
    void markClean() { clean_ = static_cast<long>(position_); }
    bool modified() const { return clean_ != static_cast<long>(position_); }

    const FlatGraph& flat() const { return flat_; }
    const Analysis& analysis() const { return analysis_; }

    // Module editing. Opening or closing changes nothing in the history; a body without positions
    // (as presets ship) is laid out for boxes of `nodeSize` when first opened, which fills in what
    // the file left out and is no edit.
    std::string openModule(const std::string& name);  // the error, or empty
    Point nodeSize{180, 70};
    void closeModule();
    const std::string& scope() const { return scope_; }
    // The document as the scope sees it: the document, or moduleView(document, scope).
    const Document& shown() const { return scope_.empty() ? doc_ : scoped_; }
    // What the canvas draws: the shown graph, in a module with its inputs and outputs as end nodes
    // wired to the body, every edge's ports filled in (the port an unnamed edge lands on).
    const Graph& canvas() const { return canvas_; }
    // Wire routes around the nodes from an auto-layout (LayoutResult::routes of `laidOut`'s edges, in
    // the shown scope): a wire follows its route while both its ends stay where that layout put them.
    void setRoutes(const Graph& laidOut, const std::vector<std::vector<Point>>& routes);
    // Parallel to canvas().edges: each wire's route (cubic Bézier points), or empty.
    const std::vector<std::vector<Point>>& routes() const { return canvasRoutes_; }
    // Which way the canvas flows (flowDirection): ports on top and bottom, or on the left and right.
    LayoutDirection direction() const { return direction_; }
    const std::map<std::string, NodeFacts>& facts() const { return facts_; }
    const NodeFacts* factsOf(const std::string& id) const;
    bool isModuleEnd(const std::string& id) const { return ends_.count(id) > 0; }

    // Why an edge from `from` to `to` cannot be drawn in the shown graph (module end nodes included),
    // or empty. Empty ports mean the first output and the next free input.
    std::string whyNotConnect(const Edge& edge) const;
    // The edit that moves the end of canvas wire `drawn` to input `toPort` of `to` (empty: its next
    // free input); a wire already there takes `drawn`'s old place on the same node (so a Concat's
    // inputs swap). The inputs of the nodes involved are pinned to the ports they are drawn on, so
    // no other wire moves. Null with `why` set when it cannot be done.
    std::unique_ptr<Edit> rewireEdit(const Edge& drawn, const std::string& to, const std::string& toPort,
                                     std::string& why) const;
    // The edge of the shown graph (as written, ports possibly empty) that canvas edge `drawn` draws;
    // nullopt for the wires to a module's output ends and for edges not on the canvas.
    std::optional<Edge> shownEdge(const Edge& drawn) const;
    // The shown node flat layer `index` belongs to: its top-level node, or inside a module the body
    // node it came from in the module's first instance; empty when none.
    std::string shownNodeOf(int index) const;
    // The shown node a diagnostic is about (its layer's shown node, or the node it names).
    std::string shownNodeOf(const Diagnostic& d) const;
    // The edit that applies diagnostic `d`'s fix, or null (see fixEdit); inside a module, none.
    std::unique_ptr<Edit> fixFor(const Diagnostic& d) const;

private:
    Document doc_, scoped_;
    std::string scope_;
    int scopeInstance_ = -1;  // the first instance of the open module in the flat graph
    std::vector<std::unique_ptr<Edit>> history_;
    size_t position_ = 0;
    long clean_ = 0;  // the position that matches the file; -1 when none does
    FlatGraph flat_;
    Analysis analysis_;
    Graph canvas_;
    struct Route {
        std::string scope;
        Edge edge;       // as written
        Point from, to;  // where its ends were
        std::vector<Point> points;
    };
    // The layout's routes by scope and edge (routeKey), kept from one layout to the next: each edit
    // looks its edges up instead of rebuilding an index.
    std::unordered_map<std::string, Route> routes_;
    static std::string routeKey(const std::string& scope, const Edge& e);
    std::vector<std::vector<Point>> canvasRoutes_;
    LayoutDirection direction_ = LayoutDirection::TopToBottom;
    std::map<std::string, NodeFacts> facts_;
    std::map<std::string, int> ends_;  // module end nodes shown while a module is open
    // A node's kind, ports and attribute text depend only on the node and the modules: kept in facts_
    // from the last derive while neither changed (resolving 500 nodes' attributes, and copying their
    // facts, would cost an edit a millisecond). described_ holds the node they were made from.
    std::unordered_map<std::string, Node> described_;
    std::set<std::string, std::less<>> factsChanged_;  // ids whose facts the last gatherFacts changed
    std::vector<ModuleDef> describedModules_;
    std::string describedScope_;
    Listener listener_;

    void derive(bool everything);  // flattens, analyses and redraws; tells the listener what changed
    void drawCanvas();
    void gatherFacts();
};

}  // namespace nw
