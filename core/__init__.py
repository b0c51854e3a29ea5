"""Data, models, transforms, checkpoints, training and the invariance engine; never imports Qt or VTK."""
