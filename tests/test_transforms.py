"""E(3) elements: matrices, conventions, composition and the random rotation's distribution."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from equiview.core.transforms import E3Transform


def rx(a):
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=torch.float64)


def ry(a):
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, 0, s], [0, 1, 0], [-s, 0, c]], dtype=torch.float64)


def rz(a):
    c, s = math.cos(a), math.sin(a)
    return torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float64)


def assert_orthogonal(r: torch.Tensor):
    assert torch.allclose(r.T @ r, torch.eye(3, dtype=torch.float64), atol=1e-12)


def test_identity_and_translation():
    pos = torch.randn(6, 3)
    assert torch.equal(E3Transform.identity().apply(pos), pos)
    shift = E3Transform.translation((1.0, -2.0, 0.5))
    assert torch.allclose(shift.translation, torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    assert torch.allclose(shift.apply(pos), pos + torch.tensor([1.0, -2.0, 0.5]))
    assert not shift.is_reflection


def test_euler_convention_is_rz_ry_rx():
    a, b, c = 30.0, -50.0, 110.0
    g = E3Transform.from_euler(a, b, c)
    expected = rz(math.radians(c)) @ ry(math.radians(b)) @ rx(math.radians(a))
    assert torch.allclose(g.rotation, expected, atol=1e-12)
    assert torch.allclose(
        E3Transform.from_euler(*map(math.radians, (a, b, c)), degrees=False).rotation, expected, atol=1e-12
    )
    # extrinsic x then y then z: the same as composing the single-axis rotations in that order
    composed = E3Transform.from_euler(0, 0, c) @ E3Transform.from_euler(0, b, 0) @ E3Transform.from_euler(a, 0, 0)
    assert composed.allclose(g)
    # counter-clockwise about +x: y goes to z
    y_axis = torch.tensor([[0.0, 1.0, 0.0]])
    assert torch.allclose(E3Transform.from_euler(90, 0, 0).apply(y_axis), torch.tensor([[0.0, 0.0, 1.0]]), atol=1e-7)


def test_axis_angle():
    x_axis = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    quarter = E3Transform.from_axis_angle((0, 0, 1), 90)
    assert torch.allclose(quarter.apply(x_axis), torch.tensor([[0.0, 1.0, 0.0]], dtype=torch.float64), atol=1e-12)
    assert E3Transform.from_axis_angle((2.0, 0, 0), 40).allclose(E3Transform.from_euler(40, 0, 0))
    axis = torch.tensor([1.0, 2.0, -0.5], dtype=torch.float64)
    g = E3Transform.from_axis_angle(axis, 75)
    assert_orthogonal(g.rotation)
    assert g.determinant == pytest.approx(1.0)
    assert torch.allclose(g.rotation @ axis, axis, atol=1e-12)  # the axis is fixed
    angle = math.degrees(math.acos((float(torch.trace(g.rotation)) - 1) / 2))
    assert angle == pytest.approx(75.0)
    with pytest.raises(ValueError, match="non-zero"):
        E3Transform.from_axis_angle((0, 0, 0), 10)


def test_reflection():
    normal = torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)
    g = E3Transform.reflection(normal)
    assert g.is_reflection and g.determinant == pytest.approx(-1.0)
    assert_orthogonal(g.rotation)
    assert torch.allclose(g.rotation @ normal, -normal, atol=1e-12)
    in_plane = torch.tensor([1.0, -1.0, 3.0], dtype=torch.float64)
    assert torch.allclose(g.rotation @ in_plane, in_plane, atol=1e-12)
    assert torch.allclose((g @ g).rotation, torch.eye(3, dtype=torch.float64), atol=1e-12)
    default = E3Transform.reflection()
    assert torch.allclose(default.rotation, torch.diag(torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)))


@pytest.mark.parametrize("reflect", [None, True, False])
def test_random_elements_are_orthogonal_with_the_requested_determinant(reflect):
    generator = torch.Generator().manual_seed(5)
    dets = []
    for _ in range(200):
        g = E3Transform.random(generator, reflect=reflect)
        assert_orthogonal(g.rotation)
        dets.append(g.determinant)
    dets = np.array(dets)
    assert np.allclose(np.abs(dets), 1.0)
    if reflect is True:
        assert (dets < 0).all()
    elif reflect is False:
        assert (dets > 0).all()
    else:
        assert 0.35 < (dets < 0).mean() < 0.65


def test_random_rotation_is_uniform_enough():
    generator = torch.Generator().manual_seed(11)
    samples = torch.stack([E3Transform.random(generator, reflect=False).rotation for _ in range(2000)])
    # Haar measure: E[R] = 0, E[R_ij^2] = 1/3, and the rotation angle has density (1 - cos t)/pi
    assert samples.mean(dim=0).abs().max() < 0.05
    assert torch.allclose((samples**2).mean(dim=0), torch.full((3, 3), 1 / 3, dtype=torch.float64), atol=0.03)
    cos_angle = ((samples.diagonal(dim1=1, dim2=2).sum(-1) - 1) / 2).clamp(-1, 1)
    assert float(cos_angle.mean()) == pytest.approx(-0.5, abs=0.05)  # E[cos t] = -1/2 under Haar
    same = E3Transform.random(torch.Generator().manual_seed(3))
    assert same.allclose(E3Transform.random(torch.Generator().manual_seed(3)))
    assert E3Transform.random(generator, translation_scale=0.0).translation.abs().max() == 0


def test_compose_and_inverse():
    generator = torch.Generator().manual_seed(2)
    g, h = E3Transform.random(generator), E3Transform.random(generator, reflect=True)
    pos = torch.randn(7, 3, dtype=torch.float64)
    assert torch.allclose(g.compose(h).apply(pos), g.apply(h.apply(pos)), atol=1e-12)
    assert torch.allclose((g @ h).apply(pos), g.apply(h.apply(pos)), atol=1e-12)
    assert (g @ h).is_reflection
    assert torch.allclose(g.inverse().apply(g.apply(pos)), pos, atol=1e-12)
    assert (h.inverse() @ h).allclose(E3Transform.identity(), atol=1e-12)


def test_apply_preserves_distances_type_and_dtype():
    g = E3Transform.random(torch.Generator().manual_seed(9), reflect=True)
    pos32 = torch.randn(10, 3)
    moved = g.apply(pos32)
    assert moved.dtype == torch.float32 and moved.shape == (10, 3)
    assert torch.allclose(torch.cdist(moved, moved), torch.cdist(pos32, pos32), atol=1e-5)
    as_numpy = g.apply(pos32.numpy())
    assert isinstance(as_numpy, np.ndarray) and as_numpy.dtype == np.float32
    assert np.allclose(as_numpy, moved.numpy(), atol=1e-6)
    matrix = g.as_matrix4()
    homogeneous = np.c_[pos32.numpy().astype(np.float64), np.ones(10)] @ matrix.T
    assert np.allclose(homogeneous[:, :3], moved.numpy(), atol=1e-5)
    with pytest.raises(ValueError, match=r"\[n, 3\]"):
        g.apply(torch.zeros(4, 2))


def test_from_view():
    center = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    plain = E3Transform.from_view(10, 20, 30)
    assert plain.allclose(E3Transform.from_euler(10, 20, 30))
    mirrored = E3Transform.from_view(10, 20, 30, reflect=True, center=center)
    assert mirrored.is_reflection and not E3Transform.from_view(10, 20, 30, center=center).is_reflection
    # rotating and mirroring about the centre keep it in place; the translation then moves it
    assert torch.allclose(mirrored.apply(center[None]), center[None], atol=1e-12)
    shifted = E3Transform.from_view(10, 20, 30, translation=(0.5, 0, -1), reflect=True, center=center)
    assert torch.allclose(shifted.apply(center[None]), (center + torch.tensor([0.5, 0, -1], dtype=torch.float64))[None])
    expected = (
        E3Transform.translation(center)
        @ E3Transform.from_euler(10, 20, 30)
        @ E3Transform.reflection((1, 0, 0))
        @ E3Transform.translation(-center)
    )
    assert mirrored.allclose(expected, atol=1e-12)


@pytest.mark.parametrize("reflect", [None, True, False])
def test_to_view_inverts_from_view(reflect):
    generator = torch.Generator().manual_seed(21)
    center = torch.tensor([0.7, -1.2, 2.5], dtype=torch.float64)
    reflections = 0
    for _ in range(100):
        g = E3Transform.random(generator, reflect=reflect)
        view = g.to_view()
        assert view.reflect == g.is_reflection
        assert -90.0 <= view.ry <= 90.0 and -180.0 < view.rx <= 180.0 and -180.0 < view.rz <= 180.0
        assert E3Transform.from_view(*view).allclose(g, atol=1e-9)
        assert E3Transform.from_view(*g.to_view(center), center=center).allclose(g, atol=1e-9)
        reflections += view.reflect
    if reflect is None:
        assert 0 < reflections < 100  # both halves of O(3) were read back
    else:
        assert reflections == (100 if reflect else 0)


def test_to_view_reads_back_slider_values():
    view = E3Transform.from_view(30, -45, 120, translation=(1, 2, -3), reflect=True).to_view()
    assert (view.rx, view.ry, view.rz) == pytest.approx((30, -45, 120), abs=1e-9)
    assert view.translation == pytest.approx((1, 2, -3), abs=1e-12) and view.reflect is True
    center = (1.0, 2.0, 3.0)
    assert E3Transform.from_view(10, 0, 0, center=center).to_view(center).translation == pytest.approx(
        (0, 0, 0), abs=1e-12
    )
    assert E3Transform.identity().to_view() == (0.0, 0.0, 0.0, (0.0, 0.0, 0.0), False)


@pytest.mark.parametrize("ry", [90.0, -90.0])
def test_to_view_at_gimbal_lock(ry):
    g = E3Transform.from_view(25, ry, -70, reflect=True)
    view = g.to_view()
    assert view.rx == 0.0 and view.ry == pytest.approx(ry)
    assert E3Transform.from_view(*view).allclose(g, atol=1e-9)


def test_invalid_matrices_are_rejected():
    with pytest.raises(ValueError, match="orthogonal"):
        E3Transform(torch.eye(3) * 2)
    with pytest.raises(ValueError, match=r"shape \[3, 3\]"):
        E3Transform(torch.eye(2))
    with pytest.raises(ValueError, match="translation"):
        E3Transform(torch.eye(3), (1.0, 2.0))
    with pytest.raises(ValueError, match="NaN"):
        E3Transform(torch.eye(3), (float("nan"), 0.0, 0.0))


def test_messages_and_types_of_bad_input():
    import numpy as np

    with pytest.raises(ValueError, match=r"^rotation must have shape \[3, 3\], got \[2, 2\]$"):
        E3Transform(torch.eye(2))
    with pytest.raises(ValueError, match=r"^translation contains NaN or infinite values$"):
        E3Transform(torch.eye(3), (0.0, float("nan"), 0.0))
    with pytest.raises(ValueError, match=r"^rotation must be an orthogonal matrix \(max \|R\^T R - I\| = 3.00e\+00\)$"):
        E3Transform(2 * torch.eye(3))
    with pytest.raises(ValueError, match=r"^center must have shape \[3\], got \[2\]$"):
        E3Transform.from_view(0, 0, 0, center=(1.0, 2.0))
    g = E3Transform.from_euler(10, 20, 30)
    with pytest.raises(ValueError, match=r"^positions must have shape \[n, 3\], got \[4, 2\]$"):
        g.apply(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"^positions must have shape \[n, 3\], got \[3\]$"):
        g.apply(np.zeros(3))
    with pytest.raises(ValueError, match=r"^positions must have shape \[n, 3\], got \[4, 2\]$"):
        g.apply(torch.zeros(4, 2))
    with pytest.raises(TypeError, match=r"^positions must be a torch.Tensor or numpy array, got list$"):
        g.apply([[0.0, 0.0, 0.0]])
    # numpy keeps a float input's dtype, integers come back as float64, and the numbers are float64's
    pos = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert g.apply(pos).dtype == np.float32 and g.apply(np.array([[1, 2, 3]])).dtype == np.float64
    exact = g.apply(np.array([[1.0, 2.0, 3.0]]))
    assert np.allclose(exact, (g.rotation.numpy() @ np.array([1.0, 2.0, 3.0]))[None], atol=1e-15)
    assert torch.allclose(g.apply(torch.tensor([[1, 2, 3]])), torch.from_numpy(exact), atol=1e-12)


def test_random_orthogonal_matrices_are_orthogonal_with_both_signs():
    from equiview.core.transforms import random_orthogonal_matrices

    q = random_orthogonal_matrices(64, torch.Generator().manual_seed(5))
    assert q.shape == (64, 3, 3) and q.dtype == torch.float64
    assert torch.allclose(q.transpose(1, 2) @ q, torch.eye(3, dtype=torch.float64).expand(64, 3, 3), atol=1e-12)
    signs = torch.linalg.det(q)
    assert (signs > 0).any() and (signs < 0).any()
    # Haar: the diagonal signs of R are moved into Q, so the first column's first entry is not always positive
    assert (q[:, 0, 0] > 0).any() and (q[:, 0, 0] < 0).any()
