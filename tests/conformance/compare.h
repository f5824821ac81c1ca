// SPDX-License-Identifier: Apache-2.0
#pragma once
// ONNX's output check (onnx/backend/test/runner: numpy.testing.assert_allclose with
// rtol=1e-3, atol=1e-7): |got - want| <= atol + rtol * |want| per element, NaN matching NaN
// and an infinity matching the same infinity; shapes must be equal ([] is not [1]).
#include <cstdint>
#include <string>
#include <vector>

namespace percept::conformance {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;

// Empty when `got` matches `want`; otherwise a one-line account: how many elements differ,
// the worst one (index, got, want) and the largest absolute and relative errors.
std::string compareOutput(const std::vector<int64_t>& gotShape, const std::vector<float>& got,
                          const std::vector<int64_t>& wantShape, const std::vector<float>& want);

}  // namespace percept::conformance
