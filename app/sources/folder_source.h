// SPDX-License-Identifier: Apache-2.0
#pragma once
// A folder of photos as a slideshow: each image in name order for a few seconds, looping.
#include <QStringList>
#include <QTimer>

#include "sources/frame_source.h"

namespace percept::app {

class FolderSource : public FrameSource {
    Q_OBJECT
public:
    // Files with an image extension directly in `dir`, sorted by name.
    static QStringList imageFilesIn(const QString& dir);

    FolderSource(QString dir, QStringList files, int intervalMs = 3000, QObject* parent = nullptr);
    void start() override;
    void stop() override { timer_.stop(); }
    bool isStill() const override { return true; }
    QString description() const override;
    QString currentFile() const { return index_ >= 0 ? files_.value(index_) : QString(); }

private:
    void next();
    QString dir_;
    QStringList files_;
    int index_ = -1;
    QTimer timer_;
};

}  // namespace percept::app
