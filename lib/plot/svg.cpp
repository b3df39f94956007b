#include "plot/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>

namespace bnrun::plot {
namespace {

// Okabe & Ito (2008), reordered so the colours with the most contrast on white come first; yellow last.
constexpr std::array<std::string_view, 8> kPalette = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                                      "#E69F00", "#56B4E9", "#000000", "#F0E442"};
constexpr std::string_view kFontStack =
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif";

constexpr double kFigureTitleFont = 15;
constexpr double kFigureTitleHeight = 34;
constexpr double kPanelTitleFont = 13;
constexpr double kAxisLabelFont = 12;
constexpr double kTickFont = 11;
constexpr double kTickLength = 4;
constexpr double kPanelPadding = 10;
constexpr double kRightMargin = 20;
constexpr double kLegendSwatch = 24;
constexpr double kLegendColumnGap = 16;
// The legend may take this share of the panel height before its text shrinks or its labels are shortened.
constexpr double kLegendHeightShare = 0.3;

std::string_view color_of(int index) {
  const int count = static_cast<int>(kPalette.size());
  return kPalette[static_cast<std::size_t>(((index % count) + count) % count)];
}

// Coordinates keep at most two decimals: a hundredth of a pixel is invisible and the files stay small.
std::string number(double value) {
  if (!std::isfinite(value)) return "0";
  std::string text = fmt::format("{:.2f}", value);
  text.erase(text.find_last_not_of('0') + 1);
  if (text.back() == '.') text.pop_back();
  if (text == "-0") return "0";
  return text;
}

std::string escaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Other control characters are not allowed anywhere in an XML 1.0 document.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out += c;
    }
  }
  return out;
}

bool is_utf8_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// No font metrics are available when writing the file, so layout uses typical sans-serif advance widths;
// they err on the wide side so that estimated room is real room. One byte's share: a code point counts once,
// at its first byte.
double advance_ems(char c) {
  if (is_utf8_continuation(c)) return 0;
  if (std::string_view(" .,:;'!|ijlI").find(c) != std::string_view::npos) return 0.3;
  if (std::string_view("frt()[]-").find(c) != std::string_view::npos) return 0.4;
  if (std::string_view("mwMW").find(c) != std::string_view::npos) return 0.88;
  if (c >= 'A' && c <= 'Z') return 0.7;
  return 0.58;
}

double text_width(std::string_view text, double font_size) {
  double ems = 0;
  for (const char c : text) ems += advance_ems(c);
  return ems * font_size;
}

// The text itself when it fits, else as many leading code points as fit followed by an ellipsis. One pass over
// the text (a name of a megabyte costs a megabyte of work, not its square).
std::string fitted(std::string text, double max_width, double font_size) {
  if (text_width(text, font_size) <= max_width) return text;
  const std::string ellipsis = "\u2026";
  const double room = max_width - text_width(ellipsis, font_size);
  double width = 0;
  std::size_t keep = 0;  // bytes of whole code points that fit beside the ellipsis
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_utf8_continuation(text[i])) {
      if (width + advance_ems(text[i]) * font_size > room) break;
      width += advance_ems(text[i]) * font_size;
    }
    // A code point's continuation bytes are kept with it: cut only before a first byte.
    if (i + 1 == text.size() || !is_utf8_continuation(text[i + 1])) keep = i + 1;
  }
  text.resize(keep);
  return text + ellipsis;
}

double power_of_ten(int exponent) {
  return std::pow(10.0, exponent);
}

// index × mantissa × 10^exponent, dividing by an exact power of ten for negative exponents so that 3 × 0.1
// gives the double nearest 0.3 rather than 0.30000000000000004.
double scaled_decimal(double index_times_mantissa, int exponent) {
  return exponent >= 0 ? index_times_mantissa * power_of_ten(exponent) : index_times_mantissa / power_of_ten(-exponent);
}

// The fewest decimals (up to 12) that write `value` without visible loss.
int decimals_needed(double value) {
  constexpr int kMaxDecimals = 12;
  for (int decimals = 0; decimals < kMaxDecimals; ++decimals) {
    const double scaled = std::abs(value) * power_of_ten(decimals);
    if (std::abs(scaled - std::round(scaled)) <= 1e-9 * std::max(1.0, scaled)) return decimals;
  }
  return kMaxDecimals;
}

struct Interval {
  double low = 0;
  double high = 1;
};

void extend(std::optional<Interval>& range, double value) {
  if (!range) {
    range = Interval{value, value};
  } else {
    range->low = std::min(range->low, value);
    range->high = std::max(range->high, value);
  }
}

// How far to widen a range of zero width around `value`.
double degenerate_pad(double value) {
  return value != 0 ? std::abs(value) * 0.1 : 1.0;
}

Interval padded(Interval range, double fraction) {
  const double pad = range.high > range.low ? (range.high - range.low) * fraction : degenerate_pad(range.low);
  return {range.low - pad, range.high + pad};
}

bool has_band(const Series& series) {
  return !series.band_low.empty() && !series.band_high.empty();
}

bool x_is_drawable(const Panel& panel, double x) {
  if (!std::isfinite(x)) return false;
  if (!panel.x_categories.empty()) {
    return x >= -0.5 && x <= static_cast<double>(panel.x_categories.size()) - 0.5;
  }
  return !panel.log_x || x > 0;
}

bool line_point_is_drawable(const Panel& panel, const Series& series, std::size_t i) {
  return x_is_drawable(panel, series.x[i]) && std::isfinite(series.y[i]);
}

bool band_point_is_drawable(const Panel& panel, const Series& series, std::size_t i) {
  return has_band(series) && x_is_drawable(panel, series.x[i]) && std::isfinite(series.band_low[i]) &&
         std::isfinite(series.band_high[i]);
}

double x_axis_unit(const Panel& panel, double x) {
  return panel.log_x ? std::log10(x) : x;
}

// The extents of everything that will be drawn, in axis units (log10 x on a log axis). Empty when nothing will.
struct DataExtent {
  std::optional<Interval> x;
  std::optional<Interval> y;
};

DataExtent data_extent(const Panel& panel) {
  DataExtent extent;
  for (const Series& series : panel.series) {
    for (std::size_t i = 0; i < series.x.size(); ++i) {
      const bool line = line_point_is_drawable(panel, series, i);
      const bool band = band_point_is_drawable(panel, series, i);
      if (line) extend(extent.y, series.y[i]);
      if (band) {
        extend(extent.y, series.band_low[i]);
        extend(extent.y, series.band_high[i]);
      }
      if (line || band) extend(extent.x, x_axis_unit(panel, series.x[i]));
    }
  }
  return extent;
}

bool any_markers(const Panel& panel) {
  return std::any_of(panel.series.begin(), panel.series.end(), [](const Series& s) { return s.markers; });
}

Interval x_domain(const Panel& panel, const std::optional<Interval>& extent) {
  if (!panel.x_categories.empty()) return {-0.5, static_cast<double>(panel.x_categories.size()) - 0.5};
  if (!extent) return {0, 1};
  if (extent->high == extent->low) {
    return panel.log_x ? Interval{extent->low - 0.5, extent->high + 0.5} : padded(*extent, 0);
  }
  // Markers sit on the first and last points; a margin keeps them whole instead of cut by the frame.
  return any_markers(panel) ? padded(*extent, 0.05) : *extent;
}

Interval y_domain(const Panel& panel, const std::optional<Interval>& extent) {
  Interval range = extent ? padded(*extent, 0.05) : Interval{0, 1};
  const bool fixed_low = panel.y_min && std::isfinite(*panel.y_min);
  const bool fixed_high = panel.y_max && std::isfinite(*panel.y_max);
  if (fixed_low) range.low = *panel.y_min;
  if (fixed_high) range.high = *panel.y_max;
  if (range.low < range.high) return range;
  if (fixed_low && !fixed_high) return {range.low, range.low + degenerate_pad(range.low)};
  if (fixed_high && !fixed_low) return {range.high - degenerate_pad(range.high), range.high};
  return padded({std::min(range.low, range.high), std::max(range.low, range.high)}, 0);
}

struct Axis {
  Interval domain;  // in axis units
  bool log = false;
  double pixel_start = 0;  // where domain.low lands
  double pixel_end = 1;    // where domain.high lands
  std::vector<double> ticks;
  std::vector<std::string> labels;

  double to_pixel(double value) const {
    const double unit = log ? std::log10(value) : value;
    return pixel_start + (unit - domain.low) / (domain.high - domain.low) * (pixel_end - pixel_start);
  }
};

bool needs_scientific(double magnitude) {
  return magnitude >= 1e5 || (magnitude > 0 && magnitude < 1e-3);
}

std::string formatted_tick(double value, double step, bool scientific) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  const double magnitude = std::abs(value);
  const double resolution = std::isfinite(step) && step > 0 ? step : magnitude;
  if (magnitude == 0 || magnitude < resolution * 1e-9) return "0";
  if (scientific) {
    const int exponent = static_cast<int>(std::floor(std::log10(magnitude)));
    const int decimals = std::min(
        {decimals_needed(magnitude / power_of_ten(exponent)), decimals_needed(resolution / power_of_ten(exponent)), 6});
    return fmt::format("{:.{}e}", value, decimals);
  }
  return fmt::format("{:.{}f}", value, std::min(decimals_needed(magnitude), decimals_needed(resolution)));
}

// One notation for a whole linear axis, chosen by its largest tick: "5e+04" beside "1e+05", not "50000".
std::vector<std::string> linear_labels(const std::vector<double>& ticks) {
  const double step = ticks.size() >= 2 ? ticks[1] - ticks[0] : (ticks.empty() ? 1.0 : std::abs(ticks[0]));
  double largest = 0;
  for (const double tick : ticks) largest = std::max(largest, std::abs(tick));
  std::vector<std::string> labels;
  for (const double tick : ticks) labels.push_back(formatted_tick(tick, step, needs_scientific(largest)));
  return labels;
}

bool x_labels_overlap(const Axis& axis) {
  constexpr double kMinGap = 8;
  for (std::size_t i = 1; i < axis.ticks.size(); ++i) {
    const double distance = std::abs(axis.to_pixel(axis.ticks[i]) - axis.to_pixel(axis.ticks[i - 1]));
    const double needed =
        (text_width(axis.labels[i], kTickFont) + text_width(axis.labels[i - 1], kTickFont)) / 2 + kMinGap;
    if (distance < needed) return true;
  }
  return false;
}

void set_log_ticks(Axis& axis, std::vector<double> ticks) {
  axis.ticks = std::move(ticks);
  axis.labels.clear();
  for (const double tick : axis.ticks) axis.labels.push_back(tick_label(tick, tick));
}

Axis make_x_axis(const Panel& panel, Interval domain, double pixel_start, double pixel_end) {
  Axis axis{domain, panel.log_x && panel.x_categories.empty(), pixel_start, pixel_end, {}, {}};
  if (!panel.x_categories.empty()) {
    const double slot = (pixel_end - pixel_start) / static_cast<double>(panel.x_categories.size());
    for (std::size_t i = 0; i < panel.x_categories.size(); ++i) {
      axis.ticks.push_back(static_cast<double>(i));
      axis.labels.push_back(fitted(panel.x_categories[i], slot - 6, kTickFont));
    }
    return axis;
  }
  if (axis.log) {
    set_log_ticks(axis, log_ticks(std::pow(10.0, domain.low), std::pow(10.0, domain.high)));
    // Crowded: keep the decades, then every second, third, ... decade.
    std::vector<double> decades;
    for (const double tick : axis.ticks) {
      const double exponent = std::log10(tick);
      if (std::abs(exponent - std::round(exponent)) < 1e-9) decades.push_back(tick);
    }
    if (x_labels_overlap(axis) && decades.size() >= 2) set_log_ticks(axis, decades);
    for (std::size_t stride = 2; x_labels_overlap(axis) && stride < decades.size(); ++stride) {
      std::vector<double> thinned;
      for (std::size_t i = 0; i < decades.size(); i += stride) thinned.push_back(decades[i]);
      set_log_ticks(axis, thinned);
    }
    return axis;
  }
  for (int target = std::clamp(static_cast<int>((pixel_end - pixel_start) / 70), 3, 10); target >= 2; --target) {
    axis.ticks = nice_ticks(domain.low, domain.high, target);
    axis.labels = linear_labels(axis.ticks);
    if (!x_labels_overlap(axis)) break;
  }
  return axis;
}

Axis make_y_axis(Interval domain, double pixel_bottom, double pixel_top) {
  Axis axis{domain, false, pixel_bottom, pixel_top, {}, {}};
  axis.ticks =
      nice_ticks(domain.low, domain.high, std::clamp(static_cast<int>((pixel_bottom - pixel_top) / 36), 3, 10));
  axis.labels = linear_labels(axis.ticks);
  return axis;
}

struct Point {
  double x;
  double y;
};

std::string point_text(Point point) {
  return number(point.x) + "," + number(point.y);
}

// Maximal runs of consecutive indices that pass `drawable`: each run is drawn as one piece.
template <class Drawable>
std::vector<std::vector<std::size_t>> runs_of(std::size_t count, Drawable drawable) {
  std::vector<std::vector<std::size_t>> runs;
  bool in_run = false;
  for (std::size_t i = 0; i < count; ++i) {
    if (!drawable(i)) {
      in_run = false;
      continue;
    }
    if (!in_run) runs.emplace_back();
    runs.back().push_back(i);
    in_run = true;
  }
  return runs;
}

std::string path_data(const std::vector<Point>& points, bool closed) {
  std::string data;
  for (std::size_t i = 0; i < points.size(); ++i) {
    data += i == 0 ? "M" : (i == 1 ? "L" : " ");
    data += point_text(points[i]);
  }
  if (closed) data += "Z";
  return data;
}

struct LegendEntry {
  const Series* series;
  std::string text;
};

struct LegendLayout {
  std::vector<LegendEntry> entries;
  double font = kTickFont;
  std::size_t columns = 1;
  double column_width = 0;

  std::size_t rows() const { return entries.empty() ? 0 : (entries.size() + columns - 1) / columns; }
  double row_height() const { return font + 6; }
  double height() const { return entries.empty() ? 0 : static_cast<double>(rows()) * row_height() + 6; }
  double block_width() const { return static_cast<double>(columns) * column_width - kLegendColumnGap; }
};

// Columns of equal width under the plot, as many as fit. Too tall for its share of the panel, it shrinks its
// text, then shortens labels so that more columns fit: the legend never leaves the panel or covers the data.
LegendLayout layout_legend(const Panel& panel, double available_width, double panel_height) {
  std::vector<const Series*> labelled;
  for (const Series& series : panel.series) {
    if (!series.label.empty()) labelled.push_back(&series);
  }
  const auto layout_with = [&](double font, double max_label_width) {
    LegendLayout layout;
    layout.font = font;
    double widest = 0;
    for (const Series* series : labelled) {
      layout.entries.push_back({series, fitted(series->label, max_label_width, font)});
      widest = std::max(widest, text_width(layout.entries.back().text, font));
    }
    layout.column_width = kLegendSwatch + 6 + widest + kLegendColumnGap;
    layout.columns =
        std::clamp<std::size_t>(static_cast<std::size_t>((available_width + kLegendColumnGap) / layout.column_width), 1,
                                std::max<std::size_t>(labelled.size(), 1));
    return layout;
  };
  const double budget = panel_height * kLegendHeightShare;
  const double widest_label = available_width - kLegendSwatch - 6;
  LegendLayout layout;
  for (const double font : {11.0, 10.0, 9.0}) {
    layout = layout_with(font, widest_label);
    if (layout.height() <= budget) return layout;
  }
  for (std::size_t columns = 2; columns <= 4; ++columns) {
    const double column = (available_width + kLegendColumnGap) / static_cast<double>(columns);
    layout = layout_with(9.0, column - kLegendColumnGap - kLegendSwatch - 6);
    if (layout.height() <= budget) return layout;
  }
  return layout;
}

class PanelRenderer {
 public:
  PanelRenderer(std::string& out, const Panel& panel, std::size_t index, double width, double height)
      : out_(out), panel_(panel), index_(index), width_(width), height_(height) {}

  void render() {
    const DataExtent extent = data_extent(panel_);
    const bool has_data = extent.y.has_value();
    const LegendLayout legend = has_data ? layout_legend(panel_, width_ - 2 * kPanelPadding, height_) : LegendLayout{};

    const double title_height = panel_.title.empty() ? 0 : kPanelTitleFont + 10;
    const double x_label_height = panel_.x_label.empty() ? 0 : kAxisLabelFont + 6;
    const double x_tick_height = kTickLength + kTickFont + 6;
    plot_top_ = kPanelPadding + title_height;
    plot_bottom_ = height_ - kPanelPadding - legend.height() - x_label_height - x_tick_height;
    y_axis_ = make_y_axis(y_domain(panel_, extent.y), plot_bottom_, plot_top_);

    double widest_y_label = 0;
    for (const std::string& label : y_axis_.labels)
      widest_y_label = std::max(widest_y_label, text_width(label, kTickFont));
    const double y_label_width = panel_.y_label.empty() ? 0 : kAxisLabelFont + 8;
    plot_left_ = kPanelPadding + y_label_width + widest_y_label + kTickLength + 4;
    plot_right_ = width_ - kRightMargin;
    x_axis_ = make_x_axis(panel_, x_domain(panel_, extent.x), plot_left_, plot_right_);

    write_grid_and_axes();
    write_texts(x_tick_height);
    if (has_data) {
      write_series();
      write_legend(legend, plot_bottom_ + x_tick_height + x_label_height + 6);
    } else {
      out_ += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\" font-style=\"italic\" "
          "fill=\"#888888\">no data</text>\n",
          number((plot_left_ + plot_right_) / 2), number((plot_top_ + plot_bottom_) / 2 + 4));
    }
  }

 private:
  void write_grid_and_axes() {
    out_ += "<g stroke=\"#e6e6e6\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n";
    for (const double tick : x_axis_.ticks) {
      const std::string x = number(x_axis_.to_pixel(tick));
      out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", x, number(plot_top_),
                          number(plot_bottom_));
    }
    for (const double tick : y_axis_.ticks) {
      const std::string y = number(y_axis_.to_pixel(tick));
      out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", number(plot_left_), y,
                          number(plot_right_));
    }
    out_ += "</g>\n<g stroke=\"#555555\" stroke-width=\"1\" shape-rendering=\"crispEdges\">\n";
    out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", number(plot_left_), number(plot_top_),
                        number(plot_bottom_));
    out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", number(plot_left_),
                        number(plot_bottom_), number(plot_right_));
    for (const double tick : x_axis_.ticks) {
      const std::string x = number(x_axis_.to_pixel(tick));
      out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", x, number(plot_bottom_),
                          number(plot_bottom_ + kTickLength));
    }
    for (const double tick : y_axis_.ticks) {
      const std::string y = number(y_axis_.to_pixel(tick));
      out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", number(plot_left_ - kTickLength), y,
                          number(plot_left_));
    }
    out_ += "</g>\n";
  }

  void write_texts(double x_tick_height) {
    const double plot_center_x = (plot_left_ + plot_right_) / 2;
    if (!panel_.title.empty()) {
      out_ += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\">{}</text>\n",
          number(plot_center_x), number(kPanelPadding + kPanelTitleFont), number(kPanelTitleFont),
          escaped(fitted(panel_.title, width_ - 2 * kPanelPadding, kPanelTitleFont)));
    }
    out_ += fmt::format("<g font-size=\"{}\" fill=\"#444444\">\n", number(kTickFont));
    const double x_label_baseline = plot_bottom_ + kTickLength + 3 + kTickFont;
    for (std::size_t i = 0; i < x_axis_.ticks.size(); ++i) {
      out_ +=
          fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                      number(x_axis_.to_pixel(x_axis_.ticks[i])), number(x_label_baseline), escaped(x_axis_.labels[i]));
    }
    for (std::size_t i = 0; i < y_axis_.ticks.size(); ++i) {
      out_ +=
          fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", number(plot_left_ - kTickLength - 3),
                      number(y_axis_.to_pixel(y_axis_.ticks[i]) + kTickFont * 0.35), escaped(y_axis_.labels[i]));
    }
    out_ += "</g>\n";
    if (!panel_.x_label.empty()) {
      out_ += fmt::format(
          "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" fill=\"#222222\">{}</text>\n",
          number(plot_center_x), number(plot_bottom_ + x_tick_height + kAxisLabelFont), number(kAxisLabelFont),
          escaped(fitted(panel_.x_label, plot_right_ - plot_left_, kAxisLabelFont)));
    }
    if (!panel_.y_label.empty()) {
      const double x = kPanelPadding + kAxisLabelFont;
      const double y = (plot_top_ + plot_bottom_) / 2;
      out_ += fmt::format(
          "<text x=\"{0}\" y=\"{1}\" transform=\"rotate(-90 {0} {1})\" text-anchor=\"middle\" font-size=\"{2}\" "
          "fill=\"#222222\">{3}</text>\n",
          number(x), number(y), number(kAxisLabelFont),
          escaped(fitted(panel_.y_label, plot_bottom_ - plot_top_, kAxisLabelFont)));
    }
  }

  Point line_point(const Series& series, std::size_t i) const {
    return {x_axis_.to_pixel(series.x[i]), y_axis_.to_pixel(series.y[i])};
  }

  void write_series() {
    // Clipped a little outside the frame so lines on a fixed range's edge (accuracy 1.0) stay whole.
    constexpr double kClipMargin = 4;
    out_ += fmt::format(
        "<clipPath id=\"bnrun-plot-{0}\"><rect x=\"{1}\" y=\"{2}\" width=\"{3}\" height=\"{4}\"/></clipPath>\n"
        "<g clip-path=\"url(#bnrun-plot-{0})\">\n",
        index_, number(plot_left_ - kClipMargin), number(plot_top_ - kClipMargin),
        number(plot_right_ - plot_left_ + 2 * kClipMargin), number(plot_bottom_ - plot_top_ + 2 * kClipMargin));
    // All bands first, so that no band veils another series' line.
    for (const Series& series : panel_.series) write_bands(series);
    for (const Series& series : panel_.series) write_lines(series);
    out_ += "</g>\n";
  }

  void write_bands(const Series& series) {
    const auto runs =
        runs_of(series.x.size(), [&](std::size_t i) { return band_point_is_drawable(panel_, series, i); });
    for (const auto& run : runs) {
      if (run.size() < 2) continue;
      std::vector<Point> outline;
      for (const std::size_t i : run)
        outline.push_back({x_axis_.to_pixel(series.x[i]), y_axis_.to_pixel(series.band_high[i])});
      for (auto i = run.rbegin(); i != run.rend(); ++i) {
        outline.push_back({x_axis_.to_pixel(series.x[*i]), y_axis_.to_pixel(series.band_low[*i])});
      }
      out_ += fmt::format("<path class=\"band\" d=\"{}\" fill=\"{}\" fill-opacity=\"0.2\" stroke=\"none\"/>\n",
                          path_data(outline, true), color_of(series.color));
    }
  }

  void write_lines(const Series& series) {
    const std::string_view color = color_of(series.color);
    const auto runs =
        runs_of(series.x.size(), [&](std::size_t i) { return line_point_is_drawable(panel_, series, i); });
    for (const auto& run : runs) {
      if (run.size() == 1 && !series.markers) {
        // A point between two gaps has no line to show it.
        const Point point = line_point(series, run.front());
        out_ += fmt::format("<circle class=\"point\" cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"/>\n", number(point.x),
                            number(point.y), color);
      }
      if (run.size() < 2) continue;
      std::vector<Point> points;
      for (const std::size_t i : run) points.push_back(line_point(series, i));
      out_ += fmt::format("<path class=\"line\" d=\"{}\" {}/>\n", path_data(points, false), stroke_style(series));
    }
    if (!series.markers) return;
    for (const auto& run : runs) {
      for (const std::size_t i : run) {
        const Point point = line_point(series, i);
        out_ += fmt::format("<circle class=\"marker\" cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"#ffffff\"/>\n",
                            number(point.x), number(point.y), color);
      }
    }
  }

  static std::string stroke_style(const Series& series) {
    return fmt::format("fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linejoin=\"round\"{}",
                       color_of(series.color),
                       series.dashed ? " stroke-dasharray=\"7 4\"" : " stroke-linecap=\"round\"");
  }

  void write_legend(const LegendLayout& legend, double top) {
    if (legend.entries.empty()) return;
    const double plot_center_x = (plot_left_ + plot_right_) / 2;
    const double left = std::clamp(plot_center_x - legend.block_width() / 2, kPanelPadding,
                                   std::max(kPanelPadding, width_ - kPanelPadding - legend.block_width()));
    out_ += fmt::format("<g class=\"legend\" font-size=\"{}\" fill=\"#222222\">\n", number(legend.font));
    for (std::size_t i = 0; i < legend.entries.size(); ++i) {
      const LegendEntry& entry = legend.entries[i];
      const double x = left + static_cast<double>(i % legend.columns) * legend.column_width;
      const double y = top + (static_cast<double>(i / legend.columns) + 0.5) * legend.row_height();
      const std::string_view color = color_of(entry.series->color);
      if (has_band(*entry.series)) {
        out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\" fill=\"{}\" fill-opacity=\"0.2\"/>\n",
                            number(x), number(y - 5), number(kLegendSwatch), color);
      }
      out_ += fmt::format("<path d=\"M{},{}h{}\" {}/>\n", number(x), number(y), number(kLegendSwatch),
                          stroke_style(*entry.series));
      if (entry.series->markers) {
        out_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{}\" stroke=\"#ffffff\"/>\n",
                            number(x + kLegendSwatch / 2), number(y), color);
      }
      out_ += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", number(x + kLegendSwatch + 6),
                          number(y + legend.font * 0.35), escaped(entry.text));
    }
    out_ += "</g>\n";
  }

  std::string& out_;
  const Panel& panel_;
  std::size_t index_;
  double width_;
  double height_;
  double plot_top_ = 0, plot_bottom_ = 0, plot_left_ = 0, plot_right_ = 0;
  Axis x_axis_, y_axis_;
};

void check_figure(const Figure& figure) {
  if (figure.columns < 1) throw std::invalid_argument("plot: a figure needs at least one column");
  if (!(figure.panel_width > 0) || !(figure.panel_height > 0) || !std::isfinite(figure.panel_width) ||
      !std::isfinite(figure.panel_height)) {
    throw std::invalid_argument("plot: panel width and height must be positive");
  }
  for (const Panel& panel : figure.panels) {
    for (const Series& series : panel.series) {
      const bool band_mismatch =
          has_band(series) && (series.band_low.size() != series.x.size() || series.band_high.size() != series.x.size());
      if (series.y.size() != series.x.size() || band_mismatch || series.band_low.empty() != series.band_high.empty()) {
        throw std::invalid_argument(
            fmt::format("plot: series '{}' in panel '{}' needs y, band_low and band_high as long as x ({} points)",
                        series.label, panel.title, series.x.size()));
      }
    }
  }
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int target_count) {
  if (!std::isfinite(low) || !std::isfinite(high)) return {};
  if (low > high) std::swap(low, high);
  if (low == high) return {low};
  const double span = high - low;
  if (!std::isfinite(span)) return {};
  const int target = std::max(target_count, 2);

  // Steps m × 10^k around span / target: the one whose tick count is nearest the target, the larger on a tie.
  const int base_exponent = static_cast<int>(std::floor(std::log10(span / target)));
  double best_mantissa = 1;
  int best_exponent = base_exponent;
  double best_miss = std::numeric_limits<double>::infinity();
  for (int exponent = base_exponent - 1; exponent <= base_exponent + 1; ++exponent) {
    for (const double mantissa : {1.0, 2.0, 2.5, 5.0}) {
      const double step = scaled_decimal(mantissa, exponent);
      const double count = std::floor(high / step + 1e-9) - std::ceil(low / step - 1e-9) + 1;
      // A single tick shows no scale: any step giving two or more wins over one giving fewer.
      const double miss = count >= 2 ? std::abs(count - target) : 1e9 - count;
      if (miss <= best_miss) {
        best_miss = miss;
        best_mantissa = mantissa;
        best_exponent = exponent;
      }
    }
  }
  const double step = scaled_decimal(best_mantissa, best_exponent);
  const double first = std::ceil(low / step - 1e-9);
  const double count = std::floor(high / step + 1e-9) - first + 1;
  std::vector<double> ticks;
  for (int i = 0; i < static_cast<int>(std::min(count, 1000.0)); ++i) {
    const double index = first + i;
    ticks.push_back(index == 0 ? 0.0 : scaled_decimal(index * best_mantissa, best_exponent));
  }
  return ticks;
}

std::vector<double> log_ticks(double low, double high) {
  if (!(low > 0) || !(high > 0) || !std::isfinite(low) || !std::isfinite(high)) return {};
  if (low > high) std::swap(low, high);
  const auto inside = [&](double value) { return value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9); };
  const int first = static_cast<int>(std::floor(std::log10(low)));
  const int last = static_cast<int>(std::ceil(std::log10(high)));
  const bool narrow = std::log10(high / low) < 2;
  // At most about eight decades labelled: wide ranges keep every n-th, aligned so that 10^0 is among them.
  const int stride = std::max(1, (last - first + 8) / 8);
  std::vector<double> ticks;
  for (int exponent = first; exponent <= last; ++exponent) {
    if (((exponent % stride) + stride) % stride != 0 && !narrow) continue;
    for (const double mantissa : {1.0, 2.0, 5.0}) {
      if (mantissa != 1 && !narrow) continue;
      const double value = scaled_decimal(mantissa, exponent);
      if (inside(value)) ticks.push_back(value);
    }
  }
  if (ticks.size() >= 2) return ticks;
  std::vector<double> linear = nice_ticks(low, high, 4);
  linear.erase(std::remove_if(linear.begin(), linear.end(), [](double value) { return value <= 0; }), linear.end());
  return linear;
}

std::string tick_label(double value, double step) {
  return formatted_tick(value, step, needs_scientific(std::abs(value)));
}

std::string render_svg(const Figure& figure) {
  check_figure(figure);
  // A figure without panels still renders, as one empty panel, so a caller's file is never blank.
  const std::vector<Panel> no_panels(1);
  const std::vector<Panel>& panels = figure.panels.empty() ? no_panels : figure.panels;
  const std::size_t columns = std::min(static_cast<std::size_t>(figure.columns), panels.size());
  const std::size_t rows = (panels.size() + columns - 1) / columns;
  const double title_height = figure.title.empty() ? 0 : kFigureTitleHeight;
  const std::string width = number(static_cast<double>(columns) * figure.panel_width);
  const std::string height = number(title_height + static_cast<double>(rows) * figure.panel_height);

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"{2}\">\n<rect width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n",
      width, height, kFontStack);
  if (!figure.title.empty()) {
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"{}\" font-weight=\"bold\" "
        "fill=\"#111111\">{}</text>\n",
        number(static_cast<double>(columns) * figure.panel_width / 2), number(kFigureTitleHeight - 12),
        number(kFigureTitleFont),
        escaped(fitted(figure.title, static_cast<double>(columns) * figure.panel_width - 20, kFigureTitleFont)));
  }
  for (std::size_t i = 0; i < panels.size(); ++i) {
    const double left = static_cast<double>(i % columns) * figure.panel_width;
    const double top = title_height + static_cast<double>(i / columns) * figure.panel_height;
    out += fmt::format("<g class=\"panel\" transform=\"translate({},{})\">\n", number(left), number(top));
    PanelRenderer(out, panels[i], i, figure.panel_width, figure.panel_height).render();
    out += "</g>\n";
  }
  out += "</svg>\n";
  return out;
}

}  // namespace bnrun::plot
