/*
 * suggest: "did you mean" for misspelt names. A candidate is offered when it is within edit
 * distance 1 (names of up to 4 characters) or 2 of the word, the closest one winning.
 */
#ifndef NVL_SUGGEST_H
#define NVL_SUGGEST_H

#include <stddef.h>

typedef struct {
  const char *word;
  const char *best;
  size_t best_d;
} nvl_suggest;

#define NVL_SUGGEST_INIT(w)                                                                        \
  { (w), NULL, (size_t)-1 }

void nvl_suggest_offer(nvl_suggest *s, const char *candidate);
/* Writes ` (did you mean "x"?)` when a candidate was close, else "". */
void nvl_suggest_text(const nvl_suggest *s, char *buf, size_t len);

#endif
