/* The kernel's floor for bench/labs.py's pods_lab(N): the fewest syscalls that build, read back
 * and tear down the same lab topo builds, with no file, validation, plan or record.
 *   floor build N      cni0.. (one bridge per PORTS pods, bridge b on 10.b.0.0/16, as labs.py
 *                      counts them) + N namespaces (pinned on /run/netns like `ip netns add`), veths,
 *                      addresses, links up, default routes, hosts files: every request batched
 *                      per netlink socket and sent back to back, the acks drained afterwards
 *   floor read         links, addresses and routes of the root and every pinned namespace
 *                      (dumps sent on all sockets of 1,000 namespaces first, then read), and
 *                      the hosts files
 *   floor teardown     root veths moved to one link group (batched), one delete by group,
 *                      the cni bridges deleted, every namespace unpinned, /etc/netns entries removed
 * Run inside a sandbox (scripts/sandbox.sh) only. Built by bench/apply_bench.py with cc. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIAS "topo:bench"
#define MTU 1450
#define PROTO 151 /* topo's route protocol */
#define GROUP 77
#define BUFSZ (1 << 16)
#define PORTS 1000 /* pods per bridge, as bench/labs.py: a bridge holds at most 1,024 ports */
#define MAXBR 256

static void die(const char *what) { perror(what); exit(1); }

struct batch { char *buf; size_t len, cap; int fd; unsigned seq, sent; };

static void batch_init(struct batch *b, int fd) {
  b->cap = 1 << 20; b->buf = malloc(b->cap); b->len = 0; b->fd = fd; b->seq = 0; b->sent = 0;
}

static int nl_socket(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) die("socket");
  int size = 32 << 20, one = 1;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  return fd;
}

static struct nlmsghdr *msg(struct batch *b, int type, int flags, const void *body, size_t blen) {
  if (b->len + 4096 > b->cap) { b->cap *= 2; b->buf = realloc(b->buf, b->cap); }
  struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + b->len);
  memset(h, 0, NLMSG_SPACE(blen));
  h->nlmsg_len = NLMSG_LENGTH(blen); h->nlmsg_type = type; h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  h->nlmsg_seq = ++b->seq;
  memcpy(NLMSG_DATA(h), body, blen);
  return h;
}

static void done(struct batch *b, struct nlmsghdr *h) { b->len += NLMSG_ALIGN(h->nlmsg_len); }

static struct rtattr *attr(struct nlmsghdr *h, int type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
  a->rta_type = type; a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}
static void attr_u32(struct nlmsghdr *h, int type, unsigned v) { attr(h, type, &v, 4); }
static void attr_str(struct nlmsghdr *h, int type, const char *s) { attr(h, type, s, strlen(s) + 1); }
static struct rtattr *nest(struct nlmsghdr *h, int type) { return attr(h, type, NULL, 0); }
static void end(struct nlmsghdr *h, struct rtattr *a) { a->rta_len = (char *)h + h->nlmsg_len - (char *)a; }

/* Send everything queued (back to back, 64 KiB per sendmsg), then drain one ack per request. */
static void flush(struct batch *b, const char *what) {
  size_t off = 0;
  while (off < b->len) {
    size_t n = 0;
    while (off + n < b->len && n < BUFSZ) n += NLMSG_ALIGN(((struct nlmsghdr *)(b->buf + off + n))->nlmsg_len);
    if (send(b->fd, b->buf + off, n, 0) < 0) die("send");
    off += n;
  }
  unsigned want = b->seq - b->sent;
  char rb[BUFSZ];
  while (want) {
    ssize_t got = recv(b->fd, rb, sizeof rb, 0);
    if (got < 0) die("recv ack");
    for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error) { fprintf(stderr, "floor: %s request %u: %s\n", what, h->nlmsg_seq, strerror(-e->error)); exit(1); }
      want--;
    }
  }
  b->len = 0; b->sent = b->seq;
}

static struct nlmsghdr *link_msg(struct batch *b, int flags, int index, unsigned up) {
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index, .ifi_flags = up, .ifi_change = up };
  return msg(b, RTM_NEWLINK, flags, &ifi, sizeof ifi);
}

static void set_alias(struct batch *b, int index, const char *name, unsigned up) {
  struct nlmsghdr *h = link_msg(b, 0, index, up);
  if (name) attr_str(h, IFLA_IFNAME, name);
  attr_str(h, IFLA_IFALIAS, ALIAS);
  done(b, h);
}

static void addr_msg(struct batch *b, int index, unsigned ip) {
  struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 16, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = index };
  struct nlmsghdr *h = msg(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  attr(h, IFA_LOCAL, &ip, 4); attr(h, IFA_ADDRESS, &ip, 4);
  done(b, h);
}

/* Pod i's address, 10.b.a/256.a%256 with b = i / PORTS, a = i % PORTS + 2; bridge b's is 10.b.0.1. */
static unsigned pod_ip(int i) {
  unsigned b = (unsigned)(i / PORTS), a = (unsigned)(i % PORTS + 2);
  return htonl((10u << 24) | (b << 16) | ((a / 256) << 8) | (a % 256));
}
static unsigned bridge_ip(int b) { return htonl((10u << 24) | ((unsigned)b << 16) | 1u); }

static void hosts_file(int i) {
  char dir[64], path[80], body[512];
  snprintf(dir, sizeof dir, "/etc/netns/pod-%d", i);
  if (mkdir(dir, 0755) && errno != EEXIST) die(dir);
  snprintf(path, sizeof path, "%s/hosts", dir);
  unsigned ip = ntohl(pod_ip(i));
  int n = snprintf(body, sizeof body,
    "# Kubernetes-style hosts file managed by topo (lab bench); edits are reverted by apply.\n"
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n10.%u.%u.%u\tpod-%d\n", (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, i);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, body, n) != n || close(fd)) die(path);
}

static void shared_run_netns(void) {
  mkdir("/run/netns", 0755);
  if (mount("none", "/run/netns", NULL, MS_SHARED | MS_REC, NULL) == 0) return;
  if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC, NULL)) die("bind /run/netns");
  if (mount("none", "/run/netns", NULL, MS_SHARED | MS_REC, NULL)) die("share /run/netns");
}

static struct nlmsghdr *veth_msg(struct batch *b, int i, int master, int nsfd) {
  char name[32];
  snprintf(name, sizeof name, "veth%d", i);
  struct nlmsghdr *h = link_msg(b, NLM_F_CREATE | NLM_F_EXCL, 0, IFF_UP);
  attr_str(h, IFLA_IFNAME, name); attr_u32(h, IFLA_MTU, MTU); attr_u32(h, IFLA_MASTER, master);
  struct rtattr *li = nest(h, IFLA_LINKINFO); attr_str(h, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest(h, IFLA_INFO_DATA), *peer = nest(h, VETH_INFO_PEER);
  struct ifinfomsg pi = { .ifi_family = AF_UNSPEC, .ifi_index = 2 }; /* up only once paired (veth_open) */
  memcpy((char *)h + h->nlmsg_len, &pi, sizeof pi); h->nlmsg_len += NLMSG_ALIGN(sizeof pi);
  attr_str(h, IFLA_IFNAME, "eth0"); attr_u32(h, IFLA_MTU, MTU); attr_u32(h, IFLA_NET_NS_FD, nsfd);
  end(h, peer); end(h, data); end(h, li);
  done(b, h);
  set_alias(b, 0, name, 0);
  return h;
}

/* Pods first..first+count-1 (one bridge's): namespaces, the veths in one root batch, then every
 * namespace's batch sent before any of their acks is read. A chunk at a time so that the fds
 * held (a namespace fd and a socket per pod) stay far below the hard limit (20,000 here). */
static void pods(struct batch *b, int root, int first, int count, int master) {
  int *nsfd = malloc(count * sizeof *nsfd), *sock = malloc(count * sizeof *sock);
  for (int k = 0; k < count; k++) { /* a namespace, pinned, with a netlink socket of its own */
    char path[64];
    snprintf(path, sizeof path, "/run/netns/pod-%d", first + k);
    int f = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (f < 0) die(path);
    close(f);
    if (unshare(CLONE_NEWNET)) die("unshare");
    if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL)) die("pin");
    nsfd[k] = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    sock[k] = nl_socket();
    if (nsfd[k] < 0 || setns(root, CLONE_NEWNET)) die("setns root");
  }
  for (int k = 0; k < count; k++) veth_msg(b, first + k, master, nsfd[k]); /* peer eth0 straight into pod-<i> */
  flush(b, "root");
  struct batch *nb = malloc(count * sizeof *nb);
  for (int k = 0; k < count; k++) {
    int i = first + k;
    batch_init(&nb[k], sock[k]);
    set_alias(&nb[k], 1, NULL, IFF_UP);
    set_alias(&nb[k], 2, NULL, IFF_UP);
    addr_msg(&nb[k], 2, pod_ip(i));
    struct rtmsg rt = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = PROTO,
                        .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
    struct nlmsghdr *h = msg(&nb[k], RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
    unsigned gw = bridge_ip(i / PORTS);
    attr(h, RTA_GATEWAY, &gw, 4); attr_u32(h, RTA_OIF, 2);
    done(&nb[k], h);
    if (send(sock[k], nb[k].buf, nb[k].len, 0) < 0) die("send pod");
    nb[k].len = 0;
    hosts_file(i);
  }
  for (int k = 0; k < count; k++) { flush(&nb[k], "pod"); close(sock[k]); close(nsfd[k]); free(nb[k].buf); }
  free(nb); free(nsfd); free(sock);
}

static void build(int n) {
  int root = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (root < 0) die("open root netns");
  shared_run_netns();
  mkdir("/etc/netns", 0755);
  struct batch b;
  batch_init(&b, nl_socket());
  int nbr = n > PORTS ? (n + PORTS - 1) / PORTS : 1, br[MAXBR];
  if (nbr > MAXBR) { fprintf(stderr, "floor: at most %d pods\n", MAXBR * PORTS); exit(2); }
  char name[32];
  for (int k = 0; k < nbr; k++) { /* the bridges in one batch, then their addresses */
    snprintf(name, sizeof name, "cni%d", k);
    struct nlmsghdr *h = link_msg(&b, NLM_F_CREATE | NLM_F_EXCL, 0, IFF_UP);
    attr_str(h, IFLA_IFNAME, name); attr_u32(h, IFLA_MTU, MTU);
    struct rtattr *li = nest(h, IFLA_LINKINFO); attr_str(h, IFLA_INFO_KIND, "bridge"); end(h, li);
    done(&b, h);
    set_alias(&b, 0, name, 0);
  }
  flush(&b, "bridges");
  for (int k = 0; k < nbr; k++) {
    snprintf(name, sizeof name, "cni%d", k);
    br[k] = if_nametoindex(name);
    addr_msg(&b, br[k], bridge_ip(k));
  }
  for (int k = 0; k < nbr; k++) pods(&b, root, k * PORTS, n - k * PORTS < PORTS ? n - k * PORTS : PORTS, br[k]);
}

/* Read a whole dump; returns the number of messages. */
static long drain_dump(int fd, long *bytes) {
  static char rb[1 << 17];
  long count = 0;
  for (;;) {
    ssize_t got = recv(fd, rb, sizeof rb, 0);
    if (got < 0) die("recv dump");
    *bytes += got;
    for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type == NLMSG_DONE) return count;
      if (h->nlmsg_type == NLMSG_ERROR) { fprintf(stderr, "floor: dump failed\n"); exit(1); }
      count++;
    }
  }
}

static void dump_req(int fd, int type) {
  struct { struct nlmsghdr h; struct rtgenmsg g; } req = {
    .h = { .nlmsg_len = sizeof req, .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
    .g = { .rtgen_family = AF_UNSPEC } };
  if (send(fd, &req, sizeof req, 0) < 0) die("send dump");
}

/* Dumps of links, addresses and routes sent on every socket of `socks` (3 per namespace) first,
 * then all read; the sockets closed. */
static void dump_all(int *socks, int count, long *msgs, long *bytes) {
  static const int types[3] = { RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE };
  for (int i = 0; i < count; i++) dump_req(socks[i], types[i % 3]);
  for (int i = 0; i < count; i++) { *msgs += drain_dump(socks[i], bytes); close(socks[i]); }
}

/* The root namespace and every pinned one, PORTS namespaces at a time (3 sockets each: 30,000
 * at once would pass the fd hard limit of 20,000 here). */
static void read_state(void) {
  int root = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  DIR *d = opendir("/run/netns");
  if (!d) die("/run/netns");
  int n = 0, held = 3, *socks = malloc(3 * (PORTS + 1) * sizeof *socks);
  for (int k = 0; k < 3; k++) socks[k] = nl_socket(); /* the root namespace's */
  struct dirent *e;
  char path[300], buf[4096];
  long hosts = 0, msgs = 0, bytes = 0;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/run/netns/%s", e->d_name);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0 || setns(f, CLONE_NEWNET)) die(path);
    close(f);
    for (int k = 0; k < 3; k++) socks[held++] = nl_socket();
    n++;
    snprintf(path, sizeof path, "/etc/netns/%s/hosts", e->d_name);
    int h = open(path, O_RDONLY | O_CLOEXEC);
    if (h >= 0) { ssize_t got; while ((got = read(h, buf, sizeof buf)) > 0) hosts += got; close(h); }
    if (held >= 3 * PORTS) { dump_all(socks, held, &msgs, &bytes); held = 0; }
  }
  closedir(d);
  if (setns(root, CLONE_NEWNET)) die("setns root");
  dump_all(socks, held, &msgs, &bytes);
  printf("namespaces %d messages %ld bytes %ld hosts-bytes %ld\n", n, msgs, bytes, hosts);
}

static int is_bridge(const int *br, int nbr, int index) {
  for (int k = 0; k < nbr; k++) if (br[k] == index) return 1;
  return 0;
}

static void teardown(void) {
  struct batch b;
  batch_init(&b, nl_socket());
  int br[MAXBR], nbr = 0; /* the cni bridges, cni0, cni1, ... as long as they exist */
  char name[32];
  for (; nbr < MAXBR; nbr++) {
    snprintf(name, sizeof name, "cni%d", nbr);
    if (!(br[nbr] = if_nametoindex(name))) break;
  }
  dump_req(b.fd, RTM_GETLINK); /* their veths: into one link group, then one delete of the group */
  static char rb[1 << 17];
  for (int more = 1; more;) {
    ssize_t got = recv(b.fd, rb, sizeof rb, 0);
    if (got < 0) die("recv links");
    for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, got); h = NLMSG_NEXT(h, got)) {
      if (h->nlmsg_type == NLMSG_DONE) { more = 0; break; }
      struct ifinfomsg *ifi = NLMSG_DATA(h);
      int len = IFLA_PAYLOAD(h);
      for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len))
        if (a->rta_type == IFLA_MASTER && is_bridge(br, nbr, *(int *)RTA_DATA(a))) {
          struct nlmsghdr *m = link_msg(&b, 0, ifi->ifi_index, 0);
          attr_u32(m, IFLA_GROUP, GROUP); done(&b, m);
        }
    }
  }
  struct nlmsghdr *h = link_msg(&b, 0, 0, 0);
  h->nlmsg_type = RTM_DELLINK; attr_u32(h, IFLA_GROUP, GROUP); done(&b, h);
  for (int k = 0; k < nbr; k++) { h = link_msg(&b, 0, br[k], 0); h->nlmsg_type = RTM_DELLINK; done(&b, h); }
  flush(&b, "teardown");
  DIR *d = opendir("/run/netns");
  struct dirent *e;
  char path[300];
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/run/netns/%s", e->d_name);
    if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) || unlink(path)) die(path);
    snprintf(path, sizeof path, "/etc/netns/%s/hosts", e->d_name);
    unlink(path);
    snprintf(path, sizeof path, "/etc/netns/%s", e->d_name);
    rmdir(path);
  }
  if (d) closedir(d);
}

int main(int argc, char **argv) {
  struct rlimit lim;
  getrlimit(RLIMIT_NOFILE, &lim); lim.rlim_cur = lim.rlim_max; setrlimit(RLIMIT_NOFILE, &lim);
  if (argc == 3 && !strcmp(argv[1], "build")) build(atoi(argv[2]));
  else if (argc == 2 && !strcmp(argv[1], "read")) read_state();
  else if (argc == 2 && !strcmp(argv[1], "teardown")) teardown();
  else { fprintf(stderr, "usage: floor build N | floor read | floor teardown\n"); return 2; }
  return 0;
}
