// SPDX-License-Identifier: Apache-2.0
#pragma once
// "Model > Input and Labels...": how a model's input is prepared (normalisation, channel order,
// resize) and where its labels are. Needed for an .onnx file no manifest describes; the app
// starts such a model with ImageNet conventions and says so in the status line.
#include <QDialog>

#include "pipeline/model_info.h"

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace percept::ui {

class ModelSettingsDialog : public QDialog {
    Q_OBJECT
public:
    ModelSettingsDialog(const percept::app::ModelInfo& model, QWidget* parent = nullptr);
    // The settings as edited; false (and `error` set) when a field does not parse.
    bool settings(percept::app::ModelSettings* out, QString* error) const;

    QComboBox* normalization() const { return norm_; }
    QLineEdit* labelsPath() const { return labels_; }
    QSpinBox* labelOffset() const { return offset_; }

private:
    void accept() override;
    percept::app::ModelSettings initial_;
    QComboBox* norm_;
    QLineEdit* mean_;
    QLineEdit* std_;
    QComboBox* order_;
    QSpinBox* resize_;
    QLineEdit* labels_;
    QSpinBox* offset_;
};

}  // namespace percept::ui
