-- HTTPS on routers. A router with https_listen set serves every domain that
-- has a TLS route over HTTPS there, and answers plain HTTP with a 301 (but for
-- ACME's HTTP-01 challenges). route.tls: '' (plain HTTP), 'acme' (a
-- certificate obtained and renewed by hostctl) or 'manual' (the operator's).
ALTER TABLE host ADD COLUMN https_listen TEXT NOT NULL DEFAULT '';
ALTER TABLE route ADD COLUMN tls TEXT NOT NULL DEFAULT '';
-- The certificate a router holds for one domain, as read from the certificate
-- itself when it was installed.
CREATE TABLE certificate (
  id INTEGER PRIMARY KEY,
  router_id INTEGER NOT NULL REFERENCES host(id),
  domain TEXT NOT NULL,
  source TEXT NOT NULL,          -- 'acme' or 'manual'
  issuer TEXT NOT NULL,
  serial TEXT NOT NULL,
  not_after TEXT NOT NULL,       -- UTC, ISO 8601
  installed_at TEXT NOT NULL,
  UNIQUE (router_id, domain)
);
