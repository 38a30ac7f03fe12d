// The designer's main window: canvas, palette, summary and problems docks around the core's model.
// Every change goes through a core Edit wrapped in one QUndoStack step.
#pragma once
#include <QMainWindow>
#include <QPointF>
#include <memory>
#include <optional>
#include <string>

#include "analysis.h"
#include "crash_recovery.h"
#include "design_session.h"
#include "graph.h"
#include "tensor_io.h"

class QComboBox;
class QListWidget;
class QUndoStack;
class QTimer;
class QTableView;
class QTreeWidget;
class QLineEdit;

class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;

namespace nw {
struct Restructured;
class Edit;
}  // namespace nw

namespace nw::ui {

class GraphView;
class SummaryModel;
class RunPanel;
class TrainPanel;
class Inspector;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;
    // Loads a .netw file; on failure keeps the current network and returns the error (also shown
    // in a message box unless `quiet`).
    std::string openFile(const std::string& path, bool quiet = false);
    bool saveScreenshot(const std::string& path);
    // Saves atomically (a crash leaves the old file or the new one); returns the error, or empty.
    std::string saveFile(const std::string& path);
    // File › Save (Save As when `askPath` or untitled: presets and read-only files open untitled, so
    // they are never written over); false if cancelled or it failed (said in a message box).
    bool saveInteractive(bool askPath);
    // File › Export › ONNX model: the network with the Run panel's weights (seeded PyTorch-default
    // ones when it has none, or they no longer fit); returns the error, or empty, and the notes.
    std::string exportOnnx(const std::string& path, std::vector<std::string>* notes = nullptr);
    // File › Export as PyTorch project: model.py, train.py, README.md and weights.safetensors (the
    // same weights as exportOnnx) in `dir`, made if missing; returns the error, or empty.
    std::string exportPytorch(const std::string& dir, std::vector<std::string>* notes = nullptr);
    // Before the document is replaced or the window closed: with unsaved changes, asks Save /
    // Discard / Cancel. True when it may go ahead (saved or discarded).
    bool confirmDiscard();
    void newDocument();  // File › New: an untitled network holding one Input
    // Problems › Apply fix: applies problem `problem`'s (its row) fix as one undo step; returns why
    // not, or empty.
    std::string applyFix(int problem);
    // Adds a layer of `kind` at `scenePos`, or the centre of the view (one undo step); returns its id.
    std::string addLayer(const std::string& kind, std::optional<QPointF> scenePos = std::nullopt);
    void deleteSelection();  // the selected nodes and their wires, one undo step
    // Graphviz positions for every node (the layered layout past 2,500 nodes), computed off the GUI
    // thread with a busy bar and Cancel in the status bar, then animated (unless `animate` is false or
    // the graph is large) and applied as one undo step; `layoutFinished` is emitted after it, also
    // when it was cancelled (then nothing changes).
    void autoLayout(bool leftToRight, bool animate = true);
    // Structural edits, each one undo step; they return the error shown in the status bar, or empty.
    std::string groupSelection(const std::string& moduleName);
    std::string expandSelected();
    std::string repeatSelected(int64_t copies);
    void copySelection();  // to the clipboard, as .netw JSON
    // From the clipboard (also from another window or application instance), centred at `scenePos`,
    // else at the mouse if it is over the canvas, else the view's centre; pasting the same clip again
    // (without a place) lands 40 units further down and right each time, never on the earlier copy.
    std::string paste(std::optional<QPointF> scenePos = std::nullopt);
    // Edit › Find node (Ctrl+F): the node whose id is `text`, else the first whose id contains it,
    // else the first of that kind; selected and centred. Returns its id, or empty.
    std::string findNode(const std::string& text);
    // The menu of the last right click on the canvas (for tests); shown with popup().
    QMenu* contextMenu() const { return contextMenu_; }
    std::string duplicateSelection();
    // Help › Layer help (F1): the documentation of `kind`, else of the selected node's or the
    // palette's kind, generated from the registry. The dialog stays open beside the window.
    void showLayerHelp(const std::string& kind = {});
    class LayerHelp* layerHelp() const {
        return layerHelp_;
    }
    QStringList recentFiles() const;
    // Module editing: the canvas shows module `name`'s body (its inputs and outputs as end nodes)
    // and every edit changes the definition, so all its instances; closeModule goes back.
    std::string openModule(const std::string& name);
    void closeModule();
    const std::string& openModuleName() const { return session_.scope(); }
    // The document whose graph the canvas shows: the document, or the open module's view of it.
    const Document& shown() const { return session_.shown(); }
    void setDarkTheme(bool dark);
    std::string summaryCsv() const;  // the summary table as CSV, totals last

    // Crash recovery (crash_recovery.h): while there are unsaved edits, the document is written every
    // minute to this window's own recovery slot; a clean save or close removes it. A failed autosave
    // says so in the status bar. At start-up the app offers back what a crash left.
    void autosaveNow();
    const RecoverySlot* recoverySlot() const { return recovery_.get(); }
    // Opens an orphaned slot (the newest when none is given) as unsaved edits of the file it came
    // from, which Save then writes; returns the error, or empty.
    std::string restoreRecovery(std::unique_ptr<RecoverySlot> slot = nullptr);
    QTimer* autosaveTimer() const { return autosave_; }
    // The file Save writes (absolute), or empty for an untitled network.
    const std::string& filePath() const { return path_; }

    const Document& document() const { return session_.document(); }
    const Analysis& analysis() const { return session_.analysis(); }
    const FlatGraph& flat() const { return session_.flat(); }
    // The core session the window draws: document, history, analysis, module scope.
    const DesignSession& session() const { return session_; }
    GraphView* canvas() const { return view_; }
    QTableView* summary() const { return summary_; }
    SummaryModel* summaryModel() const { return summaryModel_; }
    QComboBox* summaryDepth() const { return summaryDepth_; }  // 0: every layer, 1: top-level nodes…
    QListWidget* problems() const { return problems_; }
    QTreeWidget* palette() const { return palette_; }
    QLineEdit* paletteFilter() const { return filter_; }
    Inspector* inspector() const { return inspector_; }
    QUndoStack* undoStack() const { return undo_; }
    RunPanel* runPanel() const { return run_; }
    TrainPanel* trainPanel() const { return train_; }

signals:
    void layoutFinished();

private:
    DesignSession session_;
    std::shared_ptr<const TensorMap> exportWeights(std::vector<std::string>& notes) const;
    std::string path_;
    GraphView* view_;
    QTableView* summary_;
    SummaryModel* summaryModel_;
    QComboBox* summaryDepth_ = nullptr;
    QListWidget* problems_;
    QTreeWidget* palette_;
    QLineEdit* filter_;
    Inspector* inspector_;
    QUndoStack* undo_;
    QTimer* autosave_;
    bool recovered_ = false;                  // holds restored edits not yet saved
    std::unique_ptr<RecoverySlot> recovery_;  // made at the first autosave
    bool autosaveFailed_ = false;
    RunPanel* run_ = nullptr;
    TrainPanel* train_ = nullptr;
    QLabel* crumb_ = nullptr;
    QWidget* crumbBar_ = nullptr;
    // One undo step: `edit` applied by the session (to the open module unless `wholeDocument`).
    void pushEdit(std::unique_ptr<nw::Edit> edit, bool wholeDocument = false);
    void sessionChanged(const SessionChange& change);
    // A new document in the session (opened, new, restored): history cleared, view fitted.
    void replaceDocument(Document doc);
    class QMenu* recentMenu_ = nullptr;
    bool layoutRunning_ = false;
    QByteArray lastPaste_;  // the clip pasted last, and how often in a row
    int pasteRepeat_ = 0;
    QMenu* contextMenu_ = nullptr;
    class LayerHelp* layerHelp_ = nullptr;
    void showContextMenu(const QString& node, const QStringList& wire, const QPointF& scenePos,
                         const QPoint& globalPos);
    bool layoutCancelled_ = false;  // Cancel was pressed: the running layout's result is dropped
    QProgressBar* layoutProgress_ = nullptr;
    QPushButton* layoutCancel_ = nullptr;
    QPushButton* applyFix_ = nullptr;
    std::string applyRestructured(const nw::Restructured& r, const std::string& text);
    void rememberRecent(const std::string& path);
    void fillRecentMenu();

    void refresh();
    void showTotals();  // params, MACs and errors in the status bar
    void updateTitle();
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;  // undo keys in inspector fields
    void removeRecovery();
    std::string loadFile(const std::string& path, bool quiet, bool remember);
    void buildMenus();
    void buildPalette();
    void fillSummary();
    void fillProblems();
    void filterPalette(const QString& text);
};

}  // namespace nw::ui
