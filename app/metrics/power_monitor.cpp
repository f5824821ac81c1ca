// SPDX-License-Identifier: Apache-2.0
#include "metrics/power_monitor.h"

#include <QDBusConnectionInterface>
#include <QDBusInterface>
#include <QDBusReply>
#include <QDBusVariant>

namespace percept::app {

namespace {
const char* kService = "org.freedesktop.UPower";
const char* kPath = "/org/freedesktop/UPower";
const char* kInterface = "org.freedesktop.UPower";
}  // namespace

PowerMonitor::PowerMonitor(QObject* parent) : PowerMonitor(QDBusConnection::systemBus(), parent) {}

PowerMonitor::PowerMonitor(const QDBusConnection& bus, QObject* parent) : QObject(parent), bus_(bus) {
    if (!bus_.isConnected()) {
        note_ = QStringLiteral("no system D-Bus (%1)").arg(bus_.lastError().message().isEmpty() ? QStringLiteral("not connected") : bus_.lastError().message());
        return;
    }
    bus_.connect(QString::fromLatin1(kService), QString::fromLatin1(kPath), QStringLiteral("org.freedesktop.DBus.Properties"),
                 QStringLiteral("PropertiesChanged"), this, SLOT(onPropertiesChanged(QString, QVariantMap, QStringList)));
    read();
}

void PowerMonitor::read() {
    // Properties.Get rather than QDBusInterface::property(): no introspection round trip.
    QDBusMessage call = QDBusMessage::createMethodCall(QString::fromLatin1(kService), QString::fromLatin1(kPath),
                                                       QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
    call << QString::fromLatin1(kInterface) << QStringLiteral("OnBattery");
    const QDBusReply<QDBusVariant> reply = bus_.call(call, QDBus::Block, 2000);
    if (!reply.isValid()) {
        note_ = QStringLiteral("no UPower on the system bus (%1)").arg(reply.error().name());
        set(PowerState::Unknown);
        return;
    }
    note_.clear();
    set(reply.value().variant().toBool() ? PowerState::Battery : PowerState::Ac);
}

void PowerMonitor::onPropertiesChanged(const QString& interface, const QVariantMap& changed, const QStringList& invalidated) {
    if (interface != QLatin1String(kInterface)) return;
    if (changed.contains(QStringLiteral("OnBattery"))) {
        note_.clear();
        set(changed.value(QStringLiteral("OnBattery")).toBool() ? PowerState::Battery : PowerState::Ac);
    } else if (invalidated.contains(QStringLiteral("OnBattery"))) {
        read();
    }
}

void PowerMonitor::set(PowerState s) {
    if (s == state_) return;
    state_ = s;
    emit stateChanged(static_cast<int>(s));
}

}  // namespace percept::app
