// The Train panel: train the open network on Fashion-MNIST or a folder of class folders with the
// core's Trainer on a worker thread — epochs, batch, optimizer, learning rate; Start, Pause, Stop;
// live charts of the loss per step and the training and held-out accuracy per epoch; samples/s and
// the time left; at the end the confusion matrix and a gallery of the misclassified images of the
// test set (one opens in the Run panel), and the trained weights go to the Run panel; Save weights
// writes them to a file, Load weights starts the next run from a file's. An edit to the network
// stops a run, with a message.
#pragma once
#include <QWidget>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "session.h"
#include "tensor_io.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QChart;
class QLineSeries;
class QValueAxis;

namespace nw::ui {

class MainWindow;

class TrainPanel : public QWidget {
    Q_OBJECT
public:
    explicit TrainPanel(MainWindow* window);
    ~TrainPanel() override;
    // Starts a run on the chosen data; the error also shown in the panel, or empty.
    std::string start();
    void setPaused(bool paused);
    void stop();
    bool running() const { return worker_.joinable(); }
    // A network edit: a running training stops and says why.
    void networkChanged();
    // Train on the first `n` training and test samples only (0: all); for tests and quick tries.
    void setSubset(int64_t n) { subset_ = n; }
    // The last run's weights to a safetensors file; the error, or empty.
    std::string saveWeights(const std::string& path);
    // Weights from a file, checked against the network, for the Run panel and the next run's start.
    std::string loadWeights(const std::string& path);
    // Misclassified test image `i` of the gallery into the Run panel, and runs it there.
    void runMisclassified(int i);

    QComboBox* dataset() const { return dataset_; }
    QSpinBox* epochs() const { return epochs_; }
    QSpinBox* batch() const { return batch_; }
    QComboBox* optimizer() const { return optimizer_; }
    QDoubleSpinBox* learningRate() const { return lr_; }
    QLabel* status() const { return status_; }
    QPushButton* pauseButton() const { return pause_; }
    QLineSeries* lossSeries() const { return loss_; }
    QLineSeries* trainAccuracySeries() const { return trainAccuracy_; }
    QLineSeries* validationAccuracySeries() const { return validationAccuracy_; }
    QTableWidget* confusion() const { return confusion_; }
    QListWidget* gallery() const { return gallery_; }
    const Evaluation& evaluation() const { return evaluation_; }

signals:
    // A run ended (finished, stopped or failed); `weights` are the trained ones (null after a failure
    // before any epoch).
    void trained(std::shared_ptr<const TensorMap> weights, QString label);

private:
    void takeSteps();  // the steps reported since the last call: chart points and status
    void onEpoch(const EpochReport& e);
    void onFinished(const TrainResult& result, std::shared_ptr<const TensorMap> weights, Evaluation test);
    void showConfusion();
    void showProgress();  // the last step's figures, and whether the run is paused
    void showMisclassified();
    Tensor testSample(int64_t index) const;  // test image `index` prepared for the network
    QString className(int64_t c) const;
    QString misclassifiedCaption(size_t i) const;  // "Test image 12: a Shirt, predicted Coat"
    void setControlsRunning(bool running);

    MainWindow* window_;
    QComboBox *dataset_, *optimizer_;
    QSpinBox *epochs_, *batch_;
    QDoubleSpinBox* lr_;
    QPushButton *start_, *pause_, *stop_, *save_, *load_;
    QLabel* status_;
    QChart *lossChart_, *accuracyChart_;
    QLineSeries *loss_, *trainAccuracy_, *validationAccuracy_;
    QValueAxis *lossX_, *lossY_, *accuracyX_;
    QTableWidget* confusion_;
    QListWidget* gallery_;
    int64_t subset_ = 0;
    double maxLoss_ = 0;
    static constexpr int64_t kLossPoints = 1000;
    int64_t stepsPerPoint_ = 1, lossCount_ = 0;  // the loss chart's points are means of this many steps
    double lossSum_ = 0;
    QString progress_;  // the last step's figures
    Evaluation evaluation_;
    std::shared_ptr<const DataResult> data_;    // the last run's data (the gallery's images)
    std::shared_ptr<const TensorMap> weights_;  // the last run's weights
    std::vector<std::string> classes_;

    // The worker and what it shares with the window.
    std::thread worker_;
    std::atomic<bool> stopRequested_{false};
    bool stoppedByEdit_ = false;  // the run was stopped because the network changed under it
    std::mutex stepsMutex_;
    std::vector<StepReport> pendingSteps_;
    std::mutex pauseMutex_;
    std::condition_variable pauseChanged_;
    bool paused_ = false;
    std::unique_ptr<FlatGraph> graph_;  // the network as it was at Start (the trainer reads it)
};

}  // namespace nw::ui
