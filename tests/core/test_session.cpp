// The design session: history, provenance-based facts, change events, module-scope wiring rules.
#include <gtest/gtest.h>

#include <algorithm>

#include "design_session.h"
#include "helpers.h"
#include "restructure.h"

using namespace nw;
using namespace nw::test;

namespace {

Document textDocument(const std::string& body) {
    LoadResult r = parseNetw(R"({"format": "netwright", "version": 1, "name": "t", )" + body + "}");
    if (!r.document) throw std::runtime_error("test document does not load");
    return std::move(*r.document);
}

// Input → a, b (two convolutions) → cat (Concat) → Output; wires into cat carry no port names.
Document concatNet() {
    return textDocument(R"("nodes": [
        {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 8, "width": 8}},
        {"id": "a", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 1}},
        {"id": "b", "kind": "Conv2d", "attrs": {"out_channels": 6, "kernel_size": 1}},
        {"id": "cat", "kind": "Concat"},
        {"id": "out", "kind": "Output"}],
      "edges": [{"from": "in", "to": "a"}, {"from": "in", "to": "b"}, {"from": "a", "to": "cat"},
                {"from": "b", "to": "cat"}, {"from": "cat", "to": "out"}])");
}

bool has(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

struct Recorder {
    std::vector<SessionChange> changes;
    void attach(DesignSession& s) {
        s.setListener([this](const SessionChange& c) { changes.push_back(c); });
    }
    SessionChange last() const { return changes.empty() ? SessionChange{} : changes.back(); }
};

}  // namespace

TEST(Session, HistoryAppliesUndoesRedoesAndKnowsWhenItIsClean) {
    DesignSession s(concatNet());
    EXPECT_FALSE(s.modified());
    s.apply(std::make_unique<SetAttribute>("a", "out_channels", AttrValue(int64_t{8})));
    EXPECT_TRUE(s.modified());
    EXPECT_EQ(s.undoText(), "Set a.out_channels = 8");
    EXPECT_EQ(s.factsOf("cat")->shape, "1×14×8×8");
    s.undo();
    EXPECT_FALSE(s.modified());
    EXPECT_EQ(s.factsOf("cat")->shape, "1×10×8×8");
    s.redo();
    s.markClean();
    EXPECT_FALSE(s.modified());
    s.undo();
    EXPECT_TRUE(s.modified());  // the file holds 8 channels now
    s.apply(std::make_unique<SetAttribute>("b", "out_channels", AttrValue(int64_t{2})));
    EXPECT_FALSE(s.canRedo());  // the undone edit is gone
    EXPECT_EQ(s.historySize(), 1u);
    EXPECT_TRUE(s.modified());  // and no position matches the file any more
    s.undo();
    EXPECT_TRUE(s.modified());
}

TEST(Session, ChangeEventsNameWhatChanged) {
    DesignSession s(concatNet());
    Recorder r;
    r.attach(s);
    s.apply(std::make_unique<SetAttribute>("a", "out_channels", AttrValue(int64_t{8})));
    ASSERT_EQ(r.changes.size(), 1u);
    SessionChange c = r.last();
    EXPECT_FALSE(c.everything);
    EXPECT_TRUE(has(c.updated, "a"));    // its attributes and shape
    EXPECT_TRUE(has(c.updated, "cat"));  // its output shape follows
    EXPECT_FALSE(has(c.updated, "b"));   // untouched
    EXPECT_FALSE(has(c.updated, "in"));
    EXPECT_TRUE(c.added.empty());
    EXPECT_FALSE(c.wires);
    EXPECT_FALSE(c.diagnostics);
    EXPECT_TRUE(c.network);  // a run's or a training's weights may no longer fit
    // The facts carry the numbers behind their texts: a's 1×1 conv from 3 to 8 channels.
    const NodeFacts* a = s.factsOf("a");
    ASSERT_TRUE(a && a->outputShape);
    EXPECT_EQ(*a->outputShape, (Shape{1, 8, 8, 8}));
    EXPECT_EQ(a->shape, formatShape(Shape{1, 8, 8, 8}));
    EXPECT_EQ(a->totals.params, 3 * 8 + 8);
    EXPECT_EQ(a->totals.macs, 3 * 8 * 8 * 8);
    EXPECT_EQ(*s.factsOf("cat")->outputShape, (Shape{1, 14, 8, 8}));
    // An edit that changes no number leaves the texts made before (and the change list) alone.
    s.apply(std::make_unique<SetAttribute>("a", "bias", AttrValue(true)));
    EXPECT_TRUE(has(r.last().updated, "a"));  // its attribute line
    EXPECT_FALSE(has(r.last().updated, "cat"));
    EXPECT_FALSE(r.last().network);  // bias was true already: the same computation

    s.apply(std::make_unique<RemoveNodes>(std::vector<std::string>{"b"}));
    c = r.last();
    EXPECT_EQ(c.removed, std::vector<std::string>{"b"});
    EXPECT_TRUE(c.wires);
    EXPECT_TRUE(c.diagnostics);  // cat's in1 is now unconnected
    s.undo();
    EXPECT_EQ(r.last().added, std::vector<std::string>{"b"});
    EXPECT_TRUE(r.last().network);

    s.apply(std::make_unique<SetPositions>(std::vector<std::pair<std::string, Point>>{{"b", Point{5, 5}}}, "Move b"));
    EXPECT_EQ(r.last().updated, std::vector<std::string>{"b"});
    EXPECT_FALSE(r.last().wires);
    EXPECT_FALSE(r.last().network);  // tidying the canvas does not stop a training run

    s.apply(std::make_unique<SetDocumentInfo>("renamed", "about"));
    EXPECT_TRUE(r.last().info);
    EXPECT_TRUE(r.last().updated.empty());
    EXPECT_FALSE(r.last().network);
    // Rewiring changes the computation even where every node stays: b's input now comes from a.
    s.apply(std::make_unique<ReplaceEdges>(std::vector<Edge>{Edge{.from = "in", .to = "b"}},
                                           std::vector<Edge>{Edge{.from = "a", .to = "b"}}, "Rewire b"));
    EXPECT_TRUE(r.last().network);

    const size_t count = r.changes.size();
    s.openModule("nope");
    EXPECT_EQ(r.changes.size(), count);  // nothing happened
}

TEST(Session, CanvasEdgesCarryThePortsTheFlattenerUses) {
    DesignSession s(concatNet());
    const NodeFacts* cat = s.factsOf("cat");
    ASSERT_TRUE(cat);
    EXPECT_EQ(cat->inputs, (std::vector<std::string>{"in0", "in1"}));
    EXPECT_EQ(cat->outputs, std::vector<std::string>{"out"});
    std::map<std::string, std::string> portOf;
    for (const Edge& e : s.canvas().edges)
        if (e.to == "cat") portOf[e.from] = e.toPort;
    EXPECT_EQ(portOf["a"], "in0");
    EXPECT_EQ(portOf["b"], "in1");
    // The drawn edge maps back to the document's edge as written.
    for (const Edge& e : s.canvas().edges)
        if (e.from == "a" && e.to == "cat") {
            EXPECT_EQ(s.shownEdge(e), (Edge{.from = "a", .to = "cat"}));
        }
    // An occupied port and a port the node does not have are refused; a free named port is fine.
    EXPECT_NE(s.whyNotConnect({.from = "in", .to = "cat", .toPort = "in0"}).find("already fed by a"),
              std::string::npos);
    EXPECT_NE(s.whyNotConnect({.from = "in", .to = "cat", .toPort = "in7"}).find("(inputs: in0, in1)"),
              std::string::npos);
    EXPECT_NE(s.whyNotConnect({.from = "in", .to = "cat"}).find("raise its num_inputs"), std::string::npos);
    s.apply(std::make_unique<SetAttribute>("cat", "num_inputs", AttrValue(int64_t{3})));
    EXPECT_EQ(s.whyNotConnect({.from = "in", .to = "cat", .toPort = "in2"}), "");
    EXPECT_NE(s.whyNotConnect({.from = "cat", .to = "a"}).find("would make a cycle"), std::string::npos);  // said first
    EXPECT_NE(s.whyNotConnect({.from = "b", .to = "a"}).find("every input of a is connected"), std::string::npos);
    s.apply(std::make_unique<RemoveEdges>(std::vector<Edge>{{.from = "in", .to = "a"}}));
    EXPECT_NE(s.whyNotConnect({.from = "cat", .to = "a"}).find("would make a cycle"), std::string::npos);
}

TEST(Session, InsideAModuleFactsComeFromTheFirstInstanceByProvenance) {
    DesignSession s(loadPreset("resnet50"));
    Recorder r;
    r.attach(s);
    ASSERT_EQ(s.openModule("Bottleneck"), "");
    EXPECT_TRUE(r.last().everything);
    EXPECT_FALSE(s.modified());  // opening a module changes nothing
    EXPECT_EQ(s.historySize(), 0u);
    // layer1.0 is the first instance: conv2 there is 64 → 64 channels on 56×56.
    EXPECT_EQ(s.factsOf("conv2")->shape, "1×64×56×56");
    EXPECT_EQ(s.factsOf("conv2")->counts, "36.9K params · 115.6M MACs");
    EXPECT_EQ(s.factsOf("add")->inputs, (std::vector<std::string>{"in0", "in1"}));
    // The module's ends are nodes of the canvas, with their own rules.
    EXPECT_TRUE(s.isModuleEnd("x"));
    EXPECT_TRUE(s.isModuleEnd("output:out"));
    EXPECT_EQ(s.factsOf("x")->outputs, std::vector<std::string>{"out"});
    EXPECT_NE(s.whyNotConnect({.from = "conv1", .to = "output:out"}).find("outputs are fixed"), std::string::npos);
    EXPECT_NE(s.whyNotConnect({.from = "conv1", .to = "x"}).find("takes no input"), std::string::npos);
    EXPECT_NE(s.whyNotConnect({.from = "output:out", .to = "conv1"}).find("feeds nothing"), std::string::npos);
    EXPECT_NE(s.whyNotConnect({.from = "x", .to = "conv1"}).find("already feeds"), std::string::npos);
    EXPECT_EQ(s.whyNotConnect({.from = "x", .to = "relu2", .toPort = ""}).find("already"), std::string::npos);
    // An edit inside the module changes its definition, and so every instance.
    s.apply(std::make_unique<SetAttribute>("conv2", "dilation", AttrValue(int64_t{1})));
    EXPECT_EQ(s.undoText(), "Set conv2.dilation = 1 in Bottleneck");
    EXPECT_EQ(s.document().findModule("Bottleneck")->body.find("conv2")->attrs.count("dilation"), 1u);
    EXPECT_TRUE(has(r.last().updated, "conv2"));
    s.closeModule();
    EXPECT_TRUE(r.last().everything);
    EXPECT_EQ(s.scope(), "");
    EXPECT_EQ(s.factsOf("layer1")->kind, "Bottleneck");
    // A layer's diagnostics land on the shown node it came from.
    Diagnostic d{Severity::Error, "layer3.4.conv2", "", "x"};
    EXPECT_EQ(s.shownNodeOf(d), "layer3");
    s.openModule("Bottleneck");
    EXPECT_EQ(s.shownNodeOf(d), "");  // layer3.4 is not the first instance
    EXPECT_EQ(s.shownNodeOf(Diagnostic{Severity::Error, "layer1.0.bn2", "", "x"}), "bn2");
}

TEST(Session, UndoingTheModuleAwayLeavesItsScope) {
    DesignSession s(loadPreset("resnet18"));
    ASSERT_EQ(s.openModule("BasicBlock"), "");  // lays its body out: positions, no edit
    EXPECT_EQ(s.historySize(), 0u);
    EXPECT_TRUE(s.document().findModule("BasicBlock")->body.nodes[0].pos);
    s.closeModule();
    const Document doc = s.document();
    Restructured r = expandInstance(doc, "layer1");
    ASSERT_TRUE(r.doc) << r.error;
    s.apply(std::make_unique<ReplaceDocument>(*r.doc, "Expand layer1"));
    s.openModule("BasicBlock");
    s.undo();
    EXPECT_EQ(s.scope(), "BasicBlock");  // it still exists: the other stages use it
    EXPECT_EQ(s.document(), doc);
}

// Routes from a layout are drawn while both ends of a wire stay where the layout put them.
TEST(Session, WiresFollowTheLayoutsRoutesUntilAnEndMoves) {
    Document doc = concatNet();
    LayoutResult laid = layoutDocument(doc, {}, 180, 70);
    DesignSession s(doc);
    Recorder r;
    r.attach(s);
    s.setRoutes(doc.graph, laid.routes);
    ASSERT_EQ(s.routes().size(), s.canvas().edges.size());
    for (size_t i = 0; i < doc.graph.edges.size(); ++i) EXPECT_EQ(s.routes()[i], laid.routes[i]) << i;
    EXPECT_TRUE(r.last().wires);  // the wires are redrawn along them
    s.apply(
        std::make_unique<SetPositions>(std::vector<std::pair<std::string, Point>>{{"b", Point{900, 900}}}, "Move b"));
    for (size_t i = 0; i < doc.graph.edges.size(); ++i) {
        const Edge& e = s.canvas().edges[i];
        EXPECT_EQ(s.routes()[i].empty(), e.from == "b" || e.to == "b") << e.from << " → " << e.to;
    }
    s.undo();  // back where the layout put it: the route again
    for (size_t i = 0; i < doc.graph.edges.size(); ++i) EXPECT_FALSE(s.routes()[i].empty());
}
