// The audit trail: who changed the catalog, when, with what command line.
// Every committed write with an action leaves one entry (catalog::Write).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace hostctl::catalog {

struct AuditEntry {
  int64_t id = 0;
  std::string at, user, action;
  std::vector<std::string> argv;
};

struct AuditFilter {
  std::optional<std::string> user;
  std::optional<std::string> since;  // UTC "YYYY-MM-DDTHH:MM:SSZ": entries at or after it
  // TYPE, NAME: the command lines that named it, as the command's group
  // ("site delete shop") or as an option (--site shop).
  std::optional<std::pair<std::string, std::string>> object;
  int64_t limit = 0;  // the newest N (0: all), listed oldest first
};

std::vector<AuditEntry> list_audit(Catalog& catalog, const AuditFilter& filter);

}  // namespace hostctl::catalog
