#include "inference.h"
#include "run_panel.h"

#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <chrono>
#include <cmath>

#include "analysis.h"
#include "executor.h"
#include "flatten.h"
#include "image.h"
#include "main_window.h"

namespace nw::ui {

namespace {

// The whole run, on a worker thread, through the core's inference session: the image prepared as
// the Input node says, each top-level node's output kept for the feature maps, progress reported.
RunOutcome execute(const Document& doc, std::string image, const std::shared_ptr<const Tensor>& sample,
                   std::shared_ptr<const TensorMap> weights, const std::shared_ptr<std::atomic<bool>>& cancel,
                   const std::shared_ptr<std::atomic<int>>& progress) {
    InferenceRequest request;
    request.image = std::move(image);
    if (sample) request.inputs[""] = *sample;
    request.weights = std::move(weights);
    request.keepNodeOutputs = true;
    request.run.profile = true;
    request.run.onNode = [cancel, progress](size_t done, size_t total) {
        progress->store(static_cast<int>(100 * done / std::max<size_t>(total, 1)));
        return !cancel->load();
    };
    InferenceResult r = infer(doc, request);
    RunOutcome out;
    out.error = r.diagnostics.empty() ? r.error : r.error + "; see Problems";
    if (!out.error.empty()) return out;
    out.output = std::move(r.output);
    out.maps = std::move(r.nodeOutputs);
    out.times = std::move(r.nodeMs);
    out.totalMs = r.totalMs;
    out.softmaxApplied = r.softmaxApplied;
    if (!r.top.empty())  // the first sample's
        for (const Prediction& p : r.top[0])
            out.top.push_back({p.label.empty() ? "class " + std::to_string(p.index) : p.label, p.probability});
    return out;
}

}  // namespace

QImage samplePreview(const Tensor& t) {
    if (t.shape.size() != 4 || (t.shape[1] != 1 && t.shape[1] != 3)) return {};
    const int64_t H = t.shape[2], W = t.shape[3], C = t.shape[1];
    const auto [lo, hi] = std::minmax_element(t.data.begin(), t.data.end());
    const float scale = *hi > *lo ? 255.0f / (*hi - *lo) : 0.0f;
    QImage img(static_cast<int>(W), static_cast<int>(H), QImage::Format_RGB32);
    for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
            int v[3];
            for (int64_t c = 0; c < 3; ++c)
                v[c] =
                    static_cast<int>((t.data[static_cast<size_t>((std::min(c, C - 1) * H + y) * W + x)] - *lo) * scale);
            img.setPixel(static_cast<int>(x), static_cast<int>(y), qRgb(v[0], v[1], v[2]));
        }
    return img;
}

QImage featureMapImage(const Tensor& t, int maxChannels) {
    if (t.data.empty()) return {};
    const auto range = std::minmax_element(t.data.begin(), t.data.end());
    const float lo = *range.first, hi = *range.second;
    const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
    auto grey = [&](float v) { return static_cast<int>((v - lo) * scale); };
    if (t.shape.size() == 2) {  // a flat vector (first sample) as one strip
        const int64_t F = std::min<int64_t>(t.shape[1], 4096);
        QImage img(static_cast<int>(F), 1, QImage::Format_Grayscale8);
        for (int64_t f = 0; f < F; ++f) img.bits()[f] = static_cast<uchar>(grey(t.data[static_cast<size_t>(f)]));
        return img;
    }
    if (t.shape.size() != 4) return {};
    const int64_t C = std::min<int64_t>(t.shape[1], maxChannels), H = t.shape[2], W = t.shape[3];
    const auto cols = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(C))));
    const int64_t rows = (C + cols - 1) / cols, gap = 1;
    QImage img(static_cast<int>(cols * (W + gap)), static_cast<int>(rows * (H + gap)), QImage::Format_Grayscale8);
    img.fill(Qt::white);
    for (int64_t c = 0; c < C; ++c) {
        const int64_t ox = c % cols * (W + gap), oy = c / cols * (H + gap);
        for (int64_t y = 0; y < H; ++y) {
            uchar* line = img.scanLine(static_cast<int>(oy + y));
            for (int64_t x = 0; x < W; ++x)
                line[ox + x] = static_cast<uchar>(grey(t.data[static_cast<size_t>((c * H + y) * W + x)]));
        }
    }
    return img;
}

TopChart::TopChart(QWidget* parent) : QWidget(parent) { setMinimumHeight(5 * 22 + 8); }

void TopChart::setEntries(std::vector<std::pair<std::string, float>> entries) {
    entries_ = std::move(entries);
    update();
}

void TopChart::paintEvent(QPaintEvent*) {
    QPainter p(this);
    const int row = 22, labelWidth = width() * 2 / 5;
    for (size_t i = 0; i < entries_.size(); ++i) {
        const auto& [label, value] = entries_[i];
        const int y = static_cast<int>(i) * row + 4;
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(0, y, labelWidth - 6, row - 4), Qt::AlignRight | Qt::AlignVCenter,
                   fontMetrics().elidedText(QString::fromStdString(label), Qt::ElideRight, labelWidth - 6));
        const int barWidth = static_cast<int>((width() - labelWidth - 60) * std::clamp(value, 0.0f, 1.0f));
        p.fillRect(labelWidth, y + 2, std::max(barWidth, 1), row - 8,
                   i == 0 ? QColor(0x2a, 0x6f, 0xd6) : QColor(0x8f, 0xb3, 0xe8));
        p.drawText(QRect(labelWidth + barWidth + 6, y, 60, row - 4), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::number(static_cast<double>(value) * 100, 'f', 1) + "%");
    }
}

RunPanel::RunPanel(MainWindow* window) : window_(window) {
    setAcceptDrops(true);
    auto* content = new QWidget;
    auto* layout = new QVBoxLayout(content);
    auto* imageRow = new QHBoxLayout;
    samples_ = new QComboBox;
    samples_->addItem(tr("Sample image…"));
    const QDir sampleDir(QString::fromStdString(dataDir() + "/resources/samples"));
    for (const QString& f : sampleDir.entryList({"*.png", "*.jpg", "*.bmp"}, QDir::Files, QDir::Name))
        samples_->addItem(f, sampleDir.filePath(f));
    auto* openImage = new QPushButton(tr("Open image…"));
    imageRow->addWidget(samples_, 1);
    imageRow->addWidget(openImage);
    layout->addLayout(imageRow);
    auto* weightsRow = new QHBoxLayout;
    weightsChoice_ = new QComboBox;
    weightsChoice_->addItem(tr("Random weights (seeded)"));
    auto* loadWeightsButton = new QPushButton(tr("Load weights…"));
    weightsRow->addWidget(weightsChoice_, 1);
    weightsRow->addWidget(loadWeightsButton);
    layout->addLayout(weightsRow);
    auto* previewRow = new QHBoxLayout;
    preview_ = new QLabel;
    preview_->setFixedSize(112, 112);
    preview_->setAlignment(Qt::AlignCenter);
    preview_->setFrameShape(QFrame::StyledPanel);
    previewCaption_ = new QLabel(tr("Drop an image here, or choose one above."));
    previewCaption_->setWordWrap(true);
    previewRow->addWidget(preview_);
    previewRow->addWidget(previewCaption_, 1);
    layout->addLayout(previewRow);
    auto* runRow = new QHBoxLayout;
    runButton_ = new QPushButton(tr("Run"));
    runButton_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setEnabled(false);
    bar_ = new QProgressBar;
    bar_->setRange(0, 100);
    bar_->setValue(0);
    runRow->addWidget(runButton_);
    runRow->addWidget(cancelButton_);
    runRow->addWidget(bar_, 1);
    layout->addLayout(runRow);
    status_ = new QLabel;
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(status_);
    chart_ = new TopChart;
    layout->addWidget(chart_);
    mapsCaption_ = new QLabel(tr("After a run, select a node to see its feature maps."));
    mapsCaption_->setWordWrap(true);
    layout->addWidget(mapsCaption_);
    maps_ = new QLabel;
    maps_->setAlignment(Qt::AlignCenter);
    maps_->setMinimumHeight(200);
    layout->addWidget(maps_);
    timings_ = new QTableWidget(0, 2);
    timings_->setHorizontalHeaderLabels({tr("Layer"), tr("ms")});
    timings_->verticalHeader()->hide();
    timings_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    timings_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    timings_->setMinimumHeight(160);
    layout->addWidget(timings_);
    layout->addStretch();
    scroll_ = new QScrollArea;
    scroll_->setWidget(content);
    scroll_->setWidgetResizable(true);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll_);

    connect(samples_, &QComboBox::activated, this, [this](int i) {
        if (i > 0) setImage(samples_->itemData(i).toString().toStdString());
    });
    connect(openImage, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Open image"), QString(), tr("Images (*.png *.jpg *.jpeg *.bmp)"));
        if (!path.isEmpty()) setImage(path.toStdString());
    });
    connect(loadWeightsButton, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Load weights"), QString(), tr("safetensors (*.safetensors)"));
        if (!path.isEmpty()) loadWeights(path.toStdString());
    });
    connect(weightsChoice_, &QComboBox::activated, this, [this](int i) {
        if (i == 0) loadWeights("");
    });
    connect(runButton_, &QPushButton::clicked, this, &RunPanel::start);
    connect(cancelButton_, &QPushButton::clicked, this, &RunPanel::cancel);
    connect(&watcher_, &QFutureWatcher<RunOutcome>::finished, this, [this] {
        outcome_ = watcher_.result();
        running_ = false;
        runButton_->setEnabled(true);
        cancelButton_->setEnabled(false);
        bar_->setValue(outcome_.error.empty() ? 100 : 0);
        showOutcome();
        // Back to the controls and the top classes (the disabled Run button had passed the focus on,
        // and the scroll area follows the focus).
        runButton_->setFocus();
        scroll_->ensureWidgetVisible(chart_);
        scroll_->ensureWidgetVisible(runButton_);
        emit finished(outcome_.error.empty());
    });
    auto* poll = new QTimer(this);  // the worker's progress, a few times a second
    poll->setInterval(50);
    connect(poll, &QTimer::timeout, this, [this] {
        if (running_ && progress_) bar_->setValue(progress_->load());
    });
    poll->start();
}

std::string RunPanel::setImage(const std::string& path) {
    const FlatGraph& flat = window_->flat();
    const FlatNode* in = nullptr;
    ImageResult img = prepareImage(flat, path, &in);
    if (!img.error.empty()) {
        status_->setText(QString::fromStdString(img.error));
        return img.error;  // the previous image stays chosen
    }
    image_ = path;
    sample_.reset();
    preview_->setPixmap(QPixmap::fromImage(samplePreview(img.tensor)).scaled(preview_->size(), Qt::KeepAspectRatio));
    previewCaption_->setText(QString::fromStdString(QFileInfo(QString::fromStdString(path)).fileName().toStdString() +
                                                    "\nprepared as " + formatShape(img.tensor.shape) +
                                                    " (normalize: " + in->view().s("normalize") + ")"));
    status_->setText(tr("Ready to run."));
    return {};
}

void RunPanel::setSample(Tensor sample, const std::string& caption) {
    image_.clear();
    preview_->setPixmap(QPixmap::fromImage(samplePreview(sample)).scaled(preview_->size(), Qt::KeepAspectRatio));
    previewCaption_->setText(QString::fromStdString(caption + "\n" + formatShape(sample.shape)));
    sample_ = std::make_shared<const Tensor>(std::move(sample));
    status_->setText(tr("Ready to run."));
}

std::string RunPanel::loadWeights(const std::string& path) {
    unfit_ = {};  // the user chose other weights
    if (path.empty()) {
        weights_.reset();
        weightsChoice_->setCurrentIndex(0);
        status_->setText(tr("Random weights (PyTorch's default initialisation, seed 0)."));
        return {};
    }
    // Checked against the network now (from the file's header, before its data is read), so a
    // mismatch is seen before a run.
    const FlatGraph flat = flatten(window_->document());
    const Analysis analysis = analyze(flat);
    WeightsResult r = nw::loadWeights(flat, analysis, path);
    if (!r.error.empty()) {
        status_->setText(QString::fromStdString(r.error));
        return r.error;
    }
    if (!r.problems.empty()) {
        std::string text = misfit("these weights", r.problems);
        status_->setText(QString::fromStdString(text));
        return text;
    }
    if (std::string e = useWeights(std::make_shared<const TensorMap>(std::move(r.tensors)),
                                   QFileInfo(QString::fromStdString(path)).fileName().toStdString());
        !e.empty())
        return e;
    for (const std::string& note : r.notes)
        status_->setText(status_->text() + " " + QString::fromStdString(note) + ".");
    return {};
}

// "`what` do not fit the network:" and the first dozen problems, one per line.
std::string RunPanel::misfit(const std::string& what, const std::vector<std::string>& problems) {
    std::string text = what + " do not fit the network:";
    for (size_t i = 0; i < problems.size() && i < 12; ++i) text += "\n  " + problems[i];
    if (problems.size() > 12) text += "\n  … and " + std::to_string(problems.size() - 12) + " more";
    return text;
}

std::string RunPanel::weightsLabel() const { return weightsChoice_->currentText().toStdString(); }

std::string RunPanel::useWeights(std::shared_ptr<const TensorMap> weights, const std::string& label) {
    // Trained weights can arrive after the network changed under the run that made them.
    if (std::vector<std::string> problems = checkWeights(window_->flat(), window_->analysis(), *weights);
        !problems.empty()) {
        std::string text = misfit("The weights " + label, problems);
        status_->setText(QString::fromStdString(text + "\nUndoing the edit brings them back."));
        unfit_ = {std::move(weights), label};
        return text;
    }
    unfit_ = {};
    weights_ = std::move(weights);
    if (weightsChoice_->count() > 1) weightsChoice_->removeItem(1);
    weightsChoice_->addItem(QString::fromStdString(label));
    weightsChoice_->setCurrentIndex(1);
    status_->setText(tr("Weights: %1.").arg(QString::fromStdString(label)));
    return {};
}

void RunPanel::networkEdited() {
    if (!weights_) {
        // An undo can make the weights an edit dropped fit again.
        if (unfit_.weights && weightShapeProblems(window_->flat(), window_->analysis(), *unfit_.weights).empty()) {
            Unfit back = std::move(unfit_);
            useWeights(std::move(back.weights), back.label);
        }
        return;
    }
    // Their values were checked when they came: only their names and shapes can stop fitting.
    std::vector<std::string> problems = weightShapeProblems(window_->flat(), window_->analysis(), *weights_);
    if (problems.empty()) return;
    const std::string text = misfit("After this edit the weights " + weightsLabel(), problems);
    unfit_ = {std::move(weights_), weightsLabel()};
    weightsChoice_->removeItem(1);
    weightsChoice_->setCurrentIndex(0);
    status_->setText(
        QString::fromStdString(text + "\nRuns use random weights (seeded) now; undoing the edit brings them back."));
}

void RunPanel::start() {
    if (running_) return;
    if (image_.empty() && !sample_) {
        status_->setText(tr("Choose an image first (a sample, a file, or drop one here)."));
        return;
    }
    running_ = true;
    cancelButton_->setEnabled(true);
    cancelButton_->setFocus();  // before Run is disabled, so the focus (and the scroll area) stays here
    runButton_->setEnabled(false);
    bar_->setValue(0);
    status_->setText(tr("Running…"));
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    progress_ = std::make_shared<std::atomic<int>>(0);
    watcher_.setFuture(QtConcurrent::run(execute, window_->document(), image_, sample_, weights_, cancel_, progress_));
}

void RunPanel::cancel() {
    if (cancel_) cancel_->store(true);
}

void RunPanel::networkChanged() {
    outcome_ = RunOutcome{};
    chart_->setEntries({});
    timings_->setRowCount(0);
    maps_->clear();
    mapsCaption_->setText(tr("After a run, select a node to see its feature maps."));
    if (!image_.empty()) setImage(image_);  // prepared for the new network's input
}

// "850 µs", "12.3 ms", "1.42 s": a small network's run is not "0 ms".
std::string formatDuration(double ms) {
    char buf[32];
    if (ms < 1) std::snprintf(buf, sizeof buf, "%.0f µs", ms * 1000);
    else if (ms < 1000) std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : "%.1f ms", ms);
    else std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
    return buf;
}

void RunPanel::showOutcome() {
    if (!outcome_.error.empty()) {
        status_->setText(QString::fromStdString("Run failed: " + outcome_.error));
        return;
    }
    status_->setText(QString::fromStdString("Ran in " + formatDuration(outcome_.totalMs) + " (plan included); output " +
                                            formatShape(outcome_.output.shape) +
                                            (outcome_.softmaxApplied ? ", shown as softmax of the logits" : "")));
    chart_->setEntries(outcome_.top);
    auto times = outcome_.times;
    std::stable_sort(times.begin(), times.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    timings_->setSortingEnabled(false);
    timings_->setRowCount(static_cast<int>(times.size()));
    for (int i = 0; i < static_cast<int>(times.size()); ++i) {
        timings_->setItem(i, 0, new QTableWidgetItem(QString::fromStdString(times[static_cast<size_t>(i)].first)));
        auto* ms = new QTableWidgetItem(QString::number(times[static_cast<size_t>(i)].second, 'f', 3));
        ms->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        timings_->setItem(i, 1, ms);
    }
    showNode(shownNode_);
}

void RunPanel::showNode(const std::string& id) {
    shownNode_ = id;
    auto it = outcome_.maps.find(id);
    if (id.empty() || it == outcome_.maps.end()) {
        maps_->clear();
        if (!outcome_.maps.empty()) mapsCaption_->setText(tr("Select a node to see its feature maps."));
        return;
    }
    const Tensor& t = it->second;
    const QImage img = featureMapImage(t);
    const auto [lo, hi] = std::minmax_element(t.data.begin(), t.data.end());
    const int64_t channels = t.shape.size() == 4 ? t.shape[1] : 1;
    mapsCaption_->setText(
        QString::fromStdString(id + ": " + formatShape(t.shape) +
                               (channels > 64 ? " (first 64 of " + std::to_string(channels) + " channels)" : "") +
                               "\nblack = " + std::to_string(*lo) + ", white = " + std::to_string(*hi)));
    // Whole pixels per value (crisp), within the panel's width and a height that leaves room below.
    const int width = std::max(200, maps_->width() - 8), height = t.shape.size() == 2 ? 24 : 240;
    maps_->setPixmap(QPixmap::fromImage(img).scaled(width, height, Qt::KeepAspectRatio, Qt::FastTransformation));
}

void RunPanel::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void RunPanel::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) {
        setImage(urls.first().toLocalFile().toStdString());
        event->acceptProposedAction();
    }
}

}  // namespace nw::ui
