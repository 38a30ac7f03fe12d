#include "compare_dialog.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include "netw_format.h"
#include "report.h"

namespace nw::ui {

namespace {

// What a choice in a side's list stands for: a source, and a node, the selection, or the whole.
struct Choice {
    int source = 0;
    QString node;  // empty: the whole network; "\n": the selection
};
constexpr const char* kSelectionTag = "\n";

QVariant encode(const Choice& c) { return QStringList{QString::number(c.source), c.node}; }
Choice decode(const QVariant& v) {
    const QStringList parts = v.toStringList();
    return parts.size() == 2 ? Choice{parts[0].toInt(), parts[1]} : Choice{};
}

QString ratioText(int64_t a, int64_t b) {
    if (a == 0) return b == 0 ? "=" : "—";
    return QString::number(static_cast<double>(b) / static_cast<double>(a), 'g', 3) + "×";
}

}  // namespace

CompareDialog::CompareDialog(const Document& doc, std::vector<std::string> selection, QWidget* parent)
    : QDialog(parent), selection_(std::move(selection)) {
    setWindowTitle(tr("Compare"));
    auto current = std::make_unique<Source>();
    current->label = doc.name.empty() ? "this network" : doc.name;
    current->flat = flatten(doc);
    current->analysis = analyze(current->flat);
    sources_.push_back(std::move(current));
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    for (int side = 0; side < 2; ++side) {
        auto* row = new QHBoxLayout;
        sides_[side] = new QComboBox;
        sides_[side]->setObjectName(side ? "B" : "A");
        fillChoices(sides_[side], doc);
        auto* file = new QPushButton(tr("File…"));
        row->addWidget(sides_[side], 1);
        row->addWidget(file);
        form->addRow(side ? tr("B:") : tr("A:"), row);
        connect(sides_[side], &QComboBox::currentIndexChanged, this, &CompareDialog::update);
        connect(file, &QPushButton::clicked, this, [this, side] {
            const QString path =
                QFileDialog::getOpenFileName(this, tr("Compare with"), QString(), tr("Netwright networks (*.netw)"));
            if (!path.isEmpty()) addFile(side, path.toStdString());
        });
    }
    layout->addLayout(form);
    table_ = new QTableWidget(0, 9);
    table_->setHorizontalHeaderLabels({tr("Layer"), tr("A: kind"), tr("A: output"), tr("A: params"), tr("A: MACs"),
                                       tr("B: kind"), tr("B: output"), tr("B: params"), tr("B: MACs")});
    table_->verticalHeader()->hide();
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(table_, 1);
    // Two nodes selected: compare them; else the first two module instances, else the whole network twice.
    int a = 0, b = 0;
    for (int i = 0; i < sides_[0]->count(); ++i) {
        const Choice c = decode(sides_[0]->itemData(i));
        if (selection_.size() == 2 && c.node == QString::fromStdString(selection_[0])) a = i;
        if (selection_.size() == 2 && c.node == QString::fromStdString(selection_[1])) b = i;
    }
    sides_[0]->setCurrentIndex(a);
    sides_[1]->setCurrentIndex(b);
    update();
    resize(1000, 560);
}

void CompareDialog::fillChoices(QComboBox* box, const Document& doc) {
    box->addItem(tr("The whole network"), encode({0, ""}));
    if (!selection_.empty())
        box->addItem(tr("The selection (%1 nodes)").arg(selection_.size()), encode({0, kSelectionTag}));
    for (const Node& n : doc.graph.nodes)
        box->addItem(QString::fromStdString(n.id + " (" + n.kind + ")"), encode({0, QString::fromStdString(n.id)}));
}

std::string CompareDialog::addFile(int side, const std::string& path) {
    LoadResult r = loadNetw(path);
    if (!r.document) return diagnosticsText(r.errors);
    auto source = std::make_unique<Source>();
    source->label = path;
    source->flat = flatten(*r.document);
    source->analysis = analyze(source->flat);
    sources_.push_back(std::move(source));
    const int index = static_cast<int>(sources_.size()) - 1;
    for (QComboBox* box : sides_) box->addItem(QString::fromStdString(path), encode({index, ""}));
    sides_[side]->setCurrentIndex(sides_[side]->count() - 1);
    return {};
}

Selection CompareDialog::selected(int side) const {
    const Choice c = decode(sides_[side]->currentData());
    const Source& s = *sources_[static_cast<size_t>(c.source)];
    Selection sel{sides_[side]->currentText().toStdString(), &s.flat, &s.analysis, {}, {}};
    if (c.node == kSelectionTag) sel.origins = selection_;
    else sel.origin = c.node.toStdString();
    return sel;
}

void CompareDialog::update() {
    comparison_ = compare(selected(0), selected(1));
    const Comparison& c = comparison_;
    table_->setRowCount(0);
    auto put = [&](int row, int col, const QString& text, bool number = false) {
        auto* item = new QTableWidgetItem(text);
        if (number) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table_->setItem(row, col, item);
    };
    auto side = [&](int row, int col, const Selection& s, int i) {
        if (i < 0) return put(row, col, "—");
        const NodeResult& r = s.analysis->nodes[static_cast<size_t>(i)];
        put(row, col, QString::fromStdString(s.graph->nodes[static_cast<size_t>(i)].kind->name));
        put(row, col + 1, QString::fromStdString(r.known && !r.outputs.empty() ? formatShape(r.outputs[0]) : "?"));
        put(row, col + 2, QString::fromStdString(formatInt(r.counts.params)), true);
        put(row, col + 3, QString::fromStdString(formatInt(r.counts.macs)), true);
    };
    for (const CompareRow& r : c.rows) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        put(row, 0, QString::fromStdString(r.name));
        side(row, 1, c.a, r.a);
        side(row, 5, c.b, r.b);
    }
    // Totals, then what B costs relative to A: the line to read at a glance.
    QFont bold = font();
    bold.setBold(true);
    const std::pair<const char*, std::pair<int64_t, int64_t>> totals[] = {
        {"Total params", {c.totalA.params, c.totalB.params}}, {"Total MACs", {c.totalA.macs, c.totalB.macs}}};
    for (const auto& [label, values] : totals) {
        const int row = table_->rowCount();
        table_->insertRow(row);
        put(row, 0, tr(label));
        put(row, 3 + (label[6] == 'M'), QString::fromStdString(formatInt(values.first)), true);
        put(row, 7 + (label[6] == 'M'), QString::fromStdString(formatInt(values.second)), true);
        put(row, 5,
            tr("B / A = %1   (B − A = %2)")
                .arg(ratioText(values.first, values.second),
                     QString::fromStdString(formatInt(values.second - values.first))));
        for (int col = 0; col < table_->columnCount(); ++col)
            if (QTableWidgetItem* item = table_->item(row, col)) item->setFont(bold);
    }
}

}  // namespace nw::ui
