// SPDX-License-Identifier: Apache-2.0
#include "pipeline/model_downloader.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>

#include "percept/error.h"

namespace percept::app {

namespace pm = percept::models;

namespace {
// No byte for this long: give up on the URL (a stalled connection, a captive portal).
constexpr int kStallMs = 30000;

pm::TransferError transferError(QNetworkReply::NetworkError e) {
    using E = pm::TransferError;
    switch (e) {
        case QNetworkReply::HostNotFoundError: return E::HostNotFound;
        case QNetworkReply::ConnectionRefusedError:
        case QNetworkReply::NetworkSessionFailedError:
        case QNetworkReply::TemporaryNetworkFailureError:
        case QNetworkReply::UnknownNetworkError: return E::NoConnection;
        case QNetworkReply::RemoteHostClosedError: return E::Truncated;
        case QNetworkReply::TimeoutError: return E::Timeout;
        case QNetworkReply::SslHandshakeFailedError: return E::Tls;
        default: return E::Other;
    }
}
}  // namespace

ModelDownloader::ModelDownloader(QObject* parent) : QObject(parent), net_(new QNetworkAccessManager(this)) {}

ModelDownloader::~ModelDownloader() {
    if (reply_) {
        reply_->disconnect(this);
        reply_->abort();
    }
    if (part_) part_->remove();
}

void ModelDownloader::start(const pm::Manifest& m) {
    if (running() && m.name == manifest_.name) return;
    cancel();
    manifest_ = m;
    failures_.clear();
    cancelled_ = false;
    try {
        plan_ = pm::planDownload(m);
    } catch (const Error& e) {
        emit failed(modelName(), QString::fromStdString(e.what()));
        return;
    }
    tryUrl(0);
}

void ModelDownloader::cancel() {
    if (!reply_) return;
    cancelled_ = true;
    reply_->abort();  // finished() follows, with OperationCanceledError
}

void ModelDownloader::tryUrl(size_t index) {
    if (index >= plan_.urls.size()) return fail(QString::fromStdString(pm::downloadFailureMessage(manifest_, failures_)));
    urlIndex_ = index;
    part_ = std::make_unique<QFile>(QString::fromStdString(plan_.part));
    if (!part_->open(QIODevice::WriteOnly | QIODevice::Truncate))
        return fail(QStringLiteral("model '%1': cannot write %2: %3").arg(modelName(), part_->fileName(), part_->errorString()));
    const QString url = QString::fromStdString(plan_.urls[index]);
    QNetworkRequest req{QUrl(url)};
    req.setTransferTimeout(kStallMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    reply_ = net_->get(req);
    emit started(modelName(), QString::fromStdString(manifest_.displayName), url, plan_.bytes);
    connect(reply_, &QNetworkReply::readyRead, this, [this] { part_->write(reply_->readAll()); });
    connect(reply_, &QNetworkReply::downloadProgress, this, [this](qint64 received, qint64 total) {
        emit progress(modelName(), received, total > 0 ? total : plan_.bytes);
    });
    connect(reply_, &QNetworkReply::finished, this, &ModelDownloader::onFinished);
}

void ModelDownloader::onFinished() {
    QNetworkReply* r = reply_;
    reply_ = nullptr;
    r->deleteLater();
    if (r->error() == QNetworkReply::NoError) part_->write(r->readAll());
    part_->close();
    const QString url = QString::fromStdString(plan_.urls[urlIndex_]);
    if (cancelled_) {
        part_->remove();
        return fail(QStringLiteral("The download of %1 was cancelled.\n%2")
                        .arg(QString::fromStdString(manifest_.displayName), QString::fromStdString(pm::manualDownloadSteps(manifest_))));
    }
    if (r->error() != QNetworkReply::NoError) {
        part_->remove();
        const int status = r->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const pm::TransferError e = status >= 400 ? pm::TransferError::HttpStatus
                                    : r->error() == QNetworkReply::OperationCanceledError ? pm::TransferError::Timeout  // the transfer timeout
                                                                                          : transferError(r->error());
        failures_ += "\n  " + url.toStdString() + ": " + pm::describeTransferError(e, status, r->errorString().toStdString());
        return tryUrl(urlIndex_ + 1);
    }
    try {
        pm::finishDownload(plan_);
    } catch (const Error& e) {
        failures_ += "\n  " + url.toStdString() + ": " + e.what();
        return tryUrl(urlIndex_ + 1);
    }
    part_.reset();
    emit finished(modelName(), QString::fromStdString(plan_.target));
}

void ModelDownloader::fail(const QString& message) {
    if (part_) part_->remove();
    part_.reset();
    emit failed(modelName(), message);
}

}  // namespace percept::app
