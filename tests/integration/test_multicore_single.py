# SPDX-License-Identifier: BSD-3-Clause
"""The multiqueue exchange of test_multicore.py with a single worker
(-l 0,1): every queue is that worker's own, so no hand-off ring is used
(ring_drops stays 0) and every count is exact, as with two workers."""

import vstest as vt
import vsmc


def body(sw_bin, tg_bin):
    vsmc.exchange(sw_bin, tg_bin, vsmc.LCORES_ONE_WORKER, workers=1)


if __name__ == "__main__":
    vt.run(body)
