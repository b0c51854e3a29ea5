"""Training for equiview's two models (issue 4): ``equiview train`` and its building blocks.

Entry points: :func:`equiview.core.training.cli.add_train_arguments` / :func:`equiview.core.training.cli.run_train` (the CLI),
:func:`equiview.core.training.trainer.train` (a run from a :class:`~equiview.core.training.config.TrainConfig`). Submodules are
imported on demand so that ``import equiview.core.training`` stays cheap.
"""
