/*
 * llm_sched: the order in which a pipeline stage's rank runs its blocks (a micro-batch's forward or
 * backward through one of its model chunks), as Megatron Core's schedules do:
 * - v = 1 chunk per rank: 1F1B. Stage s (of p) runs min(p - s - 1, m) warm-up forwards, then
 *   alternates one forward and one backward, then the remaining backwards.
 * - v > 1 (interleaved 1F1B): virtual stage c p + s is chunk c of stage s. Forwards follow
 *   Megatron's schedule table: micro-batches in groups of p, each group through chunk 0, then
 *   chunk 1, ... (the last group takes the micro-batches left); backwards follow the same table
 *   with the chunks reversed. Stage s runs min(2 (p - s - 1) + (v - 1) p, m v) warm-up forwards,
 *   then one forward and one backward alternately, then the remaining backwards. The bubble is
 *   (p - 1) / (v m) of the ideal step where 1F1B's is (p - 1) / m.
 * - Inference (no backward): every forward in the table's order.
 * O(m v) per stage.
 */
#include "workload/llm_internal.h"

/* Entry k of the schedule table: micro-batch *j through chunk *c. */
static void table(long p, long v, long m, long k, long *j, long *c) {
  long g0 = k / (p * v) * p; /* the group's first micro-batch */
  long n = g0 + p >= m ? m - g0 : p;
  if (g0 + p < m) { /* a full group of p; the last group may be longer (m % p == 0 keeps it p) */
    *c = k % (p * v) / p;
    *j = g0 + k % p;
  } else {
    long at = k - g0 * v;
    *c = at / n;
    *j = g0 + at % n;
  }
}

long nvl_llm_schedule(long p, long v, long m, bool train, long s, llm_block *out) {
  long total = m * v, n = 0;
  if (v == 1) {
    long w = train ? (p - s - 1 < m ? p - s - 1 : m) : m;
    for (long i = 0; i < w; i++)
      out[n++] = (llm_block){.vs = s, .j = i, .bwd = false};
    for (long i = 0; train && i < m - w; i++) {
      out[n++] = (llm_block){.vs = s, .j = w + i, .bwd = false};
      out[n++] = (llm_block){.vs = s, .j = i, .bwd = true};
    }
    for (long i = m - w; train && i < m; i++)
      out[n++] = (llm_block){.vs = s, .j = i, .bwd = true};
    return n;
  }
  long w = train ? 2 * (p - s - 1) + (v - 1) * p : total;
  w = w < total ? w : total;
  long j, c;
  for (long k = 0; k < total; k++) { /* forward k before backward k - w */
    table(p, v, m, k, &j, &c);
    out[n++] = (llm_block){.vs = c * p + s, .j = j, .bwd = false};
    if (train && k >= w) {
      table(p, v, m, k - w, &j, &c);
      out[n++] = (llm_block){.vs = (v - 1 - c) * p + s, .j = j, .bwd = true};
    }
  }
  for (long k = total - w; train && k < total; k++) {
    table(p, v, m, k, &j, &c);
    out[n++] = (llm_block){.vs = (v - 1 - c) * p + s, .j = j, .bwd = true};
  }
  return n;
}
