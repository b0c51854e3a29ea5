"""Data-parallel training across processes started by ``torchrun`` (gloo on CPU, NCCL on GPU).

Every rank builds the same model from the same seed and draws the same per-epoch permutation; rank ``r`` of ``W``
trains on ``permutation[r::W]`` (trimmed so every rank takes the same number of steps, which DDP's gradient
all-reduce needs). Sums (losses, absolute errors, counts) are all-reduced so every rank sees the global metrics,
and only rank 0 writes files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from equiview.core.errors import CommandError


@dataclass
class DistributedContext:
    """Rank, world size and device of this process; a single process is world size 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    initialised_here: bool = False

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_environment(cls, device: str = "auto") -> DistributedContext:
        """Join the process group torchrun describes in ``WORLD_SIZE``/``RANK``; a plain run stays single."""
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        torch_device = resolve_device(device, local_rank)
        if world_size <= 1:
            return cls(device=torch_device)
        initialised_here = False
        if not dist.is_initialized():
            backend = "nccl" if torch_device.type == "cuda" else "gloo"
            if torch_device.type == "cuda":
                torch.cuda.set_device(torch_device)
            dist.init_process_group(backend=backend)
            initialised_here = True
        return cls(rank, world_size, local_rank, torch_device, initialised_here)

    def shard(self, permutation: np.ndarray) -> np.ndarray:
        """This rank's disjoint, equally long share of ``permutation``."""
        if not self.is_distributed:
            return permutation
        per_rank = len(permutation) // self.world_size
        if per_rank == 0:
            raise CommandError(f"{len(permutation)} molecules cannot be shared among {self.world_size} processes")
        return permutation[self.rank :: self.world_size][:per_rank]

    def eval_shard(self, indices: np.ndarray) -> np.ndarray:
        """This rank's share of an evaluation split; shares may differ by one, sums are all-reduced."""
        return indices[self.rank :: self.world_size] if self.is_distributed else indices

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum of ``values`` over all ranks (float64, so the totals are exact enough)."""
        if not self.is_distributed:
            return list(values)
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.cpu().tolist()

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model to train: DistributedDataParallel across ranks, the model itself otherwise."""
        if not self.is_distributed:
            return model
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=device_ids)

    def barrier(self) -> None:
        if self.is_distributed:
            dist.barrier()

    def close(self) -> None:
        if self.initialised_here and dist.is_initialized():
            dist.destroy_process_group()


def resolve_device(device: str, local_rank: int = 0) -> torch.device:
    """``auto`` picks this rank's GPU when CUDA is available, else the CPU."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise CommandError("--device cuda was requested but this PyTorch has no usable CUDA device")
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if device == "cpu":
        return torch.device("cpu")
    raise CommandError(f"unknown device {device!r}; choose auto, cpu or cuda")
