// SPDX-License-Identifier: Apache-2.0
#pragma once
// Settings: skipping unchanged scenes — on or off, and the threshold: the largest
// change of any cell of a 32x32 grey thumbnail, in grey levels, under which a frame counts as
// the same scene and the last result is reused. Kept with QSettings.
#include <QDialog>

class QCheckBox;
class QDoubleSpinBox;

namespace percept::ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(double skipThreshold, QWidget* parent = nullptr);
    // 0 = off.
    double skipThreshold() const;

    // The stored setting (0, off, when none is stored), and storing it.
    static double storedSkipThreshold();
    static void storeSkipThreshold(double greyLevels);

private:
    QCheckBox* skip_;
    QDoubleSpinBox* threshold_;
};

}  // namespace percept::ui
