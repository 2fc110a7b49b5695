// The Prometheus text format: families grouped with HELP/TYPE, cumulative buckets, escaped labels.
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "server/metrics.h"

namespace occam::server {
namespace {

TEST(Metrics, TextFormat) {
  Metrics m;
  m.observe_request("chat", "big", 200, 0.003, 0.0002);
  m.observe_request("chat", "big", 200, 0.2, 0.0004);
  m.observe_request("chat", "big", 504, 12.0, 0.0001);
  m.add_tokens("big", 10, 5, 0.5);
  m.add_error("we\"ird\nmodel\\", "upstream_timeout");
  std::string text = m.render();
  EXPECT_NE(text.find("# TYPE occam_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("occam_requests_total{endpoint=\"chat\",model=\"big\",status=\"200\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("occam_requests_total{endpoint=\"chat\",model=\"big\",status=\"504\"} 1\n"), std::string::npos);
  // Buckets are cumulative: 0.003 falls in le=0.005, 0.2 in le=0.25, 12 only in +Inf.
  EXPECT_NE(text.find("occam_request_duration_seconds_bucket{endpoint=\"chat\",model=\"big\",le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("occam_request_duration_seconds_bucket{endpoint=\"chat\",model=\"big\",le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("occam_request_duration_seconds_bucket{endpoint=\"chat\",model=\"big\",le=\"0.25\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("occam_request_duration_seconds_bucket{endpoint=\"chat\",model=\"big\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("occam_request_duration_seconds_bucket{endpoint=\"chat\",model=\"big\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("occam_request_duration_seconds_count{endpoint=\"chat\",model=\"big\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("occam_overhead_seconds_count{endpoint=\"chat\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("occam_tokens_total{model=\"big\",kind=\"completion\"} 5\n"), std::string::npos);
  EXPECT_NE(text.find("occam_errors_total{model=\"we\\\"ird\\nmodel\\\\\",type=\"upstream_timeout\"} 1\n"), std::string::npos);

  // Every sample line belongs to the family announced by the last TYPE line, and no family repeats.
  std::istringstream lines(text);
  std::string line, family;
  std::set<std::string> families;
  while (std::getline(lines, line)) {
    ASSERT_FALSE(line.empty());
    if (line.rfind("# TYPE ", 0) == 0) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(families.insert(family).second) << family;
      continue;
    }
    if (line[0] == '#') continue;
    EXPECT_EQ(line.rfind(family, 0), 0u) << line;
  }
}

}  // namespace
}  // namespace occam::server
