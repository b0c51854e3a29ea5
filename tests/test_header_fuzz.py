"""Issue 19, finding 1: a molecule file's own header numbers are checked before a parser believes them.

Every accepted ASE format gets header lies (atom counts, frame counts, grid sizes: huge, negative, not numbers,
more than the file holds). A child process reads them all under the parse budget, an address-space limit
(``RLIMIT_AS``) and a CPU-time limit: each must be one :class:`MoleculeInputError` line naming the file, and the
child's peak RSS stays near an idle interpreter's. Before the pre-scan, the POSCAR lie grew the process to 15 GB
and the XYZ lie never ended (both killed here by the limits instead).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from viewer_fixtures import ROOT

from equiview.core.molecule import MAX_ATOMS

BUDGET_BYTES = 1536 << 20
"""Address space of the child (torch, RDKit and ASE loaded need ~0.3 GB resident)."""
BUDGET_CPU_SECONDS = 240
"""CPU seconds for the whole child; a reader that spins on a lie exhausts it and the test fails."""
MAX_CASE_CPU_SECONDS = 20
"""CPU seconds (not wall time: load does not change them) one case may take; a 10 MB file parses in far less."""
MAX_PEAK_RSS_MIB = 900
"""The child's peak resident memory; an idle child with the readers imported sits near 320 MiB."""

HUGE = "1000000000"
BOUND_WORDS = ("at most", "more than", "not an integer", "negative", "fewer lines", "more lines", "can hold")
"""Each refusal names the bound or the inconsistency it found."""
WATER = [("O", 0.0, 0.0, 0.1173), ("H", 0.0, 0.7572, -0.4692), ("H", 0.0, -0.7572, -0.4692)]
COORDS = "\n".join(f"{s} {x} {y} {z}" for s, x, y, z in WATER)


def xyz(count: str, comment: str = "water") -> str:
    return f"{count}\n{comment}\n{COORDS}\n"


def poscar(species: str | None, counts: str) -> str:
    head = "water\n1.0\n10 0 0\n0 10 0\n0 0 10\n" + (f"{species}\n" if species else "")
    return head + f"{counts}\nCartesian\n" + "\n".join(f"{x} {y} {z}" for _, x, y, z in WATER) + "\n"


def cube(atoms: str, grid: tuple[str, str, str]) -> str:
    return (
        "cube\ncomment\n"
        f"{atoms} 0.0 0.0 0.0\n{grid[0]} 0.2 0.0 0.0\n{grid[1]} 0.0 0.2 0.0\n{grid[2]} 0.0 0.0 0.2\n"
        "8 0.0 0.0 0.0 0.2\n" + "1.0 " * 8 + "\n"
    )


def gen(count: str) -> str:
    return f"{count} C\nO H\n1 1 0.0 0.0 0.1173\n2 2 0.0 0.7572 -0.4692\n3 2 0.0 -0.7572 -0.4692\n"


def xsf_animated(steps: str, atoms: str) -> str:
    return (
        f"ANIMSTEPS {steps}\nCRYSTAL\nPRIMVEC\n10 0 0\n0 10 0\n0 0 10\nPRIMCOORD 1\n{atoms} 1\n"
        + "\n".join(f"{8 if s == 'O' else 1} {x} {y} {z}" for s, x, y, z in WATER)
        + "\n"
    )


def xsf_grid(n: str) -> str:
    return (
        xsf_animated("1", "3")
        + f"BEGIN_BLOCK_DATAGRID_3D\ng\nBEGIN_DATAGRID_3D_x\n{n} {n} {n}\n0 0 0\n"
        + ("10 0 0\n0 10 0\n0 0 10\n1 2 3 4\nEND_DATAGRID_3D\nEND_BLOCK_DATAGRID_3D\n")
    )


def pdb_atoms(count: int, models: int = 1) -> str:
    line = "HETATM{:5d}  O   HOH A   1       0.000   0.000   {:6.3f}  1.00  0.00           O\n"
    blocks = []
    for m in range(models):
        body = "".join(line.format(i + 1, 0.1 * i) for i in range(count))
        blocks.append(f"MODEL     {m + 1:4d}\n{body}ENDMDL\n" if models > 1 else body)
    return "".join(blocks) + "END\n"


def cif(rows: int, blocks: int = 1) -> str:
    block = (
        "data_w{}\n_cell_length_a 10\n_cell_length_b 10\n_cell_length_c 10\n"
        "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
        "_symmetry_space_group_name_H-M 'P 1'\n"
        "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
    )
    rows_text = "".join(
        f"H{i} H {(i % 97) / 97:.4f} {(i // 97 % 97) / 97:.4f} {(i // 9409) / 97:.4f}\n" for i in range(rows)
    )
    return "".join(block.format(b) + rows_text for b in range(blocks))


def header_lies() -> dict[str, str]:
    """File name -> text; the name's extension (or POSCAR) picks the format, as for a user's file."""
    cases = {}
    for count in (HUGE, str(MAX_ATOMS + 1), "-3", "three", "4", "99999999999999999999999"):
        cases[f"count_{count[:8]}.xyz"] = xyz(count)
        cases[f"ext_{count[:8]}.xyz"] = xyz(count, 'Properties=species:S:1:pos:R:3 pbc="F F F"')
        cases[f"count_{count[:8]}.gen"] = gen(count)
    cases["frames.xyz"] = xyz("3") * 10_001
    cases["second_frame.xyz"] = xyz("3") + xyz(HUGE)
    for name, species, counts in (
        ("huge", "O H", f"1 {HUGE}"),
        ("huge_nospecies", None, HUGE),
        ("negative", "O H", "-1 2"),
        ("word", "O H", "1 two"),
        ("sum", "O H", f"{MAX_ATOMS // 2 + 1} {MAX_ATOMS // 2 + 1}"),
        ("huge_first", "O H", f"{HUGE} 2"),
    ):
        cases[f"{name}_POSCAR"] = poscar(species, counts)
    for name, atoms, grid in (
        ("atoms", HUGE, ("2", "2", "2")),
        ("negative_atoms", f"-{HUGE}", ("2", "2", "2")),
        ("grid", "1", (HUGE, "1", "1")),
        ("grid3", "1", ("100000", "100000", "100000")),
        ("grid_word", "1", ("x", "1", "1")),
    ):
        cases[f"{name}.cube"] = cube(atoms, grid)
    cases["animsteps.xsf"] = xsf_animated(HUGE, "3")
    cases["primcoord.xsf"] = xsf_animated("1", HUGE)
    cases["datagrid.xsf"] = xsf_grid("100000")
    cases["atoms.pdb"] = pdb_atoms(MAX_ATOMS + 1)
    cases["models.pdb"] = pdb_atoms(1, models=10_001)
    v2000 = (
        "w\n  t\n\n{:>3}  0  0  0  0  0  0  0  0  0999 V2000\n    0.0000    0.0000    0.0000 O   0  0\nM  END\n$$$$\n"
    )
    cases["v2000_999.sdf"] = v2000.format(999)  # its largest count (3 digits); V3000 below states more
    cases["v3000.sdf"] = (
        "w\n  t\n\n  0  0  0     0  0            999 V3000\nM  V30 BEGIN CTAB\n"
        f"M  V30 COUNTS {HUGE} 0 0 0 0\nM  V30 BEGIN ATOM\nM  V30 1 O 0 0 0.1173 0\nM  V30 END ATOM\n"
        "M  V30 END CTAB\nM  END\n$$$$\n"
    )
    cases["records.sdf"] = v2000.format(1) * 10_001
    cases["rows.cif"] = cif(MAX_ATOMS + 1)
    cases["blocks.cif"] = cif(1, blocks=10_001)
    return cases


CHILD = r"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({budget}, {budget}))
resource.setrlimit(resource.RLIMIT_CPU, ({cpu}, {cpu}))
from equiview.core.molecule_files import read_molecule_file
from equiview.core.user_input_errors import MoleculeInputError

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

for path in sys.argv[1:]:
    started = cpu()
    try:
        read_molecule_file(path)
        outcome = ["read", ""]
    except MoleculeInputError as error:
        outcome = ["MoleculeInputError", str(error)]
    except BaseException as error:
        outcome = [type(error).__name__, str(error)[:300]]
    print(json.dumps([path, *outcome, cpu() - started]), flush=True)
# the child's own peak, MiB: VmHWM belongs to this process's memory since exec (Linux carries ru_maxrss across
# exec, so it would count the pytest process this child was forked from)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]) // 1024)
"""


def run_budgeted(paths: list[Path]) -> tuple[list[list], int, str]:
    script = CHILD.format(budget=BUDGET_BYTES, cpu=BUDGET_CPU_SECONDS)
    process = subprocess.Popen(
        [sys.executable, "-c", script, *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    stdout, stderr = process.communicate(timeout=3 * BUDGET_CPU_SECONDS)
    assert process.returncode == 0, f"the child died ({process.returncode}): {stderr[-1500:]}"
    *cases, peak_mib = stdout.splitlines()  # the child's own VmHWM, not the max over this session's children
    return [json.loads(line) for line in cases], int(peak_mib), stderr


def test_every_header_lie_is_one_line_within_the_budget(tmp_path):
    cases = header_lies()
    paths = []
    for name, text in cases.items():
        path = tmp_path / name.replace("_POSCAR", "") / "POSCAR" if name.endswith("_POSCAR") else tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        paths.append(path)
    results, peak_mib, _ = run_budgeted(paths)
    assert len(results) == len(paths)
    for path, kind, message, seconds in results:
        assert kind == "MoleculeInputError", (path, kind, message)
        assert "\n" not in message and message.startswith(path), (path, message)
        assert seconds < MAX_CASE_CPU_SECONDS, (path, seconds)
        assert any(words in message for words in BOUND_WORDS), (path, message)  # refused for the lie, not by luck
    assert peak_mib < MAX_PEAK_RSS_MIB
    print(f"{len(results)} header lies, child peak RSS {peak_mib} MiB")


def test_the_issue_files_are_exit_2_on_the_command_line(tmp_path):
    """The 97-byte POSCAR and the 28-byte XYZ of the report, through ``equiview check-invariance``, under the budget."""
    (tmp_path / "p").mkdir()
    poscar_path = tmp_path / "p" / "POSCAR"
    poscar_path.write_text(poscar("O H", f"1 {HUGE}"))
    xyz_path = tmp_path / "lie.xyz"
    xyz_path.write_text(xyz(HUGE))

    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (BUDGET_BYTES, BUDGET_BYTES))
        resource.setrlimit(resource.RLIMIT_CPU, (BUDGET_CPU_SECONDS, BUDGET_CPU_SECONDS))

    for path in (poscar_path, xyz_path):
        done = subprocess.run(
            [sys.executable, "-m", "equiview", "check-invariance", "--molecule-file", str(path)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            preexec_fn=limits,
            timeout=3 * BUDGET_CPU_SECONDS,
        )
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 2 and len(lines) == 1, (done.returncode, done.stderr[-1500:])
        assert str(path) in lines[0] and f"at most {MAX_ATOMS} atoms" in lines[0]


def test_a_normal_file_of_every_format_still_reads(tmp_path):
    from equiview.core.molecule_files import read_molecule_file

    (tmp_path / "v").mkdir()
    files = {
        "w.xyz": xyz("3"),
        "e.xyz": xyz("3", 'Properties=species:S:1:pos:R:3 pbc="F F F"'),
        "v/POSCAR": poscar("O H", "1 2"),
        "w.gen": gen("3"),
        "w.xsf": xsf_animated("1", "3"),
        "w.pdb": pdb_atoms(3),
        "w.cif": cif(3),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
        molecules = read_molecule_file(tmp_path / name)
        assert len(molecules) == 1 and molecules[0].num_atoms == 3, name
