#include "graph_view.h"

#include "importer.h"

#include "name_index.h"

#include <QDragEnterEvent>
#include <QGraphicsLineItem>
#include <QContextMenuEvent>
#include <QKeyEvent>
#include <QMimeData>
#include <QScrollBar>
#include <QSvgGenerator>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QStyleOptionGraphicsItem>
#include <QPainterPath>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>
#include <set>

namespace nw::ui {

namespace {

constexpr double kWidth = kNodeWidth, kHeight = kNodeHeight;
constexpr int kEdgeRole = 3;  // a wire's edge: from, fromPort, to, toPort
constexpr int kIdRole = 0;    // QGraphicsItem::data key holding the node id

QColor factsColor(const NodeFacts& facts) { return QColor::fromRgb(facts.color); }

// Level of detail by zoom (scene units per pixel): full text when readable, then kind colour and
// name, then plain boxes, so a 100,000-node network fitted whole paints in milliseconds.
constexpr double kLodName = 0.45, kLodBox = 0.15;

// Where port `i` of `n` sits on a node's box (its centre at 0, 0): inputs spread along the top edge
// and outputs along the bottom, or left and right when the graph flows left to right.
QPointF socketAt(bool input, size_t i, size_t n, bool leftToRight) {
    const double t = (static_cast<double>(i) + 1) / (static_cast<double>(n) + 1);
    if (leftToRight) return {input ? -kWidth / 2 : kWidth / 2, -kHeight / 2 + kHeight * t};
    return {-kWidth / 2 + kWidth * t, input ? -kHeight / 2 : kHeight / 2};
}

}  // namespace

// A node, drawn by itself (no child items: one item per node keeps a 100k-node scene light). The
// texts are elided when painted, so only visible nodes pay for text layout.
class NodeItem : public QGraphicsItem {
public:
    NodeItem(const QString& id, const NodeFacts& facts, const Node& node, bool leftToRight, const QFont& font,
             QColor canvasInk)
        : id_(id), font_(font), canvasInk_(canvasInk), leftToRight_(leftToRight) {
        setFlags(ItemIsSelectable | ItemIsMovable);
        setData(kIdRole, id);
        describe(facts, node);
    }
    // What the node says, from the core's facts; the box keeps its size, so an edit redraws it in place.
    void describe(const NodeFacts& facts, const Node& node) {
        conditional_ = !node.when.empty();
        fill_ = factsColor(facts);
        outline_ = facts.errors     ? QColor(0xcc, 0x22, 0x22)
                   : facts.warnings ? QColor(0xe0, 0x9a, 0x00)
                                    : QColor(0x55, 0x55, 0x55);
        problems_ = facts.errors + facts.warnings;
        badge_ = facts.errors ? QColor(0xcc, 0x22, 0x22) : QColor(0xe0, 0x9a, 0x00);
        // A conditional node says its condition first: it exists only in the instances where it holds.
        kindLine_ = QString::fromStdString((node.when.empty() ? "" : "when " + node.when + " · ") + facts.kind +
                                           (node.repeat ? " ×" + std::to_string(node.repeat) : "") +
                                           (facts.attrs.empty() ? "" : " · " + facts.attrs));
        shape_ = QString::fromStdString(facts.shape);
        counts_ = QString::fromStdString(facts.counts);
        inputs_.clear();
        outputs_.clear();
        for (const std::string& p : facts.inputs) inputs_ << QString::fromStdString(p);
        for (const std::string& p : facts.outputs) outputs_ << QString::fromStdString(p);
        // Port names are shown where there is a choice (a Concat's in0, in1; an Add's; a module's x, y).
        namedPorts_ = inputs_.size() > 1 || outputs_.size() > 1;
        QString tip = text();
        if (!facts.problems.empty()) tip += "\n\n" + QString::fromStdString(facts.problems);
        setToolTip(tip);  // the full text, whatever the box had to elide
        update();
    }
    QRectF boundingRect() const override {
        return QRectF(-kWidth / 2 - 16, -kHeight / 2 - 20, kWidth + 32, kHeight + 32);
    }
    QPainterPath shape() const override {
        QPainterPath p;
        p.addRect(leftToRight_ ? QRectF(-kWidth / 2 - 6, -kHeight / 2, kWidth + 12, kHeight)
                               : QRectF(-kWidth / 2, -kHeight / 2 - 6, kWidth, kHeight + 12));
        return p;
    }
    void setHighlighted(bool on) {
        highlighted_ = on;
        update();
    }
    // Everything the node says, one line each (what a person reads on it, for tests and tooltips).
    QString text() const { return id_ + "\n" + kindLine_ + "\n" + shape_ + (counts_.isEmpty() ? "" : "\n" + counts_); }
    const QStringList& inputs() const { return inputs_; }
    const QStringList& outputs() const { return outputs_; }
    const QString& shapeText() const { return shape_; }
    // The port of this node nearest to `local` (item coordinates) within `reach`, or -1.
    int portNear(bool input, QPointF local, double reach) const {
        const QStringList& ports = input ? inputs_ : outputs_;
        int best = -1;
        double bestDistance = reach;
        for (qsizetype i = 0; i < ports.size(); ++i) {
            const double d = QLineF(local, socket(input, static_cast<size_t>(i))).length();
            if (d <= bestDistance) best = static_cast<int>(i), bestDistance = d;
        }
        return best;
    }
    QPointF socket(bool input, size_t i) const {
        return socketAt(input, i, static_cast<size_t>((input ? inputs_ : outputs_).size()), leftToRight_);
    }

    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override {
        const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
        const QRectF box(-kWidth / 2, -kHeight / 2, kWidth, kHeight);
        QPen pen(outline_, problems_ ? 2.5 : 1.0, conditional_ ? Qt::DashLine : Qt::SolidLine);
        if (highlighted_) pen = QPen(QColor(0x1a, 0x9a, 0x3a), 3);
        if (isSelected()) pen = QPen(QColor(0x22, 0x66, 0xcc), 3);
        painter->setBrush(fill_);
        if (lod < kLodBox) {  // boxes only, a shade darker to be seen; the outline where it says something
            if (!problems_ && !isSelected() && !highlighted_) return painter->fillRect(box, fill_.darker(125));
            painter->setBrush(fill_.darker(125));
            painter->setPen(pen);
            painter->drawRect(box);
            return;
        }
        painter->setRenderHint(QPainter::Antialiasing, true);
        painter->setPen(pen);
        painter->drawRect(box);
        const QColor ink(0x20, 0x20, 0x20);
        QFont bold = font_;
        bold.setBold(true);
        if (lod < kLodName) {  // kind colour and name, large enough to read at this zoom
            bold.setPointSizeF(font_.pointSizeF() * 1.8);
            painter->setFont(bold);
            painter->setPen(ink);
            painter->drawText(box.adjusted(6, 4, -6, -4), Qt::AlignCenter,
                              QFontMetricsF(bold).elidedText(id_, Qt::ElideRight, kWidth - 12));
            return;
        }
        painter->setFont(bold);
        painter->setPen(ink);
        const QFontMetricsF boldMetrics(bold);
        const double textLeft = -kWidth / 2 + (leftToRight_ && namedPorts_ ? 22 : 6);
        const double textWidth = kWidth / 2 - 6 - textLeft;
        painter->drawText(QPointF(textLeft, -kHeight / 2 + 4 + boldMetrics.ascent()),
                          boldMetrics.elidedText(id_, Qt::ElideRight, textWidth));
        QFont small = font_;
        small.setPointSizeF(font_.pointSizeF() * 0.85);
        painter->setFont(small);
        const QFontMetricsF metrics(small);
        double y = -kHeight / 2 + 21 + metrics.ascent();
        for (const QString* line : {&kindLine_, &shape_, &counts_}) {
            if (line->isEmpty()) continue;
            painter->drawText(QPointF(textLeft, y), metrics.elidedText(*line, Qt::ElideRight, textWidth));
            y += metrics.lineSpacing();
        }
        // Ports: a socket per input (open) and per output (filled); drag from an output to wire, drag a
        // wire's end off an input to move it to another.
        QFont tiny = font_;
        tiny.setPointSizeF(font_.pointSizeF() * 0.75);
        const QFontMetricsF tinyMetrics(tiny);
        painter->setFont(tiny);
        for (bool input : {true, false}) {
            const QStringList& ports = input ? inputs_ : outputs_;
            for (qsizetype i = 0; i < ports.size(); ++i) {
                const QPointF c = socket(input, static_cast<size_t>(i));
                painter->setPen(QPen(QColor(0x55, 0x55, 0x55), 1));
                painter->setBrush(input ? QBrush(Qt::white) : QBrush(QColor(0x55, 0x55, 0x55)));
                const double r = input ? 5 : 6;
                painter->drawEllipse(c, r, r);
                if (!namedPorts_) continue;
                // The name beside its socket, outside the box: above it (top to bottom), or over it at the side.
                const double w = tinyMetrics.horizontalAdvance(ports[i]);
                const QPointF at = leftToRight_ ? c + QPointF(input ? 7 : -7 - w, tinyMetrics.ascent() / 2 - 1)
                                                : c + QPointF(7, input ? -4 : 4 + tinyMetrics.ascent());
                painter->setPen(leftToRight_ ? ink : canvasInk_);  // inside the box at the sides, else outside
                painter->drawText(at, ports[i]);
            }
        }
        if (problems_) {  // a badge in the corner: how many problems
            const QRectF badge(kWidth / 2 - 18, -kHeight / 2 - 8, 22, 22);
            painter->setPen(Qt::NoPen);
            painter->setBrush(badge_);
            painter->drawEllipse(badge);
            painter->setPen(Qt::white);
            painter->setFont(font_);
            painter->drawText(badge, Qt::AlignCenter, QString::number(problems_));
        }
    }

private:
    QString id_, kindLine_, shape_, counts_;
    QStringList inputs_, outputs_;
    QFont font_;
    QColor fill_, outline_, badge_, canvasInk_;  // canvasInk_: text on the canvas around the box (the theme's)
    int problems_ = 0;
    bool highlighted_ = false, conditional_ = false, leftToRight_ = false, namedPorts_ = false;
};

namespace {

// A wire with its arrow head and (optionally) the shape it carries: easy to click (an 8-unit-wide
// hit area around the curve), highlighted when selected; the label only where it can be read.
class WireItem : public QGraphicsPathItem {
public:
    WireItem(const QPainterPath& path, const QPen& pen, const QString& label, const QFont& font, bool leftToRight)
        : QGraphicsPathItem(path), label_(label), font_(font) {
        setPen(pen);
        const QPointF b = path.currentPosition();
        if (leftToRight) head_ << b << b + QPointF(-9, -5) << b + QPointF(-9, 5);
        else head_ << b << b + QPointF(-5, -9) << b + QPointF(5, -9);
        // A label only where the wire is long enough to carry it readably (short wires across, in a
        // left-to-right layout, would print it over the nodes).
        const double room = leftToRight ? path.length() : 1e9;
        if (room < QFontMetricsF(font).horizontalAdvance(label_) + 24) label_.clear();
        if (!label_.isEmpty()) {
            labelAt_ = path.pointAtPercent(0.5) + (leftToRight
                                                       ? QPointF(-QFontMetricsF(font).horizontalAdvance(label_) / 2, -5)
                                                       : QPointF(6, QFontMetricsF(font).ascent() / 2 - 2));
        }
        bounds_ = QGraphicsPathItem::boundingRect().united(head_.boundingRect());
        if (!label_.isEmpty())
            bounds_ |= QRectF(labelAt_ - QPointF(0, 14), QSizeF(QFontMetricsF(font).horizontalAdvance(label_) + 4, 18));
        QPainterPathStroker stroker;
        stroker.setWidth(8);
        shape_ = stroker.createStroke(path);
    }
    // Measured once: the view asks for both many times per paint, and text metrics mean shaping text.
    QRectF boundingRect() const override { return bounds_; }
    QPainterPath shape() const override { return shape_; }
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) override {
        const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
        if (lod < kLodBox && !isSelected()) {  // a far zoom: a plain line between the ends, no head
            painter->setRenderHint(QPainter::Antialiasing, false);
            painter->setPen(QPen(pen().color(), 0));
            painter->drawLine(path().elementAt(0), path().currentPosition());
            return;
        }
        painter->setRenderHint(QPainter::Antialiasing, true);
        QPen p = pen();
        if (isSelected()) p = QPen(QColor(0x22, 0x66, 0xcc), 2.5);
        painter->setPen(p);
        painter->setBrush(Qt::NoBrush);
        painter->drawPath(path());
        painter->setPen(Qt::NoPen);
        painter->setBrush(pen().color());
        painter->drawPolygon(head_);
        if (!label_.isEmpty() && option->levelOfDetailFromTransform(painter->worldTransform()) >= kLodName) {
            painter->setPen(pen().color().darker(120));
            painter->setFont(font_);
            painter->drawText(labelAt_, label_);
        }
    }

    bool labelled() const { return !label_.isEmpty(); }
    Edge edge;  // what it draws (also in data(kEdgeRole), for code that holds only a QGraphicsItem)

private:
    QRectF bounds_;
    QPainterPath shape_;
    QString label_;
    QFont font_;
    QPolygonF head_;
    QPointF labelAt_;
};

}  // namespace

// The overview: every node as a dot of its colour in an image made once per drawing (painting the
// scene's items into it would cost a 100k-node network seconds on every scroll), with the main
// view's visible area outlined on top. A click or drag there centres the main view.
class Overview : public QWidget {
public:
    explicit Overview(GraphView* main) : QWidget(main), main_(main) {
        setAttribute(Qt::WA_OpaquePaintEvent);
        setCursor(Qt::PointingHandCursor);
    }
    void setScene(const QRectF& sceneRect, std::vector<std::pair<QPointF, QColor>> nodes) {
        sceneRect_ = sceneRect;
        nodes_ = std::move(nodes);
        render();
    }
    void render() {
        image_ = QImage(size().isEmpty() ? QSize(1, 1) : size(), QImage::Format_RGB32);
        image_.fill(palette().color(QPalette::Base));
        if (sceneRect_.isEmpty()) return update();
        QPainter p(&image_);
        p.setTransform(toOverview());
        // At least 3 × 2 pixels each, so a 100k-node chain still shows as a line.
        const double w = std::max(3.0 / toOverview().m11(), kNodeWidth),
                     h = std::max(2.0 / toOverview().m11(), kNodeHeight);
        for (const auto& [c, color] : nodes_) p.fillRect(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), color.darker(130));
        update();
    }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.drawImage(0, 0, image_);
        p.setTransform(toOverview());
        p.setPen(QPen(QColor(0x22, 0x66, 0xcc), 0));
        p.setBrush(QColor(0x22, 0x66, 0xcc, 40));
        p.drawRect(main_->mapToScene(main_->viewport()->rect()).boundingRect());
        p.resetTransform();
        p.setPen(palette().color(QPalette::Mid));
        p.setBrush(Qt::NoBrush);
        p.drawRect(rect().adjusted(0, 0, -1, -1));
    }
    void resizeEvent(QResizeEvent*) override { render(); }
    void mousePressEvent(QMouseEvent* e) override { go(e->position()); }
    void mouseMoveEvent(QMouseEvent* e) override {
        if (e->buttons() & Qt::LeftButton) go(e->position());
    }

private:
    GraphView* main_;
    QRectF sceneRect_;
    std::vector<std::pair<QPointF, QColor>> nodes_;
    QImage image_;
    // Scene → overview pixels: the whole scene fitted, centred, aspect kept.
    QTransform toOverview() const {
        const double s = std::min(width() / sceneRect_.width(), height() / sceneRect_.height());
        const double dx = (width() - sceneRect_.width() * s) / 2, dy = (height() - sceneRect_.height() * s) / 2;
        return QTransform(s, 0, 0, s, dx - sceneRect_.left() * s, dy - sceneRect_.top() * s);
    }
    void go(QPointF at) {
        main_->centerOn(toOverview().inverted().map(at));
        update();
    }
};

namespace {}  // namespace

GraphView::GraphView(QWidget* parent) : QGraphicsView(parent) {
    static const Graph nothing;
    static const std::map<std::string, NodeFacts> noFacts;
    shown_ = &nothing;
    facts_ = &noFacts;
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    // Items set the pen, brush, font and antialiasing they draw with, so the view need not save and
    // restore the painter around each of them (a fitted 500-node network: 40 % of a paint).
    setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
    setDragMode(QGraphicsView::RubberBandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setBackgroundBrush(palette().color(QPalette::Base));
    // The scene's background brush covers the viewport; Qt's own fill before it would paint every
    // pixel twice (a sixth of a full repaint).
    viewport()->setAutoFillBackground(false);
    viewport()->setAttribute(Qt::WA_OpaquePaintEvent);
    setAcceptDrops(true);
    // The minimap: the whole network in a corner; a click there centres the main view.
    minimap_ = new Overview(this);
    minimap_->setObjectName("minimap");
    minimap_->setToolTip(tr("Overview: click to go there"));
    placeMinimap();
}

void GraphView::placeMinimap() {
    const int w = std::min(220, viewport()->width() / 4), h = std::min(160, viewport()->height() / 3);
    minimap_->setGeometry(viewport()->width() - w - 8, viewport()->height() - h - 8, w, h);
}

void GraphView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    placeMinimap();
}

void GraphView::scrollContentsBy(int dx, int dy) {
    QGraphicsView::scrollContentsBy(dx, dy);
    minimap_->update();
}

NodeItem* GraphView::makeNode(const Node& n) {
    static const NodeFacts none;
    auto f = facts_->find(n.id);
    auto* box = new NodeItem(QString::fromStdString(n.id), f == facts_->end() ? none : f->second, n, leftToRight_,
                             font(), palette().color(QPalette::Text));
    const Point c = n.pos.value_or(Point{});
    box->setPos(c.x, c.y);
    items_[n.id] = box;
    return box;
}

QGraphicsItem* GraphView::makeWire(const Edge& e, size_t index) {
    auto from = items_.find(e.from), to = items_.find(e.to);
    if (from == items_.end() || to == items_.end()) return nullptr;
    const NodeItem* a = from->second;
    const NodeItem* b = to->second;
    const qsizetype out = std::max<qsizetype>(0, a->outputs().indexOf(QString::fromStdString(e.fromPort)));
    const qsizetype in = std::max<qsizetype>(0, b->inputs().indexOf(QString::fromStdString(e.toPort)));
    const QPointF start = a->pos() + a->socket(false, static_cast<size_t>(out));
    const QPointF end = b->pos() + b->socket(true, static_cast<size_t>(in));
    QPainterPath path(start);
    const std::vector<Point>* route = routes_ && index < routes_->size() ? &(*routes_)[index] : nullptr;
    if (route && route->size() >= 4) {
        // Graphviz's route around the nodes, its ends moved onto the sockets.
        const std::vector<Point>& r = *route;
        for (size_t k = 1; k + 2 < r.size(); k += 3) {
            const QPointF to = k + 3 >= r.size() ? end : QPointF(r[k + 2].x, r[k + 2].y);
            path.cubicTo(QPointF(r[k].x, r[k].y), QPointF(r[k + 1].x, r[k + 1].y), to);
        }
    } else if (leftToRight_) {
        const double bend = std::max(20.0, std::abs(end.x() - start.x()) / 2);
        path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end);
    } else {
        const double bend = std::max(20.0, std::abs(end.y() - start.y()) / 2);
        path.cubicTo(start + QPointF(0, bend), end - QPointF(0, bend), end);
    }
    auto shape = facts_->find(e.from);
    const QString label = wireLabels_ && shape != facts_->end() && !shape->second.shape.empty()
                              ? QString::fromStdString(shape->second.shape)
                              : QString();
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    auto* wire =
        new WireItem(path, QPen(palette().color(QPalette::Text).lighter(150), 1.3), label, small, leftToRight_);
    wire->setZValue(-1);
    wire->setFlag(QGraphicsItem::ItemIsSelectable);
    wire->edge = e;
    wire->setData(kEdgeRole, QStringList{QString::fromStdString(e.from), QString::fromStdString(e.fromPort),
                                         QString::fromStdString(e.to), QString::fromStdString(e.toPort)});
    wire->setToolTip(
        tr("%1 → %2.%3: click and press Delete to disconnect, or drag its end to another input")
            .arg(QString::fromStdString(e.from), QString::fromStdString(e.to), QString::fromStdString(e.toPort)));
    wires_.push_back(wire);
    return wire;
}

void GraphView::show(const Graph& graph, const std::map<std::string, NodeFacts>& facts, const std::string& title,
                     bool leftToRight) {
    shown_ = &graph;
    facts_ = &facts;
    title_ = title;
    leftToRight_ = leftToRight;
    scene()->clear();  // with it the wire being dragged, if any
    wire_ = nullptr;
    wireFrom_.clear();
    items_.clear();
    wires_.clear();
    highlighted_.clear();
    pressedAt_.clear();
    // Placed before they join the scene: one index insertion per item instead of a move as well.
    std::vector<QGraphicsItem*> made;
    made.reserve(graph.nodes.size() + graph.edges.size());
    for (const Node& n : graph.nodes) made.push_back(makeNode(n));
    for (size_t i = 0; i < graph.edges.size(); ++i)
        if (QGraphicsItem* wire = makeWire(graph.edges[i], i)) made.push_back(wire);
    // Qt's BSP index pays for itself on small scenes; on large ones building and climbing it costs
    // seconds per paint (a 100k-node chain), while a linear scan of the items is milliseconds.
    scene()->setItemIndexMethod(made.size() > 20'000 ? QGraphicsScene::NoIndex : QGraphicsScene::BspTreeIndex);
    for (QGraphicsItem* it : made) scene()->addItem(it);
    updateBounds();
}

void GraphView::update(const Graph& graph, const std::map<std::string, NodeFacts>& facts, const SessionChange& change) {
    if (change.everything) return show(graph, facts, title_, leftToRight_);
    shown_ = &graph;
    facts_ = &facts;
    const std::vector<std::string> selected = selectedNodes();
    std::set<std::string> touched;  // nodes whose wires must be redrawn
    for (const std::string& id : change.removed) {
        touched.insert(id);
        if (auto it = items_.find(id); it != items_.end()) {
            delete it->second;
            items_.erase(it);
        }
    }
    bool moved = !change.removed.empty() || !change.added.empty();  // the bounds or the overview change
    NameIndex index(graph.nodes.size());
    for (size_t i = 0; i < graph.nodes.size(); ++i) index.insert(graph.nodes[i].id, static_cast<int>(i));
    for (const std::vector<std::string>* ids : {&change.updated, &change.added})
        for (const std::string& id : *ids) {
            touched.insert(id);
            const int i = index.find(id);
            auto it = items_.find(id);
            if (it != items_.end() && i >= 0) {  // redrawn in place: re-adding an item re-indexes the scene
                NodeItem* box = it->second;
                const Node& n = graph.nodes[static_cast<size_t>(i)];
                const QStringList inputs = box->inputs(), outputs = box->outputs();
                const QString shape = box->shapeText();
                auto f = facts.find(id);
                box->describe(f == facts.end() ? NodeFacts{} : f->second, n);
                const Point c = n.pos.value_or(Point{});
                const bool at = box->pos() == QPointF(c.x, c.y);
                if (!at) box->setPos(c.x, c.y);
                moved |= !at;
                // Its wires stay unless they end elsewhere or carry the changed shape.
                if (at && inputs == box->inputs() && outputs == box->outputs() &&
                    (!wireLabels_ || shape == box->shapeText()))
                    touched.erase(id);
                continue;
            }
            if (it != items_.end()) {
                delete it->second;
                items_.erase(it);
            }
            if (i >= 0) {
                scene()->addItem(makeNode(graph.nodes[static_cast<size_t>(i)]));
                moved = true;
            }
        }
    // Wires: all of them when the edges changed, else those of the nodes redrawn.
    std::erase_if(wires_, [&](QGraphicsItem* w) {
        const Edge& e = static_cast<WireItem*>(w)->edge;
        if (!change.wires && !touched.count(e.from) && !touched.count(e.to)) return false;
        delete w;
        return true;
    });
    for (size_t i = 0; i < graph.edges.size(); ++i)
        if (const Edge& e = graph.edges[i]; change.wires || touched.count(e.from) || touched.count(e.to))
            if (QGraphicsItem* wire = makeWire(e, i)) scene()->addItem(wire);
    for (const std::string& id : selected)
        if (QGraphicsItem* it = item(id)) it->setSelected(true);
    if (moved) updateBounds();  // an attribute edit leaves both alone
}

void GraphView::updateBounds() {
    QRectF bounds;
    for (const auto& [id, it] : items_) bounds |= it->mapRectToScene(it->boundingRect());
    for (QGraphicsItem* it : wires_) bounds |= it->mapRectToScene(it->boundingRect());
    scene()->setSceneRect(bounds.adjusted(-40, -40, 40, 40));
    std::vector<std::pair<QPointF, QColor>> dots;
    dots.reserve(shown_->nodes.size());
    for (const Node& n : shown_->nodes) {
        auto f = facts_->find(n.id);
        if (QGraphicsItem* it = item(n.id))
            dots.emplace_back(it->pos(), f == facts_->end() ? QColor::fromRgb(kModuleColor) : factsColor(f->second));
    }
    placeMinimap();
    minimap_->setScene(scene()->sceneRect(), std::move(dots));
}

int GraphView::wireLabelCount() const {
    return static_cast<int>(std::count_if(wires_.begin(), wires_.end(),
                                          [](QGraphicsItem* w) { return static_cast<WireItem*>(w)->labelled(); }));
}

QWidget* GraphView::minimap() const { return minimap_; }

QString GraphView::nodeText(const std::string& id) const {
    auto it = items_.find(id);
    return it == items_.end() ? QString() : it->second->text();
}

void GraphView::setWireLabels(bool on) {
    wireLabels_ = on;
    const std::vector<std::string> selected = selectedNodes();
    show(*shown_, *facts_, title_, leftToRight_);
    for (const std::string& id : selected)
        if (QGraphicsItem* it = item(id)) it->setSelected(true);
}

void GraphView::highlightTargets(bool on) {
    for (const std::string& id : highlighted_)
        if (auto it = items_.find(id); it != items_.end()) it->second->setHighlighted(false);
    highlighted_.clear();
    if (!on || !whyNot) return;
    for (const auto& [id, box] : items_)
        if (id != wireFrom_ && whyNot(wireFrom_, id).empty()) {
            box->setHighlighted(true);
            highlighted_.push_back(id);
        }
}

// The whole drawing, as a person sees it unselected: selection and wire-drag highlights are taken
// off while it is rendered (and put back), the minimap and scroll bars are not part of the scene.
template <class Render>
static bool renderClean(QGraphicsScene* scene, const Render& render) {
    const QList<QGraphicsItem*> selected = scene->selectedItems();
    const QSignalBlocker quiet(scene);
    scene->clearSelection();
    const bool ok = render();
    for (QGraphicsItem* it : selected) it->setSelected(true);
    return ok;
}

bool GraphView::exportSvg(const QString& path) {
    return renderClean(scene(), [&] {
        QSvgGenerator svg;
        svg.setFileName(path);
        const QRectF area = scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20);
        svg.setSize(area.size().toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), area.size()));
        svg.setTitle(QString::fromStdString(title_));
        QPainter painter;
        if (!painter.begin(&svg)) return false;
        scene()->render(&painter, QRectF(QPointF(0, 0), area.size()), area);
        return painter.end();
    });
}

QImage GraphView::renderImage(double scale) const {
    const QRectF area = scene()->itemsBoundingRect().adjusted(-20, -20, 20, 20);
    // At most 16,384 pixels a side and 256 megapixels: a huge network comes out at a smaller scale.
    scale = std::min({scale, 16384 / area.width(), 16384 / area.height(),
                      std::sqrt(double(1 << 28) / std::max(1.0, area.width() * area.height()))});
    QImage image(std::max(1, int(area.width() * scale)), std::max(1, int(area.height() * scale)),
                 QImage::Format_ARGB32);
    image.fill(palette().color(QPalette::Base));
    renderClean(scene(), [&] {
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::TextAntialiasing);
        scene()->render(&painter, QRectF(QPointF(0, 0), QSizeF(image.size())), area);
        return true;
    });
    return image;
}

bool GraphView::exportPng(const QString& path, double scale) const { return renderImage(scale).save(path, "PNG"); }

// The network file a drag carries: one local .netw file or one an importer reads, else empty.
static QString droppedNetwork(const QMimeData* mime) {
    if (!mime->hasUrls() || mime->urls().size() != 1 || !mime->urls()[0].isLocalFile()) return {};
    QString path = mime->urls()[0].toLocalFile();
    if (path.endsWith(".netw", Qt::CaseInsensitive) || importerFor(path.toStdString())) return path;
    return {};
}

void GraphView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(kKindMime) || !droppedNetwork(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else QGraphicsView::dragEnterEvent(event);
}

void GraphView::dragMoveEvent(QDragMoveEvent* event) {
    if (event->mimeData()->hasFormat(kKindMime) || !droppedNetwork(event->mimeData()).isEmpty())
        event->acceptProposedAction();
    else QGraphicsView::dragMoveEvent(event);
}

void GraphView::dropEvent(QDropEvent* event) {
    if (const QString path = droppedNetwork(event->mimeData()); !path.isEmpty()) {
        event->acceptProposedAction();
        emit fileDropped(path);
        return;
    }
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
        if (e.size() == 4)
            edges.push_back({e[0].toStdString(), e[1].toStdString(), e[2].toStdString(), e[3].toStdString()});
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

QPoint GraphView::outputPortAt(const std::string& id, int port) const {
    NodeItem* it = items_.count(id) ? items_.at(id) : nullptr;
    return it && port < it->outputs().size() ? mapFromScene(it->pos() + it->socket(false, static_cast<size_t>(port)))
                                             : QPoint();
}

QPoint GraphView::inputPortAt(const std::string& id, int port) const {
    NodeItem* it = items_.count(id) ? items_.at(id) : nullptr;
    return it && port < it->inputs().size() ? mapFromScene(it->pos() + it->socket(true, static_cast<size_t>(port)))
                                            : QPoint();
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
        // A press on an output socket starts a wire; on an input socket with a wire, picks up that
        // wire's end to move it to another input. Elsewhere it selects and drags.
        NodeItem* box = items_.at(id);
        const QPointF local = box->mapFromScene(mapToScene(event->pos()));
        const double reach = std::max(9.0, 6 / transform().m11());  // at least 6 pixels whatever the zoom
        if (const int out = box->portNear(false, local, reach); out >= 0) {
            wireFrom_ = id;
            wireFromPort_ = box->outputs()[out].toStdString();
            const QPointF start = box->pos() + box->socket(false, static_cast<size_t>(out));
            wire_ = scene()->addLine(QLineF(start, start), QPen(QColor(0x22, 0x66, 0xcc), 2, Qt::DashLine));
            highlightTargets(true);
            return;
        }
        if (const int in = box->portNear(true, local, reach); in >= 0)
            for (QGraphicsItem* w : wires_) {
                const QStringList e = w->data(kEdgeRole).toStringList();
                if (e[2].toStdString() != id || e[3] != box->inputs()[in]) continue;
                rewiring_ = e;
                w->setVisible(false);  // until dropped: it follows the cursor meanwhile
                wireFrom_ = e[0].toStdString();
                wireFromPort_ = e[1].toStdString();
                NodeItem* source = items_.at(wireFrom_);
                const QPointF start =
                    source->pos() + source->socket(false, std::max<qsizetype>(0, source->outputs().indexOf(e[1])));
                wire_ = scene()->addLine(QLineF(start, mapToScene(event->pos())),
                                         QPen(QColor(0x22, 0x66, 0xcc), 2, Qt::DashLine));
                return;
            }
    }
    QGraphicsView::mousePressEvent(event);
    // What a drag may move: the selection the press left (not every node: 100k of them would cost
    // a press 30 ms).
    pressedAt_.clear();
    for (QGraphicsItem* it : scene()->selectedItems())
        if (const QString nodeId = it->data(kIdRole).toString(); !nodeId.isEmpty())
            pressedAt_[nodeId.toStdString()] = it->pos();
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
        const std::string fromPort = std::exchange(wireFromPort_, std::string());
        QString toPort;  // the input socket it was dropped on; empty (the next free one) on the box
        if (!to.empty()) {
            NodeItem* box = items_.at(to);
            const int in = box->portNear(true, box->mapFromScene(mapToScene(event->pos())),
                                         std::max(14.0, 10 / transform().m11()));
            if (in >= 0) toPort = box->inputs()[in];
        }
        const QStringList moving = std::exchange(rewiring_, QStringList());
        if (!moving.isEmpty()) {
            for (QGraphicsItem* w : wires_)
                if (w->data(kEdgeRole).toStringList() == moving) w->setVisible(true);  // back, unless the move is made
            if (!to.empty()) emit rewireRequested(moving, QString::fromStdString(to), toPort);
            return;
        }
        if (!to.empty())
            emit connectRequested(QString::fromStdString(from), QString::fromStdString(fromPort),
                                  QString::fromStdString(to), toPort);
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
    // A drag ends as one move of every node it carried.
    QStringList ids;
    QList<QPointF> positions;
    for (const auto& [nodeId, before] : pressedAt_)
        if (QGraphicsItem* it = item(nodeId); it && before != it->pos()) {
            ids << QString::fromStdString(nodeId);
            positions << it->pos();
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
    // The whole network, however large: level-of-detail drawing keeps a far zoom readable as boxes.
    // Past 2 % a node would be under 4 pixels, so a huge network starts at its top at that zoom.
    fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
    constexpr double kMinScale = 0.02;
    if (transform().m11() < kMinScale) {
        resetTransform();
        scale(kMinScale, kMinScale);
        const QRectF r = scene()->sceneRect();
        centerOn(r.center().x(), r.top() + viewport()->height() / (2 * kMinScale));
    }
    minimap_->update();
}

void GraphView::keyPressEvent(QKeyEvent* event) {
    const std::string at = selectedNode();
    const int key = event->key();
    if (at.empty() || event->modifiers() != Qt::NoModifier ||
        (key != Qt::Key_Up && key != Qt::Key_Down && key != Qt::Key_Left && key != Qt::Key_Right))
        return QGraphicsView::keyPressEvent(event);
    auto neighbours = [&](const std::string& id, bool downstream) {
        std::vector<std::string> out;
        for (const Edge& e : shown_->edges)
            if ((downstream ? e.from : e.to) == id && item(downstream ? e.to : e.from))
                out.push_back(downstream ? e.to : e.from);
        return out;
    };
    std::string next;
    if (key == Qt::Key_Down || key == Qt::Key_Up) {
        const auto n = neighbours(at, key == Qt::Key_Down);
        if (!n.empty()) next = n.front();
    } else {
        const auto sources = neighbours(at, false);
        if (!sources.empty()) {
            const auto siblings = neighbours(sources.front(), true);
            const auto here = std::find(siblings.begin(), siblings.end(), at);
            if (here != siblings.end() && siblings.size() > 1) {
                const auto i = static_cast<size_t>(here - siblings.begin());
                next = siblings[(i + (key == Qt::Key_Right ? 1 : siblings.size() - 1)) % siblings.size()];
            }
        }
    }
    if (next.empty()) return event->accept();
    selectNode(next);
    ensureVisible(item(next));
    event->accept();
}

void GraphView::contextMenuEvent(QContextMenuEvent* event) {
    const std::string id = nodeAt(event->pos());
    QStringList wire;
    if (id.empty())
        for (QGraphicsItem* it : items(event->pos()))
            if (const QStringList e = it->data(kEdgeRole).toStringList(); e.size() == 4) {
                wire = e;
                break;
            }
    // The menu acts on what was clicked: select it, unless it is part of a larger selection.
    if (!id.empty() && !item(id)->isSelected()) selectNode(id);
    if (!wire.isEmpty())
        selectEdge({wire[0].toStdString(), wire[1].toStdString(), wire[2].toStdString(), wire[3].toStdString()});
    emit contextMenuRequested(QString::fromStdString(id), wire, mapToScene(event->pos()), event->globalPos());
    event->accept();
}

void GraphView::wheelEvent(QWheelEvent* event) {
    const double factor = std::pow(1.0015, event->angleDelta().y());
    scale(factor, factor);
    minimap_->update();
}

}  // namespace nw::ui
