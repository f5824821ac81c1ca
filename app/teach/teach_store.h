// SPDX-License-Identifier: Apache-2.0
#pragma once
// Where taught objects live, per model, under the user's data directory
// (QStandardPaths::AppDataLocation/taught, e.g. ~/.local/share/percept/taught):
//   <model dir>/teach.json          the model's key, the last figures of each mode
//   <model dir>/classes/<name>/*.png the captured pictures of each object, in capture order
//   <model dir>/personal.onnx       the taught model (base classes + the objects), exported
// so taught objects survive a restart (the app loads personal.onnx in place of the base model)
// and can be retrained without capturing again after one is removed.
#include <QImage>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVector>

namespace percept::app {

class TeachStore {
public:
    // root: the directory holding one folder per model.
    explicit TeachStore(QString root);
    static QString defaultRoot();
    const QString& root() const { return root_; }

    struct Object {
        QString name;
        QStringList pictures;  // absolute paths, capture order
    };
    // A model's objects, by name.
    QVector<Object> objects(const QString& modelKey) const;
    // Saves a picture of an object (created on its first picture); returns its path, or an
    // empty string when it cannot be written.
    QString addPicture(const QString& modelKey, const QString& object, const QImage& picture);
    void removeObject(const QString& modelKey, const QString& object);
    // Forgets everything taught for the model.
    void reset(const QString& modelKey);

    // The taught model's file, empty when there is none.
    QString personalModel(const QString& modelKey) const;
    QString personalModelPath(const QString& modelKey) const;
    // Keys of the models something was taught (that have a personal.onnx).
    QStringList taughtModels() const;

    // The last figures of each mode ("head", "finetune"): ms, held-back accuracy, classes.
    QJsonObject figures(const QString& modelKey) const;
    void setFigures(const QString& modelKey, const QString& mode, const QJsonObject& figures);

    // A file-name-safe folder name for an object or a model key.
    static QString safeName(const QString& s);

private:
    QString modelDir(const QString& modelKey) const;
    QJsonObject readMeta(const QString& modelKey) const;
    void writeMeta(const QString& modelKey, const QJsonObject& meta) const;

    QString root_;
};

}  // namespace percept::app
