#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "model/pattern.hpp"
#include "model/validate.hpp"
#include "service/plan.hpp"

namespace hostctl::service {
namespace {

constexpr size_t kMaxYamlBytes = 1 << 20;
constexpr size_t kMaxScriptBytes = 1 << 20;
constexpr int kMaxNesting = 32;

// Character classes for the loader's small grammars. Plain loops, not std::regex:
// every command that reads a stored service loads it, and compiling the regexes
// cost more than parsing the YAML.
bool digit(char c) { return c >= '0' && c <= '9'; }
bool lower(char c) { return c >= 'a' && c <= 'z'; }
bool upper(char c) { return c >= 'A' && c <= 'Z'; }

// `first` then up to max_len - 1 characters of `rest`.
template <class First, class Rest>
bool word(std::string_view s, size_t max_len, First first, Rest rest) {
  if (s.empty() || s.size() > max_len || !first(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), rest);
}

bool is_money(std::string_view s) {  // 5, 5.0, 12.50
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 9 || !std::all_of(whole.begin(), whole.end(), digit)) return false;
  if (dot == std::string_view::npos) return true;
  std::string_view cents = s.substr(dot + 1);
  return !cents.empty() && cents.size() <= 2 && std::all_of(cents.begin(), cents.end(), digit);
}

bool is_param_name(std::string_view s) {
  return word(s, 40, lower, [](char c) { return lower(c) || digit(c) || c == '_'; });
}

bool is_task_name(std::string_view s) {
  return word(s, 63, [](char c) { return lower(c) || digit(c); },
              [](char c) { return lower(c) || digit(c) || c == '_' || c == '-'; });
}

// Relative: segments of [A-Za-z0-9_][A-Za-z0-9_.-]* joined by '/', no "..".
bool is_safe_script_path(std::string_view path) {
  if (path.find("..") != std::string_view::npos) return false;
  auto head = [](char c) { return upper(c) || lower(c) || digit(c) || c == '_'; };
  auto tail = [&](char c) { return head(c) || c == '.' || c == '-'; };
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    if (!word(path.substr(start, slash - start), std::string_view::npos, head, tail)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

// Walks the document, collecting problems with their places.
class Checker {
 public:
  Checker(LoadResult& out, const ScriptReader& read) : out_(out), read_(read) {}

  void problem(const YAML::Node& at, std::string message) {
    auto mark = at.Mark();
    out_.problems.push_back({mark.line + 1, mark.column + 1, std::move(message)});
  }

  // yaml-cpp keeps both entries of a repeated key and lookups see only the first:
  // refuse the file rather than guess which one the author meant.
  void unique_keys(const YAML::Node& node, const std::string& what) {
    std::set<std::string> seen;
    for (const auto& item : node)
      if (item.first.IsScalar() && !seen.insert(item.first.Scalar()).second)
        problem(item.first, fmt::format("key '{}' appears twice in {}", item.first.Scalar(), what));
  }

  // Keys outside `allowed` are reported; returns false when `node` is not a mapping.
  bool mapping(const YAML::Node& node, const std::string& what, std::initializer_list<const char*> allowed) {
    if (!node.IsMap()) {
      problem(node, fmt::format("{} must be a mapping", what));
      return false;
    }
    unique_keys(node, what);
    for (const auto& item : node) {
      std::string key = item.first.IsScalar() ? item.first.Scalar() : "?";
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; }))
        problem(item.first, fmt::format("unknown key '{}' in {}", key, what));
    }
    return true;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      problem(node, fmt::format("{} must be a single value", what));
      return std::nullopt;
    }
    if (auto p = model::check_text(node.Scalar(), 65536); !p.empty()) {
      problem(node, fmt::format("{} {}", what, p));
      return std::nullopt;
    }
    return node.Scalar();
  }

  // Like scalar() but lets newlines and tabs through, for shell text.
  std::optional<std::string> shell(const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) {
      problem(node, fmt::format("{} must be text", what));
      return std::nullopt;
    }
    const std::string& s = node.Scalar();
    for (char c : s)
      if (c == '\0') {
        problem(node, fmt::format("{} must not contain NUL bytes", what));
        return std::nullopt;
      }
    return s;
  }

  template <class Check>
  bool checked(const YAML::Node& node, const std::string& what, Check check) {
    auto value = scalar(node, what);
    if (!value) return false;
    if (auto p = check(*value); !p.empty()) {
      problem(node, fmt::format("{} {}", what, p));
      return false;
    }
    return true;
  }

  void count(const YAML::Node& node, const std::string& what, int64_t& out) {
    checked(node, what, [&](const std::string& v) { return model::check_count(v, out); });
  }

  void duration(const YAML::Node& node, const std::string& what, int64_t& out) {
    checked(node, what, [&](const std::string& v) { return model::check_duration(v, out); });
  }

  void boolean(const YAML::Node& node, const std::string& what, bool& out) {
    auto v = scalar(node, what);
    if (!v) return;
    if (*v == "true" || *v == "false")
      out = *v == "true";
    else
      problem(node, fmt::format("{} must be true or false", what));
  }

  void top(const YAML::Node& root) {
    if (!mapping(root, "the service", {"name", "version", "description", "price", "params", "placement",
                                       "reserve", "timeout", "schedule", "serve", "check", "database", "actions"}))
      return;
    Plan& plan = out_.plan;
    if (!root["name"])
      problem(root, "missing required key 'name'");
    else if (checked(root["name"], "name", model::check_name))
      plan.name = root["name"].Scalar();
    if (!root["version"]) {
      problem(root, "missing required key 'version'");
    } else {
      count(root["version"], "version", plan.version);
      if (root["version"].IsScalar() && plan.version < 1 && model::is_all_digits(root["version"].Scalar()))
        problem(root["version"], "version must be 1 or more");
    }
    if (root["description"])
      if (auto d = scalar(root["description"], "description")) plan.description = *d;
    if (root["price"]) price(root["price"]);
    if (root["params"]) params(root["params"]);
    if (root["placement"]) placement(root["placement"]);
    if (root["reserve"]) reserve(root["reserve"]);
    if (root["timeout"]) duration(root["timeout"], "timeout", plan.timeout);
    if (root["schedule"]) schedule(root["schedule"]);
    if (root["serve"]) serve(root["serve"]);
    if (root["check"]) check(root["check"]);
    if (root["database"]) database(root["database"]);
    if (!root["actions"])
      problem(root, "missing required key 'actions'");
    else
      actions(root["actions"]);
  }

  void price(const YAML::Node& node) {
    if (!mapping(node, "price", {"monthly", "currency"})) return;
    if (node["monthly"]) {
      if (auto v = scalar(node["monthly"], "price.monthly")) {
        if (is_money(*v))
          out_.plan.price_monthly = std::stod(*v);
        else
          problem(node["monthly"], "price.monthly must be an amount such as 5 or 5.00");
      }
    }
    out_.plan.currency = "EUR";
    if (node["currency"]) {
      if (auto v = scalar(node["currency"], "price.currency")) {
        if (v->size() == 3 && std::all_of(v->begin(), v->end(), upper))
          out_.plan.currency = *v;
        else
          problem(node["currency"], "price.currency must be a three-letter code such as EUR");
      }
    }
  }

  void params(const YAML::Node& node) {
    if (!node.IsMap()) return problem(node, "params must be a mapping of parameter names");
    unique_keys(node, "params");
    for (const auto& item : node) {
      Param p;
      auto name = scalar(item.first, "a parameter name");
      if (!name) continue;
      if (!is_param_name(*name)) {
        problem(item.first, fmt::format("parameter name '{}' must match [a-z][a-z0-9_]*", *name));
        continue;
      }
      p.name = *name;
      const YAML::Node& spec = item.second;
      std::string what = "params." + p.name;
      if (!mapping(spec, what, {"default", "pattern", "secret", "required", "description", "generate"})) continue;
      if (spec["default"])
        if (auto d = scalar(spec["default"], what + ".default")) p.default_value = *d;
      if (spec["pattern"]) {
        if (auto pat = scalar(spec["pattern"], what + ".pattern")) {
          if (auto why = model::check_pattern(*pat); !why.empty())
            problem(spec["pattern"], fmt::format("{}.pattern {}", what, why));
          else if (p.pattern = *pat; spec["default"] && !model::matches_pattern(p.default_value, p.pattern))
            problem(spec["default"], fmt::format("{}.default does not match its pattern", what));
        }
      }
      if (spec["secret"]) boolean(spec["secret"], what + ".secret", p.secret);
      if (spec["required"]) boolean(spec["required"], what + ".required", p.required);
      if (spec["generate"]) boolean(spec["generate"], what + ".generate", p.generate);
      if (p.generate && !p.secret) problem(spec["generate"], fmt::format("{}.generate needs secret: true", what));
      if (spec["description"]) scalar(spec["description"], what + ".description");
      out_.plan.params.push_back(p);
    }
  }

  void placement(const YAML::Node& node) {
    if (!mapping(node, "placement", {"roles"})) return;
    if (!node["roles"]) return;
    if (!node["roles"].IsSequence() || node["roles"].size() == 0)
      return problem(node["roles"], "placement.roles must be a non-empty list such as [web]");
    out_.plan.roles.clear();
    for (const auto& role : node["roles"])
      if (checked(role, "placement role", model::check_role)) out_.plan.roles.push_back(role.Scalar());
  }

  void reserve(const YAML::Node& node) {
    if (!mapping(node, "reserve", {"size", "minimum", "max_age", "window", "from_site"})) return;
    Reserve& r = out_.plan.reserve;
    if (node["size"]) count(node["size"], "reserve.size", r.size);
    if (node["minimum"]) count(node["minimum"], "reserve.minimum", r.minimum);
    if (node["max_age"]) duration(node["max_age"], "reserve.max_age", r.max_age);
    if (node["window"] && checked(node["window"], "reserve.window", model::check_window))
      r.window = node["window"].Scalar();
    if (node["from_site"] && checked(node["from_site"], "reserve.from_site", model::check_name))
      r.from_site = node["from_site"].Scalar();
    if (r.minimum > r.size) problem(node, "reserve.minimum must not exceed reserve.size");
  }

  void schedule(const YAML::Node& node) {
    if (!mapping(node, "schedule", {"cron", "backup", "stats", "keep_backups", "backup_max_age"})) return;
    Schedule& s = out_.plan.schedule;
    if (node["cron"]) duration(node["cron"], "schedule.cron", s.cron);
    if (node["backup"]) duration(node["backup"], "schedule.backup", s.backup);
    if (node["stats"]) duration(node["stats"], "schedule.stats", s.stats);
    if (node["keep_backups"]) count(node["keep_backups"], "schedule.keep_backups", s.keep_backups);
    if (node["backup_max_age"]) duration(node["backup_max_age"], "schedule.backup_max_age", s.backup_max_age);
  }

  // serve: {static: DIR}, {php: {root: DIR, front_controller: FILE}} or
  // {http: {socket: FILE}}; paths relative to the deployment.
  void serve(const YAML::Node& node) {
    if (!mapping(node, "serve", {"static", "php", "http"})) return;
    if (int(bool(node["static"])) + int(bool(node["php"])) + int(bool(node["http"])) != 1)
      return problem(node, "serve needs exactly one of 'static', 'php' and 'http'");
    Serve& s = out_.plan.serve;
    if (node["static"]) {
      s.kind = ServeKind::Static;
      if (auto root = relative_path(node["static"], "serve.static")) s.root = *root;
      return;
    }
    if (node["php"]) {
      s.kind = ServeKind::Php;
      const YAML::Node& php = node["php"];
      if (!mapping(php, "serve.php", {"root", "front_controller"})) return;
      if (php["root"])
        if (auto root = relative_path(php["root"], "serve.php.root")) s.root = *root;
      if (php["front_controller"])
        if (auto front = relative_path(php["front_controller"], "serve.php.front_controller")) {
          if (front->size() < 5 || front->substr(front->size() - 4) != ".php" || front->find('/') != std::string::npos)
            return problem(php["front_controller"], "serve.php.front_controller must be a .php file in the root");
          s.front_controller = *front;
        }
      return;
    }
    s.kind = ServeKind::Http;
    const YAML::Node& http = node["http"];
    if (!mapping(http, "serve.http", {"socket"})) return;
    if (!http["socket"]) return problem(http, "serve.http needs 'socket', the application's Unix socket");
    if (auto socket = relative_path(http["socket"], "serve.http.socket")) s.socket = *socket;
  }

  std::optional<std::string> relative_path(const YAML::Node& node, const std::string& what) {
    auto v = scalar(node, what);
    if (v && !is_safe_script_path(*v)) {
      problem(node, fmt::format("{} must be a relative path inside the deployment (no '..')", what));
      return std::nullopt;
    }
    return v;
  }

  void check(const YAML::Node& node) {
    if (!mapping(node, "check", {"path", "expect", "contains"})) return;
    Check& c = out_.plan.check;
    if (node["path"]) {
      if (auto path = scalar(node["path"], "check.path")) {
        if (path->empty() || (*path)[0] != '/' || path->find_first_of(" \t\r\n") != std::string::npos)
          problem(node["path"], "check.path must start with '/' and hold no spaces");
        else
          c.path = *path;
      }
    }
    if (node["expect"]) {
      count(node["expect"], "check.expect", c.expect);
      if (c.expect < 100 || c.expect > 599) problem(node["expect"], "check.expect must be an HTTP status (100-599)");
    }
    if (node["contains"])
      if (auto text = scalar(node["contains"], "check.contains")) c.contains = *text;
  }

  void database(const YAML::Node& node) {
    if (!mapping(node, "database", {"engine"})) return;
    if (!node["engine"]) return problem(node, "database needs engine: mariadb");
    if (auto engine = scalar(node["engine"], "database.engine")) {
      if (*engine != "mariadb") return problem(node["engine"], "database.engine must be mariadb");
      out_.plan.database.engine = *engine;
    }
  }

  void actions(const YAML::Node& node) {
    if (!node.IsMap()) return problem(node, "actions must be a mapping of action names to task lists");
    unique_keys(node, "actions");
    for (const auto& item : node) {
      auto name = scalar(item.first, "an action name");
      if (!name) continue;
      const auto& known = action_names();
      if (std::find(known.begin(), known.end(), *name) == known.end()) {
        problem(item.first, fmt::format("unknown action '{}' (known: {})", *name, fmt::join(known, ", ")));
        continue;
      }
      if (!item.second.IsSequence() || item.second.size() == 0) {
        problem(item.second, fmt::format("action '{}' must be a non-empty list of tasks", *name));
        continue;
      }
      std::set<std::string> seen;
      auto& tasks = out_.plan.actions[*name];
      for (const auto& t : item.second) {
        auto task_ = task(t, *name);
        if (!task_) continue;
        if (!seen.insert(task_->name).second)
          problem(t, fmt::format("action '{}' has two tasks named '{}'", *name, task_->name));
        tasks.push_back(*task_);
      }
    }
    if (node.IsMap() && !node["install"]) problem(node, "actions must include 'install'");
  }

  std::optional<Task> task(const YAML::Node& node, const std::string& action) {
    std::string what = "a task of '" + action + "'";
    if (!mapping(node, what, {"name", "run", "script", "timeout", "rollback"})) return std::nullopt;
    Task t;
    if (!node["name"]) {
      problem(node, fmt::format("{} needs a 'name'", what));
      return std::nullopt;
    }
    auto name = scalar(node["name"], "task name");
    if (!name) return std::nullopt;
    if (!is_task_name(*name)) {
      problem(node["name"], fmt::format("task name '{}' must match [a-z0-9][a-z0-9_-]*", *name));
      return std::nullopt;
    }
    t.name = *name;
    what = fmt::format("task '{}' of '{}'", t.name, action);
    if (bool(node["run"]) == bool(node["script"])) {
      problem(node, fmt::format("{} needs exactly one of 'run' and 'script'", what));
      return std::nullopt;
    }
    if (node["run"]) {
      auto run = shell(node["run"], what + ".run");
      if (!run) return std::nullopt;
      if (run->find_first_not_of(" \t\n") == std::string::npos) {
        problem(node["run"], fmt::format("{}.run is empty", what));
        return std::nullopt;
      }
      t.run = *run;
    } else {
      auto path = scalar(node["script"], what + ".script");
      if (!path) return std::nullopt;
      if (!script(node["script"], *path)) return std::nullopt;
      t.script = *path;
    }
    if (node["timeout"]) duration(node["timeout"], what + ".timeout", t.timeout);
    if (node["rollback"])
      if (auto rb = shell(node["rollback"], what + ".rollback")) t.rollback = *rb;
    return t;
  }

  bool script(const YAML::Node& at, const std::string& path) {
    if (!is_safe_script_path(path)) {
      problem(at, fmt::format("script path '{}' must be a relative path inside the service's directory", path));
      return false;
    }
    if (out_.files.count(path)) return true;
    auto content = read_(path);
    if (!content) {
      problem(at, fmt::format("script '{}' cannot be read", path));
      return false;
    }
    if (content->size() > kMaxScriptBytes || content->find('\0') != std::string::npos) {
      problem(at, fmt::format("script '{}' is not a text file of at most 1 MiB", path));
      return false;
    }
    out_.files[path] = *content;
    return true;
  }

 private:
  LoadResult& out_;
  const ScriptReader& read_;
};

// yaml-cpp recurses once per nesting level; refuse deep documents before parsing.
bool too_deep(const std::string& text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > kMaxNesting) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  size_t indent_levels = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    size_t spaces = text.find_first_not_of(' ', pos);
    if (spaces != std::string::npos && spaces < end) indent_levels = std::max(indent_levels, spaces - pos);
    pos = end + 1;
  }
  return indent_levels > static_cast<size_t>(kMaxNesting) * 8;
}

}  // namespace

const std::vector<std::string>& action_names() {
  static const std::vector<std::string> names = {"install", "allocate", "finalize", "clone", "backup", "restore",
                                                 "enable",  "disable",  "cron",     "stats", "verify", "remove",
                                                 "routes", "upgrade"};
  return names;
}

LoadResult load_plan(const std::string& yaml_text, const ScriptReader& read_script) {
  LoadResult out;
  if (yaml_text.size() > kMaxYamlBytes) {
    out.problems.push_back({0, 0, "the file is larger than 1 MiB"});
    return out;
  }
  if (!model::is_valid_utf8(yaml_text)) {
    out.problems.push_back({0, 0, "the file is not valid UTF-8"});
    return out;
  }
  if (yaml_text.find('\0') != std::string::npos) {
    out.problems.push_back({0, 0, "the file contains NUL bytes"});
    return out;
  }
  if (too_deep(yaml_text)) {
    out.problems.push_back({0, 0, fmt::format("the document nests deeper than {} levels", kMaxNesting)});
    return out;
  }
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    out.problems.push_back({e.mark.line + 1, e.mark.column + 1, e.msg});
    return out;
  }
  Checker checker(out, read_script);
  if (!root || root.IsNull())
    out.problems.push_back({1, 1, "the file is empty"});
  else
    checker.top(root);
  std::stable_sort(out.problems.begin(), out.problems.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return out;
}

std::string describe(const std::vector<Problem>& problems, const std::string& file) {
  std::string text;
  for (const auto& p : problems) {
    if (!text.empty()) text += '\n';
    if (p.line > 0)
      text += fmt::format("{}:{}:{}: {}", file, p.line, p.column, p.message);
    else
      text += fmt::format("{}: {}", file, p.message);
  }
  return text;
}

}  // namespace hostctl::service
