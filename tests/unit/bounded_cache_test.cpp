// BoundedCache: at most `capacity` keys, the oldest inserted forgotten first.
#include "bounded_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace hupwatch {
namespace {

TEST(BoundedCache, ForgetsTheOldestInsertedKeyWhenFull) {
    BoundedCache<int, std::string> cache(2);
    cache.obtain(1) = "one";
    cache.obtain(2) = "two";
    EXPECT_EQ(cache.obtain(1), "one") << "found, not inserted again";
    cache.obtain(3) = "three";
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.find(1), nullptr) << "inserted first, forgotten first";
    ASSERT_NE(cache.find(2), nullptr);
    EXPECT_EQ(*cache.find(2), "two");
    EXPECT_EQ(*cache.find(3), "three");
    EXPECT_EQ(cache.obtain(1), "") << "read again from scratch";
    EXPECT_EQ(cache.find(2), nullptr);
}

}  // namespace
}  // namespace hupwatch
