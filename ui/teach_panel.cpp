// SPDX-License-Identifier: Apache-2.0
#include "teach_panel.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "overlay_widget.h"
#include "teach_plot.h"

namespace percept::ui {

using percept::app::TeachController;

TeachPanel::TeachPanel(TeachController* controller, QWidget* parent) : QDockWidget(tr("Teach"), parent), controller_(controller) {
    setObjectName(QStringLiteral("teachPanel"));
    auto* body = new QWidget(this);
    auto* v = new QVBoxLayout(body);
    auto* intro = new QLabel(tr("Teach the model an object of yours: name it, then show it to the camera (or play a video, "
                                "or add pictures) while it captures."),
                             body);
    intro->setWordWrap(true);
    v->addWidget(intro);

    name_ = new QLineEdit(body);
    name_->setObjectName(QStringLiteral("teachName"));
    name_->setPlaceholderText(tr("Name, e.g. my mug"));
    v->addWidget(name_);
    auto* row = new QHBoxLayout;
    capture_ = new QPushButton(tr("Capture"), body);
    capture_->setObjectName(QStringLiteral("teachCapture"));
    capture_->setCheckable(true);
    capture_->setToolTip(tr("Takes %1 pictures of what the window shows").arg(TeachController::kCaptureFrames));
    add_ = new QPushButton(tr("Add Pictures\u2026"), body);
    add_->setObjectName(QStringLiteral("teachAdd"));
    row->addWidget(capture_);
    row->addWidget(add_);
    v->addLayout(row);
    captureNote_ = new QLabel(body);
    captureNote_->setObjectName(QStringLiteral("teachCaptureNote"));
    v->addWidget(captureNote_);

    objects_ = new QListWidget(body);
    objects_->setObjectName(QStringLiteral("teachObjects"));
    objects_->setMaximumHeight(110);
    v->addWidget(objects_);
    auto* row2 = new QHBoxLayout;
    remove_ = new QPushButton(tr("Remove"), body);
    remove_->setObjectName(QStringLiteral("teachRemove"));
    reset_ = new QPushButton(tr("Reset"), body);
    reset_->setObjectName(QStringLiteral("teachReset"));
    reset_->setToolTip(tr("Forget every object taught to this model"));
    row2->addWidget(remove_);
    row2->addWidget(reset_);
    v->addLayout(row2);

    mode_ = new QComboBox(body);
    mode_->setObjectName(QStringLiteral("teachMode"));
    mode_->addItem(tr("New head on frozen features"));
    mode_->addItem(tr("Fine-tune the last block"));
    v->addWidget(mode_);
    figures_ = new QLabel(body);
    figures_->setObjectName(QStringLiteral("teachFigures"));
    figures_->setWordWrap(true);
    v->addWidget(figures_);
    train_ = new QPushButton(tr("Teach"), body);
    train_->setObjectName(QStringLiteral("teachTrain"));
    v->addWidget(train_);
    progress_ = new QProgressBar(body);
    progress_->setObjectName(QStringLiteral("teachProgress"));
    v->addWidget(progress_);
    plot_ = new TeachPlot(body);
    plot_->setObjectName(QStringLiteral("teachPlot"));
    v->addWidget(plot_, 1);
    result_ = new QLabel(body);
    result_->setObjectName(QStringLiteral("teachResult"));
    result_->setWordWrap(true);
    v->addWidget(result_);
    setWidget(body);

    connect(capture_, &QPushButton::clicked, this, [this](bool on) {
        if (on) controller_->startCapture(name_->text());
        else controller_->stopCapture();
        capture_->setChecked(controller_->capturing());
    });
    connect(add_, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Pictures or a video of %1").arg(name_->text()), QString(),
            tr("Pictures and videos (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.mp4 *.m4v *.mkv *.webm *.avi *.mov)"));
        if (!files.isEmpty()) controller_->addPictures(name_->text(), files);
    });
    connect(objects_, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < controller_->objects().size()) name_->setText(controller_->objects()[row].name);
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        const auto objs = controller_->objects();
        const int row = objects_->currentRow();
        if (row >= 0 && row < objs.size()) controller_->removeObject(objs[row].name);
    });
    connect(reset_, &QPushButton::clicked, controller_, &TeachController::reset);
    connect(mode_, &QComboBox::currentIndexChanged, this, &TeachPanel::showFigures);
    connect(train_, &QPushButton::clicked, this, [this] {
        if (controller_->training()) controller_->cancelTraining();
        else controller_->train(mode());
    });

    connect(controller_, &TeachController::objectsChanged, this, &TeachPanel::refresh);
    connect(controller_, &TeachController::captureProgress, this, [this](int n, int total) {
        capture_->setChecked(controller_->capturing());
        captureNote_->setText(controller_->capturing() ? tr("Captured %1 of %2 pictures\u2026").arg(n).arg(total) : tr("%n picture(s) captured", nullptr, n));
        if (!controller_->capturing()) refresh();
    });
    connect(controller_, &TeachController::trainingStarted, this, [this](const QString&) {
        plot_->clear();
        progress_->setRange(0, 0);
        train_->setText(tr("Stop"));
        result_->clear();
        refresh();
    });
    connect(controller_, &TeachController::stage, this, [this](const QString& what, int done, int total) {
        progress_->setRange(0, std::max(total, 1));
        progress_->setValue(done);
        progress_->setFormat(what + QStringLiteral(" (%v/%m)"));
    });
    connect(controller_, &TeachController::epoch, this, [this](const percept::train::EpochReport& e) {
        progress_->setRange(0, e.epochs);
        progress_->setValue(e.epoch);
        progress_->setFormat(tr("Epoch %v of %m"));
        plot_->add(e.epoch, e.epochs, e.loss, e.heldBackAccuracy);
    });
    connect(controller_, &TeachController::trainingFinished, this, [this](const percept::app::TeachOutcome& o) {
        train_->setText(tr("Teach"));
        progress_->setRange(0, 1);
        progress_->setValue(o.path.isEmpty() ? 0 : 1);
        progress_->setFormat(o.path.isEmpty() ? tr("Not taught") : tr("Done"));
        if (!o.path.isEmpty())
            result_->setText(tr("Held-back pictures recognised: %1 % (%2). Trained in %3 s (%4 epochs), after %5 s looking at %6 pictures; "
                                "%7 of activations per step.")
                                 .arg(o.heldBackAccuracy * 100.0, 0, 'f', 0)
                                 .arg(o.heldBack)
                                 .arg(o.ms / 1000.0, 0, 'f', 1)
                                 .arg(o.epochs)
                                 .arg(o.extractMs / 1000.0, 0, 'f', 1)
                                 .arg(o.examples + o.heldBack)
                                 .arg(formatBytes(o.stepArenaBytes)));
        refresh();
    });
    refresh();
}

percept::train::Mode TeachPanel::mode() const { return mode_->currentIndex() == 1 ? percept::train::Mode::FineTune : percept::train::Mode::Head; }

void TeachPanel::refresh() {
    const auto objs = controller_->objects();
    const int row = objects_->currentRow();
    objects_->clear();
    for (const auto& o : objs) objects_->addItem(tr("%1 \u2014 %n picture(s)", nullptr, static_cast<int>(o.pictures.size())).arg(o.name));
    if (row >= 0 && row < objects_->count()) objects_->setCurrentRow(row);
    const bool busy = controller_->training();
    remove_->setEnabled(!busy && !objs.isEmpty());
    reset_->setEnabled(!objs.isEmpty() || busy);
    mode_->setEnabled(!busy);
    train_->setEnabled(busy || !objs.isEmpty());
    showFigures();
}

void TeachPanel::showFigures() {
    // Each mode's last figures on this model: what the choice costs and gives.
    const QJsonObject f = controller_->figures();
    auto line = [&](const char* key, const QString& label) {
        const QJsonObject m = f.value(QLatin1String(key)).toObject();
        if (m.isEmpty()) return tr("%1: not tried yet").arg(label);
        return tr("%1: %2 s, held back recognised %3 %").arg(label).arg(m.value("ms").toDouble() / 1000.0, 0, 'f', 1).arg(m.value("accuracy").toDouble() * 100.0, 0, 'f', 0);
    };
    figures_->setText(line("head", tr("New head")) + QStringLiteral("\n") + line("finetune", tr("Fine-tune")));
}

}  // namespace percept::ui
