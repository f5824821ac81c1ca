// SPDX-License-Identifier: Apache-2.0
#include "plot_canvas.h"

#include <cstdio>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "percept/error.h"

namespace percept::tools {
namespace {

std::string hex(Rgb c) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
    return buf;
}

std::string escapeXml(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            default: o += c;
        }
    }
    return o;
}

class SvgCanvas : public PlotCanvas {
public:
    SvgCanvas(int w, int h, Rgb bg) {
        out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h << "\" viewBox=\"0 0 " << w << ' ' << h
             << "\" font-family=\"DejaVu Sans, Verdana, sans-serif\" xml:space=\"preserve\">\n";
        rect(0, 0, w, h, bg);
    }
    void rect(double x, double y, double w, double h, Rgb fill) override {
        out_ << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << h << "\" fill=\"" << hex(fill) << "\"/>\n";
    }
    void line(double x0, double y0, double x1, double y1, Rgb c, double width) override {
        out_ << "<line x1=\"" << x0 << "\" y1=\"" << y0 << "\" x2=\"" << x1 << "\" y2=\"" << y1 << "\" stroke=\"" << hex(c)
             << "\" stroke-width=\"" << width << "\"/>\n";
    }
    void text(double x, double y, const std::string& s, double size, Rgb c, Anchor a, bool bold) override {
        const char* anchor = a == Anchor::Start ? "start" : a == Anchor::Middle ? "middle" : "end";
        out_ << "<text x=\"" << x << "\" y=\"" << y << "\" font-size=\"" << size << "\" fill=\"" << hex(c) << "\" text-anchor=\"" << anchor
             << '"' << (bold ? " font-weight=\"bold\"" : "") << '>' << escapeXml(s) << "</text>\n";
    }
    void save(const std::string& path) override {
        std::ofstream f(path);
        f << out_.str() << "</svg>\n";
        if (!f) throw Error("cannot write " + path);
    }

private:
    std::ostringstream out_;
};

class PngCanvas : public PlotCanvas {
public:
    PngCanvas(int w, int h, Rgb bg) : img_(h, w, CV_8UC3, colour(bg)) {}
    void rect(double x, double y, double w, double h, Rgb fill) override {
        cv::rectangle(img_, cv::Rect(cv::Point(px(x), px(y)), cv::Point(px(x + w), px(y + h))), colour(fill), cv::FILLED);
    }
    void line(double x0, double y0, double x1, double y1, Rgb c, double width) override {
        cv::line(img_, {px(x0), px(y0)}, {px(x1), px(y1)}, colour(c), std::max(1, px(width)), cv::LINE_AA);
    }
    void text(double x, double y, const std::string& s, double size, Rgb c, Anchor a, bool bold) override {
        // Hershey simplex is ~22 px tall at scale 1: scale to the wanted cap height.
        const double scale = size / 30.0;
        const int thickness = bold ? 2 : 1;
        int base = 0;
        const cv::Size ts = cv::getTextSize(s, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &base);
        double left = x;
        if (a == Anchor::Middle) left -= ts.width / 2.0;
        else if (a == Anchor::End) left -= ts.width;
        cv::putText(img_, s, {px(left), px(y)}, cv::FONT_HERSHEY_SIMPLEX, scale, colour(c), thickness, cv::LINE_AA);
    }
    void save(const std::string& path) override {
        if (!cv::imwrite(path, img_)) throw Error("cannot write " + path);
    }

private:
    static int px(double v) { return static_cast<int>(v + 0.5); }
    static cv::Scalar colour(Rgb c) { return cv::Scalar(c.b, c.g, c.r); }
    cv::Mat img_;
};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::unique_ptr<PlotCanvas> PlotCanvas::forFile(const std::string& path, int width, int height, Rgb background) {
    if (endsWith(path, ".svg")) return std::make_unique<SvgCanvas>(width, height, background);
    if (endsWith(path, ".png")) return std::make_unique<PngCanvas>(width, height, background);
    throw Error("--plot: " + path + " is neither .svg nor .png");
}

}  // namespace percept::tools
