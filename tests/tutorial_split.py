"""The bundled set and the tutorial's split of it (seed 420, 80/10/10) as the tests expect to find them."""

from __future__ import annotations

SEED_420_TEST_SHA256 = "ee2457c0b51252c2b317de2da03b259cd729c3a189b56a45472959985fbc6707"
"""``split_sha256`` of the seed-420 test split: the tutorial's 2,180 test molecules."""

BUNDLED_INFO = {
    "source": "bundled",
    "molecules": 130831,
    "filtered": 21800,
    "train": 17440,
    "val": 2180,
    "test": 2180,
    "test_sha256": SEED_420_TEST_SHA256,
}
"""What ``dataset_info("bundled")`` and ``equiview data info --json`` report."""
