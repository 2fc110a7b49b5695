// A throwaway PostgreSQL 15 cluster on 127.0.0.1 (free port) for the run store tests: initdb + pg_ctl in
// a temp folder, as user `nobody` when the tests run as root (postgres refuses root). Unavailable (the
// tests skip) when the binaries are missing.
#pragma once

#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace occam::workflow::testing {

class PostgresCluster {
 public:
  PostgresCluster() {
    const std::string bin = "/usr/lib/postgresql/15/bin";
    if (!std::filesystem::exists(bin + "/initdb")) {
      why_ = "no " + bin + "/initdb";
      return;
    }
    char tmpl[] = "/tmp/occam-pg-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      why_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    std::string as = ::geteuid() == 0 ? "runuser -u nobody -- " : "";
    if (::geteuid() == 0 && std::system(fmt::format("chown nobody {}", dir_).c_str()) != 0) {
      why_ = "chown failed";
      return;
    }
    port_ = free_port();
    std::string init = fmt::format("{}{}/initdb -D {}/data -A trust -U occam --no-sync >{}/initdb.log 2>&1", as, bin,
                                   dir_, dir_);
    if (std::system(init.c_str()) != 0) {
      why_ = "initdb failed (" + dir_ + "/initdb.log)";
      return;
    }
    std::string start = fmt::format(
        "{}{}/pg_ctl -D {}/data -l {}/server.log -w -o \"-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off\" "
        "start >/dev/null 2>&1",
        as, bin, dir_, dir_, port_, dir_);
    if (std::system(start.c_str()) != 0) {
      why_ = "pg_ctl start failed (" + dir_ + "/server.log)";
      return;
    }
    stop_cmd_ = fmt::format("{}{}/pg_ctl -D {}/data -m immediate -w stop >/dev/null 2>&1", as, bin, dir_);
    running_ = true;
  }
  ~PostgresCluster() {
    if (running_) (void)std::system(stop_cmd_.c_str());
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  bool running() const { return running_; }
  const std::string& why_not() const { return why_; }
  std::string url() const { return fmt::format("postgresql://occam@127.0.0.1:{}/postgres", port_); }

 private:
  static int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }

  std::string dir_, why_, stop_cmd_;
  int port_ = 0;
  bool running_ = false;
};

// One cluster for the whole test program (starting one costs about a second).
inline PostgresCluster& shared_postgres() {
  static PostgresCluster cluster;
  return cluster;
}

}  // namespace occam::workflow::testing
