/*
 * env: see env.h.
 */
#include "cli/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/exit.h"
#include "base/file.h"

/* The file a variable names (NULL text when unset or empty). Returns 0, or -1 after printing. */
static int read_var(const char *var, char **text, size_t *len) {
  const char *path = getenv(var);
  *text = NULL;
  *len = 0;
  if (!path || !*path)
    return 0;
  nvl_diags d = NVL_DIAGS_INIT;
  int rc = nvl_file_read(path, "model file", 16u << 20, text, len, &d);
  if (rc != 0)
    fprintf(stderr, "nvlsim: %s: %s\n", var, d.count ? d.items[0].message : "unreadable");
  nvl_diags_release(&d);
  return rc;
}

int nvl_cli_env_context(nvl_model_ctx *ctx) {
  nvl_model_sources src = {0};
  const char *xml = getenv("NVLSIM_PLATFORM_XML");
  if (xml && *xml && strcmp(xml, "0") != 0 && strcmp(xml, "1") != 0) {
    fprintf(stderr, "nvlsim: NVLSIM_PLATFORM_XML: \"%.40s\" is not 0 or 1\n", xml);
    return NVL_EXIT_USAGE;
  }
  src.platform_xml = xml && strcmp(xml, "1") == 0;
  char *cal = NULL, *comp = NULL;
  int rc = NVL_EXIT_USAGE;
  if (read_var("NVLSIM_CALIBRATION", &cal, &src.calibration_len) != 0 ||
      read_var("NVLSIM_COMPUTE", &comp, &src.compute_len) != 0)
    goto done;
  src.calibration = cal;
  src.compute = comp;
  char err[512];
  if (nvl_model_ctx_init(ctx, &src, err, sizeof err) != 0) {
    const char *var =
        strncmp(err, "calibration", 11) == 0 ? "NVLSIM_CALIBRATION" : "NVLSIM_COMPUTE";
    fprintf(stderr, "nvlsim: %s: %s\n", var, err);
    goto done;
  }
  rc = NVL_EXIT_OK;
done:
  free(cal);
  free(comp);
  return rc;
}
