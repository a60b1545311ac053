/*
 * rings: the ring orders of a ring collective, chosen the way NCCL's ring search is meant to
 * work: enough rings, in orders that together load every link evenly.
 *
 * On a switched fabric every order loads each rank's injection link once, so one ring (ranks in
 * their given order) is as good as any set and is kept. On direct meshes (NVLink links between
 * endpoints, no switch) one order uses only the links between ring neighbours: a 4-GPU full mesh
 * would reach one third of its injection bandwidth. There, several orders share the data and
 * together use every link: the 4-GPU mesh's six directed Hamiltonian cycles load each link
 * direction twice, and reach the full injection bandwidth.
 *
 * Search: candidate orders are every directed Hamiltonian cycle for up to 8 ranks, and the
 * multiplier orders r -> k r mod n (k coprime with n, both directions) above that. When none of
 * those has only reachable hops (a mesh or torus without a switch), a depth-first search walks
 * Hamiltonian cycles over the reachable hops, each over the hops the earlier ones left, under 64
 * neighbour orders, keeps the attempt with the most cycles and takes each both ways (bounded
 * effort: 2 million steps in all). A 2-D or 3-D torus numbered in row-major order also gets its
 * dimension-ordered Hamiltonian cycles (every dimension order, translated, both ways round),
 * which that search does not find at 8x8x8. At most 4,096 / n rings (each is n transfers per
 * step to simulate), and a further ring must gain 1 % of throughput. Each
 * candidate's load per link direction comes from the platform's stripes and routes, divided by
 * its bandwidth. Orders are added greedily, each time the one that keeps the maximum load lowest,
 * up to `max_rings`. The kept prefix is the one with the highest throughput, rings x min over
 * link directions of 1 / load, and the shortest such prefix on ties. Rings carry equal shares.
 *
 * Cost: C candidates (at most 7! = 5040 up to 8 ranks, at most 128 above), each n route look-ups
 * to price; then max_rings greedy rounds over the candidates, each O(link directions it loads).
 * NVL576 (576 ranks, 128 candidates): a few milliseconds.
 */
#ifndef NVL_RINGS_H
#define NVL_RINGS_H

#include "platform/platform.h"

/* Chooses the ring orders for the n endpoint devices devs[] (n >= 2). Writes at most max_rings
 * orders of n ranks each (indices into devs) into orders[ring * n + position] and returns their
 * number, or 0 when no order has every hop reachable (ranks that reach each other only through
 * a failed link, say). Orders only use reachable hops, so a ring survives a failed direct link as
 * long as some cycle avoids it. */
int nvl_rings_find(const nvl_platform *p, const int *devs, int n, int max_rings, int *orders);

#endif
