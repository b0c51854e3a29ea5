"""Training for equiview's two models (issue 4): ``equiview train`` and its building blocks.

Entry points: :func:`core.training.cli.add_train_arguments` / :func:`core.training.cli.run_train` (the CLI),
:func:`core.training.trainer.train` (a run from a :class:`~core.training.config.TrainConfig`). Submodules are
imported on demand so that ``import core.training`` stays cheap.
"""
