// Canvas: an RGB raster with the drawing primitives plots need, saved as PNG.
//
// Coordinates are pixels, x to the right, y downwards, (0, 0) the top-left pixel. Everything
// drawn is clipped to the canvas and to the clip rectangle (default: the whole canvas).
// Text uses stb_easy_font (a tiny public-domain segment font, about 5 x 7 units per glyph,
// printable ASCII only; other characters are drawn as '?') scaled by an integer factor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trit::report {

struct Color {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Color& o) const { return r == o.r && g == o.g && b == o.b; }
};

inline constexpr Color kBlack{0, 0, 0};
inline constexpr Color kWhite{255, 255, 255};
inline constexpr Color kLightGrey{225, 225, 225};
inline constexpr Color kDarkGrey{90, 90, 90};

// Distinguishable series colours (colour-blind-safe order), cycled by index.
Color palette(int index);

enum class Marker { none, circle, square, triangle, diamond, cross };

class Canvas {
 public:
  Canvas(int width, int height, Color background = kWhite);

  int width() const { return width_; }
  int height() const { return height_; }
  Color pixel(int x, int y) const;

  void set_clip(int x0, int y0, int x1, int y1);  // [x0, x1) x [y0, y1)
  void reset_clip();

  void set_pixel(int x, int y, Color color);
  void fill_rect(int x0, int y0, int x1, int y1, Color color);  // [x0, x1) x [y0, y1)
  void stroke_rect(int x0, int y0, int x1, int y1, Color color);
  // A polyline `width` pixels thick; dash > 0 draws dash-long strokes with dash-long gaps,
  // the pattern running on across the vertices.
  void draw_polyline(const std::vector<double>& xs, const std::vector<double>& ys, Color color,
                     double width = 1.0, double dash = 0.0);
  void draw_line(double x0, double y0, double x1, double y1, Color color, double width = 1.0);
  void draw_marker(double x, double y, Marker marker, Color color, int size = 9);

  // Text with its top-left corner at (x, y); vertical text reads bottom to top with its
  // bottom-left corner at (x, y).
  void draw_text(int x, int y, const std::string& text, Color color, int scale = 2,
                 bool vertical = false);
  static int text_width(const std::string& text, int scale = 2);
  static int text_height(int scale = 2);

  // Copies `other` with its top-left corner at (x, y), clipped as any drawing (a figure of
  // several rendered plots).
  void paste(const Canvas& other, int x, int y);

  // Throws trit::Error if the file cannot be written.
  void save_png(const std::string& path) const;

 private:
  void stamp(double x, double y, double width, Color color);

  int width_, height_;
  int clip_x0_, clip_y0_, clip_x1_, clip_y1_;
  std::vector<uint8_t> rgb_;
};

}  // namespace trit::report
