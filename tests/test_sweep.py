"""The batched sweep (viewer.model.sweep) against the one-pose-at-a-time reference, core.embeddings.compare_poses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import equiview.viewer.model.sweep as sweep_module
from equiview.core.assets import checkpoint_dir
from equiview.core.checkpoints import load_checkpoint
from equiview.core.embeddings import compare_poses, encode
from equiview.core.models.registry import demo_model
from equiview.core.transforms import E3Transform
from equiview.core.vector_equivariance import compare_vectors
from equiview.viewer.model.colouring import ColourScale, Projection
from equiview.viewer.model.sweep import invariance_sphere, spun_transform, sweep, sweep_angles
from equiview.viewer.model.sweep_settings import check_axis, check_sphere_resolution, check_steps

CHECKPOINTS = checkpoint_dir()


@pytest.fixture(scope="module")
def shipped_models():
    return {kind: load_checkpoint(CHECKPOINTS / f"{kind}.pt").model for kind in ("naive", "egnn")}


@pytest.fixture(scope="module")
def gdb_5806(dataset):
    return dataset[dataset.find("gdb_5806")]


def _centre(data):
    return data.pos.to(torch.float64).mean(dim=0)


@pytest.mark.parametrize("axis", ["x", "y", "z"])
def test_sweep_equals_compare_poses_at_every_angle(shipped_models, gdb_5806, axis):
    """Colour values (PCA fitted on the original pose), colour limits and max|Δh| of the batched sweep are
    those of compare_poses run on each angle's element separately; a current g that is no turn about the axis (a
    mirror and a shift) changes nothing and is not marked."""
    data = gdb_5806
    base = E3Transform.from_view(30.0, -20.0, 75.0, (1.0, -2.0, 0.5), True, center=_centre(data))
    result = sweep(shipped_models, data, axis, 12, base=base, projections={"naive": ("pca", 0), "egnn": ("norm", 0)})
    assert np.allclose(result.angles, np.arange(12) * 30.0)
    assert result.current_angle is None
    for kind, model in shipped_models.items():
        swept = result.models[kind]
        assert swept.values.shape == (12, data.z.numel())
        projection_kind = "pca" if kind == "naive" else "norm"
        for i, angle in enumerate(result.angles):
            reference = compare_poses(model, data, spun_transform(axis, angle, E3Transform.identity(), _centre(data)))
            projection = Projection(projection_kind).fit(reference.h_original)
            np.testing.assert_allclose(swept.values[i], projection(reference.h_transformed), rtol=1e-5, atol=1e-5)
            assert swept.max_error[i] == pytest.approx(
                reference.max_error, rel=1e-4, abs=1e-5
            )  # an invariant model's error is float noise (~1e-6)
        scale = ColourScale.fit(projection(reference.h_original))
        assert (swept.vmin, swept.vmax) == pytest.approx((scale.vmin, scale.vmax))
    # a real contrast, so the equality above is not trivially about zeros (angle 0 is the identity: exactly 0)
    assert result.models["naive"].max_error[0] == 0.0
    assert result.models["naive"].max_error[1:].min() > 1e-3
    assert result.models["egnn"].max_error.max() < 1e-4


def test_untrained_one_channel_models_and_the_identity_start(dataset):
    data = dataset[800]
    models = {kind: demo_model(kind, seed=3) for kind in ("naive", "egnn")}
    result = sweep(models, data, "y", 8)
    for kind, model in models.items():
        h0 = encode(model, data)
        np.testing.assert_allclose(result.models[kind].values_original, h0[:, 0].numpy(), rtol=1e-6)
        # angle 0 is the current pose, here the original one
        np.testing.assert_allclose(result.models[kind].values[0], h0[:, 0].numpy(), rtol=1e-5, atol=1e-6)
        for i, angle in enumerate(result.angles):
            reference = compare_poses(model, data, spun_transform("y", angle, E3Transform.identity(), _centre(data)))
            np.testing.assert_allclose(result.models[kind].values[i], reference.h_transformed[:, 0].numpy(), atol=1e-5)
            assert result.models[kind].max_error[i] == pytest.approx(
                reference.max_error, rel=1e-4, abs=1e-5
            )  # an invariant model's error is float noise (~1e-6)


def test_angle_zero_is_the_identity_and_the_current_g_is_marked_on_its_axis(shipped_models, gdb_5806):
    """The issue's finding: the sweep started at the current g (45° by default), so 0° showed the naive GNN's
    change and 315° read 0.0. Now 0° is the identity and g = 45° about z is marked at 45°, with g's own error."""
    centre = _centre(gdb_5806)
    g = E3Transform.from_view(0.0, 0.0, 45.0, center=centre)
    result = sweep(shipped_models, gdb_5806, "z", 8, base=g)
    assert result.current_angle == pytest.approx(45.0, abs=1e-9)
    naive = result.models["naive"].max_error
    assert naive[0] == 0.0 and naive[1] == pytest.approx(
        compare_poses(shipped_models["naive"], gdb_5806, g).max_error, rel=1e-5
    )
    assert naive[7] > 1e-3  # 315° is a real turn
    assert result.as_json("m")["current_angle"] == pytest.approx(45.0)
    assert sweep(shipped_models, gdb_5806, "x", 8, base=g).current_angle is None  # g is no turn about x
    minus = E3Transform.from_view(0.0, 0.0, -90.0, center=centre)
    assert sweep(shipped_models, gdb_5806, "z", 4, base=minus).current_angle == pytest.approx(270.0)


def test_spun_transform_turns_about_the_moved_centroid(sample_molecule):
    centre = _centre(sample_molecule)
    base = E3Transform.from_view(10.0, 20.0, 30.0, (1.0, 2.0, 3.0), False, center=centre)
    moved_centre = base.apply(centre[None])[0]
    assert spun_transform("z", 0.0, base, centre).allclose(base)
    for angle in (37.0, 180.0, 300.0):
        g = spun_transform("x", angle, base, centre)
        assert torch.allclose(g.apply(centre[None])[0], moved_centre, atol=1e-12)
        # the extra turn is a rotation by `angle` about x, on top of base
        relative = g.compose(base.inverse())
        assert torch.allclose(relative.rotation, E3Transform.from_axis_angle((1, 0, 0), angle).rotation, atol=1e-12)


def test_chunked_passes_equal_one_pass(shipped_models, gdb_5806, monkeypatch):
    whole = sweep(shipped_models, gdb_5806, "x", 10)
    monkeypatch.setattr(sweep_module, "MAX_ATOMS_PER_PASS", 3 * gdb_5806.z.numel())  # 3 poses per pass
    chunked = sweep(shipped_models, gdb_5806, "x", 10)
    for kind in shipped_models:
        np.testing.assert_allclose(chunked.models[kind].values, whole.models[kind].values, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(chunked.models[kind].max_error, whole.models[kind].max_error, rtol=1e-4, atol=1e-6)


def test_invariance_sphere_mirrors_the_upper_hemisphere_exactly(shipped_models, sample_molecule):
    """Only the upper hemisphere is encoded; every lower cell must equal a direct sweep about its own axis."""
    model = shipped_models["naive"]
    sphere = invariance_sphere(model, sample_molecule, bands=4, steps=8)
    assert sphere.max_error.shape == (4, 8)
    axes = sphere.axes
    centre = _centre(sample_molecule)
    for i, j in ((2, 0), (3, 5), (0, 3), (1, 7)):
        # from_axis_angle turns about the origin: move the centroid there first and back afterwards
        direct = max(
            compare_poses(
                model,
                sample_molecule,
                E3Transform.translation(centre).compose(
                    E3Transform.from_axis_angle(axes[i, j], angle).compose(E3Transform.translation(-centre))
                ),
            ).max_error
            for angle in sweep_angles(8)
        )
        assert sphere.max_error[i, j] == pytest.approx(direct, rel=1e-4)
    assert sphere.max_error.min() > 1e-3
    egnn = invariance_sphere(shipped_models["egnn"], sample_molecule, bands=4, steps=8)
    assert egnn.max_error.max() < 1e-4


@pytest.mark.parametrize(
    ("check", "value", "fragment"),
    [
        (check_axis, "w", "axis must be x, y or z"),
        (check_axis, "", "axis must be x, y or z"),
        (check_steps, 1, "from 2 to 720"),
        (check_steps, 721, "from 2 to 720"),
        (check_steps, 2.5, "from 2 to 720"),
        (check_steps, True, "from 2 to 720"),
        (check_sphere_resolution, 3, "even integer"),
        (check_sphere_resolution, 0, "even integer"),
        (check_sphere_resolution, 66, "even integer"),
    ],
)
def test_bad_sweep_values_raise_one_line(check, value, fragment):
    with pytest.raises(ValueError, match=fragment) as raised:
        check(value)
    assert "\n" not in str(raised.value)


def test_axis_names_are_case_insensitive():
    assert check_axis(" Y ") == "y"


@pytest.mark.parametrize("chunked", [False, True])
def test_vector_error_equals_compare_vectors_at_every_angle(gdb_5806, monkeypatch, chunked):
    """A dipole model's sweep also measures its arrows: max|v(g_θ·x) − R_θ v(x)| per angle is what compare_vectors
    reports for each angle's element alone (per-atom vectors and the molecule's dipole), batched or in chunks."""
    data = gdb_5806
    if chunked:
        monkeypatch.setattr(sweep_module, "MAX_ATOMS_PER_PASS", 4 * data.z.numel())  # 4 poses per pass
    models = {kind: load_checkpoint(CHECKPOINTS / f"{kind}.pt").model for kind in ("naive-dipole", "dipole")}
    models["scalar"] = demo_model("egnn", seed=1)
    base = E3Transform.from_view(-40.0, 15.0, 60.0, (0.5, 1.0, -1.0), True, center=_centre(data))
    result = sweep(models, data, "x", 10, base=base)
    assert result.models["scalar"].vector_error is None  # no vectors, no vector error
    for kind in ("naive-dipole", "dipole"):
        swept = result.models[kind].vector_error
        assert swept.shape == (10,)
        for i, angle in enumerate(result.angles):
            turn = spun_transform("x", angle, E3Transform.identity(), _centre(data))
            reference = compare_vectors(models[kind], data, turn)
            assert swept[i] == pytest.approx(reference.max_error, rel=1e-3, abs=2e-5)
    # a real contrast: the naive model's arrows do not turn with the molecule, the equivariant model's do
    assert result.models["naive-dipole"].vector_error[0] == 0.0  # angle 0: the identity
    assert result.models["naive-dipole"].vector_error[1:].min() > 1e-2
    assert result.models["dipole"].vector_error.max() < 1e-4
    as_json = result.as_json("gdb_5806")["models"]
    assert "vector_max_error" in as_json["dipole"] and "vector_max_error" not in as_json["scalar"]
