// The models a workflow calls: the backends of `models:` and the routes of `routes:` (the router).
// A step's route is a route name (its policies and cascade decide), or a model name (pinned).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "backends/backend.h"
#include "core/config.h"
#include "router/router.h"
#include "workflow/step.h"

namespace occam::workflow {

class Models {
 public:
  static Result<std::unique_ptr<Models>> load(const ConfigNode& root, const std::filesystem::path& base_dir);

  bool knows(std::string_view route) const;
  Result<ModelAnswer> call(const std::string& route, const backends::GenerateRequest& request,
                           boost::asio::io_context& io) const;
  // Drops the kept-alive connections that belong to `io` (before it is destroyed).
  void close_idle(boost::asio::io_context& io) const;

 private:
  struct Price {
    double input_per_mtok = 0;
    double output_per_mtok = 0;
  };
  std::map<std::string, std::unique_ptr<backends::Backend>, std::less<>> backends_;
  std::map<std::string, Price, std::less<>> prices_;
  std::unique_ptr<router::Router> router_;
};

}  // namespace occam::workflow
