// dataset.delimiter "auto": the delimiter found from the header and first rows, and the hint for a wrong one.
#include <catch2/catch.hpp>
#include <string>

#include "core/error.h"
#include "data/csv.h"
#include "data/csv/delimiter.h"

using bnrun::data::CsvOptions;
using bnrun::data::detect_delimiter;
using bnrun::data::parse_csv;
using bnrun::data::csv::delimiter_name;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

namespace {

char found(const std::string& text) {
  return bnrun::data::csv::detect_delimiter(text).value_or('?');
}

CsvOptions detecting(std::string target) {
  CsvOptions options;
  options.delimiter = detect_delimiter;
  options.target_column = std::move(target);
  return options;
}

}  // namespace

TEST_CASE("each candidate delimiter is found when the header and rows agree on it", "[csv][delimiter]") {
  CHECK(found("a,b,label\n1,2,x\n3,4,y\n") == ',');
  CHECK(found("a;b;label\n1;2;x\n3;4;y\n") == ';');
  CHECK(found("a\tb\tlabel\n1\t2\tx\n3\t4\ty\n") == '\t');
  CHECK(found("a|b|label\n1|2|x\n3|4|y\n") == '|');
}

TEST_CASE("a European table with decimal commas and semicolons is read on the semicolon", "[csv][delimiter]") {
  // Two commas per row but ragged (1,5 has one), three semicolons on every line: the semicolon.
  CHECK(found("a;b;c;label\n1,5;2;3,25;x\n4;5,5;6;y\n") == ';');
}

TEST_CASE("delimiters inside quotes do not count, quoted line breaks do not end a record", "[csv][delimiter]") {
  CHECK(found("\"name, first\";\"b\";label\n\"x,y\";2;a\n\"multi\nline; here\";3;b\n") == ';');
  CHECK(found("\"a;b\",c\n1,2\n") == ',');
}

TEST_CASE("the candidate giving the most cells wins when two are consistent", "[csv][delimiter]") {
  CHECK(found("a|b,c,d\n1|2,3,4\n5|6,7,8\n") == ',');
}

TEST_CASE("a file that does not tell gives nothing, and the reader falls back as told", "[csv][delimiter]") {
  CHECK_FALSE(bnrun::data::csv::detect_delimiter("label\nx\ny\n").has_value());
  CHECK_FALSE(bnrun::data::csv::detect_delimiter("a,b\n1\n2,3,4\n").has_value());
  CsvOptions options = detecting("");
  options.undetected_delimiter = ';';
  CHECK(parse_csv("only\n1\n2\n", "one.csv", options).delimiter == ';');
}

TEST_CASE("CRLF line ends and blank lines at the end do not change the choice", "[csv][delimiter]") {
  CHECK(found("a;b;label\r\n1;2;x\r\n3;4;y\r\n\r\n\r\n") == ';');
  // Lines of spaces and tabs are blank to the reader, which trims them (found by the CSV fuzzer).
  CHECK(found("a;b;label \r\n1;2;x \r\n \r\n \t\n") == ';');
}

TEST_CASE("a table read with detection equals the table read with the delimiter given", "[csv][delimiter]") {
  const std::string text = "\xEF\xBB\xBF\"sepal; length\";width;species;petal\r\n5.1;3.5;setosa;1.4\r\n4.9;3.0;versicolor;1.3\r\n";
  CsvOptions given = detecting("species");
  given.delimiter = ';';
  const auto detected = parse_csv(text, "bom.csv", detecting("species"));
  const auto expected = parse_csv(text, "bom.csv", given);
  CHECK(detected.delimiter == ';');
  CHECK(detected.feature_names == expected.feature_names);
  CHECK_THAT(detected.feature_names.front(), Equals("sepal; length"));
  CHECK(std::vector<float>(detected.features.begin(), detected.features.end()) ==
        std::vector<float>(expected.features.begin(), expected.features.end()));
}

TEST_CASE("a target missing on the wrong delimiter names the one that splits the header", "[csv][delimiter]") {
  CsvOptions comma;
  comma.target_column = "target";
  try {
    parse_csv("mean radius;mean texture;target\n1;2;0\n3;4;1\n", "cancer.csv", comma);
    FAIL("the target was found");
  } catch (const bnrun::UserError& error) {
    CHECK_THAT(error.what(), Contains("target column 'target' is not in the header split on ','"));
    CHECK_THAT(error.what(), Contains("split on ';' it is one of 3 columns: the file's delimiter is ';'"));
  }
}

TEST_CASE("delimiters are written in configs and options as auto, tab or one character", "[csv][delimiter]") {
  using bnrun::data::delimiter_from_text;
  CHECK(delimiter_from_text("auto") == detect_delimiter);
  CHECK(delimiter_from_text("tab") == '\t');
  CHECK(delimiter_from_text("\\t") == '\t');
  CHECK(delimiter_from_text("\t") == '\t');
  CHECK(delimiter_from_text(";") == ';');
  CHECK_FALSE(delimiter_from_text("\"").has_value());
  CHECK_FALSE(delimiter_from_text(";;").has_value());
  CHECK_FALSE(delimiter_from_text("").has_value());
  CHECK(delimiter_name('\t') == "tab");
  CHECK(delimiter_name('|') == "'|'");
}
