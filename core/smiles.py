"""A molecule in 3D from a SMILES string: RDKit's ETKDG embedding, then an MMFF94 relaxation.

The embedding's random seed is fixed (``SMILES_SEED``), so the same SMILES gives the same geometry every time and
on every machine with the same RDKit. Hydrogens are added first: the models were trained on molecules with all
their hydrogens.
"""

from __future__ import annotations

import numpy as np

from equiview.core.data.bonds import unique_bonds
from equiview.core.elements import MAX_Z
from equiview.core.molecule import MAX_ATOMS, Molecule
from equiview.core.user_input_errors import MoleculeInputError

SMILES_SEED = 0xC0FFEE
MAX_SMILES_CHARS = 1000
MMFF_ITERATIONS = 2000


def molecule_from_smiles(smiles: str, seed: int = SMILES_SEED) -> Molecule:
    """``smiles`` with hydrogens added, embedded in 3D by ETKDG (seed ``seed``) and relaxed with MMFF94."""
    from rdkit import Chem, rdBase
    from rdkit.Chem import AllChem

    text = str(smiles).strip()
    if not text:
        raise MoleculeInputError("empty SMILES")
    shown = repr(text) if len(text) <= 60 else repr(text[:57] + "...")
    if len(text) > MAX_SMILES_CHARS:
        raise MoleculeInputError(f"SMILES of {len(text)} characters; equiview reads at most {MAX_SMILES_CHARS}")
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise MoleculeInputError(f"SMILES {shown} does not parse")
    for atom in mol.GetAtoms():
        if not 1 <= atom.GetAtomicNum() <= MAX_Z:
            raise MoleculeInputError(f"SMILES {shown}: atom {atom.GetSymbol()!r} is not an element from H to Rn")
    mol = Chem.AddHs(mol)
    if mol.GetNumAtoms() > MAX_ATOMS:  # checked before embedding: ETKDG's cost grows fast with size
        raise MoleculeInputError(
            f"SMILES {shown} has {mol.GetNumAtoms()} atoms with hydrogens; equiview shows at most {MAX_ATOMS}"
        )
    params = AllChem.ETKDGv3()
    params.randomSeed = int(seed)
    params.numThreads = 1
    with rdBase.BlockLogs():
        status = AllChem.EmbedMolecule(mol, params)
        if status != 0:  # large flexible molecules often need random starting coordinates (RDKit's advice)
            params.useRandomCoords = True
            status = AllChem.EmbedMolecule(mol, params)
        if status != 0:
            raise MoleculeInputError(f"SMILES {shown} cannot be embedded in 3D")
        if AllChem.MMFFHasAllMoleculeParams(mol):
            AllChem.MMFFOptimizeMolecule(mol, maxIters=MMFF_ITERATIONS)
    z = np.array([atom.GetAtomicNum() for atom in mol.GetAtoms()], dtype=np.int64)
    pos = np.asarray(mol.GetConformer().GetPositions(), dtype=np.float32).reshape(-1, 3)
    bonds = np.array([(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()], dtype=np.int64)
    return Molecule(
        z=z,
        pos=pos,
        bonds=unique_bonds(bonds.reshape(-1, 2).T),
        title=text,
        origin=f"SMILES {text}",
        bonds_from_file=True,
    )
