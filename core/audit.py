"""check-invariance: how far each model is from E(3) invariance on many molecules, batched, judged by the one engine.

Every ``check-invariance`` invocation runs here (a QM9 sample or split, a file's molecules, a SMILES). The cases
are e3nn's ``assert_equivariant`` table: proper rotations, reflections (det R = −1), translations, and general
elements (counted as a reflection when det R = −1, else as a rotation); vectors are checked for equivariance
(``vector_parity`` "polar", or "pseudo": v(g·x) = det(R) R v(x)) and irreps block by block. The verdicts:
"invariant", "equivariant", "changed", "unsupported" (an element the model does not know), "failed" (a user's
model raised or returned something unusable; the other rows are still checked).

A chunk of M molecules is posed P = 1 + 4T times (the molecule itself, then T rotations, T reflections,
T translations and T general elements, the same elements for every molecule) and the P·M graphs go through
the model as ONE batched graph, pose-major: graph p·M + m is molecule m in pose p. The outputs are reshaped
to [P, n, d] and :mod:`equiview.core.equivariance` gives every molecule's errors per pose at once
(:func:`~equiview.core.equivariance.molecule_feature_errors`); each molecule is then one
:class:`~equiview.core.equivariance.Measurement`, judged against its own scale by the one tolerance policy.

Built-in models run on batched graphs; a user model that declares ``batched = True`` gets the real ``batch``
vector (molecule numbers 0..P·M-1); any other user model keeps the one-molecule call, graph by graph.
"""

from __future__ import annotations

import math
import shlex
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from equiview.core import equivariance as engine
from equiview.core.errors import CommandError

GRAPHS_PER_FORWARD = 512
"""Molecule-poses per forward pass (bench/audit.py measured 256..1024 alike on QM9; memory grows with it)."""
MAX_TRANSLATION = 9.5
"""Translations are kept within the GUI's ±10 Å so that every worst pose can be opened with ``equiview gui``."""


@dataclass(frozen=True)
class Outputs:
    """One forward pass over a batched graph: per-atom features [N, d]; per-atom vectors [N, 3] and one vector
    per graph [G, 3] where the model has them."""

    features: Tensor
    vectors: Tensor | None = None  # [N, 3] or [N, k, 3]
    graph_vectors: Tensor | None = None
    irreps: tuple[Tensor, str] | None = None  # ([N, dim], "16x0e+16x1o+8x2e")


@dataclass(frozen=True)
class AuditSubject:
    """A model as the audit runs it: ``run(batch) -> Outputs`` on a batched graph (z, pos, batch, ptr,
    edge_index). ``command`` is what ``equiview gui`` needs to show this model (e.g. ``--model ...``)."""

    name: str
    description: str
    known_elements: tuple[int, ...] | None
    run: Callable[[object], Outputs]
    parity: str = "polar"
    gui_options: tuple[str, ...] = ()
    module: object = None  # the nn.Module whose submodules ``layers`` names (for --layers)
    layers: tuple[str, ...] = ()
    max_atoms: int | None = None  # a built-in model's limit (equiview.core.atom_limits); a user's model: none


# ------------------------------------------------------------------------------------------- subjects
def builtin_subject(kind: str, model, description: str, device: torch.device, dtype: torch.dtype) -> AuditSubject:
    """A built-in model (naive, egnn, the dipole kinds) on batched graphs."""
    from equiview.core.atom_limits import builtin_max_atoms
    from equiview.core.known_elements import builtin_known_elements
    from equiview.core.vector_equivariance import is_vector_model

    model = model.to(device=device, dtype=dtype).eval()
    vector_model = is_vector_model(model)

    def run(batch) -> Outputs:
        with torch.no_grad():
            if vector_model:
                features, vectors = model.encode_with_vectors(batch)
                return Outputs(features, vectors.per_atom, vectors.molecule)
            return Outputs(model.encode(batch))

    return AuditSubject(
        kind,
        description,
        builtin_known_elements(model),
        run,
        module=model,
        layers=builtin_layers(model),
        max_atoms=builtin_max_atoms(model),
    )


READOUTS = ("aggregation", "f_predict", "f_charge", "act")
"""Built-in submodules that are not per-atom layers (the readout, the activation)."""


def builtin_layers(model) -> tuple[str, ...]:
    """The per-atom layers of a built-in model in forward order: its children, a ModuleList's (or a child's
    ModuleList's) items one by one (``message_passing_layers.0``, ``gnn.convs.1``)."""
    from torch import nn

    names = []
    for name, child in model.named_children():
        if name in READOUTS:
            continue
        if isinstance(child, nn.ModuleList):
            names += [f"{name}.{index}" for index in range(len(child))]
            continue
        lists = [(sub, c) for sub, c in child.named_children() if isinstance(c, nn.ModuleList)]
        if lists:
            names += [f"{name}.{sub}.{index}" for sub, c in lists for index in range(len(c))]
        else:
            names.append(name)
    return tuple(names)


def builtin_subjects(
    checkpoints: Sequence[str], seed: int, device: torch.device, dtype: torch.dtype, kinds: Sequence[str] | None = None
) -> list[AuditSubject]:
    """Every built-in kind (or ``kinds``): the seed's untrained demo unless a checkpoint of that kind is given."""
    from equiview.core.checkpoints import load_checkpoint
    from equiview.core.models.registry import MODEL_KINDS, demo_model

    chosen = tuple(kinds) if kinds is not None else MODEL_KINDS
    models = {kind: (demo_model(kind, seed=seed), f"untrained demo (seed {seed})") for kind in chosen}
    given: set[str] = set()
    for path in checkpoints:
        checkpoint = load_checkpoint(path)
        if checkpoint.kind in given:
            raise CommandError(f"two checkpoints of kind {checkpoint.kind!r} given; pass at most one per model kind")
        given.add(checkpoint.kind)
        models[checkpoint.kind] = (checkpoint.model, str(path))
    return [builtin_subject(kind, model, text, device, dtype) for kind, (model, text) in models.items()]


def user_subject(user_model, device: torch.device, dtype: torch.dtype) -> AuditSubject:
    """A loaded user model: one batched call if it declares ``batched = True``, else one call per graph."""
    from equiview.core.user_models import _running_user_code, gradient_mode

    module = user_model.module.to(device=device, dtype=dtype)
    needs_grad = getattr(module, "needs_grad", False) is True
    batched = getattr(module, "batched", False) is True

    def call(z: Tensor, pos: Tensor, batch: Tensor) -> Outputs:
        # the protocol's one guard: the user's prints go to stderr, anything raised is one UserModelError line
        with _running_user_code(f"model {user_model.name!r}: forward"):
            with gradient_mode(needs_grad):
                output = module(z, pos.clone(), batch)
            checked = user_model.checked(output, int(z.shape[0]))  # the protocol's shape and value checks
        return Outputs(checked.features, checked.vectors, irreps=checked.irreps)

    def run(graph) -> Outputs:
        if batched:
            return call(graph.z, graph.pos, graph.batch)
        pieces = []
        ptr = graph.ptr.tolist()
        for start, end in zip(ptr[:-1], ptr[1:]):
            z = graph.z[start:end]
            pieces.append(call(z, graph.pos[start:end], torch.zeros_like(z)))
        vectors = [p.vectors for p in pieces]
        irreps = [p.irreps for p in pieces]
        return Outputs(
            torch.cat([p.features for p in pieces]),
            None if any(v is None for v in vectors) else torch.cat(vectors),
            irreps=None if any(i is None for i in irreps) else (torch.cat([i[0] for i in irreps]), irreps[0][1]),
        )

    options = ("--model", str(user_model.spec))
    layers = declared_layers(user_model.module)
    parity = getattr(user_model, "vector_parity", "polar")
    return AuditSubject(
        user_model.name,
        user_model.describe(),
        user_model.known_elements,
        run,
        parity,
        gui_options=options,
        module=module,
        layers=layers,
    )


# ---------------------------------------------------------------------------------------------- poses
TRANSLATION_SCALE_ANGSTROM = 5.0
"""Translations of a few molecule sizes: large enough that a model using raw coordinates notices."""


def case_elements(count: int, generator: torch.Generator) -> dict[str, list]:
    """``count`` random elements of each case: proper rotations, reflections, translations, and general elements
    (rotation and translation; every other one a reflection, det R = −1)."""
    from equiview.core.transforms import E3Transform

    return {
        "rotation": [E3Transform.random(generator, reflect=False, translation_scale=0.0) for _ in range(count)],
        "reflection": [E3Transform.random(generator, reflect=True, translation_scale=0.0) for _ in range(count)],
        "translation": [
            E3Transform.translation(
                torch.randn(3, generator=generator, dtype=torch.float64) * TRANSLATION_SCALE_ANGSTROM
            )
            for _ in range(count)
        ],
        "general": [
            E3Transform.random(generator, reflect=bool(trial % 2), translation_scale=TRANSLATION_SCALE_ANGSTROM)
            for trial in range(count)
        ],
    }


def audit_poses(trials: int, seed: int) -> engine.Poses:
    """The identity, then ``trials`` rotations, reflections, translations and general elements (seeded)."""
    from equiview.core.transforms import E3Transform

    if trials < 1:
        raise CommandError("--trials must be at least 1")
    elements = [E3Transform.identity()]
    for group in case_elements(trials, torch.Generator().manual_seed(seed)).values():
        elements += [E3Transform(g.rotation, g.translation.clamp(-MAX_TRANSLATION, MAX_TRANSLATION)) for g in group]
    return engine.Poses.of(elements)


# ------------------------------------------------------------------------------------------ molecules
@dataclass(frozen=True)
class MoleculeSet:
    """What is audited: ``collate(positions) -> Batch`` of molecules, their names, and how ``equiview gui``
    opens molecule ``k`` (``--molecule gdb_…`` or ``--molecule-file F --molecule k``)."""

    names: list[str]
    atoms: list[int]
    collate: Callable[[Sequence[int]], object]
    gui_molecule: Callable[[int], tuple[str, ...] | None]
    z: Callable[[int], Tensor]

    def __len__(self) -> int:
        return len(self.names)


def qm9_molecules(indices: Sequence[int], source: str = "bundled", root: str | None = None) -> MoleculeSet:
    """Molecules ``indices`` of the QM9 set (bundled by default), collated straight from its arrays."""
    from equiview.core.data import load_dataset

    dataset = load_dataset(source, root=root)
    chosen = torch.as_tensor(list(indices), dtype=torch.long)
    counts = dataset.num_atoms[chosen].tolist()
    qm9 = dataset.qm9_index[chosen].tolist()
    names = [f"gdb_{q}" for q in qm9]
    source_options = () if source == "bundled" else ("--source", source, *(("--root", root) if root else ()))

    def z_of(k: int) -> Tensor:
        start, end = int(dataset.atom_ptr[chosen[k]]), int(dataset.atom_ptr[chosen[k] + 1])
        return dataset.z[start:end].long()

    return MoleculeSet(
        names,
        counts,
        lambda ks: dataset.collate(chosen[list(ks)]),
        lambda k: ("--molecule", names[k], *source_options),
        z_of,
    )


def structure_molecules(structures: Sequence, file: str | None = None) -> MoleculeSet:
    """Molecules from a file or SMILES (:class:`equiview.core.molecule.Molecule`)."""
    from torch_geometric.data import Batch

    data = [structure.to_data() for structure in structures]
    names = [str(getattr(structure, "name", "") or f"molecule {k}") for k, structure in enumerate(structures)]

    def gui(k: int) -> tuple[str, ...] | None:
        if file:
            return ("--molecule-file", file, "--molecule", str(k))
        origin = str(getattr(structures[k], "origin", ""))
        if origin.startswith("SMILES "):  # the window embeds the same SMILES with the same seed: the same molecule
            return ("--smiles", origin[len("SMILES ") :])
        return None  # a Molecule made in Python (equiview.testing): no command line opens it

    return MoleculeSet(
        names,
        [int(d.z.shape[0]) for d in data],
        lambda ks: Batch.from_data_list([data[k] for k in ks]),
        gui,
        lambda k: data[k].z.long(),
    )


def split_indices(split: str, seed: int = 420, source: str = "bundled", root: str | None = None) -> list[int]:
    """Dataset positions of QM9's ``test``, ``val`` or ``train`` split (the training split seed), or ``all``."""
    from equiview.core.data import load_dataset
    from equiview.core.data.datamodule import QM9DataModule

    dataset = load_dataset(source, root=root)
    if split == "all":
        return list(range(len(dataset)))
    return [int(i) for i in QM9DataModule(dataset, seed=seed).split(split)]


def sample_indices(count: int, seed: int, source: str = "bundled", root: str | None = None) -> list[int]:
    """``count`` dataset positions drawn without replacement (seeded): check-invariance's default molecules."""
    import numpy as np

    from equiview.core.data import load_dataset

    size = len(load_dataset(source, root=root))
    return [int(i) for i in np.random.default_rng(seed).choice(size, size=min(count, size), replace=False)]


DEFAULT_SAMPLE = 10
"""Molecules check-invariance draws from QM9 when neither ``--split``, a file nor ``--molecules`` says otherwise."""


def choose_molecules(
    structures: Sequence | None,
    file: str | None,
    split: str | None,
    count: int | None,
    seed: int,
    source: str = "bundled",
    root: str | None = None,
) -> MoleculeSet:
    """What check-invariance audits: a file's or SMILES' molecules (the first ``count`` when given), a whole QM9
    ``split``, or ``count`` (default 10) molecules drawn from QM9 with ``seed``."""
    if split is not None and (structures is not None or count is not None):
        raise CommandError("--split audits a whole QM9 split; leave out --molecule-file, --smiles and --molecules")
    if structures is not None:
        structures = list(structures)
        return structure_molecules(structures if count is None else structures[:count], file)
    if split is not None:
        return qm9_molecules(split_indices(split, source=source, root=root), source, root)
    indices = sample_indices(DEFAULT_SAMPLE if count is None else count, seed, source, root)
    return qm9_molecules(indices, source, root)


# ---------------------------------------------------------------------------------------- the forward
def molecule_centres(pos: Tensor, batch: Tensor, count: int) -> Tensor:
    """The centroid of each of ``count`` molecules, ``[count, 3]`` in float64."""
    sums = torch.zeros(count, 3, dtype=torch.float64).index_add_(0, batch, pos.to(torch.float64))
    atoms = torch.bincount(batch, minlength=count).clamp(min=1).to(torch.float64)
    return sums / atoms[:, None]


def posed_batch(batch, poses: engine.Poses, device: torch.device, dtype: torch.dtype):
    """The P·M graphs of ``batch`` (M molecules) in every pose, pose-major, as one PyG ``Batch``."""
    from torch_geometric.data import Batch

    n = int(batch.z.shape[0])
    m = int(batch.ptr.numel() - 1)
    p = len(poses)
    x = batch.pos.to(torch.float64)
    # each g acts about its molecule's centroid, as the window's sliders do: the element applied to molecule k is
    # g_k = (R, t + c_k - R c_k) (Audit.element), so its gui command's --translate is t, within the window's range
    centres = molecule_centres(x, batch.batch, m)[batch.batch]
    pos = (poses.apply(x - centres) + centres).to(dtype)  # [P, n, 3]
    pos[0] = x.to(dtype)  # pose 0 is the identity: exactly x
    shifts = torch.arange(p, dtype=torch.long)
    fields = {
        "z": batch.z.long().repeat(p),
        "pos": pos.reshape(p * n, 3),
        "batch": (batch.batch[None, :] + shifts[:, None] * m).reshape(-1),
        "ptr": torch.cat(((batch.ptr[:-1][None, :] + shifts[:, None] * n).reshape(-1), torch.tensor([p * n]))),
    }
    edges = getattr(batch, "edge_index", None)
    if edges is not None:
        fields["edge_index"] = (edges[:, None, :] + (shifts * n)[None, :, None]).reshape(2, -1)
    # the EGNN's complete graph: built once for the M molecules and shifted per pose (not once per P·M graphs)
    from equiview.core.data.graph import batch_complete_edge_index

    complete = batch_complete_edge_index(batch.batch, ptr=batch.ptr)
    fields["complete_edge_index"] = (complete[:, None, :] + (shifts * n)[None, :, None]).reshape(2, -1)
    posed = Batch(**{key: value.to(device) for key, value in fields.items()})
    posed._num_graphs = p * m
    return posed


@dataclass(frozen=True)
class MoleculeResult:
    """One molecule under one model: a Measurement of its features (and of its vectors), or why it was skipped."""

    features: engine.Measurement | None
    vectors: engine.Measurement | None
    reason: str | None = None
    failed: bool = False
    irreps: dict[str, engine.Measurement] | None = None  # per irrep type ("0e", "1o", ...)
    layers: dict[str, engine.Measurement] | None = None  # per layer, in forward order (--layers)

    @property
    def verdict(self) -> str:
        if self.reason is not None:
            return engine.FAILED if self.failed else engine.UNSUPPORTED
        verdict = engine.verdict_kind(self.features, self.vectors)
        if not self.irreps or verdict in (engine.CHANGED, engine.IDENTITY):
            return verdict
        return engine.EQUIVARIANT if all(m.passes for m in self.irreps.values()) else engine.CHANGED


def declared_layers(module) -> tuple[str, ...]:
    """A user model's ``layers = ["name", ...]`` (submodule names, in forward order), or ()."""
    declared = getattr(module, "layers", None)
    return tuple(str(name) for name in declared) if isinstance(declared, (list, tuple)) else ()


def unknown_layer_error(layer: str, layers: dict[str, Sequence[str]]) -> CommandError:
    """``--layer NAME`` that no row has: one line listing every row's layers."""
    listed = "; ".join(f"{row}: {', '.join(names) or '(none)'}" for row, names in layers.items())
    return CommandError(f"--layer {layer!r}: no model row has that layer; layers: {listed}")


def _recording_layers(subject: AuditSubject):
    return record_layers(subject.module, subject.layers, subject.name)


def record_layers(module, names: Sequence[str], owner: str):
    """Forward hooks on the submodules ``names`` of ``module``: a dict that fills with each layer's per-atom output
    (the first tensor it returns, as [rows, channels]), in the order the layers ran; and the hooks' handles."""
    from equiview.core.user_input_errors import UserModelError

    recorded: dict[str, list[Tensor]] = {}  # one piece per call: a one-molecule model is called graph by graph
    modules = dict(module.named_modules()) if module is not None else {}
    handles = []
    for name in names:
        if name not in modules:
            raise UserModelError(f"model {owner!r}: layers names {name!r}, which is not one of its submodules")

        def hook(_module, _inputs, output, name=name):
            value = output[0] if isinstance(output, (tuple, list)) and output else output
            if isinstance(value, Tensor) and value.dim() >= 1 and value.is_floating_point():
                recorded.setdefault(name, []).append(value.detach().reshape(value.shape[0], -1))

        handles.append(modules[name].register_forward_hook(hook))
    return recorded, handles


def measure_chunk(
    subject: AuditSubject, graph, poses: engine.Poses, cases, dtype: str, layers: bool = False
) -> list[MoleculeResult]:
    """Every molecule of ``graph`` (a ``Batch`` of M molecules already posed P times) under ``subject``."""
    m = int(graph.num_graphs) // len(poses)
    recorded, handles = _recording_layers(subject) if layers else ({}, [])
    try:
        outputs = subject.run(graph)
    finally:
        for handle in handles:
            handle.remove()
    p = len(poses)
    features = outputs.features.reshape(p, -1, *outputs.features.shape[1:])
    molecule = graph.batch[: features.shape[1]].cpu()
    moved = engine.Poses(poses.rotations[1:], poses.translations[1:])
    feature_errors = engine.molecule_feature_errors(features[0], features[1:], molecule, m)
    feature_scales = engine.molecule_output_scales(features[0], molecule, m)
    vector_errors = vector_scales = None
    if outputs.vectors is not None or outputs.graph_vectors is not None:
        rows, row_molecule = [], []
        if outputs.vectors is not None:
            per_atom = outputs.vectors.shape[1] if outputs.vectors.dim() == 3 else 1  # k vectors per atom
            rows.append(outputs.vectors.reshape(p, -1, 3))
            row_molecule.append(molecule.repeat_interleave(per_atom))
        if outputs.graph_vectors is not None:
            rows.append(outputs.graph_vectors.reshape(p, m, 3))
            row_molecule.append(torch.arange(m))
        v = torch.cat(rows, dim=1)
        index = torch.cat(row_molecule)
        vector_errors = engine.molecule_vector_errors(v[0], v[1:], moved, index, m, subject.parity)
        vector_scales = engine.molecule_vector_scales(v[0], index, m)
    irreps = {}
    if outputs.irreps is not None:
        values, text = outputs.irreps
        values = values.reshape(p, -1, values.shape[-1])
        irreps = engine.molecule_irreps_errors(values[0], values[1:], moved, text, molecule, m)
    layer_errors = {}
    for name, pieces in recorded.items():
        value = torch.cat(pieces) if len({piece.shape[1] for piece in pieces}) == 1 else None
        if value is None or value.shape[0] != graph.z.shape[0]:
            continue  # not one row per atom (a per-molecule or per-edge layer): not comparable atom by atom
        value = value.reshape(p, features.shape[1], -1)
        layer_errors[name] = (
            engine.molecule_feature_errors(value[0], value[1:], molecule, m),
            engine.molecule_output_scales(value[0], molecule, m),
        )
    results = []
    for k in range(m):
        f = engine.Measurement(feature_errors[k], cases, float(feature_scales[k]), dtype)
        vm = None
        if vector_errors is not None:
            vm = engine.Measurement(vector_errors[k], cases, float(vector_scales[k]), dtype)
        blocks = {label: engine.Measurement(e[k], cases, float(sc[k]), dtype) for label, (e, sc) in irreps.items()}
        by_layer = {
            name: engine.Measurement(e[k], cases, float(sc[k]), dtype) for name, (e, sc) in layer_errors.items()
        }
        results.append(MoleculeResult(f, vm, irreps=blocks or None, layers=by_layer if layers else None))
    return results


# ------------------------------------------------------------------------------------------ the audit
@dataclass
class Audit:
    """An audit's inputs: subjects, molecules, poses; :meth:`run` yields ``(molecule, subject, result)``."""

    subjects: list[AuditSubject]
    molecules: MoleculeSet
    poses: engine.Poses
    device: torch.device
    dtype: str = engine.DEFAULT_DTYPE
    graphs_per_forward: int = GRAPHS_PER_FORWARD
    layers: bool = False  # record every layer's output (forward hooks) and judge it as well

    def element(self, k: int, pose: int):
        """The element of E(3) pose ``pose`` applied to molecule ``k``: g about the molecule's centroid c,
        x -> R (x - c) + c + t (see :func:`posed_batch`)."""
        from equiview.core.transforms import E3Transform

        g = self.poses[pose]
        c = self.molecules.collate([k]).pos.to(torch.float64).mean(dim=0)
        return E3Transform(g.rotation, g.translation + c - g.rotation @ c)

    def chunks(self, positions: Sequence[int]) -> Iterator[list[int]]:
        size = max(1, self.graphs_per_forward // len(self.poses))
        for start in range(0, len(positions), size):
            yield list(positions[start : start + size])

    def run(
        self,
        positions: Sequence[int] | None = None,
        progress: Callable[[int], None] | None = None,
        shard: tuple[int, int] = (0, 1),
    ):
        """``shard=(rank, world)``: this process takes every world-th chunk from its rank on, so the chunks (and
        so the numbers) are the ones a single process computes, and every molecule falls to exactly one rank."""
        from equiview.core.atom_limits import too_many_atoms
        from equiview.core.known_elements import unsupported_reason
        from equiview.core.user_input_errors import UserModelError

        def reason_for(subject: AuditSubject, k: int) -> str | None:
            z = self.molecules.z(k)
            return unsupported_reason(subject.known_elements, z.numpy()) or too_many_atoms(subject.max_atoms, len(z))

        positions = list(range(len(self.molecules))) if positions is None else list(positions)
        torch_dtype = engine.DTYPES[self.dtype]
        moved_cases = self.poses.cases[1:]
        rank, world = shard
        for chunk in list(self.chunks(positions))[rank::world]:
            per_subject = {}
            graphs: dict[tuple[int, ...], object] = {}  # one posed graph per set of usable molecules
            for subject in self.subjects:
                reasons = {k: reason_for(subject, k) for k in chunk}
                usable = [k for k in chunk if reasons[k] is None]
                results = {k: MoleculeResult(None, None, reasons[k]) for k in chunk if reasons[k] is not None}
                if usable:
                    key = tuple(usable)
                    if key not in graphs:
                        graphs[key] = posed_batch(self.molecules.collate(usable), self.poses, self.device, torch_dtype)
                    graph = graphs[key]
                    try:
                        measured = measure_chunk(subject, graph, self.poses, moved_cases, self.dtype, self.layers)
                    except UserModelError as error:  # the user's code failed: that row's verdict, not a crash
                        measured = [MoleculeResult(None, None, str(error), failed=True)] * len(usable)
                    for k, result in zip(usable, measured):
                        results[k] = result
                per_subject[subject.name] = results
            for k in chunk:
                for subject in self.subjects:
                    yield k, subject, per_subject[subject.name][k]
            if progress is not None:
                progress(len(chunk))


# ------------------------------------------------------------------------------------------- reporting
def _number(value: float) -> float | None:
    return None if value != value else float(value)  # JSON has no NaN: null


def gui_command(audit: Audit, k: int, subject: AuditSubject, pose: int) -> str | None:
    """``equiview gui …`` that opens molecule ``k`` at pose ``pose`` (about its centroid, as the sliders work), or
    None for a molecule no command line names."""
    g = audit.element(k, pose)
    view = g.to_view(center=audit.molecules.collate([k]).pos.to(torch.float64).mean(dim=0))
    molecule = audit.molecules.gui_molecule(k)
    if molecule is None:
        return None
    words = ["equiview", "gui", *molecule, *subject.gui_options]
    words += ["--rotate", ",".join(f"{a:.3f}" for a in (view.rx, view.ry, view.rz))]
    if any(abs(t) > 1e-9 for t in view.translation):
        words += ["--translate", ",".join(f"{t:.3f}" for t in view.translation)]
    if view.reflect:
        words.append("--reflect")
    return shlex.join(words).replace("--rotate -", "--rotate=-").replace("--translate -", "--translate=-")


def molecule_row(audit: Audit, k: int, subject: AuditSubject, result: MoleculeResult) -> dict:
    """One JSONL line: a molecule under a model, its errors per case and its worst g."""
    row: dict = {
        "molecule": audit.molecules.names[k],
        "position": k,
        "atoms": audit.molecules.atoms[k],
        "model": subject.name,
        "verdict": result.verdict,
    }
    if result.reason is not None:
        row["reason"] = result.reason
        return row
    f = result.features
    row["max_error"] = _number(f.max_error)
    row.update({case: _number(error) for case, error in f.by_case().items()})
    row["scale"] = f.scale
    worst, measurement = f.worst_pose, f
    if result.vectors is not None:
        v = result.vectors
        row["vector_max_error"] = _number(v.max_error)
        row.update({f"vector_{case}": _number(error) for case, error in v.by_case().items()})
        row["vector_scale"] = v.scale
        if _ratio(v) > _ratio(f):
            worst, measurement = v.worst_pose, v
    if result.irreps:
        row["irreps"] = {
            label: {"max_error": _number(m.max_error), "verdict": "equivariant" if m.passes else "changed"}
            for label, m in result.irreps.items()
        }
    if result.layers is not None:
        row["layers"] = [
            {"name": name, "max_error": _number(m.max_error), "verdict": "invariant" if m.passes else "changed"}
            for name, m in result.layers.items()
        ]
        row["first_breaking_layer"] = next((name for name, m in result.layers.items() if not m.passes), None)
    if worst is not None:
        pose = worst + 1  # the audit's pose 0 is x itself
        g = audit.element(k, pose)
        row["worst_g"] = {
            "case": measurement.cases[worst],
            "error": _number(float(measurement.errors[worst])),
            "rotation": g.rotation.tolist(),
            "translation": g.translation.tolist(),
        }
    return row


def _ratio(measurement: engine.Measurement) -> float:
    error = measurement.max_error
    return math.inf if error != error else error / measurement.bound


class Progress:
    """``audit  1234/2180 molecules  410/s`` on stderr, redrawn in place (only on a terminal unless forced)."""

    def __init__(self, total: int, enabled: bool | None = None, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.total, self.done, self.started, self.shown = total, 0, time.perf_counter(), 0.0

    def __call__(self, count: int) -> None:
        self.done += count
        now = time.perf_counter()
        if not self.enabled or (now - self.shown < 0.2 and self.done < self.total):
            return
        self.shown = now
        width = 30
        filled = int(width * self.done / max(1, self.total))
        rate = self.done / max(now - self.started, 1e-9)
        self.stream.write(
            f"\raudit [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} molecules {rate:.0f}/s"
        )
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


ZERO_OUTPUT_NOTE = "every output is 0 on every molecule: nothing varies, so the check shows nothing"
"""Said of a row whose features (and vectors) are 0 for every atom of every molecule: invariant, and meaningless."""


def summarize(audit: Audit, rows: dict[str, list[tuple[int, MoleculeResult]]], worst: int) -> dict:
    """Per model: the engine's summary verdict and maxima over every molecule, and the ``worst`` molecules
    (largest error relative to their own bound) with the ``equiview gui`` command that opens each at its worst g."""
    report: dict = {}
    for subject in audit.subjects:
        results = rows.get(subject.name, [])
        measured = [(k, r) for k, r in results if r.reason is None]
        entry: dict = {"model": subject.description, "molecules": len(results)}
        failed = [r for _, r in results if r.failed]
        if failed:  # any molecule on which the user's code failed fails the row
            entry["verdict"] = engine.FAILED
            entry["reason"] = failed[0].reason
            entry["failed_molecules"] = len(failed)
            report[subject.name] = entry
            continue
        if not measured:
            entry["verdict"] = engine.UNSUPPORTED
            entry["reason"] = next((r.reason for _, r in results if r.reason), "no molecules")
            report[subject.name] = entry
            continue
        features = engine.Summary(tuple(r.features for _, r in measured))
        vectors = None
        if all(r.vectors is not None for _, r in measured):
            vectors = engine.Summary(tuple(r.vectors for _, r in measured))
        entry["verdict"] = engine.summary_verdict(features, vectors)
        if all(r.features.scale == 0 and (r.vectors is None or r.vectors.scale == 0) for _, r in measured):
            # zeros compare equal in every pose: "invariant" would say nothing (a zero-initialised head, say)
            entry["zero_output"] = True
            entry["note"] = ZERO_OUTPUT_NOTE
        entry["max_error"] = _number(features.max_error)
        entry.update({case: _number(e) for case, e in features.by_case().items()})
        if vectors is not None:
            entry["vector_max_error"] = _number(vectors.max_error)
            entry.update({f"vector_{case}": _number(e) for case, e in vectors.by_case().items()})
            entry["vector_parity"] = subject.parity
        blocks = [r.irreps for _, r in measured if r.irreps]
        if blocks:
            entry["irreps"] = {
                label: {
                    "max_error": _number(engine.Summary(tuple(b[label] for b in blocks)).max_error),
                    "verdict": "equivariant" if all(b[label].passes for b in blocks) else "changed",
                }
                for label in blocks[0]
            }
            if entry["verdict"] in (engine.INVARIANT, engine.EQUIVARIANT):
                ok = all(item["verdict"] == "equivariant" for item in entry["irreps"].values())
                entry["verdict"] = engine.EQUIVARIANT if ok else engine.CHANGED
        with_layers = [r.layers for _, r in measured if r.layers is not None]
        if with_layers:
            names = list(dict.fromkeys(name for layers in with_layers for name in layers))
            entry["layers"] = []
            for name in names:
                found = tuple(layers[name] for layers in with_layers if name in layers)
                passes = all(m.passes for m in found)
                entry["layers"].append(
                    {
                        "name": name,
                        "max_error": _number(engine.Summary(found).max_error),
                        "verdict": "invariant" if passes else "changed",
                    }
                )
            entry["first_breaking_layer"] = next(
                (item["name"] for item in entry["layers"] if item["verdict"] == "changed"), None
            )
        failing = list(engine.too_large_for(features, vectors))  # type: ignore[arg-type]
        failing += [
            f"irreps_{label}" for label, item in entry.get("irreps", {}).items() if item["verdict"] == "changed"
        ]
        if failing:
            entry["too_large_for"] = list(failing)
        entry["changed_molecules"] = sum(r.verdict == engine.CHANGED for _, r in measured)
        if len(measured) < len(results):
            entry["skipped"] = len(results) - len(measured)
            entry["reason"] = next(r.reason for _, r in results if r.reason is not None)
        ranked = sorted(
            measured,
            key=lambda item: max(_ratio(item[1].features), _ratio(item[1].vectors) if item[1].vectors else 0.0),
            reverse=True,
        )
        k, result = ranked[0]
        row = molecule_row(audit, k, subject, result)
        if "worst_g" in row:  # the molecule and the element g of the largest error relative to its bound
            entry["worst"] = {"molecule": row["molecule"], "position": k, **row["worst_g"]}
            entry["worst"]["gui"] = gui_command(audit, k, subject, _worst_pose(result))
        entry["worst_molecules"] = []
        for k, result in ranked[:worst]:
            row = molecule_row(audit, k, subject, result)
            item = {key: row[key] for key in ("molecule", "position", "verdict", "max_error") if key in row}
            if "vector_max_error" in row:
                item["vector_max_error"] = row["vector_max_error"]
            if "worst_g" in row:
                item["case"] = row["worst_g"]["case"]
                item["gui"] = gui_command(audit, k, subject, _worst_pose(result))
            entry["worst_molecules"].append(item)
        entry["model"] = entry.pop("model")  # last, as in the text table
        report[subject.name] = entry
    return report


def _worst_pose(result: MoleculeResult) -> int:
    f, v = result.features, result.vectors
    chosen = v if v is not None and _ratio(v) > _ratio(f) else f
    return int(chosen.worst_pose) + 1


# ------------------------------------------------------------------------------------------- torchrun
def distributed_shard() -> tuple[int, int] | None:
    """``(rank, world)`` under ``torchrun`` with more than one process (the process group joined on gloo), else
    None."""
    import os

    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return None
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return dist.get_rank(), dist.get_world_size()


def gather_results(mine: list[tuple[int, int, MoleculeResult]], shard: tuple[int, int], expected: int):
    """Every rank's ``(position, subject index, result)`` on rank 0 in (position, subject) order, each exactly
    once (None on the other ranks)."""
    import torch.distributed as dist

    rank, world = shard
    gathered: list = [None] * world if rank == 0 else None  # type: ignore[assignment]
    dist.gather_object(mine, gathered, dst=0)
    dist.destroy_process_group()
    if rank != 0:
        return None
    merged = sorted((item for part in gathered for item in part), key=lambda item: (item[0], item[1]))
    keys = [(k, s) for k, s, _ in merged]
    if len(keys) != expected or len(set(keys)) != expected:
        raise RuntimeError(
            f"torchrun shards returned {len(keys)} rows ({len(set(keys))} distinct), expected {expected}"
        )
    return merged
