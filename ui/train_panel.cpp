#include "train_panel.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include "main_window.h"
#include "run_panel.h"
#include "weights.h"

namespace nw::ui {

namespace {

QChartView* chartView(QChart* chart) {
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(200);
    return view;
}

// The first `n` samples of `d` (all when n is 0 or more than it has).
void keepFirst(Dataset& d, int64_t n) {
    if (n <= 0 || n >= d.size()) return;
    d.labels.resize(static_cast<size_t>(n));
    if (!d.raw.empty()) d.raw.resize(static_cast<size_t>(n * d.rawHeight * d.rawWidth * d.rawChannels));
    if (!d.prepared.empty()) d.prepared.resize(static_cast<size_t>(n * d.sample[0] * d.sample[1] * d.sample[2]));
}

}  // namespace

TrainPanel::TrainPanel(MainWindow* window) : window_(window) {
    // In a scroll area, as the Run panel: the charts never make the window taller than the screen.
    auto* content = new QWidget;
    auto* layout = new QVBoxLayout(content);
    auto* form = new QFormLayout;
    dataset_ = new QComboBox;
    dataset_->addItem(tr("Fashion-MNIST"), "fashion-mnist");
    dataset_->addItem(tr("Folder of class folders…"), QString());
    form->addRow(tr("Data"), dataset_);
    auto* row = new QHBoxLayout;
    epochs_ = new QSpinBox;
    epochs_->setRange(1, 1000);
    epochs_->setValue(5);
    batch_ = new QSpinBox;
    batch_->setRange(1, 4096);
    batch_->setValue(64);
    row->addWidget(new QLabel(tr("Epochs")));
    row->addWidget(epochs_);
    row->addWidget(new QLabel(tr("Batch")));
    row->addWidget(batch_);
    form->addRow(row);
    auto* row2 = new QHBoxLayout;
    optimizer_ = new QComboBox;
    optimizer_->addItems({"adam", "sgd", "adamw"});
    lr_ = new QDoubleSpinBox;
    lr_->setDecimals(5);
    lr_->setRange(1e-5, 10);
    lr_->setSingleStep(0.0005);
    lr_->setValue(0.002);
    row2->addWidget(new QLabel(tr("Optimizer")));
    row2->addWidget(optimizer_);
    row2->addWidget(new QLabel(tr("Learning rate")));
    row2->addWidget(lr_);
    form->addRow(row2);
    layout->addLayout(form);
    auto* buttons = new QHBoxLayout;
    start_ = new QPushButton(tr("Start"));
    pause_ = new QPushButton(tr("Pause"));
    pause_->setCheckable(true);
    stop_ = new QPushButton(tr("Stop"));
    buttons->addWidget(start_);
    buttons->addWidget(pause_);
    buttons->addWidget(stop_);
    layout->addLayout(buttons);
    auto* files = new QHBoxLayout;
    save_ = new QPushButton(tr("Save weights…"));
    save_->setToolTip(tr("Write the trained weights to a safetensors file"));
    load_ = new QPushButton(tr("Load weights…"));
    load_->setToolTip(tr("Weights from a safetensors file: the Run panel uses them and the next run starts from them"));
    files->addWidget(save_);
    files->addWidget(load_);
    layout->addLayout(files);
    status_ = new QLabel(tr("Train the network: choose the data and press Start."));
    status_->setWordWrap(true);
    layout->addWidget(status_);

    loss_ = new QLineSeries;
    lossChart_ = new QChart;
    lossChart_->addSeries(loss_);
    lossX_ = new QValueAxis;
    lossY_ = new QValueAxis;
    lossX_->setTitleText(tr("step"));
    lossX_->setLabelFormat("%d");
    lossY_->setLabelFormat("%.2f");
    lossChart_->addAxis(lossX_, Qt::AlignBottom);
    lossChart_->addAxis(lossY_, Qt::AlignLeft);
    loss_->attachAxis(lossX_);
    loss_->attachAxis(lossY_);
    for (QValueAxis* axis : {lossX_, lossY_}) axis->setTruncateLabels(false);
    layout->addWidget(chartView(lossChart_));

    trainAccuracy_ = new QLineSeries;
    trainAccuracy_->setName(tr("training accuracy"));
    validationAccuracy_ = new QLineSeries;
    validationAccuracy_->setName(tr("test accuracy"));
    accuracyChart_ = new QChart;
    accuracyChart_->addSeries(trainAccuracy_);
    accuracyChart_->addSeries(validationAccuracy_);
    accuracyX_ = new QValueAxis;
    accuracyX_->setTitleText(tr("epoch"));
    accuracyX_->setLabelFormat("%d");
    auto* accuracyY = new QValueAxis;
    accuracyY->setRange(0, 100);
    accuracyY->setLabelFormat("%.0f");
    accuracyY->setTitleText(tr("%"));
    accuracyChart_->addAxis(accuracyX_, Qt::AlignBottom);
    accuracyChart_->addAxis(accuracyY, Qt::AlignLeft);
    for (QValueAxis* axis : {accuracyX_, accuracyY}) axis->setTruncateLabels(false);
    for (QLineSeries* s : {trainAccuracy_, validationAccuracy_}) {
        s->setPointsVisible(true);
        s->attachAxis(accuracyX_);
        s->attachAxis(accuracyY);
    }
    layout->addWidget(chartView(accuracyChart_));

    confusion_ = new QTableWidget;
    confusion_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    confusion_->verticalHeader()->setDefaultSectionSize(22);
    confusion_->setMinimumHeight(120);
    confusion_->setToolTip(tr("Test images by true class (rows) and predicted class (columns)"));
    layout->addWidget(confusion_);
    auto* galleryCaption = new QLabel(tr("Misclassified test images (true → predicted); click one to run it."));
    galleryCaption->setWordWrap(true);
    layout->addWidget(galleryCaption);
    gallery_ = new QListWidget;
    gallery_->setViewMode(QListView::IconMode);
    gallery_->setIconSize(QSize(56, 56));
    gallery_->setGridSize(QSize(118, 100));
    gallery_->setResizeMode(QListView::Adjust);
    gallery_->setMovement(QListView::Static);
    gallery_->setWordWrap(true);
    gallery_->setMinimumHeight(210);
    layout->addWidget(gallery_);
    auto* scroll = new QScrollArea;
    scroll->setWidget(content);
    scroll->setWidgetResizable(true);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);
    setControlsRunning(false);

    connect(start_, &QPushButton::clicked, this, [this] { start(); });
    connect(pause_, &QPushButton::toggled, this, &TrainPanel::setPaused);
    connect(stop_, &QPushButton::clicked, this, &TrainPanel::stop);
    connect(save_, &QPushButton::clicked, this, [this] {
        // The dialog asks before replacing a file; the write itself is atomic.
        const QString path = QFileDialog::getSaveFileName(this, tr("Save trained weights"), "weights.safetensors",
                                                          tr("safetensors (*.safetensors)"));
        if (!path.isEmpty()) saveWeights(path.toStdString());
    });
    connect(load_, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Load weights"), QString(), tr("safetensors (*.safetensors)"));
        if (!path.isEmpty()) loadWeights(path.toStdString());
    });
    connect(gallery_, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { runMisclassified(gallery_->row(item)); });
}

TrainPanel::~TrainPanel() {
    stop();
    if (worker_.joinable()) worker_.join();
}

void TrainPanel::setControlsRunning(bool running) {
    start_->setEnabled(!running);
    pause_->setEnabled(running);
    stop_->setEnabled(running);
    for (QWidget* w : std::initializer_list<QWidget*>{dataset_, epochs_, batch_, optimizer_, lr_, load_})
        w->setEnabled(!running);
    save_->setEnabled(!running && weights_);
}

std::string TrainPanel::saveWeights(const std::string& path) {
    std::string error = weights_ ? writeSafetensors(path, *weights_) : "no trained weights yet: train first";
    status_->setText(error.empty() ? tr("Saved the trained weights to %1.").arg(QString::fromStdString(path))
                                   : QString::fromStdString(error));
    return error;
}

std::string TrainPanel::loadWeights(const std::string& path) {
    std::string error = window_->runPanel()->loadWeights(path);
    status_->setText(error.empty()
                         ? tr("Loaded %1: the Run panel uses these weights and the next run starts from them.")
                               .arg(QString::fromStdString(path))
                         : QString::fromStdString(error));
    return error;
}

Tensor TrainPanel::testSample(int64_t index) const {
    Tensor x;
    std::vector<int64_t> labels;
    std::mt19937_64 unused;
    const NodeAttrs input = graph_->nodes[static_cast<size_t>(graph_->firstInput())].view();
    prepareBatch(data_->test, input, {index}, {}, unused, x, labels);
    return x;
}

QString TrainPanel::className(int64_t c) const {
    return static_cast<size_t>(c) < classes_.size() ? QString::fromStdString(classes_[static_cast<size_t>(c)])
                                                    : QString::number(c);
}

QString TrainPanel::misclassifiedCaption(size_t i) const {
    const auto [sample, predicted] = evaluation_.misclassified[i];
    const int64_t truth = data_->test.labels[static_cast<size_t>(sample)];
    return tr("Test image %1: a %2, predicted %3").arg(sample).arg(className(truth), className(predicted));
}

void TrainPanel::showMisclassified() {
    gallery_->clear();
    constexpr size_t kShown = 64;  // enough to see the typical confusions; the matrix has the counts
    for (size_t i = 0; i < evaluation_.misclassified.size() && i < kShown; ++i) {
        const auto [sample, predicted] = evaluation_.misclassified[i];
        const int64_t truth = data_->test.labels[static_cast<size_t>(sample)];
        QPixmap picture = QPixmap::fromImage(samplePreview(testSample(sample)))
                              .scaled(gallery_->iconSize(), Qt::KeepAspectRatio, Qt::FastTransformation);
        auto* item = new QListWidgetItem(QIcon(picture), className(truth) + "\n→ " + className(predicted));
        item->setSizeHint(gallery_->gridSize());  // room for both lines of the caption
        item->setToolTip(misclassifiedCaption(i));
        gallery_->addItem(item);
    }
}

void TrainPanel::runMisclassified(int i) {
    if (i < 0 || static_cast<size_t>(i) >= evaluation_.misclassified.size() || !data_) return;
    RunPanel* run = window_->runPanel();
    if (run->running()) return;  // its result would be shown under this image
    run->setSample(testSample(evaluation_.misclassified[static_cast<size_t>(i)].first),
                   misclassifiedCaption(static_cast<size_t>(i)).toStdString());
    if (auto* dock = window_->findChild<QDockWidget*>("run")) dock->raise();
    run->start();
}

std::string TrainPanel::start() {
    if (running()) return "training is running";
    const FlatGraph& flat = window_->flat();
    const int inputIndex = flat.firstInput();
    const FlatNode* input = inputIndex < 0 ? nullptr : &flat.nodes[static_cast<size_t>(inputIndex)];
    auto fail = [this](const std::string& e) {
        status_->setText(QString::fromStdString(e));
        return e;
    };
    if (window_->analysis().errorCount() > 0) return fail("the network has errors; fix them before training");
    if (!input) return fail("the network has no Input node");
    std::string spec = dataset_->currentData().toString().toStdString();
    if (spec.empty()) {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Folder of class folders"));
        if (dir.isEmpty()) return {};
        spec = dir.toStdString();
    }
    DataResult data = loadData(spec, input->view());
    if (!data.error.empty()) return fail(data.error);
    keepFirst(data.train, subset_);
    keepFirst(data.test, subset_);
    if (data.test.size() == 0) data.test = splitOff(data.train, 0.1, 0);
    classes_ = data.test.classes;

    TrainOptions options;
    options.epochs = epochs_->value();
    options.batch = batch_->value();
    options.optimizer.kind = *parseOptimizer(optimizer_->currentText().toStdString());
    options.optimizer.lr = lr_->value();
    options.schedule.kind = ScheduleKind::Cosine;
    graph_ = std::make_unique<FlatGraph>(flat);
    std::shared_ptr<const TensorMap> start = window_->runPanel()->weights();
    const bool fromRunPanel = start && checkWeights(*graph_, window_->analysis(), *start).empty();
    TensorMap weights = fromRunPanel ? *start : initWeights(*graph_, window_->analysis(), 0);
    auto trainer = std::make_shared<Trainer>(*graph_, std::move(weights), options);
    if (!trainer->error().empty()) return fail(trainer->error());

    loss_->clear();
    trainAccuracy_->clear();
    validationAccuracy_->clear();
    maxLoss_ = 0;
    const int64_t steps = (data.train.size() + options.batch - 1) / options.batch * options.epochs;  // whole batches
    lossX_->setRange(0, static_cast<double>(steps));
    // At most about 1,000 points: a long run's chart stays as quick to draw as a short one's.
    stepsPerPoint_ = std::max<int64_t>(1, (steps + kLossPoints - 1) / kLossPoints);
    lossSum_ = 0;
    lossCount_ = 0;
    loss_->setName(stepsPerPoint_ == 1 ? tr("loss per step") : tr("loss, mean of %1 steps").arg(stepsPerPoint_));
    accuracyX_->setRange(0, static_cast<double>(options.epochs));
    accuracyX_->setTickCount(static_cast<int>(std::min<int64_t>(options.epochs, 10)) + 1);
    confusion_->clear();
    gallery_->clear();
    evaluation_ = {};
    stopRequested_ = false;
    stoppedByEdit_ = false;
    paused_ = false;
    pause_->setChecked(false);
    setControlsRunning(true);
    status_->setText(tr("Training on %1 (%2 samples), from %3…")
                         .arg(QString::fromStdString(data.train.source))
                         .arg(data.train.size())
                         .arg(fromRunPanel ? tr("the Run panel's weights (%1)")
                                                 .arg(QString::fromStdString(window_->runPanel()->weightsLabel()))
                                           : tr("PyTorch's default initialisation")));
    auto shared = std::make_shared<const DataResult>(std::move(data));
    data_ = shared;
    worker_ = std::thread([this, trainer, shared] {
        TrainEvents events;
        // Reports go to the window's thread, the steps gathered until it takes them (a fast network
        // makes hundreds a second: one chart update per frame, not per step); Pause waits here,
        // Stop answers false.
        events.onStep = [this](const StepReport& s) {
            bool first = false;
            {
                std::lock_guard lock(stepsMutex_);
                first = pendingSteps_.empty();
                pendingSteps_.push_back(s);
            }
            if (first) QMetaObject::invokeMethod(this, &TrainPanel::takeSteps, Qt::QueuedConnection);
            std::unique_lock lock(pauseMutex_);
            pauseChanged_.wait(lock, [this] { return !paused_ || stopRequested_; });
            return !stopRequested_.load();
        };
        events.onEpoch = [this](const EpochReport& e) {
            QMetaObject::invokeMethod(
                this, [this, e] { onEpoch(e); }, Qt::QueuedConnection);
        };
        TrainResult result = trainer->run(shared->train, shared->test, events);
        auto weights = std::make_shared<const TensorMap>(trainer->weights());
        Evaluation test = result.error.empty() ? evaluate(*graph_, trainer->weights(), shared->test) : Evaluation{};
        QMetaObject::invokeMethod(
            this, [this, result, weights, test] { onFinished(result, weights, test); }, Qt::QueuedConnection);
    });
    return {};
}

void TrainPanel::setPaused(bool paused) {
    {
        std::lock_guard lock(pauseMutex_);
        paused_ = paused;
    }
    pauseChanged_.notify_all();
    if (running()) showProgress();
}

void TrainPanel::stop() {
    stopRequested_ = true;
    pauseChanged_.notify_all();
}

void TrainPanel::networkChanged() {
    if (!running() || stopRequested_) return;
    stop();
    stoppedByEdit_ = true;
    status_->setText(tr("The network changed, so training stops."));
}

void TrainPanel::takeSteps() {
    std::vector<StepReport> steps;
    {
        std::lock_guard lock(stepsMutex_);
        steps.swap(pendingSteps_);
    }
    if (steps.empty()) return;
    QList<QPointF> points;
    points.reserve(static_cast<qsizetype>(steps.size()));
    for (const StepReport& s : steps) {
        lossSum_ += s.loss;
        if (++lossCount_ < stepsPerPoint_ && s.globalStep < s.totalSteps) continue;
        const double mean = lossSum_ / static_cast<double>(lossCount_);
        points.append(QPointF(static_cast<double>(s.globalStep), mean));
        maxLoss_ = std::max(maxLoss_, mean);
        lossSum_ = 0;
        lossCount_ = 0;
    }
    loss_->append(points);
    lossY_->setRange(0, maxLoss_ * 1.05);
    const StepReport& s = steps.back();
    const long long left = std::llround(s.etaSeconds);
    progress_ = tr("epoch %1 of %2, step %3 of %4: loss %5, accuracy %6 %; %7 samples/s, %8:%9 left")
                    .arg(s.epoch)
                    .arg(s.epochs)
                    .arg(s.step)
                    .arg(s.stepsPerEpoch)
                    .arg(s.loss, 0, 'f', 4)
                    .arg(100 * s.accuracy, 0, 'f', 1)
                    .arg(s.samplesPerSecond, 0, 'f', 0)
                    .arg(left / 60)
                    .arg(left % 60, 2, 10, QChar('0'));
    showProgress();
}

void TrainPanel::showProgress() {
    bool paused = false;
    {
        std::lock_guard lock(pauseMutex_);
        paused = paused_;
    }
    status_->setText((paused ? tr("Paused at %1") : tr("Training: %1")).arg(progress_));
}

void TrainPanel::onEpoch(const EpochReport& e) {
    trainAccuracy_->append(static_cast<double>(e.epoch), 100 * e.accuracy);
    if (e.validationAccuracy >= 0)
        validationAccuracy_->append(static_cast<double>(e.epoch), 100 * e.validationAccuracy);
}

void TrainPanel::onFinished(const TrainResult& result, std::shared_ptr<const TensorMap> weights, Evaluation test) {
    if (worker_.joinable()) worker_.join();
    setControlsRunning(false);
    if (!result.error.empty()) {
        status_->setText(QString::fromStdString(result.error));
        return;
    }
    evaluation_ = std::move(test);
    weights_ = weights;
    save_->setEnabled(true);
    showConfusion();
    showMisclassified();
    const QString accuracy = QString::number(100 * evaluation_.accuracy(), 'f', 2);
    // After an edit the weights are the network's as it was: the Run panel takes them if they still fit.
    status_->setText((stoppedByEdit_   ? tr("Stopped by an edit: test accuracy %1 % for the network as it was trained; "
                                              "the Run panel has the weights if they fit the edited one.")
                      : result.stopped ? tr("Stopped: test accuracy %1 %; the weights are in the Run panel.")
                                       : tr("Done: test accuracy %1 %; the weights are in the Run panel."))
                         .arg(accuracy));
    emit trained(std::move(weights), tr("trained here (%1 % on the test set)").arg(accuracy));
}

void TrainPanel::showConfusion() {
    const auto n = static_cast<int>(evaluation_.confusion.size());
    confusion_->setRowCount(n);
    confusion_->setColumnCount(n);
    // Rows named in full, columns by number, so ten classes fit the panel's width without scrolling.
    QStringList rows, columns;
    for (int c = 0; c < n; ++c) {
        rows << QString("%1 %2").arg(c).arg(className(c));
        columns << QString::number(c);
    }
    confusion_->setVerticalHeaderLabels(rows);
    confusion_->setHorizontalHeaderLabels(columns);
    for (int c = 0; c < n; ++c) confusion_->horizontalHeaderItem(c)->setToolTip(tr("predicted %1").arg(className(c)));
    int64_t most = 1;
    for (const auto& row : evaluation_.confusion)
        for (int64_t v : row) most = std::max(most, v);
    for (int t = 0; t < n; ++t)
        for (int p = 0; p < n; ++p) {
            const int64_t v = evaluation_.confusion[static_cast<size_t>(t)][static_cast<size_t>(p)];
            auto* item = new QTableWidgetItem(QString::number(v));
            const int shade = static_cast<int>(200 * v / most);
            item->setBackground(t == p ? QColor(255 - shade, 255, 255 - shade) : QColor(255, 255 - shade, 255 - shade));
            item->setTextAlignment(Qt::AlignCenter);
            confusion_->setItem(t, p, item);
        }
    confusion_->resizeColumnsToContents();
    confusion_->setFixedHeight(confusion_->horizontalHeader()->height() + confusion_->verticalHeader()->length() +
                               2 * confusion_->frameWidth());
}

}  // namespace nw::ui
