// The designer's main window: canvas, palette, summary and problems docks around the core's model.
// Every change goes through a core Edit wrapped in one QUndoStack step.
#pragma once
#include <QMainWindow>
#include <string>

#include "analysis.h"
#include "graph.h"

class QListWidget;
class QUndoStack;
class QTimer;
class QTableWidget;
class QTreeWidget;
class QLineEdit;

namespace nw::ui {

class GraphView;
class Inspector;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    // Loads a .netw file; on failure keeps the current network and returns the error (also shown
    // in a message box unless `quiet`).
    std::string openFile(const std::string& path, bool quiet = false);
    bool saveScreenshot(const std::string& path);
    // Saves atomically (a crash leaves the old file or the new one); returns the error, or empty.
    std::string saveFile(const std::string& path);
    // Adds a layer of `kind` at the centre of the view (one undo step); returns its id.
    std::string addLayer(const std::string& kind);
    void deleteSelection();  // the selected nodes and their wires, one undo step
    void autoLayout(bool leftToRight);  // Graphviz positions for every node, one undo step

    // Crash recovery: while there are unsaved edits, the document is written every minute to a
    // recovery file (in NETWRIGHT_RECOVERY_DIR, else the local data directory); a clean save or
    // close removes it. At start-up the app offers to restore what a crash left.
    void autosaveNow();
    static std::string recoveryFile();
    // Opens the recovery file as unsaved edits of the file it came from; returns the error, or empty.
    std::string restoreRecovery();
    QTimer* autosaveTimer() const { return autosave_; }

    const Document& document() const { return doc_; }
    const Analysis& analysis() const { return analysis_; }
    const FlatGraph& flat() const { return flat_; }
    GraphView* canvas() const { return view_; }
    QTableWidget* summary() const { return summary_; }
    QListWidget* problems() const { return problems_; }
    QTreeWidget* palette() const { return palette_; }
    QLineEdit* paletteFilter() const { return filter_; }
    Inspector* inspector() const { return inspector_; }
    QUndoStack* undoStack() const { return undo_; }

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
    Inspector* inspector_;
    QUndoStack* undo_;
    QTimer* autosave_;
    bool recovered_ = false;  // holds restored edits not yet saved
    friend class EditCommand;

    void refresh();
    void updateTitle();
    void closeEvent(QCloseEvent* event) override;
    static void removeRecovery();
    void buildMenus();
    void buildPalette();
    void fillSummary();
    void fillProblems();
    void filterPalette(const QString& text);
};

// The directory holding presets/ and resources/ (the source tree, or NETWRIGHT_DATA).
std::string dataDir();

}  // namespace nw::ui
