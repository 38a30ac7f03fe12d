#include "summary_model.h"

#include <QFont>
#include <QStringList>
#include <algorithm>
#include <unordered_map>

#include "files.h"
#include "report.h"

namespace nw::ui {

SummaryModel::SummaryModel(QObject* parent) : QAbstractTableModel(parent) {}

namespace {

SummaryModel::Row makeRow(const std::string& name, const std::string& kind, const std::string& shape, const Counts& c,
                          const std::string& field, std::optional<int64_t> order) {
    SummaryModel::Row r;
    r.cells[0] = QString::fromStdString(name);
    r.cells[1] = QString::fromStdString(kind);
    r.cells[2] = QString::fromStdString(shape);
    r.cells[3] = QString::fromStdString(formatInt(c.params));
    r.keys[3] = c.params;
    r.cells[4] = QString::fromStdString(formatInt(c.macs));
    r.keys[4] = c.macs;
    r.cells[5] = QString::fromStdString(formatBytes(c.activation_bytes));
    r.keys[5] = c.activation_bytes;
    r.cells[6] = QString::fromStdString(field);
    if (order) r.cells[7] = QString::fromStdString(formatInt(*order)), r.keys[7] = *order;
    return r;
}

}  // namespace

void SummaryModel::setAnalysis(const FlatGraph& flat, const Analysis& analysis) {
    std::vector<Source> sources;
    sources.reserve(analysis.order.size() + 1);
    for (int idx : analysis.order) {
        const FlatNode& node = flat.nodes[static_cast<size_t>(idx)];
        const NodeResult& r = analysis.nodes[static_cast<size_t>(idx)];
        sources.push_back(
            {node.kind, node.name, r.known, r.known && !r.outputs.empty() ? r.outputs[0] : Shape{}, r.counts, r.field});
    }
    sources.push_back({nullptr, "", true, analysis.outputShape, analysis.totals, {}});
    if (sources == sources_ && !rows_.empty()) return;
    sources_ = std::move(sources);
    std::vector<Row> rows;
    rows.reserve(analysis.order.size() + 1);
    int64_t position = 0;
    for (int idx : analysis.order) {
        const FlatNode& node = flat.nodes[static_cast<size_t>(idx)];
        const NodeResult& r = analysis.nodes[static_cast<size_t>(idx)];
        const bool sink = node.kind->outputs.empty();  // Output: nothing of its own to show
        rows.push_back(makeRow(node.name, node.kind->name,
                               sink                            ? "—"
                               : r.known && !r.outputs.empty() ? formatShape(r.outputs[0])
                                                               : "?",
                               r.counts, r.known && !sink ? r.field.text() : "", ++position));
    }
    rows.push_back(makeRow("Total", "", analysis.outputShape.empty() ? "?" : formatShape(analysis.outputShape),
                           analysis.totals, "", std::nullopt));
    rows.back().total = true;

    setRows(std::move(rows));
}

void SummaryModel::setDepth(int depth, const Document& doc, const FlatGraph& flat, const Analysis& analysis) {
    depth_ = std::max(0, depth);
    sources_.clear();  // the layer rows, when they come back, are made afresh
    if (depth_ == 0) return setAnalysis(flat, analysis);
    std::vector<Row> rows;
    int64_t position = 0;
    for (const SummaryGroup& g : groupLayers(doc, flat, analysis, depth_))
        rows.push_back(
            makeRow(g.name, g.kind, g.output.empty() ? "?" : formatShape(g.output), g.counts, "", ++position));
    rows.push_back(makeRow("Total", "", analysis.outputShape.empty() ? "?" : formatShape(analysis.outputShape),
                           analysis.totals, "", std::nullopt));
    rows.back().total = true;
    setRows(std::move(rows));
}

void SummaryModel::setRows(std::vector<Row> rows) {
    // The same layers (an attribute edit): change the cells that differ, where sorting put them.
    bool same = rows.size() == rows_.size();
    std::unordered_map<QString, size_t> at;
    if (same) {
        at.reserve(rows_.size());
        for (size_t i = 0; i < rows_.size(); ++i) at.emplace(rows_[i].cells[0], i);
        same = at.size() == rows.size() &&
               std::all_of(rows.begin(), rows.end(), [&](const Row& r) { return at.count(r.cells[0]) > 0; });
    }
    if (!same) {
        beginResetModel();
        rows_ = std::move(rows);
        sortRows();
        endResetModel();
        return;
    }
    int first = -1, last = -1;
    for (Row& r : rows) {
        const size_t i = at[r.cells[0]];
        if (rows_[i].cells == r.cells && rows_[i].keys == r.keys) continue;
        rows_[i] = std::move(r);
        first = first < 0 ? static_cast<int>(i) : std::min(first, static_cast<int>(i));
        last = std::max(last, static_cast<int>(i));
    }
    if (first >= 0) emit dataChanged(index(first, 0), index(last, kColumns - 1));
}

void SummaryModel::clear() {
    beginResetModel();
    rows_.clear();
    sources_.clear();
    endResetModel();
}

std::string SummaryModel::layerAt(int row) const {
    if (row < 0 || row >= static_cast<int>(rows_.size()) || rows_[static_cast<size_t>(row)].total) return {};
    return rows_[static_cast<size_t>(row)].cells[0].toStdString();
}

int SummaryModel::rowOf(const std::string& layer) const {
    const QString name = QString::fromStdString(layer);
    for (size_t i = 0; i < rows_.size(); ++i)
        if (!rows_[i].total && rows_[i].cells[0] == name) return static_cast<int>(i);
    return -1;
}

std::string SummaryModel::csv() const {
    auto quoted = [](QString v) {
        v.replace("\"", "\"\"");
        return v.contains(',') || v.contains('"') ? "\"" + v + "\"" : v;
    };
    QStringList lines, header;
    for (int c = 0; c < kColumns; ++c) header << quoted(headerData(c, Qt::Horizontal).toString());
    lines << header.join(',');
    for (const Row& r : rows_) {
        QStringList cells;
        for (int c = 0; c < kColumns; ++c)  // numbers as plain integers, so spreadsheets read them
            cells << (r.keys[static_cast<size_t>(c)] ? QString::number(*r.keys[static_cast<size_t>(c)])
                                                     : quoted(r.cells[static_cast<size_t>(c)]));
        lines << cells.join(',');
    }
    return (lines.join('\n') + '\n').toStdString();
}

int SummaryModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}
int SummaryModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kColumns; }

QVariant SummaryModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= static_cast<int>(rows_.size())) return {};
    const Row& r = rows_[static_cast<size_t>(index.row())];
    const auto c = static_cast<size_t>(index.column());
    switch (role) {
        case Qt::DisplayRole: return r.cells[c];
        case Qt::UserRole: return r.keys[c] ? QVariant(*r.keys[c]) : QVariant();
        case Qt::TextAlignmentRole:
            return r.keys[c] && c != 5 ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
        case Qt::FontRole:
            if (r.total) {
                QFont bold;
                bold.setBold(true);
                return bold;
            }
            return {};
        default: return {};
    }
}

QVariant SummaryModel::headerData(int section, Qt::Orientation orientation, int role) const {
    static const char* names[kColumns] = {"Layer", "Kind",   "Output",          "Params",
                                          "MACs",  "Memory", "Receptive field", "#"};
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= kColumns) return {};
    return tr(names[section]);
}

void SummaryModel::sort(int column, Qt::SortOrder order) {
    if (column < 0 || column >= kColumns) return;
    emit layoutAboutToBeChanged();
    sortColumn_ = column;
    sortOrder_ = order;
    sortRows();
    emit layoutChanged();
}

// Numbers by value, text by text; the totals row last in either order.
void SummaryModel::sortRows() {
    const auto c = static_cast<size_t>(sortColumn_);
    const bool ascending = sortOrder_ == Qt::AscendingOrder;
    std::stable_sort(rows_.begin(), rows_.end(), [&](const Row& a, const Row& b) {
        if (a.total != b.total) return b.total;
        const bool less = a.keys[c] && b.keys[c] ? *a.keys[c] < *b.keys[c] : a.cells[c] < b.cells[c];
        const bool greater = a.keys[c] && b.keys[c] ? *b.keys[c] < *a.keys[c] : b.cells[c] < a.cells[c];
        return ascending ? less : greater;
    });
}

}  // namespace nw::ui
