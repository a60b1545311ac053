/*
 * suggest: see suggest.h. Levenshtein distance on one row, names of at most 64 bytes.
 */
#include "base/suggest.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static size_t edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return SIZE_MAX;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

void nvl_suggest_offer(nvl_suggest *s, const char *cand) {
  size_t d = edit_distance(s->word, cand);
  size_t limit = strlen(s->word) <= 4 ? 1 : 2;
  if (d <= limit && d < s->best_d) {
    s->best = cand;
    s->best_d = d;
  }
}

void nvl_suggest_text(const nvl_suggest *s, char *buf, size_t len) {
  if (s->best)
    snprintf(buf, len, " (did you mean \"%s\"?)", s->best);
  else
    buf[0] = '\0';
}
