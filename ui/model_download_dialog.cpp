// SPDX-License-Identifier: Apache-2.0
#include "model_download_dialog.h"

#include <QLabel>
#include <algorithm>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include "percept/models/model_store.h"
#include "pipeline/pipeline.h"

namespace percept::ui {

ModelDownloadDialog::ModelDownloadDialog(percept::app::Pipeline* pipeline, QWidget* parent) : QDialog(parent), pipeline_(pipeline) {
    setObjectName(QStringLiteral("modelDownloadDialog"));
    setWindowTitle(tr("Downloading a model"));
    setModal(false);
    auto* layout = new QVBoxLayout(this);
    text_ = new QLabel(this);
    text_->setObjectName(QStringLiteral("modelDownloadText"));
    text_->setWordWrap(true);
    text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bar_ = new QProgressBar(this);
    bar_->setObjectName(QStringLiteral("modelDownloadProgress"));
    bar_->setMinimumWidth(360);
    button_ = new QPushButton(tr("Cancel"), this);
    button_->setObjectName(QStringLiteral("modelDownloadButton"));
    layout->addWidget(text_);
    layout->addWidget(bar_);
    layout->addWidget(button_, 0, Qt::AlignRight);
    connect(button_, &QPushButton::clicked, this, [this] {
        if (failed_) hide();
        else pipeline_->cancelModelDownload();
    });
    connect(pipeline, &percept::app::Pipeline::modelDownloadStarted, this, &ModelDownloadDialog::onStarted);
    connect(pipeline, &percept::app::Pipeline::modelDownloadProgress, this,
            [this](const QString&, qint64 received, qint64 total) { onProgress(received, total); });
    connect(pipeline, &percept::app::Pipeline::modelDownloadFinished, this,
            [this](const QString&, bool ok, const QString& message) { onFinished(ok, message); });
}

void ModelDownloadDialog::onStarted(const QString& key, const QString& displayName, const QString& url, qint64 bytes) {
    failed_ = false;
    setWindowTitle(tr("Downloading a model"));
    text_->setText(tr("%1 (%2) is not on this machine yet: downloading it, once, into %3.\nFrom %4")
                       .arg(displayName, key, QString::fromStdString(percept::models::modelCacheDirectory()), url));
    bar_->setVisible(true);
    bar_->setRange(0, static_cast<int>(std::max<qint64>(1, bytes / 1024)));
    bar_->setValue(0);
    bar_->setFormat(tr("%v of %m KiB"));
    button_->setText(tr("Cancel"));
    show();
    raise();
}

void ModelDownloadDialog::onProgress(qint64 received, qint64 total) {
    if (total > 0) bar_->setMaximum(static_cast<int>(std::max<qint64>(1, total / 1024)));
    bar_->setValue(static_cast<int>(received / 1024));
    bar_->setFormat(tr("%1 of %2 MB").arg(static_cast<double>(received) / 1e6, 0, 'f', 1).arg(static_cast<double>(total) / 1e6, 0, 'f', 1));
}

void ModelDownloadDialog::onFinished(bool ok, const QString& message) {
    if (ok) {
        hide();
        return;
    }
    failed_ = true;
    setWindowTitle(tr("The model could not be downloaded"));
    text_->setText(message);
    bar_->setVisible(false);
    button_->setText(tr("Close"));
    adjustSize();
    show();
    raise();
}

}  // namespace percept::ui
