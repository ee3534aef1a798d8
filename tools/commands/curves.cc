// `trit curves METRICS... --out PNG`: a run's metrics file (one JSON line per epoch, as
// `--metrics` writes it) drawn as one PNG of panels against the epoch: the training loss,
// train and test accuracy, the learning rate and, where a VNQ run recorded them, the test
// error with the posterior means and after P&Q, the non-zero share, the share of weights
// outside every funnel and the KL. Several files draw several runs on the same panels, each
// curve labelled with its file's name (without folder and extension), to compare them. A
// resumed run may have appended an epoch twice; the last line of an epoch counts.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/error.h"
#include "report/plot.h"
#include "tools/commands/commands.h"

namespace trit::cli {
namespace {

using Epochs = std::map<int64_t, nlohmann::json>;  // epoch -> its metrics line

Epochs read_metrics(const std::string& path) {
  std::ifstream in(path);
  check(in.good(), path, "cannot open the metrics file");
  Epochs epochs;
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    nlohmann::json json;
    try {
      json = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(where + ": not a JSON line: " + e.what());
    }
    check(json.is_object() && json.contains("epoch") && json["epoch"].is_number_integer(), where,
          "a metrics line needs an integer \"epoch\"");
    epochs[json["epoch"].get<int64_t>()] = json;
  }
  check(!epochs.empty(), path, "no epochs in the metrics file");
  return epochs;
}

struct Curve {
  std::string key, label;
  double scale = 1.0;  // e.g. 100 for percentages
};

// The points (epoch, scale * value) of `key`, skipping epochs that did not record it.
void points(const Epochs& epochs, const Curve& curve, std::vector<double>& xs,
            std::vector<double>& ys) {
  for (const auto& [epoch, line] : epochs) {
    if (!line.contains(curve.key) || !line[curve.key].is_number()) continue;
    xs.push_back(static_cast<double>(epoch));
    ys.push_back(curve.scale * line[curve.key].get<double>());
  }
}

struct Panel {
  std::string title, ylabel;
  std::vector<Curve> curves;
  report::Corner legend = report::Corner::top_right;  // away from where the curves end
};

constexpr int kPanelWidth = 640, kPanelHeight = 420, kColumns = 3;

void run_curves(const std::vector<std::string>& files, const std::string& out) {
  std::vector<std::pair<std::string, Epochs>> runs;  // (name, epochs) per file
  for (const std::string& file : files)
    runs.emplace_back(std::filesystem::path(file).stem().string(), read_metrics(file));
  const bool several = runs.size() > 1;
  const std::vector<Panel> panels = {
      {"training loss", "loss", {{"loss", "loss"}}},
      {"accuracy",
       "%",
       {{"train_accuracy", "train", 100}, {"test_accuracy", "test", 100}},
       report::Corner::bottom_right},
      {"learning rate", "lr", {{"lr", "lr"}}},
      {"VNQ test error", "%",
       {{"means_test_error", "means", 100}, {"pq_test_error", "P&Q (ternary)", 100}}},
      {"VNQ weights", "%",
       {{"nonzero_fraction", "non-zero after P&Q", 100},
        {"outside_funnels", "outside every funnel", 100}}},
      {"VNQ KL", "nats", {{"kl", "KL"}}},
  };
  std::vector<report::Canvas> drawn;
  for (const Panel& panel : panels) {
    report::Plot chart(kPanelWidth, kPanelHeight);
    chart.title(panel.title).xlabel("epoch").ylabel(panel.ylabel).legend(panel.legend);
    bool any = false;
    for (const auto& [name, epochs] : runs)
      for (const Curve& curve : panel.curves) {
        std::vector<double> xs, ys;
        points(epochs, curve, xs, ys);
        if (xs.empty()) continue;
        report::Style style;
        style.marker = xs.size() > 40 ? report::Marker::none : report::Marker::circle;
        const std::string label = panel.curves.size() > 1 ? curve.label : "";
        chart.line(xs, ys, several ? name + (label.empty() ? "" : ": " + label) : label, style);
        any = true;
      }
    if (any) drawn.push_back(chart.render());
  }
  const int columns = std::min<int>(kColumns, static_cast<int>(drawn.size()));
  const int rows = (static_cast<int>(drawn.size()) + columns - 1) / columns;
  report::Canvas figure(columns * kPanelWidth, rows * kPanelHeight);
  for (size_t i = 0; i < drawn.size(); ++i)
    figure.paste(drawn[i], static_cast<int>(i % columns) * kPanelWidth,
                 static_cast<int>(i / columns) * kPanelHeight);
  figure.save_png(out);
  for (size_t i = 0; i < runs.size(); ++i) {
    const Epochs& epochs = runs[i].second;
    std::printf("%s: %zu epochs (%lld to %lld)\n", files[i].c_str(), epochs.size(),
                static_cast<long long>(epochs.begin()->first),
                static_cast<long long>(epochs.rbegin()->first));
  }
  std::printf("%zu panels in %s\n", drawn.size(), out.c_str());
}

}  // namespace

void add_curves_command(CLI::App& app) {
  auto metrics = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "curves", "a run's metrics file (--metrics) as one PNG: loss, accuracy, lr, VNQ curves");
  command->add_option("metrics", *metrics, "metrics files (JSON lines); several: runs compared")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--out", *out, "the PNG to write")->required();
  command->callback([metrics, out] { run_curves(*metrics, *out); });
}

}  // namespace trit::cli
