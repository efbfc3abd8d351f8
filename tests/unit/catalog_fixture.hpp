// A fresh catalog in a temporary directory, with one host on the local
// transport: what tests of the run layer start from.
#pragma once

#include <memory>
#include <string>

#include "catalog/catalog.hpp"
#include "model/host.hpp"
#include "temp_dir.hpp"

struct CatalogWithHost {
  TempDir dir;
  std::unique_ptr<hostctl::catalog::Catalog> catalog;
  hostctl::model::Host host;
  explicit CatalogWithHost(const std::string& host_name) {
    auto path = dir.path / "catalog.db";
    hostctl::catalog::Catalog::init(path, {"tester", "[]"});
    catalog = hostctl::catalog::Catalog::open(path, {"tester", "[]"});
    hostctl::model::HostInput in;
    in.transport = "local";
    host = hostctl::model::add_host(*catalog, host_name, in);
  }
};
