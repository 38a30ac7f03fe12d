// View › Compare: two designs side by side — the whole network, one of its nodes (a module instance),
// the current selection, or another file on each side — per layer and in total, with B − A and B / A.
#pragma once
#include <QDialog>
#include <memory>
#include <string>
#include <vector>

#include "analysis.h"
#include "compare.h"
#include "flatten.h"
#include "graph.h"

class QComboBox;
class QTableWidget;

namespace nw::ui {

class CompareDialog : public QDialog {
    Q_OBJECT
public:
    // `selection`: the canvas's selected top-level nodes when the dialog opened.
    CompareDialog(const Document& doc, std::vector<std::string> selection, QWidget* parent = nullptr);
    QComboBox* sideA() const { return sides_[0]; }
    QComboBox* sideB() const { return sides_[1]; }
    QTableWidget* table() const { return table_; }
    // Adds `path` as a choice on side `side` (0 = A, 1 = B) and selects it; returns the error, or empty.
    std::string addFile(int side, const std::string& path);
    const Comparison& comparison() const { return comparison_; }

private:
    struct Source {  // a loaded network one of the sides may show
        std::string label;
        FlatGraph flat;
        Analysis analysis;
    };
    std::vector<std::unique_ptr<Source>> sources_;  // [0] the open network, then files
    std::vector<std::string> selection_;
    QComboBox* sides_[2];
    QTableWidget* table_;
    Comparison comparison_;
    void fillChoices(QComboBox* box, const Document& doc);
    Selection selected(int side) const;
    void update();
};

}  // namespace nw::ui
