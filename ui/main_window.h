// The designer's main window: canvas, palette, summary and problems docks around the core's model.
// This first step views and inspects networks; editing comes next (issue 4).
#pragma once
#include <QMainWindow>
#include <string>

#include "analysis.h"
#include "graph.h"

class QListWidget;
class QTableWidget;
class QTreeWidget;
class QLineEdit;

namespace nw::ui {

class GraphView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    // Loads a .netw file; on failure keeps the current network and returns the error (also shown
    // in a message box unless `quiet`).
    std::string openFile(const std::string& path, bool quiet = false);
    bool saveScreenshot(const std::string& path);

    const Document& document() const { return doc_; }
    const Analysis& analysis() const { return analysis_; }
    GraphView* canvas() const { return view_; }
    QTableWidget* summary() const { return summary_; }
    QListWidget* problems() const { return problems_; }
    QTreeWidget* palette() const { return palette_; }
    QLineEdit* paletteFilter() const { return filter_; }

private:
    Document doc_;
    FlatGraph flat_;
    Analysis analysis_;
    std::string path_;
    GraphView* view_;
    QTableWidget* summary_;
    QListWidget* problems_;
    QTreeWidget* palette_;
    QLineEdit* filter_;

    void refresh();
    void buildMenus();
    void buildPalette();
    void fillSummary();
    void fillProblems();
    void filterPalette(const QString& text);
};

// The directory holding presets/ and resources/ (the source tree, or NETWRIGHT_DATA).
std::string dataDir();

}  // namespace nw::ui
