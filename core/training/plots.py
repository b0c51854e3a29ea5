"""The tutorial's two figures: loss/MAE learning curves and a test-set parity plot.

Rendered with matplotlib's Agg backend through an explicit ``Figure`` (no pyplot state), so they work in a headless
process and never touch a GUI toolkit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from equiview.core.atomic import write_with
from equiview.core.training.metrics import EpochRecord


def _save(figure: Figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    FigureCanvasAgg(figure)
    write_with(path, lambda handle: figure.savefig(handle, format="png", dpi=120))


def plot_learning_curves(history: list[EpochRecord], path: Path, *, title: str, loss_name: str, unit: str) -> None:
    """Train and validation loss (left) and MAE (right) per epoch, log scale."""
    epochs = [r.epoch for r in history]
    figure = Figure(figsize=(10, 4), layout="constrained")
    loss_axes, mae_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, [r.train_loss for r in history], marker=".", label="train")
    loss_axes.plot(epochs, [r.val_loss for r in history], marker=".", label="validation")
    loss_axes.set(xlabel="epoch", ylabel=f"{loss_name} loss", yscale="log", title="loss")
    mae_axes.plot(epochs, [r.train_mae for r in history], marker=".", label="train")
    mae_axes.plot(epochs, [r.val_mae for r in history], marker=".", label="validation")
    mae_axes.set(xlabel="epoch", ylabel=f"MAE ({unit})", yscale="log", title="mean absolute error")
    for axes in (loss_axes, mae_axes):
        axes.grid(True, which="both", alpha=0.3)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.legend()
    figure.suptitle(title)
    _save(figure, path)


def plot_parity(
    predicted: np.ndarray, reference: np.ndarray, path: Path, *, title: str, target_name: str, unit: str
) -> None:
    """Predicted against DFT values on the test split, with the identity line and the MAE in the title."""
    mae = float(np.abs(predicted - reference).mean())
    figure = Figure(figsize=(5.5, 5.5), layout="constrained")
    axes = figure.subplots()
    low = float(min(predicted.min(), reference.min()))
    high = float(max(predicted.max(), reference.max()))
    axes.plot([low, high], [low, high], color="grey", linewidth=1, linestyle="--", label="ideal")
    axes.scatter(reference, predicted, s=6, alpha=0.5, edgecolors="none", label="test molecules")
    axes.set(
        xlabel=f"DFT {target_name} ({unit})",
        ylabel=f"predicted {target_name} ({unit})",
        title=f"{title}\ntest MAE {mae:.3f} {unit} ({len(reference)} molecules)",
        aspect="equal",
    )
    axes.grid(True, alpha=0.3)
    axes.legend(loc="upper left")
    _save(figure, path)
