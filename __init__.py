"""equiview: see and test E(3) invariance and equivariance of neural networks on molecules.

One installed package. The repository's top-level folders are its subpackages: ``core/`` is ``equiview.core``
(data, models, transforms, the invariance engine: no Qt, no VTK), ``viewer/`` is ``equiview.viewer`` (the window,
the renderer, the command line), ``assets/`` and ``resources/`` are ``equiview.assets`` and
``equiview.resources`` (shipped data and checkpoints; icon and style sheet), found with importlib.resources.
"""

__version__ = "0.1.0"
