#include <gtest/gtest.h>

#include "expr.h"

using namespace nw;

static AttrValue eval(const std::string& f, const Env& env = {}) {
    ExprResult r = evaluate(f, env);
    if (!r.ok) throw std::runtime_error(r.error);
    return r.value;
}

TEST(Expr, ArithmeticFollowsPrecedence) {
    Env env{{"planes", int64_t{64}}, {"stride", int64_t{2}}};
    EXPECT_EQ(std::get<int64_t>(eval("planes * 4", env)), 256);
    EXPECT_EQ(std::get<int64_t>(eval("1 + 2 * 3 - 4 / 2", env)), 5);
    EXPECT_EQ(std::get<int64_t>(eval("(1 + 2) * 3 % 4")), 1);
    EXPECT_EQ(std::get<int64_t>(eval("-planes + 1", env)), -63);
    EXPECT_DOUBLE_EQ(std::get<double>(eval("planes / 2.5", env)), 25.6);
    EXPECT_EQ(std::get<int64_t>(eval("stride == 2 ? 10 : 20", env)), 10);
}

TEST(Expr, ConditionsAndStrings) {
    Env env{
        {"shortcut", std::string("B")}, {"stride", int64_t{1}}, {"in_channels", int64_t{64}}, {"planes", int64_t{16}}};
    EXPECT_EQ(std::get<bool>(eval("shortcut == \"B\" && (stride != 1 || in_channels != planes * 4)", env)), false);
    EXPECT_EQ(std::get<bool>(eval("shortcut == 'C' || !(stride == 1)", env)), false);
    EXPECT_EQ(std::get<bool>(eval("in_channels >= planes * 4 && true", env)), true);
}

TEST(Expr, ErrorsSayWhatAndWhere) {
    Env env{{"planes", int64_t{64}}};
    ExprResult r = evaluate("plane * 4", env);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("unknown name 'plane' at column 1"), std::string::npos) << r.error;
    EXPECT_NE(evaluate("4 / 0", env).error.find("division by zero"), std::string::npos);
    EXPECT_NE(evaluate("9223372036854775807 + 1", env).error.find("overflow"), std::string::npos);
    EXPECT_NE(evaluate("99999999999999999999", env).error.find("too large"), std::string::npos);
    EXPECT_NE(evaluate("(1 + 2", env).error.find("expected ')'"), std::string::npos);
    EXPECT_NE(evaluate("\"a\" < \"b\"", env).error.find("cannot compare"), std::string::npos);
    EXPECT_FALSE(evaluate("", env).ok);
}

TEST(Expr, HostileNestingIsRefusedNotCrashed) {
    std::string deep(100000, '(');
    ExprResult r = evaluate(deep + "1", {});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("nested too deeply"), std::string::npos);
    EXPECT_FALSE(evaluate(std::string(100000, '-') + "1", {}).ok);
}
