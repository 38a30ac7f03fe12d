#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "name_index.h"

using nw::NameIndex;

TEST(NameIndex, FindsEveryNameAfterGrowingAndKeepsTheFirstOfDuplicates) {
    std::vector<std::string> names;
    names.reserve(5000);
    for (int i = 0; i < 5000; ++i) names.push_back("layer" + std::to_string(i % 97) + "." + std::to_string(i));
    NameIndex index;  // starts small: inserting forces several rehashes
    for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(index.insert(names[i], static_cast<int>(i)), -1);
    EXPECT_EQ(index.size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) ASSERT_EQ(index.find(names[i]), static_cast<int>(i)) << names[i];
    EXPECT_EQ(index.insert(names[42], 9999), 42);
    EXPECT_EQ(index.find(names[42]), 42);
    EXPECT_EQ(index.find("layer0"), -1);
    EXPECT_EQ(index.find(""), -1);
}
