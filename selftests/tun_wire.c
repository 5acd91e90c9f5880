// SPDX-License-Identifier: GPL-2.0
/*
 * tun_wire: keeps tun devices alive, and with two of them is the wire
 * between them.
 *
 * A tun device has carrier only while a process holds it open. With one
 * NAME, tun_wire holds it (and reads and drops whatever the stack sends to
 * it). With two, every packet one device sends is written into the other:
 * a userspace L3 link (a packet the other device refuses, being down, is
 * lost). It prints "ready" once the devices exist; when a device goes away
 * (deleted: EBADFD) or on SIGTERM/SIGINT it prints "# tun_wire relayed N
 * packets (...)" and exits 0; any other error exits 1.
 *
 * usage: tun_wire NAME [NAME2]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int tun_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI };
	int fd;

	if (strlen(name) >= IFNAMSIZ) {
		fprintf(stderr, "tun_wire: name too long: %s\n", name);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tun_wire: /dev/net/tun");
		return -1;
	}
	strcpy(ifr.ifr_name, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "tun_wire: TUNSETIFF %s: %s\n", name,
			strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}


int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	unsigned long n[2] = { 0, 0 }, drops = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct pollfd p[2];
	int fd[2], nfd = argc - 1, i, rc = 0;
	ssize_t len;

	if (nfd < 1 || nfd > 2) {
		fprintf(stderr, "usage: tun_wire NAME [NAME2]\n");
		return 1;
	}
	for (i = 0; i < nfd; i++) {
		fd[i] = tun_open(argv[i + 1]);
		if (fd[i] < 0)
			return 1;
		p[i].fd = fd[i];
		p[i].events = POLLIN;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		if (poll(p, nfd, 500) < 0) {
			if (errno == EINTR)
				continue;
			perror("tun_wire: poll");
			rc = 1;
			break;
		}
		for (i = 0; i < nfd && !stop; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				stop = 1;
				break;
			}
			len = read(fd[i], buf, sizeof(buf));
			if (len < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (len <= 0) {
				/* EBADFD: the device was deleted */
				if (len < 0 && errno != EBADFD) {
					perror("tun_wire: read");
					rc = 1;
				}
				stop = 1;
				break;
			}
			if (nfd < 2)
				continue;
			if (write(fd[!i], buf, len) == len) {
				n[i]++;
			} else if (errno == EBADFD) {
				stop = 1;
			} else {
				/* the other one is down, say: lost, as on a wire */
				drops++;
			}
		}
	}
	printf("# tun_wire relayed %lu packets (%lu A->B, %lu B->A), %lu lost\n",
	       n[0] + n[1], n[0], n[1], drops);
	return rc;
}
