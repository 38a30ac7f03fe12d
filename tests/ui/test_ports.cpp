// Port-level wires: every input its own named socket, wires drawn and made port to port, a wire's end
// moved to another input (a Concat's order follows), ports on the sides in a left-to-right layout.
#include <QFile>
#include <QGraphicsItem>
#include <QSignalSpy>
#include <QStatusBar>
#include <QUndoStack>
#include <QTemporaryDir>
#include <QTest>

#include "ui_test_support.h"

using namespace nw;
using namespace nw::ui;
using namespace nw::ui::test;

namespace {

// in → a (4 channels), b (6 channels) → cat → out; cat's wires carry no port names.
const char* kConcatNet = R"({"format": "netwright", "version": 1, "name": "ports",
  "nodes": [
    {"id": "in", "kind": "Input", "attrs": {"channels": 3, "height": 8, "width": 8}, "pos": [0, 0]},
    {"id": "a", "kind": "Conv2d", "attrs": {"out_channels": 4, "kernel_size": 1}, "pos": [-150, 150]},
    {"id": "b", "kind": "Conv2d", "attrs": {"out_channels": 6, "kernel_size": 1}, "pos": [150, 150]},
    {"id": "c", "kind": "Conv2d", "attrs": {"out_channels": 2, "kernel_size": 1}, "pos": [450, 150]},
    {"id": "cat", "kind": "Concat", "attrs": {"num_inputs": 3}, "pos": [0, 320]},
    {"id": "out", "kind": "Output", "pos": [0, 460]}],
  "edges": [{"from": "in", "to": "a"}, {"from": "in", "to": "b"}, {"from": "in", "to": "c"},
            {"from": "a", "to": "cat"}, {"from": "b", "to": "cat"}, {"from": "cat", "to": "out"}]})";

// Which node feeds input `port` of flat node `node`.
std::string feeding(const MainWindow& w, const std::string& node, size_t port) {
    const FlatNode& n = w.flat().nodes[static_cast<size_t>(w.flat().find(node))];
    const PortRef r = n.inputs.at(port);
    return r.node >= 0 ? w.flat().nodes[static_cast<size_t>(r.node)].name : "";
}

}  // namespace

class PortsTest : public QObject {
    Q_OBJECT
    QTemporaryDir home_;
    std::string file_;

private slots:
    void initTestCase() {
        isolate(home_);
        file_ = home_.filePath("ports.netw").toStdString();
        QFile f(QString::fromStdString(file_));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kConcatNet);
    }

    void everyInputHasItsOwnSocketAndWiresLandOnThem() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(file_, true), std::string());
        const QPoint in0 = w.canvas()->inputPortAt("cat", 0), in1 = w.canvas()->inputPortAt("cat", 1),
                     in2 = w.canvas()->inputPortAt("cat", 2);
        QVERIFY(in0.x() < in1.x() && in1.x() < in2.x());  // spread along the top, in order
        QCOMPARE(in0.y(), in2.y());
        QVERIFY(w.canvas()->inputPortAt("cat", 3).isNull());  // it has three
        QCOMPARE(w.session().factsOf("cat")->inputs, (std::vector<std::string>{"in0", "in1", "in2"}));
        // Dropping c's wire on in2's socket connects that port by name.
        drag(w.canvas(), w.canvas()->outputPortAt("c"), in2);
        const Edge& made = w.document().graph.edges.back();
        QCOMPARE(made.from, std::string("c"));
        QCOMPARE(made.toPort, std::string("in2"));
        QCOMPARE(made.fromPort, std::string());  // c has one output: no port name needed in the file
        QCOMPARE(feeding(w, "cat", 2), std::string("c"));
        QCOMPARE(w.analysis().errorCount(), size_t{0});
        QCOMPARE(w.canvas()->wireCount(), 7);
        // A second wire onto a taken socket is refused, saying who feeds it.
        const int steps = w.undoStack()->count();
        drag(w.canvas(), w.canvas()->outputPortAt("in"), in0);
        QCOMPARE(w.undoStack()->count(), steps);
        QVERIFY(w.statusBar()->currentMessage().contains("input in0 of cat is already fed by a"));
    }

    void aConcatsWireMovedToAnotherInputSwapsTheChannelOrder() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(file_, true), std::string());
        QCOMPARE(feeding(w, "cat", 0), std::string("a"));
        QCOMPARE(feeding(w, "cat", 1), std::string("b"));
        // Pick up the end of b's wire at in1 and drop it on in0: a and b swap.
        drag(w.canvas(), w.canvas()->inputPortAt("cat", 1), w.canvas()->inputPortAt("cat", 0));
        QCOMPARE(feeding(w, "cat", 0), std::string("b"));
        QCOMPARE(feeding(w, "cat", 1), std::string("a"));
        QCOMPARE(w.undoStack()->count(), 1);
        QCOMPARE(w.undoStack()->undoText(), QString("Swap cat.in1 and in0"));
        // The channels follow: b's six come first now (the executor concatenates in port order).
        int i = w.flat().find("cat");
        QCOMPARE(w.flat().nodes[static_cast<size_t>(i)].inputs[0].node, w.flat().find("b"));
        // Moving b's wire on to the free in2 leaves in0 empty, which the validator names.
        drag(w.canvas(), w.canvas()->inputPortAt("cat", 0), w.canvas()->inputPortAt("cat", 2));
        QCOMPARE(feeding(w, "cat", 2), std::string("b"));
        QCOMPARE(feeding(w, "cat", 0), std::string());
        QVERIFY(w.analysis().errorCount() > 0);
        w.undoStack()->undo();
        w.undoStack()->undo();
        QCOMPARE(feeding(w, "cat", 0), std::string("a"));
        QCOMPARE(feeding(w, "cat", 1), std::string("b"));
        // Dropped back where it was: nothing happens.
        drag(w.canvas(), w.canvas()->inputPortAt("cat", 0), w.canvas()->inputPortAt("cat", 0));
        QCOMPARE(w.undoStack()->index(), 0);
    }

    void leftToRightPutsPortsOnTheSides() {
        MainWindow w;
        w.show();
        QCOMPARE(w.openFile(file_, true), std::string());
        QVERIFY(!w.canvas()->leftToRight());
        QSignalSpy done(&w, &MainWindow::layoutFinished);
        w.autoLayout(true, false);
        QVERIFY(done.wait(10000));
        QVERIFY(w.canvas()->leftToRight());  // the session reads the flow from the positions
        for (const std::vector<nw::Point>& route : w.session().routes())
            QVERIFY(route.size() >= 4);  // Graphviz's, every wire
        const QPoint centre = w.canvas()->mapFromScene(w.canvas()->item("cat")->scenePos());
        const QPoint in0 = w.canvas()->inputPortAt("cat", 0), in1 = w.canvas()->inputPortAt("cat", 1);
        const QPoint out = w.canvas()->outputPortAt("cat");
        QVERIFY(in0.x() < centre.x() && out.x() > centre.x());
        QCOMPARE(in0.x(), in1.x());
        QVERIFY(in0.y() < in1.y());
        // Wiring works the same on the sides.
        drag(w.canvas(), w.canvas()->outputPortAt("c"), w.canvas()->inputPortAt("cat", 2));
        QCOMPARE(feeding(w, "cat", 2), std::string("c"));
    }
};

QTEST_MAIN(PortsTest)
#include "test_ports.moc"
