-- Web hosts serve PHP deployments (serve: {php: ...}) through php-fpm: one
-- pool per deployment, written by hostctl to php_pool_dir, which the php-fpm
-- of php_fpm_conf includes; its socket is php_pool_dir/hostctl-ID.sock.
ALTER TABLE host ADD COLUMN php_fpm_bin TEXT NOT NULL DEFAULT '/usr/sbin/php-fpm8.2';
ALTER TABLE host ADD COLUMN php_fpm_conf TEXT NOT NULL DEFAULT '/etc/php/8.2/fpm/php-fpm.conf';
ALTER TABLE host ADD COLUMN php_pool_dir TEXT NOT NULL DEFAULT '/etc/php/8.2/fpm/pool.d';
