// SPDX-License-Identifier: Apache-2.0
// The power state the Auto backend reads: PowerMonitor against a real D-Bus daemon
// (a private bus started here with dbus-daemon) on which a service named and shaped like UPower
// (org.freedesktop.UPower, property OnBattery, PropertiesChanged) runs, since the real upowerd
// needs the system bus and a battery. Checks the initial read, a change through
// PropertiesChanged, and that a bus without UPower leaves the state Unknown with the reason.
#include <QDBusAbstractAdaptor>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>
#include <QThread>

#include "metrics/power_monitor.h"

using namespace percept::app;

// The service side: lives on its own thread, so the monitor's blocking Get() is answered.
class FakeUPower : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.UPower")
    Q_PROPERTY(bool OnBattery READ onBattery)
public:
    bool battery = false;
    bool onBattery() const { return battery; }
};

class UPowerAdaptor : public QDBusAbstractAdaptor {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.UPower")
    Q_PROPERTY(bool OnBattery READ onBattery)
public:
    explicit UPowerAdaptor(FakeUPower* p) : QDBusAbstractAdaptor(p), p_(p) {}
    bool onBattery() const { return p_->battery; }

private:
    FakeUPower* p_;
};

class PowerTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        const QString daemon = QStandardPaths::findExecutable("dbus-daemon");
        if (daemon.isEmpty()) {
            if (qEnvironmentVariableIsSet("CI")) QFAIL("dbus-daemon is needed (packaging/build-deps.txt)");
            QSKIP("dbus-daemon not installed");
        }
        bus_.start(daemon, {"--session", "--nofork", "--print-address=1"});
        QVERIFY(bus_.waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(bus_.canReadLine(), 10000);
        address_ = QString::fromUtf8(bus_.readLine()).trimmed();
        QVERIFY2(address_.startsWith("unix:"), qPrintable(address_));
    }
    void cleanupTestCase() {
        QDBusConnection::connectToBus(address_, "upower-server").unregisterObject("/org/freedesktop/UPower");
        if (service_) service_->deleteLater();  // on its own thread, which deletes it as it ends
        if (serviceThread_.isRunning()) {
            serviceThread_.quit();
            serviceThread_.wait();
        }
        bus_.terminate();
        bus_.waitForFinished(5000);
    }

    void noUPowerOnTheBusIsUnknown() {
        QDBusConnection client = QDBusConnection::connectToBus(address_, "client-empty");
        QVERIFY(client.isConnected());
        PowerMonitor m(client, nullptr);
        QCOMPARE(m.state(), PowerState::Unknown);
        QVERIFY2(m.note().contains("no UPower"), qPrintable(m.note()));
    }

    void readsAndFollowsOnBattery() {
        QDBusConnection server = QDBusConnection::connectToBus(address_, "upower-server");
        QVERIFY(server.isConnected());
        service_ = new FakeUPower;
        service_->battery = true;
        new UPowerAdaptor(service_);
        service_->moveToThread(&serviceThread_);
        serviceThread_.start();
        QVERIFY(server.registerObject("/org/freedesktop/UPower", service_, QDBusConnection::ExportAdaptors));
        QVERIFY(server.registerService("org.freedesktop.UPower"));

        QDBusConnection client = QDBusConnection::connectToBus(address_, "client");
        PowerMonitor m(client, nullptr);
        QCOMPARE(m.state(), PowerState::Battery);
        QVERIFY(m.note().isEmpty());
        QSignalSpy changed(&m, &PowerMonitor::stateChanged);

        // Plugged in: UPower announces it with PropertiesChanged.
        service_->battery = false;
        QDBusMessage sig = QDBusMessage::createSignal("/org/freedesktop/UPower", "org.freedesktop.DBus.Properties", "PropertiesChanged");
        sig << QStringLiteral("org.freedesktop.UPower") << QVariantMap{{"OnBattery", false}} << QStringList();
        QVERIFY(server.send(sig));
        QTRY_COMPARE(m.state(), PowerState::Ac);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toInt(), static_cast<int>(PowerState::Ac));
        // Another interface's change is not ours.
        QDBusMessage other = QDBusMessage::createSignal("/org/freedesktop/UPower", "org.freedesktop.DBus.Properties", "PropertiesChanged");
        other << QStringLiteral("org.freedesktop.UPower.Device") << QVariantMap{{"OnBattery", true}} << QStringList();
        QVERIFY(server.send(other));
        QTest::qWait(200);
        QCOMPARE(m.state(), PowerState::Ac);
        // Invalidated: read again.
        service_->battery = true;
        QDBusMessage inv = QDBusMessage::createSignal("/org/freedesktop/UPower", "org.freedesktop.DBus.Properties", "PropertiesChanged");
        inv << QStringLiteral("org.freedesktop.UPower") << QVariantMap{} << QStringList{"OnBattery"};
        QVERIFY(server.send(inv));
        QTRY_COMPARE(m.state(), PowerState::Battery);
    }

private:
    QProcess bus_;
    QString address_;
    QThread serviceThread_;
    FakeUPower* service_ = nullptr;
};

QTEST_GUILESS_MAIN(PowerTest)
#include "tst_power.moc"
