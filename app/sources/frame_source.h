// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where pictures come from. Every source lives on the UI thread and emits QImages; the
// pipeline numbers them and hands them to the mailbox. A source that cannot start reports
// failed() with a sentence for the status bar; the previous source has already been replaced
// by then, so the pipeline shows the empty state.
#include <QImage>
#include <QObject>
#include <QString>

namespace percept::app {

class FrameSource : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~FrameSource() override = default;

    virtual void start() = 0;
    virtual void stop() {}
    // A still picture (photo, clipboard, slideshow slide) rather than a stream.
    virtual bool isStill() const = 0;
    // For the status bar / window title: "photo pelican.jpeg", "video clip.mp4", "camera: ...".
    virtual QString description() const = 0;

signals:
    void frameReady(const QImage& image);
    // The source cannot deliver pictures any more (the view shows the empty state).
    void failed(const QString& message);
    // Something to tell the user that does not stop the source (a slideshow skipped a file).
    void message(const QString& text, bool isError);
};

}  // namespace percept::app
