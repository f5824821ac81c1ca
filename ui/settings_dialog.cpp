// SPDX-License-Identifier: Apache-2.0
#include "settings_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QVBoxLayout>

#include "pipeline/scene_change.h"

namespace percept::ui {

namespace {
const char* kSkipKey = "scene/skipThreshold";
}

SettingsDialog::SettingsDialog(double skipThreshold, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Settings"));
    setObjectName(QStringLiteral("settingsDialog"));
    skip_ = new QCheckBox(tr("Skip unchanged scenes"), this);
    skip_->setObjectName(QStringLiteral("skipCheck"));
    skip_->setChecked(skipThreshold > 0);
    threshold_ = new QDoubleSpinBox(this);
    threshold_->setObjectName(QStringLiteral("skipThreshold"));
    threshold_->setRange(0.5, 64.0);
    threshold_->setSingleStep(0.5);
    threshold_->setDecimals(1);
    threshold_->setSuffix(tr(" grey levels"));
    threshold_->setValue(skipThreshold > 0 ? skipThreshold : percept::app::SceneChange::kDefaultThreshold);
    threshold_->setEnabled(skip_->isChecked());
    connect(skip_, &QCheckBox::toggled, threshold_, &QWidget::setEnabled);
    auto* help = new QLabel(tr("While the picture does not change, the last result is reused instead of running the model "
                               "again (not in compare mode). A frame counts as unchanged when no cell of a 32\u00d732 "
                               "grey thumbnail moved by the threshold or more."),
                            this);
    help->setWordWrap(true);
    auto* form = new QFormLayout;
    form->addRow(skip_);
    form->addRow(tr("Threshold"), threshold_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(help);
    layout->addWidget(buttons);
}

double SettingsDialog::skipThreshold() const { return skip_->isChecked() ? threshold_->value() : 0.0; }

double SettingsDialog::storedSkipThreshold() {
    return QSettings().value(QLatin1String(kSkipKey), 0.0).toDouble();  // off until turned on
}

void SettingsDialog::storeSkipThreshold(double greyLevels) { QSettings().setValue(QLatin1String(kSkipKey), greyLevels); }

}  // namespace percept::ui
