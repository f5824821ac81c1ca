// SPDX-License-Identifier: Apache-2.0
#include "teach/teach_store.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>

namespace percept::app {

TeachStore::TeachStore(QString root) : root_(std::move(root)) {}

QString TeachStore::defaultRoot() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/taught"); }

QString TeachStore::safeName(const QString& s) {
    QString out;
    for (const QChar c : s) out += c.isLetterOrNumber() || c == '-' || c == '_' || c == '.' ? c : QChar('_');
    out = out.left(48);
    if (out.isEmpty() || out.startsWith('.')) out.prepend('x');
    return out;
}

QString TeachStore::modelDir(const QString& modelKey) const {
    // A readable name, plus a hash of the whole key: two model files of one name in different
    // folders are different models.
    const QString hash = QString::fromLatin1(QCryptographicHash::hash(modelKey.toUtf8(), QCryptographicHash::Sha1).toHex().left(8));
    return root_ + '/' + safeName(QFileInfo(modelKey).fileName()) + '-' + hash;
}

QVector<TeachStore::Object> TeachStore::objects(const QString& modelKey) const {
    // In the order they were first taught (their class order in the taught model).
    QVector<Object> out;
    const QJsonObject meta = readMeta(modelKey);
    const QJsonObject names = meta.value(QStringLiteral("names")).toObject();
    for (const QJsonValue& v : meta.value(QStringLiteral("order")).toArray()) {
        const QString dir = modelDir(modelKey) + QStringLiteral("/classes/") + v.toString();
        Object o;
        o.name = names.value(v.toString()).toString(v.toString());
        for (const QFileInfo& f : QDir(dir).entryInfoList({QStringLiteral("*.png")}, QDir::Files, QDir::Name)) o.pictures << f.absoluteFilePath();
        if (!o.pictures.isEmpty()) out.push_back(o);
    }
    return out;
}

QString TeachStore::addPicture(const QString& modelKey, const QString& object, const QImage& picture) {
    const QString folder = safeName(object);
    const QString dir = modelDir(modelKey) + QStringLiteral("/classes/") + folder;
    if (!QDir().mkpath(dir)) return {};
    QJsonObject meta = readMeta(modelKey);
    QJsonArray order = meta.value(QStringLiteral("order")).toArray();
    if (!order.contains(folder)) {
        order.append(folder);
        QJsonObject names = meta.value(QStringLiteral("names")).toObject();
        names.insert(folder, object);
        meta.insert(QStringLiteral("order"), order);
        meta.insert(QStringLiteral("names"), names);
        writeMeta(modelKey, meta);
    }
    const int n = static_cast<int>(QDir(dir).entryList({QStringLiteral("*.png")}, QDir::Files).size());
    const QString path = QStringLiteral("%1/%2.png").arg(dir).arg(n + 1, 5, 10, QChar('0'));
    return picture.save(path) ? path : QString();
}

void TeachStore::removeObject(const QString& modelKey, const QString& object) {
    const QString folder = safeName(object);
    QDir(modelDir(modelKey) + QStringLiteral("/classes/") + folder).removeRecursively();
    QJsonObject meta = readMeta(modelKey);
    QJsonArray order = meta.value(QStringLiteral("order")).toArray();
    for (int k = order.size(); k-- > 0;)
        if (order[k].toString() == folder) order.removeAt(k);
    meta.insert(QStringLiteral("order"), order);
    writeMeta(modelKey, meta);
}

void TeachStore::reset(const QString& modelKey) { QDir(modelDir(modelKey)).removeRecursively(); }

QString TeachStore::personalModelPath(const QString& modelKey) const { return modelDir(modelKey) + QStringLiteral("/personal.onnx"); }

QString TeachStore::personalModel(const QString& modelKey) const {
    const QString p = personalModelPath(modelKey);
    return QFileInfo::exists(p) ? p : QString();
}

QStringList TeachStore::taughtModels() const {
    QStringList keys;
    for (const QFileInfo& d : QDir(root_).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (!QFileInfo::exists(d.absoluteFilePath() + QStringLiteral("/personal.onnx"))) continue;
        QFile f(d.absoluteFilePath() + QStringLiteral("/teach.json"));
        if (!f.open(QIODevice::ReadOnly)) continue;
        const QString key = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("model")).toString();
        if (!key.isEmpty() && modelDir(key) == d.absoluteFilePath()) keys << key;
    }
    return keys;
}

QJsonObject TeachStore::figures(const QString& modelKey) const { return readMeta(modelKey).value(QStringLiteral("figures")).toObject(); }

void TeachStore::setFigures(const QString& modelKey, const QString& mode, const QJsonObject& figures) {
    QJsonObject meta = readMeta(modelKey);
    QJsonObject all = meta.value(QStringLiteral("figures")).toObject();
    all.insert(mode, figures);
    meta.insert(QStringLiteral("figures"), all);
    writeMeta(modelKey, meta);
}

QJsonObject TeachStore::readMeta(const QString& modelKey) const {
    QFile f(modelDir(modelKey) + QStringLiteral("/teach.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

void TeachStore::writeMeta(const QString& modelKey, const QJsonObject& meta) const {
    QDir().mkpath(modelDir(modelKey));
    QJsonObject m = meta;
    m.insert(QStringLiteral("model"), modelKey);
    QFile f(modelDir(modelKey) + QStringLiteral("/teach.json"));
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) f.write(QJsonDocument(m).toJson());
}

}  // namespace percept::app
