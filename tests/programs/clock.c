/* clock: reads the host clocks (a record/replay tool must log every value).
 * Prints raw nanosecond values; only their format is deterministic. */
#include <stdio.h>
#include <time.h>
#include <wasi/api.h>

int main(void) {
  for (int i = 0; i < 3; i++) {
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    printf("clock_gettime %d realtime %lld.%09ld monotonic %lld.%09ld\n", i,
           (long long)rt.tv_sec, rt.tv_nsec, (long long)mono.tv_sec, mono.tv_nsec);
  }
  for (int i = 0; i < 3; i++) {
    __wasi_timestamp_t rt = 0, mono = 0;
    __wasi_errno_t e1 = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &rt);
    __wasi_errno_t e2 = __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &mono);
    printf("clock_time_get %d realtime %llu (errno %d) monotonic %llu (errno %d)\n", i,
           (unsigned long long)rt, e1, (unsigned long long)mono, e2);
  }
  __wasi_timestamp_t res = 0;
  __wasi_errno_t e = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res);
  printf("clock_res_get monotonic %llu (errno %d)\n", (unsigned long long)res, e);
  return 0;
}
