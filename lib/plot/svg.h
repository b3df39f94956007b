// A small, dependency-free chart writer: learning curves and sweep plots as standalone SVG files.
//
// bnrun's evidence is mostly curves (loss and accuracy per epoch, final accuracy against a swept value), and a
// picture next to results.json is what a reader looks at first. A plotting library would be a large dependency
// for a handful of line charts, so this module draws them itself. It knows nothing of training: the caller
// builds a Figure of Panels of Series and gets back SVG text. The output is deterministic (same Figure, same
// bytes), so figures can be compared and committed like any other result.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace bnrun::plot {

struct Series {
  std::string label;  // legend text; a series with an empty label has no legend entry
  std::vector<double> x;
  std::vector<double> y;  // the line; a NaN (or inf) y leaves a gap (the line is split)
  // Optional (both empty = no band); same length as x. Drawn as a translucent area in the series colour
  // behind the line, with gaps where either bound is not finite.
  std::vector<double> band_low;
  std::vector<double> band_high;
  int color = 0;         // index into the Okabe-Ito colour-blind-safe palette; wraps around
  bool dashed = false;   // e.g. validation curves dashed, train solid
  bool markers = false;  // small circles at each point (for sweeps and categorical axes)
};

struct Panel {
  std::string title, x_label, y_label;
  bool log_x = false;  // log10 axis; points with x <= 0 are skipped (they leave a gap)
  // When non-empty: x values are 0-based indices into these labels, drawn evenly spaced with the labels as ticks.
  std::vector<std::string> x_categories;
  std::optional<double> y_min, y_max;  // fixed y range (e.g. accuracy 0..1); otherwise from the data and bands
  std::vector<Series> series;
};

struct Figure {
  std::string title;          // optional, drawn above the panels
  std::vector<Panel> panels;  // laid out in a grid, `columns` per row
  int columns = 2;
  double panel_width = 440, panel_height = 320;  // px, each panel including its axes, labels and legend
};

// The whole figure as a standalone SVG 1.1 document. Throws std::invalid_argument when the figure is malformed
// (columns < 1, a non-positive panel size, or a series whose y or band length differs from its x length).
std::string render_svg(const Figure& figure);

// "Nice" tick positions (steps of 1, 2, 2.5 or 5 × 10^k) inside [low, high], about `target_count` of them.
std::vector<double> nice_ticks(double low, double high, int target_count);

// Decade ticks inside [low, high] (both > 0), plus the 2 and 5 multiples when the range spans under two decades;
// wide ranges keep every n-th decade. Falls back to linear nice ticks when the range holds fewer than two.
std::vector<double> log_ticks(double low, double high);

// Compact tick label: as many decimals as `step` needs ("0.25", "0.001", "150"), scientific ("1e+05", "2.5e-04")
// outside [0.001, 100000). Never shows floating-point noise such as "0.30000000000000004".
std::string tick_label(double value, double step);

}  // namespace bnrun::plot
