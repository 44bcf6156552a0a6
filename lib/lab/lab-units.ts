/**
 * What the lab's service manager knows besides the units a droplet writes itself: stand-ins for the units
 * Debian packages ship, the units and packages it deliberately skips, and which engines it can run. Each entry
 * is a documented substitution (lib/lab/README.md lists them all).
 */

/**
 * Stand-ins for the packages' own units (`/lib/systemd/system/*.service`), read exactly like droplet units,
 * drop-ins in `/etc/systemd/system/<name>.d/` applied on top. A droplet that writes a full unit of the same name
 * to `/etc/systemd/system/` overrides the stand-in, as it would override the package's unit.
 *
 * Differences from Debian 12's units, and why:
 * - nginx: runs in the foreground (`daemon off;`) instead of `Type=forking`, so that the lab's tracked process
 *   IS nginx's master (its pid is recorded, and reload/stop signal it); `ExecStartPre`, `ExecReload`
 *   (`nginx -s reload`, i.e. HUP), `ExecStop` and the timeouts are Debian's.
 * - haproxy: Debian's unit as is, minus `BindReadOnlyPaths=/dev/log:…` (no syslog in the lab; HAProxy's log
 *   lines to /dev/log are lost, its stderr is in the lab's log). `Type=notify` is honoured as "running".
 * - mariadb: Debian's unit starts `mariadbd` through a galera_recovery shell line and runs
 *   `/etc/mysql/debian-start` afterwards (upgrade check; slow, and nothing to upgrade on a fresh datadir): the
 *   stand-in starts `mariadbd` directly and is ready when `mariadb-admin ping` answers (Debian: sd_notify).
 *   Its `ExecStartPre=+` initializes an empty datadir with the exact command of the mariadb-server package's
 *   postinst, which the lab does not run (the `apt-get` shim installs nothing): on a droplet the datadir is
 *   initialized when `apt-get install mariadb-server` runs, here when the service first starts.
 * - keepalived: Debian's unit, plus `--log-console --log-detail` (keepalived logs to syslog, which the lab has not:
 *   its state changes go to the unit's lab log instead). `ConditionFileNotEmpty=` is honoured.
 *
 * - docker (docker.io): Ubuntu's unit starts `dockerd -H fd:// --containerd=/run/containerd/containerd.sock`, socket
 *   activated by docker.socket, with containerd.service beside it. The stand-in has dockerd listen on
 *   /run/docker.sock itself (where docker.socket would put it) and start its own containerd, and adds
 *   `--cgroup-parent` from the lab's drop-in (lib/lab/docker/engine.ts): every container under the lab's cgroup.
 *   Ready when the API answers (Ubuntu: sd_notify). Ubuntu's `KillMode=process`, `Restart=always`, start limit.
 *
 * Other packages' units (prometheus, the exporters) run as the packages ship them, read from the droplet's
 * /lib/systemd/system (this machine's packages, seen through the overlay).
 */
export const LAB_PACKAGE_UNITS: Readonly<Record<string, string>> = {
  'nginx.service': `# tierform lab stand-in for Debian's nginx.service (foreground instead of forking)
[Unit]
Description=A high performance web server and a reverse proxy server (tierform lab)
After=network-online.target remote-fs.target nss-lookup.target
Wants=network-online.target

[Service]
Type=exec
PIDFile=/run/nginx.pid
ExecStartPre=/usr/sbin/nginx -t -q -g 'daemon on; master_process on;'
ExecStart=/usr/sbin/nginx -g 'daemon off; master_process on;'
ExecReload=/usr/sbin/nginx -g 'daemon on; master_process on;' -s reload
ExecStop=-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid
TimeoutStopSec=5
KillMode=mixed

[Install]
WantedBy=multi-user.target
`,
  'haproxy.service': `# tierform lab stand-in for Debian's haproxy.service (without BindReadOnlyPaths=/dev/log)
[Unit]
Description=HAProxy Load Balancer (tierform lab)
After=network-online.target rsyslog.service
Wants=network-online.target

[Service]
EnvironmentFile=-/etc/default/haproxy
EnvironmentFile=-/etc/sysconfig/haproxy
Environment="CONFIG=/etc/haproxy/haproxy.cfg" "PIDFILE=/run/haproxy.pid" "EXTRAOPTS=-S /run/haproxy-master.sock"
ExecStart=/usr/sbin/haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS
ExecReload=/usr/sbin/haproxy -Ws -f $CONFIG -c -q $EXTRAOPTS
ExecReload=/bin/kill -USR2 $MAINPID
KillMode=mixed
Restart=always
SuccessExitStatus=143
Type=notify

[Install]
WantedBy=multi-user.target
`,
  'mariadb.service': `# tierform lab stand-in for Debian's mariadb.service (mariadbd directly; datadir initialized at first start)
[Unit]
Description=MariaDB database server (tierform lab)
After=network.target

[Service]
Type=notify
User=mysql
Group=mysql
UMask=007
# What the mariadb-server package's postinst runs at install, when the datadir is empty.
ExecStartPre=+/bin/sh -c 'if [ ! -d /var/lib/mysql/mysql ]; then TMPDIR= bash /usr/bin/mysql_install_db --rpm --cross-bootstrap --user=mysql --disable-log-bin --skip-test-db; fi'
ExecStart=/usr/sbin/mariadbd $MYSQLD_OPTS
X-TierformLabReady=/usr/bin/mariadb-admin --connect-timeout=2 ping
KillSignal=SIGTERM
SendSIGKILL=no
Restart=on-abnormal
RestartSec=5s
TimeoutStartSec=900
TimeoutStopSec=900
LimitNOFILE=32768

[Install]
WantedBy=multi-user.target
`,
  'keepalived.service': `# tierform lab stand-in for Debian's keepalived.service (logs to its console: no syslog in the lab)
[Unit]
Description=Keepalive Daemon (LVS and VRRP) (tierform lab)
After=network-online.target
Wants=network-online.target
ConditionFileNotEmpty=/etc/keepalived/keepalived.conf

[Service]
Type=notify
EnvironmentFile=-/etc/default/keepalived
ExecStart=/usr/sbin/keepalived --dont-fork --log-console --log-detail $DAEMON_ARGS
ExecReload=/bin/kill -HUP $MAINPID

[Install]
WantedBy=multi-user.target
`,
  'docker.service': `# tierform lab stand-in for Ubuntu's docker.service (no socket activation, dockerd's own containerd, lab cgroup)
[Unit]
Description=Docker Application Container Engine (tierform lab)
Documentation=https://docs.docker.com
After=network-online.target firewalld.service time-set.target
Wants=network-online.target
StartLimitBurst=3
StartLimitIntervalSec=60

[Service]
Type=notify
ExecStart=/usr/sbin/dockerd -H unix:///run/docker.sock --cgroup-parent=\${TIERFORM_LAB_CGROUP_PARENT}
X-TierformLabReady=/usr/bin/docker -H unix:///run/docker.sock version
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=120
TimeoutStopSec=20
RestartSec=2
Restart=always
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process
OOMScoreAdjust=-500

[Install]
WantedBy=multi-user.target
`,
};

/** Names that are aliases of a unit (Debian's mariadb package links mysql.service and mysqld.service to it). */
export const UNIT_ALIASES: Readonly<Record<string, string>> = {
  'mysql.service': 'mariadb.service',
  'mysqld.service': 'mariadb.service',
};

/** Units the lab does not run, and why; `systemctl` on them succeeds with a note. */
export const SKIPPED_UNITS: Readonly<Record<string, string>> = {
  'systemd-journald.service': 'no journald in the lab: service output goes to the lab log files',
  'ssh.service': 'no SSH in the lab (nothing logs in; the firewall rule for port 22 is still enforced)',
  'sshd.service': 'no SSH in the lab (nothing logs in; the firewall rule for port 22 is still enforced)',
  'fail2ban.service': 'no fail2ban in the lab (no SSH, and its bans would edit the namespace nftables)',
  'containerd.service': 'dockerd starts its own containerd in the lab (lib/lab/lab-units.ts, docker.service)',
  'docker.socket': 'no socket activation in the lab: dockerd listens on /run/docker.sock itself',
};

/** Packages a plan installs that the lab does not need on this machine (their services are skipped). */
export const SKIPPED_PACKAGES: Readonly<Record<string, string>> = {
  fail2ban: SKIPPED_UNITS['fail2ban.service'],
  'openssh-server': SKIPPED_UNITS['ssh.service'],
  certbot: "Let's Encrypt is not reachable: the droplet's certbot is the lab's shim, which issues from the lab CA (lib/lab/lab-ca.ts)",
  'python3-certbot-dns-digitalocean': 'no DNS-01 challenge in the lab: the lab CA issues for the requested names (lib/lab/lab-ca.ts)',
};

/** Packages the lab cannot provide, with what to do instead. */
export const UNSUPPORTED_PACKAGES: Readonly<Record<string, string>> = {
  'mysql-server':
    'the plan runs MySQL 8.0, which Debian does not ship; the lab runs MariaDB only: synthesize the stage with TIERFORM_ENGINE=mariadb-10.11',
  'mysql-client':
    'the plan runs MySQL 8.0, which Debian does not ship; the lab runs MariaDB only: synthesize the stage with TIERFORM_ENGINE=mariadb-10.11',
};

/** Debian packages of the tools the lab itself runs (besides what the plan installs). */
export const LAB_TOOL_PACKAGES: readonly { readonly command: string; readonly debianPackage: string }[] = [
  { command: 'ip', debianPackage: 'iproute2' },
  { command: 'nft', debianPackage: 'nftables' },
  { command: 'unshare', debianPackage: 'util-linux' },
  { command: 'nsenter', debianPackage: 'util-linux' },
  { command: 'setpriv', debianPackage: 'util-linux' },
  { command: 'mount', debianPackage: 'mount' },
  { command: 'curl', debianPackage: 'curl' },
  { command: 'dpkg-query', debianPackage: 'dpkg' },
  // The lab's DNS server (dns-server.ts): the binary only, the package installs no service.
  { command: 'dnsmasq', debianPackage: 'dnsmasq-base' },
];
