// Differential tests of the CSV reader: every fast path this CPU can run (data/csv.h, CsvPath) must give the
// reference path's table, bit for bit, or its error message, byte for byte; with one thread and with the text
// cut into chunks. Paths this CPU cannot run are skipped with a warning that names them.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv.h"
#include "data/csv/numbers.h"
#include "tests/data/csv_outcome.h"

using bnrun::data::csv_path_name;
using bnrun::data::CsvOptions;
using bnrun::data::CsvPath;
using bnrun::data::supported_csv_paths;

namespace {

// The fast paths to compare with the reference; WARNs about those this CPU cannot run.
std::vector<CsvPath> fast_paths_to_test() {
  const std::vector<CsvPath> supported = supported_csv_paths();
  std::vector<CsvPath> paths;
  for (const auto& [path, name] : bnrun::data::csv_path_names) {
    if (path == CsvPath::reference) continue;
    if (std::find(supported.begin(), supported.end(), path) == supported.end()) {
      WARN("CSV path " << name << " skipped: this CPU cannot run it");
    } else {
      paths.push_back(path);
    }
  }
  return paths;
}

// Checks that every fast path, in one thread and in up to three chunks, gives the reference's outcome.
void check_paths_agree(std::string_view text, CsvOptions options, const std::vector<CsvPath>& fast_paths) {
  options.code_path = CsvPath::reference;
  const std::string expected = bnrun::csv_testing::outcome(text, options);
  options.compute.minimum_parallel_work = 1;  // split even the smallest text
  for (const CsvPath path : fast_paths) {
    for (const int threads : {1, 2, 3}) {
      options.code_path = path;
      options.compute.threads = threads;
      INFO("path " << csv_path_name(path) << ", threads " << threads);
      REQUIRE(bnrun::csv_testing::outcome(text, options) == expected);
    }
  }
}

std::string file_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A random table of the kinds of cells and lines CSV files hold, valid and not: integers (many short, as in
// pixel data, which the AVX-512 path reads 64 bytes at a time), decimals, negative numbers, exponents, quoted
// cells, padding, CRLF and lone CR, ragged rows, blank lines and bad cells, with the target anywhere.
class RandomTable {
 public:
  explicit RandomTable(unsigned seed) : random_(seed) {}

  std::string text(char delimiter) {
    const bool pixels = pick(3) == 0;  // short integers only, but for rare damage
    const bool clean = pick(3) == 0;   // valid numbers only, no ragged rows: a table to compare
    const int columns = 1 + pick(pixels ? 120 : 12);
    const int rows = 1 + pick(40);
    const std::string line_end = pick(4) == 0 ? "\r\n" : "\n";
    std::string out = "c0";
    for (int c = 1; c < columns; ++c) out += std::string(1, delimiter) + "c" + std::to_string(c);
    for (int r = 0; r < rows; ++r) {
      out += pick(30) == 0 ? (pick(2) == 0 ? "\r" : "\r\n") : line_end;
      if (!clean && pick(200) == 0) out += line_end;  // a blank line in the middle
      const bool ragged = !clean && pick(40) == 0;
      const int cells = ragged ? columns + (pick(2) == 0 ? -1 : 1) : columns;
      for (int c = 0; c < cells; ++c) {
        if (c > 0) out += delimiter;
        out += pixels && pick(400) != 0 ? short_integer() : cell(delimiter, clean);
      }
    }
    for (int blank = pick(3); blank > 0; --blank) out += line_end;
    return out;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string digits(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += static_cast<char>('0' + pick(10));
    return out;
  }

  std::string short_integer() { return (pick(8) == 0 ? "-" : "") + std::to_string(pick(pick(2) == 0 ? 10 : 256)); }

  // A cell of a random kind; if `valid_number`, of a kind every feature column accepts.
  std::string cell(char delimiter, bool valid_number) {
    static constexpr int kValidNumberKinds[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 20};
    switch (valid_number ? kValidNumberKinds[pick(static_cast<int>(std::size(kValidNumberKinds)))] : pick(24)) {
      case 0:
      case 1:
      case 2:
        return short_integer();
      case 3:
        return std::to_string(pick(100000000));
      case 4:
      case 5:
        return (pick(2) == 0 ? "-" : "") + digits(1 + pick(4)) + "." + digits(1 + pick(6));
      case 6:
        return "-0." + digits(1 + pick(14));
      case 7:
        return digits(1 + pick(3)) + (pick(2) == 0 ? "e" : "E") + (pick(2) == 0 ? "-" : "+") + digits(1 + pick(2));
      case 8:
        return digits(16 + pick(6));  // beyond the plain-decimal shortcut
      case 9:
        return "+" + digits(1 + pick(5));
      case 10:
        return "-0";
      case 11:
        return "\"" + short_integer() + "\"";
      case 12:
        return "\"x" + std::string(1, delimiter) + "y\"\"z\nw\"";  // a quoted cell spanning lines
      case 13:
        return " " + short_integer() + "\t";
      case 14:
        return "";
      case 15:
        return "abc";
      case 16:
        return pick(2) == 0 ? "nan" : "-inf";
      case 17:
        return pick(2) == 0 ? "1e400" : "-1e-400";
      case 18:
        return pick(2) == 0 ? "1..2" : ".";
      case 19:
        return pick(2) == 0 ? "-" : "5.";
      case 20:
        return ".5";
      case 21:
        return "12" + std::string(1, pick(2) == 0 ? '"' : '\0') + "3";
      default:
        return "t" + std::to_string(pick(5));
    }
  }

  std::mt19937 random_;
};

// Number cells that are hard to read right: full-precision doubles ("%.17g"), the shortest forms of floats,
// decimals of 15 to 21 digits at or next to the halfway point between two floats (where a read through a double
// rounds twice), values at FLT_MAX, FLT_MIN, the subnormals and below, integers around 2^24, 2^53 and 2^64, 19
// and 20 significant digits, leading zeros, exponents of every form, signs, ".5" and "5.". Then `bad` ones,
// which every path must refuse with the reference's message.
class HardNumbers {
 public:
  explicit HardNumbers(unsigned seed) : random_(seed) {}

  std::string valid() {
    char text[96];
    switch (pick(14)) {
      case 0:
        std::snprintf(text, sizeof text, "%.17g", random_double());
        return text;
      case 1: {
        const float f = random_float();
        std::snprintf(text, sizeof text, "%.*g", 6 + pick(4), static_cast<double>(f));
        return text;
      }
      case 2: {
        // Between two floats: exactly halfway, or next to it at the 15th to 21st digit.
        const float f = random_float();
        const double halfway =
            static_cast<double>(f) + (static_cast<double>(std::nextafter(f, INFINITY)) - static_cast<double>(f)) / 2;
        std::snprintf(text, sizeof text, pick(2) ? "%.*e" : "%.*g", 14 + pick(8), pick(2) ? halfway : -halfway);
        return text;
      }
      case 3: {
        static constexpr const char* kEdges[] = {"3.4028234663852886e38",
                                                 "3.4028235677973366e38",
                                                 "3.4028235677973365e38",
                                                 "3.4028235e38",
                                                 "340282356779733661637539395458142568447",
                                                 "1.1754943508222875e-38",
                                                 "1.1754942e-38",
                                                 "1.17549435e-38",
                                                 "1.4012984643248171e-45",
                                                 "7.0064923216240854e-46",
                                                 "7.006492321624086e-46",
                                                 "1e-45",
                                                 "1e-46",
                                                 "2.2250738585072014e-308",
                                                 "4.9406564584124654e-324",
                                                 "1e-400",
                                                 "0e999",
                                                 "-0e-999",
                                                 "1e38",
                                                 "9.99e37"};
        return kEdges[pick(static_cast<int>(std::size(kEdges)))];
      }
      case 4: {
        static constexpr long long kAround[] = {16777216, 9007199254740992, 100000000, 2147483648};
        std::snprintf(text, sizeof text, "%lld", kAround[pick(4)] + pick(9) - 4);
        return text;
      }
      case 5:
        return digits(19 + pick(3)) + (pick(2) ? "" : "." + digits(1 + pick(4)));
      case 6:
        return "0." + std::string(static_cast<std::size_t>(pick(25)), '0') + digits(1 + pick(18));
      case 7:
        return std::string(static_cast<std::size_t>(1 + pick(4)), '0') + digits(1 + pick(6)) + "." + digits(pick(5)) +
               std::string(static_cast<std::size_t>(pick(4)), '0');
      case 8: {
        static constexpr const char* kExponents[] = {"e", "E", "e+", "e-", "E+", "E-", "e0", "e-00", "E+0"};
        return digits(1 + pick(17)) + (pick(2) ? "." + digits(pick(6)) : "") +
               kExponents[pick(static_cast<int>(std::size(kExponents)))] + digits(1);
      }
      case 9: {
        static constexpr const char* kShort[] = {".5",   "5.", "-.5", "+.5",   "+5.", "0",  "-0",   "0.0",
                                                 "-0.0", "+0", "-.0", "00.00", "1.",  ".1", "+1e1", "-1E-1"};
        return kShort[pick(static_cast<int>(std::size(kShort)))];
      }
      case 10:
        std::snprintf(text, sizeof text, "%.*f", pick(10), random_double() * 1e-3);
        return text;
      case 11:
        std::snprintf(text, sizeof text, "%.4f", std::ldexp(static_cast<double>(pick(1 << 20)), -pick(20)) - 8);
        return text;
      case 12:
        std::snprintf(
            text, sizeof text, "%.9g",
            static_cast<double>(std::ldexp(1.0f + static_cast<float>(pick(1 << 23)) / 8388608.0f, -126 - pick(24))));
        return text;
      default:
        return (pick(2) ? "-" : "") + digits(1 + pick(8)) + "." + digits(1 + pick(9));
    }
  }

  std::string bad() {
    static constexpr const char* kBad[] = {
        "1e",    "1e+", "--1", "+-1", ".",    "-",   "1.2.3", "1e5.5",        "inf",   "nan",
        "0x1p3", "1e-", "e5",  "+",   "1..2", "-e1", "1ee2",  "3.4028236e38", "-1e39", "1e999999999999999999999"};
    return kBad[pick(static_cast<int>(std::size(kBad)))];
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  std::string digits(int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += static_cast<char>('0' + pick(10));
    return out;
  }

  // Doubles with all 53 bits of significand, across a float's range and a little beyond it (subnormal floats and
  // values that round to zero), and floats of any exponent: random bit patterns, the non-finite ones drawn again.
  double random_double() {
    const double significand = 1.0 + static_cast<double>(random_() >> 12) / 4503599627370496.0;  // [1, 2)
    return std::ldexp(significand, pick(282) - 155);
  }
  float random_float() {
    while (true) {
      const auto bits = static_cast<std::uint32_t>(random_());
      float value = 0.0f;
      std::memcpy(&value, &bits, sizeof value);
      if (std::isfinite(value) && std::fabs(value) < std::numeric_limits<float>::max()) return std::fabs(value);
    }
  }

  std::mt19937_64 random_;
};

// parse_float() must give parse_float_reference()'s status, and its value bit for bit.
void check_fast_parser_agrees(const std::string& text) {
  using bnrun::data::csv::NumberStatus;
  float reference = 0.0f;
  float fast = 0.0f;
  const NumberStatus reference_status = bnrun::data::csv::parse_float_reference(text, reference);
  const NumberStatus fast_status = bnrun::data::csv::parse_float(text, fast);
  INFO(text);
  REQUIRE(fast_status == reference_status);
  if (fast_status == NumberStatus::ok) REQUIRE(std::memcmp(&fast, &reference, sizeof fast) == 0);
}
}  // namespace

TEST_CASE("every code path reads the CSV test inputs to the reference's table or error", "[csv][csv-paths]") {
  const std::vector<CsvPath> fast_paths = fast_paths_to_test();
  const std::filesystem::path source(BNRUN_SOURCE_DIR);
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source / "tests/fuzz/corpus/csv")) {
    INFO(entry.path().filename().string());
    const std::string input = file_text(entry.path());
    const bnrun::csv_testing::FuzzCase fuzz_case = bnrun::csv_testing::fuzz_case(input);
    check_paths_agree(fuzz_case.text, fuzz_case.options, fast_paths);
    ++inputs;
  }
  for (const auto& entry : std::filesystem::directory_iterator(source / "datasets")) {
    if (entry.path().extension() != ".csv") continue;
    INFO(entry.path().filename().string());
    const std::string text = file_text(entry.path());
    // As the shipped configs read it (the target last), and with every column a feature.
    CsvOptions options;
    options.target_column = bnrun::csv_testing::naive_header(text, ',').back();
    check_paths_agree(text, options, fast_paths);
    check_paths_agree(text, CsvOptions{}, fast_paths);
    ++inputs;
  }
  CHECK(inputs > 20);
}

TEST_CASE("every code path reads random tables to the reference's table or error", "[csv][csv-paths]") {
  const std::vector<CsvPath> fast_paths = fast_paths_to_test();
  std::mt19937 choices(2024);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(choices); };
  static constexpr char kDelimiters[] = {',', ',', ';', '\t', ' ', '|'};
  int tables = 0;
  for (unsigned round = 0; round < 400; ++round) {
    RandomTable random_table(round);
    const char delimiter = kDelimiters[pick(6)];
    const std::string text = random_table.text(delimiter);
    CsvOptions options;
    options.delimiter = delimiter;
    const std::vector<std::string> header = bnrun::csv_testing::naive_header(text, delimiter);
    if (pick(5) != 0) options.target_column = header[static_cast<std::size_t>(pick(static_cast<int>(header.size())))];
    if (pick(4) == 0) {
      for (auto name = header.rbegin(); name != header.rend(); ++name)
        if (*name != options.target_column) options.feature_columns.push_back(*name);
    }
    INFO("round " << round << ", text: " << text);
    check_paths_agree(text, options, fast_paths);
    options.code_path = CsvPath::reference;
    tables += bnrun::csv_testing::outcome(text, options).rfind("table:", 0) == 0;
  }
  CHECK(tables > 40);  // enough inputs survive their damage to compare tables, not only errors
}

TEST_CASE("every code path reads hard numbers to the reference's floats, or refuses them with its message",
          "[csv][csv-paths]") {
  const std::vector<CsvPath> fast_paths = fast_paths_to_test();
  int tables = 0;
  for (unsigned round = 0; round < 300; ++round) {
    HardNumbers numbers(round);
    std::mt19937 choices(round);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(choices); };
    const int columns = 1 + pick(12);
    const int rows = 1 + pick(60);
    const int damaged_row = round % 3 == 0 ? pick(rows) : -1;  // every third table has a bad cell
    std::string text = "y";
    for (int c = 0; c < columns; ++c) text += ",x" + std::to_string(c);
    for (int r = 0; r < rows; ++r) {
      text += "\nt" + std::to_string(pick(3));
      for (int c = 0; c < columns; ++c)
        text += "," + (r == damaged_row && c == columns / 2 ? numbers.bad() : numbers.valid());
    }
    if (pick(2) == 0) text += "\n";
    CsvOptions options;
    options.target_column = "y";
    INFO("round " << round << ", text: " << text);
    check_paths_agree(text, options, fast_paths);
    options.code_path = CsvPath::reference;
    tables += bnrun::csv_testing::outcome(text, options).rfind("table:", 0) == 0;
  }
  CHECK(tables > 100);  // most tables hold only valid numbers, and compare as tables
}

TEST_CASE("the fast number parser gives the reference parser's value or status for every number form", "[csv]") {
  std::mt19937 random(5);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  static constexpr std::string_view kAlphabet = "0123456789-+.eE";
  for (int round = 0; round < 200000; ++round) {
    std::string text;
    for (int length = pick(24); length > 0; --length)
      text += kAlphabet[static_cast<std::size_t>(pick(pick(2) ? 10 : 15))];
    check_fast_parser_agrees(text);
  }
  HardNumbers numbers(7);
  for (int round = 0; round < 200000; ++round)
    check_fast_parser_agrees(round % 10 == 0 ? numbers.bad() : numbers.valid());
}

TEST_CASE("a code path this CPU cannot run is refused, not run", "[csv]") {
  const std::vector<CsvPath> supported = supported_csv_paths();
  for (const auto& [path, name] : bnrun::data::csv_path_names) {
    if (std::find(supported.begin(), supported.end(), path) != supported.end()) continue;
    CsvOptions options;
    options.code_path = path;
    CHECK_THROWS_AS(bnrun::data::parse_csv("a\n1\n", "data.csv", options), std::invalid_argument);
  }
  CHECK(supported.front() == CsvPath::reference);
}
