-- Web hosts run their own nginx, which hostctl drives: one backend server
-- block per deployment in web_dir, listening on web_listen. Routers proxy to
-- it, so no router needs a web host's files. web_listen '' : the host runs no
-- managed web server and its deployments are served from the router's own
-- disk (a router on the same machine, or a shared disk).
ALTER TABLE host ADD COLUMN web_listen TEXT NOT NULL DEFAULT '';
ALTER TABLE host ADD COLUMN web_dir TEXT NOT NULL DEFAULT '/etc/nginx/hostctl-web.d';
ALTER TABLE host ADD COLUMN web_conf TEXT NOT NULL DEFAULT '';              -- '' : nginx's own default
