// SPDX-License-Identifier: Apache-2.0
#include "control_bar.h"

#include <QBoxLayout>
#include <QButtonGroup>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QThread>
#include <QToolButton>
#include <QMenu>

namespace percept::ui {

ControlBar::ControlBar(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("controlBar"));
    cpu_ = new QPushButton(tr("CPU"), this);
    gpu_ = new QPushButton(tr("GPU (Vulkan)"), this);
    for (QPushButton* b : {cpu_, gpu_}) {
        b->setCheckable(true);
        b->setMinimumWidth(90);
        b->setFocusPolicy(Qt::TabFocus);
    }
    cpu_->setObjectName(QStringLiteral("cpuButton"));
    gpu_->setObjectName(QStringLiteral("gpuButton"));
    cpu_->setToolTip(tr("Run the model on the CPU (G toggles)"));
    auto* group = new QButtonGroup(this);
    group->setExclusive(true);
    group->addButton(cpu_);
    group->addButton(gpu_);
    cpu_->setChecked(true);
    connect(cpu_, &QPushButton::clicked, this, [this] { emit backendRequested(percept::Backend::Cpu); });
    connect(gpu_, &QPushButton::clicked, this, [this] { emit backendRequested(percept::Backend::Vulkan); });

    // ---- Auto (a third choice in the same group) and compare mode (a toggle) ----
    auto_ = new QPushButton(tr("Auto"), this);
    auto_->setObjectName(QStringLiteral("autoButton"));
    auto_->setCheckable(true);
    auto_->setFocusPolicy(Qt::TabFocus);
    auto_->setToolTip(tr("Measure both backends on this model and keep the better one: lowest energy that keeps up with the "
                         "source (lowest latency when plugged in)"));
    group->addButton(auto_);
    connect(auto_, &QPushButton::clicked, this, [this] { emit autoRequested(); });
    compare_ = new QPushButton(tr("Compare"), this);
    compare_->setObjectName(QStringLiteral("compareButton"));
    compare_->setCheckable(true);
    compare_->setFocusPolicy(Qt::TabFocus);
    compare_->setToolTip(tr("Run every frame on the CPU and the GPU and show both side by side (C)"));
    connect(compare_, &QPushButton::toggled, this, [this](bool on) { emit compareRequested(on); });
    // ---- the window's menus behind one button on a phone ----
    more_ = new QToolButton(this);
    more_->setObjectName(QStringLiteral("moreButton"));
    more_->setText(QStringLiteral("\u22ee"));
    more_->setToolTip(tr("Menu"));
    more_->setPopupMode(QToolButton::InstantPopup);
    more_->setAutoRaise(true);
    more_->setStyleSheet(QStringLiteral("QToolButton::menu-indicator { image: none; width: 0; }"));
    more_->hide();

    gpuNote_ = new QLabel(this);
    gpuNote_->setObjectName(QStringLiteral("gpuNote"));
    gpuNote_->setWordWrap(true);
    QFont noteFont = gpuNote_->font();
    noteFont.setItalic(true);
    gpuNote_->setFont(noteFont);
    gpuNote_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);

    model_ = new QComboBox(this);
    model_->setObjectName(QStringLiteral("modelPicker"));
    model_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    model_->setMinimumContentsLength(12);
    model_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    model_->setToolTip(tr("Model (drop an .onnx file on the window to add one)"));
    connect(model_, &QComboBox::activated, this, [this](int i) {
        const QString key = model_->itemData(i).toString();
        if (!key.isEmpty() && key != shownModel_) emit modelRequested(key);
    });

    threads_ = new QSpinBox(this);
    threads_->setObjectName(QStringLiteral("threads"));
    threads_->setRange(1, std::max(1, QThread::idealThreadCount()));
    threads_->setValue(threads_->maximum());
    threads_->setToolTip(tr("CPU threads the engine uses"));
    connect(threads_, &QSpinBox::valueChanged, this, &ControlBar::threadsChanged);

    auto* backendBox = backendBox_ = new QWidget(this);
    auto* bl = new QHBoxLayout(backendBox);
    bl->setContentsMargins(0, 0, 0, 0);
    bl->setSpacing(0);
    bl->addWidget(cpu_);
    bl->addWidget(gpu_);
    bl->addWidget(auto_);
    bl->addSpacing(6);
    bl->addWidget(compare_);
    bl->addStretch(1);

    auto* settingsBox = settingsBox_ = new QWidget(this);
    auto* sl = new QHBoxLayout(settingsBox);
    sl->setContentsMargins(0, 0, 0, 0);
    auto* modelLabel = new QLabel(tr("Model"), settingsBox);
    modelLabel->setObjectName(QStringLiteral("modelLabel"));
    modelLabel->setBuddy(model_);
    sl->addWidget(modelLabel);
    sl->addWidget(model_, 1);
    sl->addSpacing(8);
    auto* threadsLabel = new QLabel(tr("Threads"), settingsBox);
    threadsLabel->setBuddy(threads_);
    sl->addWidget(threadsLabel);
    sl->addWidget(threads_);
    sl->addWidget(more_);

    row_ = new QBoxLayout(QBoxLayout::LeftToRight);
    row_->setContentsMargins(0, 0, 0, 0);
    row_->addWidget(backendBox);
    row_->addWidget(settingsBox, 1);

    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 6, 8, 6);
    outer->setSpacing(4);
    outer->addLayout(row_);
    outer->addWidget(gpuNote_);
    setGpuAvailability(false, tr("checking\u2026"));
}

void ControlBar::resizeEvent(QResizeEvent* e) {
    // Stack the two groups on a narrow (portrait phone) window.
    row_->setDirection(width() < 560 ? QBoxLayout::TopToBottom : QBoxLayout::LeftToRight);
    QWidget::resizeEvent(e);
}

QSize ControlBar::minimumSizeHint() const {
    const QSize full = QWidget::minimumSizeHint();
    const int stacked = std::max(backendBox_->minimumSizeHint().width(), settingsBox_->minimumSizeHint().width()) + 16;
    return {std::min(full.width(), stacked), full.height()};
}

void ControlBar::setGpuLost(const QString& what) {
    gpuLost_ = true;
    gpu_->setEnabled(gpuAvailable_);
    const QString note = tr("%1 \u2014 on the CPU now; press GPU (or G) to try the GPU again").arg(what);
    gpu_->setToolTip(note);
    gpuNote_->setText(note);
    gpuNote_->show();
}

void ControlBar::setGpuAvailability(bool available, const QString& reason) {
    gpuAvailable_ = available;
    gpuLost_ = false;
    gpu_->setEnabled(available);
    if (available) {
        gpu_->setToolTip(tr("Run the model on the GPU through Vulkan (G toggles)"));
        gpuNote_->clear();
        gpuNote_->hide();
    } else {
        const QString note = tr("GPU (Vulkan) unavailable: %1").arg(reason);
        gpu_->setToolTip(note);
        gpuNote_->setText(note);
        gpuNote_->show();
    }
}

QString ControlBar::gpuNote() const { return gpuNote_->isVisible() || !gpuNote_->text().isEmpty() ? gpuNote_->text() : QString(); }

void ControlBar::setActiveBackend(percept::Backend b) {
    active_ = b;
    if (b == percept::Backend::Vulkan && gpuLost_) setGpuAvailability(true, QString());  // running again
    updateAutoText();
    if (autoActive_) return;  // Auto stays checked; its text names the backend
    (b == percept::Backend::Cpu ? cpu_ : gpu_)->setChecked(true);
}

// ---- issues 13, 14 --------------------------------------------------------------------------

void ControlBar::setAutoActive(bool on) {
    autoActive_ = on;
    if (on) auto_->setChecked(true);
    else (active_ == percept::Backend::Cpu ? cpu_ : gpu_)->setChecked(true);
    updateAutoText();
}

void ControlBar::updateAutoText() {
    auto_->setText(autoActive_ ? tr("Auto: %1").arg(active_ == percept::Backend::Cpu ? tr("CPU") : tr("GPU")) : tr("Auto"));
}

void ControlBar::setCompareActive(bool on) {
    const QSignalBlocker block(compare_);
    compare_->setChecked(on);
}

void ControlBar::setMoreMenu(QMenu* menu) { more_->setMenu(menu); }

void ControlBar::setTouchMode(bool on) {
    if (on == touch_) return;
    touch_ = on;
    // 48 px: the size guides give for a finger (Material's 48 dp, Apple's 44 pt).
    const int h = on ? 48 : 0;
    for (QWidget* w : std::initializer_list<QWidget*>{cpu_, gpu_, auto_, compare_, model_, threads_, more_}) {
        w->setMinimumHeight(h);
        QFont f = font();
        if (on) f.setPixelSize(15);
        w->setFont(f);
    }
    for (QPushButton* b : {cpu_, gpu_, auto_, compare_}) b->setMinimumWidth(on ? 56 : (b == cpu_ || b == gpu_ ? 90 : 0));
    gpu_->setText(on ? tr("GPU") : tr("GPU (Vulkan)"));  // the short name fits a phone's row
    more_->setMinimumWidth(on ? 48 : 0);
    threads_->setMinimumWidth(on ? 64 : 0);
    more_->setVisible(on);
    QFont dots = more_->font();
    dots.setPixelSize(on ? 24 : dots.pixelSize());
    more_->setFont(dots);
    // The picker says what it is; on a phone its label's room goes to the model's name.
    if (QWidget* label = findChild<QWidget*>(QStringLiteral("modelLabel"))) label->setVisible(!on);
    model_->setMinimumContentsLength(on ? 8 : 12);
    layout()->setContentsMargins(on ? 4 : 8, 6, on ? 4 : 8, 6);  // a phone's 360 px hold the four backend buttons
}

void ControlBar::addModel(const QString& key, const QString& displayName, bool available) {
    if (model_->findData(key) >= 0) return;
    model_->addItem(available ? displayName : tr("%1 (not found)").arg(displayName), key);
    model_->setItemData(model_->count() - 1, key, Qt::ToolTipRole);
}

void ControlBar::setActiveModel(const QString& key) {
    shownModel_ = key;
    const int i = model_->findData(key);
    if (i >= 0) {
        const QSignalBlocker block(model_);
        model_->setCurrentIndex(i);
    }
}

QString ControlBar::activeModel() const { return shownModel_; }

void ControlBar::setThreads(int threads) {
    const QSignalBlocker block(threads_);
    threads_->setValue(threads > 0 ? threads : threads_->maximum());
}

int ControlBar::threads() const { return threads_->value(); }

}  // namespace percept::ui
