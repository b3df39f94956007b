#include "data/csv.h"
#include "data/csv/file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/error.h"
#include "kernels/parallel.h"
#include "tests/data/csv_outcome.h"

using bnrun::UserError;
using bnrun::csv_testing::lines_by_row;
using bnrun::csv_testing::targets_by_row;
using bnrun::data::CsvOptions;
using bnrun::data::CsvTable;
using bnrun::data::parse_csv;
using bnrun::data::read_csv;
using Catch::Matchers::Contains;
using namespace std::string_literals;

namespace {

CsvOptions options_for(std::string target, std::vector<std::string> features = {}, char delimiter = ',') {
  CsvOptions options;
  options.target_column = std::move(target);
  options.feature_columns = std::move(features);
  options.delimiter = delimiter;
  return options;
}

CsvTable parse(std::string_view text, const CsvOptions& options) {
  return parse_csv(text, "data.csv", options);
}

CsvTable parse(std::string_view text, const std::string& target = "y") {
  return parse(text, options_for(target));
}

// The message parse() throws for `text`, or "" if it does not throw.
std::string error_for(std::string_view text, const CsvOptions& options) {
  try {
    parse(text, options);
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

std::string error_for(std::string_view text, const std::string& target = "y") {
  return error_for(text, options_for(target));
}

// A file in the temp directory, removed again when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view contents)
      : path_(std::filesystem::temp_directory_path() /
              ("bnrun_test_csv_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++) + ".csv")) {
    std::ofstream out(path_, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

// Options that make the reader use `threads` threads even on tiny texts (no minimum work per thread).
CsvOptions forced_threads(int threads, const std::string& target = "y") {
  CsvOptions options = options_for(target);
  options.compute = {.threads = threads, .minimum_parallel_work = 1};
  return options;
}

CsvTable parse_with_threads(std::string_view text, int threads, const std::string& target = "y") {
  return parse(text, forced_threads(threads, target));
}

std::string error_with_threads(std::string_view text, int threads, const std::string& target = "y") {
  return error_for(text, forced_threads(threads, target));
}

// Everything parse_csv gives for `text` with `threads` threads, as text: the table (features as bit patterns,
// so that -0 and 0 differ) or the error message. Equal outcomes mean byte-identical results.
std::string outcome_with_threads(std::string_view text, int threads) {
  try {
    const CsvTable table = parse(text, forced_threads(threads));
    std::string out = "rows " + std::to_string(table.rows) + "\n";
    for (const float value : table.features) {
      std::uint32_t bits = 0;
      std::memcpy(&bits, &value, sizeof bits);
      out += std::to_string(bits) + ",";
    }
    for (std::size_t i = 0; i < table.rows; ++i) {
      out += "\n" + std::to_string(table.line(i)) + ":" + std::string(table.target(i));
    }
    return out;
  } catch (const UserError& error) {
    return std::string("error: ") + error.what();
  }
}

// `text` with CR and LF spelled out, for test messages.
std::string quoted_bytes(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) out += c == '\r' ? "\\r" : c == '\n' ? "\\n" : std::string(1, c);
  return out + "\"";
}

void check_same_table(const CsvTable& actual, const CsvTable& expected) {
  CHECK(actual.feature_names == expected.feature_names);
  CHECK(actual.target_name == expected.target_name);
  REQUIRE(actual.rows == expected.rows);
  REQUIRE(actual.features.size() == expected.features.size());
  CHECK(std::memcmp(actual.features.data(), expected.features.data(), actual.features.size() * sizeof(float)) == 0);
  CHECK(actual.target_values == expected.target_values);
  CHECK(actual.target_codes == expected.target_codes);
  CHECK(actual.lines == expected.lines);
}

// Rows of random numbers in varied formats, the target first. Line ends mix LF, CRLF and lone CR, and some
// cells are padded, so both the fast path and the general path read rows, in every chunk.
std::string varied_text(int rows, int columns, unsigned seed) {
  std::mt19937 random(seed);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  static constexpr const char* kLineEnds[] = {"\n", "\n", "\n", "\r\n", "\r"};
  std::string text = "y";
  for (int c = 0; c < columns; ++c) text += ",f" + std::to_string(c);
  for (int r = 0; r < rows; ++r) {
    text += kLineEnds[pick(5)];
    text += "class" + std::to_string(pick(4));
    for (int c = 0; c < columns; ++c) {
      std::string cell;
      switch (pick(5)) {
        case 0:
          cell = std::to_string(pick(256));
          break;
        case 1:
          cell = "-" + std::to_string(pick(1000)) + "." + std::to_string(pick(1000));
          break;
        case 2:
          cell = std::to_string(pick(100)) + "e-" + std::to_string(pick(9));
          break;
        case 3:
          cell = "-0";
          break;
        default:
          cell = std::string(static_cast<std::size_t>(1 + pick(18)), static_cast<char>('1' + pick(9)));
      }
      text += "," + (pick(10) == 0 ? " " + cell + "\t" : cell);
    }
  }
  return text;
}

}  // namespace

TEST_CASE("a simple file is read into features, targets and line numbers", "[csv]") {
  const CsvTable table = parse("a,b,y\n1,2,cat\n3.5,-4,dog\n", "y");
  CHECK(table.path == "data.csv");
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.target_name == "y");
  CHECK(table.rows == 2);
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f, 3.5f, -4.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"cat", "dog"});
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3});
}

TEST_CASE("a file without a final newline is read completely", "[csv]") {
  const CsvTable table = parse("a,y\n1,p\n2,q", "y");
  CHECK(table.rows == 2);
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"p", "q"});
}

TEST_CASE("feature_columns selects a subset of columns in the order given", "[csv]") {
  const CsvTable table = parse("a,b,c,y\n1,2,3,t\n4,5,6,u\n", options_for("y", {"c", "a"}));
  CHECK(table.feature_names == std::vector<std::string>{"c", "a"});
  CHECK(table.features == bnrun::AlignedVector<float>{3.0f, 1.0f, 6.0f, 4.0f});
}

TEST_CASE("unused columns are not parsed as numbers", "[csv]") {
  const CsvTable table = parse("id,a,y\nrow-one,1,t\n,2,u\n", options_for("y", {"a"}));
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f});
}

TEST_CASE("without a target column every column is a feature and the targets are empty", "[csv]") {
  const CsvTable table = parse("a,b\n1,2\n30,40\n", "");
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f, 30.0f, 40.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"", ""});
  const CsvTable selected = parse("a,species,b\n1,x,2\n", options_for("", {"b", "a"}));
  CHECK(selected.features == bnrun::AlignedVector<float>{2.0f, 1.0f});
  for (const int threads : {1, 2}) {
    const CsvTable parallel = parse_with_threads("a,b\n1,2\n3,4\n5,6\n7,8\n", threads, "");
    CHECK(parallel.features == bnrun::AlignedVector<float>{1, 2, 3, 4, 5, 6, 7, 8});
  }
}

TEST_CASE("the target column may be in the middle", "[csv]") {
  const CsvTable table = parse("a,label,b\n1,x,2\n3,y,4\n", "label");
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.target_name == "label");
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"x", "y"});
}

TEST_CASE("a doubled quote inside a quoted field is a literal quote", "[csv]") {
  const CsvTable table = parse("a,y\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n", "y");
  CHECK(targets_by_row(table) == std::vector<std::string>{"say \"hi\"", "\""});
}

TEST_CASE("quoted header names are unquoted", "[csv]") {
  const CsvTable table = parse("\"a,1\",\"the \"\"y\"\"\"\n1,t\n", "the \"y\"");
  CHECK(table.feature_names == std::vector<std::string>{"a,1"});
  CHECK(table.target_name == "the \"y\"");
}

TEST_CASE("a quoted numeric cell is parsed as a number", "[csv]") {
  const CsvTable table = parse("a,b,y\n\"1.25\", \" 7 \" ,t\n", "y");
  CHECK(table.features == bnrun::AlignedVector<float>{1.25f, 7.0f});
}

TEST_CASE("a quoted field may contain the delimiter and a newline", "[csv]") {
  const CsvTable table = parse("a,y\n1,\"x,\ny\"\n2,\"p\r\nq\rr\"\n3,z\n", "y");
  CHECK(targets_by_row(table) == std::vector<std::string>{"x,\ny", "p\r\nq\rr", "z"});
  // The second row spans lines 4-6 (CRLF counts once, a lone CR once), so the third starts on line 7.
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 4, 7});
}

TEST_CASE("errors after a multi-line quoted field report the right physical line", "[csv]") {
  CHECK(error_for("a,y\n1,\"two\nlines\"\nbad,t\n") == "data.csv:4:1: column 'a' is not a number: \"bad\"");
}

TEST_CASE("CRLF line endings are accepted", "[csv]") {
  const CsvTable table = parse("a,y\r\n1,t\r\n2,u\r\n", "y");
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"t", "u"});
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3});
}

TEST_CASE("lone CR line endings are accepted", "[csv]") {
  const CsvTable table = parse("a,y\r1,t\r2,u\r", "y");
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"t", "u"});
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3});
}

TEST_CASE("a UTF-8 BOM at the start is skipped", "[csv]") {
  const CsvTable table = parse(
      "\xEF\xBB\xBF"
      "a,y\n1,t\n",
      "y");
  CHECK(table.feature_names == std::vector<std::string>{"a"});
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2});
}

TEST_CASE("blank lines at the end of the file are ignored", "[csv]") {
  CHECK(parse("a,y\n1,t\n\n\n", "y").rows == 1);
  CHECK(parse("a,y\n1,t\n  \n\t\r\n \r", "y").rows == 1);
  CHECK(parse("a,y\n1,t\n   ", "y").rows == 1);
}

TEST_CASE("a blank line in the middle of the file is an error", "[csv]") {
  CHECK(error_for("a,y\n1,t\n\n2,u\n") ==
        "data.csv:3:1: blank line (blank lines are only allowed at the end of the file)");
  CHECK(error_for("a,y\n1,t\n   \n2,u\n") ==
        "data.csv:3:1: blank line (blank lines are only allowed at the end of the file)");
  CHECK(error_for("\na,y\n1,t\n") == "data.csv:1:1: blank line (blank lines are only allowed at the end of the file)");
}

TEST_CASE("a row with too few fields is an error naming both counts", "[csv]") {
  REQUIRE_THROWS_WITH(parse("a,b,y\n1,2,t\n3,4\n"),
                      "data.csv:3:3: row has 2 fields but the header has 3; the first missing column is 'y'");
}

TEST_CASE("a row with too many fields is an error naming both counts", "[csv]") {
  REQUIRE_THROWS_WITH(parse("a,b,y\n1,2,t\n3,4,u,5\n"), "data.csv:3:4: row has 4 fields but the header has 3");
  // A trailing delimiter makes an extra, empty field.
  REQUIRE_THROWS_WITH(parse("a,y\n1,t,\n"), "data.csv:2:3: row has 3 fields but the header has 2");
}

TEST_CASE("a feature cell that is not a number is an error", "[csv]") {
  REQUIRE_THROWS_WITH(parse("sepal_length,sepal_width,y\n1,2,t\n3,abc,u\n"),
                      "data.csv:3:2: column 'sepal_width' is not a number: \"abc\"");
  CHECK(error_for("a,y\n1.5x,t\n") == "data.csv:2:1: column 'a' is not a number: \"1.5x\"");
  CHECK(error_for("a,y\n1 2,t\n") == "data.csv:2:1: column 'a' is not a number: \"1 2\"");
  CHECK(error_for("a,y\n0x10,t\n") == "data.csv:2:1: column 'a' is not a number: \"0x10\"");
  CHECK(error_for("a,y\n+-1,t\n") == "data.csv:2:1: column 'a' is not a number: \"+-1\"");
  CHECK(error_for("a,y\n+,t\n") == "data.csv:2:1: column 'a' is not a number: \"+\"");
  CHECK(error_for("a,y\n-,t\n") == "data.csv:2:1: column 'a' is not a number: \"-\"");
  CHECK(error_for("a,y\n.,t\n") == "data.csv:2:1: column 'a' is not a number: \".\"");
  CHECK(error_for("a,y\n\"1\"\"2\",t\n") == "data.csv:2:1: column 'a' is not a number: \"1\\\"2\"");
}

TEST_CASE("an empty feature cell is a missing-value error", "[csv]") {
  REQUIRE_THROWS_WITH(parse("a,b,y\n1,,t\n"), "data.csv:2:2: column 'b' is empty (missing values are not supported)");
  CHECK(error_for("a,b,y\n1,  ,t\n") == "data.csv:2:2: column 'b' is empty (missing values are not supported)");
  CHECK(error_for("a,b,y\n\"\",1,t\n") == "data.csv:2:1: column 'a' is empty (missing values are not supported)");
}

TEST_CASE("nan, inf and values too large for a float are rejected with their own messages", "[csv]") {
  CHECK(error_for("a,y\nnan,t\n") == "data.csv:2:1: column 'a' is NaN: \"nan\" (missing values are not supported)");
  CHECK(error_for("a,y\nNaN,t\n") == "data.csv:2:1: column 'a' is NaN: \"NaN\" (missing values are not supported)");
  CHECK(error_for("a,y\n-inf,t\n") == "data.csv:2:1: column 'a' is infinite: \"-inf\"");
  CHECK(error_for("a,y\nInfinity,t\n") == "data.csv:2:1: column 'a' is infinite: \"Infinity\"");
  CHECK(error_for("a,y\n+inf,t\n") == "data.csv:2:1: column 'a' is infinite: \"+inf\"");
  CHECK(error_for("a,y\n1e400,t\n") == "data.csv:2:1: column 'a' is too large for a 32-bit float: \"1e400\"");
  CHECK(error_for("a,y\n-1e39,t\n") == "data.csv:2:1: column 'a' is too large for a 32-bit float: \"-1e39\"");
  CHECK(error_for("a,y\n" + std::string(400, '9') + ",t\n") ==
        "data.csv:2:1: column 'a' is too large for a 32-bit float: \"" + std::string(40, '9') + "\"...");
}

TEST_CASE("numbers may have a leading plus, exponents, and underflow to zero", "[csv]") {
  const CsvTable table = parse("a,b,c,d,e,f,y\n+1.5,2e3,-.25,5.,1e-400,-0,t\n", "y");
  REQUIRE(table.features.size() == 6);
  CHECK(table.features[0] == 1.5f);
  CHECK(table.features[1] == 2000.0f);
  CHECK(table.features[2] == -0.25f);
  CHECK(table.features[3] == 5.0f);
  CHECK(table.features[4] == 0.0f);
  CHECK(table.features[5] == 0.0f);
  CHECK(std::signbit(table.features[5]));
}

TEST_CASE("parsed values are the floats from_chars gives, rounded once from the decimal", "[csv]") {
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> digit_count(1, 18);
  std::uniform_int_distribution<int> digit(0, 9);
  std::uniform_int_distribution<int> coin(0, 1);
  std::string text = "a,y\n";
  std::vector<std::string> cells;
  for (int i = 0; i < 2000; ++i) {
    std::string cell = coin(random) ? "-" : "";
    const int integer_digits = digit_count(random);
    for (int k = 0; k < integer_digits; ++k) cell += static_cast<char>('0' + digit(random));
    if (coin(random)) {
      cell += '.';
      const int fraction_digits = digit_count(random);
      for (int k = 0; k < fraction_digits; ++k) cell += static_cast<char>('0' + digit(random));
    }
    cells.push_back(cell);
    text += cell + ",t\n";
  }
  const CsvTable table = parse(text, "y");
  REQUIRE(table.rows == cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    float expected = 0.0f;
    std::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), expected);
    INFO(cells[i]);
    CHECK(table.features[i] == expected);
  }
}

TEST_CASE("wide rows of mixed number formats read the same with and without padding", "[csv]") {
  // Padding around every cell sends each record down the general tokenizer instead of the fast path for
  // plain records; both must give identical results, equal to from_chars's floats.
  std::mt19937 random(777);
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(random); };
  auto digits = [&](int count) {
    std::string out;
    for (int i = 0; i < count; ++i) out += static_cast<char>('0' + pick(10));
    return out;
  };
  auto random_cell = [&]() -> std::string {
    switch (pick(8)) {
      case 0:
        return "0";
      case 1:
        return std::to_string(pick(256));
      case 2:
        return "-" + std::to_string(pick(100000));
      case 3:
        return digits(1 + pick(3)) + "." + digits(1 + pick(7));
      case 4:
        return "-0." + digits(1 + pick(12));
      case 5:
        return digits(16 + pick(5));  // too long for the plain-decimal shortcut
      case 6:
        return digits(1 + pick(2)) + "." + digits(pick(3)) + "e" + (pick(2) ? "-" : "") + digits(1);
      default:
        return "+" + std::to_string(pick(1000));
    }
  };
  constexpr int kRows = 120;
  constexpr int kColumns = 150;
  std::string plain = "y";
  std::string padded = "y";
  for (int c = 0; c < kColumns; ++c) {
    plain += ",f" + std::to_string(c);
    padded += ",f" + std::to_string(c);
  }
  plain += "\n";
  padded += "\r\n";
  bnrun::AlignedVector<float> expected;
  for (int r = 0; r < kRows; ++r) {
    plain += "class" + std::to_string(r % 3);
    padded += " class" + std::to_string(r % 3) + " ";
    for (int c = 0; c < kColumns; ++c) {
      const std::string cell = random_cell();
      plain += "," + cell;
      padded += ", " + cell + "\t";
      const std::string_view number = cell[0] == '+' ? std::string_view(cell).substr(1) : std::string_view(cell);
      float value = 0.0f;
      std::from_chars(number.data(), number.data() + number.size(), value);
      expected.push_back(value);
    }
    if (r + 1 < kRows) {
      plain += "\n";
      padded += "\r\n";
    }
  }
  const CsvTable from_plain = parse(plain, "y");
  const CsvTable from_padded = parse(padded, "y");
  REQUIRE(from_plain.rows == kRows);
  CHECK(from_plain.features == expected);
  CHECK(from_padded.features == expected);
  CHECK(targets_by_row(from_plain) == targets_by_row(from_padded));
  CHECK(lines_by_row(from_plain) == lines_by_row(from_padded));
}

TEST_CASE("a number at the very end of the text is read whatever its length", "[csv]") {
  for (int length = 1; length <= 20; ++length) {
    std::string number;
    for (int i = 0; i < length; ++i) number += static_cast<char>('1' + i % 9);
    INFO(number);
    const CsvTable table = parse("y,a\nt," + number, "y");
    float expected = 0.0f;
    std::from_chars(number.data(), number.data() + number.size(), expected);
    CHECK(table.features == bnrun::AlignedVector<float>{expected});
  }
}

// Short integer cells and plain decimals have fast paths of their own (64 bytes of cells at a time when the
// features are all the other columns in file order, else a few branch-free steps per cell). What they give
// must be what parse_float() gives: from_chars's float, with '-0' negative zero.

namespace {

// The value the reader must give a well-formed number cell, as bits, so that -0 and 0 differ.
std::uint32_t expected_bits(std::string_view cell) {
  if (!cell.empty() && cell[0] == '+') cell.remove_prefix(1);
  float rounded = 0.0f;
  std::from_chars(cell.data(), cell.data() + cell.size(), rounded);
  std::uint32_t bits = 0;
  std::memcpy(&bits, &rounded, sizeof bits);
  return bits;
}

std::vector<std::uint32_t> feature_bits(const CsvTable& table) {
  std::vector<std::uint32_t> bits(table.features.size());
  std::memcpy(bits.data(), table.features.data(), bits.size() * sizeof(float));
  return bits;
}

// A header and `rows` rows of `columns` feature cells drawn from `cells`, the target "t<row>" at column
// `target_index`; the last line end is left out if `final_newline` is false. Fills `expected` with the bits of
// the features, row by row.
std::string number_rows(const std::vector<std::string>& cells, int rows, int columns, int target_index,
                        bool final_newline, std::mt19937& random, std::vector<std::uint32_t>& expected) {
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  std::string text;
  for (int c = 0; c <= columns; ++c) {
    text += c == 0 ? "" : ",";
    text += c == target_index ? "y" : "f" + std::to_string(c);
  }
  for (int r = 0; r < rows; ++r) {
    text += "\n";
    for (int c = 0; c <= columns; ++c) {
      if (c > 0) text += ",";
      if (c == target_index) {
        text += "t" + std::to_string(r);
        continue;
      }
      const std::string& cell = cells[pick(cells.size())];
      text += cell;
      expected.push_back(expected_bits(cell));
    }
  }
  return final_newline ? text + "\n" : text;
}

// What parsing `text` gives with the features listed as `features` (in file order, or reversed if `reversed`),
// as text: the features as bits, put back in file order, with the targets and line numbers; or the message.
std::string features_in_file_order(const std::string& text, const std::vector<std::string>& features, bool reversed) {
  try {
    const CsvTable table = parse(text, options_for("y", features));
    const std::size_t columns = table.feature_names.size();
    std::string out;
    for (std::size_t row = 0; row < table.rows; ++row) {
      for (std::size_t c = 0; c < columns; ++c) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &table.features[row * columns + (reversed ? columns - 1 - c : c)], sizeof bits);
        out += std::to_string(bits) + ",";
      }
      out += std::string(table.target(row)) + ":" + std::to_string(table.line(row)) + "\n";
    }
    return out;
  } catch (const UserError& error) {
    return std::string("error: ") + error.what();
  }
}

}  // namespace

TEST_CASE("short integer cells read as from_chars reads them, wherever 64-byte blocks cut them", "[csv]") {
  // Cells of 1 to 5 bytes in rows of many widths, so that block boundaries fall at every place inside cells,
  // signs and delimiters; the target first, in the middle and last.
  const std::vector<std::string> cells = {"0",  "7",   "42",   "255",  "999",  "007", "000", "-0",
                                          "-5", "-99", "-255", "-999", "-007", "10",  "100", "-10"};
  std::mt19937 random(4242);
  for (const int columns : {1, 2, 3, 15, 31, 32, 33, 63, 64, 65, 100, 257}) {
    for (const int target_index : {0, columns / 2, columns}) {
      for (const bool final_newline : {true, false}) {
        INFO("columns: " << columns << ", target at " << target_index << ", final newline: " << final_newline);
        std::vector<std::uint32_t> expected;
        const std::string text = number_rows(cells, 20, columns, target_index, final_newline, random, expected);
        const CsvTable table = parse(text, "y");
        REQUIRE(table.rows == 20);
        CHECK(feature_bits(table) == expected);
        CHECK(targets_by_row(table).back() == "t19");
        CHECK(lines_by_row(table).back() == 21);
      }
    }
  }
}

TEST_CASE("a short integer at the very end of the text is read, whatever the text's length", "[csv]") {
  // The text ends at every place relative to a 64-byte block, and right after the last cell.
  for (const std::string last : {"255", "-0", "007", "-255", "5", "-9"}) {
    std::string row = "t";
    for (int cells = 1; cells <= 70; ++cells) {
      row += cells % 2 == 0 ? ",1" : ",-22";
      const std::string text = "y" + [&] {
        std::string header;
        for (int c = 0; c <= cells; ++c) header += ",f" + std::to_string(c);
        return header;
      }() + "\n" + row + "," + last;
      INFO(text);
      const CsvTable table = parse(text, "y");
      REQUIRE(table.features.size() == static_cast<std::size_t>(cells + 1));
      std::uint32_t bits = 0;
      std::memcpy(&bits, &table.features.back(), sizeof bits);
      CHECK(bits == expected_bits(last));
      CHECK(table.features[0] == -22.0f);
    }
  }
  CHECK(feature_bits(parse("y,a\nt,255", "y")) == std::vector<std::uint32_t>{expected_bits("255")});
  CHECK(feature_bits(parse("a,y\n-0,t", "y")) == std::vector<std::uint32_t>{expected_bits("-0")});
}

TEST_CASE("numbers just beyond the short integer forms are read cell by cell with the same values", "[csv]") {
  // Longest short integers, the first numbers too long for them, signs they do not take, the longest
  // integers of the per-cell step (8 characters), and ones a float cannot hold exactly.
  const std::vector<std::string> cells = {"999",      "-999",     "1000",      "-1000",     "0999",      "+5",
                                          "+255",     "99999999", "-9999999",  "16777217",  "-16777217", "00000000",
                                          "-0000000", "12345678", "123456789", "-00000001", "+0",        "-0"};
  std::mt19937 random(777);
  for (const int target_index : {0, 3, 7}) {
    std::vector<std::uint32_t> expected;
    const std::string text = number_rows(cells, 200, 7, target_index, false, random, expected);
    CHECK(feature_bits(parse(text, "y")) == expected);
  }
}

TEST_CASE("short plain decimals read as from_chars reads them", "[csv]") {
  const std::vector<std::string> cells = {"0.5",     "-0.5",     ".5",       "-.5",       "5.",        "-5.",
                                          "-0.0",    "-.0",      "0.",       "1234.567",  "-123.456",  "0.000001",
                                          "-.00001", "9999999.", ".9999999", "-999999.9", "1.1",       "0.1",
                                          "3.14159", "-2.71828", "0.3",      "1234567.8", "12345.678", "-1.00"};
  std::mt19937 random(31337);
  for (const int target_index : {0, 4}) {
    std::vector<std::uint32_t> expected;
    const std::string text = number_rows(cells, 200, 4, target_index, true, random, expected);
    CHECK(feature_bits(parse(text, "y")) == expected);
  }
}

TEST_CASE("malformed short numbers are errors naming the cell", "[csv]") {
  for (const std::string cell : {"-", ".", "-.", "--5", "5-", "-5-", "1.2.3", "1..2", "-.-", ".-5", "5.-", "2-2"}) {
    INFO(cell);
    // Alone, and amid short integers: in a row the 64-byte block reader takes up to that cell.
    CHECK(error_for("y,a\nt," + cell + "\n") == "data.csv:2:2: column 'a' is not a number: \"" + cell + "\"");
    CHECK(error_for("y,a,b,c\nt,1,2,3\nu,255,-7," + cell + "\n") ==
          "data.csv:3:4: column 'c' is not a number: \"" + cell + "\"");
    // With more text after it, so that the per-cell reader can take 8 bytes at once.
    CHECK(error_for("y,a,b\nt," + cell + ",1\nu,2,3\n") ==
          "data.csv:2:2: column 'a' is not a number: \"" + cell + "\"");
  }
  CHECK(error_for("y,a,b,c\nt,1,2,3\nu,255,,7\n") ==
        "data.csv:3:3: column 'b' is empty (missing values are not supported)");
  CHECK(error_for("y,a,b\nt,1, 2 \nu,1,2\"\n") ==
        "data.csv:3:3: quote inside an unquoted field in column 'b' (quote "
        "the whole field and write a literal quote as \"\")");
}

TEST_CASE("a row of short integers with a field too few or too many gives the usual error", "[csv]") {
  std::string header = "y";
  std::string row = "t";
  for (int c = 0; c < 100; ++c) {
    header += ",f" + std::to_string(c);
    row += "," + std::to_string(c * 37 % 256);
  }
  const std::string good = header + "\n" + row + "\n";
  REQUIRE(parse(good, "y").rows == 1);
  CHECK(error_for(good + row.substr(0, row.rfind(',')) + "\n") ==
        "data.csv:3:101: row has 100 fields but the header has 101; the first missing column is 'f99'");
  CHECK(error_for(good + row + ",1\n") == "data.csv:3:102: row has 102 fields but the header has 101");
  CHECK(error_for(good + row + ",") == "data.csv:3:102: row has 102 fields but the header has 101");
  // The target last, and in the middle.
  CHECK(error_for("a,b,y\n1,2,t\n3,4\n") ==
        "data.csv:3:3: row has 2 fields but the header has 3; the first missing column is 'y'");
  CHECK(error_for("a,b,y\n1,2,t\n3,4,u,5\n") == "data.csv:3:4: row has 4 fields but the header has 3");
  CHECK(error_for("a,y,b\n1,t,2\n3,u\n") ==
        "data.csv:3:3: row has 2 fields but the header has 3; the first missing column is 'b'");
  CHECK(error_for("a,y,b\n1,t,2\n3,u,4,5\n") == "data.csv:3:4: row has 4 fields but the header has 3");
}

TEST_CASE("a byte that does not separate cells is caught at every place in a 64-byte block", "[csv]") {
  // A row one field short, with one cell split in two by the byte: read as two cells, the count would come out
  // right. The byte falls at every offset from the start of the row's cells, at the end of a block too.
  constexpr int kColumns = 50;
  std::string header = "y";
  std::vector<std::string> in_order;
  for (int c = 0; c < kColumns; ++c) {
    header += ",f" + std::to_string(c);
    in_order.push_back("f" + std::to_string(c));
  }
  const std::vector<std::string> reversed(in_order.rbegin(), in_order.rend());
  for (const char splitter : {'.', '\n', '\r', ' ', '+', 'x', '"', '\0'}) {
    for (const std::string first_cell : {"1", "22"}) {
      for (int before = 0; before + 2 < kColumns; ++before) {
        std::string text = header + "\nt," + first_cell;
        for (int c = 1; c < kColumns - 1; ++c) text += c == before + 1 ? ",1"s + splitter + "5" : ",3";
        text += "\nu";
        for (int c = 0; c < kColumns; ++c) text += ",4";
        text += "\n";
        INFO(quoted_bytes(text));
        REQUIRE(features_in_file_order(text, reversed, true) == features_in_file_order(text, in_order, false));
      }
    }
  }
}

TEST_CASE("a text between unreadable pages is read without touching them", "[csv]") {
  // The fast paths read 8 or 64 bytes at a time; near either end of the text they must not read past it.
  // Here the text starts just after and ends just before a page that may not be read.
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* const mapping = ::mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mapping != MAP_FAILED);
  char* const readable = static_cast<char*>(mapping) + page;
  REQUIRE(::mprotect(mapping, page, PROT_NONE) == 0);
  REQUIRE(::mprotect(readable + page, page, PROT_NONE) == 0);
  std::string wide_row = "t";
  for (int c = 0; c < 100; ++c) wide_row += c % 3 == 0 ? ",-255" : ",7";
  std::string wide_header = "y";
  for (int c = 0; c < 100; ++c) wide_header += ",f" + std::to_string(c);
  for (const std::string& text : {"y,a\nt,255"s, "a,y\n-7,t"s, "a,b,y\n1.5,-0.25,t"s, "a,y\n12345678,t"s,
                                  wide_header + "\n" + wide_row + "\n" + wide_row, "y,a\nt,1\n\n"s}) {
    INFO(quoted_bytes(text));
    REQUIRE(text.size() <= page);
    const CsvTable expected = parse(std::string(text), "y");
    std::memcpy(readable, text.data(), text.size());
    check_same_table(parse(std::string_view(readable, text.size()), "y"), expected);
    char* const at_end = readable + page - text.size();
    std::memcpy(at_end, text.data(), text.size());
    check_same_table(parse(std::string_view(at_end, text.size()), "y"), expected);
  }
  ::munmap(mapping, 3 * page);
}

TEST_CASE("a minus sign or digit as the delimiter is a delimiter, not part of a number", "[csv]") {
  CHECK(parse("y-a-b-c\nt-1-22-255\nu-0-7-10\n", options_for("y", {}, '-')).features ==
        bnrun::AlignedVector<float>{1, 22, 255, 0, 7, 10});
  CHECK(parse("a-b-y\n1-22-t\n", options_for("y", {}, '-')).features == bnrun::AlignedVector<float>{1, 22});
  CHECK(parse("y9a9b9c\nt91929-3\n", options_for("y", {}, '9')).features == bnrun::AlignedVector<float>{1, 2, -3});
}

TEST_CASE("random number rows read the same whether or not the features are the other columns in order", "[csv]") {
  // With the features listed in reverse, no row can take the 64-byte block reader: both readers must give
  // the same values and the same first error. Wide rows span several blocks, so that damage and numbers too
  // long for the block reader fall at the end of a block too.
  static constexpr char kBytes[] = "0123456789-------..+,,,,, \n\rx\"";
  constexpr std::string_view kAlphabet(kBytes, sizeof kBytes - 1);
  std::mt19937 random(8080);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  for (const int columns : {5, 60}) {
    std::string header = "y";
    std::vector<std::string> in_order;
    for (int c = 0; c < columns; ++c) {
      header += ",f" + std::to_string(c);
      in_order.push_back("f" + std::to_string(c));
    }
    const std::vector<std::string> reversed(in_order.rbegin(), in_order.rend());
    int parsed = 0;
    for (int round = 0; round < 1500; ++round) {
      std::string text = header;
      for (std::size_t r = 1 + pick(4); r > 0; --r) {
        text += "\nt";
        for (int c = 0; c < columns; ++c) {
          text += ",";
          if (pick(static_cast<std::size_t>(8 * columns)) == 0) {  // damage, rarely, so that most files parse
            for (std::size_t k = pick(4); k > 0; --k) text += kAlphabet[pick(kAlphabet.size())];
          } else {
            text += pick(3) == 0 ? "-" : "";
            const std::size_t digits = 1 + pick(pick(8 * static_cast<std::size_t>(columns)) == 0 ? 6 : 3);
            for (std::size_t k = 0; k < digits; ++k) text += static_cast<char>('0' + pick(10));
          }
        }
      }
      const std::string expected = features_in_file_order(text, in_order, false);
      parsed += expected.rfind("error", 0) != 0;
      INFO(quoted_bytes(text));
      REQUIRE(features_in_file_order(text, reversed, true) == expected);
    }
    CHECK(parsed > 500);
  }
}

TEST_CASE("a header without data rows is an error", "[csv]") {
  CHECK(error_for("a,y\n") == "data.csv: the file has a header but no data rows");
  CHECK(error_for("a,y") == "data.csv: the file has a header but no data rows");
  CHECK(error_for("a,y\n\n  \n") == "data.csv: the file has a header but no data rows");
}

TEST_CASE("an empty file is an error", "[csv]") {
  CHECK(error_for("") == "data.csv: the file is empty (expected a header line)");
  CHECK(error_for("\n \r\n") == "data.csv: the file is empty (expected a header line)");
  CHECK(error_for("\xEF\xBB\xBF") == "data.csv: the file is empty (expected a header line)");
}

TEST_CASE("duplicate column names are an error naming both positions", "[csv]") {
  REQUIRE_THROWS_WITH(parse("a,b,a,y\n1,2,3,t\n"), "data.csv:1:3: duplicate column name 'a' (columns 1 and 3)");
}

TEST_CASE("an empty column name in the header is an error", "[csv]") {
  CHECK(error_for("a,,y\n1,2,t\n") == "data.csv:1:2: empty column name in the header");
  CHECK(error_for("a,\"\",y\n1,2,t\n") == "data.csv:1:2: empty column name in the header");
}

TEST_CASE("a target column that is not in the header lists the columns", "[csv]") {
  CHECK(error_for("a,b\n1,2\n", "label") ==
        "data.csv: target column 'label' is not in the header; the columns are: 'a', 'b'");
  std::string header;
  for (int i = 0; i < 13; ++i) header += (i > 0 ? ",c" : "c") + std::to_string(i);
  CHECK(error_for(header + "\n", "label") ==
        "data.csv: target column 'label' is not in the header; the columns are: 'c0', 'c1', 'c2', 'c3', 'c4', "
        "'c5', 'c6', 'c7', 'c8', 'c9', ... (3 more)");
}

TEST_CASE("a listed feature column that is not in the header is an error", "[csv]") {
  CHECK(error_for("a,b,y\n1,2,t\n", options_for("y", {"a", "z"})) ==
        "data.csv: feature column 'z' is not in the header; the columns are: 'a', 'b', 'y'");
}

TEST_CASE("a feature column that is also the target is an error", "[csv]") {
  CHECK(error_for("a,y\n1,2\n", options_for("y", {"a", "y"})) ==
        "data.csv: column 'y' is both the target and a feature column");
}

TEST_CASE("a feature column listed twice is an error", "[csv]") {
  CHECK(error_for("a,y\n1,2\n", options_for("y", {"a", "a"})) == "data.csv: feature column 'a' is listed twice");
}

TEST_CASE("a header with only the target column has no features and is an error", "[csv]") {
  CHECK(error_for("y\nt\n") == "data.csv: no feature columns: the header has only the target column 'y'");
}

TEST_CASE("an impossible delimiter is an error", "[csv]") {
  CHECK(error_for("a,y\n1,t\n", options_for("y", {}, '"')) ==
        "data.csv: invalid CSV delimiter '\"' (it cannot be a quote, a line break or NUL)");
  CHECK(error_for("a,y\n1,t\n", options_for("y", {}, '\n')) ==
        "data.csv: invalid CSV delimiter \\x0A (it cannot be a quote, a line break or NUL)");
}

TEST_CASE("an unterminated quoted field names the line where the quote opened", "[csv]") {
  REQUIRE_THROWS_WITH(parse("a,y\n1,t\n2,\"never\nclosed\n3,u\n"),
                      "data.csv:3:2: quoted field in column 'y' is never closed (its quote opens on this line; "
                      "the file ends inside it)");
  CHECK(error_for("a,\"y\n") ==
        "data.csv:1:2: quoted field in header field 2 is never closed (its quote opens on this line; "
        "the file ends inside it)");
}

TEST_CASE("a character after a closing quote is an error", "[csv]") {
  CHECK(error_for("a,y\n\"1\"2,t\n") ==
        "data.csv:2:1: unexpected character '2' after the closing quote in column 'a' (expected the delimiter "
        "',' or the end of the line)");
  // Spaces after the closing quote are padding, not content.
  CHECK(parse("a,y\n\"1\"  ,t\n").features == bnrun::AlignedVector<float>{1.0f});
}

TEST_CASE("a quote inside an unquoted field is an error", "[csv]") {
  CHECK(error_for("a,y\n1,ab\"c\n") ==
        "data.csv:2:2: quote inside an unquoted field in column 'y' (quote the whole field and write a literal "
        "quote as \"\")");
}

TEST_CASE("a NUL byte is an error naming its line", "[csv]") {
  CHECK(error_for("a,y\n1,t\n2,\0u\n"s) == "data.csv:3:2: NUL byte in the file (is it binary, or UTF-16 encoded?)");
  CHECK(error_for("a,y\n1,\"x\ny\0\"\n"s) == "data.csv:3:2: NUL byte in the file (is it binary, or UTF-16 encoded?)");
  CHECK(error_for("a,y\n1,\"x\"\0\n"s) == "data.csv:2:2: NUL byte in the file (is it binary, or UTF-16 encoded?)");
  // UTF-16 text is mostly NUL bytes.
  CHECK_THAT(error_for("a\0,\0y\0\n\0"s), Contains("NUL byte"));
}

TEST_CASE("a semicolon delimiter is supported", "[csv]") {
  const CsvTable table = parse("a;b;y\n1.5;2;\"x;z\"\n", options_for("y", {}, ';'));
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.features == bnrun::AlignedVector<float>{1.5f, 2.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"x;z"});
  // A comma is then ordinary text, so a decimal comma is not a number.
  CHECK(error_for("a;b;y\n1,5;2;t\n", options_for("y", {}, ';')) ==
        "data.csv:2:1: column 'a' is not a number: \"1,5\"");
}

TEST_CASE("a tab delimiter is supported and tabs are then not trimmed", "[csv]") {
  const CsvTable table = parse("a\tb\ty\n 1 \t2\t\"x\ty\"\n", options_for("y", {}, '\t'));
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"x\ty"});
  CHECK(error_for("a\ty\n1\t\tt\n", options_for("y", {}, '\t')) ==
        "data.csv:2:3: row has 3 fields but the header has 2");
}

TEST_CASE("each row's line is the physical line it starts on", "[csv]") {
  const CsvTable table = parse("a,y\n1,t\n2,\"multi\n\nline\"\n3,u\r\n4,v\r5,w\n", "y");
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3, 6, 7, 8});
}

TEST_CASE("target cells are unquoted, unescaped and trimmed", "[csv]") {
  const CsvTable table = parse("a,y\n1,  plain  \n2,\"  quoted  \"\n3, \"a \"\"b\"\"\" \n4,\tx y\t\n", "y");
  CHECK(targets_by_row(table) == std::vector<std::string>{"plain", "quoted", "a \"b\"", "x y"});
}

TEST_CASE("an empty target cell is an error", "[csv]") {
  CHECK(error_for("a,y\n1,t\n2,\n") == "data.csv:3:2: target column 'y' is empty");
  CHECK(error_for("a,y\n1, \" \" \n") == "data.csv:2:2: target column 'y' is empty");
}

TEST_CASE("messages quoting user text stay on one line and are truncated", "[csv]") {
  const std::string message = error_for("a,y\n\"x\ny\r\x01\x7f\xff\",t\n");
  CHECK(message == "data.csv:2:1: column 'a' is not a number: \"x\\x0Ay\\x0D\\x01\\x7F\\xFF\"");
  const std::string long_header = "a,y\n" + std::string(100, 'z') + ",t\n";
  CHECK(error_for(long_header) == "data.csv:2:1: column 'a' is not a number: \"" + std::string(40, 'z') + "\"...");
  // Well-formed UTF-8 is shown as is; quotes and backslashes in a name are escaped.
  CHECK(error_for("caf\xC3\xA9,y\nx,t\n") == "data.csv:2:1: column 'caf\xC3\xA9' is not a number: \"x\"");
  CHECK(error_for("it's\\,y\nx,t\n") == "data.csv:2:1: column 'it\\'s\\\\' is not a number: \"x\"");
  CHECK(error_for("a,y\n1,t\n", options_for("new\nline")) ==
        "data.csv: target column 'new\\x0Aline' is not in the header; the columns are: 'a', 'y'");
}

TEST_CASE("any byte sequence either parses or throws UserError", "[csv]") {
  // A cheap stand-in for fuzzing: random text over the bytes the tokenizer treats specially.
  static constexpr char kBytes[] = "ay,\"\r\n \t01.-+e\0\xEF\xBB\xBFnx;";
  constexpr std::string_view kAlphabet(kBytes, sizeof kBytes - 1);
  std::mt19937 random(2024);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 40);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = "a,y\n";
    const std::size_t n = length(random);
    for (std::size_t k = 0; k < n; ++k) text += kAlphabet[pick(random)];
    try {
      const CsvTable table = parse(text, "y");
      REQUIRE(table.features.size() == table.rows * table.feature_names.size());
      REQUIRE(table.target_codes.size() == table.rows);
      ++parsed;
    } catch (const UserError& error) {
      const std::string message = error.what();
      REQUIRE(message.rfind("data.csv:", 0) == 0);
      REQUIRE(message.find('\n') == std::string::npos);
      REQUIRE(message.find('\r') == std::string::npos);
    }
  }
  CHECK(parsed > 0);
}

TEST_CASE("read_csv on a missing path names the path and the reason", "[csv]") {
  const std::string path = "/nonexistent/bnrun/missing.csv";
  CHECK_THROWS_WITH(read_csv(path, options_for("y")), path + ": cannot open file: No such file or directory");
}

TEST_CASE("read_csv on a directory is an error", "[csv]") {
  const std::string path = std::filesystem::temp_directory_path().string();
  CHECK_THROWS_WITH(read_csv(path, options_for("y")), Contains(path) && Contains("cannot read file"));
}

TEST_CASE("read_csv reads a real file", "[csv]") {
  const TempFile file("a,b,y\r\n1,2,\"x\"\r\n3,4,y\r\n");
  const CsvTable table = read_csv(file.path(), options_for("y"));
  CHECK(table.path == file.path());
  CHECK(table.rows == 2);
  CHECK(table.features == bnrun::AlignedVector<float>{1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(targets_by_row(table) == std::vector<std::string>{"x", "y"});
  CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3});
}

TEST_CASE("read_csv errors carry the path and position", "[csv]") {
  const TempFile file("a,y\n1,t\nbad,u\n");
  CHECK_THROWS_WITH(read_csv(file.path(), options_for("y")), file.path() + ":3:1: column 'a' is not a number: \"bad\"");
}

// ---------------------------------------------------------------------------------------------------------
// Reading in parallel: the text is cut into one chunk per thread at line starts. Whatever the cut, the outcome
// must be the serial reader's, byte for byte, errors included.

TEST_CASE("a file parsed by two threads gives the same table as one thread", "[csv]") {
  const std::string text = varied_text(400, 30, 11) + "\n";
  const CsvTable serial = parse_with_threads(text, 1);
  REQUIRE(serial.rows == 400);
  check_same_table(parse_with_threads(text, 2), serial);
}

TEST_CASE("any number of threads gives the same table, even with chunks that hold no line", "[csv]") {
  // More threads than this machine has cores, and than the short text has lines: some chunks are empty.
  for (const std::string& text : {varied_text(60, 7, 3), varied_text(5, 2, 4) + "\r\n\n  \n", "a,y\n1,t"s}) {
    const CsvTable serial = parse_with_threads(text, 1);
    for (int threads = 2; threads <= 9; ++threads) {
      INFO("threads: " << threads);
      check_same_table(parse_with_threads(text, threads), serial);
    }
  }
}

TEST_CASE("line numbers count CRLF once and a lone CR as a line end in every chunk", "[csv]") {
  for (const std::string last_line_end : {"", "\r", "\n", "\r\n"}) {
    const std::string text = "a,y\r\n1,t\r2,u\r\n3,v\n4,w\r5,x\r\n6,z\r7,q\n8,r" + last_line_end;
    for (int threads = 1; threads <= 6; ++threads) {
      INFO("threads: " << threads << ", last line end: " << quoted_bytes(last_line_end));
      const CsvTable table = parse_with_threads(text, threads);
      CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3, 4, 5, 6, 7, 8, 9});
      CHECK(table.features == bnrun::AlignedVector<float>{1, 2, 3, 4, 5, 6, 7, 8});
    }
  }
}

TEST_CASE("a file with quotes is read the same by any number of threads", "[csv]") {
  // A quoted field may hold line breaks, so a cut at a line start could fall inside it. Every other row has
  // one here, so most places a cut could go are inside quotes.
  std::string text = "a,y\n";
  for (int i = 0; i < 50; ++i) text += std::to_string(i) + (i % 2 == 1 ? ",\"two\nlines, \"\"quoted\"\"\"\n" : ",t\n");
  const CsvTable serial = parse_with_threads(text, 1);
  REQUIRE(serial.rows == 50);
  CHECK(lines_by_row(serial).back() == 2 + 49 + 24);  // after 24 rows of two lines
  for (int threads = 2; threads <= 5; ++threads) check_same_table(parse_with_threads(text, threads), serial);
}

TEST_CASE("a long quoted field across the middle of a file is one cell for any number of threads", "[csv]") {
  // Every place the text would be cut at falls inside the quotes, far from either quote mark.
  std::string text = "a,y\n1,t\n2,\"";
  for (int line = 0; line < 40; ++line) text += "a line of text inside one quoted cell\n";
  text += "\"\n";
  for (int row = 3; row < 10; ++row) text += std::to_string(row) + ",t\n";
  const CsvTable serial = parse_with_threads(text, 1);
  REQUIRE(serial.rows == 9);
  CHECK(lines_by_row(serial).back() == 50);  // the quote closes on line 43
  for (int threads = 2; threads <= 5; ++threads) {
    INFO("threads: " << threads);
    check_same_table(parse_with_threads(text, threads), serial);
  }
}

TEST_CASE("an error in the second half of a file is reported as one thread reports it", "[csv]") {
  std::string text = "a,b,y\n";
  for (int i = 0; i < 200; ++i) text += i == 150 ? "1,oops,t\n" : std::to_string(i) + ",2,t\n";
  const std::string expected = "data.csv:152:2: column 'b' is not a number: \"oops\"";
  CHECK(error_with_threads(text, 1) == expected);
  CHECK(error_with_threads(text, 2) == expected);
  CHECK(error_with_threads(text, 5) == expected);
}

TEST_CASE("with errors in both halves of a file, the earlier one is reported", "[csv]") {
  std::string text = "a,b,y\n";
  for (int i = 0; i < 200; ++i) {
    if (i == 40) {
      text += "1,2\n";  // too few fields
    } else if (i == 170) {
      text += "1,nan,t\n";
    } else {
      text += std::to_string(i) + ",2,t\n";
    }
  }
  const std::string expected = "data.csv:42:3: row has 2 fields but the header has 3; the first missing column is 'y'";
  for (int threads = 1; threads <= 6; ++threads) {
    INFO("threads: " << threads);
    CHECK(error_with_threads(text, threads) == expected);
  }
}

TEST_CASE("a blank line before more data is an error wherever the chunks are cut", "[csv]") {
  // A chunk that ends in blank lines cannot see that data follows; the blank line must still be reported,
  // and before an error on a later line in another chunk.
  const std::string blank_line_error = ":1: blank line (blank lines are only allowed at the end of the file)";
  for (int blank_before = 2; blank_before <= 9; ++blank_before) {  // the blank line's number once inserted
    for (const bool bad_last_row : {false, true}) {
      std::string text = "a,y\n";
      for (int line = 2; line <= 9; ++line) {
        if (line == blank_before) text += " \r\n";
        text += line == 9 && bad_last_row ? "x,t\n" : std::to_string(line) + ",t\n";
      }
      INFO(text);
      const std::string expected = "data.csv:" + std::to_string(blank_before) + blank_line_error;
      for (int threads = 1; threads <= 8; ++threads) {
        INFO("threads: " << threads);
        CHECK(error_with_threads(text, threads) == expected);
      }
    }
  }
}

TEST_CASE("blank lines at the end of the file are ignored by every chunk", "[csv]") {
  const std::string text = "a,y\n1,t\n2,u\n3,v\n\n  \r\n\t\n\r\n\n \r";
  for (int threads = 1; threads <= 8; ++threads) {
    INFO("threads: " << threads);
    const CsvTable table = parse_with_threads(text, threads);
    CHECK(table.rows == 3);
    CHECK(lines_by_row(table) == std::vector<std::size_t>{2, 3, 4});
  }
}

TEST_CASE("randomly damaged files give the same table or error with one thread and with several", "[csv]") {
  // Damage of every kind the reader rejects, at random places, so that errors fall in every chunk and in
  // several chunks at once.
  static constexpr char kDamage[] = ",\n\r \t\"x.-e\0";
  constexpr std::string_view kDamageBytes(kDamage, sizeof kDamage - 1);
  std::mt19937 random(99);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };
  int parsed = 0;
  for (int round = 0; round < 100; ++round) {
    std::string text =
        varied_text(8 + static_cast<int>(pick(30)), 1 + static_cast<int>(pick(4)), static_cast<unsigned>(round));
    const std::size_t header_end = text.find_first_of("\r\n");
    const std::size_t damage_count = pick(4);
    for (std::size_t k = 0; k < damage_count; ++k) {
      const std::size_t at = header_end + 1 + pick(text.size() - header_end - 1);
      if (pick(2) == 0) {
        text[at] = kDamageBytes[pick(kDamageBytes.size())];
      } else {
        text.insert(at, 1, kDamageBytes[pick(kDamageBytes.size())]);
      }
    }
    const std::string serial = outcome_with_threads(text, 1);
    parsed += serial.rfind("error", 0) != 0;
    for (const int threads : {2, 3}) {
      INFO("threads: " << threads << ", text: " << text);
      REQUIRE(outcome_with_threads(text, threads) == serial);
    }
  }
  CHECK(parsed > 15);  // the damage must leave enough files intact to compare tables, not just errors
}

TEST_CASE("a file big enough to split by default is read the same with one and two threads", "[csv]") {
  // No forcing here: over a megabyte, two threads are worth it at the default minimum work per thread.
  const TempFile file(varied_text(2000, 60, 21));
  CsvOptions options = options_for("y");
  const CsvTable serial = read_csv(file.path(), options);
  options.compute.threads = 2;
  const CsvTable parallel = read_csv(file.path(), options);
  REQUIRE(serial.rows == 2000);
  check_same_table(parallel, serial);
}

TEST_CASE("a file cut short while it is mapped is a clear error, not SIGBUS", "[csv]") {
  const std::string text = "y,a\n" + std::string(1 << 20, '1');  // a megabyte: many pages past the cut
  const TempFile file(text);
  const bnrun::data::csv::Diagnostics diagnostics(file.path());
  const auto contents = bnrun::data::csv::FileContents::load(file.path(), diagnostics);
  std::filesystem::resize_file(file.path(), 100);
  // Every page, as the parser would touch them: without the handler the first page past byte 100 raises SIGBUS.
  std::size_t ones = 0;
  for (const char c : contents.text()) ones += c == '1' ? 1 : 0;
  CHECK(ones < text.size());
  CHECK_THROWS_WITH(contents.check_unchanged(diagnostics),
                    file.path() + ": changed while it was read (cut short under bnrun: 100 bytes now, " +
                        std::to_string(text.size()) + " when opened); read it again when nothing writes to it");
}

TEST_CASE("a file rewritten while it is read is a clear error", "[csv]") {
  const TempFile file("y,a\n1,2\n");
  const bnrun::data::csv::Diagnostics diagnostics(file.path());
  const auto contents = bnrun::data::csv::FileContents::load(file.path(), diagnostics);
  CHECK_NOTHROW(contents.check_unchanged(diagnostics));
  std::ofstream(file.path(), std::ios::app) << "3,4\n";
  CHECK_THROWS_WITH(contents.check_unchanged(diagnostics), Contains("changed while it was read (rewritten"));
}

TEST_CASE("read_csv of an empty file says that it is empty", "[csv]") {
  // An empty file cannot be mapped into memory; it is read instead.
  const TempFile file("");
  CHECK_THROWS_WITH(read_csv(file.path(), options_for("y")),
                    file.path() + ": the file is empty (expected a header line)");
}

TEST_CASE("read_csv refuses a named pipe before opening it unless special files are allowed", "[csv]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("bnrun_test_csv_fifo_refused_" + std::to_string(::getpid()));
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  // No writer: opening it would wait forever, so the refusal must come from the file's type alone.
  CHECK_THROWS_WITH(read_csv(path.string(), options_for("y")), Catch::Contains("is a FIFO (named pipe)"));
  std::filesystem::remove(path);
}

TEST_CASE("read_csv reads a pipe, whose size is not known in advance, when special files are allowed", "[csv]") {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("bnrun_test_csv_fifo_" + std::to_string(::getpid()));
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  // More than the reader's first 64 KiB buffer, so that it has to grow.
  const std::string text = varied_text(3000, 10, 5);
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
  });
  CsvTable table;
  try {
    CsvOptions options = options_for("y");
    options.allow_special_file = true;
    table = read_csv(path.string(), options);
  } catch (...) {
    writer.join();
    std::filesystem::remove(path);
    throw;
  }
  writer.join();
  std::filesystem::remove(path);
  CHECK(table.rows == 3000);
  check_same_table(table, parse(text, "y"));
  CHECK(table.path == path.string());
}
