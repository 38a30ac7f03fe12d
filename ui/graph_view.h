// The canvas: the document's top-level graph (module instances collapsed) as boxes and arrows. An
// item holds only its node id; label, colour and badge come from the core's analysis.
#pragma once
#include <QGraphicsView>
#include <QImage>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "design_session.h"
#include "graph.h"

namespace nw::ui {

// The size of a node's box in scene units (also what the layout is told).
constexpr double kNodeWidth = 180, kNodeHeight = 70;

class NodeItem;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(QWidget* parent = nullptr);
    // Draws `graph` (kept by reference until the next show or update: the session's canvas: positions set, every edge's ports filled in) with its
    // facts; `leftToRight` puts the ports on the sides. `title` names the SVG export.
    void show(const Graph& graph, const std::map<std::string, NodeFacts>& facts, const std::string& title,
              bool leftToRight);
    // Wire routes parallel to the graph's edges (cubic Bézier points, the session's routes()): a wire
    // with one runs along it around the nodes. Kept by reference, as the graph.
    void setRoutes(const std::vector<std::vector<Point>>* routes) { routes_ = routes; }
    // Redraws only what `change` names (and the wires of those nodes), keeping the rest.
    void update(const Graph& graph, const std::map<std::string, NodeFacts>& facts, const SessionChange& change);
    // Selects and centres the item of top-level node `id`; false if there is none.
    bool focusNode(const std::string& id);
    void selectNode(const std::string& id);  // without moving the view; empty clears
    std::string selectedNode() const;
    std::vector<std::string> selectedNodes() const;
    std::vector<Edge> selectedEdges() const;  // wires are selectable too (click one, then Delete)
    void selectEdge(const Edge& e);
    // Where output port `port` / input port `port` of node `id` is, in view coordinates (for tests).
    QPoint outputPortAt(const std::string& id, int port = 0) const;
    QPoint inputPortAt(const std::string& id, int port = 0) const;
    bool leftToRight() const { return leftToRight_; }
    int nodeCount() const { return static_cast<int>(items_.size()); }
    QGraphicsItem* item(const std::string& id) const;
    QString nodeText(const std::string& id) const;  // what node `id` says on the canvas, a line each
    void fit();
    // Wires labelled with the tensor shape they carry (View › Shapes on wires).
    void setWireLabels(bool on);
    bool wireLabels() const { return wireLabels_; }
    int wireLabelCount() const;
    int wireCount() const { return static_cast<int>(wires_.size()); }
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
    // A wire was dragged from `from`'s output `fromPort` and dropped on `to` — on its input socket
    // `toPort`, or on the node (empty: its next free input).
    void connectRequested(const QString& from, const QString& fromPort, const QString& to, const QString& toPort);
    // The end of wire `edge` (from, fromPort, to, toPort) was dragged off its input socket and dropped
    // on input `toPort` of `to`.
    void rewireRequested(const QStringList& edge, const QString& to, const QString& toPort);
    // Nodes were dragged to new places (scene coordinates of their centres).
    void nodesMoved(const QStringList& ids, const QList<QPointF>& positions);
    void nodeActivated(const QString& id);  // double-clicked
    // A layer kind from the palette was dropped at `scenePos`.
    void kindDropped(const QString& kind, const QPointF& scenePos);
    // A network file (.netw, or a format an importer reads) was dropped on the canvas.
    void fileDropped(const QString& path);
    // A right click: on node `node`, on wire `wire` (from → to), or on the empty canvas (both empty).
    void contextMenuRequested(const QString& node, const QStringList& wire, const QPointF& scenePos,
                              const QPoint& globalPos);

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
    // What is drawn: the caller's (the session's canvas and facts), which outlive the drawing and are
    // passed again with every change; not copied, as 500 nodes' facts would cost an edit milliseconds.
    const Graph* shown_;
    const std::map<std::string, NodeFacts>* facts_;
    const std::vector<std::vector<Point>>* routes_ = nullptr;
    std::string title_;
    bool leftToRight_ = false;
    bool wireLabels_ = true;
    std::vector<QGraphicsItem*> wires_;
    NodeItem* makeNode(const Node& n);
    QGraphicsItem* makeWire(const Edge& e, size_t index);
    void updateBounds();
    std::vector<std::string> highlighted_;
    class Overview* minimap_ = nullptr;
    void placeMinimap();
    void highlightTargets(bool on);
    std::map<std::string, NodeItem*> items_;
    std::string wireFrom_, wireFromPort_;  // while dragging a wire: its source node and port
    QStringList rewiring_;                 // while dragging a wire's end off an input: that wire
    QGraphicsLineItem* wire_ = nullptr;    // the live preview
    std::string nodeAt(const QPoint& viewPos) const;
    std::map<std::string, QPointF> pressedAt_;
    std::optional<QPoint>
        panFrom_;  // while the middle button pans the view  // node positions when a press began, to detect a drag
};

}  // namespace nw::ui
