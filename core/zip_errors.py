"""What reading a zip file a user handed us can raise: :data:`ZIP_READ_ERRORS`.

Checkpoints (``torch.save`` archives) and data bundles (``.npz``) are zips. Whoever reads one turns these
exceptions into a one-line message naming the file; anything else stays a bug with its traceback.
"""

from __future__ import annotations

import zipfile
import zlib

ZIP_READ_ERRORS: tuple[type[Exception], ...] = (
    # no end-of-central-directory record, a bad CRC-32, a member header that does not match the directory
    zipfile.BadZipFile,
    # the file cannot be opened or read (a directory, no permission, a symlink loop, an I/O error)
    OSError,
    # the file ends inside a member
    EOFError,
    # a header field zipfile cannot use, or numpy's refusal of an array (a malformed .npy header, objects)
    ValueError,
    # a deflated member whose compressed bytes are damaged
    zlib.error,
    # a member zipfile cannot decode: encrypted, or compressed with a method this Python lacks; its subclass
    # for a compression method (or zip version) zipfile does not know at all is caught with it
    RuntimeError,
)
