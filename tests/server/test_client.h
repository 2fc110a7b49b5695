// A blocking HTTP/1.1 client for the gateway's tests (one request per connection unless reused).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace occam::testing {

struct ClientResponse {
  int status = 0;  // 0: the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

ClientResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = {},
                            const std::map<std::string, std::string>& headers = {});

inline ClientResponse http_post(uint16_t port, const std::string& target, const std::string& body,
                                const std::map<std::string, std::string>& headers = {}) {
  return http_request(port, "POST", target, body, headers);
}
inline ClientResponse http_get(uint16_t port, const std::string& target,
                               const std::map<std::string, std::string>& headers = {}) {
  return http_request(port, "GET", target, {}, headers);
}

// The body as a JSON object (a test failure, and an empty object, when it is not one).
inline boost::json::object json_body(const ClientResponse& r) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  EXPECT_FALSE(ec) << r.body;
  return v.is_object() ? v.get_object() : boost::json::object{};
}

// An error answer in the OpenAI shape: the status, error.{message,type,param,code}, a message containing
// `part`.
inline void expect_openai_error(const ClientResponse& r, int status, const std::string& part) {
  EXPECT_EQ(r.status, status) << r.body;
  boost::json::object o = json_body(r);
  ASSERT_TRUE(o.contains("error")) << r.body;
  const boost::json::object& e = o["error"].as_object();
  for (const char* key : {"message", "type", "param", "code"})
    EXPECT_TRUE(e.contains(key)) << key << " in " << r.body;
  EXPECT_NE(std::string(e.at("message").as_string()).find(part), std::string::npos) << r.body;
}

// The data payloads of an SSE body, in order.
std::vector<std::string> sse_events(const std::string& body);

}  // namespace occam::testing
