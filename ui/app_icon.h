// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <QIcon>

namespace percept::ui {
// The app's icon: resources/percept.svg where Qt can render SVG (the qt6-svg image plugin),
// otherwise the same design painted with QPainter, so the window never goes without one.
QIcon appIcon();
}  // namespace percept::ui
