#include "workflow/tools.h"

#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "backends/http_client.h"
#include "backends/json_schema.h"
#include "core/file.h"
#include "workflow/run_sync.h"
#include "workflow/template.h"

namespace occam::workflow {

namespace json = boost::json;

Result<std::shared_ptr<const ToolDef>> parse_tool(const std::string& name, const ConfigNode& node,
                                                  const std::vector<std::string>& allow_urls,
                                                  const std::filesystem::path& base_dir) {
  if (!node.is_map()) return node.error("tool '{}': expected a map with 'url' or 'builtin'", name);
  OCCAM_TRY(node.check_keys({"description", "parameters", "url", "builtin", "table", "key", "timeout_ms"}));
  auto tool = std::make_shared<ToolDef>();
  tool->name = name;
  OCCAM_ASSIGN_OR_RETURN(tool->description, node.get_string("description", ""));
  OCCAM_ASSIGN_OR_RETURN(tool->url, node.get_string("url", ""));
  OCCAM_ASSIGN_OR_RETURN(tool->builtin, node.get_string("builtin", ""));
  OCCAM_ASSIGN_OR_RETURN(int64_t timeout, node.get_int("timeout_ms", 10000, 1, 600000));
  tool->timeout = std::chrono::milliseconds(timeout);
  if (node.child("parameters").present()) {
    OCCAM_ASSIGN_OR_RETURN(tool->parameters, config_to_json(node.child("parameters")));
    if (auto st = backends::check_schema(tool->parameters, "parameters"); !st.ok()) {
      return node.child("parameters").error("{}", st.error().message());
    }
  } else {
    tool->parameters = json::object{{"type", "object"}};
  }
  if (tool->url.empty() == tool->builtin.empty())
    return node.error("tool '{}': give exactly one of 'url' or 'builtin'", name);
  if (!tool->url.empty()) {
    bool allowed = false;
    for (const std::string& prefix : allow_urls) allowed = allowed || tool->url.starts_with(prefix);
    if (!allowed)
      return node.child("url").error("tool '{}': URL '{}' is not under any of allow_urls", name, tool->url);
    auto endpoint = backends::HttpEndpoint::parse(tool->url);
    if (!endpoint.ok()) return node.child("url").error("{}", endpoint.error().message());
    tool->client = std::make_shared<backends::HttpClient>(std::move(*endpoint), 8);
    return std::shared_ptr<const ToolDef>(std::move(tool));
  }
  if (tool->builtin == "lookup") {
    OCCAM_ASSIGN_OR_RETURN(ConfigNode table, node.require("table"));
    OCCAM_ASSIGN_OR_RETURN(std::string file, table.as_string());
    std::filesystem::path path = base_dir / file;
    auto text = read_file(path);
    if (!text.ok()) return table.error("{}", text.error().message());
    boost::system::error_code ec;
    tool->table = json::parse(*text, ec);
    if (ec || !tool->table.is_object())
      return table.error("'{}' is not a JSON object keyed by the lookup key", path.string());
    OCCAM_ASSIGN_OR_RETURN(ConfigNode key, node.require("key"));
    OCCAM_ASSIGN_OR_RETURN(tool->key_argument, key.as_string());
  } else if (tool->builtin != "echo") {
    return node.child("builtin").error("tool '{}': unknown builtin '{}' (known: lookup, echo)", name,
                                       tool->builtin);
  }
  return std::shared_ptr<const ToolDef>(std::move(tool));
}

namespace {

Result<json::value> invoke_builtin(const ToolDef& tool, const json::value& arguments) {
  if (tool.builtin == "echo") return arguments;
  const json::value* key = arguments.as_object().if_contains(tool.key_argument);
  if (key == nullptr)
    return make_error(ErrorCode::invalid_argument, "tool '{}': missing argument '{}'", tool.name,
                      tool.key_argument);
  std::string k = key->is_string() ? std::string(key->get_string()) : json::serialize(*key);
  const json::value* row = tool.table.as_object().if_contains(k);
  if (row == nullptr) return json::value(json::object{{"found", false}, {"key", k}});
  return json::value(json::object{{"found", true}, {"key", k}, {"value", *row}});
}

backends::Task<Result<json::value>> invoke_http(const ToolDef& tool, std::string body, std::string key) {
  backends::HttpTimeouts timeouts;
  timeouts.connect = std::min(tool.timeout, std::chrono::milliseconds(5000));
  timeouts.first_byte = tool.timeout;
  timeouts.total = tool.timeout;
  int status = 0;
  std::string answer;
  backends::HttpHandlers handlers;
  handlers.on_head = [&](const backends::HttpResponseHead& head) {
    status = head.status;
    return ok_status();
  };
  handlers.on_body = [&](std::string_view piece) -> backends::Task<Status> {
    if (answer.size() + piece.size() > (size_t{16} << 20)) {
      co_return make_error(ErrorCode::resource_exhausted, "tool answer larger than 16 MiB");
    }
    answer.append(piece);
    co_return ok_status();
  };
  std::vector<std::pair<std::string, std::string>> headers = {{"Idempotency-Key", key}};
  Status st = co_await tool.client->post("", std::move(body), headers, timeouts, handlers, nullptr);
  if (!st.ok()) co_return Error(st.error()).with_context(fmt::format("tool '{}' ({})", tool.name, tool.url));
  if (status < 200 || status >= 300) {
    co_return make_error(status >= 400 && status < 500 ? ErrorCode::invalid_argument : ErrorCode::unavailable,
                         "tool '{}' ({}) answered {}: {}", tool.name, tool.url, status,
                         answer.substr(0, 300));
  }
  boost::system::error_code ec;
  json::value v = json::parse(answer, ec);
  if (ec) co_return json::value(answer);
  co_return v;
}

}  // namespace

Result<json::value> invoke_tool(const ToolDef& tool, const json::value& arguments,
                                const std::string& idempotency_key, boost::asio::io_context& io) {
  if (!arguments.is_object())
    return make_error(ErrorCode::invalid_argument, "tool '{}': arguments must be an object", tool.name);
  if (auto st = backends::validate_json(arguments, tool.parameters); !st.ok()) {
    return Error(st.error()).with_context(fmt::format("tool '{}': arguments", tool.name));
  }
  if (!tool.builtin.empty()) return invoke_builtin(tool, arguments);
  return run_sync(io, invoke_http(tool, json::serialize(arguments), idempotency_key));
}

}  // namespace occam::workflow
