#include "canvas_render.h"

#include <QApplication>
#include <QFileInfo>
#include <QPalette>

#include "design_session.h"
#include "graph_view.h"
#include "restructure.h"

namespace nw::ui {

std::string renderNetwork(Document doc, const std::string& path, const RenderOptions& options) {
    const QString suffix = QFileInfo(QString::fromStdString(path)).suffix().toLower();
    if (suffix != "png" && suffix != "svg") return path + ": give a file ending in .png or .svg";
    if (!(options.scale > 0 && options.scale <= 16)) return "--scale must be above 0 and at most 16";
    for (const std::string& id : options.expand) {
        Restructured r = expandInstance(doc, id);
        if (!r.doc) return "cannot expand " + id + ": " + r.error;
        doc = std::move(*r.doc);
    }
    bool placed = true;
    for (const Node& n : doc.graph.nodes) placed &= n.pos.has_value();
    LayoutResult laid;
    if (options.relayout || !placed) {
        LayoutOptions layout;
        layout.direction = options.direction;
        laid = layoutDocument(doc, layout, kNodeWidth, kNodeHeight);
    }
    const Graph graph = doc.graph;
    DesignSession session(std::move(doc));
    session.setRoutes(graph, laid.routes);  // the wires as Graphviz routed them
    GraphView view;
    if (options.dark) {  // the window's dark canvas
        QPalette p = view.palette();
        p.setColor(QPalette::Base, QColor(0x1f, 0x1f, 0x22));
        p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        view.setPalette(p);
    }
    view.resize(1440, 900);
    view.setRoutes(&session.routes());
    view.show(session.canvas(), session.facts(), session.document().name,
              session.direction() == LayoutDirection::LeftToRight);
    const QString out = QString::fromStdString(path);
    const bool ok = suffix == "svg" ? view.exportSvg(out) : view.exportPng(out, options.scale);
    return ok ? std::string() : "cannot write " + path;
}

}  // namespace nw::ui
