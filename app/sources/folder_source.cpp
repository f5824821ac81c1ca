// SPDX-License-Identifier: Apache-2.0
#include "sources/folder_source.h"

#include <QDir>
#include <QFileInfo>

#include "sources/image_source.h"

namespace percept::app {

QStringList FolderSource::imageFilesIn(const QString& dir) {
    const QStringList patterns = {"*.png", "*.jpg", "*.jpeg", "*.bmp", "*.webp", "*.tif", "*.tiff",
                                  "*.PNG", "*.JPG", "*.JPEG", "*.BMP", "*.WEBP", "*.TIF", "*.TIFF"};
    QStringList out;
    for (const QFileInfo& fi : QDir(dir).entryInfoList(patterns, QDir::Files | QDir::Readable, QDir::Name))
        out << fi.absoluteFilePath();
    out.removeDuplicates();
    return out;
}

FolderSource::FolderSource(QString dir, QStringList files, int intervalMs, QObject* parent)
    : FrameSource(parent), dir_(std::move(dir)), files_(std::move(files)) {
    timer_.setInterval(intervalMs);
    connect(&timer_, &QTimer::timeout, this, &FolderSource::next);
}

void FolderSource::start() {
    next();
    timer_.start();
}

QString FolderSource::description() const {
    const QString cur = currentFile();
    return QStringLiteral("slideshow %1 (%2/%3: %4)")
        .arg(QDir(dir_).dirName())
        .arg(index_ + 1)
        .arg(files_.size())
        .arg(QFileInfo(cur).fileName());
}

void FolderSource::next() {
    // Skip files that fail to decode, reporting each; give up after one full round.
    for (int tries = 0; tries < files_.size(); ++tries) {
        index_ = (index_ + 1) % static_cast<int>(files_.size());
        QString err;
        QImage img = loadImageFile(files_[index_], &err);
        if (!img.isNull()) {
            emit message(description(), false);
            emit frameReady(img);
            return;
        }
        emit message(QStringLiteral("Skipped %1: %2").arg(QFileInfo(files_[index_]).fileName(), err), true);
    }
    timer_.stop();
    emit failed(QStringLiteral("No picture in %1 could be decoded").arg(dir_));
}

}  // namespace percept::app
