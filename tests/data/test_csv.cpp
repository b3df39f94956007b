#include "data/csv.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

using bnrun::UserError;
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

}  // namespace

TEST_CASE("a simple file is read into features, targets and line numbers", "[csv]") {
  const CsvTable table = parse("a,b,y\n1,2,cat\n3.5,-4,dog\n", "y");
  CHECK(table.path == "data.csv");
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.target_name == "y");
  CHECK(table.rows == 2);
  CHECK(table.features == std::vector<float>{1.0f, 2.0f, 3.5f, -4.0f});
  CHECK(table.targets == std::vector<std::string>{"cat", "dog"});
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 3});
}

TEST_CASE("a file without a final newline is read completely", "[csv]") {
  const CsvTable table = parse("a,y\n1,p\n2,q", "y");
  CHECK(table.rows == 2);
  CHECK(table.features == std::vector<float>{1.0f, 2.0f});
  CHECK(table.targets == std::vector<std::string>{"p", "q"});
}

TEST_CASE("feature_columns selects a subset of columns in the order given", "[csv]") {
  const CsvTable table = parse("a,b,c,y\n1,2,3,t\n4,5,6,u\n", options_for("y", {"c", "a"}));
  CHECK(table.feature_names == std::vector<std::string>{"c", "a"});
  CHECK(table.features == std::vector<float>{3.0f, 1.0f, 6.0f, 4.0f});
}

TEST_CASE("unused columns are not parsed as numbers", "[csv]") {
  const CsvTable table = parse("id,a,y\nrow-one,1,t\n,2,u\n", options_for("y", {"a"}));
  CHECK(table.features == std::vector<float>{1.0f, 2.0f});
}

TEST_CASE("the target column may be in the middle", "[csv]") {
  const CsvTable table = parse("a,label,b\n1,x,2\n3,y,4\n", "label");
  CHECK(table.feature_names == std::vector<std::string>{"a", "b"});
  CHECK(table.target_name == "label");
  CHECK(table.features == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(table.targets == std::vector<std::string>{"x", "y"});
}

TEST_CASE("a doubled quote inside a quoted field is a literal quote", "[csv]") {
  const CsvTable table = parse("a,y\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n", "y");
  CHECK(table.targets == std::vector<std::string>{"say \"hi\"", "\""});
}

TEST_CASE("quoted header names are unquoted", "[csv]") {
  const CsvTable table = parse("\"a,1\",\"the \"\"y\"\"\"\n1,t\n", "the \"y\"");
  CHECK(table.feature_names == std::vector<std::string>{"a,1"});
  CHECK(table.target_name == "the \"y\"");
}

TEST_CASE("a quoted numeric cell is parsed as a number", "[csv]") {
  const CsvTable table = parse("a,b,y\n\"1.25\", \" 7 \" ,t\n", "y");
  CHECK(table.features == std::vector<float>{1.25f, 7.0f});
}

TEST_CASE("a quoted field may contain the delimiter and a newline", "[csv]") {
  const CsvTable table = parse("a,y\n1,\"x,\ny\"\n2,\"p\r\nq\rr\"\n3,z\n", "y");
  CHECK(table.targets == std::vector<std::string>{"x,\ny", "p\r\nq\rr", "z"});
  // The second row spans lines 4-6 (CRLF counts once, a lone CR once), so the third starts on line 7.
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 4, 7});
}

TEST_CASE("errors after a multi-line quoted field report the right physical line", "[csv]") {
  CHECK(error_for("a,y\n1,\"two\nlines\"\nbad,t\n") == "data.csv:4:1: column 'a' is not a number: \"bad\"");
}

TEST_CASE("CRLF line endings are accepted", "[csv]") {
  const CsvTable table = parse("a,y\r\n1,t\r\n2,u\r\n", "y");
  CHECK(table.features == std::vector<float>{1.0f, 2.0f});
  CHECK(table.targets == std::vector<std::string>{"t", "u"});
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 3});
}

TEST_CASE("lone CR line endings are accepted", "[csv]") {
  const CsvTable table = parse("a,y\r1,t\r2,u\r", "y");
  CHECK(table.features == std::vector<float>{1.0f, 2.0f});
  CHECK(table.targets == std::vector<std::string>{"t", "u"});
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 3});
}

TEST_CASE("a UTF-8 BOM at the start is skipped", "[csv]") {
  const CsvTable table = parse(
      "\xEF\xBB\xBF"
      "a,y\n1,t\n",
      "y");
  CHECK(table.feature_names == std::vector<std::string>{"a"});
  CHECK(table.line_numbers == std::vector<std::size_t>{2});
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

TEST_CASE("parsed values equal from_chars to double, rounded to float", "[csv]") {
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
    double expected = 0.0;
    std::from_chars(cells[i].data(), cells[i].data() + cells[i].size(), expected);
    INFO(cells[i]);
    CHECK(table.features[i] == static_cast<float>(expected));
  }
}

TEST_CASE("wide rows of mixed number formats read the same with and without padding", "[csv]") {
  // Padding around every cell sends each record down the general tokenizer instead of the fast path for
  // plain records; both must give identical results, equal to from_chars rounded to float.
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
  std::vector<float> expected;
  for (int r = 0; r < kRows; ++r) {
    plain += "class" + std::to_string(r % 3);
    padded += " class" + std::to_string(r % 3) + " ";
    for (int c = 0; c < kColumns; ++c) {
      const std::string cell = random_cell();
      plain += "," + cell;
      padded += ", " + cell + "\t";
      const std::string_view number = cell[0] == '+' ? std::string_view(cell).substr(1) : std::string_view(cell);
      double value = 0.0;
      std::from_chars(number.data(), number.data() + number.size(), value);
      expected.push_back(static_cast<float>(value));
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
  CHECK(from_plain.targets == from_padded.targets);
  CHECK(from_plain.line_numbers == from_padded.line_numbers);
}

TEST_CASE("a number at the very end of the text is read whatever its length", "[csv]") {
  for (int length = 1; length <= 20; ++length) {
    std::string number;
    for (int i = 0; i < length; ++i) number += static_cast<char>('1' + i % 9);
    INFO(number);
    const CsvTable table = parse("y,a\nt," + number, "y");
    double expected = 0.0;
    std::from_chars(number.data(), number.data() + number.size(), expected);
    CHECK(table.features == std::vector<float>{static_cast<float>(expected)});
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

TEST_CASE("options without a target or with an impossible delimiter are errors", "[csv]") {
  CHECK(error_for("a,y\n1,t\n", options_for("")) == "data.csv: no target column given");
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
  CHECK(parse("a,y\n\"1\"  ,t\n").features == std::vector<float>{1.0f});
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
  CHECK(table.features == std::vector<float>{1.5f, 2.0f});
  CHECK(table.targets == std::vector<std::string>{"x;z"});
  // A comma is then ordinary text, so a decimal comma is not a number.
  CHECK(error_for("a;b;y\n1,5;2;t\n", options_for("y", {}, ';')) ==
        "data.csv:2:1: column 'a' is not a number: \"1,5\"");
}

TEST_CASE("a tab delimiter is supported and tabs are then not trimmed", "[csv]") {
  const CsvTable table = parse("a\tb\ty\n 1 \t2\t\"x\ty\"\n", options_for("y", {}, '\t'));
  CHECK(table.features == std::vector<float>{1.0f, 2.0f});
  CHECK(table.targets == std::vector<std::string>{"x\ty"});
  CHECK(error_for("a\ty\n1\t\tt\n", options_for("y", {}, '\t')) ==
        "data.csv:2:3: row has 3 fields but the header has 2");
}

TEST_CASE("line_numbers give the physical line each row starts on", "[csv]") {
  const CsvTable table = parse("a,y\n1,t\n2,\"multi\n\nline\"\n3,u\r\n4,v\r5,w\n", "y");
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 3, 6, 7, 8});
}

TEST_CASE("target cells are unquoted, unescaped and trimmed", "[csv]") {
  const CsvTable table = parse("a,y\n1,  plain  \n2,\"  quoted  \"\n3, \"a \"\"b\"\"\" \n4,\tx y\t\n", "y");
  CHECK(table.targets == std::vector<std::string>{"plain", "quoted", "a \"b\"", "x y"});
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
      REQUIRE(table.targets.size() == table.rows);
      REQUIRE(table.line_numbers.size() == table.rows);
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
  CHECK(table.features == std::vector<float>{1.0f, 2.0f, 3.0f, 4.0f});
  CHECK(table.targets == std::vector<std::string>{"x", "y"});
  CHECK(table.line_numbers == std::vector<std::size_t>{2, 3});
}

TEST_CASE("read_csv errors carry the path and position", "[csv]") {
  const TempFile file("a,y\n1,t\nbad,u\n");
  CHECK_THROWS_WITH(read_csv(file.path(), options_for("y")), file.path() + ":3:1: column 'a' is not a number: \"bad\"");
}
