// TimeOrderedLines and the terminal cut: watch's lines in time order within
// the window, late ones marked; ps/tree lines cut to a width (issue 15).
#include "time_ordered_lines.h"

#include <gtest/gtest.h>

#include "console.h"

namespace hupwatch {
namespace {

std::vector<std::string> texts(const std::vector<TimeOrderedLines::Line>& lines) {
    std::vector<std::string> out;
    for (const auto& l : lines) out.push_back(l.text + (l.late ? " (late)" : ""));
    return out;
}

TEST(TimeOrderedLines, SortedWithinTheWindowLateAfterIt) {
    TimeOrderedLines lines(1000);
    lines.add(1090, "b");
    lines.add(1089, "a");                      // another CPU's event, drained second
    lines.add(1090, "c");                      // equal times keep their arrival order
    EXPECT_TRUE(lines.release(2000).empty());  // nothing is 1000 old yet
    EXPECT_EQ(texts(lines.release(2090)), (std::vector<std::string>{"a", "b", "c"}));
    lines.add(1500, "verdict");  // decided after later lines went out
    lines.add(3000, "d");
    EXPECT_EQ(texts(lines.release(2600)), (std::vector<std::string>{"verdict"}));
    lines.add(1200, "older still");
    EXPECT_EQ(texts(lines.release(TimeOrderedLines::kAll)),
              (std::vector<std::string>{"older still (late)", "d"}));
    EXPECT_TRUE(lines.empty());
}

TEST(TerminalCut, CutsEachLineAtTheWidthCountingCharacters) {
    EXPECT_EQ(cut_lines("abcdef\nab\n\nabcd", 4), "abcd\nab\n\nabcd");
    EXPECT_EQ(cut_lines("\xC3\xA9t\xC3\xA9 long\n", 3), "\xC3\xA9t\xC3\xA9\n");
}

}  // namespace
}  // namespace hupwatch
