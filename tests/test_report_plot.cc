// The plotting helper: canvas primitives, text, axis mapping, PNG output.
#include <doctest/doctest.h>
#include <stb_image.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "autograd/error.h"
#include "report/plot.h"

using namespace trit;
using namespace trit::report;

namespace {

struct Centroid {
  double x = 0, y = 0;
  int count = 0;
};

Centroid centroid_of(const Canvas& c, Color color) {
  Centroid r;
  for (int y = 0; y < c.height(); ++y) {
    for (int x = 0; x < c.width(); ++x) {
      if (c.pixel(x, y) == color) r.x += x, r.y += y, ++r.count;
    }
  }
  if (r.count) r.x /= r.count, r.y /= r.count;
  return r;
}

}  // namespace

TEST_SUITE("quant") {
  TEST_CASE("canvas fills rectangles inside the clip only") {
    Canvas c(20, 10);
    c.set_clip(5, 0, 20, 10);
    c.fill_rect(0, 2, 10, 4, kBlack);
    CHECK(c.pixel(4, 2) == kWhite);
    CHECK(c.pixel(5, 2) == kBlack);
    CHECK(c.pixel(9, 3) == kBlack);
    CHECK(c.pixel(10, 3) == kWhite);
    c.reset_clip();
    c.set_pixel(-1, 0, kBlack);  // ignored, no crash
    c.set_pixel(0, 0, kBlack);
    CHECK(c.pixel(0, 0) == kBlack);
    CHECK_THROWS_AS(Canvas(0, 5), Error);
  }

  TEST_CASE("text is drawn inside its measured box and grows with the scale") {
    for (const int scale : {1, 2, 3}) {
      Canvas c(200, 60);
      const Color red{200, 0, 0};
      c.draw_text(10, 10, "E1 0.25", red, scale);
      const int w = Canvas::text_width("E1 0.25", scale), h = Canvas::text_height(scale);
      int inside = 0, outside = 0;
      for (int y = 0; y < 60; ++y) {
        for (int x = 0; x < 200; ++x) {
          if (!(c.pixel(x, y) == red)) continue;
          const bool in_box = x >= 10 && x < 10 + w && y >= 10 && y < 10 + h + 2 * scale;
          (in_box ? inside : outside) += 1;
        }
      }
      CAPTURE(scale);
      CHECK(inside > 20 * scale * scale);
      CHECK(outside == 0);
    }
    CHECK(Canvas::text_width("ab", 2) == 2 * Canvas::text_width("ab", 1));
  }

  TEST_CASE("log axes put 10 half way between 1 and 100, linear axes a tenth of the way") {
    for (const AxisScale scale : {AxisScale::log, AxisScale::linear}) {
      Plot p(400, 300);
      const double lo = scale == AxisScale::log ? 0.5 : -50.0;  // markers clear of the frame
      p.x_scale(scale).y_scale(scale).x_range(lo, 200).y_range(lo, 200);
      const Color colors[] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
      const double values[] = {1, 10, 100};
      for (int k = 0; k < 3; ++k) {
        Style style;
        style.color = colors[k];
        style.marker = Marker::square;
        p.scatter({values[k]}, {values[k]}, "", style);
      }
      const Canvas c = p.render();
      const Centroid a = centroid_of(c, colors[0]), b = centroid_of(c, colors[1]),
                     d = centroid_of(c, colors[2]);
      REQUIRE(a.count > 0);
      REQUIRE(b.count > 0);
      REQUIRE(d.count > 0);
      const double f = scale == AxisScale::log ? 0.5 : 9.0 / 99.0;
      CHECK(b.x == doctest::Approx(a.x + f * (d.x - a.x)).epsilon(0.01));
      CHECK(b.y == doctest::Approx(a.y + f * (d.y - a.y)).epsilon(0.01));
      CHECK(d.y < a.y);  // larger values are higher up
    }
  }

  TEST_CASE("legend lists labelled series and an outside legend leaves the data alone") {
    const Color blue{0, 0, 255};
    Style style;
    style.color = blue;
    Plot inside(500, 300), outside(500, 300);
    for (Plot* p : {&inside, &outside}) p->line({1, 2, 3}, {1, 2, 3}, "a long series name", style);
    outside.legend(Corner::outside_right);
    const Centroid in = centroid_of(inside.render(), blue);
    const Centroid out = centroid_of(outside.render(), blue);
    CHECK(in.count > 0);
    CHECK(out.count > 0);
    CHECK(out.x < in.x);  // the data squeezed left to make room for the legend
    CHECK_THROWS_WITH_AS(Plot().line({1, 2}, {1}, "bad"),
                         "Plot::line: 'bad': 2 x values but 1 y values", Error);
  }

  TEST_CASE("bars fill their bins from zero up to their heights; outlines leave the inside") {
    const Color red{200, 0, 0};
    Style style;
    style.color = red;
    Plot p(400, 300);
    p.x_range(0, 4).y_range(0, 4).bars({0, 1, 2, 3}, {2, 0, 4}, "", style);
    const Canvas c = p.render();
    // Red pixels per column; the columns with some form one run per non-empty bin.
    std::vector<int> runs;  // the height of each run (its first column's count)
    for (int x = 0, previous = 0; x < c.width(); ++x) {
      int column = 0;
      for (int y = 0; y < c.height(); ++y) column += c.pixel(x, y) == red;
      if (column > 0 && previous == 0) runs.push_back(column);
      previous = column;
    }
    REQUIRE(runs.size() == 2);  // bin 1 (height 0) draws nothing
    CHECK(runs[0] == doctest::Approx(runs[1] / 2.0).epsilon(0.03));  // heights 2 and 4

    style.filled = false;
    style.width = 2;
    Plot outlined(400, 300);
    outlined.x_range(0, 4).y_range(0, 4).bars({0, 1, 2, 3}, {2, 0, 4}, "", style);
    CHECK(centroid_of(outlined.render(), red).count < centroid_of(c, red).count / 4);
    CHECK_THROWS_WITH_AS(Plot().bars({0, 1}, {1, 2}, "bad"),
                         "Plot::bars: 'bad': 2 bins need 3 edges, got 2", Error);
  }

  TEST_CASE("a title wider than the plot area starts inside the canvas") {
    // Nearly as wide as the canvas, so wider than the axes beside an outside legend: centred
    // over the axes it would begin left of the canvas and lose its first letters.
    const int width = 700, letter = Canvas::text_width("W");  // the plot's text scale
    const std::string text(size_t((width - 30) / letter), 'W');
    Plot p(width, 200);
    p.title(text).line({1, 2}, {1, 2}, "series").legend(Corner::outside_right);
    const Canvas c = p.render();
    int first = c.width(), last = -1;  // inked columns in the title's rows
    for (int y = 10; y < 10 + Canvas::text_height(); ++y)
      for (int x = 0; x < c.width(); ++x)
        if (!(c.pixel(x, y) == Color{255, 255, 255})) first = std::min(first, x), last = x;
    CHECK(first >= 10);
    CHECK(last - first + 1 >= Canvas::text_width(text) - letter);  // all of it is drawn
  }

  TEST_CASE("a plot saves as a PNG of its size") {
    Plot p(320, 200);
    p.title("t").xlabel("x").ylabel("y").line({1, 2, 4}, {3, 1, 2}, "s");
    const std::string path =
        (std::filesystem::temp_directory_path() / "trit_test_plot.png").string();
    p.save_png(path);
    int w = 0, h = 0, channels = 0;
    unsigned char* data = stbi_load(path.c_str(), &w, &h, &channels, 3);
    REQUIRE(data != nullptr);
    CHECK(w == 320);
    CHECK(h == 200);
    CHECK(data[0] == 255);  // white background in the corner
    stbi_image_free(data);
    std::remove(path.c_str());
    CHECK_THROWS_AS(p.save_png("/nonexistent-dir/x.png"), Error);
  }
}
