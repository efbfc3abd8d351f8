// Builds the argument parser from the command table, runs the chosen handler,
// renders its output, and is the one place where errors become exit codes.
#include "app.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/Exception.h>
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
  app.add_option("--catalog", g.catalog, "catalog file (env HOSTCTL_CATALOG)")->type_name("PATH");
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

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> argv_copy(argv, argv + argc);
  bool json_errors = false;
  std::string catalog_path;  // for messages about a catalog error caught below
  for (int i = 1; i + 1 < argc; ++i)
    if ((argv_copy[i] == "-o" || argv_copy[i] == "--output") && argv_copy[i + 1] == "json") json_errors = true;
  try {
    if (auto code = run_plugin_if_unknown(argv_copy)) return *code;
    // Words after "--" are a shell command for the commands that take one.
    std::vector<std::string> trailing;
    bool has_trailing = false;
    if (auto dash = std::find(argv_copy.begin(), argv_copy.end(), "--"); dash != argv_copy.end()) {
      has_trailing = true;
      trailing.assign(dash + 1, argv_copy.end());
      argc = static_cast<int>(dash - argv_copy.begin());
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
      throw Error(ErrorKind::Usage, e.what(), "run 'hostctl --help' or 'hostctl COMMAND --help'");
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
    if (!g.catalog.empty()) ctx.settings.set_flag("catalog", g.catalog, "--catalog");
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

    Args args;
    args.values = chosen->values;
    args.flags = chosen->flags;
    for (const auto& [name, option] : chosen->optional) args.flags[name] = option->count() > 0;
    const Command& cmd = *chosen->command;
    if (has_trailing && !(cmd.needs & kTrailing))
      throw Error(ErrorKind::Usage, fmt::format("'{}' takes no command after '--'", cmd.path));
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
    if (ctx.dry_run) ctx.info("dry run: nothing was changed");
    RenderOptions options{out.format.empty() ? ctx.output() : out.format, ctx.field,
                          ctx.stdout_tty ? terminal_width() : 0};
    // Bare ids and fields are for chaining: a failed command prints none, so
    // `x=$(hostctl ... -o id)` never captures the id of failed work. Reports
    // (tables, JSON) still show what was done, beside the error.
    bool bare = options.format == "id" || !options.field.empty();
    std::string text = out.error && bare ? std::string() : render(out, options);
    std::fwrite(text.data(), 1, text.size(), stdout);
    int flushed = flush_stdout();
    if (out.error) return report(*out.error, json_errors);
    return flushed;
  } catch (const Error& e) {
    return report(e, json_errors);
  } catch (const SQLite::Exception& e) {
    // A catalog statement anywhere in a command: busy is exit 7, like the rest.
    return report(catalog::sqlite_error(e, catalog_path), json_errors);
  } catch (const std::exception& e) {
    return report(Error(ErrorKind::Internal, e.what()), json_errors);
  }
}

}  // namespace hostctl::cli
