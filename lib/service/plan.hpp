// A service plan as registered from YAML (schemas/service.md documents the format).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hostctl::service {

struct Task {
  std::string name;
  std::string run;       // inline shell, or
  std::string script;    // a file beside the YAML, stored in the catalog
  int64_t timeout = 0;   // seconds; 0: the plan's timeout
  std::string rollback;  // shell run when a later task of the same action fails
};

struct Param {
  std::string name;
  std::string default_value;
  std::string pattern;  // POSIX ERE the whole value must match (model/pattern.hpp)
  bool secret = false;
  bool required = false;
  bool generate = false;  // secret: a new random value for each deployment that is not given one
};

struct Reserve {
  int64_t size = 0;
  int64_t minimum = 0;
  int64_t max_age = 23 * 3600;
  std::string window;  // "HH:MM-HH:MM", local time; empty: any time
  // Copies are clones of this site's active deployment (its database too), not
  // fresh installs; those older than its last change expire. "" : installs.
  std::string from_site;
};

struct Schedule {
  int64_t cron = 0;  // seconds between runs; 0: never
  int64_t backup = 0;
  int64_t stats = 0;
  int64_t keep_backups = 7;
  int64_t backup_max_age = 30 * 86400;
};

// How a web host's nginx serves a deployment (its backend block).
enum class ServeKind { Static, Php, Http };

struct Serve {
  ServeKind kind = ServeKind::Static;
  std::string root = "public";  // static, php: the directory served, relative to the deployment
  std::string front_controller;  // php: the script requests for missing files go to ("" : none)
  std::string socket;           // http: the application's Unix socket, relative to the deployment
};

// The plan's health check: a GET through the deployment's backend block.
struct Check {
  std::string path = "/";
  int64_t expect = 200;
  std::string contains;
};

// The plan's own database, on a db host running that engine; "" : none.
struct Database {
  std::string engine;
};

struct Plan {
  std::string name;
  int64_t version = 0;
  std::string description;
  std::optional<double> price_monthly;
  std::string currency;
  std::vector<Param> params;
  std::vector<std::string> roles{"web"};
  Reserve reserve;
  Schedule schedule;
  int64_t timeout = 300;
  Serve serve;
  Check check;
  Database database;
  std::map<std::string, std::vector<Task>> actions;
};

struct Problem {
  int line = 0;  // 1-based; 0 when the problem has no place
  int column = 0;
  std::string message;
};

struct LoadResult {
  Plan plan;
  std::vector<Problem> problems;
  std::map<std::string, std::string> files;  // script path -> content
};

// Reads a `script:` file relative to the YAML; nullopt when it cannot be read.
using ScriptReader = std::function<std::optional<std::string>(const std::string& relative_path)>;

// Parses and validates; every problem found is listed, not just the first.
LoadResult load_plan(const std::string& yaml_text, const ScriptReader& read_script);

// "file:line:column: message" lines, for errors.
std::string describe(const std::vector<Problem>& problems, const std::string& file);

const std::vector<std::string>& action_names();

}  // namespace hostctl::service
