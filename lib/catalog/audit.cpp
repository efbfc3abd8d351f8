#include "catalog/audit.hpp"

#include "catalog/statement.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace hostctl::catalog {
namespace {

bool names(const AuditEntry& e, const std::string& type, const std::string& name) {
  const auto& w = e.argv;
  bool named = std::find(w.begin() + std::min<size_t>(1, w.size()), w.end(), name) != w.end();
  bool of_type = std::find(w.begin() + std::min<size_t>(1, w.size()), w.end(), "--" + type) != w.end() ||
                 (w.size() > 1 && w[1] == type);
  return named && of_type;
}

}  // namespace

std::vector<AuditEntry> list_audit(Catalog& catalog, const AuditFilter& filter) {
  catalog::Statement q(catalog.db(),
                       "SELECT id, at, actor, argv, action FROM audit WHERE (CAST(?1 AS TEXT) IS NULL OR actor = ?1) "
                       "AND (CAST(?2 AS TEXT) IS NULL OR at >= ?2) ORDER BY id DESC");
  if (filter.user) q.bind(1, *filter.user); else q.bind(1);
  if (filter.since) q.bind(2, *filter.since); else q.bind(2);
  std::vector<AuditEntry> out;
  while (q.executeStep() && (filter.limit == 0 || static_cast<int64_t>(out.size()) < filter.limit)) {
    AuditEntry e;
    e.id = q.getColumn(0).getInt64();
    e.at = q.getColumn(1).getString();
    e.user = q.getColumn(2).getString();
    auto argv = nlohmann::json::parse(q.getColumn(3).getString(), nullptr, false);
    if (argv.is_array())
      for (const auto& word : argv)
        if (word.is_string()) e.argv.push_back(word.get<std::string>());
    e.action = q.getColumn(4).getString();
    if (filter.object && !names(e, filter.object->first, filter.object->second)) continue;
    out.push_back(std::move(e));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace hostctl::catalog
