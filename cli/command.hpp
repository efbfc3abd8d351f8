// The command table. Every command is a row: its path, arguments, what it
// needs, and one handler with one signature. app.cpp turns the table into the
// argument parser; help, man pages and completions are checked against it.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "core/error.hpp"

namespace hostctl::cli {

// What a value completes to, for shell completion.
enum class Complete { None, Host, Client, Service, Site, Route, Deployment, Task, File, Shell, Format };

struct Opt {
  std::string name;   // long name without dashes: "port"
  std::string short_name;  // "p", or empty
  std::string help;
  enum Kind { Flag, Value, List, Optional } kind = Value;  // Optional: --name or --name=VALUE
  std::string value_name = "VALUE";
  Complete complete = Complete::None;
  bool required = false;
};

// The fixed words an option's value is one of, spelled in lower case in its
// value name ("ssh|local", "web|db|router"); empty when the value is free ("PORT").
std::vector<std::string> choices(const Opt& o);
// "a,b" split at `sep`: {"a", "b"} (an empty text is one empty word).
std::vector<std::string> split(const std::string& text, char sep);

struct Pos {
  std::string name;  // "NAME"
  std::string help;
  bool required = true;
  bool many = false;
  Complete complete = Complete::None;
};

class Args {
 public:
  std::map<std::string, std::vector<std::string>> values;  // by option or positional name
  std::map<std::string, bool> flags;

  const std::string& get(const std::string& name) const;  // a required positional
  std::optional<std::string> opt(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool flag(const std::string& name) const;
};

// A listing's rows, handed to the renderer one at a time as they are read.
using RowSink = std::function<void(const nlohmann::ordered_json& row)>;
using Rows = std::function<void(const RowSink&)>;

// What a handler returns: data for the renderer (null: nothing on stdout), and
// an error to report after the data when the work ran but did not succeed.
struct Output {
  nlohmann::ordered_json data;
  std::vector<std::string> columns{};  // table/tsv columns for lists (a record: for its lists); empty: every key
  std::string text{};                // shown instead of a table with -o table, when set
  std::optional<Error> error{};
  std::string format{};              // when set, the format this output is rendered in
  Rows rows{};                       // a listing read as it is rendered (data is then null)
};

// A listing of `items`, each turned into a row as the renderer asks for it.
template <class Items, class ToRow>
Output listing(Items items, ToRow to_row, std::vector<std::string> columns = {}) {
  Output out{nullptr, std::move(columns)};
  out.rows = [items = std::move(items), to_row](const RowSink& sink) {
    for (const auto& item : items) sink(to_row(item));
  };
  return out;
}

using Handler = Output (*)(Context&, const Args&);

enum Needs : unsigned {
  kNothing = 0,
  kCatalog = 1,      // opens the catalog (existing, current schema) before the handler
  kMutates = 2,      // changes the catalog or the hosts
  kDestructive = 4,  // asks for confirmation; --yes needed when stdin is not a TTY
  kTrailing = 8,     // takes a shell command after "--" (args value "--")
  kDryRun = 16,      // takes --dry-run: its catalog writes are rolled back and it runs nothing remote
  kRawOutput = 32,   // prints a document of its own (a script, YAML), not records: -o does not apply
};

struct Command {
  std::string path;  // "host add"
  std::string help;
  std::vector<Pos> positionals;
  std::vector<Opt> options;
  unsigned needs = kCatalog;
  Handler run = nullptr;
};

struct Group {
  std::string name;
  std::string help;
};

// Each cli/<group>.cpp contributes its rows.
void add_admin_commands(std::vector<Command>& table);    // init, doctor, version, config, completion
void add_service_commands(std::vector<Command>& table);  // createservice, listservices, deleteservice
void add_host_commands(std::vector<Command>& table);
void add_client_commands(std::vector<Command>& table);
void add_task_commands(std::vector<Command>& table);
void add_deployment_commands(std::vector<Command>& table);  // deployservice, deployment ...
void add_site_commands(std::vector<Command>& table);
void add_route_commands(std::vector<Command>& table);
void add_package_commands(std::vector<Command>& table);
void add_backup_commands(std::vector<Command>& table);
void add_reserve_commands(std::vector<Command>& table);
void add_queue_commands(std::vector<Command>& table);
void add_usage_commands(std::vector<Command>& table);  // usage report, invoice
void add_exchange_commands(std::vector<Command>& table);  // export, import, catalog copy
void add_audit_commands(std::vector<Command>& table);

const std::vector<Command>& command_table();
const std::vector<Group>& command_groups();

}  // namespace hostctl::cli
