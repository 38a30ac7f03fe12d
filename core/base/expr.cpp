#include "expr.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cmath>

namespace nw {
namespace {

// A recursive-descent evaluator. Values are int64, double, bool or string; depth is bounded so a
// hostile formula cannot exhaust the stack.
class Parser {
public:
    Parser(const std::string& s, const Env& env) : s_(s), env_(env) {}

    ExprResult run() {
        AttrValue v = ternary();
        skip();
        if (error_.empty() && pos_ != s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
        if (!error_.empty()) return {false, {}, error_};
        return {true, v, {}};
    }

private:
    const std::string& s_;
    const Env& env_;
    size_t pos_ = 0;
    int depth_ = 0;
    std::string error_;

    void fail(const std::string& msg) {
        if (error_.empty()) error_ = msg + " at column " + std::to_string(pos_ + 1);
    }
    void skip() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    bool eat(const char* tok) {
        skip();
        size_t n = std::char_traits<char>::length(tok);
        if (s_.compare(pos_, n, tok) != 0) return false;
        pos_ += n;
        return true;
    }

    static bool isNumber(const AttrValue& v) {
        return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v) ||
               std::holds_alternative<bool>(v);
    }
    static double asDouble(const AttrValue& v) {
        if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
        if (auto* b = std::get_if<bool>(&v)) return *b;
        return std::get<double>(v);
    }
    static int64_t asInt(const AttrValue& v) {
        if (auto* b = std::get_if<bool>(&v)) return *b;
        return std::get<int64_t>(v);
    }
    static bool isIntLike(const AttrValue& v) {
        return std::holds_alternative<int64_t>(v) || std::holds_alternative<bool>(v);
    }
    bool truth(const AttrValue& v) {
        if (auto* str = std::get_if<std::string>(&v)) return !str->empty();
        if (!isNumber(v)) {
            fail("a list has no truth value");
            return false;
        }
        return asDouble(v) != 0;
    }

    AttrValue ternary() {
        if (++depth_ > 200) {
            fail("formula nested too deeply");
            return int64_t{0};
        }
        AttrValue c = logicalOr();
        if (eat("?")) {
            AttrValue a = ternary();
            if (!eat(":")) fail("expected ':'");
            AttrValue b = ternary();
            c = truth(c) ? a : b;
        }
        --depth_;
        return c;
    }
    AttrValue logicalOr() {
        AttrValue a = logicalAnd();
        while (error_.empty() && eat("||")) {
            AttrValue b = logicalAnd();
            a = truth(a) || truth(b);
        }
        return a;
    }
    AttrValue logicalAnd() {
        AttrValue a = comparison();
        while (error_.empty() && eat("&&")) {
            AttrValue b = comparison();
            a = truth(a) && truth(b);
        }
        return a;
    }
    AttrValue comparison() {
        AttrValue a = additive();
        static const char* ops[] = {"==", "!=", "<=", ">=", "<", ">"};
        for (;;) {
            const char* op = nullptr;
            for (const char* o : ops)
                if (eat(o)) {
                    op = o;
                    break;
                }
            if (!op || !error_.empty()) return a;
            AttrValue b = additive();
            std::string o = op;
            if (std::holds_alternative<std::string>(a) || std::holds_alternative<std::string>(b)) {
                if (a.index() != b.index() || (o != "==" && o != "!=")) {
                    fail("cannot compare " + formatAttrValue(a) + " " + o + " " + formatAttrValue(b));
                    return false;
                }
                bool eq = a == b;
                a = o == "==" ? eq : !eq;
                continue;
            }
            if (!isNumber(a) || !isNumber(b)) {
                fail("cannot compare lists");
                return false;
            }
            double x = asDouble(a), y = asDouble(b);
            a = o == "=="   ? x == y
                : o == "!=" ? x != y
                : o == "<=" ? x <= y
                : o == ">=" ? x >= y
                : o == "<"  ? x < y
                            : x > y;
        }
    }
    AttrValue arithmetic(const AttrValue& a, const AttrValue& b, char op) {
        if (!isNumber(a) || !isNumber(b)) {
            if (op == '+' && std::holds_alternative<std::string>(a) && std::holds_alternative<std::string>(b))
                return std::get<std::string>(a) + std::get<std::string>(b);
            fail(std::string("cannot apply '") + op + "' to " + formatAttrValue(a) + " and " + formatAttrValue(b));
            return int64_t{0};
        }
        if (isIntLike(a) && isIntLike(b)) {
            int64_t x = asInt(a), y = asInt(b), r = 0;
            bool overflow = false;
            switch (op) {
                case '+': overflow = __builtin_add_overflow(x, y, &r); break;
                case '-': overflow = __builtin_sub_overflow(x, y, &r); break;
                case '*': overflow = __builtin_mul_overflow(x, y, &r); break;
                case '/':
                case '%':
                    if (y == 0) {
                        fail("division by zero");
                        return int64_t{0};
                    }
                    if (x == INT64_MIN && y == -1) overflow = true;
                    else r = op == '/' ? x / y : x % y;
                    break;
            }
            if (overflow) fail("integer overflow");
            return r;
        }
        double x = asDouble(a), y = asDouble(b);
        switch (op) {
            case '+': return x + y;
            case '-': return x - y;
            case '*': return x * y;
            case '/': return x / y;
            default: return std::fmod(x, y);
        }
    }
    AttrValue additive() {
        AttrValue a = multiplicative();
        for (;;) {
            skip();
            if (!error_.empty() || pos_ >= s_.size() || (s_[pos_] != '+' && s_[pos_] != '-')) return a;
            char op = s_[pos_++];
            a = arithmetic(a, multiplicative(), op);
        }
    }
    AttrValue multiplicative() {
        AttrValue a = unary();
        for (;;) {
            skip();
            if (!error_.empty() || pos_ >= s_.size() || (s_[pos_] != '*' && s_[pos_] != '/' && s_[pos_] != '%'))
                return a;
            char op = s_[pos_++];
            a = arithmetic(a, unary(), op);
        }
    }
    AttrValue unary() {
        if (++depth_ > 200) {
            fail("formula nested too deeply");
            return int64_t{0};
        }
        AttrValue v;
        if (eat("!")) v = !truth(unary());
        else if (eat("-")) v = arithmetic(int64_t{0}, unary(), '-');
        else v = primary();
        --depth_;
        return v;
    }
    AttrValue primary() {
        skip();
        if (pos_ >= s_.size()) {
            fail("unexpected end of formula");
            return int64_t{0};
        }
        char c = s_[pos_];
        if (c == '(') {
            ++pos_;
            AttrValue v = ternary();
            if (!eat(")")) fail("expected ')'");
            return v;
        }
        if (c == '"' || c == '\'') {
            size_t end = s_.find(c, pos_ + 1);
            if (end == std::string::npos) {
                fail("unterminated string");
                return int64_t{0};
            }
            std::string v = s_.substr(pos_ + 1, end - pos_ - 1);
            pos_ = end + 1;
            return v;
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t start = pos_;
            while (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) ++pos_;
            std::string num = s_.substr(start, pos_ - start);
            errno = 0;
            if (num.find('.') != std::string::npos) return std::strtod(num.c_str(), nullptr);
            long long v = std::strtoll(num.c_str(), nullptr, 10);
            if (errno == ERANGE) fail("number too large");
            return static_cast<int64_t>(v);
        }
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            size_t start = pos_;
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
            std::string name = s_.substr(start, pos_ - start);
            if (name == "true") return true;
            if (name == "false") return false;
            auto it = env_.find(name);
            if (it == env_.end()) {
                pos_ = start;
                fail("unknown name '" + name + "'");
                return int64_t{0};
            }
            return it->second;
        }
        fail("unexpected '" + std::string(1, c) + "'");
        return int64_t{0};
    }
};

}  // namespace

ExprResult evaluate(const std::string& formula, const Env& env) { return Parser(formula, env).run(); }

}  // namespace nw
