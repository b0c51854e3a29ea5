"""The first check on a file a user names (core.user_files): missing, not a file or too large is one exact line."""

from __future__ import annotations

import pytest

from equiview.core.molecule_files import MAX_FILE_BYTES, read_molecule_file
from equiview.core.user_input_errors import MoleculeInputError, UserModelError
from equiview.core.user_models import MAX_SOURCE_BYTES, load_user_model


def sparse_file(path, size: int):
    with open(path, "wb") as handle:
        handle.truncate(size)  # no blocks written: the size alone must be refused
    return path


def test_a_molecule_file_over_the_limit_is_refused_by_its_size(tmp_path):
    path = sparse_file(tmp_path / "huge.xyz", MAX_FILE_BYTES + 1)
    with pytest.raises(MoleculeInputError) as error:
        read_molecule_file(path)
    assert str(error.value) == f"{path}: 10.5 MB is more than the 10 MB equiview reads from a molecule file"


def test_a_model_file_over_the_limit_is_refused_before_it_runs(tmp_path):
    path = sparse_file(tmp_path / "huge.py", MAX_SOURCE_BYTES + 1)
    with pytest.raises(UserModelError) as error:
        load_user_model(f"big={path}:make")
    assert str(error.value) == f"model 'big': {path}: 1.0 MB is more than the 1 MB accepted for a model file"


@pytest.mark.parametrize("name", ["absent", "folder"])
def test_a_missing_path_or_a_folder_names_the_model(tmp_path, name):
    path = tmp_path / f"{name}.py"
    if name == "folder":
        path.mkdir()
    with pytest.raises(UserModelError) as error:
        load_user_model(f"m={path}:make")
    problem = "no such file" if name == "absent" else "not a file"
    assert str(error.value) == f"model 'm': {path}: {problem}"
