// The run panel: choose an image (a shipped sample, a file, or a file dropped on the panel) and
// weights (random or a safetensors file), run the open network with the core's executor on a worker
// thread (progress, cancel), see the top-5 classes, the time per layer, and the feature maps of
// whichever node is selected on the canvas.
#pragma once
#include <QFutureWatcher>
#include <QWidget>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tensor.h"
#include "tensor_io.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QScrollArea;

namespace nw::ui {

class MainWindow;

// "850 µs", "12.3 ms", "1.42 s".
std::string formatDuration(double ms);

// What one run produced, kept for the feature-map view.
struct RunOutcome {
    std::string error;
    Tensor output;
    std::vector<std::pair<std::string, float>> top;     // (label, probability), best first
    bool softmaxApplied = false;                        // the output was logits; the chart shows their softmax
    std::map<std::string, Tensor> maps;                 // output of each top-level node, by id
    std::vector<std::pair<std::string, double>> times;  // ms per layer, run order
    double totalMs = 0;
};

// Horizontal bars with labels: the top classes.
class TopChart : public QWidget {
public:
    explicit TopChart(QWidget* parent = nullptr);
    void setEntries(std::vector<std::pair<std::string, float>> entries);
    const std::vector<std::pair<std::string, float>>& entries() const { return entries_; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    std::vector<std::pair<std::string, float>> entries_;
};

class RunPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunPanel(MainWindow* window);
    // Each returns the error also shown in the panel, or empty; none of them opens a dialog.
    std::string setImage(const std::string& path);
    // A sample already prepared for the network (1 × C × H × W), e.g. a test image from the Train
    // panel; `caption` says what it is.
    void setSample(Tensor sample, const std::string& caption);
    std::string loadWeights(const std::string& path);  // empty path: random initialisation
    // Weights that came with the network (an ONNX model's initializers) or were trained for it, named
    // `label` in the list; refused (the error) when they do not fit the network as it is now.
    std::string useWeights(std::shared_ptr<const TensorMap> weights, const std::string& label);
    std::string weightsLabel() const;  // what the weights list shows: "Random (seed 0)", "from model.onnx", …
    std::shared_ptr<const TensorMap> weights() const { return weights_; }  // null: seeded random ones
    void start();
    void cancel();
    bool running() const { return running_; }
    void showNode(const std::string& id);  // its feature maps from the last run
    void networkChanged();                 // a new network: the last run no longer applies
    // An edit changed what the network computes: weights that no longer fit it are dropped (and
    // the panel says which and why), so a run never fails on them; an undo that makes them fit
    // again brings them back.
    void networkEdited();

    const RunOutcome& outcome() const { return outcome_; }
    QLabel* status() const { return status_; }
    TopChart* chart() const { return chart_; }
    QTableWidget* timings() const { return timings_; }
    QLabel* featureMaps() const { return maps_; }
    QLabel* preview() const { return preview_; }

signals:
    void finished(bool ok);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    static std::string misfit(const std::string& what, const std::vector<std::string>& problems);
    MainWindow* window_;
    std::string image_;                         // the image file to run, or
    std::shared_ptr<const Tensor> sample_;      // a prepared sample
    std::shared_ptr<const TensorMap> weights_;  // null: random initialisation
    struct Unfit {
        std::shared_ptr<const TensorMap> weights;
        std::string label;
    };
    Unfit unfit_;  // the weights an edit made unfit (or that arrived unfit), until others are chosen
    RunOutcome outcome_;
    std::string shownNode_;
    bool running_ = false;
    std::shared_ptr<std::atomic<bool>> cancel_;
    std::shared_ptr<std::atomic<int>> progress_;
    QFutureWatcher<RunOutcome> watcher_;
    QComboBox* samples_;
    QComboBox* weightsChoice_;
    QLabel* preview_;
    QLabel* previewCaption_;
    QPushButton* runButton_;
    QPushButton* cancelButton_;
    QProgressBar* bar_;
    QScrollArea* scroll_ = nullptr;
    QLabel* status_;
    TopChart* chart_;
    QLabel* maps_;
    QLabel* mapsCaption_;
    QTableWidget* timings_;
    void showOutcome();
};

// A grid of a C×H×W feature map's channels (the first `maxChannels`), scaled together between the
// tensor's min and max; a flat N×F output becomes one strip. Empty for other shapes.
QImage featureMapImage(const Tensor& t, int maxChannels = 64);

// A 1 × C × H × W sample (C = 1 or 3) as a grey or RGB picture, scaled between its min and max.
QImage samplePreview(const Tensor& t);

}  // namespace nw::ui
