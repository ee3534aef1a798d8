#include "report/canvas.h"

#include <algorithm>
#include <cmath>

#include "autograd/error.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop
#include <stb_image_write.h>

namespace trit::report {
namespace {

// Printable ASCII copy of `text` (stb_easy_font indexes a table by character - 32).
std::vector<char> printable(const std::string& text) {
  std::vector<char> out;
  for (const char c : text) out.push_back(c >= 32 && c < 127 ? c : '?');
  out.push_back('\0');
  return out;
}

}  // namespace

Color palette(int index) {
  static const Color colors[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115}, {204, 121, 167},
                                 {230, 159, 0}, {86, 180, 233}, {0, 0, 0},     {150, 150, 150}};
  constexpr int n = sizeof colors / sizeof colors[0];
  return colors[((index % n) + n) % n];
}

Canvas::Canvas(int width, int height, Color background)
    : width_(width), height_(height), rgb_(static_cast<size_t>(3) * width * height) {
  check(width > 0 && height > 0, "Canvas",
        std::to_string(width) + " x " + std::to_string(height) + ": size must be positive");
  reset_clip();
  fill_rect(0, 0, width, height, background);
}

Color Canvas::pixel(int x, int y) const {
  const size_t i = 3 * (static_cast<size_t>(y) * width_ + x);
  return {rgb_[i], rgb_[i + 1], rgb_[i + 2]};
}

void Canvas::set_clip(int x0, int y0, int x1, int y1) {
  clip_x0_ = std::max(0, x0);
  clip_y0_ = std::max(0, y0);
  clip_x1_ = std::min(width_, x1);
  clip_y1_ = std::min(height_, y1);
}

void Canvas::reset_clip() { set_clip(0, 0, width_, height_); }

void Canvas::set_pixel(int x, int y, Color color) {
  if (x < clip_x0_ || x >= clip_x1_ || y < clip_y0_ || y >= clip_y1_) return;
  const size_t i = 3 * (static_cast<size_t>(y) * width_ + x);
  rgb_[i] = color.r;
  rgb_[i + 1] = color.g;
  rgb_[i + 2] = color.b;
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Color color) {
  for (int y = std::max(y0, clip_y0_); y < std::min(y1, clip_y1_); ++y) {
    for (int x = std::max(x0, clip_x0_); x < std::min(x1, clip_x1_); ++x) set_pixel(x, y, color);
  }
}

void Canvas::paste(const Canvas& other, int x, int y) {
  for (int j = 0; j < other.height(); ++j)
    for (int i = 0; i < other.width(); ++i) set_pixel(x + i, y + j, other.pixel(i, j));
}

void Canvas::stroke_rect(int x0, int y0, int x1, int y1, Color color) {
  fill_rect(x0, y0, x1, y0 + 1, color);
  fill_rect(x0, y1 - 1, x1, y1, color);
  fill_rect(x0, y0, x0 + 1, y1, color);
  fill_rect(x1 - 1, y0, x1, y1, color);
}

void Canvas::stamp(double x, double y, double width, Color color) {
  const double r = width / 2.0;
  fill_rect(static_cast<int>(std::lround(x - r)), static_cast<int>(std::lround(y - r)),
            static_cast<int>(std::lround(x + r)), static_cast<int>(std::lround(y + r)), color);
}

void Canvas::draw_polyline(const std::vector<double>& xs, const std::vector<double>& ys,
                           Color color, double width, double dash) {
  const size_t n = std::min(xs.size(), ys.size());
  double travelled = 0.0;
  for (size_t k = 1; k < n; ++k) {
    const double dx = xs[k] - xs[k - 1], dy = ys[k] - ys[k - 1];
    const double length = std::hypot(dx, dy);
    const int steps = std::max(1, static_cast<int>(std::ceil(length * 2.0)));
    for (int s = 0; s <= steps; ++s) {
      const double f = static_cast<double>(s) / steps;
      const bool on = dash <= 0.0 || std::fmod(travelled + f * length, 2.0 * dash) < dash;
      if (on) stamp(xs[k - 1] + f * dx, ys[k - 1] + f * dy, std::max(width, 1.0), color);
    }
    travelled += length;
  }
}

void Canvas::draw_line(double x0, double y0, double x1, double y1, Color color, double width) {
  draw_polyline({x0, x1}, {y0, y1}, color, width);
}

void Canvas::draw_marker(double x, double y, Marker marker, Color color, int size) {
  const double r = size / 2.0;
  const int x0 = static_cast<int>(std::floor(x - r)), x1 = static_cast<int>(std::ceil(x + r));
  const int y0 = static_cast<int>(std::floor(y - r)), y1 = static_cast<int>(std::ceil(y + r));
  for (int py = y0; py <= y1; ++py) {
    for (int px = x0; px <= x1; ++px) {
      const double u = px + 0.5 - x, v = py + 0.5 - y;  // pixel centre relative to the marker
      bool inside = false;
      switch (marker) {
        case Marker::none:
          break;
        case Marker::circle:
          inside = u * u + v * v <= r * r;
          break;
        case Marker::square:
          inside = std::abs(u) <= 0.8 * r && std::abs(v) <= 0.8 * r;
          break;
        case Marker::triangle:  // apex up
          inside = v <= 0.8 * r && v >= -r && std::abs(u) <= (v + r) * 0.6;
          break;
        case Marker::diamond:
          inside = std::abs(u) + std::abs(v) <= r;
          break;
        case Marker::cross:
          inside = (std::abs(u - v) <= 1.2 || std::abs(u + v) <= 1.2) && std::abs(u) <= r &&
                   std::abs(v) <= r;
          break;
      }
      if (inside) set_pixel(px, py, color);
    }
  }
}

void Canvas::draw_text(int x, int y, const std::string& text, Color color, int scale,
                       bool vertical) {
  std::vector<char> chars = printable(text);
  struct alignas(16) Vertex {
    float x, y, z;
    unsigned char rgba[4];
  };
  std::vector<Vertex> quads(4 * 64 * chars.size());
  const int n = stb_easy_font_print(0.0f, 0.0f, chars.data(), nullptr, quads.data(),
                                    static_cast<int>(quads.size() * sizeof(Vertex)));
  for (int q = 0; q < n; ++q) {
    const Vertex& a = quads[4 * q];
    const Vertex& c = quads[4 * q + 2];  // opposite corner
    const int u0 = static_cast<int>(std::min(a.x, c.x)) * scale;
    const int u1 = static_cast<int>(std::max(a.x, c.x)) * scale;
    const int v0 = static_cast<int>(std::min(a.y, c.y)) * scale;
    const int v1 = static_cast<int>(std::max(a.y, c.y)) * scale;
    if (vertical) {
      fill_rect(x + v0, y - u1, x + v1, y - u0, color);
    } else {
      fill_rect(x + u0, y + v0, x + u1, y + v1, color);
    }
  }
}

int Canvas::text_width(const std::string& text, int scale) {
  std::vector<char> chars = printable(text);
  return stb_easy_font_width(chars.data()) * scale;
}

int Canvas::text_height(int scale) { return 7 * scale; }

void Canvas::save_png(const std::string& path) const {
  const int ok = stbi_write_png(path.c_str(), width_, height_, 3, rgb_.data(), 3 * width_);
  check(ok != 0, "Canvas::save_png", "cannot write '" + path + "'");
}

}  // namespace trit::report
