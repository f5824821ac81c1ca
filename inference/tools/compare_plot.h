// SPDX-License-Identifier: Apache-2.0
#pragma once
// The figure percept-bench --compare --plot writes (SVG or PNG): for each model, one stacked
// bar per backend (its layers' median times in network order, coloured by op family), the
// median total, energy and CPU time per inference beside it; then the heaviest layers side by
// side on both backends; a legend and the agreement of the two outputs.
#include <string>
#include <vector>

#include "bench_compare.h"

namespace percept::tools {

void drawCompareFigure(const std::vector<ModelCompare>& models, const std::string& path);

}  // namespace percept::tools
