#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Start real programs on loopback, let them idle, and compare rsample with gdb (compare.py).

    run_all.py [--rsample PATH] [--rsample-args ARGS] [--save DIR] [-v] [PROGRAM...]

Run as root. PROGRAMs (default: all that are installed or buildable):
nginx, redis, memcached, postgres, sshd, rsyslogd, cron, apache2 (mpm_event),
mariadb, haproxy, unbound, lighttpd, dnsmasq, varnish, named, postfix (master,
qmgr, pickup, postlogd), exim4, dbus (a session-style dbus-daemon), squid,
chrony, smbd, python3, perl, node, java (progs/JavaService.java, run from
source), erlang (beam.smp), go (progs/gohttp.go), rust (progs/rsservice.rs),
cxx (progs/cxxservice.cc), c and clang (a getchar() reader built by gcc, and
by clang, which leaves out .debug_aranges). Daemons come from Debian's packages
(apt-get install nginx-light redis-server memcached postgresql openssh-server
rsyslog cron apache2 mariadb-server haproxy unbound lighttpd dnsmasq varnish
bind9 postfix dbus-daemon squid chrony samba openjdk-17-jre-headless
erlang-base; exim4-daemon-light conflicts with postfix: install one at a time);
each listens on 127.0.0.1 only and gets no traffic. apache2 to smbd run in the
foreground with config, data, pid and socket files under /tmp/rsample-gdbcompare
(config files passed by path; /etc is left alone), on ports 18100-18199 and
18200-18299 (mariadb: unix socket only; dbus and chrony: a unix socket only);
the DNS servers answer from local zones only, with no forwarders and no
recursion; postfix and exim4 deliver and relay nothing; chrony has no sources
and never touches the clock (-x). Every process of a program is compared
(nginx's master and workers, postgres's server processes, apache2's workers,
varnish's manager and child, postfix's master and children, smbd's helpers).
Work files go to /tmp/rsample-gdbcompare. --rsample-args adds arguments to
every rsample run (e.g. "--backend proc" compares the /proc backend). Prints
compare.py's listing, then one summary line per program and the total.
"""

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import compare  # noqa: E402

WORK = "/tmp/rsample-gdbcompare"
PROGS = os.path.join(HERE, "progs")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def children(pid):
    out = []
    try:
        for t in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(pid):
    out = [pid]
    for c in children(pid):
        out += tree(c)
    return out


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


class Prog:
    """One program: start() returns the Popen; pids() the processes to compare."""

    def __init__(self, name, argv, need=None, build=None, user=None, setup=None, wait=1.5,
                 env=None):
        self.name, self.argv, self.need, self.build = name, argv, need, build
        self.user, self.setup, self.wait, self.env = user, setup, wait, env
        self.proc = None

    def available(self):
        return not self.need or shutil.which(self.need) or os.path.exists(self.need)

    def start(self):
        if self.build:
            self.build()
        if self.setup:
            self.setup()
        argv = self.argv
        if self.user:
            argv = ["runuser", "-u", self.user, "--"] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(WORK, self.name + ".out"), "w"),
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     cwd=WORK, env=self.env)
        time.sleep(self.wait)
        if self.proc.poll() is not None:
            raise RuntimeError("%s exited (%d); see %s.out" % (self.name, self.proc.returncode,
                                                               os.path.join(WORK, self.name)))

    def pids(self):
        out = [p for p in tree(self.proc.pid) if comm(p) not in ("runuser", "sh")]
        return out

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def w(*p):
    return os.path.join(WORK, *p)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def nginx_setup():
    os.makedirs(w("nginx", "logs"), exist_ok=True)
    write(w("nginx", "nginx.conf"), """
daemon off; master_process on; worker_processes 2;
pid %s; error_log %s;
events { worker_connections 64; }
http { access_log off; client_body_temp_path %s;
  server { listen 127.0.0.1:18080; location / { return 200 "hi"; } } }
""" % (w("nginx", "nginx.pid"), w("nginx", "logs", "error.log"), w("nginx", "body")))


def pg_setup():
    data = w("pgdata")
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        os.makedirs(data, exist_ok=True)
        shutil.chown(data, "postgres", "postgres")
        sh(["runuser", "-u", "postgres", "--", pg_bin("initdb"), "-D", data, "-A", "trust"],
           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.makedirs(w("pgsock"), exist_ok=True)
    shutil.chown(w("pgsock"), "postgres", "postgres")
    os.chmod(WORK, 0o755)


def pg_bin(name):
    root = "/usr/lib/postgresql"
    vers = sorted(os.listdir(root)) if os.path.isdir(root) else []
    return os.path.join(root, vers[-1], "bin", name) if vers else "/nonexistent/" + name


def sshd_setup():
    os.makedirs("/run/sshd", exist_ok=True)
    if not os.path.exists(w("ssh_host_ed25519_key")):
        sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", w("ssh_host_ed25519_key")])


def rsyslog_setup():
    write(w("rsyslog.conf"), """
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="15514")
*.* %s
""" % w("rsyslog.log"))


def apache2_setup():
    d = w("apache2")
    os.makedirs(os.path.join(d, "htdocs"), exist_ok=True)
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    write(os.path.join(d, "htdocs", "index.html"), "hi\n")
    mods = "/usr/lib/apache2/modules"
    write(os.path.join(d, "apache2.conf"), """
ServerRoot "%(d)s"
DefaultRuntimeDir "%(d)s/run"
PidFile "%(d)s/apache2.pid"
Mutex file:%(d)s/run default
LoadModule mpm_event_module %(m)s/mod_mpm_event.so
LoadModule authz_core_module %(m)s/mod_authz_core.so
User www-data
Group www-data
ServerName 127.0.0.1
Listen 127.0.0.1:18100
ErrorLog "%(d)s/error.log"
LogLevel warn
DocumentRoot "%(d)s/htdocs"
StartServers 2
ServerLimit 2
ThreadsPerChild 4
ThreadLimit 4
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
""" % {"d": d, "m": mods})


def mariadb_setup():
    d = w("mariadb")
    data = os.path.join(d, "data")
    os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
    if not os.path.isdir(os.path.join(data, "mysql")):
        os.makedirs(data, exist_ok=True)
        sh(["mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir=" + data,
            "--auth-root-authentication-method=socket", "--skip-test-db",
            "--skip-name-resolve"],
           stdout=open(w("mariadb-install-db.out"), "w"), stderr=subprocess.STDOUT)
    for p in (d, data, os.path.join(d, "tmp")):
        shutil.chown(p, "mysql", "mysql")


def haproxy_setup():
    write(w("haproxy.cfg"), """
global
    nbthread 2
    pidfile %s
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:18101
    http-request return status 200 content-type text/plain string hi
""" % w("haproxy.pid"))


def unbound_setup():
    d = w("unbound")
    os.makedirs(d, exist_ok=True)
    # "." static: every query is answered from local data, nothing is asked upstream
    write(os.path.join(d, "unbound.conf"), """
server:
    num-threads: 2
    interface: 127.0.0.1
    port: 18102
    outgoing-interface: 127.0.0.1
    do-ip6: no
    interface-automatic: no
    do-daemonize: no
    use-syslog: no
    logfile: ""
    chroot: ""
    username: ""
    directory: "%(d)s"
    pidfile: "%(d)s/unbound.pid"
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "." static
    local-data: "www.example.test. IN A 127.0.0.1"
remote-control:
    control-enable: no
""" % {"d": d})


def lighttpd_setup():
    d = w("lighttpd")
    os.makedirs(os.path.join(d, "htdocs"), exist_ok=True)
    write(os.path.join(d, "htdocs", "index.html"), "hi\n")
    write(os.path.join(d, "lighttpd.conf"), """
server.document-root = "%(d)s/htdocs"
server.bind = "127.0.0.1"
server.port = 18103
server.pid-file = "%(d)s/lighttpd.pid"
server.errorlog = "%(d)s/error.log"
server.username = "www-data"
server.groupname = "www-data"
server.modules = ()
""" % {"d": d})
    shutil.chown(d, "www-data", "www-data")  # the error log is opened as www-data


def varnish_setup():
    d = w("varnish")
    os.makedirs(d, exist_ok=True)
    write(w("varnish.vcl"), """vcl 4.1;
backend default none;
sub vcl_recv { return (synth(200, "hi")); }
""")


def named_setup():
    d = w("named")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "example.test.zone"), """$TTL 3600
@   IN SOA  ns.example.test. root.example.test. 1 3600 600 86400 3600
    IN NS   ns.example.test.
ns  IN A    127.0.0.1
www IN A    127.0.0.1
""")
    # controls {}: no rndc channel; recursion no: only the local zone is served
    write(os.path.join(d, "named.conf"), """
options {
    directory "%(d)s";
    pid-file "%(d)s/named.pid";
    session-keyfile "%(d)s/session.key";
    managed-keys-directory "%(d)s";
    listen-on port 18106 { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query { 127.0.0.1; };
    allow-transfer { none; };
};
controls { };
zone "example.test" { type primary; file "%(d)s/example.test.zone"; };
""" % {"d": d})
    shutil.chown(d, "bind", "bind")


def postfix_setup():
    d = w("postfix")
    for sub in ("spool", "data"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    # default_transport and relay_transport "error": mail for anywhere bounces, nothing
    # leaves the machine; inet_interfaces and the smtpd line keep it on 127.0.0.1
    write(os.path.join(d, "main.cf"), """
compatibility_level = 3.6
queue_directory = %(d)s/spool
data_directory = %(d)s/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = localhost.localdomain
mydomain = localdomain
myorigin = localhost.localdomain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost =
default_transport = error
relay_transport = error
smtpd_relay_restrictions = reject
smtp_dns_support_level = disabled
maillog_file_prefixes = %(d)s
maillog_file = %(d)s/maillog
""" % {"d": d})
    # chroot "n" everywhere: a chroot in the queue directory would need copies of /etc files
    write(os.path.join(d, "master.cf"), """
127.0.0.1:18210 inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
""")
    shutil.chown(os.path.join(d, "data"), "postfix", "postfix")  # master.lock
    # creates the queue directories (post-install create-missing) under spool/
    sh(["postfix", "-c", d, "check"], stdout=open(w("postfix-check.out"), "w"),
       stderr=subprocess.STDOUT)


def exim4_setup():
    d = w("exim4")
    for sub in ("spool", "log"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        shutil.chown(os.path.join(d, sub), "Debian-exim", "Debian-exim")
    # every address fails in routing: nothing is delivered or relayed; no ident or reverse
    # DNS lookups of clients; the daemon listens on 127.0.0.1 only (-bdf, no queue runner)
    write(os.path.join(d, "exim4.conf"), """
primary_hostname = localhost.localdomain
qualify_domain = localdomain
local_interfaces = 127.0.0.1
daemon_smtp_ports = 18212
disable_ipv6 = true
spool_directory = %(d)s/spool
log_file_path = %(d)s/log/%%slog
pid_file_path = %(d)s/exim4.pid
exim_user = Debian-exim
exim_group = Debian-exim
host_lookup =
rfc1413_hosts =
keep_environment =
tls_advertise_hosts =
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  deny message = no relay, no delivery

begin routers
fail_all:
  driver = redirect
  data = :fail: no delivery
  allow_fail

begin transports

begin retry
* * F,1h,1h
""" % {"d": d})


def dbus_setup():
    d = w("dbus")
    os.makedirs(d, exist_ok=True)
    # a session bus with no service directories: nothing is activated
    write(os.path.join(d, "session.conf"), """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""" % d)


def squid_setup():
    d = w("squid")
    os.makedirs(d, exist_ok=True)
    # no cache_dir: memory only; no pinger, ICP, HTCP or SNMP; the DNS client socket on
    # 127.0.0.1 (no IPv6 one), asking 127.0.0.1 only; no shared collapsed-forwarding
    # table (it would be a segment in /dev/shm)
    write(os.path.join(d, "squid.conf"), """
http_port 127.0.0.1:18211
visible_hostname localhost
cache_effective_user proxy
pid_filename %(d)s/squid.pid
cache_log %(d)s/cache.log
access_log none
cache_store_log none
coredump_dir %(d)s
cache deny all
cache_mem 8 MB
pinger_enable off
icp_port 0
htcp_port 0
dns_nameservers 127.0.0.1
udp_incoming_address 127.0.0.1
udp_outgoing_address 127.0.0.1
netdb_filename none
shutdown_lifetime 1 seconds
collapsed_forwarding_shared_entries_limit 0
http_access allow localhost
http_access deny all
""" % {"d": d})
    shutil.chown(d, "proxy", "proxy")


def chrony_setup():
    d = w("chrony")
    os.makedirs(d, exist_ok=True)
    # no sources, no NTP port (port 0), no UDP command port (cmdport 0): only the command
    # socket in WORK, else chronyd has nothing to do and exits; -x: the clock is never touched
    write(os.path.join(d, "chrony.conf"), """
port 0
cmdport 0
bindcmdaddress %(d)s/chronyd.sock
pidfile %(d)s/chronyd.pid
""" % {"d": d})
    shutil.chown(d, "_chrony", "_chrony")
    os.chmod(d, 0o750)


def samba_setup():
    d = w("samba")
    for sub in ("run", "lock", "state", "cache", "private", "ncalrpc", "share"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    # lo's IPv4 address only ("interfaces = lo" would bind ::1 too); no NetBIOS, no printers
    write(os.path.join(d, "smb.conf"), """
[global]
    server role = standalone server
    workgroup = WORKGROUP
    netbios name = RSAMPLETEST
    interfaces = 127.0.0.1/8
    bind interfaces only = yes
    smb ports = 18214
    disable netbios = yes
    pid directory = %(d)s/run
    lock directory = %(d)s/lock
    state directory = %(d)s/state
    cache directory = %(d)s/cache
    private dir = %(d)s/private
    ncalrpc dir = %(d)s/ncalrpc
    passdb backend = tdbsam:%(d)s/private/passdb.tdb
    log file = %(d)s/log.%%m
    logging = file
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    usershare path =
[share]
    path = %(d)s/share
    read only = yes
""" % {"d": d})


def build_go():
    if not os.path.exists(w("gohttp")):
        os.makedirs(w("gobuild"), exist_ok=True)
        shutil.copy(os.path.join(PROGS, "gohttp.go"), w("gobuild", "main.go"))
        write(w("gobuild", "go.mod"), "module gohttp\ngo 1.19\n")
        sh(["go", "build", "-o", w("gohttp"), "."], cwd=w("gobuild"),
           env=dict(os.environ, GOFLAGS="-mod=mod", GOCACHE=w("gocache"), GOPATH=w("gopath")))


def rustc():
    return shutil.which("rustc") or "/root/.cargo/bin/rustc"


def build_rust():
    sh([rustc(), "-C", "opt-level=2", "-g", "-o", w("rsservice"),
        os.path.join(PROGS, "rsservice.rs")])


def build_cxx():
    sh(["g++", "-O2", "-g", "-pthread", "-o", w("cxxservice"),
        os.path.join(PROGS, "cxxservice.cc")])


def build_clang():
    build_c()
    # clang emits no .debug_aranges: the CU is found by its own ranges
    sh(["clang", "-O2", "-g", "-pthread", "-o", w("creader-clang"), w("creader.c")])


def build_c():
    src = w("creader.c")
    write(src, """#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *th(void *a) { (void)a; for (;;) pause(); return 0; }
int main(void) { pthread_t t; pthread_create(&t, 0, th, 0); int c = getchar();
  printf("%d\\n", c); return 0; }
""")
    sh(["gcc", "-O2", "-g", "-pthread", "-o", w("creader"), src])


PROGRAMS = [
    Prog("c", ["sh", "-c", "sleep 100000 | %s" % w("creader")], need="gcc", build=build_c),
    Prog("clang", ["sh", "-c", "sleep 100000 | %s" % w("creader-clang")], need="clang",
         build=build_clang),
    Prog("nginx", ["nginx", "-p", w("nginx"), "-c", w("nginx", "nginx.conf")],
         need="nginx", setup=nginx_setup),
    Prog("redis", ["redis-server", "--port", "16379", "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", WORK], need="redis-server"),
    Prog("memcached", ["memcached", "-u", "nobody", "-l", "127.0.0.1", "-p", "11311", "-U", "0",
                       "-t", "4"], need="memcached"),
    Prog("postgres", [pg_bin("postgres"), "-D", w("pgdata"), "-k", w("pgsock"),
                      "-c", "listen_addresses=127.0.0.1", "-p", "15432"],
         need=pg_bin("postgres"), user="postgres", setup=pg_setup, wait=3),
    Prog("sshd", ["/usr/sbin/sshd", "-D", "-f", "/dev/null", "-p", "2222",
                  "-o", "ListenAddress=127.0.0.1", "-h", w("ssh_host_ed25519_key"),
                  "-o", "PidFile=" + w("sshd.pid")], need="/usr/sbin/sshd", setup=sshd_setup),
    Prog("rsyslogd", ["rsyslogd", "-n", "-f", w("rsyslog.conf"), "-i", w("rsyslogd.pid")],
         need="rsyslogd", setup=rsyslog_setup),
    Prog("cron", ["cron", "-f"], need="cron"),
    Prog("apache2", ["apache2", "-DFOREGROUND", "-d", w("apache2"),
                     "-f", w("apache2", "apache2.conf")],
         need="apache2", setup=apache2_setup, wait=3),
    Prog("mariadb", ["mariadbd", "--no-defaults", "--user=mysql",
                     "--datadir=" + w("mariadb", "data"), "--skip-networking",
                     "--socket=" + w("mariadb", "mariadb.sock"),
                     "--pid-file=" + w("mariadb", "mariadb.pid"),
                     "--tmpdir=" + w("mariadb", "tmp"), "--skip-name-resolve",
                     "--innodb-buffer-pool-size=32M"],
         need="mariadbd", setup=mariadb_setup, wait=8),
    Prog("haproxy", ["haproxy", "-db", "-f", w("haproxy.cfg")], need="haproxy",
         setup=haproxy_setup, wait=2),
    Prog("unbound", ["unbound", "-d", "-c", w("unbound", "unbound.conf")], need="unbound",
         setup=unbound_setup, wait=3),
    Prog("lighttpd", ["lighttpd", "-D", "-f", w("lighttpd", "lighttpd.conf")], need="lighttpd",
         setup=lighttpd_setup, wait=2),
    Prog("dnsmasq", ["dnsmasq", "-k", "-C", "/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
                     "--listen-address=127.0.0.1", "--bind-interfaces", "--port=18104",
                     "--pid-file=" + w("dnsmasq.pid"), "--log-facility=-",
                     "--address=/example.test/127.0.0.1"], need="dnsmasq", wait=2),
    Prog("varnish", ["varnishd", "-F", "-n", w("varnish"), "-a", "127.0.0.1:18105", "-T", "none",
                     "-f", w("varnish.vcl"), "-s", "malloc,16m", "-P", w("varnish.pid"),
                     "-p", "thread_pools=1", "-p", "thread_pool_min=5",
                     "-p", "thread_pool_max=10"],
         need="varnishd", setup=varnish_setup, wait=6),
    Prog("named", ["named", "-g", "-4", "-n", "2", "-u", "bind", "-c", w("named", "named.conf")],
         need="named", setup=named_setup, wait=4),
    # master itself (it stays in the foreground): "postfix start-fg" would add postfix-script
    Prog("postfix", ["/usr/lib/postfix/sbin/master", "-c", w("postfix"), "-s"],
         need="/usr/lib/postfix/sbin/master", setup=postfix_setup, wait=4),
    Prog("exim4", ["exim4", "-bdf", "-C", w("exim4", "exim4.conf")], need="exim4",
         setup=exim4_setup, wait=3),
    Prog("dbus", ["dbus-daemon", "--nofork", "--nopidfile", "--nosyslog",
                  "--config-file=" + w("dbus", "session.conf")],
         need="dbus-daemon", setup=dbus_setup, wait=2),
    Prog("squid", ["squid", "-N", "-f", w("squid", "squid.conf")], need="squid",
         setup=squid_setup, wait=4),
    Prog("chrony", ["chronyd", "-d", "-x", "-f", w("chrony", "chrony.conf")], need="chronyd",
         setup=chrony_setup, wait=2),
    Prog("smbd", ["smbd", "--foreground", "--no-process-group", "--debug-stdout",
                  "-s", w("samba", "smb.conf")],
         need="smbd", setup=samba_setup, wait=5),
    Prog("python3", ["/usr/bin/python3", os.path.join(PROGS, "pyservice.py"), "18084"],
         need="/usr/bin/python3"),
    Prog("perl", ["perl", "-MIO::Socket::INET", "-e",
                  '$s=IO::Socket::INET->new(LocalAddr=>"127.0.0.1:18086",Listen=>1,'
                  'ReuseAddr=>1) or die; $s->accept'], need="perl"),
    Prog("node", ["node", os.path.join(PROGS, "nodeservice.js"), "18085"], need="node", wait=2),
    # -XX:-UsePerfData: no /tmp/hsperfdata_root/PID file
    Prog("java", ["java", "-XX:-UsePerfData", "-Djava.net.preferIPv4Stack=true",
                  os.path.join(PROGS, "JavaService.java"), "18213"], need="java", wait=8),
    Prog("erlang", ["erl", "-noshell", "-eval", "timer:sleep(infinity)"], need="erl", wait=4),
    Prog("go", [w("gohttp")], need="go", build=build_go),
    Prog("rust", [w("rsservice"), "18083"], need=rustc(), build=build_rust),
    Prog("cxx", [w("cxxservice")], need="g++", build=build_cxx),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("programs", nargs="*")
    ap.add_argument("--rsample", default=os.path.join(REPO, "build", "rsample"))
    ap.add_argument("--rsample-args", default="", metavar="ARGS",
                    help='more arguments for every rsample run, e.g. "--backend proc"')
    ap.add_argument("--save", help="keep the raw outputs in this directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    extra = shlex.split(a.rsample_args)
    os.makedirs(WORK, exist_ok=True)
    os.chmod(WORK, 0o755)
    results, errors = [], []
    for p in PROGRAMS:
        if a.programs and p.name not in a.programs:
            continue
        if not p.available():
            errors.append("%s: not installed, skipped" % p.name)
            continue
        try:
            p.start()
            pids = p.pids()
            for pid in pids:
                label = "%s/%s[%d]" % (p.name, comm(pid), pid) if len(pids) > 1 else p.name
                try:
                    doc, text = compare.run_pid(pid, a.rsample, a.save,
                                                label.replace("/", "_"), extra)
                except RuntimeError as e:
                    errors.append("%s: %s" % (label, e))
                    continue
                results.append(compare.compare(label, doc, text, a.verbose))
        except (OSError, RuntimeError, subprocess.SubprocessError) as e:
            errors.append("%s: %s" % (p.name, e))
        finally:
            p.stop()
    for res in results:
        print("== %s" % res.label)
        for line in res.lines:
            print(line)
    print()
    for e in errors:
        print("note: " + e)
    t = compare.Result("TOTAL")
    for res in results:
        print(compare.summary(res))
        for k in ("threads", "equal", "different", "only_gdb", "only_rs"):
            setattr(t, k, getattr(t, k) + getattr(res, k))
    print(compare.summary(t))
    return 1 if (t.different or t.only_gdb or t.only_rs) else 0


if __name__ == "__main__":
    sys.exit(main())
