// SPDX-License-Identifier: Apache-2.0
#pragma once
// The app's model download: a manifest's public original fetched with Qt Network on the UI
// thread (asynchronous: the window stays live), with progress for the download dialog, each
// URL in turn (the original, then its mirrors), then the same checks and placement as the
// command line's curl download (models::finishDownload: size and sha256, then the rename into
// the cache). Failures are worded as on the command line and end with the manual steps.
#include <QFile>
#include <QNetworkReply>
#include <QObject>
#include <QPointer>
#include <memory>

#include "percept/models/manifest.h"
#include "percept/models/model_download.h"

class QNetworkAccessManager;

namespace percept::app {

class ModelDownloader : public QObject {
    Q_OBJECT
public:
    explicit ModelDownloader(QObject* parent = nullptr);
    ~ModelDownloader() override;

    // Starts fetching m's download (a second start for the model being fetched is ignored,
    // one for another model cancels the first). Emits started, then progress ..., then
    // finished or failed.
    void start(const percept::models::Manifest& m);
    void cancel();
    bool running() const { return reply_ != nullptr; }
    QString modelName() const { return QString::fromStdString(manifest_.name); }

signals:
    void started(const QString& modelName, const QString& displayName, const QString& url, qint64 bytes);
    // total: the announced size, else the manifest's.
    void progress(const QString& modelName, qint64 received, qint64 total);
    void finished(const QString& modelName, const QString& path);
    void failed(const QString& modelName, const QString& message);

private:
    void tryUrl(size_t index);
    void onFinished();
    void fail(const QString& message);

    QNetworkAccessManager* net_;
    QPointer<QNetworkReply> reply_;
    percept::models::Manifest manifest_;
    percept::models::DownloadPlan plan_;
    size_t urlIndex_ = 0;
    std::string failures_;  // "\n  URL: why" per URL tried
    std::unique_ptr<QFile> part_;
    bool cancelled_ = false;
};

}  // namespace percept::app
