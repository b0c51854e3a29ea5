"""Issue 4's name for the training-throughput benchmark; see ``bench_train_throughput.py``.

python bench/train_throughput.py --json
"""

import sys

from bench_train_throughput import main  # bench/ is on sys.path when this file runs as a script

if __name__ == "__main__":
    sys.exit(main())
