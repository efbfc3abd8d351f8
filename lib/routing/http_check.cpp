// HTTP checks on libcurl (loaded on first use, like libssh): a GET sent to a
// given address whatever the name resolves to, with a connect timeout.
#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <tuple>
#include <thread>

#include "core/library.hpp"
#include "routing/routing.hpp"

namespace hostctl::routing {
namespace {

#define HOSTCTL_LIBCURL_FUNCTIONS(X) \
  X(curl_easy_cleanup)               \
  X(curl_easy_getinfo)               \
  X(curl_easy_init)                  \
  X(curl_easy_perform)               \
  X(curl_easy_setopt)                \
  X(curl_easy_strerror)              \
  X(curl_global_init)                \
  X(curl_slist_append)               \
  X(curl_slist_free_all)

constexpr const char* kLibCurl = "libcurl.so.4";

struct LibCurl {
#define HOSTCTL_DECLARE(name) decltype(&::name) name = nullptr;
  HOSTCTL_LIBCURL_FUNCTIONS(HOSTCTL_DECLARE)
#undef HOSTCTL_DECLARE
};

const LibCurl& libcurl() {
  static const LibCurl api = [] {
    void* handle = load_library(kLibCurl, "libcurl4");
    LibCurl loaded;
#define HOSTCTL_RESOLVE(name) \
  loaded.name = reinterpret_cast<decltype(&::name)>(library_symbol(handle, kLibCurl, #name));
    HOSTCTL_LIBCURL_FUNCTIONS(HOSTCTL_RESOLVE)
#undef HOSTCTL_RESOLVE
    loaded.curl_global_init(CURL_GLOBAL_DEFAULT);
    return loaded;
  }();
  return api;
}

constexpr size_t kMaxBody = 1 << 20;

size_t keep_body(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  size_t n = size * count;
  body->append(data, std::min(n, kMaxBody - std::min(kMaxBody, body->size())));
  return n;
}

}  // namespace

HttpAnswer http_get(const Endpoint& at, const std::string& host, const std::string& path) {
  const std::string& address = at.address;
  const int port = at.port;
  const LibCurl& c = libcurl();
  HttpAnswer answer;
  CURL* curl = c.curl_easy_init();
  if (!curl) {
    answer.error = "cannot start an HTTP request";
    return answer;
  }
  std::string url = fmt::format("{}://{}:{}{}", at.tls ? "https" : "http", host, port, path.empty() ? "/" : path);
  // The request goes to ADDRESS, with HOST in the Host header.
  curl_slist* resolve = c.curl_slist_append(nullptr, fmt::format("{}:{}:{}", host, port, address).c_str());
  c.curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  c.curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  c.curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  c.curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  c.curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  c.curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  c.curl_easy_setopt(curl, CURLOPT_USERAGENT, "hostctl");
  // HTTPS: the chain and the name are verified, against the configured CAs when set.
  if (at.tls && !at.ca_bundle.empty()) c.curl_easy_setopt(curl, CURLOPT_CAINFO, at.ca_bundle.c_str());
  c.curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
  c.curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
  CURLcode rc = c.curl_easy_perform(curl);
  if (rc == CURLE_OK) {
    long status = 0;
    c.curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    answer.status = static_cast<int>(status);
  } else {
    answer.error = fmt::format("{} from {}:{}", c.curl_easy_strerror(rc), address, port);
  }
  c.curl_easy_cleanup(curl);
  c.curl_slist_free_all(resolve);
  return answer;
}

std::string http_get_check(const catalog::Catalog& catalog, const Endpoint& at, const std::string& domain,
                           const HttpCheck& check, int stable) {
  if (catalog.dry_run()) return {};
  const std::string scheme = at.tls ? "https" : "http";
  std::string error;
  // Poll briskly for the first good answer; further ones (when the reload was
  // not confirmed) are spaced 100 ms apart, since an old worker was measured
  // still answering 95 ms after the first new answer.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int good = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpAnswer answer = http_get(at, domain, check.path);
    bool status_ok = check.expect ? answer.status == check.expect : answer.status >= 200 && answer.status < 400;
    if (status_ok && answer.body.find(check.contains) != std::string::npos) {
      if (++good >= stable) return {};
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    good = 0;
    if (answer.status < 0)
      error = answer.error;
    else if (!status_ok)
      error = fmt::format("HTTP {} for {}://{}{} from {}:{}{}", answer.status, scheme, domain, check.path, at.address,
                          at.port, check.expect ? fmt::format(" (expected {})", check.expect) : "");
    else
      error = fmt::format("the page at {}://{}{} from {}:{} lacks '{}'", scheme, domain, check.path, at.address,
                          at.port, check.contains);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return error;
}

std::string http_check(const catalog::Catalog& catalog, const model::Host& router, const Route& route,
                       const std::string& ca_bundle, int stable) {
  Endpoint at;
  std::tie(at.address, at.port) = route.https ? model::https_endpoint(router) : model::http_endpoint(router);
  at.tls = route.https;
  at.ca_bundle = ca_bundle;
  HttpCheck check;
  check.path = route.path + "/";
  if (!route.site_enabled) check.expect = 503;
  return http_get_check(catalog, at, route.domain, check, stable);
}

}  // namespace hostctl::routing
