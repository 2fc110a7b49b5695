#include "core/error.h"

#include <gtest/gtest.h>

namespace occam {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(ErrorCode::invalid_argument, "'{}' is not a digit", c);
  return c - '0';
}

Result<int> sum_digits(std::string_view text) {
  int sum = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto digit = parse_digit(text[i]);
    if (!digit.ok()) return std::move(digit).error().with_context(fmt::format("at index {}", i));
    sum += *digit;
  }
  return sum;
}

Status check_positive(int value) {
  if (value <= 0) return make_error(ErrorCode::invalid_argument, "{} is not positive", value);
  return ok_status();
}

Result<int> doubled_sum(std::string_view text) {
  OCCAM_ASSIGN_OR_RETURN(int sum, sum_digits(text));
  OCCAM_TRY(check_positive(sum));
  return sum * 2;
}

TEST(Error, ValueAndErrorPropagate) {
  EXPECT_EQ(*doubled_sum("123"), 12);
  auto bad = doubled_sum("1x3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(bad.error().message(), "at index 1: 'x' is not a digit");
  auto zero = doubled_sum("00");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message(), "0 is not positive");
}

TEST(Error, CodesHaveNames) {
  EXPECT_EQ(to_string(ErrorCode::not_found), "not_found");
  EXPECT_EQ(to_string(ErrorCode::timeout), "timeout");
}

}  // namespace
}  // namespace occam
