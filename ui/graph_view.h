// The canvas: the document's top-level graph (module instances collapsed) as boxes and arrows. An
// item holds only its node id; label, colour and badge come from the core's analysis.
#pragma once
#include <QGraphicsView>
#include <map>
#include <string>

#include "analysis.h"
#include "graph.h"

namespace nw::ui {

// What the canvas shows for one top-level node, derived from the flattened analysis.
struct NodeFacts {
    std::string kind, category, shape;  // shape: output of the node (a module: of its last layer)
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
    // Where a drag from `id`'s output port starts, in view coordinates (for tests and hints).
    QPoint outputPortAt(const std::string& id) const;
    int nodeCount() const { return static_cast<int>(items_.size()); }
    QGraphicsItem* item(const std::string& id) const;
    void fit();

signals:
    // A wire was dragged from `from`'s output port and dropped on `to`.
    void connectRequested(const QString& from, const QString& to);
    // Nodes were dragged to new places (scene coordinates of their centres).
    void nodesMoved(const QStringList& ids, const QList<QPointF>& positions);

protected:
    void wheelEvent(QWheelEvent* event) override;  // zoom to the cursor
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    std::map<std::string, QGraphicsItem*> items_;
    std::string wireFrom_;               // while dragging a wire: its source node
    QGraphicsLineItem* wire_ = nullptr;  // the live preview
    std::string nodeAt(const QPoint& viewPos) const;
    std::map<std::string, QPointF> pressedAt_;  // node positions when a press began, to detect a drag
};

}  // namespace nw::ui
