// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QKeySequence>
#include <QLabel>
#include <QMediaDevices>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QStatusBar>
#include <QVBoxLayout>

#include "app_icon.h"
#include "control_bar.h"
#include "elided_label.h"
#include "model_download_dialog.h"
#include "model_settings_dialog.h"
#include "overlay_widget.h"
#include "percept/backend.h"
#include "pipeline/inference_worker.h"
#include "teach_panel.h"
#include "percept/models/manifest.h"
#include "percept/models/model_store.h"
#include "percept/models/variants.h"
#include "video_view.h"
// ---- issues 13, 14 ----
#include "compare_view.h"
#include "live_charts.h"
#include "settings_dialog.h"
#include "touch_gestures.h"

namespace percept::ui {

using percept::Backend;
using percept::app::Pipeline;

namespace {
constexpr int kErrorHoldMs = 6000;  // an error stays this long before an info message replaces it

bool acceptableMime(const QMimeData* md) {
    if (!md) return false;
    if (md->hasImage()) return true;
    if (md->hasUrls())
        for (const QUrl& u : md->urls())
            if (u.isLocalFile()) return true;
    return false;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), pipeline_(new Pipeline(this)) {
    setWindowTitle(tr("Percept"));
    setWindowIcon(appIcon());
    setAcceptDrops(true);

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    view_ = new VideoView(central);
    controls_ = new ControlBar(central);
    layout->addWidget(view_, 1);
    // ---- compare mode's split view and the live charts, hidden until asked for
    compare_ = new CompareView(central);
    compare_->hide();
    layout->addWidget(compare_, 1);
    charts_ = new LiveCharts(central);
    charts_->hide();
    layout->addWidget(charts_);
    layout->addWidget(controls_);
    setCentralWidget(central);

    status_ = new ElidedLabel(this);
    status_->setObjectName(QStringLiteral("statusMessage"));
    status_->setMinimumWidth(80);
    status_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    sourceLabel_ = new QLabel(this);
    sourceLabel_->setObjectName(QStringLiteral("sourceLabel"));
    QFont sourceFont = sourceLabel_->font();
    sourceFont.setItalic(true);
    sourceLabel_->setFont(sourceFont);
    statusBar()->addWidget(status_, 1);
    statusBar()->addPermanentWidget(sourceLabel_);
    statusBar()->setSizeGripEnabled(false);

    deferTimer_.setSingleShot(true);
    connect(&deferTimer_, &QTimer::timeout, this, [this] {
        if (!deferredInfo_.isEmpty()) setStatusNow(deferredInfo_, false);
        deferredInfo_.clear();
    });

    // Teach: a dock, hidden until asked for; taught models are registered before the first
    // model loads (app/teach/teach_controller.h).
    teach_ = new TeachPanel(new percept::app::TeachController(pipeline_, percept::app::TeachStore::defaultRoot(), this), this);
    addDockWidget(Qt::RightDockWidgetArea, teach_);
    teach_->hide();
    connect(teach_->controller(), &percept::app::TeachController::status, this, &MainWindow::showStatus);

    buildMenus();
    populateModels();

    std::string why;
    const bool gpu = percept::backendAvailable(Backend::Vulkan, &why);
    controls_->setGpuAvailability(gpu, QString::fromStdString(why));

    // Controls -> pipeline.
    connect(controls_, &ControlBar::backendRequested, this, [this](Backend b) {
        controls_->setActiveBackend(pipeline_->activeBackend());  // until the worker confirms
        pipeline_->setBackend(b);
    });
    connect(controls_, &ControlBar::modelRequested, pipeline_, &Pipeline::setModel);
    connect(controls_, &ControlBar::threadsChanged, pipeline_, &Pipeline::setThreads);
    connect(pipeline_, &Pipeline::threadsRequested, controls_, &ControlBar::setThreads);

    // Pipeline -> view.
    connect(pipeline_, &Pipeline::frameArrived, view_, &VideoView::setFrame);
    connect(pipeline_, &Pipeline::resultReady, this, [this](const percept::app::InferenceResult& r, const percept::app::PipelineStats& s) {
        if (r.compareMode) compare_->setResult(r, s);  // the split view
        else overlay()->setResult(r, s);
    });
    connect(overlay(), &OverlayWidget::presented, pipeline_, &Pipeline::presented);
    connect(pipeline_, &Pipeline::statsUpdated, overlay(), &OverlayWidget::setStats);
    connect(pipeline_, &Pipeline::statusMessage, this, &MainWindow::showStatus);
    connect(pipeline_, &Pipeline::emptyState, this, [this](const QString& msg) {
        view_->showEmptyState(msg);
        overlay()->clearResult();
    });
    connect(pipeline_, &Pipeline::sourceChanged, this, [this](const QString& d) {
        sourceText_ = d;
        updateSourceLabel();
        setWindowTitle(tr("Percept \u2014 %1").arg(d));
        if (!pipeline_->sourceIsStill()) return;
        overlay()->clearResult();
        overlay()->setPendingText(tr("Recognising\u2026"));
    });
    connect(pipeline_, &Pipeline::backendChanged, this, [this](int b, const QString& device) {
        const bool changed = controls_->activeBackend() != static_cast<Backend>(b);
        controls_->setActiveBackend(static_cast<Backend>(b));
        if (changed) showStatus(tr("Running on %1: %2").arg(percept::app::backendLabel(static_cast<Backend>(b)), device), false);
    });
    connect(pipeline_, &Pipeline::backendFailed, this, [this](int, const QString&) { controls_->setActiveBackend(pipeline_->activeBackend()); });
    connect(pipeline_, &Pipeline::backendLost, this, [this](int, const QString&, bool lost) {
        // The status line has the whole message; the note under the toggle says what to do.
        controls_->setGpuLost(lost ? tr("GPU (Vulkan) lost") : tr("GPU (Vulkan) failed"));
        controls_->setActiveBackend(Backend::Cpu);
    });
    connect(pipeline_, &Pipeline::modelChanged, this, [this](const QString& key, const QString& name) {
        const auto& info = pipeline_->activeModel();
        if (!info.hasManifest && !info.userSettings)
            showStatus(tr("%1 (no manifest): %2. Model \u25b8 Input and Labels\u2026 changes them.").arg(name, info.conventions), false);
        controls_->addModel(key, name);
        controls_->setActiveModel(key);
        if (!overlay()->hasResult()) overlay()->setPendingText(view_->hasFrame() ? tr("Recognising\u2026") : QString());
    });
    connect(pipeline_, &Pipeline::modelFailed, this, [this](const QString&, const QString&) {
        controls_->setActiveModel(pipeline_->activeModelKey());
        if (!overlay()->hasResult()) overlay()->setPendingText(tr("No model loaded"));
    });
    overlay()->setPendingText(tr("Loading model\u2026"));
    // A model that must be downloaded first shows its progress in a window of its own.
    new ModelDownloadDialog(pipeline_, this);

    auto* devices = new QMediaDevices(this);
    connect(devices, &QMediaDevices::videoInputsChanged, this, &MainWindow::refreshCameraMenu);
    connectIssue13();
    resize(1000, 720);
}

MainWindow::~MainWindow() = default;

OverlayWidget* MainWindow::overlay() const { return view_->overlay(); }

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open Photo, Video or Model\u2026"), this, &MainWindow::openFileDialog);
    open->setShortcut(QKeySequence::Open);
    QAction* folder = file->addAction(tr("Open &Folder as Slideshow\u2026"), this, &MainWindow::openFolderDialog);
    folder->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    QAction* paste = file->addAction(tr("&Paste Picture"), this, &MainWindow::paste);
    paste->setShortcut(QKeySequence::Paste);
    file->addSeparator();
    QAction* shot = file->addAction(tr("&Save Screenshot\u2026"), this, &MainWindow::saveScreenshotDialog);
    shot->setShortcut(QKeySequence::Save);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* source = menuBar()->addMenu(tr("&Source"));
    cameraMenu_ = source->addMenu(tr("&Camera"));
    connect(cameraMenu_, &QMenu::aboutToShow, this, &MainWindow::refreshCameraMenu);
    refreshCameraMenu();
    source->addAction(tr("&Default Camera"), this, [this] { pipeline_->openDefaultCamera(); });

    QMenu* model = menuBar()->addMenu(tr("&Model"));
    QAction* settings = model->addAction(tr("&Input and Labels\u2026"), this, &MainWindow::modelSettingsDialog);
    settings->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    QAction* addModel = model->addAction(tr("&Add Model File\u2026"), this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Add an ONNX model"), QString(), tr("Models (*.onnx *.pcz)"));
        if (!f.isEmpty()) pipeline_->setModel(f);
    });
    addModel->setStatusTip(tr("Or drop an .onnx file on the window"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    overlayAction_ = view->addAction(tr("Show &Overlay"));
    overlayAction_->setCheckable(true);
    overlayAction_->setChecked(true);
    overlayAction_->setShortcut(QKeySequence(Qt::Key_O));
    connect(overlayAction_, &QAction::toggled, this, [this](bool on) { overlay()->setVisible(on); });
    QAction* toggle = view->addAction(tr("Switch CPU / &GPU"), this, &MainWindow::toggleBackend);
    toggle->setShortcut(QKeySequence(Qt::Key_G));
    QAction* full = view->addAction(tr("&Full Screen"), this, [this] { isFullScreen() ? showNormal() : showFullScreen(); });
    full->setShortcut(QKeySequence::FullScreen);
    buildIssue13Menus(file, view);

    QMenu* teach = menuBar()->addMenu(tr("&Teach"));
    QAction* teachAction = teach->addAction(tr("&Teach a New Object\u2026"), this, [this] {
        teach_->show();
        teach_->raise();
    });
    teachAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Percept"), this, [this] {
        QMessageBox::about(this, tr("About Percept"),
                           tr("<b>Percept</b> %1<br>Live image recognition on Percept's own CNN engine.<br><br>"
                              "Drop photos, a folder or a video on the window.<br>"
                              "<b>G</b> switches CPU / GPU, <b>O</b> toggles the overlay, <b>Ctrl+V</b> pastes a picture.")
                               .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::refreshCameraMenu() {
    if (!cameraMenu_) return;
    cameraMenu_->clear();
    const auto cams = QMediaDevices::videoInputs();
    if (cams.isEmpty()) {
        cameraMenu_->addAction(tr("No camera found"))->setEnabled(false);
        return;
    }
    for (const QCameraDevice& c : cams)
        cameraMenu_->addAction(c.description(), this, [this, c] { pipeline_->openCamera(c); });
}

void MainWindow::populateModels() {
    namespace pm = percept::models;
    for (const auto& m : pm::builtinManifests()) {
        const bool found = !pm::findDataFile(m.file).empty() || (m.download && !pm::findDataFile(m.download->file).empty());
        // Variants (percept/models/variants.h: NAME.int8.onnx, NAME.pcz beside the model file)
        // are entries of their own, each with its kind and size on disk.
        const std::vector<pm::ModelVariant> variants = found ? pm::findVariants(pm::findDataFile(m.file)) : std::vector<pm::ModelVariant>{};
        const QString name = QString::fromStdString(m.displayName);
        auto label = [&](const pm::ModelVariant& v) {
            return tr("%1 \u00b7 %2 \u00b7 %3").arg(name, QString::fromLatin1(pm::variantKindName(v.kind)), formatBytes(static_cast<size_t>(v.bytes)));
        };
        controls_->addModel(QString::fromStdString(m.name), variants.size() > 1 ? label(variants[0]) : name, found || m.download.has_value());
        for (size_t k = 1; k < variants.size(); ++k) controls_->addModel(QString::fromStdString(variants[k].path), label(variants[k]));
    }
}

void MainWindow::setOverlayVisible(bool on) { overlayAction_->setChecked(on); }
bool MainWindow::overlayVisible() const { return overlayAction_->isChecked(); }

void MainWindow::toggleBackend() {
    pipeline_->setBackend(pipeline_->activeBackend() == Backend::Cpu ? Backend::Vulkan : Backend::Cpu);
}

void MainWindow::openFileDialog() {
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open"), QString(),
        tr("Photos, videos and models (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff *.mp4 *.m4v *.mkv *.webm *.avi *.mov *.onnx *.pcz);;All files (*)"));
    if (!path.isEmpty()) pipeline_->openPath(path);
}

void MainWindow::openFolderDialog() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Open a folder of photos"));
    if (!dir.isEmpty()) pipeline_->openFolder(dir);
}

void MainWindow::modelSettingsDialog() {
    const auto& m = pipeline_->activeModel();
    if (m.key.isEmpty()) {
        showStatus(tr("No model is loaded"), true);
        return;
    }
    auto* dlg = new ModelSettingsDialog(m, this);
    dlg->setAttribute(Qt::WA_DeleteOnClose);
    connect(dlg, &QDialog::accepted, this, [this, dlg, key = m.key] {
        percept::app::ModelSettings s;
        if (dlg->settings(&s, nullptr)) pipeline_->setModelSettings(key, s);
    });
    dlg->open();
}

void MainWindow::paste() { pipeline_->pasteFromClipboard(); }

void MainWindow::saveScreenshotDialog() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save screenshot"), QStringLiteral("percept.png"), tr("PNG (*.png)"));
    if (path.isEmpty()) return;
    if (grab().save(path)) showStatus(tr("Saved %1").arg(path), false);
    else showStatus(tr("Could not save %1").arg(path), true);
}

QString MainWindow::statusText() const { return status_->text(); }

void MainWindow::showStatus(const QString& message, bool isError) {
    log_ << (isError ? QStringLiteral("error: ") : QStringLiteral("info: ")) + message;
    if (!isError && statusIsError_ && errorShown_.isValid() && errorShown_.elapsed() < kErrorHoldMs) {
        // Keep the error readable; show the news once it has been up long enough.
        deferredInfo_ = message;
        deferTimer_.start(static_cast<int>(kErrorHoldMs - errorShown_.elapsed()));
        return;
    }
    setStatusNow(message, isError);
}

void MainWindow::setStatusNow(const QString& message, bool isError) {
    statusIsError_ = isError;
    if (isError) {
        errorShown_.start();
        deferredInfo_.clear();
        deferTimer_.stop();
    }
    status_->setStyleSheet(isError ? QStringLiteral("color: #c62828; font-weight: bold;") : QString());
    status_->setText(isError ? QStringLiteral("\u26a0 ") + message : message);
    status_->setToolTip(message);
}

void MainWindow::resizeEvent(QResizeEvent* e) {
    QMainWindow::resizeEvent(e);
    updateSourceLabel();
    applyCompactLayout();
}

void MainWindow::updateSourceLabel() {
    // The source's name, shortened to fit beside the message; on a narrow window the title says it.
    const int room = width() / 3;
    sourceLabel_->setVisible(width() >= 560 && !sourceText_.isEmpty());
    sourceLabel_->setText(sourceLabel_->fontMetrics().elidedText(sourceText_, Qt::ElideMiddle, room));
    sourceLabel_->setToolTip(sourceText_);
}

// ---- drag and drop --------------------------------------------------------------------------

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
    if (!acceptableMime(e->mimeData())) return;
    e->acceptProposedAction();
    view_->setDropHighlight(true);
}

void MainWindow::dragMoveEvent(QDragMoveEvent* e) {
    if (acceptableMime(e->mimeData())) e->acceptProposedAction();
}

void MainWindow::dragLeaveEvent(QDragLeaveEvent*) { view_->setDropHighlight(false); }

void MainWindow::dropEvent(QDropEvent* e) {
    view_->setDropHighlight(false);
    const QMimeData* md = e->mimeData();
    if (!acceptableMime(md)) return;
    e->acceptProposedAction();
    bool sourceOpened = false;
    if (md->hasUrls()) {
        QStringList photos, others;
        for (const QUrl& u : md->urls()) {
            if (!u.isLocalFile()) continue;
            const QString path = u.toLocalFile();
            const QFileInfo fi(path);
            if (Pipeline::isModelFile(path)) pipeline_->openPath(path);  // joins the model picker once it has loaded
            else if (fi.isFile() && !Pipeline::isVideoFile(path)) photos << path;
            else others << path;
        }
        if (photos.size() > 1) {
            pipeline_->openImageFiles(photos);  // several photos: a slideshow of them
            sourceOpened = true;
        } else if (!photos.isEmpty() || !others.isEmpty()) {
            pipeline_->openPath(photos.isEmpty() ? others.front() : photos.front());  // a failure is reported
            sourceOpened = true;
        }
    }
    if (!sourceOpened && md->hasImage()) pipeline_->openImage(qvariant_cast<QImage>(md->imageData()), tr("dropped picture"));
}

}  // namespace percept::ui
