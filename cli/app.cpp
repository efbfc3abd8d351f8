// Builds the argument parser from the command table, runs the chosen handler,
// renders its output, and is the one place where errors become exit codes.
#include "app.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <deque>
#include <iostream>

#include "command.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "plugin.hpp"
#include "render.hpp"
#include "suggest.hpp"

namespace hostctl::cli {
namespace {

struct Globals {
  std::string catalog, config, output, jobs, timeout, field;
  bool quiet = false, verbose = false, no_color = false, yes = false, dry_run = false, version = false;
};

// Storage CLI11 writes into, one slot per command option or positional.
struct Bound {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  std::map<std::string, std::vector<std::string>> values;
  std::map<std::string, bool> flags;
  std::map<std::string, CLI::Option*> optional;  // Opt::Optional: given at all?
};

void add_globals(CLI::App& app, Globals& g) {
  app.add_option("--catalog", g.catalog, "catalog: a SQLite file or a postgresql:// URI (env HOSTCTL_CATALOG)")->type_name("PATH|URI");
  app.add_option("--config", g.config, "configuration file (env HOSTCTL_CONFIG)")->type_name("PATH");
  app.add_option("-o,--output", g.output, "output format: table, json, yaml, tsv, id")->type_name("FORMAT");
  app.add_option("--field", g.field, "print only this field, bare")->type_name("NAME");
  app.add_flag("-q,--quiet", g.quiet, "print no messages, only data and errors");
  app.add_flag("-v,--verbose", g.verbose, "print more about what is done");
  app.add_flag("--no-color", g.no_color, "never colour the output (also NO_COLOR)");
  app.add_option("--jobs", g.jobs, "hosts worked on at once")->type_name("N");
  app.add_option("--timeout", g.timeout, "default time limit of a task (30s, 5m)")->type_name("DURATION");
  app.add_flag("-y,--yes", g.yes, "confirm destructive commands");
  app.add_flag("--version", g.version, "print the version and exit");
}

void bind(CLI::App* sub, const Command& cmd, Bound& b, Globals& g) {
  for (const Opt& o : cmd.options) {
    std::string flags = (o.short_name.empty() ? "" : "-" + o.short_name + ",") + "--" + o.name;
    if (o.kind == Opt::Flag) {
      b.flags[o.name] = false;
      sub->add_flag(flags, b.flags[o.name], o.help);
    } else if (o.kind == Opt::Optional) {
      b.optional[o.name] = sub->add_option(flags, b.values[o.name], o.help)->type_name("[" + o.value_name + "]")->expected(0, 1);
    } else {
      auto* opt = sub->add_option(flags, b.values[o.name], o.help)->type_name(o.value_name);
      if (o.kind == Opt::Value) opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      else opt->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      if (o.required) opt->required();
    }
  }
  for (const Pos& p : cmd.positionals) {
    auto* opt = sub->add_option(p.name, b.values[p.name], p.help)->type_name("");
    if (p.many) opt->expected(p.required ? 1 : 0, -1);
    else opt->expected(1)->allow_extra_args(false);  // else a vector slot takes the next positional's word too
    if (p.required) opt->required();
  }
  if (cmd.needs & kDryRun) sub->add_flag("--dry-run", g.dry_run, "show what would change, change nothing");
}

int terminal_width() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

// Colour as git does: "auto" only on a terminal that can show it.
bool use_color(const Context& ctx) {
  const std::string mode = ctx.settings.get("color");
  if (mode != "auto") return mode == "always";
  const char* term = std::getenv("TERM");
  return ctx.stdout_tty && term && std::string_view(term) != "dumb";
}

void confirm(const Context& ctx, const Command& cmd, const Args& args) {
  if (ctx.yes) return;
  std::string what = cmd.path;
  for (const Pos& p : cmd.positionals)
    for (const auto& v : args.all(p.name)) what += " " + v;
  if (!ctx.stdin_tty)
    throw Error(ErrorKind::Usage, fmt::format("'{}' is destructive and stdin is not a terminal", what),
                "add --yes to confirm");
  std::fprintf(stderr, "hostctl: %s: proceed? [y/N] ", what.c_str());
  std::string answer;
  if (!std::getline(std::cin, answer) || (answer != "y" && answer != "yes"))
    throw Error(ErrorKind::Refused, fmt::format("'{}' not confirmed; nothing was changed", what));
}

// git's rule: a closed pipe ends quietly; a full disk or I/O error is fatal.
int flush_stdout() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    if (errno == EPIPE) return 0;
    std::fprintf(stderr, "hostctl: error: cannot write output: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

int report(const Error& e, bool json) {
  int code = exit_code(e.kind());
  if (json) {
    nlohmann::ordered_json j;
    j["error"] = {{"kind", kind_name(e.kind())}, {"exit_code", code}, {"message", e.what()}, {"hint", e.hint()}};
    std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::string message = e.what();
    // Multi-line errors (a list of YAML problems) keep one problem per line.
    std::fprintf(stderr, "hostctl: error: %s\n", message.c_str());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
  }
  return code;
}

const char* getenv_cb(const char* name) { return std::getenv(name); }

// JSON output asked for, in any spelling, so even a parse error comes out as
// JSON: -o json, -ojson, --output json, --output=json, or HOSTCTL_OUTPUT=json.
bool asks_for_json(const std::vector<std::string>& args) {
  std::string format;
  if (const char* env = std::getenv("HOSTCTL_OUTPUT")) format = env;
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    const std::string& a = args[i];
    if ((a == "-o" || a == "--output") && i + 1 < args.size()) format = args[++i];
    else if (a.rfind("--output=", 0) == 0) format = a.substr(9);
    else if (a.rfind("-o", 0) == 0 && a.size() > 2 && a[2] != '-') format = a.substr(a[2] == '=' ? 3 : 2);
  }
  return format == "json";
}

std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values)
    for (auto& word : split(v, ',')) out.push_back(std::move(word));
  return out;
}

// The subcommand of `at` named `word`, or null; and the names it would take.
CLI::App* subcommand_named(CLI::App* at, const std::string& word) {
  for (CLI::App* sub : at->get_subcommands({}))
    if (sub->get_name() == word) return sub;
  return nullptr;
}

std::vector<std::string> subcommand_names(CLI::App* at) {
  std::vector<std::string> names;
  for (const CLI::App* sub : at->get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

// Other tools' names for hostctl's options.
const std::map<std::string, std::string> kOptionAliases = {{"--format", "--output"}, {"--json", "-o json"},
                                                            {"--force", "--yes"}, {"--assume-yes", "--yes"}};

// After a parse error: the first word that no command or option takes, and
// what was probably meant (git's "did you mean"). Empty when nothing is close.
std::string did_you_mean(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* at = &app;
  auto options_of = [](CLI::App* a) {
    std::vector<std::string> names;
    for (CLI::App* up = a; up; up = up->get_parent())
      for (const CLI::Option* o : up->get_options()) {
        for (const auto& l : o->get_lnames()) names.push_back("--" + l);
        for (const auto& sn : o->get_snames()) names.push_back("-" + sn);
      }
    return names;
  };
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    const std::string& w = args[i];
    if (w.size() > 1 && w[0] == '-') {
      // -ojson: a short option and its value in one word.
      bool fused = w[1] != '-' && w.size() > 2;
      std::string name = fused ? w.substr(0, 2) : w.substr(0, w.find('='));
      const CLI::Option* known = nullptr;
      for (CLI::App* up = at; up && !known; up = up->get_parent()) known = up->get_option_no_throw(name);
      if (known) {
        if (name == w && !fused && known->get_type_size_max() > 0) ++i;  // its value is the next word
        continue;
      }
      if (auto alias = kOptionAliases.find(name); alias != kOptionAliases.end())
        return fmt::format("unknown option '{}': did you mean '{}'?", name, alias->second);
      if (auto guess = nearest(name, options_of(at)))
        return fmt::format("unknown option '{}': did you mean '{}'?", name, *guess);
      return {};
    }
    auto names = subcommand_names(at);
    if (names.empty()) continue;  // a positional argument
    if (CLI::App* sub = subcommand_named(at, w)) {
      at = sub;
      continue;
    }
    if (auto guess = nearest(w, names))
      return fmt::format("unknown command '{}{}': did you mean '{}{}'?", at == &app ? "" : at->get_name() + " ", w,
                         at == &app ? "" : at->get_name() + " ", *guess);
    return {};
  }
  return {};
}

// `hostctl help site create`: what `hostctl site create --help` prints.
std::string help_of(CLI::App& app, const std::vector<std::string>& words) {
  CLI::App* at = &app;
  std::string path;
  for (const auto& w : words) {
    CLI::App* sub = subcommand_named(at, w);
    if (!sub) {
      std::string named = path.empty() ? w : path + " " + w;
      auto guess = nearest(w, subcommand_names(at));
      throw Error(ErrorKind::Usage, fmt::format("no command 'hostctl {}'{}", named,
                                                guess ? fmt::format(": did you mean '{}'?", path.empty() ? *guess : path + " " + *guess) : ""),
                  "'hostctl help' lists the commands");
    }
    at = sub;
    path = path.empty() ? w : path + " " + w;
  }
  // Straight from the formatter: App::help() would describe the parsed `help` command itself.
  return at->get_formatter()->make_help(at, path.empty() ? "hostctl" : "hostctl " + path, CLI::AppFormatMode::Normal);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> argv_copy(argv, argv + argc);
  bool json_errors = asks_for_json(argv_copy);
  std::string catalog_path;  // for messages about a catalog error caught below
  try {
    if (auto code = run_plugin_if_unknown(argv_copy)) return *code;
    // Words after "--" are a shell command for the commands that take one
    // (host exec); for the others, arguments that may start with a dash.
    std::vector<std::string> trailing;
    bool has_trailing = false;
    if (auto dash = std::find(argv_copy.begin(), argv_copy.end(), "--"); dash != argv_copy.end()) {
      std::set<std::string> before(argv_copy.begin() + 1, dash);
      has_trailing = std::any_of(command_table().begin(), command_table().end(), [&](const Command& cmd) {
        auto space = cmd.path.find(' ');
        return (cmd.needs & kTrailing) && before.count(cmd.path.substr(0, space)) &&
               (space == std::string::npos || before.count(cmd.path.substr(space + 1)));
      });
      if (has_trailing) {
        trailing.assign(dash + 1, argv_copy.end());
        argc = static_cast<int>(dash - argv_copy.begin());
      }
    }

    CLI::App app("hostctl: run a web-hosting service from the command line", "hostctl");
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.set_help_all_flag("--help-all", "help for every command");
    Globals g;
    add_globals(app, g);

    // Building every command's options is most of the start-up time left to us, so
    // when the command line names a command, only the groups it names get theirs;
    // with none named (help, a typo) everything is built and CLI11 reports as usual.
    std::set<std::string> words(argv_copy.begin() + 1, argv_copy.begin() + argc);
    bool any_named = std::any_of(command_table().begin(), command_table().end(), [&](const Command& cmd) {
      return words.count(cmd.path.substr(0, cmd.path.find(' '))) > 0;
    });
    std::map<std::string, CLI::App*> groups;
    for (const Group& group : command_groups()) {
      groups[group.name] = app.add_subcommand(group.name, group.help);
      groups[group.name]->require_subcommand(1);
    }
    std::deque<Bound> bound;
    for (const Command& cmd : command_table()) {
      auto space = cmd.path.find(' ');
      if (space != std::string::npos && any_named && !words.count(cmd.path.substr(0, space))) continue;
      CLI::App* parent = space == std::string::npos ? &app : groups.at(cmd.path.substr(0, space));
      std::string leaf = space == std::string::npos ? cmd.path : cmd.path.substr(space + 1);
      Bound& b = bound.emplace_back();
      b.command = &cmd;
      b.app = parent->add_subcommand(leaf, cmd.help);
      bind(b.app, cmd, b, g);
    }

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == 0) return app.exit(e);
      std::vector<std::string> parsed(argv_copy.begin(), argv_copy.begin() + argc);
      if (auto guess = did_you_mean(app, parsed); !guess.empty())
        throw Error(ErrorKind::Usage, guess, "run 'hostctl help' or 'hostctl help COMMAND'");
      throw Error(ErrorKind::Usage, e.what(), "run 'hostctl help' or 'hostctl help COMMAND'");
    }
    for (const char* name : {"--catalog", "--config", "--output", "--field", "--jobs", "--timeout"})
      if (app.get_option(name)->count() > 0 && app.get_option(name)->as<std::string>().empty())
        throw Error(ErrorKind::Usage, fmt::format("{} needs a value", name));
    if (g.version) {
      std::printf("hostctl %s\n", HOSTCTL_VERSION);
      return flush_stdout();
    }
    const Bound* chosen = nullptr;
    for (const Bound& b : bound)
      if (b.app->parsed()) chosen = &b;
    if (!chosen) {
      std::fputs(app.help().c_str(), stdout);
      flush_stdout();
      return 2;
    }

    Context ctx;
    ctx.argv = argv_copy;
    ctx.settings = config::Settings::load(g.config.empty() ? std::nullopt : std::optional(g.config), getenv_cb);
    if (!g.catalog.empty()) {
      catalog::refuse_password_on_command_line(g.catalog, "--catalog");
      ctx.settings.set_flag("catalog", g.catalog, "--catalog");
    }
    if (!g.output.empty()) ctx.settings.set_flag("output", g.output, "--output");
    if (!g.jobs.empty()) ctx.settings.set_flag("jobs", g.jobs, "--jobs");
    if (!g.timeout.empty()) ctx.settings.set_flag("timeout", g.timeout, "--timeout");
    if (g.no_color) ctx.settings.set_flag("color", "never", "--no-color");
    json_errors = ctx.json_errors();
    catalog_path = ctx.settings.get("catalog");
    ctx.field = g.field;
    ctx.quiet = g.quiet;
    ctx.verbose = g.verbose;
    ctx.yes = g.yes;
    ctx.dry_run = g.dry_run;
    ctx.stdin_tty = ::isatty(STDIN_FILENO);
    ctx.stdout_tty = ::isatty(STDOUT_FILENO);
    ctx.stderr_tty = ::isatty(STDERR_FILENO);

    const Command& cmd = *chosen->command;
    Args args;
    args.values = chosen->values;
    args.flags = chosen->flags;
    for (const auto& [name, option] : chosen->optional) args.flags[name] = option->count() > 0;
    // A repeatable option of fixed words also takes them as one list: --role web,router.
    for (const Opt& o : cmd.options)
      if (o.kind == Opt::List && !choices(o).empty()) args.values[o.name] = split_commas(args.values[o.name]);
    ctx.help_for = [&](const std::vector<std::string>& named) { return help_of(app, named); };
    if (cmd.needs & kTrailing) {
      if (trailing.empty())
        throw Error(ErrorKind::Usage, fmt::format("'{}' needs a command after '--'", cmd.path),
                    fmt::format("hostctl {} ... -- COMMAND", cmd.path));
      args.values["--"] = {fmt::format("{}", fmt::join(trailing, " "))};
    }
    install_interrupt_handlers();
    if (cmd.needs & kDestructive && !ctx.dry_run) confirm(ctx, cmd, args);
    if (cmd.needs & kCatalog) ctx.catalog().set_dry_run(ctx.dry_run);

    Output out = cmd.run(ctx, args);
    if (ctx.dry_run) {
      if (cmd.needs & kCatalog)
        for (const auto& change : ctx.catalog().dry_run_changes()) ctx.info("dry run: " + change);
      ctx.info("dry run: nothing was changed");
    }
    RenderOptions options{out.format.empty() ? ctx.output() : out.format, ctx.field,
                          ctx.stdout_tty ? terminal_width() : 0, use_color(ctx)};
    // Bare ids and fields are for chaining: a failed command prints none, so
    // `x=$(hostctl ... -o id)` never captures the id of failed work. Reports
    // (tables, JSON) still show what was done, beside the error.
    bool bare = options.format == "id" || !options.field.empty();
    if (!(out.error && bare)) render(out, options, stdout);
    int flushed = flush_stdout();
    if (out.error) return report(*out.error, json_errors);
    return flushed;
  } catch (const Error& e) {
    return report(e, json_errors);
  } catch (const std::exception& e) {
    // A catalog statement anywhere in a command: busy is exit 7, like the rest.
    if (auto error = catalog::engine_error(e, catalog_path)) return report(*error, json_errors);
    return report(Error(ErrorKind::Internal, e.what()), json_errors);
  }
}

}  // namespace hostctl::cli
