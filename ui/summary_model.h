// The Summary dock's table as a model: one row per layer in run order, then the totals, which
// stay last whichever column is sorted. Rows are kept as values (text and sort keys), so a
// 100,000-layer network costs a vector, not 800,000 widget items, and the view asks only for the
// rows it shows. CSV export and copying read the model, never the view.
#pragma once
#include <QAbstractTableModel>
#include <QString>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "analysis.h"
#include "graph.h"

namespace nw::ui {

class SummaryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kColumns = 8;  // layer, kind, output, params, MACs, memory, receptive field, #
    struct Row {
        std::array<QString, kColumns> cells;
        std::array<std::optional<qlonglong>, kColumns> keys;  // numbers, for sorting and CSV
        bool total = false;
    };

    explicit SummaryModel(QObject* parent = nullptr);
    // The layers of `flat` in run order, then the totals. The same layers as before (an attribute
    // edit) update only the cells that changed; another network resets the model.
    void setAnalysis(const FlatGraph& flat, const Analysis& analysis);
    // Rows by module, as `netwright-cli summary --depth D` (report.h groupLayers): at depth 1 a row per
    // top-level node (a module instance with its subtotals), at 2 their blocks…; 0 = every layer.
    void setDepth(int depth, const Document& doc, const FlatGraph& flat, const Analysis& analysis);
    int depth() const { return depth_; }
    void clear();
    // The layer name shown in `row` (empty for the totals).
    std::string layerAt(int row) const;
    int rowOf(const std::string& layer) const;  // -1 if not shown
    std::string csv() const;                    // header, the rows as sorted, numbers as plain integers

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

private:
    std::vector<Row> rows_;
    int depth_ = 0;
    void setRows(std::vector<Row> rows);
    // What the rows were made from, in run order: an edit that changes no layer's name, kind, shape,
    // counts or field (a batch-norm's eps) costs a comparison, not 500 rows of formatting.
    struct Source {
        const LayerKind* kind;
        std::string name;
        bool known;
        Shape shape;
        Counts counts;
        Field field;
        bool operator==(const Source&) const = default;
    };
    std::vector<Source> sources_;
    int sortColumn_ = 7;
    Qt::SortOrder sortOrder_ = Qt::AscendingOrder;
    void sortRows();
};

}  // namespace nw::ui
