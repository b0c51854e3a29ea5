"""Small hostile files for the reliability tests: checkpoints, bundles and PyG folders built to hurt.

Each builder writes a few kilobytes that once made equiview allocate gigabytes, run code or show a traceback.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import torch

from equiview.core.models.registry import demo_hparams, demo_model


class RunsCode:
    """Pickles to ``os.system("touch MARKER")``: loading it with pickle would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def project_payload(kind: str = "egnn", **changes):
    """A valid project-format checkpoint payload of the untrained demo (hidden 32), with ``changes`` applied."""
    model = demo_model(kind, seed=1)
    payload = {
        "format": "equiview-checkpoint",
        "version": 1,
        "kind": kind,
        "hparams": demo_hparams(kind),
        "target_idx": 5,
        "normalisation": None,
        "metrics": {},
        "fingerprint": None,
        "created_with": {},
        "state_dict": dict(model.state_dict()),
    }
    payload.update(changes)
    return payload


def crafted_checkpoints(folder: Path) -> dict[str, Path]:
    """name -> file, each small on disk and each describing something huge or broken."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def save(name: str, obj) -> None:
        files[name] = folder / f"{name}.pt"
        torch.save(obj, files[name])

    plain = dict(demo_model("egnn", seed=1).state_dict())
    save("huge_layer_index", {**plain, "message_passing_layers.99999.residual_proj.weight": torch.zeros(1, 1)})
    huge_digits = "9" * 5000  # int() of this many digits raises in Python 3.11
    save("huge_digit_layer", {**plain, f"message_passing_layers.{huge_digits}.residual_proj.weight": torch.zeros(1)})
    for name, hparams in {
        "layers_1e7": {"num_mp_layers": 10**7},
        "hidden_1e9": {"hidden_channels": 10**9},
        "target_size_1e9": {"target_size": 10**9},
        "hidden_float": {"hidden_channels": 32.5},
    }.items():
        save(name, project_payload("egnn", hparams={**demo_hparams("egnn"), **hparams}))
    expanded = dict(plain)
    expanded["f_initial_embed.weight"] = torch.zeros(1).expand(10**6, 10**6)  # 10^12 logical elements, 4 bytes
    save("expanded_plain", expanded)
    strided = dict(plain)
    strided["f_initial_embed.weight"] = torch.zeros(4).as_strided((10**5, 10**5, 100), (0, 0, 0))
    save("strided_project", project_payload("egnn", state_dict=strided))
    for name, value in {"weights_3e38": 3e38, "weights_nan": float("nan")}.items():
        poisoned = {k: v.clone() for k, v in plain.items()}
        poisoned["f_predict.0.weight"].fill_(value)
        save(name, project_payload("egnn", state_dict=poisoned))
    big = {k: v.clone() for k, v in plain.items()}
    for key in big:
        if key.endswith("weight"):
            big[key].fill_(9e5)  # each value plausible, together they overflow
    save("weights_overflow_together", project_payload("egnn", state_dict=big))
    return files


def zip_bomb_checkpoint(path: Path) -> Path:
    """A torch archive whose data member is deflated: 128 MB of zeros in about 130 kB."""
    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        prefix = source.namelist()[0].split("/")[0]
        bomb = zipfile.ZipInfo(f"{prefix}/data/1")
        bomb.compress_type = zipfile.ZIP_DEFLATED
        with target.open(bomb, "w", force_zip64=True) as member:
            block = bytes(1 << 24)
            for _ in range(8):
                member.write(block)
    return path


def code_running_checkpoint(path: Path, marker: Path) -> Path:
    torch.save({"state_dict": RunsCode(marker)}, path)
    return path


def code_running_pickle(path: Path, marker: Path) -> Path:
    with open(path, "wb") as handle:
        pickle.dump({"a": RunsCode(marker)}, handle, protocol=2)
    return path


def flip_byte(path: Path, offset: int) -> Path:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))
    return path


def payload_offset(path: Path, name_suffix: str) -> int:
    """File offset of the first data byte of the zip member whose name ends with ``name_suffix``."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith(name_suffix))
    with open(path, "rb") as handle:
        handle.seek(info.header_offset + 26)
        name_length, extra_length = np.frombuffer(handle.read(4), dtype="<u2")
    return info.header_offset + 30 + int(name_length) + int(extra_length)


def legacy_checkpoint_claiming_gigabytes(path: Path) -> Path:
    """The pre-zip torch.save format, its storage record patched to claim 2e9 floats (8 GB)."""
    import struct

    buffer = io.BytesIO()
    torch.save({"w": torch.zeros(3)}, buffer, _use_new_zipfile_serialization=False)
    data = buffer.getvalue()
    patched = data.replace(b"cpuq\x06K\x03N", b"cpuq\x06J" + struct.pack("<i", 2_000_000_000) + b"N", 1)
    assert patched != data
    path.write_bytes(patched)
    return path


def with_members_marked(path: Path, *, method: int | None = None, flag_bits: int = 0) -> Path:
    """Rewrite every member's compression method and general-purpose flags in place (local and central headers).

    Method 99 is one zipfile does not know; flag bit 0 marks a member as encrypted.
    """
    import struct

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        # (offset of the flags field, offset of the method field) in each local header and each directory entry
        fields = [(info.header_offset + 6, info.header_offset + 8) for info in archive.infolist()]
    start = data.find(b"PK\x01\x02")
    while start >= 0:
        fields.append((start + 8, start + 10))
        start = data.find(b"PK\x01\x02", start + 4)
    for flags_at, method_at in fields:
        (flags,) = struct.unpack_from("<H", data, flags_at)
        struct.pack_into("<H", data, flags_at, flags | flag_bits)
        if method is not None:
            struct.pack_into("<H", data, method_at, method)
    path.write_bytes(bytes(data))
    return path
