#include <gtest/gtest.h>

#include "smartspec/util/json.hpp"
#include "smartspec/util/result.hpp"
#include "smartspec/util/text.hpp"

namespace smartspec {
namespace {

TEST(Text, SplitLinesDropsCrAndNumbers) {
  auto lines = text::split_lines("a\r\nb\n\nc");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a");
  EXPECT_EQ(lines[1].text, "b");
  EXPECT_EQ(lines[2].text, "");
  EXPECT_EQ(lines[3].text, "c");
  EXPECT_EQ(lines[3].number, 4);
}

TEST(Text, InvalidUtf8OffsetAndLine) {
  std::string s = "ok\nfine\n\xff bad";
  EXPECT_EQ(text::invalid_utf8_offset(s), 8u);
  auto r = text::require_utf8(s, "x.md");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "x.md:3: invalid UTF-8");
  EXPECT_EQ(text::invalid_utf8_offset("h\xc3\xa9llo \xe2\x9c\x85"), std::string_view::npos);
  EXPECT_NE(text::invalid_utf8_offset("\xc0\xaf"), std::string_view::npos);  // overlong
  EXPECT_NE(text::invalid_utf8_offset("\xed\xa0\x80"), std::string_view::npos);  // surrogate
}

TEST(Text, StripBom) { EXPECT_EQ(text::strip_bom("\xEF\xBB\xBFhi"), "hi"); }

TEST(Text, CrlfToLfKeepsLoneCarriageReturns) {
  EXPECT_EQ(text::crlf_to_lf("a\r\nb\rc\r\r\nd\r"), "a\nb\rc\r\nd\r");
  EXPECT_EQ(text::crlf_to_lf(""), "");
  EXPECT_EQ(text::crlf_to_lf("\n\r\n"), "\n\n");
}

TEST(Text, ReadFileErrorsNameTheFile) {
  auto r = text::read_file("/nonexistent/zz");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().to_string(), "/nonexistent/zz: no such file");
  auto d = text::read_file("/");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().to_string(), "/: is a directory, not a file");
}

TEST(Json, WritesNestedDocument) {
  JsonWriter w;
  w.begin_object().field("a", 1).key("b").begin_array().value("x\"y").value(true).end_array();
  w.key("c").begin_object().end_object().key("d").null().end_object();
  EXPECT_EQ(w.str(),
            "{\n  \"a\": 1,\n  \"b\": [\n    \"x\\\"y\",\n    true\n  ],\n  \"c\": {},\n  \"d\": null\n}\n");
}

}  // namespace
}  // namespace smartspec
