// Core edits without a display: apply and revert restore the document exactly; typed text becomes
// the value a file would hold.
#include <gtest/gtest.h>

#include "edits.h"
#include "helpers.h"

using namespace nw;
using namespace nw::test;

TEST(Edits, SetAttributeAppliesAndRevertsExactly) {
    Document doc = loadPreset("lenet5");
    const Document original = doc;
    SetAttribute widen("conv1", "out_channels", AttrValue{int64_t{12}});
    widen.apply(doc);
    EXPECT_EQ(std::get<int64_t>(doc.graph.find("conv1")->attrs.at("out_channels")), 12);
    EXPECT_EQ(analyzeDocument(doc).shape("pool1"), (Shape{1, 12, 14, 14}));
    widen.revert(doc);
    EXPECT_EQ(doc, original);
    // Clearing an attribute that was set, then reverting, puts it back.
    SetAttribute clear("conv1", "kernel_size", std::nullopt);
    clear.apply(doc);
    EXPECT_EQ(doc.graph.find("conv1")->attrs.count("kernel_size"), 0u);
    clear.revert(doc);
    EXPECT_EQ(doc, original);
    EXPECT_EQ(widen.text(), "Set conv1.out_channels = 12");
}

TEST(Edits, TypedTextBecomesTheStoredValue) {
    EXPECT_EQ(parseAttrText(" 12 "), AttrValue{int64_t{12}});
    EXPECT_EQ(parseAttrText("0.25"), AttrValue{0.25});
    EXPECT_EQ(parseAttrText("true"), AttrValue{true});
    EXPECT_EQ(parseAttrText("3, 5"), (AttrValue{std::vector<int64_t>{3, 5}}));
    EXPECT_EQ(parseAttrText("(1,1,2,2)"), (AttrValue{std::vector<int64_t>{1, 1, 2, 2}}));
    EXPECT_EQ(parseAttrText("same"), AttrValue{std::string("same")});
    EXPECT_EQ(parseAttrText("=planes * 4"), AttrValue{std::string("=planes * 4")});
    EXPECT_EQ(parseAttrText("3, x"), AttrValue{std::string("3, x")});
    // What formatAttrValue writes, parseAttrText reads back.
    for (const AttrValue& v :
         {AttrValue{int64_t{7}}, AttrValue{std::vector<int64_t>{2, 3}}, AttrValue{std::string("valid")}})
        EXPECT_EQ(parseAttrText(formatAttrValue(v)), v) << formatAttrValue(v);
}

TEST(Edits, AddRemoveAndConnectRevertExactly) {
    Document doc = loadPreset("lenet5");
    const Document original = doc;
    AddNode add(Node{.id = freshId(doc, "conv1"), .kind = "Conv2d"});
    EXPECT_EQ(freshId(doc, "conv1"), "conv12");
    EXPECT_EQ(freshId(doc, "dropout"), "dropout");
    add.apply(doc);
    AddEdge wire(Edge{.from = "input", .to = "conv12"});
    EXPECT_EQ(whyNotConnect(doc, "input", "conv12"), "");
    wire.apply(doc);
    EXPECT_EQ(analyzeDocument(doc).shape("conv12"), (Shape{1, 16, 30, 30}));
    RemoveNodes remove({"conv2", "conv12"});
    remove.apply(doc);
    EXPECT_EQ(doc.graph.find("conv2"), nullptr);
    for (const Edge& e : doc.graph.edges) EXPECT_TRUE(e.from != "conv2" && e.to != "conv2");
    remove.revert(doc);
    wire.revert(doc);
    add.revert(doc);
    EXPECT_EQ(doc, original);
}

TEST(Edits, RefusedConnectionsSayWhy) {
    Document doc = loadPreset("lenet5");
    EXPECT_EQ(whyNotConnect(doc, "fc3", "conv1"), "connecting fc3 → conv1 would make a cycle");
    EXPECT_EQ(whyNotConnect(doc, "conv1", "input"), "input (Input) takes no input");
    EXPECT_EQ(whyNotConnect(doc, "output", "fc1"), "output (Output) has no output");
    EXPECT_EQ(whyNotConnect(doc, "conv1", "relu1"), "conv1 already feeds relu1");
    EXPECT_EQ(whyNotConnect(doc, "conv1", "conv1"), "a node cannot feed itself");
    EXPECT_EQ(whyNotConnect(doc, "ghost", "conv1"), "no node 'ghost'");
}

TEST(Edits, SetPositionsMovesManyNodesInOneStep) {
    Document doc = loadPreset("lenet5");
    const Document original = doc;
    SetPositions move({{"conv1", Point{10, 20}}, {"fc1", Point{-5, 7}}, {"ghost", Point{1, 1}}}, "Move 2 nodes");
    move.apply(doc);
    EXPECT_EQ(*doc.graph.find("conv1")->pos, (Point{10, 20}));
    EXPECT_EQ(*doc.graph.find("fc1")->pos, (Point{-5, 7}));
    move.revert(doc);
    EXPECT_EQ(doc, original);
}

TEST(Edits, RemoveEdgesDisconnectsAndRevertRestoresTheOrder) {
    Document doc = loadPreset("lenet5");
    const Document original = doc;
    RemoveEdges cut({Edge{.from = "conv1", .to = "relu1"}, Edge{.from = "fc1", .to = "relu3"}});
    cut.apply(doc);
    EXPECT_EQ(doc.graph.edges.size(), original.graph.edges.size() - 2);
    const Analyzed a = analyzeDocument(doc);
    bool named = false;  // relu1's input is now unconnected: a diagnostic names it
    for (const Diagnostic& d : a.analysis.diagnostics) named |= d.node == "relu1" && d.severity == Severity::Error;
    EXPECT_TRUE(named) << a.allDiagnostics();
    EXPECT_EQ(cut.text(), "Disconnect 2 wires");
    cut.revert(doc);
    EXPECT_EQ(doc, original);
}

TEST(Edits, RenamingTheNetworkIsUndoable) {
    Document doc = loadPreset("lenet5");
    SetDocumentInfo rename("My LeNet", "mine now");
    rename.apply(doc);
    EXPECT_EQ(doc.name, "My LeNet");
    EXPECT_EQ(doc.description, "mine now");
    rename.revert(doc);
    EXPECT_TRUE(doc == loadPreset("lenet5"));
}
