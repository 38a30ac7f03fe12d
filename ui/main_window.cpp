#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QHeaderView>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTableView>
#include <QKeyEvent>
#include <QCursor>
#include <QMenu>
#include <QProgressBar>
#include <QPixmap>
#include <QPushButton>
#include <QHeaderView>
#include <QCloseEvent>
#include <QStandardPaths>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidget>
#include <QUndoStack>
#include <QClipboard>
#include <QFutureWatcher>
#include <QGraphicsItem>
#include <QInputDialog>
#include <QMimeData>
#include <QSettings>
#include <QStyleFactory>
#include <QVariantAnimation>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <map>

#include "flatten.h"
#include "edits.h"
#include "clipboard.h"
#include "crash_recovery.h"
#include "graph_view.h"
#include "summary_model.h"
#include "inference.h"
#include "inspector.h"
#include "layer_help.h"
#include "layout.h"
#include "preset_dialog.h"
#include "importer.h"
#include "netw_format.h"
#include "onnx_export.h"
#include "pytorch_export.h"
#include "registry.h"
#include "weights.h"
#include "report.h"
#include "restructure.h"
#include "run_panel.h"
#include "train_panel.h"
#include "compare_dialog.h"

namespace nw::ui {

namespace {

// One undo step of the window's Edit menu: the QUndoStack mirrors the session's history (which owns
// the edits), so its first redo applies the edit and later ones redo it.
class EditCommand : public QUndoCommand {
public:
    EditCommand(DesignSession& session, std::unique_ptr<Edit> edit, bool wholeDocument)
        : QUndoCommand(QString::fromStdString(
              session.scope().empty() || wholeDocument ? edit->text() : edit->text() + " in " + session.scope())),
          session_(session),
          edit_(std::move(edit)),
          wholeDocument_(wholeDocument) {}
    void redo() override {
        if (edit_) session_.apply(std::move(edit_), wholeDocument_);
        else session_.redo();
    }
    void undo() override { session_.undo(); }

private:
    DesignSession& session_;
    std::unique_ptr<Edit> edit_;  // until it is first applied
    bool wholeDocument_;
};

}  // namespace

namespace {

// The palette drags the layer kind's name, for the canvas to drop.
class PaletteTree : public QTreeWidget {
protected:
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override {
        if (items.isEmpty() || !items.first()->parent()) return nullptr;  // a category is not a layer
        auto* mime = new QMimeData;
        mime->setData(GraphView::kKindMime, items.first()->text(0).toUtf8());
        mime->setText(items.first()->text(0));
        return mime;
    }
    QStringList mimeTypes() const override { return {GraphView::kKindMime}; }
};

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), view_(new GraphView(this)), inspector_(new Inspector), undo_(new QUndoStack(this)) {
    session_.nodeSize = Point{kNodeWidth, kNodeHeight};
    session_.setListener([this](const SessionChange& change) { sessionChanged(change); });
    view_->setRoutes(&session_.routes());
    // The canvas, under a breadcrumb bar that appears while a module is open for editing.
    auto* centre = new QWidget;
    auto* centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->setSpacing(0);
    crumbBar_ = new QWidget;
    auto* crumbLayout = new QHBoxLayout(crumbBar_);
    crumbLayout->setContentsMargins(8, 4, 8, 4);
    auto* back = new QPushButton(tr("‹ Back to the network"));
    crumb_ = new QLabel;
    crumbLayout->addWidget(back);
    crumbLayout->addWidget(crumb_, 1);
    crumbBar_->setAutoFillBackground(true);
    crumbBar_->setBackgroundRole(QPalette::AlternateBase);
    crumbBar_->hide();
    connect(back, &QPushButton::clicked, this, &MainWindow::closeModule);
    centreLayout->addWidget(crumbBar_);
    centreLayout->addWidget(view_, 1);
    setCentralWidget(centre);
    setDockNestingEnabled(true);

    auto* paletteBox = new QWidget;
    auto* paletteLayout = new QVBoxLayout(paletteBox);
    paletteLayout->setContentsMargins(4, 4, 4, 4);
    filter_ = new QLineEdit;
    filter_->setPlaceholderText(tr("Search layers…"));
    filter_->setClearButtonEnabled(true);
    palette_ = new PaletteTree;
    palette_->setHeaderHidden(true);
    palette_->setIndentation(12);  // room for the kinds' names beside their colour swatches
    palette_->setDragEnabled(true);
    palette_->setDragDropMode(QAbstractItemView::DragOnly);
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
    connect(view_, &GraphView::fileDropped, this, [this](const QString& path) {
        if (confirmDiscard()) openFile(path.toStdString());
    });
    connect(view_, &GraphView::kindDropped, this,
            [this](const QString& kind, const QPointF& at) { addLayer(kind.toStdString(), at); });
    view_->whyNot = [this](const std::string& from, const std::string& to) -> std::string {
        return session_.whyNotConnect(Edge{.from = from, .to = to});
    };
    connect(view_, &GraphView::nodesMoved, this, [this](const QStringList& ids, const QList<QPointF>& positions) {
        std::vector<std::pair<std::string, Point>> moves;
        for (qsizetype i = 0; i < ids.size(); ++i)
            moves.push_back({ids[i].toStdString(), Point{positions[i].x(), positions[i].y()}});
        const std::string text =
            moves.size() == 1 ? "Move " + moves[0].first : "Move " + std::to_string(moves.size()) + " nodes";
        pushEdit(std::make_unique<SetPositions>(std::move(moves), text));
    });
    connect(view_, &GraphView::connectRequested, this,
            [this](const QString& from, const QString& fromPort, const QString& to, const QString& toPort) {
                const Edge edge{from.toStdString(), fromPort.toStdString(), to.toStdString(), toPort.toStdString()};
                const std::string why = session_.whyNotConnect(edge);
                if (!why.empty()) {
                    statusBar()->showMessage(tr("Cannot connect: %1").arg(QString::fromStdString(why)), 6000);
                    return;
                }
                // A single-output source needs no port name in the file; an input named only when chosen.
                Edge written = edge;
                if (const NodeFacts* f = session_.factsOf(edge.from); f && f->outputs.size() == 1)
                    written.fromPort.clear();
                pushEdit(std::make_unique<AddEdge>(written));
            });
    connect(
        view_, &GraphView::rewireRequested, this,
        [this](const QStringList& wire, const QString& to, const QString& toPort) {
            std::string why;
            const Edge drawn{wire[0].toStdString(), wire[1].toStdString(), wire[2].toStdString(),
                             wire[3].toStdString()};
            if (std::unique_ptr<Edit> edit = session_.rewireEdit(drawn, to.toStdString(), toPort.toStdString(), why))
                pushEdit(std::move(edit));
            else statusBar()->showMessage(tr("Cannot move the wire: %1").arg(QString::fromStdString(why)), 6000);
        });
    connect(view_, &GraphView::contextMenuRequested, this, &MainWindow::showContextMenu);
    connect(view_, &GraphView::nodeActivated, this, [this](const QString& id) {  // double click: open a module
        if (const Node* n = shown().graph.find(id.toStdString()); n && document().findModule(n->kind))
            openModule(n->kind);
    });

    summaryModel_ = new SummaryModel(this);
    summary_ = new QTableView;
    summary_->setObjectName("summaryTable");
    summary_->setModel(summaryModel_);
    summary_->setSortingEnabled(true);
    // Run order (column #) until the person sorts by another column; clicking # brings it back.
    summary_->horizontalHeader()->setSortIndicator(7, Qt::AscendingOrder);
    summary_->horizontalHeader()->setSortIndicatorShown(true);
    summary_->verticalHeader()->hide();
    summary_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    summary_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);  // rows are never measured one by one
    summary_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    summary_->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Column widths from the contents when a network is opened (sampling rows), not on every edit:
    // measuring 500 rows × 8 columns of text each time would cost more than the 16 ms an edit has.
    summary_->horizontalHeader()->setResizeContentsPrecision(200);
    // A row click selects and centres the node the layer belongs to.
    connect(summary_, &QTableView::clicked, this, [this](const QModelIndex& index) {
        const std::string row = summaryModel_->layerAt(index.row());
        std::string id = session_.shownNodeOf(flat().find(row));
        if (id.empty() && session_.scope().empty()) id = row.substr(0, row.find('.'));  // a group: its top-level node
        if (!id.empty()) view_->focusNode(id);
    });
    auto* summaryDock = new QDockWidget(tr("Summary"), this);
    summaryDock->setObjectName("summary");
    // Depth, as torchinfo's and `summary --depth`: every layer, or module instances with their subtotals.
    auto* summaryBox = new QWidget;
    auto* summaryLayout = new QVBoxLayout(summaryBox);
    summaryLayout->setContentsMargins(0, 0, 0, 0);
    summaryLayout->setSpacing(2);
    auto* depthRow = new QHBoxLayout;
    depthRow->setContentsMargins(4, 2, 4, 0);
    summaryDepth_ = new QComboBox;
    summaryDepth_->setObjectName("summaryDepth");
    summaryDepth_->addItems({tr("Every layer"), tr("Top-level nodes (modules with subtotals)"),
                             tr("Depth 2 (their blocks)"), tr("Depth 3")});
    depthRow->addWidget(new QLabel(tr("Show:")));
    depthRow->addWidget(summaryDepth_, 1);
    summaryLayout->addLayout(depthRow);
    summaryLayout->addWidget(summary_, 1);
    connect(summaryDepth_, &QComboBox::currentIndexChanged, this, [this] {
        summaryModel_->clear();
        fillSummary();
        summary_->resizeColumnsToContents();
    });
    summaryDock->setWidget(summaryBox);
    addDockWidget(Qt::RightDockWidgetArea, summaryDock);

    auto* inspectorDock = new QDockWidget(tr("Inspector"), this);
    inspectorDock->setObjectName("inspector");
    inspectorDock->setWidget(inspector_);
    addDockWidget(Qt::RightDockWidgetArea, inspectorDock);
    splitDockWidget(inspectorDock, summaryDock, Qt::Vertical);
    connect(view_->scene(), &QGraphicsScene::selectionChanged, this,
            [this] { inspector_->showNode(shown(), view_->selectedNode()); });
    connect(inspector_, &Inspector::edited, this, [this](const QString& node, const QString& attr, const AttrValue& v) {
        pushEdit(std::make_unique<SetAttribute>(node.toStdString(), attr.toStdString(), v));
    });
    connect(inspector_, &Inspector::repeatEdited, this, [this](const QString& node, int copies) {
        const std::string id = node.toStdString();
        if (std::string e =
                applyRestructured(setRepeat(shown(), id, copies), "Repeat " + id + " ×" + std::to_string(copies));
            !e.empty())
            statusBar()->showMessage(QString::fromStdString(e), 6000);
    });
    connect(inspector_, &Inspector::conditionEdited, this, [this](const QString& node, const QString& when) {
        pushEdit(std::make_unique<SetCondition>(node.toStdString(), when.toStdString()));
    });
    connect(inspector_, &Inspector::documentEdited, this, [this](const QString& name, const QString& description) {
        if (!session_.scope().empty()) return;  // a module's body has no name of its own here
        pushEdit(std::make_unique<SetDocumentInfo>(name.toStdString(), description.toStdString()));
        updateTitle();
    });
    connect(undo_, &QUndoStack::cleanChanged, this, [this] { updateTitle(); });
    // While a layout runs: a busy bar and Cancel in the status bar.
    layoutProgress_ = new QProgressBar;
    layoutProgress_->setRange(0, 0);
    layoutProgress_->setMaximumWidth(120);
    layoutProgress_->hide();
    layoutCancel_ = new QPushButton(tr("Cancel"));
    layoutCancel_->setObjectName("cancelLayout");
    layoutCancel_->hide();
    connect(layoutCancel_, &QPushButton::clicked, this, [this] { layoutCancelled_ = true; });
    statusBar()->addPermanentWidget(layoutProgress_);
    statusBar()->addPermanentWidget(layoutCancel_);
    // Ctrl+Z / Ctrl+Shift+Z in an inspector field undo the network's edits (a field's own text undo
    // would otherwise swallow them): the field's value is committed first.
    qApp->installEventFilter(this);
    autosave_ = new QTimer(this);
    autosave_->setInterval(60'000);
    connect(autosave_, &QTimer::timeout, this, &MainWindow::autosaveNow);
    autosave_->start();

    problems_ = new QListWidget;
    // Apply fix: the selected problem's fix (in_features = 1408), when the validator offers one.
    applyFix_ = new QPushButton(tr("Apply fix"));
    applyFix_->setObjectName("applyFix");
    applyFix_->setEnabled(false);
    auto* problemsPanel = new QWidget;
    auto* problemsLayout = new QHBoxLayout(problemsPanel);
    problemsLayout->setContentsMargins(0, 0, 0, 0);
    problemsLayout->addWidget(problems_, 1);
    problemsLayout->addWidget(applyFix_, 0, Qt::AlignTop);
    connect(problems_, &QListWidget::currentRowChanged, this, [this](int row) {
        const std::unique_ptr<Edit> fix = row >= 0 && row < static_cast<int>(analysis().diagnostics.size())
                                              ? session_.fixFor(analysis().diagnostics[static_cast<size_t>(row)])
                                              : nullptr;
        applyFix_->setEnabled(fix != nullptr);
        applyFix_->setToolTip(fix ? QString::fromStdString(fix->text()) : tr("This problem has no automatic fix"));
    });
    connect(applyFix_, &QPushButton::clicked, this, [this] { applyFix(problems_->currentRow()); });
    auto* problemsDock = new QDockWidget(tr("Problems"), this);
    problemsDock->setObjectName("problems");
    problemsDock->setWidget(problemsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, problemsDock);
    connect(problems_, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        const std::string id = item->data(Qt::UserRole).toString().toStdString();
        if (!id.empty()) view_->focusNode(id);
    });

    run_ = new RunPanel(this);
    auto* runDock = new QDockWidget(tr("Run"), this);
    runDock->setObjectName("run");
    runDock->setWidget(run_);
    addDockWidget(Qt::RightDockWidgetArea, runDock);
    tabifyDockWidget(summaryDock, runDock);
    train_ = new TrainPanel(this);
    auto* trainDock = new QDockWidget(tr("Train"), this);
    trainDock->setObjectName("train");
    trainDock->setWidget(train_);
    addDockWidget(Qt::RightDockWidgetArea, trainDock);
    tabifyDockWidget(runDock, trainDock);
    // Trained weights go to the Run panel, which then shows real predictions.
    connect(train_, &TrainPanel::trained, this, [this](std::shared_ptr<const TensorMap> weights, const QString& label) {
        if (weights) run_->useWeights(std::move(weights), label.toStdString());  // says why when they no longer fit
    });
    summaryDock->raise();
    connect(view_->scene(), &QGraphicsScene::selectionChanged, this, [this] { run_->showNode(view_->selectedNode()); });

    buildMenus();
    resize(1440, 900);
    // The canvas gets most of the window: narrow side docks (the Summary scrolls sideways).
    resizeDocks({paletteDock, summaryDock}, {185, 440}, Qt::Horizontal);
    resizeDocks({inspectorDock, summaryDock}, {230, 520}, Qt::Vertical);
    resizeDocks({problemsDock}, {90}, Qt::Vertical);
    // Where the person left the docks, and their theme (QSettings: ~/.config/Netwright).
    QSettings settings;
    if (settings.contains("window/state")) {
        restoreGeometry(settings.value("window/geometry").toByteArray());
        restoreState(settings.value("window/state").toByteArray());
    }
    if (settings.value("view/dark", false).toBool()) setDarkTheme(true);
}

// The scene deselects its items while it is destroyed; the docks listening may already be gone.
MainWindow::~MainWindow() { disconnect(view_->scene(), nullptr, this, nullptr); }

void MainWindow::setDarkTheme(bool dark) {
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QPalette p = QApplication::style()->standardPalette();
    if (dark) {
        p.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2e));
        p.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Base, QColor(0x1f, 0x1f, 0x22));
        p.setColor(QPalette::AlternateBase, QColor(0x2b, 0x2b, 0x2e));
        p.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Button, QColor(0x35, 0x35, 0x38));
        p.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
        p.setColor(QPalette::Highlight, QColor(0x2a, 0x6f, 0xd6));
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::ToolTipBase, QColor(0x35, 0x35, 0x38));
        p.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
        // setColor(role, …) sets every colour group: disabled text must be dimmed again, or a disabled
        // Redo reads as enabled.
        for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
            p.setColor(QPalette::Disabled, role, QColor(0x80, 0x80, 0x86));
        p.setColor(QPalette::Disabled, QPalette::Base, QColor(0x2b, 0x2b, 0x2e));
    }
    QApplication::setPalette(p);
    view_->setPalette(p);
    view_->setBackgroundBrush(p.color(QPalette::Base));
    QSettings().setValue("view/dark", dark);
    refresh();
}

void MainWindow::showLayerHelp(const std::string& kind) {
    if (!layerHelp_) layerHelp_ = new LayerHelp(this);
    std::string which = kind;
    if (which.empty())
        if (const Node* n = shown().graph.find(view_->selectedNode()); n) which = n->kind;
    if (which.empty() && palette_->currentItem() && palette_->currentItem()->parent())
        which = palette_->currentItem()->text(0).toStdString();
    layerHelp_->showKind(which);
    layerHelp_->show();
    layerHelp_->raise();
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
        QPixmap swatch(12, 12);  // the colour its nodes have on the canvas
        swatch.fill(QColor::fromRgb(kindColor(k)));
        item->setIcon(0, QIcon(swatch));
        item->setToolTip(0, QString::fromStdString(k.doc) + tr("\n\nF1: its shape, parameter and MAC formulas."));
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

std::string MainWindow::openFile(const std::string& path, bool quiet) { return loadFile(path, quiet, true); }

// The absolute form of `path`: a relative path means a different file once the working directory changes.
static std::string absolutePath(const std::string& path) {
    return path.empty() ? path : QFileInfo(QString::fromStdString(path)).absoluteFilePath().toStdString();
}

std::string MainWindow::loadFile(const std::string& path, bool quiet, bool remember) {
    Imported r = openNetwork(path);
    if (r.document && !r.errors.empty() && importerFor(path)) r.document.reset();
    if (!r.document) {
        std::string error = diagnosticsText(r.errors);
        if (!quiet) QMessageBox::warning(this, tr("Cannot open"), QString::fromStdString(error));
        statusBar()->showMessage(tr("Could not open %1").arg(QString::fromStdString(path)), 5000);
        return error;
    }
    path_ = absolutePath(path);
    // A shipped preset or a file we may not write opens as an untitled copy: Save asks where.
    const QFileInfo info(QString::fromStdString(path_));
    const QString presets = QFileInfo(QString::fromStdString(dataDir() + "/presets")).canonicalFilePath();
    if (remember && (!info.isWritable() || (!presets.isEmpty() && info.canonicalPath() == presets))) path_.clear();
    // Another format opens as an untitled document: Save writes a .netw where the user says, never over the model.
    if (importerFor(path)) path_.clear();
    recovered_ = false;
    Document doc = std::move(*r.document);
    bool placed = true;
    for (const Node& n : doc.graph.nodes) placed &= n.pos.has_value();
    if (!placed) layoutDocument(doc, {}, kNodeWidth, kNodeHeight);
    const std::string weightsFile =
        doc.weights.empty() ? ""
                            : info.absoluteDir().absoluteFilePath(QString::fromStdString(doc.weights)).toStdString();
    replaceDocument(std::move(doc));
    // The network's own weights go to the Run panel: the model's, or the file the document names.
    if (!r.weights.empty())
        run_->useWeights(std::make_shared<const TensorMap>(std::move(r.weights)),
                         "from " + info.fileName().toStdString());
    else if (!weightsFile.empty()) {
        if (std::string e = run_->loadWeights(weightsFile); !e.empty())
            statusBar()->showMessage(
                tr("The weights the network names could not be used: %1").arg(QString::fromStdString(e)), 8000);
    } else run_->loadWeights("");
    if (remember) rememberRecent(path);
    return {};
}

std::string MainWindow::saveFile(const std::string& path) {
    if (std::string error = saveNetwAtomic(document(), path); !error.empty()) return error;
    path_ = absolutePath(path);
    undo_->setClean();
    session_.markClean();
    recovered_ = false;
    removeRecovery();
    updateTitle();
    rememberRecent(path);
    return {};
}

// What File › Export writes as the weights: the Run panel's while they fit the network, else seeded ones.
std::shared_ptr<const TensorMap> MainWindow::exportWeights(std::vector<std::string>& notes) const {
    std::shared_ptr<const TensorMap> weights = run_->weights();
    if (weights && checkWeights(flat(), analysis(), *weights).empty()) return weights;
    if (weights) notes.push_back("the Run panel's weights no longer fit the network; seeded random ones written");
    return std::make_shared<const TensorMap>(initWeights(flat(), analysis(), 0));
}

std::string MainWindow::exportOnnx(const std::string& path, std::vector<std::string>* notes) {
    std::vector<std::string> said;
    const std::shared_ptr<const TensorMap> weights = exportWeights(said);
    const std::string name = document().name.empty() ? "network" : document().name;
    OnnxModel m = buildOnnx(name, flat(), analysis(), *weights);
    if (!m.errors.empty()) {
        std::string text = "cannot export to ONNX:";
        for (const auto& e : m.errors) text += "\n  " + e;
        return text;
    }
    if (std::string e = writeFileAtomic(path, m.bytes); !e.empty()) return e;
    said.insert(said.end(), m.notes.begin(), m.notes.end());
    if (notes) *notes = said;
    statusBar()->showMessage(tr("Exported %1 (%2 ONNX nodes)").arg(QString::fromStdString(path)).arg(m.nodes));
    return {};
}

std::string MainWindow::exportPytorch(const std::string& dir, std::vector<std::string>* notes) {
    std::vector<std::string> said;
    const std::shared_ptr<const TensorMap> weights = exportWeights(said);
    const std::string source = path_.empty() ? "an untitled network" : path_.substr(path_.find_last_of('/') + 1);
    PytorchProject p = buildPytorchProject(document(), flat(), analysis(), source);
    if (!p.errors.empty()) {
        std::string text = "cannot export to PyTorch:";
        for (const auto& e : p.errors) text += "\n  " + e;
        return text;
    }
    // The menu asked before replacing a project already there.
    if (std::string e = writePytorchProject(dir, p, *weights, true); !e.empty()) return e;
    if (notes) *notes = said;
    statusBar()->showMessage(tr("Exported the PyTorch project to %1").arg(QString::fromStdString(dir)));
    return {};
}

std::string MainWindow::addLayer(const std::string& kind, std::optional<QPointF> scenePos) {
    std::string base = kind;
    for (char& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    Node node{.id = freshId(shown(), base), .kind = kind};
    const QPointF centre = scenePos.value_or(view_->mapToScene(view_->viewport()->rect().center()));
    node.pos = Point{centre.x(), centre.y()};
    // Below whatever already sits there, so new nodes never hide each other.
    auto occupied = [&](const Point& p) {
        for (const Node& n : shown().graph.nodes)
            if (n.pos && std::abs(n.pos->x - p.x) < 180 && std::abs(n.pos->y - p.y) < 80) return true;
        return false;
    };
    while (occupied(*node.pos)) node.pos->y += 90;
    std::string id = node.id;
    pushEdit(std::make_unique<AddNode>(std::move(node)));
    view_->selectNode(id);
    return id;
}

void MainWindow::autoLayout(bool leftToRight, bool animate) {
    if (layoutRunning_) return;  // one at a time; the next request comes after it
    layoutRunning_ = true;
    layoutCancelled_ = false;
    statusBar()->showMessage(tr("Laying out %1 nodes…").arg(shown().graph.nodes.size()));
    layoutProgress_->show();
    layoutCancel_->show();
    LayoutOptions options;
    options.direction = leftToRight ? LayoutDirection::LeftToRight : LayoutDirection::TopToBottom;
    // Graphviz runs on a worker thread on a copy; the window stays responsive (large graphs take a while).
    using Laid = std::pair<Document, LayoutResult>;
    auto* watcher = new QFutureWatcher<Laid>(this);
    connect(watcher, &QFutureWatcher<Laid>::finished, this, [this, watcher, animate] {
        const Laid laid = watcher->result();  // not a structured binding: lambdas capture it (clang)
        const Document& laidOut = laid.first;
        const LayoutResult& result = laid.second;
        watcher->deleteLater();
        layoutProgress_->hide();
        layoutCancel_->hide();
        if (layoutCancelled_) {  // Graphviz cannot be interrupted; its result is dropped
            layoutRunning_ = false;
            statusBar()->showMessage(tr("Layout cancelled"), 5000);
            emit layoutFinished();
            return;
        }
        std::vector<std::pair<std::string, Point>> positions;
        std::vector<std::pair<QGraphicsItem*, QLineF>> paths;  // from where the node is to where it goes
        for (const Node& n : laidOut.graph.nodes)
            if (n.pos && shown().graph.find(n.id)) {  // nodes deleted meanwhile are skipped
                positions.push_back({n.id, *n.pos});
                if (QGraphicsItem* it = view_->item(n.id))
                    paths.push_back({it, QLineF(it->pos(), QPointF(n.pos->x, n.pos->y))});
            }
        auto finish = [this, positions, graph = laidOut.graph, routes = result.routes] {
            session_.setRoutes(graph, routes);  // the wires follow Graphviz's routes around the nodes
            pushEdit(std::make_unique<SetPositions>(positions, "Auto-layout"));
            view_->fit();
            layoutRunning_ = false;
            statusBar()->clearMessage();
            emit layoutFinished();
        };
        if (!animate || paths.size() > 2000) return finish();  // thousands of moving items would stutter
        auto* motion = new QVariantAnimation(this);
        motion->setDuration(350);
        motion->setStartValue(0.0);
        motion->setEndValue(1.0);
        motion->setEasingCurve(QEasingCurve::InOutCubic);
        connect(motion, &QVariantAnimation::valueChanged, this, [paths](const QVariant& t) {
            for (const auto& [item, line] : paths) item->setPos(line.pointAt(t.toDouble()));
        });
        connect(motion, &QVariantAnimation::finished, this, finish);
        motion->start(QAbstractAnimation::DeleteWhenStopped);
    });
    watcher->setFuture(QtConcurrent::run([doc = shown(), options]() mutable {
        LayoutResult r = layoutDocument(doc, options, kNodeWidth, kNodeHeight);
        return Laid{std::move(doc), std::move(r)};
    }));
}

void MainWindow::pushEdit(std::unique_ptr<Edit> edit, bool wholeDocument) {
    undo_->push(new EditCommand(session_, std::move(edit), wholeDocument));
}

std::string MainWindow::openModule(const std::string& name) {
    if (std::string error = session_.openModule(name); !error.empty()) return error;
    view_->fit();
    return {};
}

void MainWindow::closeModule() {
    if (session_.scope().empty()) return;
    const std::string was = session_.scope();
    session_.closeModule();
    view_->fit();
    view_->focusNode([&] {  // an instance of the module just edited
        for (const Node& n : document().graph.nodes)
            if (n.kind == was) return n.id;
        return std::string();
    }());
}

std::string MainWindow::applyRestructured(const Restructured& r, const std::string& text) {
    if (!r.doc) {
        statusBar()->showMessage(QString::fromStdString(text + ": " + r.error), 8000);
        return r.error;
    }
    // Inside an open module the change was made to its view: put the body back into the document.
    const std::string& scope = session_.scope();
    Document after = scope.empty() ? *r.doc : fromModuleView(document(), scope, *r.doc);
    pushEdit(std::make_unique<ReplaceDocument>(std::move(after), scope.empty() ? text : text + " in " + scope), true);
    view_->scene()->clearSelection();
    for (const std::string& id : r.nodes)
        if (QGraphicsItem* it = view_->item(id)) it->setSelected(true);
    return {};
}

std::string MainWindow::groupSelection(const std::string& moduleName) {
    return applyRestructured(
        groupIntoModule(shown(), view_->selectedNodes(), moduleName,
                        session_.scope().empty() ? nullptr : document().findModule(session_.scope())),
        "Group into " + moduleName);
}

std::string MainWindow::expandSelected() {
    const std::string id = view_->selectedNode();
    return applyRestructured(expandInstance(shown(), id), "Expand " + id);
}

std::string MainWindow::repeatSelected(int64_t copies) {
    const std::string id = view_->selectedNode();
    return applyRestructured(setRepeat(shown(), id, copies), "Repeat " + id + " ×" + std::to_string(copies));
}

void MainWindow::copySelection() {
    const std::vector<std::string> ids = view_->selectedNodes();
    if (!ids.empty()) copyToClipboard(copyNodes(shown(), ids));
}

std::string MainWindow::paste(std::optional<QPointF> scenePos) {
    const Clip clip = clipboardNodes();
    if (!clip.doc) {
        statusBar()->showMessage(tr("The clipboard holds no Netwright nodes"), 5000);
        return "the clipboard holds no Netwright nodes";
    }
    QPointF centre = view_->mapToScene(view_->viewport()->rect().center());
    const QPoint mouse = view_->viewport()->mapFromGlobal(QCursor::pos());
    if (scenePos) centre = *scenePos;
    else if (view_->viewport()->rect().contains(mouse) && view_->viewport()->underMouse())
        centre = view_->mapToScene(mouse);
    pasteRepeat_ = clip.text == lastPaste_ ? pasteRepeat_ + 1 : 0;
    lastPaste_ = clip.text;
    if (!scenePos) centre += QPointF(40, 40) * pasteRepeat_;  // a place chosen is where it goes
    return applyRestructured(pasteNodes(shown(), *clip.doc, {centre.x() - clip.centre.x, centre.y() - clip.centre.y}),
                             "Paste");
}

std::string MainWindow::findNode(const std::string& text) {
    if (text.empty()) return {};
    const Graph& g = shown().graph;
    auto lower = [](std::string v) {
        for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return v;
    };
    std::string found;
    if (g.find(text)) found = text;
    for (const Node& n : g.nodes)
        if (found.empty() && lower(n.id).find(lower(text)) != std::string::npos) found = n.id;
    for (const Node& n : g.nodes)
        if (found.empty() && lower(n.kind) == lower(text)) found = n.id;
    if (found.empty()) {
        statusBar()->showMessage(tr("No node called or of kind “%1”").arg(QString::fromStdString(text)), 5000);
        return {};
    }
    view_->focusNode(found);
    return found;
}

std::string MainWindow::duplicateSelection() {
    const std::vector<std::string> ids = view_->selectedNodes();
    if (ids.empty()) return "nothing selected";
    return applyRestructured(pasteNodes(shown(), copyNodes(shown(), ids), {40, 40}), "Duplicate");
}

void MainWindow::deleteSelection() {
    std::vector<std::string> ids = view_->selectedNodes();
    std::erase_if(ids, [this](const std::string& id) { return !shown().graph.find(id); });  // not a module's end nodes
    // Selected wires, as the document writes them (not those going away with their nodes anyway, nor
    // those drawn to a module's outputs).
    std::vector<Edge> wires;
    for (const Edge& drawn : view_->selectedEdges())
        if (std::optional<Edge> e = session_.shownEdge(drawn))
            if (std::find(ids.begin(), ids.end(), e->from) == ids.end() &&
                std::find(ids.begin(), ids.end(), e->to) == ids.end())
                wires.push_back(*e);
    if (ids.empty() && wires.empty()) return;
    undo_->beginMacro(QString::fromStdString(ids.empty() ? "Disconnect" : "Delete"));  // one undo step
    if (!wires.empty()) pushEdit(std::make_unique<RemoveEdges>(std::move(wires)));
    if (!ids.empty()) pushEdit(std::make_unique<RemoveNodes>(std::move(ids)));
    undo_->endMacro();
}

void MainWindow::removeRecovery() {
    if (recovery_) recovery_->remove();
}

void MainWindow::autosaveNow() {
    if (!isWindowModified()) return;
    if (!recovery_) recovery_ = RecoverySlot::create();
    if (std::string error = recovery_->write(serializeNetw(document()), path_); !error.empty()) {
        // Stays until the next autosave succeeds: the person must know their edits are unprotected.
        statusBar()->showMessage(
            tr("Autosave failed: %1 — save your work to keep it").arg(QString::fromStdString(error)));
        autosaveFailed_ = true;
    } else if (autosaveFailed_) {
        statusBar()->showMessage(tr("Autosave works again"), 5000);
        autosaveFailed_ = false;
    }
}

std::string MainWindow::restoreRecovery(std::unique_ptr<RecoverySlot> slot) {
    if (!slot) {
        auto orphans = RecoverySlot::orphans();
        if (orphans.empty()) return "there is nothing to restore";
        slot = std::move(orphans.front());
    }
    if (std::string error = loadFile(slot->documentPath(), true, false); !error.empty()) return error;
    path_ = slot->origin();  // saving goes back to the file the edits belong to (absolute)
    removeRecovery();
    recovery_ = std::move(slot);  // this window's slot from now on
    recovered_ = true;
    updateTitle();
    return {};
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::ShortcutOverride && event->type() != QEvent::KeyPress)
        return QMainWindow::eventFilter(watched, event);
    auto* widget = qobject_cast<QWidget*>(watched);
    if (!widget || !inspector_->isAncestorOf(widget)) return QMainWindow::eventFilter(watched, event);
    auto* key = static_cast<QKeyEvent*>(event);
    const bool isUndo = key->matches(QKeySequence::Undo);
    const bool isRedo = key->matches(QKeySequence::Redo) ||
                        key->keyCombination() == QKeyCombination(Qt::ControlModifier | Qt::ShiftModifier, Qt::Key_Z) ||
                        key->keyCombination() == QKeyCombination(Qt::ControlModifier, Qt::Key_Y);
    if (!isUndo && !isRedo) return QMainWindow::eventFilter(watched, event);
    if (event->type() == QEvent::KeyPress) {
        widget->clearFocus();  // commits what was typed (editingFinished), as one more undo step
        QTimer::singleShot(0, this, [this, isUndo] { isUndo ? undo_->undo() : undo_->redo(); });
    }
    event->accept();
    return true;
}

bool MainWindow::confirmDiscard() {
    if (!isWindowModified()) return true;
    QMessageBox ask(QMessageBox::Question, tr("Unsaved changes"),
                    tr("Save the changes to %1?")
                        .arg(QString::fromStdString(document().name.empty() ? "this network" : document().name)),
                    QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
    ask.setObjectName("unsavedChanges");
    ask.setDefaultButton(QMessageBox::Save);
    const int answer = ask.exec();
    if (answer == QMessageBox::Discard) return true;
    return answer == QMessageBox::Save && saveInteractive(false);
}

bool MainWindow::saveInteractive(bool askPath) {
    std::string path = path_;
    if (askPath || path.empty()) {  // untitled, or a preset or read-only file opened as a copy
        const QString suggested =
            QString::fromStdString(document().name.empty() ? "network" : document().name) + ".netw";
        const QString chosen =
            QFileDialog::getSaveFileName(this, tr("Save network"), suggested, tr("Netwright networks (*.netw)"));
        if (chosen.isEmpty()) return false;
        path = chosen.toStdString();
    }
    if (std::string e = saveFile(path); !e.empty()) {
        QMessageBox::warning(this, tr("Cannot save"), QString::fromStdString(e));
        return false;
    }
    return true;
}

void MainWindow::newDocument() {
    Document blank;
    blank.name = "Untitled";
    blank.graph.nodes.push_back(Node{.id = "input", .kind = "Input", .pos = Point{0, 0}});
    path_.clear();
    recovered_ = false;
    removeRecovery();
    replaceDocument(std::move(blank));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!confirmDiscard()) return event->ignore();
    removeRecovery();  // a deliberate close leaves nothing to recover
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

void MainWindow::updateTitle() {
    // [*] shows the modified marker while there are unsaved edits.
    setWindowTitle(QString::fromStdString((document().name.empty() ? path_ : document().name) + "[*] — Netwright"));
    setWindowModified(!undo_->isClean() || recovered_);
}

void MainWindow::replaceDocument(Document doc) {
    summaryModel_->clear();  // emptied: its columns are fitted to the new network
    undo_->clear();
    session_.reset(std::move(doc));
    view_->fit();
    updateTitle();
    run_->networkChanged();
    train_->networkChanged();
}

void MainWindow::sessionChanged(const SessionChange& change) {
    if (change.network) {  // not for a move or a rename: training trains the network as it was
        train_->networkChanged();
        run_->networkEdited();
    }
    if (change.everything) return refresh();
    {
        const QSignalBlocker quiet(view_->scene());  // redrawing is not a change of selection
        view_->update(session_.canvas(), session_.facts(), change);
    }
    QTimer::singleShot(0, this, [this] { inspector_->showNode(shown(), view_->selectedNode()); });
    fillSummary();
    if (change.diagnostics || !change.updated.empty()) fillProblems();
    showTotals();
    if (change.info) updateTitle();
}

// Draws the session's state: canvas, breadcrumb, inspector, summary, problems, status.
void MainWindow::refresh() {
    const std::string& scope = session_.scope();
    if (!scope.empty())
        crumb_->setText(tr("Network › <b>%1</b> — editing the module changes all its instances")
                            .arg(QString::fromStdString(scope).toHtmlEscaped()));
    crumbBar_->setVisible(!scope.empty());
    const std::string selected = view_->selectedNode();
    {
        const QSignalBlocker quiet(view_->scene());  // redrawing is not a change of selection
        view_->show(session_.canvas(), session_.facts(), shown().name,
                    session_.direction() == LayoutDirection::LeftToRight);
        view_->selectNode(selected);
    }
    // The inspector may be inside the signal that caused this refresh: rebuild it afterwards.
    QTimer::singleShot(0, this, [this] { inspector_->showNode(shown(), view_->selectedNode()); });
    fillSummary();
    fillProblems();
    showTotals();
}

void MainWindow::showTotals() {
    statusBar()->showMessage(QString::fromStdString(formatInt(analysis().totals.params) + " params · " +
                                                    formatInt(analysis().totals.macs) + " MACs · " +
                                                    std::to_string(analysis().errorCount()) + " error(s)"));
}

void MainWindow::fillSummary() {
    const bool resize = summaryModel_->rowCount() == 0;  // a new network: fit the columns to it
    if (summaryDepth_->currentIndex() > 0)
        summaryModel_->setDepth(summaryDepth_->currentIndex(), document(), flat(), analysis());
    else summaryModel_->setAnalysis(flat(), analysis());
    if (resize) summary_->resizeColumnsToContents();
}

std::string MainWindow::summaryCsv() const { return summaryModel_->csv(); }

std::string MainWindow::applyFix(int problem) {
    if (problem < 0 || problem >= static_cast<int>(analysis().diagnostics.size())) return "no such problem";
    if (!session_.scope().empty()) return "fixes apply to the network, not inside a module";
    std::unique_ptr<Edit> fix = session_.fixFor(analysis().diagnostics[static_cast<size_t>(problem)]);
    if (!fix) return "this problem has no automatic fix";
    pushEdit(std::move(fix));  // one undo step
    return {};
}

void MainWindow::fillProblems() {
    problems_->clear();
    applyFix_->setEnabled(false);
    for (const Diagnostic& d : analysis().diagnostics) {
        const std::string id = session_.shownNodeOf(d);
        auto* item = new QListWidgetItem(
            QString::fromStdString(std::string(d.severity == Severity::Error ? "error" : "warning") + "  " + d.node +
                                   (d.port.empty() ? "" : "." + d.port) + ": " + d.message));
        item->setForeground(d.severity == Severity::Error ? QColor(0xb0, 0x10, 0x10) : QColor(0x9a, 0x60, 0x00));
        item->setData(Qt::UserRole, QString::fromStdString(id));
        problems_->addItem(item);
    }
}

bool MainWindow::saveScreenshot(const std::string& path) { return grab().save(QString::fromStdString(path)); }

}  // namespace nw::ui
