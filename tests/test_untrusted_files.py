"""Issue 7, items 2, 3, 5 and 6: hostile data folders, checkpoints and bundles.

No file runs code, no small file eats the machine, every refusal is one line naming the file, and damage
that can be detected (CRC-32, recorded hashes, impossible contents) is detected on load.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from crafted_files import (
    RunsCode,
    code_running_checkpoint,
    code_running_pickle,
    flip_byte,
    payload_offset,
    project_payload,
    with_members_marked,
)

from equiview.core.checkpoints import (
    CheckpointError,
    CorruptCheckpointError,
    UnsafeCheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from equiview.core.data import DataSourceError, load_dataset
from equiview.core.data.bundle import BUNDLE_PATH, content_sha256, save_bundle
from equiview.core.models.registry import demo_hparams, demo_model

ROOT = Path(__file__).resolve().parents[1]


def one_line(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and text.strip(), text
    return text


# ------------------------------------------------------------------------------------------ item 2: PyG folders
def crafted_pyg_folder(root: Path, marker: Path) -> Path:
    """PyG's layout with a payload in every file PyG's own loader would unpickle."""
    processed = root / "processed"
    processed.mkdir(parents=True)
    for name in ("pre_transform.pt", "pre_filter.pt"):
        torch.save(RunsCode(marker), processed / name)
    torch.save(({"z": RunsCode(marker)}, {}, RunsCode(marker)), processed / "data_v3.pt")
    return root


def test_a_crafted_pyg_folder_never_runs_its_payload(tmp_path):
    marker = tmp_path / "PWNED"
    root = crafted_pyg_folder(tmp_path / "pyg", marker)
    with pytest.raises(DataSourceError) as error:
        load_dataset("pyg", root=root)
    message = one_line(error.value)
    assert "data_v3.pt: refused: this file would run code (it imports posix.system)" in message
    assert "weights_only" not in message
    # the same through every command that reads data, in a fresh process (nothing imported before)
    command = [sys.executable, "-m", "equiview.core", "data", "info", "--source", "pyg", "--root", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not marker.exists()
    assert sorted(p.name for p in root.iterdir()) == ["processed"]  # no raw/ download was attempted


def test_a_processed_only_folder_is_read_without_download(tmp_path, dataset):
    """processed/data_v3.pt alone (no raw/): read directly; PyG itself would try a download."""
    from torch_geometric.data import InMemoryDataset

    root = tmp_path / "pyg"
    (root / "processed").mkdir(parents=True)
    InMemoryDataset.save([dataset[i] for i in range(30)], str(root / "processed" / "data_v3.pt"))
    loaded = load_dataset("pyg", root=root, filtered=False)
    assert loaded.names == dataset.names[:30]
    assert torch.equal(loaded.pos, dataset.subset(np.arange(30)).pos)
    assert sorted(p.name for p in root.iterdir()) == ["processed"]


# ------------------------------------------------------------------------------- item 3: small files, huge asks
MEMORY_CHECK = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import crafted_files
from equiview.core.checkpoints import CheckpointError, load_checkpoint

folder = Path(sys.argv[1])
files = crafted_files.crafted_checkpoints(folder)
files["zip_bomb"] = crafted_files.zip_bomb_checkpoint(folder / "zip_bomb.pt")
files["legacy_8gb"] = crafted_files.legacy_checkpoint_claiming_gigabytes(folder / "legacy_8gb.pt")
status = open("/proc/self/status").read()
virtual = int(status.split("VmSize:")[1].split()[0]) * 1024
limit = virtual + (768 << 20)  # what torch and PyG already mapped, plus 768 MB
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = {}
for name, path in files.items():
    started = time.perf_counter()
    try:
        load_checkpoint(path)
        outcome = "loaded"
    except CheckpointError as error:
        outcome = str(error)
    except BaseException as error:
        outcome = f"BUG {type(error).__name__}: {error}"
    results[name] = {"seconds": time.perf_counter() - started, "bytes": path.stat().st_size, "outcome": outcome}
print(json.dumps(results))
"""


def test_small_crafted_checkpoints_are_refused_fast_under_a_memory_limit(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CHECK, str(tmp_path), str(ROOT / "tests")],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    expected = {
        "huge_layer_index": "not numbered 0..n-1",
        "huge_digit_layer": "unexpected keys",
        "layers_1e7": "num_mp_layers must lie in 1..16",
        "hidden_1e9": "hidden_channels must lie in 1..512",
        "target_size_1e9": "target_size must lie in 1..19",
        "hidden_float": "must be an integer",
        "expanded_plain": "hidden_channels must lie in 1..512",
        "strided_project": "shape mismatch at f_initial_embed.weight",
        "weights_3e38": "beyond the plausible",
        "weights_nan": "contains NaN or infinite values",
        "weights_overflow_together": "NaN or infinite outputs on a probe molecule",
        "zip_bomb": "refused: its zip entries claim",
        "legacy_8gb": "truncated or corrupt",
    }
    assert set(results) == set(expected)
    for name, fragment in expected.items():
        result = results[name]
        assert fragment in result["outcome"], (name, result)
        assert result["outcome"].startswith(str(tmp_path)) and "\n" not in result["outcome"], result
        assert result["bytes"] < 3_000_000, (name, result)  # small files; the memory limit, not a clock, is the bound


def test_hyperparameter_bounds_cover_every_model_kind():
    from equiview.core.models.limits import HPARAM_BOUNDS, check_hparams
    from equiview.core.models.registry import MODEL_KINDS, default_hparams

    for kind in MODEL_KINDS:
        assert kind in HPARAM_BOUNDS, f"add {kind!r} to core.models.limits.HPARAM_BOUNDS"
        assert check_hparams(kind, default_hparams(kind)) == default_hparams(kind)
    with pytest.raises(ValueError, match="unknown hyperparameter"):
        check_hparams("egnn", {"depth": 3})


# ------------------------------------------------------------------------------------- item 5: the wording
@pytest.mark.parametrize("builder", [code_running_checkpoint, code_running_pickle])
def test_code_running_files_are_refused_with_the_import_named(tmp_path, builder):
    marker = tmp_path / "PWNED"
    path = builder(tmp_path / "evil.pt", marker)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_checkpoint(path)
    assert one_line(error.value) == f"{path}: refused: this file would run code (it imports posix.system)"
    assert not marker.exists()


# ----------------------------------------------------------------------------------------- item 6: integrity
def test_a_flipped_bit_in_the_weights_is_detected(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, demo_model("egnn", seed=2), kind="egnn", hparams=demo_hparams("egnn"))
    flip_byte(path, payload_offset(path, "data/0") + 2)
    with pytest.raises(CorruptCheckpointError, match="fails its CRC-32 check") as error:
        load_checkpoint(path)
    assert str(path) in one_line(error.value)


def test_weights_changed_behind_the_recorded_hash_are_detected(tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, demo_model("naive", seed=2), kind="naive", hparams=demo_hparams("naive"))
    payload = torch.load(path, weights_only=True)
    assert len(payload["state_sha256"]) == 64
    payload["state_dict"]["f_initial_embed.weight"][0, 0] += 1.0
    torch.save(payload, path)  # a consistent archive (valid CRCs), but not the weights that were saved
    with pytest.raises(CorruptCheckpointError, match="do not match the checksum") as error:
        load_checkpoint(path)
    assert str(path) in one_line(error.value)
    # files from before the hash field still load
    del payload["state_sha256"]
    torch.save(payload, path)
    assert load_checkpoint(path).kind == "naive"


def test_shipped_checkpoints_carry_their_weights_hash():
    from equiview.core.checkpoints import state_dict_sha256

    for kind in ("naive", "egnn", "naive-dipole", "dipole"):
        path = ROOT / "assets" / "checkpoints" / f"{kind}.pt"
        payload = torch.load(path, weights_only=True)
        assert payload["state_sha256"] == state_dict_sha256(payload["state_dict"])
        assert load_checkpoint(path).kind == kind


def small_bundle(tmp_path: Path, dataset, **arrays) -> Path:
    path = tmp_path / "small.npz"
    save_bundle(dataset.subset(np.arange(5)), path)
    if arrays:
        with np.load(path) as npz:
            content = {name: npz[name] for name in npz.files}
        content.update(arrays)
        # a crafted file records the hash of its own arrays: the checks of the contents must catch it
        content["content_sha256"] = np.array(content_sha256(content))
        np.savez(path.with_suffix(""), **content)  # test-only rewrite of the arrays
    return path


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda d: {"atom_ptr": d.atom_ptr.numpy()[[0, 2, 1, 3, 4, 5]].astype(np.int32)}, "atom_ptr must increase"),
        (lambda d: {"z": np.where(np.arange(d.z.numel()) == 3, 0, d.z.numpy()).astype(np.uint8)}, "atomic number 0"),
        (
            lambda d: {"z": np.where(np.arange(d.z.numel()) == 3, 200, d.z.numpy()).astype(np.uint8)},
            "atomic number 200",
        ),
        (lambda d: {"pos": np.where(np.arange(d.z.numel())[:, None] == 2, np.nan, d.pos.numpy())}, "positions"),
        (lambda d: {"bonds": np.full_like(d.bonds.numpy(), 40)}, "names an atom it does not have"),
    ],
)
def test_semantically_broken_bundles_are_refused_on_load(tmp_path, dataset, change, fragment):
    few = dataset.subset(np.arange(5))
    path = small_bundle(tmp_path, dataset, **change(few))
    with pytest.raises(DataSourceError, match=fragment) as error:
        load_dataset("bundled", root=path)
    assert str(path) in one_line(error.value)


def test_a_bundle_with_a_corrupt_stream_or_a_lying_header_is_one_line(tmp_path, dataset):
    path = small_bundle(tmp_path, dataset)
    broken = tmp_path / "deflate.npz"
    shutil.copy(path, broken)
    flip_byte(broken, payload_offset(broken, "pos.npy") + 40)
    with pytest.raises(DataSourceError) as error:
        load_dataset("bundled", root=broken)
    assert str(broken) in one_line(error.value)

    # an npy header claiming 4e9 rows in a member of a few bytes: refused before numpy allocates
    liar = tmp_path / "liar.npz"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(liar, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "y.npy":
                header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4000000000, 19), }"
                header = header + " " * (117 - len(header)) + "\n"
                data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + data[128:]
            target.writestr(info, data)
    with pytest.raises(DataSourceError, match=r"claims shape \[4000000000, 19\]") as error:
        load_dataset("bundled", root=liar)
    assert str(liar) in one_line(error.value)


@pytest.mark.parametrize(
    "marks, fragment",
    [({"method": 99}, "compression method is not supported"), ({"flag_bits": 1}, "is encrypted")],
    ids=["unknown-compression-method", "encrypted"],
)
def test_zip_members_zipfile_cannot_decode_are_one_line(tmp_path, dataset, capsys, marks, fragment):
    from equiview.viewer.cli import main

    checkpoint = tmp_path / "model.pt"
    save_checkpoint(checkpoint, demo_model("naive", seed=2), kind="naive", hparams=demo_hparams("naive"))
    with_members_marked(checkpoint, **marks)
    with pytest.raises(CorruptCheckpointError, match=fragment) as error:
        load_checkpoint(checkpoint)
    assert str(checkpoint) in one_line(error.value)
    assert main(["eval", "--checkpoint", str(checkpoint)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and fragment in err[0], err

    bundle = with_members_marked(small_bundle(tmp_path, dataset), **marks)
    with pytest.raises(DataSourceError, match=fragment) as error:
        load_dataset("bundled", root=bundle)
    assert str(bundle) in one_line(error.value)


def test_the_shipped_bundle_is_checked_against_its_documented_sha256(tmp_path, monkeypatch):
    import equiview.core.data.bundle as bundle

    readme = (ROOT / "assets" / "README.md").read_text()
    assert bundle.BUNDLE_SHA256 in readme
    copy = tmp_path / "qm9_filtered.npz"
    shutil.copy(BUNDLE_PATH, copy)
    monkeypatch.setattr(bundle, "BUNDLE_PATH", copy)
    assert len(load_dataset("bundled", root=copy)) == 21800
    # a change that zip and numpy cannot see: a byte of the zip comment
    with zipfile.ZipFile(copy, "a") as archive:
        archive.comment = b"edited"
    with pytest.raises(DataSourceError, match="damaged: its SHA-256") as error:
        load_dataset("bundled", root=copy)
    assert str(copy) in one_line(error.value)


def test_a_damaged_qm9pack_cache_is_rebuilt_once(tmp_path, monkeypatch):
    from equiview.core.data.qm9pack_source import load_qm9pack, qm9pack_cache_path

    monkeypatch.setenv("EQUIVIEW_CACHE_DIR", str(tmp_path / "cache"))
    first = load_qm9pack(filtered=False, max_rows=20)
    cache = qm9pack_cache_path(20)
    flip_byte(cache, payload_offset(cache, "pos.npy") + 30)  # the metadata members stay readable
    again = load_qm9pack(filtered=False, max_rows=20)
    assert torch.equal(again.pos, first.pos)
    assert len(load_qm9pack(filtered=False, max_rows=20)) == 20


def test_project_payload_helper_builds_a_loadable_file(tmp_path):
    """The crafted files start from a valid checkpoint, so each refusal is caused by its one change."""
    path = tmp_path / "valid.pt"
    torch.save(project_payload("egnn"), path)
    assert load_checkpoint(path).kind == "egnn"
    torch.save({**project_payload("egnn"), "kind": "gat"}, path)
    with pytest.raises(CheckpointError, match="unknown model kind 'gat'"):
        load_checkpoint(path)
