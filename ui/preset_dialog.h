// File › New from preset: every preset with its description, input shape, parameters and MACs, so
// a person can pick by what the networks are, not by file name.
#pragma once
#include <QDialog>
#include <string>

class QTableWidget;
class QTextBrowser;

namespace nw::ui {

class PresetDialog : public QDialog {
    Q_OBJECT
public:
    explicit PresetDialog(const std::string& presetDir, QWidget* parent = nullptr);
    std::string chosenPath() const;  // empty until one is chosen
    QTableWidget* table() const { return table_; }

private:
    QTableWidget* table_;
    QTextBrowser* description_;
};

}  // namespace nw::ui
