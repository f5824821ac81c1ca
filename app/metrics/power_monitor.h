// SPDX-License-Identifier: Apache-2.0
#pragma once
// On battery or plugged in? UPower's OnBattery property (org.freedesktop.UPower on the system
// D-Bus, through Qt DBus), followed by its PropertiesChanged signal, so the Auto backend can
// prefer energy on battery and latency when plugged in. Without a system bus or UPower (a
// container, a desktop without it) the state is Unknown and note() says why.
#include <QDBusConnection>
#include <QObject>
#include <QString>

#include "pipeline/auto_backend.h"

namespace percept::app {

class PowerMonitor : public QObject {
    Q_OBJECT
public:
    // `bus`: the system bus normally; a test hands a private bus that has a UPower service.
    explicit PowerMonitor(QObject* parent = nullptr);
    PowerMonitor(const QDBusConnection& bus, QObject* parent);

    PowerState state() const { return state_; }
    QString note() const { return note_; }  // why the state is unknown; empty otherwise

signals:
    void stateChanged(int state);  // PowerState as int

private slots:
    void onPropertiesChanged(const QString& interface, const QVariantMap& changed, const QStringList& invalidated);

private:
    void read();
    void set(PowerState s);
    QDBusConnection bus_;
    PowerState state_ = PowerState::Unknown;
    QString note_;
};

}  // namespace percept::app
