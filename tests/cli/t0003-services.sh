#!/usr/bin/env bash
# createservice, listservices, deleteservice.
. "$(dirname "$0")/lib.sh"
"$HOSTCTL_BIN" init -q >/dev/null

TEST "the example services register with their scripts"
hc createservice "$EXAMPLES/static-site/service.yaml" -o json
expect_rc 0
expect_json "d['name'] == 'static-site' and d['files'] == ['render.sh'] and 'install' in d['actions']"
hc createservice "$EXAMPLES/notes-sqlite/service.yaml" -o json
expect_json "d['files'] == ['scripts/render.sh', 'scripts/schema.sh'] and d['price_monthly'] == 12.5"
hc listservices --field name
expect_out "$(printf 'notes-sqlite\nstatic-site')"
n=$(catalog_sql "SELECT length(content) FROM service_file WHERE path = 'render.sh'")
expect_true test "$n" = "$(wc -c < "$EXAMPLES/static-site/render.sh")"

TEST "registering again needs --replace"
before=$(catalog_digest)
hc createservice "$EXAMPLES/static-site/service.yaml"
expect_rc 4
expect_err_has "--replace"
expect_catalog_unchanged "$before"
sed 's/^version: 1/version: 2/' "$EXAMPLES/static-site/service.yaml" > "$WORK/v2.yaml"
cp "$EXAMPLES/static-site/render.sh" "$WORK/"
hc createservice "$WORK/v2.yaml" --replace -o json
expect_rc 0
expect_json "d['version'] == 2"

TEST "invalid YAML: every problem as file:line:column, exit 2, nothing stored"
before=$(catalog_digest)
cat > "$WORK/bad.yaml" <<'YAML'
name: bad_name
version: 1
reserve: {size: 1, minimum: 5}
actions:
  install:
    - name: a
      script: ../../etc/passwd
  launch: []
YAML
hc createservice "$WORK/bad.yaml"
expect_rc 2
expect_err_has "$WORK/bad.yaml:1:7: name may hold only a-z, 0-9 and '-'"
expect_err_has "$WORK/bad.yaml:3:10: reserve.minimum must not exceed reserve.size"
expect_err_has "$WORK/bad.yaml:7:15: script path '../../etc/passwd' must be a relative path"
expect_err_has "$WORK/bad.yaml:8:3: unknown action 'launch'"
printf 'name: x\nversion: [1\n' > "$WORK/broken.yaml"
hc createservice "$WORK/broken.yaml"
expect_rc 2
expect_err_has "$WORK/broken.yaml:"
hc createservice "$WORK/missing.yaml"
expect_rc 3
printf 'name: s\nversion: 1\nactions:\n  install:\n    - {name: a, script: gone.sh}\n' > "$WORK/gone.yaml"
hc createservice "$WORK/gone.yaml"
expect_rc 2
expect_err_has "gone.yaml:5:25: script 'gone.sh' cannot be read"
expect_catalog_unchanged "$before"

TEST "deleteservice is refused while deployments exist"
catalog_sql "INSERT INTO host(name, transport, created_at) VALUES ('h', 'local', 'now');
  INSERT INTO deployment(name, service_id, host_id, directory, created_at)
  SELECT 'd1', id, (SELECT id FROM host WHERE name = 'h'), '/srv/x', 'now' FROM service WHERE name = 'notes-sqlite';"
before=$(catalog_digest)
hc deleteservice notes-sqlite --yes
expect_rc 4
expect_err_has "still has 1 deployment(s)"
expect_catalog_unchanged "$before"
hc deleteservice static-site
expect_rc 2
hc deleteservice static-site --yes -q
expect_rc 0
hc listservices --field name
expect_out "notes-sqlite"
hc deleteservice ghost --yes
expect_rc 3
expect_err_has "'hostctl listservices' shows the services"

TEST "the service group runs the same commands: service create|list|show|delete"
hc service create "$EXAMPLES/static-site/service.yaml" -o json
expect_rc 0
expect_json "d['name'] == 'static-site'"
hc service list -o json
flat=$("$HOSTCTL_BIN" listservices -o json)
expect_out "$flat"
hc service show static-site -o json
expect_json "d['name'] == 'static-site' and d['versions'][0]['version'] == 1"
hc service show ghost
expect_rc 3
hc service delete static-site --yes -q
expect_rc 0
hc service list --field name
expect_out "notes-sqlite"

done_testing
