// SPDX-License-Identifier: Apache-2.0
// The phone-sized window at 360x720 (portrait) and 720x360 (landscape):
// no menu bar (the ⋮ button opens the menus), controls in a bottom bar with hit targets of
// at least 48 px, all inside the window, the compact overlay, a double tap and a pinch on
// the picture toggling the overlay (real touch events), compare mode split one above the
// other when upright. Screenshots of each.
#include <QAbstractButton>
#include <QPushButton>
#include <QComboBox>
#include <QMenu>
#include <QMenuBar>
#include <QPointingDevice>
#include <QSpinBox>
#include <QStatusBar>
#include <QTimer>
#include <QToolButton>

#include "compare_view.h"
#include "control_bar.h"
#include "gui_test_support.h"
#include "main_window.h"
#include "overlay_widget.h"
#include "video_view.h"

using namespace percept;
using percept::app::InferenceResult;
using percept::app::PipelineStats;

class PhoneTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        PERCEPT_REQUIRE_DATA(QDir(guitest::modelsDir()).filePath("mobilenet_v1_0.25_128.dequant.onnx"));
        PERCEPT_REQUIRE_DATA(guitest::image("pelican.jpeg"));
        touch_ = QTest::createTouchDevice();
    }

    void phoneSizes_data() {
        QTest::addColumn<QSize>("size");
        QTest::newRow("portrait 360x720") << QSize(360, 720);
        QTest::newRow("landscape 720x360") << QSize(720, 360);
    }

    void phoneSizes() {
        QFETCH(QSize, size);
        ui::MainWindow w;
        QVERIFY(guitest::showWindow(w, size));
        QCOMPARE(w.size(), size);  // nothing in the window forces it wider or taller
        app::Pipeline* p = w.pipeline();
        int results = 0;
        connect(p, &app::Pipeline::resultReady, this, [&](const InferenceResult&, const PipelineStats&) { ++results; });
        p->start({QStringLiteral("mobilenet_v1_0.25_128"), Backend::Cpu, 0});
        QVERIFY(p->openImageFile(guitest::image("pelican.jpeg")));
        QTRY_VERIFY_WITH_TIMEOUT(w.overlay()->hasResult(), 60000);
        QTest::qWait(100);
        const bool portrait = size.height() > size.width();
        const QString tag = portrait ? QStringLiteral("portrait") : QStringLiteral("landscape");

        // No menu bar; the ⋮ button instead.
        QVERIFY(w.compactLayout());
        QVERIFY(!w.menuBar()->isVisible());
        QToolButton* more = w.controls()->moreButton();
        QVERIFY(more->isVisible());

        // Touch-sized controls, in a bottom bar, each wholly inside the window.
        const QRect window = w.rect();
        const QRect bar(w.controls()->mapTo(&w, QPoint(0, 0)), w.controls()->size());
        QVERIFY2(bar.bottom() >= w.height() - w.statusBar()->height() - 4, "the controls are at the bottom");
        int checked = 0;
        for (QWidget* c : w.controls()->findChildren<QWidget*>()) {
            if (!c->isVisible() || !(qobject_cast<QAbstractButton*>(c) || qobject_cast<QComboBox*>(c) || qobject_cast<QSpinBox*>(c)))
                continue;
            const QRect g(c->mapTo(&w, QPoint(0, 0)), c->size());
            QVERIFY2(g.height() >= 48 && g.width() >= 48,
                     qPrintable(QStringLiteral("%1 is %2x%3").arg(c->objectName()).arg(g.width()).arg(g.height())));
            QVERIFY2(window.contains(g), qPrintable(c->objectName() + " is cut off"));
            ++checked;
        }
        QVERIFY(checked >= 7);  // CPU, GPU, Auto, Compare, model, threads, ⋮

        // The compact overlay: top-3 and one line of figures.
        QVERIFY(w.overlay()->compact());
        const QStringList lines = w.overlay()->textLines();
        QVERIFY2(lines.size() <= 6, qPrintable(lines.join('\n')));
        QVERIFY(lines.last().contains("ms") && lines.last().contains("/s"));
        guitest::saveScreenshot(&w, QStringLiteral("phone_%1.png").arg(tag));

        // The ⋮ menu holds the menu bar's menus and opens by touch (it runs its own event loop
        // while open: looked at and closed from a timer).
        QMenu* menu = w.moreMenu();
        QStringList titles;
        bool shown = false;
        QTimer::singleShot(300, this, [&] {
            shown = menu->isVisible();
            for (QAction* a : menu->actions()) {
                titles << a->text().remove('&');
                if (menu->actionGeometry(a).height() < 44) titles << QStringLiteral("(%1 is too small)").arg(a->text());
            }
            guitest::saveScreenshot(menu, QStringLiteral("phone_%1_menu.png").arg(tag));
            menu->close();
        });
        QTest::mouseClick(more, Qt::LeftButton);
        QTRY_VERIFY(shown);
        QTRY_VERIFY(!menu->isVisible());
        QVERIFY2(titles.contains("File") && titles.contains("View") && titles.contains("Model"), qPrintable(titles.join(',')));
        QVERIFY2(titles.filter("too small").isEmpty(), qPrintable(titles.join(',')));

        // Double tap on the picture: the overlay goes, and comes back.
        QWidget* view = w.videoView();
        const QPoint c = view->rect().center();
        auto tap = [&](QPoint at) {
            QTest::touchEvent(view, touch_).press(0, at, view);
            QTest::touchEvent(view, touch_).release(0, at, view);
        };
        QVERIFY(w.overlayVisible());
        tap(c);
        QTest::qWait(30);
        tap(c + QPoint(3, 2));
        QTRY_VERIFY(!w.overlayVisible());
        QVERIFY(!w.overlay()->isVisible());
        tap(c);
        QTest::qWait(30);
        tap(c);
        QTRY_VERIFY(w.overlayVisible());

        // Pinch in hides it, pinch out shows it.
        auto pinch = [&](int from, int to) {
            QTest::touchEvent(view, touch_).press(0, c - QPoint(from, 0), view).press(1, c + QPoint(from, 0), view);
            for (int step = 1; step <= 4; ++step) {
                const int d = from + (to - from) * step / 4;
                QTest::touchEvent(view, touch_).move(0, c - QPoint(d, 0), view).move(1, c + QPoint(d, 0), view);
            }
            QTest::touchEvent(view, touch_).release(0, c - QPoint(to, 0), view).release(1, c + QPoint(to, 0), view);
        };
        pinch(120, 40);
        QTRY_VERIFY(!w.overlayVisible());
        pinch(40, 130);
        QTRY_VERIFY(w.overlayVisible());

        // Compare mode by touch: the two results one above the other when upright.
        QTest::mouseClick(w.controls()->compareButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w.compareView()->overlay(0)->hasResult(), 60000);
        std::string why;
        if (percept::backendAvailable(Backend::Vulkan, &why)) {
            QTRY_VERIFY_WITH_TIMEOUT(w.compareView()->overlay(1)->hasResult(), 60000);
            const QPoint a = w.compareView()->side(0)->mapTo(&w, QPoint(0, 0)), b = w.compareView()->side(1)->mapTo(&w, QPoint(0, 0));
            if (portrait) QVERIFY(b.y() > a.y() && b.x() == a.x());
            else QVERIFY(b.x() > a.x() && b.y() == a.y());
            QVERIFY(w.compareView()->agreementText().contains("agree"));
        }
        QVERIFY(w.compareView()->overlay(0)->compact());
        guitest::saveScreenshot(&w, QStringLiteral("phone_%1_compare.png").arg(tag));

        // Back to a desktop size: the menu bar returns, the controls and overlay grow back.
        w.resize(1000, 720);
        QTRY_VERIFY(!w.compactLayout() && w.menuBar()->isVisible() && !more->isVisible());
        QVERIFY(!w.overlay()->compact());
    }

private:
    QPointingDevice* touch_ = nullptr;
};

QTEST_MAIN(PhoneTest)
#include "tst_phone.moc"
