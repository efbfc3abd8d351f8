// A minimal HTTP/1.0 GET over a socket, enough to confirm a route is served.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "routing/routing.hpp"

namespace hostctl::routing {
namespace {

// Status code of GET, or -1 with `error` set.
int get_status(const std::string& address, int port, const std::string& host, const std::string& path,
               std::string& error) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(address.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    error = fmt::format("cannot resolve '{}'", address);
    return -1;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = fd < 0 ? -1 : ::connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) {
    error = fmt::format("cannot connect to {}:{}: {}", address, port, strerror(errno));
    if (fd >= 0) ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: hostctl\r\nConnection: close\r\n\r\n",
                                    path.empty() ? "/" : path + "/", host);
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  char buf[256];
  ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n <= 12) {
    error = fmt::format("no HTTP answer from {}:{}", address, port);
    return -1;
  }
  buf[n] = 0;
  int status = 0;
  if (std::sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1) {
    error = "not an HTTP answer";
    return -1;
  }
  return status;
}

}  // namespace

std::string http_check(const model::Host& router, const Route& route, int stable) {
  auto [address, port] = model::http_endpoint(router);
  return http_get_check(address, port, route.domain, route.path, stable);
}

std::string http_get_check(const std::string& address, int port, const std::string& domain, const std::string& path,
                           int stable) {
  std::string error;
  // Poll briskly for the first good answer; further ones (when the reload was
  // not confirmed) are spaced 100 ms apart, since an old worker was measured
  // still answering 95 ms after the first new answer.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int good = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = get_status(address, port, domain, path, error);
    if (status >= 200 && status < 400) {
      if (++good >= stable) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    good = 0;
    if (status > 0)
      error = fmt::format("HTTP {} for http://{}{}/ from {}:{}", status, domain, path, address, port);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return error;
}

}  // namespace hostctl::routing
