"""Every check-invariance invocation runs the one batched audit (core/audit.py), whatever selects its molecules.

The default QM9 sample, a molecule file and a whole split give the same report: per row the verdict, the worst
molecule and g with the ``equiview gui`` command that opens it, the ``--worst`` list, and ``--jsonl`` rows whose
maxima are the summary's.
"""

from __future__ import annotations

import json

from molecule_files_fixtures import write_multi_xyz

from equiview.core.cli import main


def run(capsys, *argv: str, code: int = 0) -> dict:
    assert main(["check-invariance", *argv, "--json"]) == code
    return json.loads(capsys.readouterr().out)


def test_the_default_sample_is_audited_batched_with_its_worst_molecules(capsys, tmp_path):
    jsonl = tmp_path / "rows.jsonl"
    result = run(capsys, "--molecules", "3", "--trials", "2", "--worst", "2", "--jsonl", str(jsonl))
    assert result["molecules"] == 3 and result["poses"] == 8 and result["split"] is None
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 3 * 4  # every molecule under every built-in row, exactly once
    for name in ("naive", "egnn", "naive-dipole", "dipole"):
        mine = [row for row in rows if row["model"] == name]
        assert result[name]["max_error"] == max(row["max_error"] for row in mine)
        assert result[name]["molecules"] == 3 and len(result[name]["worst_molecules"]) == 2
        assert result[name]["worst"]["gui"].startswith(f"equiview gui --molecule {result[name]['worst']['molecule']}")
    assert result["naive"]["worst"]["error"] == result["naive"]["max_error"]
    assert result["naive"]["changed_molecules"] == 3 and result["egnn"]["changed_molecules"] == 0


def test_molecules_takes_the_first_of_a_file_and_a_split_takes_none(capsys, tmp_path):
    molecules = str(write_multi_xyz(tmp_path / "three.xyz"))
    assert run(capsys, "--molecule-file", molecules, "--trials", "1")["molecules"] == 3
    assert run(capsys, "--molecule-file", molecules, "--molecules", "2", "--trials", "1")["molecules"] == 2
    assert main(["check-invariance", "--split", "test", "--molecules", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--split" in err[0]


def test_the_text_names_each_rows_worst_molecules(capsys):
    assert main(["check-invariance", "--molecules", "2", "--trials", "1", "--worst", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("naive        changed")
    assert "naive: changed (2 of 2 molecules changed); worst:" in lines
    worst = lines[lines.index("naive: changed (2 of 2 molecules changed); worst:") + 1]
    assert worst.startswith("  gdb_") and "equiview gui --molecule gdb_" in worst
