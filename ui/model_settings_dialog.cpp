// SPDX-License-Identifier: Apache-2.0
#include "model_settings_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>

namespace percept::ui {

using percept::models::Normalization;

namespace {
QString triple(const float v[3]) { return QStringLiteral("%1, %2, %3").arg(v[0]).arg(v[1]).arg(v[2]); }
bool parseTriple(const QString& text, float out[3]) {
    const QStringList parts = text.split(',', Qt::SkipEmptyParts);
    if (parts.size() != 3) return false;
    for (int i = 0; i < 3; ++i) {
        bool ok = false;
        out[i] = parts[i].trimmed().toFloat(&ok);
        if (!ok) return false;
    }
    return true;
}
}  // namespace

ModelSettingsDialog::ModelSettingsDialog(const percept::app::ModelInfo& model, QWidget* parent)
    : QDialog(parent), initial_(model.settings) {
    setWindowTitle(tr("Input and labels of %1").arg(model.name));
    const auto& in = model.settings.input;

    norm_ = new QComboBox(this);
    norm_->addItem(tr("(pixel \u2212 mean) / std"), static_cast<int>(Normalization::MeanStd));
    norm_->addItem(tr("(pixel \u2212 127.5) / 127.5   [\u22121, 1]"), static_cast<int>(Normalization::MinusOneOne));
    norm_->setCurrentIndex(in.normalization == Normalization::MeanStd ? 0 : 1);
    mean_ = new QLineEdit(triple(in.mean), this);
    std_ = new QLineEdit(triple(in.std), this);
    auto syncEnabled = [this] {
        const bool ms = norm_->currentIndex() == 0;
        mean_->setEnabled(ms);
        std_->setEnabled(ms);
    };
    connect(norm_, &QComboBox::currentIndexChanged, this, syncEnabled);
    syncEnabled();
    order_ = new QComboBox(this);
    order_->addItems({tr("RGB"), tr("BGR")});
    order_->setCurrentIndex(in.rgb ? 0 : 1);
    resize_ = new QSpinBox(this);
    resize_->setRange(in.size, 8192);
    resize_->setValue(std::max(in.resizeShorter, in.size));
    resize_->setSuffix(tr(" px, then a centre crop of %1 px").arg(in.size));

    labels_ = new QLineEdit(model.settings.labelsPath, this);
    labels_->setPlaceholderText(tr("none: class numbers are shown"));
    auto* browse = new QPushButton(tr("Browse\u2026"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Labels file (one label per line)"), labels_->text(), tr("Text (*.txt);;All files (*)"));
        if (!f.isEmpty()) labels_->setText(f);
    });
    auto* labelsRow = new QHBoxLayout;
    labelsRow->addWidget(labels_, 1);
    labelsRow->addWidget(browse);
    offset_ = new QSpinBox(this);
    offset_->setRange(0, 16);
    offset_->setValue(model.settings.labelOffset);
    offset_->setToolTip(tr("Output index K is the first line of the labels file (1 for 1001-class TensorFlow models)"));

    auto* form = new QFormLayout;
    if (!model.hasManifest)
        form->addRow(new QLabel(tr("No manifest describes this model: check how it expects its input."), this));
    form->addRow(tr("Normalisation"), norm_);
    form->addRow(tr("Mean (R, G, B)"), mean_);
    form->addRow(tr("Std (R, G, B)"), std_);
    form->addRow(tr("Channel order"), order_);
    form->addRow(tr("Resize shorter side to"), resize_);
    form->addRow(tr("Labels file"), labelsRow);
    form->addRow(tr("Label offset"), offset_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &ModelSettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
}

bool ModelSettingsDialog::settings(percept::app::ModelSettings* out, QString* error) const {
    percept::app::ModelSettings s = initial_;
    s.input.normalization = static_cast<Normalization>(norm_->currentData().toInt());
    if (s.input.normalization == Normalization::MeanStd) {
        if (!parseTriple(mean_->text(), s.input.mean)) {
            if (error) *error = tr("Mean needs three numbers: R, G, B");
            return false;
        }
        if (!parseTriple(std_->text(), s.input.std) || s.input.std[0] <= 0 || s.input.std[1] <= 0 || s.input.std[2] <= 0) {
            if (error) *error = tr("Std needs three positive numbers: R, G, B");
            return false;
        }
    }
    s.input.rgb = order_->currentIndex() == 0;
    s.input.resizeShorter = resize_->value();
    s.labelsPath = labels_->text().trimmed();
    s.labelOffset = offset_->value();
    *out = s;
    return true;
}

void ModelSettingsDialog::accept() {
    percept::app::ModelSettings s;
    QString error;
    if (!settings(&s, &error)) {
        QMessageBox::warning(this, windowTitle(), error);
        return;
    }
    QDialog::accept();
}

}  // namespace percept::ui
