// The window's menus, toolbar and context menus: what each action does is a MainWindow method;
// here they are named, given shortcuts and put where a person looks for them.
#include "main_window.h"

#include "importer.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QGraphicsItem>
#include <QClipboard>
#include <QFileDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QUndoStack>

#include "compare_dialog.h"
#include "files.h"
#include "pytorch_export.h"
#include "graph_view.h"
#include "inference.h"
#include "preset_dialog.h"
#include "registry.h"
#include "restructure.h"
#include "run_panel.h"

namespace nw::ui {

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    // Every action that replaces the document first asks about unsaved changes (confirmDiscard).
    file->addAction(tr("&New"), this,
                    [this] {
                        if (confirmDiscard()) newDocument();
                    })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_N));
    QAction* open = file->addAction(tr("&Open…"), this, [this] {
        if (!confirmDiscard()) return;
        QString patterns = "*.netw";
        QString filters;
        for (const Importer* i : importers()) {
            patterns += QString(" *") + i->extension();
            filters += QString(";;%1 models (*%2)").arg(i->name(), i->extension());
        }
        QString path =
            QFileDialog::getOpenFileName(this, tr("Open network"), QString(),
                                         tr("Networks (%1);;Netwright networks (*.netw)").arg(patterns) + filters);
        if (!path.isEmpty()) openFile(path.toStdString());
    });
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("&Import ONNX…"), this, [this] {
        if (!confirmDiscard()) return;
        QString path =
            QFileDialog::getOpenFileName(this, tr("Import ONNX model"), QString(), tr("ONNX models (*.onnx)"));
        if (!path.isEmpty()) openFile(path.toStdString());
    });
    QAction* fromPreset = file->addAction(tr("New from &preset…"), this, [this] {
        if (!confirmDiscard()) return;
        PresetDialog dialog(dataDir() + "/presets", this);
        if (dialog.exec() == QDialog::Accepted && !dialog.chosenPath().empty()) openFile(dialog.chosenPath());
    });
    fromPreset->setShortcut(QKeySequence::New);
    QAction* save = file->addAction(tr("&Save"), this, [this] { saveInteractive(false); });
    save->setShortcut(QKeySequence::Save);
    QAction* saveAs = file->addAction(tr("Save &As…"), this, [this] { saveInteractive(true); });
    saveAs->setShortcut(QKeySequence::SaveAs);
    recentMenu_ = file->addMenu(tr("Open &recent"));
    fillRecentMenu();
    file->addSeparator();
    file->addAction(tr("Export canvas as &PNG…"), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export PNG"), QString(), tr("PNG images (*.png)"));
        if (path.isEmpty()) return;
        bool ok = false;
        const double scale = QInputDialog::getDouble(
            this, tr("Export PNG"), tr("Scale (1 = one pixel per canvas unit):"), 2.0, 0.1, 8.0, 1, &ok);
        if (ok && !view_->exportPng(path, scale)) QMessageBox::warning(this, tr("Cannot export"), path);
    });
    file->addAction(tr("Export canvas as S&VG…"), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export SVG"), QString(), tr("SVG drawings (*.svg)"));
        if (!path.isEmpty() && !view_->exportSvg(path)) QMessageBox::warning(this, tr("Cannot export"), path);
    });
    // Both exports: the file or folder asked for, problems in a message box, notes (refitted weights,
    // folds) in another.
    auto exportWith = [this](const std::string& path,
                             std::string (MainWindow::*write)(const std::string&, std::vector<std::string>*)) {
        std::vector<std::string> notes;
        if (std::string e = (this->*write)(path, &notes); !e.empty())
            QMessageBox::warning(this, tr("Cannot export"), QString::fromStdString(e));
        else if (!notes.empty()) {
            std::string text;
            for (const auto& n : notes) text += n + "\n";
            QMessageBox::information(this, tr("Exported"), QString::fromStdString(text));
        }
    };
    file->addAction(tr("Export as &ONNX model…"), this, [this, exportWith] {
        QString path =
            QFileDialog::getSaveFileName(this, tr("Export ONNX model"), QString(), tr("ONNX models (*.onnx)"));
        if (path.isEmpty()) return;
        if (!path.endsWith(".onnx", Qt::CaseInsensitive)) path += ".onnx";
        exportWith(path.toStdString(), &MainWindow::exportOnnx);
    });
    file->addAction(tr("Export as P&yTorch project…"), this, [this, exportWith] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export PyTorch project into"));
        if (dir.isEmpty()) return;
        // Never over a project without asking: the files the export writes that are there already.
        const std::vector<std::string> there =
            existingProjectFiles(dir.toStdString(), buildPytorchProject(document(), flat(), analysis(), ""));
        if (!there.empty()) {
            QStringList names;
            for (const std::string& name : there) names << QString::fromStdString(name);
            if (QMessageBox::question(this, tr("Replace the project?"),
                                      tr("%1 already holds %2. Replace them?").arg(dir, names.join(", ")),
                                      QMessageBox::Yes | QMessageBox::No, QMessageBox::No) != QMessageBox::Yes)
                return;
        }
        exportWith(dir.toStdString(), &MainWindow::exportPytorch);
    });
    file->addAction(tr("Export summary as &CSV…"), this, [this] {
        QString path = QFileDialog::getSaveFileName(this, tr("Export summary"), QString(), tr("CSV tables (*.csv)"));
        if (path.isEmpty()) return;
        if (std::string e = writeFileAtomic(path.toStdString(), summaryCsv()); !e.empty())
            QMessageBox::warning(this, tr("Cannot export"), QString::fromStdString(e));
    });
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);
    QMenu* editMenu = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = undo_->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setIconText(tr("Undo"));  // the menu says what it undoes; the toolbar button keeps its width
    undo->setObjectName("undo");
    QAction* redo = undo_->createRedoAction(this, tr("&Redo"));
    redo->setIconText(tr("Redo"));
    redo->setObjectName("redo");
    // The platform's redo key plus both common ones (Ctrl+Shift+Z, Ctrl+Y), whatever the desktop.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    for (const QKeySequence& k : {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)})
        if (!redoKeys.contains(k)) redoKeys << k;
    redo->setShortcuts(redoKeys);
    editMenu->addAction(undo);
    editMenu->addAction(redo);
    editMenu->addSeparator();
    editMenu
        ->addAction(tr("Cu&t"), this,
                    [this] {
                        copySelection();
                        deleteSelection();
                    })
        ->setShortcut(QKeySequence::Cut);
    // Copy: the summary's rows when the summary has the focus, else the selected nodes.
    editMenu
        ->addAction(tr("&Copy"), this,
                    [this] {
                        if (summary_->hasFocus())
                            QApplication::clipboard()->setText(QString::fromStdString(summaryCsv()));
                        else copySelection();
                    })
        ->setShortcut(QKeySequence::Copy);
    editMenu->addAction(tr("&Paste"), this, [this] { paste(); })->setShortcut(QKeySequence::Paste);
    editMenu
        ->addAction(tr("&Find node…"), this,
                    [this] {
                        QStringList names;
                        for (const Node& n : shown().graph.nodes) names << QString::fromStdString(n.id);
                        bool ok = false;
                        const QString text =
                            QInputDialog::getItem(this, tr("Find node"), tr("Name or kind:"), names, 0, true, &ok);
                        if (ok) findNode(text.toStdString());
                    })
        ->setShortcut(QKeySequence::Find);
    editMenu->addAction(tr("D&uplicate"), this, [this] { duplicateSelection(); })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    QAction* del = editMenu->addAction(tr("&Delete"), this, &MainWindow::deleteSelection);
    del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
    editMenu
        ->addAction(tr("Select &all"), this,
                    [this] {
                        for (QGraphicsItem* it : view_->scene()->items())
                            if (it->flags() & QGraphicsItem::ItemIsSelectable) it->setSelected(true);
                    })
        ->setShortcut(QKeySequence::SelectAll);
    QMenu* moduleMenu = menuBar()->addMenu(tr("&Module"));
    QAction* group = moduleMenu->addAction(tr("&Group selection into module…"), this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Group into module"), tr("Module name:"), QLineEdit::Normal,
                                                   tr("Block"), &ok);
        if (ok) groupSelection(name.toStdString());
    });
    group->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_G));
    moduleMenu->addAction(tr("&Expand module"), this, [this] { expandSelected(); })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G));
    moduleMenu
        ->addAction(tr("&Open module for editing"), this,
                    [this] {
                        const Node* n = shown().graph.find(view_->selectedNode());
                        const std::string error = n ? openModule(n->kind) : "select a module instance first";
                        if (!error.empty()) statusBar()->showMessage(QString::fromStdString(error), 6000);
                    })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    moduleMenu->addAction(tr("&Back to the network"), this, &MainWindow::closeModule)
        ->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Up));
    moduleMenu->addSeparator();
    moduleMenu->addAction(tr("&Repeat ×N…"), this, [this] {
        bool ok = false;
        const int n = QInputDialog::getInt(this, tr("Repeat module"), tr("Copies in sequence:"), 2, 1, 1000, 1, &ok);
        if (ok) repeatSelected(n);
    });
    QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
    QAction* fit = viewMenu->addAction(tr("&Fit to window"), this, [this] { view_->fit(); });
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    viewMenu->addSeparator();
    QAction* animate = new QAction(tr("&Animate layout"), this);
    animate->setCheckable(true);
    animate->setChecked(QSettings().value("view/animateLayout", true).toBool());
    connect(animate, &QAction::toggled, this, [](bool on) { QSettings().setValue("view/animateLayout", on); });
    QAction* layoutDown = viewMenu->addAction(tr("Auto-layout top to &bottom"), this,
                                              [this, animate] { autoLayout(false, animate->isChecked()); });
    layoutDown->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    viewMenu
        ->addAction(tr("Auto-layout left to &right"), this, [this, animate] { autoLayout(true, animate->isChecked()); })
        ->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    viewMenu->addAction(animate);
    viewMenu->addSeparator();
    QAction* labels = viewMenu->addAction(tr("&Shapes on wires"), this, [this](bool on) { view_->setWireLabels(on); });
    labels->setCheckable(true);
    labels->setChecked(view_->wireLabels());
    QAction* minimap = viewMenu->addAction(tr("&Minimap"), this, [this](bool on) { view_->minimap()->setVisible(on); });
    minimap->setCheckable(true);
    minimap->setChecked(true);
    QAction* dark = viewMenu->addAction(tr("&Dark theme"), this, [this](bool on) { setDarkTheme(on); });
    dark->setCheckable(true);
    dark->setChecked(QSettings().value("view/dark", false).toBool());
    viewMenu->addSeparator();
    QAction* compareAction = viewMenu->addAction(tr("&Compare…"), this, [this] {
        CompareDialog dialog(document(), session_.scope().empty() ? view_->selectedNodes() : std::vector<std::string>{},
                             this);
        dialog.exec();
    });
    compareAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    QMenu* docks = viewMenu->addMenu(tr("&Panels"));
    for (QDockWidget* d : findChildren<QDockWidget*>()) docks->addAction(d->toggleViewAction());

    QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
    // F1: the selected node's kind, else the palette's current kind, else the first.
    helpMenu->addAction(tr("&Layer help"), this, [this] { showLayerHelp(); })->setShortcut(QKeySequence::HelpContents);

    // The toolbar: the actions used most, as text (no icon theme is assumed on the machine).
    QToolBar* tools = addToolBar(tr("Main"));
    tools->setObjectName("toolbar");
    tools->setToolButtonStyle(Qt::ToolButtonTextOnly);
    fromPreset->setIconText(tr("Presets…"));  // short labels on the toolbar; the menus keep the full ones
    fit->setIconText(tr("Fit"));
    layoutDown->setIconText(tr("Layout"));
    group->setIconText(tr("Group…"));
    tools->addAction(fromPreset);
    tools->addAction(open);
    tools->addAction(save);
    tools->addSeparator();
    tools->addAction(undo);
    tools->addAction(redo);
    tools->addSeparator();
    tools->addAction(fit);
    tools->addAction(layoutDown);
    tools->addAction(group);
    tools->addAction(compareAction);
    tools->addAction(tr("Run"), this, [this] {
        for (QDockWidget* d : findChildren<QDockWidget*>())
            if (d->widget() == run_) d->raise();
        run_->start();
    });
}

void MainWindow::rememberRecent(const std::string& path) {
    const QString absolute = QFileInfo(QString::fromStdString(path)).absoluteFilePath();
    QStringList list = recentFiles();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > 8) list.removeLast();
    QSettings().setValue("recentFiles", list);
    fillRecentMenu();
}

QStringList MainWindow::recentFiles() const { return QSettings().value("recentFiles").toStringList(); }

void MainWindow::fillRecentMenu() {
    if (!recentMenu_) return;
    recentMenu_->clear();
    const QStringList list = recentFiles();
    for (int i = 0; i < list.size(); ++i)
        recentMenu_
            ->addAction(QString("&%1 %2").arg(i + 1).arg(QFileInfo(list[i]).fileName()), this,
                        [this, path = list[i]] {
                            if (confirmDiscard()) openFile(path.toStdString());
                        })
            ->setToolTip(list[i]);
    recentMenu_->setEnabled(!list.isEmpty());
}

void MainWindow::showContextMenu(const QString& node, const QStringList& wire, const QPointF& scenePos,
                                 const QPoint& globalPos) {
    delete contextMenu_;
    contextMenu_ = new QMenu(this);
    contextMenu_->setObjectName("canvasMenu");
    if (!node.isEmpty()) {
        const Node* n = shown().graph.find(node.toStdString());
        contextMenu_->addAction(tr("Delete"), this, &MainWindow::deleteSelection);
        contextMenu_->addAction(tr("Duplicate"), this, [this] { duplicateSelection(); });
        contextMenu_->addAction(tr("Copy"), this, &MainWindow::copySelection);
        if (n && Registry::instance().find(n->kind))
            contextMenu_->addAction(tr("Help on %1").arg(QString::fromStdString(n->kind)), this,
                                    [this, kind = n->kind] { showLayerHelp(kind); });
        if (view_->selectedNodes().size() > 1)
            contextMenu_->addAction(tr("Group into module…"), this, [this] {
                bool ok = false;
                const QString name = QInputDialog::getText(this, tr("Group into module"), tr("Module name:"),
                                                           QLineEdit::Normal, tr("Block"), &ok);
                if (ok) groupSelection(name.toStdString());
            });
        if (n && document().findModule(n->kind)) {
            contextMenu_->addAction(tr("Expand module"), this, [this] { expandSelected(); });
            contextMenu_->addAction(tr("Open module for editing"), this, [this, kind = n->kind] { openModule(kind); });
        }
        bool wired = false;
        for (const Edge& e : shown().graph.edges) wired |= e.to == node.toStdString() || e.from == node.toStdString();
        if (wired)
            contextMenu_->addAction(tr("Disconnect all wires"), this, [this, id = node.toStdString()] {
                std::vector<Edge> wires;
                for (const Edge& e : shown().graph.edges)
                    if (e.to == id || e.from == id) wires.push_back(e);
                pushEdit(std::make_unique<RemoveEdges>(std::move(wires)));
            });
    } else if (!wire.isEmpty()) {
        contextMenu_->addAction(tr("Disconnect %1 → %2").arg(wire[0], wire[2]), this, &MainWindow::deleteSelection);
    } else {
        // Add layer here: the palette's categories and kinds, placed where the click was.
        QMenu* add = contextMenu_->addMenu(tr("Add layer here"));
        std::map<std::string, QMenu*> categories;
        for (const LayerKind& k : Registry::instance().kinds()) {
            QMenu*& cat = categories[k.category];
            if (!cat) cat = add->addMenu(QString::fromStdString(k.category));
            cat->addAction(QString::fromStdString(k.name), this,
                           [this, name = k.name, scenePos] { addLayer(name, scenePos); });
        }
        contextMenu_->addAction(tr("Paste here"), this, [this, scenePos] { paste(scenePos); });
        contextMenu_->addAction(tr("Fit"), view_, &GraphView::fit);
    }
    contextMenu_->popup(globalPos);
}

}  // namespace nw::ui
