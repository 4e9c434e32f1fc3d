# SPDX-License-Identifier: BSD-3-Clause
"""Two workers, four guests with two queue pairs each: flows of IPv4/UDP
frames between every pair of guests, in both directions and on both queue
pairs, so frames cross from one worker to the other through the hand-off
rings. Every frame arrives exactly once, in order per flow, every byte
right; the switch's port and queue counters equal the guests'; both queue
pairs of every port carry traffic; both workers poll queues and forward;
no drop (ring_full among them); no mbuf held at the end.

The machine has two CPUs: both workers share CPU 1 (--lcores 0@0,1@1,2@1),
which is correct but slow, so the rate is modest and nothing is timed."""

import vstest as vt
import vsmc


def body(sw_bin, tg_bin):
    vsmc.exchange(sw_bin, tg_bin, vsmc.LCORES_TWO_WORKERS, workers=2)


if __name__ == "__main__":
    vt.run(body)
