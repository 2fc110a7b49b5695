// Tools a workflow may call: an HTTP endpoint on the workflow's allow-list (POST of the arguments as JSON,
// with an `Idempotency-Key` header) or a built-in (`lookup` in a JSON table, `echo`). Declared once under
// `tools:` of a workflow file; used by `tool` steps and by agents.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/value.hpp>

#include "core/config.h"
#include "core/error.h"

namespace occam::backends {
class HttpClient;
}

namespace occam::workflow {

struct ToolDef {
  std::string name;
  std::string description;
  boost::json::value parameters;  // JSON schema of the arguments (object), checked before each call
  std::string url;                // HTTP tool
  std::string builtin;            // or a built-in: lookup, echo
  boost::json::value table;       // lookup: the table (an object keyed by the lookup key)
  std::string key_argument;       // lookup: which argument holds the key
  std::chrono::milliseconds timeout{10000};
  std::shared_ptr<backends::HttpClient> client;
};

// Reads one `tools:` entry; `allow_urls` are the URL prefixes HTTP tools may use.
Result<std::shared_ptr<const ToolDef>> parse_tool(const std::string& name, const ConfigNode& node,
                                                  const std::vector<std::string>& allow_urls,
                                                  const std::filesystem::path& base_dir);

// Calls the tool once. HTTP: 2xx answers are the result (JSON, or a string when not JSON); other statuses
// and network failures are errors (unavailable, or invalid_argument for 4xx).
Result<boost::json::value> invoke_tool(const ToolDef& tool, const boost::json::value& arguments,
                                       const std::string& idempotency_key, boost::asio::io_context& io);

}  // namespace occam::workflow
