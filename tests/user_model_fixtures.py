"""Sources of small user model files (``--model NAME=FILE.py:make``) that the tests write."""

CENTRED_MODEL = """import torch
class Centred(torch.nn.Module):
    def forward(self, z, pos, batch):
        return pos - pos.mean(dim=0)  # coordinates about the centroid: not rotation invariant
def make():
    return Centred()
"""
