// SPDX-License-Identifier: GPL-2.0
/*
 * hold: creates N PDs, CQs, QPs and MRs on a device, prints "hold: ready"
 * and then either sleeps until killed (-k) or waits for the device to go
 * away (IBV_EVENT_DEVICE_FATAL), destroys everything it holds and exits 0
 * if every destroy succeeded.
 *
 *   hold -d DEV -n N [-k]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <infiniband/verbs.h>

int main(int argc, char **argv)
{
	struct ibv_async_event ev;
	struct ibv_device **list;
	struct ibv_context *ctx = NULL;
	const char *dev = NULL;
	struct ibv_pd **pd;
	struct ibv_cq **cq;
	struct ibv_qp **qp;
	struct ibv_mr **mr;
	int n = 0, sleep_forever = 0, opt, i, bad = 0;
	char *buf;

	while ((opt = getopt(argc, argv, "d:n:k")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'k': sleep_forever = 1; break;
		default: return 2;
		}
	}
	if (!dev || n < 1)
		return 2;
	list = ibv_get_device_list(NULL);
	for (i = 0; list && list[i]; i++)
		if (!strcmp(ibv_get_device_name(list[i]), dev))
			ctx = ibv_open_device(list[i]);
	if (!ctx) {
		fprintf(stderr, "hold: cannot open %s\n", dev);
		return 1;
	}
	pd = calloc(n, sizeof(*pd));
	cq = calloc(n, sizeof(*cq));
	qp = calloc(n, sizeof(*qp));
	mr = calloc(n, sizeof(*mr));
	buf = malloc(4096);
	if (!pd || !cq || !qp || !mr || !buf)
		return 1;
	for (i = 0; i < n; i++) {
		struct ibv_qp_init_attr attr = {
			.qp_type = IBV_QPT_RC,
			.cap = { .max_send_wr = 16, .max_recv_wr = 16,
				 .max_send_sge = 1, .max_recv_sge = 1 },
		};

		pd[i] = ibv_alloc_pd(ctx);
		cq[i] = ibv_create_cq(ctx, 32, NULL, NULL, 0);
		if (!pd[i] || !cq[i])
			goto err_create;
		attr.send_cq = attr.recv_cq = cq[i];
		qp[i] = ibv_create_qp(pd[i], &attr);
		mr[i] = ibv_reg_mr(pd[i], buf, 4096, IBV_ACCESS_LOCAL_WRITE);
		if (!qp[i] || !mr[i])
			goto err_create;
	}
	printf("hold: ready with %d of each\n", n);
	fflush(stdout);
	if (sleep_forever)
		for (;;)
			pause();

	do {
		if (ibv_get_async_event(ctx, &ev)) {
			fprintf(stderr, "hold: no async event: %s\n",
				strerror(errno));
			return 1;
		}
		ibv_ack_async_event(&ev);
	} while (ev.event_type != IBV_EVENT_DEVICE_FATAL);
	printf("hold: got IBV_EVENT_DEVICE_FATAL\n");
	for (i = 0; i < n; i++) {
		bad += !!ibv_destroy_qp(qp[i]);
		bad += !!ibv_dereg_mr(mr[i]);
		bad += !!ibv_destroy_cq(cq[i]);
		bad += !!ibv_dealloc_pd(pd[i]);
	}
	bad += !!ibv_close_device(ctx);
	ibv_free_device_list(list);
	printf("hold: destroyed everything, %d failures\n", bad);
	return !!bad;

err_create:
	fprintf(stderr, "hold: creating object %d failed: %s\n", i,
		strerror(errno));
	return 1;
}
