#include "report/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "autograd/error.h"

namespace trit::report {
namespace {

constexpr int kText = 2;  // font scale of labels and ticks

bool usable(double v, AxisScale scale) {
  return std::isfinite(v) && (scale == AxisScale::linear || v > 0.0);
}

// 1, 2 or 5 times a power of ten, the first at or above raw.
double nice_step(double raw) {
  const double decade = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * decade >= raw * (1.0 - 1e-9)) return m * decade;
  }
  return 10.0 * decade;
}

std::pair<double, double> padded_range(double lo, double hi, AxisScale scale) {
  if (scale == AxisScale::log) {
    if (lo == hi) return {lo / 2.0, hi * 2.0};
    const double pad = std::pow(hi / lo, 0.04);
    return {lo / pad, hi * pad};
  }
  if (lo == hi)
    return {lo - (lo == 0.0 ? 1.0 : std::abs(lo) / 2), hi + (hi == 0.0 ? 1.0 : std::abs(hi) / 2)};
  const double step = nice_step((hi - lo) / 6.0);
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step};
}

std::vector<double> auto_ticks(double lo, double hi, AxisScale scale) {
  std::vector<double> ticks;
  if (scale == AxisScale::linear) {
    const double step = nice_step((hi - lo) / 6.0);
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k += 1.0) {
      ticks.push_back(std::abs(k) < 0.5 ? 0.0 : k * step);
    }
    return ticks;
  }
  const double span = std::log10(hi / lo);
  const std::vector<double> mantissas = span > 2.5 ? std::vector<double>{1.0}
                                        : span > 0.8
                                            ? std::vector<double>{1.0, 2.0, 5.0}
                                            : std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (int e = static_cast<int>(std::floor(std::log10(lo))); std::pow(10.0, e) <= hi; ++e) {
    for (const double m : mantissas) {
      const double v = m * std::pow(10.0, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push_back(v);
    }
  }
  return ticks;
}

std::string tick_label(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", v);
  return buffer;
}

// Data value -> pixel along one axis; p0 is the pixel of lo, p1 the pixel of hi.
struct Mapping {
  AxisScale scale;
  double lo, hi;
  double p0, p1;
  double operator()(double v) const {
    const double t =
        scale == AxisScale::log ? std::log(v / lo) / std::log(hi / lo) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

// One bar between pixel columns x0, x1 and rows y0, y1 (any order), filled or outlined.
void draw_bar(Canvas& canvas, double x0, double x1, double y0, double y1, const Style& style) {
  const int left = static_cast<int>(std::lround(std::min(x0, x1)));
  const int right = std::max(left + 1, static_cast<int>(std::lround(std::max(x0, x1))));
  const int top = static_cast<int>(std::lround(std::min(y0, y1)));
  const int bottom = std::max(top + 1, static_cast<int>(std::lround(std::max(y0, y1))));
  if (style.filled) return canvas.fill_rect(left, top, right, bottom, *style.color);
  const int w = std::max(1, static_cast<int>(std::lround(style.width)));
  canvas.fill_rect(left, top, right, top + w, *style.color);
  canvas.fill_rect(left, top, left + w, bottom, *style.color);
  canvas.fill_rect(right - w, top, right, bottom, *style.color);
}

}  // namespace

Plot::Plot(int width, int height) : width_(width), height_(height) {}

Plot& Plot::title(const std::string& text) {
  title_ = text;
  return *this;
}
Plot& Plot::xlabel(const std::string& text) {
  xlabel_ = text;
  return *this;
}
Plot& Plot::ylabel(const std::string& text) {
  ylabel_ = text;
  return *this;
}
Plot& Plot::x_scale(AxisScale scale) {
  x_.scale = scale;
  return *this;
}
Plot& Plot::y_scale(AxisScale scale) {
  y_.scale = scale;
  return *this;
}
Plot& Plot::x_range(double lo, double hi) {
  x_.lo = lo;
  x_.hi = hi;
  return *this;
}
Plot& Plot::y_range(double lo, double hi) {
  y_.lo = lo;
  y_.hi = hi;
  return *this;
}
Plot& Plot::x_ticks(const std::vector<double>& ticks) {
  x_.ticks = ticks;
  return *this;
}
Plot& Plot::y_ticks(const std::vector<double>& ticks) {
  y_.ticks = ticks;
  return *this;
}
Plot& Plot::legend(Corner corner) {
  legend_ = corner;
  return *this;
}

Plot& Plot::line(const std::vector<double>& xs, const std::vector<double>& ys,
                 const std::string& label, Style style) {
  check(xs.size() == ys.size(), "Plot::line",
        "'" + label + "': " + std::to_string(xs.size()) + " x values but " +
            std::to_string(ys.size()) + " y values");
  if (!style.color) style.color = palette(static_cast<int>(series_.size()));
  series_.push_back({xs, ys, label, style});
  return *this;
}

Plot& Plot::scatter(const std::vector<double>& xs, const std::vector<double>& ys,
                    const std::string& label, Style style) {
  style.line = false;
  if (style.marker == Marker::none) style.marker = Marker::circle;
  return line(xs, ys, label, style);
}

Plot& Plot::bars(const std::vector<double>& edges, const std::vector<double>& heights,
                 const std::string& label, Style style) {
  check(edges.size() == heights.size() + 1, "Plot::bars",
        "'" + label + "': " + std::to_string(heights.size()) + " bins need " +
            std::to_string(heights.size() + 1) + " edges, got " + std::to_string(edges.size()));
  if (!style.color) style.color = palette(static_cast<int>(series_.size()));
  series_.push_back({edges, heights, label, style, true});
  return *this;
}

Plot& Plot::text(double x, double y, const std::string& text, Color color) {
  notes_.push_back({x, y, text, color});
  return *this;
}

Canvas Plot::render() const {
  // Ranges: explicit, else the data padded to nice bounds.
  const auto range = [&](const Axis& axis, bool is_x) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const Series& s : series_) {
      for (const double v : is_x ? s.xs : s.ys) {
        if (usable(v, axis.scale)) lo = std::min(lo, v), hi = std::max(hi, v);
      }
      if (s.bars && !is_x && axis.scale == AxisScale::linear) lo = std::min(lo, 0.0);
    }
    if (lo > hi) lo = hi = 1.0;
    std::pair<double, double> r = padded_range(lo, hi, axis.scale);
    return std::make_pair(axis.lo.value_or(r.first), axis.hi.value_or(r.second));
  };
  const auto [xlo, xhi] = range(x_, true);
  const auto [ylo, yhi] = range(y_, false);
  const std::vector<double> xticks = x_.ticks.empty() ? auto_ticks(xlo, xhi, x_.scale) : x_.ticks;
  const std::vector<double> yticks = y_.ticks.empty() ? auto_ticks(ylo, yhi, y_.scale) : y_.ticks;

  // Layout: title on top, y label and tick labels on the left, x ones below.
  const int th = Canvas::text_height(kText);
  int ytick_width = 0;
  for (const double t : yticks)
    ytick_width = std::max(ytick_width, Canvas::text_width(tick_label(t), kText));
  const int left = 16 + (ylabel_.empty() ? 0 : th + 14) + ytick_width + 10;
  const int top = title_.empty() ? 20 : 2 * th + 16;
  std::vector<const Series*> listed;
  int label_width = 0;
  for (const Series& s : series_) {
    if (s.label.empty()) continue;
    listed.push_back(&s);
    label_width = std::max(label_width, Canvas::text_width(s.label, kText));
  }
  const int row = th + 10, sample = 36;
  const int box_w = 12 + sample + 10 + label_width + 12;
  const int box_h = 8 + row * static_cast<int>(listed.size());
  const bool outside = legend_ == Corner::outside_right && !listed.empty();
  const int right = width_ - 28 - (outside ? box_w + 4 : 0);
  const int bottom = height_ - (20 + th + (xlabel_.empty() ? 0 : th + 14));
  const Mapping mx{x_.scale, xlo, xhi, static_cast<double>(left), static_cast<double>(right)};
  const Mapping my{y_.scale, ylo, yhi, static_cast<double>(bottom), static_cast<double>(top)};

  Canvas canvas(width_, height_);
  for (const double t : xticks) {
    const int px = static_cast<int>(std::lround(mx(t)));
    if (px < left || px > right) continue;
    canvas.fill_rect(px, top, px + 1, bottom, kLightGrey);
    canvas.fill_rect(px, bottom, px + 1, bottom + 6, kBlack);
    const std::string label = tick_label(t);
    canvas.draw_text(px - Canvas::text_width(label, kText) / 2, bottom + 10, label, kBlack, kText);
  }
  for (const double t : yticks) {
    const int py = static_cast<int>(std::lround(my(t)));
    if (py < top || py > bottom) continue;
    canvas.fill_rect(left, py, right, py + 1, kLightGrey);
    canvas.fill_rect(left - 6, py, left, py + 1, kBlack);
    const std::string label = tick_label(t);
    canvas.draw_text(left - 10 - Canvas::text_width(label, kText), py - th / 2, label, kBlack,
                     kText);
  }
  canvas.stroke_rect(left, top, right + 1, bottom + 1, kBlack);
  if (!title_.empty()) {  // centred over the plot, but never cut at the canvas's left edge
    const int x = std::max(10, (left + right - Canvas::text_width(title_, kText)) / 2);
    canvas.draw_text(x, 10, title_, kBlack, kText);
  }
  if (!xlabel_.empty()) {
    canvas.draw_text((left + right - Canvas::text_width(xlabel_, kText)) / 2, height_ - 10 - th,
                     xlabel_, kBlack, kText);
  }
  if (!ylabel_.empty()) {
    canvas.draw_text(12, (top + bottom + Canvas::text_width(ylabel_, kText)) / 2, ylabel_, kBlack,
                     kText, true);
  }

  // Series and notes, clipped to the plot area.
  canvas.set_clip(left + 1, top + 1, right, bottom);
  for (const Series& s : series_) {
    if (s.bars) {
      const double base = y_.scale == AxisScale::log ? bottom + 1.0 : my(0.0);
      for (size_t k = 0; k < s.ys.size(); ++k) {
        if (s.ys[k] == 0.0 || !usable(s.ys[k], y_.scale) || !usable(s.xs[k], x_.scale) ||
            !usable(s.xs[k + 1], x_.scale))
          continue;
        draw_bar(canvas, mx(s.xs[k]), mx(s.xs[k + 1]), base, my(s.ys[k]), s.style);
      }
      continue;
    }
    std::vector<double> px, py;
    for (size_t k = 0; k < s.xs.size(); ++k) {
      if (!usable(s.xs[k], x_.scale) || !usable(s.ys[k], y_.scale)) continue;
      px.push_back(mx(s.xs[k]));
      py.push_back(my(s.ys[k]));
    }
    if (s.style.line)
      canvas.draw_polyline(px, py, *s.style.color, s.style.width, s.style.dashed ? 7.0 : 0.0);
    for (size_t k = 0; k < px.size(); ++k)
      canvas.draw_marker(px[k], py[k], s.style.marker, *s.style.color, s.style.marker_size);
  }
  for (const Note& n : notes_) {
    if (usable(n.x, x_.scale) && usable(n.y, y_.scale)) {
      canvas.draw_text(static_cast<int>(mx(n.x)), static_cast<int>(my(n.y)), n.text, n.color,
                       kText);
    }
  }

  // Legend box: in the chosen corner, or right of the plot area.
  canvas.reset_clip();
  if (!listed.empty()) {
    const bool at_right = legend_ != Corner::top_left && legend_ != Corner::bottom_left;
    const bool at_top = legend_ != Corner::bottom_left && legend_ != Corner::bottom_right;
    const int bx = outside ? right + 18 : at_right ? right - 10 - box_w : left + 10;
    const int by = outside ? top : at_top ? top + 10 : bottom - 10 - box_h;
    canvas.fill_rect(bx, by, bx + box_w, by + box_h, kWhite);
    canvas.stroke_rect(bx, by, bx + box_w, by + box_h, kDarkGrey);
    for (size_t k = 0; k < listed.size(); ++k) {
      const Series& s = *listed[k];
      const double cy = by + 4 + row * (k + 0.5);
      if (s.bars) {
        draw_bar(canvas, bx + 12.0 + sample / 4.0, bx + 12.0 + sample * 0.75, cy + th / 2.0,
                 cy - th / 2.0, s.style);
      } else if (s.style.line) {
        canvas.draw_polyline({bx + 12.0, bx + 12.0 + sample}, {cy, cy}, *s.style.color,
                             s.style.width, s.style.dashed ? 7.0 : 0.0);
      }
      if (!s.bars) {
        canvas.draw_marker(bx + 12.0 + sample / 2.0, cy, s.style.marker, *s.style.color,
                           std::max(s.style.marker_size, 7));
      }
      canvas.draw_text(bx + 12 + sample + 10, static_cast<int>(cy) - th / 2, s.label, kBlack,
                       kText);
    }
  }
  return canvas;
}

void Plot::save_png(const std::string& path) const { render().save_png(path); }

}  // namespace trit::report
