"""From embeddings to colours: projections fitted once, colour scales frozen on the original pose."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

from equiview.viewer.model.colouring import ColourScale, Projection, available_colormaps


@pytest.fixture()
def h0() -> np.ndarray:
    rng = np.random.default_rng(0)
    # mostly spread along one direction so the first principal component is well defined
    direction = np.array([0.0, 3.0, -4.0, 0.0]) / 5.0
    return rng.normal(size=(12, 1)) * 5.0 * direction + rng.normal(scale=0.1, size=(12, 4)) + 2.0


def test_channel_projection(h0):
    projection = Projection("channel", channel=2).fit(h0)
    assert np.array_equal(projection(h0), h0[:, 2])
    assert np.array_equal(Projection("channel", channel=1)(torch.tensor(h0)), h0[:, 1])  # no fit needed
    with pytest.raises(ValueError, match="channel 4 is out of range for 4-dimensional embeddings"):
        Projection("channel", channel=4).fit(h0)
    with pytest.raises(ValueError, match="channel 9 is out of range"):
        Projection("channel", channel=9)(h0)
    with pytest.raises(ValueError, match="non-negative"):
        Projection("channel", channel=-1)


def test_norm_projection(h0):
    values = Projection("norm").fit(h0)(h0)
    assert values.shape == (12,)
    assert np.allclose(values, np.sqrt((h0**2).sum(axis=1)))


def test_one_dimensional_embeddings_are_accepted():
    h = torch.tensor([[0.5], [-1.0], [2.0]])
    assert np.allclose(Projection("channel").fit(h)(h), [0.5, -1.0, 2.0])
    assert np.allclose(Projection("norm")(h.flatten()), [0.5, 1.0, 2.0])
    pca = Projection("pca").fit(h)
    assert np.allclose(pca(h), h.numpy()[:, 0] - h.numpy().mean())  # 1-D PCA is just centring


def test_pca_is_fitted_once_and_frozen(h0):
    projection = Projection("pca").fit(h0)
    first = projection(h0)
    assert np.array_equal(projection(h0), first)  # same input, same output
    assert np.isclose(first.mean(), 0.0)
    # the first principal direction recovers the dominant direction (with the sign rule: largest entry > 0)
    expected_direction = -np.array([0.0, 3.0, -4.0, 0.0]) / 5.0
    assert np.allclose(projection.direction, expected_direction, atol=0.05)
    assert projection.direction[np.argmax(np.abs(projection.direction))] > 0
    # other poses are projected with the frozen mean and direction, not refitted
    other = h0[::-1] * 3.0 + 1.0
    assert np.allclose(projection(other), (other - h0.mean(axis=0)) @ projection.direction)
    assert not np.allclose(Projection("pca").fit(other)(other), projection(other))
    # deterministic: fitting again, or on the negated set, gives the same direction
    assert np.array_equal(Projection("pca").fit(h0).direction, projection.direction)
    assert np.allclose(Projection("pca").fit(-h0).direction, projection.direction)


def test_pca_needs_fit_and_consistent_width(h0):
    with pytest.raises(RuntimeError, match="fitted"):
        Projection("pca")(h0)
    projection = Projection("pca").fit(h0)
    with pytest.raises(ValueError, match="fitted on 4-dimensional"):
        projection(h0[:, :3])
    constant = Projection("pca").fit(np.ones((5, 3)))
    assert np.allclose(constant(np.ones((5, 3))), 0.0)
    with pytest.raises(ValueError, match="unknown projection 'tsne'"):
        Projection("tsne")
    with pytest.raises(ValueError, match="NaN"):
        Projection("norm")(np.array([[np.nan, 1.0]]))


def test_colour_scale_fit_and_freeze():
    values = np.array([-1.0, 0.0, 3.0])
    scale = ColourScale.fit(values, cmap="plasma")
    assert (scale.vmin, scale.vmax, scale.cmap) == (-1.0, 3.0, "plasma")
    assert np.allclose(scale.normalise(values), [0.0, 0.25, 1.0])
    # limits stay frozen: values of another pose outside the range clip to the end colours
    assert np.allclose(scale.normalise([-5.0, 1.0, 10.0]), [0.0, 0.5, 1.0])
    assert np.allclose(scale.normalise([-5.0], clip=False), [-1.0])
    colours = scale.rgba(values)
    assert colours.shape == (3, 4) and colours.dtype == np.uint8
    assert (colours[:, 3] == 255).all()
    expected = matplotlib.colormaps["plasma"](np.array([0.0, 0.25, 1.0]), bytes=True)
    assert np.array_equal(colours, expected)
    assert np.array_equal(scale.rgba(np.array([-9.0])), scale.rgba(np.array([-1.0])))
    assert not np.array_equal(colours[0], colours[2])


def test_constant_values_get_a_padded_range():
    scale = ColourScale.fit(np.full(4, 2.5))
    assert scale.vmin < 2.5 < scale.vmax
    assert np.allclose(scale.normalise([2.5]), [0.5])
    assert ColourScale.fit(torch.zeros(3, 1)).vmin < 0 < ColourScale.fit(torch.zeros(3, 1)).vmax


def test_colour_scale_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown colormap 'rainbowish'"):
        ColourScale(0, 1, "rainbowish")
    with pytest.raises(ValueError, match="vmin < vmax"):
        ColourScale(1, 1)
    with pytest.raises(ValueError, match="zero values"):
        ColourScale.fit(np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        ColourScale.fit(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="one scalar per atom"):
        ColourScale(0, 1).rgba(np.zeros((3, 2)))


def test_available_colormaps_and_lookup_table():
    names = available_colormaps()
    assert names == ("viridis", "plasma", "coolwarm", "cividis", "magma", "turbo", "RdBu_r")
    for name in names:
        table = ColourScale(0.0, 1.0, name).lookup_table(16)
        assert table.shape == (16, 4) and table.dtype == np.uint8
    scale = ColourScale(-2.0, 2.0, "viridis").with_cmap("magma")
    assert (scale.vmin, scale.vmax, scale.cmap) == (-2.0, 2.0, "magma")
    assert scale.colormap.name == "magma"


def test_element_colours_are_cpk_rgba():
    from equiview.core.elements import CPK_COLORS
    from equiview.viewer.model.colouring import element_rgba

    rgba = element_rgba(torch.tensor([6, 1, 8, 7]))
    assert rgba.dtype == np.uint8 and rgba.shape == (4, 4)
    assert rgba[:, 3].tolist() == [255] * 4
    assert rgba[1].tolist() == [255, 255, 255, 255]  # hydrogen: white
    assert rgba[2].tolist() == [255, 13, 13, 255]  # oxygen: Jmol red FF0D0D
    np.testing.assert_array_equal(rgba[:, :3], np.round(np.array([CPK_COLORS[z] for z in (6, 1, 8, 7)]) * 255))
    np.testing.assert_array_equal(element_rgba(np.array([6, 1, 8, 7])), rgba)
    assert element_rgba([]).shape == (0, 4)


def test_dark_colours_by_perceived_luminance():
    from equiview.viewer.model.colouring import is_dark

    colours = np.array(
        [[0, 0, 0, 255], [255, 255, 255, 255], [0, 0, 255, 255], [255, 255, 0, 255], [0, 180, 0, 255]], dtype=np.uint8
    )
    # pure blue looks dark (luma 0.11), yellow light (0.89); green 180 (0.41) is still below one half
    assert is_dark(colours).tolist() == [True, False, True, False, True]
    assert is_dark(colours[:, :3]).tolist() == is_dark(colours).tolist()
