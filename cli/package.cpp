// package list: what the deployments' verify actions reported (Aegir's package inventory).
#include <fmt/format.h>

#include "command.hpp"
#include "model/validate.hpp"
#include "model/version.hpp"

namespace hostctl::cli {
namespace {

Output list(Context& ctx, const Args& a) {
  auto name = a.opt("name");
  auto below = a.opt("below");
  if (below)
    if (auto problem = model::version_problem(*below); !problem.empty())
      throw Error(ErrorKind::Usage, fmt::format("--below {} is not a version: {}", model::shown(*below), problem),
                  "a Debian version: [EPOCH:]UPSTREAM[-REVISION], such as 1:2.4-1");
  Output out;
  out.rows = [&catalog = ctx.catalog(), name, below](const RowSink& sink) {
    catalog::Statement q(catalog.db(),
                         "SELECT p.name, p.version, d.name, coalesce(s.name, ''), h.name, d.stage FROM package p "
                         "JOIN deployment d ON d.id = p.deployment_id JOIN host h ON h.id = d.host_id "
                         "LEFT JOIN site s ON s.id = d.site_id WHERE d.stage != 'removed' "
                         "AND (CAST(?1 AS TEXT) IS NULL OR p.name = ?1) ORDER BY p.name, d.name");
    if (name) q.bind(1, *name); else q.bind(1);
    while (q.executeStep()) {
      std::string version = q.getColumn(1).getString();
      if (below && model::compare_versions(version, *below) >= 0) continue;
      std::string site = q.getColumn(3).getString();
      sink({{"package", q.getColumn(0).getString()},
            {"version", version},
            {"deployment", q.getColumn(2).getString()},
            {"site", site.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(site)},
            {"host", q.getColumn(4).getString()},
            {"stage", q.getColumn(5).getString()}});
    }
  };
  return out;
}

}  // namespace

void add_package_commands(std::vector<Command>& t) {
  t.push_back({"package list",
               "packages the deployments reported (\"which sites run X below version Y?\")",
               {},
               {{"name", "", "only this package", Opt::Value, "NAME"},
                {"below", "", "only versions older than this", Opt::Value, "VERSION"}},
               kCatalog,
               list});
}

}  // namespace hostctl::cli
