// The one strict JSON parser: repeated keys, nesting and syntax problems are refused with the source named.
#include <catch2/catch.hpp>

#include <string>

#include "core/error.h"
#include "core/json_text.h"

using Catch::Matchers::Contains;

TEST_CASE("a key repeated in one object is refused, naming the key and both places", "[json]") {
  const std::string text = "{\"training\": {\"epochs\": 5, \"batch_size\": 8},\n \"training\": {\"epochs\": 1}}";
  CHECK_THROWS_AS(bnrun::parse_json_text(text, "c.json"), bnrun::UserError);
  CHECK_THROWS_WITH(bnrun::parse_json_text(text, "c.json"),
                    Contains("c.json:2:2: the key \"training\" appears twice in one object, first at line 1:2"));
  CHECK_THROWS_WITH(bnrun::parse_ordered_json_text("{\"a\": {\"b\": 1, \"b\": 2}}", "r.json"),
                    Contains("r.json:1:16: the key \"b\" appears twice in one object, first at line 1:8"));
}

TEST_CASE("a repeated key is found however it is escaped, and keys inside strings do not count", "[json]") {
  CHECK_THROWS_WITH(bnrun::parse_json_text(R"({"s": "\"k\": 1", "k": 1, "\u006b": 2})", "e.json"),
                    Contains("e.json:1:27: the key \"k\" appears twice in one object, first at line 1:19"));
  CHECK_THROWS_WITH(bnrun::parse_json_text(R"({"a": [{"k": 1}, {"k": 2}], "k": 1, "k": 2})", "n.json"),
                    Contains("n.json:1:37: the key \"k\" appears twice in one object, first at line 1:29"));
}

TEST_CASE("the same key in different objects is not a repetition", "[json]") {
  const auto document = bnrun::parse_json_text(R"({"a": {"x": 1}, "b": {"x": 2}, "c": [{"x": 3}, {"x": 4}]})", "f");
  CHECK(document["c"][1]["x"] == 4);
}

TEST_CASE("ordered parsing keeps the file's key order", "[json]") {
  const auto document = bnrun::parse_ordered_json_text(R"({"z": 1, "a": 2})", "f");
  CHECK(document.begin().key() == "z");
}

TEST_CASE("JSON nested deeper than the limit is refused before it is parsed", "[json]") {
  const std::string text = std::string(bnrun::max_json_nesting + 1, '[') + std::string(bnrun::max_json_nesting + 1, ']');
  CHECK_THROWS_WITH(bnrun::parse_json_text(text, "deep.json"), Contains("deep.json:1:65: arrays and objects nest"));
}

TEST_CASE("json_value_of tells JSON values from bare text", "[json]") {
  CHECK(bnrun::json_value_of("64") == nlohmann::json(64));
  CHECK(bnrun::json_value_of("[1, 2]") == nlohmann::json::array({1, 2}));
  CHECK_FALSE(bnrun::json_value_of("sgd").has_value());
  CHECK_FALSE(bnrun::json_value_of("1e999").has_value());
}
