"""The one exception type of the data layer."""

from equiview.core.errors import EquiviewError


class DataSourceError(EquiviewError, RuntimeError):
    """A dataset could not be loaded; ``str(error)`` is a single line saying why and what to do."""
