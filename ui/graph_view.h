// The canvas: the document's top-level graph (module instances collapsed) as boxes and arrows. An
// item holds only its node id; label, colour and badge come from the core's analysis.
#pragma once
#include <QGraphicsView>
#include <QImage>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "analysis.h"
#include "graph.h"

namespace nw::ui {

// The size of a node's box in scene units (also what the layout is told).
constexpr double kNodeWidth = 180, kNodeHeight = 70;

// What the canvas shows for one top-level node, derived from the flattened analysis.
struct NodeFacts {
    std::string kind, category, shape;  // shape: output of the node (a module: of its last layer)
    std::string attrs;                  // its attributes that differ from the defaults, briefly
    std::string counts;                 // "75.3K params · 115.6M MACs" (a module instance: its own totals)
    bool inputs = true, outputs = true;  // whether it has input / output ports (from the kind's ports)
    int errors = 0, warnings = 0;
    std::string problems;  // the messages, for the tooltip
};

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);
    // Draws `doc` (positions from the document; the caller lays it out first when it has none).
    void show(const Document& doc, const std::map<std::string, NodeFacts>& facts);
    // Selects and centres the item of top-level node `id`; false if there is none.
    bool focusNode(const std::string& id);
    void selectNode(const std::string& id);  // without moving the view; empty clears
    std::string selectedNode() const;
    std::vector<std::string> selectedNodes() const;
    std::vector<Edge> selectedEdges() const;  // wires are selectable too (click one, then Delete)
    void selectEdge(const Edge& e);
    // Where a drag from `id`'s output port starts, in view coordinates (for tests and hints).
    QPoint outputPortAt(const std::string& id) const;
    int nodeCount() const { return static_cast<int>(items_.size()); }
    QGraphicsItem* item(const std::string& id) const;
    QString nodeText(const std::string& id) const;  // what node `id` says on the canvas, a line each
    void fit();
    // Wires labelled with the tensor shape they carry (View › Shapes on wires).
    void setWireLabels(bool on);
    bool wireLabels() const { return wireLabels_; }
    int wireLabelCount() const { return wireLabelCount_; }
    // While a wire is dragged, nodes it may connect to are outlined green; `whyNot` says why not
    // (empty = compatible). Set by the window from the core's rules.
    std::function<std::string(const std::string& from, const std::string& to)> whyNot;
    std::vector<std::string> highlightedTargets() const { return highlighted_; }
    // The whole drawing — every node and wire, not the viewport, without selection marks, minimap or
    // scroll bars — as SVG or as an image at `scale` (File › Export canvas); false if the file cannot
    // be written.
    bool exportSvg(const QString& path);
    QImage renderImage(double scale = 1.0) const;
    bool exportPng(const QString& path, double scale = 1.0) const;
    QWidget* minimap() const;
    // The MIME type of a layer kind dragged from the palette.
    static constexpr const char* kKindMime = "application/x-netwright-kind";

signals:
    // A wire was dragged from `from`'s output port and dropped on `to`.
    void connectRequested(const QString& from, const QString& to);
    // Nodes were dragged to new places (scene coordinates of their centres).
    void nodesMoved(const QStringList& ids, const QList<QPointF>& positions);
    void nodeActivated(const QString& id);  // double-clicked
    // A layer kind from the palette was dropped at `scenePos`.
    void kindDropped(const QString& kind, const QPointF& scenePos);
    // A right click: on node `node`, on wire `wire` (from → to), or on the empty canvas (both empty).
    void contextMenuRequested(const QString& node, const QStringList& wire, const QPointF& scenePos, const QPoint& globalPos);

protected:
    void wheelEvent(QWheelEvent* event) override;  // zoom to the cursor
    // Arrow keys walk the selection along the wires: Down to what it feeds, Up to what feeds it,
    // Left/Right to its neighbours fed by the same node.
    void keyPressEvent(QKeyEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;

private:
    Document shown_;  // what is drawn (redrawn when the wire labels are toggled)
    std::map<std::string, NodeFacts> facts_;
    bool wireLabels_ = true;
    int wireLabelCount_ = 0;
    std::vector<std::string> highlighted_;
    class Overview* minimap_ = nullptr;
    void placeMinimap();
    void highlightTargets(bool on);
    std::map<std::string, QGraphicsItem*> items_;
    std::string wireFrom_;               // while dragging a wire: its source node
    QGraphicsLineItem* wire_ = nullptr;  // the live preview
    std::string nodeAt(const QPoint& viewPos) const;
    std::map<std::string, QPointF> pressedAt_;
    std::optional<QPoint> panFrom_;  // while the middle button pans the view  // node positions when a press began, to detect a drag
};

}  // namespace nw::ui
