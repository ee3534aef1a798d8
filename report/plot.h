// Plot: a small 2-D chart (lines, scatter, legend, text) on linear or log axes, as a PNG.
//
//   report::Plot p(900, 600);
//   p.title("E1").xlabel("N0").ylabel("relative error").x_scale(report::AxisScale::log);
//   p.line(n0s, errors, "GPFQ");            // style: next palette colour, solid, circles
//   p.save_png("e1.png");
//
// Ranges default to the data (log axes: positive values only) padded to nice bounds; ticks
// default to 1-2-5 steps (linear) or decades, with 2 and 5 added when the range spans few
// decades (log). Series keep their insertion order in the legend; a series with an empty
// label is not listed. Nothing is drawn until render() / save_png().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/canvas.h"

namespace trit::report {

enum class AxisScale { linear, log };
// Where the legend goes: inside the plot area at a corner, or in a margin right of it.
enum class Corner { top_left, top_right, bottom_left, bottom_right, outside_right };

struct Style {
  std::optional<Color> color;  // default: palette(series index)
  bool line = true;            // connect the points
  bool dashed = false;
  Marker marker = Marker::circle;
  int marker_size = 9;  // pixels across (the legend shows at least 7)
  double width = 2.0;
  bool filled = true;  // bars: filled rectangles, else outlines `width` pixels thick
};

class Plot {
 public:
  explicit Plot(int width = 900, int height = 600);

  Plot& title(const std::string& text);
  Plot& xlabel(const std::string& text);
  Plot& ylabel(const std::string& text);
  Plot& x_scale(AxisScale scale);
  Plot& y_scale(AxisScale scale);
  Plot& x_range(double lo, double hi);
  Plot& y_range(double lo, double hi);
  Plot& x_ticks(const std::vector<double>& ticks);
  Plot& y_ticks(const std::vector<double>& ticks);
  Plot& legend(Corner corner);

  // Throws trit::Error if xs and ys differ in length.
  Plot& line(const std::vector<double>& xs, const std::vector<double>& ys, const std::string& label,
             Style style = {});
  Plot& scatter(const std::vector<double>& xs, const std::vector<double>& ys,
                const std::string& label, Style style = {});
  // Histogram bars: bin k spans [edges[k], edges[k + 1]] with height heights[k], drawn from 0
  // (log y axis: from the bottom); zero or unusable heights draw nothing. Throws trit::Error
  // unless edges.size() == heights.size() + 1.
  Plot& bars(const std::vector<double>& edges, const std::vector<double>& heights,
             const std::string& label, Style style = {});
  // Text at data coordinates (its top-left corner).
  Plot& text(double x, double y, const std::string& text, Color color = kBlack);

  Canvas render() const;
  void save_png(const std::string& path) const;

 private:
  struct Axis {
    AxisScale scale = AxisScale::linear;
    std::optional<double> lo, hi;
    std::vector<double> ticks;
  };
  struct Series {
    std::vector<double> xs, ys;  // bars: xs are the bin edges
    std::string label;
    Style style;
    bool bars = false;
  };
  struct Note {
    double x, y;
    std::string text;
    Color color;
  };

  int width_, height_;
  std::string title_, xlabel_, ylabel_;
  Axis x_, y_;
  Corner legend_ = Corner::top_right;
  std::vector<Series> series_;
  std::vector<Note> notes_;
};

}  // namespace trit::report
