// A blocking HTTP/1.1 client for the gateway's tests (one request per connection unless reused).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace occam::testing {

struct ClientResponse {
  int status = 0;  // 0: the connection failed
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string error;
};

ClientResponse http_request(uint16_t port, const std::string& method, const std::string& target,
                            const std::string& body = {}, const std::map<std::string, std::string>& headers = {});

inline ClientResponse http_post(uint16_t port, const std::string& target, const std::string& body,
                                const std::map<std::string, std::string>& headers = {}) {
  return http_request(port, "POST", target, body, headers);
}
inline ClientResponse http_get(uint16_t port, const std::string& target,
                               const std::map<std::string, std::string>& headers = {}) {
  return http_request(port, "GET", target, {}, headers);
}

// The data payloads of an SSE body, in order.
std::vector<std::string> sse_events(const std::string& body);

}  // namespace occam::testing
