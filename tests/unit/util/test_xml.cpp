#include "llmbench/util/xml.hpp"

#include <gtest/gtest.h>

TEST(Xml, EscapesMarkupCharacters) {
  EXPECT_EQ(llmbench::util::xml_escape(R"(a<b>&"c")"), "a&lt;b&gt;&amp;&quot;c&quot;");
  EXPECT_EQ(llmbench::util::xml_escape("plain é"), "plain é");
}
