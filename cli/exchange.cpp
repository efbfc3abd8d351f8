// export [--file F]; import FILE; catalog copy --to LOCATION
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "command.hpp"
#include "core/file.hpp"
#include "exchange/copy.hpp"
#include "exchange/exchange.hpp"

namespace hostctl::cli {
namespace {

Output export_(Context& ctx, const Args& a) {
  std::string text = exchange::export_yaml(ctx.catalog(), a.flag("with-secrets"));
  auto file = a.opt("file");
  if (!file) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return {};
  }
  // Readers see the old file or the new one, never half.
  std::string tmp = *file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw Error(ErrorKind::Internal, fmt::format("cannot write '{}'", tmp));
  }
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(tmp, *file);
  ctx.info(fmt::format("wrote the inventory to '{}'", *file));
  return {};
}

Output import(Context& ctx, const Args& a) {
  const std::string& file = a.get("FILE");
  auto text = read_file(file);
  if (!text) throw Error(ErrorKind::NotFound, fmt::format("cannot read '{}'", file));
  std::string report = exchange::import_yaml(ctx.catalog(), *text, file);
  ctx.info(fmt::format("imported {}", report));
  return {nlohmann::ordered_json{{"file", file}, {"imported", report}}, {}};
}

Output catalog_copy(Context& ctx, const Args& a) {
  const std::string to = *a.opt("to");
  catalog::refuse_password_on_command_line(to, "--to");
  auto report = exchange::copy_catalog(ctx.catalog(), to, ctx.actor());
  std::string shown = catalog::shown_location(to);
  ctx.info(fmt::format("copied {} rows in {} tables to catalog '{}', each read back and compared", report.total,
                       report.rows.size(), shown));
  if (!report.key_path.empty())
    ctx.info(fmt::format("the secret key is in {}: every node that uses the new catalog needs that file", report.key_path));
  nlohmann::ordered_json tables = nlohmann::ordered_json::object();
  for (const auto& [table, n] : report.rows) tables[table] = n;
  nlohmann::ordered_json j;
  j["from"] = catalog::shown_location(ctx.catalog().location());
  j["to"] = shown;
  j["created"] = report.created;
  j["rows"] = report.total;
  j["tables"] = tables;
  j["key_file"] = report.key_path.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(report.key_path);
  return {j, {}};
}

}  // namespace

void add_exchange_commands(std::vector<Command>& t) {
  t.push_back({"export", "write the inventory (hosts, services, sites, deployments, routes, ...) as one YAML file",
               {},
               {{"file", "", "write to FILE instead of stdout (atomically)", Opt::Value, "FILE", Complete::File},
                {"with-secrets", "", "write secrets open (to be sealed again by import); masked otherwise", Opt::Flag}},
               kCatalog | kRawOutput, export_});
  t.push_back({"import", "read an exported inventory into an empty catalog",
               {{"FILE", "a file written by hostctl export", true, false, Complete::File}}, {},
               kCatalog | kMutates | kDryRun, import});
  t.push_back({"catalog copy",
               "copy the whole catalog (inventory and history) to a new one, such as PostgreSQL; checked row by row",
               {},
               {{"to", "", "the new catalog: a postgresql:// URI or a SQLite file; made when it has no schema, "
                           "refused when it holds rows",
                 Opt::Value, "LOCATION", Complete::File, true}},
               // It reads this catalog and makes another: nothing here to roll back in a dry run.
               kCatalog, catalog_copy});
}

}  // namespace hostctl::cli
