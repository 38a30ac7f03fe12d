#include "graph_view.h"

#include <QDragEnterEvent>
#include <QGraphicsLineItem>
#include <QMimeData>
#include <QScrollBar>
#include <QSvgGenerator>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QPainterPath>
#include <QWheelEvent>
#include <cmath>

namespace nw::ui {

namespace {

constexpr double kWidth = kNodeWidth, kHeight = kNodeHeight;
constexpr int kEdgeRole = 3;  // a wire's edge: from, fromPort, to, toPort
constexpr int kIdRole = 0;           // QGraphicsItem::data key holding the node id
constexpr int kPenRole = 1;          // ... the box's own outline, restored after highlighting

QColor categoryColor(const std::string& category) {
    static const std::map<std::string, QColor> colors{
        {"Input/Output", QColor(0xe8, 0xe8, 0xe8)}, {"Convolution", QColor(0xcf, 0xe2, 0xf3)},
        {"Pooling", QColor(0xd9, 0xea, 0xd3)},      {"Normalization", QColor(0xff, 0xf2, 0xcc)},
        {"Activation", QColor(0xfc, 0xe5, 0xcd)},   {"Regularization", QColor(0xea, 0xd1, 0xdc)},
        {"Dense", QColor(0xd9, 0xd2, 0xe9)},        {"Reshape", QColor(0xd0, 0xe0, 0xe3)},
        {"Module", QColor(0xc9, 0xda, 0xf8)}};
    auto it = colors.find(category);
    return it == colors.end() ? QColor(0xf3, 0xf3, 0xf3) : it->second;
}

// A wire: easy to click (an 8-unit-wide hit area around the curve), highlighted when selected.
class WireItem : public QGraphicsPathItem {
public:
    WireItem(const QPainterPath& path, const QPen& pen) : QGraphicsPathItem(path) { setPen(pen); }
    QPainterPath shape() const override {
        QPainterPathStroker stroker;
        stroker.setWidth(8);
        return stroker.createStroke(path());
    }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) override {
        QPen p = pen();
        if (isSelected()) p = QPen(QColor(0x22, 0x66, 0xcc), 2.5);
        painter->setPen(p);
        painter->drawPath(path());
    }
};

// The overview: the same scene, fitted, with the main view's visible area outlined on top.
class Minimap : public QGraphicsView {
public:
    Minimap(QGraphicsScene* scene, QGraphicsView* main) : QGraphicsView(scene, main), main_(main) {}

protected:
    void drawForeground(QPainter* painter, const QRectF&) override {
        painter->setPen(QPen(QColor(0x22, 0x66, 0xcc), 0));
        painter->setBrush(QColor(0x22, 0x66, 0xcc, 40));
        painter->drawRect(main_->mapToScene(main_->viewport()->rect()).boundingRect());
    }

private:
    QGraphicsView* main_;
};

}  // namespace

GraphView::GraphView(QWidget* parent) : QGraphicsView(parent) {
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setBackgroundBrush(palette().color(QPalette::Base));
    setAcceptDrops(true);
    // The minimap: the same scene, fitted into a corner; a click there centres the main view.
    minimap_ = new Minimap(scene(), this);
    minimap_->setObjectName("minimap");
    minimap_->setInteractive(false);
    minimap_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    minimap_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    minimap_->setFrameShape(QFrame::Box);
    minimap_->setRenderHint(QPainter::Antialiasing);
    minimap_->viewport()->installEventFilter(this);
    minimap_->setToolTip(tr("Overview: click to go there"));
    placeMinimap();
}

bool GraphView::eventFilter(QObject* watched, QEvent* event) {
    if (watched == minimap_->viewport() && (event->type() == QEvent::MouseButtonPress || event->type() == QEvent::MouseMove)) {
        auto* mouse = static_cast<QMouseEvent*>(event);
        if (mouse->buttons() & Qt::LeftButton) centerOn(minimap_->mapToScene(mouse->position().toPoint()));
        return true;
    }
    return QGraphicsView::eventFilter(watched, event);
}

void GraphView::placeMinimap() {
    const int w = std::min(220, viewport()->width() / 4), h = std::min(160, viewport()->height() / 3);
    minimap_->setGeometry(viewport()->width() - w - 8, viewport()->height() - h - 8, w, h);
    minimap_->fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
    minimap_->viewport()->update();
}

void GraphView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    placeMinimap();
}

void GraphView::scrollContentsBy(int dx, int dy) {
    QGraphicsView::scrollContentsBy(dx, dy);
    minimap_->viewport()->update();
}

void GraphView::show(const Document& doc, const std::map<std::string, NodeFacts>& facts) {
    shown_ = doc;
    facts_ = facts;
    scene()->clear();
    items_.clear();
    highlighted_.clear();
    wireLabelCount_ = 0;
    const QColor ink = palette().color(QPalette::Text);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (const Node& n : doc.graph.nodes) {
        const Point c = n.pos.value_or(Point{});
        auto* box = new QGraphicsRectItem(-kWidth / 2, -kHeight / 2, kWidth, kHeight);
        box->setPos(c.x, c.y);
        box->setFlags(QGraphicsItem::ItemIsSelectable | QGraphicsItem::ItemIsMovable);
        box->setData(kIdRole, QString::fromStdString(n.id));
        auto f = facts.find(n.id);
        const NodeFacts info = f == facts.end() ? NodeFacts{} : f->second;
        box->setBrush(categoryColor(info.category));
        QPen pen(info.errors ? QColor(0xcc, 0x22, 0x22) : info.warnings ? QColor(0xe0, 0x9a, 0x00) : QColor(0x55, 0x55, 0x55));
        box->setData(kPenRole, pen);
        pen.setWidthF(info.errors || info.warnings ? 2.5 : 1.0);
        box->setPen(pen);
        if (!info.problems.empty()) box->setToolTip(QString::fromStdString(info.problems));
        auto* title = new QGraphicsSimpleTextItem(QString::fromStdString(n.id), box);
        QFont bold = font();
        bold.setBold(true);
        title->setFont(bold);
        title->setPos(-kWidth / 2 + 6, -kHeight / 2 + 4);
        // Kind (and key attributes), output shape, and what the node costs.
        const QFontMetrics metrics(small);
        const QString kindLine = metrics.elidedText(
            QString::fromStdString(info.kind + (n.repeat ? " ×" + std::to_string(n.repeat) : "") +
                                   (info.attrs.empty() ? "" : " · " + info.attrs)),
            Qt::ElideRight, static_cast<int>(kWidth - 12));
        auto* detail = new QGraphicsSimpleTextItem(
            kindLine + "\n" + QString::fromStdString(info.shape) +
                (info.counts.empty() ? QString() : "\n" + metrics.elidedText(QString::fromStdString(info.counts), Qt::ElideRight,
                                                                            static_cast<int>(kWidth - 12))),
            box);
        detail->setFont(small);
        detail->setPos(-kWidth / 2 + 6, -kHeight / 2 + 21);
        if (info.errors || info.warnings) {  // a badge in the corner: how many problems
            auto* badge = new QGraphicsEllipseItem(kWidth / 2 - 18, -kHeight / 2 - 8, 22, 22, box);
            badge->setBrush(info.errors ? QColor(0xcc, 0x22, 0x22) : QColor(0xe0, 0x9a, 0x00));
            badge->setPen(Qt::NoPen);
            auto* count = new QGraphicsSimpleTextItem(QString::number(info.errors + info.warnings), badge);
            count->setBrush(Qt::white);
            count->setPos(kWidth / 2 - 11, -kHeight / 2 - 5);
        }
        // Ports: an input on top (if the kind takes any), the output below — drag from it to wire.
        const bool isInput = info.kind == "Input", isOutput = info.kind == "Output";
        if (!isInput) (new QGraphicsEllipseItem(-5, -kHeight / 2 - 5, 10, 10, box))->setBrush(Qt::white);  // a socket
        if (!isOutput) {
            auto* port = new QGraphicsEllipseItem(-6, kHeight / 2 - 6, 12, 12, box);
            port->setBrush(QColor(0x55, 0x55, 0x55));
            port->setToolTip(tr("Drag to another node to connect"));
        }
        scene()->addItem(box);
        items_[n.id] = box;
    }
    for (const Edge& e : doc.graph.edges) {
        auto from = items_.find(e.from), to = items_.find(e.to);
        if (from == items_.end() || to == items_.end()) continue;
        QPointF a = from->second->pos() + QPointF(0, kHeight / 2), b = to->second->pos() - QPointF(0, kHeight / 2);
        QPainterPath path(a);
        const double bend = std::max(20.0, std::abs(b.y() - a.y()) / 2);
        path.cubicTo(a + QPointF(0, bend), b - QPointF(0, bend), b);
        auto* wire = new WireItem(path, QPen(ink.lighter(150), 1.3));
        scene()->addItem(wire);
        wire->setZValue(-1);
        wire->setFlag(QGraphicsItem::ItemIsSelectable);
        wire->setData(kEdgeRole, QStringList{QString::fromStdString(e.from), QString::fromStdString(e.fromPort),
                                             QString::fromStdString(e.to), QString::fromStdString(e.toPort)});
        wire->setToolTip(tr("%1 → %2: click and press Delete to disconnect")
                             .arg(QString::fromStdString(e.from), QString::fromStdString(e.to)));
        auto shape = facts.find(e.from);
        if (wireLabels_ && shape != facts.end() && !shape->second.shape.empty()) {
            auto* label = scene()->addSimpleText(QString::fromStdString(shape->second.shape), small);
            label->setBrush(ink.lighter(130));
            label->setPos(path.pointAtPercent(0.5) + QPointF(6, -label->boundingRect().height() / 2));
            label->setZValue(-1);
            ++wireLabelCount_;
        }
        // Arrow head at the target.
        QPolygonF head;
        head << b << b + QPointF(-5, -9) << b + QPointF(5, -9);
        scene()->addPolygon(head, QPen(Qt::NoPen), ink.lighter(150))->setZValue(-1);
    }
    scene()->setSceneRect(scene()->itemsBoundingRect().adjusted(-40, -40, 40, 40));
    placeMinimap();
}

void GraphView::setWireLabels(bool on) {
    wireLabels_ = on;
    const std::vector<std::string> selected = selectedNodes();
    show(Document(shown_), std::map<std::string, NodeFacts>(facts_));
    for (const std::string& id : selected)
        if (QGraphicsItem* it = item(id)) it->setSelected(true);
}

void GraphView::highlightTargets(bool on) {
    for (const std::string& id : highlighted_)
        if (auto* box = dynamic_cast<QGraphicsRectItem*>(item(id))) box->setPen(box->data(kPenRole).value<QPen>());
    highlighted_.clear();
    if (!on || !whyNot) return;
    for (const auto& [id, it] : items_)
        if (id != wireFrom_ && whyNot(wireFrom_, id).empty())
            if (auto* box = dynamic_cast<QGraphicsRectItem*>(it)) {
                box->setPen(QPen(QColor(0x1a, 0x9a, 0x3a), 3));
                highlighted_.push_back(id);
            }
}

bool GraphView::exportSvg(const QString& path) {
    QSvgGenerator svg;
    svg.setFileName(path);
    const QRectF area = scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20);
    svg.setSize(area.size().toSize());
    svg.setViewBox(QRectF(QPointF(0, 0), area.size()));
    svg.setTitle(QString::fromStdString(shown_.name));
    QPainter painter;
    if (!painter.begin(&svg)) return false;
    scene()->render(&painter, QRectF(QPointF(0, 0), area.size()), area);
    return painter.end();
}

void GraphView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(kKindMime)) event->acceptProposedAction();
    else QGraphicsView::dragEnterEvent(event);
}

void GraphView::dragMoveEvent(QDragMoveEvent* event) {
    if (event->mimeData()->hasFormat(kKindMime)) event->acceptProposedAction();
    else QGraphicsView::dragMoveEvent(event);
}

void GraphView::dropEvent(QDropEvent* event) {
    if (!event->mimeData()->hasFormat(kKindMime)) return QGraphicsView::dropEvent(event);
    event->acceptProposedAction();
    emit kindDropped(QString::fromUtf8(event->mimeData()->data(kKindMime)), mapToScene(event->position().toPoint()));
}

QGraphicsItem* GraphView::item(const std::string& id) const {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : it->second;
}

bool GraphView::focusNode(const std::string& id) {
    QGraphicsItem* it = item(id);
    if (!it) return false;
    scene()->clearSelection();
    it->setSelected(true);
    centerOn(it);
    return true;
}

void GraphView::selectNode(const std::string& id) {
    scene()->clearSelection();
    if (QGraphicsItem* it = item(id)) it->setSelected(true);
}

std::string GraphView::selectedNode() const {
    const std::vector<std::string> ids = selectedNodes();
    return ids.empty() ? std::string() : ids.front();
}

std::vector<std::string> GraphView::selectedNodes() const {
    std::vector<std::string> ids;
    for (QGraphicsItem* it : scene()->selectedItems())
        if (!it->data(kIdRole).toString().isEmpty()) ids.push_back(it->data(kIdRole).toString().toStdString());
    return ids;
}

std::vector<Edge> GraphView::selectedEdges() const {
    std::vector<Edge> edges;
    for (QGraphicsItem* it : scene()->selectedItems()) {
        const QStringList e = it->data(kEdgeRole).toStringList();
        if (e.size() == 4) edges.push_back({e[0].toStdString(), e[1].toStdString(), e[2].toStdString(), e[3].toStdString()});
    }
    return edges;
}

void GraphView::selectEdge(const Edge& edge) {
    scene()->clearSelection();
    for (QGraphicsItem* it : scene()->items()) {
        const QStringList e = it->data(kEdgeRole).toStringList();
        if (e.size() == 4 && e[0].toStdString() == edge.from && e[2].toStdString() == edge.to) it->setSelected(true);
    }
}

QPoint GraphView::outputPortAt(const std::string& id) const {
    QGraphicsItem* it = item(id);
    return it ? mapFromScene(it->scenePos() + QPointF(0, kHeight / 2 - 3)) : QPoint();
}

std::string GraphView::nodeAt(const QPoint& viewPos) const {
    for (QGraphicsItem* it : items(viewPos))
        for (QGraphicsItem* p = it; p; p = p->parentItem())
            if (!p->data(kIdRole).toString().isEmpty()) return p->data(kIdRole).toString().toStdString();
    return {};
}

void GraphView::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::MiddleButton) {  // pan by dragging with the middle button
        panFrom_ = event->pos();
        viewport()->setCursor(Qt::ClosedHandCursor);
        return;
    }
    const std::string id = nodeAt(event->pos());
    if (event->button() == Qt::LeftButton && !id.empty()) {
        // A press on the lower edge (the output port) starts a wire instead of a selection.
        const QPointF local = item(id)->mapFromScene(mapToScene(event->pos()));
        if (local.y() > kHeight / 2 - 10) {
            wireFrom_ = id;
            const QPointF start = item(id)->scenePos() + QPointF(0, kHeight / 2);
            wire_ = scene()->addLine(QLineF(start, start), QPen(QColor(0x22, 0x66, 0xcc), 2, Qt::DashLine));
            highlightTargets(true);
            return;
        }
    }
    pressedAt_.clear();
    for (const auto& [nodeId, it] : items_) pressedAt_[nodeId] = it->pos();
    QGraphicsView::mousePressEvent(event);
}

void GraphView::mouseMoveEvent(QMouseEvent* event) {
    if (panFrom_) {
        const QPoint delta = event->pos() - *panFrom_;
        panFrom_ = event->pos();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - delta.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - delta.y());
        return;
    }
    if (wire_) {
        QLineF line = wire_->line();
        line.setP2(mapToScene(event->pos()));
        wire_->setLine(line);
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void GraphView::mouseReleaseEvent(QMouseEvent* event) {
    if (panFrom_ && event->button() == Qt::MiddleButton) {
        panFrom_.reset();
        viewport()->unsetCursor();
        return;
    }
    if (wire_) {
        delete wire_;
        wire_ = nullptr;
        highlightTargets(false);
        const std::string to = nodeAt(event->pos());
        const std::string from = std::exchange(wireFrom_, std::string());
        if (!to.empty()) emit connectRequested(QString::fromStdString(from), QString::fromStdString(to));
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
    // A drag ends as one move of every node it carried.
    QStringList ids;
    QList<QPointF> positions;
    for (const auto& [nodeId, it] : items_) {
        auto before = pressedAt_.find(nodeId);
        if (before != pressedAt_.end() && before->second != it->pos()) {
            ids << QString::fromStdString(nodeId);
            positions << it->pos();
        }
    }
    pressedAt_.clear();
    if (!ids.isEmpty()) emit nodesMoved(ids, positions);
}

void GraphView::mouseDoubleClickEvent(QMouseEvent* event) {
    const std::string id = nodeAt(event->pos());
    if (!id.empty()) emit nodeActivated(QString::fromStdString(id));
    else QGraphicsView::mouseDoubleClickEvent(event);
}

void GraphView::fit() {
    fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
    // A long network fitted whole would be unreadable: keep labels legible and start at the top.
    constexpr double kMinScale = 0.8;
    if (transform().m11() < kMinScale) {
        resetTransform();
        scale(kMinScale, kMinScale);
        const QRectF r = scene()->sceneRect();
        centerOn(r.center().x(), r.top() + viewport()->height() / (2 * kMinScale));
    }
}

void GraphView::wheelEvent(QWheelEvent* event) {
    const double factor = std::pow(1.0015, event->angleDelta().y());
    scale(factor, factor);
    minimap_->viewport()->update();
}

}  // namespace nw::ui
