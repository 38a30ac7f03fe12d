#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QCloseEvent>
#include <QStandardPaths>
#include <QTimer>
#include <QTreeWidget>
#include <QUndoStack>
#include <QVBoxLayout>
#include <map>

#include "flatten.h"
#include "edits.h"
#include "graph_view.h"
#include "inspector.h"
#include "layout.h"
#include "preset_dialog.h"
#include "netw_format.h"
#include "registry.h"
#include "report.h"

namespace nw::ui {

std::string dataDir() {
    const char* env = std::getenv("NETWRIGHT_DATA");
    return env ? env : NETWRIGHT_SOURCE_DIR;
}

// One undo step: a core edit applied to the window's document.
class EditCommand : public QUndoCommand {
public:
    EditCommand(MainWindow* window, std::unique_ptr<Edit> edit)
        : QUndoCommand(QString::fromStdString(edit->text())), window_(window), edit_(std::move(edit)) {}
    void redo() override {
        edit_->apply(window_->doc_);
        window_->refresh();
    }
    void undo() override {
        edit_->revert(window_->doc_);
        window_->refresh();
    }

private:
    MainWindow* window_;
    std::unique_ptr<Edit> edit_;
};

namespace {

QTableWidgetItem* numberItem(int64_t v) {
    auto* item = new QTableWidgetItem;
    item->setData(Qt::DisplayRole, QString::fromStdString(formatInt(v)));
    item->setData(Qt::UserRole, static_cast<qlonglong>(v));
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), view_(new GraphView(this)), inspector_(new Inspector), undo_(new QUndoStack(this)) {
    setCentralWidget(view_);
    setDockNestingEnabled(true);

    auto* paletteBox = new QWidget;
    auto* paletteLayout = new QVBoxLayout(paletteBox);
    paletteLayout->setContentsMargins(4, 4, 4, 4);
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Search layers…"));
    filter_->setClearButtonEnabled(true);
    palette_ = new QTreeWidget;
    palette_->setHeaderHidden(true);
    paletteLayout->addWidget(filter_);
    paletteLayout->addWidget(palette_);
    auto* paletteDock = new QDockWidget(tr("Layers"), this);
    paletteDock->setObjectName("palette");
    paletteDock->setWidget(paletteBox);
    addDockWidget(Qt::LeftDockWidgetArea, paletteDock);
    buildPalette();
    connect(filter_, &QLineEdit::textChanged, this, &MainWindow::filterPalette);
    connect(palette_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        if (item->parent()) addLayer(item->text(0).toStdString());  // a kind, not a category
    });
    connect(view_, &GraphView::nodesMoved, this, [this](const QStringList& ids, const QList<QPointF>& positions) {
        std::vector<std::pair<std::string, Point>> moves;
        for (qsizetype i = 0; i < ids.size(); ++i) moves.push_back({ids[i].toStdString(), Point{positions[i].x(), positions[i].y()}});
        const std::string text = moves.size() == 1 ? "Move " + moves[0].first : "Move " + std::to_string(moves.size()) + " nodes";
        undo_->push(new EditCommand(this, std::make_unique<SetPositions>(std::move(moves), text)));
    });
    connect(view_, &GraphView::connectRequested, this, [this](const QString& from, const QString& to) {
        const std::string why = whyNotConnect(doc_, from.toStdString(), to.toStdString());
        if (!why.empty()) {
            statusBar()->showMessage(tr("Cannot connect: %1").arg(QString::fromStdString(why)), 6000);
            return;
        }
        undo_->push(new EditCommand(this, std::make_unique<AddEdge>(Edge{.from = from.toStdString(), .to = to.toStdString()})));
    });

    summary_ = new QTableWidget(0, 7);
    summary_->setHorizontalHeaderLabels({tr("Layer"), tr("Kind"), tr("Output"), tr("Params"), tr("MACs"), tr("Memory"),
                                         tr("Receptive field")});
    summary_->verticalHeader()->hide();
    summary_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    summary_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    summary_->setSelectionBehavior(QAbstractItemView::SelectRows);
    summary_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    auto* summaryDock = new QDockWidget(tr("Summary"), this);
    summaryDock->setObjectName("summary");
    summaryDock->setWidget(summary_);
    addDockWidget(Qt::RightDockWidgetArea, summaryDock);

    auto* inspectorDock = new QDockWidget(tr("Inspector"), this);
    inspectorDock->setObjectName("inspector");
    inspectorDock->setWidget(inspector_);
    addDockWidget(Qt::RightDockWidgetArea, inspectorDock);
    splitDockWidget(inspectorDock, summaryDock, Qt::Vertical);
    connect(view_->scene(), &QGraphicsScene::selectionChanged, this, [this] {
        inspector_->showNode(doc_, view_->selectedNode());
    });
    connect(inspector_, &Inspector::edited, this, [this](const QString& node, const QString& attr, const AttrValue& v) {
        undo_->push(new EditCommand(this, std::make_unique<SetAttribute>(node.toStdString(), attr.toStdString(), v)));
    });
    connect(undo_, &QUndoStack::cleanChanged, this, [this] { updateTitle(); });
    autosave_ = new QTimer(this);
    autosave_->setInterval(60'000);
    connect(autosave_, &QTimer::timeout, this, &MainWindow::autosaveNow);
    autosave_->start();

    problems_ = new QListWidget;
    auto* problemsDock = new QDockWidget(tr("Problems"), this);
    problemsDock->setObjectName("problems");
    problemsDock->setWidget(problems_);
    addDockWidget(Qt::BottomDockWidgetArea, problemsDock);
    connect(problems_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const std::string id = item->data(Qt::UserRole).toString().toStdString();
        if (!id.empty()) view_->focusNode(id);
    });

    buildMenus();
    resize(1440, 900);
    resizeDocks({paletteDock, summaryDock}, {210, 680}, Qt::Horizontal);
    resizeDocks({inspectorDock, summaryDock}, {230, 520}, Qt::Vertical);
    resizeDocks({problemsDock}, {90}, Qt::Vertical);
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open…"), this, [this] {
        QString path = QFileDialog::getOpenFileName(this, tr("Open network"), QString(), tr("Netwright networks (*.netw)"));
        if (!path.isEmpty()) openFile(path.toStdString());
    });
    open->setShortcut(QKeySequence::Open);
    QAction* fromPreset = file->addAction(tr("New from &preset…"), this, [this] {
        PresetDialog dialog(dataDir() + "/presets", this);
        if (dialog.exec() == QDialog::Accepted && !dialog.chosenPath().empty()) openFile(dialog.chosenPath());
    });
    fromPreset->setShortcut(QKeySequence::New);
    QAction* save = file->addAction(tr("&Save"), this, [this] {
        if (path_.empty()) return;
        if (std::string e = saveFile(path_); !e.empty()) QMessageBox::warning(this, tr("Cannot save"), QString::fromStdString(e));
    });
    save->setShortcut(QKeySequence::Save);
    QAction* saveAs = file->addAction(tr("Save &As…"), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Save network"), QString(), tr("Netwright networks (*.netw)"));
        if (path.isEmpty()) return;
        if (std::string e = saveFile(path.toStdString()); !e.empty())
            QMessageBox::warning(this, tr("Cannot save"), QString::fromStdString(e));
    });
    saveAs->setShortcut(QKeySequence::SaveAs);
    file->addAction(tr("Export canvas as &PNG…"), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export PNG"), QString(), tr("PNG images (*.png)"));
        if (!path.isEmpty()) view_->grab().save(path);
    });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* editMenu = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
    // The platform's redo key plus both common ones (Ctrl+Shift+Z, Ctrl+Y), whatever the desktop.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    for (const QKeySequence& k : {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)})
        if (!redoKeys.contains(k)) redoKeys << k;
    redo->setShortcuts(redoKeys);
    editMenu->addAction(undo);
    editMenu->addAction(redo);
    editMenu->addSeparator();
    QAction* del = editMenu->addAction(tr("&Delete"), this, &MainWindow::deleteSelection);
    del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    QAction* fit = viewMenu->addAction(tr("&Fit to window"), this, [this] { view_->fit(); });
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    viewMenu->addSeparator();
    viewMenu->addAction(tr("Auto-layout top to &bottom"), this, [this] { autoLayout(false); })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    viewMenu->addAction(tr("Auto-layout left to &right"), this, [this] { autoLayout(true); })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
}

void MainWindow::buildPalette() {
    std::map<std::string, QTreeWidgetItem*> categories;
    for (const LayerKind& k : Registry::instance().kinds()) {
        QTreeWidgetItem*& cat = categories[k.category];
        if (!cat) {
            cat = new QTreeWidgetItem(palette_, {QString::fromStdString(k.category)});
            cat->setExpanded(true);
        }
        auto* item = new QTreeWidgetItem(cat, {QString::fromStdString(k.name)});
        item->setToolTip(0, QString::fromStdString(k.doc));
    }
}

void MainWindow::filterPalette(const QString& text) {
    for (int c = 0; c < palette_->topLevelItemCount(); ++c) {
        QTreeWidgetItem* cat = palette_->topLevelItem(c);
        int visible = 0;
        for (int i = 0; i < cat->childCount(); ++i) {
            bool match = text.isEmpty() || cat->child(i)->text(0).contains(text, Qt::CaseInsensitive) ||
                         cat->text(0).contains(text, Qt::CaseInsensitive);
            cat->child(i)->setHidden(!match);
            visible += match;
        }
        cat->setHidden(visible == 0);
    }
}

std::string MainWindow::openFile(const std::string& path, bool quiet) {
    LoadResult r = loadNetw(path);
    if (!r.document) {
        std::string error = diagnosticsText(r.errors);
        if (!quiet) QMessageBox::warning(this, tr("Cannot open"), QString::fromStdString(error));
        statusBar()->showMessage(tr("Could not open %1").arg(QString::fromStdString(path)), 5000);
        return error;
    }
    doc_ = std::move(*r.document);
    path_ = path;
    undo_->clear();
    recovered_ = false;
    bool placed = true;
    for (const Node& n : doc_.graph.nodes) placed &= n.pos.has_value();
    if (!placed) layoutDocument(doc_, {}, 170, 58);
    refresh();
    view_->fit();
    updateTitle();
    return {};
}

std::string MainWindow::saveFile(const std::string& path) {
    if (std::string error = saveNetwAtomic(doc_, path); !error.empty()) return error;
    path_ = path;
    undo_->setClean();
    recovered_ = false;
    removeRecovery();
    updateTitle();
    return {};
}

std::string MainWindow::addLayer(const std::string& kind) {
    std::string base = kind;
    for (char& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Node node{.id = freshId(doc_, base), .kind = kind};
    const QPointF centre = view_->mapToScene(view_->viewport()->rect().center());
    node.pos = Point{centre.x(), centre.y()};
    // Below whatever already sits there, so new nodes never hide each other.
    auto occupied = [&](const Point& p) {
        for (const Node& n : doc_.graph.nodes)
            if (n.pos && std::abs(n.pos->x - p.x) < 180 && std::abs(n.pos->y - p.y) < 80) return true;
        return false;
    };
    while (occupied(*node.pos)) node.pos->y += 90;
    const std::string id = node.id;
    undo_->push(new EditCommand(this, std::make_unique<AddNode>(std::move(node))));
    view_->selectNode(id);
    return id;
}

void MainWindow::autoLayout(bool leftToRight) {
    Document laidOut = doc_;
    LayoutOptions options;
    options.direction = leftToRight ? LayoutDirection::LeftToRight : LayoutDirection::TopToBottom;
    layoutDocument(laidOut, options, 170, 58);
    std::vector<std::pair<std::string, Point>> positions;
    for (const Node& n : laidOut.graph.nodes)
        if (n.pos) positions.push_back({n.id, *n.pos});
    undo_->push(new EditCommand(this, std::make_unique<SetPositions>(std::move(positions), "Auto-layout")));
    view_->fit();
}

void MainWindow::deleteSelection() {
    std::vector<std::string> ids = view_->selectedNodes();
    if (!ids.empty()) undo_->push(new EditCommand(this, std::make_unique<RemoveNodes>(std::move(ids))));
}

std::string MainWindow::recoveryFile() {
    const char* env = std::getenv("NETWRIGHT_RECOVERY_DIR");
    const QString dir = env ? QString(env) : QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/recovery";
    return (dir + "/autosave.netw").toStdString();
}

void MainWindow::removeRecovery() {
    QFile::remove(QString::fromStdString(recoveryFile()));
    QFile::remove(QString::fromStdString(recoveryFile() + ".origin"));
}

void MainWindow::autosaveNow() {
    if (!isWindowModified()) return;
    const std::string file = recoveryFile();
    QDir().mkpath(QFileInfo(QString::fromStdString(file)).absolutePath());
    // The document first, then where it came from: a crash between the two leaves a usable file.
    if (writeFileAtomic(file, serializeNetw(doc_)).empty()) writeFileAtomic(file + ".origin", path_);
}

std::string MainWindow::restoreRecovery() {
    const std::string file = recoveryFile();
    std::string origin;
    readFile(file + ".origin", origin);
    if (std::string error = openFile(file, true); !error.empty()) return error;
    path_ = origin;  // saving goes back to the file the edits belong to
    recovered_ = true;
    updateTitle();
    return {};
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (isWindowModified()) {
        auto answer = QMessageBox::question(this, tr("Unsaved changes"),
                                            tr("Save the changes to %1?").arg(QString::fromStdString(doc_.name)),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        if (answer == QMessageBox::Cancel) return event->ignore();
        if (answer == QMessageBox::Save) {
            std::string error = path_.empty() ? "no file name" : saveFile(path_);
            if (!error.empty()) {
                QMessageBox::warning(this, tr("Cannot save"), QString::fromStdString(error));
                return event->ignore();
            }
        }
    }
    removeRecovery();  // a deliberate close leaves nothing to recover
    event->accept();
}

void MainWindow::updateTitle() {
    // [*] shows the modified marker while there are unsaved edits.
    setWindowTitle(QString::fromStdString((doc_.name.empty() ? path_ : doc_.name) + "[*] — Netwright"));
    setWindowModified(!undo_->isClean() || recovered_);
}

void MainWindow::refresh() {
    flat_ = flatten(doc_);
    analysis_ = analyze(flat_);
    // Facts per top-level node: its kind, its output (a module's last layer), its problems.
    std::map<std::string, NodeFacts> facts;
    for (const Node& n : doc_.graph.nodes) {
        NodeFacts& f = facts[n.id];
        const LayerKind* kind = Registry::instance().find(n.kind);
        f.kind = n.kind;
        f.category = kind ? kind->category : "Module";
    }
    for (int idx : analysis_.order) {
        const FlatNode& node = flat_.nodes[static_cast<size_t>(idx)];
        const NodeResult& r = analysis_.nodes[static_cast<size_t>(idx)];
        if (r.known && !r.outputs.empty()) facts[node.origin].shape = formatShape(r.outputs[0]);
    }
    for (const Diagnostic& d : analysis_.diagnostics) {
        int i = flat_.find(d.node);
        std::string id = i >= 0 ? flat_.nodes[static_cast<size_t>(i)].origin : d.node;
        auto it = facts.find(id);
        if (it == facts.end()) continue;
        (d.severity == Severity::Error ? it->second.errors : it->second.warnings)++;
        it->second.problems += (it->second.problems.empty() ? "" : "\n") + d.message;
    }
    const std::string selected = view_->selectedNode();
    {
        const QSignalBlocker quiet(view_->scene());  // redrawing is not a change of selection
        view_->show(doc_, facts);
        view_->selectNode(selected);
    }
    // The inspector may be inside the signal that caused this refresh: rebuild it afterwards.
    QTimer::singleShot(0, this, [this] { inspector_->showNode(doc_, view_->selectedNode()); });
    fillSummary();
    fillProblems();
    statusBar()->showMessage(QString::fromStdString(
        formatInt(analysis_.totals.params) + " params · " + formatInt(analysis_.totals.macs) + " MACs · " +
        std::to_string(analysis_.errorCount()) + " error(s)"));
}

void MainWindow::fillSummary() {
    summary_->setSortingEnabled(false);
    summary_->setRowCount(0);
    auto addRow = [&](const std::string& name, const std::string& kind, const std::string& shape, const Counts& c,
                      const std::string& field) {
        int row = summary_->rowCount();
        summary_->insertRow(row);
        summary_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(name)));
        summary_->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(kind)));
        summary_->setItem(row, 2, new QTableWidgetItem(QString::fromStdString(shape)));
        summary_->setItem(row, 3, numberItem(c.params));
        summary_->setItem(row, 4, numberItem(c.macs));
        summary_->setItem(row, 5, new QTableWidgetItem(QString::fromStdString(formatBytes(c.activation_bytes))));
        summary_->setItem(row, 6, new QTableWidgetItem(QString::fromStdString(field)));
    };
    for (int idx : analysis_.order) {
        const FlatNode& node = flat_.nodes[static_cast<size_t>(idx)];
        const NodeResult& r = analysis_.nodes[static_cast<size_t>(idx)];
        const bool sink = node.kind->outputs.empty();  // Output: nothing of its own to show
        addRow(node.name, node.kind->name, sink ? "—" : r.known && !r.outputs.empty() ? formatShape(r.outputs[0]) : "?",
               r.counts, r.known && !sink ? r.field.text() : "");
    }
    addRow("Total", "", formatShape(analysis_.outputShape), analysis_.totals, "");
    QFont bold = summary_->font();
    bold.setBold(true);
    for (int c = 0; c < summary_->columnCount(); ++c)
        if (auto* item = summary_->item(summary_->rowCount() - 1, c)) item->setFont(bold);
}

void MainWindow::fillProblems() {
    problems_->clear();
    for (const Diagnostic& d : analysis_.diagnostics) {
        int i = flat_.find(d.node);
        std::string id = i >= 0 ? flat_.nodes[static_cast<size_t>(i)].origin : d.node;
        auto* item = new QListWidgetItem(QString::fromStdString(
            std::string(d.severity == Severity::Error ? "error" : "warning") + "  " + d.node +
            (d.port.empty() ? "" : "." + d.port) + ": " + d.message));
        item->setForeground(d.severity == Severity::Error ? QColor(0xb0, 0x10, 0x10) : QColor(0x9a, 0x60, 0x00));
        item->setData(Qt::UserRole, QString::fromStdString(id));
        problems_->addItem(item);
    }
}

bool MainWindow::saveScreenshot(const std::string& path) { return grab().save(QString::fromStdString(path)); }

}  // namespace nw::ui
