// SPDX-License-Identifier: Apache-2.0
#pragma once
// A small drawing surface for percept-bench's figures, written out as SVG (text, exact, what
// the README shows) or PNG (rasterised with OpenCV). One figure's layout code draws on either:
// rectangles, lines and ASCII text (OpenCV's fonts have no other glyphs).
#include <cstdint>
#include <memory>
#include <string>

namespace percept::tools {

struct Rgb {
    uint8_t r = 0, g = 0, b = 0;
};

class PlotCanvas {
public:
    enum class Anchor { Start, Middle, End };
    virtual ~PlotCanvas() = default;
    virtual void rect(double x, double y, double w, double h, Rgb fill) = 0;
    virtual void line(double x0, double y0, double x1, double y1, Rgb colour, double width = 1) = 0;
    // `y` is the text's baseline; `size` its height in pixels.
    virtual void text(double x, double y, const std::string& s, double size, Rgb colour, Anchor anchor = Anchor::Start,
                      bool bold = false) = 0;
    // Writes the file; throws percept::Error when it cannot.
    virtual void save(const std::string& path) = 0;
    // An approximate text width, for layout (both back ends use a sans-serif of this average advance).
    static double textWidth(const std::string& s, double size) { return 0.62 * size * static_cast<double>(s.size()); }

    // An SVG canvas for a .svg path, a PNG one otherwise (.png); throws for other extensions.
    static std::unique_ptr<PlotCanvas> forFile(const std::string& path, int width, int height, Rgb background);
};

}  // namespace percept::tools
