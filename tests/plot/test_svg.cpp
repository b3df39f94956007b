// The SVG chart writer: tick choice, label text, and the structure of the SVG it writes.
#include <catch2/catch.hpp>

#include <cctype>
#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "plot/svg.h"

using bnrun::plot::Figure;
using bnrun::plot::log_ticks;
using bnrun::plot::nice_ticks;
using bnrun::plot::Panel;
using bnrun::plot::render_svg;
using bnrun::plot::Series;
using bnrun::plot::tick_label;
using Catch::Matchers::Contains;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

Series line(std::string label, std::vector<double> x, std::vector<double> y) {
  Series series;
  series.label = std::move(label);
  series.x = std::move(x);
  series.y = std::move(y);
  return series;
}

Figure one_panel(Panel panel) {
  Figure figure;
  figure.columns = 1;
  figure.panels.push_back(std::move(panel));
  return figure;
}

Panel panel_with(std::vector<Series> series) {
  Panel panel;
  panel.title = "loss";
  panel.x_label = "epoch";
  panel.y_label = "loss";
  panel.series = std::move(series);
  return panel;
}

// The d attributes of the line pieces, in order.
std::vector<std::string> line_paths(const std::string& svg) {
  static const std::regex kLinePath("<path class=\"line\" d=\"([^\"]*)\"");
  std::vector<std::string> paths;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kLinePath); it != std::sregex_iterator(); ++it) {
    paths.push_back((*it)[1].str());
  }
  return paths;
}

std::size_t points_in(const std::string& path_data) {
  return count_of(path_data, ",");
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == ':' || c == '.';
}

// A small XML well-formedness check, enough for what the writer emits: balanced and properly nested tags, one
// root, quoted attribute values, no raw '<' or stray '&' in text or values. Returns the first problem, or "".
std::string xml_problem(const std::string& xml) {
  const auto entity_ok = [&](std::size_t at) {
    for (const char* entity : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (xml.compare(at, std::string(entity).size(), entity) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> open;
  int roots = 0;
  std::size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&' && !entity_ok(i)) return "bad entity at " + std::to_string(i);
    if (xml[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) return "text outside the root";
      ++i;
      continue;
    }
    if (xml.compare(i, 2, "<?") == 0) {
      const auto end = xml.find("?>", i);
      if (end == std::string::npos) return "unterminated declaration";
      i = end + 2;
      continue;
    }
    if (xml.compare(i, 2, "</") == 0) {
      std::size_t end = i + 2;
      while (end < xml.size() && is_name_char(xml[end])) ++end;
      const std::string name = xml.substr(i + 2, end - i - 2);
      if (end >= xml.size() || xml[end] != '>') return "bad closing tag " + name;
      if (open.empty() || open.back() != name) return "closing " + name + " does not match";
      open.pop_back();
      i = end + 1;
      continue;
    }
    std::size_t at = i + 1;
    while (at < xml.size() && is_name_char(xml[at])) ++at;
    const std::string name = xml.substr(i + 1, at - i - 1);
    if (name.empty()) return "raw '<' at " + std::to_string(i);
    while (true) {
      while (at < xml.size() && std::isspace(static_cast<unsigned char>(xml[at]))) ++at;
      if (at >= xml.size()) return "unterminated tag " + name;
      if (xml.compare(at, 2, "/>") == 0) {
        if (open.empty()) ++roots;
        at += 2;
        break;
      }
      if (xml[at] == '>') {
        if (open.empty()) ++roots;
        open.push_back(name);
        ++at;
        break;
      }
      const std::size_t attribute_start = at;
      while (at < xml.size() && is_name_char(xml[at])) ++at;
      if (at == attribute_start || xml.compare(at, 2, "=\"") != 0) return "bad attribute in " + name;
      const auto value_end = xml.find('"', at + 2);
      if (value_end == std::string::npos) return "unterminated attribute in " + name;
      for (std::size_t v = at + 2; v < value_end; ++v) {
        if (xml[v] == '<') return "raw '<' in an attribute of " + name;
        if (xml[v] == '&' && !entity_ok(v)) return "bad entity in an attribute of " + name;
      }
      at = value_end + 1;
    }
    i = at;
  }
  if (!open.empty()) return "unclosed " + open.back();
  if (roots != 1) return "expected one root element";
  return "";
}

Figure everything_figure() {
  Series train = line("bn train", {1, 2, 3, 4}, {1.0, 0.6, kNaN, 0.3});
  train.band_low = {0.9, 0.5, 0.4, 0.2};
  train.band_high = {1.1, 0.7, 0.6, 0.4};
  Series validation = line("bn <val> & \"test\"", {1, 2, 3, 4}, {1.1, 0.7, 0.5, 0.4});
  validation.dashed = true;
  validation.color = 1;
  Panel curves = panel_with({train, validation});
  Panel sweep;
  sweep.title = "accuracy vs learning rate";
  sweep.log_x = true;
  sweep.y_min = 0;
  sweep.y_max = 1;
  Series swept = line("bn", {0.001, 0.01, 0.1, 1}, {0.9, 0.95, 0.93, 0.5});
  swept.markers = true;
  sweep.series = {swept};
  Panel categories;
  categories.x_categories = {"sigmoid", "tanh", "relu"};
  categories.series = {line("no_bn", {0, 1, 2}, {0.7, 0.9, 0.93})};
  Figure figure;
  figure.title = "iris & friends";
  figure.panels = {curves, sweep, categories, Panel{}};
  return figure;
}

}  // namespace

TEST_CASE("nice ticks step by 1, 2, 2.5 or 5 times a power of ten and stay inside the range", "[plot]") {
  CHECK(nice_ticks(0, 1, 5) == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(nice_ticks(1, 200, 5) == std::vector<double>{50, 100, 150, 200});
  CHECK(nice_ticks(-3.7, 12.2, 6) == std::vector<double>{-2.5, 0, 2.5, 5, 7.5, 10});
  CHECK(nice_ticks(0.95, 2.05, 5) == std::vector<double>{1, 1.25, 1.5, 1.75, 2});
  // Exact decimals, not accumulated steps: the third tick is the double nearest 0.3.
  CHECK(nice_ticks(0.1, 0.3, 3) == std::vector<double>{0.1, 0.2, 0.3});
  CHECK(nice_ticks(12000, 48000, 4) == std::vector<double>{20000, 30000, 40000});
  // One tick would show no scale: 25000 alone is nearer two ticks than 10000 … 30000, but too few.
  CHECK(nice_ticks(1000, 30000, 2) == std::vector<double>{10000, 20000, 30000});
}

TEST_CASE("nice ticks of a reversed, empty or non-finite range", "[plot]") {
  CHECK(nice_ticks(1, 0, 5) == std::vector<double>{0, 0.25, 0.5, 0.75, 1});
  CHECK(nice_ticks(2, 2, 5) == std::vector<double>{2});
  CHECK(nice_ticks(0, kNaN, 5).empty());
  CHECK(nice_ticks(0, std::numeric_limits<double>::infinity(), 5).empty());
}

TEST_CASE("log ticks are decades, with 2 and 5 multiples under two decades", "[plot]") {
  CHECK(log_ticks(1e-3, 1) == std::vector<double>{0.001, 0.01, 0.1, 1});
  CHECK(log_ticks(0.01, 0.5) == std::vector<double>{0.01, 0.02, 0.05, 0.1, 0.2, 0.5});
  CHECK(log_ticks(16, 512) == std::vector<double>{20, 50, 100, 200, 500});
  // Twenty-four decades: every fourth, with 10^0 among them.
  CHECK(log_ticks(1e-12, 1e12) == std::vector<double>{1e-12, 1e-8, 1e-4, 1, 1e4, 1e8, 1e12});
  // Inside one decade without a round multiple: linear ticks instead.
  CHECK(log_ticks(0.3, 0.45) == nice_ticks(0.3, 0.45, 4));
  CHECK(log_ticks(0, 10).empty());
  CHECK(log_ticks(-1, 10).empty());
}

TEST_CASE("tick labels show the step's decimals and no floating-point noise", "[plot]") {
  CHECK(tick_label(0.1 + 0.2, 0.1) == "0.3");
  CHECK(tick_label(0.25, 0.05) == "0.25");
  CHECK(tick_label(0.75, 0.25) == "0.75");
  CHECK(tick_label(1, 0.25) == "1");
  CHECK(tick_label(0.001, 0.001) == "0.001");
  CHECK(tick_label(150, 50) == "150");
  CHECK(tick_label(-0.5, 0.5) == "-0.5");
  CHECK(tick_label(2.5e-17, 0.1) == "0");
  CHECK(tick_label(-0.0, 1) == "0");
}

TEST_CASE("tick labels turn scientific below 0.001 and from 100000 up", "[plot]") {
  CHECK(tick_label(100000, 50000) == "1e+05");
  CHECK(tick_label(150000, 50000) == "1.5e+05");
  CHECK(tick_label(0.00025, 0.00005) == "2.5e-04");
  CHECK(tick_label(1e-4, 1e-4) == "1e-04");
  CHECK(tick_label(99999, 1) == "99999");
}

TEST_CASE("a linear axis writes all its tick labels in one notation", "[plot]") {
  const std::string svg = render_svg(one_panel(panel_with({line("bn", {1, 2, 3}, {0, 60000, 120000})})));
  CHECK_THAT(svg, Contains(">5e+04</text>"));
  CHECK_THAT(svg, Contains(">1e+05</text>"));
  CHECK_THAT(svg, !Contains(">50000</text>"));
}

TEST_CASE("the document is a standalone SVG 1.1 with its size, a white background and a sans-serif font", "[plot]") {
  Figure figure = everything_figure();
  figure.panel_width = 300;
  figure.panel_height = 200;
  const std::string svg = render_svg(figure);
  CHECK_THAT(svg, Contains("xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Contains("version=\"1.1\""));
  // Four panels, two columns: 2 × 300 wide, a title row and 2 × 200 high.
  CHECK_THAT(svg, Contains("width=\"600\" height=\"434\" viewBox=\"0 0 600 434\""));
  CHECK_THAT(svg, Contains("<rect width=\"600\" height=\"434\" fill=\"#ffffff\"/>"));
  CHECK_THAT(svg, Contains("sans-serif"));
  CHECK(count_of(svg, "<g class=\"panel\"") == 4);
}

TEST_CASE("the output is well-formed XML", "[plot]") {
  CHECK(xml_problem(render_svg(everything_figure())).empty());
  CHECK(xml_problem(render_svg(Figure{})).empty());
  // The checker itself catches what it is there for.
  CHECK_FALSE(xml_problem("<svg><g></svg>").empty());
  CHECK_FALSE(xml_problem("<svg><text>a & b</text></svg>").empty());
  CHECK_FALSE(xml_problem("<svg a=\"1\"><text>a < b</text></svg>").empty());
}

TEST_CASE("text is XML-escaped in titles, labels, legends and categories", "[plot]") {
  Panel panel = panel_with({line("a<b & \"c\" 'd'", {1, 2}, {1, 2})});
  panel.title = "x > y";
  panel.x_categories = {"<relu>", "tanh"};
  Figure figure = one_panel(panel);
  figure.title = "A & B";
  const std::string svg = render_svg(figure);
  CHECK_THAT(svg, Contains(">a&lt;b &amp; &quot;c&quot; &apos;d&apos;</text>"));
  CHECK_THAT(svg, Contains(">x &gt; y</text>"));
  CHECK_THAT(svg, Contains(">&lt;relu&gt;</text>"));
  CHECK_THAT(svg, Contains(">A &amp; B</text>"));
  CHECK_THAT(svg, !Contains("a<b"));
}

TEST_CASE("a NaN or infinite y splits the line into pieces", "[plot]") {
  const std::string svg =
      render_svg(one_panel(panel_with({line("train", {1, 2, 3, 4, 5}, {1.0, 0.8, kNaN, 0.5, 0.4})})));
  const auto paths = line_paths(svg);
  REQUIRE(paths.size() == 2);
  CHECK(points_in(paths[0]) == 2);
  CHECK(points_in(paths[1]) == 2);

  const double inf = std::numeric_limits<double>::infinity();
  const auto infinite = line_paths(
      render_svg(one_panel(panel_with({line("train", {1, 2, 3, 4, 5, 6}, {1.0, 0.8, 0.7, inf, 0.5, 0.4})}))));
  REQUIRE(infinite.size() == 2);
  CHECK(points_in(infinite[0]) == 3);
  CHECK(points_in(infinite[1]) == 2);
}

TEST_CASE("a point alone between gaps is drawn as a dot", "[plot]") {
  const std::string svg = render_svg(one_panel(panel_with({line("train", {1, 2, 3}, {kNaN, 0.8, kNaN})})));
  CHECK(line_paths(svg).empty());
  CHECK(count_of(svg, "<circle class=\"point\"") == 1);
}

TEST_CASE("a band polygon is drawn only when band data is given, split at its gaps", "[plot]") {
  Series plain = line("bn", {1, 2, 3, 4}, {1, 0.8, 0.6, 0.5});
  CHECK(count_of(render_svg(one_panel(panel_with({plain}))), "class=\"band\"") == 0);

  Series banded = plain;
  banded.band_low = {0.9, 0.7, 0.5, 0.4};
  banded.band_high = {1.1, 0.9, 0.7, 0.6};
  const std::string svg = render_svg(one_panel(panel_with({banded})));
  CHECK(count_of(svg, "class=\"band\"") == 1);
  CHECK_THAT(svg, Contains("fill-opacity=\"0.2\""));

  // A gap in either bound splits the band.
  banded.x.push_back(5);
  banded.y.push_back(0.4);
  banded.band_low = {0.9, 0.7, kNaN, 0.4, 0.3};
  banded.band_high = {1.1, 0.9, 0.7, 0.6, 0.5};
  CHECK(count_of(render_svg(one_panel(panel_with({banded}))), "class=\"band\"") == 2);
}

TEST_CASE("the same figure renders to the same bytes", "[plot]") {
  const std::string first = render_svg(everything_figure());
  CHECK(render_svg(everything_figure()) == first);
  Figure changed = everything_figure();
  changed.panels[0].series[0].y[0] = 0.95;
  CHECK(render_svg(changed) != first);
}

TEST_CASE("an empty or all-NaN panel still has axes and says \"no data\"", "[plot]") {
  Panel no_series;
  no_series.x_label = "epoch";
  const std::string empty = render_svg(one_panel(no_series));
  CHECK_THAT(empty, Contains(">no data</text>"));
  CHECK_THAT(empty, Contains("<line "));
  CHECK_THAT(empty, Contains(">epoch</text>"));

  const std::string all_nan = render_svg(one_panel(panel_with({line("bn", {1, 2}, {kNaN, kNaN})})));
  CHECK_THAT(all_nan, Contains(">no data</text>"));
  CHECK(line_paths(all_nan).empty());
  CHECK_THAT(all_nan, !Contains("class=\"legend\""));

  CHECK_THAT(render_svg(Figure{}), Contains(">no data</text>"));
  CHECK_THAT(render_svg(one_panel(panel_with({line("bn", {1}, {0.5})}))), !Contains("no data"));
}

TEST_CASE("a categorical axis labels its evenly spaced ticks with the categories", "[plot]") {
  Panel panel;
  panel.x_categories = {"sigmoid", "tanh", "relu"};
  Series accuracy = line("bn", {0, 1, 2}, {0.9, 0.95, 0.96});
  accuracy.markers = true;
  panel.series = {accuracy};
  const std::string svg = render_svg(one_panel(panel));
  CHECK_THAT(svg, Contains(">sigmoid</text>"));
  CHECK_THAT(svg, Contains(">tanh</text>"));
  CHECK_THAT(svg, Contains(">relu</text>"));
  CHECK(count_of(svg, "<circle class=\"marker\"") == 3);
  // Evenly spaced: the marker x positions differ by a constant.
  static const std::regex kMarkerX("class=\"marker\" cx=\"([0-9.]+)\"");
  std::vector<double> xs;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kMarkerX); it != std::sregex_iterator(); ++it) {
    xs.push_back(std::stod((*it)[1].str()));
  }
  REQUIRE(xs.size() == 3);
  CHECK(xs[1] - xs[0] == Approx(xs[2] - xs[1]).margin(0.02));
}

TEST_CASE("a log axis skips non-positive x and labels decades", "[plot]") {
  Panel panel;
  panel.log_x = true;
  panel.series = {line("bn", {-1, 0, 0.001, 0.01, 0.1, 1}, {0.1, 0.2, 0.9, 0.95, 0.93, 0.5})};
  const std::string svg = render_svg(one_panel(panel));
  const auto paths = line_paths(svg);
  REQUIRE(paths.size() == 1);
  CHECK(points_in(paths[0]) == 4);
  CHECK_THAT(svg, Contains(">0.001</text>"));
  CHECK_THAT(svg, Contains(">0.01</text>"));
  CHECK_THAT(svg, Contains(">1</text>"));
  // The y range comes from the drawn points only (0.5 … 0.95), so 0.1 and 0.2 set no tick.
  CHECK_THAT(svg, !Contains(">0.2</text>"));
  CHECK_THAT(svg, !Contains("nan"));
}

TEST_CASE("a single x value and a constant y get a padded range, not a division by zero", "[plot]") {
  const std::string single = render_svg(one_panel(panel_with({line("bn", {5}, {0.5})})));
  CHECK(count_of(single, "<circle class=\"point\"") == 1);
  CHECK_THAT(single, !Contains("nan"));
  CHECK_THAT(single, !Contains("inf"));

  const std::string constant = render_svg(one_panel(panel_with({line("bn", {1, 2, 3}, {0.5, 0.5, 0.5})})));
  REQUIRE(line_paths(constant).size() == 1);
  CHECK_THAT(constant, Contains(">0.5</text>"));
  CHECK_THAT(constant, !Contains("nan"));
}

TEST_CASE("a fixed y range sets the ticks and an automatic one is padded around the data", "[plot]") {
  Panel fixed = panel_with({line("bn", {1, 2, 3}, {0.5, 0.6, 0.7})});
  fixed.y_min = 0;
  fixed.y_max = 1;
  const std::string svg = render_svg(one_panel(fixed));
  CHECK_THAT(svg, Contains(">0</text>"));
  CHECK_THAT(svg, Contains(">1</text>"));

  // Data 1 … 2 padded by 5% to 0.95 … 2.05: 1 and 2 are ticks, 0 is not.
  const std::string automatic = render_svg(one_panel(panel_with({line("bn", {1, 2, 3}, {1, 1.5, 2})})));
  CHECK_THAT(automatic, Contains(">1.25</text>"));
  CHECK_THAT(automatic, Contains(">2</text>"));
  CHECK_THAT(automatic, !Contains(">0</text>"));
}

TEST_CASE("attribute numbers carry at most two decimals", "[plot]") {
  Panel panel = panel_with({line("bn", {1, 2, 3}, {1.0 / 3, 2.0 / 3, 0.123456789})});
  const std::string svg = render_svg(one_panel(panel));
  static const std::regex kAttribute("[a-z-]+=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), kAttribute); it != std::sregex_iterator(); ++it) {
    CHECK_FALSE(std::regex_search((*it)[1].str(), std::regex("[0-9]\\.[0-9]{3}")));
  }
}

TEST_CASE("colour indices wrap around the palette", "[plot]") {
  Series first = line("a", {1, 2}, {1, 2});
  Series wrapped = line("b", {1, 2}, {2, 3});
  wrapped.color = 8;
  Series negative = line("c", {1, 2}, {3, 4});
  negative.color = -1;
  const std::string svg = render_svg(one_panel(panel_with({first, wrapped, negative})));
  // Each colour once per line piece and once per legend swatch.
  CHECK(count_of(svg, "stroke=\"#0072B2\"") == 4);
  CHECK(count_of(svg, "stroke=\"#F0E442\"") == 2);
}

TEST_CASE("a legend of eight long labels stays inside the panel and below the plot", "[plot]") {
  Panel panel = panel_with({});
  for (int i = 0; i < 8; ++i) {
    panel.series.push_back(line("variant " + std::to_string(i) + " with a rather long descriptive label", {1, 2, 3},
                                {1.0 + i, 0.5 + i, 0.2 + i}));
    panel.series.back().color = i;
  }
  Figure figure = one_panel(panel);
  const std::string svg = render_svg(figure);
  const auto legend_start = svg.find("<g class=\"legend\"");
  REQUIRE(legend_start != std::string::npos);
  const std::string legend = svg.substr(legend_start, svg.find("</g>", legend_start) - legend_start);
  static const std::regex kText("<text x=\"([0-9.]+)\" y=\"([0-9.]+)\">([^<]*)</text>");
  static const std::regex kClip(
      "<clipPath id=\"bnrun-plot-0\"><rect x=\"[0-9.]+\" y=\"([0-9.]+)\" width=\"[0-9.]+\" "
      "height=\"([0-9.]+)\"");
  std::smatch clip;
  REQUIRE(std::regex_search(svg, clip, kClip));
  const double plot_bottom = std::stod(clip[1].str()) + std::stod(clip[2].str()) - 4;
  int entries = 0;
  for (auto it = std::sregex_iterator(legend.begin(), legend.end(), kText); it != std::sregex_iterator(); ++it) {
    ++entries;
    CHECK(std::stod((*it)[1].str()) < figure.panel_width);
    CHECK(std::stod((*it)[2].str()) <= figure.panel_height);
    CHECK(std::stod((*it)[2].str()) > plot_bottom + 20);
  }
  CHECK(entries == 8);
}

TEST_CASE("a title or label of a megabyte is cut to what fits, keeping whole UTF-8 characters", "[plot]") {
  // Cut once, in one pass: the old character-by-character fitting was quadratic (a 100 KB name took minutes).
  const std::string huge = std::string(1 << 20, 'w');
  std::string accented;
  for (int i = 0; i < 100000; ++i) accented += "\xC3\xA9";  // é, two bytes each
  Panel panel = panel_with({line(huge, {1, 2}, {1, 2})});
  panel.title = accented;
  panel.x_label = huge;
  Figure figure = one_panel(panel);
  figure.title = huge;
  const std::string svg = render_svg(figure);
  CHECK(svg.size() < 20000);
  CHECK(count_of(svg, "\u2026") == 4);  // figure title, panel title, x label, legend entry
  CHECK_THAT(svg, Contains("\xC3\xA9\u2026"));  // the é before the ellipsis is whole
  CHECK(svg.find("\xC3\u2026") == std::string::npos);
}

TEST_CASE("a malformed figure is rejected", "[plot]") {
  CHECK_THROWS_AS(render_svg(one_panel(panel_with({line("bn", {1, 2, 3}, {1, 2})}))), std::invalid_argument);
  Series band_too_short = line("bn", {1, 2}, {1, 2});
  band_too_short.band_low = {0.5};
  band_too_short.band_high = {1.5};
  CHECK_THROWS_AS(render_svg(one_panel(panel_with({band_too_short}))), std::invalid_argument);
  Figure no_columns;
  no_columns.columns = 0;
  CHECK_THROWS_AS(render_svg(no_columns), std::invalid_argument);
}
