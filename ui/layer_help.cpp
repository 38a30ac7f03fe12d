#include "layer_help.h"

#include <QHBoxLayout>
#include <QListWidget>
#include <QTextBrowser>

#include "registry.h"

namespace nw::ui {

namespace {

QString escaped(const std::string& text) { return QString::fromStdString(text).toHtmlEscaped(); }

QString range(const AttrSpec& a) {
    switch (a.type) {
        case AttrType::Int: return QString("%1 … %2").arg(a.min).arg(a.max);
        case AttrType::Float: return QString("%1 … %2").arg(a.fmin).arg(a.fmax);
        case AttrType::Choice: {
            QStringList c;
            for (const std::string& s : a.choices) c << QString::fromStdString(s);
            return c.join(", ").toHtmlEscaped();
        }
        default: return {};
    }
}

}  // namespace

QString LayerHelp::html(const LayerKind& k) {
    QString out =
        QString("<h2>%1</h2><p><i>%2</i></p><p>%3</p>").arg(escaped(k.name), escaped(k.category), escaped(k.doc));
    QStringList inputs;
    for (const std::string& p : k.inputs) inputs << escaped(p);
    QStringList outputs;
    for (const std::string& p : k.outputs) outputs << escaped(p);
    out += QString("<p><b>Inputs:</b> %1%2<br><b>Outputs:</b> %3</p>")
               .arg(inputs.isEmpty() ? "none" : inputs.join(", "), k.variadic ? " (in0 … in{n−1}, n = num_inputs)" : "",
                    outputs.isEmpty() ? "none" : outputs.join(", "));
    out +=
        QString(
            "<h3>Arithmetic</h3><table cellpadding='3'><tr><td><b>Output shape</b></td><td>%1</td></tr>"
            "<tr><td><b>Parameters</b></td><td>%2</td></tr><tr><td><b>MACs</b> per sample</td><td>%3</td></tr></table>")
            .arg(escaped(k.formulas.shape), escaped(k.formulas.params), escaped(k.formulas.macs));
    if (!k.attrs.empty()) {
        out +=
            "<h3>Attributes</h3><table cellpadding='3' border='1' style='border-collapse: collapse'>"
            "<tr><th>name</th><th>type</th><th>default</th><th>range</th><th>meaning</th></tr>";
        for (const AttrSpec& a : k.attrs)
            out += QString("<tr><td><code>%1</code></td><td>%2</td><td>%3</td><td>%4</td><td>%5</td></tr>")
                       .arg(escaped(a.name), escaped(attrTypeName(a.type)), escaped(formatAttrValue(a.def)), range(a),
                            escaped(a.doc));
        out += "</table>";
    }
    return out;
}

LayerHelp::LayerHelp(QWidget* parent) : QDialog(parent), kinds_(new QListWidget), page_(new QTextBrowser) {
    setObjectName("layerHelp");
    setWindowTitle(tr("Layer help"));
    auto* layout = new QHBoxLayout(this);
    for (const LayerKind& k : Registry::instance().kinds()) kinds_->addItem(QString::fromStdString(k.name));
    kinds_->setMaximumWidth(190);
    layout->addWidget(kinds_);
    layout->addWidget(page_, 1);
    connect(kinds_, &QListWidget::currentTextChanged, this, [this](const QString& name) {
        if (const LayerKind* k = Registry::instance().find(name.toStdString())) page_->setHtml(html(*k));
    });
    resize(860, 560);
    showKind({});
}

void LayerHelp::showKind(const std::string& kind) {
    const QList<QListWidgetItem*> found = kinds_->findItems(QString::fromStdString(kind), Qt::MatchExactly);
    kinds_->setCurrentItem(found.isEmpty() ? kinds_->item(0) : found.first());
}

std::string LayerHelp::kind() const { return kinds_->currentItem() ? kinds_->currentItem()->text().toStdString() : ""; }

}  // namespace nw::ui
